/*
 * The store's checkpoint (<root>/checkpoint) and abort marker
 * (<root>/abort).  See petrel-store(5).
 */
#ifndef CHECKPOINT_H
#define CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

struct checkpoint_queue {
	char		*topic;		/* NUL-terminated */
	uint32_t	 queue_id;
	uint64_t	 max;		/* next queue offset */
};

struct checkpoint {
	/* log durable and dispatched below */
	uint64_t		 offset;
	/* store time of the last record below */
	uint64_t		 log_ts;
	/* consume queues flushed up to */
	uint64_t		 cq_ts;
	uint64_t		 index_ts;	/* index flushed up to */
	struct checkpoint_queue	*queues;
	size_t			 nqueues;
};

int	checkpoint_write(const char *, const struct checkpoint *, char **);
int	checkpoint_read(const char *, struct checkpoint *, char **);
int	checkpoint_decode(const void *, size_t, struct checkpoint *, char **);
void	checkpoint_free(struct checkpoint *);
int	checkpoint_abort_create(const char *, char **);
int	checkpoint_abort_exists(const char *);
int	checkpoint_abort_remove(const char *, char **);

#endif /* CHECKPOINT_H */
