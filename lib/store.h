/*
 * The broker's store: commit log, consume queues, index and checkpoint
 * behind one handle, with recovery.  Single-threaded: the store actors each
 * hold the pieces they own; tests, tools and the benchmark use this.
 */
#ifndef STORE_H
#define STORE_H

#include <stddef.h>
#include <stdint.h>

#include "commitlog.h"

struct store;

struct store_config {
	uint64_t	segment_size;	/* 0: as on disk, else 1 GiB */
	uint32_t	max_msg_size;	/* 0: 4 MiB */
	uint32_t	cq_per_file;	/* consume queue entries a file */
	uint32_t	index_slots;	/* 0: 5,000,000 */
	uint32_t	index_entries;	/* 0: 20,000,000 */
};

/* What a get found, as RocketMQ's GetMessageStatus. */
enum store_get_status {
	STORE_FOUND,
	STORE_NO_MATCHED_MESSAGE,	/* entries scanned, none matched tags */
	STORE_OFFSET_FOUND_NULL,	/* the log there was deleted */
	STORE_OFFSET_OVERFLOW_BADLY,	/* past the end of the queue */
	STORE_OFFSET_OVERFLOW_ONE,	/* at the end: nothing new yet */
	STORE_OFFSET_TOO_SMALL,		/* before the start of the queue */
	STORE_NO_MATCHED_QUEUE,		/* no such topic and queue */
	STORE_NO_MESSAGE_IN_QUEUE	/* the queue is empty */
};

struct store_get {
	enum store_get_status	 status;
	struct commitlog_msg	*msgs;		/* caller's array */
	size_t			 n;
	uint64_t		 next;		/* where the next get starts */
	uint64_t		 min;
	uint64_t		 max;
};

struct store_stats {
	uint64_t	recovered_from;	/* log offset recovery started at */
	uint64_t	recovered_bytes;/* log bytes re-validated */
	uint64_t	rebuilt_queues;
	int		crashed;	/* the last run did not stop cleanly */
};

struct store	*store_open(const char *, const struct store_config *,
		    char **);
int		 store_close(struct store *, char **);
void		 store_free(struct store *);
const struct store_stats *store_stats(struct store *);
struct commitlog *store_commitlog(struct store *);

int	store_put(struct store *, struct commitlog_msg *, size_t, char **);
int	store_dispatch(struct store *, char **);
int	store_flush(struct store *, char **);
int	store_delete_expired(struct store *, uint64_t, size_t, char **);
int	store_checkpoint_at(struct store *, uint64_t, char **);
void	store_follow(struct store *, uint64_t);
void	store_forget_before(struct store *, uint64_t);
void	store_arrivals(struct store *, void (*)(const char *, uint32_t,
	    uint64_t, void *), void *);
void	store_queues(struct store *, void (*)(const char *, uint32_t,
	    uint64_t, void *), void *);

int	store_get(struct store *, const char *, size_t, uint32_t, uint64_t,
	    size_t, size_t, const uint64_t *, size_t, struct store_get *,
	    char **);
int	store_queue_range(struct store *, const char *, size_t, uint32_t,
	    uint64_t *, uint64_t *);
int	store_offset_by_time(struct store *, const char *, size_t, uint32_t,
	    uint64_t, uint64_t *, char **);
int	store_read(struct store *, uint64_t, struct commitlog_msg *, char **);
int	store_lookup_id(struct store *, const char *, size_t, const char *,
	    size_t, struct commitlog_msg *);
size_t	store_lookup_key(struct store *, const char *, size_t, const char *,
	    size_t, uint64_t, uint64_t, struct commitlog_msg *, size_t);
uint64_t store_tag_hash(const struct commitlog_msg *);

#endif /* STORE_H */
