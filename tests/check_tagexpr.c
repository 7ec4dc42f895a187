/*
 * Tests of lib/tagexpr.c: "*" and "" take everything, tag lists with any
 * blanks, duplicates counted once, hashes as the broker computes them
 * (FNV-1a, 0 for no tag), client-side matching, and bad expressions
 * refused with a reason.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consumequeue.h"
#include "tagexpr.h"

START_TEST(test_all)
{
	static const char	*alls[] = { "*", "", "  ", " * ", "\t*\t" };
	struct tagexpr		 e;
	char			*cause = NULL;
	size_t			 i;

	for (i = 0; i < sizeof alls / sizeof alls[0]; i++) {
		ck_assert_int_eq(tagexpr_parse(alls[i], &e, &cause), 0);
		ck_assert_int_eq(e.all, 1);
		ck_assert_uint_eq(e.ntags, 0);
		ck_assert_int_eq(tagexpr_match(&e, "x"), 1);
		ck_assert_int_eq(tagexpr_match(&e, ""), 1);
		ck_assert_int_eq(tagexpr_match(&e, NULL), 1);
		tagexpr_clear(&e);
	}
}
END_TEST

START_TEST(test_list)
{
	struct tagexpr	 e;
	char		*cause = NULL;

	ck_assert_int_eq(tagexpr_parse("TagA || TagB", &e, &cause), 0);
	ck_assert_int_eq(e.all, 0);
	ck_assert_uint_eq(e.ntags, 2);
	ck_assert_str_eq(e.tags[0], "TagA");
	ck_assert_str_eq(e.tags[1], "TagB");
	ck_assert_int_eq(tagexpr_match(&e, "TagA"), 1);
	ck_assert_int_eq(tagexpr_match(&e, "TagB"), 1);
	ck_assert_int_eq(tagexpr_match(&e, "TagC"), 0);
	ck_assert_int_eq(tagexpr_match(&e, "Tag"), 0);
	ck_assert_int_eq(tagexpr_match(&e, ""), 0);
	ck_assert_int_eq(tagexpr_match(&e, NULL), 0);
	tagexpr_clear(&e);

	ck_assert_int_eq(tagexpr_parse("\ta||b  ||  c\t|| a ", &e, &cause),
	    0);
	ck_assert_uint_eq(e.ntags, 3);
	ck_assert_str_eq(e.tags[2], "c");
	tagexpr_clear(&e);

	ck_assert_int_eq(tagexpr_parse("only", &e, &cause), 0);
	ck_assert_uint_eq(e.ntags, 1);
	ck_assert_int_eq(tagexpr_match(&e, "only"), 1);
	tagexpr_clear(&e);
}
END_TEST

START_TEST(test_hashes)
{
	struct tagexpr	 e;
	char		*cause = NULL;

	/* FNV-1a 64 of "a" */
	ck_assert_uint_eq(tagexpr_hash("a"), 0xaf63dc4c8601ec8cULL);
	ck_assert_uint_eq(tagexpr_hash(""), 0);
	ck_assert_uint_eq(tagexpr_hash(NULL), 0);
	ck_assert_int_eq(tagexpr_parse("a || TagB", &e, &cause), 0);
	ck_assert_uint_eq(e.hashes[0], 0xaf63dc4c8601ec8cULL);
	ck_assert_uint_eq(e.hashes[1], consumequeue_tag_hash("TagB", 4));
	tagexpr_clear(&e);
}
END_TEST

START_TEST(test_bad)
{
	static const char *bad[] = {
		"a ||", "|| a", "a |||| b", "a | b", "a b", "* || a", "a || *",
		"**", "a\001", "||", "a||\n", "|"
	};
	struct tagexpr	 e;
	char		*cause, big[300], many[64 * 4 + 16];
	size_t		 i;
	int		 n;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cause = NULL;
		ck_assert_msg(tagexpr_parse(bad[i], &e, &cause) == -1,
		    "\"%s\" accepted", bad[i]);
		ck_assert_ptr_nonnull(cause);
		ck_assert_uint_eq(e.ntags, 0);
		ck_assert_ptr_null(e.tags);
		free(cause);
	}
	memset(big, 'x', 256);
	big[256] = '\0';
	cause = NULL;
	ck_assert_int_eq(tagexpr_parse(big, &e, &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "255"));
	free(cause);
	big[255] = '\0';
	ck_assert_int_eq(tagexpr_parse(big, &e, &cause), 0);
	tagexpr_clear(&e);

	n = 0;
	for (i = 0; i < 65; i++)
		n += snprintf(many + n, sizeof many - (size_t)n, "%s%zx",
		    i == 0 ? "" : "||", i);
	cause = NULL;
	ck_assert_int_eq(tagexpr_parse(many, &e, &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "64"));
	free(cause);
}
END_TEST

Suite *
tagexpr_suite(void)
{
	Suite	*s = suite_create("tagexpr");
	TCase	*tc;

	tc = tcase_create("parse");
	tcase_add_test(tc, test_all);
	tcase_add_test(tc, test_list);
	tcase_add_test(tc, test_bad);
	suite_add_tcase(s, tc);
	tc = tcase_create("hash");
	tcase_add_test(tc, test_hashes);
	suite_add_tcase(s, tc);
	return (s);
}
