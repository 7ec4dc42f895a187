/*
 * A consume queue: the index of one topic's queue into the commit log,
 * fixed 20-byte entries in segment files under
 * <root>/consumequeue/<topic>/<queue id>/, so the n-th message of a queue
 * is one array index.  See petrel-store(5).
 */
#ifndef CONSUMEQUEUE_H
#define CONSUMEQUEUE_H

#include <stddef.h>
#include <stdint.h>

#define CONSUMEQUEUE_ENTRY		20
#define CONSUMEQUEUE_PER_FILE_DEFAULT	300000

struct consumequeue;

struct consumequeue_entry {
	uint64_t	phys;		/* commit log offset */
	uint32_t	size;		/* record size, never 0 */
	uint64_t	tag_hash;	/* consumequeue_tag_hash(), 0: no tag */
};

struct consumequeue	*consumequeue_open(const char *, const char *, size_t,
			    uint32_t, uint32_t, char **);
void			 consumequeue_close(struct consumequeue *);
int			 consumequeue_destroy(struct consumequeue *, char **);
int			 consumequeue_wipe(const char *, const char *, size_t,
			    uint32_t, char **);
const char		*consumequeue_topic(struct consumequeue *, size_t *);
uint32_t		 consumequeue_queue_id(struct consumequeue *);
uint64_t		 consumequeue_first(struct consumequeue *);
uint64_t		 consumequeue_max(struct consumequeue *);
void			 consumequeue_set_max(struct consumequeue *, uint64_t);
int			 consumequeue_put(struct consumequeue *, uint64_t,
			    const struct consumequeue_entry *, char **);
int			 consumequeue_get(struct consumequeue *, uint64_t,
			    struct consumequeue_entry *, char **);
int			 consumequeue_truncate(struct consumequeue *, uint64_t,
			    char **);
int			 consumequeue_flush(struct consumequeue *, char **);
int			 consumequeue_delete_before(struct consumequeue *,
			    uint64_t, char **);
uint64_t		 consumequeue_min(struct consumequeue *, uint64_t);
uint64_t		 consumequeue_tag_hash(const char *, size_t);

#endif /* CONSUMEQUEUE_H */
