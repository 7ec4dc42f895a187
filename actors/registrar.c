/*
 * Registrar: keeps the broker known to every name server.  At start, every
 * interval (30 s) and whenever the topic manager says the topics changed,
 * it asks the topic manager for the table (TopicTableRequest) and sends
 * each name server a RegisterBrokerRequest with the topics and the data
 * version (so a name server skips re-reading unchanged topics).  On Stop
 * it unregisters from all of them and answers Stopped once every name
 * server answered or failed.
 *
 * Each name server has its own connection (lib/rpc.h) on the event_base
 * of the registrar's loop, and its calls have their own deadline, so one
 * dead or slow name server never holds up the others; a name server whose
 * last call has not finished is skipped for a round.  A name server's
 * state (registered or failing) is logged when it changes, not each round.
 * The daemon runs the registrar on a loop of its own (actors/broker.h);
 * it cannot run detached.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actor.h"
#include "broker.h"
#include "log.h"
#include "msg.h"
#include "rpc.h"
#include "xmalloc.h"

#include "proto/broker.pb-c.h"
#include "proto/brokerd.pb-c.h"
#include "proto/frame.pb-c.h"
#include "proto/namesrv.pb-c.h"
#include "proto/runtime.pb-c.h"

#define REG_TIMER	1
#define REG_NS_MAX	64		/* name servers */
#define REG_COOKIE	1		/* of TopicTableRequest */

struct registrar;

/* One name server. */
struct reg_ns {
	struct registrar	*reg;
	char			*address;
	struct rpc		*rpc;
	int			 state;	/* -1 unknown, 0 failing, 1 up */
	int			 busy;		/* a register call is out */
	uint64_t		 registrations;
	uint64_t		 failures;
	char			*last_error;
};

struct registrar {
	struct actor		*self;
	struct reg_ns		*ns;
	size_t			 nns;
	int			 configured;
	int			 dying;		/* in fini: ignore callbacks */
	Petrel__RegisterBrokerRequest *req;	/* template, no topics */
	uint64_t		 topic_manager;
	uint64_t		 interval_ms;
	uint32_t		 timeout_ms;
	int			 asking;	/* a TopicTableRequest is out */
	int			 again;		/* and another round is due */
	uint64_t		 version_ts;	/* last sent */
	uint64_t		 version_counter;
	int			 stopping;
	size_t			 unregistering;	/* calls still out */
	struct envelope		 stop_env;
};

static int	registrar_init(struct actor *, void *);
static void	registrar_fini(void *);
static int	registrar_on_config(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	registrar_on_tick(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	registrar_on_topics_changed(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	registrar_on_table(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	registrar_on_error(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	registrar_on_status(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	registrar_on_stop(void *, ProtobufCMessage *,
		    const struct envelope *);

static const struct actor_handler registrar_handlers[] = {
	{ &petrel__registrar_config__descriptor, registrar_on_config },
	{ &petrel__tick__descriptor, registrar_on_tick },
	{ &petrel__topics_changed__descriptor, registrar_on_topics_changed },
	{ &petrel__topic_table__descriptor, registrar_on_table },
	{ &petrel__error__descriptor, registrar_on_error },
	{ &petrel__registrar_status_request__descriptor, registrar_on_status },
	{ &petrel__stop__descriptor, registrar_on_stop },
	{ NULL, NULL }
};

const struct actor_type registrar_actor = {
	.name = "registrar",
	.size = sizeof(struct registrar),
	.init = registrar_init,
	.fini = registrar_fini,
	.handlers = registrar_handlers
};

static int
registrar_init(struct actor *a, void *state)
{
	struct registrar	*reg = state;

	reg->self = a;
	reg->interval_ms = BROKER_REGISTER_MS;
	reg->timeout_ms = BROKER_RPC_TIMEOUT_MS;
	return (0);
}

/* Close and forget every name server; their callbacks are ignored. */
static void
registrar_free_ns(struct registrar *reg)
{
	size_t	i;

	reg->dying = 1;
	for (i = 0; i < reg->nns; i++) {
		rpc_free(reg->ns[i].rpc);
		free(reg->ns[i].address);
		free(reg->ns[i].last_error);
	}
	free(reg->ns);
	reg->ns = NULL;
	reg->nns = 0;
	reg->dying = 0;
}

static void
registrar_fini(void *state)
{
	struct registrar	*reg = state;

	registrar_free_ns(reg);
	msg_free(reg->req);
}

/* Note the outcome of a call to ns; log only a change of state. */
static void
registrar_outcome(struct reg_ns *ns, const char *what, uint32_t status,
    const char *error)
{
	if (status == PETREL__STATUS__STATUS_OK) {
		if (ns->state != 1)
			log_info("%s name server %s", what, ns->address);
		ns->state = 1;
		ns->registrations++;
		return;
	}
	ns->failures++;
	free(ns->last_error);
	xasprintf(&ns->last_error, "%s", *error != '\0' ? error : "failed");
	if (ns->state != 0)
		log_warnx("name server %s: %s (status %" PRIu32 ")",
		    ns->address, ns->last_error, status);
	ns->state = 0;
}

/* The answer of a name server to a registration. */
static void
registrar_registered(uint32_t status, const char *error,
    ProtobufCMessage *body, void *arg)
{
	struct reg_ns	*ns = arg;

	msg_free(body);
	if (ns->reg->dying)
		return;
	ns->busy = 0;
	registrar_outcome(ns, "registered with", status, error);
}

/* The answer of a name server to the unregistration; the last stops us. */
static void
registrar_unregistered(uint32_t status, const char *error,
    ProtobufCMessage *body, void *arg)
{
	struct reg_ns		*ns = arg;
	struct registrar	*reg = ns->reg;

	msg_free(body);
	if (reg->dying)
		return;
	if (status == PETREL__STATUS__STATUS_OK)
		log_info("unregistered from name server %s", ns->address);
	else
		log_warnx("unregistering from name server %s: %s",
		    ns->address, *error != '\0' ? error : "failed");
	if (--reg->unregistering == 0)
		actor_reply(&reg->stop_env,
		    msg_new(&petrel__stopped__descriptor));
}

/* Start a round: ask the topic manager for the table (or register bare). */
static void
registrar_round(struct registrar *reg)
{
	struct actor	*tm;

	if (reg->stopping || !reg->configured)
		return;
	if (reg->asking) {
		reg->again = 1;
		return;
	}
	if ((tm = actor_deref(reg->topic_manager)) == NULL) {
		registrar_on_table(reg,
		    msg_new(&petrel__topic_table__descriptor), NULL);
		return;
	}
	reg->asking = 1;
	actor_ask(tm, msg_new(&petrel__topic_table_request__descriptor),
	    reg->self, REG_COOKIE);
}

/* Check the configuration; NULL if good, else a reason in buf. */
static const char *
registrar_check(const Petrel__RegistrarConfig *c, char *buf, size_t len)
{
	if (c->n_namesrv_addrs == 0) {
		snprintf(buf, len, "no name server address");
		return (buf);
	}
	if (c->n_namesrv_addrs > REG_NS_MAX) {
		snprintf(buf, len, "more than %d name servers", REG_NS_MAX);
		return (buf);
	}
	if (*c->cluster == '\0' || *c->broker_name == '\0' ||
	    *c->address == '\0') {
		snprintf(buf, len, "cluster, broker name and address are "
		    "needed");
		return (buf);
	}
	return (NULL);
}

static int
registrar_on_config(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct registrar		*reg = state;
	Petrel__RegistrarConfig		*c = (Petrel__RegistrarConfig *)m;
	Petrel__RegisterBrokerRequest	*req;
	Petrel__Configured		*ack;
	struct loop			*loop = actor_loop(reg->self);
	const char			*why;
	char				 buf[256], *cause = NULL;
	size_t				 i;

	ack = msg_new(&petrel__configured__descriptor);
	if (reg->configured)
		why = "registrar already configured";
	else if (loop == NULL)
		why = "the registrar needs a loop";
	else
		why = registrar_check(c, buf, sizeof buf);
	if (why != NULL) {
		msg_set_string(&ack->error, why);
		return (actor_reply(env, ack));
	}
	reg->ns = xcalloc(c->n_namesrv_addrs, sizeof *reg->ns);
	for (i = 0; i < c->n_namesrv_addrs; i++) {
		reg->ns[i].reg = reg;
		reg->ns[i].state = -1;
		reg->ns[i].address = xstrdup(c->namesrv_addrs[i]);
		reg->ns[i].rpc = rpc_new(loop_base(loop), c->namesrv_addrs[i],
		    &cause);
		reg->nns++;
		if (reg->ns[i].rpc == NULL) {
			msg_set_string(&ack->error, cause);
			free(cause);
			registrar_free_ns(reg);
			return (actor_reply(env, ack));
		}
	}
	req = msg_new(&petrel__register_broker_request__descriptor);
	msg_set_string(&req->cluster, c->cluster);
	msg_set_string(&req->broker_name, c->broker_name);
	req->broker_id = c->broker_id;
	msg_set_string(&req->address, c->address);
	msg_set_string(&req->ha_address, c->ha_address);
	req->heartbeat_timeout_ms = c->heartbeat_timeout_ms;
	reg->req = req;
	reg->topic_manager = c->topic_manager;
	if (c->interval_ms != 0)
		reg->interval_ms = c->interval_ms;
	if (c->timeout_ms != 0)
		reg->timeout_ms = c->timeout_ms;
	reg->configured = 1;
	actor_timer(reg->self, REG_TIMER, reg->interval_ms, 1);
	log_info("registering %s/%s id %" PRIu64 " with %zu name servers "
	    "every %" PRIu64 " ms", c->cluster, c->broker_name, c->broker_id,
	    reg->nns, reg->interval_ms);
	actor_reply(env, ack);
	registrar_round(reg);
	return (0);
}

static int
registrar_on_tick(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	registrar_round(state);
	return (0);
}

static int
registrar_on_topics_changed(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	registrar_round(state);
	return (0);
}

/* Register t's topics with every name server not still busy. */
static void
registrar_send(struct registrar *reg, Petrel__TopicTable *t)
{
	Petrel__RegisterBrokerRequest	*req = reg->req;
	Petrel__DataVersion		 dv = PETREL__DATA_VERSION__INIT;
	struct reg_ns			*ns;
	size_t				 i;

	req->topics = t->topics;
	req->n_topics = t->n_topics;
	if (t->data_version != NULL) {
		dv.timestamp_ms = t->data_version->timestamp_ms;
		dv.counter = t->data_version->counter;
	}
	req->data_version = &dv;
	reg->version_ts = dv.timestamp_ms;
	reg->version_counter = dv.counter;
	for (i = 0; i < reg->nns; i++) {
		ns = &reg->ns[i];
		if (ns->busy)
			continue;
		if (rpc_call(ns->rpc,
		    PETREL__REQUEST_CODE__CODE_REGISTER_BROKER, &req->base,
		    reg->timeout_ms, registrar_registered, ns) != 0) {
			registrar_outcome(ns, "",
			    PETREL__STATUS__STATUS_NOT_SENT,
			    "the registration cannot be sent");
			continue;
		}
		ns->busy = 1;
	}
	req->topics = NULL;
	req->n_topics = 0;
	req->data_version = NULL;
}

/* The topic manager's table (env NULL: an empty one made here). */
static int
registrar_on_table(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct registrar	*reg = state;

	reg->asking = 0;
	if (!reg->stopping && reg->configured)
		registrar_send(reg, (Petrel__TopicTable *)m);
	if (env == NULL)
		msg_free(m);
	if (reg->again) {
		reg->again = 0;
		registrar_round(reg);
	}
	return (0);
}

/* The topic manager could not answer: try again next round. */
static int
registrar_on_error(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct registrar	*reg = state;
	Petrel__Error		*e = (Petrel__Error *)m;

	reg->asking = 0;
	log_warnx("registrar: no topic table: %s", e->text);
	return (0);
}

static int
registrar_on_status(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct registrar	*reg = state;
	Petrel__RegistrarStatus	*st;
	Petrel__RegistrarNamesrv *n;
	size_t			 i;

	st = msg_new(&petrel__registrar_status__descriptor);
	for (i = 0; i < reg->nns; i++) {
		n = msg_new(&petrel__registrar_namesrv__descriptor);
		msg_set_string(&n->address, reg->ns[i].address);
		n->registered = reg->ns[i].state == 1;
		n->registrations = reg->ns[i].registrations;
		n->failures = reg->ns[i].failures;
		msg_set_string(&n->last_error, reg->ns[i].last_error != NULL ?
		    reg->ns[i].last_error : "");
		msg_array_add((void ***)&st->namesrvs, &st->n_namesrvs, n);
	}
	st->data_version = msg_new(&petrel__data_version__descriptor);
	st->data_version->timestamp_ms = reg->version_ts;
	st->data_version->counter = reg->version_counter;
	return (actor_reply(env, st));
}

static int
registrar_on_stop(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct registrar		*reg = state;
	Petrel__UnregisterBrokerRequest	*req;
	size_t				 i;

	if (reg->stopping || !reg->configured)
		return (actor_reply(env,
		    msg_new(&petrel__stopped__descriptor)));
	reg->stopping = 1;
	reg->stop_env = *env;
	actor_timer_cancel(reg->self, REG_TIMER);
	req = msg_new(&petrel__unregister_broker_request__descriptor);
	msg_set_string(&req->cluster, reg->req->cluster);
	msg_set_string(&req->broker_name, reg->req->broker_name);
	req->broker_id = reg->req->broker_id;
	msg_set_string(&req->address, reg->req->address);
	for (i = 0; i < reg->nns; i++) {
		if (rpc_call(reg->ns[i].rpc,
		    PETREL__REQUEST_CODE__CODE_UNREGISTER_BROKER, &req->base,
		    reg->timeout_ms, registrar_unregistered, &reg->ns[i]) == 0)
			reg->unregistering++;
	}
	msg_free(req);
	if (reg->unregistering == 0)
		return (actor_reply(env,
		    msg_new(&petrel__stopped__descriptor)));
	return (0);
}
