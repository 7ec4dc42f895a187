/*
 * The message index (DESIGN.md "Storage"), after RocketMQ's IndexFile.
 * Each file under <root>/index/ is named by the store time (ms, 20 digits)
 * of its first entry and holds, all little endian:
 *
 *   header (64 bytes): magic, version, first and last store time, first
 *     and last commit log offset, slot count, entry capacity, entries used;
 *   slots (4 bytes each): the number of the newest entry whose key hashes
 *     to the slot, 0 for none;
 *   entries (24 bytes each, number 0 unused): key hash, number of the
 *     previous entry of the same slot, commit log offset, store time minus
 *     the file's first store time, record size.
 *
 * A key is hashed with its kind (key or unique id) and its topic, so the
 * same key in two topics, or a key equal to an id, never mix.  Hashes
 * collide: a lookup returns candidates, and store.c reads each record to
 * keep only those that really carry the key.  A file is full when its
 * entries run out (or its time span would overflow 32 bits of ms); the next
 * entry starts a new file.  Only the last file is written.
 *
 * Files are read through mappings but written with pwrite(2): a slot is
 * one random 4-byte store, and a store through a shared mapping faults the
 * page writable again after every writeback (which first write-protects
 * it, flushing the TLB of every CPU the process runs on).  Entries, the
 * header and slot updates are kept here until msgindex_write() (called by
 * a lookup, a flush, or when MSGINDEX_PENDING entries wait), which writes
 * the entries and header first and the slots last, each slot once however
 * often it changed and each page of slots in one write (so many updates
 * wait: a page holds 1024 slots): a process killed in between leaves
 * entries nobody points to, never a slot pointing past the entries in
 * use.  What a killed process had not written is after its last
 * checkpoint (a checkpoint flushes the index first), so recovery adds it
 * again.
 *
 * An add waits in a ring of MSGINDEX_AHEAD while the memory it needs is
 * fetched (its overlay cell and the file's slot, then the pending slot
 * the cell names): on a large index those are cache misses, and taken one
 * at a time they were most of the dispatcher's time.  Whatever reads or
 * writes the index places the waiting adds first.
 *
 * Nothing here trusts the disk: a slot or chain link that points outside
 * the entries in use, or a link that does not go strictly backwards, ends
 * the walk, so a damaged file yields fewer hits, never a crash or a loop.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crc32c.h"
#include "log.h"
#include "mapfile.h"
#include "msgindex.h"
#include "store_le.h"
#include "xmalloc.h"

#define MSGINDEX_MAGIC		0x58444950U	/* "PIDX" */
#define MSGINDEX_VERSION	1
#define MSGINDEX_PENDING	65536	/* entries kept before a write */
#define MSGINDEX_OVERLAY	(2 * MSGINDEX_PENDING)	/* power of two */
#define MSGINDEX_PAGE		4096	/* slots are written a page at once */
#define MSGINDEX_AHEAD		8	/* adds waiting for their memory */

struct msgindex_file {
	uint64_t	 name;
	uint8_t		*base;
	int		 bad;		/* header did not check out */
};

/* An add waiting in the ring. */
struct msgindex_wait {
	uint32_t	 hash;
	uint32_t	 size;
	uint64_t	 phys;
	uint64_t	 ts;
};

/* A slot's new value, not yet written. */
struct msgindex_slot {
	uint32_t	 slot;
	uint32_t	 value;
	uint32_t	 at;		/* its place in the overlay */
};

struct msgindex {
	char			*dir;
	uint32_t		 slots;
	uint32_t		 entries;
	size_t			 filesize;

	struct msgindex_file	*files;		/* ascending */
	size_t			 nfiles;
	size_t			 capfiles;
	int			 dirty;		/* written, not synced */

	/* The last file, when it takes entries. */
	int			 wfd;
	uint8_t			 head[MSGINDEX_HEADER];	/* as it will be */
	uint32_t		 written;	/* entries in the file */
	uint8_t			*pend;		/* entries after those */
	struct msgindex_slot	*pslots;	/* slot updates */
	size_t			 npslots;
	struct msgindex_slot	*psorted;	/* them by page, to write */
	uint32_t		*pagecount;	/* updates of each page */
	uint32_t		*overlay;	/* slot -> pslots index + 1 */

	struct msgindex_wait	 ahead[MSGINDEX_AHEAD];	/* adds waiting */
	size_t			 first;		/* the oldest */
	size_t			 nahead;
};

static int	msgindex_take(struct msgindex *, char **);
static int	msgindex_place(struct msgindex *, char **);
static size_t	msgindex_page_of(const struct msgindex *, uint32_t);
static int	msgindex_write_out(struct msgindex *, char **);
static int	msgindex_sync(struct msgindex *, char **);

/*
 * Hash of kind, topic and key: the CRC-32C of kind, topic, '#' and key
 * one after another, in one call where they fit in a buffer (a call
 * costs more than hashing the few bytes of each part).
 */
static uint32_t
msgindex_hash(int kind, const char *topic, size_t tl, const char *key,
    size_t kl)
{
	uint8_t		buf[256], k = (uint8_t)kind, sep = '#';
	uint32_t	h;

	if (tl + kl + 2 <= sizeof buf) {
		buf[0] = k;
		memcpy(buf + 1, topic, tl);
		buf[1 + tl] = sep;
		memcpy(buf + 2 + tl, key, kl);
		return (crc32c(0, buf, tl + kl + 2));
	}
	h = crc32c(0, &k, 1);
	h = crc32c(h, topic, tl);
	h = crc32c(h, &sep, 1);
	return (crc32c(h, key, kl));
}

static size_t
msgindex_size(uint32_t slots, uint32_t entries)
{
	return (MSGINDEX_HEADER + (size_t)slots * MSGINDEX_SLOT +
	    (size_t)entries * MSGINDEX_ENTRY);
}

/* Check a file's header against our geometry. */
static int
msgindex_check(struct msgindex *ix, const uint8_t *h)
{
	return (le32dec(h) == MSGINDEX_MAGIC &&
	    le32dec(h + 4) == MSGINDEX_VERSION &&
	    le32dec(h + 40) == ix->slots && le32dec(h + 44) == ix->entries &&
	    le32dec(h + 48) >= 1 && le32dec(h + 48) <= ix->entries);
}

static void
msgindex_push(struct msgindex *ix, uint64_t name, uint8_t *base)
{
	if (ix->nfiles == ix->capfiles) {
		ix->capfiles = ix->capfiles == 0 ? 4 : ix->capfiles * 2;
		ix->files = xreallocarray(ix->files, ix->capfiles,
		    sizeof *ix->files);
	}
	ix->files[ix->nfiles].name = name;
	ix->files[ix->nfiles].base = base;
	ix->files[ix->nfiles].bad = !msgindex_check(ix, base);
	ix->nfiles++;
}

/*
 * Open the index under root/index with the given geometry (0: defaults).
 * A file of another size cannot be mapped and is an error; a file with a
 * bad header is kept but never read or written.
 */
struct msgindex *
msgindex_open(const char *root, uint32_t slots, uint32_t entries,
    char **cause)
{
	struct msgindex	*ix;
	uint64_t	*list = NULL;
	size_t		 n, i;
	uint8_t		*base;

	ix = xcalloc(1, sizeof *ix);
	ix->wfd = -1;
	ix->pend = xreallocarray(NULL, MSGINDEX_PENDING, MSGINDEX_ENTRY);
	ix->pslots = xcalloc(MSGINDEX_PENDING, sizeof *ix->pslots);
	ix->psorted = xcalloc(MSGINDEX_PENDING, sizeof *ix->psorted);
	ix->overlay = xcalloc(MSGINDEX_OVERLAY, sizeof *ix->overlay);
	xasprintf(&ix->dir, "%s/index", root);
	ix->slots = slots ? slots : MSGINDEX_SLOTS_DEFAULT;
	ix->entries = entries ? entries : MSGINDEX_ENTRIES_DEFAULT;
	if (ix->entries < 2) {
		xasprintf(cause, "an index file needs at least 2 entries");
		goto fail;
	}
	ix->filesize = msgindex_size(ix->slots, ix->entries);
	ix->pagecount = xcalloc(msgindex_page_of(ix, ix->slots - 1) + 1,
	    sizeof *ix->pagecount);
	if (mapfile_mkdirs(ix->dir, cause) != 0 ||
	    mapfile_list(ix->dir, 1, &list, &n, cause) != 0)
		goto fail;
	for (i = 0; i < n; i++) {
		base = mapfile_open(ix->dir, list[i], ix->filesize, 1, cause);
		if (base == NULL)
			goto fail;
		msgindex_push(ix, list[i], base);
		if (ix->files[ix->nfiles - 1].bad)
			log_warnx("index file %s/%020llu has a bad header; "
			    "ignored", ix->dir, (unsigned long long)list[i]);
	}
	free(list);
	if (ix->nfiles > 0 && msgindex_take(ix, cause) != 0)
		goto fail;
	return (ix);
fail:
	free(list);
	msgindex_close(ix);
	return (NULL);
}

/* Unmap and free. */
void
msgindex_close(struct msgindex *ix)
{
	size_t	i;

	if (ix == NULL)
		return;
	if (ix->wfd != -1)
		close(ix->wfd);
	for (i = 0; i < ix->nfiles; i++)
		mapfile_unmap(ix->files[i].base, ix->filesize);
	free(ix->pend);
	free(ix->pslots);
	free(ix->psorted);
	free(ix->pagecount);
	free(ix->overlay);
	free(ix->files);
	free(ix->dir);
	free(ix);
}

size_t
msgindex_files(struct msgindex *ix)
{
	return (ix->nfiles);
}

/* The file offset of entry n. */
static uint64_t
msgindex_entry_at(const struct msgindex *ix, uint32_t n)
{
	return (MSGINDEX_HEADER + (uint64_t)ix->slots * MSGINDEX_SLOT +
	    (uint64_t)n * MSGINDEX_ENTRY);
}

/* The file offset of slot s. */
static uint64_t
msgindex_slot_at(const struct msgindex *ix, uint32_t s)
{
	return (MSGINDEX_HEADER + (uint64_t)s * MSGINDEX_SLOT);
}

/* The page of the file slot s falls in. */
static size_t
msgindex_page_of(const struct msgindex *ix, uint32_t s)
{
	return ((size_t)(msgindex_slot_at(ix, s) / MSGINDEX_PAGE));
}

/*
 * Take the last file for writing: open it and start from its header.
 * A file whose header did not check out takes nothing (the next entry
 * starts a new file).
 */
static int
msgindex_take(struct msgindex *ix, char **cause)
{
	struct msgindex_file	*f = &ix->files[ix->nfiles - 1];

	if (ix->wfd != -1) {
		close(ix->wfd);
		ix->wfd = -1;
	}
	if (f->bad)
		return (0);
	if ((ix->wfd = mapfile_open_fd(ix->dir, f->name, cause)) == -1)
		return (-1);
	memcpy(ix->head, f->base, MSGINDEX_HEADER);
	ix->written = le32dec(ix->head + 48);
	return (0);
}

/*
 * Order the pending slot updates by the page of the file they fall in,
 * the order within a page being of no matter: a counting sort, two passes
 * over the updates and one over the pages.
 */
static void
msgindex_order(struct msgindex *ix)
{
	struct msgindex_slot	*t;
	size_t			 npages, i;
	uint32_t		 sum = 0, n;

	npages = msgindex_page_of(ix, ix->slots - 1) + 1;
	memset(ix->pagecount, 0, npages * sizeof *ix->pagecount);
	for (i = 0; i < ix->npslots; i++)
		ix->pagecount[msgindex_page_of(ix, ix->pslots[i].slot)]++;
	for (i = 0; i < npages; i++) {
		n = ix->pagecount[i];
		ix->pagecount[i] = sum;
		sum += n;
	}
	for (i = 0; i < ix->npslots; i++)
		ix->psorted[ix->pagecount[msgindex_page_of(ix,
		    ix->pslots[i].slot)]++] = ix->pslots[i];
	t = ix->pslots;
	ix->pslots = ix->psorted;
	ix->psorted = t;
}

/*
 * Write the pending slot updates of the last file, a page at a time: the
 * page as the file has it (through the mapping), with its updates.
 */
static int
msgindex_write_slots(struct msgindex *ix, char **cause)
{
	const uint8_t	*base = ix->files[ix->nfiles - 1].base;
	uint8_t		 page[MSGINDEX_PAGE];
	uint64_t	 at, off;
	size_t		 i, len;

	msgindex_order(ix);
	for (i = 0; i < ix->npslots; i++)	/* the overlay follows */
		ix->overlay[ix->pslots[i].at] = (uint32_t)(i + 1);
	for (i = 0; i < ix->npslots; ) {
		off = msgindex_slot_at(ix, ix->pslots[i].slot);
		at = off - off % MSGINDEX_PAGE;
		len = ix->filesize - at < MSGINDEX_PAGE ?
		    (size_t)(ix->filesize - at) : MSGINDEX_PAGE;
		memcpy(page, base + at, len);
		for (; i < ix->npslots; i++) {
			off = msgindex_slot_at(ix, ix->pslots[i].slot);
			if (off - at >= len)
				break;
			le32enc(page + (off - at), ix->pslots[i].value);
		}
		if (mapfile_write(ix->wfd, page, len, at, cause) != 0)
			return (-1);	/* all kept, for the next write */
	}
	for (i = 0; i < ix->npslots; i++)
		ix->overlay[ix->pslots[i].at] = 0;
	return (0);
}

/*
 * Write what was added since the last call: entries and header first,
 * then the slots that point to them.
 */
int
msgindex_write(struct msgindex *ix, char **cause)
{
	if (msgindex_place(ix, cause) != 0)
		return (-1);
	return (msgindex_write_out(ix, cause));
}

/* msgindex_write() of what is placed, the adds waiting left waiting. */
static int
msgindex_write_out(struct msgindex *ix, char **cause)
{
	uint32_t	count;

	if (ix->wfd == -1)
		return (0);
	count = le32dec(ix->head + 48);
	if (count == ix->written && ix->npslots == 0)
		return (0);
	if (mapfile_write(ix->wfd, ix->pend, (size_t)(count - ix->written) *
	    MSGINDEX_ENTRY, msgindex_entry_at(ix, ix->written), cause) != 0 ||
	    mapfile_write(ix->wfd, ix->head, MSGINDEX_HEADER, 0, cause) != 0)
		return (-1);
	ix->written = count;
	if (ix->npslots > 0 && msgindex_write_slots(ix, cause) != 0)
		return (-1);
	ix->npslots = 0;
	ix->dirty = 1;
	return (0);
}

/* Start a new file for an entry stored at ts. */
static struct msgindex_file *
msgindex_new_file(struct msgindex *ix, uint64_t ts, uint64_t phys,
    char **cause)
{
	uint64_t	 name = ts;
	uint8_t		*base;

	if (ix->nfiles > 0 && name <= ix->files[ix->nfiles - 1].name)
		name = ix->files[ix->nfiles - 1].name + 1;
	if (msgindex_sync(ix, cause) != 0)	/* the file it replaces */
		return (NULL);
	base = mapfile_create(ix->dir, name, ix->filesize, 0, cause);
	if (base == NULL)
		return (NULL);
	memset(ix->head, 0, sizeof ix->head);
	le32enc(ix->head, MSGINDEX_MAGIC);
	le32enc(ix->head + 4, MSGINDEX_VERSION);
	le64enc(ix->head + 8, ts);
	le64enc(ix->head + 16, ts);
	le64enc(ix->head + 24, phys);
	le64enc(ix->head + 32, phys);
	le32enc(ix->head + 40, ix->slots);
	le32enc(ix->head + 44, ix->entries);
	le32enc(ix->head + 48, 1);
	if (ix->wfd != -1)
		close(ix->wfd);
	if ((ix->wfd = mapfile_open_fd(ix->dir, name, cause)) == -1 ||
	    mapfile_write(ix->wfd, ix->head, MSGINDEX_HEADER, 0, cause) != 0) {
		mapfile_unmap(base, ix->filesize);
		return (NULL);
	}
	ix->written = 1;
	ix->dirty = 1;
	msgindex_push(ix, name, base);
	return (&ix->files[ix->nfiles - 1]);
}

/* The value slot s of the file being written will have. */
static uint32_t
msgindex_slot_get(struct msgindex *ix, const uint8_t *base, uint32_t s)
{
	uint32_t	h, i;

	/* Linear probing from the slot's home; 0 ends the probe. */
	for (h = s; (i = ix->overlay[h & (MSGINDEX_OVERLAY - 1)]) != 0; h++) {
		if (ix->pslots[i - 1].slot == s)
			return (ix->pslots[i - 1].value);
	}
	return (le32dec(base + msgindex_slot_at(ix, s)));
}

/* Set slot s to value v (written by msgindex_write()). */
static void
msgindex_slot_set(struct msgindex *ix, uint32_t s, uint32_t v)
{
	uint32_t	h, i;

	for (h = s; (i = ix->overlay[h & (MSGINDEX_OVERLAY - 1)]) != 0; h++) {
		if (ix->pslots[i - 1].slot == s) {
			ix->pslots[i - 1].value = v;
			return;
		}
	}
	ix->pslots[ix->npslots].slot = s;
	ix->pslots[ix->npslots].value = v;
	ix->pslots[ix->npslots].at = h & (MSGINDEX_OVERLAY - 1);
	ix->overlay[h & (MSGINDEX_OVERLAY - 1)] = (uint32_t)++ix->npslots;
}

/* Place the add w: its entry, and its slot pointing to it. */
static int
msgindex_put(struct msgindex *ix, const struct msgindex_wait *w,
    char **cause)
{
	struct msgindex_file	*f = NULL;
	uint8_t			*h = ix->head, *e;
	uint32_t		 count, slot, prev;
	uint64_t		 begin;

	if (ix->wfd != -1) {
		f = &ix->files[ix->nfiles - 1];
		begin = le64dec(h + 8);
		if (le32dec(h + 48) >= ix->entries || w->ts < begin ||
		    w->ts - begin > UINT32_MAX)
			f = NULL;
	}
	if (f == NULL && (f = msgindex_new_file(ix, w->ts, w->phys,
	    cause)) == NULL)
		return (-1);
	count = le32dec(h + 48);
	slot = w->hash % ix->slots;
	prev = msgindex_slot_get(ix, f->base, slot);
	e = ix->pend + (size_t)(count - ix->written) * MSGINDEX_ENTRY;
	le32enc(e, w->hash);
	le32enc(e + 4, prev < count ? prev : 0);
	le64enc(e + 8, w->phys);
	le32enc(e + 16, (uint32_t)(w->ts - le64dec(h + 8)));
	le32enc(e + 20, w->size);
	msgindex_slot_set(ix, slot, count);
	le32enc(h + 48, count + 1);
	if (w->ts > le64dec(h + 16))
		le64enc(h + 16, w->ts);
	if (w->phys > le64dec(h + 32))
		le64enc(h + 32, w->phys);
	if (count + 1 - ix->written == MSGINDEX_PENDING)
		return (msgindex_write_out(ix, cause));
	return (0);
}

/* Place the oldest add waiting. */
static int
msgindex_place_one(struct msgindex *ix, char **cause)
{
	struct msgindex_wait	w = ix->ahead[ix->first];

	ix->first = (ix->first + 1) % MSGINDEX_AHEAD;
	ix->nahead--;
	return (msgindex_put(ix, &w, cause));
}

/* Place every add waiting, oldest first. */
static int
msgindex_place(struct msgindex *ix, char **cause)
{
	while (ix->nahead > 0) {
		if (msgindex_place_one(ix, cause) != 0)
			return (-1);
	}
	return (0);
}

/*
 * Index key of kind (MSGINDEX_KEY or MSGINDEX_ID) in topic at phys: it
 * waits while its memory is fetched, and the oldest add waiting is
 * placed.  An error may be that add's.
 */
int
msgindex_add(struct msgindex *ix, int kind, const char *topic, size_t tl,
    const char *key, size_t kl, uint64_t phys, uint32_t size, uint64_t ts,
    char **cause)
{
	struct msgindex_wait	*w;
	uint32_t		 slot, i;

	if (ix->nahead == MSGINDEX_AHEAD && msgindex_place_one(ix, cause) != 0)
		return (-1);
	w = &ix->ahead[(ix->first + ix->nahead++) % MSGINDEX_AHEAD];
	w->hash = msgindex_hash(kind, topic, tl, key, kl);
	w->phys = phys;
	w->size = size;
	w->ts = ts;
	slot = w->hash % ix->slots;
	__builtin_prefetch(&ix->overlay[slot & (MSGINDEX_OVERLAY - 1)]);
	if (ix->wfd != -1)
		__builtin_prefetch(ix->files[ix->nfiles - 1].base +
		    msgindex_slot_at(ix, slot));
	/* The add halfway through: its cell is in, fetch what it names. */
	if (ix->nahead > MSGINDEX_AHEAD / 2) {
		w = &ix->ahead[(ix->first + ix->nahead - 1 -
		    MSGINDEX_AHEAD / 2) % MSGINDEX_AHEAD];
		slot = w->hash % ix->slots;
		if ((i = ix->overlay[slot & (MSGINDEX_OVERLAY - 1)]) != 0)
			__builtin_prefetch(&ix->pslots[i - 1]);
	}
	return (0);
}

/* Whether hits already has phys. */
static int
msgindex_seen(const struct msgindex_hit *hits, size_t n, uint64_t phys)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (hits[i].phys == phys)
			return (1);
	}
	return (0);
}

/*
 * Candidates for key of kind in topic stored within [begin, end] (ms),
 * newest first, at most max, without duplicates.  Returns how many.
 */
size_t
msgindex_lookup(struct msgindex *ix, int kind, const char *topic, size_t tl,
    const char *key, size_t kl, uint64_t begin, uint64_t end,
    struct msgindex_hit *hits, size_t max)
{
	const uint8_t	*h, *e;
	uint32_t	 hash, count, cur, steps;
	uint64_t	 fbegin, ts;
	size_t		 n = 0, i;
	char		*cause = NULL;

	if (msgindex_write(ix, &cause) != 0) {
		log_warnx("index %s: %s", ix->dir, cause);
		free(cause);
	}
	hash = msgindex_hash(kind, topic, tl, key, kl);
	for (i = ix->nfiles; i > 0 && n < max; i--) {
		if (ix->files[i - 1].bad)
			continue;
		h = ix->files[i - 1].base;
		fbegin = le64dec(h + 8);
		if (fbegin > end || le64dec(h + 16) < begin)
			continue;
		count = le32dec(h + 48);
		cur = le32dec(h + msgindex_slot_at(ix, hash % ix->slots));
		for (steps = 0; cur > 0 && cur < count && n < max &&
		    steps < count; steps++) {
			e = h + msgindex_entry_at(ix, cur);
			ts = fbegin + le32dec(e + 16);
			if (le32dec(e) == hash && ts >= begin && ts <= end &&
			    !msgindex_seen(hits, n, le64dec(e + 8))) {
				hits[n].phys = le64dec(e + 8);
				hits[n].size = le32dec(e + 20);
				hits[n].ts = ts;
				n++;
			}
			if (le32dec(e + 4) >= cur)
				break;
			cur = le32dec(e + 4);
		}
	}
	return (n);
}

/* Write and make the last file durable. */
int
msgindex_flush(struct msgindex *ix, char **cause)
{
	if (msgindex_place(ix, cause) != 0)
		return (-1);
	return (msgindex_sync(ix, cause));
}

/* msgindex_flush() of what is placed. */
static int
msgindex_sync(struct msgindex *ix, char **cause)
{
	if (msgindex_write_out(ix, cause) != 0)
		return (-1);
	if (!ix->dirty || ix->wfd == -1)
		return (0);
	if (fdatasync(ix->wfd) != 0) {
		xasprintf(cause, "sync %s: %s", ix->dir, strerror(errno));
		return (-1);
	}
	ix->dirty = 0;
	return (0);
}

/* Delete files whose entries all point below log offset phys_min. */
int
msgindex_delete_before(struct msgindex *ix, uint64_t phys_min, char **cause)
{
	while (ix->nfiles > 1 && (ix->files[0].bad ||
	    le64dec(ix->files[0].base + 32) < phys_min)) {
		mapfile_unmap(ix->files[0].base, ix->filesize);
		if (mapfile_remove(ix->dir, ix->files[0].name, cause) != 0)
			return (-1);
		memmove(ix->files, ix->files + 1,
		    (ix->nfiles - 1) * sizeof *ix->files);
		ix->nfiles--;
	}
	return (0);
}
