/*
 * Client-side rebalance of a clustering consumer group: every member sorts
 * the group's members (byte order) and a topic's queues (broker name, then
 * queue id) the same way and takes its share, so every queue has exactly
 * one owner and every member computes the same answer without talking to
 * the others.
 */
#ifndef REBALANCE_H
#define REBALANCE_H

#include <stddef.h>
#include <stdint.h>

enum rebalance_strategy {
	REBALANCE_AVERAGE,		/* contiguous runs of queues */
	REBALANCE_AVERAGE_CIRCLE	/* queue i to member i mod n */
};

/* A queue of a topic on a broker, as rebalance sorts it. */
struct rebalance_queue {
	const char	*broker;
	uint32_t	 queue_id;
};

void	rebalance_sort_members(const char **, size_t);
void	rebalance_sort_queues(struct rebalance_queue *, size_t);
int	rebalance_queue_cmp(const struct rebalance_queue *,
	    const struct rebalance_queue *);
long	rebalance_member_index(const char *const *, size_t, const char *);
size_t	rebalance_allocate(enum rebalance_strategy, size_t, size_t, size_t,
	    size_t *);
int	rebalance_strategy_parse(const char *, enum rebalance_strategy *);

#endif /* REBALANCE_H */
