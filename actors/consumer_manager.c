/*
 * Consumer manager: the live clients of each consumer and producer group,
 * from their heartbeats.  Answers the client requests of proto/broker.proto
 * the listener routes to it (heartbeat, unregister, consumer list) and the
 * ConsumerGroupLookup of the pull and send-back paths.
 *
 * A member is dropped when it unregisters, when the connection it last
 * sent a heartbeat on closes (ConnectionClosed from the listener), or when
 * it has been silent for the expiry (120 s), checked on each tick.  When a
 * consumer group gains or loses a member, the notifier (the listener side
 * that pushes one-way frames) is sent NotifyConsumers naming the
 * connections of the group's members, who are to be told
 * CODE_NOTIFY_CONSUMER_IDS_CHANGED so they rebalance at once.  A group
 * with no member left is forgotten.  Time is the monotonic clock unless a
 * test fixed it with SetClock.
 *
 * The offset manager, which answers CODE_GET_CONSUMER_GROUPS, asks it
 * GetConsumerGroupsRequest and is answered the groups online only, built
 * then: nothing is kept per heartbeat for it.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actor.h"
#include "broker.h"
#include "clock.h"
#include "log.h"
#include "msg.h"
#include "strmap.h"
#include "xmalloc.h"

#include "proto/broker.pb-c.h"
#include "proto/brokerd.pb-c.h"
#include "proto/frame.pb-c.h"
#include "proto/runtime.pb-c.h"
#include "proto/transport.pb-c.h"

#define CM_TIMER	1
#define CM_GROUPS_MAX	256		/* consumer or producer groups a beat */
#define CM_SUBS_MAX	1024		/* subscriptions of a group */
#define CM_TAGS_MAX	256		/* tags of a subscription */
#define CM_EXPR_MAX	4096		/* bytes of a sub_expression */
#define CM_TAG_MAX	255		/* bytes of a tag */

struct cm_member {
	uint64_t	conn;		/* of its last heartbeat */
	uint64_t	seen_ms;	/* monotonic */
};

struct cm_group {
	Petrel__ConsumerData	*data;	/* of the last heartbeat; NULL for
					   producers */
	struct strmap		*members;	/* client id -> cm_member */
};

struct consumer_manager {
	struct actor	*self;
	struct strmap	*consumers;	/* group -> cm_group */
	struct strmap	*producers;	/* group -> cm_group */
	uint64_t	 expire_ms;
	uint64_t	 scan_ms;
	uint64_t	 notifier;
	uint64_t	 clock;		/* fixed by SetClock; 0: real */
};

typedef int (*cm_match)(const struct cm_member *, uint64_t, uint64_t);

static int	consumer_manager_init(struct actor *, void *);
static void	consumer_manager_fini(void *);
static int	consumer_manager_on_config(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	consumer_manager_on_heartbeat(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	consumer_manager_on_unregister(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	consumer_manager_on_list(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	consumer_manager_on_lookup(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	consumer_manager_on_groups(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	consumer_manager_on_closed(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	consumer_manager_on_tick(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	consumer_manager_on_clock(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	consumer_manager_on_stop(void *, ProtobufCMessage *,
		    const struct envelope *);

static int	consumer_manager_on_counters(void *, ProtobufCMessage *,
		    const struct envelope *);

static const struct actor_handler consumer_manager_handlers[] = {
	{ &petrel__consumer_manager_config__descriptor,
	  consumer_manager_on_config },
	{ &petrel__heartbeat_request__descriptor,
	  consumer_manager_on_heartbeat },
	{ &petrel__unregister_client_request__descriptor,
	  consumer_manager_on_unregister },
	{ &petrel__get_consumer_list_request__descriptor,
	  consumer_manager_on_list },
	{ &petrel__consumer_group_lookup__descriptor,
	  consumer_manager_on_lookup },
	{ &petrel__get_consumer_groups_request__descriptor,
	  consumer_manager_on_groups },
	{ &petrel__connection_closed__descriptor, consumer_manager_on_closed },
	{ &petrel__tick__descriptor, consumer_manager_on_tick },
	{ &petrel__set_clock__descriptor, consumer_manager_on_clock },
	{ &petrel__counters_request__descriptor, consumer_manager_on_counters },
	{ &petrel__stop__descriptor, consumer_manager_on_stop },
	{ NULL, NULL }
};

const struct actor_type consumer_manager_actor = {
	.name = "consumer_manager",
	.size = sizeof(struct consumer_manager),
	.init = consumer_manager_init,
	.fini = consumer_manager_fini,
	.handlers = consumer_manager_handlers
};

static void
consumer_manager_free_group(void *p)
{
	struct cm_group	*g = p;

	strmap_free(g->members, free);
	msg_free(g->data);
	free(g);
}

static int
consumer_manager_init(struct actor *a, void *state)
{
	struct consumer_manager	*cm = state;

	cm->self = a;
	cm->consumers = strmap_new();
	cm->producers = strmap_new();
	cm->expire_ms = BROKER_CLIENT_EXPIRE_MS;
	cm->scan_ms = BROKER_SCAN_MS;
	return (0);
}

static void
consumer_manager_fini(void *state)
{
	struct consumer_manager	*cm = state;

	strmap_free(cm->consumers, consumer_manager_free_group);
	strmap_free(cm->producers, consumer_manager_free_group);
}

static uint64_t
consumer_manager_now(struct consumer_manager *cm)
{
	return (cm->clock != 0 ? cm->clock : clock_mono_ms());
}

/* Tell the notifier to push NotifyConsumerIdsChanged to group's members. */
static void
consumer_manager_notify(struct consumer_manager *cm, const char *group,
    struct cm_group *g)
{
	Petrel__NotifyConsumers	*n;
	struct cm_member	*mb;
	struct actor		*a;
	const char		*id;
	size_t			 iter = 0;
	void			*v;

	if ((a = actor_deref(cm->notifier)) == NULL)
		return;
	n = msg_new(&petrel__notify_consumers__descriptor);
	msg_set_string(&n->group, group);
	n->conns = xcalloc(strmap_count(g->members) + 1, sizeof *n->conns);
	while (strmap_next(g->members, &iter, &id, &v)) {
		mb = v;
		if (mb->conn != 0)
			n->conns[n->n_conns++] = mb->conn;
	}
	if (n->n_conns == 0) {
		msg_free(n);
		return;
	}
	actor_send(a, n);
}

/*
 * Drop the members of every group in map that match (arg, now), telling
 * the others of consumer groups; empty groups go.  Returns how many.
 */
static size_t
consumer_manager_drop(struct consumer_manager *cm, struct strmap *map,
    cm_match match, uint64_t arg, uint64_t now, const char *why)
{
	struct cm_group	*g;
	const char	**groups, **ids;
	size_t		  ng, ni, i, j, dropped = 0, before;

	groups = strmap_keys(map, &ng);
	for (i = 0; i < ng; i++) {
		g = strmap_get(map, groups[i]);
		before = dropped;
		ids = strmap_keys(g->members, &ni);
		for (j = 0; j < ni; j++) {
			if (!match(strmap_get(g->members, ids[j]), arg, now))
				continue;
			log_info("client %s leaves group %s: %s", ids[j],
			    groups[i], why);
			free(strmap_remove(g->members, ids[j]));
			dropped++;
		}
		free(ids);
		if (dropped == before)
			continue;
		if (strmap_count(g->members) == 0) {
			strmap_remove(map, groups[i]);
			consumer_manager_free_group(g);
		} else if (g->data != NULL)
			consumer_manager_notify(cm, groups[i], g);
	}
	free(groups);
	return (dropped);
}

static int
consumer_manager_match_conn(const struct cm_member *mb, uint64_t conn,
    uint64_t now)
{
	return (mb->conn == conn);
}

static int
consumer_manager_match_expired(const struct cm_member *mb, uint64_t expire,
    uint64_t now)
{
	return (mb->seen_ms + expire <= now);
}

static int
consumer_manager_on_config(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct consumer_manager		*cm = state;
	Petrel__ConsumerManagerConfig	*c = (Petrel__ConsumerManagerConfig *)m;
	Petrel__Configured		*ack;

	ack = msg_new(&petrel__configured__descriptor);
	if (c->expire_ms != 0)
		cm->expire_ms = c->expire_ms;
	if (c->scan_interval_ms != 0)
		cm->scan_ms = c->scan_interval_ms;
	cm->notifier = c->notifier;
	actor_timer(cm->self, CM_TIMER, cm->scan_ms, 1);
	return (actor_reply(env, ack));
}

/* Check one subscription; NULL if good, else a reason in buf. */
static const char *
consumer_manager_check_sub(const Petrel__Subscription *s, char *buf,
    size_t len)
{
	const char	*why;
	size_t		 i;

	if ((why = brokerlib_check_name("topic", s->topic, BROKERLIB_TOPIC,
	    buf, len)) != NULL)
		return (why);
	if (strlen(s->sub_expression) > CM_EXPR_MAX) {
		snprintf(buf, len, "subscription to %s: sub_expression is "
		    "longer than %d bytes", s->topic, CM_EXPR_MAX);
		return (buf);
	}
	if (s->n_tags > CM_TAGS_MAX || s->n_tag_hashes != s->n_tags) {
		snprintf(buf, len, "subscription to %s: %zu tags and %zu "
		    "hashes (at most %d, as many of each)", s->topic,
		    s->n_tags, s->n_tag_hashes, CM_TAGS_MAX);
		return (buf);
	}
	for (i = 0; i < s->n_tags; i++) {
		if (*s->tags[i] == '\0' || strlen(s->tags[i]) > CM_TAG_MAX) {
			snprintf(buf, len, "subscription to %s: tag %zu is "
			    "empty or longer than %d bytes", s->topic, i,
			    CM_TAG_MAX);
			return (buf);
		}
	}
	return (NULL);
}

/* Check a heartbeat; NULL if good, else a reason in buf. */
static const char *
consumer_manager_check(const Petrel__HeartbeatRequest *r, char *buf,
    size_t len)
{
	const Petrel__ConsumerData	*cd;
	const char			*why;
	size_t				 i, j;

	if ((why = brokerlib_check_client_id(r->client_id, buf, len)) != NULL)
		return (why);
	if (r->n_consumers > CM_GROUPS_MAX || r->n_producers > CM_GROUPS_MAX) {
		snprintf(buf, len, "%zu consumer and %zu producer groups: at "
		    "most %d of each", r->n_consumers, r->n_producers,
		    CM_GROUPS_MAX);
		return (buf);
	}
	for (i = 0; i < r->n_producers; i++) {
		if ((why = brokerlib_check_name("producer group",
		    r->producers[i]->group, BROKERLIB_GROUP, buf, len)) != NULL)
			return (why);
	}
	for (i = 0; i < r->n_consumers; i++) {
		cd = r->consumers[i];
		if ((why = brokerlib_check_name("consumer group", cd->group,
		    BROKERLIB_GROUP, buf, len)) != NULL)
			return (why);
		if (cd->n_subscriptions > CM_SUBS_MAX) {
			snprintf(buf, len, "group %s: more than %d "
			    "subscriptions", cd->group, CM_SUBS_MAX);
			return (buf);
		}
		for (j = 0; j < cd->n_subscriptions; j++) {
			if ((why = consumer_manager_check_sub(
			    cd->subscriptions[j], buf, len)) != NULL)
				return (why);
		}
	}
	return (NULL);
}

/* Note client id alive in group of map; 1 if it is a new member. */
static int
consumer_manager_beat(struct consumer_manager *cm, struct strmap *map,
    const char *group, const char *id, uint64_t conn, struct cm_group **gp)
{
	struct cm_group		*g;
	struct cm_member	*mb;
	int			 added = 0;

	if ((g = strmap_get(map, group)) == NULL) {
		g = xcalloc(1, sizeof *g);
		g->members = strmap_new();
		strmap_put(map, group, g);
	}
	if ((mb = strmap_get(g->members, id)) == NULL) {
		mb = xcalloc(1, sizeof *mb);
		strmap_put(g->members, id, mb);
		added = 1;
		log_info("client %s joins group %s", id, group);
	}
	mb->conn = conn;
	mb->seen_ms = consumer_manager_now(cm);
	*gp = g;
	return (added);
}

static int
consumer_manager_on_heartbeat(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct consumer_manager		*cm = state;
	Petrel__HeartbeatRequest	*r = (Petrel__HeartbeatRequest *)m;
	struct cm_group			*g;
	const char			*why;
	char				 buf[256];
	size_t				 i;

	if ((why = consumer_manager_check(r, buf, sizeof buf)) != NULL)
		return (actor_reply_error(env,
		    PETREL__STATUS__STATUS_BAD_REQUEST, "%s", why));
	for (i = 0; i < r->n_producers; i++)
		consumer_manager_beat(cm, cm->producers, r->producers[i]->group,
		    r->client_id, env->conn, &g);
	for (i = 0; i < r->n_consumers; i++) {
		if (consumer_manager_beat(cm, cm->consumers,
		    r->consumers[i]->group, r->client_id, env->conn, &g))
			consumer_manager_notify(cm, r->consumers[i]->group, g);
		msg_free(g->data);
		g->data = msg_dup(r->consumers[i]);
	}
	return (actor_reply(env,
	    msg_new(&petrel__heartbeat_response__descriptor)));
}

/* Remove client id from group of map; 1 if it was there. */
static int
consumer_manager_leave(struct consumer_manager *cm, struct strmap *map,
    const char *group, const char *id)
{
	struct cm_group	*g;

	if ((g = strmap_get(map, group)) == NULL ||
	    strmap_get(g->members, id) == NULL)
		return (0);
	free(strmap_remove(g->members, id));
	log_info("client %s leaves group %s: unregistered", id, group);
	if (strmap_count(g->members) == 0) {
		strmap_remove(map, group);
		consumer_manager_free_group(g);
	} else if (g->data != NULL)
		consumer_manager_notify(cm, group, g);
	return (1);
}

static int
consumer_manager_on_unregister(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct consumer_manager		*cm = state;
	Petrel__UnregisterClientRequest	*r =
	    (Petrel__UnregisterClientRequest *)m;
	const char			*why = NULL;
	char				 buf[256];

	if ((why = brokerlib_check_client_id(r->client_id, buf,
	    sizeof buf)) == NULL && *r->producer_group == '\0' &&
	    *r->consumer_group == '\0')
		why = "no group named";
	if (why == NULL && *r->producer_group != '\0')
		why = brokerlib_check_name("producer group", r->producer_group,
		    BROKERLIB_GROUP, buf, sizeof buf);
	if (why == NULL && *r->consumer_group != '\0')
		why = brokerlib_check_name("consumer group", r->consumer_group,
		    BROKERLIB_GROUP, buf, sizeof buf);
	if (why != NULL)
		return (actor_reply_error(env,
		    PETREL__STATUS__STATUS_BAD_REQUEST, "%s", why));
	if (*r->producer_group != '\0')
		consumer_manager_leave(cm, cm->producers, r->producer_group,
		    r->client_id);
	if (*r->consumer_group != '\0')
		consumer_manager_leave(cm, cm->consumers, r->consumer_group,
		    r->client_id);
	return (actor_reply(env,
	    msg_new(&petrel__unregister_client_response__descriptor)));
}

/* The sorted client ids of g, into a repeated field. */
static void
consumer_manager_ids(const struct cm_group *g, char ***out, size_t *n)
{
	const char	**ids;
	size_t		  i;

	ids = strmap_keys(g->members, n);
	*out = xcalloc(*n + 1, sizeof **out);
	for (i = 0; i < *n; i++)
		(*out)[i] = xstrdup(ids[i]);
	free(ids);
}

static int
consumer_manager_on_list(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct consumer_manager		*cm = state;
	Petrel__GetConsumerListRequest	*r =
	    (Petrel__GetConsumerListRequest *)m;
	Petrel__GetConsumerListResponse	*resp;
	struct cm_group			*g;
	const char			*why;
	char				 buf[256];

	if ((why = brokerlib_check_name("group", r->group, BROKERLIB_GROUP,
	    buf, sizeof buf)) != NULL)
		return (actor_reply_error(env,
		    PETREL__STATUS__STATUS_BAD_REQUEST, "%s", why));
	if ((g = strmap_get(cm->consumers, r->group)) == NULL)
		return (actor_reply_error(env, PETREL__STATUS__STATUS_NOT_FOUND,
		    "no consumer group %s", r->group));
	resp = msg_new(&petrel__get_consumer_list_response__descriptor);
	consumer_manager_ids(g, &resp->client_ids, &resp->n_client_ids);
	return (actor_reply(env, resp));
}

static int
consumer_manager_on_lookup(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct consumer_manager		*cm = state;
	Petrel__ConsumerGroupLookup	*r = (Petrel__ConsumerGroupLookup *)m;
	Petrel__ConsumerGroupInfo	*resp;
	struct cm_group			*g;
	size_t				 i;

	resp = msg_new(&petrel__consumer_group_info__descriptor);
	if ((g = strmap_get(cm->consumers, r->group)) == NULL)
		return (actor_reply(env, resp));
	resp->found = 1;
	resp->message_model = g->data->message_model;
	resp->consume_type = g->data->consume_type;
	for (i = 0; i < g->data->n_subscriptions; i++)
		msg_array_add((void ***)&resp->subscriptions,
		    &resp->n_subscriptions,
		    msg_dup(g->data->subscriptions[i]));
	consumer_manager_ids(g, &resp->client_ids, &resp->n_client_ids);
	return (actor_reply(env, resp));
}

/* Order strings by their bytes (for qsort). */
static int
consumer_manager_cmp_str(const void *a, const void *b)
{
	return (strcmp(*(char * const *)a, *(char * const *)b));
}

/*
 * The topics cd subscribes to, sorted and each once, into gs; at most
 * *left of them, counted down.  Returns 1 if some did not fit.
 */
static int
consumer_manager_topics(const Petrel__ConsumerData *cd,
    Petrel__ConsumerGroupState *gs, size_t *left)
{
	const char	**topics;
	size_t		  i;
	int		  cut = 0;

	topics = xcalloc(cd->n_subscriptions + 1, sizeof *topics);
	for (i = 0; i < cd->n_subscriptions; i++)
		topics[i] = cd->subscriptions[i]->topic;
	qsort(topics, cd->n_subscriptions, sizeof *topics,
	    consumer_manager_cmp_str);
	gs->subscribed = xcalloc(cd->n_subscriptions + 1,
	    sizeof *gs->subscribed);
	for (i = 0; i < cd->n_subscriptions; i++) {
		if (i > 0 && strcmp(topics[i], topics[i - 1]) == 0)
			continue;
		if (*left == 0) {
			cut = 1;
			break;
		}
		gs->subscribed[gs->n_subscribed++] = xstrdup(topics[i]);
		(*left)--;
	}
	free(topics);
	return (cut);
}

/*
 * The consumer groups online, sorted, each with its members' count and
 * its latest heartbeat's model, type and topics (bounded as the answer to
 * CODE_GET_CONSUMER_GROUPS is).
 */
static int
consumer_manager_on_groups(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct consumer_manager			*cm = state;
	Petrel__GetConsumerGroupsResponse	*resp;
	Petrel__ConsumerGroupState		*gs;
	struct cm_group				*g;
	const char				**names;
	size_t					  n, i, left;

	resp = msg_new(&petrel__get_consumer_groups_response__descriptor);
	left = BROKER_GROUPS_TOPICS_MAX;
	names = strmap_keys(cm->consumers, &n);
	if (n > BROKER_GROUPS_MAX) {
		n = BROKER_GROUPS_MAX;
		resp->truncated = 1;
	}
	resp->groups = xcalloc(n + 1, sizeof *resp->groups);
	for (i = 0; i < n; i++) {
		g = strmap_get(cm->consumers, names[i]);
		gs = msg_new(&petrel__consumer_group_state__descriptor);
		msg_set_string(&gs->group, names[i]);
		gs->clients = (uint32_t)strmap_count(g->members);
		gs->message_model = g->data->message_model;
		gs->consume_type = g->data->consume_type;
		if (consumer_manager_topics(g->data, gs, &left))
			resp->truncated = 1;
		resp->groups[resp->n_groups++] = gs;
	}
	free(names);
	return (actor_reply(env, resp));
}

static int
consumer_manager_on_closed(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct consumer_manager		*cm = state;
	Petrel__ConnectionClosed	*c = (Petrel__ConnectionClosed *)m;

	if (c->conn == 0)
		return (0);
	consumer_manager_drop(cm, cm->consumers, consumer_manager_match_conn,
	    c->conn, 0, "its connection closed");
	consumer_manager_drop(cm, cm->producers, consumer_manager_match_conn,
	    c->conn, 0, "its connection closed");
	return (0);
}

static int
consumer_manager_on_tick(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct consumer_manager	*cm = state;
	uint64_t		 now = consumer_manager_now(cm);

	consumer_manager_drop(cm, cm->consumers, consumer_manager_match_expired,
	    cm->expire_ms, now, "no heartbeat in time");
	consumer_manager_drop(cm, cm->producers, consumer_manager_match_expired,
	    cm->expire_ms, now, "no heartbeat in time");
	return (0);
}

static int
consumer_manager_on_clock(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct consumer_manager	*cm = state;

	cm->clock = ((Petrel__SetClock *)m)->now_ms;
	return (0);
}

/* Members live in memory only: they come back with their heartbeats. */
static int
consumer_manager_on_stop(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	return (actor_reply(env, msg_new(&petrel__stopped__descriptor)));
}

/* Counters for the broker's status: how many consumer groups are online. */
static int
consumer_manager_on_counters(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct consumer_manager	*cm = state;

	(void)m;
	actor_reply(env, brokerlib_counter(NULL, "consumer_groups",
	    strmap_count(cm->consumers)));
	return (0);
}
