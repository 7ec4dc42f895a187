/*
 * Tests of actors/consumer_manager.c through detached actors: heartbeats,
 * sorted member lists, notices to the notifier when members come and go,
 * expiry driven by ticks on a fixed clock, closed connections,
 * unregistering, group lookups, the groups online (for the offset
 * manager's group list), and bad input for every request.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actor.h"
#include "broker.h"
#include "log.h"
#include "msg.h"
#include "broker_testutil.h"
#include "namesrv_testutil.h"
#include "testutil.h"
#include "xmalloc.h"

#include "proto/broker.pb-c.h"
#include "proto/brokerd.pb-c.h"
#include "proto/transport.pb-c.h"

static struct actor	*cm, *peer, *notifier;

static void
setup(void)
{
	Petrel__ConsumerManagerConfig	*c;

	log_init("check", LOG_LEVEL_WARN);
	cm = actor_spawn(NULL, &consumer_manager_actor, "consumer_manager");
	peer = actor_spawn(NULL, &tpeer_actor, "peer");
	notifier = actor_spawn(NULL, &tpeer_actor, "notifier");
	c = msg_new(&petrel__consumer_manager_config__descriptor);
	c->notifier = actor_ref(notifier);
	msg_free(tis(tcall(cm, peer, c, 0), &petrel__configured__descriptor));
}

static void
teardown(void)
{
	actor_free(cm);
	actor_free(peer);
	actor_free(notifier);
}

/* A heartbeat of client for the consumer groups "g1,g2" (NULL: none). */
static Petrel__HeartbeatRequest *
tbeat_req(const char *client, const char *groups, const char *producer)
{
	Petrel__HeartbeatRequest	*r;
	Petrel__ConsumerData		*cd;
	Petrel__Subscription		*s;
	Petrel__ProducerData		*pd;
	char				*copy, *g, *save;

	r = msg_new(&petrel__heartbeat_request__descriptor);
	msg_set_string(&r->client_id, client);
	if (producer != NULL) {
		pd = msg_new(&petrel__producer_data__descriptor);
		msg_set_string(&pd->group, producer);
		msg_array_add((void ***)&r->producers, &r->n_producers, pd);
	}
	if (groups == NULL)
		return (r);
	copy = xstrdup(groups);
	for (g = strtok_r(copy, ",", &save); g != NULL;
	    g = strtok_r(NULL, ",", &save)) {
		cd = msg_new(&petrel__consumer_data__descriptor);
		msg_set_string(&cd->group, g);
		cd->message_model =
		    PETREL__MESSAGE_MODEL__MESSAGE_MODEL_BROADCASTING;
		s = msg_new(&petrel__subscription__descriptor);
		msg_set_string(&s->topic, "T");
		msg_set_string(&s->sub_expression, "a || b");
		msg_array_add((void ***)&s->tags, &s->n_tags, xstrdup("a"));
		msg_array_add((void ***)&s->tags, &s->n_tags, xstrdup("b"));
		s->tag_hashes = xcalloc(2, sizeof *s->tag_hashes);
		s->tag_hashes[0] = 1;
		s->tag_hashes[1] = 2;
		s->n_tag_hashes = 2;
		msg_array_add((void ***)&cd->subscriptions,
		    &cd->n_subscriptions, s);
		msg_array_add((void ***)&r->consumers, &r->n_consumers, cd);
	}
	free(copy);
	return (r);
}

static void
tbeat(const char *client, const char *groups, uint64_t conn)
{
	msg_free(tis(tcall(cm, peer, tbeat_req(client, groups, NULL), conn),
	    &petrel__heartbeat_response__descriptor));
}

static void
tbeat_error(void *req, const char *want)
{
	void	*m = tcall(cm, peer, req, 0);

	ck_assert_str_eq(terror(m, PETREL__STATUS__STATUS_BAD_REQUEST), want);
	msg_free(m);
}

/* The members of group joined by spaces, or "none". */
static char *
tmembers(const char *group)
{
	Petrel__GetConsumerListRequest	*r;
	Petrel__GetConsumerListResponse	*resp;
	ProtobufCMessage		*m;
	char				 buf[1024];
	size_t				 i;

	r = msg_new(&petrel__get_consumer_list_request__descriptor);
	msg_set_string(&r->group, group);
	m = tcall(cm, peer, r, 0);
	if (msg_is(m, &petrel__error__descriptor)) {
		terror(m, PETREL__STATUS__STATUS_NOT_FOUND);
		msg_free(m);
		return (xstrdup("none"));
	}
	resp = tis(m, &petrel__get_consumer_list_response__descriptor);
	buf[0] = '\0';
	for (i = 0; i < resp->n_client_ids; i++)
		snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s",
		    i == 0 ? "" : " ", resp->client_ids[i]);
	msg_free(resp);
	return (xstrdup(buf));
}

static void
tmembers_is(const char *group, const char *want)
{
	char	*got = tmembers(group);

	ck_assert_str_eq(got, want);
	free(got);
}

/* The next notice as "group:conn,conn" (sorted), or "" if none. */
static char *
tnotice(void)
{
	Petrel__NotifyConsumers	*n;
	struct envelope		 env;
	char			 buf[256];
	size_t			 i, j;
	uint64_t		 t;

	if ((n = (Petrel__NotifyConsumers *)actor_pop(notifier, &env)) == NULL)
		return (xstrdup(""));
	tis(n, &petrel__notify_consumers__descriptor);
	for (i = 0; i < n->n_conns; i++)
		for (j = i + 1; j < n->n_conns; j++)
			if (n->conns[j] < n->conns[i]) {
				t = n->conns[i];
				n->conns[i] = n->conns[j];
				n->conns[j] = t;
			}
	snprintf(buf, sizeof buf, "%s:", n->group);
	for (i = 0; i < n->n_conns; i++)
		snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%llu",
		    i == 0 ? "" : ",", (unsigned long long)n->conns[i]);
	msg_free(n);
	return (xstrdup(buf));
}

/* Forget every notice so far. */
static void
tdrain(void)
{
	struct envelope	 env;
	void		*m;

	while ((m = actor_pop(notifier, &env)) != NULL)
		msg_free(m);
}

static void
tnotice_is(const char *want)
{
	char	*got = tnotice();

	ck_assert_str_eq(got, want);
	free(got);
}

static void
tclosed(uint64_t conn)
{
	Petrel__ConnectionClosed	*c;

	c = msg_new(&petrel__connection_closed__descriptor);
	c->conn = conn;
	btsend(cm, c);
}

START_TEST(test_heartbeat_and_list)
{
	tmembers_is("g1", "none");
	tbeat("client-b", "g1,g2", 2);
	tnotice_is("g1:2");
	tnotice_is("g2:2");
	tbeat("client-a", "g1", 1);
	tnotice_is("g1:1,2");
	tnotice_is("");
	/* A heartbeat of a known member tells nobody. */
	tbeat("client-a", "g1", 1);
	tbeat("client-b", "g1,g2", 2);
	tnotice_is("");
	tmembers_is("g1", "client-a client-b");
	tmembers_is("g2", "client-b");
	ck_assert_int_eq(btcounter(cm, peer, "consumer_groups"), 2);
	/* Producers are no consumer group. */
	msg_free(tcall(cm, peer, tbeat_req("p1", NULL, "pg"), 3));
	tmembers_is("pg", "none");
	tnotice_is("");
}
END_TEST

START_TEST(test_expiry)
{
	Petrel__ConsumerManagerConfig	*c;
	uint64_t			 t0 = 1000000;

	c = msg_new(&petrel__consumer_manager_config__descriptor);
	c->notifier = actor_ref(notifier);
	c->expire_ms = 120000;
	msg_free(tcall(cm, peer, c, 0));

	btclock(cm, t0);
	tbeat("c1", "g", 1);
	tbeat("c2", "g", 2);
	tdrain();
	btclock(cm, t0 + 60000);
	tbeat("c2", "g", 2);
	btclock(cm, t0 + 119999);
	bttick(cm, 1);
	tmembers_is("g", "c1 c2");
	tnotice_is("");
	/* c1 silent 120 s: dropped, c2 told. */
	btclock(cm, t0 + 120000);
	bttick(cm, 1);
	tmembers_is("g", "c2");
	tnotice_is("g:2");
	/* The last one goes and the group with it. */
	btclock(cm, t0 + 180000);
	bttick(cm, 1);
	tmembers_is("g", "none");
	tnotice_is("");
}
END_TEST

START_TEST(test_connection_closed)
{
	tbeat("c1", "g,h", 11);
	tbeat("c2", "g", 12);
	tbeat("c3", "g", 13);
	tdrain();
	tclosed(0);
	tclosed(99);
	tmembers_is("g", "c1 c2 c3");
	tclosed(11);
	tmembers_is("g", "c2 c3");
	tmembers_is("h", "none");
	tnotice_is("g:12,13");
	tnotice_is("");
	/* A client that moved to a new connection stays when the old closes. */
	tbeat("c2", "g", 22);
	tclosed(12);
	tmembers_is("g", "c2 c3");
}
END_TEST

static void *
tunreg(const char *client, const char *pg, const char *cg)
{
	Petrel__UnregisterClientRequest	*r;

	r = msg_new(&petrel__unregister_client_request__descriptor);
	msg_set_string(&r->client_id, client);
	msg_set_string(&r->producer_group, pg);
	msg_set_string(&r->consumer_group, cg);
	return (r);
}

START_TEST(test_unregister)
{
	tbeat("c1", "g", 1);
	tbeat("c2", "g", 2);
	tdrain();
	msg_free(tis(tcall(cm, peer, tunreg("c1", "", "g"), 0),
	    &petrel__unregister_client_response__descriptor));
	tmembers_is("g", "c2");
	tnotice_is("g:2");
	/* Unknown: fine, nothing happens. */
	msg_free(tis(tcall(cm, peer, tunreg("c9", "pg", "g"), 0),
	    &petrel__unregister_client_response__descriptor));
	tnotice_is("");
	tbeat_error(tunreg("", "", "g"), "client_id is empty");
	tbeat_error(tunreg("c1", "", ""), "no group named");
	tbeat_error(tunreg("c1", "a b", ""),
	    "producer group \"a b\" has an invalid character at byte 1");
	tbeat_error(tunreg("c1", "", "a.b"),
	    "consumer group \"a.b\" has an invalid character at byte 1");
}
END_TEST

START_TEST(test_lookup)
{
	Petrel__ConsumerGroupLookup	*r;
	Petrel__ConsumerGroupInfo	*info;

	tbeat("c2", "g", 2);
	tbeat("c1", "g", 1);
	r = msg_new(&petrel__consumer_group_lookup__descriptor);
	msg_set_string(&r->group, "g");
	info = tis(tcall(cm, peer, r, 0),
	    &petrel__consumer_group_info__descriptor);
	ck_assert(info->found);
	ck_assert_int_eq(info->message_model,
	    PETREL__MESSAGE_MODEL__MESSAGE_MODEL_BROADCASTING);
	ck_assert_uint_eq(info->n_subscriptions, 1);
	ck_assert_str_eq(info->subscriptions[0]->topic, "T");
	ck_assert_uint_eq(info->subscriptions[0]->n_tag_hashes, 2);
	ck_assert_uint_eq(info->n_client_ids, 2);
	ck_assert_str_eq(info->client_ids[0], "c1");
	msg_free(info);
	r = msg_new(&petrel__consumer_group_lookup__descriptor);
	msg_set_string(&r->group, "nope");
	info = tis(tcall(cm, peer, r, 0),
	    &petrel__consumer_group_info__descriptor);
	ck_assert(!info->found);
	msg_free(info);
}
END_TEST

/* The groups online, as the offset manager asks them. */
static Petrel__GetConsumerGroupsResponse *
tgroups(void)
{
	return (tis(tcall(cm, peer,
	    msg_new(&petrel__get_consumer_groups_request__descriptor), 0),
	    &petrel__get_consumer_groups_response__descriptor));
}

/* Add a subscription to topic to the first group of heartbeat r. */
static void
tsub(Petrel__HeartbeatRequest *r, const char *topic)
{
	Petrel__Subscription	*s;

	s = msg_new(&petrel__subscription__descriptor);
	msg_set_string(&s->topic, topic);
	msg_set_string(&s->sub_expression, "*");
	msg_array_add((void ***)&r->consumers[0]->subscriptions,
	    &r->consumers[0]->n_subscriptions, s);
}

/* gs is group with clients, model, type and the topics "a b". */
static void
tstate_is(const Petrel__ConsumerGroupState *gs, const char *group,
    uint32_t clients, int model, int type, const char *topics)
{
	char	buf[256];
	size_t	i;

	ck_assert_str_eq(gs->group, group);
	ck_assert_uint_eq(gs->clients, clients);
	ck_assert_int_eq(gs->message_model, model);
	ck_assert_int_eq(gs->consume_type, type);
	ck_assert_uint_eq(gs->n_committed, 0);
	buf[0] = '\0';
	for (i = 0; i < gs->n_subscribed; i++)
		snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s",
		    i == 0 ? "" : " ", gs->subscribed[i]);
	ck_assert_str_eq(buf, topics);
}

START_TEST(test_groups)
{
	Petrel__GetConsumerGroupsResponse	*r;
	Petrel__HeartbeatRequest		*b;

	/* None online. */
	r = tgroups();
	ck_assert_uint_eq(r->n_groups, 0);
	ck_assert(!r->truncated);
	msg_free(r);

	tbeat("c1", "g2", 1);
	tbeat("c2", "g2", 2);
	tbeat("c1", "g1", 1);
	/* The latest heartbeat of g1 says pull, clustering, U T U T. */
	b = tbeat_req("c3", "g1", "pg");
	b->consumers[0]->consume_type = PETREL__CONSUME_TYPE__CONSUME_TYPE_PULL;
	b->consumers[0]->message_model =
	    PETREL__MESSAGE_MODEL__MESSAGE_MODEL_CLUSTERING;
	tsub(b, "U");
	tsub(b, "T");
	tsub(b, "U");
	msg_free(tis(tcall(cm, peer, b, 3),
	    &petrel__heartbeat_response__descriptor));
	tdrain();

	r = tgroups();
	ck_assert(!r->truncated);
	/* Sorted; producer groups are no consumer group. */
	ck_assert_uint_eq(r->n_groups, 2);
	tstate_is(r->groups[0], "g1", 2,
	    PETREL__MESSAGE_MODEL__MESSAGE_MODEL_CLUSTERING,
	    PETREL__CONSUME_TYPE__CONSUME_TYPE_PULL, "T U");
	tstate_is(r->groups[1], "g2", 2,
	    PETREL__MESSAGE_MODEL__MESSAGE_MODEL_BROADCASTING,
	    PETREL__CONSUME_TYPE__CONSUME_TYPE_PUSH, "T");
	msg_free(r);

	/* Its members gone, a group is no longer online. */
	tclosed(2);
	tclosed(1);
	r = tgroups();
	ck_assert_uint_eq(r->n_groups, 1);
	ck_assert_str_eq(r->groups[0]->group, "g1");
	ck_assert_uint_eq(r->groups[0]->clients, 1);
	msg_free(r);
}
END_TEST

START_TEST(test_bad_input)
{
	Petrel__HeartbeatRequest	*r;
	Petrel__GetConsumerListRequest	*l;
	Petrel__ProducerData		*pd;
	char				 id[300];
	size_t				 i;
	void				*m;

	tbeat_error(tbeat_req("", "g", NULL), "client_id is empty");
	memset(id, 'i', 256);
	id[256] = '\0';
	tbeat_error(tbeat_req(id, "g", NULL),
	    "client_id is longer than 255 bytes");
	tbeat_error(tbeat_req("a b", "g", NULL),
	    "client_id has an invalid character at byte 1");
	tbeat_error(tbeat_req("c", "g g", NULL),
	    "consumer group \"g g\" has an invalid character at byte 1");
	tbeat_error(tbeat_req("c", NULL, ""), "producer group is empty");

	r = tbeat_req("c", "g", NULL);
	msg_set_string(&r->consumers[0]->subscriptions[0]->topic, "");
	tbeat_error(r, "topic is empty");
	r = tbeat_req("c", "g", NULL);
	r->consumers[0]->subscriptions[0]->n_tag_hashes = 1;
	tbeat_error(r, "subscription to T: 2 tags and 1 hashes (at most 256, "
	    "as many of each)");
	r = tbeat_req("c", "g", NULL);
	free(r->consumers[0]->subscriptions[0]->tags[1]);
	r->consumers[0]->subscriptions[0]->tags[1] = xstrdup("");
	tbeat_error(r, "subscription to T: tag 1 is empty or longer than 255 "
	    "bytes");
	r = tbeat_req("c", "g", NULL);
	free(r->consumers[0]->subscriptions[0]->sub_expression);
	r->consumers[0]->subscriptions[0]->sub_expression = xcalloc(1, 5000);
	memset(r->consumers[0]->subscriptions[0]->sub_expression, 'x', 4097);
	tbeat_error(r, "subscription to T: sub_expression is longer than 4096 "
	    "bytes");
	r = tbeat_req("c", NULL, NULL);
	for (i = 0; i < 257; i++) {
		pd = msg_new(&petrel__producer_data__descriptor);
		msg_set_string(&pd->group, "pg");
		msg_array_add((void ***)&r->producers, &r->n_producers, pd);
	}
	tbeat_error(r, "0 consumer and 257 producer groups: at most 256 of "
	    "each");
	/* Nothing refused was taken. */
	tmembers_is("g", "none");
	tnotice_is("");

	l = msg_new(&petrel__get_consumer_list_request__descriptor);
	m = tcall(cm, peer, l, 0);
	ck_assert_str_eq(terror(m, PETREL__STATUS__STATUS_BAD_REQUEST),
	    "group is empty");
	msg_free(m);
}
END_TEST

START_TEST(test_stop)
{
	msg_free(tis(tcall(cm, peer, msg_new(&petrel__stop__descriptor), 0),
	    &petrel__stopped__descriptor));
}
END_TEST

Suite *
consumer_manager_suite(void)
{
	Suite	*s = suite_create("consumer_manager");
	TCase	*tc;

	tc = tcase_create("consumers");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_heartbeat_and_list);
	tcase_add_test(tc, test_expiry);
	tcase_add_test(tc, test_connection_closed);
	tcase_add_test(tc, test_unregister);
	tcase_add_test(tc, test_lookup);
	tcase_add_test(tc, test_groups);
	tcase_add_test(tc, test_bad_input);
	tcase_add_test(tc, test_stop);
	suite_add_tcase(s, tc);
	return (s);
}
