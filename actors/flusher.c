/*
 * Flusher: makes commit log bytes durable, on a loop of its own since
 * syncing blocks (msync(2): fdatasync of the written range).
 *
 * The writer tells it how far the log goes (LogWritten).  In async mode it
 * flushes every interval (500 ms) or sooner once more than dirty_bytes
 * are waiting; in sync mode a LogWritten asks for a flush now.  Either way
 * the flush starts when a StoreBatch note it sends itself comes round,
 * so every LogWritten that arrived meanwhile is covered by one sync: group
 * commit.  After each sync it tells the writer and the dispatcher
 * (FlushDone) how far the log is durable.
 *
 * Syncs overlap: the flusher hands each one (SyncRange) to an idle helper
 * of its own (a syncer, on a loop of its own; FlusherConfig.syncers of
 * them) and goes on taking LogWritten, so a batch written while a sync is
 * under way starts its own at once instead of waiting a whole sync for
 * its turn.  The disk's cache flushes then overlap and merge: on the
 * machines we measured, several syncs at once finish several times more
 * syncs a second than one after another.  A sync covers [durable, end)
 * of the log as the flusher knew it when it started, and fdatasync waits
 * for every page of its range that an earlier sync has under way, so when
 * it returns everything below end is durable, whatever earlier syncs are
 * still doing.  With one syncer the flusher syncs on its own loop, and so
 * it does when a single LogWritten came since the last sync and none is
 * under way: a writer waiting on that one sync alone (one producer
 * sending one message after another) hears a thread hop sooner.  The
 * syncer that makes a range durable tells the writer itself.
 *
 * It also keeps the next segment ready: once the writer is past half of
 * a segment, it creates the next one (preallocated), so an append never
 * waits for a file; and it reads the next warm_ahead bytes (32 MiB) ahead
 * of the writer, 2 MiB at a time as the log grows, so the pages the writer
 * writes are in the page cache already: the first touch of memory can
 * cost far more than the write itself (see commitlog_warm).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actor.h"
#include "commitlog.h"
#include "log.h"
#include "msg.h"
#include "runtime.pb-c.h"
#include "store.pb-c.h"
#include "store_actors.h"
#include "xmalloc.h"

#define FLUSHER_TIMER		1
#define FLUSHER_WARM_MORE	2	/* a Tick to itself: warm a step more */
#define FLUSHER_INTERVAL_MS	500
#define FLUSHER_DIRTY_BYTES	(16ULL * 1024 * 1024)
#define FLUSHER_SYNCERS		4
#define FLUSHER_SYNCERS_MAX	16
#define FLUSHER_WARM_AHEAD	(32ULL * 1024 * 1024)
#define FLUSHER_WARM_STEP	(256U * 1024)

struct flusher_syncer {
	struct commitlog	*cl;	/* a view of its own, opened on use */
};

struct flusher {
	struct actor		*self;
	struct commitlog	*cl;
	struct actor		*writer;
	struct actor		*dispatcher;
	uint64_t		 written;	/* the log's end as last told */
	uint64_t		 warm_ahead;	/* bytes kept cached ahead */
	uint64_t		 warmed;	/* warmed up to here */
	void			*warmbuf;	/* what the warming reads into */
	int			 warming;	/* a FLUSHER_WARM_MORE queued */
	uint64_t		 durable;	/* on disk below this */
	uint32_t		 interval_ms;
	uint64_t		 dirty_bytes;
	int			 noted;		/* a StoreBatch is queued */
	/* start of the segment made ahead */
	uint64_t		 prepared;
	uint64_t		 flushes;

	char			*root;
	int			 wanted;	/* a flush is due */
	uint64_t		 asked;		/* a sync runs up to here */
	size_t			 nsyncers;	/* helpers; none: sync here */
	struct loop		*loops[FLUSHER_SYNCERS_MAX];
	struct actor		*syncers[FLUSHER_SYNCERS_MAX];
	int			 busy[FLUSHER_SYNCERS_MAX];
	uint32_t		 arrivals;	/* LogWritten since a flush */
};

static int	flusher_init(struct actor *, void *);
static void	flusher_fini(void *);
static int	flusher_on_config(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	flusher_on_written(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	flusher_on_batch(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	flusher_on_tick(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	flusher_on_trimmed(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	flusher_on_synced(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	flusher_on_stop(void *, ProtobufCMessage *,
		    const struct envelope *);
static void	flusher_fini_syncers(struct flusher *);
static void	flusher_warm(struct flusher *);
static void	flusher_syncer_fini(void *);
static int	flusher_syncer_on_range(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	flusher_syncer_on_trimmed(void *, ProtobufCMessage *,
		    const struct envelope *);

static const struct actor_handler flusher_handlers[] = {
	{ &petrel__flusher_config__descriptor, flusher_on_config },
	{ &petrel__log_written__descriptor, flusher_on_written },
	{ &petrel__store_batch__descriptor, flusher_on_batch },
	{ &petrel__tick__descriptor, flusher_on_tick },
	{ &petrel__log_trimmed__descriptor, flusher_on_trimmed },
	{ &petrel__flush_done__descriptor, flusher_on_synced },
	{ &petrel__stop__descriptor, flusher_on_stop },
	{ NULL, NULL }
};

static const struct actor_handler flusher_syncer_handlers[] = {
	{ &petrel__sync_range__descriptor, flusher_syncer_on_range },
	{ &petrel__log_trimmed__descriptor, flusher_syncer_on_trimmed },
	{ NULL, NULL }
};

/* The flusher's sync helpers: spawned, configured and freed by it. */
static const struct actor_type flusher_syncer_actor = {
	.name = "flusher_syncer",
	.size = sizeof(struct flusher_syncer),
	.fini = flusher_syncer_fini,
	.handlers = flusher_syncer_handlers
};

const struct actor_type flusher_actor = {
	.name = "flusher",
	.size = sizeof(struct flusher),
	.init = flusher_init,
	.fini = flusher_fini,
	.handlers = flusher_handlers
};

static int
flusher_init(struct actor *a, void *state)
{
	struct flusher	*f = state;

	f->self = a;
	f->interval_ms = FLUSHER_INTERVAL_MS;
	f->dirty_bytes = FLUSHER_DIRTY_BYTES;
	f->warm_ahead = FLUSHER_WARM_AHEAD;
	return (0);
}

/*
 * Stop and free the helpers: a sync under way finishes first (its answer
 * waits in the flusher's mailbox and is freed with it).
 */
static void
flusher_fini_syncers(struct flusher *f)
{
	size_t	i;

	for (i = 0; i < f->nsyncers; i++)
		loop_exit(f->loops[i]);
	for (i = 0; i < f->nsyncers; i++) {
		loop_join(f->loops[i]);
		actor_free(f->syncers[i]);
		loop_free(f->loops[i]);
	}
	f->nsyncers = 0;
}

static void
flusher_fini(void *state)
{
	struct flusher	*f = state;

	flusher_fini_syncers(f);
	commitlog_close(f->cl);
	free(f->root);
	free(f->warmbuf);
}

static void
flusher_syncer_fini(void *state)
{
	struct flusher_syncer	*s = state;

	commitlog_close(s->cl);
}

/* Tell a how far the log is durable (or that the flush failed). */
static void
flusher_done(struct actor *a, uint64_t durable, const char *error)
{
	Petrel__FlushDone	*fd;

	if (a == NULL)
		return;
	fd = msg_new(&petrel__flush_done__descriptor);
	fd->durable = durable;
	msg_set_string(&fd->error, error);
	actor_send(a, fd);
}

/* Create the next segment once the writer is half way through this one. */
static void
flusher_prepare(struct flusher *f)
{
	uint64_t	 size = commitlog_segment_size(f->cl), next;
	char		*cause = NULL;

	next = f->written - f->written % size + size;
	if (f->written % size < size / 2 || f->prepared == next)
		return;
	if (commitlog_prepare(f->cl, &cause) != 0) {
		log_warnx("flusher: preparing segment %llu: %s",
		    (unsigned long long)next, cause);
		free(cause);
		return;
	}
	f->prepared = next;
}

/*
 * A sync of the log up to end is done (error set if it failed); told: the
 * writer heard it from the syncer.
 */
static void
flusher_synced(struct flusher *f, uint64_t end, const char *error, int told)
{
	if (error != NULL && *error != '\0') {
		log_warnx("flusher: %s", error);
		flusher_done(f->writer, f->durable, error);
		return;
	}
	if (end > f->durable) {
		f->durable = end;
		f->flushes++;
		if (!told)
			flusher_done(f->writer, f->durable, NULL);
		flusher_done(f->dispatcher, f->durable, NULL);
	}
	flusher_prepare(f);
}

/* Sync everything written so far on this loop and say so. */
static void
flusher_sync_here(struct flusher *f)
{
	uint64_t	 to = f->written;
	char		*cause = NULL;

	commitlog_follow(f->cl, to);
	if (commitlog_sync(f->cl, f->durable, to, &cause) != 0) {
		flusher_synced(f, f->durable, cause, 0);
		free(cause);
		return;
	}
	flusher_synced(f, to, NULL, 0);
}

/*
 * Sync everything written so far and say so: here, or by an idle helper
 * (if none is idle, once one is).
 */
static void
flusher_flush(struct flusher *f)
{
	Petrel__SyncRange	*sr;
	uint64_t		 from;
	size_t			 i;

	if (f->cl == NULL)
		return;
	f->wanted = 1;
	from = f->asked > f->durable ? f->asked : f->durable;
	if (f->written <= from) {
		f->wanted = 0;
		f->arrivals = 0;
		return;
	}
	/*
	 * One batch came since the last sync and none is under way: the
	 * writer waits on this one alone (one producer sending one message
	 * after another), so sync here, a thread hop sooner than a syncer
	 * would.  Several batches: they come faster than syncs, and syncs
	 * on syncers overlap.
	 */
	if (f->nsyncers == 0 || (f->arrivals <= 1 && f->asked <= f->durable)) {
		f->wanted = 0;
		f->arrivals = 0;
		flusher_sync_here(f);
		return;
	}
	for (i = 0; i < f->nsyncers && f->busy[i]; i++)
		;
	if (i == f->nsyncers)
		return;		/* flusher_on_synced asks again */
	f->arrivals = 0;
	sr = msg_new(&petrel__sync_range__descriptor);
	msg_set_string(&sr->root, f->root);
	sr->segment_size = commitlog_segment_size(f->cl);
	sr->from = f->durable;
	sr->to = f->written;
	sr->writer = actor_ref(f->writer);
	f->busy[i] = 1;
	f->asked = f->written;
	f->wanted = 0;
	actor_ask(f->syncers[i], sr, f->self, i);
}

/*
 * Open a view of the log under root of its own, writable (msync(2) of a
 * read-only mapping syncs nothing) but never removing what another is
 * creating.
 */
static struct commitlog *
flusher_open(const char *root, uint64_t segment_size, char **cause)
{
	struct commitlog_config	 clc;

	memset(&clc, 0, sizeof clc);
	clc.segment_size = segment_size;
	clc.keep_temps = 1;
	return (commitlog_open(root, &clc, cause));
}

/*
 * Start n helpers (0: the default, or none for a detached flusher, which
 * tests drive by hand and expect to answer as they do), each on a loop of
 * its own; with one, or when a loop does not start, the flusher syncs on
 * its own loop.
 */
static void
flusher_spawn(struct flusher *f, uint32_t n)
{
	char	name[32];
	size_t	i;

	if (n == 0)
		n = actor_loop(f->self) != NULL ? FLUSHER_SYNCERS : 1;
	if (n > FLUSHER_SYNCERS_MAX)
		n = FLUSHER_SYNCERS_MAX;
	if (n == 1)
		return;
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof name, "syncer%zu", i);
		f->loops[i] = loop_new(name);
		f->syncers[i] = actor_spawn(f->loops[i],
		    &flusher_syncer_actor, name);
		f->nsyncers++;
		if (loop_start(f->loops[i]) != 0) {
			log_warnx("flusher: syncer %zu did not start; syncing "
			    "on the flusher's loop", i);
			flusher_fini_syncers(f);
			return;
		}
	}
}

static int
flusher_on_config(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct flusher		*f = state;
	Petrel__FlusherConfig	*c = (Petrel__FlusherConfig *)m;
	Petrel__Configured	*ack;
	char			*cause = NULL;

	ack = msg_new(&petrel__configured__descriptor);
	if (f->cl != NULL)
		cause = xstrdup("the flusher is already configured");
	else if ((f->cl = flusher_open(c->root, c->segment_size,
	    &cause)) != NULL) {
		commitlog_follow(f->cl, c->log_end);
		f->written = f->durable = c->log_end;
		if (c->interval_ms != 0)
			f->interval_ms = c->interval_ms;
		if (c->dirty_bytes != 0)
			f->dirty_bytes = c->dirty_bytes;
		if (c->warm_ahead != 0)
			f->warm_ahead = c->warm_ahead;
		f->writer = actor_deref(c->writer);
		f->dispatcher = actor_deref(c->dispatcher);
		f->root = xstrdup(c->root);
		flusher_spawn(f, c->syncers);
		actor_timer(f->self, FLUSHER_TIMER, f->interval_ms, 1);
	}
	if (cause != NULL) {
		log_warnx("flusher: %s", cause);
		msg_set_string(&ack->error, cause);
		free(cause);
	}
	actor_reply(env, ack);
	return (0);
}

/*
 * Keep the next warm_ahead bytes of the log in the page cache ahead of the
 * writer (commitlog_warm), FLUSHER_WARM_STEP at a time: a step of pages
 * the host has to fault in can take a millisecond, so after each one the
 * flusher sends itself a Tick to go on with and handles what came in
 * meanwhile first (a LogWritten asking for a sync, a sync done).
 */
static void
flusher_warm(struct flusher *f)
{
	Petrel__Tick	*t;
	uint64_t	 to;

	if (f->warm_ahead == 0 || f->cl == NULL)
		return;
	if (f->warmed < f->written)
		f->warmed = f->written;
	to = f->written + f->warm_ahead;
	if (f->warmed >= to)
		return;
	if (to - f->warmed > FLUSHER_WARM_STEP)
		to = f->warmed + FLUSHER_WARM_STEP;
	if (f->warmbuf == NULL)
		f->warmbuf = xmalloc(FLUSHER_WARM_STEP);
	commitlog_warm(f->cl, f->warmed, to, f->warmbuf, FLUSHER_WARM_STEP);
	f->warmed = to;
	if (f->warmed < f->written + f->warm_ahead && !f->warming) {
		f->warming = 1;
		t = msg_new(&petrel__tick__descriptor);
		t->id = FLUSHER_WARM_MORE;
		actor_send(f->self, t);
	}
}

/* The log grew: flush soon if asked to (sync) or if enough is dirty. */
static int
flusher_on_written(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct flusher		*f = state;
	Petrel__LogWritten	*lw = (Petrel__LogWritten *)m;

	if (lw->end > f->written)
		f->written = lw->end;
	f->arrivals++;
	if ((lw->sync || f->written - f->durable >= f->dirty_bytes) &&
	    !f->noted) {
		f->noted = 1;
		actor_send(f->self, msg_new(&petrel__store_batch__descriptor));
	} else if (!f->noted)
		flusher_warm(f);	/* else once the sync is under way */
	return (0);
}

/* Every LogWritten that came with the first is in: one sync for all. */
static int
flusher_on_batch(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct flusher	*f = state;

	f->noted = 0;
	flusher_flush(f);
	flusher_warm(f);
	return (0);
}

/* The flush interval (async), or a step more of warming. */
static int
flusher_on_tick(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct flusher	*f = state;

	if (((Petrel__Tick *)m)->id == FLUSHER_WARM_MORE) {
		f->warming = 0;
		flusher_warm(f);
	} else
		flusher_flush(f);
	return (0);
}

/* Segments below the new start were deleted: unmap them. */
static int
flusher_on_trimmed(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct flusher		*f = state;
	Petrel__LogTrimmed	*lt = (Petrel__LogTrimmed *)m;

	Petrel__LogTrimmed	*copy;
	size_t			 i;

	if (f->cl != NULL)
		commitlog_forget_before(f->cl, lt->min_offset);
	for (i = 0; i < f->nsyncers; i++) {
		copy = msg_new(&petrel__log_trimmed__descriptor);
		copy->min_offset = lt->min_offset;
		actor_send(f->syncers[i], copy);
	}
	return (0);
}

/* A helper's sync is done: say how far is durable; start the next. */
static int
flusher_on_synced(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct flusher		*f = state;
	Petrel__FlushDone	*fd = (Petrel__FlushDone *)m;

	if (env == NULL || env->cookie >= f->nsyncers ||
	    !f->busy[env->cookie]) {
		log_warnx("flusher: a sync answer nobody asked for");
		return (-1);
	}
	f->busy[env->cookie] = 0;
	if (*fd->error != '\0' && f->asked > f->durable)
		f->asked = f->durable;	/* try that range again */
	flusher_synced(f, fd->durable, fd->error, f->writer != NULL);
	if (f->wanted)
		flusher_flush(f);
	return (0);
}

/* A last flush, so the dispatcher's last checkpoint covers everything. */
static int
flusher_on_stop(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct flusher	*f = state;

	size_t		 n = f->nsyncers;

	actor_timer_cancel(f->self, FLUSHER_TIMER);
	f->nsyncers = 0;	/* this one, here: a stop may block */
	flusher_flush(f);
	f->nsyncers = n;
	actor_reply(env, msg_new(&petrel__stopped__descriptor));
	return (0);
}

/* Make [from, to) of the log durable and answer FlushDone. */
static int
flusher_syncer_on_range(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct flusher_syncer	*s = state;
	Petrel__SyncRange	*sr = (Petrel__SyncRange *)m;
	Petrel__FlushDone	*fd;
	char			*cause = NULL;

	fd = msg_new(&petrel__flush_done__descriptor);
	if (s->cl == NULL)
		s->cl = flusher_open(sr->root, sr->segment_size, &cause);
	if (s->cl != NULL)
		commitlog_sync(s->cl, sr->from, sr->to, &cause);
	if (cause != NULL) {
		msg_set_string(&fd->error, cause);
		free(cause);
	} else {
		fd->durable = sr->to;
		flusher_done(actor_deref(sr->writer), sr->to, NULL);
	}
	actor_reply(env, fd);
	return (0);
}

/* Segments below the new start were deleted: unmap them. */
static int
flusher_syncer_on_trimmed(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct flusher_syncer	*s = state;
	Petrel__LogTrimmed	*lt = (Petrel__LogTrimmed *)m;

	if (s->cl != NULL)
		commitlog_forget_before(s->cl, lt->min_offset);
	return (0);
}
