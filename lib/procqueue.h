/*
 * A consumer's bookkeeping of one queue it owns (RocketMQ's ProcessQueue):
 * the offsets of messages pulled and not yet done, in order.  A message is
 * done once consumed or sent back for retry; the offset to commit is the
 * lowest one not yet done, or where the next pull starts when none is in
 * flight.  Flow control: stop pulling while too many are in flight.
 */
#ifndef PROCQUEUE_H
#define PROCQUEUE_H

#include <stddef.h>
#include <stdint.h>

struct procqueue {
	uint64_t	*offsets;	/* ring of offsets pulled, ascending */
	uint8_t		*done;		/* parallel to offsets */
	size_t		 head;		/* first slot in use */
	size_t		 len;		/* slots in use */
	size_t		 size;		/* slots allocated */
	size_t		 inflight;	/* of those, not done */
	uint64_t	 next;		/* where the next pull starts */
};

void	 procqueue_init(struct procqueue *, uint64_t);
void	 procqueue_clear(struct procqueue *);
int	 procqueue_add(struct procqueue *, uint64_t);
void	 procqueue_pulled(struct procqueue *, uint64_t);
int	 procqueue_done(struct procqueue *, uint64_t);
uint64_t procqueue_committable(const struct procqueue *);
size_t	 procqueue_inflight(const struct procqueue *);
int	 procqueue_full(const struct procqueue *, size_t);
void	 procqueue_reset(struct procqueue *, uint64_t);

#endif /* PROCQUEUE_H */
