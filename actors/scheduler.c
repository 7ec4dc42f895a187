/*
 * Scheduler: delivers delayed messages.  The send path stores a message
 * sent with delay level n (1-18) in topic %DELAY% queue n-1, with the
 * properties REAL_TOPIC, REAL_QID and DELAY.  For each level the scheduler
 * keeps the queue offset it delivered below.  Every interval, and when the
 * dispatcher's QueuesArrived (it is a watcher) names a %DELAY% queue, it
 * reads each level that has work (GetRequest to the dispatcher, one
 * request per level at a time).  Within a level queue order is due order,
 * so it takes the messages whose store time plus the level's delay has
 * come, rebuilds the real messages (REAL_TOPIC/REAL_QID, the three
 * properties gone, the store's fields cleared) and stores them with one
 * PutRequest to the commit log writer; once stored, the level's offset
 * moves on.  The first message not yet due gives the time the level is
 * read again.
 *
 * At least once: a writer or dispatcher error is logged and the same
 * messages are tried again a second later, never skipped.  A malformed
 * delayed message (no REAL_TOPIC, a bad REAL_QID) is logged and skipped,
 * and so is one the writer refuses as illegal on its own (a refused batch
 * is tried again one message at a time to find it).
 *
 * The offsets live in <root>/config/delayOffset (lib/msgfile.c), written
 * when they changed at most once a second and on Stop; a corrupt file is
 * an error at configuration.  Writing fsyncs, so the daemon runs this
 * actor on its "config" loop (actors/broker.h).  Time is the wall clock
 * (store times are), unless a test fixed it with SetClock.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actor.h"
#include "broker.h"
#include "clock.h"
#include "log.h"
#include "msg.h"
#include "msgfile.h"
#include "xmalloc.h"

#include "proto/brokerd.pb-c.h"
#include "proto/frame.pb-c.h"
#include "proto/runtime.pb-c.h"
#include "proto/store.pb-c.h"

#define SCHED_MAGIC		"PTDELAYO"
#define SCHED_FILE		"delayOffset"
#define SCHED_TIMER		1
#define SCHED_INTERVAL_MS	100
#define SCHED_SAVE_MS		1000	/* offsets written at most this often */
#define SCHED_RETRY_MS		1000	/* after an error */
#define SCHED_BATCH		64	/* messages read at once */
#define SCHED_UNKNOWN		UINT64_MAX

/* What a level waits for: cookies are kind << 8 | level index. */
#define SCHED_GET		1
#define SCHED_PUT		2

struct sched_level {
	uint64_t	 offset;	/* delivered below */
	uint64_t	 end;		/* queue end last heard of */
	uint64_t	 wait_until;	/* wall ms: not read before */
	uint64_t	 put_next;	/* offset once the put is stored */
	size_t		 put_count;	/* messages in it */
	int		 busy;		/* SCHED_GET, SCHED_PUT or 0 */
	int		 failing;	/* the last request failed (logged) */
	int		 one;		/* read one message at a time */
};

struct scheduler {
	struct actor		*self;
	char			*path;		/* NULL until configured */
	struct actor		*writer;
	struct actor		*dispatcher;
	struct sched_level	 levels[BROKER_DELAY_LEVELS];
	int			 dirty;
	int			 stopped;
	uint64_t		 saved_at;
	uint64_t		 clock;		/* fixed by SetClock; 0: real */
};

static int	scheduler_init(struct actor *, void *);
static void	scheduler_fini(void *);
static int	scheduler_on_config(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	scheduler_on_arrived(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	scheduler_on_get(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	scheduler_on_put(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	scheduler_on_error(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	scheduler_on_tick(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	scheduler_on_clock(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	scheduler_on_stop(void *, ProtobufCMessage *,
		    const struct envelope *);

static const struct actor_handler scheduler_handlers[] = {
	{ &petrel__scheduler_config__descriptor, scheduler_on_config },
	{ &petrel__queues_arrived__descriptor, scheduler_on_arrived },
	{ &petrel__get_response__descriptor, scheduler_on_get },
	{ &petrel__put_response__descriptor, scheduler_on_put },
	{ &petrel__error__descriptor, scheduler_on_error },
	{ &petrel__tick__descriptor, scheduler_on_tick },
	{ &petrel__set_clock__descriptor, scheduler_on_clock },
	{ &petrel__stop__descriptor, scheduler_on_stop },
	{ NULL, NULL }
};

const struct actor_type scheduler_actor = {
	.name = "scheduler",
	.size = sizeof(struct scheduler),
	.init = scheduler_init,
	.fini = scheduler_fini,
	.handlers = scheduler_handlers
};

static int
scheduler_init(struct actor *a, void *state)
{
	struct scheduler	*s = state;
	size_t			 i;

	s->self = a;
	for (i = 0; i < BROKER_DELAY_LEVELS; i++)
		s->levels[i].end = SCHED_UNKNOWN;
	return (0);
}

static void
scheduler_fini(void *state)
{
	struct scheduler	*s = state;

	free(s->path);
}

/* Wall clock milliseconds, or the test's. */
static uint64_t
scheduler_now(struct scheduler *s)
{
	return (s->clock != 0 ? s->clock : clock_wall_ms());
}

/* Write the offsets; 0, or -1 with cause (left dirty). */
static int
scheduler_save(struct scheduler *s, char **cause)
{
	Petrel__DelayOffsetFile	*f;
	size_t			 i;
	int			 rc;

	f = msg_new(&petrel__delay_offset_file__descriptor);
	f->offsets = xcalloc(BROKER_DELAY_LEVELS, sizeof *f->offsets);
	f->n_offsets = BROKER_DELAY_LEVELS;
	for (i = 0; i < BROKER_DELAY_LEVELS; i++)
		f->offsets[i] = s->levels[i].offset;
	rc = msgfile_save(s->path, SCHED_MAGIC, &f->base, cause);
	msg_free(f);
	if (rc == 0) {
		s->dirty = 0;
		s->saved_at = scheduler_now(s);
	}
	return (rc);
}

/* Write the offsets if they changed (now, or when a second has passed). */
static void
scheduler_flush(struct scheduler *s, int now)
{
	uint64_t	 t = scheduler_now(s);
	char		*cause = NULL;

	if (!s->dirty || s->path == NULL)
		return;
	if (!now && t >= s->saved_at && t - s->saved_at < SCHED_SAVE_MS)
		return;
	if (scheduler_save(s, &cause) != 0) {
		log_warnx("delay offsets not written: %s", cause);
		free(cause);
	}
}

/* Load the offsets file; 0 (none is fine), or -1 with cause. */
static int
scheduler_load(struct scheduler *s, char **cause)
{
	ProtobufCMessage	*m;
	Petrel__DelayOffsetFile	*f;
	size_t			 i;

	if (msgfile_load(s->path, SCHED_MAGIC, "delay offsets",
	    &petrel__delay_offset_file__descriptor, MSGFILE_MAX, &m,
	    cause) != 0)
		return (-1);
	if (m == NULL)
		return (0);
	f = (Petrel__DelayOffsetFile *)m;
	if (f->n_offsets > BROKER_DELAY_LEVELS) {
		xasprintf(cause, "%s: corrupt: %zu levels, at most %d",
		    s->path, f->n_offsets, BROKER_DELAY_LEVELS);
		msg_free(f);
		return (-1);
	}
	for (i = 0; i < f->n_offsets; i++)
		s->levels[i].offset = f->offsets[i];
	msg_free(f);
	return (0);
}

static int
scheduler_on_config(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct scheduler	*s = state;
	Petrel__SchedulerConfig	*c = (Petrel__SchedulerConfig *)m;
	Petrel__Configured	*ack;
	char			*cause = NULL;

	ack = msg_new(&petrel__configured__descriptor);
	if (s->path != NULL)
		cause = xstrdup("scheduler already configured");
	else if ((s->path = brokerlib_config_path(c->root, SCHED_FILE,
	    &cause)) != NULL) {
		s->writer = actor_deref(c->writer);
		s->dispatcher = actor_deref(c->dispatcher);
		if (s->writer == NULL || s->dispatcher == NULL)
			cause = xstrdup("no writer or dispatcher given");
		if (cause != NULL || scheduler_load(s, &cause) != 0) {
			free(s->path);
			s->path = NULL;
		} else {
			actor_timer(s->self, SCHED_TIMER, c->interval_ms != 0 ?
			    c->interval_ms : SCHED_INTERVAL_MS, 1);
		}
	}
	if (cause != NULL) {
		log_warnx("scheduler: %s", cause);
		msg_set_string(&ack->error, cause);
		free(cause);
	}
	return (actor_reply(env, ack));
}

/* Read level i from its offset if it has work and may be read now. */
static void
scheduler_poll(struct scheduler *s, size_t i, uint64_t now)
{
	struct sched_level	*l = &s->levels[i];
	Petrel__GetRequest	*req;

	if (s->path == NULL || s->stopped || l->busy != 0 ||
	    l->offset >= l->end || now < l->wait_until)
		return;
	req = msg_new(&petrel__get_request__descriptor);
	msg_set_string(&req->topic, BROKER_DELAY_TOPIC);
	req->queue_id = (uint32_t)i;
	req->offset = l->offset;
	req->max_count = l->one ? 1 : SCHED_BATCH;
	l->busy = SCHED_GET;
	actor_ask(s->dispatcher, req, s->self, SCHED_GET << 8 | i);
}

/* The level a cookie names, if it waits for that kind of answer. */
static struct sched_level *
scheduler_level(struct scheduler *s, uint64_t cookie, int kind)
{
	uint64_t	i = cookie & 0xff;

	if (cookie >> 8 != (uint64_t)kind || i >= BROKER_DELAY_LEVELS ||
	    s->levels[i].busy != kind) {
		log_warnx("scheduler: an answer for nothing asked (%" PRIu64
		    ")", cookie);
		return (NULL);
	}
	return (&s->levels[i]);
}

/* A request of level i failed: say so once, try again later. */
static void
scheduler_failed(struct scheduler *s, size_t i, const char *what,
    const char *why)
{
	struct sched_level	*l = &s->levels[i];

	if (!l->failing)
		log_warnx("scheduler: delay level %zu: %s: %s; trying again",
		    i + 1, what, why);
	l->failing = 1;
	l->busy = 0;
	l->wait_until = scheduler_now(s) + SCHED_RETRY_MS;
}

/* Level i delivered below offset now. */
static void
scheduler_advance(struct scheduler *s, size_t i, uint64_t offset)
{
	struct sched_level	*l = &s->levels[i];

	if (l->failing)
		log_info("scheduler: delay level %zu delivers again", i + 1);
	l->failing = 0;
	if (l->offset != offset) {
		l->offset = offset;
		s->dirty = 1;
	}
}

static int
scheduler_on_arrived(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct scheduler	*s = state;
	Petrel__QueuesArrived	*qa = (Petrel__QueuesArrived *)m;
	Petrel__QueueOffset	*qo;
	uint64_t		 now = scheduler_now(s);
	size_t			 i;

	for (i = 0; i < qa->n_queues; i++) {
		qo = qa->queues[i];
		if (qo->queue_id >= BROKER_DELAY_LEVELS ||
		    strcmp(qo->topic, BROKER_DELAY_TOPIC) != 0)
			continue;
		s->levels[qo->queue_id].end = qo->offset;
		scheduler_poll(s, qo->queue_id, now);
	}
	return (0);
}

/*
 * Turn delayed message sm into the real one; 0, or -1 with why (then sm
 * is malformed and skipped).
 */
static int
scheduler_real(Petrel__StoreMessage *sm, char *why, size_t len)
{
	const char	*topic, *qid;
	char		*end;
	unsigned long	 q;

	topic = brokermsg_prop(sm, BROKER_PROP_REAL_TOPIC);
	qid = brokermsg_prop(sm, BROKER_PROP_REAL_QID);
	if (topic == NULL) {
		snprintf(why, len, "no %s", BROKER_PROP_REAL_TOPIC);
		return (-1);
	}
	if (brokerlib_check_name(BROKER_PROP_REAL_TOPIC, topic,
	    BROKERLIB_TOPIC, why, len) != NULL)
		return (-1);
	if (qid == NULL) {
		snprintf(why, len, "no %s", BROKER_PROP_REAL_QID);
		return (-1);
	}
	errno = 0;
	q = strtoul(qid, &end, 10);
	if (*qid < '0' || *qid > '9' || errno != 0 || *end != '\0' ||
	    q >= BROKER_QUEUES_MAX) {
		snprintf(why, len, "bad %s \"%.32s\"", BROKER_PROP_REAL_QID,
		    qid);
		return (-1);
	}
	msg_set_string(&sm->topic, topic);
	sm->queue_id = (uint32_t)q;
	brokermsg_del_prop(sm, BROKER_PROP_REAL_TOPIC);
	brokermsg_del_prop(sm, BROKER_PROP_REAL_QID);
	brokermsg_del_prop(sm, BROKER_PROP_DELAY);
	sm->queue_offset = 0;
	sm->commit_offset = 0;
	sm->store_ts = 0;
	msg_set_bytes(&sm->store_host, NULL, 0);
	sm->store_port = 0;
	sm->size = 0;
	return (0);
}

/* A level whose read found no messages: follow where the store points. */
static void
scheduler_empty(struct scheduler *s, size_t i, Petrel__GetResponse *g)
{
	struct sched_level	*l = &s->levels[i];

	if (g->status == PETREL__GET_STATUS__GET_NO_MATCHED_QUEUE)
		l->end = l->offset;
	else if (g->next_offset != l->offset) {
		log_warnx("scheduler: delay level %zu: offset %" PRIu64
		    " is not in the queue (%" PRIu64 "-%" PRIu64 "), going on "
		    "at %" PRIu64, i + 1, l->offset, g->min_offset,
		    g->max_offset, g->next_offset);
		scheduler_advance(s, i, g->next_offset);
	}
}

/* Messages of a level: store those due, note when the next one is. */
static int
scheduler_on_get(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct scheduler	*s = state;
	Petrel__GetResponse	*g = (Petrel__GetResponse *)m;
	Petrel__PutRequest	*put;
	Petrel__StoreMessage	*sm;
	struct sched_level	*l;
	uint64_t		 now = scheduler_now(s), due, next;
	size_t			 i, n, lv;
	char			 why[128];

	if ((l = scheduler_level(s, env->cookie, SCHED_GET)) == NULL)
		return (0);
	lv = (size_t)(l - s->levels);
	l->busy = 0;
	if (s->stopped)
		return (0);
	l->end = g->max_offset;
	if (g->status != PETREL__GET_STATUS__GET_FOUND || g->n_messages == 0) {
		scheduler_empty(s, lv, g);
		return (0);
	}
	l->wait_until = 0;
	for (n = 0; n < g->n_messages; n++) {
		due = g->messages[n]->store_ts + brokermsg_delay_ms[lv + 1];
		if (due > now) {
			l->wait_until = due;
			break;
		}
	}
	if (n == 0)
		return (0);
	next = n < g->n_messages ? g->messages[n]->queue_offset :
	    g->next_offset;
	put = msg_new(&petrel__put_request__descriptor);
	put->messages = xcalloc(n, sizeof *put->messages);
	for (i = 0; i < n; i++) {
		sm = g->messages[i];
		if (scheduler_real(sm, why, sizeof why) != 0) {
			log_warnx("scheduler: delay level %zu: message at %"
			    PRIu64 " is malformed (%s): skipped", lv + 1,
			    sm->queue_offset, why);
			msg_free(sm);
		} else
			put->messages[put->n_messages++] = sm;
	}
	/* The due messages now belong to put (or were freed). */
	memmove(g->messages, g->messages + n,
	    (g->n_messages - n) * sizeof *g->messages);
	g->n_messages -= n;
	if (put->n_messages == 0) {
		msg_free(put);
		scheduler_advance(s, lv, next);
		scheduler_poll(s, lv, now);
		return (0);
	}
	l->put_next = next;
	l->put_count = put->n_messages;
	l->busy = SCHED_PUT;
	actor_ask(s->writer, put, s->self, SCHED_PUT << 8 | lv);
	return (0);
}

/* The writer stored a level's due messages, or could not. */
static int
scheduler_on_put(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct scheduler	*s = state;
	Petrel__PutResponse	*r = (Petrel__PutResponse *)m;
	struct sched_level	*l;
	size_t			 lv;

	if ((l = scheduler_level(s, env->cookie, SCHED_PUT)) == NULL)
		return (0);
	lv = (size_t)(l - s->levels);
	if (r->status == PETREL__STORE_STATUS__STORE_MESSAGE_ILLEGAL &&
	    l->put_count > 1) {
		/* One of them: find it by storing one at a time. */
		l->one = 1;
		l->busy = 0;
		scheduler_poll(s, lv, scheduler_now(s));
		return (0);
	}
	if (r->status == PETREL__STORE_STATUS__STORE_MESSAGE_ILLEGAL)
		log_warnx("scheduler: delay level %zu: message at %" PRIu64
		    " refused (%s): skipped", lv + 1, l->offset, r->reason);
	else if (r->status != PETREL__STORE_STATUS__STORE_OK) {
		scheduler_failed(s, lv, "commit log writer", *r->reason !=
		    '\0' ? r->reason : "refused");
		return (0);
	}
	l->busy = 0;
	l->one = 0;
	scheduler_advance(s, lv, l->put_next);
	if (s->stopped)
		scheduler_flush(s, 1);
	else
		scheduler_poll(s, lv, scheduler_now(s));
	return (0);
}

/* The dispatcher (or the writer) answered an error. */
static int
scheduler_on_error(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct scheduler	*s = state;
	Petrel__Error		*e = (Petrel__Error *)m;
	uint64_t		 kind = env->cookie >> 8;

	if (kind != SCHED_GET && kind != SCHED_PUT)
		kind = SCHED_GET;
	if (scheduler_level(s, env->cookie, (int)kind) == NULL)
		return (0);
	scheduler_failed(s, (size_t)(env->cookie & 0xff), kind == SCHED_GET ?
	    "dispatcher" : "commit log writer", e->text);
	return (0);
}

static int
scheduler_on_tick(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct scheduler	*s = state;
	uint64_t		 now = scheduler_now(s);
	size_t			 i;

	for (i = 0; i < BROKER_DELAY_LEVELS; i++)
		scheduler_poll(s, i, now);
	scheduler_flush(s, 0);
	return (0);
}

static int
scheduler_on_clock(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct scheduler	*s = state;

	s->clock = ((Petrel__SetClock *)m)->now_ms;
	return (0);
}

/* No more reads; write the offsets.  A put in flight saves when stored. */
static int
scheduler_on_stop(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct scheduler	*s = state;

	s->stopped = 1;
	actor_timer_cancel(s->self, SCHED_TIMER);
	scheduler_flush(s, 1);
	return (actor_reply(env, msg_new(&petrel__stopped__descriptor)));
}
