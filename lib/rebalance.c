/*
 * Queue allocation strategies of a clustering consumer group (RocketMQ's
 * AllocateMessageQueueAveragely and AllocateMessageQueueAveragelyByCircle).
 * The consumer actor calls them with the members it got from
 * CODE_GET_CONSUMER_LIST and the read queues of the topic's route; nothing
 * here talks to anyone.
 *
 * Average: with q = nqueues / nmembers and r = nqueues % nmembers, member
 * i takes the q + (i < r) queues starting at i * q + min(i, r).  Circle:
 * queue j goes to member j % nmembers.  Both hand every queue to exactly
 * one member; members past the queues get none.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "rebalance.h"

/* qsort(3) comparison of two member ids. */
static int
rebalance_member_cmp(const void *a, const void *b)
{
	return (strcmp(*(const char *const *)a, *(const char *const *)b));
}

/* qsort(3) comparison of two queues. */
static int
rebalance_queue_qcmp(const void *a, const void *b)
{
	return (rebalance_queue_cmp(a, b));
}

/* Sort member ids in byte order, as the broker lists them. */
void
rebalance_sort_members(const char **members, size_t n)
{
	if (n > 1)
		qsort(members, n, sizeof *members, rebalance_member_cmp);
}

/* Order of two queues: broker name, then queue id. */
int
rebalance_queue_cmp(const struct rebalance_queue *a,
    const struct rebalance_queue *b)
{
	int	c;

	if ((c = strcmp(a->broker, b->broker)) != 0)
		return (c);
	if (a->queue_id != b->queue_id)
		return (a->queue_id < b->queue_id ? -1 : 1);
	return (0);
}

/* Sort queues by broker name, then queue id. */
void
rebalance_sort_queues(struct rebalance_queue *queues, size_t n)
{
	if (n > 1)
		qsort(queues, n, sizeof *queues, rebalance_queue_qcmp);
}

/* Index of me among n sorted members, or -1 if it is not one of them. */
long
rebalance_member_index(const char *const *members, size_t n, const char *me)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (strcmp(members[i], me) == 0)
			return ((long)i);
	}
	return (-1);
}

/*
 * The queues member me (an index below nmembers) owns out of nqueues
 * sorted queues: their indexes, ascending, written to owned (room for
 * nqueues); returns how many.
 */
size_t
rebalance_allocate(enum rebalance_strategy strategy, size_t nmembers,
    size_t me, size_t nqueues, size_t *owned)
{
	size_t	q, r, start, len, i, n = 0;

	if (nmembers == 0 || me >= nmembers || nqueues == 0)
		return (0);
	switch (strategy) {
	case REBALANCE_AVERAGE:
		q = nqueues / nmembers;
		r = nqueues % nmembers;
		start = me * q + (me < r ? me : r);
		len = q + (me < r ? 1 : 0);
		for (i = 0; i < len; i++)
			owned[n++] = start + i;
		break;
	case REBALANCE_AVERAGE_CIRCLE:
		for (i = me; i < nqueues; i += nmembers)
			owned[n++] = i;
		break;
	}
	return (n);
}

/* "average" or "circle" (also "average-by-circle"); 0 or -1. */
int
rebalance_strategy_parse(const char *s, enum rebalance_strategy *out)
{
	if (strcmp(s, "average") == 0)
		*out = REBALANCE_AVERAGE;
	else if (strcmp(s, "circle") == 0 ||
	    strcmp(s, "average-by-circle") == 0)
		*out = REBALANCE_AVERAGE_CIRCLE;
	else
		return (-1);
	return (0);
}
