/*
 * Tests of actors/cleaner.c with detached actors and a fake disk usage:
 * forced deletion past the clean threshold, the writer told to refuse
 * writes past the hard one (and a real writer refusing and keeping what
 * it stored), the daily clean at its hour, once a day, and bad input.
 */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "actor.h"
#include "msg.h"
#include "runtime.pb-c.h"
#include "store.pb-c.h"
#include "store_actors.h"
#include "testutil.h"
#include "xmalloc.h"

static const struct actor_type peer_actor = { "peer", 0, NULL, NULL, NULL };
static unsigned	usage_pct;
static int	usage_fails;

static int
fake_usage(const char *root, unsigned *pct, char **cause)
{
	(void)root;
	if (usage_fails) {
		*cause = xstrdup("no disk");
		return (-1);
	}
	*pct = usage_pct;
	return (0);
}

struct fixture {
	struct actor	*cleaner;
	struct actor	*writer;
	struct actor	*dispatcher;
};

static void
setup(struct fixture *f, int hour, struct actor *writer)
{
	Petrel__CleanerConfig	*c;
	ProtobufCMessage	*ack;

	f->cleaner = actor_spawn(NULL, &cleaner_actor, "cleaner");
	f->writer = writer != NULL ? writer :
	    actor_spawn(NULL, &peer_actor, "writer");
	f->dispatcher = actor_spawn(NULL, &peer_actor, "dispatcher");
	cleaner_set_usage(f->cleaner, fake_usage);
	c = msg_new(&petrel__cleaner_config__descriptor);
	msg_set_string(&c->root, "/nowhere");
	c->delete_hour = (uint32_t)hour;
	c->writer = actor_ref(f->writer);
	c->dispatcher = actor_ref(f->dispatcher);
	actor_ask(f->cleaner, c, f->dispatcher, 1);
	actor_run_pending(f->cleaner);
	ack = actor_pop(f->dispatcher, NULL);
	ck_assert(msg_is(ack, &petrel__configured__descriptor));
	ck_assert_str_eq(((Petrel__Configured *)ack)->error, "");
	msg_free(ack);
	usage_fails = 0;
}

static void
teardown(struct fixture *f)
{
	actor_free(f->cleaner);
	actor_free(f->writer);
	actor_free(f->dispatcher);
}

static void
tick(struct fixture *f, unsigned pct)
{
	Petrel__Tick	*t = msg_new(&petrel__tick__descriptor);

	usage_pct = pct;
	t->id = 1;
	actor_send(f->cleaner, t);
	actor_run_pending(f->cleaner);
}

/* Answer the cleaner's DeleteExpired, having deleted n segments. */
static void
trimmed(struct fixture *f, uint32_t n)
{
	Petrel__LogTrimmed	*lt = msg_new(&petrel__log_trimmed__descriptor);

	lt->deleted = n;
	actor_send(f->cleaner, lt);
	actor_run_pending(f->cleaner);
}

/* The current local hour, and one that is not. */
static int
hour_now(int other)
{
	time_t		now = time(NULL);
	struct tm	tm;

	localtime_r(&now, &tm);
	return (other ? (tm.tm_hour + 12) % 24 : tm.tm_hour);
}

START_TEST(test_thresholds)
{
	struct fixture		 f;
	Petrel__DeleteExpired	*de;
	Petrel__DiskState	*ds;

	setup(&f, hour_now(1), NULL);
	tick(&f, 50);
	ck_assert_ptr_null(actor_pop(f.dispatcher, NULL));
	ck_assert_ptr_null(actor_pop(f.writer, NULL));
	/* Past 75%: the oldest go at once, one request at a time. */
	tick(&f, 80);
	de = (Petrel__DeleteExpired *)actor_pop(f.dispatcher, NULL);
	ck_assert(msg_is(de, &petrel__delete_expired__descriptor));
	ck_assert_uint_eq(de->cutoff_ms, UINT64_MAX);
	ck_assert_uint_eq(de->max, 10);
	msg_free(de);
	tick(&f, 80);
	ck_assert_ptr_null(actor_pop(f.dispatcher, NULL));
	trimmed(&f, 10);
	/* Past 90%: writes refused, and said why. */
	tick(&f, 95);
	ds = (Petrel__DiskState *)actor_pop(f.writer, NULL);
	ck_assert(msg_is(ds, &petrel__disk_state__descriptor));
	ck_assert(ds->full);
	ck_assert_ptr_nonnull(strstr(ds->reason, "95%"));
	msg_free(ds);
	msg_free(actor_pop(f.dispatcher, NULL));
	trimmed(&f, 1);
	tick(&f, 94);
	ck_assert_ptr_null(actor_pop(f.writer, NULL));	/* told once */
	msg_free(actor_pop(f.dispatcher, NULL));
	trimmed(&f, 0);
	tick(&f, 60);
	ds = (Petrel__DiskState *)actor_pop(f.writer, NULL);
	ck_assert(msg_is(ds, &petrel__disk_state__descriptor));
	ck_assert(!ds->full);
	msg_free(ds);
	ck_assert_ptr_null(actor_pop(f.dispatcher, NULL));
	/* A usage source that fails changes nothing. */
	usage_fails = 1;
	tick(&f, 99);
	ck_assert_ptr_null(actor_pop(f.writer, NULL));
	ck_assert_ptr_null(actor_pop(f.dispatcher, NULL));
	teardown(&f);
}
END_TEST

START_TEST(test_daily)
{
	struct fixture		 f;
	Petrel__DeleteExpired	*de;
	uint64_t		 now = (uint64_t)time(NULL) * 1000;

	setup(&f, hour_now(0), NULL);
	tick(&f, 10);
	de = (Petrel__DeleteExpired *)actor_pop(f.dispatcher, NULL);
	ck_assert(msg_is(de, &petrel__delete_expired__descriptor));
	ck_assert_uint_le(de->cutoff_ms, now - 72ULL * 3600 * 1000 + 5000);
	ck_assert_uint_ge(de->cutoff_ms, now - 72ULL * 3600 * 1000 - 5000);
	msg_free(de);
	/* A full round: more may be left, so it goes on. */
	trimmed(&f, 10);
	tick(&f, 10);
	de = (Petrel__DeleteExpired *)actor_pop(f.dispatcher, NULL);
	ck_assert(msg_is(de, &petrel__delete_expired__descriptor));
	msg_free(de);
	/* Done for today. */
	trimmed(&f, 3);
	tick(&f, 10);
	ck_assert_ptr_null(actor_pop(f.dispatcher, NULL));
	teardown(&f);
}
END_TEST

START_TEST(test_real_writer)
{
	struct fixture		 f;
	struct actor		*w, *client;
	Petrel__WriterConfig	*wc;
	Petrel__PutRequest	*req;
	Petrel__PutResponse	*r;
	ProtobufCMessage	*m;
	char			*dir = test_tmpdir();
	int			 round;

	w = actor_spawn(NULL, &commitlog_writer_actor, "writer");
	client = actor_spawn(NULL, &peer_actor, "client");
	wc = msg_new(&petrel__writer_config__descriptor);
	msg_set_string(&wc->root, dir);
	wc->segment_size = 64 * 1024;
	actor_ask(w, wc, client, 1);
	actor_run_pending(w);
	msg_free(actor_pop(client, NULL));
	setup(&f, hour_now(1), w);
	for (round = 0; round < 3; round++) {
		tick(&f, round == 1 ? 92 : 40);
		msg_free(actor_pop(f.dispatcher, NULL));
		trimmed(&f, 0);
		req = msg_new(&petrel__put_request__descriptor);
		msg_array_add((void ***)&req->messages, &req->n_messages,
		    msg_new(&petrel__store_message__descriptor));
		msg_set_string(&req->messages[0]->topic, "T");
		actor_ask(w, req, client, 2);
		actor_run_pending(w);
		while ((m = actor_pop(client, NULL)) != NULL &&
		    !msg_is(m, &petrel__put_response__descriptor))
			msg_free(m);
		r = (Petrel__PutResponse *)m;
		ck_assert_ptr_nonnull(r);
		if (round == 1) {
			ck_assert_uint_eq(r->status,
			    PETREL__STORE_STATUS__STORE_SERVICE_NOT_AVAILABLE);
			ck_assert_ptr_nonnull(strstr(r->reason, "92%"));
		} else {
			ck_assert_uint_eq(r->status, 0);
			/* What was stored before stays: offsets go on. */
			ck_assert_uint_eq(r->results[0]->queue_offset,
			    round == 0 ? 0 : 1);
		}
		msg_free(r);
	}
	teardown(&f);
	actor_free(client);
	test_rmdir(dir);
}
END_TEST

START_TEST(test_bad_config)
{
	struct actor		*c, *peer;
	Petrel__CleanerConfig	*cc;
	Petrel__Configured	*ack;

	c = actor_spawn(NULL, &cleaner_actor, "cleaner");
	peer = actor_spawn(NULL, &peer_actor, "peer");
	cc = msg_new(&petrel__cleaner_config__descriptor);
	msg_set_string(&cc->root, "/x");
	cc->delete_hour = 24;
	actor_ask(c, cc, peer, 1);
	cc = msg_new(&petrel__cleaner_config__descriptor);
	actor_ask(c, cc, peer, 2);
	actor_send(c, msg_new(&petrel__tick__descriptor));
	actor_run_pending(c);
	ack = (Petrel__Configured *)actor_pop(peer, NULL);
	ck_assert_ptr_nonnull(strstr(ack->error, "hour"));
	msg_free(ack);
	ack = (Petrel__Configured *)actor_pop(peer, NULL);
	ck_assert_ptr_nonnull(strstr(ack->error, "folder"));
	msg_free(ack);
	ck_assert_ptr_null(actor_pop(peer, NULL));
	actor_free(c);
	actor_free(peer);
}
END_TEST

Suite *
cleaner_suite(void)
{
	Suite	*s = suite_create("cleaner");
	TCase	*tc;

	tc = tcase_create("cleaner");
	tcase_add_test(tc, test_thresholds);
	tcase_add_test(tc, test_daily);
	tcase_add_test(tc, test_real_writer);
	tcase_add_test(tc, test_bad_config);
	suite_add_tcase(s, tc);
	return (s);
}
