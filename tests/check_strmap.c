/*
 * Tests of lib/strmap.c: put, replace, get, remove, growth, walking every
 * entry once, and sorted keys.
 */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strmap.h"
#include "xmalloc.h"

START_TEST(test_basic)
{
	struct strmap	*m = strmap_new();
	int		 a = 1, b = 2;

	ck_assert_uint_eq(strmap_count(m), 0);
	ck_assert_ptr_null(strmap_get(m, "x"));
	ck_assert_ptr_null(strmap_put(m, "x", &a));
	ck_assert_ptr_eq(strmap_get(m, "x"), &a);
	ck_assert_ptr_eq(strmap_put(m, "x", &b), &a);
	ck_assert_ptr_eq(strmap_get(m, "x"), &b);
	ck_assert_uint_eq(strmap_count(m), 1);
	ck_assert_ptr_null(strmap_remove(m, "y"));
	ck_assert_ptr_eq(strmap_remove(m, "x"), &b);
	ck_assert_uint_eq(strmap_count(m), 0);
	ck_assert_ptr_null(strmap_get(m, "x"));
	ck_assert_ptr_null(strmap_put(m, "", &a));
	ck_assert_ptr_eq(strmap_get(m, ""), &a);
	strmap_free(m, NULL);
}
END_TEST

START_TEST(test_many)
{
	struct strmap	*m = strmap_new();
	char		 key[32], *seen;
	const char	*k, **keys, *prev = NULL;
	size_t		 n = 10000, i, iter = 0, count = 0, nk;
	void		*v;

	for (i = 0; i < n; i++) {
		snprintf(key, sizeof key, "key-%zu", i);
		ck_assert_ptr_null(strmap_put(m, key, xstrdup(key)));
	}
	ck_assert_uint_eq(strmap_count(m), n);
	for (i = 0; i < n; i += 7) {
		snprintf(key, sizeof key, "key-%zu", i);
		ck_assert_str_eq(strmap_get(m, key), key);
	}
	seen = xcalloc(n, 1);
	while (strmap_next(m, &iter, &k, &v)) {
		ck_assert_str_eq(k, v);
		i = strtoul(k + 4, NULL, 10);
		ck_assert_int_eq(seen[i], 0);
		seen[i] = 1;
		count++;
	}
	ck_assert_uint_eq(count, n);
	ck_assert_int_eq(strmap_next(m, &iter, &k, &v), 0);
	free(seen);
	for (i = 0; i < n; i += 2) {
		snprintf(key, sizeof key, "key-%zu", i);
		free(strmap_remove(m, key));
	}
	ck_assert_uint_eq(strmap_count(m), n / 2);
	keys = strmap_keys(m, &nk);
	ck_assert_uint_eq(nk, n / 2);
	for (i = 0; i < nk; i++) {
		if (prev != NULL)
			ck_assert_int_lt(strcmp(prev, keys[i]), 0);
		prev = keys[i];
	}
	free(keys);
	strmap_free(m, free);
}
END_TEST

START_TEST(test_empty_keys)
{
	struct strmap	*m = strmap_new();
	const char	**keys;
	size_t		  n, iter = 0;

	keys = strmap_keys(m, &n);
	ck_assert_uint_eq(n, 0);
	free(keys);
	ck_assert_int_eq(strmap_next(m, &iter, NULL, NULL), 0);
	strmap_free(m, free);
	strmap_free(NULL, free);
}
END_TEST

Suite *
strmap_suite(void)
{
	Suite	*s = suite_create("strmap");
	TCase	*tc;

	tc = tcase_create("strmap");
	tcase_add_test(tc, test_basic);
	tcase_add_test(tc, test_many);
	tcase_add_test(tc, test_empty_keys);
	suite_add_tcase(s, tc);
	return (s);
}
