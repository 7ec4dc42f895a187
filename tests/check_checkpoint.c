/*
 * Tests of lib/checkpoint.c: round trip with a queue table, a missing
 * file, every truncation and bit flip refused, and the abort marker.
 */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint.h"
#include "testutil.h"

START_TEST(test_round_trip)
{
	char			*dir = test_tmpdir();
	struct checkpoint	 cp, got;
	struct checkpoint_queue	 q[3];
	char			*cause = NULL;

	ck_assert_int_eq(checkpoint_read(dir, &got, &cause), 0);
	memset(&cp, 0, sizeof cp);
	cp.offset = 123456789;
	cp.log_ts = 1;
	cp.cq_ts = 2;
	cp.index_ts = 3;
	q[0].topic = (char *)"TopicA";
	q[0].queue_id = 0;
	q[0].max = 10;
	q[1].topic = (char *)"%RETRY%g";
	q[1].queue_id = 7;
	q[1].max = UINT64_MAX;
	q[2].topic = (char *)"B";
	q[2].queue_id = 1;
	q[2].max = 0;
	cp.queues = q;
	cp.nqueues = 3;
	ck_assert_int_eq(checkpoint_write(dir, &cp, &cause), 0);
	ck_assert_int_eq(checkpoint_read(dir, &got, &cause), 1);
	ck_assert_uint_eq(got.offset, 123456789);
	ck_assert_uint_eq(got.log_ts, 1);
	ck_assert_uint_eq(got.cq_ts, 2);
	ck_assert_uint_eq(got.index_ts, 3);
	ck_assert_uint_eq(got.nqueues, 3);
	ck_assert_str_eq(got.queues[1].topic, "%RETRY%g");
	ck_assert_uint_eq(got.queues[1].queue_id, 7);
	ck_assert_uint_eq(got.queues[1].max, UINT64_MAX);
	checkpoint_free(&got);
	test_rmdir(dir);
}
END_TEST

START_TEST(test_damage)
{
	char			*dir = test_tmpdir();
	struct checkpoint	 cp, got;
	struct checkpoint_queue	 q = { (char *)"T", 1, 5 };
	char			 path[4096], *cause = NULL;
	uint8_t			 buf[256], copy[256];
	size_t			 len, i;
	FILE			*f;

	memset(&cp, 0, sizeof cp);
	cp.offset = 42;
	cp.queues = &q;
	cp.nqueues = 1;
	ck_assert_int_eq(checkpoint_write(dir, &cp, &cause), 0);
	snprintf(path, sizeof path, "%s/checkpoint", dir);
	f = fopen(path, "r");
	len = fread(buf, 1, sizeof buf, f);
	fclose(f);
	for (i = 0; i < len; i++) {
		cause = NULL;
		ck_assert_int_eq(checkpoint_decode(buf, i, &got, &cause), -1);
		checkpoint_free(&got);
		free(cause);
	}
	for (i = 0; i < len * 8; i++) {
		memcpy(copy, buf, len);
		copy[i / 8] ^= (uint8_t)(1 << (i % 8));
		cause = NULL;
		ck_assert_int_eq(checkpoint_decode(copy, len, &got, &cause),
		    -1);
		checkpoint_free(&got);
		free(cause);
	}
	/* A damaged file is an error with a cause, not "none". */
	f = fopen(path, "w");
	fwrite(buf, 1, len - 1, f);
	fclose(f);
	cause = NULL;
	ck_assert_int_eq(checkpoint_read(dir, &got, &cause), -1);
	ck_assert_ptr_nonnull(cause);
	free(cause);
	test_rmdir(dir);
}
END_TEST

START_TEST(test_abort)
{
	char	*dir = test_tmpdir();
	char	*cause = NULL;

	ck_assert_int_eq(checkpoint_abort_exists(dir), 0);
	ck_assert_int_eq(checkpoint_abort_create(dir, &cause), 0);
	ck_assert_int_eq(checkpoint_abort_exists(dir), 1);
	ck_assert_int_eq(checkpoint_abort_remove(dir, &cause), 0);
	ck_assert_int_eq(checkpoint_abort_exists(dir), 0);
	ck_assert_int_eq(checkpoint_abort_remove(dir, &cause), 0);
	test_rmdir(dir);
}
END_TEST

Suite *
checkpoint_suite(void)
{
	Suite	*s = suite_create("checkpoint");
	TCase	*tc;

	tc = tcase_create("checkpoint");
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_damage);
	tcase_add_test(tc, test_abort);
	suite_add_tcase(s, tc);
	return (s);
}
