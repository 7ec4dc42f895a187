/*
 * Tests of lib/commitlog.c: batches across segment boundaries, blanks,
 * limits, reads at bad offsets, read-only views, recovery of a torn or
 * garbage tail, and the property parser.
 */
#include "config.h"

#include <sys/stat.h>

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commitlog.h"
#include "name.h"
#include "testutil.h"
#include "xmalloc.h"
#include "store_test.h"

#define SEG	(64 * 1024)

static struct commitlog *
open_log(const char *dir, int readonly)
{
	struct commitlog_config	 conf = { SEG, 16 * 1024, readonly, 0 };
	struct commitlog	*cl;
	char			*cause = NULL;

	cl = commitlog_open(dir, &conf, &cause);
	if (cl == NULL)
		ck_abort_msg("open: %s", cause);
	return (cl);
}

/* Append count messages in batches of batch, bodies of varying size. */
static void
append_many(struct commitlog *cl, uint64_t first, size_t count, size_t batch,
    uint64_t *offs)
{
	static struct st_msg	 sm[64];
	struct commitlog_msg	 msgs[64];
	size_t			 i, j, n;
	char			*cause = NULL;

	for (i = 0; i < count; i += n) {
		n = count - i < batch ? count - i : batch;
		for (j = 0; j < n; j++) {
			msgs[j] = *st_fill(&sm[j], "TopicA",
			    (uint32_t)((first + i + j) % 3),
			    first + i + j,
			    100 + ((first + i + j) * 997) % 3000);
			msgs[j].queue_offset = first + i + j;
		}
		if (commitlog_append(cl, msgs, n, &cause) != 0)
			ck_abort_msg("append: %s", cause);
		for (j = 0; j < n; j++)
			offs[i + j] = msgs[j].phys;
	}
}

/* Read back message seq at off and compare every byte. */
static void
check_one(struct commitlog *cl, uint64_t seq, uint64_t off)
{
	struct st_msg		 sm;
	struct commitlog_msg	 want, got;
	char			*cause = NULL;

	want = *st_fill(&sm, "TopicA", (uint32_t)(seq % 3), seq,
	    100 + (seq * 997) % 3000);
	want.queue_offset = seq;
	if (commitlog_read(cl, off, &got, &cause) != 0)
		ck_abort_msg("read %llu: %s", (unsigned long long)off, cause);
	ST_CHECK(st_same(&got, &want));
	ST_CHECK(got.phys == off);
}

START_TEST(test_round_trip)
{
	char			*dir = test_tmpdir();
	struct commitlog	*cl = open_log(dir, 0);
	struct commitlog_msg	 m;
	uint64_t		 offs[500], pos;
	size_t			 i;
	char			*cause = NULL;

	append_many(cl, 0, 500, 7, offs);
	ck_assert_uint_gt(commitlog_segments(cl), 3);
	for (i = 0; i < 500; i++) {
		check_one(cl, i, offs[i]);
		/* No record straddles a segment. */
		ST_CHECK(offs[i] / SEG == (offs[i] + 100 + (i * 997) % 3000) /
		    SEG);
	}
	/* Walk the log in order, skipping blanks. */
	pos = 0;
	for (i = 0; i < 500; i++) {
		ck_assert_int_eq(commitlog_next(cl, &pos, UINT64_MAX, &m,
		    &cause), 1);
		ck_assert_uint_eq(m.phys, offs[i]);
	}
	ck_assert_int_eq(commitlog_next(cl, &pos, UINT64_MAX, &m, &cause), 0);
	ck_assert_uint_eq(pos, commitlog_max_offset(cl));
	ck_assert_int_eq(commitlog_flush(cl, &cause), 0);
	ck_assert_uint_eq(commitlog_flushed(cl), commitlog_max_offset(cl));
	commitlog_close(cl);

	/* Reopen at the known end, as after a clean stop. */
	cl = open_log(dir, 0);
	ck_assert_int_eq(commitlog_set_end(cl, pos, &cause), 0);
	for (i = 0; i < 500; i += 13)
		check_one(cl, i, offs[i]);
	commitlog_close(cl);
	test_rmdir(dir);
}
END_TEST

START_TEST(test_one_batch_spans_segments)
{
	char			*dir = test_tmpdir();
	struct commitlog	*cl = open_log(dir, 0);
	static struct st_msg	 sm[40];
	struct commitlog_msg	 msgs[40];
	size_t			 i;
	char			*cause = NULL;

	for (i = 0; i < 40; i++) {
		msgs[i] = *st_fill(&sm[i], "TopicA", 0, i, 12000);
		msgs[i].queue_offset = i;
	}
	ck_assert_int_eq(commitlog_append(cl, msgs, 40, &cause), 0);
	ck_assert_uint_ge(commitlog_segments(cl), 8);
	for (i = 1; i < 40; i++)
		ck_assert_uint_gt(msgs[i].phys, msgs[i - 1].phys);
	for (i = 0; i < 40; i++) {
		struct commitlog_msg got;

		ck_assert_int_eq(commitlog_read(cl, msgs[i].phys, &got,
		    &cause), 0);
		ck_assert(st_same(&got, &msgs[i]));
	}
	commitlog_close(cl);
	test_rmdir(dir);
}
END_TEST

START_TEST(test_limits)
{
	char			*dir = test_tmpdir();
	struct commitlog	*cl = open_log(dir, 0);
	struct st_msg		 sm[2];
	struct commitlog_msg	 msgs[2];
	char			*cause = NULL;
	uint32_t		 size;

	msgs[0] = *st_fill(&sm[0], "TopicA", 0, 0, 100);
	msgs[1] = *st_fill(&sm[1], "TopicA", 0, 1, 17000);
	ck_assert_int_eq(commitlog_append(cl, msgs, 2, &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "over the maximum message size"));
	free(cause);
	cause = NULL;
	/* Nothing of the batch was written. */
	ck_assert_uint_eq(commitlog_max_offset(cl), 0);

	msgs[1] = *st_fill(&sm[1], "bad/topic", 0, 1, 10);
	ck_assert_int_eq(commitlog_validate(cl, &msgs[1], &size, &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "topic"));
	free(cause);
	cause = NULL;
	msgs[1] = *st_fill(&sm[1], "..", 0, 1, 10);
	ck_assert_int_eq(commitlog_validate(cl, &msgs[1], &size, &cause), -1);
	free(cause);
	cause = NULL;
	msgs[1] = *st_fill(&sm[1], "T", 0, 1, 10);
	msgs[1].flags = 0x80;
	ck_assert_int_eq(commitlog_validate(cl, &msgs[1], &size, &cause), -1);
	free(cause);
	cause = NULL;
	msgs[1] = *st_fill(&sm[1], "T", 0, 1, 10);
	ck_assert_int_eq(commitlog_validate(cl, &msgs[1], &size, &cause), 0);
	ck_assert_uint_eq(size, COMMITLOG_FIXED + 1 + 2 + msgs[1].props_len +
	    4 + 10);
	commitlog_close(cl);
	test_rmdir(dir);
}
END_TEST

/*
 * Topic names (lib/name.h) are checked when a record is written and when
 * one is read back: 127 bytes are fine, 128 or a '|' are not.
 */
START_TEST(test_topic_names)
{
	const char		*bad[] = { "a|b", "|", "a.b", "..", "a/b",
				    "a b", "\xc3\xa9", "", NULL };
	const char		*good[] = { "a", "%RETRY%g-1_Z", "%", NULL };
	char			*dir = test_tmpdir();
	struct commitlog	*cl = open_log(dir, 0);
	struct st_msg		 sm;
	struct commitlog_msg	 m, got;
	char			 name[NAME_LEN_MAX + 2], *cause = NULL;
	uint8_t			*rec;
	uint32_t		 size;
	size_t			 i;

	for (i = 0; bad[i] != NULL; i++)
		ck_assert(!commitlog_topic_ok(bad[i], strlen(bad[i])));
	for (i = 0; good[i] != NULL; i++)
		ck_assert(commitlog_topic_ok(good[i], strlen(good[i])));
	/* Only len bytes count: a '|' past them is not looked at. */
	ck_assert_int_eq(commitlog_topic_ok("ab|", 2), 1);

	m = *st_fill(&sm, "T", 0, 1, 10);
	m.topic = "a|b";
	ck_assert_int_eq(commitlog_validate(cl, &m, &size, &cause), -1);
	ck_assert_str_eq(cause, "topic \"a|b\" is not 1 to 127 bytes of "
	    "letters, digits, '_', '-' and '%'");
	free(cause);
	cause = NULL;

	memset(name, 'n', NAME_LEN_MAX + 1);
	name[NAME_LEN_MAX + 1] = '\0';
	m.topic = name;
	ck_assert_int_eq(commitlog_validate(cl, &m, &size, &cause), -1);
	free(cause);
	cause = NULL;
	name[NAME_LEN_MAX] = '\0';
	ck_assert_int_eq(commitlog_validate(cl, &m, &size, &cause), 0);
	ck_assert_int_eq(commitlog_append(cl, &m, 1, &cause), 0);
	ck_assert_int_eq(commitlog_read(cl, m.phys, &got, &cause), 0);
	ck_assert_uint_eq(got.topic_len, NAME_LEN_MAX);
	ck_assert_int_eq(memcmp(got.topic, name, NAME_LEN_MAX), 0);

	/* A record whose topic was changed to hold a '|' is not read. */
	m = *st_fill(&sm, "a-b", 0, 1, 10);
	ck_assert_int_eq(commitlog_validate(cl, &m, &size, &cause), 0);
	rec = xmalloc(size);
	commitlog_encode(rec, &m, size, 0);
	ck_assert_int_eq(commitlog_parse(rec, size, &got, &cause), 0);
	rec[COMMITLOG_FIXED + 1] = '|';
	ck_assert_int_eq(commitlog_parse(rec, size, &got, &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "bad topic"));
	free(cause);
	free(rec);
	commitlog_close(cl);
	test_rmdir(dir);
}
END_TEST

START_TEST(test_bad_offsets)
{
	char			*dir = test_tmpdir();
	struct commitlog	*cl = open_log(dir, 0);
	struct commitlog_msg	 m;
	uint64_t		 offs[50];
	char			*cause = NULL;

	append_many(cl, 0, 50, 5, offs);
	ck_assert_int_eq(commitlog_read(cl, offs[3] + 1, &m, &cause), -1);
	free(cause);
	cause = NULL;
	ck_assert_int_eq(commitlog_read(cl, commitlog_max_offset(cl), &m,
	    &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "past the end"));
	free(cause);
	cause = NULL;
	ck_assert_int_eq(commitlog_read(cl, UINT64_MAX - 5, &m, &cause), -1);
	free(cause);
	cause = NULL;
	/* A blank at a segment end is not a record. */
	ck_assert_int_eq(commitlog_read(cl, SEG - 8, &m, &cause), -1);
	free(cause);
	commitlog_close(cl);
	test_rmdir(dir);
}
END_TEST

START_TEST(test_view)
{
	char			*dir = test_tmpdir();
	struct commitlog	*cl = open_log(dir, 0), *view;
	struct commitlog_msg	 m;
	uint64_t		 offs[200], pos = 0;
	size_t			 i;
	char			*cause = NULL;

	append_many(cl, 0, 10, 5, offs);
	view = open_log(dir, 1);
	append_many(cl, 10, 190, 9, offs + 10);
	ck_assert_int_eq(commitlog_set_end(view, commitlog_max_offset(cl),
	    &cause), 0);
	for (i = 0; i < 200; i++) {
		ck_assert_int_eq(commitlog_next(view, &pos, UINT64_MAX, &m,
		    &cause), 1);
		ck_assert_uint_eq(m.phys, offs[i]);
		check_one(view, i, offs[i]);
	}
	ck_assert_int_eq(commitlog_append(view, &m, 1, &cause), -1);
	free(cause);
	cause = NULL;
	/* A read-only view's msync would sync nothing: it refuses. */
	ck_assert_int_eq(commitlog_sync(view, 0, commitlog_max_offset(cl),
	    &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "read-only"));
	free(cause);
	commitlog_close(view);
	commitlog_close(cl);
	test_rmdir(dir);
}
END_TEST

/* Write junk over the log from offset at and recover from from. */
static uint64_t
smash_and_recover(const char *dir, uint64_t at, size_t len, uint64_t from,
    uint64_t seed)
{
	struct commitlog	*cl = open_log(dir, 0);
	char			*path, *cause = NULL;
	uint8_t			 junk[4096];
	uint64_t		 end;
	size_t			 i;
	FILE			*f;

	commitlog_close(cl);
	for (i = 0; i < sizeof junk; i++)
		junk[i] = (uint8_t)st_rand(&seed);
	xasprintf_test(&path, dir, at - at % SEG);
	f = fopen(path, "r+");
	ck_assert_ptr_nonnull(f);
	fseek(f, (long)(at % SEG), SEEK_SET);
	fwrite(junk, 1, len < sizeof junk ? len : sizeof junk, f);
	fclose(f);
	free(path);
	cl = open_log(dir, 0);
	if (commitlog_recover(cl, from, &end, &cause) != 0)
		ck_abort_msg("recover: %s", cause);
	commitlog_close(cl);
	return (end);
}

START_TEST(test_recover_garbage_tail)
{
	char			*dir = test_tmpdir();
	struct commitlog	*cl = open_log(dir, 0);
	uint64_t		 offs[300], end, seed = 99;
	size_t			 i, cut;
	char			*cause = NULL;

	append_many(cl, 0, 300, 10, offs);
	end = commitlog_max_offset(cl);
	commitlog_close(cl);

	/* Clean: recovery from 0 finds the same end. */
	cl = open_log(dir, 0);
	ck_assert_int_eq(commitlog_recover(cl, 0, &end, &cause), 0);
	ck_assert_uint_eq(end, commitlog_max_offset(cl));
	commitlog_close(cl);

	/* Garbage over record 250 onwards: the log ends at record 250. */
	cut = 250;
	ck_assert_uint_eq(smash_and_recover(dir, offs[cut] + 20, 3000,
	    offs[100], seed), offs[cut]);
	cl = open_log(dir, 0);
	ck_assert_int_eq(commitlog_set_end(cl, offs[cut], &cause), 0);
	for (i = 0; i < cut; i++)
		check_one(cl, i, offs[i]);
	/* Appending after recovery lands right at the cut and reads back. */
	append_many(cl, cut, 50, 4, offs + cut);
	for (i = 0; i < 300; i++)
		check_one(cl, i, offs[i]);
	commitlog_close(cl);

	/* Random garbage at random places, many times: never served. */
	for (i = 0; i < 30; i++) {
		uint64_t at = offs[100 + st_rand(&seed) % 200] +
		    st_rand(&seed) % 50;
		size_t k;

		end = smash_and_recover(dir, at, 1 + st_rand(&seed) % 2000,
		    offs[50], seed);
		ck_assert_uint_le(end, at);
		cl = open_log(dir, 0);
		ck_assert_int_eq(commitlog_set_end(cl, end, &cause), 0);
		for (k = 0; k < 300 && offs[k] < end; k++)
			check_one(cl, k, offs[k]);
		append_many(cl, k, 300 - k, 7, offs + k);
		commitlog_close(cl);
	}
	test_rmdir(dir);
}
END_TEST

START_TEST(test_decode_garbage)
{
	uint8_t			 buf[512];
	struct commitlog_msg	 m;
	uint64_t		 seed = 5;
	size_t			 i, n;
	int			 round, r;
	char			*cause;

	for (round = 0; round < 20000; round++) {
		for (i = 0; i < sizeof buf; i++)
			buf[i] = (uint8_t)st_rand(&seed);
		n = st_rand(&seed) % sizeof buf;
		if (round % 2)
			le32enc_test(buf, (uint32_t)n, COMMITLOG_MAGIC);
		cause = NULL;
		r = commitlog_decode(buf, n, 0, &m, &cause);
		ck_assert(r == -1 || r == COMMITLOG_END ||
		    r == COMMITLOG_BLANK);
		free(cause);
	}
}
END_TEST

START_TEST(test_props)
{
	const char	*p = "KEYS\001a b\002TAGS\001t1\002X\001\002Y";
	const char	*v;
	size_t		 n;

	v = commitlog_prop_get(p, strlen(p), "TAGS", &n);
	ck_assert_ptr_nonnull(v);
	ck_assert_int_eq((int)n, 2);
	ck_assert(memcmp(v, "t1", 2) == 0);
	v = commitlog_prop_get(p, strlen(p), "KEYS", &n);
	ck_assert_int_eq((int)n, 3);
	v = commitlog_prop_get(p, strlen(p), "X", &n);
	ck_assert_ptr_nonnull(v);
	ck_assert_int_eq((int)n, 0);
	ck_assert_ptr_null(commitlog_prop_get(p, strlen(p), "Y", &n));
	ck_assert_ptr_null(commitlog_prop_get(p, strlen(p), "KEY", &n));
	ck_assert_ptr_null(commitlog_prop_get("", 0, "KEY", &n));
}
END_TEST

Suite *
commitlog_suite(void)
{
	Suite	*s = suite_create("commitlog");
	TCase	*tc;

	tc = tcase_create("append");
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_one_batch_spans_segments);
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_topic_names);
	tcase_add_test(tc, test_bad_offsets);
	tcase_add_test(tc, test_view);
	suite_add_tcase(s, tc);
	tc = tcase_create("recover");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_recover_garbage_tail);
	tcase_add_test(tc, test_decode_garbage);
	suite_add_tcase(s, tc);
	tc = tcase_create("props");
	tcase_add_test(tc, test_props);
	suite_add_tcase(s, tc);
	return (s);
}
