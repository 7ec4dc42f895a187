/*
 * Tests of lib/compress.c: round trips, and that truncated, corrupt or
 * oversized input is refused without reading or writing out of bounds.
 */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "compress.h"

START_TEST(test_round_trip)
{
	size_t		 sizes[] = { 0, 1, 100, 4096, 100000 };
	uint8_t		*src, *back;
	void		*out;
	size_t		 i, j, outlen, backlen;
	char		*cause = NULL;

	for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		src = malloc(sizes[i] + 1);
		for (j = 0; j < sizes[i]; j++)
			src[j] = (uint8_t)((j % 17) * (j % 5));
		ck_assert_int_eq(compress_lz4(src, sizes[i], &out, &outlen,
		    &cause), 0);
		ck_assert_uint_le(outlen, compress_bound(sizes[i]));
		if (sizes[i] >= 4096)
			ck_assert_uint_lt(outlen, sizes[i] / 2);
		ck_assert_int_eq(decompress_lz4_alloc(out, outlen, 1 << 20,
		    (void **)&back, &backlen, &cause), 0);
		ck_assert_uint_eq(backlen, sizes[i]);
		ck_assert(sizes[i] == 0 || memcmp(back, src, sizes[i]) == 0);
		free(back);
		free(out);
		free(src);
	}
}
END_TEST

START_TEST(test_bounds)
{
	uint8_t		 src[4096], dst[4096];
	void		*out, *back;
	size_t		 outlen, got, n;
	char		*cause = NULL;

	memset(src, 'a', sizeof src);
	ck_assert_int_eq(compress_lz4(src, sizeof src, &out, &outlen,
	    &cause), 0);
	/* Too small a destination. */
	ck_assert_int_eq(decompress_lz4(out, outlen, dst, 100, &got, &cause),
	    -1);
	ck_assert_ptr_nonnull(strstr(cause, "does not fit"));
	free(cause);
	/* Over the caller's limit: refused before allocating. */
	ck_assert_int_eq(decompress_lz4_alloc(out, outlen, 1000, &back, &got,
	    &cause), -1);
	free(cause);
	/* Truncated input, at every length. */
	for (n = 0; n < outlen; n++) {
		cause = NULL;
		ck_assert_int_eq(decompress_lz4(out, n, dst, sizeof dst, &got,
		    &cause), -1);
		free(cause);
	}
	/* A header claiming a huge size. */
	memset(out, 0xff, 4);
	ck_assert_int_eq(decompress_lz4_alloc(out, outlen, SIZE_MAX, &back,
	    &got, &cause), -1);
	free(cause);
	free(out);
}
END_TEST

START_TEST(test_garbage)
{
	uint8_t		buf[256], dst[1024];
	uint32_t	x = 7;
	size_t		i, got;
	int		round;
	char		*cause;

	for (round = 0; round < 2000; round++) {
		for (i = 0; i < sizeof buf; i++) {
			x = x * 1103515245 + 12345;
			buf[i] = (uint8_t)(x >> 16);
		}
		buf[0] = (uint8_t)(x % 200);
		buf[1] = buf[2] = buf[3] = 0;
		cause = NULL;
		if (decompress_lz4(buf, (size_t)(x % sizeof buf), dst,
		    sizeof dst, &got, &cause) == 0)
			ck_assert_uint_le(got, sizeof dst);
		free(cause);
	}
}
END_TEST

Suite *
compress_suite(void)
{
	Suite	*s = suite_create("compress");
	TCase	*tc;

	tc = tcase_create("lz4");
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_bounds);
	tcase_add_test(tc, test_garbage);
	suite_add_tcase(s, tc);
	return (s);
}
