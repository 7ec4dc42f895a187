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
 * Nothing here trusts the disk: a slot or chain link that points outside
 * the entries in use, or a link that does not go strictly backwards, ends
 * the walk, so a damaged file yields fewer hits, never a crash or a loop.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crc32c.h"
#include "log.h"
#include "mapfile.h"
#include "msgindex.h"
#include "store_le.h"
#include "xmalloc.h"

#define MSGINDEX_MAGIC		0x58444950U	/* "PIDX" */
#define MSGINDEX_VERSION	1

struct msgindex_file {
	uint64_t	 name;
	uint8_t		*base;
	int		 bad;		/* header did not check out */
};

struct msgindex {
	char			*dir;
	uint32_t		 slots;
	uint32_t		 entries;
	size_t			 filesize;

	struct msgindex_file	*files;		/* ascending */
	size_t			 nfiles;
	size_t			 capfiles;
	int			 dirty;
};

/* Hash of kind, topic and key. */
static uint32_t
msgindex_hash(int kind, const char *topic, size_t tl, const char *key,
    size_t kl)
{
	uint8_t		k = (uint8_t)kind, sep = '#';
	uint32_t	h;

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
	xasprintf(&ix->dir, "%s/index", root);
	ix->slots = slots ? slots : MSGINDEX_SLOTS_DEFAULT;
	ix->entries = entries ? entries : MSGINDEX_ENTRIES_DEFAULT;
	if (ix->entries < 2) {
		xasprintf(cause, "an index file needs at least 2 entries");
		goto fail;
	}
	ix->filesize = msgindex_size(ix->slots, ix->entries);
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
	for (i = 0; i < ix->nfiles; i++)
		mapfile_unmap(ix->files[i].base, ix->filesize);
	free(ix->files);
	free(ix->dir);
	free(ix);
}

size_t
msgindex_files(struct msgindex *ix)
{
	return (ix->nfiles);
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
	if (msgindex_flush(ix, cause) != 0)	/* the file it replaces */
		return (NULL);
	base = mapfile_create(ix->dir, name, ix->filesize, 0, cause);
	if (base == NULL)
		return (NULL);
	le32enc(base, MSGINDEX_MAGIC);
	le32enc(base + 4, MSGINDEX_VERSION);
	le64enc(base + 8, ts);
	le64enc(base + 16, ts);
	le64enc(base + 24, phys);
	le64enc(base + 32, phys);
	le32enc(base + 40, ix->slots);
	le32enc(base + 44, ix->entries);
	le32enc(base + 48, 1);
	msgindex_push(ix, name, base);
	return (&ix->files[ix->nfiles - 1]);
}

/* Index key of kind (MSGINDEX_KEY or MSGINDEX_ID) in topic at phys. */
int
msgindex_add(struct msgindex *ix, int kind, const char *topic, size_t tl,
    const char *key, size_t kl, uint64_t phys, uint32_t size, uint64_t ts,
    char **cause)
{
	struct msgindex_file	*f = NULL;
	uint8_t			*h, *slot, *e;
	uint32_t		 hash, count;
	uint64_t		 begin;

	if (ix->nfiles > 0 && !ix->files[ix->nfiles - 1].bad) {
		f = &ix->files[ix->nfiles - 1];
		h = f->base;
		begin = le64dec(h + 8);
		if (le32dec(h + 48) >= ix->entries || ts < begin ||
		    ts - begin > UINT32_MAX)
			f = NULL;
	}
	if (f == NULL && (f = msgindex_new_file(ix, ts, phys, cause)) == NULL)
		return (-1);
	h = f->base;
	hash = msgindex_hash(kind, topic, tl, key, kl);
	count = le32dec(h + 48);
	slot = h + MSGINDEX_HEADER + (size_t)(hash % ix->slots) *
	    MSGINDEX_SLOT;
	e = h + MSGINDEX_HEADER + (size_t)ix->slots * MSGINDEX_SLOT +
	    (size_t)count * MSGINDEX_ENTRY;
	le32enc(e, hash);
	le32enc(e + 4, le32dec(slot) < count ? le32dec(slot) : 0);
	le64enc(e + 8, phys);
	le32enc(e + 16, (uint32_t)(ts - le64dec(h + 8)));
	le32enc(e + 20, size);
	le32enc(slot, count);
	le32enc(h + 48, count + 1);
	if (ts > le64dec(h + 16))
		le64enc(h + 16, ts);
	if (phys > le64dec(h + 32))
		le64enc(h + 32, phys);
	ix->dirty = 1;
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

	hash = msgindex_hash(kind, topic, tl, key, kl);
	for (i = ix->nfiles; i > 0 && n < max; i--) {
		if (ix->files[i - 1].bad)
			continue;
		h = ix->files[i - 1].base;
		fbegin = le64dec(h + 8);
		if (fbegin > end || le64dec(h + 16) < begin)
			continue;
		count = le32dec(h + 48);
		cur = le32dec(h + MSGINDEX_HEADER + (size_t)(hash % ix->slots) *
		    MSGINDEX_SLOT);
		for (steps = 0; cur > 0 && cur < count && n < max &&
		    steps < count; steps++) {
			e = h + MSGINDEX_HEADER + (size_t)ix->slots *
			    MSGINDEX_SLOT + (size_t)cur * MSGINDEX_ENTRY;
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

/* Make the last file durable. */
int
msgindex_flush(struct msgindex *ix, char **cause)
{
	if (!ix->dirty || ix->nfiles == 0)
		return (0);
	if (mapfile_sync(ix->files[ix->nfiles - 1].base, 0, ix->filesize,
	    cause) != 0)
		return (-1);
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
