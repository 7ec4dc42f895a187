/*
 * Puller: the broker's read path.  Answers CODE_PULL_MESSAGE,
 * CODE_GET_MIN_OFFSET, CODE_GET_MAX_OFFSET, CODE_SEARCH_OFFSET_BY_TIME,
 * CODE_QUERY_MESSAGE_BY_ID, CODE_QUERY_MESSAGE_BY_KEY and
 * CODE_VIEW_MESSAGE_BY_OFFSET, which the listener routes to it, by asking
 * the dispatcher (GetRequest, QueueInfoRequest, LookupRequest).  Keeps a
 * copy of the topic table (TopicTableRequest to the topic manager when
 * configured and after each TopicsChanged) to check topics and their read
 * permission without asking another loop; a topic missing from the copy
 * (made a moment ago, the new table not here yet) is asked of the topic
 * manager (TopicLookup) before it is refused.  A pull that commits an offset
 * tells the offset manager (CommitConsumerOffsetsRequest, unanswered).
 *
 * A pull's GetStatus from the dispatcher becomes the response's status as
 * in RocketMQ's PullMessageProcessor:
 *
 *  GET_FOUND                  STATUS_OK, the messages, next_offset past
 *                             the last one scanned
 *  GET_NO_MATCHED_MESSAGE     STATUS_OK without messages, next_offset past
 *                             what was scanned; if it scanned to the end of
 *                             the queue: nothing new at that offset
 *  GET_OFFSET_OVERFLOW_ONE    nothing new (the offset is the end)
 *  GET_NO_MESSAGE_IN_QUEUE,   nothing new if the offset is the end of the
 *  GET_NO_MATCHED_QUEUE       queue (0 for a queue never written); else
 *                             STATUS_PULL_OFFSET_MOVED to that end
 *  GET_OFFSET_TOO_SMALL       STATUS_PULL_OFFSET_MOVED, next_offset the
 *                             queue's min offset
 *  GET_OFFSET_OVERFLOW_BADLY  STATUS_PULL_OFFSET_MOVED, next_offset the
 *                             queue's max offset
 *  GET_OFFSET_FOUND_NULL      STATUS_PULL_OFFSET_MOVED, next_offset the
 *                             first offset whose data still exists
 *
 * "Nothing new" is held (long polling) when the pull asked for a
 * suspension, and answered STATUS_PULL_NOT_FOUND otherwise, or once the
 * suspension passed, with next_offset where it stands.  A queue id not
 * below the topic's read_queues is answered STATUS_PULL_OFFSET_ILLEGAL.
 * min_offset and max_offset are the dispatcher's of the last get.
 *
 * Long polling: held pulls wait per topic and queue.  A pull that may be
 * held asks with watch set, so the dispatcher tells this actor the new end
 * of the queue once it gets messages (QueuesArrived); a pull held below
 * that end is asked of the dispatcher again at once.  The dispatcher's
 * answers and its QueuesArrived come in the order it sent them, so a
 * "nothing" is always seen before the QueuesArrived of a later message: no
 * wake-up is lost.
 * Held pulls also sit in one list in deadline order with one timer armed
 * for the earliest; an expired pull is asked once more and then answered
 * whatever it finds (STATUS_PULL_NOT_FOUND with fresh offsets if still
 * nothing).  A closed connection (ConnectionClosed from the listener)
 * drops its pulls.  Time is the monotonic clock unless a test fixed it
 * with SetClock.
 */
#include "config.h"

#include <sys/queue.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actor.h"
#include "broker.h"
#include "clock.h"
#include "idmap.h"
#include "log.h"
#include "msg.h"
#include "strmap.h"
#include "xmalloc.h"

#include "proto/broker.pb-c.h"
#include "proto/brokerd.pb-c.h"
#include "proto/frame.pb-c.h"
#include "proto/namesrv.pb-c.h"
#include "proto/runtime.pb-c.h"
#include "proto/store.pb-c.h"
#include "proto/transport.pb-c.h"

#define PULLER_TIMER		1
#define PULLER_TABLE_COOKIE	1		/* TopicTableRequest */
#define PULLER_MAX_BYTES	(64U << 20)
#define PULLER_DEF_BYTES	(4U << 20)
#define PULLER_TAGS_MAX		64
#define PULLER_KEY_MAX		255
#define PULLER_UNIQ_MAX		64
#define PULLER_LOOKUP_MAX	64
#define PULLER_LOOKUP_DEF	32

#define PULLER_OK		PETREL__STATUS__STATUS_OK
#define PULLER_BAD		PETREL__STATUS__STATUS_BAD_REQUEST
#define PULLER_NOT_FOUND	PETREL__STATUS__STATUS_NOT_FOUND
#define PULLER_UNAVAILABLE	PETREL__STATUS__STATUS_SERVICE_NOT_AVAILABLE
#define PULLER_NO_TOPIC		PETREL__STATUS__STATUS_TOPIC_NOT_EXIST

enum puller_kind {
	PULLER_PULL,
	PULLER_MIN,
	PULLER_MAX,
	PULLER_SEARCH,
	PULLER_BY_OFFSET_ID,	/* QueryMessageById, an offset id */
	PULLER_BY_UNIQ,		/* QueryMessageById, a unique id */
	PULLER_BY_KEY,
	PULLER_VIEW,
	PULLER_TOPIC		/* a request waiting on a TopicLookup */
};

struct puller_queue;

/* A request waiting on the dispatcher, or a held pull. */
struct puller_req {
	enum puller_kind	 kind;
	uint64_t		 id;		/* cookie of its ask, 0: none */
	struct envelope		 env;		/* whom to answer */

	/* Pulls. */
	Petrel__PullMessageRequest *pull;	/* kept */
	uint64_t		 offset;	/* where it reads now */
	uint64_t		 deadline;	/* of its hold, 0: none */
	uint64_t		 min;		/* of the last answer */
	uint64_t		 max;
	int			 final;		/* expired: answer it */
	struct puller_queue	*queue;		/* held on, or NULL */
	TAILQ_ENTRY(puller_req)	 qentry;	/* in queue->held */
	TAILQ_ENTRY(puller_req)	 dentry;	/* in puller->held */

	/* A request parked until the topic manager answers. */
	ProtobufCMessage	*parked;

	/* Queries. */
	char			*topic;
	char			*name;		/* the id or key asked */
	uint8_t			 host[16];	/* of an offset id */
	uint32_t		 port;
	uint64_t		 commit_offset;
	uint64_t		 timestamp_ms;	/* searched, 0: none */
};
TAILQ_HEAD(puller_reqs, puller_req);

/* The pulls held on one queue of a topic. */
struct puller_queue {
	char			*key;		/* topic \1 queue id */
	struct puller_reqs	 held;
};

struct puller {
	struct actor		*self;
	struct actor		*dispatcher;
	struct actor		*topic_manager;
	struct actor		*offset_manager;
	uint32_t		 max_suspend_ms;
	struct topiccache	*topics;

	struct idmap		*asks;		/* id: puller_req */
	uint64_t		 last_id;
	struct strmap		*queues;	/* key: puller_queue */
	struct puller_reqs	 held;		/* by deadline */
	uint64_t		 armed;		/* its deadline, 0: none */

	uint64_t		 messages_got;
	uint64_t		 clock;		/* SetClock's, 0: real */
	int			 stopping;
};

static int	puller_init(struct actor *, void *);
static void	puller_fini(void *);
static int	puller_on_config(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	puller_on_pull(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	puller_on_min(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	puller_on_max(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	puller_on_search(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	puller_on_by_id(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	puller_on_by_key(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	puller_on_view(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	puller_on_get_response(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	puller_on_queue_info(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	puller_on_lookup(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	puller_on_topic(void *, ProtobufCMessage *,
		    const struct envelope *);
static struct puller_req *puller_take(struct puller *, uint64_t);
static int	puller_on_error(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	puller_on_arrived(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	puller_on_table(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	puller_on_topics_changed(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	puller_on_closed(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	puller_on_counters(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	puller_on_tick(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	puller_on_clock(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	puller_on_stop(void *, ProtobufCMessage *,
		    const struct envelope *);

static const struct actor_handler puller_handlers[] = {
	{ &petrel__puller_config__descriptor, puller_on_config },
	{ &petrel__pull_message_request__descriptor, puller_on_pull },
	{ &petrel__get_min_offset_request__descriptor, puller_on_min },
	{ &petrel__get_max_offset_request__descriptor, puller_on_max },
	{ &petrel__search_offset_by_time_request__descriptor,
	  puller_on_search },
	{ &petrel__query_message_by_id_request__descriptor, puller_on_by_id },
	{ &petrel__query_message_by_key_request__descriptor,
	  puller_on_by_key },
	{ &petrel__view_message_by_offset_request__descriptor,
	  puller_on_view },
	{ &petrel__get_response__descriptor, puller_on_get_response },
	{ &petrel__queue_info_response__descriptor, puller_on_queue_info },
	{ &petrel__lookup_response__descriptor, puller_on_lookup },
	{ &petrel__topic_lookup_result__descriptor, puller_on_topic },
	{ &petrel__error__descriptor, puller_on_error },
	{ &petrel__queues_arrived__descriptor, puller_on_arrived },
	{ &petrel__topic_table__descriptor, puller_on_table },
	{ &petrel__topics_changed__descriptor, puller_on_topics_changed },
	{ &petrel__connection_closed__descriptor, puller_on_closed },
	{ &petrel__counters_request__descriptor, puller_on_counters },
	{ &petrel__tick__descriptor, puller_on_tick },
	{ &petrel__set_clock__descriptor, puller_on_clock },
	{ &petrel__stop__descriptor, puller_on_stop },
	{ NULL, NULL }
};

const struct actor_type puller_actor = {
	.name = "puller",
	.size = sizeof(struct puller),
	.init = puller_init,
	.fini = puller_fini,
	.handlers = puller_handlers
};

/* Empty state: no topics, nothing asked or held. */
static int
puller_init(struct actor *a, void *state)
{
	struct puller	*p = state;

	p->self = a;
	p->max_suspend_ms = BROKER_SUSPEND_MAX_MS;
	p->topics = topiccache_new();
	p->asks = idmap_new();
	p->queues = strmap_new();
	TAILQ_INIT(&p->held);
	return (0);
}

/* Free a request and the pull it keeps (it must be neither held nor asked). */
static void
puller_free_req(struct puller_req *r)
{
	msg_free(r->pull);
	msg_free(r->parked);
	free(r->topic);
	free(r->name);
	free(r);
}

/* Free a queue's hold list (empty by then). */
static void
puller_free_queue(void *arg)
{
	struct puller_queue	*q = arg;

	free(q->key);
	free(q);
}

/* Free what is still asked or held (Stop answered it already). */
static void
puller_fini(void *state)
{
	struct puller		*p = state;
	struct puller_req	*r;
	size_t			 it = 0;
	uint64_t		 id;

	while ((r = TAILQ_FIRST(&p->held)) != NULL) {
		TAILQ_REMOVE(&p->held, r, dentry);
		puller_free_req(r);
	}
	while ((r = idmap_next(p->asks, &it, &id)) != NULL)
		puller_free_req(r);
	idmap_free(p->asks);
	strmap_free(p->queues, puller_free_queue);
	topiccache_free(p->topics);
}

/* Milliseconds of the monotonic clock, or the test's fixed one. */
static uint64_t
puller_now(struct puller *p)
{
	return (p->clock != 0 ? p->clock : clock_mono_ms());
}

/* Ask the topic manager for the whole topic table. */
static void
puller_ask_table(struct puller *p)
{
	if (p->topic_manager == NULL)
		return;
	actor_ask(p->topic_manager,
	    msg_new(&petrel__topic_table_request__descriptor), p->self,
	    PULLER_TABLE_COOKIE);
}

/* Take the actors to talk to, then ask for the topic table. */
static int
puller_on_config(void *state, ProtobufCMessage *m, const struct envelope *env)
{
	struct puller		*p = state;
	Petrel__PullerConfig	*c = (Petrel__PullerConfig *)m;
	Petrel__Configured	*ok;

	ok = msg_new(&petrel__configured__descriptor);
	if ((p->dispatcher = actor_deref(c->dispatcher)) == NULL ||
	    (p->topic_manager = actor_deref(c->topic_manager)) == NULL) {
		p->dispatcher = p->topic_manager = NULL;
		msg_set_string(&ok->error, "puller: no dispatcher or topic "
		    "manager");
		return (actor_reply(env, ok));
	}
	p->offset_manager = actor_deref(c->offset_manager);
	p->max_suspend_ms = c->max_suspend_ms != 0 ? c->max_suspend_ms :
	    BROKER_SUSPEND_MAX_MS;
	puller_ask_table(p);
	return (actor_reply(env, ok));
}

/* Refuse a request while not configured or stopping; 1 if refused. */
static int
puller_refuse(struct puller *p, const struct envelope *env)
{
	if (p->dispatcher == NULL) {
		actor_reply_error(env, PULLER_UNAVAILABLE,
		    "the pull path is not configured");
		return (1);
	}
	if (p->stopping) {
		actor_reply_error(env, PULLER_UNAVAILABLE,
		    "the broker is stopping");
		return (1);
	}
	return (0);
}

/* A new request of kind answering env. */
static struct puller_req *
puller_new_req(enum puller_kind kind, const struct envelope *env)
{
	struct puller_req	*r;

	r = xcalloc(1, sizeof *r);
	r->kind = kind;
	r->env = *env;
	return (r);
}

/*
 * Ask the dispatcher m for r under a fresh cookie; m is handed over.  If
 * the dispatcher cannot take it, r is answered and freed.
 */
static void
puller_ask(struct puller *p, struct puller_req *r, void *m)
{
	r->id = ++p->last_id;
	if (r->id == PULLER_TABLE_COOKIE)
		r->id = ++p->last_id;
	idmap_put(p->asks, r->id, r);
	if (actor_ask(p->dispatcher, m, p->self, r->id) != 0) {
		idmap_remove(p->asks, r->id);
		actor_reply_error(&r->env, PULLER_UNAVAILABLE,
		    "the store is not reachable");
		puller_free_req(r);
	}
}

/*
 * A request m for a topic missing from the copy of the table: the table
 * may lag behind a topic made a moment ago, so ask the topic manager and
 * handle m again once it answers (puller_on_topic).  Returns ACTOR_KEPT.
 */
static int
puller_park(struct puller *p, const char *topic, ProtobufCMessage *m,
    const struct envelope *env)
{
	Petrel__TopicLookup	*tl;
	struct puller_req	*r;

	r = puller_new_req(PULLER_TOPIC, env);
	r->parked = m;
	r->topic = xstrdup(topic);
	r->id = ++p->last_id;
	if (r->id == PULLER_TABLE_COOKIE)
		r->id = ++p->last_id;
	idmap_put(p->asks, r->id, r);
	tl = msg_new(&petrel__topic_lookup__descriptor);
	msg_set_string(&tl->topic, topic);
	if (actor_ask(p->topic_manager, tl, p->self, r->id) != 0) {
		idmap_remove(p->asks, r->id);
		actor_reply_error(env, PULLER_UNAVAILABLE,
		    "the topic manager is not reachable");
		puller_free_req(r);
	}
	return (ACTOR_KEPT);
}

/* The topic manager answered a parked request's lookup. */
static int
puller_on_topic(void *state, ProtobufCMessage *m, const struct envelope *env)
{
	struct puller			*p = state;
	Petrel__TopicLookupResult	*tr = (Petrel__TopicLookupResult *)m;
	struct puller_req		*r;

	if ((r = puller_take(p, env->cookie)) == NULL)
		return (0);
	if (tr->found && tr->config != NULL) {
		topiccache_put(p->topics, tr->config);
		actor_post(p->self, r->parked, &r->env);
		r->parked = NULL;
	} else
		actor_reply_error(&r->env, PULLER_NO_TOPIC,
		    "topic %s does not exist", r->topic);
	puller_free_req(r);
	return (0);
}

/* Ask the dispatcher for the messages of pull r from r->offset. */
static void
puller_get(struct puller *p, struct puller_req *r)
{
	Petrel__PullMessageRequest	*pm = r->pull;
	Petrel__GetRequest		*g;

	g = msg_new(&petrel__get_request__descriptor);
	msg_set_string(&g->topic, pm->topic);
	g->queue_id = pm->queue_id;
	g->offset = r->offset;
	g->max_count = pm->max_messages;
	g->max_bytes = pm->max_bytes != 0 ? pm->max_bytes : PULLER_DEF_BYTES;
	g->watch = r->deadline != 0 && !r->final;	/* it may be held */
	g->encode = 1;
	if (pm->n_tag_hashes != 0) {
		g->tag_hashes = xreallocarray(NULL, pm->n_tag_hashes,
		    sizeof *g->tag_hashes);
		memcpy(g->tag_hashes, pm->tag_hashes,
		    pm->n_tag_hashes * sizeof *g->tag_hashes);
		g->n_tag_hashes = pm->n_tag_hashes;
	}
	puller_ask(p, r, g);
}

/* Check a pull; NULL if good, else a reason in buf. */
static const char *
puller_check_pull(struct puller *p, const Petrel__PullMessageRequest *pm,
    char *buf, size_t len)
{
	const char	*why;

	if ((why = brokerlib_check_name("group", pm->group, BROKERLIB_GROUP,
	    buf, len)) != NULL ||
	    (why = brokerlib_check_name("topic", pm->topic, BROKERLIB_TOPIC,
	    buf, len)) != NULL)
		return (why);
	if (pm->max_messages == 0 || pm->max_messages > BROKER_PULL_MAX)
		snprintf(buf, len, "max_messages %u: 1-%d", pm->max_messages,
		    BROKER_PULL_MAX);
	else if (pm->max_bytes > PULLER_MAX_BYTES)
		snprintf(buf, len, "max_bytes %u: at most %u", pm->max_bytes,
		    PULLER_MAX_BYTES);
	else if (pm->suspend_timeout_ms > p->max_suspend_ms)
		snprintf(buf, len, "suspend_timeout_ms %u: at most %u",
		    pm->suspend_timeout_ms, p->max_suspend_ms);
	else if (pm->n_tag_hashes > PULLER_TAGS_MAX)
		snprintf(buf, len, "%zu tag hashes: at most %d",
		    pm->n_tag_hashes, PULLER_TAGS_MAX);
	else
		return (NULL);
	return (buf);
}

/* Tell the offset manager the group's consumed offset of pm's queue. */
static void
puller_commit(struct puller *p, const Petrel__PullMessageRequest *pm)
{
	Petrel__CommitConsumerOffsetsRequest	*c;
	Petrel__QueueOffset			*qo;

	if (p->offset_manager == NULL)
		return;
	c = msg_new(&petrel__commit_consumer_offsets_request__descriptor);
	msg_set_string(&c->group, pm->group);
	msg_set_string(&c->client_id, "");	/* none: the pull path's */
	qo = msg_new(&petrel__queue_offset__descriptor);
	msg_set_string(&qo->topic, pm->topic);
	qo->queue_id = pm->queue_id;
	qo->offset = pm->commit_offset;
	c->offsets = xcalloc(1, sizeof *c->offsets);
	c->offsets[c->n_offsets++] = qo;
	actor_send(p->offset_manager, c);
}

/*
 * PullMessageRequest: check it, commit its offset if asked, and ask the
 * dispatcher; the request is kept until answered.
 */
static int
puller_on_pull(void *state, ProtobufCMessage *m, const struct envelope *env)
{
	struct puller			*p = state;
	Petrel__PullMessageRequest	*pm = (Petrel__PullMessageRequest *)m;
	Petrel__PullMessageResponse	*resp;
	const Petrel__TopicConfig	*t;
	struct puller_req		*r;
	const char			*why;
	char				 buf[256];

	if (puller_refuse(p, env))
		return (0);
	if ((why = puller_check_pull(p, pm, buf, sizeof buf)) != NULL)
		return (actor_reply_error(env, PULLER_BAD, "%s", why));
	if ((t = topiccache_get(p->topics, pm->topic)) == NULL)
		return (puller_park(p, pm->topic, m, env));
	if ((t->perm & PETREL__PERM__PERM_READ) == 0)
		return (actor_reply_error(env,
		    PETREL__STATUS__STATUS_NO_PERMISSION,
		    "topic %s is not readable", pm->topic));
	if (pm->queue_id >= t->read_queues) {
		resp = msg_new(&petrel__pull_message_response__descriptor);
		resp->status = PETREL__STATUS__STATUS_PULL_OFFSET_ILLEGAL;
		resp->next_offset = pm->queue_offset;
		return (actor_reply(env, resp));
	}
	if (pm->commit_offset_set)
		puller_commit(p, pm);

	r = puller_new_req(PULLER_PULL, env);
	r->pull = pm;
	r->offset = pm->queue_offset;
	if (pm->suspend_timeout_ms != 0)
		r->deadline = puller_now(p) + pm->suspend_timeout_ms;
	puller_get(p, r);
	return (ACTOR_KEPT);
}

/*
 * Check a topic and queue of an offset request m: 0 if good, 1 if
 * answered, 2 if m waits for the topic manager.
 */
static int
puller_check_queue(struct puller *p, const char *topic, uint32_t qid,
    ProtobufCMessage *m, const struct envelope *env)
{
	const Petrel__TopicConfig	*t;
	const char			*why;
	char				 buf[256];

	if (puller_refuse(p, env))
		return (1);
	if ((why = brokerlib_check_name("topic", topic, BROKERLIB_TOPIC, buf,
	    sizeof buf)) != NULL)
		actor_reply_error(env, PULLER_BAD, "%s", why);
	else if ((t = topiccache_get(p->topics, topic)) == NULL)
		return (puller_park(p, topic, m, env) + 1);
	else if (qid >= t->read_queues)
		actor_reply_error(env, PULLER_BAD,
		    "queue_id %u: topic %s has %u read queues", qid, topic,
		    t->read_queues);
	else
		return (0);
	return (1);
}

/* Ask the dispatcher about the range of a queue for an offset request. */
static int
puller_queue_info(struct puller *p, enum puller_kind kind, const char *topic,
    uint32_t qid, uint64_t ts, ProtobufCMessage *m, const struct envelope *env)
{
	Petrel__QueueInfoRequest	*qi;
	struct puller_req		*r;

	switch (puller_check_queue(p, topic, qid, m, env)) {
	case 1:
		return (0);
	case 2:
		return (ACTOR_KEPT);
	}
	qi = msg_new(&petrel__queue_info_request__descriptor);
	msg_set_string(&qi->topic, topic);
	qi->queue_id = qid;
	qi->timestamp_ms = ts;
	r = puller_new_req(kind, env);
	r->timestamp_ms = ts;
	puller_ask(p, r, qi);
	return (0);
}

/* GetMinOffsetRequest: the first offset still stored. */
static int
puller_on_min(void *state, ProtobufCMessage *m, const struct envelope *env)
{
	Petrel__GetMinOffsetRequest *r = (Petrel__GetMinOffsetRequest *)m;

	return (puller_queue_info(state, PULLER_MIN, r->topic, r->queue_id, 0,
	    m, env));
}

/* GetMaxOffsetRequest: one past the last offset. */
static int
puller_on_max(void *state, ProtobufCMessage *m, const struct envelope *env)
{
	Petrel__GetMaxOffsetRequest *r = (Petrel__GetMaxOffsetRequest *)m;

	return (puller_queue_info(state, PULLER_MAX, r->topic, r->queue_id, 0,
	    m, env));
}

/* SearchOffsetByTimeRequest: the first offset stored at or after. */
static int
puller_on_search(void *state, ProtobufCMessage *m, const struct envelope *env)
{
	Petrel__SearchOffsetByTimeRequest *r =
	    (Petrel__SearchOffsetByTimeRequest *)m;

	return (puller_queue_info(state, PULLER_SEARCH, r->topic, r->queue_id,
	    r->timestamp_ms, m, env));
}

/* Ask the dispatcher for the messages r names (LookupRequest). */
static void
puller_lookup(struct puller *p, struct puller_req *r, uint32_t max,
    uint64_t begin, uint64_t end)
{
	Petrel__LookupRequest	*l;

	l = msg_new(&petrel__lookup_request__descriptor);
	msg_set_string(&l->topic, r->topic != NULL ? r->topic : "");
	switch (r->kind) {
	case PULLER_BY_UNIQ:
		msg_set_string(&l->uniq_id, r->name);
		break;
	case PULLER_BY_KEY:
		msg_set_string(&l->key, r->name);
		l->begin_ms = begin;
		l->end_ms = end;
		l->max = max;
		break;
	default:
		l->commit_offset = r->commit_offset;
		break;
	}
	puller_ask(p, r, l);
}

/* Whether s is 1 to max printable bytes without spaces. */
static int
puller_word(const char *s, size_t max)
{
	size_t	i;

	for (i = 0; s[i] != '\0'; i++) {
		if (i == max || s[i] <= ' ' || s[i] > '~')
			return (0);
	}
	return (i != 0);
}

/*
 * QueryMessageByIdRequest: an offset id is looked up by commit log
 * offset, anything else as a unique id of the topic.
 */
static int
puller_on_by_id(void *state, ProtobufCMessage *m, const struct envelope *env)
{
	struct puller			*p = state;
	Petrel__QueryMessageByIdRequest	*q =
	    (Petrel__QueryMessageByIdRequest *)m;
	struct puller_req		*r;
	const char			*why;
	char				 buf[256];
	uint8_t				 host[16];
	uint32_t			 port;
	uint64_t			 off;

	if (puller_refuse(p, env))
		return (0);
	if (!puller_word(q->msg_id, PULLER_UNIQ_MAX))
		return (actor_reply_error(env, PULLER_BAD, "msg_id must be "
		    "1-%d printable bytes without spaces", PULLER_UNIQ_MAX));
	if (*q->topic != '\0' && (why = brokerlib_check_name("topic",
	    q->topic, BROKERLIB_TOPIC, buf, sizeof buf)) != NULL)
		return (actor_reply_error(env, PULLER_BAD, "%s", why));
	if (brokermsg_parse_id(q->msg_id, host, &port, &off) == 0) {
		r = puller_new_req(PULLER_BY_OFFSET_ID, env);
		memcpy(r->host, host, sizeof r->host);
		r->port = port;
		r->commit_offset = off;
	} else {
		if (*q->topic == '\0')
			return (actor_reply_error(env, PULLER_BAD,
			    "%s is not an offset id: a unique id needs the "
			    "topic", q->msg_id));
		r = puller_new_req(PULLER_BY_UNIQ, env);
	}
	if (*q->topic != '\0')
		r->topic = xstrdup(q->topic);
	r->name = xstrdup(q->msg_id);
	puller_lookup(p, r, 1, 0, 0);
	return (0);
}

/* QueryMessageByKeyRequest: messages of a topic with a key, newest first. */
static int
puller_on_by_key(void *state, ProtobufCMessage *m, const struct envelope *env)
{
	struct puller			 *p = state;
	Petrel__QueryMessageByKeyRequest *q =
	    (Petrel__QueryMessageByKeyRequest *)m;
	struct puller_req		 *r;
	const char			 *why;
	char				  buf[256];

	if (puller_refuse(p, env))
		return (0);
	if ((why = brokerlib_check_name("topic", q->topic, BROKERLIB_TOPIC,
	    buf, sizeof buf)) != NULL)
		return (actor_reply_error(env, PULLER_BAD, "%s", why));
	if (!puller_word(q->key, PULLER_KEY_MAX))
		return (actor_reply_error(env, PULLER_BAD, "key must be 1-%d "
		    "printable bytes without spaces", PULLER_KEY_MAX));
	if (q->max_messages > PULLER_LOOKUP_MAX)
		return (actor_reply_error(env, PULLER_BAD,
		    "max_messages %u: 1-%d", q->max_messages,
		    PULLER_LOOKUP_MAX));
	if (q->end_ms != 0 && q->begin_ms > q->end_ms)
		return (actor_reply_error(env, PULLER_BAD,
		    "begin_ms %" PRIu64 " is after end_ms %" PRIu64,
		    q->begin_ms, q->end_ms));
	r = puller_new_req(PULLER_BY_KEY, env);
	r->topic = xstrdup(q->topic);
	r->name = xstrdup(q->key);
	puller_lookup(p, r, q->max_messages != 0 ? q->max_messages :
	    PULLER_LOOKUP_DEF, q->begin_ms, q->end_ms);
	return (0);
}

/* ViewMessageByOffsetRequest: the message at a commit log offset. */
static int
puller_on_view(void *state, ProtobufCMessage *m, const struct envelope *env)
{
	struct puller			*p = state;
	Petrel__ViewMessageByOffsetRequest *q =
	    (Petrel__ViewMessageByOffsetRequest *)m;
	struct puller_req		*r;

	if (puller_refuse(p, env))
		return (0);
	r = puller_new_req(PULLER_VIEW, env);
	r->commit_offset = q->commit_log_offset;
	puller_lookup(p, r, 1, 0, 0);
	return (0);
}

/* The request waiting on the answer of cookie, taken out, or NULL. */
static struct puller_req *
puller_take(struct puller *p, uint64_t cookie)
{
	struct puller_req	*r;

	if ((r = idmap_remove(p->asks, cookie)) != NULL)
		r->id = 0;
	return (r);
}

/*
 * Answer pull r with status and next; the messages, if any, are those the
 * dispatcher encoded in gr, which are taken from it: the answer is the
 * response's other fields, encoded here, then those bytes as they are
 * (protobuf allows fields in any order).  Frees r.
 */
static void
puller_answer(struct puller *p, struct puller_req *r, uint32_t status,
    uint64_t next, Petrel__GetResponse *gr)
{
	Petrel__PullMessageResponse	 resp =
	    PETREL__PULL_MESSAGE_RESPONSE__INIT;
	Petrel__EncodedAnswer		*ea;
	ProtobufCBinaryData		*head;

	resp.status = status;
	resp.next_offset = next;
	resp.min_offset = r->min;
	resp.max_offset = r->max;
	ea = msg_new(&petrel__encoded_answer__descriptor);
	ea->parts = xcalloc(2, sizeof *ea->parts);
	head = &ea->parts[ea->n_parts++];
	head->len = protobuf_c_message_get_packed_size(&resp.base);
	head->data = xmalloc(head->len != 0 ? head->len : 1);
	protobuf_c_message_pack(&resp.base, head->data);
	if (gr != NULL && gr->n_encoded != 0) {
		ea->parts[ea->n_parts++] = gr->encoded;
		gr->encoded.data = NULL;
		gr->encoded.len = 0;
		p->messages_got += gr->n_encoded;
	}
	actor_reply(&r->env, ea);
	puller_free_req(r);
}

/* Arm the timer for the earliest hold if it is not armed early enough. */
static void
puller_arm(struct puller *p)
{
	struct puller_req	*r;
	uint64_t		 now;

	if ((r = TAILQ_FIRST(&p->held)) == NULL)
		return;
	if (p->armed != 0 && p->armed <= r->deadline)
		return;
	now = puller_now(p);
	p->armed = r->deadline;
	actor_timer(p->self, PULLER_TIMER, r->deadline > now ?
	    r->deadline - now : 0, 0);
}

/* Hold pull r on its queue until a message lands or its deadline. */
static void
puller_hold(struct puller *p, struct puller_req *r)
{
	struct puller_queue	*q;
	struct puller_req	*at;
	char			*key;

	xasprintf(&key, "%s\001%u", r->pull->topic, r->pull->queue_id);
	if ((q = strmap_get(p->queues, key)) == NULL) {
		q = xcalloc(1, sizeof *q);
		q->key = key;
		TAILQ_INIT(&q->held);
		strmap_put(p->queues, q->key, q);
	} else
		free(key);
	TAILQ_INSERT_TAIL(&q->held, r, qentry);
	r->queue = q;

	/* Suspensions are mostly alike: the place is near the tail. */
	at = TAILQ_LAST(&p->held, puller_reqs);
	while (at != NULL && at->deadline > r->deadline)
		at = TAILQ_PREV(at, puller_reqs, dentry);
	if (at == NULL)
		TAILQ_INSERT_HEAD(&p->held, r, dentry);
	else
		TAILQ_INSERT_AFTER(&p->held, at, r, dentry);
	puller_arm(p);
}

/* Take pull r off its hold. */
static void
puller_unhold(struct puller *p, struct puller_req *r)
{
	struct puller_queue	*q = r->queue;

	TAILQ_REMOVE(&q->held, r, qentry);
	TAILQ_REMOVE(&p->held, r, dentry);
	r->queue = NULL;
	if (TAILQ_EMPTY(&q->held)) {
		strmap_remove(p->queues, q->key);
		puller_free_queue(q);
	}
}

/* Nothing new at off for pull r: hold it, or answer PULL_NOT_FOUND. */
static void
puller_nothing(struct puller *p, struct puller_req *r, uint64_t off)
{
	r->offset = off;
	if (r->deadline != 0 && !r->final && !p->stopping &&
	    puller_now(p) < r->deadline) {
		puller_hold(p, r);
		return;
	}
	puller_answer(p, r, PETREL__STATUS__STATUS_PULL_NOT_FOUND, off, NULL);
}

/* The dispatcher's GetResponse of a pull: answer it or hold it. */
static int
puller_on_get_response(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct puller		*p = state;
	Petrel__GetResponse	*gr = (Petrel__GetResponse *)m;
	struct puller_req	*r;
	const uint32_t		 moved =
	    PETREL__STATUS__STATUS_PULL_OFFSET_MOVED;

	if ((r = puller_take(p, env->cookie)) == NULL)
		return (0);	/* its connection closed */
	if (r->kind != PULLER_PULL)
		fatalx("%s: desynchronized: a get answers a query", __func__);
	r->min = gr->min_offset;
	r->max = gr->max_offset;
	switch (gr->status) {
	case PETREL__GET_STATUS__GET_FOUND:
		puller_answer(p, r, PULLER_OK, gr->next_offset, gr);
		break;
	case PETREL__GET_STATUS__GET_NO_MATCHED_MESSAGE:
		if (gr->next_offset < gr->max_offset)
			puller_answer(p, r, PULLER_OK, gr->next_offset, NULL);
		else
			puller_nothing(p, r, gr->next_offset);
		break;
	case PETREL__GET_STATUS__GET_OFFSET_OVERFLOW_ONE:
		puller_nothing(p, r, r->offset);
		break;
	case PETREL__GET_STATUS__GET_NO_MESSAGE_IN_QUEUE:
	case PETREL__GET_STATUS__GET_NO_MATCHED_QUEUE:
		if (r->offset == gr->next_offset)
			puller_nothing(p, r, r->offset);
		else
			puller_answer(p, r, moved, gr->next_offset, NULL);
		break;
	case PETREL__GET_STATUS__GET_OFFSET_TOO_SMALL:
	case PETREL__GET_STATUS__GET_OFFSET_OVERFLOW_BADLY:
	case PETREL__GET_STATUS__GET_OFFSET_FOUND_NULL:
		puller_answer(p, r, moved, gr->next_offset, NULL);
		break;
	default:
		log_warnx("puller: unknown get status %u", gr->status);
		actor_reply_error(&r->env, PETREL__STATUS__STATUS_SYSTEM_ERROR,
		    "the store answered get status %u", gr->status);
		puller_free_req(r);
		break;
	}
	return (0);
}

/* The dispatcher's QueueInfoResponse of an offset request. */
static int
puller_on_queue_info(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct puller			*p = state;
	Petrel__QueueInfoResponse	*qi = (Petrel__QueueInfoResponse *)m;
	struct puller_req		*r;
	Petrel__GetMinOffsetResponse	*min;
	Petrel__GetMaxOffsetResponse	*max;
	Petrel__SearchOffsetByTimeResponse *search;

	if ((r = puller_take(p, env->cookie)) == NULL)
		return (0);
	/* A queue of the topic with nothing stored yet is 0 throughout. */
	switch (r->kind) {
	case PULLER_MIN:
		min = msg_new(&petrel__get_min_offset_response__descriptor);
		min->offset = qi->found ? qi->min_offset : 0;
		actor_reply(&r->env, min);
		break;
	case PULLER_MAX:
		max = msg_new(&petrel__get_max_offset_response__descriptor);
		max->offset = qi->found ? qi->max_offset : 0;
		actor_reply(&r->env, max);
		break;
	case PULLER_SEARCH:
		search = msg_new(
		    &petrel__search_offset_by_time_response__descriptor);
		if (qi->found)
			search->offset = r->timestamp_ms != 0 ?
			    qi->offset_for_time : qi->min_offset;
		actor_reply(&r->env, search);
		break;
	default:
		fatalx("%s: desynchronized: queue info answers a %d",
		    __func__, r->kind);
	}
	puller_free_req(r);
	return (0);
}

/* Whether stored message sm was stored by the host and port of r's id. */
static int
puller_same_host(const struct puller_req *r, const Petrel__StoreMessage *sm)
{
	return (sm->store_host.len == sizeof r->host &&
	    memcmp(sm->store_host.data, r->host, sizeof r->host) == 0 &&
	    sm->store_port == r->port);
}

/* The dispatcher's LookupResponse of a query. */
static int
puller_on_lookup(void *state, ProtobufCMessage *m, const struct envelope *env)
{
	struct puller			*p = state;
	Petrel__LookupResponse		*l = (Petrel__LookupResponse *)m;
	struct puller_req		*r;
	Petrel__QueryMessageByIdResponse *byid;
	Petrel__QueryMessageByKeyResponse *bykey;
	Petrel__ViewMessageByOffsetResponse *view;
	size_t				 i;

	if ((r = puller_take(p, env->cookie)) == NULL)
		return (0);
	switch (r->kind) {
	case PULLER_BY_OFFSET_ID:
		if (l->n_messages != 0 &&
		    !puller_same_host(r, l->messages[0])) {
			actor_reply_error(&r->env, PULLER_NOT_FOUND,
			    "message %s was stored by another broker", r->name);
			break;
		}
		if (l->n_messages == 0 && r->topic != NULL) {
			/* Maybe a unique id of the same shape. */
			r->kind = PULLER_BY_UNIQ;
			puller_lookup(p, r, 1, 0, 0);
			return (0);
		}
		/* FALLTHROUGH */
	case PULLER_BY_UNIQ:
		if (l->n_messages == 0) {
			actor_reply_error(&r->env, PULLER_NOT_FOUND,
			    "no message %s%s%s", r->name, r->topic != NULL ?
			    " in topic " : "", r->topic != NULL ? r->topic :
			    "");
			break;
		}
		byid = msg_new(
		    &petrel__query_message_by_id_response__descriptor);
		byid->message = brokermsg_to_wire(l->messages[0]);
		actor_reply(&r->env, byid);
		break;
	case PULLER_BY_KEY:
		if (l->n_messages == 0) {
			actor_reply_error(&r->env, PULLER_NOT_FOUND,
			    "no message with key %s in topic %s", r->name,
			    r->topic);
			break;
		}
		bykey = msg_new(
		    &petrel__query_message_by_key_response__descriptor);
		bykey->messages = xreallocarray(NULL, l->n_messages,
		    sizeof *bykey->messages);
		for (i = 0; i < l->n_messages; i++)
			bykey->messages[i] = brokermsg_to_wire(l->messages[i]);
		bykey->n_messages = l->n_messages;
		actor_reply(&r->env, bykey);
		break;
	case PULLER_VIEW:
		if (l->n_messages == 0) {
			actor_reply_error(&r->env, PULLER_NOT_FOUND,
			    "no message at commit log offset %" PRIu64 "%s%s",
			    r->commit_offset, *l->error != '\0' ? ": " : "",
			    l->error);
			break;
		}
		view = msg_new(
		    &petrel__view_message_by_offset_response__descriptor);
		view->message = brokermsg_to_wire(l->messages[0]);
		actor_reply(&r->env, view);
		break;
	default:
		fatalx("%s: desynchronized: a lookup answers a %d", __func__,
		    r->kind);
	}
	puller_free_req(r);
	return (0);
}

/* The dispatcher (or topic manager) refused: pass its error on. */
static int
puller_on_error(void *state, ProtobufCMessage *m, const struct envelope *env)
{
	struct puller		*p = state;
	Petrel__Error		*e = (Petrel__Error *)m;
	struct puller_req	*r;

	if (env->cookie == PULLER_TABLE_COOKIE) {
		log_warnx("puller: topic table: %s", e->text);
		return (0);
	}
	if ((r = puller_take(p, env->cookie)) == NULL)
		return (0);
	actor_reply_error(&r->env, e->status, "%s", e->text);
	puller_free_req(r);
	return (0);
}

/* QueuesArrived: ask again every pull held below a queue's new end. */
static int
puller_on_arrived(void *state, ProtobufCMessage *m, const struct envelope *env)
{
	struct puller		*p = state;
	Petrel__QueuesArrived	*qa = (Petrel__QueuesArrived *)m;
	const Petrel__QueueOffset *qo;
	struct puller_queue	*q;
	struct puller_req	*r, *next;
	char			 key[BROKER_NAME_MAX + 16];
	size_t			 i;

	for (i = 0; i < qa->n_queues && strmap_count(p->queues) != 0; i++) {
		qo = qa->queues[i];
		if (strlen(qo->topic) > BROKER_NAME_MAX)
			continue;
		snprintf(key, sizeof key, "%s\001%u", qo->topic, qo->queue_id);
		if ((q = strmap_get(p->queues, key)) == NULL)
			continue;
		/* Unholding the last one frees q; next is NULL then. */
		for (r = TAILQ_FIRST(&q->held); r != NULL; r = next) {
			next = TAILQ_NEXT(r, qentry);
			if (r->offset >= qo->offset)
				continue;
			puller_unhold(p, r);
			puller_get(p, r);
		}
	}
	return (0);
}

/* The topic manager's whole table replaces the copy. */
static int
puller_on_table(void *state, ProtobufCMessage *m, const struct envelope *env)
{
	struct puller	*p = state;

	topiccache_load(p->topics, (Petrel__TopicTable *)m);
	return (0);
}

/* The topics changed: ask for the table again. */
static int
puller_on_topics_changed(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	puller_ask_table(state);
	return (0);
}

/* A connection closed: drop its pulls, held or asked. */
static int
puller_on_closed(void *state, ProtobufCMessage *m, const struct envelope *env)
{
	struct puller		*p = state;
	Petrel__ConnectionClosed *cc = (Petrel__ConnectionClosed *)m;
	struct puller_req	*r, *next;
	uint64_t		*ids = NULL, id;
	size_t			 n = 0, it = 0, i;

	if (cc->conn == 0)
		return (0);
	for (r = TAILQ_FIRST(&p->held); r != NULL; r = next) {
		next = TAILQ_NEXT(r, dentry);
		if (r->env.conn == cc->conn) {
			puller_unhold(p, r);
			puller_free_req(r);
		}
	}
	/* Asked ones: their answers will find no request and be dropped. */
	while ((r = idmap_next(p->asks, &it, &id)) != NULL) {
		if (r->env.conn == cc->conn) {
			ids = xreallocarray(ids, n + 1, sizeof *ids);
			ids[n++] = id;
		}
	}
	for (i = 0; i < n; i++)
		puller_free_req(idmap_remove(p->asks, ids[i]));
	free(ids);
	return (0);
}

/* CountersRequest: messages handed out by pulls. */
static int
puller_on_counters(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct puller		*p = state;
	Petrel__Counters	*c;
	Petrel__Counter		*one;

	c = msg_new(&petrel__counters__descriptor);
	one = msg_new(&petrel__counter__descriptor);
	msg_set_string(&one->name, "messages_got");
	one->value = p->messages_got;
	c->counters = xcalloc(1, sizeof *c->counters);
	c->counters[c->n_counters++] = one;
	return (actor_reply(env, c));
}

/* Expired holds are asked once more, then answered what that finds. */
static int
puller_on_tick(void *state, ProtobufCMessage *m, const struct envelope *env)
{
	struct puller		*p = state;
	Petrel__Tick		*t = (Petrel__Tick *)m;
	struct puller_req	*r;
	uint64_t		 now = puller_now(p);

	if (t->id != PULLER_TIMER)
		return (0);
	p->armed = 0;
	while ((r = TAILQ_FIRST(&p->held)) != NULL && r->deadline <= now) {
		puller_unhold(p, r);
		r->final = 1;
		puller_get(p, r);
	}
	puller_arm(p);
	return (0);
}

/* SetClock: fix the clock (tests of expiry), 0: the real one. */
static int
puller_on_clock(void *state, ProtobufCMessage *m, const struct envelope *env)
{
	struct puller	*p = state;

	p->clock = ((Petrel__SetClock *)m)->now_ms;
	return (0);
}

/*
 * Answer every pull: held ones PULL_NOT_FOUND where they stand, those and
 * the queries waiting on the dispatcher SERVICE_NOT_AVAILABLE.  Requests
 * after this are refused.
 */
static int
puller_on_stop(void *state, ProtobufCMessage *m, const struct envelope *env)
{
	struct puller		*p = state;
	struct puller_req	*r;
	size_t			 it = 0;
	uint64_t		 id;

	p->stopping = 1;
	while ((r = TAILQ_FIRST(&p->held)) != NULL) {
		puller_unhold(p, r);
		puller_answer(p, r, PETREL__STATUS__STATUS_PULL_NOT_FOUND,
		    r->offset, NULL);
	}
	while ((r = idmap_next(p->asks, &it, &id)) != NULL) {
		actor_reply_error(&r->env, PULLER_UNAVAILABLE,
		    "the broker is stopping");
		puller_free_req(r);
	}
	idmap_free(p->asks);
	p->asks = idmap_new();
	actor_timer_cancel(p->self, PULLER_TIMER);
	return (actor_reply(env, msg_new(&petrel__stopped__descriptor)));
}
