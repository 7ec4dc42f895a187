/*
 * Helpers shared by the store's check programs: deterministic messages
 * whose every byte can be checked after a round trip.
 */
#ifndef STORE_TEST_H
#define STORE_TEST_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commitlog.h"
#include "store.h"

struct st_msg {
	struct commitlog_msg	m;
	char			topic[32];
	char			props[128];
	uint8_t			body[20000];
};

/*
 * An assertion for hot loops: check's ck_assert() reports every passing
 * check to the parent process, which costs more than the test itself.
 */
#define ST_CHECK(cond) do {						\
	if (!(cond))							\
		ck_abort_msg("%s:%d: %s failed", __FILE__, __LINE__, #cond); \
} while (0)

/* Deterministic pseudo-random numbers (xorshift). */
static inline uint64_t
st_rand(uint64_t *s)
{
	uint64_t	x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return (*s = x);
}

/* Fill message number seq of topic/queue with body_len checkable bytes. */
static inline struct commitlog_msg *
st_fill(struct st_msg *sm, const char *topic, uint32_t qid, uint64_t seq,
    size_t body_len)
{
	struct commitlog_msg	*m = &sm->m;
	size_t			 i;
	int			 n;

	memset(m, 0, sizeof *m);
	snprintf(sm->topic, sizeof sm->topic, "%s", topic);
	n = snprintf(sm->props, sizeof sm->props,
	    "KEYS\001key-%llu k%llu\002TAGS\001tag%llu\002"
	    "UNIQ_KEY\001id-%s-%llu\002a\001b",
	    (unsigned long long)seq, (unsigned long long)(seq % 7),
	    (unsigned long long)(seq % 4), topic, (unsigned long long)seq);
	if (body_len > sizeof sm->body)
		body_len = sizeof sm->body;
	for (i = 0; i < body_len; i++)
		sm->body[i] = (uint8_t)(seq * 31 + i * 7 + qid);
	m->topic = sm->topic;
	m->queue_id = qid;
	m->flags = (uint32_t)(seq % 2);
	m->born_ts = 1700000000000ULL + seq;
	m->store_ts = 1700000000000ULL + seq * 10;
	m->born_host.addr[10] = m->born_host.addr[11] = 0xff;
	m->born_host.addr[12] = 127;
	m->born_host.addr[15] = 1;
	m->born_host.port = 4000;
	m->store_host.addr[15] = 1;
	m->store_host.port = 10911;
	m->reconsume = (uint32_t)(seq % 4);
	m->props = sm->props;
	m->props_len = (size_t)n;
	m->body = sm->body;
	m->body_len = body_len;
	return (m);
}

/* Whether a decoded record matches what st_fill() made for it. */
static inline int
st_same(const struct commitlog_msg *got, const struct commitlog_msg *want)
{
	size_t	tl = want->topic_len ? want->topic_len : strlen(want->topic);

	return (got->topic_len == tl &&
	    memcmp(got->topic, want->topic, tl) == 0 &&
	    got->queue_id == want->queue_id &&
	    got->queue_offset == want->queue_offset &&
	    got->flags == want->flags && got->born_ts == want->born_ts &&
	    got->store_ts == want->store_ts &&
	    memcmp(&got->born_host.addr, &want->born_host.addr, 16) == 0 &&
	    got->born_host.port == want->born_host.port &&
	    memcmp(&got->store_host.addr, &want->store_host.addr, 16) == 0 &&
	    got->store_host.port == want->store_host.port &&
	    got->reconsume == want->reconsume &&
	    got->props_len == want->props_len &&
	    memcmp(got->props, want->props, want->props_len) == 0 &&
	    got->body_len == want->body_len &&
	    memcmp(got->body, want->body, want->body_len) == 0);
}

/* The path of segment start of the commit log under root (caller frees). */
static inline void
xasprintf_test(char **path, const char *root, uint64_t start)
{
	char	buf[4096];

	snprintf(buf, sizeof buf, "%s/commitlog/%020llu", root,
	    (unsigned long long)start);
	*path = strdup(buf);
}

/* Store a record header: size and magic. */
static inline void
le32enc_test(uint8_t *p, uint32_t size, uint32_t magic)
{
	int	i;

	for (i = 0; i < 4; i++) {
		p[i] = (uint8_t)(size >> (8 * i));
		p[4 + i] = (uint8_t)(magic >> (8 * i));
	}
}

/* How a test lays out its messages: each sequence number picks all. */
struct st_layout {
	uint32_t	  nq;				/* queues: seq % nq */
	size_t		  batch;			/* messages per put */
	const char	*(*topic)(uint64_t);
	size_t		 (*size)(uint64_t);		/* body bytes */
};

/*
 * Put messages [first, first + count) in batches of l->batch; record each
 * one's commit log offset in phys[seq] when phys is not NULL.
 */
static inline void
st_put_range(struct store *st, const struct st_layout *l, uint64_t first,
    size_t count, uint64_t *phys)
{
	static struct st_msg	 sm[64];
	struct commitlog_msg	 msgs[64];
	size_t			 i, j, n, batch;
	uint64_t		 seq;
	char			*cause = NULL;

	batch = l->batch < 64 ? l->batch : 64;
	for (i = 0; i < count; i += n) {
		n = count - i < batch ? count - i : batch;
		for (j = 0; j < n; j++) {
			seq = first + i + j;
			msgs[j] = *st_fill(&sm[j], l->topic(seq),
			    (uint32_t)(seq % l->nq), seq, l->size(seq));
		}
		if (store_put(st, msgs, n, &cause) != 0)
			ck_abort_msg("put: %s", cause);
		for (j = 0; j < n && phys != NULL; j++)
			phys[first + i + j] = msgs[j].phys;
	}
}

#endif /* STORE_TEST_H */
