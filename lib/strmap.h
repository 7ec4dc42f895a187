/*
 * A map from strings to pointers (chained hash, grows as it fills), with
 * the keys handed out sorted when an answer must be ordered.  Used by the
 * name server's route manager and key/value store.  Not thread-safe: one
 * actor owns each map.
 */
#ifndef STRMAP_H
#define STRMAP_H

#include <stddef.h>

struct strmap;

struct strmap	*strmap_new(void);
void		 strmap_free(struct strmap *, void (*)(void *));
size_t		 strmap_count(const struct strmap *);
void		*strmap_get(const struct strmap *, const char *);
void		*strmap_put(struct strmap *, const char *, void *);
void		*strmap_remove(struct strmap *, const char *);
int		 strmap_next(const struct strmap *, size_t *, const char **,
		    void **);
const char	**strmap_keys(const struct strmap *, size_t *);

#endif /* STRMAP_H */
