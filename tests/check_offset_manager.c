/*
 * Tests of actors/offset_manager.c through detached actors: query, update,
 * commit (forward only), list, reset by time through a fake store, flushes
 * driven by ticks and Stop, persistence across re-creation, a failed write
 * leaving the old file, a corrupt file, and bad input for every request.
 * Group lists: groups with offsets only, merged with the groups online of a
 * fake source, sorted, bounded, and the source's errors, a full queue of
 * waiting requests and Stop.
 */
#include "config.h"

#include <sys/stat.h>

#include <check.h>
#include <stdarg.h>
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

static struct actor	*om, *peer, *store, *source;
static char		*root;

static char *
tconfig(void)
{
	Petrel__OffsetManagerConfig	*c;
	Petrel__Configured		*ack;
	char				*err;

	c = msg_new(&petrel__offset_manager_config__descriptor);
	msg_set_string(&c->root, root);
	c->store = actor_ref(store);
	ack = tis(tcall(om, peer, c, 0), &petrel__configured__descriptor);
	err = xstrdup(ack->error);
	msg_free(ack);
	return (err);
}

static void
tconfig_ok(void)
{
	char	*err = tconfig();

	ck_assert_str_eq(err, "");
	free(err);
}

static void
setup(void)
{
	log_init("check", LOG_LEVEL_WARN);
	root = test_tmpdir();
	om = actor_spawn(NULL, &offset_manager_actor, "offset_manager");
	peer = actor_spawn(NULL, &tpeer_actor, "peer");
	store = actor_spawn(NULL, &tpeer_actor, "store");
	source = actor_spawn(NULL, &tpeer_actor, "source");
}

static void
teardown(void)
{
	actor_free(om);
	actor_free(peer);
	actor_free(store);
	actor_free(source);
	test_rmdir(root);
}

/* A new offset manager on the same root; returns its config error. */
static char *
trestart(void)
{
	actor_free(om);
	om = actor_spawn(NULL, &offset_manager_actor, "offset_manager");
	return (tconfig());
}

static void
trestart_ok(void)
{
	char	*err = trestart();

	ck_assert_str_eq(err, "");
	free(err);
}

static void *
tquery(const char *group, const char *topic, uint32_t q)
{
	Petrel__QueryConsumerOffsetRequest	*r;

	r = msg_new(&petrel__query_consumer_offset_request__descriptor);
	msg_set_string(&r->group, group);
	msg_set_string(&r->topic, topic);
	r->queue_id = q;
	return (tcall(om, peer, r, 0));
}

/* The committed offset, or -1 if none. */
static int64_t
toffset(const char *group, const char *topic, uint32_t q)
{
	Petrel__QueryConsumerOffsetResponse	*resp;
	ProtobufCMessage			*m;
	int64_t					 off;

	m = tquery(group, topic, q);
	if (msg_is(m, &petrel__error__descriptor)) {
		terror(m, PETREL__STATUS__STATUS_NOT_FOUND);
		msg_free(m);
		return (-1);
	}
	resp = tis(m, &petrel__query_consumer_offset_response__descriptor);
	off = (int64_t)resp->offset;
	msg_free(resp);
	return (off);
}

static void *
tupdate(const char *group, const char *topic, uint32_t q, uint64_t off)
{
	Petrel__UpdateConsumerOffsetRequest	*r;

	r = msg_new(&petrel__update_consumer_offset_request__descriptor);
	msg_set_string(&r->group, group);
	msg_set_string(&r->topic, topic);
	r->queue_id = q;
	r->offset = off;
	return (tcall(om, peer, r, 0));
}

static void
tupdate_ok(const char *group, const char *topic, uint32_t q, uint64_t off)
{
	msg_free(tis(tupdate(group, topic, q, off),
	    &petrel__update_consumer_offset_response__descriptor));
}

static void
terror_is(void *m, uint32_t status, const char *want)
{
	ck_assert_str_eq(terror(m, status), want);
	msg_free(m);
}

/* A commit of "topic:queue:offset,..." for group. */
static void *
tcommit(const char *group, const char *client, const char *list)
{
	Petrel__CommitConsumerOffsetsRequest	*r;
	Petrel__QueueOffset			*qo;
	char					*copy, *item, *save, *p;

	r = msg_new(&petrel__commit_consumer_offsets_request__descriptor);
	msg_set_string(&r->group, group);
	msg_set_string(&r->client_id, client);
	copy = xstrdup(list);
	for (item = strtok_r(copy, ",", &save); item != NULL;
	    item = strtok_r(NULL, ",", &save)) {
		qo = msg_new(&petrel__queue_offset__descriptor);
		p = strchr(item, ':');
		*p++ = '\0';
		msg_set_string(&qo->topic, item);
		qo->queue_id = (uint32_t)strtoul(p, &p, 10);
		qo->offset = strtoull(p + 1, NULL, 10);
		msg_array_add((void ***)&r->offsets, &r->n_offsets, qo);
	}
	free(copy);
	return (tcall(om, peer, r, 0));
}

/* Every offset of group as "topic:queue:offset ...". */
static char *
tlist(const char *group, const char *topic)
{
	Petrel__GetConsumerOffsetsRequest	*r;
	Petrel__GetConsumerOffsetsResponse	*resp;
	char					 buf[2048];
	size_t					 i;

	r = msg_new(&petrel__get_consumer_offsets_request__descriptor);
	msg_set_string(&r->group, group);
	msg_set_string(&r->topic, topic);
	resp = tis(tcall(om, peer, r, 0),
	    &petrel__get_consumer_offsets_response__descriptor);
	buf[0] = '\0';
	for (i = 0; i < resp->n_offsets; i++)
		snprintf(buf + strlen(buf), sizeof buf - strlen(buf),
		    "%s%s:%u:%llu", i == 0 ? "" : " ", resp->offsets[i]->topic,
		    resp->offsets[i]->queue_id,
		    (unsigned long long)resp->offsets[i]->offset);
	msg_free(resp);
	return (xstrdup(buf));
}

static void
tlist_is(const char *group, const char *topic, const char *want)
{
	char	*got = tlist(group, topic);

	ck_assert_str_eq(got, want);
	free(got);
}

START_TEST(test_query_update)
{
	char	*err;

	tconfig_ok();
	err = tconfig();
	ck_assert_str_eq(err, "offset manager already configured");
	free(err);
	ck_assert_int_eq(toffset("g", "T", 0), -1);
	terror_is(tquery("g", "T", 3), PETREL__STATUS__STATUS_NOT_FOUND,
	    "group g has no offset for T queue 3");
	tupdate_ok("g", "T", 3, 42);
	ck_assert_int_eq(toffset("g", "T", 3), 42);
	ck_assert_int_eq(toffset("g", "T", 2), -1);
	ck_assert_int_eq(toffset("g", "T", 4), -1);
	ck_assert_int_eq(toffset("h", "T", 3), -1);
	/* An update may go back. */
	tupdate_ok("g", "T", 3, 7);
	ck_assert_int_eq(toffset("g", "T", 3), 7);
	tupdate_ok("g", "%RETRY%g", 0, 0);
	ck_assert_int_eq(toffset("g", "%RETRY%g", 0), 0);
}
END_TEST

START_TEST(test_commit_and_list)
{
	Petrel__CommitConsumerOffsetsResponse	*resp;

	tconfig_ok();
	resp = tis(tcommit("g", "10.0.0.1@1", "T:0:10,T:1:20,U:0:5"),
	    &petrel__commit_consumer_offsets_response__descriptor);
	ck_assert_uint_eq(resp->applied, 3);
	msg_free(resp);
	/* Forward only: 0 goes back (ignored), 1 moves, 0/U unchanged. */
	resp = tis(tcommit("g", "10.0.0.1@1", "T:0:9,T:1:25,U:0:5"),
	    &petrel__commit_consumer_offsets_response__descriptor);
	ck_assert_uint_eq(resp->applied, 1);
	msg_free(resp);
	tupdate_ok("h", "T", 2, 1);
	tlist_is("g", "", "T:0:10 T:1:25 U:0:5");
	tlist_is("g", "T", "T:0:10 T:1:25");
	tlist_is("g", "V", "");
	tlist_is("h", "", "T:2:1");
	tlist_is("nobody", "", "");
}
END_TEST

START_TEST(test_bad_input)
{
	char	name[200];
	size_t	i;
	char	*big;
	void	*m;

	memset(name, 'n', 128);
	name[128] = '\0';
	terror_is(tquery("g", "T", 0),
	    PETREL__STATUS__STATUS_SERVICE_NOT_AVAILABLE,
	    "offset manager not configured");
	tconfig_ok();
	terror_is(tquery("", "T", 0), PETREL__STATUS__STATUS_BAD_REQUEST,
	    "group is empty");
	terror_is(tquery("g", "", 0), PETREL__STATUS__STATUS_BAD_REQUEST,
	    "topic is empty");
	terror_is(tquery(name, "T", 0), PETREL__STATUS__STATUS_BAD_REQUEST,
	    "group is longer than 127 bytes");
	terror_is(tquery("g", "T", 1024), PETREL__STATUS__STATUS_BAD_REQUEST,
	    "queue_id 1024 is over 1023");
	terror_is(tupdate("g g", "T", 0, 1), PETREL__STATUS__STATUS_BAD_REQUEST,
	    "group \"g g\" has an invalid character at byte 1");
	terror_is(tupdate("g", "T", 0, UINT64_MAX),
	    PETREL__STATUS__STATUS_BAD_REQUEST, "offset out of range");
	terror_is(tcommit("g", "a b", "T:0:1"),
	    PETREL__STATUS__STATUS_BAD_REQUEST,
	    "client_id has an invalid character at byte 1");
	m = tcall(om, peer,
	    msg_new(&petrel__commit_consumer_offsets_request__descriptor), 0);
	terror_is(m, PETREL__STATUS__STATUS_BAD_REQUEST,
	    "0 offsets: 1-4096 in a commit");
	/* One bad entry refuses the whole commit. */
	terror_is(tcommit("g", "c", "T:0:1,T:5000:1"),
	    PETREL__STATUS__STATUS_BAD_REQUEST, "queue_id 5000 is over 1023");
	terror_is(tcommit("g", "c", "T:0:1,a.b:0:1"),
	    PETREL__STATUS__STATUS_BAD_REQUEST,
	    "topic \"a.b\" has an invalid character at byte 1");
	ck_assert_int_eq(toffset("g", "T", 0), -1);
	big = xmalloc(4097 * 8 + 1);
	big[0] = '\0';
	for (i = 0; i < 4097; i++)
		strcat(big, i == 0 ? "T:0:1" : ",T:0:1");
	terror_is(tcommit("g", "c", big), PETREL__STATUS__STATUS_BAD_REQUEST,
	    "4097 offsets: 1-4096 in a commit");
	free(big);
	m = tcall(om, peer,
	    msg_new(&petrel__get_consumer_offsets_request__descriptor), 0);
	terror_is(m, PETREL__STATUS__STATUS_BAD_REQUEST, "group is empty");
	m = tcall(om, peer,
	    msg_new(&petrel__reset_consumer_offset_request__descriptor), 0);
	terror_is(m, PETREL__STATUS__STATUS_BAD_REQUEST, "group is empty");
}
END_TEST

static void *
treset_req(const char *group, const char *topic, uint64_t ts)
{
	Petrel__ResetConsumerOffsetRequest	*r;

	r = msg_new(&petrel__reset_consumer_offset_request__descriptor);
	msg_set_string(&r->group, group);
	msg_set_string(&r->topic, topic);
	r->timestamp_ms = ts;
	return (r);
}

START_TEST(test_reset_by_time)
{
	Petrel__StoreOffsetsByTime		*ask;
	Petrel__StoreOffsetsByTimeResult	*res;
	Petrel__ResetConsumerOffsetResponse	*resp;
	Petrel__QueueOffset			*qo;
	struct envelope				 env, penv = { NULL, 9, 0 };
	uint32_t				 q;

	tconfig_ok();
	tupdate_ok("g", "T", 0, 100);
	penv.from = peer;
	ck_assert_int_eq(actor_post(om, treset_req("g", "T", 5000), &penv), 0);
	actor_run_pending(om);
	/* Nothing answered yet: the store was asked. */
	ck_assert_ptr_null(actor_pop(peer, &env));
	ask = tis(actor_pop(store, &env),
	    &petrel__store_offsets_by_time__descriptor);
	ck_assert_str_eq(ask->topic, "T");
	ck_assert_uint_eq(ask->timestamp_ms, 5000);
	msg_free(ask);
	res = msg_new(&petrel__store_offsets_by_time_result__descriptor);
	for (q = 0; q < 2; q++) {
		qo = msg_new(&petrel__queue_offset__descriptor);
		msg_set_string(&qo->topic, "T");
		qo->queue_id = q;
		qo->offset = 10 + q;
		msg_array_add((void ***)&res->offsets, &res->n_offsets, qo);
	}
	actor_reply(&env, res);
	actor_run_pending(om);
	resp = tis(actor_pop(peer, &env),
	    &petrel__reset_consumer_offset_response__descriptor);
	ck_assert_uint_eq(env.cookie, 9);
	ck_assert_uint_eq(resp->n_offsets, 2);
	msg_free(resp);
	tlist_is("g", "", "T:0:10 T:1:11");

	/* The store's refusal is passed on. */
	ck_assert_int_eq(actor_post(om, treset_req("g", "X", 1), &penv), 0);
	actor_run_pending(om);
	msg_free(actor_pop(store, &env));
	res = msg_new(&petrel__store_offsets_by_time_result__descriptor);
	msg_set_string(&res->error, "no topic X");
	res->status = PETREL__STATUS__STATUS_TOPIC_NOT_EXIST;
	actor_reply(&env, res);
	actor_run_pending(om);
	terror_is(actor_pop(peer, &env),
	    PETREL__STATUS__STATUS_TOPIC_NOT_EXIST, "no topic X");

	/* One waiting at Stop is refused, not lost. */
	ck_assert_int_eq(actor_post(om, treset_req("g", "T", 1), &penv), 0);
	actor_run_pending(om);
	msg_free(actor_pop(store, &env));
	ck_assert_int_eq(actor_post(om, msg_new(&petrel__stop__descriptor),
	    &penv), 0);
	actor_run_pending(om);
	terror_is(actor_pop(peer, &env),
	    PETREL__STATUS__STATUS_SERVICE_NOT_AVAILABLE, "broker stopping");
	msg_free(tis(actor_pop(peer, &env), &petrel__stopped__descriptor));
}
END_TEST

START_TEST(test_reset_no_store)
{
	Petrel__OffsetManagerConfig	*c;

	c = msg_new(&petrel__offset_manager_config__descriptor);
	msg_set_string(&c->root, root);
	msg_free(tcall(om, peer, c, 0));
	terror_is(tcall(om, peer, treset_req("g", "T", 1), 0),
	    PETREL__STATUS__STATUS_SERVICE_NOT_AVAILABLE,
	    "no store to search by time");
}
END_TEST

START_TEST(test_persist)
{
	tconfig_ok();
	tupdate_ok("g", "T", 0, 5);
	tupdate_ok("g", "T", 3, 8);
	tupdate_ok("h", "U", 1, 9);
	/* Not flushed yet: a crash now loses them. */
	trestart_ok();
	ck_assert_int_eq(toffset("g", "T", 0), -1);

	tupdate_ok("g", "T", 0, 5);
	tupdate_ok("g", "T", 3, 8);
	tupdate_ok("h", "U", 1, 9);
	bttick(om, 1);
	trestart_ok();
	tlist_is("g", "", "T:0:5 T:3:8");
	tlist_is("h", "", "U:1:9");

	/* Stop writes them too. */
	tupdate_ok("g", "T", 0, 6);
	msg_free(tis(tcall(om, peer, msg_new(&petrel__stop__descriptor), 0),
	    &petrel__stopped__descriptor));
	trestart_ok();
	ck_assert_int_eq(toffset("g", "T", 0), 6);
}
END_TEST

START_TEST(test_write_fails)
{
	char	tmp[4096];

	tconfig_ok();
	tupdate_ok("g", "T", 0, 5);
	bttick(om, 1);
	snprintf(tmp, sizeof tmp, "%s/config/consumerOffsets.tmp", root);
	ck_assert_int_eq(mkdir(tmp, 0700), 0);
	tupdate_ok("g", "T", 0, 6);
	bttick(om, 1);
	msg_free(tis(tcall(om, peer, msg_new(&petrel__stop__descriptor), 0),
	    &petrel__stopped__descriptor));
	/* The old file is intact. */
	trestart_ok();
	ck_assert_int_eq(toffset("g", "T", 0), 5);
	/* Still dirty after the failure: written once it can be. */
	tupdate_ok("g", "T", 0, 7);
	bttick(om, 1);
	ck_assert_int_eq(rmdir(tmp), 0);
	bttick(om, 1);
	trestart_ok();
	ck_assert_int_eq(toffset("g", "T", 0), 7);
}
END_TEST

START_TEST(test_corrupt)
{
	char	path[4096], *err;
	FILE	*f;

	tconfig_ok();
	tupdate_ok("g", "T", 0, 5);
	bttick(om, 1);
	snprintf(path, sizeof path, "%s/config/consumerOffsets", root);
	ck_assert_ptr_nonnull(f = fopen(path, "r+"));
	fseek(f, -1, SEEK_END);
	fputc('x', f);
	fclose(f);
	err = trestart();
	ck_assert_ptr_nonnull(strstr(err, "consumerOffsets: corrupt: "));
	free(err);
	terror_is(tquery("g", "T", 0),
	    PETREL__STATUS__STATUS_SERVICE_NOT_AVAILABLE,
	    "offset manager not configured");
}
END_TEST

/* Post a group list request from peer to om and run it. */
static void
tgroups_post(void)
{
	struct envelope	 env = { NULL, TCOOKIE, 0 };

	env.from = peer;
	ck_assert_int_eq(actor_post(om,
	    msg_new(&petrel__get_consumer_groups_request__descriptor), &env),
	    0);
	actor_run_pending(om);
}

/* Have om ask source for the groups online. */
static void
tsource(void)
{
	Petrel__ConsumerGroupsSource	*s;

	s = msg_new(&petrel__consumer_groups_source__descriptor);
	s->actor = actor_ref(source);
	btsend(om, s);
}

/* A group online: its clients, model, type and topics "a,b" ("" none). */
static Petrel__ConsumerGroupState *
tstate(const char *group, uint32_t clients, int model, int type,
    const char *topics)
{
	Petrel__ConsumerGroupState	*gs;
	char				*copy, *t, *save;

	gs = msg_new(&petrel__consumer_group_state__descriptor);
	msg_set_string(&gs->group, group);
	gs->clients = clients;
	gs->message_model = model;
	gs->consume_type = type;
	copy = xstrdup(topics);
	for (t = strtok_r(copy, ",", &save); t != NULL;
	    t = strtok_r(NULL, ",", &save))
		msg_array_add((void ***)&gs->subscribed, &gs->n_subscribed,
		    xstrdup(t));
	free(copy);
	return (gs);
}

/* Answer the source's one question with the groups online of r. */
static void
tonline(Petrel__GetConsumerGroupsResponse *r)
{
	struct envelope	 env, more;

	msg_free(tis(actor_pop(source, &env),
	    &petrel__get_consumer_groups_request__descriptor));
	ck_assert_ptr_null(actor_pop(source, &more));
	ck_assert_ptr_eq(env.from, om);
	actor_reply(&env, r);
	actor_run_pending(om);
}

/* A response of the groups online g0, g1... up to NULL. */
static Petrel__GetConsumerGroupsResponse *
tonline_of(Petrel__ConsumerGroupState *g, ...)
{
	Petrel__GetConsumerGroupsResponse	*r;
	va_list					 ap;

	r = msg_new(&petrel__get_consumer_groups_response__descriptor);
	va_start(ap, g);
	for (; g != NULL; g = va_arg(ap, Petrel__ConsumerGroupState *))
		msg_array_add((void ***)&r->groups, &r->n_groups, g);
	va_end(ap);
	return (r);
}

/* Append the names of v joined by commas to buf. */
static void
tjoin(char *buf, size_t len, char **v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		snprintf(buf + strlen(buf), len - strlen(buf), "%s%s",
		    i == 0 ? "" : ",", v[i]);
}

/*
 * The group list peer was answered, as "group/clients/model/type/
 * subscribed/committed ..." (" truncated" at the end if so).
 */
static char *
tgroups(void)
{
	Petrel__GetConsumerGroupsResponse	*r;
	Petrel__ConsumerGroupState		*gs;
	struct envelope				 env;
	char					 buf[4096];
	size_t					 i;

	r = tis(actor_pop(peer, &env),
	    &petrel__get_consumer_groups_response__descriptor);
	ck_assert_uint_eq(env.cookie, TCOOKIE);
	ck_assert_ptr_null(actor_pop(peer, &env));
	buf[0] = '\0';
	for (i = 0; i < r->n_groups; i++) {
		gs = r->groups[i];
		snprintf(buf + strlen(buf), sizeof buf - strlen(buf),
		    "%s%s/%u/%d/%d/", i == 0 ? "" : " ", gs->group,
		    gs->clients, gs->message_model, gs->consume_type);
		tjoin(buf, sizeof buf, gs->subscribed, gs->n_subscribed);
		snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "/");
		tjoin(buf, sizeof buf, gs->committed, gs->n_committed);
	}
	if (r->truncated)
		snprintf(buf + strlen(buf), sizeof buf - strlen(buf),
		    " truncated");
	msg_free(r);
	return (xstrdup(buf));
}

static void
tgroups_is(const char *want)
{
	char	*got = tgroups();

	ck_assert_str_eq(got, want);
	free(got);
}

START_TEST(test_groups_offsets)
{
	tconfig_ok();
	/* An empty broker knows no group. */
	tgroups_post();
	tgroups_is("");
	tupdate_ok("h", "T", 2, 1);
	msg_free(tcommit("g", "c1", "U:0:5,T:1:3"));
	tupdate_ok("a", "%RETRY%a", 0, 0);
	tupdate_ok("g", "T", 0, 1);
	/* Without a source: the groups with offsets, sorted, none online. */
	tgroups_post();
	tgroups_is("a/0/0/0//%RETRY%a g/0/0/0//T,U h/0/0/0//T");
}
END_TEST

START_TEST(test_groups_online)
{
	tconfig_ok();
	tsource();
	/* The source is asked; nothing is answered until it answers. */
	tgroups_post();
	ck_assert_ptr_null(actor_pop(peer, NULL));
	tonline(tonline_of(NULL));
	tgroups_is("");

	tupdate_ok("d", "V", 0, 1);
	tupdate_ok("b", "T", 0, 1);
	tupdate_ok("b", "%RETRY%b", 0, 1);
	tgroups_post();
	/* Online groups in any order; one also with offsets, one without. */
	tonline(tonline_of(
	    tstate("c", 2, PETREL__MESSAGE_MODEL__MESSAGE_MODEL_BROADCASTING,
	    PETREL__CONSUME_TYPE__CONSUME_TYPE_PULL, "T"),
	    tstate("b", 1, PETREL__MESSAGE_MODEL__MESSAGE_MODEL_CLUSTERING,
	    PETREL__CONSUME_TYPE__CONSUME_TYPE_PUSH, "%RETRY%b,T,U"), NULL));
	tgroups_is("b/1/0/0/%RETRY%b,T,U/%RETRY%b,T c/2/1/1/T/ d/0/0/0//V");

	/* An answer for no request is dropped. */
	btsend(om, tonline_of(NULL));
	ck_assert_ptr_null(actor_pop(peer, NULL));
}
END_TEST

START_TEST(test_groups_bounds)
{
	Petrel__GetConsumerGroupsResponse	*r;
	Petrel__ConsumerGroupState		*gs;
	struct envelope				 env;
	char					 name[32];
	size_t					 i;

	tconfig_ok();
	for (i = 0; i < BROKER_GROUPS_MAX + 5; i++) {
		snprintf(name, sizeof name, "g%05zu", i);
		tupdate_ok(name, "T", 0, i);
	}
	tgroups_post();
	r = tis(actor_pop(peer, &env),
	    &petrel__get_consumer_groups_response__descriptor);
	ck_assert_uint_eq(r->n_groups, BROKER_GROUPS_MAX);
	ck_assert(r->truncated);
	ck_assert_str_eq(r->groups[0]->group, "g00000");
	snprintf(name, sizeof name, "g%05d", BROKER_GROUPS_MAX - 1);
	ck_assert_str_eq(r->groups[BROKER_GROUPS_MAX - 1]->group, name);
	msg_free(r);

	/* Topic names: the first group online takes them all. */
	tsource();
	tgroups_post();
	gs = tstate("a", 1, 0, 0, "");
	gs->subscribed = xcalloc(BROKER_GROUPS_TOPICS_MAX + 1,
	    sizeof *gs->subscribed);
	for (i = 0; i < BROKER_GROUPS_TOPICS_MAX + 1; i++) {
		snprintf(name, sizeof name, "t%05zu", i);
		gs->subscribed[gs->n_subscribed++] = xstrdup(name);
	}
	tonline(tonline_of(gs, NULL));
	r = tis(actor_pop(peer, &env),
	    &petrel__get_consumer_groups_response__descriptor);
	ck_assert(r->truncated);
	ck_assert_uint_eq(r->n_groups, BROKER_GROUPS_MAX);
	ck_assert_uint_eq(r->groups[0]->n_subscribed,
	    BROKER_GROUPS_TOPICS_MAX);
	ck_assert_uint_eq(r->groups[1]->n_committed, 0);
	msg_free(r);
}
END_TEST

START_TEST(test_groups_errors)
{
	Petrel__Error	*e;
	struct envelope	 env;
	size_t		 i;

	/* Not configured: refused, the source not asked. */
	tsource();
	tgroups_post();
	terror_is(actor_pop(peer, &env),
	    PETREL__STATUS__STATUS_SERVICE_NOT_AVAILABLE,
	    "offset manager not configured");
	ck_assert_ptr_null(actor_pop(source, &env));

	/* The source's error is passed on. */
	tconfig_ok();
	tgroups_post();
	msg_free(actor_pop(source, &env));
	e = msg_new(&petrel__error__descriptor);
	e->status = PETREL__STATUS__STATUS_SYSTEM_BUSY;
	msg_set_string(&e->text, "too busy");
	actor_reply(&env, e);
	actor_run_pending(om);
	terror_is(actor_pop(peer, &env), PETREL__STATUS__STATUS_SYSTEM_BUSY,
	    "too busy");

	/* At most 64 wait; the next is refused. */
	for (i = 0; i < 64; i++)
		tgroups_post();
	ck_assert_ptr_null(actor_pop(peer, &env));
	tgroups_post();
	terror_is(actor_pop(peer, &env), PETREL__STATUS__STATUS_SYSTEM_BUSY,
	    "64 requests already waiting");
	/* Stop answers those waiting. */
	msg_free(tis(tcall(om, store, msg_new(&petrel__stop__descriptor), 0),
	    &petrel__stopped__descriptor));
	for (i = 0; i < 64; i++)
		terror_is(actor_pop(peer, &env),
		    PETREL__STATUS__STATUS_SERVICE_NOT_AVAILABLE,
		    "broker stopping");
	ck_assert_ptr_null(actor_pop(peer, &env));
}
END_TEST

Suite *
offset_manager_suite(void)
{
	Suite	*s = suite_create("offset_manager");
	TCase	*tc;

	tc = tcase_create("offsets");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_query_update);
	tcase_add_test(tc, test_commit_and_list);
	tcase_add_test(tc, test_bad_input);
	tcase_add_test(tc, test_reset_by_time);
	tcase_add_test(tc, test_reset_no_store);
	suite_add_tcase(s, tc);
	tc = tcase_create("groups");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_groups_offsets);
	tcase_add_test(tc, test_groups_online);
	tcase_add_test(tc, test_groups_bounds);
	tcase_add_test(tc, test_groups_errors);
	suite_add_tcase(s, tc);
	tc = tcase_create("file");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_persist);
	tcase_add_test(tc, test_write_fails);
	tcase_add_test(tc, test_corrupt);
	suite_add_tcase(s, tc);
	return (s);
}
