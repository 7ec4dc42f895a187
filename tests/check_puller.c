/*
 * Tests of actors/puller.c through detached actors: fakes of the listener
 * (who asks and gets the answers), the dispatcher, the topic manager and
 * the offset manager.  Pulls found with tags, every GetStatus mapping,
 * holds woken by QueuesArrived and expired on a fixed clock, closed
 * connections, committed offsets, min/max/search offsets, the three
 * queries, counters, stop, and bad input of every request.
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
#include "xmalloc.h"

#include "proto/broker.pb-c.h"
#include "proto/brokerd.pb-c.h"
#include "proto/frame.pb-c.h"
#include "proto/namesrv.pb-c.h"
#include "proto/store.pb-c.h"
#include "proto/transport.pb-c.h"

#define T0		5000000
#define TIMER		1		/* the puller's */
#define HOST		"127.0.0.1:10911"
#define HOST_ID		"7F00000100002A9F"	/* its part of an id */
#define CONN		7

static struct actor	*pl, *lis, *disp, *tm, *om;

/* A topic of the table. */
static Petrel__TopicConfig *
ttopic(const char *name, uint32_t queues, uint32_t perm)
{
	Petrel__TopicConfig	*t;

	t = msg_new(&petrel__topic_config__descriptor);
	msg_set_string(&t->name, name);
	t->read_queues = t->write_queues = queues;
	t->perm = perm;
	return (t);
}

/* Answer the TopicTableRequest the puller asked of tm with topics. */
static void
ttable(const char *extra)
{
	Petrel__TopicTable	*tt;
	ProtobufCMessage	*m;
	struct envelope		 env;

	m = actor_pop(tm, &env);
	ck_assert_ptr_nonnull(m);
	ck_assert(msg_is(m, &petrel__topic_table_request__descriptor));
	msg_free(m);
	ck_assert_ptr_eq(env.from, pl);
	tt = msg_new(&petrel__topic_table__descriptor);
	msg_array_add((void ***)&tt->topics, &tt->n_topics,
	    ttopic("%RETRY%g", 1, 6));
	msg_array_add((void ***)&tt->topics, &tt->n_topics, ttopic("T", 4, 6));
	msg_array_add((void ***)&tt->topics, &tt->n_topics, ttopic("W", 4, 2));
	if (extra != NULL)
		msg_array_add((void ***)&tt->topics, &tt->n_topics,
		    ttopic(extra, 2, 6));
	ck_assert_int_eq(actor_reply(&env, tt), 0);
	actor_run_pending(pl);
}

/*
 * Answer the TopicLookup of topic the puller asked of tm: a topic with
 * queues queues, or none if 0.
 */
static void
ttopic_lookup(const char *topic, uint32_t queues)
{
	Petrel__TopicLookupResult	*tr;
	Petrel__TopicLookup		*tl;
	struct envelope			 env;

	tl = (Petrel__TopicLookup *)actor_pop(tm, &env);
	ck_assert_msg(msg_is(tl, &petrel__topic_lookup__descriptor),
	    "the topic manager was asked no lookup");
	ck_assert_str_eq(tl->topic, topic);
	ck_assert(!tl->create);
	msg_free(tl);
	tr = msg_new(&petrel__topic_lookup_result__descriptor);
	if (queues != 0) {
		tr->found = 1;
		tr->config = ttopic(topic, queues, 6);
	}
	ck_assert_int_eq(actor_reply(&env, tr), 0);
	actor_run_pending(pl);
}

/* Configure the puller with a longest hold of max_suspend. */
static void
tconfig(uint32_t max_suspend)
{
	Petrel__PullerConfig	*c;
	Petrel__Configured	*ok;

	c = msg_new(&petrel__puller_config__descriptor);
	c->dispatcher = actor_ref(disp);
	c->topic_manager = actor_ref(tm);
	c->offset_manager = actor_ref(om);
	c->max_suspend_ms = max_suspend;
	ok = tis(tcall(pl, lis, c, 0), &petrel__configured__descriptor);
	ck_assert_str_eq(ok->error, "");
	msg_free(ok);
	ttable(NULL);
}

static void
setup(void)
{
	log_init("check", LOG_LEVEL_WARN);
	pl = actor_spawn(NULL, &puller_actor, "puller");
	lis = actor_spawn(NULL, &tpeer_actor, "listener");
	disp = actor_spawn(NULL, &tpeer_actor, "dispatcher");
	tm = actor_spawn(NULL, &tpeer_actor, "topic_manager");
	om = actor_spawn(NULL, &tpeer_actor, "offset_manager");
	tconfig(0);
	btclock(pl, T0);
}

/* Nothing else was sent to a. */
static void
tquiet(struct actor *a)
{
	struct envelope		 env;
	ProtobufCMessage	*m;

	m = actor_pop(a, &env);
	ck_assert_msg(m == NULL, "%s got %s", actor_name(a),
	    m != NULL ? m->descriptor->name : "");
}

static void
teardown(void)
{
	tquiet(lis);
	tquiet(disp);
	tquiet(tm);
	tquiet(om);
	actor_free(pl);
	actor_free(lis);
	actor_free(disp);
	actor_free(tm);
	actor_free(om);
}

/* A pull of group g from topic/qid at offset. */
static Petrel__PullMessageRequest *
tpull_req(const char *topic, uint32_t qid, uint64_t offset, uint32_t suspend)
{
	Petrel__PullMessageRequest	*r;

	r = msg_new(&petrel__pull_message_request__descriptor);
	msg_set_string(&r->group, "g");
	msg_set_string(&r->topic, topic);
	r->queue_id = qid;
	r->queue_offset = offset;
	r->max_messages = 32;
	r->suspend_timeout_ms = suspend;
	return (r);
}

/* Post m to the puller as the listener would, on conn with cookie. */
static void
tpost(void *m, uint64_t cookie, uint64_t conn)
{
	struct envelope	env = { lis, cookie, conn };

	ck_assert_int_eq(actor_post(pl, m, &env), 0);
	actor_run_pending(pl);
}

/* The next message the fake dispatcher got: of type desc, asked by pl. */
static void *
tasked(const ProtobufCMessageDescriptor *desc, struct envelope *env)
{
	ProtobufCMessage	*m;

	m = actor_pop(disp, env);
	ck_assert_msg(m != NULL, "the dispatcher was asked nothing");
	ck_assert_ptr_eq(env->from, pl);
	return (tis(m, desc));
}

/*
 * The GetRequest the dispatcher got; checks topic, queue, offset and, but
 * for watch -1, whether it asks to be told when the queue grows.
 */
static void
tget_watch(const char *topic, uint32_t qid, uint64_t offset, int watch,
    struct envelope *env)
{
	Petrel__GetRequest	*g;

	g = tasked(&petrel__get_request__descriptor, env);
	ck_assert_str_eq(g->topic, topic);
	ck_assert_uint_eq(g->queue_id, qid);
	ck_assert_uint_eq(g->offset, offset);
	if (watch != -1)
		ck_assert_int_eq(g->watch, watch);
	ck_assert_int_eq(g->encode, 1);		/* a pull takes wire bytes */
	msg_free(g);
}

static void
tget(const char *topic, uint32_t qid, uint64_t offset, struct envelope *env)
{
	tget_watch(topic, qid, offset, -1, env);
}

/* A stored message of T at queue offset qoff, commit offset coff. */
static Petrel__StoreMessage *
tstored(const char *topic, uint64_t qoff, uint64_t coff, const char *body)
{
	Petrel__StoreMessage	*sm;
	uint8_t			 host[16];
	uint32_t		 port;

	sm = msg_new(&petrel__store_message__descriptor);
	msg_set_string(&sm->topic, topic);
	sm->queue_offset = qoff;
	sm->commit_offset = coff;
	msg_set_bytes(&sm->body, body, strlen(body));
	msg_set_string(&sm->tags, "a");
	msg_set_string(&sm->keys, "k1 k2");
	ck_assert_int_eq(brokermsg_parse_host(HOST, host, &port), 0);
	msg_set_bytes(&sm->store_host, host, 16);
	sm->store_port = port;
	return (sm);
}

/*
 * Add sm to gr as the dispatcher encodes it for a pull: the wire Message
 * as field 2 of a PullMessageResponse.  Frees sm.
 */
static void
tencode(Petrel__GetResponse *gr, Petrel__StoreMessage *sm)
{
	Petrel__Message	*m = brokermsg_to_wire(sm);
	size_t		 len = protobuf_c_message_get_packed_size(&m->base);
	uint8_t		*p;

	ck_assert_uint_lt(len, 128);		/* a one-byte length */
	gr->encoded.data = xrealloc(gr->encoded.data, gr->encoded.len + 2 +
	    len);
	p = gr->encoded.data + gr->encoded.len;
	p[0] = 2 << 3 | 2;
	p[1] = (uint8_t)len;
	protobuf_c_message_pack(&m->base, p + 2);
	gr->encoded.len += 2 + len;
	gr->n_encoded++;
	msg_free(m);
	msg_free(sm);
}

/*
 * m, of type desc: an EncodedAnswer's parts are decoded as one (and must
 * decode).
 */
static void *
tdecoded(void *m, const ProtobufCMessageDescriptor *desc)
{
	Petrel__EncodedAnswer	*ea = m;
	uint8_t			*buf;
	size_t			 i, len = 0;
	void			*out;

	if (!msg_is(m, &petrel__encoded_answer__descriptor))
		return (tis(m, desc));
	buf = xmalloc(1);
	for (i = 0; i < ea->n_parts; i++) {
		buf = xrealloc(buf, len + ea->parts[i].len + 1);
		memcpy(buf + len, ea->parts[i].data, ea->parts[i].len);
		len += ea->parts[i].len;
	}
	out = msg_unpack(desc, buf, len);
	ck_assert_msg(out != NULL, "the encoded answer is no %s", desc->name);
	free(buf);
	msg_free(ea);
	return (out);
}

/* Answer a GetRequest: status, offsets and n messages from next - n. */
static void
tanswer(struct envelope *env, uint32_t status, uint64_t next, uint64_t min,
    uint64_t max, size_t n)
{
	Petrel__GetResponse	*gr;
	char			 body[32];
	size_t			 i;

	gr = msg_new(&petrel__get_response__descriptor);
	gr->status = status;
	gr->next_offset = next;
	gr->min_offset = min;
	gr->max_offset = max;
	for (i = 0; i < n; i++) {
		snprintf(body, sizeof body, "body %zu", next - n + i);
		tencode(gr, tstored("T", next - n + i, 1000 * (next - n + i),
		    body));
	}
	ck_assert_int_eq(actor_reply(env, gr), 0);
	actor_run_pending(pl);
}

/* The answer the listener got, with cookie. */
static void *
tanswered(uint64_t cookie, const ProtobufCMessageDescriptor *desc)
{
	struct envelope		 env;
	ProtobufCMessage	*m;

	m = actor_pop(lis, &env);
	ck_assert_msg(m != NULL, "no answer");
	ck_assert_uint_eq(env.cookie, cookie);
	return (tdecoded(m, desc));
}

/* The PullMessageResponse of cookie: check status and offsets. */
static Petrel__PullMessageResponse *
tpulled(uint64_t cookie, uint32_t status, uint64_t next, size_t n)
{
	Petrel__PullMessageResponse	*r;

	r = tanswered(cookie, &petrel__pull_message_response__descriptor);
	ck_assert_uint_eq(r->status, status);
	ck_assert_uint_eq(r->next_offset, next);
	ck_assert_uint_eq(r->n_messages, n);
	return (r);
}

/* The Error of cookie with status; its text. */
static char *
terrored(uint64_t cookie, uint32_t status)
{
	Petrel__Error	*e;
	char		*text;

	e = tanswered(cookie, &petrel__error__descriptor);
	ck_assert_uint_eq(e->status, status);
	text = xstrdup(e->text);
	msg_free(e);
	return (text);
}

/* Expect an Error of status whose text holds want. */
static void
terror_has(uint64_t cookie, uint32_t status, const char *want)
{
	char	*text = terrored(cookie, status);

	ck_assert_msg(strstr(text, want) != NULL, "\"%s\" lacks \"%s\"",
	    text, want);
	free(text);
}

/* Tell the puller queue topic/qid ends at end now. */
static void
tarrived(const char *topic, uint32_t qid, uint64_t end)
{
	Petrel__QueuesArrived	*qa;
	Petrel__QueueOffset	*qo;

	qa = msg_new(&petrel__queues_arrived__descriptor);
	qo = msg_new(&petrel__queue_offset__descriptor);
	msg_set_string(&qo->topic, "other");
	qo->offset = 100;
	msg_array_add((void ***)&qa->queues, &qa->n_queues, qo);
	qo = msg_new(&petrel__queue_offset__descriptor);
	msg_set_string(&qo->topic, topic);
	qo->queue_id = qid;
	qo->offset = end;
	msg_array_add((void ***)&qa->queues, &qa->n_queues, qo);
	btsend(pl, qa);
}

/* Hold a pull of T/qid at offset (the dispatcher finds nothing). */
static void
thold(uint64_t cookie, uint64_t conn, uint32_t qid, uint64_t offset,
    uint32_t suspend)
{
	struct envelope	env;

	tpost(tpull_req("T", qid, offset, suspend), cookie, conn);
	tget_watch("T", qid, offset, 1, &env);	/* it may be held */
	tanswer(&env, PETREL__GET_STATUS__GET_OFFSET_OVERFLOW_ONE, offset, 0,
	    offset, 0);
	tquiet(lis);
}

START_TEST(test_found)
{
	Petrel__PullMessageRequest	*r;
	Petrel__PullMessageResponse	*resp;
	Petrel__GetRequest		*g;
	Petrel__Message			*m;
	struct envelope			 env;

	r = tpull_req("T", 1, 5, 0);
	r->max_bytes = 1000;
	r->tag_hashes = xcalloc(2, sizeof *r->tag_hashes);
	r->tag_hashes[0] = 11;
	r->tag_hashes[1] = 12;
	r->n_tag_hashes = 2;
	tpost(r, 1, CONN);
	g = tasked(&petrel__get_request__descriptor, &env);
	ck_assert_str_eq(g->topic, "T");
	ck_assert_uint_eq(g->queue_id, 1);
	ck_assert_uint_eq(g->offset, 5);
	ck_assert_uint_eq(g->max_count, 32);
	ck_assert_uint_eq(g->max_bytes, 1000);
	ck_assert_uint_eq(g->n_tag_hashes, 2);
	ck_assert_uint_eq(g->tag_hashes[0], 11);
	ck_assert_uint_eq(g->tag_hashes[1], 12);
	ck_assert(!g->watch);		/* never held */
	msg_free(g);
	tanswer(&env, PETREL__GET_STATUS__GET_FOUND, 8, 2, 20, 2);
	resp = tpulled(1, PETREL__STATUS__STATUS_OK, 8, 2);
	ck_assert_uint_eq(resp->min_offset, 2);
	ck_assert_uint_eq(resp->max_offset, 20);
	m = resp->messages[0];
	ck_assert_uint_eq(m->queue_offset, 6);
	ck_assert_uint_eq(m->commit_log_offset, 6000);
	ck_assert_str_eq(m->msg_id, HOST_ID "0000000000001770");
	ck_assert_str_eq(m->store_host, HOST);
	ck_assert_str_eq(m->tags, "a");
	ck_assert_uint_eq(m->n_keys, 2);
	ck_assert_uint_eq(m->body.len, 6);
	ck_assert_mem_eq(m->body.data, "body 6", 6);
	ck_assert_mem_eq(resp->messages[1]->body.data, "body 7", 6);
	msg_free(resp);

	/* No max_bytes is 4 MiB; a %RETRY% topic is pulled too. */
	tpost(tpull_req("%RETRY%g", 0, 0, 0), 2, CONN);
	g = tasked(&petrel__get_request__descriptor, &env);
	ck_assert_uint_eq(g->max_bytes, 4U << 20);
	ck_assert_uint_eq(g->n_tag_hashes, 0);
	msg_free(g);
	tanswer(&env, PETREL__GET_STATUS__GET_FOUND, 1, 0, 1, 1);
	msg_free(tpulled(2, PETREL__STATUS__STATUS_OK, 1, 1));
}
END_TEST

/* One GetStatus and what the pull is answered. */
struct tmap {
	uint32_t	get;
	uint64_t	offset;
	uint64_t	next, min, max;
	uint32_t	status;
	uint64_t	want_next;
};

START_TEST(test_status_map)
{
	static const struct tmap	 map[] = {
		/* Scanned some, none matched: come again from next. */
		{ PETREL__GET_STATUS__GET_NO_MATCHED_MESSAGE, 5, 9, 0, 20,
		  PETREL__STATUS__STATUS_OK, 9 },
		/* Scanned to the end: nothing new there. */
		{ PETREL__GET_STATUS__GET_NO_MATCHED_MESSAGE, 5, 20, 0, 20,
		  PETREL__STATUS__STATUS_PULL_NOT_FOUND, 20 },
		{ PETREL__GET_STATUS__GET_OFFSET_OVERFLOW_ONE, 20, 20, 0, 20,
		  PETREL__STATUS__STATUS_PULL_NOT_FOUND, 20 },
		{ PETREL__GET_STATUS__GET_NO_MESSAGE_IN_QUEUE, 0, 0, 0, 0,
		  PETREL__STATUS__STATUS_PULL_NOT_FOUND, 0 },
		{ PETREL__GET_STATUS__GET_NO_MESSAGE_IN_QUEUE, 30, 30, 30, 30,
		  PETREL__STATUS__STATUS_PULL_NOT_FOUND, 30 },
		{ PETREL__GET_STATUS__GET_NO_MESSAGE_IN_QUEUE, 5, 30, 30, 30,
		  PETREL__STATUS__STATUS_PULL_OFFSET_MOVED, 30 },
		{ PETREL__GET_STATUS__GET_NO_MATCHED_QUEUE, 0, 0, 0, 0,
		  PETREL__STATUS__STATUS_PULL_NOT_FOUND, 0 },
		{ PETREL__GET_STATUS__GET_NO_MATCHED_QUEUE, 7, 0, 0, 0,
		  PETREL__STATUS__STATUS_PULL_OFFSET_MOVED, 0 },
		{ PETREL__GET_STATUS__GET_OFFSET_TOO_SMALL, 1, 4, 4, 20,
		  PETREL__STATUS__STATUS_PULL_OFFSET_MOVED, 4 },
		{ PETREL__GET_STATUS__GET_OFFSET_OVERFLOW_BADLY, 99, 20, 4, 20,
		  PETREL__STATUS__STATUS_PULL_OFFSET_MOVED, 20 },
		{ PETREL__GET_STATUS__GET_OFFSET_FOUND_NULL, 5, 8, 4, 20,
		  PETREL__STATUS__STATUS_PULL_OFFSET_MOVED, 8 },
	};
	const struct tmap		*t;
	Petrel__PullMessageResponse	*resp;
	struct envelope			 env;
	size_t				 i;

	for (i = 0; i < sizeof map / sizeof map[0]; i++) {
		t = &map[i];
		tpost(tpull_req("T", 2, t->offset, 0), 100 + i, CONN);
		tget("T", 2, t->offset, &env);
		tanswer(&env, t->get, t->next, t->min, t->max, 0);
		resp = tanswered(100 + i,
		    &petrel__pull_message_response__descriptor);
		ck_assert_msg(resp->status == t->status &&
		    resp->next_offset == t->want_next,
		    "case %zu: status %u next %llu", i, resp->status,
		    (unsigned long long)resp->next_offset);
		ck_assert_uint_eq(resp->min_offset, t->min);
		ck_assert_uint_eq(resp->max_offset, t->max);
		ck_assert_uint_eq(resp->n_messages, 0);
		msg_free(resp);
	}

	/* A status the puller does not know; an error of the store. */
	tpost(tpull_req("T", 2, 0, 0), 1, CONN);
	tget("T", 2, 0, &env);
	tanswer(&env, 99, 0, 0, 0, 0);
	terror_has(1, PETREL__STATUS__STATUS_SYSTEM_ERROR, "99");
	tpost(tpull_req("T", 2, 0, 15000), 2, CONN);
	tget("T", 2, 0, &env);
	actor_reply_error(&env, PETREL__STATUS__STATUS_SERVICE_NOT_AVAILABLE,
	    "the store is not open");
	actor_run_pending(pl);
	terror_has(2, PETREL__STATUS__STATUS_SERVICE_NOT_AVAILABLE,
	    "not open");
}
END_TEST

START_TEST(test_hold_wakes)
{
	struct envelope	env;

	thold(1, CONN, 0, 10, 15000);
	/* Other queues, and the same end, do not wake it. */
	tarrived("T", 1, 11);
	tarrived("U", 0, 11);
	tarrived("T", 0, 10);
	tquiet(disp);
	/* A message lands: asked again at once, answered with it. */
	tarrived("T", 0, 11);
	tget("T", 0, 10, &env);
	tanswer(&env, PETREL__GET_STATUS__GET_FOUND, 11, 0, 11, 1);
	msg_free(tpulled(1, PETREL__STATUS__STATUS_OK, 11, 1));
	/* Answered: no longer held. */
	tarrived("T", 0, 12);
	tquiet(disp);

	/* Tags: scanned to the end without a match, held further on. */
	tpost(tpull_req("T", 0, 3, 15000), 2, CONN);
	tget("T", 0, 3, &env);
	tanswer(&env, PETREL__GET_STATUS__GET_NO_MATCHED_MESSAGE, 12, 0, 12,
	    0);
	tquiet(lis);
	tarrived("T", 0, 13);
	tget("T", 0, 12, &env);
	/* Again nothing that matches: held again, same deadline. */
	tanswer(&env, PETREL__GET_STATUS__GET_NO_MATCHED_MESSAGE, 13, 0, 13,
	    0);
	tquiet(lis);
	btclock(pl, T0 + 15000);
	bttick(pl, TIMER);
	tget("T", 0, 13, &env);
	tanswer(&env, PETREL__GET_STATUS__GET_OFFSET_OVERFLOW_ONE, 13, 0, 13,
	    0);
	msg_free(tpulled(2, PETREL__STATUS__STATUS_PULL_NOT_FOUND, 13, 0));

	/* Several held on one queue: each below the end wakes. */
	thold(3, CONN, 3, 5, 15000);
	thold(4, CONN, 3, 7, 15000);
	thold(5, CONN, 3, 6, 15000);
	tarrived("T", 3, 7);
	tget("T", 3, 5, &env);
	tanswer(&env, PETREL__GET_STATUS__GET_FOUND, 7, 0, 7, 2);
	tget("T", 3, 6, &env);
	tanswer(&env, PETREL__GET_STATUS__GET_FOUND, 7, 0, 7, 1);
	tquiet(disp);
	msg_free(tpulled(3, PETREL__STATUS__STATUS_OK, 7, 2));
	msg_free(tpulled(5, PETREL__STATUS__STATUS_OK, 7, 1));
	tarrived("T", 3, 8);
	tget("T", 3, 7, &env);
	tanswer(&env, PETREL__GET_STATUS__GET_FOUND, 8, 0, 8, 1);
	msg_free(tpulled(4, PETREL__STATUS__STATUS_OK, 8, 1));
}
END_TEST

START_TEST(test_hold_expires)
{
	Petrel__PullMessageResponse	*resp;
	struct envelope			 env;

	thold(1, CONN, 0, 10, 2000);
	thold(2, CONN, 1, 4, 1000);
	thold(3, CONN, 2, 0, 1500);
	/* Before any deadline nothing happens. */
	btclock(pl, T0 + 999);
	bttick(pl, TIMER);
	tquiet(disp);
	/* Deadlines pass in their order, each asked once more. */
	btclock(pl, T0 + 1500);
	bttick(pl, TIMER);
	tget_watch("T", 1, 4, 0, &env);		/* the last ask */
	tanswer(&env, PETREL__GET_STATUS__GET_OFFSET_OVERFLOW_ONE, 4, 2, 4, 0);
	tget("T", 2, 0, &env);
	tanswer(&env, PETREL__GET_STATUS__GET_NO_MATCHED_QUEUE, 0, 0, 0, 0);
	tquiet(disp);
	resp = tpulled(2, PETREL__STATUS__STATUS_PULL_NOT_FOUND, 4, 0);
	ck_assert_uint_eq(resp->min_offset, 2);
	ck_assert_uint_eq(resp->max_offset, 4);
	msg_free(resp);
	msg_free(tpulled(3, PETREL__STATUS__STATUS_PULL_NOT_FOUND, 0, 0));
	/* The last finds messages that came meanwhile: it gets them. */
	btclock(pl, T0 + 2000);
	bttick(pl, TIMER);
	tget("T", 0, 10, &env);
	tanswer(&env, PETREL__GET_STATUS__GET_FOUND, 12, 0, 12, 2);
	msg_free(tpulled(1, PETREL__STATUS__STATUS_OK, 12, 2));
	/* A tick with nothing held is harmless. */
	bttick(pl, TIMER);
	tquiet(disp);
}
END_TEST

START_TEST(test_closed)
{
	Petrel__ConnectionClosed	*cc;
	struct envelope			 env, asked;

	thold(1, CONN, 0, 10, 15000);
	thold(2, CONN + 1, 0, 10, 15000);
	thold(3, CONN, 1, 10, 15000);
	/* One of CONN waits on the dispatcher. */
	tpost(tpull_req("T", 2, 0, 15000), 4, CONN);
	tget("T", 2, 0, &asked);
	cc = msg_new(&petrel__connection_closed__descriptor);
	cc->conn = CONN;
	btsend(pl, cc);
	tarrived("T", 0, 11);
	tarrived("T", 1, 11);
	tget("T", 0, 10, &env);
	tquiet(disp);
	tanswer(&env, PETREL__GET_STATUS__GET_FOUND, 11, 0, 11, 1);
	msg_free(tpulled(2, PETREL__STATUS__STATUS_OK, 11, 1));
	/* The answer for the closed connection goes nowhere. */
	tanswer(&asked, PETREL__GET_STATUS__GET_FOUND, 1, 0, 1, 1);
	tquiet(lis);
}
END_TEST

START_TEST(test_commit)
{
	Petrel__PullMessageRequest		*r;
	Petrel__CommitConsumerOffsetsRequest	*c;
	struct envelope				 env;

	r = tpull_req("T", 3, 50, 0);
	r->commit_offset_set = 1;
	r->commit_offset = 42;
	tpost(r, 1, CONN);
	c = tis(actor_pop(om, &env),
	    &petrel__commit_consumer_offsets_request__descriptor);
	ck_assert_ptr_null(env.from);	/* no answer wanted */
	ck_assert_str_eq(c->group, "g");
	ck_assert_str_eq(c->client_id, "");
	ck_assert_uint_eq(c->n_offsets, 1);
	ck_assert_str_eq(c->offsets[0]->topic, "T");
	ck_assert_uint_eq(c->offsets[0]->queue_id, 3);
	ck_assert_uint_eq(c->offsets[0]->offset, 42);
	msg_free(c);
	tget("T", 3, 50, &env);
	tanswer(&env, PETREL__GET_STATUS__GET_FOUND, 51, 0, 51, 1);
	msg_free(tpulled(1, PETREL__STATUS__STATUS_OK, 51, 1));

	/* Without commit_offset_set nothing is committed. */
	tpost(tpull_req("T", 3, 51, 0), 2, CONN);
	tget("T", 3, 51, &env);
	tanswer(&env, PETREL__GET_STATUS__GET_OFFSET_OVERFLOW_ONE, 51, 0, 51,
	    0);
	msg_free(tpulled(2, PETREL__STATUS__STATUS_PULL_NOT_FOUND, 51, 0));
	tquiet(om);
}
END_TEST

/* A pull refused with status whose reason holds want. */
static void
tbad_pull(Petrel__PullMessageRequest *r, uint32_t status, const char *want)
{
	r->commit_offset_set = 1;
	tpost(r, 9, CONN);
	terror_has(9, status, want);
	tquiet(disp);
	tquiet(om);
}

START_TEST(test_bad_pull)
{
	Petrel__PullMessageRequest	*r;
	struct actor			*fresh;
	void				*m;

	r = tpull_req("T", 0, 0, 0);
	msg_set_string(&r->group, "");
	tbad_pull(r, PETREL__STATUS__STATUS_BAD_REQUEST, "group is empty");
	r = tpull_req("T", 0, 0, 0);
	msg_set_string(&r->group, "a b");
	tbad_pull(r, PETREL__STATUS__STATUS_BAD_REQUEST, "invalid character");
	tbad_pull(tpull_req("", 0, 0, 0), PETREL__STATUS__STATUS_BAD_REQUEST,
	    "topic is empty");
	tbad_pull(tpull_req("T/x", 0, 0, 0),
	    PETREL__STATUS__STATUS_BAD_REQUEST, "invalid character");
	r = tpull_req("T", 0, 0, 0);
	r->max_messages = 0;
	tbad_pull(r, PETREL__STATUS__STATUS_BAD_REQUEST, "max_messages 0");
	r = tpull_req("T", 0, 0, 0);
	r->max_messages = BROKER_PULL_MAX + 1;
	tbad_pull(r, PETREL__STATUS__STATUS_BAD_REQUEST, "max_messages 1025");
	r = tpull_req("T", 0, 0, 0);
	r->max_bytes = (64U << 20) + 1;
	tbad_pull(r, PETREL__STATUS__STATUS_BAD_REQUEST, "max_bytes");
	tbad_pull(tpull_req("T", 0, 0, BROKER_SUSPEND_MAX_MS + 1),
	    PETREL__STATUS__STATUS_BAD_REQUEST, "suspend_timeout_ms 60001");
	r = tpull_req("T", 0, 0, 0);
	r->n_tag_hashes = 65;
	r->tag_hashes = xcalloc(r->n_tag_hashes, sizeof *r->tag_hashes);
	tbad_pull(r, PETREL__STATUS__STATUS_BAD_REQUEST, "65 tag hashes");
	tpost(tpull_req("Nope", 0, 0, 0), 9, CONN);
	ttopic_lookup("Nope", 0);
	terror_has(9, PETREL__STATUS__STATUS_TOPIC_NOT_EXIST, "Nope");
	tbad_pull(tpull_req("W", 0, 0, 0),
	    PETREL__STATUS__STATUS_NO_PERMISSION, "not readable");

	/* A queue the topic does not have: an answer, not an error. */
	r = tpull_req("T", 4, 3, 0);
	r->commit_offset_set = 1;
	tpost(r, 9, CONN);
	msg_free(tpulled(9, PETREL__STATUS__STATUS_PULL_OFFSET_ILLEGAL, 3, 0));
	tquiet(om);

	/* The configured longest hold. */
	tconfig(5000);
	tbad_pull(tpull_req("T", 0, 0, 5001),
	    PETREL__STATUS__STATUS_BAD_REQUEST, "at most 5000");

	/* Not configured yet. */
	fresh = actor_spawn(NULL, &puller_actor, "fresh");
	m = tcall(fresh, lis, tpull_req("T", 0, 0, 0), CONN);
	terror(m, PETREL__STATUS__STATUS_SERVICE_NOT_AVAILABLE);
	msg_free(m);
	actor_free(fresh);
}
END_TEST

START_TEST(test_topics_changed)
{
	Petrel__TopicsChanged	*tc;
	struct envelope		 env;

	tpost(tpull_req("N", 0, 0, 0), 9, CONN);
	ttopic_lookup("N", 0);
	terror_has(9, PETREL__STATUS__STATUS_TOPIC_NOT_EXIST, "N");
	/* Made a moment ago: the table lags, the topic manager knows. */
	tpost(tpull_req("New", 0, 0, 0), 2, CONN);
	ttopic_lookup("New", 1);
	tget("New", 0, 0, &env);
	tanswer(&env, PETREL__GET_STATUS__GET_FOUND, 1, 0, 1, 1);
	msg_free(tpulled(2, PETREL__STATUS__STATUS_OK, 1, 1));
	tc = msg_new(&petrel__topics_changed__descriptor);
	btsend(pl, tc);
	ttable("N");
	tpost(tpull_req("N", 1, 0, 0), 1, CONN);
	tget("N", 1, 0, &env);
	tanswer(&env, PETREL__GET_STATUS__GET_FOUND, 1, 0, 1, 1);
	msg_free(tpulled(1, PETREL__STATUS__STATUS_OK, 1, 1));
}
END_TEST

/* Answer a QueueInfoRequest of T/qid (and ts) with found, min, max, t. */
static void
tinfo(uint32_t qid, uint64_t ts, int found, uint64_t min, uint64_t max,
    uint64_t t)
{
	Petrel__QueueInfoRequest	*q;
	Petrel__QueueInfoResponse	*a;
	struct envelope			 env;

	q = tasked(&petrel__queue_info_request__descriptor, &env);
	ck_assert_str_eq(q->topic, "T");
	ck_assert_uint_eq(q->queue_id, qid);
	ck_assert_uint_eq(q->timestamp_ms, ts);
	msg_free(q);
	a = msg_new(&petrel__queue_info_response__descriptor);
	a->found = found;
	a->min_offset = min;
	a->max_offset = max;
	a->offset_for_time = t;
	ck_assert_int_eq(actor_reply(&env, a), 0);
	actor_run_pending(pl);
}

/* A GetMin/GetMaxOffset or SearchOffsetByTime request (desc). */
static void *
toffset_req(const ProtobufCMessageDescriptor *desc, const char *topic,
    uint32_t qid, uint64_t ts)
{
	const ProtobufCFieldDescriptor	*f;
	char				*m;

	m = msg_new(desc);
	f = protobuf_c_message_descriptor_get_field_by_name(desc, "topic");
	msg_set_string((char **)(void *)(m + f->offset), topic);
	f = protobuf_c_message_descriptor_get_field_by_name(desc, "queue_id");
	*(uint32_t *)(void *)(m + f->offset) = qid;
	f = protobuf_c_message_descriptor_get_field_by_name(desc,
	    "timestamp_ms");
	if (f != NULL)
		*(uint64_t *)(void *)(m + f->offset) = ts;
	return (m);
}

#define tmin_req(t, q) \
	toffset_req(&petrel__get_min_offset_request__descriptor, t, q, 0)
#define tmax_req(t, q) \
	toffset_req(&petrel__get_max_offset_request__descriptor, t, q, 0)
#define tsearch_req(t, q, ts) \
	toffset_req(&petrel__search_offset_by_time_request__descriptor, t, \
	    q, ts)

/* The offset of the answer of cookie (any of the three responses). */
static uint64_t
toffset(uint64_t cookie)
{
	struct envelope		 env;
	ProtobufCMessage	*m;
	uint64_t		 off;

	m = actor_pop(lis, &env);
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(env.cookie, cookie);
	if (msg_is(m, &petrel__get_min_offset_response__descriptor))
		off = ((Petrel__GetMinOffsetResponse *)m)->offset;
	else if (msg_is(m, &petrel__get_max_offset_response__descriptor))
		off = ((Petrel__GetMaxOffsetResponse *)m)->offset;
	else
		off = ((Petrel__SearchOffsetByTimeResponse *)tis(m,
		    &petrel__search_offset_by_time_response__descriptor))->
		    offset;
	msg_free(m);
	return (off);
}

/*
 * Ask req of queue qid (time ts) whose range is [3, 9) if found, with
 * offset t for the time; the offset answered.
 */
static uint64_t
tqoffset(void *req, uint32_t qid, uint64_t ts, int found, uint64_t t)
{
	tpost(req, 1, CONN);
	tinfo(qid, ts, found, found ? 3 : 0, found ? 9 : 0, t);
	return (toffset(1));
}

START_TEST(test_offsets)
{
	ck_assert_uint_eq(tqoffset(tmin_req("T", 1), 1, 0, 1, 0), 3);
	ck_assert_uint_eq(tqoffset(tmax_req("T", 1), 1, 0, 1, 0), 9);
	ck_assert_uint_eq(tqoffset(tsearch_req("T", 1, 1234), 1, 1234, 1, 5),
	    5);
	/* Time 0 is the first message. */
	ck_assert_uint_eq(tqoffset(tsearch_req("T", 1, 0), 1, 0, 1, 0), 3);

	/* A queue of the topic with nothing stored yet. */
	ck_assert_uint_eq(tqoffset(tmin_req("T", 3), 3, 0, 0, 0), 0);
	ck_assert_uint_eq(tqoffset(tmax_req("T", 3), 3, 0, 0, 0), 0);
	ck_assert_uint_eq(tqoffset(tsearch_req("T", 3, 77), 3, 77, 0, 0), 0);

	/* Bad input. */
	tpost(tmin_req("Nope", 0), 8, CONN);
	ttopic_lookup("Nope", 0);
	terror_has(8, PETREL__STATUS__STATUS_TOPIC_NOT_EXIST, "Nope");
	tpost(tmax_req("T", 4), 8, CONN);
	terror_has(8, PETREL__STATUS__STATUS_BAD_REQUEST, "4 read queues");
	tpost(tsearch_req("a b", 0, 1), 8, CONN);
	terror_has(8, PETREL__STATUS__STATUS_BAD_REQUEST, "invalid character");
	tpost(tmin_req("", 0), 8, CONN);
	terror_has(8, PETREL__STATUS__STATUS_BAD_REQUEST, "topic is empty");
	tquiet(disp);
}
END_TEST

static void *
tbyid_req(const char *id, const char *topic)
{
	Petrel__QueryMessageByIdRequest	*r;

	r = msg_new(&petrel__query_message_by_id_request__descriptor);
	msg_set_string(&r->msg_id, id);
	msg_set_string(&r->topic, topic);
	return (r);
}

static void *
tbykey_req(const char *topic, const char *key, uint64_t begin, uint64_t end,
    uint32_t max)
{
	Petrel__QueryMessageByKeyRequest	*r;

	r = msg_new(&petrel__query_message_by_key_request__descriptor);
	msg_set_string(&r->topic, topic);
	msg_set_string(&r->key, key);
	r->begin_ms = begin;
	r->end_ms = end;
	r->max_messages = max;
	return (r);
}

/* The LookupRequest the dispatcher got. */
static Petrel__LookupRequest *
tlookup(struct envelope *env)
{
	return (tasked(&petrel__lookup_request__descriptor, env));
}

/* Answer a lookup with n messages at commit offsets coff, coff - 1000... */
static void
tfound(struct envelope *env, size_t n, uint64_t coff, const char *error)
{
	Petrel__LookupResponse	*l;
	size_t			 i;

	l = msg_new(&petrel__lookup_response__descriptor);
	for (i = 0; i < n; i++)
		msg_array_add((void ***)&l->messages, &l->n_messages,
		    tstored("T", 9 - i, coff - 1000 * i, "found"));
	msg_set_string(&l->error, error);
	ck_assert_int_eq(actor_reply(env, l), 0);
	actor_run_pending(pl);
}

START_TEST(test_by_id)
{
	Petrel__QueryMessageByIdResponse	*r;
	Petrel__LookupRequest			*l;
	struct envelope				 env;

	/* An offset id of this store. */
	tpost(tbyid_req(HOST_ID "000000000000A3C0", ""), 1, CONN);
	l = tlookup(&env);
	ck_assert_uint_eq(l->commit_offset, 41920);
	ck_assert_str_eq(l->uniq_id, "");
	ck_assert_str_eq(l->key, "");
	msg_free(l);
	tfound(&env, 1, 41920, "");
	r = tanswered(1, &petrel__query_message_by_id_response__descriptor);
	ck_assert_str_eq(r->message->msg_id, HOST_ID "000000000000A3C0");
	ck_assert_mem_eq(r->message->body.data, "found", 5);
	msg_free(r);

	/* Nothing at that offset. */
	tpost(tbyid_req(HOST_ID "000000000000A3C0", ""), 2, CONN);
	msg_free(tlookup(&env));
	tfound(&env, 0, 0, "offset past the end");
	terror_has(2, PETREL__STATUS__STATUS_NOT_FOUND,
	    HOST_ID "000000000000A3C0");

	/* A foreign id (port 10912) is looked up, but is not ours. */
	tpost(tbyid_req("7F00000100002AA0000000000000A3C0", ""), 3, CONN);
	l = tlookup(&env);
	ck_assert_uint_eq(l->commit_offset, 41920);
	msg_free(l);
	tfound(&env, 1, 41920, "");
	terror_has(3, PETREL__STATUS__STATUS_NOT_FOUND, "another broker");

	/* A unique id within a topic. */
	tpost(tbyid_req("C0A80001ABCD12345678", "T"), 4, CONN);
	l = tlookup(&env);
	ck_assert_str_eq(l->uniq_id, "C0A80001ABCD12345678");
	ck_assert_str_eq(l->topic, "T");
	msg_free(l);
	tfound(&env, 1, 5000, "");
	r = tanswered(4, &petrel__query_message_by_id_response__descriptor);
	ck_assert_uint_eq(r->message->commit_log_offset, 5000);
	msg_free(r);
	tpost(tbyid_req("C0A80001ABCD12345678", "T"), 5, CONN);
	msg_free(tlookup(&env));
	tfound(&env, 0, 0, "");
	terror_has(5, PETREL__STATUS__STATUS_NOT_FOUND, "in topic T");

	/* Looks like an offset id, is a unique id: found on the way back. */
	tpost(tbyid_req(HOST_ID "0000000000000001", "T"), 6, CONN);
	l = tlookup(&env);
	ck_assert_uint_eq(l->commit_offset, 1);
	msg_free(l);
	tfound(&env, 0, 0, "no record at 1");
	l = tlookup(&env);
	ck_assert_str_eq(l->uniq_id, HOST_ID "0000000000000001");
	msg_free(l);
	tfound(&env, 1, 7000, "");
	msg_free(tanswered(6,
	    &petrel__query_message_by_id_response__descriptor));

	/* Bad input: a unique id needs its topic. */
	tpost(tbyid_req("C0A80001ABCD12345678", ""), 7, CONN);
	terror_has(7, PETREL__STATUS__STATUS_BAD_REQUEST, "needs the topic");
	tpost(tbyid_req("", "T"), 7, CONN);
	terror_has(7, PETREL__STATUS__STATUS_BAD_REQUEST, "msg_id must be");
	tpost(tbyid_req("a b", "T"), 7, CONN);
	terror_has(7, PETREL__STATUS__STATUS_BAD_REQUEST, "msg_id must be");
	tpost(tbyid_req("x", "T!"), 7, CONN);
	terror_has(7, PETREL__STATUS__STATUS_BAD_REQUEST, "invalid character");
	tquiet(disp);
}
END_TEST

START_TEST(test_by_key)
{
	Petrel__QueryMessageByKeyResponse	*r;
	Petrel__LookupRequest			*l;
	struct envelope				 env;

	tpost(tbykey_req("T", "k1", 100, 0, 0), 1, CONN);
	l = tlookup(&env);
	ck_assert_str_eq(l->topic, "T");
	ck_assert_str_eq(l->key, "k1");
	ck_assert_uint_eq(l->begin_ms, 100);
	ck_assert_uint_eq(l->end_ms, 0);
	ck_assert_uint_eq(l->max, 32);
	msg_free(l);
	tfound(&env, 3, 9000, "");
	r = tanswered(1, &petrel__query_message_by_key_response__descriptor);
	ck_assert_uint_eq(r->n_messages, 3);
	/* Newest first, as the store gave them. */
	ck_assert_uint_eq(r->messages[0]->commit_log_offset, 9000);
	ck_assert_uint_eq(r->messages[2]->commit_log_offset, 7000);
	msg_free(r);

	tpost(tbykey_req("T", "k1", 100, 200, 5), 2, CONN);
	l = tlookup(&env);
	ck_assert_uint_eq(l->end_ms, 200);
	ck_assert_uint_eq(l->max, 5);
	msg_free(l);
	tfound(&env, 0, 0, "");
	terror_has(2, PETREL__STATUS__STATUS_NOT_FOUND, "key k1");

	tpost(tbykey_req("T", "", 0, 0, 0), 3, CONN);
	terror_has(3, PETREL__STATUS__STATUS_BAD_REQUEST, "key must be");
	tpost(tbykey_req("T", "a b", 0, 0, 0), 3, CONN);
	terror_has(3, PETREL__STATUS__STATUS_BAD_REQUEST, "key must be");
	tpost(tbykey_req("T", "k", 0, 0, 65), 3, CONN);
	terror_has(3, PETREL__STATUS__STATUS_BAD_REQUEST, "max_messages 65");
	tpost(tbykey_req("T", "k", 300, 200, 0), 3, CONN);
	terror_has(3, PETREL__STATUS__STATUS_BAD_REQUEST, "after end_ms");
	tpost(tbykey_req("", "k", 0, 0, 0), 3, CONN);
	terror_has(3, PETREL__STATUS__STATUS_BAD_REQUEST, "topic is empty");
	tquiet(disp);
}
END_TEST

START_TEST(test_view)
{
	Petrel__ViewMessageByOffsetRequest	*q;
	Petrel__ViewMessageByOffsetResponse	*r;
	Petrel__LookupRequest			*l;
	struct envelope				 env;

	q = msg_new(&petrel__view_message_by_offset_request__descriptor);
	q->commit_log_offset = 8000;
	tpost(q, 1, CONN);
	l = tlookup(&env);
	ck_assert_uint_eq(l->commit_offset, 8000);
	msg_free(l);
	tfound(&env, 1, 8000, "");
	r = tanswered(1, &petrel__view_message_by_offset_response__descriptor);
	ck_assert_uint_eq(r->message->commit_log_offset, 8000);
	msg_free(r);

	q = msg_new(&petrel__view_message_by_offset_request__descriptor);
	q->commit_log_offset = 8;
	tpost(q, 2, CONN);
	msg_free(tlookup(&env));
	tfound(&env, 0, 0, "not a record");
	terror_has(2, PETREL__STATUS__STATUS_NOT_FOUND,
	    "offset 8: not a record");
}
END_TEST

/* The messages_got counter. */
static uint64_t
tgot(void)
{
	Petrel__Counters	*c;
	uint64_t		 n;

	c = tis(tcall(pl, lis, msg_new(&petrel__counters_request__descriptor),
	    0), &petrel__counters__descriptor);
	ck_assert_uint_eq(c->n_counters, 1);
	ck_assert_str_eq(c->counters[0]->name, "messages_got");
	n = c->counters[0]->value;
	msg_free(c);
	return (n);
}

START_TEST(test_counters)
{
	struct envelope	env;

	ck_assert_uint_eq(tgot(), 0);
	tpost(tpull_req("T", 0, 0, 0), 1, CONN);
	tget("T", 0, 0, &env);
	tanswer(&env, PETREL__GET_STATUS__GET_FOUND, 3, 0, 3, 3);
	msg_free(tpulled(1, PETREL__STATUS__STATUS_OK, 3, 3));
	tpost(tpull_req("T", 1, 0, 0), 2, CONN);
	tget("T", 1, 0, &env);
	tanswer(&env, PETREL__GET_STATUS__GET_FOUND, 2, 0, 2, 2);
	msg_free(tpulled(2, PETREL__STATUS__STATUS_OK, 2, 2));
	ck_assert_uint_eq(tgot(), 5);
}
END_TEST

static void
tstop_answers(void)
{
	struct envelope		 env;
	ProtobufCMessage	*m;
	Petrel__PullMessageResponse *r;
	int			 held = 0, waiting = 0, query = 0;

	while ((m = actor_pop(lis, &env)) != NULL) {
		if (msg_is(m, &petrel__stopped__descriptor))
			ck_assert_uint_eq(env.cookie, TCOOKIE);
		else if (env.cookie == 1) {
			r = tdecoded(m,
			    &petrel__pull_message_response__descriptor);
			ck_assert_uint_eq(r->status,
			    PETREL__STATUS__STATUS_PULL_NOT_FOUND);
			ck_assert_uint_eq(r->next_offset, 10);
			held++;
			m = &r->base;
		} else {
			terror(m, PETREL__STATUS__STATUS_SERVICE_NOT_AVAILABLE);
			if (env.cookie == 2)
				waiting++;
			else
				query++;
		}
		msg_free(m);
	}
	ck_assert_int_eq(held, 1);
	ck_assert_int_eq(waiting, 1);
	ck_assert_int_eq(query, 1);
}

START_TEST(test_stop_answers)
{
	struct envelope	env, asked;

	thold(1, CONN, 0, 10, 15000);
	tpost(tpull_req("T", 1, 4, 15000), 2, CONN);
	tget("T", 1, 4, &asked);
	tpost(tmin_req("T", 1), 3, CONN);
	msg_free(tasked(&petrel__queue_info_request__descriptor, &env));
	tpost(msg_new(&petrel__stop__descriptor), TCOOKIE, 0);
	tstop_answers();
	/* Late answers go nowhere; new requests are refused. */
	tanswer(&asked, PETREL__GET_STATUS__GET_OFFSET_OVERFLOW_ONE, 4, 0, 4,
	    0);
	tarrived("T", 0, 11);
	tquiet(lis);
	tquiet(disp);
	tpost(tpull_req("T", 0, 0, 0), 4, CONN);
	terror_has(4, PETREL__STATUS__STATUS_SERVICE_NOT_AVAILABLE,
	    "stopping");
}
END_TEST

Suite *
puller_suite(void)
{
	const TTest	*tests[] = {
		test_found, test_status_map, test_hold_wakes,
		test_hold_expires, test_closed, test_commit, test_bad_pull,
		test_topics_changed, test_offsets, test_by_id, test_by_key,
		test_view, test_counters, test_stop_answers
	};
	Suite		*s = suite_create("puller");
	TCase		*tc;
	size_t		 i;

	/* One case a test, named as it (CK_RUN_CASE=test_by_id). */
	for (i = 0; i < sizeof tests / sizeof tests[0]; i++) {
		tc = tcase_create(tests[i]->name);
		tcase_add_checked_fixture(tc, setup, teardown);
		tcase_add_test(tc, tests[i]);
		suite_add_tcase(s, tc);
	}
	return (s);
}
