/*
 * Tests of actors/flusher.c with detached actors: one sync for every
 * LogWritten that arrived together, async flushes on the tick or past the
 * dirty threshold, the next segment made ahead, and a last flush on stop
 * (syncing on the flusher's own loop); then with sync helpers on loops of
 * their own: overlapping syncs, each answer durable up to its range, a
 * stray answer refused.
 */
#include "config.h"

#include <sys/mman.h>

#include <check.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
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
setup_warm(struct fixture *f, uint64_t dirty, uint32_t syncers,
    uint64_t warm)
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
	c->syncers = syncers;
	c->warm_ahead = warm;
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
setup_syncers(struct fixture *f, uint64_t dirty, uint32_t syncers)
{
	setup_warm(f, dirty, syncers, 0);
}

/* A flusher syncing on its own loop: everything happens in run_pending. */
static void
setup(struct fixture *f, uint64_t dirty)
{
	setup_syncers(f, dirty, 1);
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

/*
 * FlushDone messages waiting at a; *durable gets the largest durable end
 * said (syncers tell the writer in the order they finish).
 */
static size_t
dones(struct actor *a, uint64_t *durable)
{
	ProtobufCMessage	*m;
	size_t			 n = 0;

	while ((m = actor_pop(a, NULL)) != NULL) {
		ck_assert(msg_is(m, &petrel__flush_done__descriptor));
		ck_assert_str_eq(((Petrel__FlushDone *)m)->error, "");
		if (((Petrel__FlushDone *)m)->durable > *durable)
			*durable = ((Petrel__FlushDone *)m)->durable;
		msg_free(m);
		n++;
	}
	return (n);
}

/*
 * Append one more message, stop the flusher and check the writer heard it
 * durable; returns the log's end.
 */
static uint64_t
stop(struct fixture *f)
{
	uint64_t	end, durable = 0;

	end = append(f, 1, 0);
	actor_ask(f->flusher, msg_new(&petrel__stop__descriptor),
	    f->dispatcher, 7);
	actor_run_pending(f->flusher);
	/* One, or more if a syncer finished late. */
	ck_assert_uint_ge(dones(f->writer, &durable), 1);
	ck_assert_uint_eq(durable, end);
	return (end);
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
	end = stop(&f);
	m = actor_pop(f.dispatcher, NULL);
	ck_assert(msg_is(m, &petrel__flush_done__descriptor));
	ck_assert_uint_eq(((Petrel__FlushDone *)m)->durable, end);
	msg_free(m);
	m = actor_pop(f.dispatcher, NULL);
	ck_assert(msg_is(m, &petrel__stopped__descriptor));
	msg_free(m);
	teardown(&f);
}
END_TEST

/*
 * Run the flusher's pending messages until a (the writer, the dispatcher)
 * heard that the log is durable up to end, for at most 10 s; returns the
 * FlushDone count.
 */
static size_t
wait_durable(struct fixture *f, struct actor *a, uint64_t end)
{
	struct timespec	 ts = { 0, 1000000 };
	uint64_t	 durable = 0;
	size_t		 n = 0, i;

	for (i = 0; i < 10000 && durable < end; i++) {
		actor_run_pending(f->flusher);
		n += dones(a, &durable);
		if (durable < end)
			nanosleep(&ts, NULL);
	}
	ck_assert_uint_ge(durable, end);
	return (n);
}

START_TEST(test_syncers)
{
	struct fixture	 f;
	Petrel__FlushDone	*fd;
	struct envelope		 env;
	uint64_t		 end, durable = 0;
	int			 i;

	setup_syncers(&f, 1 << 30, 3);
	/*
	 * One batch alone with no sync under way: synced on the flusher's
	 * loop, the writer told before the flusher is done.
	 */
	end = append(&f, 1, 1);
	actor_run_pending(f.flusher);
	ck_assert_uint_eq(dones(f.writer, &durable), 1);
	ck_assert_uint_eq(durable, end);
	/*
	 * Batches that come faster than syncs go to the syncers, and those
	 * written while syncs run each start their own.
	 */
	for (i = 0; i < 6; i++) {
		append(&f, 2, 1);
		end = append(&f, 1, 1);
		actor_run_pending(f.flusher);
	}
	ck_assert_uint_ge(wait_durable(&f, f.writer, end), 1);
	/* The dispatcher hears it from the flusher, once the syncer told. */
	wait_durable(&f, f.dispatcher, end);
	/*
	 * Nothing more written: a tick syncs nothing, so the writer hears of
	 * nothing past end (only, maybe, of a sync that finished late).
	 */
	actor_send(f.flusher, msg_new(&petrel__tick__descriptor));
	actor_run_pending(f.flusher);
	durable = 0;
	dones(f.writer, &durable);
	ck_assert_uint_le(durable, end);
	/* An answer from no helper asked is refused, not counted. */
	fd = msg_new(&petrel__flush_done__descriptor);
	fd->durable = UINT64_MAX;
	memset(&env, 0, sizeof env);
	env.cookie = 99;
	actor_post(f.flusher, fd, &env);
	actor_run_pending(f.flusher);
	dones(f.writer, &durable);
	ck_assert_uint_le(durable, end);
	/* Async: the tick hands the sync to a helper. */
	end = append(&f, 3, 0);
	actor_send(f.flusher, msg_new(&petrel__tick__descriptor));
	wait_durable(&f, f.writer, end);
	/* Stop syncs on the flusher's loop and answers. */
	stop(&f);
	teardown(&f);
}
END_TEST

/* Whether page off of the log's first segment is in the page cache. */
static int
cached(struct fixture *f, uint64_t off)
{
	char		 path[4096];
	unsigned char	 vec;
	void		*base;
	long		 page = sysconf(_SC_PAGESIZE);
	int		 fd;

	snprintf(path, sizeof path, "%s/commitlog/%020d", f->dir, 0);
	fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	base = mmap(NULL, SEG, PROT_READ, MAP_SHARED, fd, 0);
	ck_assert(base != MAP_FAILED);
	ck_assert_int_eq(mincore((char *)base + off - off % (uint64_t)page,
	    (size_t)page, &vec), 0);
	munmap(base, SEG);
	close(fd);
	return (vec & 1);
}

/*
 * The log's next pages are read into the page cache ahead of the writer,
 * as far as warm_ahead and the segments that exist: here the rest of the
 * first segment, not past it.
 */
START_TEST(test_warm)
{
	struct fixture	 f;
	uint64_t	 end;

	setup_warm(&f, 1 << 30, 1, SEG);
	end = append(&f, 2, 0);
	ck_assert_uint_lt(end + 16384, SEG);
	/*
	 * Preallocated but never written or read, the page is not cached:
	 * unless this file system caches preallocated pages, which would
	 * leave nothing to check.
	 */
	if (cached(&f, SEG - 1))
		goto out;
	actor_run_pending(f.flusher);
	ck_assert_msg(cached(&f, end + 8192), "the page after the end is "
	    "not in the page cache");
	ck_assert_msg(cached(&f, SEG - 1), "the segment's last page is "
	    "not in the page cache");
	/* Reading ahead leaves the log as it was. */
	ck_assert_uint_eq(commitlog_max_offset(f.cl), end);
out:
	stop(&f);
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
	tc = tcase_create("syncers");
	tcase_add_test(tc, test_syncers);
	tcase_add_test(tc, test_warm);
	suite_add_tcase(s, tc);
	return (s);
}
