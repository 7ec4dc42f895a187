/*
 * Route manager: the name server's registry of brokers and topics, kept
 * in memory and rebuilt by the brokers' periodic registrations.  Answers
 * the name server requests of proto/namesrv.proto that the listener routes
 * to it (register, unregister, route, cluster info, topic list, delete
 * topic), drops brokers on ScanBrokers from the heartbeat scanner when
 * they have been silent too long, and at once on ConnectionClosed from the
 * listener when the connection they registered on closes.
 *
 * As in RocketMQ, brokers are grouped by broker name (a master, id 0, and
 * its slaves) and each group belongs to a cluster.  Only a master's
 * registration carries the topics of its group, and only when its data
 * version changed since the last one; its topic list then replaces the
 * group's.  A group whose last member goes takes its queues with it.
 */
#include "config.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "actor.h"
#include "clock.h"
#include "log.h"
#include "msg.h"
#include "namesrv.h"
#include "strmap.h"
#include "xmalloc.h"

#include "proto/frame.pb-c.h"
#include "proto/namesrv.pb-c.h"
#include "proto/namesrvd.pb-c.h"
#include "proto/runtime.pb-c.h"
#include "proto/transport.pb-c.h"

#define RM_QUEUES_MAX	65535		/* read or write queues of a topic */
#define RM_PERM_MAX	7		/* READ | WRITE | INHERIT */
#define RM_TIMEOUT_MAX	(24ULL * 3600 * 1000)	/* a broker's own expiry */

struct rm_member {
	uint64_t	 id;
	char		*address;
	char		*ha_address;
	uint64_t	 seen_ms;	/* monotonic, of the last heartbeat */
	uint64_t	 update_ms;	/* wall clock of the last heartbeat */
	uint64_t	 expire_ms;	/* silent this long: dropped */
	uint64_t	 conn;		/* connection it registered on */
	uint64_t	 version_ts;	/* data version last registered */
	uint64_t	 version_counter;
	int		 has_version;
};

/* A broker name: its master and slaves. */
struct rm_broker {
	char		 *cluster;
	char		 *name;
	struct rm_member *members;	/* sorted by id */
	size_t		  nmembers;
	struct strmap	 *topics;	/* names of the topics it serves */
};

struct rm_queue {
	char		*broker_name;
	uint32_t	 read_queues;
	uint32_t	 write_queues;
	uint32_t	 perm;
	int		 order;
};

/* A topic: its queues on each broker name, sorted by broker name. */
struct rm_topic {
	struct rm_queue	*queues;
	size_t		 nqueues;
};

struct route_manager {
	struct actor	*self;
	struct strmap	*brokers;	/* broker name -> struct rm_broker */
	struct strmap	*topics;	/* topic -> struct rm_topic */
	uint64_t	 expire_ms;
	uint32_t	 max_topics;
};

static int	route_manager_init(struct actor *, void *);
static void	route_manager_fini(void *);
static int	route_manager_on_config(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	route_manager_on_register(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	route_manager_on_unregister(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	route_manager_on_get_route(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	route_manager_on_get_cluster_info(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	route_manager_on_get_topic_list(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	route_manager_on_delete_topic(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	route_manager_on_scan_brokers(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	route_manager_on_connection_closed(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	route_manager_on_stop(void *, ProtobufCMessage *,
		    const struct envelope *);

static const struct actor_handler route_manager_handlers[] = {
	{ &petrel__route_manager_config__descriptor, route_manager_on_config },
	{ &petrel__register_broker_request__descriptor,
	  route_manager_on_register },
	{ &petrel__unregister_broker_request__descriptor,
	  route_manager_on_unregister },
	{ &petrel__get_route_request__descriptor, route_manager_on_get_route },
	{ &petrel__get_cluster_info_request__descriptor,
	  route_manager_on_get_cluster_info },
	{ &petrel__get_topic_list_request__descriptor,
	  route_manager_on_get_topic_list },
	{ &petrel__delete_topic_request__descriptor,
	  route_manager_on_delete_topic },
	{ &petrel__scan_brokers__descriptor, route_manager_on_scan_brokers },
	{ &petrel__connection_closed__descriptor,
	  route_manager_on_connection_closed },
	{ &petrel__stop__descriptor, route_manager_on_stop },
	{ NULL, NULL }
};

const struct actor_type route_manager_actor = {
	.name = "route_manager",
	.size = sizeof(struct route_manager),
	.init = route_manager_init,
	.fini = route_manager_fini,
	.handlers = route_manager_handlers
};

/*
 * Check a cluster, broker or (if topic) topic name; NULL if good, else a
 * reason in buf.  A topic is what the broker takes (lib/name.h: no '|',
 * unlike RocketMQ's ^[%|a-zA-Z0-9_-]+$); cluster and broker names may
 * also hold '.' and '|'.
 */
static const char *
route_manager_check_name(const char *what, const char *s, int topic,
    char *buf, size_t len)
{
	size_t	i;

	if (*s == '\0') {
		snprintf(buf, len, "%s is empty", what);
		return (buf);
	}
	if (strlen(s) > NAME_LEN_MAX) {
		snprintf(buf, len, "%s is longer than %d bytes", what,
		    NAME_LEN_MAX);
		return (buf);
	}
	i = name_span(s, !topic);
	if (s[i] != '\0') {
		snprintf(buf, len, "%s \"%s\" has an invalid character at "
		    "byte %zu", what, s, i);
		return (buf);
	}
	return (NULL);
}

/* Check a host:port; NULL if good, else a reason in buf. */
static const char *
route_manager_check_address(const char *what, const char *s, int empty_ok,
    char *buf, size_t len)
{
	size_t	i;

	if (*s == '\0' && !empty_ok) {
		snprintf(buf, len, "%s is empty", what);
		return (buf);
	}
	if (strlen(s) > NAMESRV_ADDR_MAX) {
		snprintf(buf, len, "%s is longer than %d bytes", what,
		    NAMESRV_ADDR_MAX);
		return (buf);
	}
	for (i = 0; s[i] != '\0'; i++) {
		if (!isgraph((u_char)s[i])) {
			snprintf(buf, len, "%s has an invalid character at "
			    "byte %zu", what, i);
			return (buf);
		}
	}
	return (NULL);
}

/* Free a topic and its queues. */
static void
route_manager_free_topic(void *p)
{
	struct rm_topic	*t = p;
	size_t		 i;

	for (i = 0; i < t->nqueues; i++)
		free(t->queues[i].broker_name);
	free(t->queues);
	free(t);
}

/* Free what a member of a broker owns. */
static void
route_manager_free_member(struct rm_member *m)
{
	free(m->address);
	free(m->ha_address);
}

/* Free a broker name, its members and topic set. */
static void
route_manager_free_broker(void *p)
{
	struct rm_broker	*b = p;
	size_t			 i;

	for (i = 0; i < b->nmembers; i++)
		route_manager_free_member(&b->members[i]);
	free(b->members);
	strmap_free(b->topics, NULL);
	free(b->cluster);
	free(b->name);
	free(b);
}

/* Empty tables and the default limits. */
static int
route_manager_init(struct actor *a, void *state)
{
	struct route_manager	*rm = state;

	rm->self = a;
	rm->brokers = strmap_new();
	rm->topics = strmap_new();
	rm->expire_ms = NAMESRV_EXPIRE_MS;
	rm->max_topics = NAMESRV_MAX_TOPICS;
	return (0);
}

/* Free every broker and topic. */
static void
route_manager_fini(void *state)
{
	struct route_manager	*rm = state;

	strmap_free(rm->brokers, route_manager_free_broker);
	strmap_free(rm->topics, route_manager_free_topic);
}

/* Where broker_name's queue is in t (or would go), and whether it is. */
static size_t
route_manager_queue_at(const struct rm_topic *t, const char *broker_name,
    int *found)
{
	size_t	lo = 0, hi = t->nqueues, mid;
	int	c;

	*found = 0;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(t->queues[mid].broker_name, broker_name);
		if (c == 0) {
			*found = 1;
			return (mid);
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (lo);
}

/* Set broker_name's queues of topic tc, creating the topic if new. */
static void
route_manager_set_queue(struct route_manager *rm, const char *broker_name,
    const Petrel__TopicConfig *tc)
{
	struct rm_topic	*t;
	struct rm_queue	*q;
	size_t		 i;
	int		 found;

	if ((t = strmap_get(rm->topics, tc->name)) == NULL) {
		t = xcalloc(1, sizeof *t);
		strmap_put(rm->topics, tc->name, t);
	}
	i = route_manager_queue_at(t, broker_name, &found);
	if (!found) {
		t->queues = xreallocarray(t->queues, t->nqueues + 1,
		    sizeof *t->queues);
		memmove(&t->queues[i + 1], &t->queues[i],
		    (t->nqueues - i) * sizeof *t->queues);
		t->nqueues++;
		t->queues[i].broker_name = xstrdup(broker_name);
	}
	q = &t->queues[i];
	q->read_queues = tc->read_queues;
	q->write_queues = tc->write_queues;
	q->perm = tc->perm;
	q->order = tc->order;
}

/* Remove broker_name's queues from topic; the topic goes with its last. */
static void
route_manager_drop_queue(struct route_manager *rm, const char *topic,
    const char *broker_name)
{
	struct rm_topic	*t;
	size_t		 i;
	int		 found;

	if ((t = strmap_get(rm->topics, topic)) == NULL)
		return;
	i = route_manager_queue_at(t, broker_name, &found);
	if (!found)
		return;
	free(t->queues[i].broker_name);
	memmove(&t->queues[i], &t->queues[i + 1],
	    (t->nqueues - i - 1) * sizeof *t->queues);
	if (--t->nqueues == 0) {
		strmap_remove(rm->topics, topic);
		route_manager_free_topic(t);
	}
}

/* Remove member i of broker b; the broker goes with its last member. */
static void
route_manager_drop_member(struct route_manager *rm, struct rm_broker *b,
    size_t i, const char *why)
{
	const char	*topic;
	size_t		 iter = 0;

	log_info("broker %s/%s id %" PRIu64 " at %s dropped: %s", b->cluster,
	    b->name, b->members[i].id, b->members[i].address, why);
	route_manager_free_member(&b->members[i]);
	memmove(&b->members[i], &b->members[i + 1],
	    (b->nmembers - i - 1) * sizeof *b->members);
	if (--b->nmembers != 0)
		return;
	while (strmap_next(b->topics, &iter, &topic, NULL))
		route_manager_drop_queue(rm, topic, b->name);
	log_info("broker %s/%s gone with its %zu topics", b->cluster, b->name,
	    strmap_count(b->topics));
	strmap_remove(rm->brokers, b->name);
	route_manager_free_broker(b);
}

/*
 * Drop every member the predicate matches (silent too long, or on a closed
 * connection); the brokers are collected first, as dropping edits the map.
 */
static size_t
route_manager_drop_where(struct route_manager *rm,
    int (*match)(const struct rm_member *, uint64_t), uint64_t arg,
    const char *why)
{
	struct rm_broker	**list, *b;
	const char		 *name;
	size_t			  n = 0, iter = 0, i, j, dropped = 0;
	void			 *v;
	int			  last;

	if (strmap_count(rm->brokers) == 0)
		return (0);
	list = xcalloc(strmap_count(rm->brokers), sizeof *list);
	while (strmap_next(rm->brokers, &iter, &name, &v))
		list[n++] = v;
	for (i = 0; i < n; i++) {
		b = list[i];
		for (j = b->nmembers; j > 0; j--) {
			if (!match(&b->members[j - 1], arg))
				continue;
			dropped++;
			last = b->nmembers == 1;
			route_manager_drop_member(rm, b, j - 1, why);
			if (last)
				break;	/* b is freed */
		}
	}
	free(list);
	return (dropped);
}

/* Whether m has been silent past its expiry at now. */
static int
route_manager_match_expired(const struct rm_member *m, uint64_t now)
{
	return (m->seen_ms + m->expire_ms < now);
}

/* Whether m registered on connection conn. */
static int
route_manager_match_conn(const struct rm_member *m, uint64_t conn)
{
	return (m->conn == conn);
}

/* A BrokerData message for b, members sorted by id. */
static Petrel__BrokerData *
route_manager_broker_data(const struct rm_broker *b)
{
	Petrel__BrokerData	*bd;
	Petrel__BrokerAddress	*ba;
	size_t			 i;

	bd = msg_new(&petrel__broker_data__descriptor);
	msg_set_string(&bd->cluster, b->cluster);
	msg_set_string(&bd->broker_name, b->name);
	for (i = 0; i < b->nmembers; i++) {
		ba = msg_new(&petrel__broker_address__descriptor);
		ba->broker_id = b->members[i].id;
		msg_set_string(&ba->address, b->members[i].address);
		msg_set_string(&ba->ha_address, b->members[i].ha_address);
		ba->last_update_ms = b->members[i].update_ms;
		msg_array_add((void ***)&bd->addresses, &bd->n_addresses, ba);
	}
	return (bd);
}

/* RouteManagerConfig: the expiry and the topic limit. */
static int
route_manager_on_config(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct route_manager		*rm = state;
	Petrel__RouteManagerConfig	*c = (Petrel__RouteManagerConfig *)m;
	Petrel__Configured		*ack;

	ack = msg_new(&petrel__configured__descriptor);
	if (c->broker_expire_ms == 0 || c->broker_expire_ms > RM_TIMEOUT_MAX)
		msg_set_string(&ack->error, "broker expiry out of range");
	else {
		rm->expire_ms = c->broker_expire_ms;
		rm->max_topics = c->max_topics != 0 ? c->max_topics :
		    NAMESRV_MAX_TOPICS;
		log_debug("route manager: brokers expire after %" PRIu64
		    " ms", rm->expire_ms);
	}
	actor_reply(env, ack);
	return (0);
}

/*
 * Check a registration; NULL if good, else a reason in buf.  The set of
 * its topic names is returned in *set (to free with strmap_free()).
 */
static const char *
route_manager_check_register(struct route_manager *rm,
    const Petrel__RegisterBrokerRequest *r, struct strmap **set, char *buf,
    size_t len)
{
	const Petrel__TopicConfig	*tc;
	const char			*why;
	char				 what[64];
	size_t				 i;

	*set = NULL;
	if ((why = route_manager_check_name("cluster", r->cluster, 0, buf,
	    len)) != NULL ||
	    (why = route_manager_check_name("broker_name", r->broker_name, 0,
	    buf, len)) != NULL ||
	    (why = route_manager_check_address("address", r->address, 0, buf,
	    len)) != NULL ||
	    (why = route_manager_check_address("ha_address", r->ha_address, 1,
	    buf, len)) != NULL)
		return (why);
	if (r->heartbeat_timeout_ms > RM_TIMEOUT_MAX) {
		snprintf(buf, len, "heartbeat_timeout_ms %u is over %llu",
		    r->heartbeat_timeout_ms,
		    (unsigned long long)RM_TIMEOUT_MAX);
		return (buf);
	}
	if (r->n_topics > rm->max_topics) {
		snprintf(buf, len, "too many topics: %zu, at most %u",
		    r->n_topics, rm->max_topics);
		return (buf);
	}
	*set = strmap_new();
	for (i = 0; i < r->n_topics; i++) {
		tc = r->topics[i];
		snprintf(what, sizeof what, "topic %zu", i);
		if ((why = route_manager_check_name(what, tc->name, 1, buf,
		    len)) != NULL)
			break;
		if (tc->read_queues > RM_QUEUES_MAX ||
		    tc->write_queues > RM_QUEUES_MAX) {
			snprintf(buf, len, "topic %s: more than %d queues",
			    tc->name, RM_QUEUES_MAX);
			why = buf;
			break;
		}
		if (tc->perm > RM_PERM_MAX) {
			snprintf(buf, len, "topic %s: bad perm %u", tc->name,
			    tc->perm);
			why = buf;
			break;
		}
		if (strmap_put(*set, tc->name, (void *)tc) != NULL) {
			snprintf(buf, len, "topic %s is listed twice",
			    tc->name);
			why = buf;
			break;
		}
	}
	if (why != NULL) {
		strmap_free(*set, NULL);
		*set = NULL;
	}
	return (why);
}

/* Find member id of b, or add it in order. */
static struct rm_member *
route_manager_member(struct rm_broker *b, uint64_t id, int *added)
{
	size_t	i;

	*added = 0;
	for (i = 0; i < b->nmembers; i++) {
		if (b->members[i].id == id)
			return (&b->members[i]);
		if (b->members[i].id > id)
			break;
	}
	b->members = xreallocarray(b->members, b->nmembers + 1,
	    sizeof *b->members);
	memmove(&b->members[i + 1], &b->members[i],
	    (b->nmembers - i) * sizeof *b->members);
	b->nmembers++;
	memset(&b->members[i], 0, sizeof b->members[i]);
	b->members[i].id = id;
	*added = 1;
	return (&b->members[i]);
}

/* Replace the topics of broker b with those of a master's registration. */
static void
route_manager_set_topics(struct route_manager *rm, struct rm_broker *b,
    const Petrel__RegisterBrokerRequest *r, struct strmap *set)
{
	const char	*topic;
	size_t		 iter = 0, i;

	while (strmap_next(b->topics, &iter, &topic, NULL)) {
		if (strmap_get(set, topic) == NULL)
			route_manager_drop_queue(rm, topic, b->name);
	}
	for (i = 0; i < r->n_topics; i++)
		route_manager_set_queue(rm, b->name, r->topics[i]);
	strmap_free(b->topics, NULL);
	b->topics = set;
}

/* RegisterBrokerRequest: add or refresh a broker; a master brings topics. */
static int
route_manager_on_register(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct route_manager		*rm = state;
	Petrel__RegisterBrokerRequest	*r = (Petrel__RegisterBrokerRequest *)m;
	Petrel__RegisterBrokerResponse	*resp;
	struct strmap			*set;
	struct rm_broker		*b;
	struct rm_member		*mb;
	const char			*why;
	char				 buf[256];
	uint64_t			 ts = 0, counter = 0;
	int				 added, changed;

	if ((why = route_manager_check_register(rm, r, &set, buf,
	    sizeof buf)) != NULL) {
		log_debug("register refused: %s", why);
		return (actor_reply_error(env,
		    PETREL__STATUS__STATUS_BAD_REQUEST, "%s", why));
	}
	if ((b = strmap_get(rm->brokers, r->broker_name)) == NULL) {
		b = xcalloc(1, sizeof *b);
		b->name = xstrdup(r->broker_name);
		b->cluster = xstrdup(r->cluster);
		b->topics = strmap_new();
		strmap_put(rm->brokers, b->name, b);
	} else if (strcmp(b->cluster, r->cluster) != 0) {
		log_warnx("broker %s moves from cluster %s to %s", b->name,
		    b->cluster, r->cluster);
		free(b->cluster);
		b->cluster = xstrdup(r->cluster);
	}

	mb = route_manager_member(b, r->broker_id, &added);
	if (!added && strcmp(mb->address, r->address) != 0) {
		log_info("broker %s/%s id %" PRIu64 " moves from %s to %s",
		    b->cluster, b->name, mb->id, mb->address, r->address);
	}
	if (added || strcmp(mb->address, r->address) != 0) {
		free(mb->address);
		mb->address = xstrdup(r->address);
	}
	free(mb->ha_address);
	mb->ha_address = xstrdup(r->ha_address);
	mb->seen_ms = clock_mono_ms();
	mb->update_ms = clock_wall_ms();
	mb->expire_ms = r->heartbeat_timeout_ms != 0 ?
	    r->heartbeat_timeout_ms : rm->expire_ms;
	mb->conn = env->conn;

	if (r->data_version != NULL) {
		ts = r->data_version->timestamp_ms;
		counter = r->data_version->counter;
	}
	changed = !mb->has_version || mb->version_ts != ts ||
	    mb->version_counter != counter || r->data_version == NULL;
	mb->has_version = 1;
	mb->version_ts = ts;
	mb->version_counter = counter;
	if (r->broker_id == 0 && changed) {
		route_manager_set_topics(rm, b, r, set);
		set = NULL;
	}
	strmap_free(set, NULL);
	if (added)
		log_info("broker %s/%s id %" PRIu64 " at %s registered with "
		    "%zu topics", b->cluster, b->name, mb->id, mb->address,
		    r->n_topics);
	else
		log_debug("broker %s/%s id %" PRIu64 " heartbeat%s",
		    b->cluster, b->name, mb->id, changed ? ", topics read" :
		    "");

	resp = msg_new(&petrel__register_broker_response__descriptor);
	if (b->nmembers != 0 && b->members[0].id == 0) {
		msg_set_string(&resp->master_address, b->members[0].address);
		msg_set_string(&resp->master_ha_address,
		    b->members[0].ha_address);
	}
	return (actor_reply(env, resp));
}

/* UnregisterBrokerRequest: drop one broker at once. */
static int
route_manager_on_unregister(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct route_manager		*rm = state;
	Petrel__UnregisterBrokerRequest	*r =
	    (Petrel__UnregisterBrokerRequest *)m;
	struct rm_broker		*b;
	const char			*why;
	char				 buf[256];
	size_t				 i;

	if ((why = route_manager_check_name("cluster", r->cluster, 0, buf,
	    sizeof buf)) != NULL ||
	    (why = route_manager_check_name("broker_name", r->broker_name, 0,
	    buf, sizeof buf)) != NULL ||
	    (why = route_manager_check_address("address", r->address, 1, buf,
	    sizeof buf)) != NULL)
		return (actor_reply_error(env,
		    PETREL__STATUS__STATUS_BAD_REQUEST, "%s", why));
	b = strmap_get(rm->brokers, r->broker_name);
	if (b == NULL || strcmp(b->cluster, r->cluster) != 0)
		return (actor_reply_error(env, PETREL__STATUS__STATUS_NOT_FOUND,
		    "no broker %s in cluster %s", r->broker_name, r->cluster));
	for (i = 0; i < b->nmembers; i++) {
		if (b->members[i].id == r->broker_id)
			break;
	}
	if (i == b->nmembers || (*r->address != '\0' &&
	    strcmp(r->address, b->members[i].address) != 0))
		return (actor_reply_error(env, PETREL__STATUS__STATUS_NOT_FOUND,
		    "broker %s has no id %" PRIu64 "%s%s", r->broker_name,
		    r->broker_id, *r->address != '\0' ? " at " : "",
		    r->address));
	route_manager_drop_member(rm, b, i, "unregistered");
	return (actor_reply(env,
	    msg_new(&petrel__unregister_broker_response__descriptor)));
}

/* GetRouteRequest: a topic's queues and its brokers' addresses. */
static int
route_manager_on_get_route(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct route_manager		*rm = state;
	Petrel__GetRouteRequest		*r = (Petrel__GetRouteRequest *)m;
	Petrel__GetRouteResponse	*resp;
	Petrel__QueueData		*qd;
	struct rm_topic			*t;
	struct rm_broker		*b;
	const struct rm_queue		*q;
	const char			*why;
	char				 buf[256];
	size_t				 i;

	if ((why = route_manager_check_name("topic", r->topic, 1, buf,
	    sizeof buf)) != NULL)
		return (actor_reply_error(env,
		    PETREL__STATUS__STATUS_BAD_REQUEST, "%s", why));
	if ((t = strmap_get(rm->topics, r->topic)) == NULL)
		return (actor_reply_error(env, PETREL__STATUS__STATUS_NOT_FOUND,
		    "no route for topic %s", r->topic));
	resp = msg_new(&petrel__get_route_response__descriptor);
	for (i = 0; i < t->nqueues; i++) {
		q = &t->queues[i];
		qd = msg_new(&petrel__queue_data__descriptor);
		msg_set_string(&qd->broker_name, q->broker_name);
		qd->read_queues = q->read_queues;
		qd->write_queues = q->write_queues;
		qd->perm = q->perm;
		qd->order = q->order;
		msg_array_add((void ***)&resp->queues, &resp->n_queues, qd);
		if ((b = strmap_get(rm->brokers, q->broker_name)) != NULL)
			msg_array_add((void ***)&resp->brokers,
			    &resp->n_brokers, route_manager_broker_data(b));
	}
	return (actor_reply(env, resp));
}

/* GetClusterInfoRequest: every cluster and broker, sorted. */
static int
route_manager_on_get_cluster_info(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct route_manager		*rm = state;
	Petrel__GetClusterInfoResponse	*resp;
	Petrel__ClusterData		*cd;
	struct strmap			*clusters;
	struct rm_broker		*b;
	const char			**names, **cnames;
	size_t				 n, nc, i;

	resp = msg_new(&petrel__get_cluster_info_response__descriptor);
	clusters = strmap_new();
	names = strmap_keys(rm->brokers, &n);
	for (i = 0; i < n; i++) {
		b = strmap_get(rm->brokers, names[i]);
		msg_array_add((void ***)&resp->brokers, &resp->n_brokers,
		    route_manager_broker_data(b));
		if ((cd = strmap_get(clusters, b->cluster)) == NULL) {
			cd = msg_new(&petrel__cluster_data__descriptor);
			msg_set_string(&cd->name, b->cluster);
			strmap_put(clusters, b->cluster, cd);
		}
		msg_array_add((void ***)&cd->broker_names, &cd->n_broker_names,
		    xstrdup(b->name));
	}
	cnames = strmap_keys(clusters, &nc);
	for (i = 0; i < nc; i++)
		msg_array_add((void ***)&resp->clusters, &resp->n_clusters,
		    strmap_get(clusters, cnames[i]));
	free(cnames);
	free(names);
	strmap_free(clusters, NULL);
	return (actor_reply(env, resp));
}

/* Whether topic t has queues on a broker of cluster. */
static int
route_manager_in_cluster(struct route_manager *rm, const struct rm_topic *t,
    const char *cluster)
{
	struct rm_broker	*b;
	size_t			 i;

	for (i = 0; i < t->nqueues; i++) {
		b = strmap_get(rm->brokers, t->queues[i].broker_name);
		if (b != NULL && strcmp(b->cluster, cluster) == 0)
			return (1);
	}
	return (0);
}

/* GetTopicListRequest: every topic, or those of one cluster. */
static int
route_manager_on_get_topic_list(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct route_manager		*rm = state;
	Petrel__GetTopicListRequest	*r = (Petrel__GetTopicListRequest *)m;
	Petrel__GetTopicListResponse	*resp;
	struct rm_broker		*b;
	const char			**names, *why, *name;
	char				 buf[256];
	size_t				 n, i, iter = 0;
	int				 known = 0;
	void				*v;

	if (*r->cluster != '\0') {
		if ((why = route_manager_check_name("cluster", r->cluster, 0,
		    buf, sizeof buf)) != NULL)
			return (actor_reply_error(env,
			    PETREL__STATUS__STATUS_BAD_REQUEST, "%s", why));
		while (!known && strmap_next(rm->brokers, &iter, &name, &v)) {
			b = v;
			known = strcmp(b->cluster, r->cluster) == 0;
		}
		if (!known)
			return (actor_reply_error(env,
			    PETREL__STATUS__STATUS_NOT_FOUND, "no cluster %s",
			    r->cluster));
	}
	resp = msg_new(&petrel__get_topic_list_response__descriptor);
	names = strmap_keys(rm->topics, &n);
	resp->topics = xcalloc(n + 1, sizeof *resp->topics);
	for (i = 0; i < n; i++) {
		if (*r->cluster != '\0' && !route_manager_in_cluster(rm,
		    strmap_get(rm->topics, names[i]), r->cluster))
			continue;
		resp->topics[resp->n_topics++] = xstrdup(names[i]);
	}
	free(names);
	return (actor_reply(env, resp));
}

/* DeleteTopicRequest: forget a topic on every broker. */
static int
route_manager_on_delete_topic(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct route_manager		*rm = state;
	Petrel__DeleteTopicRequest	*r = (Petrel__DeleteTopicRequest *)m;
	struct rm_topic			*t;
	struct rm_broker		*b;
	const char			*why;
	char				 buf[256];
	size_t				 i;

	if ((why = route_manager_check_name("topic", r->topic, 1, buf,
	    sizeof buf)) != NULL)
		return (actor_reply_error(env,
		    PETREL__STATUS__STATUS_BAD_REQUEST, "%s", why));
	if ((t = strmap_remove(rm->topics, r->topic)) == NULL)
		return (actor_reply_error(env, PETREL__STATUS__STATUS_NOT_FOUND,
		    "no topic %s", r->topic));
	for (i = 0; i < t->nqueues; i++) {
		b = strmap_get(rm->brokers, t->queues[i].broker_name);
		if (b != NULL)
			strmap_remove(b->topics, r->topic);
	}
	route_manager_free_topic(t);
	log_info("topic %s deleted", r->topic);
	return (actor_reply(env,
	    msg_new(&petrel__delete_topic_response__descriptor)));
}

/* ScanBrokers from the scanner: drop the silent brokers. */
static int
route_manager_on_scan_brokers(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct route_manager	*rm = state;
	Petrel__ScanBrokers	*s = (Petrel__ScanBrokers *)m;
	uint64_t		 now;
	size_t			 n;

	now = s->now_ms != 0 ? s->now_ms : clock_mono_ms();
	n = route_manager_drop_where(rm, route_manager_match_expired, now,
	    "no heartbeat in time");
	if (n != 0)
		log_info("scan: %zu brokers expired", n);
	return (0);
}

/* ConnectionClosed from the listener: drop its brokers. */
static int
route_manager_on_connection_closed(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct route_manager		*rm = state;
	Petrel__ConnectionClosed	*c = (Petrel__ConnectionClosed *)m;

	if (c->conn == 0)
		return (0);
	route_manager_drop_where(rm, route_manager_match_conn, c->conn,
	    "its connection closed");
	return (0);
}

/* Stop: nothing is kept on disk, so just answer. */
static int
route_manager_on_stop(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	return (actor_reply(env, msg_new(&petrel__stopped__descriptor)));
}
