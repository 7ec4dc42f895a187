/*
 * Status: answers GetBrokerRuntimeInfoRequest (CODE_GET_BROKER_RUNTIME_INFO,
 * routed here by the listener).  Each request starts a round: every source
 * named in StatusConfig is asked a CountersRequest, and the answer goes out
 * when all have replied, or after a second with what came.  Counters of
 * the same name are added up; the names of proto/brokerd.proto fill the
 * response's fields and any other goes to extra.
 *
 * Rates: every sample interval a round without a request samples
 * messages_put and messages_got; put_tps and get_tps are the growth from
 * the oldest sample of the last minute to the request's own counters.
 * Disk use is statvfs(2) of the data root.  Time is the monotonic clock
 * unless a test fixed it with SetClock; start_ms is the wall clock.
 */
#include "config.h"

#include <sys/statvfs.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actor.h"
#include "broker.h"
#include "clock.h"
#include "log.h"
#include "msg.h"
#include "xmalloc.h"

#include "proto/broker.pb-c.h"
#include "proto/brokerd.pb-c.h"
#include "proto/frame.pb-c.h"
#include "proto/runtime.pb-c.h"

#define STATUS_SAMPLE_TIMER	1	/* rounds use timers from 2 up */
#define STATUS_SAMPLE_MS	5000
#define STATUS_WAIT_MS		1000	/* longest wait for the sources */
#define STATUS_WINDOW_MS	60000	/* rates are over the last minute */
#define STATUS_ROUNDS_MAX	64

struct status_sample {
	uint64_t	 t;		/* monotonic ms */
	uint64_t	 put;
	uint64_t	 got;
};

struct status_counter {
	char		*name;
	uint64_t	 value;
};

/* One round of CountersRequests: a request's answer or a sample. */
struct status_round {
	uint32_t		 id;		/* cookie and timer */
	int			 sample;	/* else answers env */
	struct envelope		 env;
	size_t			 waiting;	/* sources yet to reply */
	struct status_counter	*counters;
	size_t			 ncounters;
	struct status_round	*next;
};

struct status {
	struct actor		*self;
	int			 configured;
	int			 stopped;
	char			*version;
	char			*cluster;
	char			*broker_name;
	uint64_t		 broker_id;
	char			*root;
	struct actor		**sources;
	size_t			 nsources;
	uint64_t		 start_ms;	/* wall clock */
	uint64_t		 start_mono;

	struct status_sample	*samples;	/* ring, oldest at first */
	size_t			 nsamples;
	size_t			 capsamples;
	size_t			 first;

	struct status_round	*rounds;
	size_t			 nrounds;
	uint32_t		 next_id;
	uint64_t		 clock;		/* fixed by SetClock; 0: real */
};

static int	status_init(struct actor *, void *);
static void	status_fini(void *);
static int	status_on_config(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	status_on_request(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	status_on_counters(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	status_on_error(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	status_on_tick(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	status_on_clock(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	status_on_stop(void *, ProtobufCMessage *,
		    const struct envelope *);

static const struct actor_handler status_handlers[] = {
	{ &petrel__status_config__descriptor, status_on_config },
	{ &petrel__get_broker_runtime_info_request__descriptor,
	  status_on_request },
	{ &petrel__counters__descriptor, status_on_counters },
	{ &petrel__error__descriptor, status_on_error },
	{ &petrel__tick__descriptor, status_on_tick },
	{ &petrel__set_clock__descriptor, status_on_clock },
	{ &petrel__stop__descriptor, status_on_stop },
	{ NULL, NULL }
};

const struct actor_type status_actor = {
	.name = "status",
	.size = sizeof(struct status),
	.init = status_init,
	.fini = status_fini,
	.handlers = status_handlers
};

static int
status_init(struct actor *a, void *state)
{
	struct status	*st = state;

	st->self = a;
	st->next_id = STATUS_SAMPLE_TIMER + 1;
	return (0);
}

/* Free a round (its timer is the caller's to cancel). */
static void
status_free_round(struct status_round *r)
{
	size_t	i;

	for (i = 0; i < r->ncounters; i++)
		free(r->counters[i].name);
	free(r->counters);
	free(r);
}

static void
status_fini(void *state)
{
	struct status		*st = state;
	struct status_round	*r;

	while ((r = st->rounds) != NULL) {
		st->rounds = r->next;
		status_free_round(r);
	}
	free(st->version);
	free(st->cluster);
	free(st->broker_name);
	free(st->root);
	free(st->sources);
	free(st->samples);
}

/* Monotonic milliseconds, or the test's. */
static uint64_t
status_now(struct status *st)
{
	return (st->clock != 0 ? st->clock : clock_mono_ms());
}

static int
status_on_config(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct status		*st = state;
	Petrel__StatusConfig	*c = (Petrel__StatusConfig *)m;
	Petrel__Configured	*ack;
	uint64_t		 sample_ms;
	size_t			 i;

	ack = msg_new(&petrel__configured__descriptor);
	if (st->configured) {
		msg_set_string(&ack->error, "status already configured");
		return (actor_reply(env, ack));
	}
	st->configured = 1;
	st->version = xstrdup(c->version);
	st->cluster = xstrdup(c->cluster);
	st->broker_name = xstrdup(c->broker_name);
	st->broker_id = c->broker_id;
	st->root = xstrdup(c->root);
	st->sources = xcalloc(c->n_sources + 1, sizeof *st->sources);
	for (i = 0; i < c->n_sources; i++) {
		if ((st->sources[st->nsources] =
		    actor_deref(c->sources[i])) != NULL)
			st->nsources++;
	}
	st->start_ms = clock_wall_ms();
	st->start_mono = status_now(st);
	sample_ms = c->sample_ms != 0 ? c->sample_ms : STATUS_SAMPLE_MS;
	/* Room for a minute of samples and the one just before it. */
	st->capsamples = STATUS_WINDOW_MS / sample_ms + 2;
	st->samples = xcalloc(st->capsamples, sizeof *st->samples);
	actor_timer(st->self, STATUS_SAMPLE_TIMER, sample_ms, 1);
	return (actor_reply(env, ack));
}

/* Add value to counter name of round r. */
static void
status_add(struct status_round *r, const char *name, uint64_t value)
{
	size_t	i;

	for (i = 0; i < r->ncounters; i++) {
		if (strcmp(r->counters[i].name, name) == 0) {
			r->counters[i].value += value;
			return;
		}
	}
	r->counters = xreallocarray(r->counters, r->ncounters + 1,
	    sizeof *r->counters);
	r->counters[r->ncounters].name = xstrdup(name);
	r->counters[r->ncounters++].value = value;
}

/* Counter name of round r, 0 if nobody reported it. */
static uint64_t
status_get(const struct status_round *r, const char *name)
{
	size_t	i;

	for (i = 0; i < r->ncounters; i++) {
		if (strcmp(r->counters[i].name, name) == 0)
			return (r->counters[i].value);
	}
	return (0);
}

/* Remember the put and got totals of a sample round. */
static void
status_sample(struct status *st, const struct status_round *r)
{
	struct status_sample	*s;

	if (st->nsamples == st->capsamples) {
		st->first = (st->first + 1) % st->capsamples;
		st->nsamples--;
	}
	s = &st->samples[(st->first + st->nsamples++) % st->capsamples];
	s->t = status_now(st);
	s->put = status_get(r, "messages_put");
	s->got = status_get(r, "messages_got");
}

/* Rates from the oldest sample of the last minute to these totals. */
static void
status_rates(struct status *st, uint64_t put, uint64_t got,
    Petrel__GetBrokerRuntimeInfoResponse *resp)
{
	struct status_sample	*s = NULL;
	uint64_t		 now = status_now(st);
	size_t			 i;

	for (i = 0; i < st->nsamples; i++) {
		s = &st->samples[(st->first + i) % st->capsamples];
		if (s->t < now && now - s->t <= STATUS_WINDOW_MS)
			break;
		s = NULL;
	}
	if (s == NULL)
		return;
	if (put >= s->put)
		resp->put_tps = (double)(put - s->put) * 1000.0 /
		    (double)(now - s->t);
	if (got >= s->got)
		resp->get_tps = (double)(got - s->got) * 1000.0 /
		    (double)(now - s->t);
}

/* Whether name is a counter with a field of its own; if so, set it. */
static int
status_field(Petrel__GetBrokerRuntimeInfoResponse *resp, const char *name,
    uint64_t v)
{
	if (strcmp(name, "messages_put") == 0)
		resp->messages_put = v;
	else if (strcmp(name, "messages_got") == 0)
		resp->messages_got = v;
	else if (strcmp(name, "commit_log_min") == 0)
		resp->commit_log_min_offset = v;
	else if (strcmp(name, "commit_log_max") == 0)
		resp->commit_log_max_offset = v;
	else if (strcmp(name, "topics") == 0)
		resp->topics = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
	else if (strcmp(name, "consumer_groups") == 0)
		resp->consumer_groups = v > UINT32_MAX ? UINT32_MAX :
		    (uint32_t)v;
	else if (strcmp(name, "queue_depth") == 0)
		resp->queue_depth = v;
	else
		return (0);
	return (1);
}

/* Order properties by name. */
static int
status_cmp_prop(const void *a, const void *b)
{
	const Petrel__Property	*pa = *(Petrel__Property * const *)a;
	const Petrel__Property	*pb = *(Petrel__Property * const *)b;

	return (strcmp(pa->name, pb->name));
}

/* Answer the request of round r with what its sources said. */
static void
status_answer(struct status *st, struct status_round *r)
{
	Petrel__GetBrokerRuntimeInfoResponse	*resp;
	Petrel__Property			*p;
	struct statvfs				 sv;
	char					 buf[32];
	size_t					 i;

	resp = msg_new(&petrel__get_broker_runtime_info_response__descriptor);
	msg_set_string(&resp->version, st->version);
	msg_set_string(&resp->cluster, st->cluster);
	msg_set_string(&resp->broker_name, st->broker_name);
	resp->broker_id = st->broker_id;
	resp->start_ms = st->start_ms;
	resp->uptime_ms = status_now(st) - st->start_mono;
	if (*st->root != '\0' && statvfs(st->root, &sv) == 0 &&
	    sv.f_blocks > 0) {
		resp->disk_total_bytes = (uint64_t)sv.f_blocks * sv.f_frsize;
		resp->disk_used_bytes = (uint64_t)(sv.f_blocks - sv.f_bfree) *
		    sv.f_frsize;
		resp->disk_used_ratio = (double)resp->disk_used_bytes /
		    (double)resp->disk_total_bytes;
	} else if (*st->root != '\0')
		log_debug("status: statvfs %s failed", st->root);
	resp->extra = xcalloc(r->ncounters + 1, sizeof *resp->extra);
	for (i = 0; i < r->ncounters; i++) {
		if (status_field(resp, r->counters[i].name,
		    r->counters[i].value))
			continue;
		p = msg_new(&petrel__property__descriptor);
		msg_set_string(&p->name, r->counters[i].name);
		snprintf(buf, sizeof buf, "%" PRIu64, r->counters[i].value);
		msg_set_string(&p->value, buf);
		resp->extra[resp->n_extra++] = p;
	}
	qsort(resp->extra, resp->n_extra, sizeof *resp->extra,
	    status_cmp_prop);
	status_rates(st, resp->messages_put, resp->messages_got, resp);
	actor_reply(&r->env, resp);
}

/* Round r is complete (or out of time): use it and forget it. */
static void
status_done(struct status *st, struct status_round *r)
{
	struct status_round	**pp;

	for (pp = &st->rounds; *pp != r; pp = &(*pp)->next)
		;
	*pp = r->next;
	st->nrounds--;
	actor_timer_cancel(st->self, r->id);
	if (r->sample)
		status_sample(st, r);
	else
		status_answer(st, r);
	status_free_round(r);
}

/* Start a round: ask every source (answer env unless a sample). */
static void
status_round(struct status *st, const struct envelope *env)
{
	struct status_round	*r;
	size_t			 i;

	r = xcalloc(1, sizeof *r);
	r->id = st->next_id++;
	if (st->next_id == 0)
		st->next_id = STATUS_SAMPLE_TIMER + 1;
	r->sample = env == NULL;
	if (env != NULL)
		r->env = *env;
	r->waiting = st->nsources;
	r->next = st->rounds;
	st->rounds = r;
	st->nrounds++;
	if (st->nsources == 0) {
		status_done(st, r);
		return;
	}
	for (i = 0; i < st->nsources; i++) {
		actor_ask(st->sources[i],
		    msg_new(&petrel__counters_request__descriptor), st->self,
		    r->id);
	}
	actor_timer(st->self, r->id, STATUS_WAIT_MS, 0);
}

static int
status_on_request(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct status	*st = state;

	if (!st->configured || st->stopped)
		return (actor_reply_error(env,
		    PETREL__STATUS__STATUS_SERVICE_NOT_AVAILABLE,
		    st->stopped ? "broker stopping" : "status not configured"));
	if (st->nrounds >= STATUS_ROUNDS_MAX)
		return (actor_reply_error(env,
		    PETREL__STATUS__STATUS_SYSTEM_BUSY,
		    "%zu status requests already waiting", st->nrounds));
	status_round(st, env);
	return (0);
}

/* The round a reply's cookie names, or NULL (it timed out). */
static struct status_round *
status_find(struct status *st, uint64_t id)
{
	struct status_round	*r;

	for (r = st->rounds; r != NULL; r = r->next) {
		if (r->id == id)
			return (r);
	}
	return (NULL);
}

/* One source replied: note what it counts; finish when all have. */
static void
status_replied(struct status *st, uint64_t id, const Petrel__Counters *c)
{
	struct status_round	*r;
	size_t			 i;

	if ((r = status_find(st, id)) == NULL)
		return;
	for (i = 0; c != NULL && i < c->n_counters; i++) {
		if (*c->counters[i]->name != '\0')
			status_add(r, c->counters[i]->name,
			    c->counters[i]->value);
	}
	if (r->waiting > 0 && --r->waiting == 0)
		status_done(st, r);
}

static int
status_on_counters(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	status_replied(state, env->cookie, (Petrel__Counters *)m);
	return (0);
}

/* A source could not answer: it counts as replied with nothing. */
static int
status_on_error(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	log_debug("status: a source answered an error: %s",
	    ((Petrel__Error *)m)->text);
	status_replied(state, env->cookie, NULL);
	return (0);
}

/* Sample the rates; or a round ran out of time: answer with what came. */
static int
status_on_tick(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct status		*st = state;
	struct status_round	*r;
	uint32_t		 id = ((Petrel__Tick *)m)->id;

	if (id != STATUS_SAMPLE_TIMER) {
		if ((r = status_find(st, id)) != NULL)
			status_done(st, r);
		return (0);
	}
	for (r = st->rounds; r != NULL; r = r->next) {
		if (r->sample)
			return (0);	/* the last one is still out */
	}
	if (st->configured && !st->stopped)
		status_round(st, NULL);
	return (0);
}

static int
status_on_clock(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct status	*st = state;

	st->clock = ((Petrel__SetClock *)m)->now_ms;
	return (0);
}

/* Answer the waiting requests with what they have, then stop. */
static int
status_on_stop(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct status	*st = state;

	actor_timer_cancel(st->self, STATUS_SAMPLE_TIMER);
	while (st->rounds != NULL)
		status_done(st, st->rounds);
	st->stopped = 1;
	return (actor_reply(env, msg_new(&petrel__stopped__descriptor)));
}
