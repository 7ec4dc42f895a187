/*
 * Tests of lib/json.c: string escaping (quotes, backslashes, every control
 * character, DEL), UTF-8 passthrough and the replacement of bytes that are
 * not UTF-8, nesting with commas and keys, numbers, pretty output, and that
 * misuse is fatal.
 */
#include "config.h"

#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"

/* The text of one top-level string holding n bytes of s. */
static char *
quoted(const char *s, size_t n)
{
	struct json	*j;
	char		*out;

	j = json_new(0);
	json_stringn(j, NULL, s, n);
	ck_assert(json_done(j));
	out = strdup(json_buffer(j, NULL));
	json_free(j);
	return (out);
}

/* Assert that the n bytes of s are written as expect. */
static void
check_quoted(const char *s, size_t n, const char *expect)
{
	char	*out = quoted(s, n);

	ck_assert_str_eq(out, expect);
	free(out);
}

START_TEST(test_plain)
{
	check_quoted("", 0, "\"\"");
	check_quoted("hello, world", 12, "\"hello, world\"");
	check_quoted("a/b", 3, "\"a/b\"");
}
END_TEST

START_TEST(test_quotes_backslashes)
{
	check_quoted("say \"hi\"", 8, "\"say \\\"hi\\\"\"");
	check_quoted("C:\\dir\\", 7, "\"C:\\\\dir\\\\\"");
	check_quoted("\\\"", 2, "\"\\\\\\\"\"");
}
END_TEST

START_TEST(test_control_chars)
{
	char	in[1], expect[16];
	int	c;

	check_quoted("\b\f\n\r\t", 5, "\"\\b\\f\\n\\r\\t\"");
	check_quoted("a\0b", 3, "\"a\\u0000b\"");
	check_quoted("\x7f", 1, "\"\\u007f\"");
	for (c = 0; c < 0x20; c++) {
		in[0] = (char)c;
		switch (c) {
		case '\b':
			strcpy(expect, "\"\\b\"");
			break;
		case '\f':
			strcpy(expect, "\"\\f\"");
			break;
		case '\n':
			strcpy(expect, "\"\\n\"");
			break;
		case '\r':
			strcpy(expect, "\"\\r\"");
			break;
		case '\t':
			strcpy(expect, "\"\\t\"");
			break;
		default:
			snprintf(expect, sizeof expect, "\"\\u%04x\"", c);
			break;
		}
		check_quoted(in, 1, expect);
	}
}
END_TEST

START_TEST(test_utf8_passthrough)
{
	/* 2-, 3- and 4-byte sequences, and the edges of the ranges. */
	check_quoted("caf\xc3\xa9", 5, "\"caf\xc3\xa9\"");
	check_quoted("\xe2\x82\xac 5", 5, "\"\xe2\x82\xac 5\"");
	check_quoted("\xf0\x9f\x90\xa6", 4, "\"\xf0\x9f\x90\xa6\"");
	check_quoted("\xc2\x80", 2, "\"\xc2\x80\"");
	check_quoted("\xef\xbf\xbf", 3, "\"\xef\xbf\xbf\"");
	check_quoted("\xf4\x8f\xbf\xbf", 4, "\"\xf4\x8f\xbf\xbf\"");
	check_quoted("\xed\x9f\xbf", 3, "\"\xed\x9f\xbf\"");
}
END_TEST

START_TEST(test_utf8_invalid)
{
	/* A lone continuation byte, and a lead byte cut short. */
	check_quoted("a\x80z", 3, "\"a\\ufffdz\"");
	check_quoted("\xc3", 1, "\"\\ufffd\"");
	check_quoted("\xe2\x82", 2, "\"\\ufffd\\ufffd\"");
	/* Overlong forms. */
	check_quoted("\xc0\xaf", 2, "\"\\ufffd\\ufffd\"");
	check_quoted("\xe0\x80\xaf", 3, "\"\\ufffd\\ufffd\\ufffd\"");
	/* A UTF-16 surrogate and a code point past U+10FFFF. */
	check_quoted("\xed\xa0\x80", 3, "\"\\ufffd\\ufffd\\ufffd\"");
	check_quoted("\xf4\x90\x80\x80", 4,
	    "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
	check_quoted("\xff", 1, "\"\\ufffd\"");
	/* A bad byte between good sequences spoils only itself. */
	check_quoted("\xc3\xa9\xff\xc3\xa9", 5, "\"\xc3\xa9\\ufffd\xc3\xa9\"");
}
END_TEST

START_TEST(test_nesting)
{
	struct json	*j;

	j = json_new(0);
	json_object_open(j, NULL);
	json_string(j, "name", "a");
	json_array_open(j, "items");
	json_int(j, NULL, 1);
	json_object_open(j, NULL);
	json_object_close(j);
	json_array_open(j, NULL);
	json_array_close(j);
	json_object_open(j, NULL);
	json_bool(j, "ok", 1);
	json_null(j, "none");
	json_object_close(j);
	json_array_close(j);
	ck_assert(!json_done(j));
	json_string(j, "k\"ey", NULL);
	json_object_close(j);
	ck_assert(json_done(j));
	ck_assert_str_eq(json_buffer(j, NULL),
	    "{\"name\":\"a\",\"items\":[1,{},[],{\"ok\":true,\"none\":null}],"
	    "\"k\\\"ey\":null}");
	json_free(j);
}
END_TEST

START_TEST(test_deep)
{
	struct json	*j;
	size_t		 i, len;
	const char	*buf;

	j = json_new(0);
	for (i = 0; i < 100; i++)
		json_array_open(j, NULL);
	for (i = 0; i < 100; i++)
		json_array_close(j);
	buf = json_buffer(j, &len);
	ck_assert_uint_eq(len, 200);
	ck_assert_int_eq(buf[99], '[');
	ck_assert_int_eq(buf[100], ']');
	json_free(j);
}
END_TEST

START_TEST(test_numbers)
{
	struct json	*j;

	j = json_new(0);
	json_array_open(j, NULL);
	json_int(j, NULL, 0);
	json_int(j, NULL, -42);
	json_int(j, NULL, INT64_MIN);
	json_uint(j, NULL, UINT64_MAX);
	json_double(j, NULL, 0.5);
	json_double(j, NULL, 0.1);
	json_double(j, NULL, -1e300);
	json_double(j, NULL, NAN);
	json_double(j, NULL, INFINITY);
	json_array_close(j);
	ck_assert_str_eq(json_buffer(j, NULL),
	    "[0,-42,-9223372036854775808,18446744073709551615,0.5,0.1,"
	    "-1e+300,null,null]");
	json_free(j);
}
END_TEST

START_TEST(test_pretty)
{
	struct json	*j;

	j = json_new(JSON_PRETTY);
	json_object_open(j, NULL);
	json_array_open(j, "a");
	json_int(j, NULL, 1);
	json_int(j, NULL, 2);
	json_array_close(j);
	json_object_open(j, "empty");
	json_object_close(j);
	json_object_close(j);
	ck_assert_str_eq(json_buffer(j, NULL),
	    "{\n  \"a\": [\n    1,\n    2\n  ],\n  \"empty\": {}\n}");
	json_free(j);
}
END_TEST

START_TEST(test_write)
{
	struct json	*j;
	char		*text = NULL;
	size_t		 size = 0;
	FILE		*f;

	f = open_memstream(&text, &size);
	ck_assert_ptr_nonnull(f);
	j = json_new(0);
	json_object_open(j, NULL);
	json_uint(j, "n", 7);
	json_object_close(j);
	ck_assert_int_eq(json_write(j, f), 0);
	fclose(f);
	ck_assert_str_eq(text, "{\"n\":7}\n");
	free(text);
	json_free(j);
}
END_TEST

START_TEST(test_scalar_top)
{
	struct json	*j;

	j = json_new(0);
	ck_assert(!json_done(j));
	json_uint(j, NULL, 3);
	ck_assert(json_done(j));
	ck_assert_str_eq(json_buffer(j, NULL), "3");
	json_free(j);
}
END_TEST

/* Misuse of the emitter is a bug in the caller: each one exits 1. */
START_TEST(test_value_without_key)
{
	struct json	*j = json_new(0);

	json_object_open(j, NULL);
	json_int(j, NULL, 1);
}
END_TEST

START_TEST(test_key_in_array)
{
	struct json	*j = json_new(0);

	json_array_open(j, NULL);
	json_int(j, "k", 1);
}
END_TEST

START_TEST(test_bad_close)
{
	struct json	*j = json_new(0);

	json_array_open(j, NULL);
	json_object_close(j);
}
END_TEST

START_TEST(test_two_documents)
{
	struct json	*j = json_new(0);

	json_int(j, NULL, 1);
	json_int(j, NULL, 2);
}
END_TEST

START_TEST(test_write_incomplete)
{
	struct json	*j = json_new(0);

	json_object_open(j, NULL);
	json_write(j, stdout);
}
END_TEST

Suite *
json_suite(void)
{
	Suite	*s = suite_create("json");
	TCase	*tc;

	tc = tcase_create("escape");
	tcase_add_test(tc, test_plain);
	tcase_add_test(tc, test_quotes_backslashes);
	tcase_add_test(tc, test_control_chars);
	tcase_add_test(tc, test_utf8_passthrough);
	tcase_add_test(tc, test_utf8_invalid);
	suite_add_tcase(s, tc);

	tc = tcase_create("structure");
	tcase_add_test(tc, test_nesting);
	tcase_add_test(tc, test_deep);
	tcase_add_test(tc, test_numbers);
	tcase_add_test(tc, test_pretty);
	tcase_add_test(tc, test_write);
	tcase_add_test(tc, test_scalar_top);
	suite_add_tcase(s, tc);

	tc = tcase_create("misuse");
	tcase_add_exit_test(tc, test_value_without_key, 1);
	tcase_add_exit_test(tc, test_key_in_array, 1);
	tcase_add_exit_test(tc, test_bad_close, 1);
	tcase_add_exit_test(tc, test_two_documents, 1);
	tcase_add_exit_test(tc, test_write_incomplete, 1);
	suite_add_tcase(s, tc);
	return (s);
}
