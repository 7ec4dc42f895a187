/*
 * A map from nonzero 64-bit ids to pointers, for the request and
 * connection tables of the transport (lib/rpc.c, actors/listener.c).
 * Open addressing with linear probing in a power-of-two table kept at most
 * half full; ids are spread by Fibonacci hashing, which suits the
 * sequential ids both users hand out.  Removal shifts the following run
 * back (no tombstones), so lookups stay short however many requests come
 * and go.
 */
#include "config.h"

#include <stdlib.h>

#include "idmap.h"
#include "log.h"
#include "xmalloc.h"

#define IDMAP_MIN_BITS	4

struct idmap_slot {
	uint64_t	 key;		/* 0: empty */
	void		*value;
};

struct idmap {
	struct idmap_slot	*slots;
	unsigned int		 bits;
	size_t			 count;
};

static size_t	idmap_home(const struct idmap *, uint64_t);
static void	idmap_grow(struct idmap *);

/* An empty map. */
struct idmap *
idmap_new(void)
{
	struct idmap	*m;

	m = xcalloc(1, sizeof *m);
	m->bits = IDMAP_MIN_BITS;
	m->slots = xcalloc((size_t)1 << m->bits, sizeof *m->slots);
	return (m);
}

/* Free the map, not the values; NULL is fine. */
void
idmap_free(struct idmap *m)
{
	if (m == NULL)
		return;
	free(m->slots);
	free(m);
}

/* How many ids the map holds. */
size_t
idmap_count(const struct idmap *m)
{
	return (m->count);
}

/* The slot where key would sit in an uncrowded table. */
static size_t
idmap_home(const struct idmap *m, uint64_t key)
{
	return ((size_t)((key * 0x9e3779b97f4a7c15ULL) >> (64 - m->bits)));
}

/* Double the table and put every entry back. */
static void
idmap_grow(struct idmap *m)
{
	struct idmap_slot	*old = m->slots;
	size_t			 i, j, n = (size_t)1 << m->bits, mask;

	m->bits++;
	m->slots = xcalloc((size_t)1 << m->bits, sizeof *m->slots);
	mask = ((size_t)1 << m->bits) - 1;
	for (i = 0; i < n; i++) {
		if (old[i].key == 0)
			continue;
		j = idmap_home(m, old[i].key);
		while (m->slots[j].key != 0)
			j = (j + 1) & mask;
		m->slots[j] = old[i];
	}
	free(old);
}

/* The value of key, or NULL. */
void *
idmap_get(const struct idmap *m, uint64_t key)
{
	size_t	i, mask = ((size_t)1 << m->bits) - 1;

	if (key == 0)
		return (NULL);
	for (i = idmap_home(m, key); m->slots[i].key != 0; i = (i + 1) & mask) {
		if (m->slots[i].key == key)
			return (m->slots[i].value);
	}
	return (NULL);
}

/* Set the value of key (nonzero), replacing any it had. */
void
idmap_put(struct idmap *m, uint64_t key, void *value)
{
	size_t	i, mask;

	if (key == 0)
		fatalx("%s: id 0", __func__);
	if ((m->count + 1) * 2 > ((size_t)1 << m->bits))
		idmap_grow(m);
	mask = ((size_t)1 << m->bits) - 1;
	for (i = idmap_home(m, key); m->slots[i].key != 0; i = (i + 1) & mask) {
		if (m->slots[i].key == key) {
			m->slots[i].value = value;
			return;
		}
	}
	m->slots[i].key = key;
	m->slots[i].value = value;
	m->count++;
}

/* Remove key; returns its value, or NULL if it was not there. */
void *
idmap_remove(struct idmap *m, uint64_t key)
{
	size_t	 i, j, home, mask = ((size_t)1 << m->bits) - 1;
	void	*value;

	if (key == 0)
		return (NULL);
	for (i = idmap_home(m, key); m->slots[i].key != key; i = (i + 1) & mask) {
		if (m->slots[i].key == 0)
			return (NULL);
	}
	value = m->slots[i].value;

	/*
	 * Pull back each following entry of the run that may not stay
	 * behind the hole: one whose home is not cyclically in (i, j].
	 */
	for (j = (i + 1) & mask; m->slots[j].key != 0; j = (j + 1) & mask) {
		home = idmap_home(m, m->slots[j].key);
		if (i <= j ? (home > i && home <= j) : (home > i || home <= j))
			continue;
		m->slots[i] = m->slots[j];
		i = j;
	}
	m->slots[i].key = 0;
	m->slots[i].value = NULL;
	m->count--;
	return (value);
}

/*
 * Walk the map: start with *iter = 0; each call returns the next value and
 * sets *key (if not NULL), or returns NULL at the end.  The map must not
 * change during a walk.
 */
void *
idmap_next(const struct idmap *m, size_t *iter, uint64_t *key)
{
	size_t	n = (size_t)1 << m->bits;

	for (; *iter < n; (*iter)++) {
		if (m->slots[*iter].key == 0)
			continue;
		if (key != NULL)
			*key = m->slots[*iter].key;
		return (m->slots[(*iter)++].value);
	}
	return (NULL);
}
