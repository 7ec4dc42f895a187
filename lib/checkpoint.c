/*
 * Checkpoint and abort marker (DESIGN.md "Storage").  The checkpoint says
 * how far the commit log is durable and dispatched (its consume queue and
 * index entries flushed too), with the timestamps RocketMQ keeps and the end
 * of every consume queue at that point, so a clean start reads no log and a
 * crashed start re-reads only what came after.  It is written whole to a
 * temporary file, synced and renamed over the old one, and carries a
 * CRC-32C, so a crash leaves the old or the new checkpoint, never a mix.
 *
 * The abort marker exists while a store is open: finding it at start means
 * the last run did not stop cleanly.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checkpoint.h"
#include "commitlog.h"
#include "crc32c.h"
#include "mapfile.h"
#include "store_le.h"
#include "xmalloc.h"

#define CHECKPOINT_MAGIC	0x504b4350U	/* "PCKP" */
#define CHECKPOINT_VERSION	1
#define CHECKPOINT_HEADER	48
#define CHECKPOINT_MAX		(64U * 1024 * 1024)

/* Encode cp into a new buffer of *len bytes. */
static uint8_t *
checkpoint_encode(const struct checkpoint *cp, size_t *len)
{
	uint8_t	*buf, *p;
	size_t	 n = CHECKPOINT_HEADER + 4, i, tl;

	for (i = 0; i < cp->nqueues; i++)
		n += 1 + strlen(cp->queues[i].topic) + 4 + 8;
	buf = xcalloc(1, n);
	le32enc(buf, CHECKPOINT_MAGIC);
	le32enc(buf + 4, CHECKPOINT_VERSION);
	le64enc(buf + 8, cp->offset);
	le64enc(buf + 16, cp->log_ts);
	le64enc(buf + 24, cp->cq_ts);
	le64enc(buf + 32, cp->index_ts);
	le32enc(buf + 40, (uint32_t)cp->nqueues);
	p = buf + CHECKPOINT_HEADER;
	for (i = 0; i < cp->nqueues; i++) {
		tl = strlen(cp->queues[i].topic);
		*p++ = (uint8_t)tl;
		memcpy(p, cp->queues[i].topic, tl);
		p += tl;
		le32enc(p, cp->queues[i].queue_id);
		le64enc(p + 4, cp->queues[i].max);
		p += 12;
	}
	le32enc(p, crc32c(0, buf, (size_t)(p - buf)));
	*len = n;
	return (buf);
}

/* Write cp as root/checkpoint, atomically and durably. */
int
checkpoint_write(const char *root, const struct checkpoint *cp, char **cause)
{
	char	*path, *tmp;
	uint8_t	*buf;
	size_t	 len, off = 0;
	ssize_t	 n;
	int	 fd, r = -1;

	for (len = 0; len < cp->nqueues; len++) {
		if (strlen(cp->queues[len].topic) > 255) {
			xasprintf(cause, "topic name too long for a "
			    "checkpoint");
			return (-1);
		}
	}
	buf = checkpoint_encode(cp, &len);
	xasprintf(&path, "%s/checkpoint", root);
	xasprintf(&tmp, "%s/checkpoint.tmp", root);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd == -1) {
		xasprintf(cause, "create %s: %s", tmp, strerror(errno));
		goto out;
	}
	while (off < len) {
		if ((n = write(fd, buf + off, len - off)) == -1) {
			if (errno == EINTR)
				continue;
			xasprintf(cause, "write %s: %s", tmp, strerror(errno));
			close(fd);
			goto out;
		}
		off += (size_t)n;
	}
	if (fdatasync(fd) != 0) {
		xasprintf(cause, "fdatasync %s: %s", tmp, strerror(errno));
		close(fd);
		goto out;
	}
	close(fd);
	if (rename(tmp, path) != 0) {
		xasprintf(cause, "rename %s: %s", tmp, strerror(errno));
		goto out;
	}
	mapfile_sync_dir(root);
	r = 0;
out:
	if (r != 0)
		unlink(tmp);
	free(buf);
	free(tmp);
	free(path);
	return (r);
}

/*
 * Decode a checkpoint of len bytes into *cp (freed with checkpoint_free()
 * even on failure).  Anything short, long, unchecked or inconsistent is -1.
 */
int
checkpoint_decode(const void *data, size_t len, struct checkpoint *cp,
    char **cause)
{
	const uint8_t	*buf = data, *p, *end;
	size_t		 i, count, tl;

	memset(cp, 0, sizeof *cp);
	if (len < CHECKPOINT_HEADER + 4 || le32dec(buf) != CHECKPOINT_MAGIC) {
		xasprintf(cause, "not a checkpoint");
		return (-1);
	}
	if (le32dec(buf + 4) != CHECKPOINT_VERSION) {
		xasprintf(cause, "checkpoint version %u is not %u",
		    le32dec(buf + 4), CHECKPOINT_VERSION);
		return (-1);
	}
	if (crc32c(0, buf, len - 4) != le32dec(buf + len - 4)) {
		xasprintf(cause, "checkpoint fails its CRC");
		return (-1);
	}
	cp->offset = le64dec(buf + 8);
	cp->log_ts = le64dec(buf + 16);
	cp->cq_ts = le64dec(buf + 24);
	cp->index_ts = le64dec(buf + 32);
	count = le32dec(buf + 40);
	p = buf + CHECKPOINT_HEADER;
	end = buf + len - 4;
	if (count > (size_t)(end - p) / 14) {
		xasprintf(cause, "checkpoint claims %zu queues", count);
		return (-1);
	}
	cp->queues = xcalloc(count == 0 ? 1 : count, sizeof *cp->queues);
	for (i = 0; i < count; i++) {
		if (p >= end || (tl = *p) == 0 ||
		    (size_t)(end - p) < 1 + tl + 12)
			goto bad;
		if (!commitlog_topic_ok((const char *)p + 1, tl))
			goto bad;	/* it would name a folder */
		cp->queues[i].topic = xstrndup((const char *)p + 1, tl);
		cp->nqueues++;
		p += 1 + tl;
		cp->queues[i].queue_id = le32dec(p);
		cp->queues[i].max = le64dec(p + 4);
		p += 12;
	}
	if (p != end)
		goto bad;
	return (0);
bad:
	xasprintf(cause, "checkpoint queue table is inconsistent");
	return (-1);
}

/*
 * Read root/checkpoint into *cp: 1 read, 0 there is none (cp zeroed), -1
 * with *cause when it is unreadable or damaged.
 */
int
checkpoint_read(const char *root, struct checkpoint *cp, char **cause)
{
	struct stat	 st;
	char		*path, *why = NULL;
	uint8_t		*buf = NULL;
	ssize_t		 n;
	int		 fd, r = -1;

	memset(cp, 0, sizeof *cp);
	xasprintf(&path, "%s/checkpoint", root);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			r = 0;
		else
			xasprintf(cause, "open %s: %s", path, strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) != 0 || st.st_size > CHECKPOINT_MAX) {
		xasprintf(cause, "%s: unreadable or too large", path);
		goto done;
	}
	buf = xmalloc((size_t)st.st_size + 1);
	if ((n = pread(fd, buf, (size_t)st.st_size, 0)) != st.st_size) {
		xasprintf(cause, "read %s: short read", path);
		goto done;
	}
	if (checkpoint_decode(buf, (size_t)n, cp, &why) != 0) {
		xasprintf(cause, "%s: %s", path, why);
		free(why);
		checkpoint_free(cp);
		goto done;
	}
	r = 1;
done:
	close(fd);
out:
	free(buf);
	free(path);
	return (r);
}

/* Free what checkpoint_read() or checkpoint_decode() allocated. */
void
checkpoint_free(struct checkpoint *cp)
{
	size_t	i;

	for (i = 0; i < cp->nqueues; i++)
		free(cp->queues[i].topic);
	free(cp->queues);
	cp->queues = NULL;
	cp->nqueues = 0;
}

/* Create root/abort, durably: the store is open. */
int
checkpoint_abort_create(const char *root, char **cause)
{
	char	*path;
	int	 fd;

	xasprintf(&path, "%s/abort", root);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd == -1) {
		xasprintf(cause, "create %s: %s", path, strerror(errno));
		free(path);
		return (-1);
	}
	close(fd);
	free(path);
	mapfile_sync_dir(root);
	return (0);
}

/* Whether root/abort exists: the last run did not stop cleanly. */
int
checkpoint_abort_exists(const char *root)
{
	char	*path;
	int	 r;

	xasprintf(&path, "%s/abort", root);
	r = access(path, F_OK) == 0;
	free(path);
	return (r);
}

/* Remove root/abort after a clean stop. */
int
checkpoint_abort_remove(const char *root, char **cause)
{
	char	*path;

	xasprintf(&path, "%s/abort", root);
	if (unlink(path) != 0 && errno != ENOENT) {
		xasprintf(cause, "unlink %s: %s", path, strerror(errno));
		free(path);
		return (-1);
	}
	free(path);
	mapfile_sync_dir(root);
	return (0);
}
