/*
 * LZ4 block compression of message bodies, with every size checked
 * before a byte is read or written.
 */
#ifndef COMPRESS_H
#define COMPRESS_H

#include <stddef.h>
#include <stdint.h>

#define COMPRESS_HEADER		4	/* original length, little endian */
#define COMPRESS_MAX		(64U * 1024 * 1024)

size_t	compress_bound(size_t);
int	compress_lz4(const void *, size_t, void **, size_t *, char **);
int	compress_original_size(const void *, size_t, size_t *, char **);
int	decompress_lz4(const void *, size_t, void *, size_t, size_t *,
	    char **);
int	decompress_lz4_alloc(const void *, size_t, size_t, void **,
	    size_t *, char **);

#endif /* COMPRESS_H */
