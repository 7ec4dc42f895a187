/*
 * Dispatcher: owns the store's consume queues, index and checkpoint, and
 * answers reads.  On StoreConfig it opens the store (recovering it after a
 * crash, petrel-store(5)), configures the writer (WriterConfig: where the
 * log ends, every queue's next offset) and the flusher (FlusherConfig),
 * and answers Configured once both have.
 *
 * After each LogAppended from the writer it reads the new records from the
 * log (its own mapping of the same files), writes their consume queue and
 * index entries, and tells its watchers which queues grew
 * (QueuesArrived): a watcher with a topic of every queue of it that grew,
 * one without (the puller) only of the queues where a GetRequest of its
 * with watch set found nothing since it last heard of them, so a send
 * nobody waits for wakes no other loop.  Answers and notices leave in the
 * order they are made: a watcher sees "nothing" before the notice of a
 * later message.  FlushDone from the flusher says how far the log is
 * durable; every checkpoint interval it flushes queues and index and
 * checkpoints below that.  It deletes expired log for the cleaner
 * (DeleteExpired) and tells writer and flusher (LogTrimmed).  On Stop it
 * closes the store cleanly: last checkpoint, abort marker removed.
 *
 * Reads: GetRequest (a queue from an offset, with count, byte and tag
 * filters), QueueInfoRequest (range, offset for a time), LookupRequest
 * (by commit log offset, unique id, or key in a time range) and, for the
 * offset manager's reset by time, StoreOffsetsByTime (every queue of a
 * topic).  The status actor asks CountersRequest: the log's range.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actor.h"
#include "broker.h"
#include "commitlog.h"
#include "log.h"
#include "msg.h"
#include "runtime.pb-c.h"
#include "store.h"
#include "store.pb-c.h"
#include "store_actors.h"
#include "storemsg.h"
#include "strmap.h"
#include "xmalloc.h"

#include "proto/brokerd.pb-c.h"
#include "proto/frame.pb-c.h"

#define DISPATCHER_TIMER		1
#define DISPATCHER_CHECKPOINT_MS	1000
#define DISPATCHER_GET_MAX		1024
#define DISPATCHER_WIRE_EXTRA		128	/* a wire Message over its record */
#define DISPATCHER_LOOKUP_MAX		64
#define DISPATCHER_WATCHERS_MAX		64	/* bits of a watched value */
#define DISPATCHER_NOT_AVAILABLE	\
	PETREL__STORE_STATUS__STORE_SERVICE_NOT_AVAILABLE

struct dispatcher {
	struct actor		*self;
	struct store		*st;
	struct actor		*writer;
	struct actor		*flusher;
	struct actor		**watchers;
	char			**watch_topics;	/* per watcher, NULL: watched */
	size_t			 nwatchers;
	struct strmap		*watched;	/* dispatcher_key -> bits */
	struct commitlog_tail	 tail;		/* the writer publishes in */
	uint64_t		 durable;
	uint64_t		 checkpointed;
	uint64_t		 followed;	/* log end dispatched to */

	struct envelope		 cfg_env;	/* StoreConfig to answer */
	int			 cfg_waiting;	/* acks still to come */
	char			*cfg_error;

	Petrel__QueuesArrived	**notices;	/* per watcher, being built */
	struct commitlog_msg	*scratch;	/* for gets */
	size_t			 capscratch;
};

static int	dispatcher_init(struct actor *, void *);
static void	dispatcher_fini(void *);
static int	dispatcher_on_config(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	dispatcher_on_configured(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	dispatcher_on_appended(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	dispatcher_on_flush_done(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	dispatcher_on_tick(void *, ProtobufCMessage *,
		    const struct envelope *);
static void	dispatcher_encode(Petrel__GetResponse *,
		    const struct store_get *);
static int	dispatcher_on_get(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	dispatcher_on_queue_info(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	dispatcher_on_lookup(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	dispatcher_on_by_time(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	dispatcher_on_counters(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	dispatcher_on_delete(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	dispatcher_on_stop(void *, ProtobufCMessage *,
		    const struct envelope *);

static const struct actor_handler dispatcher_handlers[] = {
	{ &petrel__store_config__descriptor, dispatcher_on_config },
	{ &petrel__configured__descriptor, dispatcher_on_configured },
	{ &petrel__log_appended__descriptor, dispatcher_on_appended },
	{ &petrel__flush_done__descriptor, dispatcher_on_flush_done },
	{ &petrel__tick__descriptor, dispatcher_on_tick },
	{ &petrel__get_request__descriptor, dispatcher_on_get },
	{ &petrel__queue_info_request__descriptor, dispatcher_on_queue_info },
	{ &petrel__lookup_request__descriptor, dispatcher_on_lookup },
	{ &petrel__store_offsets_by_time__descriptor, dispatcher_on_by_time },
	{ &petrel__counters_request__descriptor, dispatcher_on_counters },
	{ &petrel__delete_expired__descriptor, dispatcher_on_delete },
	{ &petrel__stop__descriptor, dispatcher_on_stop },
	{ NULL, NULL }
};

const struct actor_type dispatcher_actor = {
	.name = "dispatcher",
	.size = sizeof(struct dispatcher),
	.init = dispatcher_init,
	.fini = dispatcher_fini,
	.handlers = dispatcher_handlers
};

static int
dispatcher_init(struct actor *a, void *state)
{
	struct dispatcher	*d = state;

	d->self = a;
	d->watched = strmap_new();
	return (0);
}

static void
dispatcher_fini(void *state)
{
	struct dispatcher	*d = state;
	size_t			 i;

	store_free(d->st);	/* no clean stop: Stop does that */
	for (i = 0; i < d->nwatchers; i++)
		free(d->watch_topics[i]);
	free(d->watch_topics);
	free(d->watchers);
	strmap_free(d->watched, NULL);
	free(d->cfg_error);
	free(d->notices);		/* sent as soon as built */
	free(d->scratch);
}

/* Append a QueueOffset to a repeated field. */
static void
dispatcher_queue_offset(Petrel__QueueOffset ***v, size_t *n,
    const char *topic, uint32_t qid, uint64_t offset)
{
	Petrel__QueueOffset	*qo;

	qo = msg_new(&petrel__queue_offset__descriptor);
	msg_set_string(&qo->topic, topic);
	qo->queue_id = qid;
	qo->offset = offset;
	msg_array_add((void ***)v, n, qo);
}

/* Add one queue to the WriterConfig being built. */
static void
dispatcher_offset(const char *topic, uint32_t qid, uint64_t next, void *arg)
{
	Petrel__WriterConfig	*wc = arg;

	dispatcher_queue_offset(&wc->offsets, &wc->n_offsets, topic, qid,
	    next);
}

/* Answer the StoreConfig, with the first error met if any. */
static void
dispatcher_configured(struct dispatcher *d)
{
	Petrel__Configured	*ack;

	ack = msg_new(&petrel__configured__descriptor);
	msg_set_string(&ack->error, d->cfg_error);
	actor_reply(&d->cfg_env, ack);
	free(d->cfg_error);
	d->cfg_error = NULL;
}

/* Open and recover the store, then configure writer and flusher. */
static int
dispatcher_on_config(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct dispatcher	*d = state;
	Petrel__StoreConfig	*c = (Petrel__StoreConfig *)m;
	Petrel__WriterConfig	*wc;
	Petrel__FlusherConfig	*fc;
	struct store_config	 conf;
	size_t			 i;
	uint64_t		 end;

	d->cfg_env = *env;
	if (d->st != NULL) {
		d->cfg_error = xstrdup("the store is already open");
		dispatcher_configured(d);
		return (0);
	}
	memset(&conf, 0, sizeof conf);
	conf.segment_size = c->segment_size;
	conf.max_msg_size = c->max_msg_size;
	conf.cq_per_file = c->cq_per_file;
	conf.index_slots = c->index_slots;
	conf.index_entries = c->index_entries;
	if ((d->st = store_open(c->root, &conf, &d->cfg_error)) == NULL) {
		log_warnx("dispatcher: %s", d->cfg_error);
		dispatcher_configured(d);
		return (0);
	}
	end = commitlog_max_offset(store_commitlog(d->st));
	d->durable = d->checkpointed = d->followed = end;
	d->writer = actor_deref(c->writer);
	d->flusher = actor_deref(c->flusher);
	d->watchers = xcalloc(c->n_watchers + 1, sizeof *d->watchers);
	d->watch_topics = xcalloc(c->n_watchers + 1, sizeof *d->watch_topics);
	d->notices = xcalloc(c->n_watchers + 1, sizeof *d->notices);
	for (i = 0; i < c->n_watchers && i < DISPATCHER_WATCHERS_MAX; i++) {
		if ((d->watchers[d->nwatchers] =
		    actor_deref(c->watchers[i])) == NULL)
			continue;
		if (i < c->n_watcher_topics && *c->watcher_topics[i] != '\0')
			d->watch_topics[d->nwatchers] =
			    xstrdup(c->watcher_topics[i]);
		d->nwatchers++;
	}
	actor_timer(d->self, DISPATCHER_TIMER, c->checkpoint_interval_ms ?
	    c->checkpoint_interval_ms : DISPATCHER_CHECKPOINT_MS, 1);
	if (d->writer != NULL) {
		wc = msg_new(&petrel__writer_config__descriptor);
		msg_set_string(&wc->root, c->root);
		wc->segment_size = commitlog_segment_size(
		    store_commitlog(d->st));
		wc->max_msg_size = c->max_msg_size;
		wc->flush_mode = c->flush_mode;
		wc->flush_timeout_ms = c->flush_timeout_ms;
		wc->log_end = end;
		store_queues(d->st, dispatcher_offset, wc);
		wc->flusher = c->flusher;
		wc->dispatcher = actor_ref(d->self);
		msg_set_bytes(&wc->store_host, c->store_host.data,
		    c->store_host.len);
		wc->store_port = c->store_port;
		wc->dispatch_interval_ms = c->dispatch_interval_ms;
		atomic_init(&d->tail.end, end);
		wc->tail = (uint64_t)(uintptr_t)&d->tail;
		d->cfg_waiting++;
		actor_ask(d->writer, wc, d->self, 1);
	}
	if (d->flusher != NULL) {
		fc = msg_new(&petrel__flusher_config__descriptor);
		msg_set_string(&fc->root, c->root);
		fc->segment_size = commitlog_segment_size(
		    store_commitlog(d->st));
		fc->log_end = end;
		fc->interval_ms = c->flush_interval_ms;
		fc->dirty_bytes = c->flush_dirty_bytes;
		fc->writer = c->writer;
		fc->dispatcher = actor_ref(d->self);
		d->cfg_waiting++;
		actor_ask(d->flusher, fc, d->self, 2);
	}
	if (d->cfg_waiting == 0)
		dispatcher_configured(d);
	return (0);
}

/* The writer or the flusher took its configuration (or did not). */
static int
dispatcher_on_configured(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct dispatcher	*d = state;
	Petrel__Configured	*ack = (Petrel__Configured *)m;

	if (d->cfg_waiting == 0)
		return (0);
	if (*ack->error != '\0' && d->cfg_error == NULL)
		xasprintf(&d->cfg_error, "%s: %s", env->cookie == 1 ?
		    "commit log writer" : "flusher", ack->error);
	if (--d->cfg_waiting == 0)
		dispatcher_configured(d);
	return (0);
}

/* The key of a queue in d->watched. */
static void
dispatcher_key(char *buf, size_t len, const char *topic, uint32_t qid)
{
	snprintf(buf, len, "%s\001%u", topic, qid);
}

/* Watcher from (if it is one without a topic) wants to hear of qid. */
static void
dispatcher_watch(struct dispatcher *d, struct actor *from,
    const char *topic, uint32_t qid)
{
	char		key[COMMITLOG_TOPIC_MAX + 16];
	uintptr_t	bits;
	size_t		i;

	for (i = 0; i < d->nwatchers; i++) {
		if (d->watchers[i] == from && d->watch_topics[i] == NULL)
			break;
	}
	if (i == d->nwatchers)
		return;
	dispatcher_key(key, sizeof key, topic, qid);
	bits = (uintptr_t)strmap_get(d->watched, key);
	strmap_put(d->watched, key, (void *)(bits | (uintptr_t)1 << i));
}

/*
 * Whether watcher i hears that topic/qid grew: every queue of its topic,
 * or a queue it watches (forgotten once told).
 */
static int
dispatcher_tells(struct dispatcher *d, size_t i, const char *topic,
    uint32_t qid)
{
	char		key[COMMITLOG_TOPIC_MAX + 16];
	uintptr_t	bits, bit = (uintptr_t)1 << i;

	if (d->watch_topics[i] != NULL)
		return (strcmp(topic, d->watch_topics[i]) == 0);
	if (strmap_count(d->watched) == 0)
		return (0);
	dispatcher_key(key, sizeof key, topic, qid);
	bits = (uintptr_t)strmap_get(d->watched, key);
	if ((bits & bit) == 0)
		return (0);
	if ((bits &= ~bit) == 0)
		strmap_remove(d->watched, key);
	else
		strmap_put(d->watched, key, (void *)bits);
	return (1);
}

/* A queue grew: add it to the notice of each watcher that hears of it. */
static void
dispatcher_arrival(const char *topic, uint32_t qid, uint64_t end, void *arg)
{
	struct dispatcher	*d = arg;
	Petrel__QueuesArrived	**qa;
	size_t			 i;

	for (i = 0; i < d->nwatchers; i++) {
		if (!dispatcher_tells(d, i, topic, qid))
			continue;
		qa = &d->notices[i];
		if (*qa == NULL)
			*qa = msg_new(&petrel__queues_arrived__descriptor);
		dispatcher_queue_offset(&(*qa)->queues, &(*qa)->n_queues,
		    topic, qid, end);
	}
}

/*
 * Dispatch the records below end not dispatched yet and tell the watchers
 * which queues grew.
 */
static void
dispatcher_catch_up(struct dispatcher *d, uint64_t end)
{
	char			*cause = NULL;
	size_t			 i;

	if (d->st == NULL || end <= d->followed)
		return;
	d->followed = end;
	store_follow(d->st, end);
	if (store_dispatch(d->st, &cause) != 0) {
		log_warnx("dispatcher: %s", cause);
		free(cause);
	}
	store_arrivals(d->st, dispatcher_arrival, d);
	for (i = 0; i < d->nwatchers; i++) {
		if (d->notices[i] != NULL) {
			actor_send(d->watchers[i], d->notices[i]);
			d->notices[i] = NULL;
		}
	}
}

/* A read first catches up with what the writer published. */
static void
dispatcher_read_own_writes(struct dispatcher *d)
{
	dispatcher_catch_up(d, atomic_load_explicit(&d->tail.end,
	    memory_order_acquire));
}

/* The writer appended up to la->end. */
static int
dispatcher_on_appended(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	dispatcher_catch_up(state, ((Petrel__LogAppended *)m)->end);
	return (0);
}

/* The log is durable below fd->durable. */
static int
dispatcher_on_flush_done(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct dispatcher	*d = state;
	Petrel__FlushDone	*fd = (Petrel__FlushDone *)m;

	if (*fd->error == '\0' && fd->durable > d->durable)
		d->durable = fd->durable;
	return (0);
}

/* Flush consume queues and index, checkpoint below what is durable. */
static int
dispatcher_on_tick(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct dispatcher	*d = state;
	char			*cause = NULL;

	if (d->st == NULL || d->durable == d->checkpointed)
		return (0);
	if (store_checkpoint_at(d->st, d->durable, &cause) != 0) {
		log_warnx("dispatcher: checkpoint: %s", cause);
		free(cause);
		return (0);
	}
	d->checkpointed = d->durable;
	return (0);
}

/* Refuse a read while the store is not open. */
static int
dispatcher_closed(struct dispatcher *d, const struct envelope *env)
{
	if (d->st != NULL)
		return (0);
	actor_reply_error(env, DISPATCHER_NOT_AVAILABLE,
	    "the store is not open");
	return (1);
}

/*
 * The messages of g as resp->encoded, ready for a PullMessageResponse:
 * one buffer, no message built.
 */
static void
dispatcher_encode(Petrel__GetResponse *resp, const struct store_get *g)
{
	uint8_t	*buf = NULL;
	size_t	 i, len = 0, cap = 0;

	if (g->n == 0)
		return;
	for (i = 0; i < g->n; i++)
		cap += g->msgs[i].size + DISPATCHER_WIRE_EXTRA;
	buf = xmalloc(cap);
	for (i = 0; i < g->n; i++)
		brokermsg_encode(&g->msgs[i], PULL_F_MESSAGES, &buf, &len,
		    &cap);
	resp->encoded.data = buf;
	resp->encoded.len = len;
	resp->n_encoded = (uint32_t)g->n;
}

/* Messages of a queue from an offset. */
static int
dispatcher_on_get(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct dispatcher	*d = state;
	Petrel__GetRequest	*req = (Petrel__GetRequest *)m;
	Petrel__GetResponse	*resp;
	struct store_get	 g;
	size_t			 i, max;
	char			*cause = NULL;

	if (dispatcher_closed(d, env))
		return (0);
	dispatcher_read_own_writes(d);
	max = req->max_count;
	if (max == 0 || max > DISPATCHER_GET_MAX)
		max = max == 0 ? 32 : DISPATCHER_GET_MAX;
	if (max > d->capscratch) {
		d->capscratch = max;
		d->scratch = xreallocarray(d->scratch, max,
		    sizeof *d->scratch);
	}
	g.msgs = d->scratch;
	if (store_get(d->st, req->topic, strlen(req->topic), req->queue_id,
	    req->offset, max, req->max_bytes ? req->max_bytes : 4U << 20,
	    req->tag_hashes, req->n_tag_hashes, &g, &cause) != 0) {
		actor_reply_error(env, DISPATCHER_NOT_AVAILABLE, "%s", cause);
		free(cause);
		return (0);
	}
	resp = msg_new(&petrel__get_response__descriptor);
	resp->status = (uint32_t)g.status;
	resp->next_offset = g.next;
	resp->min_offset = g.min;
	resp->max_offset = g.max;
	if (req->encode)
		dispatcher_encode(resp, &g);
	else if (g.n > 0) {
		resp->messages = xcalloc(g.n, sizeof *resp->messages);
		for (i = 0; i < g.n; i++)
			resp->messages[i] = storemsg_from_record(&g.msgs[i]);
		resp->n_messages = g.n;
	}
	if (req->watch && g.n == 0)
		dispatcher_watch(d, env->from, req->topic, req->queue_id);
	actor_reply(env, resp);
	return (0);
}

/* The range of a queue, and the offset for a time. */
static int
dispatcher_on_queue_info(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct dispatcher		*d = state;
	Petrel__QueueInfoRequest	*req = (Petrel__QueueInfoRequest *)m;
	Petrel__QueueInfoResponse	*resp;
	size_t				 tl = strlen(req->topic);
	char				*cause = NULL;

	if (dispatcher_closed(d, env))
		return (0);
	dispatcher_read_own_writes(d);
	resp = msg_new(&petrel__queue_info_response__descriptor);
	resp->found = store_queue_range(d->st, req->topic, tl, req->queue_id,
	    &resp->min_offset, &resp->max_offset) == 0;
	if (resp->found && req->timestamp_ms != 0 &&
	    store_offset_by_time(d->st, req->topic, tl, req->queue_id,
	    req->timestamp_ms, &resp->offset_for_time, &cause) != 0) {
		msg_free(resp);
		actor_reply_error(env, DISPATCHER_NOT_AVAILABLE, "%s", cause);
		free(cause);
		return (0);
	}
	actor_reply(env, resp);
	return (0);
}

/* Messages by commit log offset, unique id or key. */
static int
dispatcher_on_lookup(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct dispatcher	*d = state;
	Petrel__LookupRequest	*req = (Petrel__LookupRequest *)m;
	Petrel__LookupResponse	*resp;
	struct commitlog_msg	 out[DISPATCHER_LOOKUP_MAX];
	size_t			 n = 0, i, max, tl = strlen(req->topic);
	char			*cause = NULL;

	if (dispatcher_closed(d, env))
		return (0);
	dispatcher_read_own_writes(d);
	resp = msg_new(&petrel__lookup_response__descriptor);
	max = req->max == 0 || req->max > DISPATCHER_LOOKUP_MAX ?
	    (req->max == 0 ? 32 : DISPATCHER_LOOKUP_MAX) : req->max;
	if (*req->uniq_id != '\0')
		n = (size_t)store_lookup_id(d->st, req->topic, tl, req->uniq_id,
		    strlen(req->uniq_id), out);
	else if (*req->key != '\0')
		n = store_lookup_key(d->st, req->topic, tl, req->key,
		    strlen(req->key), req->begin_ms, req->end_ms ? req->end_ms :
		    UINT64_MAX, out, max);
	else if (store_read(d->st, req->commit_offset, out, &cause) == 0)
		n = 1;
	else {
		msg_set_string(&resp->error, cause);
		free(cause);
	}
	if (n > 0)
		resp->messages = xcalloc(n, sizeof *resp->messages);
	for (i = 0; i < n; i++)
		resp->messages[i] = storemsg_from_record(&out[i]);
	resp->n_messages = n;
	actor_reply(env, resp);
	return (0);
}

/* The queues of one topic, as store_queues() finds them. */
struct dispatcher_topic {
	const char		*topic;
	Petrel__QueueOffset	**queues;
	size_t			 n;
};

/* Add one queue to the dispatcher_topic arg if it is of its topic. */
static void
dispatcher_topic_queue(const char *topic, uint32_t qid, uint64_t next,
    void *arg)
{
	struct dispatcher_topic	*dt = arg;

	if (strcmp(topic, dt->topic) == 0)
		dispatcher_queue_offset(&dt->queues, &dt->n, topic, qid, next);
}

/* Order queue offsets by queue id. */
static int
dispatcher_cmp_queue(const void *a, const void *b)
{
	const Petrel__QueueOffset	*qa = *(Petrel__QueueOffset * const *)a;
	const Petrel__QueueOffset	*qb = *(Petrel__QueueOffset * const *)b;

	return (qa->queue_id < qb->queue_id ? -1 :
	    qa->queue_id > qb->queue_id);
}

/*
 * For a reset by time: the offset of the first message stored at or after
 * the time in every queue of the topic (its end if none); no queues if
 * the store has no such topic.
 */
static int
dispatcher_on_by_time(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct dispatcher		*d = state;
	Petrel__StoreOffsetsByTime	*req = (Petrel__StoreOffsetsByTime *)m;
	Petrel__StoreOffsetsByTimeResult *res;
	struct dispatcher_topic		 dt;
	size_t				 i, tl = strlen(req->topic);
	char				*cause = NULL;

	res = msg_new(&petrel__store_offsets_by_time_result__descriptor);
	if (d->st == NULL) {
		msg_set_string(&res->error, "the store is not open");
		res->status = PETREL__STATUS__STATUS_SERVICE_NOT_AVAILABLE;
		return (actor_reply(env, res));
	}
	dispatcher_read_own_writes(d);
	dt.topic = req->topic;
	dt.queues = NULL;
	dt.n = 0;
	store_queues(d->st, dispatcher_topic_queue, &dt);
	if (dt.n > 1)
		qsort(dt.queues, dt.n, sizeof *dt.queues,
		    dispatcher_cmp_queue);
	res->offsets = dt.queues;
	res->n_offsets = dt.n;
	for (i = 0; i < dt.n; i++) {
		if (store_offset_by_time(d->st, req->topic, tl,
		    dt.queues[i]->queue_id, req->timestamp_ms,
		    &dt.queues[i]->offset, &cause) != 0) {
			msg_set_string(&res->error, cause);
			res->status = PETREL__STATUS__STATUS_SYSTEM_ERROR;
			log_warnx("dispatcher: offsets by time: %s", cause);
			free(cause);
			break;
		}
	}
	return (actor_reply(env, res));
}

/* The status actor's counters: the commit log's range. */
static int
dispatcher_on_counters(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct dispatcher	*d = state;
	struct commitlog	*cl;
	uint64_t		 min = 0, max = 0;

	(void)m;
	if (d->st != NULL) {
		cl = store_commitlog(d->st);
		min = commitlog_min_offset(cl);
		max = commitlog_max_offset(cl);
	}
	return (actor_reply(env, brokerlib_counter(brokerlib_counter(NULL,
	    "commit_log_min", min), "commit_log_max", max)));
}

/* Retention, for the cleaner; the writer and flusher drop their maps. */
static int
dispatcher_on_delete(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct dispatcher	*d = state;
	Petrel__DeleteExpired	*de = (Petrel__DeleteExpired *)m;
	Petrel__LogTrimmed	*lt;
	char			*cause = NULL;
	int			 n;

	lt = msg_new(&petrel__log_trimmed__descriptor);
	if (d->st != NULL) {
		n = store_delete_expired(d->st, de->cutoff_ms, de->max ?
		    de->max : 10, &cause);
		if (n < 0) {
			log_warnx("dispatcher: retention: %s", cause);
			free(cause);
			n = 0;
		}
		lt->deleted = (uint32_t)n;
		lt->min_offset = commitlog_min_offset(store_commitlog(d->st));
		store_forget_before(d->st, lt->min_offset);
		if (n > 0 && d->writer != NULL)
			actor_send(d->writer, msg_dup(lt));
		if (n > 0 && d->flusher != NULL)
			actor_send(d->flusher, msg_dup(lt));
	}
	actor_reply(env, lt);
	return (0);
}

/* Close the store cleanly: last checkpoint, abort marker removed. */
static int
dispatcher_on_stop(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct dispatcher	*d = state;
	char			*cause = NULL;

	actor_timer_cancel(d->self, DISPATCHER_TIMER);
	if (d->st != NULL && store_close(d->st, &cause) != 0) {
		log_warnx("dispatcher: closing the store: %s", cause);
		free(cause);
	}
	d->st = NULL;
	actor_reply(env, msg_new(&petrel__stopped__descriptor));
	return (0);
}
