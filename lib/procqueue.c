/*
 * Per-queue bookkeeping of messages in flight on a consumer (see
 * procqueue.h).  Offsets are added in ascending order as pulls answer, so
 * they sit in a ring buffer sorted by construction; marking one done finds
 * it by binary search and then drops every done offset from the front.
 * The consumer actor owns one per queue; nothing here is thread-safe.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "procqueue.h"
#include "xmalloc.h"

#define PROCQUEUE_MIN	16

/* Offset in slot i (counting from the head). */
static uint64_t
procqueue_at(const struct procqueue *pq, size_t i)
{
	return (pq->offsets[(pq->head + i) % pq->size]);
}

/* An empty queue whose next pull starts at offset. */
void
procqueue_init(struct procqueue *pq, uint64_t offset)
{
	memset(pq, 0, sizeof *pq);
	pq->next = offset;
}

/* Free the buffers of pq. */
void
procqueue_clear(struct procqueue *pq)
{
	free(pq->offsets);
	free(pq->done);
	memset(pq, 0, sizeof *pq);
}

/* Forget everything in flight and start pulling again at offset. */
void
procqueue_reset(struct procqueue *pq, uint64_t offset)
{
	pq->head = pq->len = pq->inflight = 0;
	pq->next = offset;
}

/* Grow the ring, unrolling it so the head is slot 0. */
static void
procqueue_grow(struct procqueue *pq)
{
	size_t		 size, i;
	uint64_t	*offsets;
	uint8_t		*done;

	size = pq->size == 0 ? PROCQUEUE_MIN : pq->size * 2;
	offsets = xreallocarray(NULL, size, sizeof *offsets);
	done = xmalloc(size);
	for (i = 0; i < pq->len; i++) {
		offsets[i] = procqueue_at(pq, i);
		done[i] = pq->done[(pq->head + i) % pq->size];
	}
	free(pq->offsets);
	free(pq->done);
	pq->offsets = offsets;
	pq->done = done;
	pq->size = size;
	pq->head = 0;
}

/*
 * A message at offset was pulled and is now in flight; the next pull
 * starts after it at the earliest.  0, or -1 if offset is not above every
 * offset already added (a desynchronized caller; nothing changes).
 */
int
procqueue_add(struct procqueue *pq, uint64_t offset)
{
	size_t	slot;

	if (pq->len != 0 && offset <= procqueue_at(pq, pq->len - 1))
		return (-1);
	if (pq->len == pq->size)
		procqueue_grow(pq);
	slot = (pq->head + pq->len) % pq->size;
	pq->offsets[slot] = offset;
	pq->done[slot] = 0;
	pq->len++;
	pq->inflight++;
	if (offset >= pq->next)
		pq->next = offset + 1;
	return (0);
}

/* A pull answered: the next one starts at next (never moves back here). */
void
procqueue_pulled(struct procqueue *pq, uint64_t next)
{
	if (next > pq->next)
		pq->next = next;
}

/*
 * The message at offset is done (consumed or sent back).  1 if it was in
 * flight, 0 if not (already done, or dropped by a reset).
 */
int
procqueue_done(struct procqueue *pq, uint64_t offset)
{
	size_t	lo = 0, hi = pq->len, mid, slot;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (procqueue_at(pq, mid) < offset)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == pq->len || procqueue_at(pq, lo) != offset)
		return (0);
	slot = (pq->head + lo) % pq->size;
	if (pq->done[slot])
		return (0);
	pq->done[slot] = 1;
	pq->inflight--;
	while (pq->len != 0 && pq->done[pq->head]) {
		pq->head = (pq->head + 1) % pq->size;
		pq->len--;
	}
	return (1);
}

/* The offset to commit: the lowest not done, else the next pull's. */
uint64_t
procqueue_committable(const struct procqueue *pq)
{
	if (pq->len != 0)
		return (procqueue_at(pq, 0));
	return (pq->next);
}

/* Messages pulled and not yet done. */
size_t
procqueue_inflight(const struct procqueue *pq)
{
	return (pq->inflight);
}

/* Whether pulling must pause: more than max messages in flight. */
int
procqueue_full(const struct procqueue *pq, size_t max)
{
	return (pq->inflight > max);
}
