/*
 * Files holding one protobuf-c message under a checksummed header.  A file
 * is replaced atomically: written to "<file>.tmp", fsync'd, renamed over
 * the file, and the directory fsync'd; if any step fails the old file is
 * left as it was.  Reading checks the magic, the version, the length and
 * the checksum before decoding; a missing file reads as no message, a
 * short, foreign or corrupt one is an error, never an empty table.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crc32c.h"
#include "msg.h"
#include "msgfile.h"
#include "xmalloc.h"

#define MSGFILE_VERSION	1

static void
msgfile_put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static uint32_t
msgfile_get32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3]);
}

/* Write all of buf to fd; 0 or -1 with errno. */
static int
msgfile_write_all(int fd, const uint8_t *buf, size_t len)
{
	ssize_t	n;

	while (len != 0) {
		if ((n = write(fd, buf, len)) == -1) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		buf += n;
		len -= (size_t)n;
	}
	return (0);
}

/* fsync(2) the directory holding path. */
static int
msgfile_sync_dir(const char *path)
{
	const char	*slash;
	char		*dir;
	int		 fd, rc;

	if ((slash = strrchr(path, '/')) == NULL)
		dir = xstrdup(".");
	else
		dir = xstrndup(path, slash == path ? 1 :
		    (size_t)(slash - path));
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	if (fd == -1)
		return (-1);
	rc = fsync(fd);
	close(fd);
	return (rc);
}

/*
 * Replace path atomically with m under an 8-byte magic; 0, or -1 with
 * cause and the old file untouched.
 */
int
msgfile_save(const char *path, const char *magic, const ProtobufCMessage *m,
    char **cause)
{
	uint8_t	*buf;
	size_t	 len;
	char	*tmp;
	int	 fd;

	len = protobuf_c_message_get_packed_size(m);
	buf = xmalloc(MSGFILE_HEADER + len);
	memcpy(buf, magic, 8);
	msgfile_put32(buf + 8, MSGFILE_VERSION);
	msgfile_put32(buf + 12, (uint32_t)len);
	protobuf_c_message_pack(m, buf + MSGFILE_HEADER);
	msgfile_put32(buf + 16, crc32c(0, buf + MSGFILE_HEADER, len));

	xasprintf(&tmp, "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd == -1) {
		xasprintf(cause, "%s: %s", tmp, strerror(errno));
		goto fail;
	}
	if (msgfile_write_all(fd, buf, MSGFILE_HEADER + len) != 0 ||
	    fsync(fd) != 0) {
		xasprintf(cause, "%s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		goto fail;
	}
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		unlink(tmp);
		goto fail;
	}
	free(tmp);
	free(buf);
	if (msgfile_sync_dir(path) != 0) {
		xasprintf(cause, "%s: syncing its directory: %s", path,
		    strerror(errno));
		return (-1);
	}
	return (0);

fail:
	free(tmp);
	free(buf);
	return (-1);
}

/* Check a file's header and decode its message; 0, or -1 with cause. */
static int
msgfile_decode(const char *path, const char *magic, const char *what,
    const ProtobufCMessageDescriptor *desc, const uint8_t *buf, size_t size,
    ProtobufCMessage **m, char **cause)
{
	uint32_t	len;

	if (size < MSGFILE_HEADER || memcmp(buf, magic, 8) != 0) {
		xasprintf(cause, "%s: not a Petrel %s file", path, what);
		return (-1);
	}
	if (msgfile_get32(buf + 8) != MSGFILE_VERSION) {
		xasprintf(cause, "%s: unknown version %" PRIu32, path,
		    msgfile_get32(buf + 8));
		return (-1);
	}
	len = msgfile_get32(buf + 12);
	if (len != size - MSGFILE_HEADER) {
		xasprintf(cause, "%s: corrupt: %" PRIu32 " bytes of data "
		    "announced, %zu found", path, len, size - MSGFILE_HEADER);
		return (-1);
	}
	if (crc32c(0, buf + MSGFILE_HEADER, len) != msgfile_get32(buf + 16)) {
		xasprintf(cause, "%s: corrupt: checksum mismatch", path);
		return (-1);
	}
	if ((*m = msg_unpack(desc, buf + MSGFILE_HEADER, len)) == NULL) {
		xasprintf(cause, "%s: corrupt: the data does not decode", path);
		return (-1);
	}
	return (0);
}

/*
 * Read the message of type desc kept in path under magic into *m (NULL if
 * there is no file); what names the file in errors and max bounds its
 * size.  0, or -1 with cause.
 */
int
msgfile_load(const char *path, const char *magic, const char *what,
    const ProtobufCMessageDescriptor *desc, size_t max, ProtobufCMessage **m,
    char **cause)
{
	struct stat	 st;
	uint8_t		*buf;
	ssize_t		 n;
	size_t		 got = 0;
	int		 fd, rc;

	*m = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return (0);
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return (-1);
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		xasprintf(cause, "%s: not a regular file", path);
		close(fd);
		return (-1);
	}
	if ((uint64_t)st.st_size > max) {
		xasprintf(cause, "%s: too large (%jd bytes, at most %zu)", path,
		    (intmax_t)st.st_size, max);
		close(fd);
		return (-1);
	}
	buf = xmalloc((size_t)st.st_size + 1);
	while (got < (size_t)st.st_size) {
		n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (got != (size_t)st.st_size) {
		xasprintf(cause, "%s: short read", path);
		free(buf);
		return (-1);
	}
	rc = msgfile_decode(path, magic, what, desc, buf, got, m, cause);
	free(buf);
	return (rc);
}
