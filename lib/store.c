/*
 * The store façade: the commit log, every consume queue, the index and the
 * checkpoint of one broker under one root folder, and the recovery that
 * ties them together (petrel-store(5)).  It is single-threaded; the store
 * actors split the same work over loops.
 *
 * Writing: store_put() assigns each message the next offset of its
 * topic/queue, appends the batch to the commit log, and dispatches it:
 * dispatch reads records back from the log (as RocketMQ's reput does) and
 * writes their consume queue entries and index entries, so the log alone
 * is the truth and everything else can be rebuilt from it.
 *
 * Open: with the abort marker absent (clean stop), the checkpoint says
 * where the log ends and where every queue ends; no log is read.  With it
 * present (crash), the log is trusted below the checkpoint offset only:
 * commitlog_recover() validates records from there and cuts a torn tail,
 * queue entries written after the checkpoint are dropped and dispatch runs
 * again from the checkpoint.  Either way each queue's first and last
 * entries are checked against the log; a queue that is missing, short or
 * points at the wrong records is rebuilt from the whole log, as is a queue
 * whose entry turns out wrong when read.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "checkpoint.h"
#include "commitlog.h"
#include "consumequeue.h"
#include "crc32c.h"
#include "log.h"
#include "mapfile.h"
#include "msgindex.h"
#include "store.h"
#include "xmalloc.h"

#define STORE_SCAN_MAX	1024	/* queue entries a get may skip by tags */
#define STORE_HITS_MAX	64

struct store_queue {
	struct store_queue	*next;		/* hash chain */
	uint32_t		 hash;
	uint32_t		 queue_id;
	char			*topic;
	size_t			 topic_len;
	struct consumequeue	*cq;
	uint64_t		 next_offset;	/* the writer's next */
	int			 damaged;
	/* holes left are lost messages */
	int			 rebuilt;
	/* next offset before a rebuild */
	uint64_t		 was;
	int			 arrived;	/* on the arrivals list */
};

struct store {
	char			*root;
	struct store_config	 conf;
	struct commitlog	*cl;
	struct msgindex		*ix;

	struct store_queue	**buckets;
	size_t			 nbuckets;
	size_t			 nqueues;

	struct store_queue	**arrivals;	/* queues dispatched to */
	size_t			 narrivals;
	size_t			 caparrivals;

	uint64_t		 dispatched;	/* log offset */
	uint64_t		 last_ts;	/* of the last dispatched */
	int			 loading;	/* checkpoint's queues */
	int			 open;		/* recovery is over */
	struct store_stats	 stats;
};

static uint32_t
store_qhash(const char *topic, size_t tl, uint32_t qid)
{
	return (crc32c(crc32c(0, topic, tl), &qid, sizeof qid));
}

/* The queue of topic/qid in the table, or NULL. */
static struct store_queue *
store_find(struct store *st, const char *topic, size_t tl, uint32_t qid)
{
	struct store_queue	*q;
	uint32_t		 h = store_qhash(topic, tl, qid);

	if (st->nbuckets == 0)
		return (NULL);
	for (q = st->buckets[h & (st->nbuckets - 1)]; q != NULL; q = q->next) {
		if (q->hash == h && q->queue_id == qid && q->topic_len == tl &&
		    memcmp(q->topic, topic, tl) == 0)
			return (q);
	}
	return (NULL);
}

/* Double the table. */
static void
store_grow(struct store *st)
{
	struct store_queue	**old = st->buckets, *q, *next;
	size_t			  n = st->nbuckets, i;

	st->nbuckets = n == 0 ? 64 : n * 2;
	st->buckets = xcalloc(st->nbuckets, sizeof *st->buckets);
	for (i = 0; i < n; i++) {
		for (q = old[i]; q != NULL; q = next) {
			next = q->next;
			q->next = st->buckets[q->hash & (st->nbuckets - 1)];
			st->buckets[q->hash & (st->nbuckets - 1)] = q;
		}
	}
	free(old);
}

/*
 * The queue of topic/qid, opened (its consume queue too) if new.  Every
 * queue of the checkpoint is in the table once the store is open; a queue
 * met later that has files only has entries written after the checkpoint
 * (that recovery found torn or dispatches again): they are dropped.
 */
static struct store_queue *
store_queue(struct store *st, const char *topic, size_t tl, uint32_t qid,
    char **cause)
{
	struct store_queue	*q;
	struct consumequeue	*cq;
	char			*why = NULL;
	int			 damaged = 0;

	if ((q = store_find(st, topic, tl, qid)) != NULL)
		return (q);
	cq = consumequeue_open(st->root, topic, tl, qid, st->conf.cq_per_file,
	    &why);
	if (cq == NULL) {
		log_warnx("%s; rebuilding consume queue %.*s/%u", why,
		    (int)tl, topic, qid);
		free(why);
		if (consumequeue_wipe(st->root, topic, tl, qid, cause) != 0)
			return (NULL);
		cq = consumequeue_open(st->root, topic, tl, qid,
		    st->conf.cq_per_file, cause);
		if (cq == NULL)
			return (NULL);
		damaged = st->loading;
	}
	if (!st->loading && consumequeue_max(cq) > 0 &&
	    consumequeue_truncate(cq, 0, cause) != 0) {
		consumequeue_close(cq);
		return (NULL);
	}
	if (st->nqueues + 1 > st->nbuckets)
		store_grow(st);
	q = xcalloc(1, sizeof *q);
	q->hash = store_qhash(topic, tl, qid);
	q->queue_id = qid;
	q->topic = xstrndup(topic, tl);
	q->topic_len = tl;
	q->cq = cq;
	q->next_offset = consumequeue_max(cq);
	q->damaged = damaged;
	q->next = st->buckets[q->hash & (st->nbuckets - 1)];
	st->buckets[q->hash & (st->nbuckets - 1)] = q;
	st->nqueues++;
	return (q);
}

/* The tag hash of a message: of its TAGS property, 0 without. */
uint64_t
store_tag_hash(const struct commitlog_msg *m)
{
	const char	*v;
	size_t		 len;

	v = commitlog_prop_get(m->props, m->props_len, COMMITLOG_PROP_TAGS,
	    &len);
	return (v == NULL ? 0 : consumequeue_tag_hash(v, len));
}

/* Whether a record goes into a consume queue (not half or rollback). */
static int
store_queued(const struct commitlog_msg *m)
{
	return (commitlog_is_queued(m->flags));
}

/* Add m's unique id and keys to the index. */
static int
store_index(struct store *st, const struct commitlog_msg *m, char **cause)
{
	const char	*v, *p, *end, *sp;
	size_t		 len;

	if ((m->flags & COMMITLOG_F_TX_MASK) == COMMITLOG_F_TX_ROLLBACK)
		return (0);
	v = commitlog_prop_get(m->props, m->props_len, COMMITLOG_PROP_UNIQ,
	    &len);
	if (v != NULL && len > 0 && msgindex_add(st->ix, MSGINDEX_ID, m->topic,
	    m->topic_len, v, len, m->phys, m->size, m->store_ts, cause) != 0)
		return (-1);
	v = commitlog_prop_get(m->props, m->props_len, COMMITLOG_PROP_KEYS,
	    &len);
	if (v == NULL)
		return (0);
	for (p = v, end = v + len; p < end; p = sp + 1) {
		if ((sp = memchr(p, ' ', (size_t)(end - p))) == NULL)
			sp = end;
		if (sp > p && msgindex_add(st->ix, MSGINDEX_KEY, m->topic,
		    m->topic_len, p, (size_t)(sp - p), m->phys, m->size,
		    m->store_ts, cause) != 0)
			return (-1);
	}
	return (0);
}

/* Write the consume queue entry of m into q. */
static int
store_enqueue(struct store_queue *q, const struct commitlog_msg *m,
    char **cause)
{
	struct consumequeue_entry	e;

	e.phys = m->phys;
	e.size = m->size;
	e.tag_hash = store_tag_hash(m);
	if (consumequeue_put(q->cq, m->queue_offset, &e, cause) != 0)
		return (-1);
	if (q->next_offset < m->queue_offset + 1)
		q->next_offset = m->queue_offset + 1;
	return (0);
}

/* Remember that q got a new entry, once per store_arrivals() round. */
static void
store_arrived(struct store *st, struct store_queue *q)
{
	if (q->arrived)
		return;
	if (st->narrivals == st->caparrivals) {
		st->caparrivals = st->caparrivals == 0 ? 16 :
		    st->caparrivals * 2;
		st->arrivals = xreallocarray(st->arrivals, st->caparrivals,
		    sizeof *st->arrivals);
	}
	st->arrivals[st->narrivals++] = q;
	q->arrived = 1;
}

/*
 * Call cb(topic, queue id, new end, arg) for every queue that got
 * messages since the last call, and forget them.
 */
void
store_arrivals(struct store *st, void (*cb)(const char *, uint32_t,
    uint64_t, void *), void *arg)
{
	struct store_queue	*q;
	size_t			 i;

	for (i = 0; i < st->narrivals; i++) {
		q = st->arrivals[i];
		q->arrived = 0;
		cb(q->topic, q->queue_id, consumequeue_max(q->cq), arg);
	}
	st->narrivals = 0;
}

/* Call cb(topic, queue id, next offset, arg) for every queue. */
void
store_queues(struct store *st, void (*cb)(const char *, uint32_t, uint64_t,
    void *), void *arg)
{
	struct store_queue	*q;
	size_t			 i;

	for (i = 0; i < st->nbuckets; i++) {
		for (q = st->buckets[i]; q != NULL; q = q->next)
			cb(q->topic, q->queue_id, q->next_offset, arg);
	}
}

/* Another handle appended: the log now ends at end (then dispatch). */
void
store_follow(struct store *st, uint64_t end)
{
	commitlog_follow(st->cl, end);
}

/* Another handle deleted the log below min: unmap it. */
void
store_forget_before(struct store *st, uint64_t min)
{
	commitlog_forget_before(st->cl, min);
}

/*
 * Build consume queue and index entries for every record appended since
 * the last dispatch.
 */
int
store_dispatch(struct store *st, char **cause)
{
	struct commitlog_msg	 m;
	struct store_queue	*q;
	uint64_t		 pos = st->dispatched;
	int			 r;

	/* Past recovery, what is dispatched was written by this process. */
	commitlog_trust(st->cl, st->open);
	commitlog_will_read(st->cl, pos, commitlog_max_offset(st->cl));
	while ((r = commitlog_next(st->cl, &pos, commitlog_max_offset(st->cl),
	    &m, cause)) == 1) {
		if (store_queued(&m)) {
			q = store_queue(st, m.topic, m.topic_len, m.queue_id,
			    cause);
			if (q == NULL || store_enqueue(q, &m, cause) != 0)
				return (-1);
			store_arrived(st, q);
		}
		if (store_index(st, &m, cause) != 0)
			return (-1);
		st->dispatched = pos;
		st->last_ts = m.store_ts;
	}
	commitlog_trust(st->cl, 0);
	if (r == -1)
		return (-1);
	st->dispatched = pos;
	return (0);
}

/*
 * Rebuild every queue marked damaged from the whole log: its files are
 * removed and one pass over the log writes its entries again.
 */
static int
store_rebuild(struct store *st, char **cause)
{
	struct store_queue	*q;
	struct commitlog_msg	 m;
	uint64_t		 pos, t0, seg;
	size_t			 i, n = 0;
	char			*why = NULL;
	int			 r;

	for (i = 0; i < st->nbuckets; i++) {
		for (q = st->buckets[i]; q != NULL; q = q->next) {
			if (!q->damaged)
				continue;
			log_warnx("consume queue %s/%u is damaged; rebuilding "
			    "it from the commit log", q->topic, q->queue_id);
			if (consumequeue_destroy(q->cq, cause) != 0)
				return (-1);
			q->was = q->next_offset;
			q->next_offset = 0;
			n++;
		}
	}
	if (n == 0)
		return (0);
	t0 = (uint64_t)time(NULL);
	pos = commitlog_min_offset(st->cl);
	while (pos < st->dispatched) {
		if ((r = commitlog_next(st->cl, &pos, st->dispatched, &m,
		    &why)) == 0)
			break;
		if (r == -1) {
			/* Lost bytes: what they held is gone; go on after. */
			seg = commitlog_segment_size(st->cl);
			log_warnx("rebuilding: %s; skipping to the next "
			    "segment", why);
			free(why);
			why = NULL;
			pos = pos - pos % seg + seg;
			continue;
		}
		if (!store_queued(&m))
			continue;
		q = store_find(st, m.topic, m.topic_len, m.queue_id);
		if (q != NULL && q->damaged &&
		    store_enqueue(q, &m, cause) != 0)
			return (-1);
	}
	for (i = 0; i < st->nbuckets; i++) {
		for (q = st->buckets[i]; q != NULL; q = q->next) {
			if (!q->damaged)
				continue;
			/* Offsets never go back, even over lost messages. */
			if (q->next_offset < q->was)
				q->next_offset = q->was;
			q->damaged = 0;
			q->rebuilt = 1;
		}
	}
	st->stats.rebuilt_queues += n;
	log_info("rebuilt %zu consume queue%s in %llu s", n, n == 1 ? "" : "s",
	    (unsigned long long)((uint64_t)time(NULL) - t0));
	return (0);
}

/*
 * Whether entry n of q points at the record it should: that topic, queue
 * and queue offset.  0 if the entry or its log was deleted.
 */
static int
store_entry_ok(struct store *st, struct store_queue *q, uint64_t n,
    struct commitlog_msg *m)
{
	struct consumequeue_entry	 e;
	char				*why = NULL;
	int				 r;

	r = consumequeue_get(q->cq, n, &e, &why);
	if (r == 0)
		return (1);
	if (r == -1)
		goto bad;
	if (e.phys < commitlog_min_offset(st->cl))
		return (1);
	if (commitlog_read(st->cl, e.phys, m, &why) != 0)
		goto bad;
	if (m->size == e.size && m->queue_id == q->queue_id &&
	    m->queue_offset == n && m->topic_len == q->topic_len &&
	    memcmp(m->topic, q->topic, q->topic_len) == 0)
		return (1);
	xasprintf(&why, "entry %llu points at another record",
	    (unsigned long long)n);
bad:
	log_warnx("consume queue %s/%u: %s", q->topic, q->queue_id, why);
	free(why);
	return (0);
}

/* Check q's first and last entries against the log. */
static void
store_check_queue(struct store *st, struct store_queue *q, uint64_t want)
{
	struct commitlog_msg	m;
	uint64_t		max = consumequeue_max(q->cq);

	if (q->damaged)
		return;
	if (max < want) {
		log_warnx("consume queue %s/%u ends at %llu, the checkpoint "
		    "says %llu", q->topic, q->queue_id,
		    (unsigned long long)max, (unsigned long long)want);
		q->damaged = 1;
		return;
	}
	consumequeue_set_max(q->cq, want);
	q->next_offset = want;
	if (want == 0)
		return;
	if (!store_entry_ok(st, q, want - 1, &m) ||
	    !store_entry_ok(st, q, consumequeue_min(q->cq,
	    commitlog_min_offset(st->cl)), &m))
		q->damaged = 1;
}

/* Load the checkpoint's queues, dropping entries written after it. */
static int
store_load_queues(struct store *st, const struct checkpoint *cp, int crashed,
    char **cause)
{
	struct store_queue	*q;
	size_t			 i, tl;

	for (i = 0; i < cp->nqueues; i++) {
		tl = strlen(cp->queues[i].topic);
		st->loading = 1;
		q = store_queue(st, cp->queues[i].topic, tl,
		    cp->queues[i].queue_id, cause);
		st->loading = 0;
		if (q == NULL)
			return (-1);
		store_check_queue(st, q, cp->queues[i].max);
		if (crashed && !q->damaged && consumequeue_truncate(q->cq,
		    cp->queues[i].max, cause) != 0)
			return (-1);
	}
	return (0);
}

/*
 * After a crash, drop the entries at the end of each queue that point past
 * the end of the recovered log (their records were lost).
 */
static int
store_drop_past_end(struct store *st, char **cause)
{
	struct consumequeue_entry	 e;
	struct store_queue		*q;
	uint64_t			 max, end;
	size_t				 i;
	char				*why;

	end = commitlog_max_offset(st->cl);
	for (i = 0; i < st->nbuckets; i++) {
		for (q = st->buckets[i]; q != NULL; q = q->next) {
			max = consumequeue_max(q->cq);
			while (max > consumequeue_first(q->cq)) {
				why = NULL;
				if (consumequeue_get(q->cq, max - 1, &e,
				    &why) == 1 && e.phys + e.size <= end)
					break;
				free(why);
				max--;
			}
			if (max == consumequeue_max(q->cq))
				continue;
			log_warnx("consume queue %s/%u: dropping entries from "
			    "%llu, past the end of the log", q->topic,
			    q->queue_id, (unsigned long long)max);
			if (consumequeue_truncate(q->cq, max, cause) != 0)
				return (-1);
			q->next_offset = max;
		}
	}
	return (0);
}

/*
 * Write a checkpoint at the current dispatch point, or below it where the
 * log is only known durable below durable (another handle flushes it).
 */
static int
store_checkpoint(struct store *st, uint64_t durable, char **cause)
{
	struct checkpoint	 cp;
	struct store_queue	*q;
	size_t			 i, n = 0;
	int			 r;

	memset(&cp, 0, sizeof cp);
	cp.offset = st->dispatched;
	if (cp.offset > durable)
		cp.offset = durable;
	cp.log_ts = cp.cq_ts = cp.index_ts = st->last_ts;
	cp.queues = xcalloc(st->nqueues + 1, sizeof *cp.queues);
	for (i = 0; i < st->nbuckets; i++) {
		for (q = st->buckets[i]; q != NULL; q = q->next) {
			cp.queues[n].topic = q->topic;
			cp.queues[n].queue_id = q->queue_id;
			cp.queues[n].max = consumequeue_max(q->cq);
			n++;
		}
	}
	cp.nqueues = n;
	r = checkpoint_write(st->root, &cp, cause);
	free(cp.queues);
	return (r);
}

/*
 * Open the store under root, recovering it if the last run crashed.
 * A store that cannot be made consistent is an error with a cause, and is
 * left as it was found as far as possible.
 */
struct store *
store_open(const char *root, const struct store_config *conf, char **cause)
{
	struct store		*st;
	struct commitlog_config	 clc;
	struct checkpoint	 cp;
	uint64_t		 from, end = 0, segend;
	int			 have, crashed;
	char			*why = NULL;

	memset(&cp, 0, sizeof cp);
	if (mapfile_mkdirs(root, cause) != 0)
		return (NULL);
	st = xcalloc(1, sizeof *st);
	st->root = xstrdup(root);
	st->conf = *conf;
	memset(&clc, 0, sizeof clc);
	clc.segment_size = conf->segment_size;
	clc.max_msg_size = conf->max_msg_size;
	if ((st->cl = commitlog_open(root, &clc, cause)) == NULL)
		goto fail;
	st->ix = msgindex_open(root, conf->index_slots, conf->index_entries,
	    cause);
	if (st->ix == NULL)
		goto fail;
	crashed = checkpoint_abort_exists(root);
	if ((have = checkpoint_read(root, &cp, &why)) == -1) {
		log_warnx("%s; recovering from the start of the log", why);
		free(why);
		crashed = 1;
		have = 0;
	}
	if (!have && commitlog_segments(st->cl) > 0)
		crashed = 1;
	st->stats.crashed = crashed;
	from = have ? cp.offset : commitlog_min_offset(st->cl);
	segend = commitlog_segments(st->cl) == 0 ? 0 :
	    commitlog_min_offset(st->cl) + commitlog_segments(st->cl) *
	    commitlog_segment_size(st->cl);
	if (have && from > segend && commitlog_segments(st->cl) > 0) {
		xasprintf(cause, "the commit log ends at %llu, before the "
		    "checkpoint's %llu: log segments are missing",
		    (unsigned long long)segend, (unsigned long long)from);
		goto fail;
	}
	if (commitlog_segments(st->cl) > 0 &&
	    from < commitlog_min_offset(st->cl))
		from = commitlog_min_offset(st->cl);
	if (crashed) {
		if (commitlog_recover(st->cl, from, &end, cause) != 0)
			goto fail;
		st->stats.recovered_from = from;
		st->stats.recovered_bytes = end - from;
		log_info("recovering the store: log valid from %llu to %llu",
		    (unsigned long long)from, (unsigned long long)end);
	} else if (commitlog_set_end(st->cl, from, cause) != 0)
		goto fail;
	st->last_ts = cp.log_ts;
	if (have && store_load_queues(st, &cp, crashed, cause) != 0)
		goto fail;
	st->dispatched = from;
	if (store_dispatch(st, cause) != 0)
		goto fail;
	if (crashed && store_drop_past_end(st, cause) != 0)
		goto fail;
	if (store_rebuild(st, cause) != 0)
		goto fail;
	checkpoint_free(&cp);
	/*
	 * No checkpoint needed after recovery: the old one still holds, as
	 * recovery only cut and rebuilt what lies after it.
	 */
	if (checkpoint_abort_create(root, cause) != 0)
		goto fail;
	st->open = 1;
	return (st);
fail:
	checkpoint_free(&cp);
	store_free(st);
	return (NULL);
}

/* Release everything without a clean stop (as a crash would). */
void
store_free(struct store *st)
{
	struct store_queue	*q, *next;
	size_t			 i;

	if (st == NULL)
		return;
	for (i = 0; i < st->nbuckets; i++) {
		for (q = st->buckets[i]; q != NULL; q = next) {
			next = q->next;
			consumequeue_close(q->cq);
			free(q->topic);
			free(q);
		}
	}
	free(st->buckets);
	free(st->arrivals);
	msgindex_close(st->ix);
	commitlog_close(st->cl);
	free(st->root);
	free(st);
}

/* Stop cleanly: flush everything, checkpoint, remove the abort marker. */
int
store_close(struct store *st, char **cause)
{
	int	r = -1;

	if (store_flush(st, cause) == 0 &&
	    checkpoint_abort_remove(st->root, cause) == 0)
		r = 0;
	store_free(st);
	return (r);
}

const struct store_stats *
store_stats(struct store *st)
{
	return (&st->stats);
}

struct commitlog *
store_commitlog(struct store *st)
{
	return (st->cl);
}

/*
 * Store a batch: assign queue offsets, append, dispatch.  Every message is
 * stored or none (*cause says why); each gets its phys, size and
 * queue_offset.
 */
int
store_put(struct store *st, struct commitlog_msg *msgs, size_t n,
    char **cause)
{
	struct store_queue	*q;
	size_t			 i, tl;
	uint32_t		 size;
	char			*why = NULL;

	for (i = 0; i < n; i++) {
		if (commitlog_validate(st->cl, &msgs[i], &size, cause) != 0)
			return (-1);
	}
	for (i = 0; i < n; i++) {
		msgs[i].queue_offset = 0;
		if (!store_queued(&msgs[i]))
			continue;
		tl = msgs[i].topic_len ? msgs[i].topic_len :
		    strlen(msgs[i].topic);
		q = store_queue(st, msgs[i].topic, tl, msgs[i].queue_id,
		    cause);
		if (q == NULL)
			goto undo;
		msgs[i].queue_offset = q->next_offset++;
	}
	if (commitlog_append(st->cl, msgs, n, cause) != 0)
		goto undo;
	if (store_dispatch(st, cause) != 0)
		return (-1);
	/* Have the next segment ready before it is needed. */
	if (commitlog_prepare(st->cl, &why) != 0) {
		log_warnx("%s", why);
		free(why);
	}
	return (0);
undo:
	while (i-- > 0) {
		if (!store_queued(&msgs[i]))
			continue;
		tl = msgs[i].topic_len ? msgs[i].topic_len :
		    strlen(msgs[i].topic);
		if ((q = store_find(st, msgs[i].topic, tl,
		    msgs[i].queue_id)) != NULL)
			q->next_offset--;
	}
	return (-1);
}

/*
 * Make everything durable: the log, then the consume queues and index
 * built from it, then a checkpoint saying so.
 */
int
store_flush(struct store *st, char **cause)
{
	if (commitlog_flush(st->cl, cause) != 0 ||
	    store_dispatch(st, cause) != 0)
		return (-1);
	return (store_checkpoint_at(st, commitlog_flushed(st->cl), cause));
}

/*
 * For a store whose log another handle appends and flushes: flush the
 * consume queues and index and checkpoint below durable, the offset the
 * flusher reported.
 */
int
store_checkpoint_at(struct store *st, uint64_t durable, char **cause)
{
	struct store_queue	*q;
	size_t			 i;

	for (i = 0; i < st->nbuckets; i++) {
		for (q = st->buckets[i]; q != NULL; q = q->next) {
			if (consumequeue_flush(q->cq, cause) != 0)
				return (-1);
		}
	}
	if (msgindex_flush(st->ix, cause) != 0)
		return (-1);
	return (store_checkpoint(st, durable, cause));
}

/* Whether hash is one of the filter's tags (no filter: everything). */
static int
store_tag_match(uint64_t hash, const uint64_t *tags, size_t ntags)
{
	size_t	i;

	if (ntags == 0)
		return (1);
	for (i = 0; i < ntags; i++) {
		if (tags[i] == hash)
			return (1);
	}
	return (0);
}

/* The readable range [*min, *max) of topic/qid; -1 if no such queue. */
int
store_queue_range(struct store *st, const char *topic, size_t tl,
    uint32_t qid, uint64_t *min, uint64_t *max)
{
	struct store_queue	*q;

	if ((q = store_find(st, topic, tl, qid)) == NULL) {
		*min = *max = 0;
		return (-1);
	}
	*max = consumequeue_max(q->cq);
	*min = consumequeue_min(q->cq, commitlog_min_offset(st->cl));
	return (0);
}

/* One attempt of store_get(); 1 when a damaged queue needs a rebuild. */
static int
store_get_once(struct store *st, struct store_queue *q, uint64_t off,
    size_t max_count, size_t max_bytes, const uint64_t *tags, size_t ntags,
    struct store_get *g, char **cause)
{
	struct consumequeue_entry	 e;
	struct commitlog_msg		*m;
	uint64_t			 n, bytes = 0, scanned = 0;
	char				*why = NULL;
	int				 r;

	g->n = 0;
	for (n = off; n < g->max && g->n < max_count &&
	    scanned < STORE_SCAN_MAX + max_count; n++, scanned++) {
		if ((r = consumequeue_get(q->cq, n, &e, &why)) != 1) {
			if (q->rebuilt) {
				/* Rebuilt already: the message is lost. */
				free(why);
				why = NULL;
				continue;
			}
			goto damaged;
		}
		if (e.phys < commitlog_min_offset(st->cl)) {
			if (g->n == 0) {
				g->status = STORE_OFFSET_FOUND_NULL;
				g->next = consumequeue_min(q->cq,
				    commitlog_min_offset(st->cl));
				return (0);
			}
			break;
		}
		if (!store_tag_match(e.tag_hash, tags, ntags))
			continue;
		if (g->n > 0 && bytes + e.size > max_bytes)
			break;
		m = &g->msgs[g->n];
		if (commitlog_read(st->cl, e.phys, m, &why) != 0) {
			if (q->rebuilt) {
				free(why);
				why = NULL;
				continue;
			}
			goto damaged;
		}
		if (m->size != e.size || m->queue_offset != n ||
		    m->queue_id != q->queue_id ||
		    m->topic_len != q->topic_len ||
		    memcmp(m->topic, q->topic, q->topic_len) != 0) {
			xasprintf(&why, "entry %llu points at another record",
			    (unsigned long long)n);
			goto damaged;
		}
		bytes += e.size;
		g->n++;
	}
	g->next = n;
	g->status = g->n > 0 ? STORE_FOUND : STORE_NO_MATCHED_MESSAGE;
	return (0);
damaged:
	log_warnx("consume queue %s/%u: %s", q->topic, q->queue_id,
	    why != NULL ? why : "entry missing");
	free(why);
	q->damaged = 1;
	(void)cause;
	return (1);
}

/*
 * Get up to max_count messages (and about max_bytes, at least one) of
 * topic/qid from queue offset off whose tag hash is one of tags (all if
 * ntags is 0).  g->msgs must have room for max_count; they point into the
 * log's mapping.  g->status says what was found and g->next where to go
 * on.  A queue entry found wrong gets its queue rebuilt, then the get is
 * tried once more.
 */
int
store_get(struct store *st, const char *topic, size_t tl, uint32_t qid,
    uint64_t off, size_t max_count, size_t max_bytes, const uint64_t *tags,
    size_t ntags, struct store_get *g, char **cause)
{
	struct store_queue	*q;
	int			 attempt, r;

	g->n = 0;
	g->min = g->max = g->next = 0;
	if ((q = store_find(st, topic, tl, qid)) == NULL) {
		g->status = STORE_NO_MATCHED_QUEUE;
		return (0);
	}
	for (attempt = 0; attempt < 2; attempt++) {
		g->max = consumequeue_max(q->cq);
		g->min = consumequeue_min(q->cq, commitlog_min_offset(st->cl));
		if (g->max == 0 || g->min == g->max) {
			g->status = STORE_NO_MESSAGE_IN_QUEUE;
			g->next = g->max;
			return (0);
		}
		if (off < g->min) {
			g->status = STORE_OFFSET_TOO_SMALL;
			g->next = g->min;
			return (0);
		}
		if (off == g->max) {
			g->status = STORE_OFFSET_OVERFLOW_ONE;
			g->next = off;
			return (0);
		}
		if (off > g->max) {
			g->status = STORE_OFFSET_OVERFLOW_BADLY;
			g->next = g->max;
			return (0);
		}
		if (max_count == 0) {
			g->status = STORE_NO_MATCHED_MESSAGE;
			g->next = off;
			return (0);
		}
		r = store_get_once(st, q, off, max_count, max_bytes, tags,
		    ntags, g, cause);
		if (r == 0)
			return (0);
		if (store_rebuild(st, cause) != 0)
			return (-1);
	}
	xasprintf(cause, "consume queue %.*s/%u is damaged beyond repair",
	    (int)tl, topic, qid);
	return (-1);
}

/*
 * The first queue offset of topic/qid whose message was stored at or after
 * ts (ms): a binary search on the consume queue, reading store times from
 * the log.  The queue's end if every message is older.
 */
int
store_offset_by_time(struct store *st, const char *topic, size_t tl,
    uint32_t qid, uint64_t ts, uint64_t *off, char **cause)
{
	struct store_queue		*q;
	struct consumequeue_entry	 e;
	struct commitlog_msg		 m;
	uint64_t			 lo, hi, mid;

	if ((q = store_find(st, topic, tl, qid)) == NULL) {
		xasprintf(cause, "no queue %.*s/%u", (int)tl, topic, qid);
		return (-1);
	}
	lo = consumequeue_min(q->cq, commitlog_min_offset(st->cl));
	hi = consumequeue_max(q->cq);
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (consumequeue_get(q->cq, mid, &e, cause) != 1 ||
		    commitlog_read(st->cl, e.phys, &m, cause) != 0)
			return (-1);
		if (m.store_ts < ts)
			lo = mid + 1;
		else
			hi = mid;
	}
	*off = lo;
	return (0);
}

/* The record at commit log offset phys. */
int
store_read(struct store *st, uint64_t phys, struct commitlog_msg *m,
    char **cause)
{
	return (commitlog_read(st->cl, phys, m, cause));
}

/* Whether property name of m holds value (as one space-separated word). */
static int
store_has(const struct commitlog_msg *m, const char *name, const char *value,
    size_t len, int words)
{
	const char	*v, *p, *end, *sp;
	size_t		 vl;

	v = commitlog_prop_get(m->props, m->props_len, name, &vl);
	if (v == NULL)
		return (0);
	if (!words)
		return (vl == len && memcmp(v, value, len) == 0);
	for (p = v, end = v + vl; p < end; p = sp + 1) {
		if ((sp = memchr(p, ' ', (size_t)(end - p))) == NULL)
			sp = end;
		if ((size_t)(sp - p) == len && memcmp(p, value, len) == 0)
			return (1);
	}
	return (0);
}

/*
 * Candidates from the index, read and kept only if they are in topic and
 * carry the key (or id); at most max into out.
 */
static size_t
store_lookup(struct store *st, int kind, const char *topic, size_t tl,
    const char *key, size_t kl, uint64_t begin, uint64_t end,
    struct commitlog_msg *out, size_t max)
{
	struct msgindex_hit	 hits[STORE_HITS_MAX];
	struct commitlog_msg	 m;
	size_t			 n, i, found = 0;
	char			*why;

	n = msgindex_lookup(st->ix, kind, topic, tl, key, kl, begin, end, hits,
	    STORE_HITS_MAX);
	for (i = 0; i < n && found < max; i++) {
		why = NULL;
		if (commitlog_read(st->cl, hits[i].phys, &m, &why) != 0) {
			free(why);
			continue;
		}
		if (m.topic_len != tl || memcmp(m.topic, topic, tl) != 0)
			continue;
		if (!store_has(&m, kind == MSGINDEX_ID ? COMMITLOG_PROP_UNIQ :
		    COMMITLOG_PROP_KEYS, key, kl, kind == MSGINDEX_KEY))
			continue;
		out[found++] = m;
	}
	return (found);
}

/* The message of topic with unique id: 1 found into *m, 0 not. */
int
store_lookup_id(struct store *st, const char *topic, size_t tl,
    const char *id, size_t il, struct commitlog_msg *m)
{
	return (store_lookup(st, MSGINDEX_ID, topic, tl, id, il, 0, UINT64_MAX,
	    m, 1) == 1);
}

/* Up to max messages of topic with key stored in [begin, end], newest first. */
size_t
store_lookup_key(struct store *st, const char *topic, size_t tl,
    const char *key, size_t kl, uint64_t begin, uint64_t end,
    struct commitlog_msg *out, size_t max)
{
	return (store_lookup(st, MSGINDEX_KEY, topic, tl, key, kl, begin, end,
	    out, max));
}

/*
 * Retention: delete commit log segments last written before cutoff_ms
 * (UINT64_MAX: the oldest, whatever their age, when the disk is filling),
 * at most max of them and never past what is dispatched, then the consume
 * queue and index files that only point into deleted log.  Returns how
 * many segments went, or -1.
 */
int
store_delete_expired(struct store *st, uint64_t cutoff_ms, size_t max,
    char **cause)
{
	struct store_queue	*q;
	uint64_t		 min;
	size_t			 i;
	int			 n;

	n = commitlog_delete_before(st->cl, cutoff_ms, st->dispatched, max,
	    cause);
	if (n <= 0)
		return (n);
	min = commitlog_min_offset(st->cl);
	for (i = 0; i < st->nbuckets; i++) {
		for (q = st->buckets[i]; q != NULL; q = q->next) {
			if (consumequeue_delete_before(q->cq, min, cause) != 0)
				return (-1);
		}
	}
	if (msgindex_delete_before(st->ix, min, cause) != 0)
		return (-1);
	log_info("retention: deleted %d commit log segment%s; the log now "
	    "starts at %llu", n, n == 1 ? "" : "s", (unsigned long long)min);
	return (n);
}
