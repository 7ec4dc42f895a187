/*
 * Consumer: one per started petrel_consumer, on its client's loop.  Takes
 * its configuration (ConsumerConfig) from lib/petrel_consumer.c, then on
 * its own: registers the group's ConsumerData for the client's heartbeats
 * (lib/client.c), rebalances, pulls the queues it owns, hands the messages
 * to the application through the box (lib/consumerbox.c), takes them back
 * done (ConsumerKick), sends back those to retry and commits offsets.
 *
 * Rebalance (every rebalance_ms, 20 s by default, at once when a broker
 * sends CODE_NOTIFY_CONSUMER_IDS_CHANGED on a connection the consumer
 * used, and 1 s after a round that did not find this member in the
 * group): for each subscription the
 * topic's route, then (clustering) the group's members from a broker of
 * the route (CODE_GET_CONSUMER_LIST), then lib/rebalance.c's share of the
 * read queues; broadcasting takes every read queue.  A queue newly owned
 * asks where to start (CODE_QUERY_CONSUMER_OFFSET or the offset file, else
 * from-where: CODE_GET_MAX_OFFSET, 0 or CODE_SEARCH_OFFSET_BY_TIME); a
 * queue no longer owned has its offset committed and is dropped.
 *
 * Orderly (as RocketMQ's ConsumeMessageOrderlyService): in clustering a
 * queue newly owned is first locked on its broker (CODE_LOCK_BATCH_MQ), and
 * only then asked where to start and pulled; every owned queue's lock is
 * renewed every lock_ms (20 s by default; the broker keeps one 60 s) and one
 * not renewed for one and a half lock_ms (30 s) is not consumed, so a short
 * lock_ms suits a broker that keeps locks a short time.  Pulled messages
 * wait on the queue (held) and go to the box one batch at a time: the next
 * only once the last came back, so callbacks of a queue run one at a time in
 * offset order.  A batch done LATER is handed out again after a second
 * (reconsume times counted here) until max_reconsume, then sent to the DLQ.
 * A queue given up waits for its batch, commits its offset, then is unlocked
 * (CODE_UNLOCK_BATCH_MQ); closing unlocks every queue after the commits.
 *
 * Pulls: one at a time per queue, long polling (suspended 15 s at the
 * broker), carrying the offset to commit.  An answer is decoded in place
 * (client_pull_decode()), each message into one block with its struct
 * consumer_msg; one that does not decode fails the whole answer.
 * Messages are checked against the tag expression by string,
 * decompressed, presented under their original topic when they come from
 * %RETRY%<group>, and tracked per queue in a struct procqueue until done.
 * A queue with more than max_unprocessed messages in flight stops pulling
 * until some are done.  A failed pull is tried again a second later.
 *
 * Offsets: every 5 s, and when closing, the lowest offset not done of each
 * queue goes to its broker (CODE_COMMIT_CONSUMER_OFFSETS, only changed
 * ones), or for broadcasting to the offset file.  Messages done LATER go
 * back to the broker (CODE_CONSUMER_SEND_BACK); one the broker does not
 * take is handed to the application again.
 *
 * Calls in flight hold a struct consumer_call; closing marks them dead so
 * their callbacks only free what they got, and the actor frees itself once
 * its last offsets are committed and it left the group.
 */
#include "config.h"

#include <sys/queue.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actor.h"
#include "client.h"
#include "clock.h"
#include "consumer.h"
#include "consumerbox.h"
#include "idmap.h"
#include "log.h"
#include "msg.h"
#include "offsetfile.h"
#include "procqueue.h"
#include "rebalance.h"
#include "rpc.h"
#include "strmap.h"
#include "tagexpr.h"
#include "xmalloc.h"

#include "proto/consumer.pb-c.h"
#include "proto/frame.pb-c.h"
#include "proto/runtime.pb-c.h"

#define CONSUMER_TICK_REBALANCE	1
#define CONSUMER_TICK_COMMIT	2
#define CONSUMER_TICK_RETRY	3
#define CONSUMER_TICK_SOON	4
#define CONSUMER_TICK_LOCK	5
#define CONSUMER_TICK_NOTIFY	6

#define CONSUMER_COMMIT_MS	5000
#define CONSUMER_RETRY_MS	1000
#define CONSUMER_SOON_MS	1000
#define CONSUMER_SUSPEND_MS	15000
#define CONSUMER_PULL_TIMEOUT	(CONSUMER_SUSPEND_MS + 5000)
#define CONSUMER_RETRY_PREFIX	"%RETRY%"
#define CONSUMER_LOCK_MS	20000	/* renew the broker's queue locks */
#define CONSUMER_SUSPEND_ORDER	1000	/* orderly LATER: pause the queue */

enum consumer_call_kind {
	CALL_MEMBERS,
	CALL_OFFSET,
	CALL_START,
	CALL_PULL,
	CALL_BACK,
	CALL_COMMIT,
	CALL_LEAVE,
	CALL_LOCK,
	CALL_UNLOCK
};

struct consumer;

/* One subscription: a topic and how it is filtered. */
struct consumer_sub {
	struct consumer		*c;
	uint32_t		 index;
	char			*topic;
	char			*expr;
	struct tagexpr		 te;
	int			 retry;		/* %RETRY%<group> */
	uint64_t		 seq;		/* of the rebalance round */
};

enum consumer_queue_state {
	QUEUE_LOCKING,				/* orderly: to lock first */
	QUEUE_OFFSET,				/* asking where to start */
	QUEUE_IDLE,				/* ready, no pull out */
	QUEUE_PULLING,
	QUEUE_WAITING				/* to retry, or paused */
};

/* A queue owned. */
struct consumer_queue {
	uint64_t		 id;		/* in c->queues */
	struct consumer_sub	*sub;
	char			*broker;
	uint32_t		 queue_id;
	enum consumer_queue_state state;
	int			 dropped;	/* no longer owned */
	int			 calls;		/* calls out naming it */
	uint64_t		 retry_at;	/* monotonic ms, QUEUE_WAITING */
	uint64_t		 committed;	/* last offset committed */
	int			 committed_set;
	struct procqueue	 pq;

	/* Orderly only. */
	int			 locked;	/* held on the broker */
	uint64_t		 lock_until;	/* monotonic ms */
	uint64_t		 lock_seq;	/* of the lock call out, 0 none */
	int			 released;	/* dropped: commit, unlock out */
	struct consumer_msg	**held;		/* pulled, not handed out */
	size_t			 nheld, sizeheld;
	struct consumer_msg	**out;		/* the batch handed out */
	size_t			 nout, nback;
	size_t			 backs;		/* send backs out */
	uint64_t		 suspend_until;	/* monotonic ms */
};

/* A call in flight. */
struct consumer_call {
	struct consumer			*c;		/* NULL: dead */
	enum consumer_call_kind		 kind;
	struct consumer_sub		*sub;
	struct consumer_queue		*q;
	struct consumer_msg		*msg;		/* CALL_BACK */
	uint64_t			 seq;
	uint64_t			 at;		/* CALL_LOCK: sent */
	TAILQ_ENTRY(consumer_call)	 entry;
};
TAILQ_HEAD(consumer_calls, consumer_call);

struct consumer {
	struct actor		*self;
	struct petrel_client	*client;
	struct consumerbox	*box;
	int			 configured;
	char			*group;
	uint32_t		 model;
	uint32_t		 from;
	uint64_t		 from_ms;
	enum rebalance_strategy	 strategy;
	uint32_t		 max_unprocessed;
	uint32_t		 max_reconsume;
	uint32_t		 pull_batch;
	uint32_t		 consume_type;
	int			 orderly;	/* one batch a queue at a time */
	int			 locks;		/* orderly clustering: lock */
	uint32_t		 batch;		/* orderly: messages handed out */
	uint32_t		 lock_ms;	/* between lock renewals */
	uint64_t		 lock_seq;
	uint64_t		 relock_at;	/* monotonic ms */
	uint64_t		 ref;		/* actor_ref(self) */
	struct offsetfile	*offsets;
	struct consumer_sub	*subs;
	size_t			 nsubs;
	struct idmap		*queues;	/* id -> struct consumer_queue */
	uint64_t		 next_id;
	uint64_t		 seq;
	struct consumer_calls	 calls;
	struct client_wait	*closer;
	int			 closing;
	size_t			 leaving;	/* commit, leave calls out */
	int			 soon;		/* CONSUMER_TICK_SOON armed */
};

static int	consumer_init(struct actor *, void *);
static void	consumer_fini(void *);
static int	consumer_on_config(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	consumer_on_kick(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	consumer_on_queues(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	consumer_on_close(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	consumer_on_tick(void *, ProtobufCMessage *,
		    const struct envelope *);

static void	consumer_start_queue(struct consumer *,
		    struct consumer_queue *);

static void	consumer_rebalance(struct consumer *);
static void	consumer_pull(struct consumer *, struct consumer_queue *);
static void	consumer_commit(struct consumer *, int);
static void	consumer_leave(struct consumer *);
static void	consumer_release(struct consumer *, struct consumer_queue *);
static void	consumer_lock(struct consumer *, int);
static void	consumer_feed(struct consumer *, struct consumer_queue *);
static void	consumer_lock_forget(struct consumer *, uint64_t);
static void	consumer_unlock(struct consumer *, struct consumer_queue *);
static void	consumer_commit_cb(uint32_t, const char *, ProtobufCMessage *,
		    void *);

static const struct actor_handler consumer_handlers[] = {
	{ &petrel__consumer_config__descriptor, consumer_on_config },
	{ &petrel__consumer_kick__descriptor, consumer_on_kick },
	{ &petrel__consumer_queues__descriptor, consumer_on_queues },
	{ &petrel__consumer_close__descriptor, consumer_on_close },
	{ &petrel__tick__descriptor, consumer_on_tick },
	{ NULL, NULL }
};

const struct actor_type consumer_actor = {
	.name = "consumer",
	.size = sizeof(struct consumer),
	.init = consumer_init,
	.fini = consumer_fini,
	.handlers = consumer_handlers
};

static int
consumer_init(struct actor *a, void *state)
{
	struct consumer	*c = state;

	c->self = a;
	c->queues = idmap_new();
	TAILQ_INIT(&c->calls);
	return (0);
}

/* Free a queue's state. */
static void
consumer_queue_free(struct consumer_queue *q)
{
	size_t	i;

	/* The batch out belongs to the application until handed back. */
	for (i = 0; i < q->nheld; i++)
		petrel_msg_free(&q->held[i]->pm);
	free(q->held);
	free(q->out);
	procqueue_clear(&q->pq);
	free(q->broker);
	free(q);
}

static void
consumer_fini(void *state)
{
	struct consumer		*c = state;
	struct consumer_call	*call;
	struct consumer_queue	*q;
	size_t			 i, iter = 0;
	uint64_t		 id;

	/* Calls still out free themselves when answered. */
	while ((call = TAILQ_FIRST(&c->calls)) != NULL) {
		TAILQ_REMOVE(&c->calls, call, entry);
		call->c = NULL;
	}
	while ((q = idmap_next(c->queues, &iter, &id)) != NULL)
		consumer_queue_free(q);
	idmap_free(c->queues);
	for (i = 0; i < c->nsubs; i++) {
		free(c->subs[i].topic);
		free(c->subs[i].expr);
		tagexpr_clear(&c->subs[i].te);
	}
	free(c->subs);
	offsetfile_free(c->offsets);
	free(c->group);
}

/* A call about to go out, in the list of calls. */
static struct consumer_call *
consumer_call_new(struct consumer *c, enum consumer_call_kind kind,
    struct consumer_sub *sub, struct consumer_queue *q)
{
	struct consumer_call	*call;

	call = xcalloc(1, sizeof *call);
	call->c = c;
	call->kind = kind;
	call->sub = sub;
	call->q = q;
	if (q != NULL)
		q->calls++;
	TAILQ_INSERT_TAIL(&c->calls, call, entry);
	return (call);
}

/*
 * A call was answered: take it off the list.  Returns the consumer, or
 * NULL if the consumer closed meanwhile (the call is then freed).
 */
static struct consumer *
consumer_call_end(struct consumer_call *call)
{
	struct consumer	*c = call->c;

	if (c == NULL) {
		if (call->msg != NULL)
			petrel_msg_free(&call->msg->pm);
		free(call);
		return (NULL);
	}
	TAILQ_REMOVE(&c->calls, call, entry);
	if (call->q != NULL)
		call->q->calls--;
	return (c);
}

/*
 * A call that needs nothing more of its answer or of itself was answered:
 * free both.  Returns the consumer, or NULL if it closed meanwhile.
 */
static struct consumer *
consumer_call_over(struct consumer_call *call, ProtobufCMessage *body)
{
	struct consumer	*c;

	msg_free(body);
	if ((c = consumer_call_end(call)) != NULL)
		free(call);
	return (c);
}

/*
 * Send a call to address; the callback, cb or (for an answer left
 * encoded) rawcb, gets call.  0 or -1 (freed).
 */
static int
consumer_call_out(struct consumer *c, struct consumer_call *call,
    const char *address, uint32_t code, const ProtobufCMessage *req,
    uint32_t timeout_ms, rpc_cb cb, rpc_raw_cb rawcb)
{
	struct rpc	*rpc;
	int		 rc = -1;

	if (address != NULL &&
	    (rpc = client_conn(c->client, address)) != NULL) {
		if (rawcb != NULL)
			rc = rpc_call_raw(rpc, code, req, timeout_ms, rawcb,
			    call);
		else
			rc = rpc_call(rpc, code, req, timeout_ms, cb, call);
	}
	if (rc != 0) {
		consumer_call_end(call);
		free(call);
	}
	return (rc);
}

/* Send a call to address; the callback gets call.  0 or -1 (freed). */
static int
consumer_call_send(struct consumer *c, struct consumer_call *call,
    const char *address, uint32_t code, const ProtobufCMessage *req,
    uint32_t timeout_ms, rpc_cb cb)
{
	return (consumer_call_out(c, call, address, code, req, timeout_ms, cb,
	    NULL));
}

/* The master address of a queue's broker, from the topic's route. */
static const char *
consumer_address(struct consumer *c, struct consumer_sub *sub,
    const char *broker)
{
	const struct client_route	*r;

	if ((r = client_route_get(c->client, sub->topic)) == NULL)
		return (NULL);
	return (client_route_master(r, broker));
}

/*
 * Drop a queue whose last call ended.  An orderly queue first waits for
 * its batch out, commits its offset and then unlocks it on the broker, so
 * the next owner starts where this one stopped.
 */
static void
consumer_queue_gc(struct consumer *c, struct consumer_queue *q)
{
	if (!q->dropped)
		return;
	if (c->locks && q->lock_seq != 0 && !c->closing)
		return;			/* a lock call out: its answer first */
	if (c->locks && q->locked && !q->released && !c->closing) {
		if (q->nout != 0 || q->backs != 0)
			return;
		q->released = 1;
		consumer_release(c, q);
		return;
	}
	if (q->calls == 0 && q->nout == 0) {
		idmap_remove(c->queues, q->id);
		consumer_queue_free(q);
	}
}

/* Try q again in CONSUMER_RETRY_MS. */
static void
consumer_queue_later(struct consumer_queue *q)
{
	q->state = QUEUE_WAITING;
	q->retry_at = clock_mono_ms() + CONSUMER_RETRY_MS;
}

/* The heartbeat data of the group, for lib/client.c. */
static Petrel__ConsumerData *
consumer_data(struct consumer *c)
{
	Petrel__ConsumerData	*d;
	Petrel__Subscription	*s;
	struct consumer_sub	*sub;
	size_t			 i, j;

	d = msg_new(&petrel__consumer_data__descriptor);
	msg_set_string(&d->group, c->group);
	d->consume_type = c->consume_type;
	d->message_model = c->model;
	d->consume_from_where = c->from;
	d->subscriptions = xcalloc(c->nsubs, sizeof *d->subscriptions);
	for (i = 0; i < c->nsubs; i++) {
		sub = &c->subs[i];
		s = msg_new(&petrel__subscription__descriptor);
		msg_set_string(&s->topic, sub->topic);
		msg_set_string(&s->sub_expression, sub->te.all ? "*" :
		    sub->expr);
		if (sub->te.ntags != 0) {
			s->tags = xcalloc(sub->te.ntags, sizeof *s->tags);
			s->tag_hashes = xcalloc(sub->te.ntags,
			    sizeof *s->tag_hashes);
			for (j = 0; j < sub->te.ntags; j++) {
				s->tags[j] = xstrdup(sub->te.tags[j]);
				s->tag_hashes[j] = sub->te.hashes[j];
			}
			s->n_tags = s->n_tag_hashes = sub->te.ntags;
		}
		s->sub_version = 1;
		d->subscriptions[d->n_subscriptions++] = s;
	}
	return (d);
}

/* Add a subscription (the topic and expression checked already). */
static int
consumer_add_sub(struct consumer *c, const char *topic, const char *expr,
    int retry, char **cause)
{
	struct consumer_sub	*sub;

	c->subs = xreallocarray(c->subs, c->nsubs + 1, sizeof *c->subs);
	sub = &c->subs[c->nsubs];
	memset(sub, 0, sizeof *sub);
	if (tagexpr_parse(expr, &sub->te, cause) != 0)
		return (-1);
	sub->index = (uint32_t)c->nsubs;
	sub->topic = xstrdup(topic);
	sub->expr = xstrdup(expr);
	sub->retry = retry;
	c->nsubs++;
	return (0);
}

static int
consumer_on_config(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct consumer		*c = state;
	Petrel__ConsumerConfig	*cfg = (Petrel__ConsumerConfig *)m;
	struct client_wait	*w;
	char			*cause = NULL, *retry;
	size_t			 i;

	(void)env;
	w = (struct client_wait *)(uintptr_t)cfg->waiter;
	if (c->configured || cfg->client == 0 || cfg->box == 0 ||
	    *cfg->group == '\0' || cfg->n_subscriptions == 0) {
		cause = xstrdup("bad consumer configuration");
		goto fail;
	}
	c->client = (struct petrel_client *)(uintptr_t)cfg->client;
	c->box = (struct consumerbox *)(uintptr_t)cfg->box;
	c->group = xstrdup(cfg->group);
	c->model = cfg->model;
	c->from = cfg->from;
	c->from_ms = cfg->from_ms;
	c->strategy = cfg->strategy == REBALANCE_AVERAGE_CIRCLE ?
	    REBALANCE_AVERAGE_CIRCLE : REBALANCE_AVERAGE;
	c->max_unprocessed = cfg->max_unprocessed != 0 ?
	    cfg->max_unprocessed : 1000;
	c->max_reconsume = cfg->max_reconsume;
	c->pull_batch = cfg->pull_batch != 0 ? cfg->pull_batch : 32;
	if (c->pull_batch > 1024)
		c->pull_batch = 1024;
	c->consume_type = cfg->consume_type;
	c->orderly = cfg->orderly;
	c->locks = c->orderly &&
	    c->model == PETREL__MESSAGE_MODEL__MESSAGE_MODEL_CLUSTERING;
	c->batch = cfg->consume_batch != 0 ? cfg->consume_batch : 1;
	c->lock_ms = cfg->lock_ms != 0 ? cfg->lock_ms : CONSUMER_LOCK_MS;
	if (c->max_reconsume == 0)
		c->max_reconsume = 16;
	c->ref = actor_ref(c->self);
	for (i = 0; i < cfg->n_subscriptions; i++) {
		if (consumer_add_sub(c, cfg->subscriptions[i]->topic,
		    cfg->subscriptions[i]->expression, 0, &cause) != 0)
			goto fail;
	}
	if (c->model == PETREL__MESSAGE_MODEL__MESSAGE_MODEL_CLUSTERING) {
		xasprintf(&retry, "%s%s", CONSUMER_RETRY_PREFIX, c->group);
		if (consumer_add_sub(c, retry, "*", 1, &cause) != 0) {
			free(retry);
			goto fail;
		}
		free(retry);
	} else {
		if (*cfg->offset_file == '\0') {
			cause = xstrdup("no offset file");
			goto fail;
		}
		c->offsets = offsetfile_open(cfg->offset_file, c->group,
		    &cause);
		if (c->offsets == NULL)
			goto fail;
	}
	c->configured = 1;
	client_set_consumer(c->client, c->group, consumer_data(c));
	/* Hear the brokers' notices of members coming and going. */
	client_watch_group(c->client, c->group, actor_ref(c->self),
	    CONSUMER_TICK_NOTIFY);
	consumerbox_set_actor(c->box, actor_ref(c->self));
	actor_timer(c->self, CONSUMER_TICK_REBALANCE, cfg->rebalance_ms != 0 ?
	    cfg->rebalance_ms : 20000, 1);
	actor_timer(c->self, CONSUMER_TICK_COMMIT, CONSUMER_COMMIT_MS, 1);
	actor_timer(c->self, CONSUMER_TICK_RETRY, CONSUMER_RETRY_MS / 4, 1);
	if (c->locks)
		actor_timer(c->self, CONSUMER_TICK_LOCK, c->lock_ms, 1);
	consumer_rebalance(c);
	if (w != NULL)
		client_wait_done(w, PETREL_OK, NULL);
	return (0);

fail:
	log_warnx("%s: %s", __func__, cause);
	if (w != NULL)
		client_wait_done(w, PETREL_E_BAD_REQUEST, cause);
	free(cause);
	return (-1);
}

/* Keep n messages of orderly q to hand out, before the rest if front. */
static void
consumer_hold(struct consumer_queue *q, struct consumer_msg **msgs, size_t n,
    int front)
{
	if (q->nheld + n > q->sizeheld) {
		q->sizeheld = q->sizeheld == 0 ? 64 : q->sizeheld;
		while (q->sizeheld < q->nheld + n)
			q->sizeheld *= 2;
		q->held = xreallocarray(q->held, q->sizeheld, sizeof *q->held);
	}
	if (front) {
		memmove(q->held + n, q->held, q->nheld * sizeof *q->held);
		memcpy(q->held, msgs, n * sizeof *q->held);
	} else
		memcpy(q->held + q->nheld, msgs, n * sizeof *q->held);
	q->nheld += n;
}

/* A message done LATER went back to the broker, or did not. */
static void
consumer_back_cb(uint32_t status, const char *error, ProtobufCMessage *body,
    void *arg)
{
	struct consumer_call	*call = arg;
	struct consumer		*c;
	struct consumer_msg	*cm = call->msg;
	struct consumer_queue	*q = call->q;

	if ((c = consumer_call_over(call, body)) == NULL)
		return;
	if (c->orderly)
		q->backs--;
	if (status == PETREL__STATUS__STATUS_OK)
		procqueue_done(&q->pq, cm->pm.m->queue_offset);
	if (q->dropped) {
		petrel_msg_free(&cm->pm);
		consumer_queue_gc(c, q);
		return;
	}
	if (status != PETREL__STATUS__STATUS_OK) {
		/* Not taken: consume it again here (orderly: first). */
		log_debug("%s: %s: %s", __func__, c->group, error);
		if (c->orderly) {
			consumer_hold(q, &cm, 1, 1);
			q->suspend_until = clock_mono_ms() +
			    CONSUMER_SUSPEND_ORDER;
		} else
			consumerbox_put(c->box, &cm, 1);
		return;
	}
	petrel_msg_free(&cm->pm);
	if (c->orderly)
		consumer_feed(c, q);
	if (q->state == QUEUE_WAITING && q->retry_at == 0)
		consumer_pull(c, q);
}

/*
 * Hand a message back to the broker: for a later retry (delay_level 0),
 * or straight to the DLQ (-1).
 */
static void
consumer_send_back(struct consumer *c, struct consumer_queue *q,
    struct consumer_msg *cm, int32_t delay_level)
{
	Petrel__ConsumerSendBackRequest	 req =
	    PETREL__CONSUMER_SEND_BACK_REQUEST__INIT;
	struct consumer_call		*call;

	call = consumer_call_new(c, CALL_BACK, q->sub, q);
	call->msg = cm;
	req.group = c->group;
	req.commit_log_offset = cm->pm.m->commit_log_offset;
	req.msg_id = cm->pm.m->msg_id;
	req.original_topic = cm->pm.m->topic;
	req.delay_level = delay_level;
	req.max_reconsume_times = c->max_reconsume;
	if (c->orderly)
		q->backs++;
	if (consumer_call_send(c, call, consumer_address(c, q->sub, q->broker),
	    PETREL__REQUEST_CODE__CODE_CONSUMER_SEND_BACK,
	    (ProtobufCMessage *)&req, CLIENT_RPC_TIMEOUT_MS,
	    consumer_back_cb) != 0) {
		/* No broker to take it: consume it again. */
		if (c->orderly) {
			q->backs--;
			consumer_hold(q, &cm, 1, 1);
			q->suspend_until = clock_mono_ms() +
			    CONSUMER_SUSPEND_ORDER;
		} else
			consumerbox_put(c->box, &cm, 1);
	}
}

/* Whether orderly q may be consumed now: locked, and the lock fresh. */
static int
consumer_lock_valid(struct consumer *c, struct consumer_queue *q)
{
	return (!c->locks || (q->locked && q->lock_until > clock_mono_ms()));
}

/*
 * Orderly: hand the next batch of q out once the last one came back, in
 * offset order, unless q is paused, not locked or sending back.
 */
static void
consumer_feed(struct consumer *c, struct consumer_queue *q)
{
	size_t	n;

	if (q->dropped || c->closing || q->nout != 0 || q->nheld == 0 ||
	    q->backs != 0 || q->suspend_until > clock_mono_ms() ||
	    !consumer_lock_valid(c, q))
		return;
	n = q->nheld < c->batch ? q->nheld : c->batch;
	q->out = xreallocarray(q->out, n, sizeof *q->out);
	memcpy(q->out, q->held, n * sizeof *q->out);
	q->nheld -= n;
	memmove(q->held, q->held + n, q->nheld * sizeof *q->held);
	q->nout = n;
	q->nback = 0;
	consumerbox_put(c->box, q->out, n);
}

/*
 * Orderly: the batch out of q came back whole.  Consumed: done.  LATER:
 * again here after a pause (RocketMQ's SUSPEND_CURRENT_QUEUE_A_MOMENT),
 * each message at most max_reconsume times, then to the DLQ.
 */
static void
consumer_batch_back(struct consumer *c, struct consumer_queue *q)
{
	struct consumer_msg	**again, *cm;
	size_t			  i, n = 0, nout = q->nout;
	int			  later = 0;

	q->nout = q->nback = 0;
	for (i = 0; i < nout; i++)
		later |= q->out[i]->status == PETREL_CONSUME_LATER;
	if (!later || c->closing || q->dropped) {
		for (i = 0; i < nout; i++) {
			cm = q->out[i];
			if (cm->status != PETREL_CONSUME_LATER)
				procqueue_done(&q->pq, cm->pm.m->queue_offset);
			petrel_msg_free(&cm->pm);
		}
		if (q->dropped)
			consumer_queue_gc(c, q);
		else
			consumer_feed(c, q);
		return;
	}
	again = xcalloc(nout, sizeof *again);
	for (i = 0; i < nout; i++) {
		cm = q->out[i];
		if (cm->pm.m->reconsume_times >= c->max_reconsume &&
		    c->model ==
		    PETREL__MESSAGE_MODEL__MESSAGE_MODEL_CLUSTERING)
			consumer_send_back(c, q, cm, -1);
		else if (cm->pm.m->reconsume_times >= c->max_reconsume) {
			/* Broadcasting has no DLQ: given up. */
			procqueue_done(&q->pq, cm->pm.m->queue_offset);
			petrel_msg_free(&cm->pm);
		} else {
			cm->pm.m->reconsume_times++;
			cm->status = PETREL_CONSUME_SUCCESS;
			again[n++] = cm;
		}
	}
	consumer_hold(q, again, n, 1);
	free(again);
	if (n != 0)
		q->suspend_until = clock_mono_ms() + CONSUMER_SUSPEND_ORDER;
	consumer_feed(c, q);
}

static int
consumer_on_kick(void *state, ProtobufCMessage *m, const struct envelope *env)
{
	struct consumer		 *c = state;
	struct consumer_msg	**done, *cm;
	struct consumer_queue	 *q;
	size_t			  n, i;
	int			  dropped;

	(void)m;
	(void)env;
	if (!c->configured)
		return (0);
	n = consumerbox_take_done(c->box, &done);
	for (i = 0; i < n; i++) {
		cm = done[i];
		q = idmap_get(c->queues, cm->queue);
		if (q != NULL && c->orderly) {
			/* The batch goes on as one once all of it is back. */
			if (++q->nback != q->nout)
				continue;
			dropped = q->dropped;
			consumer_batch_back(c, q);	/* may free q if dropped */
			if (!dropped && q->state == QUEUE_WAITING &&
			    q->retry_at == 0 &&
			    !procqueue_full(&q->pq, c->max_unprocessed))
				consumer_pull(c, q);
			continue;
		}
		if (q == NULL || q->dropped) {
			petrel_msg_free(&cm->pm);
			continue;
		}
		if (cm->status == PETREL_CONSUME_LATER && c->closing) {
			/* Not done: the next owner gets it again. */
			petrel_msg_free(&cm->pm);
			continue;
		}
		if (cm->status == PETREL_CONSUME_LATER && c->model ==
		    PETREL__MESSAGE_MODEL__MESSAGE_MODEL_CLUSTERING) {
			consumer_send_back(c, q, cm, 0);
			continue;
		}
		procqueue_done(&q->pq, cm->pm.m->queue_offset);
		petrel_msg_free(&cm->pm);
		/* Paused for flow control: pull again once below. */
		if (q->state == QUEUE_WAITING && q->retry_at == 0 &&
		    !procqueue_full(&q->pq, c->max_unprocessed))
			consumer_pull(c, q);
	}
	free(done);
	return (0);
}

static int
consumer_on_queues(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct consumer		*c = state;
	Petrel__ConsumerQueues	*cq = (Petrel__ConsumerQueues *)m;
	struct client_wait	*w = (struct client_wait *)(uintptr_t)cq->waiter;
	struct petrel_queue	*out;
	struct consumer_queue	*q;
	size_t			 n = 0, iter = 0;
	uint64_t		 id;

	(void)env;
	if (w == NULL)
		return (-1);
	out = w->arg;
	while ((q = idmap_next(c->queues, &iter, &id)) != NULL) {
		if (q->dropped || q->sub->retry)
			continue;
		if (n < w->n) {
			memset(&out[n], 0, sizeof out[n]);
			snprintf(out[n].topic, sizeof out[n].topic, "%s",
			    q->sub->topic);
			snprintf(out[n].broker, sizeof out[n].broker, "%s",
			    q->broker);
			out[n].queue_id = q->queue_id;
		}
		n++;
	}
	w->n = n;
	client_wait_done(w, PETREL_OK, NULL);
	return (0);
}

static int
consumer_on_close(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct consumer		*c = state;
	Petrel__ConsumerClose	*cc = (Petrel__ConsumerClose *)m;
	struct client_wait	*w = (struct client_wait *)(uintptr_t)cc->waiter;
	size_t			 i;

	(void)env;
	if (w == NULL || c->closer != NULL)
		return (-1);
	c->closer = w;
	c->closing = 1;
	if (!c->configured) {
		actor_free(c->self);
		client_wait_done(w, PETREL_OK, NULL);
		return (0);
	}
	actor_timer_cancel(c->self, CONSUMER_TICK_REBALANCE);
	actor_timer_cancel(c->self, CONSUMER_TICK_COMMIT);
	actor_timer_cancel(c->self, CONSUMER_TICK_RETRY);
	actor_timer_cancel(c->self, CONSUMER_TICK_SOON);
	for (i = 0; i < c->nsubs; i++)
		client_route_cancel(c->client, &c->subs[i]);
	client_set_consumer(c->client, c->group, NULL);
	client_watch_group(c->client, NULL, actor_ref(c->self), 0);
	/* What the application finished counts; the rest is redelivered. */
	consumer_on_kick(c, NULL, NULL);
	consumerbox_set_actor(c->box, 0);
	consumer_commit(c, 1);
	if (c->leaving == 0)
		consumer_leave(c);
	return (0);
}

static int
consumer_on_tick(void *state, ProtobufCMessage *m, const struct envelope *env)
{
	struct consumer		*c = state;
	Petrel__Tick		*t = (Petrel__Tick *)m;
	struct consumer_queue	*q;
	size_t			 iter = 0;
	uint64_t		 id, now;
	int			 relock;

	(void)env;
	if (!c->configured || c->closing)
		return (0);
	switch (t->id) {
	case CONSUMER_TICK_NOTIFY:
		log_debug("%s: %s: members changed", __func__, c->group);
		consumer_rebalance(c);
		break;
	case CONSUMER_TICK_SOON:
		c->soon = 0;
		/* FALLTHROUGH */
	case CONSUMER_TICK_REBALANCE:
		consumer_rebalance(c);
		break;
	case CONSUMER_TICK_COMMIT:
		consumer_commit(c, 0);
		break;
	case CONSUMER_TICK_LOCK:
		consumer_lock(c, 1);
		break;
	case CONSUMER_TICK_RETRY:
		now = clock_mono_ms();
		relock = 0;
		while ((q = idmap_next(c->queues, &iter, &id)) != NULL) {
			if (q->dropped)
				continue;
			if (c->locks && q->lock_seq == 0 &&
			    (q->state == QUEUE_LOCKING ||
			    !consumer_lock_valid(c, q)))
				relock = 1;
			if (q->suspend_until != 0 && q->suspend_until <= now) {
				q->suspend_until = 0;
				consumer_feed(c, q);
			}
			if (q->retry_at == 0 || q->retry_at > now)
				continue;
			if (q->state == QUEUE_WAITING)
				consumer_pull(c, q);
			else if (q->state == QUEUE_OFFSET && q->calls == 0)
				consumer_start_queue(c, q);
		}
		/* Queues another member still holds: once a second. */
		if (relock && now >= c->relock_at) {
			c->relock_at = now + CONSUMER_RETRY_MS;
			consumer_lock(c, 0);
		}
		break;
	}
	return (0);
}

/* ------------------------------------------------------------ rebalance */

/* Rebalance again soon (this member was not in the list yet). */
static void
consumer_soon(struct consumer *c)
{
	if (!c->soon) {
		c->soon = 1;
		actor_timer(c->self, CONSUMER_TICK_SOON, CONSUMER_SOON_MS, 0);
	}
}

/* The read queues of a route, sorted; *n of them (the caller frees). */
static struct rebalance_queue *
consumer_read_queues(const struct client_route *r, size_t *n)
{
	struct rebalance_queue	*qs = NULL;
	Petrel__QueueData	*qd;
	size_t			 i, total = 0;
	uint32_t		 j;

	for (i = 0; i < r->resp->n_queues; i++) {
		qd = r->resp->queues[i];
		if ((qd->perm & PETREL__PERM__PERM_READ) == 0 ||
		    qd->read_queues > 1024 ||
		    client_route_master(r, qd->broker_name) == NULL)
			continue;
		qs = xreallocarray(qs, total + qd->read_queues, sizeof *qs);
		for (j = 0; j < qd->read_queues; j++) {
			qs[total].broker = qd->broker_name;
			qs[total].queue_id = j;
			total++;
		}
	}
	rebalance_sort_queues(qs, total);
	*n = total;
	return (qs);
}

/* The queue of sub on broker, or NULL. */
static struct consumer_queue *
consumer_find(struct consumer *c, struct consumer_sub *sub,
    const char *broker, uint32_t queue_id)
{
	struct consumer_queue	*q;
	size_t			 iter = 0;
	uint64_t		 id;

	while ((q = idmap_next(c->queues, &iter, &id)) != NULL) {
		if (!q->dropped && q->sub == sub && q->queue_id == queue_id &&
		    strcmp(q->broker, broker) == 0)
			return (q);
	}
	return (NULL);
}

/* Make sub's owned queues those of idx (indexes into qs). */
static void
consumer_apply(struct consumer *c, struct consumer_sub *sub,
    const struct rebalance_queue *qs, const size_t *idx, size_t n)
{
	struct consumer_queue	 *q, **drop = NULL;
	size_t			  i, j, ndrop = 0, iter = 0;
	uint64_t		  id;
	int			  keep, locking = 0;

	while ((q = idmap_next(c->queues, &iter, &id)) != NULL) {
		if (q->sub != sub || q->dropped)
			continue;
		keep = 0;
		for (i = 0; i < n && !keep; i++) {
			keep = q->queue_id == qs[idx[i]].queue_id &&
			    strcmp(q->broker, qs[idx[i]].broker) == 0;
		}
		if (!keep) {
			drop = xreallocarray(drop, ndrop + 1, sizeof *drop);
			drop[ndrop++] = q;
		}
	}
	if (ndrop != 0) {
		/* Hand their offsets over before another member starts. */
		consumer_commit(c, 1);
		for (j = 0; j < ndrop; j++) {
			log_debug("%s: %s drops %s %s %u", __func__, c->group,
			    sub->topic, drop[j]->broker, drop[j]->queue_id);
			drop[j]->dropped = 1;
			consumer_queue_gc(c, drop[j]);
		}
	}
	free(drop);
	for (i = 0; i < n; i++) {
		if (consumer_find(c, sub, qs[idx[i]].broker,
		    qs[idx[i]].queue_id) != NULL)
			continue;
		q = xcalloc(1, sizeof *q);
		q->id = ++c->next_id;
		q->sub = sub;
		q->broker = xstrdup(qs[idx[i]].broker);
		q->queue_id = qs[idx[i]].queue_id;
		procqueue_init(&q->pq, 0);
		idmap_put(c->queues, q->id, q);
		log_debug("%s: %s takes %s %s %u", __func__, c->group,
		    sub->topic, q->broker, q->queue_id);
		if (c->locks) {
			/* Consumed only once locked (consumer_lock_cb). */
			q->state = QUEUE_LOCKING;
			locking = 1;
		} else
			consumer_start_queue(c, q);
	}
	if (locking)
		consumer_lock(c, 0);
}

/* The group's members came: take this member's share of sub's queues. */
static void
consumer_members_cb(uint32_t status, const char *error,
    ProtobufCMessage *body, void *arg)
{
	struct consumer_call		*call = arg;
	struct consumer			*c;
	struct consumer_sub		*sub = call->sub;
	Petrel__GetConsumerListResponse	*r;
	const struct client_route	*route;
	struct rebalance_queue		*qs;
	const char			**ids;
	size_t				*idx, nq, n;
	long				 me;

	if ((c = consumer_call_end(call)) == NULL || c->closing ||
	    call->seq != sub->seq) {
		free(c != NULL ? call : NULL);
		msg_free(body);
		return;
	}
	free(call);
	if (status != PETREL__STATUS__STATUS_OK) {
		log_debug("%s: %s: %s", __func__, c->group, error);
		consumer_soon(c);
		return;
	}
	r = (Petrel__GetConsumerListResponse *)body;
	if ((route = client_route_get(c->client, sub->topic)) == NULL) {
		msg_free(body);
		return;
	}
	ids = xcalloc(r->n_client_ids + 1, sizeof *ids);
	memcpy(ids, r->client_ids, r->n_client_ids * sizeof *ids);
	rebalance_sort_members(ids, r->n_client_ids);
	me = rebalance_member_index(ids, r->n_client_ids,
	    client_id(c->client));
	qs = consumer_read_queues(route, &nq);
	idx = xcalloc(nq + 1, sizeof *idx);
	n = 0;
	if (me >= 0)
		n = rebalance_allocate(c->strategy, r->n_client_ids,
		    (size_t)me, nq, idx);
	else
		consumer_soon(c);
	consumer_apply(c, sub, qs, idx, n);
	free(idx);
	free(qs);
	free(ids);
	msg_free(body);
}

/* The route of a subscription came: ask for members or take it all. */
static void
consumer_route_cb(const char *topic, const struct client_route *route,
    uint32_t status, const char *error, void *arg)
{
	struct consumer_sub			*sub = arg;
	struct consumer				*c = sub->c;
	Petrel__GetConsumerListRequest		 req =
	    PETREL__GET_CONSUMER_LIST_REQUEST__INIT;
	struct consumer_call			*call;
	struct rebalance_queue			*qs;
	size_t					*idx, nq, i;

	(void)topic;
	if (c->closing)
		return;
	if (status != PETREL__STATUS__STATUS_OK || route == NULL) {
		/* %RETRY% topics exist only after a first send back. */
		if (!sub->retry)
			log_debug("%s: %s: %s", __func__, sub->topic, error);
		return;
	}
	qs = consumer_read_queues(route, &nq);
	if (c->model == PETREL__MESSAGE_MODEL__MESSAGE_MODEL_BROADCASTING) {
		idx = xcalloc(nq + 1, sizeof *idx);
		for (i = 0; i < nq; i++)
			idx[i] = i;
		consumer_apply(c, sub, qs, idx, nq);
		free(idx);
		free(qs);
		return;
	}
	if (nq == 0) {
		consumer_apply(c, sub, qs, NULL, 0);
		free(qs);
		return;
	}
	/* Any broker of the topic knows the group: the first one. */
	call = consumer_call_new(c, CALL_MEMBERS, sub, NULL);
	call->seq = sub->seq;
	req.group = c->group;
	consumer_call_send(c, call, client_route_master(route, qs[0].broker),
	    PETREL__REQUEST_CODE__CODE_GET_CONSUMER_LIST,
	    (ProtobufCMessage *)&req, CLIENT_RPC_TIMEOUT_MS,
	    consumer_members_cb);
	free(qs);
}

/* Start a round of rebalancing every subscription. */
static void
consumer_rebalance(struct consumer *c)
{
	size_t	i;

	for (i = 0; i < c->nsubs; i++) {
		c->subs[i].c = c;
		c->subs[i].seq = ++c->seq;
		client_route(c->client, c->subs[i].topic, 0, consumer_route_cb,
		    &c->subs[i]);
	}
	/* New brokers learn of the group before they are asked about it. */
	client_heartbeat_now(c->client);
}

/* ------------------------------------------------------------ locks */

/* One LockBatch call being built: the queues of one broker. */
struct consumer_lockreq {
	Petrel__LockBatchRequest	*req;
	struct consumer_queue		*first;
	uint64_t			 seq;
};

/* Whether resp locked q. */
static int
consumer_lock_has(const Petrel__LockBatchResponse *resp,
    const struct consumer_queue *q)
{
	size_t	i;

	for (i = 0; i < resp->n_locked; i++) {
		if (resp->locked[i]->queue_id == q->queue_id &&
		    strcmp(resp->locked[i]->topic, q->sub->topic) == 0 &&
		    strcmp(resp->locked[i]->broker_name, q->broker) == 0)
			return (1);
	}
	return (0);
}

/* A LockBatch answered (CALL_LOCK): the queues asked are locked or not. */
static void
consumer_lock_cb(uint32_t status, const char *error, ProtobufCMessage *body,
    void *arg)
{
	struct consumer_call		*call = arg;
	struct consumer			*c;
	struct consumer_queue		*q, **gc = NULL;
	Petrel__LockBatchResponse	*resp = NULL;
	size_t				 iter = 0, ngc = 0, i;
	uint64_t			 id;
	int				 had;

	if ((c = consumer_call_end(call)) == NULL) {
		msg_free(body);
		return;
	}
	if (status == PETREL__STATUS__STATUS_OK)
		resp = (Petrel__LockBatchResponse *)body;
	else
		log_debug("%s: %s: %s", __func__, c->group, error);
	while ((q = idmap_next(c->queues, &iter, &id)) != NULL) {
		if (q->lock_seq != call->seq)
			continue;
		q->lock_seq = 0;
		if (resp == NULL) {
			if (q->dropped) {
				gc = xreallocarray(gc, ngc + 1, sizeof *gc);
				gc[ngc++] = q;
			}
			continue;
		}
		had = q->locked;
		q->locked = consumer_lock_has(resp, q);
		if (q->locked)
			q->lock_until = call->at + c->lock_ms * 3 / 2;
		else if (had)
			log_info("%s: %s lost the lock of %s %s %u", __func__,
			    c->group, q->sub->topic, q->broker, q->queue_id);
		if (q->dropped) {
			gc = xreallocarray(gc, ngc + 1, sizeof *gc);
			gc[ngc++] = q;
		} else if (q->locked && q->state == QUEUE_LOCKING)
			consumer_start_queue(c, q);
		else if (q->locked) {
			consumer_feed(c, q);
			if (q->state == QUEUE_WAITING && q->retry_at != 0)
				consumer_pull(c, q);
		}
	}
	free(call);
	msg_free(body);
	for (i = 0; i < ngc; i++)
		consumer_queue_gc(c, gc[i]);
	free(gc);
}

/*
 * Lock owned queues on their brokers, one LockBatch per broker: with all,
 * every queue (the renewal every lock_ms); else those waiting
 * for a lock or whose lock went stale.
 */
static void
consumer_lock(struct consumer *c, int all)
{
	struct consumer_queue		*q;
	struct consumer_lockreq		*lr;
	struct consumer_call		*call;
	struct strmap			*by;
	Petrel__MessageQueue		*mq;
	const char			*key;
	size_t				 iter = 0;
	uint64_t			 id;
	void				*v;

	if (!c->locks || c->closing)
		return;
	by = strmap_new();
	while ((q = idmap_next(c->queues, &iter, &id)) != NULL) {
		if (q->dropped || q->lock_seq != 0 || (!all &&
		    q->state != QUEUE_LOCKING && consumer_lock_valid(c, q)))
			continue;
		if ((lr = strmap_get(by, q->broker)) == NULL) {
			lr = xcalloc(1, sizeof *lr);
			lr->req = msg_new(&petrel__lock_batch_request__descriptor);
			msg_set_string(&lr->req->group, c->group);
			msg_set_string(&lr->req->client_id,
			    client_id(c->client));
			lr->first = q;
			lr->seq = ++c->lock_seq;
			strmap_put(by, q->broker, lr);
		}
		mq = msg_new(&petrel__message_queue__descriptor);
		msg_set_string(&mq->topic, q->sub->topic);
		msg_set_string(&mq->broker_name, q->broker);
		mq->queue_id = q->queue_id;
		msg_array_add((void ***)&lr->req->queues, &lr->req->n_queues,
		    mq);
		q->lock_seq = lr->seq;
	}
	iter = 0;
	while (strmap_next(by, &iter, &key, &v)) {
		lr = v;
		call = consumer_call_new(c, CALL_LOCK, NULL, NULL);
		call->seq = lr->seq;
		call->at = clock_mono_ms();
		if (consumer_call_send(c, call, consumer_address(c,
		    lr->first->sub, lr->first->broker),
		    PETREL__REQUEST_CODE__CODE_LOCK_BATCH_MQ,
		    (ProtobufCMessage *)lr->req, CLIENT_RPC_TIMEOUT_MS,
		    consumer_lock_cb) != 0)
			consumer_lock_forget(c, lr->seq);
		msg_free(lr->req);
		free(lr);
	}
	strmap_free(by, NULL);
}

/* A lock call that did not go out: its queues may be asked again. */
static void
consumer_lock_forget(struct consumer *c, uint64_t seq)
{
	struct consumer_queue	*q;
	size_t			 iter = 0;
	uint64_t		 id;

	while ((q = idmap_next(c->queues, &iter, &id)) != NULL) {
		if (q->lock_seq == seq)
			q->lock_seq = 0;
	}
}

/* A dropped queue unlocked (CALL_UNLOCK): it can go. */
static void
consumer_unlock_cb(uint32_t status, const char *error, ProtobufCMessage *body,
    void *arg)
{
	struct consumer_call	*call = arg;
	struct consumer		*c;
	struct consumer_queue	*q = call->q;

	if ((c = consumer_call_over(call, body)) == NULL)
		return;
	if (status != PETREL__STATUS__STATUS_OK)
		log_debug("%s: %s: %s", __func__, c->group, error);
	q->locked = 0;
	consumer_queue_gc(c, q);
}

/* An UnlockBatch of q alone, or of every locked queue on broker if NULL. */
static Petrel__UnlockBatchRequest *
consumer_unlock_req(struct consumer *c, struct consumer_queue *only,
    const char *broker)
{
	Petrel__UnlockBatchRequest	*req;
	Petrel__MessageQueue		*mq;
	struct consumer_queue		*q;
	size_t				 iter = 0;
	uint64_t			 id;

	req = msg_new(&petrel__unlock_batch_request__descriptor);
	msg_set_string(&req->group, c->group);
	msg_set_string(&req->client_id, client_id(c->client));
	while ((q = idmap_next(c->queues, &iter, &id)) != NULL) {
		if (only != NULL ? q != only :
		    (!q->locked || strcmp(q->broker, broker) != 0))
			continue;
		mq = msg_new(&petrel__message_queue__descriptor);
		msg_set_string(&mq->topic, q->sub->topic);
		msg_set_string(&mq->broker_name, q->broker);
		mq->queue_id = q->queue_id;
		msg_array_add((void ***)&req->queues, &req->n_queues, mq);
	}
	return (req);
}

/*
 * Send req (freed here) about dropped queue q to its broker, cb answered;
 * without a broker q goes at once (its lock lapses there on its own).
 */
static void
consumer_release_call(struct consumer *c, struct consumer_queue *q,
    enum consumer_call_kind kind, uint32_t code, ProtobufCMessage *req,
    rpc_cb cb)
{
	struct consumer_call	*call;

	call = consumer_call_new(c, kind, q->sub, q);
	if (consumer_call_send(c, call, consumer_address(c, q->sub, q->broker),
	    code, req, CLIENT_RPC_TIMEOUT_MS, cb) != 0) {
		q->locked = 0;
		consumer_queue_gc(c, q);
	}
	msg_free(req);
}

/*
 * A dropped orderly queue whose batch came back: commit its offset, then
 * (consumer_commit_cb) unlock it, then (consumer_unlock_cb) free it.
 */
static void
consumer_release(struct consumer *c, struct consumer_queue *q)
{
	Petrel__CommitConsumerOffsetsRequest	*req;
	Petrel__QueueOffset			*o;

	if (q->state == QUEUE_LOCKING || q->state == QUEUE_OFFSET) {
		/* Never started: nothing of its own to commit. */
		consumer_unlock(c, q);
		return;
	}
	req = msg_new(&petrel__commit_consumer_offsets_request__descriptor);
	msg_set_string(&req->group, c->group);
	msg_set_string(&req->client_id, client_id(c->client));
	o = msg_new(&petrel__queue_offset__descriptor);
	msg_set_string(&o->topic, q->sub->topic);
	o->queue_id = q->queue_id;
	o->offset = procqueue_committable(&q->pq);
	msg_array_add((void ***)&req->offsets, &req->n_offsets, o);
	consumer_release_call(c, q, CALL_COMMIT,
	    PETREL__REQUEST_CODE__CODE_COMMIT_CONSUMER_OFFSETS,
	    (ProtobufCMessage *)req, consumer_commit_cb);
}

/* Unlock q, committed (from consumer_commit_cb). */
static void
consumer_unlock(struct consumer *c, struct consumer_queue *q)
{
	consumer_release_call(c, q, CALL_UNLOCK,
	    PETREL__REQUEST_CODE__CODE_UNLOCK_BATCH_MQ,
	    (ProtobufCMessage *)consumer_unlock_req(c, q, NULL),
	    consumer_unlock_cb);
}


/* ------------------------------------------------------------ offsets */

/* Where a queue new to the group starts came (CALL_START). */
static void
consumer_start_cb(uint32_t status, const char *error, ProtobufCMessage *body,
    void *arg)
{
	struct consumer_call	*call = arg;
	struct consumer		*c;
	struct consumer_queue	*q = call->q;
	uint64_t		 offset = 0;

	if ((c = consumer_call_end(call)) == NULL) {
		msg_free(body);
		return;
	}
	free(call);
	if (q->dropped) {
		msg_free(body);
		consumer_queue_gc(c, q);
		return;
	}
	if (status != PETREL__STATUS__STATUS_OK) {
		log_debug("%s: %s: %s", __func__, q->sub->topic, error);
		q->state = QUEUE_OFFSET;
		q->retry_at = clock_mono_ms() + CONSUMER_RETRY_MS;
		msg_free(body);
		return;
	}
	if (msg_is(body, &petrel__get_max_offset_response__descriptor))
		offset = ((Petrel__GetMaxOffsetResponse *)body)->offset;
	else if (msg_is(body,
	    &petrel__search_offset_by_time_response__descriptor))
		offset = ((Petrel__SearchOffsetByTimeResponse *)body)->offset;
	msg_free(body);
	procqueue_reset(&q->pq, offset);
	consumer_pull(c, q);
}

/* A queue new to the group: ask where to start per from-where. */
static void
consumer_start_new(struct consumer *c, struct consumer_queue *q)
{
	Petrel__GetMaxOffsetRequest		 max =
	    PETREL__GET_MAX_OFFSET_REQUEST__INIT;
	Petrel__SearchOffsetByTimeRequest	 bytime =
	    PETREL__SEARCH_OFFSET_BY_TIME_REQUEST__INIT;
	struct consumer_call			*call;
	const char				*address;

	if (q->sub->retry ||
	    c->from == PETREL__CONSUME_FROM_WHERE__CONSUME_FROM_FIRST_OFFSET) {
		procqueue_reset(&q->pq, 0);
		consumer_pull(c, q);
		return;
	}
	address = consumer_address(c, q->sub, q->broker);
	call = consumer_call_new(c, CALL_START, q->sub, q);
	if (c->from == PETREL__CONSUME_FROM_WHERE__CONSUME_FROM_TIMESTAMP) {
		bytime.topic = q->sub->topic;
		bytime.queue_id = q->queue_id;
		bytime.timestamp_ms = c->from_ms;
		if (consumer_call_send(c, call, address,
		    PETREL__REQUEST_CODE__CODE_SEARCH_OFFSET_BY_TIME,
		    (ProtobufCMessage *)&bytime, CLIENT_RPC_TIMEOUT_MS,
		    consumer_start_cb) != 0)
			consumer_queue_later(q);
		return;
	}
	max.topic = q->sub->topic;
	max.queue_id = q->queue_id;
	if (consumer_call_send(c, call, address,
	    PETREL__REQUEST_CODE__CODE_GET_MAX_OFFSET, (ProtobufCMessage *)&max,
	    CLIENT_RPC_TIMEOUT_MS, consumer_start_cb) != 0)
		consumer_queue_later(q);
}

/* The group's committed offset of a queue came (CALL_OFFSET). */
static void
consumer_offset_cb(uint32_t status, const char *error, ProtobufCMessage *body,
    void *arg)
{
	struct consumer_call	*call = arg;
	struct consumer		*c;
	struct consumer_queue	*q = call->q;

	if ((c = consumer_call_end(call)) == NULL) {
		msg_free(body);
		return;
	}
	free(call);
	if (q->dropped) {
		msg_free(body);
		consumer_queue_gc(c, q);
		return;
	}
	if (status == PETREL__STATUS__STATUS_NOT_FOUND)
		consumer_start_new(c, q);
	else if (status != PETREL__STATUS__STATUS_OK) {
		log_debug("%s: %s: %s", __func__, q->sub->topic, error);
		q->state = QUEUE_OFFSET;
		q->retry_at = clock_mono_ms() + CONSUMER_RETRY_MS;
	} else {
		q->committed =
		    ((Petrel__QueryConsumerOffsetResponse *)body)->offset;
		q->committed_set = 1;
		procqueue_reset(&q->pq, q->committed);
		consumer_pull(c, q);
	}
	msg_free(body);
}

/* A queue just owned: find where to start, then pull. */
static void
consumer_start_queue(struct consumer *c, struct consumer_queue *q)
{
	Petrel__QueryConsumerOffsetRequest	 req =
	    PETREL__QUERY_CONSUMER_OFFSET_REQUEST__INIT;
	struct consumer_call			*call;
	uint64_t				 offset;

	q->state = QUEUE_OFFSET;
	q->retry_at = 0;
	if (c->offsets != NULL) {
		if (offsetfile_get(c->offsets, q->sub->topic, q->broker,
		    q->queue_id, &offset) == 0) {
			procqueue_reset(&q->pq, offset);
			consumer_pull(c, q);
		} else
			consumer_start_new(c, q);
		return;
	}
	call = consumer_call_new(c, CALL_OFFSET, q->sub, q);
	req.group = c->group;
	req.topic = q->sub->topic;
	req.queue_id = q->queue_id;
	if (consumer_call_send(c, call, consumer_address(c, q->sub, q->broker),
	    PETREL__REQUEST_CODE__CODE_QUERY_CONSUMER_OFFSET,
	    (ProtobufCMessage *)&req, CLIENT_RPC_TIMEOUT_MS,
	    consumer_offset_cb) != 0)
		q->retry_at = clock_mono_ms() + CONSUMER_RETRY_MS;
}

/* Commits answered (CALL_COMMIT). */
static void
consumer_commit_cb(uint32_t status, const char *error, ProtobufCMessage *body,
    void *arg)
{
	struct consumer_call	*call = arg;
	struct consumer		*c;
	struct consumer_queue	*q = call->q;

	if ((c = consumer_call_over(call, body)) == NULL)
		return;
	if (status != PETREL__STATUS__STATUS_OK)
		log_debug("%s: %s: %s", __func__, c->group, error);
	if (q != NULL) {
		/* A dropped orderly queue's offset (consumer_release). */
		if (c->closing) {
			q->locked = 0;
			consumer_queue_gc(c, q);
		} else
			consumer_unlock(c, q);
		return;
	}
	if (c->closing && --c->leaving == 0)
		consumer_leave(c);
}

/*
 * Commit what moved: to the offset file (broadcasting) or one
 * CommitConsumerOffsets per broker address.  With all, every queue.
 */
static void
consumer_commit(struct consumer *c, int all)
{
	struct consumer_queue			 *q;
	struct strmap				 *by;
	Petrel__CommitConsumerOffsetsRequest	 *req;
	Petrel__QueueOffset			 *o;
	struct consumer_call			 *call;
	const char				 *address, *key;
	char					 *cause = NULL;
	size_t					  iter = 0;
	uint64_t				  id, off;
	void					 *v;

	by = strmap_new();
	while ((q = idmap_next(c->queues, &iter, &id)) != NULL) {
		/* Not started: no offset of its own to commit yet. */
		if (q->state == QUEUE_LOCKING || q->state == QUEUE_OFFSET ||
		    q->dropped)
			continue;
		off = procqueue_committable(&q->pq);
		if (q->committed_set && q->committed == off && !all)
			continue;
		if (c->offsets != NULL) {
			offsetfile_set(c->offsets, q->sub->topic, q->broker,
			    q->queue_id, off);
			q->committed = off;
			q->committed_set = 1;
			continue;
		}
		if ((address = consumer_address(c, q->sub, q->broker)) == NULL)
			continue;
		if ((req = strmap_get(by, address)) == NULL) {
			req = msg_new(
			    &petrel__commit_consumer_offsets_request__descriptor);
			msg_set_string(&req->group, c->group);
			msg_set_string(&req->client_id, client_id(c->client));
			strmap_put(by, address, req);
		}
		o = msg_new(&petrel__queue_offset__descriptor);
		msg_set_string(&o->topic, q->sub->topic);
		o->queue_id = q->queue_id;
		o->offset = off;
		msg_array_add((void ***)&req->offsets, &req->n_offsets, o);
		q->committed = off;
		q->committed_set = 1;
	}
	if (c->offsets != NULL && offsetfile_save(c->offsets, &cause) != 0) {
		log_warnx("%s: %s", __func__, cause);
		free(cause);
	}
	iter = 0;
	while (strmap_next(by, &iter, &key, &v)) {
		req = v;
		call = consumer_call_new(c, CALL_COMMIT, NULL, NULL);
		if (consumer_call_send(c, call, key,
		    PETREL__REQUEST_CODE__CODE_COMMIT_CONSUMER_OFFSETS,
		    (ProtobufCMessage *)req, CLIENT_RPC_TIMEOUT_MS,
		    consumer_commit_cb) == 0 && c->closing)
			c->leaving++;
	}
	strmap_free(by, msg_free);
}

/* Left a broker's group (CALL_LEAVE). */
static void
consumer_leave_cb(uint32_t status, const char *error, ProtobufCMessage *body,
    void *arg)
{
	struct consumer_call	*call = arg;
	struct consumer		*c;
	struct client_wait	*w;

	if ((c = consumer_call_over(call, body)) == NULL)
		return;
	if (status != PETREL__STATUS__STATUS_OK)
		log_debug("%s: %s: %s", __func__, c->group, error);
	if (--c->leaving != 0)
		return;
	w = c->closer;
	actor_free(c->self);		/* c is gone from here */
	client_wait_done(w, PETREL_OK, NULL);
}

/*
 * Offsets committed: leave the group on every broker of the routes, then
 * free the actor and answer the closer once they answered.
 */
static void
consumer_leave(struct consumer *c)
{
	Petrel__UnregisterClientRequest	 req =
	    PETREL__UNREGISTER_CLIENT_REQUEST__INIT;
	const struct client_route	*r;
	struct consumer_call		*call;
	Petrel__UnlockBatchRequest	*unlock;
	struct strmap			*sent;
	Petrel__BrokerData		*b;
	struct client_wait		*w;
	const char			*address;
	size_t				 i, j;

	req.client_id = (char *)client_id(c->client);
	req.producer_group = (char *)"";
	req.consumer_group = c->group;
	sent = strmap_new();
	c->leaving = 1;		/* until every call is out */
	for (i = 0; i < c->nsubs; i++) {
		if ((r = client_route_get(c->client, c->subs[i].topic)) == NULL)
			continue;
		for (j = 0; j < r->resp->n_brokers; j++) {
			b = r->resp->brokers[j];
			address = client_route_master(r, b->broker_name);
			if (address == NULL || strmap_get(sent, address) != NULL)
				continue;
			strmap_put(sent, address, c);
			if (c->locks) {
				/* The next owners need not wait 60 s. */
				unlock = consumer_unlock_req(c, NULL,
				    b->broker_name);
				call = consumer_call_new(c, CALL_LEAVE, NULL,
				    NULL);
				if (unlock->n_queues != 0 &&
				    consumer_call_send(c, call, address,
				    PETREL__REQUEST_CODE__CODE_UNLOCK_BATCH_MQ,
				    (ProtobufCMessage *)unlock,
				    CLIENT_RPC_TIMEOUT_MS,
				    consumer_leave_cb) == 0)
					c->leaving++;
				else if (unlock->n_queues == 0) {
					consumer_call_end(call);
					free(call);
				}
				msg_free(unlock);
			}
			call = consumer_call_new(c, CALL_LEAVE, NULL, NULL);
			if (consumer_call_send(c, call, address,
			    PETREL__REQUEST_CODE__CODE_UNREGISTER_CLIENT,
			    (ProtobufCMessage *)&req, CLIENT_RPC_TIMEOUT_MS,
			    consumer_leave_cb) == 0)
				c->leaving++;
		}
	}
	strmap_free(sent, NULL);
	if (--c->leaving == 0) {
		w = c->closer;
		actor_free(c->self);
		client_wait_done(w, PETREL_OK, NULL);
	}
}

/* ------------------------------------------------------------ pulls */

/*
 * Make a decoded message of q ready to hand out: checked against the tag
 * expression by string, decompressed, under its original topic when it
 * comes from %RETRY%<group>.  0, or -1 if it is skipped (then freed).
 */
static int
consumer_msg(struct consumer_queue *q, struct consumer_msg *cm)
{
	Petrel__Message	*m = cm->pm.m;
	char		*cause = NULL;
	size_t		 i;

	if (!tagexpr_match(&q->sub->te, m->tags)) {
		petrel_msg_free(&cm->pm);
		return (-1);
	}
	if (client_msg_decompress(&cm->pm, &cause) != 0) {
		log_warnx("%s: %s %s %u: %s", __func__, q->sub->topic,
		    q->broker, q->queue_id, cause);
		free(cause);
		petrel_msg_free(&cm->pm);
		return (-1);
	}
	cm->queue = q->id;
	cm->status = PETREL_CONSUME_SUCCESS;
	if (q->sub->retry) {
		for (i = 0; i < m->n_properties; i++) {
			if (strcmp(m->properties[i]->name, "RETRY_TOPIC") == 0) {
				/* Both live in cm's block: nothing to copy. */
				m->topic = m->properties[i]->value;
				break;
			}
		}
	}
	return (0);
}

/*
 * Hand out the messages of pull answer r of q (each kept or freed): only
 * those past what q has, made ready by consumer_msg(), to the box or
 * (orderly) held on q.
 */
static void
consumer_pulled(struct consumer *c, struct consumer_queue *q,
    struct client_pull *r)
{
	struct consumer_msg	**out, *cm;
	size_t			  i, n = 0;
	uint64_t		  off;

	out = xcalloc(r->nmsgs + 1, sizeof *out);
	for (i = 0; i < r->nmsgs; i++) {
		cm = (struct consumer_msg *)r->msgs[i];
		off = cm->pm.m->queue_offset;
		/* Only past what we have: never twice in flight. */
		if (off < q->pq.next || procqueue_add(&q->pq, off) != 0) {
			petrel_msg_free(&cm->pm);
			continue;
		}
		if (consumer_msg(q, cm) != 0) {
			procqueue_done(&q->pq, off);
			continue;
		}
		out[n++] = cm;
	}
	log_debug("%s: %s %s %u: %zu messages", __func__, q->sub->topic,
	    q->broker, q->queue_id, n);
	procqueue_pulled(&q->pq, r->next_offset);
	if (c->orderly) {
		consumer_hold(q, out, n, 0);
		consumer_feed(c, q);
	} else
		consumerbox_put(c->box, out, n);
	free(out);
}

/* A pull answered, its answer still encoded. */
static void
consumer_pull_cb(uint32_t status, const char *error, const uint8_t *body,
    size_t len, void *arg)
{
	struct consumer_call	*call = arg;
	struct consumer		*c;
	struct consumer_queue	*q = call->q;
	struct client_pull	 r;

	if ((c = consumer_call_end(call)) == NULL)
		return;
	free(call);
	q->state = QUEUE_IDLE;
	if (q->dropped || c->closing) {
		consumer_queue_gc(c, q);
		return;
	}
	/* Each message in one block with its struct consumer_msg. */
	if (status == PETREL__STATUS__STATUS_OK && client_pull_decode(&r,
	    body, len, q->broker, sizeof (struct consumer_msg)) != 0) {
		status = PETREL__STATUS__STATUS_PROTOCOL_ERROR;
		error = "undecodable response body";
	}
	if (status != PETREL__STATUS__STATUS_OK) {
		log_debug("%s: %s %s %u: %s", __func__, q->sub->topic,
		    q->broker, q->queue_id, error);
		if (status != PETREL__STATUS__STATUS_TIMEOUT)
			client_route_stale(c->client, q->sub->topic);
		consumer_queue_later(q);
		return;
	}
	if (r.status == PETREL__STATUS__STATUS_OK)
		consumer_pulled(c, q, &r);
	else {
		/* A broker sends none with these. */
		while (r.nmsgs > 0)
			petrel_msg_free(r.msgs[--r.nmsgs]);
	}
	free(r.msgs);
	switch (r.status) {
	case PETREL__STATUS__STATUS_OK:
		break;
	case PETREL__STATUS__STATUS_PULL_NOT_FOUND:
		procqueue_pulled(&q->pq, r.next_offset);
		break;
	case PETREL__STATUS__STATUS_PULL_OFFSET_ILLEGAL:
		client_route_stale(c->client, q->sub->topic);
		/* FALLTHROUGH */
	case PETREL__STATUS__STATUS_PULL_OFFSET_MOVED:
	default:
		log_info("%s: %s %s %u: offset %" PRIu64 " moved to %" PRIu64,
		    __func__, q->sub->topic, q->broker, q->queue_id,
		    q->pq.next, r.next_offset);
		if (r.next_offset < q->pq.next)
			procqueue_reset(&q->pq, r.next_offset);
		else
			procqueue_pulled(&q->pq, r.next_offset);
		if (r.status != PETREL__STATUS__STATUS_PULL_OFFSET_MOVED) {
			consumer_queue_later(q);
			return;
		}
		break;
	}
	consumer_pull(c, q);
}

/* Pull q unless it has one out, is paused or is gone. */
static void
consumer_pull(struct consumer *c, struct consumer_queue *q)
{
	Petrel__PullMessageRequest	 req =
	    PETREL__PULL_MESSAGE_REQUEST__INIT;
	struct consumer_call		*call;
	struct consumer_sub		*sub = q->sub;

	if (q->dropped || c->closing || q->state == QUEUE_PULLING)
		return;
	if (!consumer_lock_valid(c, q)) {
		/* Orderly: only locked queues; the lock is retried. */
		consumer_queue_later(q);
		return;
	}
	if (procqueue_full(&q->pq, c->max_unprocessed)) {
		q->state = QUEUE_WAITING;	/* until messages are done */
		q->retry_at = 0;
		return;
	}
	req.group = c->group;
	req.topic = sub->topic;
	req.queue_id = q->queue_id;
	req.queue_offset = q->pq.next;
	req.max_messages = c->pull_batch;
	req.sub_expression = sub->te.all ? (char *)"*" : sub->expr;
	req.tag_hashes = sub->te.hashes;
	req.n_tag_hashes = sub->te.ntags;
	req.suspend_timeout_ms = CONSUMER_SUSPEND_MS;
	if (c->offsets == NULL) {
		req.commit_offset_set = 1;
		req.commit_offset = procqueue_committable(&q->pq);
	}
	call = consumer_call_new(c, CALL_PULL, sub, q);
	q->state = QUEUE_PULLING;
	if (consumer_call_out(c, call, consumer_address(c, sub, q->broker),
	    PETREL__REQUEST_CODE__CODE_PULL_MESSAGE, (ProtobufCMessage *)&req,
	    CONSUMER_PULL_TIMEOUT, NULL, consumer_pull_cb) != 0) {
		consumer_queue_later(q);
		return;
	}
	if (c->offsets == NULL) {
		q->committed = req.commit_offset;
		q->committed_set = 1;
	}
}
