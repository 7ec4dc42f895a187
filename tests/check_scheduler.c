/*
 * Tests of actors/scheduler.c through detached actors, with a fake
 * dispatcher and a fake writer whose answers the tests write: due and not
 * yet due messages on a fixed clock, the real messages built, offsets
 * written (at most once a second, and on Stop) and read back, a corrupt
 * offsets file refused, writer and dispatcher errors retried, malformed
 * messages skipped, offsets the queue no longer has, and one end-to-end
 * run with the real store actors.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actor.h"
#include "broker.h"
#include "log.h"
#include "msg.h"
#include "msgfile.h"
#include "store_actors.h"
#include "broker_testutil.h"
#include "namesrv_testutil.h"
#include "testutil.h"
#include "xmalloc.h"

#include "proto/brokerd.pb-c.h"
#include "proto/store.pb-c.h"

#define T0	1700000000000ULL
#define LEVEL2	1		/* queue of delay level 2 (5 s) */

static char		*dir;
static struct actor	*sched, *writer, *disp, *client;

/* A scheduler on dir, configured; its answer's error ("" if none). */
static char *
tconfigure(void)
{
	Petrel__SchedulerConfig	*c;
	Petrel__Configured	*ack;
	char			*error;

	sched = actor_spawn(NULL, &scheduler_actor, "scheduler");
	c = msg_new(&petrel__scheduler_config__descriptor);
	msg_set_string(&c->root, dir);
	c->writer = actor_ref(writer);
	c->dispatcher = actor_ref(disp);
	ack = tis(tcall(sched, client, c, 0), &petrel__configured__descriptor);
	error = xstrdup(ack->error);
	msg_free(ack);
	btclock(sched, T0);
	return (error);
}

static uint32_t	last_max;	/* max_count of the last GetRequest */

/* The next GetRequest the scheduler sent; checks its level and offset. */
static struct envelope
tget_is(uint32_t qid, uint64_t offset)
{
	Petrel__GetRequest	*g;
	struct envelope		 env;

	g = (Petrel__GetRequest *)actor_pop(disp, &env);
	ck_assert_ptr_nonnull(g);
	tis(g, &petrel__get_request__descriptor);
	ck_assert_str_eq(g->topic, BROKER_DELAY_TOPIC);
	ck_assert_uint_eq(g->queue_id, qid);
	ck_assert_uint_eq(g->offset, offset);
	last_max = g->max_count;
	msg_free(g);
	return (env);
}

/* Answer what env asked with m, and run the scheduler. */
static void
tanswer(const struct envelope *env, void *m)
{
	ck_assert_int_eq(actor_reply(env, m), 0);
	actor_run_pending(sched);
}

/* A GetResponse with status and range. */
static Petrel__GetResponse *
tresp(uint32_t status, uint64_t next, uint64_t min, uint64_t max)
{
	Petrel__GetResponse	*r;

	r = msg_new(&petrel__get_response__descriptor);
	r->status = status;
	r->next_offset = next;
	r->min_offset = min;
	r->max_offset = max;
	return (r);
}

/* Add a delayed message (at queue offset off, stored at ts) to r. */
static Petrel__StoreMessage *
tdelayed(Petrel__GetResponse *r, uint64_t off, uint64_t ts, const char *topic,
    const char *qid)
{
	Petrel__StoreMessage	*sm;
	char			 body[32];

	sm = msg_new(&petrel__store_message__descriptor);
	msg_set_string(&sm->topic, BROKER_DELAY_TOPIC);
	sm->queue_id = LEVEL2;
	sm->queue_offset = off;
	sm->commit_offset = 1000 + off;
	sm->store_ts = ts;
	sm->born_ts = ts - 1;
	msg_set_bytes(&sm->store_host, "0123456789abcdef", 16);
	sm->store_port = 10911;
	sm->size = 99;
	msg_set_string(&sm->tags, "tag");
	if (topic != NULL)
		brokermsg_set_prop(sm, BROKER_PROP_REAL_TOPIC, topic);
	if (qid != NULL)
		brokermsg_set_prop(sm, BROKER_PROP_REAL_QID, qid);
	brokermsg_set_prop(sm, BROKER_PROP_DELAY, "2");
	brokermsg_set_prop(sm, "user", "kept");
	snprintf(body, sizeof body, "body %llu", (unsigned long long)off);
	msg_set_bytes(&sm->body, body, strlen(body));
	msg_array_add((void ***)&r->messages, &r->n_messages, sm);
	return (sm);
}

/* Tell the scheduler queue qid of %DELAY% now ends at end. */
static void
tarrived(uint32_t qid, uint64_t end)
{
	Petrel__QueuesArrived	*qa;
	Petrel__QueueOffset	*qo;

	qa = msg_new(&petrel__queues_arrived__descriptor);
	qo = msg_new(&petrel__queue_offset__descriptor);
	msg_set_string(&qo->topic, "Other");
	msg_array_add((void ***)&qa->queues, &qa->n_queues, qo);
	qo = msg_new(&petrel__queue_offset__descriptor);
	msg_set_string(&qo->topic, BROKER_DELAY_TOPIC);
	qo->queue_id = qid;
	qo->offset = end;
	msg_array_add((void ***)&qa->queues, &qa->n_queues, qo);
	btsend(sched, qa);
}

/* The next PutRequest to the writer, which must hold n messages. */
static Petrel__PutRequest *
tput_is(size_t n, struct envelope *env)
{
	Petrel__PutRequest	*p;

	p = (Petrel__PutRequest *)actor_pop(writer, env);
	ck_assert_ptr_nonnull(p);
	tis(p, &petrel__put_request__descriptor);
	ck_assert_uint_eq(p->n_messages, n);
	return (p);
}

/* Answer a PutRequest with status. */
static void
tput_answer(const struct envelope *env, uint32_t status)
{
	Petrel__PutResponse	*r;

	r = msg_new(&petrel__put_response__descriptor);
	r->status = status;
	if (status != 0)
		msg_set_string(&r->reason, "the disk is full");
	tanswer(env, r);
}

/*
 * Level 2 is read from off: answer one due message (the queue ending at
 * end); returns the envelope of the PutRequest it made.
 */
static struct envelope
tone_due(uint64_t off, uint64_t end)
{
	Petrel__GetResponse	*r;
	struct envelope		 env, penv;

	env = tget_is(LEVEL2, off);
	r = tresp(PETREL__GET_STATUS__GET_FOUND, off + 1, 0, end);
	tdelayed(r, off, T0 - 5000, "Real", "0");
	tanswer(&env, r);
	msg_free(tput_is(1, &penv));
	return (penv);
}

/* Level 2 grows to end; its message at off is due and stored. */
static void
tdeliver(uint64_t off, uint64_t end)
{
	struct envelope	penv;

	tarrived(LEVEL2, end);
	penv = tone_due(off, end);
	tput_answer(&penv, 0);
}

/* Nothing more was sent to the fake dispatcher or writer. */
static void
tquiet(void)
{
	ck_assert_ptr_null(actor_pop(disp, NULL));
	ck_assert_ptr_null(actor_pop(writer, NULL));
}

/* The offset of level 2 in the file, as written. */
static uint64_t
tfile_offset(void)
{
	ProtobufCMessage	*m;
	Petrel__DelayOffsetFile	*f;
	char			 path[4096], *cause = NULL;
	uint64_t		 off;

	snprintf(path, sizeof path, "%s/config/delayOffset", dir);
	ck_assert_int_eq(msgfile_load(path, "PTDELAYO", "delay offsets",
	    &petrel__delay_offset_file__descriptor, MSGFILE_MAX, &m, &cause),
	    0);
	if (m == NULL)
		return (UINT64_MAX);
	f = (Petrel__DelayOffsetFile *)m;
	ck_assert_uint_eq(f->n_offsets, BROKER_DELAY_LEVELS);
	off = f->offsets[LEVEL2];
	msg_free(f);
	return (off);
}

/* Stop the scheduler; it answers Stopped. */
static void
tstop(void)
{
	msg_free(tis(tcall(sched, client, msg_new(&petrel__stop__descriptor),
	    0), &petrel__stopped__descriptor));
}

/* The first tick reads every level; all of them are empty. */
static void
tfirst_tick(void)
{
	struct envelope	env;
	uint32_t	i;

	bttick(sched, 1);
	for (i = 0; i < BROKER_DELAY_LEVELS; i++) {
		env = tget_is(i, 0);
		tanswer(&env, tresp(PETREL__GET_STATUS__GET_NO_MATCHED_QUEUE,
		    0, 0, 0));
	}
	tquiet();
	bttick(sched, 1);
	tquiet();
}

static void
setup(void)
{
	char	*error;

	log_init("check", LOG_LEVEL_WARN);
	dir = test_tmpdir();
	writer = actor_spawn(NULL, &tpeer_actor, "writer");
	disp = actor_spawn(NULL, &tpeer_actor, "dispatcher");
	client = actor_spawn(NULL, &tpeer_actor, "client");
	error = tconfigure();
	ck_assert_str_eq(error, "");
	free(error);
	tfirst_tick();
}

static void
teardown(void)
{
	actor_free(sched);
	actor_free(writer);
	actor_free(disp);
	actor_free(client);
	test_rmdir(dir);
}

START_TEST(test_due)
{
	Petrel__GetResponse	*r;
	Petrel__PutRequest	*p;
	Petrel__StoreMessage	*sm;
	struct envelope		 env, penv;

	tarrived(LEVEL2, 3);
	env = tget_is(LEVEL2, 0);
	r = tresp(PETREL__GET_STATUS__GET_FOUND, 3, 0, 3);
	tdelayed(r, 0, T0 - 6000, "Real", "3");
	tdelayed(r, 1, T0 - 5000, "Real", "4");		/* due just now */
	tdelayed(r, 2, T0 - 4000, "Real", "5");		/* in a second */
	tanswer(&env, r);
	p = tput_is(2, &penv);
	sm = p->messages[0];
	ck_assert_str_eq(sm->topic, "Real");
	ck_assert_uint_eq(sm->queue_id, 3);
	ck_assert_uint_eq(p->messages[1]->queue_id, 4);
	ck_assert_ptr_null(brokermsg_prop(sm, BROKER_PROP_REAL_TOPIC));
	ck_assert_ptr_null(brokermsg_prop(sm, BROKER_PROP_REAL_QID));
	ck_assert_ptr_null(brokermsg_prop(sm, BROKER_PROP_DELAY));
	ck_assert_str_eq(brokermsg_prop(sm, "user"), "kept");
	ck_assert_str_eq(sm->tags, "tag");
	ck_assert_uint_eq(sm->born_ts, T0 - 6001);
	ck_assert_uint_eq(sm->body.len, 6);
	ck_assert(memcmp(sm->body.data, "body 0", 6) == 0);
	ck_assert_uint_eq(sm->queue_offset, 0);
	ck_assert_uint_eq(sm->commit_offset, 0);
	ck_assert_uint_eq(sm->store_ts, 0);
	ck_assert_uint_eq(sm->store_host.len, 0);
	ck_assert_uint_eq(sm->store_port, 0);
	ck_assert_uint_eq(sm->size, 0);
	msg_free(p);
	/* One request per level at a time. */
	bttick(sched, 1);
	tquiet();
	tput_answer(&penv, 0);
	/* Stored: the offset is written on the tick; the rest is not due. */
	bttick(sched, 1);
	tquiet();
	ck_assert_uint_eq(tfile_offset(), 2);
	btclock(sched, T0 + 999);
	bttick(sched, 1);
	tquiet();
	btclock(sched, T0 + 1000);
	bttick(sched, 1);
	env = tget_is(LEVEL2, 2);
	r = tresp(PETREL__GET_STATUS__GET_FOUND, 3, 0, 3);
	tdelayed(r, 2, T0 - 4000, "Real", "5");
	tanswer(&env, r);
	p = tput_is(1, &penv);
	ck_assert_uint_eq(p->messages[0]->queue_id, 5);
	msg_free(p);
	tput_answer(&penv, 0);
	/* All delivered: nothing to read until more arrives. */
	bttick(sched, 1);
	tquiet();
	ck_assert_uint_eq(tfile_offset(), 3);
	tarrived(LEVEL2, 4);
	env = tget_is(LEVEL2, 3);
	r = tresp(PETREL__GET_STATUS__GET_FOUND, 4, 0, 4);
	tdelayed(r, 3, T0 + 1000, "Real", "5");
	tanswer(&env, r);
	tquiet();
	/* Due at T0 + 6000, not before. */
	btclock(sched, T0 + 5999);
	bttick(sched, 1);
	tquiet();
	btclock(sched, T0 + 6000);
	bttick(sched, 1);
	env = tget_is(LEVEL2, 3);
	r = tresp(PETREL__GET_STATUS__GET_FOUND, 4, 0, 4);
	tdelayed(r, 3, T0 + 1000, "Real", "5");
	tanswer(&env, r);
	msg_free(tput_is(1, &penv));
	tput_answer(&penv, 0);
	tquiet();
}
END_TEST

START_TEST(test_persist)
{
	char			*error;
	uint32_t		 i;

	tdeliver(0, 1);
	bttick(sched, 1);
	ck_assert_uint_eq(tfile_offset(), 1);
	/* Within a second of the last write: not written yet. */
	btclock(sched, T0 + 500);
	tdeliver(1, 2);
	bttick(sched, 1);
	ck_assert_uint_eq(tfile_offset(), 1);
	btclock(sched, T0 + 1000);
	bttick(sched, 1);
	ck_assert_uint_eq(tfile_offset(), 2);
	/* Reloaded by a new scheduler. */
	tstop();
	actor_free(sched);
	error = tconfigure();
	ck_assert_str_eq(error, "");
	free(error);
	bttick(sched, 1);
	for (i = 0; i < BROKER_DELAY_LEVELS; i++)
		tget_is(i, i == LEVEL2 ? 2 : 0);
	tquiet();
}
END_TEST

START_TEST(test_stop_writes)
{
	struct envelope		 penv;

	tdeliver(0, 2);
	/* Written on Stop though no tick came. */
	ck_assert_uint_eq(tfile_offset(), UINT64_MAX);
	penv = tone_due(1, 2);
	tstop();
	ck_assert_uint_eq(tfile_offset(), 1);
	/* A put stored after the stop is written too; nothing more read. */
	tput_answer(&penv, 0);
	ck_assert_uint_eq(tfile_offset(), 2);
	tarrived(LEVEL2, 9);
	bttick(sched, 1);
	tquiet();
}
END_TEST

START_TEST(test_corrupt)
{
	Petrel__DelayOffsetFile	*f;
	char			 path[4096], *error, *cause = NULL;
	FILE			*fp;

	actor_free(sched);
	snprintf(path, sizeof path, "%s/config/delayOffset", dir);
	fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	fputs("PTDELAYO garbage garbage garbage", fp);
	fclose(fp);
	error = tconfigure();
	ck_assert_str_ne(error, "");
	free(error);
	/* Unconfigured: it reads nothing. */
	bttick(sched, 1);
	tquiet();
	actor_free(sched);
	/* Too many levels. */
	f = msg_new(&petrel__delay_offset_file__descriptor);
	f->offsets = xcalloc(BROKER_DELAY_LEVELS + 1, sizeof *f->offsets);
	f->n_offsets = BROKER_DELAY_LEVELS + 1;
	ck_assert_int_eq(msgfile_save(path, "PTDELAYO", &f->base, &cause), 0);
	msg_free(f);
	error = tconfigure();
	ck_assert_ptr_nonnull(strstr(error, "corrupt"));
	free(error);
	/* Fewer levels are fine: the others start at 0. */
	actor_free(sched);
	f = msg_new(&petrel__delay_offset_file__descriptor);
	f->offsets = xcalloc(2, sizeof *f->offsets);
	f->n_offsets = 2;
	f->offsets[LEVEL2] = 7;
	ck_assert_int_eq(msgfile_save(path, "PTDELAYO", &f->base, &cause), 0);
	msg_free(f);
	error = tconfigure();
	ck_assert_str_eq(error, "");
	free(error);
	tarrived(LEVEL2, 9);
	tget_is(LEVEL2, 7);
}
END_TEST

START_TEST(test_retry)
{
	struct envelope		 env, penv;
	int			 i;

	tarrived(LEVEL2, 1);
	for (i = 0; i < 2; i++) {
		penv = tone_due(0, 1);
		/* Refused: tried again a second later, not skipped. */
		tput_answer(&penv,
		    PETREL__STORE_STATUS__STORE_SERVICE_NOT_AVAILABLE);
		bttick(sched, 1);
		tquiet();
		btclock(sched, T0 + 1000 * (i + 1));
		bttick(sched, 1);
	}
	/* The dispatcher fails too: the same. */
	env = tget_is(LEVEL2, 0);
	ck_assert_int_eq(actor_reply_error(&env,
	    PETREL__STORE_STATUS__STORE_SERVICE_NOT_AVAILABLE, "not open"), 0);
	actor_run_pending(sched);
	bttick(sched, 1);
	tquiet();
	btclock(sched, T0 + 3000);
	bttick(sched, 1);
	penv = tone_due(0, 1);
	tput_answer(&penv, 0);
	bttick(sched, 1);
	tquiet();
	ck_assert_uint_eq(tfile_offset(), 1);
	/* An answer nobody asked for is ignored. */
	tput_answer(&penv, 0);
	tquiet();
}
END_TEST

START_TEST(test_malformed)
{
	Petrel__GetResponse	*r;
	Petrel__PutRequest	*p;
	struct envelope		 env, penv;

	tarrived(LEVEL2, 6);
	env = tget_is(LEVEL2, 0);
	r = tresp(PETREL__GET_STATUS__GET_FOUND, 4, 0, 6);
	tdelayed(r, 0, T0 - 9000, NULL, "1");
	tdelayed(r, 1, T0 - 9000, "Real", "1");
	tdelayed(r, 2, T0 - 9000, "Real", "x");
	tdelayed(r, 3, T0 - 9000, "Real", "1024");
	tanswer(&env, r);
	p = tput_is(1, &penv);
	ck_assert_str_eq(p->messages[0]->topic, "Real");
	ck_assert_uint_eq(p->messages[0]->queue_id, 1);
	msg_free(p);
	tput_answer(&penv, 0);
	/* All due: read on at once; only malformed ones: no put at all. */
	env = tget_is(LEVEL2, 4);
	r = tresp(PETREL__GET_STATUS__GET_FOUND, 6, 0, 6);
	tdelayed(r, 4, T0 - 9000, "bad topic", "1");
	tdelayed(r, 5, T0 - 9000, "Real", NULL);
	tanswer(&env, r);
	tquiet();
	bttick(sched, 1);
	tquiet();
	ck_assert_uint_eq(tfile_offset(), 6);
}
END_TEST

START_TEST(test_illegal)
{
	Petrel__GetResponse	*r;
	struct envelope		 env, penv;

	tarrived(LEVEL2, 3);
	env = tget_is(LEVEL2, 0);
	ck_assert_uint_gt(last_max, 1);
	r = tresp(PETREL__GET_STATUS__GET_FOUND, 3, 0, 3);
	tdelayed(r, 0, T0 - 9000, "Real", "1");
	tdelayed(r, 1, T0 - 9000, "Real", "1");
	tdelayed(r, 2, T0 - 9000, "Real", "1");
	tanswer(&env, r);
	msg_free(tput_is(3, &penv));
	/* One of them is illegal: stored one at a time to find it. */
	tput_answer(&penv, PETREL__STORE_STATUS__STORE_MESSAGE_ILLEGAL);
	penv = tone_due(0, 3);
	ck_assert_uint_eq(last_max, 1);
	tput_answer(&penv, 0);
	env = tget_is(LEVEL2, 1);
	ck_assert_uint_gt(last_max, 1);
	r = tresp(PETREL__GET_STATUS__GET_FOUND, 3, 0, 3);
	tdelayed(r, 1, T0 - 9000, "Real", "1");
	tdelayed(r, 2, T0 - 9000, "Real", "1");
	tanswer(&env, r);
	msg_free(tput_is(2, &penv));
	tput_answer(&penv, PETREL__STORE_STATUS__STORE_MESSAGE_ILLEGAL);
	penv = tone_due(1, 3);
	ck_assert_uint_eq(last_max, 1);
	/* Refused on its own: skipped, not retried. */
	tput_answer(&penv, PETREL__STORE_STATUS__STORE_MESSAGE_ILLEGAL);
	penv = tone_due(2, 3);
	tput_answer(&penv, 0);
	bttick(sched, 1);
	tquiet();
	ck_assert_uint_eq(tfile_offset(), 3);
}
END_TEST

START_TEST(test_moved)
{
	struct envelope	env;

	/* Deleted by retention: go on from the queue's start. */
	tarrived(LEVEL2, 20);
	env = tget_is(LEVEL2, 0);
	tanswer(&env, tresp(PETREL__GET_STATUS__GET_OFFSET_TOO_SMALL, 10,
	    10, 20));
	bttick(sched, 1);
	env = tget_is(LEVEL2, 10);
	/* Caught up: nothing until more arrives. */
	tanswer(&env, tresp(PETREL__GET_STATUS__GET_OFFSET_OVERFLOW_ONE, 10,
	    10, 10));
	bttick(sched, 1);
	tquiet();
	ck_assert_uint_eq(tfile_offset(), 10);
	/* Past the end (a store made anew): back to its end. */
	tarrived(LEVEL2, 12);
	env = tget_is(LEVEL2, 10);
	tanswer(&env, tresp(PETREL__GET_STATUS__GET_OFFSET_OVERFLOW_BADLY, 3,
	    0, 3));
	btclock(sched, T0 + 1000);
	bttick(sched, 1);
	tquiet();
	ck_assert_uint_eq(tfile_offset(), 3);
	tarrived(LEVEL2, 4);
	tget_is(LEVEL2, 3);
	/* Other topics and queues past the levels are not the scheduler's. */
	tarrived(BROKER_DELAY_LEVELS, 5);
	tquiet();
}
END_TEST

/* Run the actors of the end-to-end test until none has work. */
static void
tpump(struct actor **a, size_t n)
{
	size_t	i, ran;

	do {
		for (i = 0, ran = 0; i < n; i++)
			ran += actor_run_pending(a[i]);
	} while (ran > 0);
}

/*
 * The real store actors: a delayed message put in %DELAY% is read back
 * by the scheduler and stored in its real queue once due.
 */
START_TEST(test_store)
{
	struct actor		*a[4];
	Petrel__StoreConfig	*c;
	Petrel__SchedulerConfig	*sc;
	Petrel__PutRequest	*req;
	Petrel__PutResponse	*pr;
	Petrel__GetRequest	*gr;
	Petrel__GetResponse	*g;
	Petrel__StoreMessage	*sm;
	Petrel__Configured	*ack;
	uint64_t		 ts;
	char			*sdir = test_tmpdir();

	a[0] = actor_spawn(NULL, &dispatcher_actor, "dispatcher");
	a[1] = actor_spawn(NULL, &flusher_actor, "flusher");
	a[2] = actor_spawn(NULL, &commitlog_writer_actor, "writer");
	a[3] = actor_spawn(NULL, &scheduler_actor, "scheduler2");
	c = msg_new(&petrel__store_config__descriptor);
	msg_set_string(&c->root, sdir);
	c->segment_size = 64 * 1024;
	c->writer = actor_ref(a[2]);
	c->flusher = actor_ref(a[1]);
	c->watchers = xcalloc(1, sizeof *c->watchers);
	c->watchers[0] = actor_ref(a[3]);
	c->n_watchers = 1;
	actor_ask(a[0], c, client, 1);
	tpump(a, 3);
	ack = tis(actor_pop(client, NULL), &petrel__configured__descriptor);
	ck_assert_str_eq(ack->error, "");
	msg_free(ack);
	sc = msg_new(&petrel__scheduler_config__descriptor);
	msg_set_string(&sc->root, sdir);
	sc->writer = actor_ref(a[2]);
	sc->dispatcher = actor_ref(a[0]);
	actor_ask(a[3], sc, client, 2);
	tpump(a, 4);
	ack = tis(actor_pop(client, NULL), &petrel__configured__descriptor);
	ck_assert_str_eq(ack->error, "");
	msg_free(ack);

	req = msg_new(&petrel__put_request__descriptor);
	sm = msg_new(&petrel__store_message__descriptor);
	msg_set_string(&sm->topic, BROKER_DELAY_TOPIC);
	sm->queue_id = 0;
	brokermsg_set_prop(sm, BROKER_PROP_REAL_TOPIC, "T");
	brokermsg_set_prop(sm, BROKER_PROP_REAL_QID, "2");
	brokermsg_set_prop(sm, BROKER_PROP_DELAY, "1");
	msg_set_bytes(&sm->body, "later", 5);
	msg_array_add((void ***)&req->messages, &req->n_messages, sm);
	actor_ask(a[2], req, client, 3);
	btclock(a[3], T0);	/* long before it was stored: not due */
	tpump(a, 4);
	pr = tis(actor_pop(client, NULL), &petrel__put_response__descriptor);
	ck_assert_uint_eq(pr->status, 0);
	ts = pr->results[0]->store_ts;
	msg_free(pr);
	bttick(a[3], 1);
	tpump(a, 4);
	btclock(a[3], ts + 1000);
	bttick(a[3], 1);
	tpump(a, 4);

	gr = msg_new(&petrel__get_request__descriptor);
	msg_set_string(&gr->topic, "T");
	gr->queue_id = 2;
	actor_ask(a[0], gr, client, 4);
	tpump(a, 4);
	g = tis(actor_pop(client, NULL), &petrel__get_response__descriptor);
	ck_assert_uint_eq(g->n_messages, 1);
	sm = g->messages[0];
	ck_assert_uint_eq(sm->body.len, 5);
	ck_assert(memcmp(sm->body.data, "later", 5) == 0);
	ck_assert_ptr_null(brokermsg_prop(sm, BROKER_PROP_REAL_TOPIC));
	ck_assert_uint_ge(sm->store_ts, ts);
	msg_free(g);
	/* Delivered once only. */
	btclock(a[3], ts + 5000);
	bttick(a[3], 1);
	tpump(a, 4);
	gr = msg_new(&petrel__get_request__descriptor);
	msg_set_string(&gr->topic, "T");
	gr->queue_id = 2;
	gr->offset = 1;
	actor_ask(a[0], gr, client, 4);
	tpump(a, 4);
	g = tis(actor_pop(client, NULL), &petrel__get_response__descriptor);
	ck_assert_uint_eq(g->n_messages, 0);
	msg_free(g);
	actor_free(a[3]);
	actor_free(a[2]);
	actor_free(a[1]);
	actor_free(a[0]);
	test_rmdir(sdir);
}
END_TEST

Suite *
scheduler_suite(void)
{
	Suite	*s = suite_create("scheduler");
	TCase	*tc;

	tc = tcase_create("scheduler");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_due);
	tcase_add_test(tc, test_persist);
	tcase_add_test(tc, test_stop_writes);
	tcase_add_test(tc, test_corrupt);
	tcase_add_test(tc, test_retry);
	tcase_add_test(tc, test_malformed);
	tcase_add_test(tc, test_illegal);
	tcase_add_test(tc, test_moved);
	tcase_add_test(tc, test_store);
	suite_add_tcase(s, tc);
	return (s);
}
