/*
 * libpetrel's consumer API: options and subscriptions are checked and kept
 * on the handle until a start call spawns the consumer actor
 * (actors/consumer.c) on the client's loop and hands it a ConsumerConfig.
 * Messages then come through the handle's box (lib/consumerbox.c): the
 * pull API takes them with petrel_consumer_poll(), the push API has a pool
 * of threads that take a batch of one queue and call the listener.  Either
 * way each message goes back done through the box.
 *
 * Orderly consumption (queue locks, one batch at a time per queue, in
 * offset order) is the actor's: it hands out a queue's next batch only once
 * the last one came back.
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "actor.h"
#include "client.h"
#include "consumer.h"
#include "consumerbox.h"
#include "msg.h"
#include "offsetfile.h"
#include "rebalance.h"
#include "tagexpr.h"
#include "xmalloc.h"

#include "proto/broker.pb-c.h"
#include "proto/consumer.pb-c.h"

#define CONSUMER_THREADS_MAX	64
#define CONSUMER_BATCH_MAX	1024
#define CONSUMER_SUBS_MAX	256
#define CONSUMER_POLL_CHUNK	256
#define CONSUMER_LOCK_MS_MIN	100	/* renewals of orderly queue locks */
#define CONSUMER_LOCK_MS_MAX	29999	/* the broker keeps a lock 60 s */

struct consumer_api_sub {
	char	*topic;
	char	*expr;
};

struct petrel_consumer {
	struct petrel_client		*c;
	struct petrel_consumer_options	 o;
	char				*group;
	char				*offset_file;
	struct consumer_api_sub		*subs;
	size_t				 nsubs;
	struct actor			*actor;
	struct consumerbox		 box;
	int				 started;
	pthread_t			*threads;
	size_t				 nthreads;
	petrel_listener			 listener;
	void				*listener_arg;
};

static void	consumer_api_close(struct petrel_consumer *);

/* The defaults of every option. */
void
petrel_consumer_options_init(struct petrel_consumer_options *o)
{
	memset(o, 0, sizeof *o);
	o->model = PETREL_CLUSTERING;
	o->from = PETREL_FROM_LAST;
	o->rebalance = PETREL_AVERAGE;
	o->threads = 4;
	o->batch = 1;
	o->max_unprocessed = 1000;
	o->max_reconsume = 16;
	o->rebalance_ms = 20000;
	o->pull_batch = 32;
	o->lock_ms = 20000;
}

/* Whether s is a topic or group name a client may use. */
static int
consumer_api_name_ok(const char *s)
{
	return (client_name_ok(s, 0));
}

/* A consumer of client c with options o (the group is required). */
struct petrel_consumer *
petrel_consumer_new(struct petrel_client *c,
    const struct petrel_consumer_options *o, struct petrel_error *err)
{
	struct petrel_consumer	*pc;

	if (c == NULL || o == NULL || o->group == NULL ||
	    !consumer_api_name_ok(o->group)) {
		client_error(err, PETREL_E_BAD_REQUEST, "bad consumer group");
		return (NULL);
	}
	if ((o->model != PETREL_CLUSTERING &&
	    o->model != PETREL_BROADCASTING) ||
	    (o->from != PETREL_FROM_LAST && o->from != PETREL_FROM_FIRST &&
	    o->from != PETREL_FROM_TIME) ||
	    (o->rebalance != PETREL_AVERAGE &&
	    o->rebalance != PETREL_AVERAGE_CIRCLE)) {
		client_error(err, PETREL_E_BAD_REQUEST, "bad consumer option");
		return (NULL);
	}
	if (o->threads > CONSUMER_THREADS_MAX ||
	    o->batch > CONSUMER_BATCH_MAX || o->pull_batch > 1024) {
		client_error(err, PETREL_E_BAD_REQUEST, "threads at most %d, "
		    "batch and pull_batch at most %d", CONSUMER_THREADS_MAX,
		    CONSUMER_BATCH_MAX);
		return (NULL);
	}
	if (o->lock_ms != 0 && (o->lock_ms < CONSUMER_LOCK_MS_MIN ||
	    o->lock_ms > CONSUMER_LOCK_MS_MAX)) {
		client_error(err, PETREL_E_BAD_REQUEST, "lock_ms %u: from %d "
		    "to %d (well within the 60 s a broker keeps a lock)",
		    o->lock_ms, CONSUMER_LOCK_MS_MIN, CONSUMER_LOCK_MS_MAX);
		return (NULL);
	}
	pc = xcalloc(1, sizeof *pc);
	pc->c = c;
	pc->o = *o;
	pc->group = xstrdup(o->group);
	pc->o.group = pc->group;
	if (o->offset_file != NULL && *o->offset_file != '\0')
		pc->offset_file = xstrdup(o->offset_file);
	else if (o->model == PETREL_BROADCASTING)
		pc->offset_file = offsetfile_default_path(o->group);
	pc->o.offset_file = pc->offset_file;
	if (pc->o.threads == 0)
		pc->o.threads = 4;
	if (pc->o.batch == 0)
		pc->o.batch = 1;
	consumerbox_init(&pc->box);
	return (pc);
}

/* Take topic with expression expr ("*" if NULL); before a start. */
int
petrel_consumer_subscribe(struct petrel_consumer *pc, const char *topic,
    const char *expr, struct petrel_error *err)
{
	struct tagexpr	 te;
	char		*cause = NULL;
	size_t		 i;

	if (pc == NULL || topic == NULL || !consumer_api_name_ok(topic)) {
		client_error(err, PETREL_E_BAD_REQUEST, "bad topic name");
		return (-1);
	}
	if (pc->started) {
		client_error(err, PETREL_E_BAD_REQUEST, "consumer already "
		    "started");
		return (-1);
	}
	if (expr == NULL)
		expr = "*";
	if (tagexpr_parse(expr, &te, &cause) != 0) {
		client_error(err, PETREL_E_BAD_REQUEST, "bad expression: %s",
		    cause);
		free(cause);
		return (-1);
	}
	tagexpr_clear(&te);
	for (i = 0; i < pc->nsubs; i++) {
		if (strcmp(pc->subs[i].topic, topic) == 0) {
			free(pc->subs[i].expr);
			pc->subs[i].expr = xstrdup(expr);
			return (0);
		}
	}
	if (pc->nsubs == CONSUMER_SUBS_MAX) {
		client_error(err, PETREL_E_BAD_REQUEST, "too many topics");
		return (-1);
	}
	pc->subs = xreallocarray(pc->subs, pc->nsubs + 1, sizeof *pc->subs);
	pc->subs[pc->nsubs].topic = xstrdup(topic);
	pc->subs[pc->nsubs].expr = xstrdup(expr);
	pc->nsubs++;
	return (0);
}

/* Spawn the actor and configure it for consume type; 0 or -1. */
static int
consumer_api_start(struct petrel_consumer *pc, uint32_t type,
    struct petrel_error *err)
{
	Petrel__ConsumerConfig		*cfg;
	Petrel__ConsumerSubscription	*s;
	struct client_wait		 w;
	size_t				 i;

	if (pc == NULL || pc->started) {
		client_error(err, PETREL_E_BAD_REQUEST, "consumer already "
		    "started");
		return (-1);
	}
	if (pc->nsubs == 0) {
		client_error(err, PETREL_E_BAD_REQUEST, "no subscription");
		return (-1);
	}
	if (client_on_loop(pc->c)) {
		client_error(err, PETREL_E_NOT_SENT, "blocking call in a "
		    "callback of the library");
		return (-1);
	}
	pc->actor = actor_spawn(client_loop(pc->c), &consumer_actor,
	    "consumer");
	if (pc->actor == NULL) {
		client_error(err, PETREL_E_SYSTEM, "cannot start the consumer");
		return (-1);
	}
	cfg = msg_new(&petrel__consumer_config__descriptor);
	cfg->client = (uint64_t)(uintptr_t)pc->c;
	cfg->box = (uint64_t)(uintptr_t)&pc->box;
	client_wait_init(&w, NULL, 0);
	cfg->waiter = (uint64_t)(uintptr_t)&w;
	msg_set_string(&cfg->group, pc->group);
	cfg->model = pc->o.model == PETREL_BROADCASTING ?
	    PETREL__MESSAGE_MODEL__MESSAGE_MODEL_BROADCASTING :
	    PETREL__MESSAGE_MODEL__MESSAGE_MODEL_CLUSTERING;
	switch (pc->o.from) {
	case PETREL_FROM_FIRST:
		cfg->from = PETREL__CONSUME_FROM_WHERE__CONSUME_FROM_FIRST_OFFSET;
		break;
	case PETREL_FROM_TIME:
		cfg->from = PETREL__CONSUME_FROM_WHERE__CONSUME_FROM_TIMESTAMP;
		break;
	default:
		cfg->from = PETREL__CONSUME_FROM_WHERE__CONSUME_FROM_LAST_OFFSET;
		break;
	}
	cfg->from_ms = pc->o.from_ms;
	cfg->strategy = pc->o.rebalance == PETREL_AVERAGE_CIRCLE ?
	    REBALANCE_AVERAGE_CIRCLE : REBALANCE_AVERAGE;
	cfg->max_unprocessed = pc->o.max_unprocessed;
	cfg->max_reconsume = pc->o.max_reconsume;
	msg_set_string(&cfg->offset_file, pc->offset_file != NULL ?
	    pc->offset_file : "");
	cfg->rebalance_ms = pc->o.rebalance_ms;
	cfg->pull_batch = pc->o.pull_batch;
	cfg->orderly = pc->o.orderly != 0;
	cfg->consume_batch = pc->o.batch;
	cfg->lock_ms = pc->o.lock_ms;
	cfg->consume_type = type;
	cfg->subscriptions = xcalloc(pc->nsubs, sizeof *cfg->subscriptions);
	for (i = 0; i < pc->nsubs; i++) {
		s = msg_new(&petrel__consumer_subscription__descriptor);
		msg_set_string(&s->topic, pc->subs[i].topic);
		msg_set_string(&s->expression, pc->subs[i].expr);
		cfg->subscriptions[cfg->n_subscriptions++] = s;
	}
	actor_send(pc->actor, cfg);
	if (client_wait_for(pc->c, &w, err) != 0) {
		/* The actor refused its configuration: close it. */
		consumer_api_close(pc);
		return (-1);
	}
	pc->started = 1;
	return (0);
}

/* Pull: start pulling; messages come from petrel_consumer_poll(). */
int
petrel_consumer_start(struct petrel_consumer *pc, struct petrel_error *err)
{
	return (consumer_api_start(pc, PETREL__CONSUME_TYPE__CONSUME_TYPE_PULL,
	    err));
}

/* A push thread: take a batch of one queue, call back, hand it back. */
static void *
consumer_api_thread(void *arg)
{
	struct petrel_consumer		 *pc = arg;
	struct consumer_msg		**cms;
	struct petrel_msg		**msgs;
	enum petrel_consume_status	  st;
	size_t				  n, i;

	cms = xcalloc(pc->o.batch, sizeof *cms);
	msgs = xcalloc(pc->o.batch, sizeof *msgs);
	while (!consumerbox_closed(&pc->box)) {
		n = consumerbox_take(&pc->box, cms, pc->o.batch, 1, 500);
		if (n == 0)
			continue;
		for (i = 0; i < n; i++)
			msgs[i] = &cms[i]->pm;
		st = pc->listener(msgs, n, pc->listener_arg);
		if (st != PETREL_CONSUME_LATER)
			st = PETREL_CONSUME_SUCCESS;
		for (i = 0; i < n; i++)
			consumerbox_done(&pc->box, cms[i], st);
	}
	free(cms);
	free(msgs);
	return (NULL);
}

/* Push: start pulling and calling listener on a pool of threads. */
int
petrel_consumer_start_push(struct petrel_consumer *pc, petrel_listener fn,
    void *arg, struct petrel_error *err)
{
	size_t	i;

	if (pc == NULL || fn == NULL) {
		client_error(err, PETREL_E_BAD_REQUEST, "no listener");
		return (-1);
	}
	pc->listener = fn;
	pc->listener_arg = arg;
	if (consumer_api_start(pc, PETREL__CONSUME_TYPE__CONSUME_TYPE_PUSH,
	    err) != 0)
		return (-1);
	pc->threads = xcalloc(pc->o.threads, sizeof *pc->threads);
	for (i = 0; i < pc->o.threads; i++) {
		if (pthread_create(&pc->threads[i], NULL, consumer_api_thread,
		    pc) != 0)
			break;
		pc->nthreads++;
	}
	if (pc->nthreads == 0) {
		client_error(err, PETREL_E_SYSTEM, "cannot start threads");
		return (-1);
	}
	return (0);
}

/* Up to max messages, waiting up to timeout_ms for the first. */
int
petrel_consumer_poll(struct petrel_consumer *pc, struct petrel_msg **msgs,
    size_t max, uint32_t timeout_ms, struct petrel_error *err)
{
	struct consumer_msg	*cms[CONSUMER_POLL_CHUNK];
	size_t			 n, i;

	if (pc == NULL || msgs == NULL || max == 0) {
		client_error(err, PETREL_E_BAD_REQUEST, "nowhere to poll to");
		return (-1);
	}
	if (!pc->started || pc->listener != NULL) {
		client_error(err, PETREL_E_BAD_REQUEST, "consumer not started "
		    "for polling");
		return (-1);
	}
	if (max > CONSUMER_POLL_CHUNK)
		max = CONSUMER_POLL_CHUNK;
	n = consumerbox_take(&pc->box, cms, max, 0, timeout_ms);
	for (i = 0; i < n; i++)
		msgs[i] = &cms[i]->pm;
	return ((int)n);
}

/* A polled message is done: consumed, or to be retried; frees it. */
void
petrel_consumer_done(struct petrel_consumer *pc, struct petrel_msg *msg,
    enum petrel_consume_status status)
{
	if (msg == NULL)
		return;
	if (pc == NULL || !pc->started) {
		petrel_msg_free(msg);
		return;
	}
	/* Every message the consumer hands out is a struct consumer_msg. */
	consumerbox_done(&pc->box, (struct consumer_msg *)msg, status);
}

/* The queues owned now (up to max in qs); how many. */
size_t
petrel_consumer_queues(struct petrel_consumer *pc, struct petrel_queue *qs,
    size_t max)
{
	Petrel__ConsumerQueues	*m;
	struct client_wait	 w;

	if (pc == NULL || !pc->started || client_on_loop(pc->c))
		return (0);
	client_wait_init(&w, qs, qs == NULL ? 0 : max);
	m = msg_new(&petrel__consumer_queues__descriptor);
	m->waiter = (uint64_t)(uintptr_t)&w;
	actor_send(pc->actor, m);
	if (client_wait_for(pc->c, &w, NULL) != 0)
		return (0);
	return (w.n);
}

/* Close the actor: commit, leave the group, wait for it to be gone. */
static void
consumer_api_close(struct petrel_consumer *pc)
{
	Petrel__ConsumerClose	*m;
	struct client_wait	 w;

	if (pc->actor == NULL)
		return;
	client_wait_init(&w, NULL, 0);
	m = msg_new(&petrel__consumer_close__descriptor);
	m->waiter = (uint64_t)(uintptr_t)&w;
	actor_send(pc->actor, m);
	client_wait_for(pc->c, &w, NULL);
	pc->actor = NULL;
}

/* Stop pulling, wait for callbacks, commit offsets, leave; free. */
void
petrel_consumer_free(struct petrel_consumer *pc)
{
	size_t	i;

	if (pc == NULL)
		return;
	consumerbox_close(&pc->box);
	for (i = 0; i < pc->nthreads; i++)
		pthread_join(pc->threads[i], NULL);
	free(pc->threads);
	if (!client_on_loop(pc->c))
		consumer_api_close(pc);
	consumerbox_fini(&pc->box);
	for (i = 0; i < pc->nsubs; i++) {
		free(pc->subs[i].topic);
		free(pc->subs[i].expr);
	}
	free(pc->subs);
	free(pc->group);
	free(pc->offset_file);
	free(pc);
}
