/*
 * Tests of actors/route_manager.c through detached actors: registration of
 * masters and slaves, data versions, routes, cluster info, topic lists,
 * deletion, expiry, closed connections, and bad input for every request.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actor.h"
#include "log.h"
#include "msg.h"
#include "namesrv.h"
#include "namesrv_testutil.h"
#include "testutil.h"
#include "xmalloc.h"

#include "proto/namesrv.pb-c.h"
#include "proto/namesrvd.pb-c.h"
#include "proto/transport.pb-c.h"

static struct actor	*rm, *peer;

static void
setup(void)
{
	log_init("check", LOG_LEVEL_WARN);
	rm = actor_spawn(NULL, &route_manager_actor, "route_manager");
	peer = actor_spawn(NULL, &tpeer_actor, "peer");
	ck_assert_ptr_nonnull(rm);
	ck_assert_ptr_nonnull(peer);
}

static void
teardown(void)
{
	actor_free(rm);
	actor_free(peer);
}

/*
 * A registration.  topics is "name:read:write:perm,..." or NULL; version
 * 0 means no data version.
 */
static Petrel__RegisterBrokerRequest *
treq(const char *cluster, const char *name, uint64_t id, const char *addr,
    const char *topics, uint64_t version)
{
	Petrel__RegisterBrokerRequest	*r;
	Petrel__TopicConfig		*tc;
	char				*copy, *item, *p, *save;

	r = msg_new(&petrel__register_broker_request__descriptor);
	msg_set_string(&r->cluster, cluster);
	msg_set_string(&r->broker_name, name);
	r->broker_id = id;
	msg_set_string(&r->address, addr);
	msg_set_string(&r->ha_address, "");
	if (version != 0) {
		r->data_version = msg_new(&petrel__data_version__descriptor);
		r->data_version->timestamp_ms = 1000;
		r->data_version->counter = version;
	}
	if (topics == NULL)
		return (r);
	copy = xstrdup(topics);
	for (item = strtok_r(copy, ",", &save); item != NULL;
	    item = strtok_r(NULL, ",", &save)) {
		tc = msg_new(&petrel__topic_config__descriptor);
		p = strchr(item, ':');
		if (p != NULL)
			*p++ = '\0';
		msg_set_string(&tc->name, item);
		tc->read_queues = p != NULL ? strtoul(p, &p, 10) : 8;
		tc->write_queues = p != NULL && *p == ':' ?
		    strtoul(p + 1, &p, 10) : 8;
		tc->perm = p != NULL && *p == ':' ? strtoul(p + 1, &p, 10) : 6;
		msg_array_add((void ***)&r->topics, &r->n_topics, tc);
	}
	free(copy);
	return (r);
}

/* Register and expect success; returns the response. */
static Petrel__RegisterBrokerResponse *
treg(Petrel__RegisterBrokerRequest *r, uint64_t conn)
{
	return (tis(tcall(rm, peer, r, conn),
	    &petrel__register_broker_response__descriptor));
}

static void *
troute(const char *topic)
{
	Petrel__GetRouteRequest	*r;

	r = msg_new(&petrel__get_route_request__descriptor);
	msg_set_string(&r->topic, topic);
	return (tcall(rm, peer, r, 0));
}

/* The route of topic as "broker:r/w/perm ... | broker=id@addr,... ". */
static char *
troute_str(const char *topic)
{
	Petrel__GetRouteResponse	*resp;
	char				 buf[1024];
	size_t				 i, j;
	void				*m;

	m = troute(topic);
	resp = tis(m, &petrel__get_route_response__descriptor);
	buf[0] = '\0';
	for (i = 0; i < resp->n_queues; i++)
		snprintf(buf + strlen(buf), sizeof buf - strlen(buf),
		    "%s:%u/%u/%u ", resp->queues[i]->broker_name,
		    resp->queues[i]->read_queues, resp->queues[i]->write_queues,
		    resp->queues[i]->perm);
	snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "|");
	for (i = 0; i < resp->n_brokers; i++) {
		snprintf(buf + strlen(buf), sizeof buf - strlen(buf), " %s/%s=",
		    resp->brokers[i]->cluster, resp->brokers[i]->broker_name);
		for (j = 0; j < resp->brokers[i]->n_addresses; j++) {
			ck_assert_uint_gt(
			    resp->brokers[i]->addresses[j]->last_update_ms, 0);
			snprintf(buf + strlen(buf), sizeof buf - strlen(buf),
			    "%s%llu@%s", j == 0 ? "" : ",",
			    (unsigned long long)
			    resp->brokers[i]->addresses[j]->broker_id,
			    resp->brokers[i]->addresses[j]->address);
		}
	}
	msg_free(m);
	return (xstrdup(buf));
}

/* Expect topic's route to read want. */
static void
troute_is(const char *topic, const char *want)
{
	char	*got = troute_str(topic);

	ck_assert_str_eq(got, want);
	free(got);
}

/* Expect an error with status and, if want is not NULL, this text. */
static void
tcall_error(void *req, uint32_t status, const char *want)
{
	void	*m = tcall(rm, peer, req, 0);

	if (want != NULL)
		ck_assert_str_eq(terror(m, status), want);
	else
		terror(m, status);
	msg_free(m);
}

static void *
ttlreq(const char *cluster)
{
	Petrel__GetTopicListRequest	*r;

	r = msg_new(&petrel__get_topic_list_request__descriptor);
	msg_set_string(&r->cluster, cluster);
	return (r);
}

/* The topic list (of a cluster, or all), joined by spaces; caller frees. */
static char *
ttopics(const char *cluster)
{
	Petrel__GetTopicListResponse	*resp;
	char				*buf;
	size_t				 i, len = 1, off = 0;

	resp = tis(tcall(rm, peer, ttlreq(cluster), 0),
	    &petrel__get_topic_list_response__descriptor);
	for (i = 0; i < resp->n_topics; i++)
		len += strlen(resp->topics[i]) + 1;
	buf = xmalloc(len);
	buf[0] = '\0';
	for (i = 0; i < resp->n_topics; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s",
		    i == 0 ? "" : " ", resp->topics[i]);
	msg_free(resp);
	return (buf);
}

static void
ttopics_is(const char *cluster, const char *want)
{
	char	*got = ttopics(cluster);

	ck_assert_str_eq(got, want);
	free(got);
}

START_TEST(test_config)
{
	Petrel__RouteManagerConfig	*c;
	Petrel__Configured		*ack;

	c = msg_new(&petrel__route_manager_config__descriptor);
	c->broker_expire_ms = 5000;
	ack = tis(tcall(rm, peer, c, 0), &petrel__configured__descriptor);
	ck_assert_str_eq(ack->error, "");
	msg_free(ack);

	c = msg_new(&petrel__route_manager_config__descriptor);
	ack = tis(tcall(rm, peer, c, 0), &petrel__configured__descriptor);
	ck_assert_str_eq(ack->error, "broker expiry out of range");
	msg_free(ack);
}
END_TEST

START_TEST(test_two_brokers)
{
	Petrel__RegisterBrokerResponse	*resp;

	resp = treg(treq("c1", "broker-b", 0, "10.0.0.2:10911", "T:4:4:6,U",
	    1), 1);
	ck_assert_str_eq(resp->master_address, "10.0.0.2:10911");
	msg_free(resp);
	msg_free(treg(treq("c1", "broker-a", 0, "10.0.0.1:10911",
	    "T:8:8:6", 1), 2));
	/* A slave: its topics are ignored, it learns its master. */
	resp = treg(treq("c1", "broker-a", 1, "10.0.0.3:10911", "V", 1), 3);
	ck_assert_str_eq(resp->master_address, "10.0.0.1:10911");
	msg_free(resp);

	troute_is("T", "broker-a:8/8/6 broker-b:4/4/6 | "
	    "c1/broker-a=0@10.0.0.1:10911,1@10.0.0.3:10911 "
	    "c1/broker-b=0@10.0.0.2:10911");
	troute_is("U", "broker-b:8/8/6 | c1/broker-b=0@10.0.0.2:10911");
	tcall_error(msg_new(&petrel__get_route_request__descriptor),
	    PETREL__STATUS__STATUS_BAD_REQUEST, "topic is empty");
	ttopics_is("", "T U");
}
END_TEST

START_TEST(test_slave_first)
{
	Petrel__RegisterBrokerResponse	*resp;

	/* A slave before its master: no master address, no topics. */
	resp = treg(treq("c1", "broker-a", 2, "h:2", "T", 1), 0);
	ck_assert_str_eq(resp->master_address, "");
	msg_free(resp);
	msg_free(tis(troute("T"), &petrel__error__descriptor));
	ttopics_is("", "");
	msg_free(treg(treq("c1", "broker-a", 0, "h:0", "T", 1), 0));
	troute_is("T", "broker-a:8/8/6 | c1/broker-a=0@h:0,2@h:2");
}
END_TEST

START_TEST(test_data_version)
{
	msg_free(treg(treq("c1", "a", 0, "h:1", "A", 1), 0));
	/* Same version: the topic list is not read again. */
	msg_free(treg(treq("c1", "a", 0, "h:1", "A,B", 1), 0));
	ttopics_is("", "A");
	/* A new version replaces the list: B comes, A goes. */
	msg_free(treg(treq("c1", "a", 0, "h:1", "B:2:2:4", 2), 0));
	ttopics_is("", "B");
	troute_is("B", "a:2/2/4 | c1/a=0@h:1");
	msg_free(troute("A"));
	/* No version at all: always read. */
	msg_free(treg(treq("c1", "a", 0, "h:1", "C", 0), 0));
	msg_free(treg(treq("c1", "a", 0, "h:1", "C,D", 0), 0));
	ttopics_is("", "C D");
}
END_TEST

START_TEST(test_address_moves)
{
	msg_free(treg(treq("c1", "a", 0, "h:1", "T", 1), 0));
	msg_free(treg(treq("c1", "a", 0, "h:9", "T", 1), 0));
	troute_is("T", "a:8/8/6 | c1/a=0@h:9");
	/* A broker name moving to another cluster. */
	msg_free(treg(treq("c2", "a", 0, "h:9", "T", 1), 0));
	troute_is("T", "a:8/8/6 | c2/a=0@h:9");
	ttopics_is("c2", "T");
}
END_TEST

START_TEST(test_unknown_topic)
{
	void	*m;

	m = troute("nothere");
	ck_assert_str_eq(terror(m, PETREL__STATUS__STATUS_NOT_FOUND),
	    "no route for topic nothere");
	msg_free(m);
}
END_TEST

static void *
tunreq(const char *cluster, const char *name, uint64_t id, const char *addr)
{
	Petrel__UnregisterBrokerRequest	*r;

	r = msg_new(&petrel__unregister_broker_request__descriptor);
	msg_set_string(&r->cluster, cluster);
	msg_set_string(&r->broker_name, name);
	r->broker_id = id;
	msg_set_string(&r->address, addr);
	return (r);
}

START_TEST(test_unregister)
{
	msg_free(treg(treq("c1", "a", 0, "h:0", "T", 1), 0));
	msg_free(treg(treq("c1", "a", 1, "h:1", NULL, 1), 0));
	msg_free(treg(treq("c1", "b", 0, "h:2", "T,U", 1), 0));

	tcall_error(tunreq("c1", "a", 7, ""), PETREL__STATUS__STATUS_NOT_FOUND,
	    "broker a has no id 7");
	tcall_error(tunreq("c1", "a", 1, "h:5"),
	    PETREL__STATUS__STATUS_NOT_FOUND, "broker a has no id 1 at h:5");
	tcall_error(tunreq("c2", "a", 1, ""), PETREL__STATUS__STATUS_NOT_FOUND,
	    "no broker a in cluster c2");
	tcall_error(tunreq("c1", "zz", 0, ""), PETREL__STATUS__STATUS_NOT_FOUND,
	    NULL);
	tcall_error(tunreq("", "a", 0, ""), PETREL__STATUS__STATUS_BAD_REQUEST,
	    "cluster is empty");
	tcall_error(tunreq("c1", "", 0, ""), PETREL__STATUS__STATUS_BAD_REQUEST,
	    "broker_name is empty");

	/* The master goes: the slave keeps the queues. */
	msg_free(tis(tcall(rm, peer, tunreq("c1", "a", 0, "h:0"), 0),
	    &petrel__unregister_broker_response__descriptor));
	troute_is("T", "a:8/8/6 b:8/8/6 | c1/a=1@h:1 c1/b=0@h:2");
	/* The last of a goes, and its queues with it. */
	msg_free(tis(tcall(rm, peer, tunreq("c1", "a", 1, ""), 0),
	    &petrel__unregister_broker_response__descriptor));
	troute_is("T", "b:8/8/6 | c1/b=0@h:2");
	msg_free(tis(tcall(rm, peer, tunreq("c1", "b", 0, ""), 0),
	    &petrel__unregister_broker_response__descriptor));
	ttopics_is("", "");
	tcall_error(tunreq("c1", "b", 0, ""), PETREL__STATUS__STATUS_NOT_FOUND,
	    NULL);
}
END_TEST

START_TEST(test_cluster_info)
{
	Petrel__GetClusterInfoResponse	*ci;

	msg_free(treg(treq("zeta", "z1", 0, "h:1", "T", 1), 0));
	msg_free(treg(treq("alpha", "m", 0, "h:2", "U", 1), 0));
	msg_free(treg(treq("alpha", "b", 1, "h:4", NULL, 1), 0));
	msg_free(treg(treq("alpha", "b", 0, "h:3", "U", 1), 0));

	ci = tis(tcall(rm, peer,
	    msg_new(&petrel__get_cluster_info_request__descriptor), 0),
	    &petrel__get_cluster_info_response__descriptor);
	ck_assert_uint_eq(ci->n_clusters, 2);
	ck_assert_str_eq(ci->clusters[0]->name, "alpha");
	ck_assert_uint_eq(ci->clusters[0]->n_broker_names, 2);
	ck_assert_str_eq(ci->clusters[0]->broker_names[0], "b");
	ck_assert_str_eq(ci->clusters[0]->broker_names[1], "m");
	ck_assert_str_eq(ci->clusters[1]->name, "zeta");
	ck_assert_uint_eq(ci->clusters[1]->n_broker_names, 1);
	ck_assert_uint_eq(ci->n_brokers, 3);
	ck_assert_str_eq(ci->brokers[0]->broker_name, "b");
	ck_assert_uint_eq(ci->brokers[0]->n_addresses, 2);
	ck_assert_uint_eq(ci->brokers[0]->addresses[0]->broker_id, 0);
	ck_assert_str_eq(ci->brokers[0]->addresses[0]->address, "h:3");
	ck_assert_uint_eq(ci->brokers[0]->addresses[1]->broker_id, 1);
	ck_assert_str_eq(ci->brokers[1]->broker_name, "m");
	ck_assert_str_eq(ci->brokers[2]->broker_name, "z1");
	ck_assert_str_eq(ci->brokers[2]->cluster, "zeta");
	msg_free(ci);

	ttopics_is("", "T U");
	ttopics_is("alpha", "U");
	ttopics_is("zeta", "T");
	tcall_error(ttlreq("nope"), PETREL__STATUS__STATUS_NOT_FOUND,
	    "no cluster nope");
}
END_TEST

START_TEST(test_empty_cluster_info)
{
	Petrel__GetClusterInfoResponse	*ci;

	ci = tis(tcall(rm, peer,
	    msg_new(&petrel__get_cluster_info_request__descriptor), 0),
	    &petrel__get_cluster_info_response__descriptor);
	ck_assert_uint_eq(ci->n_clusters, 0);
	ck_assert_uint_eq(ci->n_brokers, 0);
	msg_free(ci);
	ttopics_is("", "");
}
END_TEST

static void *
tdelreq(const char *topic)
{
	Petrel__DeleteTopicRequest	*r;

	r = msg_new(&petrel__delete_topic_request__descriptor);
	msg_set_string(&r->topic, topic);
	return (r);
}

START_TEST(test_delete_topic)
{
	msg_free(treg(treq("c1", "a", 0, "h:0", "T,U", 1), 0));
	msg_free(treg(treq("c1", "b", 0, "h:1", "T", 1), 0));
	msg_free(tis(tcall(rm, peer, tdelreq("T"), 0),
	    &petrel__delete_topic_response__descriptor));
	ttopics_is("", "U");
	tcall_error(tdelreq("T"), PETREL__STATUS__STATUS_NOT_FOUND,
	    "no topic T");
	tcall_error(tdelreq(""), PETREL__STATUS__STATUS_BAD_REQUEST,
	    "topic is empty");
	tcall_error(tdelreq("a b"), PETREL__STATUS__STATUS_BAD_REQUEST,
	    "topic \"a b\" has an invalid character at byte 1");
	tcall_error(tdelreq("a|b"), PETREL__STATUS__STATUS_BAD_REQUEST,
	    "topic \"a|b\" has an invalid character at byte 1");
	/* Same data version: the deleted topic stays deleted. */
	msg_free(treg(treq("c1", "a", 0, "h:0", "T,U", 1), 0));
	ttopics_is("", "U");
	/* Broker a going still cleans up after the deletion. */
	msg_free(tcall(rm, peer, tunreq("c1", "a", 0, ""), 0));
	ttopics_is("", "");
}
END_TEST

static void
tscan(uint64_t now)
{
	Petrel__ScanBrokers	*s;

	s = msg_new(&petrel__scan_brokers__descriptor);
	s->now_ms = now;
	ck_assert_int_eq(actor_send(rm, s), 0);
	actor_run_pending(rm);
}

START_TEST(test_scan)
{
	Petrel__RouteManagerConfig	*c;
	Petrel__RegisterBrokerRequest	*r;
	uint64_t			 t0;

	c = msg_new(&petrel__route_manager_config__descriptor);
	c->broker_expire_ms = 5000;
	msg_free(tcall(rm, peer, c, 0));

	t0 = test_now_ms();
	msg_free(treg(treq("c1", "a", 0, "h:0", "T", 1), 0));
	msg_free(treg(treq("c1", "a", 1, "h:1", NULL, 1), 0));
	r = treq("c1", "b", 0, "h:2", "T", 1);
	r->heartbeat_timeout_ms = 60000;	/* its own, longer expiry */
	msg_free(treg(r, 0));

	tscan(t0);
	tscan(0);			/* "now" */
	troute_is("T", "a:8/8/6 b:8/8/6 | c1/a=0@h:0,1@h:1 c1/b=0@h:2");
	/* Within a's expiry: nothing goes. */
	tscan(t0 + 4000);
	troute_is("T", "a:8/8/6 b:8/8/6 | c1/a=0@h:0,1@h:1 c1/b=0@h:2");
	tscan(t0 + 6000 + (test_now_ms() - t0));
	troute_is("T", "b:8/8/6 | c1/b=0@h:2");
	tscan(t0 + 61000 + (test_now_ms() - t0));
	msg_free(troute("T"));
	ttopics_is("", "");
}
END_TEST

START_TEST(test_connection_closed)
{
	Petrel__ConnectionClosed	*cc;

	msg_free(treg(treq("c1", "a", 0, "h:0", "T", 1), 11));
	msg_free(treg(treq("c1", "a", 1, "h:1", NULL, 1), 12));
	msg_free(treg(treq("c1", "b", 0, "h:2", "T", 1), 13));
	msg_free(treg(treq("c1", "c", 0, "h:3", "T", 1), 0));

	cc = msg_new(&petrel__connection_closed__descriptor);
	cc->conn = 99;
	actor_send(rm, cc);
	cc = msg_new(&petrel__connection_closed__descriptor);
	cc->conn = 0;			/* local: never a broker's */
	actor_send(rm, cc);
	cc = msg_new(&petrel__connection_closed__descriptor);
	cc->conn = 11;
	actor_send(rm, cc);
	actor_run_pending(rm);
	troute_is("T", "a:8/8/6 b:8/8/6 c:8/8/6 | c1/a=1@h:1 c1/b=0@h:2 "
	    "c1/c=0@h:3");

	/* Re-registering on a new connection moves the entry to it. */
	msg_free(treg(treq("c1", "b", 0, "h:2", "T", 1), 14));
	cc = msg_new(&petrel__connection_closed__descriptor);
	cc->conn = 13;
	actor_send(rm, cc);
	cc = msg_new(&petrel__connection_closed__descriptor);
	cc->conn = 12;
	actor_send(rm, cc);
	actor_run_pending(rm);
	troute_is("T", "b:8/8/6 c:8/8/6 | c1/b=0@h:2 c1/c=0@h:3");
}
END_TEST

START_TEST(test_register_bad)
{
	Petrel__RouteManagerConfig	*c;
	Petrel__RegisterBrokerRequest	*r;
	char				 name[200], want[256];

	memset(name, 'n', 128);
	name[128] = '\0';
	tcall_error(treq("", "a", 0, "h:0", NULL, 1),
	    PETREL__STATUS__STATUS_BAD_REQUEST, "cluster is empty");
	tcall_error(treq("c", "", 0, "h:0", NULL, 1),
	    PETREL__STATUS__STATUS_BAD_REQUEST, "broker_name is empty");
	tcall_error(treq(name, "a", 0, "h:0", NULL, 1),
	    PETREL__STATUS__STATUS_BAD_REQUEST,
	    "cluster is longer than 127 bytes");
	tcall_error(treq("c", name, 0, "h:0", NULL, 1),
	    PETREL__STATUS__STATUS_BAD_REQUEST,
	    "broker_name is longer than 127 bytes");
	tcall_error(treq("c", "a", 0, "", NULL, 1),
	    PETREL__STATUS__STATUS_BAD_REQUEST, "address is empty");
	tcall_error(treq("c", "a", 0, "h 0", NULL, 1),
	    PETREL__STATUS__STATUS_BAD_REQUEST,
	    "address has an invalid character at byte 1");
	tcall_error(treq("c", "a b", 0, "h:0", NULL, 1),
	    PETREL__STATUS__STATUS_BAD_REQUEST, NULL);
	tcall_error(treq("c", "a", 0, "h:0", name, 1),
	    PETREL__STATUS__STATUS_BAD_REQUEST,
	    "topic 0 is longer than 127 bytes");
	tcall_error(treq("c", "a", 0, "h:0", "A,B,A", 1),
	    PETREL__STATUS__STATUS_BAD_REQUEST, "topic A is listed twice");
	tcall_error(treq("c", "a", 0, "h:0", "A.b", 1),
	    PETREL__STATUS__STATUS_BAD_REQUEST,
	    "topic 0 \"A.b\" has an invalid character at byte 1");
	/* The broker refuses '|' in a topic (lib/name.h): so does this. */
	tcall_error(treq("c", "a", 0, "h:0", "A,b|c", 1),
	    PETREL__STATUS__STATUS_BAD_REQUEST,
	    "topic 1 \"b|c\" has an invalid character at byte 1");
	tcall_error(treq("c", "a", 0, "h:0", "\xc3\xa9", 1),
	    PETREL__STATUS__STATUS_BAD_REQUEST,
	    "topic 0 \"\xc3\xa9\" has an invalid character at byte 0");
	tcall_error(treq("c", "a", 0, "h:0", "A:70000:1:6", 1),
	    PETREL__STATUS__STATUS_BAD_REQUEST,
	    "topic A: more than 65535 queues");
	tcall_error(treq("c", "a", 0, "h:0", "A:1:1:8", 1),
	    PETREL__STATUS__STATUS_BAD_REQUEST, "topic A: bad perm 8");
	r = treq("c", "a", 0, "h:0", NULL, 1);
	r->heartbeat_timeout_ms = 4000000000U;
	tcall_error(r, PETREL__STATUS__STATUS_BAD_REQUEST, NULL);

	/*
	 * The names at their limit are fine; %RETRY% topics too; cluster
	 * and broker names may hold '.' and '|'.
	 */
	name[127] = '\0';
	msg_free(treg(treq(name, name, 0, "h:0", name, 1), 0));
	msg_free(treg(treq("c", "a", 0, "h:0", "%RETRY%g1,%DLQ%g1", 1), 0));
	msg_free(treg(treq("c.1|x", "b.1|y", 0, "h:1", NULL, 1), 0));

	c = msg_new(&petrel__route_manager_config__descriptor);
	c->broker_expire_ms = 5000;
	c->max_topics = 3;
	msg_free(tcall(rm, peer, c, 0));
	tcall_error(treq("c", "a", 0, "h:0", "A,B,C,D", 2),
	    PETREL__STATUS__STATUS_BAD_REQUEST,
	    "too many topics: 4, at most 3");
	msg_free(treg(treq("c", "a", 0, "h:0", "A,B,C", 2), 0));
	/* Nothing refused changed anything. */
	snprintf(want, sizeof want, "A B C %s", name);
	ttopics_is("", want);
}
END_TEST

START_TEST(test_get_route_bad)
{
	char	name[200];
	void	*m;

	memset(name, 't', 128);
	name[128] = '\0';
	msg_free(tis(troute(name), &petrel__error__descriptor));
	msg_free(tis(troute("a/b"), &petrel__error__descriptor));
	m = troute("a|b");
	ck_assert_str_eq(terror(m, PETREL__STATUS__STATUS_BAD_REQUEST),
	    "topic \"a|b\" has an invalid character at byte 1");
	msg_free(m);
	tcall_error(ttlreq("bad cluster"), PETREL__STATUS__STATUS_BAD_REQUEST,
	    NULL);
}
END_TEST

START_TEST(test_stop)
{
	msg_free(tis(tcall(rm, peer, msg_new(&petrel__stop__descriptor), 0),
	    &petrel__stopped__descriptor));
}
END_TEST

START_TEST(test_many_topics)
{
	Petrel__RegisterBrokerRequest	*r;
	Petrel__TopicConfig		*tc;
	char				 name[32], *list;
	size_t				 i, n = 5000;

	r = treq("c", "a", 0, "h:0", NULL, 1);
	r->topics = xcalloc(n, sizeof *r->topics);
	for (i = 0; i < n; i++) {
		tc = msg_new(&petrel__topic_config__descriptor);
		snprintf(name, sizeof name, "topic-%06zu", i);
		msg_set_string(&tc->name, name);
		tc->read_queues = tc->write_queues = 4;
		tc->perm = 6;
		r->topics[r->n_topics++] = tc;
	}
	msg_free(treg(r, 0));
	msg_free(treg(treq("c", "b", 0, "h:1", "topic-000007", 1), 0));
	troute_is("topic-000007", "a:4/4/6 b:8/8/6 | c/a=0@h:0 c/b=0@h:1");
	list = ttopics("c");
	ck_assert_uint_eq(strlen(list), n * 13 - 1);
	ck_assert_int_eq(strncmp(list, "topic-000000 topic-000001 ", 26), 0);
	free(list);
	msg_free(tcall(rm, peer, tunreq("c", "a", 0, ""), 0));
	ttopics_is("", "topic-000007");
}
END_TEST

Suite *
route_manager_suite(void)
{
	Suite	*s = suite_create("route_manager");
	TCase	*tc;

	tc = tcase_create("register");
	tcase_set_timeout(tc, 30);		/* thousands of topics, ASan */
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_config);
	tcase_add_test(tc, test_two_brokers);
	tcase_add_test(tc, test_slave_first);
	tcase_add_test(tc, test_data_version);
	tcase_add_test(tc, test_address_moves);
	tcase_add_test(tc, test_register_bad);
	tcase_add_test(tc, test_many_topics);
	suite_add_tcase(s, tc);
	tc = tcase_create("query");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_unknown_topic);
	tcase_add_test(tc, test_get_route_bad);
	tcase_add_test(tc, test_cluster_info);
	tcase_add_test(tc, test_empty_cluster_info);
	suite_add_tcase(s, tc);
	tc = tcase_create("remove");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_unregister);
	tcase_add_test(tc, test_delete_topic);
	tcase_add_test(tc, test_scan);
	tcase_add_test(tc, test_connection_closed);
	tcase_add_test(tc, test_stop);
	suite_add_tcase(s, tc);
	return (s);
}
