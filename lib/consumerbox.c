/*
 * The box between a consumer actor and the application's threads (see
 * consumerbox.h).  The actor puts every message of a pull answer in one
 * call and takes every message done since its last kick in one call, so
 * the lock is taken once per batch on its side.  Application threads take
 * messages (waiting on the condition) and hand them back one by one; the
 * first hand-back after the actor emptied the done list sends it a
 * ConsumerKick, the rest ride on it.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "actor.h"
#include "consumerbox.h"
#include "msg.h"
#include "xmalloc.h"

#include "proto/consumer.pb-c.h"

/* An empty box. */
void
consumerbox_init(struct consumerbox *b)
{
	pthread_condattr_t	attr;

	memset(b, 0, sizeof *b);
	pthread_mutex_init(&b->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&b->cond, &attr);
	pthread_condattr_destroy(&attr);
}

/* Free the box and every message still in it. */
void
consumerbox_fini(struct consumerbox *b)
{
	size_t	i;

	for (i = 0; i < b->rlen; i++)
		petrel_msg_free(&b->ready[(b->rhead + i) % b->rsize]->pm);
	for (i = 0; i < b->ndone; i++)
		petrel_msg_free(&b->done[i]->pm);
	free(b->ready);
	free(b->done);
	pthread_mutex_destroy(&b->lock);
	pthread_cond_destroy(&b->cond);
}

/* Name the actor to kick (0: none any more). */
void
consumerbox_set_actor(struct consumerbox *b, uint64_t ref)
{
	pthread_mutex_lock(&b->lock);
	b->actor = ref;
	b->kicked = 0;
	pthread_mutex_unlock(&b->lock);
}

/* Whether two messages came from the same queue. */
int
consumerbox_same_queue(const struct consumer_msg *a,
    const struct consumer_msg *b)
{
	return (a->queue == b->queue);
}

/* Hand n messages (taken over) to the application's threads (actor). */
void
consumerbox_put(struct consumerbox *b, struct consumer_msg **msgs, size_t n)
{
	struct consumer_msg	**ring;
	size_t			  size, i;

	if (n == 0)
		return;
	pthread_mutex_lock(&b->lock);
	if (b->rlen + n > b->rsize) {
		size = b->rsize == 0 ? 64 : b->rsize;
		while (size < b->rlen + n)
			size *= 2;
		ring = xreallocarray(NULL, size, sizeof *ring);
		for (i = 0; i < b->rlen; i++)
			ring[i] = b->ready[(b->rhead + i) % b->rsize];
		free(b->ready);
		b->ready = ring;
		b->rsize = size;
		b->rhead = 0;
	}
	for (i = 0; i < n; i++)
		b->ready[(b->rhead + b->rlen++) % b->rsize] = msgs[i];
	pthread_cond_broadcast(&b->cond);
	pthread_mutex_unlock(&b->lock);
}

/*
 * Take up to max messages, waiting up to timeout_ms for the first; with
 * one_queue, only messages of the first one's queue (a push callback's
 * batch).  How many; 0 on timeout or once the box closes.
 */
size_t
consumerbox_take(struct consumerbox *b, struct consumer_msg **out,
    size_t max, int one_queue, uint32_t timeout_ms)
{
	struct timespec	 ts;
	size_t		 n = 0;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&b->lock);
	while (b->rlen == 0 && !b->closing) {
		if (pthread_cond_timedwait(&b->cond, &b->lock, &ts) ==
		    ETIMEDOUT)
			break;
	}
	while (!b->closing && b->rlen != 0 && n < max) {
		if (one_queue && n != 0 &&
		    !consumerbox_same_queue(out[0], b->ready[b->rhead]))
			break;
		out[n++] = b->ready[b->rhead];
		b->rhead = (b->rhead + 1) % b->rsize;
		b->rlen--;
	}
	pthread_mutex_unlock(&b->lock);
	return (n);
}

/* A message taken is done with status: back to the actor (any thread). */
void
consumerbox_done(struct consumerbox *b, struct consumer_msg *cm,
    enum petrel_consume_status status)
{
	struct actor		*a;
	Petrel__ConsumerKick	*k;

	cm->status = status;
	pthread_mutex_lock(&b->lock);
	if (b->actor == 0) {
		pthread_mutex_unlock(&b->lock);
		petrel_msg_free(&cm->pm);
		return;
	}
	if (b->ndone == b->sizedone) {
		b->sizedone = b->sizedone == 0 ? 64 : b->sizedone * 2;
		b->done = xreallocarray(b->done, b->sizedone, sizeof *b->done);
	}
	b->done[b->ndone++] = cm;
	/*
	 * Send under the lock: the actor clears b->actor under it before it
	 * frees itself, so a is alive while we hold it.
	 */
	if (!b->kicked && (a = actor_deref(b->actor)) != NULL) {
		b->kicked = 1;
		k = msg_new(&petrel__consumer_kick__descriptor);
		actor_send(a, k);
	}
	pthread_mutex_unlock(&b->lock);
}

/*
 * Every message done since the last call, in *out (the caller frees the
 * array and the messages); the next hand-back kicks again (actor).
 */
size_t
consumerbox_take_done(struct consumerbox *b, struct consumer_msg ***out)
{
	size_t	n;

	pthread_mutex_lock(&b->lock);
	*out = b->done;
	n = b->ndone;
	b->done = NULL;
	b->ndone = b->sizedone = 0;
	b->kicked = 0;
	pthread_mutex_unlock(&b->lock);
	return (n);
}

/* Wake every waiting thread: nothing more will be handed out. */
void
consumerbox_close(struct consumerbox *b)
{
	pthread_mutex_lock(&b->lock);
	b->closing = 1;
	pthread_cond_broadcast(&b->cond);
	pthread_mutex_unlock(&b->lock);
}

/* Whether the box was closed. */
int
consumerbox_closed(struct consumerbox *b)
{
	int	closed;

	pthread_mutex_lock(&b->lock);
	closed = b->closing;
	pthread_mutex_unlock(&b->lock);
	return (closed);
}
