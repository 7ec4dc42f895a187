/*
 * A map from nonzero 64-bit ids to pointers: the pending requests of the
 * client (lib/rpc.c) and the connections and pending requests of the
 * listener (actors/listener.c).  Open addressing; no allocation per entry.
 */
#ifndef IDMAP_H
#define IDMAP_H

#include <stddef.h>
#include <stdint.h>

struct idmap;

struct idmap	*idmap_new(void);
void		 idmap_free(struct idmap *);
size_t		 idmap_count(const struct idmap *);
void		*idmap_get(const struct idmap *, uint64_t);
void		 idmap_put(struct idmap *, uint64_t, void *);
void		*idmap_remove(struct idmap *, uint64_t);
void		*idmap_next(const struct idmap *, size_t *, uint64_t *);

#endif /* IDMAP_H */
