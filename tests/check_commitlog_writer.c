/*
 * Tests of actors/commitlog_writer.c with detached actors: requests that
 * arrive together are appended as one batch, queue offsets per queue,
 * async and sync answers, flush timeouts, illegal messages, records laid
 * out ahead (PutRequest.records) and bad ones, a full disk,
 * an unconfigured writer, a stop that answers everything it holds, and
 * the counters the status actor asks for.
 */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "actor.h"
#include "commitlog.h"
#include "msg.h"
#include "runtime.pb-c.h"
#include "store.pb-c.h"
#include "store_actors.h"
#include "brokerd.pb-c.h"
#include "storemsg.h"
#include "testutil.h"
#include "xmalloc.h"

struct fixture {
	char		*dir;
	struct actor	*writer;
	struct actor	*client;
	struct actor	*flusher;
	struct actor	*dispatcher;
};

#define ILLEGAL	PETREL__STORE_STATUS__STORE_MESSAGE_ILLEGAL

static const struct actor_type peer_actor = { "peer", 0, NULL, NULL, NULL };

/* A writer (dispatcher told at most every dispatch_ms) and its peers. */
static void
setup_paced(struct fixture *f, int sync, uint32_t timeout_ms,
    uint32_t dispatch_ms)
{
	Petrel__WriterConfig	*c;
	Petrel__QueueOffset	*qo;
	Petrel__Configured	*ack;

	f->dir = test_tmpdir();
	f->writer = actor_spawn(NULL, &commitlog_writer_actor, "writer");
	f->client = actor_spawn(NULL, &peer_actor, "client");
	f->flusher = actor_spawn(NULL, &peer_actor, "flusher");
	f->dispatcher = actor_spawn(NULL, &peer_actor, "dispatcher");
	c = msg_new(&petrel__writer_config__descriptor);
	msg_set_string(&c->root, f->dir);
	c->segment_size = 64 * 1024;
	c->max_msg_size = 8192;
	c->flush_mode = sync ? PETREL__FLUSH_MODE__FLUSH_SYNC :
	    PETREL__FLUSH_MODE__FLUSH_ASYNC;
	c->flush_timeout_ms = timeout_ms;
	c->dispatch_interval_ms = dispatch_ms;
	c->flusher = actor_ref(f->flusher);
	c->dispatcher = actor_ref(f->dispatcher);
	qo = msg_new(&petrel__queue_offset__descriptor);
	msg_set_string(&qo->topic, "Old");
	qo->queue_id = 1;
	qo->offset = 41;
	msg_array_add((void ***)&c->offsets, &c->n_offsets, qo);
	actor_ask(f->writer, c, f->client, 99);
	actor_run_pending(f->writer);
	ack = (Petrel__Configured *)actor_pop(f->client, NULL);
	ck_assert(msg_is(ack, &petrel__configured__descriptor));
	ck_assert_str_eq(ack->error, "");
	msg_free(ack);
}

static void
setup(struct fixture *f, int sync, uint32_t timeout_ms)
{
	setup_paced(f, sync, timeout_ms, 0);
}

static void
teardown(struct fixture *f)
{
	actor_free(f->writer);
	actor_free(f->client);
	actor_free(f->flusher);
	actor_free(f->dispatcher);
	test_rmdir(f->dir);
}

/* A request of n messages to topic/qid, bodies "<tag>-<i>". */
static Petrel__PutRequest *
request(const char *topic, uint32_t qid, size_t n, const char *tag)
{
	Petrel__PutRequest			*req;
	Petrel__StoreMessage			*m;
	Petrel__StoreMessage__PropertiesEntry	*e;
	char					 body[64];
	size_t					 i;

	req = msg_new(&petrel__put_request__descriptor);
	for (i = 0; i < n; i++) {
		m = msg_new(&petrel__store_message__descriptor);
		msg_set_string(&m->topic, topic);
		m->queue_id = qid;
		m->born_ts = 1234 + i;
		msg_set_string(&m->keys, "k1 k2");
		msg_set_string(&m->tags, tag);
		msg_set_string(&m->uniq_id, "ID");
		e = msg_new(
		    &petrel__store_message__properties_entry__descriptor);
		msg_set_string(&e->key, "color");
		msg_set_string(&e->value, "blue");
		msg_array_add((void ***)&m->properties, &m->n_properties, e);
		snprintf(body, sizeof body, "%s-%zu", tag, i);
		msg_set_bytes(&m->body, body, strlen(body));
		msg_array_add((void ***)&req->messages, &req->n_messages, m);
	}
	return (req);
}

/*
 * The client's answer with cookie, a PutResponse.  Answers come in any
 * order (refusals go first); those not asked for yet are kept.
 */
static Petrel__PutResponse *
answer(struct fixture *f, uint64_t cookie)
{
	static ProtobufCMessage	*kept[16];
	struct envelope		 env;
	ProtobufCMessage	*m;

	ck_assert_uint_lt(cookie, 16);
	while (kept[cookie] == NULL) {
		m = actor_pop(f->client, &env);
		ck_assert_ptr_nonnull(m);
		ck_assert(msg_is(m, &petrel__put_response__descriptor));
		ck_assert_uint_lt(env.cookie, 16);
		kept[env.cookie] = m;
	}
	m = kept[cookie];
	kept[cookie] = NULL;
	return ((Petrel__PutResponse *)m);
}

/* How many messages of type desc wait at a, freeing them. */
static size_t
count(struct actor *a, const ProtobufCMessageDescriptor *desc,
    uint64_t *last_end)
{
	ProtobufCMessage	*m;
	size_t			 n = 0;

	while ((m = actor_pop(a, NULL)) != NULL) {
		ck_assert(msg_is(m, desc));
		if (desc == &petrel__log_appended__descriptor)
			*last_end = ((Petrel__LogAppended *)m)->end;
		else if (desc == &petrel__log_written__descriptor)
			*last_end = ((Petrel__LogWritten *)m)->end;
		msg_free(m);
		n++;
	}
	return (n);
}

/*
 * The n records of the log under dir up to end, as StoreMessages into
 * sms; nothing may follow them.
 */
static void
read_log(const char *dir, uint64_t end, Petrel__StoreMessage **sms,
    size_t n)
{
	struct commitlog_config	 clc = { 64 * 1024, 8192, 1, 0 };
	struct commitlog	*cl;
	struct commitlog_msg	 cm;
	uint64_t		 pos = 0;
	char			*cause = NULL;
	size_t			 i;

	cl = commitlog_open(dir, &clc, &cause);
	ck_assert_msg(cl != NULL, "%s", cause);
	commitlog_follow(cl, end);
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(commitlog_next(cl, &pos, end, &cm, &cause), 1);
		sms[i] = storemsg_from_record(&cm);
	}
	ck_assert_int_eq(commitlog_next(cl, &pos, end, &cm, &cause), 0);
	commitlog_close(cl);
}

START_TEST(test_one_batch)
{
	struct fixture		 f;
	Petrel__PutResponse	*r;
	Petrel__Tick		*tick;
	Petrel__StoreMessage	*sm, *sms[6];
	uint64_t		 end = 0, wend = 0;
	int			 i;

	setup(&f, 0, 0);
	actor_ask(f.writer, request("T", 0, 2, "a"), f.client, 1);
	actor_ask(f.writer, request("T", 0, 3, "b"), f.client, 2);
	actor_ask(f.writer, request("Old", 1, 1, "c"), f.client, 3);
	actor_run_pending(f.writer);
	/*
	 * One append, one note to the dispatcher; with async flush the
	 * flusher hears of a small batch only when the note timer fires.
	 */
	ck_assert_uint_eq(count(f.dispatcher, &petrel__log_appended__descriptor,
	    &end), 1);
	ck_assert_uint_eq(count(f.flusher, &petrel__log_written__descriptor,
	    &wend), 0);
	tick = msg_new(&petrel__tick__descriptor);
	tick->id = 2;
	actor_send(f.writer, tick);
	actor_run_pending(f.writer);
	ck_assert_uint_eq(count(f.flusher, &petrel__log_written__descriptor,
	    &wend), 1);
	ck_assert_uint_eq(end, wend);
	r = answer(&f, 1);
	ck_assert_uint_eq(r->status, 0);
	ck_assert_uint_eq(r->n_results, 2);
	ck_assert_uint_eq(r->results[1]->queue_offset, 1);
	msg_free(r);
	r = answer(&f, 2);
	ck_assert_uint_eq(r->n_results, 3);
	ck_assert_uint_eq(r->results[0]->queue_offset, 2);
	ck_assert_uint_eq(r->results[2]->queue_offset, 4);
	msg_free(r);
	r = answer(&f, 3);
	ck_assert_uint_eq(r->results[0]->queue_offset, 41);
	msg_free(r);

	/* The records read back as they were sent. */
	read_log(f.dir, end, sms, 6);
	for (i = 0; i < 6; i++) {
		sm = sms[i];
		ck_assert_str_eq(sm->topic, i < 5 ? "T" : "Old");
		ck_assert_str_eq(sm->keys, "k1 k2");
		ck_assert_str_eq(sm->uniq_id, "ID");
		ck_assert_uint_eq(sm->n_properties, 1);
		ck_assert_str_eq(sm->properties[0]->key, "color");
		ck_assert_str_eq(sm->properties[0]->value, "blue");
		ck_assert_uint_gt(sm->store_ts, 0);
		msg_free(sm);
	}
	teardown(&f);
}
END_TEST

START_TEST(test_dispatch_paced)
{
	struct fixture		 f;
	Petrel__Tick		*tick;
	uint64_t		 end = 0, first;
	int			 i;

	setup_paced(&f, 0, 0, 60000);
	/* The first batch is told at once... */
	actor_ask(f.writer, request("T", 0, 2, "a"), f.client, 1);
	actor_run_pending(f.writer);
	msg_free(answer(&f, 1));
	ck_assert_uint_eq(count(f.dispatcher, &petrel__log_appended__descriptor,
	    &end), 1);
	first = end;
	/* ...those within the interval when its timer fires, together. */
	for (i = 2; i < 5; i++) {
		actor_ask(f.writer, request("T", 0, 1, "b"), f.client,
		    (uint64_t)i);
		actor_run_pending(f.writer);
		msg_free(answer(&f, (uint64_t)i));
	}
	ck_assert_uint_eq(count(f.dispatcher, &petrel__log_appended__descriptor,
	    &end), 0);
	tick = msg_new(&petrel__tick__descriptor);
	tick->id = 3;
	actor_send(f.writer, tick);
	actor_run_pending(f.writer);
	ck_assert_uint_eq(count(f.dispatcher, &petrel__log_appended__descriptor,
	    &end), 1);
	ck_assert_uint_gt(end, first);
	/* What is not told yet is told on Stop, before the answer. */
	first = end;
	actor_ask(f.writer, request("T", 0, 1, "c"), f.client, 5);
	actor_run_pending(f.writer);
	msg_free(answer(&f, 5));
	ck_assert_uint_eq(count(f.dispatcher, &petrel__log_appended__descriptor,
	    &end), 0);
	actor_ask(f.writer, msg_new(&petrel__stop__descriptor), f.client, 6);
	actor_run_pending(f.writer);
	ck_assert_uint_eq(count(f.dispatcher, &petrel__log_appended__descriptor,
	    &end), 1);
	ck_assert_uint_gt(end, first);
	msg_free(actor_pop(f.client, NULL));
	teardown(&f);
}
END_TEST

START_TEST(test_illegal_only_that_request)
{
	struct fixture		 f;
	Petrel__PutRequest	*bad, *empty;
	Petrel__PutResponse	*r;
	Petrel__StoreMessage__PropertiesEntry *e;
	uint64_t		 end = 0;

	setup(&f, 0, 0);
	bad = request("bad topic", 0, 1, "x");
	empty = msg_new(&petrel__put_request__descriptor);
	actor_ask(f.writer, request("T", 0, 1, "a"), f.client, 1);
	actor_ask(f.writer, bad, f.client, 2);
	actor_ask(f.writer, empty, f.client, 3);
	bad = request("T", 0, 1, "y");
	e = bad->messages[0]->properties[0];
	msg_set_string(&e->key, "TAGS");
	actor_ask(f.writer, bad, f.client, 4);
	bad = request("T", 0, 1, "y");
	msg_set_bytes(&bad->messages[0]->body, "", 0);
	bad->messages[0]->body.data = xcalloc(1, 9000);
	bad->messages[0]->body.len = 9000;
	actor_ask(f.writer, bad, f.client, 5);
	actor_ask(f.writer, request("T", 0, 1, "b"), f.client, 6);
	actor_run_pending(f.writer);
	ck_assert_uint_eq(count(f.dispatcher, &petrel__log_appended__descriptor,
	    &end), 1);
	r = answer(&f, 1);
	ck_assert_uint_eq(r->status, 0);
	msg_free(r);
	r = answer(&f, 2);
	ck_assert_uint_eq(r->status, ILLEGAL);
	ck_assert_ptr_nonnull(strstr(r->reason, "topic"));
	msg_free(r);
	r = answer(&f, 3);
	ck_assert_uint_eq(r->status, ILLEGAL);
	msg_free(r);
	r = answer(&f, 4);
	ck_assert_uint_eq(r->status, ILLEGAL);
	ck_assert_ptr_nonnull(strstr(r->reason, "reserved"));
	msg_free(r);
	r = answer(&f, 5);
	ck_assert_uint_eq(r->status, ILLEGAL);
	ck_assert_ptr_nonnull(strstr(r->reason, "maximum message size"));
	msg_free(r);
	/* The refused ones took no queue offset. */
	r = answer(&f, 6);
	ck_assert_uint_eq(r->status, 0);
	ck_assert_uint_eq(r->results[0]->queue_offset, 1);
	msg_free(r);
	teardown(&f);
}
END_TEST

/*
 * Move the messages of req into records (PutRequest.records), laid out
 * as the writer lays them out (commitlog_encode(), store fields zero),
 * the first keep of them left as messages.
 */
static Petrel__PutRequest *
as_records(Petrel__PutRequest *req, size_t keep)
{
	struct commitlog_msg	 cm;
	char			 props[256];
	uint8_t			*p;
	size_t			 i, len;

	for (i = keep, len = 0; i < req->n_messages; i++)
		len += 512 + req->messages[i]->body.len;
	p = req->records.data = xmalloc(len);
	for (i = keep; i < req->n_messages; i++) {
		len = storemsg_props_write(req->messages[i], props);
		storemsg_to_record(req->messages[i], props, len, &cm);
		cm.size = (uint32_t)commitlog_record_size(&cm);
		commitlog_encode(p, &cm, cm.size, 0);
		p += cm.size;
		msg_free(req->messages[i]);
		req->n_records++;
	}
	req->n_messages = keep;
	req->records.len = (size_t)(p - req->records.data);
	return (req);
}

/*
 * Records laid out by the sender are stored as StoreMessages are, in one
 * batch with them and each given its queue offset; records that are not
 * what they say (cut short, bytes left over, a bad topic, too big) are
 * refused with that request alone.
 */
START_TEST(test_records)
{
	struct fixture		 f;
	Petrel__PutRequest	*req;
	Petrel__PutResponse	*r;
	Petrel__StoreMessage	*sm, *sms[6];
	uint64_t		 end = 0;
	char			 body[16];
	int			 i;

	setup(&f, 0, 0);
	actor_ask(f.writer, as_records(request("T", 0, 3, "a"), 0), f.client,
	    1);
	actor_ask(f.writer, as_records(request("T", 0, 3, "b"), 1), f.client,
	    2);
	req = as_records(request("T", 0, 2, "c"), 0);
	req->records.len -= 3;				/* cut short */
	actor_ask(f.writer, req, f.client, 3);
	req = as_records(request("T", 0, 2, "d"), 0);
	req->n_records = 1;				/* bytes left over */
	actor_ask(f.writer, req, f.client, 4);
	req = as_records(request("T", 0, 1, "e"), 0);
	req->records.data[COMMITLOG_FIXED] = '/';	/* a bad topic */
	actor_ask(f.writer, req, f.client, 5);
	req = request("T", 0, 1, "f");			/* too big */
	free(req->messages[0]->body.data);
	req->messages[0]->body.data = xcalloc(1, 9000);
	req->messages[0]->body.len = 9000;
	req = as_records(req, 0);
	actor_ask(f.writer, req, f.client, 6);
	actor_run_pending(f.writer);
	ck_assert_uint_eq(count(f.dispatcher, &petrel__log_appended__descriptor,
	    &end), 1);
	r = answer(&f, 1);
	ck_assert_uint_eq(r->status, 0);
	ck_assert_uint_eq(r->n_results, 3);
	ck_assert_uint_eq(r->results[2]->queue_offset, 2);
	msg_free(r);
	r = answer(&f, 2);
	ck_assert_uint_eq(r->status, 0);
	ck_assert_uint_eq(r->n_results, 3);
	ck_assert_uint_eq(r->results[0]->queue_offset, 3);
	ck_assert_uint_eq(r->results[2]->queue_offset, 5);
	msg_free(r);
	r = answer(&f, 3);
	ck_assert_uint_eq(r->status, ILLEGAL);
	ck_assert_ptr_nonnull(strstr(r->reason, "message 1"));
	msg_free(r);
	r = answer(&f, 4);
	ck_assert_uint_eq(r->status, ILLEGAL);
	ck_assert_ptr_nonnull(strstr(r->reason, "past the last record"));
	msg_free(r);
	r = answer(&f, 5);
	ck_assert_uint_eq(r->status, ILLEGAL);
	ck_assert_ptr_nonnull(strstr(r->reason, "topic"));
	msg_free(r);
	r = answer(&f, 6);
	ck_assert_uint_eq(r->status, ILLEGAL);
	ck_assert_ptr_nonnull(strstr(r->reason, "maximum message size"));
	msg_free(r);

	/* What was stored reads back as it was sent, in order. */
	read_log(f.dir, end, sms, 6);
	for (i = 0; i < 6; i++) {
		sm = sms[i];
		snprintf(body, sizeof body, "%s-%d", i < 3 ? "a" : "b", i % 3);
		ck_assert_uint_eq(sm->body.len, strlen(body));
		ck_assert_mem_eq(sm->body.data, body, strlen(body));
		ck_assert_uint_eq(sm->queue_offset, (uint64_t)i);
		ck_assert_str_eq(sm->keys, "k1 k2");
		ck_assert_str_eq(sm->properties[0]->value, "blue");
		ck_assert_uint_gt(sm->store_ts, 0);
		ck_assert_uint_eq(sm->store_port, 0);
		msg_free(sm);
	}
	teardown(&f);
}
END_TEST

START_TEST(test_sync)
{
	struct fixture		 f;
	Petrel__PutResponse	*r;
	Petrel__FlushDone	*fd;
	Petrel__Tick		*tick;
	ProtobufCMessage	*m;
	uint64_t		 end = 0, end2 = 0;

	setup(&f, 1, 30);
	actor_ask(f.writer, request("T", 0, 1, "a"), f.client, 1);
	actor_run_pending(f.writer);
	ck_assert_uint_eq(count(f.flusher, &petrel__log_written__descriptor,
	    &end), 1);
	ck_assert_ptr_null(actor_pop(f.client, NULL));
	actor_ask(f.writer, request("T", 0, 1, "b"), f.client, 2);
	actor_run_pending(f.writer);
	ck_assert_uint_eq(count(f.flusher, &petrel__log_written__descriptor,
	    &end2), 1);
	/* A flush covering only the first batch answers only the first. */
	fd = msg_new(&petrel__flush_done__descriptor);
	fd->durable = end;
	actor_send(f.writer, fd);
	actor_run_pending(f.writer);
	r = answer(&f, 1);
	ck_assert_uint_eq(r->status, 0);
	msg_free(r);
	ck_assert_ptr_null(actor_pop(f.client, NULL));
	/* The second times out. */
	usleep(40 * 1000);
	tick = msg_new(&petrel__tick__descriptor);
	tick->id = 1;
	actor_send(f.writer, tick);
	actor_run_pending(f.writer);
	r = answer(&f, 2);
	ck_assert_uint_eq(r->status,
	    PETREL__STORE_STATUS__STORE_FLUSH_DISK_TIMEOUT);
	ck_assert_ptr_nonnull(strstr(r->reason, "30 ms"));
	/* Stored all the same: the results say where. */
	ck_assert_uint_eq(r->n_results, 1);
	ck_assert_uint_eq(r->results[0]->queue_offset, 1);
	msg_free(r);
	/* A failed flush says why. */
	actor_ask(f.writer, request("T", 0, 1, "c"), f.client, 3);
	actor_run_pending(f.writer);
	fd = msg_new(&petrel__flush_done__descriptor);
	msg_set_string(&fd->error, "msync: EIO");
	actor_send(f.writer, fd);
	actor_run_pending(f.writer);
	r = answer(&f, 3);
	ck_assert_uint_eq(r->status,
	    PETREL__STORE_STATUS__STORE_FLUSH_DISK_TIMEOUT);
	ck_assert_str_eq(r->reason, "msync: EIO");
	ck_assert_uint_eq(r->n_results, 1);
	ck_assert_uint_eq(r->results[0]->queue_offset, 2);
	msg_free(r);
	/* Stop answers what waits, after flushing itself. */
	actor_ask(f.writer, request("T", 0, 1, "d"), f.client, 4);
	actor_ask(f.writer, msg_new(&petrel__stop__descriptor), f.client, 5);
	actor_run_pending(f.writer);
	r = answer(&f, 4);
	ck_assert_uint_eq(r->status, 0);
	ck_assert_uint_eq(r->results[0]->queue_offset, 3);
	msg_free(r);
	m = actor_pop(f.client, NULL);
	ck_assert(msg_is(m, &petrel__stopped__descriptor));
	msg_free(m);
	teardown(&f);
}
END_TEST

START_TEST(test_refusals)
{
	struct fixture		 f;
	struct actor		*w;
	Petrel__PutResponse	*r;
	Petrel__DiskState	*ds;

	/* Not configured. */
	f.client = actor_spawn(NULL, &peer_actor, "client");
	w = actor_spawn(NULL, &commitlog_writer_actor, "writer");
	actor_ask(w, request("T", 0, 1, "a"), f.client, 1);
	actor_run_pending(w);
	r = answer(&f, 1);
	ck_assert_uint_eq(r->status,
	    PETREL__STORE_STATUS__STORE_SERVICE_NOT_AVAILABLE);
	msg_free(r);
	actor_free(w);
	actor_free(f.client);

	/* Disk full, then not. */
	setup(&f, 0, 0);
	ds = msg_new(&petrel__disk_state__descriptor);
	ds->full = 1;
	msg_set_string(&ds->reason, "disk 95% full");
	actor_send(f.writer, ds);
	actor_ask(f.writer, request("T", 0, 1, "a"), f.client, 1);
	actor_run_pending(f.writer);
	r = answer(&f, 1);
	ck_assert_uint_eq(r->status,
	    PETREL__STORE_STATUS__STORE_SERVICE_NOT_AVAILABLE);
	ck_assert_str_eq(r->reason, "disk 95% full");
	msg_free(r);
	ds = msg_new(&petrel__disk_state__descriptor);
	actor_send(f.writer, ds);
	actor_ask(f.writer, request("T", 0, 1, "a"), f.client, 2);
	actor_run_pending(f.writer);
	r = answer(&f, 2);
	ck_assert_uint_eq(r->status, 0);
	ck_assert_uint_eq(r->results[0]->queue_offset, 0);
	msg_free(r);
	teardown(&f);
}
END_TEST

/* Ask the writer for its counters: messages_put and queue_depth. */
static void
counters(struct fixture *f, uint64_t *put, uint64_t *depth)
{
	Petrel__Counters	*c;
	struct envelope		 env;
	size_t			 i;

	actor_ask(f->writer, msg_new(&petrel__counters_request__descriptor),
	    f->client, 15);
	actor_run_pending(f->writer);
	c = (Petrel__Counters *)actor_pop(f->client, &env);
	ck_assert(msg_is(c, &petrel__counters__descriptor));
	ck_assert_uint_eq(env.cookie, 15);
	ck_assert_uint_eq(c->n_counters, 2);
	for (i = 0; i < c->n_counters; i++) {
		if (strcmp(c->counters[i]->name, "messages_put") == 0)
			*put = c->counters[i]->value;
		else if (strcmp(c->counters[i]->name, "queue_depth") == 0)
			*depth = c->counters[i]->value;
		else
			ck_abort_msg("counter %s", c->counters[i]->name);
	}
	msg_free(c);
}

START_TEST(test_counters)
{
	struct fixture		 f;
	Petrel__FlushDone	*fd;
	Petrel__Counters	*c;
	uint64_t		 put = 1, depth = 1, end = 0;

	setup(&f, 1, 0);
	counters(&f, &put, &depth);
	ck_assert_uint_eq(put, 0);
	ck_assert_uint_eq(depth, 0);
	/* Asked while two requests are gathered and the note is queued. */
	actor_ask(f.writer, request("T", 0, 3, "a"), f.client, 1);
	actor_ask(f.writer, request("T", 1, 2, "b"), f.client, 2);
	actor_ask(f.writer, msg_new(&petrel__counters_request__descriptor),
	    f.client, 15);
	actor_run_pending(f.writer);
	c = (Petrel__Counters *)actor_pop(f.client, NULL);
	ck_assert(msg_is(c, &petrel__counters__descriptor));
	ck_assert_str_eq(c->counters[0]->name, "messages_put");
	ck_assert_uint_eq(c->counters[0]->value, 0);
	ck_assert_str_eq(c->counters[1]->name, "queue_depth");
	ck_assert_uint_eq(c->counters[1]->value, 3);
	msg_free(c);
	/* Appended, waiting for the flush. */
	counters(&f, &put, &depth);
	ck_assert_uint_eq(put, 5);
	ck_assert_uint_eq(depth, 2);
	ck_assert_uint_eq(count(f.flusher, &petrel__log_written__descriptor,
	    &end), 1);
	fd = msg_new(&petrel__flush_done__descriptor);
	fd->durable = end;
	actor_send(f.writer, fd);
	actor_run_pending(f.writer);
	msg_free(answer(&f, 1));
	msg_free(answer(&f, 2));
	counters(&f, &put, &depth);
	ck_assert_uint_eq(put, 5);
	ck_assert_uint_eq(depth, 0);
	teardown(&f);
}
END_TEST

Suite *
commitlog_writer_suite(void)
{
	Suite	*s = suite_create("commitlog_writer");
	TCase	*tc;

	tc = tcase_create("commitlog_writer");
	tcase_add_test(tc, test_one_batch);
	tcase_add_test(tc, test_dispatch_paced);
	tcase_add_test(tc, test_illegal_only_that_request);
	tcase_add_test(tc, test_records);
	tcase_add_test(tc, test_sync);
	tcase_add_test(tc, test_refusals);
	tcase_add_test(tc, test_counters);
	suite_add_tcase(s, tc);
	return (s);
}
