/*
 * Tests of the consumer's local state: lib/procqueue.c (messages in
 * flight per queue, the offset to commit, flow control) and
 * lib/offsetfile.c (broadcasting offsets in a local file, saved
 * atomically, refused when foreign or corrupt).
 */
#include "config.h"

#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "offsetfile.h"
#include "procqueue.h"
#include "testutil.h"

START_TEST(test_procqueue_commit)
{
	struct procqueue	pq;

	procqueue_init(&pq, 10);
	ck_assert_uint_eq(procqueue_committable(&pq), 10);
	ck_assert_int_eq(procqueue_add(&pq, 10), 0);
	ck_assert_int_eq(procqueue_add(&pq, 12), 0);	/* 11 filtered */
	ck_assert_int_eq(procqueue_add(&pq, 13), 0);
	procqueue_pulled(&pq, 15);
	ck_assert_uint_eq(procqueue_inflight(&pq), 3);
	ck_assert_uint_eq(procqueue_committable(&pq), 10);
	/* out of order: 13 then 12 done, 10 still in flight */
	ck_assert_int_eq(procqueue_done(&pq, 13), 1);
	ck_assert_uint_eq(procqueue_committable(&pq), 10);
	ck_assert_int_eq(procqueue_done(&pq, 12), 1);
	ck_assert_uint_eq(procqueue_committable(&pq), 10);
	ck_assert_int_eq(procqueue_done(&pq, 12), 0);	/* twice */
	ck_assert_int_eq(procqueue_done(&pq, 11), 0);	/* never added */
	ck_assert_int_eq(procqueue_done(&pq, 10), 1);
	ck_assert_uint_eq(procqueue_inflight(&pq), 0);
	ck_assert_uint_eq(procqueue_committable(&pq), 15);
	/* added in order only */
	ck_assert_int_eq(procqueue_add(&pq, 15), 0);
	ck_assert_int_eq(procqueue_add(&pq, 15), -1);
	ck_assert_int_eq(procqueue_add(&pq, 14), -1);
	ck_assert_uint_eq(procqueue_committable(&pq), 15);
	procqueue_pulled(&pq, 3);			/* never moves back */
	ck_assert_uint_eq(pq.next, 16);
	procqueue_reset(&pq, 100);
	ck_assert_uint_eq(procqueue_inflight(&pq), 0);
	ck_assert_uint_eq(procqueue_committable(&pq), 100);
	ck_assert_int_eq(procqueue_done(&pq, 15), 0);
	procqueue_clear(&pq);
}
END_TEST

START_TEST(test_procqueue_many)
{
	struct procqueue	pq;
	uint64_t		i, j, lowest;

	/* 5000 offsets through the ring, done in scrambled windows */
	procqueue_init(&pq, 0);
	for (i = 0; i < 5000; i += 100) {
		for (j = i; j < i + 100; j++)
			ck_assert_int_eq(procqueue_add(&pq, j * 2), 0);
		ck_assert_int_eq(procqueue_full(&pq, 99), 1);
		ck_assert_int_eq(procqueue_full(&pq, 100), 0);
		/* odd positions first, then even, then check */
		for (j = i + 1; j < i + 100; j += 2)
			ck_assert_int_eq(procqueue_done(&pq, j * 2), 1);
		ck_assert_uint_eq(procqueue_committable(&pq), i * 2);
		for (j = i + 98; j > i; j -= 2) {
			ck_assert_int_eq(procqueue_done(&pq, j * 2), 1);
			ck_assert_uint_eq(procqueue_committable(&pq), i * 2);
		}
		lowest = i * 2;
		ck_assert_int_eq(procqueue_done(&pq, lowest), 1);
		ck_assert_uint_eq(procqueue_committable(&pq), (i + 100) * 2 - 1);
	}
	ck_assert_uint_eq(procqueue_inflight(&pq), 0);
	procqueue_clear(&pq);
}
END_TEST

START_TEST(test_procqueue_wrap)
{
	struct procqueue	pq;
	uint64_t		i;

	/* keep 10 in flight while 1000 pass: the ring wraps, never grows */
	procqueue_init(&pq, 0);
	for (i = 0; i < 10; i++)
		procqueue_add(&pq, i);
	for (i = 10; i < 1000; i++) {
		ck_assert_int_eq(procqueue_done(&pq, i - 10), 1);
		ck_assert_int_eq(procqueue_add(&pq, i), 0);
		ck_assert_uint_eq(procqueue_committable(&pq), i - 9);
	}
	ck_assert_uint_le(pq.size, 16);
	procqueue_clear(&pq);
}
END_TEST

START_TEST(test_offsetfile_roundtrip)
{
	char			*dir = test_tmpdir(), *path, *cause = NULL;
	struct offsetfile	*of;
	uint64_t		 off;

	ck_assert_ptr_nonnull(dir);
	path = malloc(strlen(dir) + 16);
	sprintf(path, "%s/offsets", dir);
	of = offsetfile_open(path, "g1", &cause);
	ck_assert_ptr_nonnull(of);
	ck_assert_int_eq(offsetfile_get(of, "t", "b", 0, &off), -1);
	offsetfile_set(of, "t", "b", 0, 42);
	offsetfile_set(of, "t", "b", 1, 7);
	offsetfile_set(of, "t", "c", 0, 9);
	offsetfile_set(of, "t", "b", 0, 43);
	ck_assert_int_eq(offsetfile_save(of, &cause), 0);
	ck_assert_int_eq(access(path, F_OK), 0);
	offsetfile_free(of);

	of = offsetfile_open(path, "g1", &cause);
	ck_assert_ptr_nonnull(of);
	ck_assert_int_eq(offsetfile_get(of, "t", "b", 0, &off), 0);
	ck_assert_uint_eq(off, 43);
	ck_assert_int_eq(offsetfile_get(of, "t", "b", 1, &off), 0);
	ck_assert_uint_eq(off, 7);
	ck_assert_int_eq(offsetfile_get(of, "t", "c", 0, &off), 0);
	ck_assert_uint_eq(off, 9);
	ck_assert_int_eq(offsetfile_get(of, "u", "c", 0, &off), -1);
	/* nothing changed: saving is a no-op; then a change is saved */
	ck_assert_int_eq(offsetfile_save(of, &cause), 0);
	offsetfile_set(of, "t", "c", 0, 10);
	ck_assert_int_eq(offsetfile_save(of, &cause), 0);
	offsetfile_free(of);
	of = offsetfile_open(path, "g1", &cause);
	ck_assert_int_eq(offsetfile_get(of, "t", "c", 0, &off), 0);
	ck_assert_uint_eq(off, 10);
	offsetfile_free(of);

	/* another group's file is refused */
	ck_assert_ptr_null(offsetfile_open(path, "g2", &cause));
	ck_assert_ptr_nonnull(strstr(cause, "g1"));
	free(cause);
	free(path);
	test_rmdir(dir);
}
END_TEST

START_TEST(test_offsetfile_bad)
{
	char			*dir = test_tmpdir(), path[4200], *cause = NULL;
	struct offsetfile	*of;
	int			 fd;

	snprintf(path, sizeof path, "%s/garbage", dir);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "not an offset file at all", 25), 25);
	close(fd);
	of = offsetfile_open(path, "g", &cause);
	ck_assert_ptr_null(of);
	ck_assert_ptr_nonnull(cause);
	free(cause);
	/* a directory where the file should be */
	cause = NULL;
	ck_assert_ptr_null(offsetfile_open(dir, "g", &cause));
	ck_assert_ptr_nonnull(cause);
	free(cause);
	test_rmdir(dir);
}
END_TEST

START_TEST(test_offsetfile_default)
{
	char	*dir = test_tmpdir(), *path, want[4200];

	setenv("HOME", dir, 1);
	path = offsetfile_default_path("grp");
	snprintf(want, sizeof want, "%s/.petrel/offsets-grp", dir);
	ck_assert_str_eq(path, want);
	free(path);
	test_rmdir(dir);
}
END_TEST

Suite *
consumer_state_suite(void)
{
	Suite	*s = suite_create("consumer_state");
	TCase	*tc;

	tc = tcase_create("procqueue");
	tcase_add_test(tc, test_procqueue_commit);
	tcase_add_test(tc, test_procqueue_many);
	tcase_add_test(tc, test_procqueue_wrap);
	suite_add_tcase(s, tc);
	tc = tcase_create("offsetfile");
	tcase_add_test(tc, test_offsetfile_roundtrip);
	tcase_add_test(tc, test_offsetfile_bad);
	tcase_add_test(tc, test_offsetfile_default);
	suite_add_tcase(s, tc);
	return (s);
}
