/*
 * Recovery tests of lib/store.c: a crash re-reads only what came after the
 * checkpoint; garbage over the log's tail is cut and never served; deleted,
 * damaged or truncated consume queues are rebuilt; a checkpoint past the
 * log is a clear error; and a child appending with sync flush, killed with
 * SIGKILL at random moments, never loses what it reported durable.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/wait.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "checkpoint.h"
#include "store.h"
#include "testutil.h"
#include "store_test.h"

#define NQ	2
#define BATCH	8
#define SEG	(64 * 1024)
#define CRASH_BATCHES	16

static const struct store_config conf = { SEG, 16 * 1024, 32, 31, 200 };
static const struct store_config crash_conf = { 4 * SEG, 16 * 1024, 4096,
    1021, 5000 };

static struct store *
open_store(const char *dir)
{
	struct store	*st;
	char		*cause = NULL;

	if ((st = store_open(dir, &conf, &cause)) == NULL)
		ck_abort_msg("open: %s", cause);
	return (st);
}

static size_t
size_of(uint64_t seq)
{
	return (1 + (seq * 7919) % 1800);
}

static const char *
topic_of(uint64_t seq)
{
	(void)seq;
	return ("TopicA");
}

static const struct st_layout layout = { NQ, BATCH, topic_of, size_of };

/* Put messages [first, first + count); phys[seq] gets their offsets. */
static void
put_range(struct store *st, uint64_t first, size_t count, uint64_t *phys)
{
	st_put_range(st, &layout, first, count, phys);
}

/*
 * Read every queue whole.  Each message must be exactly what st_fill()
 * made for its sequence number (found from its born time), queue offsets
 * dense, sequence numbers rising.  Marks what was found in seen (if not
 * NULL, sized max_seq) and returns how many messages there were.
 */
static size_t
read_all(struct store *st, uint8_t *seen, uint64_t max_seq)
{
	struct commitlog_msg	 out[16], want;
	struct st_msg		 sm;
	struct store_get	 g;
	uint64_t		 off, seq, last;
	uint32_t		 qid;
	size_t			 i, total = 0;
	char			*cause = NULL;

	for (qid = 0; qid < NQ; qid++) {
		off = 0;
		last = 0;
		for (;;) {
			g.msgs = out;
			if (store_get(st, "TopicA", 6, qid, off, 16, 1 << 20,
			    NULL, 0, &g, &cause) != 0)
				ck_abort_msg("get: %s", cause);
			if (g.status == STORE_NO_MATCHED_QUEUE ||
			    g.status == STORE_NO_MESSAGE_IN_QUEUE ||
			    g.status == STORE_OFFSET_OVERFLOW_ONE)
				break;
			ST_CHECK(g.status == STORE_FOUND);
			for (i = 0; i < g.n; i++) {
				seq = out[i].born_ts - 1700000000000ULL;
				ST_CHECK(seq < max_seq);
				ST_CHECK(seq % NQ == qid);
				ST_CHECK(off + i == 0 || seq > last);
				last = seq;
				want = *st_fill(&sm, "TopicA", qid, seq,
				    size_of(seq));
				want.queue_offset = off + i;
				if (!st_same(&out[i], &want))
					ck_abort_msg("message %llu differs",
					    (unsigned long long)seq);
				if (seen != NULL)
					seen[seq] = 1;
				total++;
			}
			ST_CHECK(g.next == off + g.n);
			off = g.next;
		}
	}
	return (total);
}

START_TEST(test_crash_reads_only_the_tail)
{
	char		*dir = test_tmpdir();
	struct store	*st = open_store(dir);
	uint64_t	 phys[700], ckpt, end;
	char		*cause = NULL;

	put_range(st, 0, 500, phys);
	ck_assert_int_eq(store_flush(st, &cause), 0);
	ckpt = commitlog_max_offset(store_commitlog(st));
	put_range(st, 500, 200, phys);
	ck_assert_int_eq(commitlog_flush(store_commitlog(st), &cause), 0);
	end = commitlog_max_offset(store_commitlog(st));
	store_free(st);		/* crash: no checkpoint, abort marker stays */

	st = open_store(dir);
	ck_assert_int_eq(store_stats(st)->crashed, 1);
	ck_assert_uint_eq(store_stats(st)->recovered_from, ckpt);
	ck_assert_uint_eq(store_stats(st)->recovered_bytes, end - ckpt);
	ck_assert_uint_eq(read_all(st, NULL, 700), 700);
	/* Writing goes on with dense queue offsets. */
	put_range(st, 700, 100, NULL);
	ck_assert_uint_eq(read_all(st, NULL, 800), 800);
	store_free(st);

	/* Recovering twice in a row is fine too. */
	st = open_store(dir);
	ck_assert_uint_eq(read_all(st, NULL, 800), 800);
	ck_assert_int_eq(store_close(st, &cause), 0);
	st = open_store(dir);
	ck_assert_int_eq(store_stats(st)->crashed, 0);
	ck_assert_uint_eq(read_all(st, NULL, 800), 800);
	store_free(st);
	test_rmdir(dir);
}
END_TEST

/* Overwrite len bytes of the commit log at offset at with junk. */
static void
smash(const char *dir, uint64_t at, size_t len, uint64_t *seed)
{
	char	*path;
	uint8_t	 junk[8192];
	size_t	 i;
	FILE	*f;

	if (len > sizeof junk)
		len = sizeof junk;
	if (len > SEG - at % SEG)
		len = SEG - at % SEG;
	for (i = 0; i < len; i++)
		junk[i] = (uint8_t)st_rand(seed);
	xasprintf_test(&path, dir, at - at % SEG);
	f = fopen(path, "r+");
	ck_assert_ptr_nonnull(f);
	fseek(f, (long)(at % SEG), SEEK_SET);
	ck_assert_uint_eq(fwrite(junk, 1, len, f), len);
	fclose(f);
	free(path);
}

START_TEST(test_garbage_tail)
{
	char		*dir = test_tmpdir();
	struct store	*st;
	uint64_t	 phys[2000], seed = 11, next = 0, cut, n, k;
	uint8_t		 seen[2000], expect[2000];
	int		 round;
	char		*cause = NULL;

	for (round = 0; round < 12; round++) {
		st = open_store(dir);
		n = read_all(st, NULL, 2000);
		(void)n;
		put_range(st, next, 60, phys);
		ck_assert_int_eq(store_flush(st, &cause), 0);
		put_range(st, next + 60, 60, phys);
		store_free(st);
		/* Smash somewhere in the part after the checkpoint. */
		cut = next + 60 + st_rand(&seed) % 60;
		smash(dir, phys[cut] + st_rand(&seed) % 40,
		    1 + st_rand(&seed) % 5000, &seed);
		st = open_store(dir);
		memset(seen, 0, sizeof seen);
		read_all(st, seen, 2000);
		/* Everything before the smashed record is there, none after. */
		for (k = next; k < next + 120; k++)
			expect[k] = k < cut;
		for (k = 0; k < next + 120; k++) {
			if (seen[k] != expect[k])
				ck_abort_msg("%s %llu (cut %llu)",
				    expect[k] ? "lost" : "served",
				    (unsigned long long)k,
				    (unsigned long long)cut);
		}
		store_free(st);
		next += 120;
		/* The lost ones are never written again: skip past them. */
		(void)n;
	}
	test_rmdir(dir);
}
END_TEST

START_TEST(test_queue_rebuilt)
{
	char		*dir = test_tmpdir();
	struct store	*st = open_store(dir);
	char		 path[4096], *cause = NULL;
	uint8_t		 junk[400];
	uint64_t	 seed = 5;
	size_t		 i;
	FILE		*f;

	put_range(st, 0, 400, NULL);
	ck_assert_int_eq(store_close(st, &cause), 0);

	/* Deleted. */
	snprintf(path, sizeof path, "rm -rf %s/consumequeue/TopicA/1", dir);
	ck_assert_int_eq(system(path), 0);
	st = open_store(dir);
	ck_assert_uint_eq(store_stats(st)->rebuilt_queues, 1);
	ck_assert_uint_eq(read_all(st, NULL, 400), 400);
	ck_assert_int_eq(store_close(st, &cause), 0);

	/* Garbage in the middle of a file: found when read, then rebuilt. */
	snprintf(path, sizeof path, "%s/consumequeue/TopicA/0/%020d", dir, 640);
	for (i = 0; i < sizeof junk; i++)
		junk[i] = (uint8_t)st_rand(&seed);
	f = fopen(path, "r+");
	ck_assert_ptr_nonnull(f);
	fseek(f, 100, SEEK_SET);
	fwrite(junk, 1, sizeof junk, f);
	fclose(f);
	st = open_store(dir);
	ck_assert_uint_eq(read_all(st, NULL, 400), 400);
	ck_assert_uint_ge(store_stats(st)->rebuilt_queues, 1);
	ck_assert_int_eq(store_close(st, &cause), 0);

	/* A file cut short. */
	ck_assert_int_eq(truncate(path, 77), 0);
	st = open_store(dir);
	ck_assert_uint_eq(store_stats(st)->rebuilt_queues, 1);
	ck_assert_uint_eq(read_all(st, NULL, 400), 400);
	put_range(st, 400, 40, NULL);
	ck_assert_uint_eq(read_all(st, NULL, 440), 440);
	store_free(st);
	test_rmdir(dir);
}
END_TEST

START_TEST(test_bad_checkpoints)
{
	char		*dir = test_tmpdir();
	struct store	*st = open_store(dir);
	char		 path[4096], *cause = NULL;
	FILE		*f;

	put_range(st, 0, 300, NULL);
	ck_assert_int_eq(store_close(st, &cause), 0);

	/* Damaged checkpoint: recovered from the start of the log. */
	snprintf(path, sizeof path, "%s/checkpoint", dir);
	f = fopen(path, "r+");
	fputs("garbage", f);
	fclose(f);
	st = open_store(dir);
	ck_assert_int_eq(store_stats(st)->crashed, 1);
	ck_assert_uint_eq(read_all(st, NULL, 300), 300);
	ck_assert_int_eq(store_close(st, &cause), 0);

	/* The last segment gone: the checkpoint is past the log's end. */
	snprintf(path, sizeof path, "ls %s/commitlog | tail -1 | "
	    "sed 's,^,%s/commitlog/,' | xargs rm", dir, dir);
	ck_assert_int_eq(system(path), 0);
	ck_assert_ptr_null(store_open(dir, &conf, &cause));
	ck_assert_ptr_nonnull(strstr(cause, "segments are missing"));
	free(cause);
	cause = NULL;
	/* Refusing changed nothing: still refused the same way. */
	ck_assert_ptr_null(store_open(dir, &conf, &cause));
	free(cause);
	test_rmdir(dir);
}
END_TEST

START_TEST(test_all_torn)
{
	char		*dir = test_tmpdir();
	struct store	*st = open_store(dir);
	uint64_t	 phys[10], seed = 3;
	char		*cause = NULL;

	put_range(st, 0, 10, phys);
	store_free(st);		/* crash before any checkpoint */
	smash(dir, 0, 16, &seed);
	st = open_store(dir);
	ck_assert_uint_eq(commitlog_max_offset(store_commitlog(st)), 0);
	ck_assert_uint_eq(read_all(st, NULL, 10), 0);
	put_range(st, 0, 10, phys);
	ck_assert_uint_eq(read_all(st, NULL, 10), 10);
	ck_assert_int_eq(store_close(st, &cause), 0);
	st = open_store(dir);
	ck_assert_uint_eq(read_all(st, NULL, 10), 10);
	store_free(st);
	test_rmdir(dir);
}
END_TEST

/*
 * Read topic/qid through, allowing holes (lost messages); every message
 * served must be intact.  Marks seen[seq].
 */
static void
read_holes(struct store *st, uint32_t qid, uint8_t *seen, uint64_t max_seq)
{
	struct commitlog_msg	 out[16], want;
	struct st_msg		 sm;
	struct store_get	 g;
	uint64_t		 off = 0, seq;
	size_t			 i;
	char			*cause = NULL;

	for (;;) {
		g.msgs = out;
		if (store_get(st, "TopicA", 6, qid, off, 16, 1 << 20, NULL, 0,
		    &g, &cause) != 0)
			ck_abort_msg("get: %s", cause);
		if (g.status != STORE_FOUND &&
		    g.status != STORE_NO_MATCHED_MESSAGE)
			break;
		for (i = 0; i < g.n; i++) {
			seq = out[i].born_ts - 1700000000000ULL;
			ST_CHECK(seq < max_seq);
			want = *st_fill(&sm, "TopicA", qid, seq, size_of(seq));
			want.queue_offset = out[i].queue_offset;
			ST_CHECK(st_same(&out[i], &want));
			seen[seq] = 1;
		}
		ck_assert_uint_gt(g.next, off);
		off = g.next;
	}
}

START_TEST(test_lost_durable_bytes)
{
	char		*dir = test_tmpdir();
	struct store	*st = open_store(dir);
	uint64_t	 phys[400], seed = 9, k, min, max;
	uint8_t		 seen[400];
	size_t		 lost = 0;
	char		*cause = NULL;

	put_range(st, 0, 300, phys);
	ck_assert_int_eq(store_close(st, &cause), 0);
	/* Damage the middle of segment 1, well below the checkpoint. */
	smash(dir, SEG + SEG / 2, 64, &seed);
	st = open_store(dir);
	memset(seen, 0, sizeof seen);
	read_holes(st, 0, seen, 400);
	read_holes(st, 1, seen, 400);
	for (k = 0; k < 300; k++) {
		if (phys[k] < SEG + SEG / 2 - 2000 || phys[k] >= 2 * SEG)
			ck_assert_msg(seen[k], "lost %llu",
			    (unsigned long long)k);
		lost += !seen[k];
	}
	ck_assert_uint_gt(lost, 0);
	ck_assert_uint_ge(store_stats(st)->rebuilt_queues, 1);
	/* New messages never reuse an offset. */
	ck_assert_int_eq(store_queue_range(st, "TopicA", 6, 0, &min, &max), 0);
	put_range(st, 300, 2, phys);
	ck_assert_int_eq(store_queue_range(st, "TopicA", 6, 0, &min, &k), 0);
	ck_assert_uint_eq(k, max + 1);
	memset(seen, 0, sizeof seen);
	read_holes(st, 0, seen, 400);
	ck_assert(seen[300]);
	store_free(st);
	test_rmdir(dir);
}
END_TEST

/*
 * The child of the crash test: recover, then append batches with sync
 * flush forever, writing each batch's last sequence number to fd once it
 * is durable.  A checkpoint now and then moves where recovery starts.
 */
static void __attribute__((__noreturn__))
crash_child(const char *dir, int fd, uint64_t seed)
{
	static struct st_msg	 sm[BATCH];
	struct commitlog_msg	 msgs[BATCH], out[1];
	struct store		*st;
	struct store_get	 g;
	uint64_t		 next = 0, last;
	size_t			 j, n, batches;
	uint32_t		 qid;
	char			*cause = NULL;

	if ((st = store_open(dir, &crash_conf, &cause)) == NULL)
		_exit(2);
	last = UINT64_MAX;	/* ready */
	if (write(fd, &last, sizeof last) != sizeof last)
		_exit(5);
	for (qid = 0; qid < NQ; qid++) {
		uint64_t min, max;

		if (store_queue_range(st, "TopicA", 6, qid, &min, &max) != 0 ||
		    max == 0)
			continue;
		g.msgs = out;
		if (store_get(st, "TopicA", 6, qid, max - 1, 1, 1 << 20, NULL,
		    0, &g, &cause) != 0 || g.n != 1)
			_exit(3);
		last = out[0].born_ts - 1700000000000ULL;
		if (last + 1 > next)
			next = last + 1;
	}
	for (batches = 0; batches < CRASH_BATCHES; batches++) {
		n = 1 + st_rand(&seed) % BATCH;
		for (j = 0; j < n; j++) {
			msgs[j] = *st_fill(&sm[j], "TopicA",
			    (uint32_t)((next + j) % NQ), next + j,
			    size_of(next + j));
		}
		if (store_put(st, msgs, n, &cause) != 0 ||
		    commitlog_flush(store_commitlog(st), &cause) != 0)
			_exit(4);
		next += n;
		last = next - 1;
		if (write(fd, &last, sizeof last) != sizeof last)
			_exit(5);
		if (st_rand(&seed) % 16 == 0 && store_flush(st, &cause) != 0)
			_exit(6);
	}
	for (;;)
		pause();	/* for the kill */
}

START_TEST(test_sigkill)
{
	char		*dir = test_tmpdir();
	struct store	*st;
	static uint8_t	 seen[1 << 20];
	char		*cause = NULL;
	uint64_t	 seed = (uint64_t)time(NULL) | 1, acked = 0, v, k;
	uint64_t	 total_acked = 0, want;
	int		 round, fds[2], status, rounds = 50;
	ssize_t		 r;
	pid_t		 pid;
	size_t		 found;

	for (round = 0; round < rounds; round++) {
		ck_assert_int_eq(pipe(fds), 0);
		if ((pid = fork()) == 0) {
			close(fds[0]);
			crash_child(dir, fds[1], seed + (uint64_t)round);
		}
		ck_assert_int_gt(pid, 0);
		close(fds[1]);
		/*
		 * Mostly kill while appending, after a random number of
		 * acknowledgements and a random delay; sometimes while the
		 * child is still recovering.
		 */
		if (round % 8 != 7) {
			r = read(fds[0], &v, sizeof v);
			ck_assert_msg(r == sizeof v && v == UINT64_MAX,
			    "child not ready");
			want = st_rand(&seed) % CRASH_BATCHES;
			for (k = 0; k < want; k++) {
				if (read(fds[0], &v, sizeof v) != sizeof v)
					break;
				if (v + 1 > acked)
					acked = v + 1;
				total_acked++;
			}
			usleep((useconds_t)(st_rand(&seed) % 3000));
		} else
			usleep((useconds_t)(st_rand(&seed) % 20000));
		kill(pid, SIGKILL);
		while ((r = read(fds[0], &v, sizeof v)) == sizeof v) {
			if (v == UINT64_MAX)
				continue;
			if (v + 1 > acked)
				acked = v + 1;
			total_acked++;
		}
		close(fds[0]);
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert_msg(WIFSIGNALED(status) &&
		    WTERMSIG(status) == SIGKILL, "child exited %d",
		    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		ck_assert_uint_lt(acked, sizeof seen);

		/* Every acknowledged message is there, byte for byte. */
		if ((st = store_open(dir, &crash_conf, &cause)) == NULL)
			ck_abort_msg("open: %s", cause);
		memset(seen, 0, sizeof seen);
		found = read_all(st, seen, sizeof seen);
		for (k = 0; k < acked; k++) {
			if (!seen[k])
				ck_abort_msg("round %d: lost acked %llu",
				    round, (unsigned long long)k);
		}
		ck_assert_uint_ge(found, acked);
		/* And found through the index by its id and by its key. */
		for (k = 0; k < 16 && acked > 0; k++) {
			struct commitlog_msg	m;
			char			key[64];
			uint64_t		seq = k == 0 ? acked - 1 :
			    st_rand(&seed) % acked;
			int			n;

			n = snprintf(key, sizeof key, "id-TopicA-%llu",
			    (unsigned long long)seq);
			ck_assert_msg(store_lookup_id(st, "TopicA", 6, key,
			    (size_t)n, &m) == 1 && m.born_ts ==
			    1700000000000ULL + seq, "round %d: id %llu lost",
			    round, (unsigned long long)seq);
			n = snprintf(key, sizeof key, "key-%llu",
			    (unsigned long long)seq);
			ck_assert_msg(store_lookup_key(st, "TopicA", 6, key,
			    (size_t)n, 0, UINT64_MAX, &m, 1) == 1,
			    "round %d: key %llu lost", round,
			    (unsigned long long)seq);
		}
		if (round % 2 == 0)
			store_free(st);
		else
			ck_assert_int_eq(store_close(st, &cause), 0);
	}
	ck_assert_uint_gt(total_acked, (uint64_t)rounds);
	test_rmdir(dir);
}
END_TEST

Suite *
recovery_suite(void)
{
	Suite	*s = suite_create("recovery");
	TCase	*tc;

	tc = tcase_create("recovery");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_crash_reads_only_the_tail);
	tcase_add_test(tc, test_garbage_tail);
	tcase_add_test(tc, test_queue_rebuilt);
	tcase_add_test(tc, test_bad_checkpoints);
	tcase_add_test(tc, test_all_torn);
	tcase_add_test(tc, test_lost_durable_bytes);
	suite_add_tcase(s, tc);
	tc = tcase_create("sigkill");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_sigkill);
	suite_add_tcase(s, tc);
	return (s);
}
