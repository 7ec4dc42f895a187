/*
 * Consume queues (DESIGN.md "Storage").  One per topic and queue id: an
 * array of 20-byte entries (commit log offset u64, record size u32, tag
 * hash u64, little endian) split over files of per_file entries, each named
 * by the byte offset of its first entry (queue offset * 20, 20 digits, as
 * RocketMQ).  Files are created when the first entry lands in them.
 *
 * Entry n is at byte n * 20: reading a queue at an offset never searches.
 * An entry whose size is 0 was never written.  The dispatcher (through
 * store.c) writes entries in queue offset order; max is one past the last
 * written.  Files are flushed by msync(2) of the range dirtied since the
 * last flush.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "consumequeue.h"
#include "mapfile.h"
#include "store_le.h"
#include "xmalloc.h"

struct consumequeue_file {
	uint64_t	 start;		/* byte offset of its first entry */
	uint8_t		*base;
};

struct consumequeue {
	char				*dir;
	char				*topic;
	size_t				 topic_len;
	uint32_t			 queue_id;
	uint64_t			 filesize;	/* bytes */

	struct consumequeue_file	*files;		/* contiguous */
	size_t				 nfiles;
	size_t				 capfiles;

	uint64_t			 max;		/* entries */
	uint64_t			 flushed;	/* entries */
};

/* Decode the entry at p. */
static void
consumequeue_decode(const uint8_t *p, struct consumequeue_entry *e)
{
	e->phys = le64dec(p);
	e->size = le32dec(p + 8);
	e->tag_hash = le64dec(p + 12);
}

static void
consumequeue_push(struct consumequeue *cq, uint64_t start, uint8_t *base)
{
	if (cq->nfiles == cq->capfiles) {
		cq->capfiles = cq->capfiles == 0 ? 4 : cq->capfiles * 2;
		cq->files = xreallocarray(cq->files, cq->capfiles,
		    sizeof *cq->files);
	}
	cq->files[cq->nfiles].start = start;
	cq->files[cq->nfiles].base = base;
	cq->nfiles++;
}

/* The file holding entry n, created if create and it is the next one. */
static struct consumequeue_file *
consumequeue_file(struct consumequeue *cq, uint64_t n, int create,
    char **cause)
{
	uint64_t	 byte = n * CONSUMEQUEUE_ENTRY, start, i;
	uint8_t		*base;

	start = byte - byte % cq->filesize;
	if (cq->nfiles > 0) {
		if (byte < cq->files[0].start) {
			xasprintf(cause, "entry %llu was deleted",
			    (unsigned long long)n);
			return (NULL);
		}
		i = (byte - cq->files[0].start) / cq->filesize;
		if (i < cq->nfiles)
			return (&cq->files[i]);
		if (!create)
			goto missing;
		/* Fill any gap with files too, so the array stays dense. */
		while (cq->files[cq->nfiles - 1].start < start) {
			uint64_t next = cq->files[cq->nfiles - 1].start +
			    cq->filesize;

			if ((base = mapfile_create(cq->dir, next,
			    (size_t)cq->filesize, 0, cause)) == NULL)
				return (NULL);
			consumequeue_push(cq, next, base);
		}
		return (&cq->files[cq->nfiles - 1]);
	}
	if (!create)
		goto missing;
	if (mapfile_mkdirs(cq->dir, cause) != 0)
		return (NULL);
	if ((base = mapfile_create(cq->dir, start, (size_t)cq->filesize, 0,
	    cause)) == NULL)
		return (NULL);
	consumequeue_push(cq, start, base);
	return (&cq->files[0]);
missing:
	xasprintf(cause, "entry %llu is past the queue's files",
	    (unsigned long long)n);
	return (NULL);
}

/*
 * Open (or start, if it has no files) the queue of topic/queue_id under
 * root, with per_file entries a file (0: the default).  Maps its files and
 * finds its end: one past the last entry written, found by binary search
 * in the last file.
 */
struct consumequeue *
consumequeue_open(const char *root, const char *topic, size_t topic_len,
    uint32_t queue_id, uint32_t per_file, char **cause)
{
	struct consumequeue	*cq;
	struct consumequeue_file *last;
	uint64_t		*list = NULL, lo, hi, mid, per;
	size_t			 n, i;
	uint8_t			*base;

	cq = xcalloc(1, sizeof *cq);
	cq->topic = xstrndup(topic, topic_len);
	cq->topic_len = topic_len;
	cq->queue_id = queue_id;
	per = per_file ? per_file : CONSUMEQUEUE_PER_FILE_DEFAULT;
	cq->filesize = per * CONSUMEQUEUE_ENTRY;
	xasprintf(&cq->dir, "%s/consumequeue/%s/%u", root, cq->topic,
	    queue_id);
	if (mapfile_list(cq->dir, 1, &list, &n, cause) != 0)
		goto fail;
	for (i = 0; i < n; i++) {
		if (list[i] % cq->filesize != 0 ||
		    (i > 0 && list[i] != list[i - 1] + cq->filesize)) {
			xasprintf(cause, "%s: file %020llu is misplaced",
			    cq->dir, (unsigned long long)list[i]);
			goto fail;
		}
		if ((base = mapfile_open(cq->dir, list[i],
		    (size_t)cq->filesize, 1, cause)) == NULL)
			goto fail;
		consumequeue_push(cq, list[i], base);
	}
	free(list);
	list = NULL;
	if (cq->nfiles > 0) {
		last = &cq->files[cq->nfiles - 1];
		lo = 0;
		hi = per;
		while (lo < hi) {	/* first entry with size 0 */
			mid = lo + (hi - lo) / 2;
			if (le32dec(last->base + mid * CONSUMEQUEUE_ENTRY + 8)
			    != 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		cq->max = last->start / CONSUMEQUEUE_ENTRY + lo;
		if (lo == 0 && cq->nfiles == 1)
			cq->max = cq->files[0].start / CONSUMEQUEUE_ENTRY;
	}
	cq->flushed = cq->max;
	return (cq);
fail:
	free(list);
	consumequeue_close(cq);
	return (NULL);
}

/* Unmap and free; flushing is the caller's job. */
void
consumequeue_close(struct consumequeue *cq)
{
	size_t	i;

	if (cq == NULL)
		return;
	for (i = 0; i < cq->nfiles; i++)
		mapfile_unmap(cq->files[i].base, (size_t)cq->filesize);
	free(cq->files);
	free(cq->dir);
	free(cq->topic);
	free(cq);
}

/* Remove every file of the queue (to rebuild it); it is empty after. */
int
consumequeue_destroy(struct consumequeue *cq, char **cause)
{
	size_t	i;

	for (i = 0; i < cq->nfiles; i++) {
		mapfile_unmap(cq->files[i].base, (size_t)cq->filesize);
		if (mapfile_remove(cq->dir, cq->files[i].start, cause) != 0) {
			memmove(cq->files, cq->files + i + 1,
			    (cq->nfiles - i - 1) * sizeof *cq->files);
			cq->nfiles -= i + 1;
			return (-1);
		}
	}
	cq->nfiles = 0;
	cq->max = cq->flushed = 0;
	mapfile_sync_dir(cq->dir);
	return (0);
}

const char *
consumequeue_topic(struct consumequeue *cq, size_t *len)
{
	*len = cq->topic_len;
	return (cq->topic);
}

uint32_t
consumequeue_queue_id(struct consumequeue *cq)
{
	return (cq->queue_id);
}

/* The first entry the files hold (entries below were deleted). */
uint64_t
consumequeue_first(struct consumequeue *cq)
{
	if (cq->nfiles == 0)
		return (cq->max);
	return (cq->files[0].start / CONSUMEQUEUE_ENTRY);
}

/* One past the last entry: the next queue offset. */
uint64_t
consumequeue_max(struct consumequeue *cq)
{
	return (cq->max);
}

/* Set the end of the queue (from a checkpoint). */
void
consumequeue_set_max(struct consumequeue *cq, uint64_t max)
{
	cq->max = max;
	if (cq->flushed > max)
		cq->flushed = max;
}

/* Write entry n. */
int
consumequeue_put(struct consumequeue *cq, uint64_t n,
    const struct consumequeue_entry *e, char **cause)
{
	struct consumequeue_file	*f;
	uint8_t				*p;

	if (e->size == 0 || n > UINT64_MAX / CONSUMEQUEUE_ENTRY / 2) {
		xasprintf(cause, "bad consume queue entry %llu",
		    (unsigned long long)n);
		return (-1);
	}
	if ((f = consumequeue_file(cq, n, 1, cause)) == NULL)
		return (-1);
	p = f->base + (n * CONSUMEQUEUE_ENTRY - f->start);
	le64enc(p, e->phys);
	le32enc(p + 8, e->size);
	le64enc(p + 12, e->tag_hash);
	if (n >= cq->max)
		cq->max = n + 1;
	if (n < cq->flushed)
		cq->flushed = n;
	return (0);
}

/*
 * Read entry n: 1 with *e, 0 when n is outside [first, max), -1 with
 * *cause when the entry should be there but is not (never written).
 */
int
consumequeue_get(struct consumequeue *cq, uint64_t n,
    struct consumequeue_entry *e, char **cause)
{
	struct consumequeue_file	*f;

	if (n >= cq->max || n < consumequeue_first(cq))
		return (0);
	if ((f = consumequeue_file(cq, n, 0, cause)) == NULL)
		return (-1);
	consumequeue_decode(f->base + (n * CONSUMEQUEUE_ENTRY - f->start), e);
	if (e->size == 0) {
		xasprintf(cause, "consume queue %s/%u has no entry %llu",
		    cq->topic, cq->queue_id, (unsigned long long)n);
		return (-1);
	}
	return (1);
}

/*
 * Drop entries n and after: zero them (so a later open does not find them)
 * and move max back to n.
 */
int
consumequeue_truncate(struct consumequeue *cq, uint64_t n, char **cause)
{
	struct consumequeue_file	*f;
	uint64_t			 byte, end, in;

	if (n < consumequeue_first(cq))
		n = consumequeue_first(cq);
	byte = n * CONSUMEQUEUE_ENTRY;
	while (cq->nfiles > 0 &&
	    cq->files[cq->nfiles - 1].start > byte - byte % cq->filesize) {
		f = &cq->files[cq->nfiles - 1];
		mapfile_unmap(f->base, (size_t)cq->filesize);
		cq->nfiles--;
		if (mapfile_remove(cq->dir, f->start, cause) != 0)
			return (-1);
	}
	if (cq->nfiles > 0 && byte < cq->files[cq->nfiles - 1].start +
	    cq->filesize) {
		f = &cq->files[cq->nfiles - 1];
		in = byte > f->start ? byte - f->start : 0;
		end = cq->max * CONSUMEQUEUE_ENTRY;
		end = end > f->start ? end - f->start : 0;
		if (end > cq->filesize)
			end = cq->filesize;
		if (end > in) {
			memset(f->base + in, 0, (size_t)(end - in));
			if (mapfile_sync(f->base, (size_t)in, (size_t)end,
			    cause) != 0)
				return (-1);
		}
	}
	cq->max = n;
	if (cq->flushed > n)
		cq->flushed = n;
	return (0);
}

/* Make the entries written since the last flush durable. */
int
consumequeue_flush(struct consumequeue *cq, char **cause)
{
	struct consumequeue_file	*f;
	uint64_t			 from, to, s, e;

	from = cq->flushed * CONSUMEQUEUE_ENTRY;
	to = cq->max * CONSUMEQUEUE_ENTRY;
	while (from < to) {
		if ((f = consumequeue_file(cq, from / CONSUMEQUEUE_ENTRY, 0,
		    cause)) == NULL) {
			free(*cause);
			*cause = NULL;
			break;	/* deleted meanwhile: nothing to flush */
		}
		s = from - f->start;
		e = to - f->start < cq->filesize ? to - f->start : cq->filesize;
		if (mapfile_sync(f->base, (size_t)s, (size_t)e, cause) != 0)
			return (-1);
		from = f->start + e;
	}
	cq->flushed = cq->max;
	return (0);
}

/*
 * Delete the files whose every entry points below log offset phys_min
 * (deleted commit log), never the last file.
 */
int
consumequeue_delete_before(struct consumequeue *cq, uint64_t phys_min,
    char **cause)
{
	struct consumequeue_entry	 e;
	uint64_t			 last;

	while (cq->nfiles > 1) {
		last = cq->filesize - CONSUMEQUEUE_ENTRY;
		consumequeue_decode(cq->files[0].base + last, &e);
		if (e.size != 0 && e.phys >= phys_min)
			break;
		mapfile_unmap(cq->files[0].base, (size_t)cq->filesize);
		if (mapfile_remove(cq->dir, cq->files[0].start, cause) != 0)
			return (-1);
		memmove(cq->files, cq->files + 1,
		    (cq->nfiles - 1) * sizeof *cq->files);
		cq->nfiles--;
	}
	return (0);
}

/*
 * The first entry that points at or past log offset phys_min (the log's
 * start): entries below it point into deleted log.  Binary search in the
 * first file, since offsets grow with the queue offset.
 */
uint64_t
consumequeue_min(struct consumequeue *cq, uint64_t phys_min)
{
	struct consumequeue_entry	 e;
	struct consumequeue_file	*f;
	uint64_t			 lo, hi, mid, per, base;

	if (cq->nfiles == 0)
		return (cq->max);
	f = &cq->files[0];
	per = cq->filesize / CONSUMEQUEUE_ENTRY;
	base = f->start / CONSUMEQUEUE_ENTRY;
	if (cq->max < base)
		return (cq->max);
	hi = cq->max - base < per ? cq->max - base : per;
	lo = 0;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		consumequeue_decode(f->base + mid * CONSUMEQUEUE_ENTRY, &e);
		if (e.size != 0 && e.phys >= phys_min)
			hi = mid;
		else
			lo = mid + 1;
	}
	return (base + lo);
}

/*
 * Hash of a tag for the broker-side filter: 64-bit FNV-1a, never 0, which
 * means "no tag".
 */
uint64_t
consumequeue_tag_hash(const char *tag, size_t len)
{
	uint64_t	h = 0xcbf29ce484222325ULL;
	size_t		i;

	if (len == 0)
		return (0);
	for (i = 0; i < len; i++) {
		h ^= (uint8_t)tag[i];
		h *= 0x100000001b3ULL;
	}
	return (h == 0 ? 1 : h);
}

/* Remove every file of topic/queue_id under root, whatever their state. */
int
consumequeue_wipe(const char *root, const char *topic, size_t topic_len,
    uint32_t queue_id, char **cause)
{
	char		*dir;
	uint64_t	*list = NULL;
	size_t		 n, i;
	int		 r = -1;

	xasprintf(&dir, "%s/consumequeue/%.*s/%u", root, (int)topic_len,
	    topic, queue_id);
	if (mapfile_list(dir, 1, &list, &n, cause) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		if (mapfile_remove(dir, list[i], cause) != 0)
			goto out;
	}
	mapfile_sync_dir(dir);
	r = 0;
out:
	free(list);
	free(dir);
	return (r);
}
