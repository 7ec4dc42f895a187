/*
 * The commit log (DESIGN.md "Storage"): one append-only log of records in
 * fixed-size segment files named by their 20-digit start offset, all mapped.
 * Segments are contiguous; the segment holding offset o is
 * (o - first start) / segment size.
 *
 * A record never straddles two segments: when the next record does not fit
 * in what is left of a segment, the rest is a blank record (size, blank
 * magic) when at least 8 bytes are left, else left zero, and the record goes
 * to the start of the next segment.  Readers skip both.
 *
 * Appending takes a batch: the first pass checks every record and lays the
 * batch out (creating any segment it needs, so a full disk fails the batch
 * before a byte is written), the second encodes and checksums each record
 * into a staging buffer written with pwrite(2) (one call per megabyte or
 * segment), and the write position moves once.  The writer never writes
 * through its mapping: a write fault per page, and the write-protection
 * (with a TLB shootdown) that every writeback puts back on mapped dirty
 * pages, cost more than the copy.  Mappings see the bytes all the same:
 * they share the page cache.  A failed write leaves the log refusing
 * appends (the bytes past its end are unknown until recovery).
 *
 * A writer opens the log read-write and owns the write position.  Other
 * actors (dispatcher, flusher, readers) open their own read-only view and
 * learn how far the log goes from the writer's messages (commitlog_set_end);
 * a view maps segments created after it opened when it first needs them.
 *
 * Recovery (commitlog_recover) trusts the log up to a checkpoint offset,
 * validates records by CRC from there, and cuts the log at the first record
 * that fails: the rest of that segment is zeroed and later segments removed,
 * so nothing torn is ever served and no stale record survives to be taken
 * for a new one after a second crash.
 */
#include "config.h"

#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commitlog.h"
#include "crc32c.h"
#include "log.h"
#include "mapfile.h"
#include "store_le.h"
#include "xmalloc.h"

struct commitlog_segment {
	uint64_t	 start;
	uint8_t		*base;
};

struct commitlog {
	char				*dir;
	uint64_t			 segsize;
	uint32_t			 maxmsg;
	int				 readonly;

	struct commitlog_segment	*segs;	/* contiguous, ascending */
	size_t				 nsegs;
	size_t				 capsegs;

	uint64_t			 written;	/* end of the log */
	uint64_t			 flushed;	/* durable below this */
	/* commitlog_next skips CRCs */
	int				 trusted;

	int				 wfd;	/* the segment appended to */
	uint64_t			 wfdseg;	/* its start */
	uint8_t				*wbuf;	/* records staged for a write */
	size_t				 wlen;
	size_t				 wcap;
	uint64_t			 wat;	/* log offset of wbuf[0] */
	char				*failed;	/* why appends stopped */
};

#define COMMITLOG_WBUF	(1024 * 1024)	/* a write's usual size */
#define COMMITLOG_PAGE	4096		/* a page, for rounding hints */

static struct commitlog_segment	*commitlog_seg(struct commitlog *, uint64_t,
				    int, char **);
static int			 commitlog_decode_crc(const void *, size_t,
				    uint64_t, int, struct commitlog_msg *,
				    char **);

/* Add a mapped segment at the end of the array. */
static void
commitlog_push(struct commitlog *cl, uint64_t start, uint8_t *base)
{
	if (cl->nsegs == cl->capsegs) {
		cl->capsegs = cl->capsegs == 0 ? 8 : cl->capsegs * 2;
		cl->segs = xreallocarray(cl->segs, cl->capsegs,
		    sizeof *cl->segs);
	}
	cl->segs[cl->nsegs].start = start;
	cl->segs[cl->nsegs].base = base;
	cl->nsegs++;
}

/*
 * The size of the segments already in dir (of its first one), or the
 * default for a new log.
 */
static uint64_t
commitlog_existing_size(const char *dir)
{
	struct stat	 st;
	uint64_t	*list = NULL, size = COMMITLOG_SEGMENT_DEFAULT;
	size_t		 n;
	char		*path, *cause = NULL;

	if (mapfile_list(dir, 0, &list, &n, &cause) != 0) {
		free(cause);
		return (size);
	}
	if (n > 0) {
		path = mapfile_path(dir, list[0]);
		if (stat(path, &st) == 0 && st.st_size > 0)
			size = (uint64_t)st.st_size;
		free(path);
	}
	free(list);
	return (size);
}

/*
 * Open the log under root/commitlog (created for a writer).  Maps every
 * segment; a segment of the wrong size, a misaligned name or a gap between
 * segments is an error.  The write position starts at the first segment:
 * callers then use commitlog_set_end() or commitlog_recover().
 */
struct commitlog *
commitlog_open(const char *root, const struct commitlog_config *conf,
    char **cause)
{
	struct commitlog	*cl;
	uint64_t		*list = NULL;
	size_t			 n, i;
	uint8_t			*base;

	cl = xcalloc(1, sizeof *cl);
	cl->wfd = -1;
	xasprintf(&cl->dir, "%s/commitlog", root);
	cl->segsize = conf->segment_size ? conf->segment_size :
	    commitlog_existing_size(cl->dir);
	cl->maxmsg = conf->max_msg_size ? conf->max_msg_size :
	    COMMITLOG_MAXMSG_DEFAULT;
	if (conf->max_msg_size == 0 && cl->segsize >= COMMITLOG_SEGMENT_MIN &&
	    cl->maxmsg > cl->segsize - COMMITLOG_BLANK_MIN)
		cl->maxmsg = (uint32_t)(cl->segsize - COMMITLOG_BLANK_MIN);
	cl->readonly = conf->readonly;
	if (cl->segsize < COMMITLOG_SEGMENT_MIN ||
	    cl->segsize % COMMITLOG_SEGMENT_MIN != 0 ||
	    cl->segsize > SIZE_MAX / 2) {
		xasprintf(cause, "commit log segment size %llu is not a "
		    "multiple of %llu", (unsigned long long)cl->segsize,
		    COMMITLOG_SEGMENT_MIN);
		goto fail;
	}
	if (cl->maxmsg > cl->segsize - COMMITLOG_BLANK_MIN ||
	    cl->maxmsg < COMMITLOG_FIXED + 8) {
		xasprintf(cause, "maximum message size %u does not fit a "
		    "segment of %llu bytes", cl->maxmsg,
		    (unsigned long long)cl->segsize);
		goto fail;
	}
	if (!cl->readonly && mapfile_mkdirs(cl->dir, cause) != 0)
		goto fail;
	if (mapfile_list(cl->dir, !cl->readonly && !conf->keep_temps, &list,
	    &n, cause) != 0)
		goto fail;
	for (i = 0; i < n; i++) {
		if (list[i] % cl->segsize != 0) {
			xasprintf(cause, "%s/%020llu: start is not a multiple "
			    "of the segment size %llu", cl->dir,
			    (unsigned long long)list[i],
			    (unsigned long long)cl->segsize);
			goto fail;
		}
		if (i > 0 && list[i] != list[i - 1] + cl->segsize) {
			xasprintf(cause, "%s: segments %020llu and %020llu are "
			    "not contiguous", cl->dir,
			    (unsigned long long)list[i - 1],
			    (unsigned long long)list[i]);
			goto fail;
		}
		base = mapfile_open(cl->dir, list[i], cl->segsize,
		    !cl->readonly, cause);
		if (base == NULL)
			goto fail;
		commitlog_push(cl, list[i], base);
	}
	free(list);
	if (cl->nsegs > 0)
		cl->written = cl->flushed = cl->segs[0].start;
	return (cl);
fail:
	free(list);
	commitlog_close(cl);
	return (NULL);
}

/* Unmap everything and free the log.  Flushing is the caller's job. */
void
commitlog_close(struct commitlog *cl)
{
	size_t	i;

	if (cl == NULL)
		return;
	for (i = 0; i < cl->nsegs; i++)
		mapfile_unmap(cl->segs[i].base, cl->segsize);
	if (cl->wfd != -1)
		close(cl->wfd);
	free(cl->wbuf);
	free(cl->failed);
	free(cl->segs);
	free(cl->dir);
	free(cl);
}

/*
 * Close the append descriptor (before segments are removed or unmapped:
 * the next append opens its segment again).
 */
static void
commitlog_drop_fd(struct commitlog *cl)
{
	if (cl->wfd != -1) {
		close(cl->wfd);
		cl->wfd = -1;
	}
}

uint64_t
commitlog_segment_size(struct commitlog *cl)
{
	return (cl->segsize);
}

/* The first offset still on disk. */
uint64_t
commitlog_min_offset(struct commitlog *cl)
{
	return (cl->nsegs > 0 ? cl->segs[0].start : cl->written);
}

/* The end of the log: the next record goes here or later. */
uint64_t
commitlog_max_offset(struct commitlog *cl)
{
	return (cl->written);
}

/* Everything below this offset is on disk. */
uint64_t
commitlog_flushed(struct commitlog *cl)
{
	return (cl->flushed);
}

size_t
commitlog_segments(struct commitlog *cl)
{
	return (cl->nsegs);
}

/* Start offset and file modification time (ms) of segment i. */
int
commitlog_segment_info(struct commitlog *cl, size_t i, uint64_t *start,
    uint64_t *mtime_ms)
{
	struct stat	 st;
	char		*path;
	int		 r;

	if (i >= cl->nsegs)
		return (-1);
	*start = cl->segs[i].start;
	path = mapfile_path(cl->dir, cl->segs[i].start);
	r = stat(path, &st);
	free(path);
	if (r != 0)
		return (-1);
	*mtime_ms = (uint64_t)st.st_mtim.tv_sec * 1000 +
	    (uint64_t)st.st_mtim.tv_nsec / 1000000;
	return (0);
}

/*
 * The segment holding offset off, mapping (or for a writer with create,
 * creating) it when it is the next one.  NULL with *cause if there is none.
 */
static struct commitlog_segment *
commitlog_seg(struct commitlog *cl, uint64_t off, int create, char **cause)
{
	uint64_t	 start = off - off % cl->segsize, i, next;
	uint8_t		*base;
	char		*why = NULL;

	if (cl->nsegs > 0 && off < cl->segs[0].start) {
		xasprintf(cause, "offset %llu was deleted (the log starts at "
		    "%llu)", (unsigned long long)off,
		    (unsigned long long)cl->segs[0].start);
		return (NULL);
	}
	if (cl->nsegs > 0) {
		i = (off - cl->segs[0].start) / cl->segsize;
		if (i < cl->nsegs)
			return (&cl->segs[i]);
		next = cl->segs[cl->nsegs - 1].start + cl->segsize;
	} else
		next = start;
	/* Map (or create) the segments up to the one holding off, in order. */
	for (; next <= start; next += cl->segsize) {
		base = mapfile_open(cl->dir, next, cl->segsize, !cl->readonly,
		    &why);
		if (base == NULL && create && !cl->readonly) {
			free(why);
			why = NULL;
			base = mapfile_create(cl->dir, next, cl->segsize, 0,
			    &why);
		}
		if (base == NULL) {
			*cause = why;
			return (NULL);
		}
		free(why);
		why = NULL;
		commitlog_push(cl, next, base);
	}
	return (&cl->segs[cl->nsegs - 1]);
}

/*
 * Make sure the segment after the one being written exists (preallocated)
 * and is mapped.  The writer (or a helper before it) calls this ahead of
 * need so an append never waits for a file to be created.  Its pages are
 * brought into the page cache separately, a little at a time ahead of the
 * writer (commitlog_warm).
 */
int
commitlog_prepare(struct commitlog *cl, char **cause)
{
	uint64_t	next;

	if (cl->readonly) {
		xasprintf(cause, "commit log view is read-only");
		return (-1);
	}
	next = cl->written - cl->written % cl->segsize + cl->segsize;
	if (commitlog_seg(cl, next, 1, cause) == NULL)
		return (-1);
	return (0);
}

/* Whether the len bytes of topic are a topic name (lib/name.h). */
int
commitlog_topic_ok(const char *topic, size_t len)
{
	size_t	i;

	if (len == 0 || len > NAME_LEN_MAX)
		return (0);
	for (i = 0; i < len; i++) {
		if (!name_char_ok(topic[i]))
			return (0);
	}
	return (1);
}

/* Bytes of m's record: its topic (topic_len, or up to its NUL) and parts. */
uint64_t
commitlog_record_size(const struct commitlog_msg *m)
{
	size_t	tl = m->topic_len ? m->topic_len : strlen(m->topic);

	return ((uint64_t)COMMITLOG_FIXED + tl + 2 + m->props_len + 4 +
	    m->body_len);
}

/*
 * Check that m can be stored and compute its record size into *size.
 * The cause names the limit it broke: this is the writer's
 * MESSAGE_ILLEGAL reason.
 */
int
commitlog_validate(struct commitlog *cl, const struct commitlog_msg *m,
    uint32_t *size, char **cause)
{
	size_t		tl;
	uint64_t	total;

	if (m->topic == NULL) {
		xasprintf(cause, "message has no topic");
		return (-1);
	}
	tl = m->topic_len ? m->topic_len : strlen(m->topic);
	if (!commitlog_topic_ok(m->topic, tl)) {
		xasprintf(cause, "topic \"%.*s\" is not 1 to %d bytes of "
		    "letters, digits, '_', '-' and '%%'",
		    (int)(tl > 200 ? 200 : tl), m->topic, NAME_LEN_MAX);
		return (-1);
	}
	if (m->props_len > COMMITLOG_PROPS_MAX) {
		xasprintf(cause, "properties of %zu bytes are over the %d "
		    "byte limit", m->props_len, COMMITLOG_PROPS_MAX);
		return (-1);
	}
	if ((m->flags & ~COMMITLOG_F_KNOWN) != 0) {
		xasprintf(cause, "unknown message flags 0x%x", m->flags);
		return (-1);
	}
	if ((m->props_len != 0 && m->props == NULL) ||
	    (m->body_len != 0 && m->body == NULL)) {
		xasprintf(cause, "message has a length but no data");
		return (-1);
	}
	total = commitlog_record_size(m);
	if (total > cl->maxmsg) {
		xasprintf(cause, "message of %llu bytes is over the maximum "
		    "message size of %u bytes", (unsigned long long)total,
		    cl->maxmsg);
		return (-1);
	}
	*size = (uint32_t)total;
	return (0);
}

/*
 * Encode m as a record of size bytes (commitlog_validate()) at p, at log
 * offset phys, all but its CRC: appending seals it (commitlog_seal()).  A
 * record laid out ahead of its append (phys 0, no store fields) travels
 * to the writer this way and is read back by commitlog_parse().
 */
void
commitlog_encode(void *buf, const struct commitlog_msg *m, uint32_t size,
    uint64_t phys)
{
	size_t		tl = m->topic_len ? m->topic_len : strlen(m->topic);
	uint8_t		*p = buf, *q;

	le32enc(p + 0, size);
	le32enc(p + 4, COMMITLOG_MAGIC);
	le32enc(p + 12, m->flags);
	le64enc(p + 16, phys);
	le64enc(p + 24, m->queue_offset);
	le64enc(p + 32, m->born_ts);
	le64enc(p + 40, m->store_ts);
	le32enc(p + 48, m->queue_id);
	le32enc(p + 52, m->reconsume);
	memcpy(p + 56, m->born_host.addr, 16);
	le16enc(p + 72, m->born_host.port);
	memcpy(p + 74, m->store_host.addr, 16);
	le16enc(p + 90, m->store_host.port);
	p[92] = (uint8_t)tl;
	q = p + COMMITLOG_FIXED;
	memcpy(q, m->topic, tl);
	q += tl;
	le16enc(q, (uint16_t)m->props_len);
	q += 2;
	if (m->props_len > 0)
		memcpy(q, m->props, m->props_len);
	q += m->props_len;
	le32enc(q, (uint32_t)m->body_len);
	q += 4;
	if (m->body_len > 0)
		memcpy(q, m->body, m->body_len);
	le32enc(p + 8, 0);
}

/* Set the CRC of the size-byte record at p: all of it but the CRC. */
static void
commitlog_seal(uint8_t *p, uint32_t size)
{
	le32enc(p + 8, crc32c(crc32c(0, p, 8), p + 12, size - 12));
}

/* Where a record of size bytes goes if the log ends at pos. */
static uint64_t
commitlog_place(struct commitlog *cl, uint64_t pos, uint32_t size)
{
	uint64_t	end = pos - pos % cl->segsize + cl->segsize;

	if (pos + size > end)
		return (end);
	return (pos);
}

/* Write out the staged bytes to their segment's file. */
static int
commitlog_drain(struct commitlog *cl, char **cause)
{
	uint64_t	start = cl->wat - cl->wat % cl->segsize;
	int		r;

	if (cl->wlen == 0)
		return (0);
	if (cl->wfd == -1 || cl->wfdseg != start) {
		commitlog_drop_fd(cl);
		if ((cl->wfd = mapfile_open_fd(cl->dir, start, cause)) == -1)
			return (-1);
		cl->wfdseg = start;
	}
	r = mapfile_write(cl->wfd, cl->wbuf, cl->wlen, cl->wat % cl->segsize,
	    cause);
	cl->wlen = 0;
	return (r);
}

/*
 * Room for len bytes at log offset off in the staging buffer, writing out
 * what is staged first if off does not follow it in the same segment or
 * the buffer is full.  NULL with *cause if that write fails.
 */
static uint8_t *
commitlog_stage(struct commitlog *cl, uint64_t off, size_t len, char **cause)
{
	uint8_t	*p;

	if (cl->wlen > 0 && (off != cl->wat + cl->wlen ||
	    off / cl->segsize != cl->wat / cl->segsize ||
	    cl->wlen + len > COMMITLOG_WBUF)) {
		if (commitlog_drain(cl, cause) != 0)
			return (NULL);
	}
	if (cl->wlen == 0)
		cl->wat = off;
	if (cl->wlen + len > cl->wcap) {
		cl->wcap = cl->wlen + len > COMMITLOG_WBUF ? cl->wlen + len :
		    COMMITLOG_WBUF;
		cl->wbuf = xrealloc(cl->wbuf, cl->wcap);
	}
	p = cl->wbuf + cl->wlen;
	cl->wlen += len;
	return (p);
}

/*
 * Stage a blank record from pos to the end of its segment: its size and
 * magic (the rest of a segment is zeros already), or nothing when the
 * tail is too short to hold them (readers skip it).
 */
static int
commitlog_pad(struct commitlog *cl, uint64_t pos, char **cause)
{
	uint64_t	 left;
	uint8_t		*p;

	left = cl->segsize - pos % cl->segsize;
	if (left < COMMITLOG_BLANK_MIN)
		return (0);
	if ((p = commitlog_stage(cl, pos, COMMITLOG_BLANK_MIN, cause)) == NULL)
		return (-1);
	le32enc(p, (uint32_t)left);
	le32enc(p + 4, COMMITLOG_BLANK_MAGIC);
	return (0);
}

/*
 * Append n messages as one batch.  Sets each message's phys and size.
 * Either every message is written or (on an invalid message or a segment
 * that cannot be created) none is, and *cause says why.  After a failed
 * write every append fails: what lies past the end is unknown.
 */
int
commitlog_append(struct commitlog *cl, struct commitlog_msg *msgs, size_t n,
    char **cause)
{
	uint64_t	 pos, s;
	size_t		 i;
	uint8_t		*p;
	char		*why = NULL;

	if (cl->readonly) {
		xasprintf(cause, "commit log view is read-only");
		return (-1);
	}
	if (cl->failed != NULL) {
		xasprintf(cause, "the commit log stopped taking writes after "
		    "a failed one (%s); restart to recover it", cl->failed);
		return (-1);
	}
	pos = cl->written;
	for (i = 0; i < n; i++) {
		if (commitlog_validate(cl, &msgs[i], &msgs[i].size,
		    &why) != 0) {
			xasprintf(cause, "message %zu: %s", i, why);
			free(why);
			return (-1);
		}
		msgs[i].phys = commitlog_place(cl, pos, msgs[i].size);
		pos = msgs[i].phys + msgs[i].size;
	}
	if (n == 0)
		return (0);
	for (s = cl->written - cl->written % cl->segsize; s < pos;
	    s += cl->segsize) {
		if (commitlog_seg(cl, s, 1, cause) == NULL)
			return (-1);
	}
	pos = cl->written;
	cl->wlen = 0;
	for (i = 0; i < n; i++) {
		if (msgs[i].phys != pos && commitlog_pad(cl, pos, &why) != 0)
			goto fail;
		p = commitlog_stage(cl, msgs[i].phys, msgs[i].size, &why);
		if (p == NULL)
			goto fail;
		commitlog_encode(p, &msgs[i], msgs[i].size, msgs[i].phys);
		commitlog_seal(p, msgs[i].size);
		pos = msgs[i].phys + msgs[i].size;
	}
	if (commitlog_drain(cl, &why) != 0)
		goto fail;
	cl->written = pos;
	return (0);
fail:
	cl->wlen = 0;
	cl->failed = why;
	xasprintf(cause, "commit log: %s", why);
	return (-1);
}

/*
 * Make log bytes [from, to) durable.  Not through a read-only view: Linux
 * maps a file opened read-only privately, whatever MAP_SHARED says, and
 * msync(2) of a private mapping syncs nothing.
 */
int
commitlog_sync(struct commitlog *cl, uint64_t from, uint64_t to,
    char **cause)
{
	struct commitlog_segment	*seg;
	uint64_t			 end, s;

	if (cl->readonly && from < to) {
		xasprintf(cause, "a read-only view of the commit log cannot "
		    "sync it");
		return (-1);
	}
	if (cl->nsegs > 0 && from < cl->segs[0].start)
		from = cl->segs[0].start;
	while (from < to) {
		s = from - from % cl->segsize;
		end = s + cl->segsize < to ? s + cl->segsize : to;
		if ((seg = commitlog_seg(cl, from, 0, cause)) == NULL)
			return (-1);
		if (mapfile_sync(seg->base, from - s, end - s, cause) != 0)
			return (-1);
		from = end;
	}
	return (0);
}

/* Make everything written durable (group commit: one sync for all). */
int
commitlog_flush(struct commitlog *cl, char **cause)
{
	uint64_t	to = cl->written;

	if (cl->flushed >= to)
		return (0);
	if (commitlog_sync(cl, cl->flushed, to, cause) != 0)
		return (-1);
	cl->flushed = to;
	return (0);
}

/*
 * Decode the record at p, with avail bytes before its segment's end, which
 * must sit at log offset phys.  Returns COMMITLOG_RECORD (m filled, pointing
 * into p), COMMITLOG_BLANK, COMMITLOG_END (zeros or no room: no data) or -1
 * with *cause for anything torn, corrupt or misplaced.  Reads nothing past
 * avail, whatever the bytes say.
 */
int
commitlog_decode(const void *buf, size_t avail, uint64_t phys,
    struct commitlog_msg *m, char **cause)
{
	return (commitlog_decode_crc(buf, avail, phys, 1, m, cause));
}

/*
 * Read a record laid out by commitlog_encode() but not yet appended: no
 * CRC, and whatever offset it says.  The len bytes at buf must be exactly
 * the record.  0 with m filled (pointing into buf), or -1 with *cause.
 */
int
commitlog_parse(const void *buf, size_t len, struct commitlog_msg *m,
    char **cause)
{
	const uint8_t	*p = buf;
	int		 rc;

	if (len < COMMITLOG_FIXED || le32dec(p) != len) {
		xasprintf(cause, "a record of %zu bytes says it has %u", len,
		    len < 4 ? 0 : le32dec(p));
		return (-1);
	}
	rc = commitlog_decode_crc(buf, len, le64dec(p + 16), 0, m, cause);
	if (rc == COMMITLOG_RECORD)
		return (0);
	if (rc != -1)
		xasprintf(cause, "not a message record");
	return (-1);
}

/* commitlog_decode(), checking the CRC only if crc is set. */
static int
commitlog_decode_crc(const void *buf, size_t avail, uint64_t phys, int crc,
    struct commitlog_msg *m, char **cause)
{
	const uint8_t	*p = buf, *q, *end;
	uint32_t	 size, magic;
	size_t		 tl;

	if (avail < COMMITLOG_BLANK_MIN)
		return (COMMITLOG_END);
	size = le32dec(p);
	magic = le32dec(p + 4);
	if (size == 0 && magic == 0)
		return (COMMITLOG_END);
	if (magic == COMMITLOG_BLANK_MAGIC) {
		if (size != avail) {
			xasprintf(cause, "blank record at %llu is %u bytes, "
			    "%zu left in the segment",
			    (unsigned long long)phys, size, avail);
			return (-1);
		}
		return (COMMITLOG_BLANK);
	}
	if (magic != COMMITLOG_MAGIC) {
		xasprintf(cause, "bad magic 0x%08x at %llu", magic,
		    (unsigned long long)phys);
		return (-1);
	}
	if (size < COMMITLOG_FIXED + 1 + 2 + 4 || size > avail) {
		xasprintf(cause, "record at %llu claims %u bytes (%zu left in "
		    "the segment)", (unsigned long long)phys, size, avail);
		return (-1);
	}
	if (crc && crc32c(crc32c(0, p, 8), p + 12, size - 12) !=
	    le32dec(p + 8)) {
		xasprintf(cause, "record at %llu fails its CRC",
		    (unsigned long long)phys);
		return (-1);
	}
	if (le64dec(p + 16) != phys) {
		xasprintf(cause, "record at %llu says it is at %llu",
		    (unsigned long long)phys,
		    (unsigned long long)le64dec(p + 16));
		return (-1);
	}
	end = p + size;
	m->size = size;
	m->phys = phys;
	m->flags = le32dec(p + 12);
	m->queue_offset = le64dec(p + 24);
	m->born_ts = le64dec(p + 32);
	m->store_ts = le64dec(p + 40);
	m->queue_id = le32dec(p + 48);
	m->reconsume = le32dec(p + 52);
	memcpy(m->born_host.addr, p + 56, 16);
	m->born_host.port = le16dec(p + 72);
	memcpy(m->store_host.addr, p + 74, 16);
	m->store_host.port = le16dec(p + 90);
	tl = p[92];
	q = p + COMMITLOG_FIXED;
	if (tl == 0 || (size_t)(end - q) < tl + 2)
		goto bad;
	if (!commitlog_topic_ok((const char *)q, tl)) {
		/* Never let bytes from disk name a folder. */
		xasprintf(cause, "record at %llu has a bad topic",
		    (unsigned long long)phys);
		return (-1);
	}
	m->topic = (const char *)q;
	m->topic_len = tl;
	q += tl;
	m->props_len = le16dec(q);
	q += 2;
	if ((size_t)(end - q) < m->props_len + 4)
		goto bad;
	m->props = q;
	q += m->props_len;
	m->body_len = le32dec(q);
	q += 4;
	if ((size_t)(end - q) != m->body_len)
		goto bad;
	m->body = q;
	return (COMMITLOG_RECORD);
bad:
	xasprintf(cause, "record at %llu has inconsistent lengths",
	    (unsigned long long)phys);
	return (-1);
}

/*
 * Read the record starting at phys, which must be below the end of the
 * log.  m points into the mapping.  An offset that holds no record (a blank,
 * the middle of a record, a deleted or unwritten part) is an error.
 */
int
commitlog_read(struct commitlog *cl, uint64_t phys, struct commitlog_msg *m,
    char **cause)
{
	struct commitlog_segment	*seg;
	uint64_t			 in;
	int				 r;

	if (phys >= cl->written) {
		xasprintf(cause, "offset %llu is past the end of the log "
		    "(%llu)", (unsigned long long)phys,
		    (unsigned long long)cl->written);
		return (-1);
	}
	if ((seg = commitlog_seg(cl, phys, 0, cause)) == NULL)
		return (-1);
	in = phys % cl->segsize;
	r = commitlog_decode(seg->base + in, cl->segsize - in, phys, m, cause);
	if (r == COMMITLOG_RECORD) {
		if (phys + m->size <= cl->written)
			return (0);
		xasprintf(cause, "record at %llu runs past the end of the log",
		    (unsigned long long)phys);
	} else if (r != -1)
		xasprintf(cause, "no record at offset %llu",
		    (unsigned long long)phys);
	return (-1);
}

/*
 * The record at *pos or after it (skipping a blank or short tail to the
 * next segment) and below limit: returns 1 with m filled and *pos moved past
 * it, 0 at the end of the data (limit, zeros, or no next segment) with *pos
 * where the next record would go, -1 with *cause and *pos at the bad record.
 */
int
commitlog_next(struct commitlog *cl, uint64_t *pos, uint64_t limit,
    struct commitlog_msg *m, char **cause)
{
	struct commitlog_segment	*seg;
	uint64_t			 in, p = *pos;
	char				*why = NULL;
	int				 r;

	for (;;) {
		if (p >= limit)
			break;
		if ((seg = commitlog_seg(cl, p, 0, &why)) == NULL) {
			free(why);	/* no such segment: end of data */
			break;
		}
		in = p % cl->segsize;
		r = commitlog_decode_crc(seg->base + in, cl->segsize - in, p,
		    !cl->trusted, m, cause);
		if (r == -1) {
			*pos = p;
			return (-1);
		}
		if (r == COMMITLOG_RECORD) {
			if (p + m->size > limit)
				break;
			*pos = p + m->size;
			return (1);
		}
		if (r == COMMITLOG_END &&
		    cl->segsize - in >= COMMITLOG_BLANK_MIN)
			break;	/* zeros mid-segment: nothing more written */
		p += cl->segsize - in;	/* blank or short tail */
	}
	*pos = p < limit ? p : limit;
	return (0);
}

/*
 * About to read [from, to): map its pages in one call (MADV_POPULATE_READ)
 * rather than taking a fault on each.  Only a hint: a kernel without it
 * (before Linux 5.14) leaves the faults to the reads.
 */
void
commitlog_will_read(struct commitlog *cl, uint64_t from, uint64_t to)
{
#ifdef MADV_POPULATE_READ
	struct commitlog_segment	*seg;
	uint64_t			 off, end;
	char				*why = NULL;

	while (from < to) {
		if ((seg = commitlog_seg(cl, from, 0, &why)) == NULL) {
			free(why);
			return;
		}
		off = from % cl->segsize;
		end = to - from < cl->segsize - off ? off + (to - from) :
		    cl->segsize;
		(void)madvise(seg->base + off - off % COMMITLOG_PAGE,
		    (size_t)(end - off + off % COMMITLOG_PAGE),
		    MADV_POPULATE_READ);
		from += end - off;
	}
#else
	(void)cl;
	(void)from;
	(void)to;
#endif
}

/*
 * Read [from, to) of the log, where it exists, so its pages are in the
 * page cache before the writer writes them: on a virtual machine whose
 * host takes back the memory the guest does not use, the first touch of a
 * page costs ~13 us, which pwrite(2) would otherwise pay in the writer's
 * thread (measured: 300 MB/s into fresh pages, 4 GB/s into cached ones).
 * For the flusher, on its own thread.  Reads through a descriptor of its
 * own in pieces of buf's len bytes, so no mapping lock is held meanwhile.
 */
void
commitlog_warm(struct commitlog *cl, uint64_t from, uint64_t to, void *buf,
    size_t len)
{
	uint64_t	 start, off, end;
	ssize_t		 n;
	char		*why = NULL;
	int		 fd;

	while (from < to) {
		start = from - from % cl->segsize;
		if (commitlog_seg(cl, start, 0, &why) == NULL ||
		    (fd = mapfile_open_fd(cl->dir, start, &why)) == -1) {
			free(why);
			return;		/* not made yet: nothing to warm */
		}
		end = to - start < cl->segsize ? to - start : cl->segsize;
		for (off = from - start; off < end; off += (uint64_t)n) {
			n = pread(fd, buf, end - off < len ? end - off : len,
			    (off_t)off);
			if (n <= 0)
				break;
		}
		close(fd);
		from = start + end;
	}
}

/*
 * Set the end of the log (after a clean stop).  With no segment at all the
 * log simply starts there.
 */
int
commitlog_set_end(struct commitlog *cl, uint64_t end, char **cause)
{
	uint64_t	min = commitlog_min_offset(cl);

	if (cl->nsegs > 0 && (end < min ||
	    end > cl->segs[cl->nsegs - 1].start + cl->segsize) &&
	    !cl->readonly) {
		xasprintf(cause, "the commit log holds [%llu, %llu), not the "
		    "checkpoint's end %llu", (unsigned long long)min,
		    (unsigned long long)(cl->segs[cl->nsegs - 1].start +
		    cl->segsize), (unsigned long long)end);
		return (-1);
	}
	cl->written = end;
	if (cl->flushed > end || !cl->readonly)
		cl->flushed = end;
	return (0);
}

/*
 * Follow another handle that appends: the log now ends at end.  Segments
 * it created are mapped when first read.
 */
void
commitlog_follow(struct commitlog *cl, uint64_t end)
{
	cl->written = end;
	if (cl->flushed > end)
		cl->flushed = end;
}

/*
 * Whether commitlog_next() may skip CRCs: for dispatching records this
 * process wrote (the writer checksummed them a moment ago), never for
 * recovery.  Every other check stays, so bad bytes are still an error.
 */
void
commitlog_trust(struct commitlog *cl, int trusted)
{
	cl->trusted = trusted;
}

/* Unmap the segments wholly below min, which another handle deleted. */
void
commitlog_forget_before(struct commitlog *cl, uint64_t min)
{
	size_t	n = 0;

	while (n < cl->nsegs &&
	    cl->segs[n].start + cl->segsize <= min) {
		mapfile_unmap(cl->segs[n].base, cl->segsize);
		n++;
	}
	if (n == 0)
		return;
	commitlog_drop_fd(cl);
	memmove(cl->segs, cl->segs + n, (cl->nsegs - n) * sizeof *cl->segs);
	cl->nsegs -= n;
}

/*
 * Recover after a crash: trust the log below from, validate records from
 * there and end the log at the first one that fails.  Zeroes the rest of
 * that segment, removes the segments after it and syncs.  *end gets the
 * new end of the log.
 */
int
commitlog_recover(struct commitlog *cl, uint64_t from, uint64_t *end,
    char **cause)
{
	struct commitlog_segment	*last;
	struct commitlog_msg		 m;
	uint64_t			 pos, cut;
	char				*why = NULL;
	int				 r;

	if (cl->readonly) {
		xasprintf(cause, "commit log view is read-only");
		return (-1);
	}
	if (cl->nsegs == 0) {
		cl->written = cl->flushed = from;
		*end = from;
		return (0);
	}
	if (from < cl->segs[0].start)
		from = cl->segs[0].start;
	pos = from;
	while ((r = commitlog_next(cl, &pos, UINT64_MAX, &m, &why)) == 1)
		;
	if (r == -1) {
		log_warnx("commit log: %s; truncating the log there", why);
		free(why);
	}
	/* Remove the segments from the next boundary on, zero pos's tail. */
	cut = pos % cl->segsize == 0 ? pos : pos - pos % cl->segsize +
	    cl->segsize;
	commitlog_drop_fd(cl);
	while (cl->nsegs > 0 && cl->segs[cl->nsegs - 1].start >= cut) {
		last = &cl->segs[cl->nsegs - 1];
		mapfile_unmap(last->base, cl->segsize);
		last->base = NULL;
		cl->nsegs--;
		if (mapfile_remove(cl->dir, last->start, cause) != 0)
			return (-1);
	}
	if (pos % cl->segsize != 0) {
		last = &cl->segs[cl->nsegs - 1];
		if (mapfile_zero(cl->dir, last->start, last->base,
		    pos % cl->segsize, cl->segsize, cause) != 0)
			return (-1);
	}
	mapfile_sync_dir(cl->dir);
	cl->written = cl->flushed = pos;
	*end = pos;
	return (0);
}

/*
 * Delete segments, oldest first, whose file was last written before
 * cutoff_ms and which end at or below limit, never the one being written,
 * at most max of them.  Returns how many went, or -1.
 */
int
commitlog_delete_before(struct commitlog *cl, uint64_t cutoff_ms,
    uint64_t limit, size_t max, char **cause)
{
	uint64_t	start, mtime;
	size_t		n = 0;

	while (n < max && cl->nsegs > 1) {
		if (commitlog_segment_info(cl, 0, &start, &mtime) != 0)
			mtime = 0;
		if (mtime >= cutoff_ms || start + cl->segsize > limit ||
		    start + cl->segsize > cl->written)
			break;
		commitlog_drop_fd(cl);
		if (mapfile_remove(cl->dir, start, cause) != 0)
			return (-1);
		mapfile_unmap(cl->segs[0].base, cl->segsize);
		memmove(&cl->segs[0], &cl->segs[1],
		    (cl->nsegs - 1) * sizeof *cl->segs);
		cl->nsegs--;
		n++;
	}
	return ((int)n);
}

/*
 * Find property name in props (name \001 value \002 ...); returns a pointer
 * to its value (not NUL-terminated) with *len, or NULL.
 */
const char *
commitlog_prop_get(const void *props, size_t n, const char *name,
    size_t *len)
{
	const char	*p = props, *end = p + n, *nv, *sep;
	size_t		 nl = strlen(name);

	while (p < end) {
		sep = memchr(p, COMMITLOG_PROP_SEP, (size_t)(end - p));
		if (sep == NULL)
			sep = end;
		nv = memchr(p, COMMITLOG_PROP_NV, (size_t)(sep - p));
		if (nv != NULL && (size_t)(nv - p) == nl &&
		    memcmp(p, name, nl) == 0) {
			*len = (size_t)(sep - nv - 1);
			return (nv + 1);
		}
		p = sep + 1;
	}
	return (NULL);
}

/*
 * Whether a record with these flags goes into a consume queue and takes a
 * queue offset: not a half message nor a rollback, as RocketMQ.
 */
int
commitlog_is_queued(uint32_t flags)
{
	uint32_t	tx = flags & COMMITLOG_F_TX_MASK;

	return (tx == COMMITLOG_F_TX_NONE || tx == COMMITLOG_F_TX_COMMIT);
}
