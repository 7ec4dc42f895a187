/*
 * Commit log writer: the only actor that appends to the commit log.
 * Answers each PutRequest with a PutResponse.  A PutRequest brings
 * StoreMessages, whose records the writer lays out, or records the sender
 * laid out already (PutRequest.records), which it only reads.
 *
 * Group commit: a PutRequest is kept, and the first one of a burst sends
 * the writer a StoreBatch note, which lands behind everything already in
 * the mailbox.  When the note is handled, every request that arrived
 * together is appended as ONE batch (one pass into the mapping, one move
 * of the log's end), the dispatcher is told the new end (LogAppended) and
 * so is the flusher (LogWritten).  The dispatcher hears at most once every
 * dispatch interval (the broker's is 1 ms; a batch sooner than that after
 * the last is told when the time is up), as RocketMQ dispatches every
 * millisecond: a stream of small batches wakes its thread once a
 * millisecond, not once a batch.  Each new end is also published in the
 * dispatcher's commitlog_tail, so a read catches up at once: a message is
 * readable as soon as its send is answered.  With async flush the requests are
 * answered at once; with sync flush they wait for the flusher's FlushDone
 * covering their batch, or answer STORE_FLUSH_DISK_TIMEOUT after the
 * timeout.  Each message gets the next offset of its topic/queue here.
 *
 * Refuses with STORE_MESSAGE_ILLEGAL a request with a message that breaks
 * a limit (only that request), and with STORE_SERVICE_NOT_AVAILABLE every
 * request while the store is not configured, the cleaner says the disk is
 * full (DiskState), or a segment cannot be created.
 *
 * The status actor asks CountersRequest: messages_put (appended since
 * start) and queue_depth (requests waiting: in the mailbox, gathered for
 * the batch, and waiting for a sync flush).
 */
#include "config.h"

#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "actor.h"
#include "broker.h"
#include "clock.h"
#include "commitlog.h"
#include "log.h"
#include "msg.h"
#include "runtime.pb-c.h"
#include "store_actors.h"
#include "store.pb-c.h"
#include "store_le.h"
#include "storemsg.h"
#include "strmap.h"
#include "xmalloc.h"

#include "proto/brokerd.pb-c.h"
#include "proto/frame.pb-c.h"

/* The broker sends store statuses on the wire as they are. */
_Static_assert((int)PETREL__STORE_STATUS__STORE_FLUSH_DISK_TIMEOUT ==
    (int)PETREL__STATUS__STATUS_FLUSH_DISK_TIMEOUT, "store status drifted");
_Static_assert((int)PETREL__STORE_STATUS__STORE_MESSAGE_ILLEGAL ==
    (int)PETREL__STATUS__STATUS_MESSAGE_ILLEGAL, "store status drifted");
_Static_assert((int)PETREL__STORE_STATUS__STORE_SERVICE_NOT_AVAILABLE ==
    (int)PETREL__STATUS__STATUS_SERVICE_NOT_AVAILABLE, "store status drifted");

#define WRITER_TIMER		1
#define WRITER_TICK_MS		100
#define WRITER_NOTE_TIMER	2	/* async: tell the flusher the end */
#define WRITER_NOTE_MS		50
#define WRITER_NOTE_BYTES	(1U << 20)
#define WRITER_DISPATCH_TIMER	3	/* tell the dispatcher the end */
#define WRITER_TIMEOUT_MS	5000
#define WRITER_NOT_AVAILABLE	\
	PETREL__STORE_STATUS__STORE_SERVICE_NOT_AVAILABLE

struct writer_wait {
	struct envelope		 env;
	Petrel__PutResponse	*resp;
	uint64_t		 end;		/* durable once flushed here */
	uint64_t		 deadline;	/* ms, monotonic */
	TAILQ_ENTRY(writer_wait) entry;
};

struct writer_req {
	Petrel__PutRequest	*req;
	struct envelope		 env;
	size_t			 n;		/* messages and records */
	size_t			 first;		/* its messages in msgs */
	int			 ok;
};

struct commitlog_writer {
	struct actor		*self;
	struct commitlog	*cl;
	struct strmap		*offsets;	/* "topic/qid" -> uint64_t * */
	struct actor		*flusher;
	struct actor		*dispatcher;
	int			 sync;
	uint32_t		 timeout_ms;
	uint8_t			 host[16];
	uint16_t		 port;
	int			 full;
	char			*full_reason;
	uint64_t		 durable;

	struct writer_req	*batch;		/* kept requests */
	size_t			 nbatch;
	size_t			 capbatch;
	int			 noted;		/* a StoreBatch is queued */

	TAILQ_HEAD(, writer_wait) waits;	/* sync: by end */
	size_t			 nwaits;
	uint64_t		 put;		/* messages appended */
	uint64_t		 told;		/* end the flusher knows */
	int			 note_armed;	/* WRITER_NOTE_TIMER runs */
	uint32_t		 dispatch_ms;	/* at most one LogAppended in */
	struct commitlog_tail	*tail;		/* published end, or NULL */
	uint64_t		 dispatched_at;	/* last LogAppended, mono ms */
	uint64_t		 dispatched_end; /* the end it told */
	int			 dispatch_armed; /* WRITER_DISPATCH_TIMER runs */

	struct commitlog_msg	*msgs;		/* scratch for a batch */
	size_t			 capmsgs;
	char			*props;
	size_t			 capprops;
};

static int	commitlog_writer_init(struct actor *, void *);
static void	commitlog_writer_fini(void *);
static void	commitlog_writer_key(char *, const char *, size_t,
		    uint32_t);
static int	commitlog_writer_on_config(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	commitlog_writer_on_put(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	commitlog_writer_on_batch(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	commitlog_writer_on_flush_done(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	commitlog_writer_on_disk_state(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	commitlog_writer_on_trimmed(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	commitlog_writer_on_tick(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	commitlog_writer_on_counters(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	commitlog_writer_on_stop(void *, ProtobufCMessage *,
		    const struct envelope *);

static const struct actor_handler commitlog_writer_handlers[] = {
	{ &petrel__writer_config__descriptor, commitlog_writer_on_config },
	{ &petrel__put_request__descriptor, commitlog_writer_on_put },
	{ &petrel__store_batch__descriptor, commitlog_writer_on_batch },
	{ &petrel__flush_done__descriptor, commitlog_writer_on_flush_done },
	{ &petrel__disk_state__descriptor, commitlog_writer_on_disk_state },
	{ &petrel__log_trimmed__descriptor, commitlog_writer_on_trimmed },
	{ &petrel__tick__descriptor, commitlog_writer_on_tick },
	{ &petrel__counters_request__descriptor, commitlog_writer_on_counters },
	{ &petrel__stop__descriptor, commitlog_writer_on_stop },
	{ NULL, NULL }
};

const struct actor_type commitlog_writer_actor = {
	.name = "commitlog_writer",
	.size = sizeof(struct commitlog_writer),
	.init = commitlog_writer_init,
	.fini = commitlog_writer_fini,
	.handlers = commitlog_writer_handlers
};

static int
commitlog_writer_init(struct actor *a, void *state)
{
	struct commitlog_writer	*w = state;

	w->self = a;
	w->offsets = strmap_new();
	w->timeout_ms = WRITER_TIMEOUT_MS;
	TAILQ_INIT(&w->waits);
	return (0);
}

static void
commitlog_writer_fini(void *state)
{
	struct commitlog_writer	*w = state;
	struct writer_wait	*ww;
	size_t			 i;

	while ((ww = TAILQ_FIRST(&w->waits)) != NULL) {
		TAILQ_REMOVE(&w->waits, ww, entry);
		msg_free(ww->resp);
		free(ww);
	}
	for (i = 0; i < w->nbatch; i++)
		msg_free(w->batch[i].req);
	free(w->batch);
	strmap_free(w->offsets, free);
	commitlog_close(w->cl);
	free(w->full_reason);
	free(w->msgs);
	free(w->props);
}

/* Answer env with status and reason, and no results. */
static void
commitlog_writer_refuse(const struct envelope *env, uint32_t status,
    const char *reason)
{
	Petrel__PutResponse	*resp;

	resp = msg_new(&petrel__put_response__descriptor);
	resp->status = status;
	msg_set_string(&resp->reason, reason);
	actor_reply(env, resp);
}

/* Open the log where the dispatcher's recovery left it. */
static int
commitlog_writer_on_config(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct commitlog_writer	*w = state;
	Petrel__WriterConfig	*c = (Petrel__WriterConfig *)m;
	Petrel__Configured	*ack;
	struct commitlog_config	 clc;
	uint64_t		*off;
	char			 key[COMMITLOG_TOPIC_MAX + 16], *cause = NULL;
	size_t			 i;

	ack = msg_new(&petrel__configured__descriptor);
	if (w->cl != NULL) {
		cause = xstrdup("the writer is already configured");
		goto out;
	}
	memset(&clc, 0, sizeof clc);
	clc.segment_size = c->segment_size;
	clc.max_msg_size = c->max_msg_size;
	clc.keep_temps = 1;
	if ((w->cl = commitlog_open(c->root, &clc, &cause)) == NULL)
		goto out;
	if (commitlog_set_end(w->cl, c->log_end, &cause) != 0) {
		commitlog_close(w->cl);
		w->cl = NULL;
		goto out;
	}
	w->durable = c->log_end;
	w->told = c->log_end;
	w->dispatched_end = c->log_end;
	w->dispatch_ms = c->dispatch_interval_ms;
	w->tail = (struct commitlog_tail *)(uintptr_t)c->tail;
	for (i = 0; i < c->n_offsets; i++) {
		commitlog_writer_key(key, c->offsets[i]->topic,
		    strlen(c->offsets[i]->topic), c->offsets[i]->queue_id);
		off = xmalloc(sizeof *off);
		*off = c->offsets[i]->offset;
		free(strmap_put(w->offsets, key, off));
	}
	w->sync = c->flush_mode == PETREL__FLUSH_MODE__FLUSH_SYNC;
	if (c->flush_timeout_ms != 0)
		w->timeout_ms = c->flush_timeout_ms;
	w->flusher = actor_deref(c->flusher);
	w->dispatcher = actor_deref(c->dispatcher);
	if (c->store_host.len > 0)
		memcpy(w->host, c->store_host.data,
		    c->store_host.len < 16 ? c->store_host.len : 16);
	w->port = (uint16_t)c->store_port;
out:
	if (cause != NULL) {
		log_warnx("commit log writer: %s", cause);
		msg_set_string(&ack->error, cause);
		free(cause);
	}
	actor_reply(env, ack);
	return (0);
}

/* Keep the request for the batch being gathered. */
static int
commitlog_writer_on_put(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct commitlog_writer	*w = state;
	struct writer_req	*r;

	if (w->cl == NULL) {
		commitlog_writer_refuse(env, WRITER_NOT_AVAILABLE,
		    "the store is not open");
		return (0);
	}
	if (w->nbatch == w->capbatch) {
		w->capbatch = w->capbatch == 0 ? 64 : w->capbatch * 2;
		w->batch = xreallocarray(w->batch, w->capbatch,
		    sizeof *w->batch);
	}
	r = &w->batch[w->nbatch++];
	r->req = (Petrel__PutRequest *)m;
	r->n = r->req->n_messages + r->req->n_records;
	r->env = *env;
	r->ok = 0;
	if (!w->noted) {
		w->noted = 1;
		actor_send(w->self, msg_new(&petrel__store_batch__descriptor));
	}
	return (ACTOR_KEPT);
}

/*
 * The key "topic/qid" of a queue's slot into key (COMMITLOG_TOPIC_MAX + 16
 * bytes), without the cost of a printf for every message.  The topic is
 * len bytes, not NUL-terminated.
 */
static void
commitlog_writer_key(char *key, const char *topic, size_t len, uint32_t qid)
{
	char	digits[10];
	size_t	n = 0;

	if (len > COMMITLOG_TOPIC_MAX)
		len = COMMITLOG_TOPIC_MAX;
	memcpy(key, topic, len);
	key[len++] = '/';
	do {
		digits[n++] = (char)('0' + qid % 10);
		qid /= 10;
	} while (qid != 0);
	while (n > 0)
		key[len++] = digits[--n];
	key[len] = '\0';
}

/* The next offset slot of m's topic and queue, made at 0 if new. */
static uint64_t *
commitlog_writer_slot(struct commitlog_writer *w,
    const struct commitlog_msg *m)
{
	char		 key[COMMITLOG_TOPIC_MAX + 16];
	uint64_t	*off;

	commitlog_writer_key(key, m->topic, m->topic_len, m->queue_id);
	if ((off = strmap_get(w->offsets, key)) == NULL) {
		off = xcalloc(1, sizeof *off);
		strmap_put(w->offsets, key, off);
	}
	return (off);
}

/*
 * Check request r and lay its messages into w->msgs from r->first: its
 * StoreMessages with their properties at *pp, then its records, read in
 * place.  0, or -1 with *cause for STORE_MESSAGE_ILLEGAL.
 */
static int
commitlog_writer_lay(struct commitlog_writer *w, struct writer_req *r,
    uint64_t now, char **pp, char **cause)
{
	Petrel__PutRequest	*req = r->req;
	struct commitlog_msg	*cm;
	const uint8_t		*p = req->records.data;
	size_t			 i, len, left = req->records.len;
	uint32_t		 size;
	char			*why = NULL;

	if (r->n == 0) {
		*cause = xstrdup("no messages to store");
		return (-1);
	}
	for (i = 0; i < r->n; i++) {
		cm = &w->msgs[r->first + i];
		if (i < req->n_messages) {
			len = storemsg_props_write(req->messages[i], *pp);
			storemsg_to_record(req->messages[i], *pp, len, cm);
			*pp += len + 1;
		} else if (left < 4 || (size = le32dec(p)) > left ||
		    commitlog_parse(p, size, cm, &why) != 0) {
			xasprintf(cause, "message %zu: %s", i, why != NULL ?
			    why : "the records end early");
			free(why);
			return (-1);
		} else {
			p += size;
			left -= size;
		}
		cm->store_ts = now;
		memcpy(cm->store_host.addr, w->host, 16);
		cm->store_host.port = w->port;
		if (commitlog_validate(w->cl, cm, &size, &why) != 0) {
			xasprintf(cause, "message %zu: %s", i, why);
			free(why);
			return (-1);
		}
	}
	if (left != 0) {
		xasprintf(cause, "%zu bytes past the last record", left);
		return (-1);
	}
	return (0);
}

/* Give back the queue offsets of the first n messages of the batch. */
static void
commitlog_writer_undo(struct commitlog_writer *w, size_t n)
{
	while (n-- > 0) {
		if (commitlog_is_queued(w->msgs[n].flags))
			(*commitlog_writer_slot(w, &w->msgs[n]))--;
	}
}

/* Send m to a, if there is one; else free it. */
static void
commitlog_writer_tell(struct actor *a, void *m)
{
	if (a != NULL)
		actor_send(a, m);
	else
		msg_free(m);
}

/* Answer a request of the appended batch, now or once durable. */
static void
commitlog_writer_answer(struct commitlog_writer *w, struct writer_req *r,
    uint64_t end)
{
	Petrel__PutResponse	*resp;
	Petrel__PutResult	*res;
	struct commitlog_msg	*cm;
	struct writer_wait	*ww;
	size_t			 i;

	resp = msg_new(&petrel__put_response__descriptor);
	resp->results = xcalloc(r->n, sizeof *resp->results);
	for (i = 0; i < r->n; i++) {
		cm = &w->msgs[r->first + i];
		res = msg_new(&petrel__put_result__descriptor);
		res->queue_offset = cm->queue_offset;
		res->commit_offset = cm->phys;
		res->store_ts = cm->store_ts;
		resp->results[i] = res;
	}
	resp->n_results = r->n;
	if (!w->sync || w->durable >= end) {
		actor_reply(&r->env, resp);
		return;
	}
	ww = xcalloc(1, sizeof *ww);
	ww->env = r->env;
	ww->resp = resp;
	ww->end = end;
	ww->deadline = clock_mono_ms() + w->timeout_ms;
	if (TAILQ_EMPTY(&w->waits))
		actor_timer(w->self, WRITER_TIMER, WRITER_TICK_MS, 1);
	TAILQ_INSERT_TAIL(&w->waits, ww, entry);
	w->nwaits++;
}

static void	commitlog_writer_tell_end(struct commitlog_writer *, uint64_t);

/*
 * Tell the flusher the log now ends at end.  With sync flush at once (a
 * request waits for it); with async flush once a megabyte is unflushed or
 * WRITER_NOTE_MS later, so a stream of small batches does not wake the
 * flusher's thread for each one.
 */
static void
commitlog_writer_note(struct commitlog_writer *w, uint64_t end)
{
	if (!w->sync && end - w->told < WRITER_NOTE_BYTES) {
		if (!w->note_armed) {
			w->note_armed = 1;
			actor_timer(w->self, WRITER_NOTE_TIMER,
			    WRITER_NOTE_MS, 0);
		}
		return;
	}
	commitlog_writer_tell_end(w, end);
}

/*
 * Tell the dispatcher the log now ends at end, or arm the timer to if it
 * was told less than the dispatch interval ago (now: at once whatever).
 */
static void
commitlog_writer_dispatch(struct commitlog_writer *w, uint64_t end, int now)
{
	Petrel__LogAppended	*la;
	uint64_t		 ms = clock_mono_ms();

	if (now && w->dispatch_armed) {
		actor_timer_cancel(w->self, WRITER_DISPATCH_TIMER);
		w->dispatch_armed = 0;
	} else if (w->dispatch_armed)
		return;
	else if (!now && ms - w->dispatched_at < w->dispatch_ms) {
		w->dispatch_armed = 1;
		actor_timer(w->self, WRITER_DISPATCH_TIMER, w->dispatch_ms, 0);
		return;
	}
	if (end == w->dispatched_end)
		return;
	w->dispatched_at = ms;
	w->dispatched_end = end;
	la = msg_new(&petrel__log_appended__descriptor);
	la->end = end;
	commitlog_writer_tell(w->dispatcher, la);
}

/* Send the flusher LogWritten{end}. */
static void
commitlog_writer_tell_end(struct commitlog_writer *w, uint64_t end)
{
	Petrel__LogWritten	*lw;

	lw = msg_new(&petrel__log_written__descriptor);
	lw->end = end;
	lw->sync = w->sync;
	w->told = end;
	commitlog_writer_tell(w->flusher, lw);
}

/* Append everything gathered since the last batch, as one batch. */
static void
commitlog_writer_flush_batch(struct commitlog_writer *w)
{
	struct writer_req	*r;
	struct commitlog_msg	*cm, *prev;
	size_t			 i, j, n = 0, props = 0, k;
	ssize_t			 len;
	uint64_t		 now = clock_wall_ms(), end, *slot;
	char			*p, *cause = NULL;

	/* Size the scratch space; refuse what cannot be stored at all. */
	for (i = 0; i < w->nbatch; i++) {
		r = &w->batch[i];
		r->ok = 0;
		if (w->full) {
			commitlog_writer_refuse(&r->env, WRITER_NOT_AVAILABLE,
			    w->full_reason);
			continue;
		}
		for (j = 0, k = 0; j < r->req->n_messages; j++) {
			if ((len = storemsg_props_len(r->req->messages[j],
			    &cause)) < 0)
				break;
			k += (size_t)len + 1;
		}
		if (j < r->req->n_messages) {
			commitlog_writer_refuse(&r->env,
			    PETREL__STORE_STATUS__STORE_MESSAGE_ILLEGAL, cause);
			free(cause);
			cause = NULL;
			continue;
		}
		r->ok = 1;
		r->first = n;
		n += r->n;
		props += k;
	}
	if (n > w->capmsgs) {
		w->capmsgs = n;
		w->msgs = xreallocarray(w->msgs, n, sizeof *w->msgs);
	}
	if (props > w->capprops) {
		w->capprops = props;
		w->props = xrealloc(w->props, props);
	}
	/* Lay the messages out; drop the requests that break a limit. */
	p = w->props;
	for (i = 0, k = 0; i < w->nbatch; i++) {
		r = &w->batch[i];
		if (!r->ok)
			continue;
		r->first = k;
		if (commitlog_writer_lay(w, r, now, &p, &cause) != 0) {
			commitlog_writer_refuse(&r->env,
			    PETREL__STORE_STATUS__STORE_MESSAGE_ILLEGAL, cause);
			free(cause);
			cause = NULL;
			r->ok = 0;
			continue;
		}
		k += r->n;
	}
	n = k;
	/* A batch is mostly runs of one queue: look a slot up once a run. */
	for (i = 0, slot = NULL, prev = NULL; i < n; i++) {
		cm = &w->msgs[i];
		cm->queue_offset = 0;
		if (!commitlog_is_queued(cm->flags))
			continue;
		if (slot == NULL || cm->queue_id != prev->queue_id ||
		    cm->topic_len != prev->topic_len ||
		    memcmp(cm->topic, prev->topic, cm->topic_len) != 0)
			slot = commitlog_writer_slot(w, cm);
		cm->queue_offset = (*slot)++;
		prev = cm;
	}
	if (n > 0 && commitlog_append(w->cl, w->msgs, n, &cause) != 0) {
		log_warnx("commit log writer: %s", cause);
		commitlog_writer_undo(w, n);
		for (i = 0; i < w->nbatch; i++) {
			if (w->batch[i].ok)
				commitlog_writer_refuse(&w->batch[i].env,
				    WRITER_NOT_AVAILABLE, cause);
		}
		free(cause);
		n = 0;
	}
	if (n > 0) {
		w->put += n;
		end = commitlog_max_offset(w->cl);
		if (w->tail != NULL)
			atomic_store_explicit(&w->tail->end, end,
			    memory_order_release);
		commitlog_writer_dispatch(w, end, 0);
		commitlog_writer_note(w, end);
		for (i = 0; i < w->nbatch; i++) {
			if (w->batch[i].ok)
				commitlog_writer_answer(w, &w->batch[i], end);
		}
	}
	for (i = 0; i < w->nbatch; i++)
		msg_free(w->batch[i].req);
	w->nbatch = 0;
}

/* Everything that arrived with the first request is here: append it. */
static int
commitlog_writer_on_batch(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct commitlog_writer	*w = state;

	w->noted = 0;
	if (w->nbatch > 0)
		commitlog_writer_flush_batch(w);
	return (0);
}

/*
 * Answer a request that waited for the disk: stored and durable, or,
 * with why, stored but not known durable (STORE_FLUSH_DISK_TIMEOUT, with
 * the results all the same: the messages are in the log).
 */
static void
commitlog_writer_release(struct writer_wait *ww, const char *why)
{
	if (why != NULL && *why != '\0') {
		ww->resp->status =
		    PETREL__STORE_STATUS__STORE_FLUSH_DISK_TIMEOUT;
		msg_set_string(&ww->resp->reason, why);
	}
	actor_reply(&ww->env, ww->resp);
	free(ww);
}

/* Answer the waiting requests the flush covers. */
static int
commitlog_writer_on_flush_done(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct commitlog_writer	*w = state;
	Petrel__FlushDone	*fd = (Petrel__FlushDone *)m;
	struct writer_wait	*ww;

	if (*fd->error == '\0' && fd->durable > w->durable)
		w->durable = fd->durable;
	while ((ww = TAILQ_FIRST(&w->waits)) != NULL) {
		if (*fd->error == '\0' && ww->end > w->durable)
			break;
		TAILQ_REMOVE(&w->waits, ww, entry);
		w->nwaits--;
		commitlog_writer_release(ww, fd->error);
	}
	if (TAILQ_EMPTY(&w->waits))
		actor_timer_cancel(w->self, WRITER_TIMER);
	return (0);
}

/* The cleaner says whether the disk is too full to write. */
static int
commitlog_writer_on_disk_state(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct commitlog_writer	*w = state;
	Petrel__DiskState	*ds = (Petrel__DiskState *)m;

	if (ds->full && !w->full)
		log_warnx("commit log writer: refusing writes: %s", ds->reason);
	else if (!ds->full && w->full)
		log_info("commit log writer: taking writes again");
	w->full = ds->full;
	free(w->full_reason);
	w->full_reason = xstrdup(*ds->reason != '\0' ? ds->reason :
	    "the disk is full");
	return (0);
}

/* Segments below the new start were deleted: unmap them. */
static int
commitlog_writer_on_trimmed(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct commitlog_writer	*w = state;
	Petrel__LogTrimmed	*lt = (Petrel__LogTrimmed *)m;

	if (w->cl != NULL)
		commitlog_forget_before(w->cl, lt->min_offset);
	return (0);
}

/* Time out the requests whose flush did not come in time. */
static int
commitlog_writer_on_tick(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct commitlog_writer	*w = state;
	Petrel__Tick		*t = (Petrel__Tick *)m;
	struct writer_wait	*ww;
	uint64_t		 now = clock_mono_ms();
	char			*reason;

	if (t->id == WRITER_DISPATCH_TIMER) {
		w->dispatch_armed = 0;
		if (w->cl != NULL)
			commitlog_writer_dispatch(w,
			    commitlog_max_offset(w->cl), 1);
		return (0);
	}
	if (t->id == WRITER_NOTE_TIMER) {
		w->note_armed = 0;
		if (w->cl != NULL && commitlog_max_offset(w->cl) > w->told)
			commitlog_writer_tell_end(w, commitlog_max_offset(w->cl));
		return (0);
	}
	while ((ww = TAILQ_FIRST(&w->waits)) != NULL && ww->deadline <= now) {
		TAILQ_REMOVE(&w->waits, ww, entry);
		w->nwaits--;
		xasprintf(&reason, "not on disk within %u ms", w->timeout_ms);
		commitlog_writer_release(ww, reason);
		free(reason);
	}
	if (TAILQ_EMPTY(&w->waits))
		actor_timer_cancel(w->self, WRITER_TIMER);
	return (0);
}

/* The status actor's counters: messages stored, requests waiting. */
static int
commitlog_writer_on_counters(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct commitlog_writer	*w = state;
	Petrel__Counters	*c;

	(void)m;
	c = brokerlib_counter(NULL, "messages_put", w->put);
	c = brokerlib_counter(c, "queue_depth", actor_depth(w->self) +
	    w->nbatch + w->nwaits);
	return (actor_reply(env, c));
}

/*
 * Stop: append what is gathered, make everything durable here (the
 * flusher may already be gone) and answer every waiting request.
 */
static int
commitlog_writer_on_stop(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct commitlog_writer	*w = state;
	Petrel__FlushDone	*fd;
	char			*cause = NULL;

	if (w->nbatch > 0)
		commitlog_writer_flush_batch(w);
	if (w->cl != NULL)
		commitlog_writer_dispatch(w, commitlog_max_offset(w->cl), 1);
	fd = msg_new(&petrel__flush_done__descriptor);
	if (w->cl != NULL && commitlog_flush(w->cl, &cause) != 0) {
		msg_set_string(&fd->error, cause);
		free(cause);
	} else if (w->cl != NULL)
		fd->durable = commitlog_max_offset(w->cl);
	commitlog_writer_on_flush_done(w, &fd->base, NULL);
	msg_free(fd);
	actor_reply(env, msg_new(&petrel__stopped__descriptor));
	return (0);
}
