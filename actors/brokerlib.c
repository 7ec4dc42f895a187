/*
 * Helpers shared by the broker's control-plane actors (actors/broker.h):
 * checks of topic, group and client names, the clocks, and the small
 * configuration files under <root>/config/ that the topic and offset
 * managers keep.
 *
 * Such a file is a 20-byte header -- an 8-byte magic naming what it holds,
 * a version, the payload length and the payload's CRC-32C, each 4 bytes
 * big-endian -- followed by one encoded message.  It is replaced
 * atomically: written to "<file>.tmp", fsync'd, renamed over the file, and
 * the directory fsync'd; if any step fails the old file is left as it was.
 * A missing file reads as no message; a short, foreign or corrupt one is
 * an error, never an empty table.
 */
#include "config.h"

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "broker.h"
#include "crc32c.h"
#include "msg.h"
#include "xmalloc.h"

#define BROKERLIB_HEADER	20
#define BROKERLIB_VERSION	1
#define BROKERLIB_FILE_MAX	(512U * 1024 * 1024)

/* Milliseconds on the monotonic clock. */
uint64_t
brokerlib_mono_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000);
}

/* Milliseconds since the epoch. */
uint64_t
brokerlib_wall_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000);
}

/*
 * Check a topic or group name called what: 1-127 bytes of
 * [a-zA-Z0-9_%-]; a user topic may not start with %RETRY% or %DLQ%.
 * NULL if good, else a reason in buf.
 */
const char *
brokerlib_check_name(const char *what, const char *s,
    enum brokerlib_name kind, char *buf, size_t len)
{
	size_t	i;

	if (*s == '\0') {
		snprintf(buf, len, "%s is empty", what);
		return (buf);
	}
	for (i = 0; s[i] != '\0'; i++) {
		if (i == BROKER_NAME_MAX) {
			snprintf(buf, len, "%s is longer than %d bytes", what,
			    BROKER_NAME_MAX);
			return (buf);
		}
		if (!isalnum((u_char)s[i]) && s[i] != '_' && s[i] != '-' &&
		    s[i] != '%') {
			snprintf(buf, len, "%s \"%.*s\" has an invalid "
			    "character at byte %zu", what, BROKER_NAME_MAX, s,
			    i);
			return (buf);
		}
	}
	if (kind == BROKERLIB_USER_TOPIC &&
	    (strncmp(s, BROKER_RETRY_PREFIX,
	    strlen(BROKER_RETRY_PREFIX)) == 0 ||
	    strncmp(s, BROKER_DLQ_PREFIX, strlen(BROKER_DLQ_PREFIX)) == 0)) {
		snprintf(buf, len, "%s %s is a system topic", what, s);
		return (buf);
	}
	return (NULL);
}

/* Check a client id: 1-255 printable bytes, no spaces. */
const char *
brokerlib_check_client_id(const char *s, char *buf, size_t len)
{
	size_t	i;

	if (*s == '\0') {
		snprintf(buf, len, "client_id is empty");
		return (buf);
	}
	for (i = 0; s[i] != '\0'; i++) {
		if (i == BROKER_CLIENT_ID_MAX) {
			snprintf(buf, len, "client_id is longer than %d bytes",
			    BROKER_CLIENT_ID_MAX);
			return (buf);
		}
		if (!isgraph((u_char)s[i])) {
			snprintf(buf, len, "client_id has an invalid character "
			    "at byte %zu", i);
			return (buf);
		}
	}
	return (NULL);
}

/* <root>/config/<name>, making <root>/config if needed; NULL with cause. */
char *
brokerlib_config_path(const char *root, const char *name, char **cause)
{
	char	*dir, *path;

	if (*root == '\0') {
		xasprintf(cause, "no data root given");
		return (NULL);
	}
	xasprintf(&dir, "%s/config", root);
	if (mkdir(root, 0750) != 0 && errno != EEXIST) {
		xasprintf(cause, "%s: %s", root, strerror(errno));
		free(dir);
		return (NULL);
	}
	if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
		xasprintf(cause, "%s: %s", dir, strerror(errno));
		free(dir);
		return (NULL);
	}
	xasprintf(&path, "%s/%s", dir, name);
	free(dir);
	return (path);
}

static void
brokerlib_put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static uint32_t
brokerlib_get32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3]);
}

/* Write all of buf to fd; 0 or -1 with errno. */
static int
brokerlib_write_all(int fd, const uint8_t *buf, size_t len)
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
brokerlib_sync_dir(const char *path)
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
brokerlib_save(const char *path, const char *magic, const ProtobufCMessage *m,
    char **cause)
{
	uint8_t	*buf;
	size_t	 len;
	char	*tmp;
	int	 fd;

	len = protobuf_c_message_get_packed_size(m);
	buf = xmalloc(BROKERLIB_HEADER + len);
	memcpy(buf, magic, 8);
	brokerlib_put32(buf + 8, BROKERLIB_VERSION);
	brokerlib_put32(buf + 12, (uint32_t)len);
	protobuf_c_message_pack(m, buf + BROKERLIB_HEADER);
	brokerlib_put32(buf + 16, crc32c(0, buf + BROKERLIB_HEADER, len));

	xasprintf(&tmp, "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd == -1) {
		xasprintf(cause, "%s: %s", tmp, strerror(errno));
		goto fail;
	}
	if (brokerlib_write_all(fd, buf, BROKERLIB_HEADER + len) != 0 ||
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
	if (brokerlib_sync_dir(path) != 0) {
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
brokerlib_decode(const char *path, const char *magic,
    const ProtobufCMessageDescriptor *desc, const uint8_t *buf, size_t size,
    ProtobufCMessage **m, char **cause)
{
	uint32_t	len;

	if (size < BROKERLIB_HEADER || memcmp(buf, magic, 8) != 0) {
		xasprintf(cause, "%s: not a Petrel %.8s file", path, magic);
		return (-1);
	}
	if (brokerlib_get32(buf + 8) != BROKERLIB_VERSION) {
		xasprintf(cause, "%s: unknown version %" PRIu32, path,
		    brokerlib_get32(buf + 8));
		return (-1);
	}
	len = brokerlib_get32(buf + 12);
	if (len != size - BROKERLIB_HEADER) {
		xasprintf(cause, "%s: corrupt: %" PRIu32 " bytes of data "
		    "announced, %zu found", path, len, size - BROKERLIB_HEADER);
		return (-1);
	}
	if (crc32c(0, buf + BROKERLIB_HEADER, len) !=
	    brokerlib_get32(buf + 16)) {
		xasprintf(cause, "%s: corrupt: checksum mismatch", path);
		return (-1);
	}
	if ((*m = msg_unpack(desc, buf + BROKERLIB_HEADER, len)) == NULL) {
		xasprintf(cause, "%s: corrupt: the data does not decode", path);
		return (-1);
	}
	return (0);
}

/*
 * Read the message of type desc kept in path under magic into *m (NULL if
 * there is no file); 0, or -1 with cause.
 */
int
brokerlib_load(const char *path, const char *magic,
    const ProtobufCMessageDescriptor *desc, ProtobufCMessage **m,
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
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size > BROKERLIB_FILE_MAX) {
		xasprintf(cause, "%s: not a regular file of at most %u bytes",
		    path, BROKERLIB_FILE_MAX);
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
	rc = brokerlib_decode(path, magic, desc, buf, got, m, cause);
	free(buf);
	return (rc);
}
