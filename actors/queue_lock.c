/*
 * Queue locks for ordered consumption: within a consumer group, a queue
 * is consumed by the one client holding its lock.  Answers the lock and
 * unlock requests of proto/broker.proto the listener routes to it.  A lock
 * lasts the expiry (60 s) from its last renewal (locking again); until
 * then another client of the group asking for it is left out of the
 * answer.  Expired locks are forgotten on each tick.  Locks live in memory
 * only: after a restart clients lock again.  Time is the monotonic clock
 * unless a test fixed it with SetClock.
 */
#include "config.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actor.h"
#include "broker.h"
#include "clock.h"
#include "log.h"
#include "msg.h"
#include "strmap.h"
#include "xmalloc.h"

#include "proto/broker.pb-c.h"
#include "proto/brokerd.pb-c.h"
#include "proto/frame.pb-c.h"
#include "proto/runtime.pb-c.h"

#define QL_TIMER	1

struct ql_lock {
	char		*client_id;
	uint64_t	 expire_at;	/* monotonic */
};

struct queue_lock {
	struct actor	*self;
	struct strmap	*locks;		/* group \1 topic \1 broker \1 queue */
	uint64_t	 expire_ms;
	uint64_t	 clock;		/* fixed by SetClock; 0: real */
};

static int	queue_lock_init(struct actor *, void *);
static void	queue_lock_fini(void *);
static int	queue_lock_on_config(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	queue_lock_on_lock(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	queue_lock_on_unlock(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	queue_lock_on_tick(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	queue_lock_on_clock(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	queue_lock_on_stop(void *, ProtobufCMessage *,
		    const struct envelope *);

static const struct actor_handler queue_lock_handlers[] = {
	{ &petrel__queue_lock_config__descriptor, queue_lock_on_config },
	{ &petrel__lock_batch_request__descriptor, queue_lock_on_lock },
	{ &petrel__unlock_batch_request__descriptor, queue_lock_on_unlock },
	{ &petrel__tick__descriptor, queue_lock_on_tick },
	{ &petrel__set_clock__descriptor, queue_lock_on_clock },
	{ &petrel__stop__descriptor, queue_lock_on_stop },
	{ NULL, NULL }
};

const struct actor_type queue_lock_actor = {
	.name = "queue_lock",
	.size = sizeof(struct queue_lock),
	.init = queue_lock_init,
	.fini = queue_lock_fini,
	.handlers = queue_lock_handlers
};

static void
queue_lock_free_lock(void *p)
{
	struct ql_lock	*l = p;

	free(l->client_id);
	free(l);
}

static int
queue_lock_init(struct actor *a, void *state)
{
	struct queue_lock	*ql = state;

	ql->self = a;
	ql->locks = strmap_new();
	ql->expire_ms = BROKER_LOCK_EXPIRE_MS;
	return (0);
}

static void
queue_lock_fini(void *state)
{
	struct queue_lock	*ql = state;

	strmap_free(ql->locks, queue_lock_free_lock);
}

static uint64_t
queue_lock_now(struct queue_lock *ql)
{
	return (ql->clock != 0 ? ql->clock : clock_mono_ms());
}

static int
queue_lock_on_config(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct queue_lock	*ql = state;
	Petrel__QueueLockConfig	*c = (Petrel__QueueLockConfig *)m;

	if (c->expire_ms != 0)
		ql->expire_ms = c->expire_ms;
	actor_timer(ql->self, QL_TIMER, c->scan_interval_ms != 0 ?
	    c->scan_interval_ms : BROKER_SCAN_MS, 1);
	return (actor_reply(env, msg_new(&petrel__configured__descriptor)));
}

/* Check a lock or unlock request; NULL if good, else a reason in buf. */
static const char *
queue_lock_check(const char *group, const char *client_id,
    Petrel__MessageQueue **queues, size_t n, char *buf, size_t len)
{
	const Petrel__MessageQueue	*mq;
	const char			*why, *p;
	size_t				 i;

	if ((why = brokerlib_check_name("group", group, BROKERLIB_GROUP, buf,
	    len)) != NULL ||
	    (why = brokerlib_check_client_id(client_id, buf, len)) != NULL)
		return (why);
	if (n == 0 || n > BROKER_BATCH_MAX) {
		snprintf(buf, len, "%zu queues: 1-%d at a time", n,
		    BROKER_BATCH_MAX);
		return (buf);
	}
	for (i = 0; i < n; i++) {
		mq = queues[i];
		if ((why = brokerlib_check_name("topic", mq->topic,
		    BROKERLIB_TOPIC, buf, len)) != NULL)
			return (why);
		for (p = mq->broker_name; *p != '\0'; p++) {
			if (!isgraph((u_char)*p))
				break;
		}
		if (*mq->broker_name == '\0' || *p != '\0' ||
		    p - mq->broker_name > BROKER_NAME_MAX) {
			snprintf(buf, len, "queue %zu: bad broker_name", i);
			return (buf);
		}
		if (mq->queue_id >= BROKER_QUEUES_MAX) {
			snprintf(buf, len, "queue %zu: queue_id %u is over %d",
			    i, mq->queue_id, BROKER_QUEUES_MAX - 1);
			return (buf);
		}
	}
	return (NULL);
}

/* The key of a queue of group; the caller frees it. */
static char *
queue_lock_key(const char *group, const Petrel__MessageQueue *mq)
{
	char	*key;

	xasprintf(&key, "%s\001%s\001%s\001%u", group, mq->topic,
	    mq->broker_name, mq->queue_id);
	return (key);
}

static int
queue_lock_on_lock(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct queue_lock		*ql = state;
	Petrel__LockBatchRequest	*r = (Petrel__LockBatchRequest *)m;
	Petrel__LockBatchResponse	*resp;
	struct ql_lock			*l;
	const char			*why;
	char				 buf[256], *key;
	uint64_t			 now = queue_lock_now(ql);
	size_t				 i;

	if ((why = queue_lock_check(r->group, r->client_id, r->queues,
	    r->n_queues, buf, sizeof buf)) != NULL)
		return (actor_reply_error(env,
		    PETREL__STATUS__STATUS_BAD_REQUEST, "%s", why));
	resp = msg_new(&petrel__lock_batch_response__descriptor);
	for (i = 0; i < r->n_queues; i++) {
		key = queue_lock_key(r->group, r->queues[i]);
		if ((l = strmap_get(ql->locks, key)) == NULL) {
			l = xcalloc(1, sizeof *l);
			strmap_put(ql->locks, key, l);
		} else if (strcmp(l->client_id, r->client_id) != 0 &&
		    l->expire_at > now) {
			free(key);
			continue;
		}
		if (l->client_id == NULL ||
		    strcmp(l->client_id, r->client_id) != 0) {
			if (l->client_id != NULL)
				log_info("group %s: %s queue %u moves from %s "
				    "to %s (lock expired)", r->group,
				    r->queues[i]->topic, r->queues[i]->queue_id,
				    l->client_id, r->client_id);
			free(l->client_id);
			l->client_id = xstrdup(r->client_id);
		}
		l->expire_at = now + ql->expire_ms;
		free(key);
		msg_array_add((void ***)&resp->locked, &resp->n_locked,
		    msg_dup(r->queues[i]));
	}
	return (actor_reply(env, resp));
}

static int
queue_lock_on_unlock(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct queue_lock		*ql = state;
	Petrel__UnlockBatchRequest	*r = (Petrel__UnlockBatchRequest *)m;
	Petrel__UnlockBatchResponse	*resp;
	struct ql_lock			*l;
	const char			*why;
	char				 buf[256], *key;
	size_t				 i;

	if ((why = queue_lock_check(r->group, r->client_id, r->queues,
	    r->n_queues, buf, sizeof buf)) != NULL)
		return (actor_reply_error(env,
		    PETREL__STATUS__STATUS_BAD_REQUEST, "%s", why));
	resp = msg_new(&petrel__unlock_batch_response__descriptor);
	for (i = 0; i < r->n_queues; i++) {
		key = queue_lock_key(r->group, r->queues[i]);
		l = strmap_get(ql->locks, key);
		if (l != NULL && strcmp(l->client_id, r->client_id) == 0) {
			queue_lock_free_lock(strmap_remove(ql->locks, key));
			resp->unlocked++;
		}
		free(key);
	}
	return (actor_reply(env, resp));
}

static int
queue_lock_on_tick(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct queue_lock	*ql = state;
	struct ql_lock		*l;
	const char		**keys;
	uint64_t		  now = queue_lock_now(ql);
	size_t			  n, i;

	keys = strmap_keys(ql->locks, &n);
	for (i = 0; i < n; i++) {
		l = strmap_get(ql->locks, keys[i]);
		if (l->expire_at <= now)
			queue_lock_free_lock(strmap_remove(ql->locks,
			    keys[i]));
	}
	free(keys);
	return (0);
}

static int
queue_lock_on_clock(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct queue_lock	*ql = state;

	ql->clock = ((Petrel__SetClock *)m)->now_ms;
	return (0);
}

static int
queue_lock_on_stop(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	return (actor_reply(env, msg_new(&petrel__stopped__descriptor)));
}
