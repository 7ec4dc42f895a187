/*
 * Tests of actors/flusher.c with detached actors: one sync for every
 * LogWritten that arrived together, async flushes on the tick or past the
 * dirty threshold, the next segment made ahead, and a last flush on stop.
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
#include "store_test.h"
#include "testutil.h"

#define SEG	(64 * 1024)

static const struct actor_type peer_actor = { "peer", 0, NULL, NULL, NULL };

struct fixture {
	char			*dir;
	struct commitlog	*cl;
	struct actor		*flusher;
	struct actor		*writer;
	struct actor		*dispatcher;
	uint64_t		 seq;
};

static void
setup(struct fixture *f, uint64_t dirty)
{
	struct commitlog_config	 clc = { SEG, 8192, 0, 0 };
	Petrel__FlusherConfig	*c;
	ProtobufCMessage	*ack;
	char			*cause = NULL;

	memset(f, 0, sizeof *f);
	f->dir = test_tmpdir();
	f->cl = commitlog_open(f->dir, &clc, &cause);
	ck_assert_ptr_nonnull(f->cl);
	f->flusher = actor_spawn(NULL, &flusher_actor, "flusher");
	f->writer = actor_spawn(NULL, &peer_actor, "writer");
	f->dispatcher = actor_spawn(NULL, &peer_actor, "dispatcher");
	c = msg_new(&petrel__flusher_config__descriptor);
	msg_set_string(&c->root, f->dir);
	c->segment_size = SEG;
	c->dirty_bytes = dirty;
	c->writer = actor_ref(f->writer);
	c->dispatcher = actor_ref(f->dispatcher);
	actor_ask(f->flusher, c, f->dispatcher, 1);
	actor_run_pending(f->flusher);
	ack = actor_pop(f->dispatcher, NULL);
	ck_assert(msg_is(ack, &petrel__configured__descriptor));
	ck_assert_str_eq(((Petrel__Configured *)ack)->error, "");
	msg_free(ack);
}

static void
teardown(struct fixture *f)
{
	actor_free(f->flusher);
	actor_free(f->writer);
	actor_free(f->dispatcher);
	commitlog_close(f->cl);
	test_rmdir(f->dir);
}

/* Append n messages and tell the flusher. */
static uint64_t
append(struct fixture *f, size_t n, int sync)
{
	struct st_msg		 sm;
	struct commitlog_msg	 m;
	Petrel__LogWritten	*lw;
	char			*cause = NULL;
	size_t			 i;

	for (i = 0; i < n; i++) {
		m = *st_fill(&sm, "T", 0, f->seq++, 1000);
		ck_assert_int_eq(commitlog_append(f->cl, &m, 1, &cause), 0);
	}
	lw = msg_new(&petrel__log_written__descriptor);
	lw->end = commitlog_max_offset(f->cl);
	lw->sync = sync;
	actor_send(f->flusher, lw);
	return (lw->end);
}

/* FlushDone messages waiting at a; *durable gets the last one's. */
static size_t
dones(struct actor *a, uint64_t *durable)
{
	ProtobufCMessage	*m;
	size_t			 n = 0;

	while ((m = actor_pop(a, NULL)) != NULL) {
		ck_assert(msg_is(m, &petrel__flush_done__descriptor));
		ck_assert_str_eq(((Petrel__FlushDone *)m)->error, "");
		*durable = ((Petrel__FlushDone *)m)->durable;
		msg_free(m);
		n++;
	}
	return (n);
}

START_TEST(test_group_commit)
{
	struct fixture	f;
	uint64_t	end, durable = 0;
	char		path[4096];

	setup(&f, 1 << 30);
	append(&f, 3, 1);
	append(&f, 2, 1);
	end = append(&f, 4, 1);
	actor_run_pending(f.flusher);
	ck_assert_uint_eq(dones(f.writer, &durable), 1);
	ck_assert_uint_eq(durable, end);
	ck_assert_uint_eq(dones(f.dispatcher, &durable), 1);
	ck_assert_uint_eq(durable, end);

	/* Past half a segment: the next one is made ahead. */
	end = append(&f, 40, 1);
	actor_run_pending(f.flusher);
	ck_assert_uint_eq(dones(f.writer, &durable), 1);
	snprintf(path, sizeof path, "%s/commitlog/%020llu", f.dir,
	    (unsigned long long)(end - end % SEG + SEG));
	ck_assert_int_eq(access(path, F_OK), 0);
	teardown(&f);
}
END_TEST

START_TEST(test_async)
{
	struct fixture	 f;
	Petrel__Tick		*tick;
	ProtobufCMessage	*m;
	uint64_t		 end, durable = 0;

	setup(&f, 30000);
	append(&f, 2, 0);
	actor_run_pending(f.flusher);
	ck_assert_uint_eq(dones(f.writer, &durable), 0);
	/* The tick flushes. */
	tick = msg_new(&petrel__tick__descriptor);
	tick->id = 1;
	actor_send(f.flusher, tick);
	actor_run_pending(f.flusher);
	ck_assert_uint_eq(dones(f.writer, &durable), 1);
	/* Enough dirty flushes at once. */
	end = append(&f, 40, 0);
	actor_run_pending(f.flusher);
	ck_assert_uint_eq(dones(f.dispatcher, &durable), 2);
	ck_assert_uint_eq(durable, end);
	ck_assert_uint_eq(dones(f.writer, &durable), 1);
	/* Stop flushes what is left and answers. */
	end = append(&f, 1, 0);
	actor_ask(f.flusher, msg_new(&petrel__stop__descriptor), f.dispatcher,
	    7);
	actor_run_pending(f.flusher);
	ck_assert_uint_eq(dones(f.writer, &durable), 1);
	ck_assert_uint_eq(durable, end);
	m = actor_pop(f.dispatcher, NULL);
	ck_assert(msg_is(m, &petrel__flush_done__descriptor));
	msg_free(m);
	m = actor_pop(f.dispatcher, NULL);
	ck_assert(msg_is(m, &petrel__stopped__descriptor));
	msg_free(m);
	ck_assert_uint_eq(durable, end);
	teardown(&f);
}
END_TEST

Suite *
flusher_suite(void)
{
	Suite	*s = suite_create("flusher");
	TCase	*tc;

	tc = tcase_create("flusher");
	tcase_add_test(tc, test_group_commit);
	tcase_add_test(tc, test_async);
	suite_add_tcase(s, tc);
	return (s);
}
