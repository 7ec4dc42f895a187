/*
 * Cleaner: retention and the disk alarm.  Every interval it reads how full
 * the store's disk is (statvfs(3), or a source set by tests):
 *
 *  - at or past refuse_percent (90%) it tells the writer to refuse writes
 *    (DiskState, with the figures as the reason) and logs it, and tells it
 *    again when the disk is back under;
 *  - at or past clean_percent (75%) it has the dispatcher delete the oldest
 *    segments at once, whatever their age (DeleteExpired, cutoff all ones);
 *  - otherwise, during delete_hour (local time), it has the dispatcher
 *    delete segments last written more than retention_hours (72) ago, until
 *    a round deletes nothing more that day.
 *
 * One DeleteExpired at a time: the next waits for the LogTrimmed answer.
 */
#include "config.h"

#include <sys/statvfs.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "actor.h"
#include "log.h"
#include "msg.h"
#include "runtime.pb-c.h"
#include "store.pb-c.h"
#include "store_actors.h"
#include "xmalloc.h"

#define CLEANER_TIMER		1
#define CLEANER_INTERVAL_MS	10000
#define CLEANER_RETENTION_H	72
#define CLEANER_CLEAN_PCT	75
#define CLEANER_REFUSE_PCT	90
#define CLEANER_BATCH		10	/* segments a round */

struct cleaner {
	struct actor		*self;
	char			*root;
	uint32_t		 retention_h;
	uint32_t		 delete_hour;
	uint32_t		 clean_pct;
	uint32_t		 refuse_pct;
	struct actor		*writer;
	struct actor		*dispatcher;
	cleaner_usage_fn	 usage;
	int			 full;		/* writer told to refuse */
	int			 deleting;	/* a DeleteExpired is out */
	/* the one out is the daily one */
	int			 daily;
	/* day the daily clean finished */
	long			 done_day;
};

static int	cleaner_init(struct actor *, void *);
static void	cleaner_fini(void *);
static int	cleaner_on_config(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	cleaner_on_tick(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	cleaner_on_trimmed(void *, ProtobufCMessage *,
		    const struct envelope *);

static const struct actor_handler cleaner_handlers[] = {
	{ &petrel__cleaner_config__descriptor, cleaner_on_config },
	{ &petrel__tick__descriptor, cleaner_on_tick },
	{ &petrel__log_trimmed__descriptor, cleaner_on_trimmed },
	{ NULL, NULL }
};

const struct actor_type cleaner_actor = {
	.name = "cleaner",
	.size = sizeof(struct cleaner),
	.init = cleaner_init,
	.fini = cleaner_fini,
	.handlers = cleaner_handlers
};

/* Percent of the file system holding root in use, as df(1) counts it. */
static int
cleaner_statvfs(const char *root, unsigned *pct, char **cause)
{
	struct statvfs	sv;
	uint64_t	used, avail;

	if (statvfs(root, &sv) != 0) {
		xasprintf(cause, "statvfs %s: %s", root, strerror(errno));
		return (-1);
	}
	used = (uint64_t)(sv.f_blocks - sv.f_bfree);
	avail = (uint64_t)sv.f_bavail;
	*pct = used + avail == 0 ? 0 :
	    (unsigned)((used * 100 + used + avail - 1) / (used + avail));
	return (0);
}

static int
cleaner_init(struct actor *a, void *state)
{
	struct cleaner	*c = state;

	c->self = a;
	c->usage = cleaner_statvfs;
	c->done_day = -1;
	return (0);
}

static void
cleaner_fini(void *state)
{
	struct cleaner	*c = state;

	free(c->root);
}

/* Use fn instead of statvfs(3) to learn the disk's use (tests). */
void
cleaner_set_usage(struct actor *a, cleaner_usage_fn fn)
{
	struct cleaner	*c = actor_state(a);

	c->usage = fn;
}

static int
cleaner_on_config(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct cleaner		*c = state;
	Petrel__CleanerConfig	*cc = (Petrel__CleanerConfig *)m;
	Petrel__Configured	*ack;

	ack = msg_new(&petrel__configured__descriptor);
	if (*cc->root == '\0')
		msg_set_string(&ack->error, "no store folder given");
	else if (cc->delete_hour > 23)
		msg_set_string(&ack->error, "delete hour is not 0 to 23");
	else {
		free(c->root);
		c->root = xstrdup(cc->root);
		c->retention_h = cc->retention_hours ? cc->retention_hours :
		    CLEANER_RETENTION_H;
		c->delete_hour = cc->delete_hour;
		c->clean_pct = cc->clean_percent ? cc->clean_percent :
		    CLEANER_CLEAN_PCT;
		c->refuse_pct = cc->refuse_percent ? cc->refuse_percent :
		    CLEANER_REFUSE_PCT;
		c->writer = actor_deref(cc->writer);
		c->dispatcher = actor_deref(cc->dispatcher);
		actor_timer(c->self, CLEANER_TIMER, cc->interval_ms ?
		    cc->interval_ms : CLEANER_INTERVAL_MS, 1);
	}
	actor_reply(env, ack);
	return (0);
}

/* Tell the writer whether to refuse writes. */
static void
cleaner_disk_state(struct cleaner *c, int full, unsigned pct)
{
	Petrel__DiskState	*ds;
	char			*reason;

	c->full = full;
	if (full)
		log_warnx("cleaner: disk of %s is %u%% full, over %u%%: "
		    "refusing writes", c->root, pct, c->refuse_pct);
	else
		log_info("cleaner: disk of %s is %u%% full: taking writes "
		    "again", c->root, pct);
	if (c->writer == NULL)
		return;
	ds = msg_new(&petrel__disk_state__descriptor);
	ds->full = full;
	xasprintf(&reason, "disk %u%% full, over the %u%% limit", pct,
	    c->refuse_pct);
	msg_set_string(&ds->reason, reason);
	free(reason);
	actor_send(c->writer, ds);
}

/* Ask the dispatcher to delete segments written before cutoff. */
static void
cleaner_delete(struct cleaner *c, uint64_t cutoff, int daily)
{
	Petrel__DeleteExpired	*de;

	if (c->dispatcher == NULL)
		return;
	de = msg_new(&petrel__delete_expired__descriptor);
	de->cutoff_ms = cutoff;
	de->max = CLEANER_BATCH;
	c->deleting = 1;
	c->daily = daily;
	actor_ask(c->dispatcher, de, c->self, 0);
}

static int
cleaner_on_tick(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct cleaner	*c = state;
	struct timespec	 now;
	struct tm	 tm;
	unsigned	 pct;
	char		*cause = NULL;
	long		 day;
	uint64_t	 ms;

	if (c->root == NULL)
		return (0);
	if (c->usage(c->root, &pct, &cause) != 0) {
		log_warnx("cleaner: %s", cause);
		free(cause);
		return (0);
	}
	if ((pct >= c->refuse_pct) != c->full)
		cleaner_disk_state(c, pct >= c->refuse_pct, pct);
	if (c->deleting)
		return (0);
	clock_gettime(CLOCK_REALTIME, &now);
	ms = (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000;
	if (pct >= c->clean_pct) {
		log_info("cleaner: disk %u%% full, over %u%%: deleting the "
		    "oldest segments", pct, c->clean_pct);
		cleaner_delete(c, UINT64_MAX, 0);
		return (0);
	}
	localtime_r(&now.tv_sec, &tm);
	day = (long)tm.tm_year * 400 + tm.tm_yday;
	if ((uint32_t)tm.tm_hour == c->delete_hour && c->done_day != day)
		cleaner_delete(c, ms - (uint64_t)c->retention_h * 3600 * 1000,
		    1);
	return (0);
}

/* The dispatcher deleted what it could. */
static int
cleaner_on_trimmed(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct cleaner		*c = state;
	Petrel__LogTrimmed	*lt = (Petrel__LogTrimmed *)m;
	struct tm		 tm;
	time_t			 now = time(NULL);

	c->deleting = 0;
	if (c->daily && lt->deleted < CLEANER_BATCH) {
		localtime_r(&now, &tm);
		c->done_day = (long)tm.tm_year * 400 + tm.tm_yday;
	}
	return (0);
}
