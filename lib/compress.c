/*
 * LZ4 for message bodies.  A compressed body is a 4-byte little-endian
 * original length followed by one LZ4 block (LZ4_compress_default), so a
 * reader knows the size to allocate, checks it against its own limit first
 * and lets LZ4_decompress_safe() refuse any block that would write past it
 * or read past its input.  The commit log only keeps the "compressed" flag;
 * producers compress, consumers decompress.
 */
#include "config.h"

#include <lz4.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "compress.h"
#include "xmalloc.h"

/* Largest compressed size of n input bytes, header included. */
size_t
compress_bound(size_t n)
{
	if (n > COMPRESS_MAX)
		return (0);
	return (COMPRESS_HEADER + (size_t)LZ4_compressBound((int)n));
}

/* Compress n bytes at src into a new buffer *out of *outlen bytes. */
int
compress_lz4(const void *src, size_t n, void **out, size_t *outlen,
    char **cause)
{
	uint8_t	*buf;
	size_t	 cap;
	int	 r;

	if (n > COMPRESS_MAX) {
		xasprintf(cause, "body of %zu bytes is over the %u byte limit",
		    n, COMPRESS_MAX);
		return (-1);
	}
	cap = compress_bound(n);
	buf = xmalloc(cap);
	buf[0] = n & 0xff;
	buf[1] = (n >> 8) & 0xff;
	buf[2] = (n >> 16) & 0xff;
	buf[3] = (n >> 24) & 0xff;
	r = LZ4_compress_default(src, (char *)buf + COMPRESS_HEADER, (int)n,
	    (int)(cap - COMPRESS_HEADER));
	if (r <= 0 && n != 0) {
		free(buf);
		xasprintf(cause, "LZ4 compression failed");
		return (-1);
	}
	*out = buf;
	*outlen = COMPRESS_HEADER + (size_t)r;
	return (0);
}

/* Read the original size from a compressed body's header. */
int
compress_original_size(const void *src, size_t n, size_t *size, char **cause)
{
	const uint8_t	*p = src;
	uint32_t	 v;

	if (n < COMPRESS_HEADER) {
		xasprintf(cause, "compressed body of %zu bytes is too short",
		    n);
		return (-1);
	}
	v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
	if (v > COMPRESS_MAX) {
		xasprintf(cause, "compressed body claims %u bytes, over the "
		    "%u byte limit", v, COMPRESS_MAX);
		return (-1);
	}
	*size = v;
	return (0);
}

/*
 * Decompress n bytes at src into dst of cap bytes; *outlen gets the size.
 * Fails, without writing past cap, on a header or block that does not fit.
 */
int
decompress_lz4(const void *src, size_t n, void *dst, size_t cap,
    size_t *outlen, char **cause)
{
	size_t	size;
	int	r;

	if (compress_original_size(src, n, &size, cause) != 0)
		return (-1);
	if (size > cap) {
		xasprintf(cause, "compressed body of %zu bytes does not fit "
		    "in %zu", size, cap);
		return (-1);
	}
	if (n - COMPRESS_HEADER > INT32_MAX) {
		xasprintf(cause, "compressed body is too large");
		return (-1);
	}
	r = LZ4_decompress_safe((const char *)src + COMPRESS_HEADER, dst,
	    (int)(n - COMPRESS_HEADER), (int)size);
	if (r < 0 || (size_t)r != size) {
		xasprintf(cause, "corrupt LZ4 block (%zu bytes expected)",
		    size);
		return (-1);
	}
	*outlen = size;
	return (0);
}

/*
 * Decompress into a new buffer *out (caller frees), refusing bodies larger
 * than limit bytes before allocating.
 */
int
decompress_lz4_alloc(const void *src, size_t n, size_t limit, void **out,
    size_t *outlen, char **cause)
{
	size_t	 size;
	void	*buf;

	if (compress_original_size(src, n, &size, cause) != 0)
		return (-1);
	if (size > limit) {
		xasprintf(cause, "compressed body of %zu bytes is over the "
		    "%zu byte limit", size, limit);
		return (-1);
	}
	buf = xmalloc(size == 0 ? 1 : size);
	if (decompress_lz4(src, n, buf, size, outlen, cause) != 0) {
		free(buf);
		return (-1);
	}
	*out = buf;
	return (0);
}
