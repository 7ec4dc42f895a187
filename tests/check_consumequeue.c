/*
 * Tests of lib/consumequeue.c: entries across file boundaries, reopening
 * finds the end, truncation, deletion of old files, the log-start search
 * and the tag hash.
 */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "consumequeue.h"
#include "testutil.h"

#define PER	16

static struct consumequeue *
open_cq(const char *dir)
{
	struct consumequeue	*cq;
	char			*cause = NULL;

	cq = consumequeue_open(dir, "TopicA", 6, 3, PER, &cause);
	if (cq == NULL)
		ck_abort_msg("open: %s", cause);
	return (cq);
}

static void
put_range(struct consumequeue *cq, uint64_t from, uint64_t to)
{
	struct consumequeue_entry	 e;
	uint64_t			 n;
	char				*cause = NULL;

	for (n = from; n < to; n++) {
		e.phys = 1000 + n * 100;
		e.size = 50 + (uint32_t)n;
		e.tag_hash = n % 3;
		if (consumequeue_put(cq, n, &e, &cause) != 0)
			ck_abort_msg("put: %s", cause);
	}
}

static void
check_range(struct consumequeue *cq, uint64_t from, uint64_t to)
{
	struct consumequeue_entry	 e;
	uint64_t			 n;
	char				*cause = NULL;

	for (n = from; n < to; n++) {
		ck_assert_int_eq(consumequeue_get(cq, n, &e, &cause), 1);
		ck_assert_uint_eq(e.phys, 1000 + n * 100);
		ck_assert_uint_eq(e.size, 50 + n);
		ck_assert_uint_eq(e.tag_hash, n % 3);
	}
}

START_TEST(test_put_get)
{
	char			*dir = test_tmpdir();
	struct consumequeue	*cq = open_cq(dir);
	struct consumequeue_entry e;
	char			*cause = NULL;
	size_t			 len;

	ck_assert_uint_eq(consumequeue_max(cq), 0);
	ck_assert_int_eq(consumequeue_get(cq, 0, &e, &cause), 0);
	put_range(cq, 0, 100);
	ck_assert_uint_eq(consumequeue_max(cq), 100);
	check_range(cq, 0, 100);
	ck_assert_int_eq(consumequeue_get(cq, 100, &e, &cause), 0);
	ck_assert_int_eq(consumequeue_flush(cq, &cause), 0);
	ck_assert_str_eq(consumequeue_topic(cq, &len), "TopicA");
	ck_assert_uint_eq(consumequeue_queue_id(cq), 3);
	consumequeue_close(cq);

	cq = open_cq(dir);
	ck_assert_uint_eq(consumequeue_max(cq), 100);
	check_range(cq, 0, 100);
	/* Exactly at a file boundary. */
	ck_assert_int_eq(consumequeue_truncate(cq, 96, &cause), 0);
	ck_assert_uint_eq(consumequeue_max(cq), 96);
	consumequeue_close(cq);
	cq = open_cq(dir);
	ck_assert_uint_eq(consumequeue_max(cq), 96);
	ck_assert_int_eq(consumequeue_truncate(cq, 37, &cause), 0);
	consumequeue_close(cq);
	cq = open_cq(dir);
	ck_assert_uint_eq(consumequeue_max(cq), 37);
	check_range(cq, 0, 37);
	put_range(cq, 37, 50);
	check_range(cq, 0, 50);
	consumequeue_close(cq);
	test_rmdir(dir);
}
END_TEST

START_TEST(test_delete_before)
{
	char			*dir = test_tmpdir();
	struct consumequeue	*cq = open_cq(dir);
	struct consumequeue_entry e;
	char			*cause = NULL;

	put_range(cq, 0, 70);
	/* The log now starts at entry 40's offset. */
	ck_assert_int_eq(consumequeue_delete_before(cq, 1000 + 40 * 100,
	    &cause), 0);
	ck_assert_uint_eq(consumequeue_first(cq), 32);
	ck_assert_uint_eq(consumequeue_min(cq, 1000 + 40 * 100), 40);
	ck_assert_int_eq(consumequeue_get(cq, 31, &e, &cause), 0);
	check_range(cq, 32, 70);
	consumequeue_close(cq);
	cq = open_cq(dir);
	ck_assert_uint_eq(consumequeue_first(cq), 32);
	ck_assert_uint_eq(consumequeue_max(cq), 70);
	ck_assert_int_eq(consumequeue_destroy(cq, &cause), 0);
	ck_assert_uint_eq(consumequeue_max(cq), 0);
	consumequeue_close(cq);
	cq = open_cq(dir);
	ck_assert_uint_eq(consumequeue_max(cq), 0);
	consumequeue_close(cq);
	test_rmdir(dir);
}
END_TEST

START_TEST(test_hole)
{
	char			*dir = test_tmpdir();
	struct consumequeue	*cq = open_cq(dir);
	struct consumequeue_entry e;
	char			*cause = NULL;

	put_range(cq, 0, 5);
	put_range(cq, 40, 41);	/* skips files: they are created empty */
	ck_assert_uint_eq(consumequeue_max(cq), 41);
	ck_assert_int_eq(consumequeue_get(cq, 20, &e, &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "no entry"));
	free(cause);
	consumequeue_close(cq);
	test_rmdir(dir);
}
END_TEST

START_TEST(test_tag_hash)
{
	ck_assert_uint_eq(consumequeue_tag_hash("", 0), 0);
	ck_assert_uint_ne(consumequeue_tag_hash("a", 1), 0);
	ck_assert_uint_ne(consumequeue_tag_hash("a", 1),
	    consumequeue_tag_hash("b", 1));
	ck_assert_uint_eq(consumequeue_tag_hash("TagA", 4),
	    consumequeue_tag_hash("TagAB", 4));
	/* FNV-1a 64 of "a". */
	ck_assert_uint_eq(consumequeue_tag_hash("a", 1),
	    0xaf63dc4c8601ec8cULL);
}
END_TEST

Suite *
consumequeue_suite(void)
{
	Suite	*s = suite_create("consumequeue");
	TCase	*tc;

	tc = tcase_create("consumequeue");
	tcase_add_test(tc, test_put_get);
	tcase_add_test(tc, test_delete_before);
	tcase_add_test(tc, test_hole);
	tcase_add_test(tc, test_tag_hash);
	suite_add_tcase(s, tc);
	return (s);
}
