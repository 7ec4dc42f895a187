/*
 * Tests of lib/crc32c.c: known CRC-32C vectors (RFC 3720 B.4 and the
 * classic "123456789"), a bit-at-a-time reference, hardware and table
 * agreeing at every length and alignment (around each block size of the
 * three-chain hardware code in particular), and continuation over split
 * buffers.  Random data comes from a fixed seed, so a failure repeats.
 */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crc32c.h"

#define BIG	((1 << 20) + 8192)	/* bytes in the random buffer */

/* The next number of a xorshift64 sequence kept in *s. */
static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (*s);
}

/* A BIG-byte buffer of random bytes from seed; the caller frees it. */
static uint8_t *
rnd_buf(uint64_t seed)
{
	uint8_t	*buf;
	size_t	 i;

	buf = malloc(BIG);
	ck_assert_ptr_nonnull(buf);
	for (i = 0; i < BIG; i++)
		buf[i] = (uint8_t)(rnd(&seed) >> 32);
	return (buf);
}

/* CRC-32C one bit at a time, straight from the definition. */
static uint32_t
crc_bitwise(uint32_t crc, const uint8_t *p, size_t len)
{
	int	k;

	crc = ~crc;
	while (len-- > 0) {
		crc ^= *p++;
		for (k = 0; k < 8; k++)
			crc = (crc & 1) ? (crc >> 1) ^ 0x82f63b78U : crc >> 1;
	}
	return (~crc);
}

/*
 * Check crc32c(), crc32c_sw() and, if the CPU has it, crc32c_hw() against
 * each other over len bytes at buf, continuing crc.
 */
static void
check_agree(uint32_t crc, const uint8_t *buf, size_t len)
{
	uint32_t	sw = crc32c_sw(crc, buf, len);

	ck_assert_msg(crc32c(crc, buf, len) == sw,
	    "crc32c differs from table: len %zu, address %% 64 = %u", len,
	    (unsigned)((uintptr_t)buf & 63));
	if (crc32c_have_hw()) {
		ck_assert_msg(crc32c_hw(crc, buf, len) == sw,
		    "hardware differs from table: len %zu, address %% 64 = %u",
		    len, (unsigned)((uintptr_t)buf & 63));
	}
}

START_TEST(test_vectors)
{
	uint8_t	buf[48];
	int	i;

	ck_assert_uint_eq(crc32c(0, "123456789", 9), 0xe3069283U);
	ck_assert_uint_eq(crc32c_sw(0, "123456789", 9), 0xe3069283U);
	ck_assert_uint_eq(crc32c(0, "", 0), 0);
	memset(buf, 0, 32);
	ck_assert_uint_eq(crc32c(0, buf, 32), 0x8a9136aaU);
	memset(buf, 0xff, 32);
	ck_assert_uint_eq(crc32c(0, buf, 32), 0x62a8ab43U);
	for (i = 0; i < 32; i++)
		buf[i] = (uint8_t)i;
	ck_assert_uint_eq(crc32c(0, buf, 32), 0x46dd794eU);
	ck_assert_uint_eq(crc32c_sw(0, buf, 32), 0x46dd794eU);
	for (i = 0; i < 32; i++)
		buf[i] = (uint8_t)(31 - i);
	ck_assert_uint_eq(crc32c(0, buf, 32), 0x113fdb5cU);
	/* RFC 3720 B.4: an iSCSI read command PDU. */
	memset(buf, 0, sizeof buf);
	buf[0] = 0x01; buf[1] = 0xc0; buf[14] = 0x00; buf[15] = 0x00;
	buf[16] = 0x14; buf[20] = 0x00; buf[21] = 0x00; buf[22] = 0x04;
	buf[24] = 0x00; buf[25] = 0x00; buf[26] = 0x00; buf[27] = 0x14;
	buf[28] = 0x00; buf[29] = 0x00; buf[30] = 0x00; buf[31] = 0x18;
	buf[32] = 0x28; buf[40] = 0x02;
	ck_assert_uint_eq(crc32c(0, buf, 48), 0xd9963a56U);
	ck_assert_uint_eq(crc32c_sw(0, buf, 48), 0xd9963a56U);
}
END_TEST

START_TEST(test_reference)
{
	static const size_t	 lens[] = { 0, 1, 7, 8, 63, 191, 192, 200, 767,
	    768, 1024, 1100, 24575, 24576, 24577, 3 * 24576 + 957, BIG - 5 };
	uint8_t			*buf = rnd_buf(1);
	uint64_t		 seed = 2;
	size_t			 i, off;
	uint32_t		 crc, want;

	for (i = 0; i < sizeof lens / sizeof lens[0]; i++) {
		off = rnd(&seed) % 5;
		crc = (uint32_t)rnd(&seed);
		want = crc_bitwise(crc, buf + off, lens[i]);
		ck_assert_uint_eq(crc32c_sw(crc, buf + off, lens[i]), want);
		ck_assert_uint_eq(crc32c(crc, buf + off, lens[i]), want);
		if (crc32c_have_hw())
			ck_assert_uint_eq(crc32c_hw(crc, buf + off, lens[i]),
			    want);
	}
	free(buf);
}
END_TEST

START_TEST(test_hw_matches_table)
{
	uint8_t		buf[1100];
	size_t		len, off;
	uint32_t	x = 12345;

	if (!crc32c_have_hw()) {
		/* crc32c_hw() would run an instruction this CPU lacks. */
		fprintf(stderr, "crc32c: no SSE4.2 here, table only\n");
		return;
	}
	for (off = 0; off < sizeof buf; off++) {
		x = x * 1103515245 + 12345;
		buf[off] = (uint8_t)(x >> 16);
	}
	for (off = 0; off < 9; off++) {
		for (len = 0; len + off <= sizeof buf; len += 37) {
			ck_assert_uint_eq(crc32c_hw(0, buf + off, len),
			    crc32c_sw(0, buf + off, len));
		}
	}
}
END_TEST

START_TEST(test_random)
{
	static const size_t	 blks[] = { 64, 256, 8192 };
	uint8_t			*buf = rnd_buf(3);
	uint64_t		 seed = 4;
	size_t			 len, i, k, off;
	int			 d;

	/* Every length to 6 KiB, each at a random start. */
	for (len = 0; len <= 6144; len++)
		check_agree((uint32_t)rnd(&seed), buf + rnd(&seed) % 64, len);
	/* Around one, two and three groups of each block size, all starts. */
	for (i = 0; i < sizeof blks / sizeof blks[0]; i++) {
		for (k = 1; k <= 3; k++) {
			for (d = -9; d <= 9; d++) {
				len = 3 * blks[i] * k + d;
				for (off = 0; off < 8; off++)
					check_agree((uint32_t)rnd(&seed),
					    buf + off, len);
			}
		}
	}
	/* Random lengths to 200 KiB, and large odd ones. */
	for (i = 0; i < 200; i++) {
		len = rnd(&seed) % 204800;
		check_agree((uint32_t)rnd(&seed), buf + rnd(&seed) % 64, len);
	}
	for (off = 0; off < 8; off++) {
		check_agree(0, buf + off, (1 << 20) + 1 + 2 * off);
		check_agree(0, buf + off, BIG - 8);
	}
	free(buf);
}
END_TEST

START_TEST(test_continue)
{
	const char	*s = "The quick brown fox jumps over the lazy dog";
	size_t		 n = strlen(s), cut;
	uint32_t	 whole = crc32c(0, s, n);

	ck_assert_uint_eq(whole, 0x22620404U);
	for (cut = 0; cut <= n; cut++) {
		ck_assert_uint_eq(crc32c(crc32c(0, s, cut), s + cut, n - cut),
		    whole);
		ck_assert_uint_eq(crc32c_sw(crc32c_hw(0, s, cut), s + cut,
		    n - cut), whole);
	}
}
END_TEST

START_TEST(test_continue_random)
{
	uint8_t		*buf = rnd_buf(5);
	uint64_t	 seed = 6;
	size_t		 len, at, cut, off;
	uint32_t	 whole, crc;
	int		 i, n, way;

	for (i = 0; i < 300; i++) {
		len = (i % 10 == 0) ? (1 << 20) + rnd(&seed) % 4096 :
		    rnd(&seed) % 65536;
		off = rnd(&seed) % 8;
		whole = crc32c_sw(0, buf + off, len);
		crc = 0;
		at = 0;
		/* Up to five pieces, each through a random implementation. */
		for (n = 1 + (int)(rnd(&seed) % 5); n > 0; n--) {
			cut = (n == 1) ? len - at : rnd(&seed) % (len - at + 1);
			way = (int)(rnd(&seed) % 3);
			if (way == 0 || (way == 2 && !crc32c_have_hw()))
				crc = crc32c(crc, buf + off + at, cut);
			else if (way == 1)
				crc = crc32c_sw(crc, buf + off + at, cut);
			else
				crc = crc32c_hw(crc, buf + off + at, cut);
			at += cut;
		}
		ck_assert_msg(crc == whole, "split crc differs: len %zu", len);
	}
	free(buf);
}
END_TEST

Suite *
crc32c_suite(void)
{
	Suite	*s = suite_create("crc32c");
	TCase	*tc;

	tc = tcase_create("crc32c");
	tcase_add_test(tc, test_vectors);
	tcase_add_test(tc, test_reference);
	tcase_add_test(tc, test_hw_matches_table);
	tcase_add_test(tc, test_random);
	tcase_add_test(tc, test_continue);
	tcase_add_test(tc, test_continue_random);
	suite_add_tcase(s, tc);
	return (s);
}
