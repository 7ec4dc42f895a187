/*
 * Flusher: makes commit log bytes durable, on a loop of its own since it
 * blocks in msync(2) (fdatasync of the written range).
 *
 * The writer tells it how far the log goes (LogWritten).  In async mode it
 * flushes every interval (500 ms) or sooner once more than dirty_bytes
 * are waiting; in sync mode a LogWritten asks for a flush now.  Either way
 * the flush happens when a StoreBatch note it sends itself comes round,
 * so every LogWritten that arrived meanwhile is covered by one sync: group
 * commit.  After each flush it tells the writer and the dispatcher
 * (FlushDone) how far the log is durable.
 *
 * It also keeps the next segment ready: once the writer is past half of
 * a segment, it creates the next one (preallocated) and then reads its
 * pages, a chunk after each flush, so the writer's first touch is cheap.
 */
#include "config.h"

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
#define FLUSHER_INTERVAL_MS	500
#define FLUSHER_DIRTY_BYTES	(16ULL * 1024 * 1024)
#define FLUSHER_WARM_MIN	(1U * 1024 * 1024)
#define FLUSHER_WARM_MAX	(64U * 1024 * 1024)

struct flusher {
	struct actor		*self;
	struct commitlog	*cl;
	struct actor		*writer;
	struct actor		*dispatcher;
	uint64_t		 written;	/* the log's end as last told */
	uint64_t		 durable;	/* on disk below this */
	uint32_t		 interval_ms;
	uint64_t		 dirty_bytes;
	int			 noted;		/* a StoreBatch is queued */
	/* start of the segment made ahead */
	uint64_t		 prepared;
	uint64_t		 warmed;	/* read up to here in it */
	uint64_t		 flushes;
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
static int	flusher_on_stop(void *, ProtobufCMessage *,
		    const struct envelope *);

static const struct actor_handler flusher_handlers[] = {
	{ &petrel__flusher_config__descriptor, flusher_on_config },
	{ &petrel__log_written__descriptor, flusher_on_written },
	{ &petrel__store_batch__descriptor, flusher_on_batch },
	{ &petrel__tick__descriptor, flusher_on_tick },
	{ &petrel__log_trimmed__descriptor, flusher_on_trimmed },
	{ &petrel__stop__descriptor, flusher_on_stop },
	{ NULL, NULL }
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
	return (0);
}

static void
flusher_fini(void *state)
{
	struct flusher	*f = state;

	commitlog_close(f->cl);
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

/*
 * Create the next segment ahead of the writer, and read a chunk of it:
 * twice what was just flushed, so reading keeps ahead of writing without
 * holding up the next sync.
 */
static void
flusher_prepare(struct flusher *f, uint64_t flushed)
{
	size_t		 chunk;
	uint64_t	 size = commitlog_segment_size(f->cl), next;
	char		*cause = NULL;

	next = f->written - f->written % size + size;
	if (f->written % size >= size / 2 && f->prepared != next) {
		if (commitlog_prepare(f->cl, 0, &cause) != 0) {
			log_warnx("flusher: preparing segment %llu: %s",
			    (unsigned long long)next, cause);
			free(cause);
			return;
		}
		f->prepared = next;
		f->warmed = next;
	}
	chunk = flushed * 2 > FLUSHER_WARM_MAX ? FLUSHER_WARM_MAX :
	    (size_t)flushed * 2;
	if (chunk < FLUSHER_WARM_MIN)
		chunk = FLUSHER_WARM_MIN;
	if (f->prepared > f->written && f->warmed < f->prepared + size)
		f->warmed += commitlog_warm(f->cl, f->warmed, chunk);
}

/* Sync everything written so far and say so. */
static void
flusher_flush(struct flusher *f)
{
	uint64_t	 before = f->durable;
	char		*cause = NULL;

	if (f->cl == NULL)
		return;
	if (f->written > f->durable) {
		commitlog_follow(f->cl, f->written);
		if (commitlog_flush(f->cl, &cause) != 0) {
			log_warnx("flusher: %s", cause);
			flusher_done(f->writer, f->durable, cause);
			free(cause);
			return;
		}
		f->durable = commitlog_flushed(f->cl);
		f->flushes++;
		flusher_done(f->writer, f->durable, NULL);
		flusher_done(f->dispatcher, f->durable, NULL);
	}
	flusher_prepare(f, f->durable - before);
}

static int
flusher_on_config(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct flusher		*f = state;
	Petrel__FlusherConfig	*c = (Petrel__FlusherConfig *)m;
	Petrel__Configured	*ack;
	struct commitlog_config	 clc;
	char			*cause = NULL;

	ack = msg_new(&petrel__configured__descriptor);
	memset(&clc, 0, sizeof clc);
	clc.segment_size = c->segment_size;
	clc.keep_temps = 1;
	if (f->cl != NULL)
		cause = xstrdup("the flusher is already configured");
	else if ((f->cl = commitlog_open(c->root, &clc, &cause)) != NULL) {
		commitlog_follow(f->cl, c->log_end);
		f->written = f->durable = c->log_end;
		if (c->interval_ms != 0)
			f->interval_ms = c->interval_ms;
		if (c->dirty_bytes != 0)
			f->dirty_bytes = c->dirty_bytes;
		f->writer = actor_deref(c->writer);
		f->dispatcher = actor_deref(c->dispatcher);
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

/* The log grew: flush soon if asked to (sync) or if enough is dirty. */
static int
flusher_on_written(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct flusher		*f = state;
	Petrel__LogWritten	*lw = (Petrel__LogWritten *)m;

	if (lw->end > f->written)
		f->written = lw->end;
	if ((lw->sync || f->written - f->durable >= f->dirty_bytes) &&
	    !f->noted) {
		f->noted = 1;
		actor_send(f->self, msg_new(&petrel__store_batch__descriptor));
	}
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
	return (0);
}

static int
flusher_on_tick(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	flusher_flush(state);
	return (0);
}

/* Segments below the new start were deleted: unmap them. */
static int
flusher_on_trimmed(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct flusher		*f = state;
	Petrel__LogTrimmed	*lt = (Petrel__LogTrimmed *)m;

	if (f->cl != NULL)
		commitlog_forget_before(f->cl, lt->min_offset);
	return (0);
}

/* A last flush, so the dispatcher's last checkpoint covers everything. */
static int
flusher_on_stop(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct flusher	*f = state;

	actor_timer_cancel(f->self, FLUSHER_TIMER);
	flusher_flush(f);
	actor_reply(env, msg_new(&petrel__stopped__descriptor));
	return (0);
}
