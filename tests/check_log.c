/*
 * Tests of lib/log.c and lib/xmalloc.c: the line format on stderr, the
 * verbosity filter and the journal priority prefix.
 */
#include "config.h"

#include <sys/stat.h>

#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "testutil.h"
#include "xmalloc.h"

/* Run fn with stderr sent to a file; return what it wrote. */
static char *
capture(void (*fn)(void))
{
	char	*out;

	ck_assert_int_eq(test_capture_start(), 0);
	fn();
	out = test_capture_end();
	ck_assert_ptr_nonnull(out);
	return (out);
}

static void
emit_levels(void)
{
	log_init("check", LOG_LEVEL_INFO);
	log_warnx("warned %d", 1);
	log_info("informed %s", "x");
	log_debug("debugged");
}

START_TEST(test_levels)
{
	char	*out = capture(emit_levels);

	ck_assert_ptr_nonnull(strstr(out, "check["));
	ck_assert_ptr_nonnull(strstr(out, "warning: warned 1\n"));
	ck_assert_ptr_nonnull(strstr(out, "info: informed x\n"));
	ck_assert_ptr_null(strstr(out, "debugged"));
	free(out);
}
END_TEST

static void
emit_journal(void)
{
	struct stat	st;
	char		env[64];

	fstat(STDERR_FILENO, &st);
	snprintf(env, sizeof env, "%llu:%llu",
	    (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
	setenv("JOURNAL_STREAM", env, 1);
	log_init("check", LOG_LEVEL_DEBUG);
	log_warnx("to the journal");
	log_debug("debug too");
	unsetenv("JOURNAL_STREAM");
}

START_TEST(test_journal)
{
	char	*out = capture(emit_journal);

	ck_assert_str_eq(out, "<4>to the journal\n<7>debug too\n");
	free(out);
}
END_TEST

START_TEST(test_xasprintf)
{
	char	*s;

	ck_assert_int_eq(xasprintf(&s, "%s-%d", "a", 7), 3);
	ck_assert_str_eq(s, "a-7");
	free(s);
}
END_TEST

Suite *
log_suite(void)
{
	Suite	*s = suite_create("log");
	TCase	*tc;

	tc = tcase_create("log");
	tcase_add_test(tc, test_levels);
	tcase_add_test(tc, test_journal);
	suite_add_tcase(s, tc);
	tc = tcase_create("xmalloc");
	tcase_add_test(tc, test_xasprintf);
	suite_add_tcase(s, tc);
	return (s);
}
