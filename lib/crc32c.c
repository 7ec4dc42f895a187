/*
 * CRC-32C (Castagnoli, reflected polynomial 0x82f63b78), as iSCSI, ext4 and
 * RocketMQ's commit log use it.  crc32c(0, buf, len) is the checksum of buf;
 * passing a previous result continues it over more bytes.
 *
 * On x86-64 with SSE4.2 the crc32 instruction does eight bytes in three
 * cycles but can start a new one every cycle, so from 192 bytes on the
 * buffer is cut into groups of three equal blocks that run as independent
 * chains, and the three registers are then joined.  Joining is cheap because
 * the CRC register is linear: the register after blocks a and b is a's
 * register carried over len(b) zero bytes, which is four lookups in a table
 * built once per block size, XORed with b's register started from zero.
 * Elsewhere a slicing-by-8 table does the work.  The choice is made on the
 * first call and kept.
 */
#include "config.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "crc32c.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define CRC32C_X86
#endif

#define CRC32C_POLY	0x82f63b78U
#define CRC32C_LONG	8192	/* bytes in each of three long blocks */
#define CRC32C_SHORT	256	/* in each of three short ones */
#define CRC32C_TINY	64	/* and in each of three tiny ones */

static uint32_t		crc32c_table[8][256];
static pthread_once_t	crc32c_once = PTHREAD_ONCE_INIT;
static int		crc32c_hw_ok;
#ifdef CRC32C_X86
static uint32_t		crc32c_long[4][256];	/* shift over CRC32C_LONG */
static uint32_t		crc32c_short[4][256];	/* shift over CRC32C_SHORT */
static uint32_t		crc32c_tiny[4][256];	/* shift over CRC32C_TINY */

/*
 * a times b modulo the polynomial, both reflected (bit 31 holds x^0), as
 * zlib's multmodp().
 */
static uint32_t
crc32c_multmodp(uint32_t a, uint32_t b)
{
	uint32_t	m, p = 0;

	for (m = 1U << 31; m != 0; m >>= 1) {
		if (a & m)
			p ^= b;
		b = (b & 1) ? (b >> 1) ^ CRC32C_POLY : b >> 1;
	}
	return (p);
}

/*
 * Fill t so that crc32c_shift(t, c) is the raw register c carried over len
 * zero bytes, that is c times x^(8 * len) modulo the polynomial.
 */
static void
crc32c_shift_init(uint32_t t[4][256], size_t len)
{
	uint32_t	xn = 1U << 31;
	size_t		i;
	int		k;

	for (i = 0; i < 8 * len; i++)
		xn = (xn & 1) ? (xn >> 1) ^ CRC32C_POLY : xn >> 1;
	for (k = 0; k < 4; k++) {
		for (i = 0; i < 256; i++)
			t[k][i] = crc32c_multmodp(xn, (uint32_t)i << (8 * k));
	}
}
#endif

/* Build the tables and probe the CPU; runs once. */
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
#ifdef CRC32C_X86
	__builtin_cpu_init();
	crc32c_hw_ok = __builtin_cpu_supports("sse4.2");
	if (crc32c_hw_ok) {
		crc32c_shift_init(crc32c_long, CRC32C_LONG);
		crc32c_shift_init(crc32c_short, CRC32C_SHORT);
		crc32c_shift_init(crc32c_tiny, CRC32C_TINY);
	}
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

#ifdef CRC32C_X86
/*
 * The raw CRC register c carried over as many zero bytes as t was built for
 * by crc32c_shift_init(), one lookup per byte of c.
 */
static inline uint32_t
crc32c_shift(const uint32_t t[4][256], uint32_t c)
{
	return (t[0][c & 0xff] ^ t[1][(c >> 8) & 0xff] ^
	    t[2][(c >> 16) & 0xff] ^ t[3][c >> 24]);
}

/*
 * Run the raw register c over whole groups of three blk-byte blocks from
 * *pp, three crc32 chains at once, and advance *pp and *lenp past them.
 * The second and third chains start from zero; each block's register is
 * shifted over the next block and folded into that one's.
 */
__attribute__((__target__("sse4.2")))
static inline uint64_t
crc32c_hw_triple(uint64_t c, const uint8_t **pp, size_t *lenp, size_t blk,
    const uint32_t shift[4][256])
{
	const uint8_t	*p = *pp, *end;
	size_t		 len = *lenp;
	uint64_t	 c1, c2, w0, w1, w2;

	while (len >= 3 * blk) {
		c1 = c2 = 0;
		end = p + blk;
		do {
			memcpy(&w0, p, 8);
			memcpy(&w1, p + blk, 8);
			memcpy(&w2, p + 2 * blk, 8);
			c = __builtin_ia32_crc32di(c, w0);
			c1 = __builtin_ia32_crc32di(c1, w1);
			c2 = __builtin_ia32_crc32di(c2, w2);
			p += 8;
		} while (p < end);
		c = crc32c_shift(shift, (uint32_t)c) ^ c1;
		c = crc32c_shift(shift, (uint32_t)c) ^ c2;
		p += 2 * blk;
		len -= 3 * blk;
	}
	*pp = p;
	*lenp = len;
	return (c);
}

/*
 * The SSE4.2 implementation, once crc32c_init() has run and found the
 * instruction.  Buffers go through three interleaved chains in groups of
 * CRC32C_LONG blocks, then CRC32C_SHORT, then CRC32C_TINY ones; what is
 * left, under 192 bytes, through one chain eight bytes at a time.
 */
__attribute__((__target__("sse4.2")))
static uint32_t
crc32c_sse42(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t	*p = buf;
	uint64_t	 c = ~crc, w;
	uint32_t	 h;
	uint16_t	 s;

	if (len >= 8) {
		/* Align p to eight bytes, so the three chains load aligned. */
		if ((uintptr_t)p & 1) {
			c = __builtin_ia32_crc32qi((uint32_t)c, *p++);
			len--;
		}
		if ((uintptr_t)p & 2) {
			memcpy(&s, p, 2);
			c = __builtin_ia32_crc32hi((uint32_t)c, s);
			p += 2;
			len -= 2;
		}
		if ((uintptr_t)p & 4) {
			memcpy(&h, p, 4);
			c = __builtin_ia32_crc32si((uint32_t)c, h);
			p += 4;
			len -= 4;
		}
	}
	c = crc32c_hw_triple(c, &p, &len, CRC32C_LONG, crc32c_long);
	c = crc32c_hw_triple(c, &p, &len, CRC32C_SHORT, crc32c_short);
	c = crc32c_hw_triple(c, &p, &len, CRC32C_TINY, crc32c_tiny);
	while (len >= 8) {
		memcpy(&w, p, 8);
		c = __builtin_ia32_crc32di(c, w);
		p += 8;
		len -= 8;
	}
	if (len & 4) {
		memcpy(&h, p, 4);
		c = __builtin_ia32_crc32si((uint32_t)c, h);
		p += 4;
	}
	if (len & 2) {
		memcpy(&s, p, 2);
		c = __builtin_ia32_crc32hi((uint32_t)c, s);
		p += 2;
	}
	if (len & 1)
		c = __builtin_ia32_crc32qi((uint32_t)c, *p);
	return (~(uint32_t)c);
}

/* The SSE4.2 implementation; only called when the CPU has it. */
uint32_t
crc32c_hw(uint32_t crc, const void *buf, size_t len)
{
	pthread_once(&crc32c_once, crc32c_init);
	return (crc32c_sse42(crc, buf, len));
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
	pthread_once(&crc32c_once, crc32c_init);
#ifdef CRC32C_X86
	if (crc32c_hw_ok)
		return (crc32c_sse42(crc, buf, len));
#endif
	return (crc32c_sw(crc, buf, len));
}
