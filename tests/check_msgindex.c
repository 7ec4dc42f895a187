/*
 * Tests of lib/msgindex.c: keys and ids map to offsets, kinds and topics
 * never mix, collisions in a tiny table, roll-over to new files, time
 * ranges, deletion, what a kill between writes leaves, and garbage files
 * that yield nothing but never crash.
 */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msgindex.h"
#include "testutil.h"
#include "store_test.h"

#define SLOTS	7
#define ENTRIES	50

static struct msgindex *
open_ix(const char *dir)
{
	struct msgindex	*ix;
	char		*cause = NULL;

	if ((ix = msgindex_open(dir, SLOTS, ENTRIES, &cause)) == NULL)
		ck_abort_msg("open: %s", cause);
	return (ix);
}

static void
add(struct msgindex *ix, int kind, const char *topic, const char *key,
    uint64_t phys, uint64_t ts)
{
	char	*cause = NULL;

	if (msgindex_add(ix, kind, topic, strlen(topic), key, strlen(key),
	    phys, 100, ts, &cause) != 0)
		ck_abort_msg("add: %s", cause);
}

static size_t
find(struct msgindex *ix, int kind, const char *topic, const char *key,
    uint64_t begin, uint64_t end, struct msgindex_hit *hits, size_t max)
{
	return (msgindex_lookup(ix, kind, topic, strlen(topic), key,
	    strlen(key), begin, end, hits, max));
}

START_TEST(test_add_lookup)
{
	char			*dir = test_tmpdir();
	struct msgindex		*ix = open_ix(dir);
	struct msgindex_hit	 hits[300];
	char			 key[32];
	size_t			 n, i, j;
	char			*cause = NULL;

	/* 300 entries: 6 files; key k<i%40> repeats. */
	for (i = 0; i < 300; i++) {
		snprintf(key, sizeof key, "k%zu", i % 40);
		add(ix, MSGINDEX_KEY, "TopicA", key, 1000 + i * 10, 5000 + i);
	}
	add(ix, MSGINDEX_ID, "TopicA", "k1", 99, 5400);
	add(ix, MSGINDEX_KEY, "TopicB", "k1", 98, 5400);
	ck_assert_uint_ge(msgindex_files(ix), 6);
	ck_assert_int_eq(msgindex_flush(ix, &cause), 0);
	for (j = 0; j < 2; j++) {
		n = find(ix, MSGINDEX_KEY, "TopicA", "k1", 0, UINT64_MAX, hits,
		    300);
		/* Collisions may add candidates; the real ones are there. */
		for (i = 1; i < 300; i += 40) {
			size_t k;

			for (k = 0; k < n; k++) {
				if (hits[k].phys == 1000 + i * 10)
					break;
			}
			ck_assert_uint_lt(k, n);
			ck_assert_uint_eq(hits[k].ts, 5000 + i);
			ck_assert_uint_eq(hits[k].size, 100);
		}
		for (i = 0; i < n; i++) {
			ck_assert_uint_ne(hits[i].phys, 99);
			ck_assert_uint_ne(hits[i].phys, 98);
		}
		/* Time range: only messages stored in [5100, 5200]. */
		n = find(ix, MSGINDEX_KEY, "TopicA", "k1", 5100, 5200, hits,
		    300);
		for (i = 0; i < n; i++) {
			ck_assert_uint_ge(hits[i].ts, 5100);
			ck_assert_uint_le(hits[i].ts, 5200);
		}
		ck_assert_uint_ge(n, 2);
		n = find(ix, MSGINDEX_ID, "TopicA", "k1", 0, UINT64_MAX, hits,
		    300);
		ck_assert_uint_ge(n, 1);
		ck_assert_uint_eq(hits[0].phys, 99);
		/* max */
		ck_assert_uint_eq(find(ix, MSGINDEX_KEY, "TopicA", "k1", 0,
		    UINT64_MAX, hits, 3), 3);
		msgindex_close(ix);
		ix = open_ix(dir);
	}
	/* Retention drops the files below an offset. */
	ck_assert_int_eq(msgindex_delete_before(ix, 1000 + 200 * 10, &cause),
	    0);
	n = find(ix, MSGINDEX_KEY, "TopicA", "k1", 0, UINT64_MAX, hits, 300);
	for (i = 0; i < n; i++)
		ck_assert_uint_ge(hits[i].phys, 1000 + 150 * 10);
	msgindex_close(ix);
	test_rmdir(dir);
}
END_TEST

/*
 * The last few adds wait for their memory: a lookup sees them at once,
 * and a flush writes them, so a reopened index has them too.
 */
START_TEST(test_waiting)
{
	char			*dir = test_tmpdir();
	struct msgindex		*ix = open_ix(dir);
	struct msgindex_hit	 hits[8];
	char			*cause = NULL;
	int			 i;

	for (i = 0; i < 3; i++)
		add(ix, MSGINDEX_ID, "T", i == 1 ? "b" : "a", 10 + i, 5000 + i);
	ck_assert_uint_eq(find(ix, MSGINDEX_ID, "T", "b", 0, UINT64_MAX, hits,
	    8), 1);
	ck_assert_uint_eq(hits[0].phys, 11);
	add(ix, MSGINDEX_ID, "T", "c", 20, 5010);
	add(ix, MSGINDEX_ID, "T", "c", 21, 5011);
	ck_assert_int_eq(msgindex_flush(ix, &cause), 0);
	msgindex_close(ix);
	ix = open_ix(dir);
	ck_assert_uint_eq(find(ix, MSGINDEX_ID, "T", "c", 0, UINT64_MAX, hits,
	    8), 2);
	ck_assert_uint_eq(hits[0].phys, 21);
	ck_assert_uint_eq(find(ix, MSGINDEX_ID, "T", "a", 0, UINT64_MAX, hits,
	    8), 2);
	msgindex_close(ix);
	test_rmdir(dir);
}
END_TEST

START_TEST(test_duplicates)
{
	char			*dir = test_tmpdir();
	struct msgindex		*ix = open_ix(dir);
	struct msgindex_hit	 hits[10];

	/* Re-indexing after recovery adds the same entry again. */
	add(ix, MSGINDEX_KEY, "T", "a", 500, 10);
	add(ix, MSGINDEX_KEY, "T", "a", 500, 10);
	ck_assert_uint_eq(find(ix, MSGINDEX_KEY, "T", "a", 0, 100, hits, 10),
	    1);
	msgindex_close(ix);
	test_rmdir(dir);
}
END_TEST

START_TEST(test_killed)
{
	char			*dir = test_tmpdir();
	struct msgindex		*ix = open_ix(dir);
	struct msgindex_hit	 hits[64];
	char			*cause = NULL;
	size_t			 i;

	/* Written entries survive a close without flush (a kill)... */
	for (i = 0; i < 10; i++)
		add(ix, MSGINDEX_KEY, "T", "a", 100 + i, 10 + i);
	ck_assert_int_eq(msgindex_write(ix, &cause), 0);
	/* ...those added since are lost with the process, cleanly. */
	for (i = 0; i < 5; i++)
		add(ix, MSGINDEX_KEY, "T", "a", 200 + i, 30 + i);
	msgindex_close(ix);
	ix = open_ix(dir);
	ck_assert_uint_eq(find(ix, MSGINDEX_KEY, "T", "a", 0, UINT64_MAX,
	    hits, 64), 10);
	for (i = 0; i < 10; i++)
		ck_assert_uint_eq(hits[i].phys, 109 - i);
	/* Adding again (recovery) chains to what the file kept. */
	for (i = 0; i < 5; i++)
		add(ix, MSGINDEX_KEY, "T", "a", 200 + i, 30 + i);
	ck_assert_int_eq(msgindex_flush(ix, &cause), 0);
	msgindex_close(ix);
	ix = open_ix(dir);
	ck_assert_uint_eq(find(ix, MSGINDEX_KEY, "T", "a", 0, UINT64_MAX,
	    hits, 64), 15);
	ck_assert_uint_eq(hits[0].phys, 204);
	ck_assert_uint_eq(hits[14].phys, 100);
	msgindex_close(ix);
	test_rmdir(dir);
}
END_TEST

START_TEST(test_pages)
{
	char			*dir = test_tmpdir();
	struct msgindex		*ix;
	struct msgindex_hit	 hits[4];
	char			*cause = NULL, key[32];
	size_t			 i;

	/* Slots over five pages, written a page at a time, and reopened. */
	if ((ix = msgindex_open(dir, 5000, 4000, &cause)) == NULL)
		ck_abort_msg("open: %s", cause);
	for (i = 0; i < 3000; i++) {
		snprintf(key, sizeof key, "key-%zu", i);
		add(ix, MSGINDEX_ID, "T", key, 1000 + i, 10);
	}
	ck_assert_int_eq(msgindex_flush(ix, &cause), 0);
	msgindex_close(ix);
	if ((ix = msgindex_open(dir, 5000, 4000, &cause)) == NULL)
		ck_abort_msg("open: %s", cause);
	for (i = 0; i < 3000; i++) {
		snprintf(key, sizeof key, "key-%zu", i);
		ck_assert_uint_eq(find(ix, MSGINDEX_ID, "T", key, 0,
		    UINT64_MAX, hits, 4), 1);
		ck_assert_uint_eq(hits[0].phys, 1000 + i);
	}
	msgindex_close(ix);
	test_rmdir(dir);
}
END_TEST

START_TEST(test_garbage)
{
	char			*dir = test_tmpdir();
	struct msgindex		*ix = open_ix(dir);
	struct msgindex_hit	 hits[64];
	char			 path[4096], key[16];
	uint8_t			*buf;
	size_t			 size, i;
	uint64_t		 seed = 3;
	int			 round;
	FILE			*f;
	char			*cause = NULL;

	for (i = 0; i < 40; i++) {
		snprintf(key, sizeof key, "k%zu", i);
		add(ix, MSGINDEX_KEY, "T", key, i, 100 + i);
	}
	ck_assert_int_eq(msgindex_write(ix, &cause), 0);
	msgindex_close(ix);
	size = 64 + SLOTS * 4 + ENTRIES * 24;
	buf = malloc(size);
	snprintf(path, sizeof path, "%s/index/%020llu", dir, 100ULL);
	for (round = 0; round < 200; round++) {
		f = fopen(path, "r+");
		ck_assert_ptr_nonnull(f);
		ck_assert_uint_eq(fread(buf, 1, size, f), size);
		/* Keep the header sane half the time to reach the chains. */
		for (i = (round % 2) ? 56 : 0; i < size; i++) {
			if (st_rand(&seed) % 8 == 0)
				buf[i] = (uint8_t)st_rand(&seed);
		}
		rewind(f);
		fwrite(buf, 1, size, f);
		fclose(f);
		ix = open_ix(dir);
		for (i = 0; i < 40; i++) {
			snprintf(key, sizeof key, "k%zu", i);
			ck_assert_uint_le(find(ix, MSGINDEX_KEY, "T", key, 0,
			    UINT64_MAX, hits, 64), 64);
		}
		add(ix, MSGINDEX_KEY, "T", "new", 1, 200);
		ck_assert_uint_ge(find(ix, MSGINDEX_KEY, "T", "new", 0,
		    UINT64_MAX, hits, 64), 1);
		msgindex_close(ix);
	}
	free(buf);
	test_rmdir(dir);
}
END_TEST

Suite *
msgindex_suite(void)
{
	Suite	*s = suite_create("msgindex");
	TCase	*tc;

	tc = tcase_create("msgindex");
	tcase_add_test(tc, test_add_lookup);
	tcase_add_test(tc, test_waiting);
	tcase_add_test(tc, test_duplicates);
	tcase_add_test(tc, test_killed);
	tcase_add_test(tc, test_pages);
	tcase_add_test(tc, test_garbage);
	suite_add_tcase(s, tc);
	return (s);
}
