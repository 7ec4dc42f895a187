/*
 * CRC-32C (Castagnoli, reflected polynomial 0x82f63b78), as iSCSI, ext4 and
 * RocketMQ's commit log use it.  crc32c(0, buf, len) is the checksum of buf;
 * passing a previous result continues it over more bytes.
 *
 * On x86-64 with SSE4.2 the crc32 instruction does eight bytes a cycle or
 * so; elsewhere a slicing-by-8 table built once does the same work.  The
 * choice is made on the first call and kept.
 */
#include "config.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "crc32c.h"

#define CRC32C_POLY	0x82f63b78U

static uint32_t		crc32c_table[8][256];
static pthread_once_t	crc32c_once = PTHREAD_ONCE_INIT;
static int		crc32c_hw_ok;

/* Build the slicing tables and probe the CPU; runs once. */
static void
crc32c_init(void)
{
	uint32_t	c;
	int		i, j, k;

	for (i = 0; i < 256; i++) {
		c = (uint32_t)i;
		for (j = 0; j < 8; j++)
			c = (c & 1) ? (c >> 1) ^ CRC32C_POLY : c >> 1;
		crc32c_table[0][i] = c;
	}
	for (i = 0; i < 256; i++) {
		c = crc32c_table[0][i];
		for (k = 1; k < 8; k++) {
			c = crc32c_table[0][c & 0xff] ^ (c >> 8);
			crc32c_table[k][i] = c;
		}
	}
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
	__builtin_cpu_init();
	crc32c_hw_ok = __builtin_cpu_supports("sse4.2");
#endif
}

/* Whether crc32c() uses the CPU's instruction. */
int
crc32c_have_hw(void)
{
	pthread_once(&crc32c_once, crc32c_init);
	return (crc32c_hw_ok);
}

/* The table implementation, slicing eight bytes at a time. */
uint32_t
crc32c_sw(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t	*p = buf;
	uint64_t	 w;

	pthread_once(&crc32c_once, crc32c_init);
	crc = ~crc;
	while (len > 0 && ((uintptr_t)p & 7) != 0) {
		crc = crc32c_table[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
		len--;
	}
	while (len >= 8) {
		memcpy(&w, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
		w = __builtin_bswap64(w);
#endif
		w ^= crc;
		crc = crc32c_table[7][w & 0xff] ^
		    crc32c_table[6][(w >> 8) & 0xff] ^
		    crc32c_table[5][(w >> 16) & 0xff] ^
		    crc32c_table[4][(w >> 24) & 0xff] ^
		    crc32c_table[3][(w >> 32) & 0xff] ^
		    crc32c_table[2][(w >> 40) & 0xff] ^
		    crc32c_table[1][(w >> 48) & 0xff] ^
		    crc32c_table[0][w >> 56];
		p += 8;
		len -= 8;
	}
	while (len-- > 0)
		crc = crc32c_table[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return (~crc);
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
/* The SSE4.2 implementation; only called when the CPU has it. */
__attribute__((__target__("sse4.2")))
uint32_t
crc32c_hw(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t	*p = buf;
	uint64_t	 c = ~crc, w;

	while (len > 0 && ((uintptr_t)p & 7) != 0) {
		c = __builtin_ia32_crc32qi((uint32_t)c, *p++);
		len--;
	}
	while (len >= 8) {
		memcpy(&w, p, 8);
		c = __builtin_ia32_crc32di(c, w);
		p += 8;
		len -= 8;
	}
	while (len-- > 0)
		c = __builtin_ia32_crc32qi((uint32_t)c, *p++);
	return (~(uint32_t)c);
}
#else
/* No instruction on this architecture: the table. */
uint32_t
crc32c_hw(uint32_t crc, const void *buf, size_t len)
{
	return (crc32c_sw(crc, buf, len));
}
#endif

/* CRC-32C of len bytes at buf, continuing crc (0 to start). */
uint32_t
crc32c(uint32_t crc, const void *buf, size_t len)
{
	if (crc32c_have_hw())
		return (crc32c_hw(crc, buf, len));
	return (crc32c_sw(crc, buf, len));
}
