/*
 * Tests of lib/crc32c.c: known CRC-32C vectors (RFC 3720 B.4 and the
 * classic "123456789"), hardware and table agreeing at every length and
 * alignment, and continuation over split buffers.
 */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "crc32c.h"

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

START_TEST(test_hw_matches_table)
{
	uint8_t		buf[1100];
	size_t		len, off;
	uint32_t	x = 12345;

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
	if (!crc32c_have_hw())
		fprintf(stderr, "crc32c: no SSE4.2 here, table only\n");
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

Suite *
crc32c_suite(void)
{
	Suite	*s = suite_create("crc32c");
	TCase	*tc;

	tc = tcase_create("crc32c");
	tcase_add_test(tc, test_vectors);
	tcase_add_test(tc, test_hw_matches_table);
	tcase_add_test(tc, test_continue);
	suite_add_tcase(s, tc);
	return (s);
}
