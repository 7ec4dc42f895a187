/*
 * Tests of actors/dispatcher.c, with the real writer and flusher as
 * detached actors pumped on this thread: configuration, the whole put
 * path, reads, lookups, watchers, checkpoints, retention, a clean stop
 * and restart, a crash and recovery, reads before configuration, offsets
 * by time for a reset, and the counters the status actor asks for.
 */
#include "config.h"

#include <sys/stat.h>

#include <check.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "actor.h"
#include "consumequeue.h"
#include "msg.h"
#include "runtime.pb-c.h"
#include "store.pb-c.h"
#include "store_actors.h"
#include "brokerd.pb-c.h"
#include "frame.pb-c.h"
#include "testutil.h"
#include "xmalloc.h"

static const struct actor_type peer_actor = { "peer", 0, NULL, NULL, NULL };

struct fixture {
	char		*dir;
	struct actor	*dispatcher;
	struct actor	*flusher;
	struct actor	*writer;
	struct actor	*client;
	struct actor	*watcher;
	struct actor	*delayed;	/* watches topic D only */
};

/* Run the store actors until none has anything queued. */
static void
pump(struct fixture *f)
{
	size_t	n;

	do {
		n = actor_run_pending(f->dispatcher);
		n += actor_run_pending(f->writer);
		n += actor_run_pending(f->flusher);
	} while (n > 0);
}

/* The client's next message, which must be of type desc. */
static void *
reply(struct fixture *f, const ProtobufCMessageDescriptor *desc)
{
	ProtobufCMessage	*m;

	m = actor_pop(f->client, NULL);
	ck_assert_ptr_nonnull(m);
	ck_assert_msg(msg_is(m, desc), "got %s, not %s",
	    m->descriptor->name, desc->name);
	return (m);
}

/* Open a store in dir; the writer tells the dispatcher every dispatch_ms. */
static void
start_paced(struct fixture *f, const char *dir, uint32_t dispatch_ms)
{
	Petrel__StoreConfig	*c;
	Petrel__Configured	*ack;

	f->dir = xstrdup(dir);
	f->dispatcher = actor_spawn(NULL, &dispatcher_actor, "dispatcher");
	f->flusher = actor_spawn(NULL, &flusher_actor, "flusher");
	f->writer = actor_spawn(NULL, &commitlog_writer_actor, "writer");
	f->client = actor_spawn(NULL, &peer_actor, "client");
	f->watcher = actor_spawn(NULL, &peer_actor, "watcher");
	f->delayed = actor_spawn(NULL, &peer_actor, "delayed");
	c = msg_new(&petrel__store_config__descriptor);
	msg_set_string(&c->root, dir);
	c->segment_size = 64 * 1024;
	c->max_msg_size = 8192;
	c->cq_per_file = 16;
	c->index_slots = 11;
	c->index_entries = 100;
	c->flush_mode = PETREL__FLUSH_MODE__FLUSH_SYNC;
	c->dispatch_interval_ms = dispatch_ms;
	c->writer = actor_ref(f->writer);
	c->flusher = actor_ref(f->flusher);
	c->watchers = xcalloc(2, sizeof *c->watchers);
	c->watchers[0] = actor_ref(f->watcher);
	c->watchers[1] = actor_ref(f->delayed);
	c->n_watchers = 2;
	c->watcher_topics = xcalloc(2, sizeof *c->watcher_topics);
	c->watcher_topics[0] = xstrdup("");
	c->watcher_topics[1] = xstrdup("D");
	c->n_watcher_topics = 2;
	actor_ask(f->dispatcher, c, f->client, 1);
	pump(f);
	ack = reply(f, &petrel__configured__descriptor);
	ck_assert_str_eq(ack->error, "");
	msg_free(ack);
}

static void
start(struct fixture *f, const char *dir)
{
	start_paced(f, dir, 0);
}

/* Stop as actor_stop_all() would: writer, flusher, dispatcher. */
static void
stop(struct fixture *f)
{
	struct actor	*order[3] = { f->writer, f->flusher, f->dispatcher };
	size_t		 i;

	for (i = 0; i < 3; i++) {
		actor_ask(order[i], msg_new(&petrel__stop__descriptor),
		    f->client, 9);
		pump(f);
		msg_free(reply(f, &petrel__stopped__descriptor));
	}
}

static void
finish(struct fixture *f)
{
	actor_free(f->writer);
	actor_free(f->flusher);
	actor_free(f->dispatcher);
	actor_free(f->client);
	actor_free(f->delayed);
	actor_free(f->watcher);
	free(f->dir);
}

/* Put n messages to topic/qid in one request; returns the response. */
static Petrel__PutResponse *
put(struct fixture *f, const char *topic, uint32_t qid, size_t n, int first)
{
	Petrel__PutRequest	*req;
	Petrel__StoreMessage	*m;
	char			 buf[64];
	size_t			 i;

	req = msg_new(&petrel__put_request__descriptor);
	for (i = 0; i < n; i++) {
		m = msg_new(&petrel__store_message__descriptor);
		msg_set_string(&m->topic, topic);
		m->queue_id = qid;
		snprintf(buf, sizeof buf, "key%d", first + (int)i);
		msg_set_string(&m->keys, buf);
		msg_set_string(&m->tags, (first + i) % 2 ? "odd" : "even");
		snprintf(buf, sizeof buf, "id%d", first + (int)i);
		msg_set_string(&m->uniq_id, buf);
		snprintf(buf, sizeof buf, "body %d", first + (int)i);
		msg_set_bytes(&m->body, buf, strlen(buf));
		msg_array_add((void ***)&req->messages, &req->n_messages, m);
	}
	actor_ask(f->writer, req, f->client, 2);
	pump(f);
	return (reply(f, &petrel__put_response__descriptor));
}

/* Get from topic/qid at off. */
static Petrel__GetResponse *
get(struct fixture *f, const char *topic, uint32_t qid, uint64_t off,
    uint32_t max, const char *tag)
{
	Petrel__GetRequest	*req;

	req = msg_new(&petrel__get_request__descriptor);
	msg_set_string(&req->topic, topic);
	req->queue_id = qid;
	req->offset = off;
	req->max_count = max;
	if (tag != NULL) {
		req->tag_hashes = xcalloc(1, sizeof *req->tag_hashes);
		req->tag_hashes[0] = consumequeue_tag_hash(tag, strlen(tag));
		req->n_tag_hashes = 1;
	}
	actor_ask(f->dispatcher, req, f->client, 3);
	pump(f);
	return (reply(f, &petrel__get_response__descriptor));
}

/* A get by a of topic/qid at off, with watch set; how many it found. */
static size_t
watch_get(struct fixture *f, struct actor *a, const char *topic,
    uint32_t qid, uint64_t off)
{
	Petrel__GetRequest	*req;
	Petrel__GetResponse	*g;
	size_t			 n;

	req = msg_new(&petrel__get_request__descriptor);
	msg_set_string(&req->topic, topic);
	req->queue_id = qid;
	req->offset = off;
	req->watch = 1;
	actor_ask(f->dispatcher, req, a, 9);
	pump(f);
	g = (Petrel__GetResponse *)actor_pop(a, NULL);
	ck_assert(msg_is(g, &petrel__get_response__descriptor));
	n = g->n_messages;
	msg_free(g);
	return (n);
}

static Petrel__LookupResponse *
lookup(struct fixture *f, const char *id, const char *key, uint64_t off)
{
	Petrel__LookupRequest	*req;

	req = msg_new(&petrel__lookup_request__descriptor);
	msg_set_string(&req->topic, "T");
	msg_set_string(&req->uniq_id, id);
	msg_set_string(&req->key, key);
	req->commit_offset = off;
	actor_ask(f->dispatcher, req, f->client, 4);
	pump(f);
	return (reply(f, &petrel__lookup_response__descriptor));
}

/* Every message of T/0 is "body <i>" for i from 0 to n - 1. */
static void
check_queue(struct fixture *f, int n)
{
	Petrel__GetResponse	*g;
	uint64_t		 off = 0;
	size_t			 i;
	char			 want[32];

	while ((int)off < n) {
		g = get(f, "T", 0, off, 7, NULL);
		ck_assert_uint_eq(g->status, PETREL__GET_STATUS__GET_FOUND);
		for (i = 0; i < g->n_messages; i++) {
			snprintf(want, sizeof want, "body %d", (int)(off + i));
			ck_assert_uint_eq(g->messages[i]->body.len,
			    strlen(want));
			ck_assert(memcmp(g->messages[i]->body.data, want,
			    strlen(want)) == 0);
			ck_assert_uint_eq(g->messages[i]->queue_offset,
			    off + i);
		}
		off = g->next_offset;
		msg_free(g);
	}
	g = get(f, "T", 0, off, 7, NULL);
	ck_assert_uint_eq(g->status,
	    PETREL__GET_STATUS__GET_OFFSET_OVERFLOW_ONE);
	msg_free(g);
}

START_TEST(test_pipeline)
{
	struct fixture		 f;
	char			*dir = test_tmpdir(), path[4096];
	Petrel__PutResponse	*p;
	Petrel__GetResponse	*g;
	Petrel__LookupResponse	*l;
	Petrel__QueuesArrived	*qa;
	Petrel__Tick		*tick;
	struct stat		 st;
	uint64_t		 off;
	int			 i;

	start(&f, dir);
	for (i = 0; i < 60; i += 6) {
		p = put(&f, "T", 0, 6, i);
		ck_assert_uint_eq(p->status, 0);
		ck_assert_uint_eq(p->results[0]->queue_offset, (uint64_t)i);
		msg_free(p);
	}
	/* A watcher without a topic hears of nothing it did not watch... */
	ck_assert_ptr_null(actor_pop(f.watcher, NULL));
	/* ...nor because it asked where there were messages... */
	ck_assert_uint_eq(watch_get(&f, f.watcher, "T", 0, 50), 10);
	/* ...or because another asked; it hears of a watched queue once. */
	ck_assert_uint_eq(watch_get(&f, f.client, "T", 1, 0), 0);
	ck_assert_uint_eq(watch_get(&f, f.watcher, "T", 1, 0), 0);
	ck_assert_uint_eq(watch_get(&f, f.watcher, "T", 2, 0), 0);
	ck_assert_uint_eq(watch_get(&f, f.watcher, "T", 1, 0), 0);
	msg_free(put(&f, "T", 1, 1, 100));
	qa = (Petrel__QueuesArrived *)actor_pop(f.watcher, NULL);
	ck_assert(msg_is(qa, &petrel__queues_arrived__descriptor));
	ck_assert_uint_eq(qa->n_queues, 1);
	ck_assert_str_eq(qa->queues[0]->topic, "T");
	ck_assert_uint_eq(qa->queues[0]->queue_id, 1);
	ck_assert_uint_eq(qa->queues[0]->offset, 1);
	msg_free(qa);
	ck_assert_ptr_null(actor_pop(f.watcher, NULL));
	msg_free(put(&f, "T", 1, 1, 101));
	ck_assert_ptr_null(actor_pop(f.watcher, NULL));
	/* Queue 2 is still watched. */
	msg_free(put(&f, "T", 2, 1, 102));
	qa = (Petrel__QueuesArrived *)actor_pop(f.watcher, NULL);
	ck_assert(msg_is(qa, &petrel__queues_arrived__descriptor));
	ck_assert_uint_eq(qa->queues[0]->queue_id, 2);
	msg_free(qa);
	/* A watcher of topic D hears only of D. */
	ck_assert_ptr_null(actor_pop(f.delayed, NULL));
	msg_free(put(&f, "D", 2, 1, 0));
	qa = (Petrel__QueuesArrived *)actor_pop(f.delayed, NULL);
	ck_assert(msg_is(qa, &petrel__queues_arrived__descriptor));
	ck_assert_str_eq(qa->queues[0]->topic, "D");
	msg_free(qa);
	check_queue(&f, 60);
	/* Tags. */
	g = get(&f, "T", 0, 0, 10, "odd");
	ck_assert_uint_eq(g->n_messages, 10);
	ck_assert_str_eq(g->messages[0]->tags, "odd");
	ck_assert_str_eq(g->messages[9]->keys, "key19");
	msg_free(g);
	/* Lookups. */
	l = lookup(&f, "id17", "", 0);
	ck_assert_uint_eq(l->n_messages, 1);
	ck_assert_str_eq(l->messages[0]->keys, "key17");
	off = l->messages[0]->commit_offset;
	msg_free(l);
	l = lookup(&f, "", "key42", 0);
	ck_assert_uint_eq(l->n_messages, 1);
	ck_assert_str_eq(l->messages[0]->uniq_id, "id42");
	msg_free(l);
	l = lookup(&f, "", "", off);
	ck_assert_uint_eq(l->n_messages, 1);
	ck_assert_str_eq(l->messages[0]->uniq_id, "id17");
	msg_free(l);
	l = lookup(&f, "", "", off + 1);
	ck_assert_uint_eq(l->n_messages, 0);
	ck_assert_str_ne(l->error, "");
	msg_free(l);
	/* A checkpoint on the tick. */
	tick = msg_new(&petrel__tick__descriptor);
	tick->id = 1;
	actor_send(f.dispatcher, tick);
	pump(&f);
	snprintf(path, sizeof path, "%s/checkpoint", dir);
	ck_assert_int_eq(stat(path, &st), 0);

	/* Clean stop, restart: offsets go on. */
	stop(&f);
	snprintf(path, sizeof path, "%s/abort", dir);
	ck_assert_int_ne(access(path, F_OK), 0);
	finish(&f);
	start(&f, dir);
	check_queue(&f, 60);
	p = put(&f, "T", 0, 5, 60);
	ck_assert_uint_eq(p->results[0]->queue_offset, 60);
	msg_free(p);
	check_queue(&f, 65);

	/* Crash: actors gone without a stop. */
	finish(&f);
	ck_assert_int_eq(access(path, F_OK), 0);
	start(&f, dir);
	check_queue(&f, 65);
	p = put(&f, "T", 0, 5, 65);
	ck_assert_uint_eq(p->results[0]->queue_offset, 65);
	msg_free(p);
	check_queue(&f, 70);
	stop(&f);
	finish(&f);
	test_rmdir(dir);
}
END_TEST

START_TEST(test_reads_own_writes)
{
	struct fixture		 f;
	char			*dir = test_tmpdir();
	Petrel__GetResponse	*g;
	Petrel__QueuesArrived	*qa;
	int			 i;

	/* The writer tells the dispatcher once a minute at most... */
	start_paced(&f, dir, 60000);
	ck_assert_uint_eq(watch_get(&f, f.watcher, "T", 0, 0), 0);
	for (i = 0; i < 30; i += 10)
		msg_free(put(&f, "T", 0, 10, i));
	/* ...yet a read finds every message whose put was answered. */
	g = get(&f, "T", 0, 0, 64, NULL);
	ck_assert_uint_eq(g->status, PETREL__GET_STATUS__GET_FOUND);
	ck_assert_uint_eq(g->n_messages, 30);
	msg_free(g);
	/* The watcher heard of the queue once, when the first put came. */
	qa = (Petrel__QueuesArrived *)actor_pop(f.watcher, NULL);
	ck_assert(msg_is(qa, &petrel__queues_arrived__descriptor));
	ck_assert_uint_eq(qa->queues[0]->offset, 10);
	msg_free(qa);
	ck_assert_ptr_null(actor_pop(f.watcher, NULL));
	stop(&f);
	finish(&f);
	test_rmdir(dir);
}
END_TEST

START_TEST(test_retention)
{
	struct fixture		 f;
	char			*dir = test_tmpdir(), *big;
	Petrel__PutResponse	*p;
	Petrel__PutRequest	*req;
	Petrel__DeleteExpired	*de;
	Petrel__LogTrimmed	*lt;
	Petrel__GetResponse	*g;
	int			 i;

	start(&f, dir);
	big = xcalloc(1, 6000);
	for (i = 0; i < 40; i++) {
		req = msg_new(&petrel__put_request__descriptor);
		msg_array_add((void ***)&req->messages, &req->n_messages,
		    msg_new(&petrel__store_message__descriptor));
		msg_set_string(&req->messages[0]->topic, "T");
		msg_set_bytes(&req->messages[0]->body, big, 6000);
		actor_ask(f.writer, req, f.client, 2);
		pump(&f);
		p = reply(&f, &petrel__put_response__descriptor);
		ck_assert_uint_eq(p->status, 0);
		msg_free(p);
	}
	free(big);
	de = msg_new(&petrel__delete_expired__descriptor);
	de->cutoff_ms = UINT64_MAX;
	de->max = 2;
	actor_ask(f.dispatcher, de, f.client, 5);
	pump(&f);
	lt = reply(&f, &petrel__log_trimmed__descriptor);
	ck_assert_uint_eq(lt->deleted, 2);
	ck_assert_uint_eq(lt->min_offset, 2 * 64 * 1024);
	msg_free(lt);
	g = get(&f, "T", 0, 0, 4, NULL);
	ck_assert_uint_eq(g->status, PETREL__GET_STATUS__GET_OFFSET_TOO_SMALL);
	ck_assert_uint_gt(g->next_offset, 0);
	msg_free(g);
	/* Writing goes on. */
	p = put(&f, "T", 0, 1, 0);
	ck_assert_uint_eq(p->status, 0);
	ck_assert_uint_eq(p->results[0]->queue_offset, 40);
	msg_free(p);
	stop(&f);
	finish(&f);
	test_rmdir(dir);
}
END_TEST

START_TEST(test_not_open)
{
	struct fixture		 f;
	Petrel__Error		*e;
	Petrel__StoreConfig	*c;
	Petrel__Configured	*ack;
	Petrel__GetRequest	*req;
	char			*dir = test_tmpdir(), path[4096];

	memset(&f, 0, sizeof f);
	f.dispatcher = actor_spawn(NULL, &dispatcher_actor, "dispatcher");
	f.client = actor_spawn(NULL, &peer_actor, "client");
	req = msg_new(&petrel__get_request__descriptor);
	msg_set_string(&req->topic, "T");
	actor_ask(f.dispatcher, req, f.client, 1);
	actor_run_pending(f.dispatcher);
	e = reply(&f, &petrel__error__descriptor);
	ck_assert_uint_eq(e->status,
	    PETREL__STORE_STATUS__STORE_SERVICE_NOT_AVAILABLE);
	msg_free(e);
	/* A store that cannot be opened: the answer says why. */
	snprintf(path, sizeof path, "%s/file", dir);
	close(open(path, O_CREAT | O_WRONLY, 0644));
	c = msg_new(&petrel__store_config__descriptor);
	msg_set_string(&c->root, path);
	actor_ask(f.dispatcher, c, f.client, 2);
	actor_run_pending(f.dispatcher);
	ack = reply(&f, &petrel__configured__descriptor);
	ck_assert_str_ne(ack->error, "");
	msg_free(ack);
	actor_free(f.dispatcher);
	actor_free(f.client);
	test_rmdir(dir);
}
END_TEST

/* Offsets of topic by time ts; the answer. */
static Petrel__StoreOffsetsByTimeResult *
by_time(struct fixture *f, const char *topic, uint64_t ts)
{
	Petrel__StoreOffsetsByTime	*req;

	req = msg_new(&petrel__store_offsets_by_time__descriptor);
	msg_set_string(&req->topic, topic);
	req->timestamp_ms = ts;
	actor_ask(f->dispatcher, req, f->client, 6);
	if (f->writer != NULL)
		pump(f);
	else
		actor_run_pending(f->dispatcher);
	return (reply(f, &petrel__store_offsets_by_time_result__descriptor));
}

/* Expect r to hold these offsets of queues 0, 1, ... of topic T. */
static void
offsets_are(Petrel__StoreOffsetsByTimeResult *r, size_t n, ...)
{
	va_list	ap;
	size_t	i;

	ck_assert_str_eq(r->error, "");
	ck_assert_uint_eq(r->n_offsets, n);
	va_start(ap, n);
	for (i = 0; i < n; i++) {
		ck_assert_str_eq(r->offsets[i]->topic, "T");
		ck_assert_uint_eq(r->offsets[i]->queue_id, i);
		ck_assert_uint_eq(r->offsets[i]->offset, va_arg(ap, uint64_t));
	}
	va_end(ap);
	msg_free(r);
}

/* The dispatcher's counters, in the order it sends them. */
static void
counters(struct fixture *f, uint64_t *min, uint64_t *max)
{
	Petrel__Counters	*c;

	actor_ask(f->dispatcher, msg_new(&petrel__counters_request__descriptor),
	    f->client, 7);
	actor_run_pending(f->dispatcher);
	c = reply(f, &petrel__counters__descriptor);
	ck_assert_uint_eq(c->n_counters, 2);
	ck_assert_str_eq(c->counters[0]->name, "commit_log_min");
	ck_assert_str_eq(c->counters[1]->name, "commit_log_max");
	*min = c->counters[0]->value;
	*max = c->counters[1]->value;
	msg_free(c);
}

/* Wall clock milliseconds. */
static uint64_t
wall_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000);
}

START_TEST(test_by_time)
{
	struct fixture		 f;
	Petrel__PutResponse	*p;
	char			*dir = test_tmpdir();
	uint64_t		 t1, t2, min, max, deadline;

	start(&f, dir);
	p = put(&f, "T", 0, 3, 0);
	t1 = p->results[0]->store_ts;
	msg_free(p);
	msg_free(put(&f, "T", 2, 1, 3));
	/* The next puts are stored a millisecond later at least. */
	deadline = test_now_ms() + 10000;
	while (wall_ms() <= t1)
		ck_assert_msg(test_now_ms() < deadline, "the clock is stuck");
	p = put(&f, "T", 0, 2, 4);
	t2 = p->results[0]->store_ts;
	ck_assert_uint_gt(t2, t1);
	msg_free(p);
	msg_free(put(&f, "T", 1, 2, 6));
	msg_free(put(&f, "Other", 0, 2, 8));
	offsets_are(by_time(&f, "T", 0), 3, (uint64_t)0, (uint64_t)0,
	    (uint64_t)0);
	offsets_are(by_time(&f, "T", t1), 3, (uint64_t)0, (uint64_t)0,
	    (uint64_t)0);
	offsets_are(by_time(&f, "T", t2), 3, (uint64_t)3, (uint64_t)0,
	    (uint64_t)1);
	/* After everything: each queue's end. */
	offsets_are(by_time(&f, "T", t2 + 3600000), 3, (uint64_t)5,
	    (uint64_t)2, (uint64_t)1);
	/* No such topic in the store: no offsets, no error. */
	offsets_are(by_time(&f, "Nope", t1), 0);
	counters(&f, &min, &max);
	ck_assert_uint_eq(min, 0);
	ck_assert_uint_gt(max, 0);
	stop(&f);
	finish(&f);
	test_rmdir(dir);
}
END_TEST

START_TEST(test_by_time_not_open)
{
	struct fixture				 f;
	Petrel__StoreOffsetsByTimeResult	*r;
	uint64_t				 min = 1, max = 1;

	memset(&f, 0, sizeof f);
	f.dispatcher = actor_spawn(NULL, &dispatcher_actor, "dispatcher");
	f.client = actor_spawn(NULL, &peer_actor, "client");
	r = by_time(&f, "T", 5);
	ck_assert_str_ne(r->error, "");
	ck_assert_uint_eq(r->status,
	    PETREL__STATUS__STATUS_SERVICE_NOT_AVAILABLE);
	ck_assert_uint_eq(r->n_offsets, 0);
	msg_free(r);
	counters(&f, &min, &max);
	ck_assert_uint_eq(min, 0);
	ck_assert_uint_eq(max, 0);
	actor_free(f.dispatcher);
	actor_free(f.client);
}
END_TEST

/* Wait up to 30 s for a message at a detached actor. */
static ProtobufCMessage *
wait_for(struct actor *a, struct envelope *env)
{
	ProtobufCMessage	*m;
	uint64_t		 deadline = test_now_ms() + 30000;

	while ((m = actor_pop(a, env)) == NULL) {
		ck_assert_msg(test_now_ms() < deadline, "no answer in 30 s");
		usleep(100);
	}
	return (m);
}

/*
 * The store actors on loops of their own, as in the broker: many
 * requests in flight with sync flush, all answered and read back, then
 * a clean shutdown and a restart that finds everything.
 */
START_TEST(test_loops)
{
	struct loop		*loops[2];
	struct actor		*actors[3], *client;
	Petrel__StoreConfig	*c;
	Petrel__Configured	*ack;
	Petrel__PutRequest	*req;
	Petrel__PutResponse	*r;
	Petrel__GetRequest	*gr;
	Petrel__GetResponse	*g;
	struct envelope		 env;
	char			*dir = test_tmpdir(), body[32];
	uint64_t		 got, off, seen[4] = { 0 };
	int			 i, round, total = 2000;

	for (round = 0; round < 2; round++) {
		loops[0] = loop_new("store");
		loops[1] = loop_new("flusher");
		actors[0] = actor_spawn(loops[0], &dispatcher_actor,
		    "dispatcher");
		actors[1] = actor_spawn(loops[1], &flusher_actor, "flusher");
		actors[2] = actor_spawn(loops[0], &commitlog_writer_actor,
		    "writer");
		client = actor_spawn(NULL, &peer_actor, "client");
		loop_start(loops[0]);
		loop_start(loops[1]);
		c = msg_new(&petrel__store_config__descriptor);
		msg_set_string(&c->root, dir);
		c->segment_size = 256 * 1024;
		c->flush_mode = PETREL__FLUSH_MODE__FLUSH_SYNC;
		c->writer = actor_ref(actors[2]);
		c->flusher = actor_ref(actors[1]);
		actor_ask(actors[0], c, client, 1);
		ack = (Petrel__Configured *)wait_for(client, NULL);
		ck_assert_str_eq(ack->error, "");
		msg_free(ack);
		if (round == 0) {
			for (i = 0; i < total; i++) {
				req = msg_new(&petrel__put_request__descriptor);
				msg_array_add((void ***)&req->messages,
				    &req->n_messages, msg_new(
				    &petrel__store_message__descriptor));
				msg_set_string(&req->messages[0]->topic, "L");
				req->messages[0]->queue_id = (uint32_t)(i % 4);
				snprintf(body, sizeof body, "m%d", i);
				msg_set_bytes(&req->messages[0]->body, body,
				    strlen(body));
				actor_ask(actors[2], req, client, (uint64_t)i);
			}
			for (i = 0; i < total; i++) {
				r = (Petrel__PutResponse *)wait_for(client,
				    &env);
				ck_assert(msg_is(r,
				    &petrel__put_response__descriptor));
				ck_assert_uint_eq(r->status, 0);
				/* Offsets per queue follow the asking order. */
				ck_assert_uint_eq(r->results[0]->queue_offset,
				    env.cookie / 4);
				msg_free(r);
			}
		}
		for (i = 0; i < 4; i++) {
			for (off = 0, got = 0;;) {
				gr = msg_new(&petrel__get_request__descriptor);
				msg_set_string(&gr->topic, "L");
				gr->queue_id = (uint32_t)i;
				gr->offset = off;
				gr->max_count = 100;
				actor_ask(actors[0], gr, client, 0);
				g = (Petrel__GetResponse *)wait_for(client,
				    NULL);
				if (g->n_messages == 0) {
					msg_free(g);
					break;
				}
				got += g->n_messages;
				snprintf(body, sizeof body, "m%d",
				    (int)(off * 4) + i);
				ck_assert(memcmp(g->messages[0]->body.data,
				    body, strlen(body)) == 0);
				off = g->next_offset;
				msg_free(g);
			}
			if (round == 0)
				seen[i] = got;
			ck_assert_uint_eq(got, (uint64_t)total / 4);
			ck_assert_uint_eq(got, seen[i]);
		}
		ck_assert_int_eq(actor_shutdown(loops, 2, actors, 3, 10000),
		    0);
		actor_free(client);
	}
	test_rmdir(dir);
}
END_TEST

Suite *
dispatcher_suite(void)
{
	Suite	*s = suite_create("dispatcher");
	TCase	*tc;

	tc = tcase_create("dispatcher");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_pipeline);
	tcase_add_test(tc, test_reads_own_writes);
	tcase_add_test(tc, test_retention);
	tcase_add_test(tc, test_not_open);
	tcase_add_test(tc, test_by_time);
	tcase_add_test(tc, test_by_time_not_open);
	suite_add_tcase(s, tc);
	tc = tcase_create("loops");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_loops);
	suite_add_tcase(s, tc);
	return (s);
}
