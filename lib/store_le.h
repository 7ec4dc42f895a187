/*
 * Little-endian loads and stores for the store's on-disk formats, safe at
 * any alignment (the BSD <sys/endian.h> names, which glibc lacks).
 */
#ifndef STORE_LE_H
#define STORE_LE_H

#include <stdint.h>
#include <string.h>

static inline void
le16enc(void *p, uint16_t v)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap16(v);
#endif
	memcpy(p, &v, sizeof v);
}

static inline void
le32enc(void *p, uint32_t v)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap32(v);
#endif
	memcpy(p, &v, sizeof v);
}

static inline void
le64enc(void *p, uint64_t v)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	memcpy(p, &v, sizeof v);
}

static inline uint16_t
le16dec(const void *p)
{
	uint16_t	v;

	memcpy(&v, p, sizeof v);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap16(v);
#endif
	return (v);
}

static inline uint32_t
le32dec(const void *p)
{
	uint32_t	v;

	memcpy(&v, p, sizeof v);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap32(v);
#endif
	return (v);
}

static inline uint64_t
le64dec(const void *p)
{
	uint64_t	v;

	memcpy(&v, p, sizeof v);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return (v);
}

#endif /* STORE_LE_H */
