/*
 * A string-keyed hash map: buckets of singly linked entries, FNV-1a
 * hashes kept in the entries so growing never rehashes a string.  The map
 * copies keys and never touches values except to hand them to the free
 * function given to strmap_free().
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "strmap.h"
#include "xmalloc.h"

#define STRMAP_MIN	16

struct strmap_entry {
	struct strmap_entry	*next;
	uint64_t		 hash;
	char			*key;
	void			*value;
};

struct strmap {
	struct strmap_entry	**buckets;
	size_t			  nbuckets;	/* a power of two */
	size_t			  count;
};

/* FNV-1a over a NUL-terminated string. */
static uint64_t
strmap_hash(const char *s)
{
	uint64_t	h = 14695981039346656037ULL;

	for (; *s != '\0'; s++) {
		h ^= (u_char)*s;
		h *= 1099511628211ULL;
	}
	return (h);
}

/* An empty map. */
struct strmap *
strmap_new(void)
{
	struct strmap	*m;

	m = xcalloc(1, sizeof *m);
	m->nbuckets = STRMAP_MIN;
	m->buckets = xcalloc(m->nbuckets, sizeof *m->buckets);
	return (m);
}

/* Free the map, its keys and, if fn is not NULL, each value with fn. */
void
strmap_free(struct strmap *m, void (*fn)(void *))
{
	struct strmap_entry	*e, *next;
	size_t			 i;

	if (m == NULL)
		return;
	for (i = 0; i < m->nbuckets; i++) {
		for (e = m->buckets[i]; e != NULL; e = next) {
			next = e->next;
			if (fn != NULL)
				fn(e->value);
			free(e->key);
			free(e);
		}
	}
	free(m->buckets);
	free(m);
}

/* How many keys the map holds. */
size_t
strmap_count(const struct strmap *m)
{
	return (m->count);
}

/* The entry slot for key: where it is, or where it would be linked. */
static struct strmap_entry **
strmap_find(const struct strmap *m, const char *key, uint64_t h)
{
	struct strmap_entry	**ep;

	ep = &m->buckets[h & (m->nbuckets - 1)];
	for (; *ep != NULL; ep = &(*ep)->next) {
		if ((*ep)->hash == h && strcmp((*ep)->key, key) == 0)
			break;
	}
	return (ep);
}

/* The value of key, or NULL. */
void *
strmap_get(const struct strmap *m, const char *key)
{
	struct strmap_entry	*e;

	e = *strmap_find(m, key, strmap_hash(key));
	return (e != NULL ? e->value : NULL);
}

/* Double the buckets once the map holds more keys than buckets. */
static void
strmap_grow(struct strmap *m)
{
	struct strmap_entry	**nb, *e, *next;
	size_t			  n = m->nbuckets * 2, i;

	nb = xcalloc(n, sizeof *nb);
	for (i = 0; i < m->nbuckets; i++) {
		for (e = m->buckets[i]; e != NULL; e = next) {
			next = e->next;
			e->next = nb[e->hash & (n - 1)];
			nb[e->hash & (n - 1)] = e;
		}
	}
	free(m->buckets);
	m->buckets = nb;
	m->nbuckets = n;
}

/* Set key to value (not NULL); returns the value replaced, or NULL. */
void *
strmap_put(struct strmap *m, const char *key, void *value)
{
	struct strmap_entry	**ep, *e;
	uint64_t		  h = strmap_hash(key);
	void			 *old;

	ep = strmap_find(m, key, h);
	if ((e = *ep) != NULL) {
		old = e->value;
		e->value = value;
		return (old);
	}
	e = xcalloc(1, sizeof *e);
	e->hash = h;
	e->key = xstrdup(key);
	e->value = value;
	*ep = e;
	if (++m->count > m->nbuckets)
		strmap_grow(m);
	return (NULL);
}

/* Remove key; returns its value, or NULL if it was not there. */
void *
strmap_remove(struct strmap *m, const char *key)
{
	struct strmap_entry	**ep, *e;
	void			 *value;

	ep = strmap_find(m, key, strmap_hash(key));
	if ((e = *ep) == NULL)
		return (NULL);
	*ep = e->next;
	value = e->value;
	free(e->key);
	free(e);
	m->count--;
	return (value);
}

/*
 * Walk the map in no order: start with *iter = 0; returns 0 when done.
 * *iter holds the bucket in its high bits and the place in that bucket's
 * chain in its low 32, so each step is short.  The map must not change
 * during a walk.
 */
int
strmap_next(const struct strmap *m, size_t *iter, const char **key,
    void **value)
{
	struct strmap_entry	*e;
	size_t			 b = *iter >> 32, pos = *iter & 0xffffffffU, i;

	for (; b < m->nbuckets; b++, pos = 0) {
		for (e = m->buckets[b], i = 0; e != NULL && i < pos;
		    e = e->next)
			i++;
		if (e == NULL)
			continue;
		*iter = (b << 32) | (pos + 1);
		if (key != NULL)
			*key = e->key;
		if (value != NULL)
			*value = e->value;
		return (1);
	}
	*iter = b << 32;
	return (0);
}

/* qsort(3) order of two keys. */
static int
strmap_cmp(const void *a, const void *b)
{
	return (strcmp(*(const char *const *)a, *(const char *const *)b));
}

/*
 * The keys in strcmp(3) order, as an array the caller frees (not the
 * keys, which stay the map's); *n is set to the count.
 */
const char **
strmap_keys(const struct strmap *m, size_t *n)
{
	struct strmap_entry	*e;
	const char		**keys;
	size_t			  i, k = 0;

	keys = xcalloc(m->count + 1, sizeof *keys);
	for (i = 0; i < m->nbuckets; i++) {
		for (e = m->buckets[i]; e != NULL; e = e->next)
			keys[k++] = e->key;
	}
	qsort(keys, k, sizeof *keys, strmap_cmp);
	*n = k;
	return (keys);
}
