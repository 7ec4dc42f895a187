/*
 * Tests of lib/store.c: batches over several topics and queues across
 * segment boundaries, gets with count, byte and tag limits and every
 * status, queue ranges, offset by time, and lookups by offset, id and key.
 */
#include "config.h"

#include <sys/stat.h>

#include <check.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "consumequeue.h"
#include "store.h"
#include "testutil.h"
#include "store_test.h"

#define NQ	3
#define BATCH	16

static const struct store_config conf = {
	64 * 1024, 16 * 1024, 8, 17, 100
};

static struct store *
open_store(const char *dir)
{
	struct store	*st;
	char		*cause = NULL;

	if ((st = store_open(dir, &conf, &cause)) == NULL)
		ck_abort_msg("open: %s", cause);
	return (st);
}

static const char *
topic_of(uint64_t seq)
{
	return (seq % 5 == 0 ? "TopicB" : "TopicA");
}

static size_t
size_of(uint64_t seq)
{
	return (10 + (seq * 7919) % 2500);
}

static const struct st_layout layout = { NQ, BATCH, topic_of, size_of };

/* Put messages [first, first + count); phys[seq] gets their offsets. */
static void
put_range(struct store *st, uint64_t first, size_t count, uint64_t *phys)
{
	st_put_range(st, &layout, first, count, phys);
}

/* The sequence numbers of topic/qid's messages among [0, total), in order. */
static size_t
queue_seqs(const char *topic, uint32_t qid, uint64_t total, uint64_t *seqs)
{
	uint64_t	seq;
	size_t		n = 0;

	for (seq = 0; seq < total; seq++) {
		if (strcmp(topic_of(seq), topic) == 0 && seq % NQ == qid)
			seqs[n++] = seq;
	}
	return (n);
}

/* Every message of every queue reads back byte for byte, offsets dense. */
static void
check_all(struct store *st, uint64_t total)
{
	static uint64_t		 seqs[4096];
	struct commitlog_msg	 out[7], want;
	struct st_msg		 sm;
	struct store_get	 g;
	const char		*topics[] = { "TopicA", "TopicB" };
	size_t			 t, n, k, i;
	uint64_t		 off;
	uint32_t		 qid;
	char			*cause = NULL;

	for (t = 0; t < 2; t++) {
		for (qid = 0; qid < NQ; qid++) {
			n = queue_seqs(topics[t], qid, total, seqs);
			off = 0;
			k = 0;
			while (k < n) {
				g.msgs = out;
				ST_CHECK(store_get(st, topics[t], 6, qid, off,
				    7, 1 << 20, NULL, 0, &g, &cause) == 0);
				ST_CHECK(g.status == STORE_FOUND);
				ST_CHECK(g.max == n);
				for (i = 0; i < g.n; i++, k++) {
					want = *st_fill(&sm, topics[t], qid,
					    seqs[k], size_of(seqs[k]));
					want.queue_offset = k;
					ST_CHECK(st_same(&out[i], &want));
				}
				ST_CHECK(g.next == k);
				off = g.next;
			}
			g.msgs = out;
			ck_assert_int_eq(store_get(st, topics[t], 6, qid, off,
			    7, 1 << 20, NULL, 0, &g, &cause), 0);
			ck_assert_int_eq(g.status, STORE_OFFSET_OVERFLOW_ONE);
		}
	}
}

START_TEST(test_put_get)
{
	char			*dir = test_tmpdir();
	struct store		*st = open_store(dir);
	char			*cause = NULL;

	put_range(st, 0, 600, NULL);
	ck_assert_uint_gt(commitlog_segments(store_commitlog(st)), 5);
	check_all(st, 600);
	ck_assert_int_eq(store_close(st, &cause), 0);

	/* A clean start reads no log. */
	st = open_store(dir);
	ck_assert_int_eq(store_stats(st)->crashed, 0);
	ck_assert_uint_eq(store_stats(st)->recovered_bytes, 0);
	check_all(st, 600);
	put_range(st, 600, 300, NULL);
	check_all(st, 900);
	ck_assert_int_eq(store_close(st, &cause), 0);
	test_rmdir(dir);
}
END_TEST

START_TEST(test_get_limits)
{
	char			*dir = test_tmpdir();
	struct store		*st = open_store(dir);
	struct commitlog_msg	 out[50];
	struct store_get	 g;
	uint64_t		 seqs[400], tags[2], min, max;
	size_t			 n, i, bytes;
	char			*cause = NULL;

	put_range(st, 0, 400, NULL);
	n = queue_seqs("TopicA", 1, 400, seqs);
	g.msgs = out;

	/* Byte limit: stops before going over, but returns at least one. */
	ck_assert_int_eq(store_get(st, "TopicA", 6, 1, 0, 50, 5000, NULL, 0,
	    &g, &cause), 0);
	ck_assert_int_eq(g.status, STORE_FOUND);
	for (bytes = 0, i = 0; i < g.n; i++)
		bytes += out[i].size;
	ck_assert_uint_le(bytes, 5000);
	ck_assert_uint_eq(g.next, g.n);
	ck_assert_int_eq(store_get(st, "TopicA", 6, 1, 0, 50, 1, NULL, 0, &g,
	    &cause), 0);
	ck_assert_uint_eq(g.n, 1);

	/* Tags: only tag0 messages (seq % 4 == 0). */
	tags[0] = consumequeue_tag_hash("tag0", 4);
	ck_assert_int_eq(store_get(st, "TopicA", 6, 1, 0, 50, 1 << 20, tags,
	    1, &g, &cause), 0);
	ck_assert_int_eq(g.status, STORE_FOUND);
	ck_assert_uint_gt(g.n, 0);
	for (i = 0; i < g.n; i++) {
		ck_assert_uint_eq(store_tag_hash(&out[i]), tags[0]);
		ck_assert_uint_eq(seqs[out[i].queue_offset] % 4, 0);
	}
	tags[1] = consumequeue_tag_hash("tag2", 4);
	ck_assert_int_eq(store_get(st, "TopicA", 6, 1, 0, 50, 1 << 20, tags,
	    2, &g, &cause), 0);
	ck_assert_uint_gt(g.n, 0);
	for (i = 0; i < g.n; i++)
		ck_assert_uint_eq(seqs[out[i].queue_offset] % 2, 0);
	tags[0] = consumequeue_tag_hash("nope", 4);
	ck_assert_int_eq(store_get(st, "TopicA", 6, 1, 0, 50, 1 << 20, tags,
	    1, &g, &cause), 0);
	ck_assert_int_eq(g.status, STORE_NO_MATCHED_MESSAGE);
	ck_assert_uint_eq(g.n, 0);
	ck_assert_uint_eq(g.next, n);

	/* Statuses. */
	ck_assert_int_eq(store_get(st, "TopicA", 6, 1, n + 5, 10, 1 << 20,
	    NULL, 0, &g, &cause), 0);
	ck_assert_int_eq(g.status, STORE_OFFSET_OVERFLOW_BADLY);
	ck_assert_uint_eq(g.next, n);
	ck_assert_int_eq(store_get(st, "TopicA", 6, 9, 0, 10, 1 << 20, NULL, 0,
	    &g, &cause), 0);
	ck_assert_int_eq(g.status, STORE_NO_MATCHED_QUEUE);
	ck_assert_int_eq(store_get(st, "TopicC", 6, 1, 0, 10, 1 << 20, NULL, 0,
	    &g, &cause), 0);
	ck_assert_int_eq(g.status, STORE_NO_MATCHED_QUEUE);
	ck_assert_int_eq(store_queue_range(st, "TopicA", 6, 1, &min, &max), 0);
	ck_assert_uint_eq(min, 0);
	ck_assert_uint_eq(max, n);
	ck_assert_int_eq(store_queue_range(st, "TopicA", 6, 7, &min, &max), -1);
	store_free(st);
	test_rmdir(dir);
}
END_TEST

START_TEST(test_lookups)
{
	char			*dir = test_tmpdir();
	struct store		*st = open_store(dir);
	struct commitlog_msg	 m, out[20];
	struct st_msg		 sm;
	uint64_t		 phys[300], seqs[300], off, seq;
	size_t			 n, i;
	char			 id[64], *cause = NULL;

	put_range(st, 0, 300, phys);
	/* By commit log offset. */
	for (seq = 0; seq < 300; seq += 17) {
		ck_assert_int_eq(store_read(st, phys[seq], &m, &cause), 0);
		ck_assert_uint_eq(m.born_ts, 1700000000000ULL + seq);
	}
	ck_assert_int_eq(store_read(st, phys[5] + 3, &m, &cause), -1);
	free(cause);
	cause = NULL;
	/* By unique id. */
	for (seq = 0; seq < 300; seq += 7) {
		snprintf(id, sizeof id, "id-%s-%llu", topic_of(seq),
		    (unsigned long long)seq);
		ck_assert_int_eq(store_lookup_id(st, topic_of(seq), 6, id,
		    strlen(id), &m), 1);
		ck_assert_uint_eq(m.phys, phys[seq]);
		/* The same id in the other topic is not there. */
		ck_assert_int_eq(store_lookup_id(st, seq % 5 ? "TopicB" :
		    "TopicA", 6, id, strlen(id), &m), 0);
	}
	/* By key: "k3" is on seq % 7 == 3, within a time range. */
	n = store_lookup_key(st, "TopicA", 6, "k3", 2, 0, UINT64_MAX, out, 20);
	ck_assert_uint_eq(n, 20);
	for (i = 0; i < n; i++)
		ck_assert_uint_eq((out[i].born_ts - 1700000000000ULL) % 7, 3);
	n = store_lookup_key(st, "TopicA", 6, "k3",  2,
	    1700000000000ULL + 1000, 1700000000000ULL + 1500, out, 20);
	ck_assert_uint_gt(n, 0);
	for (i = 0; i < n; i++) {
		ck_assert_uint_ge(out[i].store_ts, 1700000000000ULL + 1000);
		ck_assert_uint_le(out[i].store_ts, 1700000000000ULL + 1500);
	}
	/* A prefix of a key is not the key. */
	ck_assert_uint_eq(store_lookup_key(st, "TopicA", 6, "key-", 4, 0,
	    UINT64_MAX, out, 20), 0);
	n = store_lookup_key(st, "TopicA", 6, "key-12", 6, 0, UINT64_MAX, out,
	    20);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(out[0].phys, phys[12]);

	/* Offset by time: store_ts = base + seq * 10. */
	n = queue_seqs("TopicA", 2, 300, seqs);
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(store_offset_by_time(st, "TopicA", 6, 2,
		    1700000000000ULL + seqs[i] * 10, &off, &cause), 0);
		ck_assert_uint_eq(off, i);
		ck_assert_int_eq(store_offset_by_time(st, "TopicA", 6, 2,
		    1700000000000ULL + seqs[i] * 10 - 1, &off, &cause), 0);
		ck_assert_uint_eq(off, i);
	}
	ck_assert_int_eq(store_offset_by_time(st, "TopicA", 6, 2, 0, &off,
	    &cause), 0);
	ck_assert_uint_eq(off, 0);
	ck_assert_int_eq(store_offset_by_time(st, "TopicA", 6, 2, UINT64_MAX,
	    &off, &cause), 0);
	ck_assert_uint_eq(off, n);
	(void)sm;
	store_free(st);
	test_rmdir(dir);
}
END_TEST

START_TEST(test_illegal_and_tx)
{
	char			*dir = test_tmpdir();
	struct store		*st = open_store(dir);
	struct st_msg		 sm[3];
	struct commitlog_msg	 msgs[3], out[4];
	struct store_get	 g;
	char			*cause = NULL;

	msgs[0] = *st_fill(&sm[0], "TopicA", 0, 0, 10);
	msgs[1] = *st_fill(&sm[1], "TopicA", 0, 1, 40000);
	ck_assert_int_eq(store_put(st, msgs, 2, &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "maximum message size"));
	free(cause);
	cause = NULL;
	ck_assert_uint_eq(commitlog_max_offset(store_commitlog(st)), 0);

	/* A half message is logged but not queued. */
	msgs[0] = *st_fill(&sm[0], "TopicA", 0, 0, 10);
	msgs[1] = *st_fill(&sm[1], "TopicA", 0, 1, 10);
	msgs[1].flags = COMMITLOG_F_TX_PREPARED;
	msgs[2] = *st_fill(&sm[2], "TopicA", 0, 2, 10);
	ck_assert_int_eq(store_put(st, msgs, 3, &cause), 0);
	ck_assert_uint_eq(msgs[0].queue_offset, 0);
	ck_assert_uint_eq(msgs[2].queue_offset, 1);
	g.msgs = out;
	ck_assert_int_eq(store_get(st, "TopicA", 6, 0, 0, 4, 1 << 20, NULL, 0,
	    &g, &cause), 0);
	ck_assert_uint_eq(g.n, 2);
	ck_assert_uint_eq(out[1].phys, msgs[2].phys);
	store_free(st);
	test_rmdir(dir);
}
END_TEST

/* Set the modification time of commit log segment start to ms. */
static void
age_segment(const char *dir, uint64_t start, uint64_t ms)
{
	struct timespec	 ts[2];
	char		*path;

	xasprintf_test(&path, dir, start);
	ts[0].tv_sec = ts[1].tv_sec = (time_t)(ms / 1000);
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	ck_assert_int_eq(utimensat(AT_FDCWD, path, ts, 0), 0);
	free(path);
}

START_TEST(test_retention)
{
	char			*dir = test_tmpdir();
	struct store		*st = open_store(dir);
	struct commitlog_msg	 m, out[8];
	struct store_get	 g;
	uint64_t		 phys[600], now, min, max, seq, first;
	char			 id[64], *cause = NULL;
	int			 round;

	put_range(st, 0, 600, phys);
	ck_assert_uint_ge(commitlog_segments(store_commitlog(st)), 8);
	now = (uint64_t)time(NULL) * 1000;
	/* Nothing is old: nothing goes. */
	ck_assert_int_eq(store_delete_expired(st, now - 72 * 3600 * 1000ULL,
	    100, &cause), 0);
	age_segment(dir, 0, now - 100 * 3600 * 1000ULL);
	age_segment(dir, 64 * 1024, now - 80 * 3600 * 1000ULL);
	age_segment(dir, 2 * 64 * 1024, now - 80 * 3600 * 1000ULL);
	age_segment(dir, 4 * 64 * 1024, now - 80 * 3600 * 1000ULL);
	/* Oldest first, and only a prefix: segment 3 is young. */
	ck_assert_int_eq(store_delete_expired(st, now - 72 * 3600 * 1000ULL,
	    100, &cause), 3);
	ck_assert_uint_eq(commitlog_min_offset(store_commitlog(st)),
	    3 * 64 * 1024);
	for (first = 0; phys[first] < 3 * 64 * 1024; first++)
		;
	for (round = 0; round < 3; round++) {
		/* Deleted messages say so; the rest is intact. */
		ck_assert_int_eq(store_read(st, phys[0], &m, &cause), -1);
		ck_assert_ptr_nonnull(strstr(cause, "deleted"));
		free(cause);
		cause = NULL;
		ck_assert_int_eq(store_read(st, phys[first], &m, &cause), 0);
		snprintf(id, sizeof id, "id-%s-%d", topic_of(0), 0);
		ck_assert_int_eq(store_lookup_id(st, topic_of(0), 6, id,
		    strlen(id), &m), 0);
		ck_assert_int_eq(store_queue_range(st, "TopicA", 6, 1, &min,
		    &max), 0);
		ck_assert_uint_gt(min, 0);
		g.msgs = out;
		ck_assert_int_eq(store_get(st, "TopicA", 6, 1, 0, 8, 1 << 20,
		    NULL, 0, &g, &cause), 0);
		ck_assert_int_eq(g.status, STORE_OFFSET_TOO_SMALL);
		ck_assert_uint_eq(g.next, min);
		ck_assert_int_eq(store_get(st, "TopicA", 6, 1, min, 8, 1 << 20,
		    NULL, 0, &g, &cause), 0);
		ck_assert_int_eq(g.status, STORE_FOUND);
		ck_assert_uint_ge(out[0].phys, 3 * 64 * 1024);
		for (seq = first; seq < 600; seq++)
			ST_CHECK(store_read(st, phys[seq], &m, &cause) == 0);
		if (round == 0)
			ck_assert_int_eq(store_close(st, &cause), 0);
		else
			store_free(st);	/* and recover */
		st = open_store(dir);
		ck_assert_uint_eq(store_stats(st)->rebuilt_queues, 0);
	}
	/* Past the hard limit: the oldest go whatever their age. */
	ck_assert_int_eq(store_delete_expired(st, UINT64_MAX, 2, &cause), 2);
	ck_assert_uint_eq(commitlog_min_offset(store_commitlog(st)),
	    5 * 64 * 1024);
	store_free(st);
	test_rmdir(dir);
}
END_TEST

Suite *
store_suite(void)
{
	Suite	*s = suite_create("store");
	TCase	*tc;

	tc = tcase_create("store");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_put_get);
	tcase_add_test(tc, test_get_limits);
	tcase_add_test(tc, test_lookups);
	tcase_add_test(tc, test_illegal_and_tx);
	tcase_add_test(tc, test_retention);
	suite_add_tcase(s, tc);
	return (s);
}
