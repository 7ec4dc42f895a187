/*
 * Tests of actors/sender.c through detached actors: fake writer, topic
 * manager and dispatcher peers read what the sender asks and answer it by
 * hand.  Round robin and explicit queues, parked lookups, unknown and
 * read-only topics, every bad input, delayed messages, writer errors and
 * flush timeouts, batches, send-backs to the retry topic and the DLQ, a
 * busy writer and a stop with requests in flight.
 *
 * Sends travel as the listener hands them over (EncodedRequest), their
 * records are read back with commitlog_parse() and their answers decoded
 * with protobuf-c: what the sender lays out and encodes by hand is what
 * the writer and a client read.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actor.h"
#include "broker.h"
#include "commitlog.h"
#include "store_le.h"
#include "storemsg.h"
#include "log.h"
#include "msg.h"
#include "name.h"
#include "broker_testutil.h"
#include "namesrv_testutil.h"
#include "testutil.h"
#include "xmalloc.h"

#include "proto/broker.pb-c.h"
#include "proto/brokerd.pb-c.h"
#include "proto/namesrv.pb-c.h"
#include "proto/store.pb-c.h"
#include "proto/transport.pb-c.h"

#define TPORT		10911

static struct actor	*snd, *client, *writer, *tm, *disp;
static uint64_t		 tcookie;
static const uint8_t	 thost[16] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1
};

/* A topic's configuration. */
static Petrel__TopicConfig *
ttopic(const char *name, uint32_t queues, uint32_t perm)
{
	Petrel__TopicConfig	*tc;

	tc = msg_new(&petrel__topic_config__descriptor);
	msg_set_string(&tc->name, name);
	tc->read_queues = tc->write_queues = queues;
	tc->perm = perm;
	return (tc);
}

/* Pop what peer was sent, expecting type desc; env gets its envelope. */
static void *
tpop(struct actor *peer, const ProtobufCMessageDescriptor *desc,
    struct envelope *env)
{
	struct envelope		 got;
	ProtobufCMessage	*m;

	m = actor_pop(peer, env != NULL ? env : &got);
	ck_assert_msg(m != NULL, "%s was sent nothing", actor_name(peer));
	return (tis(m, desc));
}

/* Nothing more was sent to peer. */
static void
tnone(struct actor *peer)
{
	struct envelope	env;

	ck_assert_ptr_null(actor_pop(peer, &env));
}

/* Answer what a peer popped with env, and run the sender. */
static void
tanswer(const struct envelope *env, void *m)
{
	ck_assert_int_eq(actor_reply(env, m), 0);
	actor_run_pending(snd);
}

/*
 * A request as the listener hands it over: a send undecoded, as the
 * broker routes it, anything else as it is.
 */
static void *
tencode(void *req)
{
	Petrel__EncodedRequest	*er;
	ProtobufCMessage	*m = req;

	if (!msg_is(m, &petrel__send_message_request__descriptor) &&
	    !msg_is(m, &petrel__send_batch_request__descriptor))
		return (req);
	er = msg_new(&petrel__encoded_request__descriptor);
	er->code = msg_is(m, &petrel__send_batch_request__descriptor) ?
	    PETREL__REQUEST_CODE__CODE_SEND_BATCH :
	    PETREL__REQUEST_CODE__CODE_SEND_MESSAGE;
	er->body.len = protobuf_c_message_get_packed_size(m);
	er->body.data = xmalloc(er->body.len + 1);
	protobuf_c_message_pack(m, er->body.data);
	msg_free(m);
	return (er);
}

/* Post req to the sender as the listener would, and run it. */
static void
tpost(void *req)
{
	struct envelope		 env = { client, ++tcookie, 7 };

	ck_assert_int_eq(actor_post(snd, tencode(req), &env), 0);
	actor_run_pending(snd);
}

/*
 * The client's next answer, of type desc; env gets its envelope.  The
 * answer to a send comes encoded (EncodedAnswer): it is decoded as a
 * client would.
 */
static void *
tdecode(const ProtobufCMessageDescriptor *desc, struct envelope *env)
{
	Petrel__EncodedAnswer	*ea;
	ProtobufCMessage	*m;
	uint8_t			*buf;
	size_t			 i, len = 0;

	if (desc != &petrel__send_message_response__descriptor &&
	    desc != &petrel__send_batch_response__descriptor)
		return (tpop(client, desc, env));
	ea = tpop(client, &petrel__encoded_answer__descriptor, env);
	for (i = 0; i < ea->n_parts; i++)
		len += ea->parts[i].len;
	buf = xmalloc(len + 1);
	for (i = 0, len = 0; i < ea->n_parts; i++) {
		memcpy(buf + len, ea->parts[i].data, ea->parts[i].len);
		len += ea->parts[i].len;
	}
	m = msg_unpack(desc, buf, len);
	ck_assert_msg(m != NULL, "the answer does not decode as %s",
	    desc->name);
	free(buf);
	msg_free(ea);
	return (m);
}

/* The client's next answer, for the last request posted. */
static void *
tresp(const ProtobufCMessageDescriptor *desc)
{
	struct envelope		 env;
	void			*m;

	m = tdecode(desc, &env);
	ck_assert_uint_eq(env.cookie, tcookie);
	return (m);
}

/* Expect the client's next answer to be an Error; check its text. */
static void
terr(uint32_t status, const char *want)
{
	struct envelope	 env;
	ProtobufCMessage *m;

	m = actor_pop(client, &env);
	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(terror(m, status), want);
	msg_free(m);
}

/* Answer the topic manager's pending table request with these topics. */
static void
ttable(const char *extra)
{
	Petrel__TopicTable	*t;
	struct envelope		 env;

	msg_free(tpop(tm, &petrel__topic_table_request__descriptor, &env));
	t = msg_new(&petrel__topic_table__descriptor);
	msg_array_add((void ***)&t->topics, &t->n_topics, ttopic("%DLQ%g", 1,
	    6));
	msg_array_add((void ***)&t->topics, &t->n_topics, ttopic("%RETRY%g", 1,
	    6));
	msg_array_add((void ***)&t->topics, &t->n_topics, ttopic("RO", 4, 4));
	msg_array_add((void ***)&t->topics, &t->n_topics, ttopic("T", 4, 6));
	if (extra != NULL)
		msg_array_add((void ***)&t->topics, &t->n_topics,
		    ttopic(extra, 2, 6));
	tanswer(&env, t);
}

static Petrel__SenderConfig *
tconfig(void)
{
	Petrel__SenderConfig	*c;

	c = msg_new(&petrel__sender_config__descriptor);
	c->writer = actor_ref(writer);
	c->topic_manager = actor_ref(tm);
	c->dispatcher = actor_ref(disp);
	msg_set_bytes(&c->store_host, thost, 16);
	c->store_port = TPORT;
	return (c);
}

static void
setup(void)
{
	log_init("check", LOG_LEVEL_WARN);
	snd = actor_spawn(NULL, &sender_actor, "sender");
	client = actor_spawn(NULL, &tpeer_actor, "client");
	writer = actor_spawn(NULL, &tpeer_actor, "writer");
	tm = actor_spawn(NULL, &tpeer_actor, "topic_manager");
	disp = actor_spawn(NULL, &tpeer_actor, "dispatcher");
	tpost(tconfig());
	msg_free(tresp(&petrel__configured__descriptor));
	ttable(NULL);
}

static void
teardown(void)
{
	tnone(client);
	tnone(writer);
	tnone(tm);
	tnone(disp);
	actor_free(snd);
	actor_free(client);
	actor_free(writer);
	actor_free(tm);
	actor_free(disp);
}

/* An outgoing message with body, tags and unique id. */
static Petrel__OutgoingMessage *
tmsg(const char *body, const char *uniq)
{
	Petrel__OutgoingMessage	*om;

	om = msg_new(&petrel__outgoing_message__descriptor);
	msg_set_bytes(&om->body, body, strlen(body));
	msg_set_string(&om->tags, "tagA");
	msg_set_string(&om->unique_id, uniq);
	om->born_timestamp_ms = 1234;
	return (om);
}

static Petrel__SendMessageRequest *
tsend_req(const char *topic, int32_t qid, const char *body)
{
	Petrel__SendMessageRequest	*r;

	r = msg_new(&petrel__send_message_request__descriptor);
	msg_set_string(&r->producer_group, "pg");
	msg_set_string(&r->topic, topic);
	r->queue_id = qid;
	msg_set_string(&r->born_host, "10.0.0.1:5000");
	r->message = tmsg(body, "U1");
	return (r);
}

/*
 * The writer's next PutRequest, with n messages; env for the answer.  Its
 * records, read back as the writer reads them, become its messages.
 */
static Petrel__PutRequest *
tput(size_t n, struct envelope *env)
{
	Petrel__PutRequest	*put;
	struct commitlog_msg	 cm;
	const uint8_t		*p;
	size_t			 i, left;
	char			*cause = NULL;

	put = tpop(writer, &petrel__put_request__descriptor, env);
	p = put->records.data;
	left = put->records.len;
	for (i = 0; i < put->n_records; i++) {
		ck_assert_uint_ge(left, 4);
		ck_assert_msg(commitlog_parse(p, le32dec(p), &cm, &cause) == 0,
		    "record %zu: %s", i, cause);
		ck_assert_uint_eq(cm.queue_offset, 0);
		ck_assert_uint_eq(cm.store_ts, 0);
		msg_array_add((void ***)&put->messages, &put->n_messages,
		    storemsg_from_record(&cm));
		p += cm.size;
		left -= cm.size;
	}
	ck_assert_uint_eq(left, 0);
	ck_assert_uint_eq(put->n_messages, n);
	return (put);
}

/* Answer a put of n messages stored at queue offset qo, commit off co. */
static void
tstored(const struct envelope *env, uint32_t status, size_t n, uint64_t qo,
    uint64_t co)
{
	Petrel__PutResponse	*pr;
	Petrel__PutResult	*res;
	size_t			 i;

	pr = msg_new(&petrel__put_response__descriptor);
	pr->status = status;
	for (i = 0; i < n; i++) {
		res = msg_new(&petrel__put_result__descriptor);
		res->queue_offset = qo + i;
		res->commit_offset = co + 100 * i;
		msg_array_add((void ***)&pr->results, &pr->n_results, res);
	}
	tanswer(env, pr);
}

/* Expect result to say it is at qid/qo/co. */
static void
tresult_is(const Petrel__SendResult *res, const char *uniq, uint32_t qid,
    uint64_t qo, uint64_t co)
{
	char	id[BROKERMSG_ID_MAX];

	ck_assert_ptr_nonnull(res);
	brokermsg_id(thost, TPORT, co, id);
	ck_assert_str_eq(res->msg_id, id);
	ck_assert_str_eq(res->unique_id, uniq);
	ck_assert_uint_eq(res->queue_id, qid);
	ck_assert_uint_eq(res->queue_offset, qo);
	ck_assert_uint_eq(res->commit_log_offset, co);
}

/* Expect the client's answer to a send stored at qid/qo/co. */
static void
tsent_is(uint32_t status, uint32_t qid, uint64_t qo, uint64_t co)
{
	Petrel__SendMessageResponse	*resp;

	resp = tresp(&petrel__send_message_response__descriptor);
	ck_assert_uint_eq(resp->status, status);
	tresult_is(resp->result, "U1", qid, qo, co);
	msg_free(resp);
}

/*
 * Expect the writer's put of one message to topic and qid, store it at
 * qo/co and expect the client's answer to say so.
 */
static void
tsend_ok(const char *topic, uint32_t qid, uint64_t qo, uint64_t co)
{
	Petrel__PutRequest	*put;
	struct envelope		 env;

	put = tput(1, &env);
	ck_assert_str_eq(put->messages[0]->topic, topic);
	ck_assert_uint_eq(put->messages[0]->queue_id, qid);
	msg_free(put);
	tnone(client);
	tstored(&env, 0, 1, qo, co);
	tsent_is(0, qid, qo, co);
}

/* The value of property name of sm, which must have it. */
static const char *
tprop(const Petrel__StoreMessage *sm, const char *name)
{
	const char	*v = brokermsg_prop(sm, name);

	ck_assert_msg(v != NULL, "no property %s", name);
	return (v);
}

START_TEST(test_round_robin)
{
	Petrel__PutRequest	*put;
	Petrel__StoreMessage	*sm;
	struct envelope		 env;
	uint8_t			 born[16];
	uint32_t		 port;
	int			 i;

	for (i = 0; i < 6; i++) {
		tpost(tsend_req("T", -1, "hello"));
		put = tput(1, &env);
		sm = put->messages[0];
		ck_assert_str_eq(sm->topic, "T");
		ck_assert_uint_eq(sm->queue_id, i % 4);
		ck_assert_uint_eq(sm->body.len, 5);
		ck_assert_mem_eq(sm->body.data, "hello", 5);
		ck_assert_str_eq(sm->tags, "tagA");
		ck_assert_str_eq(sm->uniq_id, "U1");
		ck_assert_uint_eq(sm->born_ts, 1234);
		ck_assert_int_eq(brokermsg_parse_host("10.0.0.1:5000", born,
		    &port), 0);
		ck_assert_mem_eq(sm->born_host.data, born, 16);
		ck_assert_uint_eq(sm->born_port, 5000);
		ck_assert_uint_eq(sm->n_properties, 0);
		msg_free(put);
		tnone(client);
		tstored(&env, 0, 1, 10 + i, 1000 * i);
		tsent_is(0, i % 4, 10 + i, 1000 * i);
	}
}
END_TEST

START_TEST(test_explicit_queue)
{
	Petrel__SendMessageRequest	*r;
	Petrel__PutRequest		*put;
	struct envelope			 env;

	tpost(tsend_req("T", 2, "x"));
	tsend_ok("T", 2, 0, 64);

	tpost(tsend_req("T", 4, "x"));
	terr(PETREL__STATUS__STATUS_BAD_REQUEST,
	    "queue_id 4: topic T has 4 write queues");

	/* A consumer's own resend to its retry topic, with its counts. */
	r = tsend_req("%RETRY%g", 0, "again");
	r->reconsume_times = 3;
	r->max_reconsume_times = 5;
	tpost(r);
	put = tput(1, &env);
	ck_assert_str_eq(put->messages[0]->topic, "%RETRY%g");
	ck_assert_uint_eq(put->messages[0]->reconsume, 3);
	ck_assert_str_eq(tprop(put->messages[0], BROKER_PROP_MAX_RECONSUME),
	    "5");
	msg_free(put);
	tstored(&env, 0, 1, 0, 0);
	tsent_is(0, 0, 0, 0);
}
END_TEST

START_TEST(test_park)
{
	Petrel__TopicLookup		*tl;
	Petrel__TopicLookupResult	*res;
	Petrel__PutRequest		*put;
	struct envelope			 env, wenv[2];

	tpost(tsend_req("N", -1, "a"));
	tpost(tsend_req("N", -1, "b"));
	tl = tpop(tm, &petrel__topic_lookup__descriptor, &env);
	ck_assert_str_eq(tl->topic, "N");
	ck_assert(tl->create);
	msg_free(tl);
	tnone(tm);
	tnone(writer);
	tnone(client);

	res = msg_new(&petrel__topic_lookup_result__descriptor);
	res->found = res->created = 1;
	res->config = ttopic("N", 2, 6);
	tanswer(&env, res);
	put = tput(1, &wenv[0]);
	ck_assert_str_eq(put->messages[0]->topic, "N");
	ck_assert_uint_eq(put->messages[0]->queue_id, 0);
	ck_assert_mem_eq(put->messages[0]->body.data, "a", 1);
	msg_free(put);
	put = tput(1, &wenv[1]);
	ck_assert_uint_eq(put->messages[0]->queue_id, 1);
	ck_assert_mem_eq(put->messages[0]->body.data, "b", 1);
	msg_free(put);
	tstored(&wenv[0], 0, 1, 0, 0);
	tstored(&wenv[1], 0, 1, 0, 50);
	msg_free(tdecode(&petrel__send_message_response__descriptor, NULL));
	msg_free(tdecode(&petrel__send_message_response__descriptor, NULL));

	/* Now known: no lookup. */
	tpost(tsend_req("N", -1, "c"));
	tnone(tm);
	tsend_ok("N", 0, 1, 100);
}
END_TEST

START_TEST(test_topic_not_found)
{
	Petrel__TopicLookupResult	*res;
	Petrel__Error			*e;
	struct envelope			 env;

	tpost(tsend_req("N", -1, "a"));
	msg_free(tpop(tm, &petrel__topic_lookup__descriptor, &env));
	res = msg_new(&petrel__topic_lookup_result__descriptor);
	tanswer(&env, res);
	terr(PETREL__STATUS__STATUS_TOPIC_NOT_EXIST,
	    "topic N does not exist (autoCreateTopicEnable is off)");

	/* Asked again next time; an Error answer reaches the client. */
	tpost(tsend_req("N", -1, "a"));
	msg_free(tpop(tm, &petrel__topic_lookup__descriptor, &env));
	e = msg_new(&petrel__error__descriptor);
	e->status = PETREL__STATUS__STATUS_SERVICE_NOT_AVAILABLE;
	msg_set_string(&e->text, "topic manager not configured");
	tanswer(&env, e);
	terr(PETREL__STATUS__STATUS_SERVICE_NOT_AVAILABLE,
	    "topic manager not configured");
}
END_TEST

START_TEST(test_not_writable)
{
	tpost(tsend_req("RO", -1, "a"));
	terr(PETREL__STATUS__STATUS_NOT_WRITABLE, "topic RO is not writable");
	tpost(tsend_req("RO", 0, "a"));
	terr(PETREL__STATUS__STATUS_NOT_WRITABLE, "topic RO is not writable");
}
END_TEST

/* A send of code whose body is the len bytes at body, as they are. */
static Petrel__EncodedRequest *
tbody(uint32_t code, const char *body, size_t len)
{
	Petrel__EncodedRequest	*er;

	er = msg_new(&petrel__encoded_request__descriptor);
	er->code = code;
	msg_set_bytes(&er->body, body, len);
	return (er);
}

static void
tbad(void *req, const char *want)
{
	tpost(req);
	terr(PETREL__STATUS__STATUS_BAD_REQUEST, want);
	tnone(writer);
	tnone(tm);
	tnone(disp);
}

START_TEST(test_bad_input)
{
	Petrel__SendMessageRequest	*r;
	Petrel__TopicLookup		*lookup;
	struct envelope			 env;
	char				*big, name[NAME_LEN_MAX + 2], want[256];
	size_t				 i;

	r = tsend_req("T", -1, "a");
	msg_set_string(&r->producer_group, "");
	tbad(r, "producer_group is empty");
	r = tsend_req("T", -1, "a");
	msg_set_string(&r->producer_group, "p g");
	tbad(r, "producer_group \"p g\" has an invalid character at byte 1");
	tbad(tsend_req("", -1, "a"), "topic is empty");
	tbad(tsend_req("a/b", -1, "a"),
	    "topic \"a/b\" has an invalid character at byte 1");
	/* Names as lib/name.h has them: no '|', 127 bytes at most. */
	tbad(tsend_req("a|b", -1, "a"),
	    "topic \"a|b\" has an invalid character at byte 1");
	r = tsend_req("T", -1, "a");
	msg_set_string(&r->producer_group, "p|g");
	tbad(r, "producer_group \"p|g\" has an invalid character at byte 1");
	memset(name, 'n', NAME_LEN_MAX + 1);
	name[NAME_LEN_MAX + 1] = '\0';
	tbad(tsend_req(name, -1, "a"), "topic is longer than 127 bytes");
	r = tsend_req("T", -1, "a");
	msg_set_string(&r->producer_group, name);
	tbad(r, "producer_group is longer than 127 bytes");
	name[NAME_LEN_MAX] = '\0';
	tpost(tsend_req(name, -1, "a"));	/* fine: looked up */
	lookup = tpop(tm, &petrel__topic_lookup__descriptor, &env);
	ck_assert_str_eq(lookup->topic, name);
	msg_free(lookup);
	tanswer(&env, msg_new(&petrel__topic_lookup_result__descriptor));
	snprintf(want, sizeof want, "topic %s does not exist "
	    "(autoCreateTopicEnable is off)", name);
	terr(PETREL__STATUS__STATUS_TOPIC_NOT_EXIST, want);
	tbad(tsend_req("%DELAY%", -1, "a"), "topic %DELAY% is a system topic");
	tbad(tsend_req("%DLQ%g", -1, "a"), "topic %DLQ%g is a system topic");
	tbad(tsend_req("%RETRY%", -1, "a"),
	    "topic %RETRY% is a system topic");
	tbad(tsend_req("T", -2, "a"), "queue_id -2: -1 or a queue");
	r = tsend_req("T", -1, "a");
	msg_free(r->message);
	r->message = NULL;
	tbad(r, "message is missing");
	r = tsend_req("T", -1, "a");
	r->message->delay_level = 19;
	tbad(r, "delay_level 19: 0-18");
	r = tsend_req("T", -1, "a");
	msg_set_string(&r->born_host, "nowhere");
	tbad(r, "born_host \"nowhere\" is not host:port");

	/* A message the helper refuses is MESSAGE_ILLEGAL. */
	r = tsend_req("T", -1, "a");
	msg_set_string(&r->message->tags, "a||b");
	tpost(r);
	terr(PETREL__STATUS__STATUS_MESSAGE_ILLEGAL,
	    "tags must be one tag of at most 255 bytes without \"||\"");

	/* "" is a fine born host; one too long for a host is not. */
	r = tsend_req("T", 1, "a");
	msg_set_string(&r->born_host, "");
	tpost(r);
	msg_free(tput(1, NULL));
	r = tsend_req("T", -1, "a");
	r->born_host = xrealloc(r->born_host, 400);
	memset(r->born_host, '1', 399);
	memcpy(r->born_host, "1.2.3.4:80", 10);
	r->born_host[399] = '\0';
	tbad(r, "born_host \"-\" is not host:port");

	/* A batch of 100,000 empty messages is refused by its count. */
	big = xmalloc(7 + 2 * 100000);
	memcpy(big, "\x0a\x02pg\x12\x01T", 7);
	for (i = 0; i < 100000; i++)
		memcpy(big + 7 + 2 * i, "\x2a\x00", 2);
	tbad(tbody(PETREL__REQUEST_CODE__CODE_SEND_BATCH, big, 7 + 2 * 100000),
	    "100000 messages: 1-1024 in a batch");
	free(big);

	/* An empty body is a request of empty fields. */
	tbad(tbody(PETREL__REQUEST_CODE__CODE_SEND_BATCH, "", 0),
	    "producer_group is empty");

	/* Bodies that do not decode, whole or in a message. */
	tbad(tbody(PETREL__REQUEST_CODE__CODE_SEND_MESSAGE, "\x12\x05T", 3),
	    "request body does not decode");
	tbad(tbody(PETREL__REQUEST_CODE__CODE_SEND_BATCH,
	    "\x2a\x02\x08\x01", 4), "request body does not decode");
	tbad(tbody(PETREL__REQUEST_CODE__CODE_SEND_MESSAGE, "\x18\x01\x2a\x00"
	    "\x2a\x00", 6), "request body does not decode");
	tpost(tbody(PETREL__REQUEST_CODE__CODE_PULL_MESSAGE, "", 0));
	terr(PETREL__STATUS__STATUS_REQUEST_CODE_NOT_SUPPORTED,
	    "request code 210 is not a send");
}
END_TEST

START_TEST(test_delay)
{
	Petrel__SendMessageRequest	*r;
	Petrel__PutRequest		*put;
	Petrel__StoreMessage		*sm;
	struct envelope			 env;

	r = tsend_req("T", 1, "later");
	r->message->delay_level = 3;
	tpost(r);
	put = tput(1, &env);
	sm = put->messages[0];
	ck_assert_str_eq(sm->topic, BROKER_DELAY_TOPIC);
	ck_assert_uint_eq(sm->queue_id, 2);
	ck_assert_str_eq(tprop(sm, BROKER_PROP_REAL_TOPIC), "T");
	ck_assert_str_eq(tprop(sm, BROKER_PROP_REAL_QID), "1");
	ck_assert_str_eq(tprop(sm, BROKER_PROP_DELAY), "3");
	ck_assert_mem_eq(sm->body.data, "later", 5);
	msg_free(put);
	tstored(&env, 0, 1, 9, 4096);
	/* The real queue, offset 0: it is not there yet. */
	tsent_is(0, 1, 0, 4096);

	r = tsend_req("T", -1, "later");
	r->message->delay_level = 18;
	tpost(r);
	put = tput(1, &env);
	ck_assert_uint_eq(put->messages[0]->queue_id, 17);
	ck_assert_str_eq(tprop(put->messages[0], BROKER_PROP_REAL_QID), "0");
	msg_free(put);
	tstored(&env, 0, 1, 0, 0);
	tsent_is(0, 0, 0, 0);
}
END_TEST

START_TEST(test_writer_error)
{
	Petrel__PutResponse	*pr;
	Petrel__Error		*e;
	struct envelope		 env;

	tpost(tsend_req("T", -1, "a"));
	msg_free(tput(1, &env));
	pr = msg_new(&petrel__put_response__descriptor);
	pr->status = PETREL__STORE_STATUS__STORE_MESSAGE_ILLEGAL;
	msg_set_string(&pr->reason, "message 0: body over 4194304 bytes");
	tanswer(&env, pr);
	terr(PETREL__STATUS__STATUS_MESSAGE_ILLEGAL,
	    "message 0: body over 4194304 bytes");

	tpost(tsend_req("T", -1, "a"));
	msg_free(tput(1, &env));
	e = msg_new(&petrel__error__descriptor);
	e->status = PETREL__STATUS__STATUS_SERVICE_NOT_AVAILABLE;
	msg_set_string(&e->text, "the disk is full");
	tanswer(&env, e);
	terr(PETREL__STATUS__STATUS_SERVICE_NOT_AVAILABLE, "the disk is full");

	/* A PutResponse with the wrong number of results is the broker's. */
	tpost(tsend_req("T", -1, "a"));
	msg_free(tput(1, &env));
	tstored(&env, 0, 2, 0, 0);
	terr(PETREL__STATUS__STATUS_SYSTEM_ERROR,
	    "the store answered 2 results");
}
END_TEST

START_TEST(test_flush_timeout)
{
	Petrel__SendMessageResponse	*resp;
	Petrel__PutResponse		*pr;
	struct envelope			 env;

	tpost(tsend_req("T", 3, "a"));
	msg_free(tput(1, &env));
	tstored(&env, PETREL__STORE_STATUS__STORE_FLUSH_DISK_TIMEOUT, 1, 5,
	    700);
	tsent_is(PETREL__STATUS__STATUS_FLUSH_DISK_TIMEOUT, 3, 5, 700);

	/* The writer's timeout comes without results: stored all the same. */
	tpost(tsend_req("T", 3, "a"));
	msg_free(tput(1, &env));
	pr = msg_new(&petrel__put_response__descriptor);
	pr->status = PETREL__STORE_STATUS__STORE_FLUSH_DISK_TIMEOUT;
	msg_set_string(&pr->reason, "not on disk within 5000 ms");
	tanswer(&env, pr);
	resp = tresp(&petrel__send_message_response__descriptor);
	ck_assert_uint_eq(resp->status,
	    PETREL__STATUS__STATUS_FLUSH_DISK_TIMEOUT);
	ck_assert_str_eq(resp->result->unique_id, "U1");
	ck_assert_uint_eq(resp->result->queue_id, 3);
	msg_free(resp);
}
END_TEST

static Petrel__SendBatchRequest *
tbatch_req(const char *topic, int32_t qid, size_t n)
{
	Petrel__SendBatchRequest	*r;
	char				 body[32], uniq[32];
	size_t				 i;

	r = msg_new(&petrel__send_batch_request__descriptor);
	msg_set_string(&r->producer_group, "pg");
	msg_set_string(&r->topic, topic);
	r->queue_id = qid;
	for (i = 0; i < n; i++) {
		snprintf(body, sizeof body, "body%zu", i);
		snprintf(uniq, sizeof uniq, "U%zu", i);
		msg_array_add((void ***)&r->messages, &r->n_messages,
		    tmsg(body, uniq));
	}
	return (r);
}

START_TEST(test_batch)
{
	Petrel__SendBatchRequest	*r;
	Petrel__SendBatchResponse	*resp;
	Petrel__PutRequest		*put;
	struct envelope			 env;
	char				 want[32];
	size_t				 i;

	tpost(tsend_req("T", -1, "a"));		/* takes queue 0 */
	msg_free(tput(1, &env));
	tstored(&env, 0, 1, 0, 0);
	msg_free(tresp(&petrel__send_message_response__descriptor));

	tpost(tbatch_req("T", -1, 3));
	put = tput(3, &env);
	for (i = 0; i < 3; i++) {
		snprintf(want, sizeof want, "body%zu", i);
		ck_assert_str_eq(put->messages[i]->topic, "T");
		ck_assert_uint_eq(put->messages[i]->queue_id, 1);
		ck_assert_uint_eq(put->messages[i]->body.len, strlen(want));
		ck_assert_mem_eq(put->messages[i]->body.data, want,
		    strlen(want));
	}
	msg_free(put);
	tstored(&env, 0, 3, 20, 5000);
	resp = tresp(&petrel__send_batch_response__descriptor);
	ck_assert_uint_eq(resp->status, 0);
	ck_assert_uint_eq(resp->n_results, 3);
	for (i = 0; i < 3; i++) {
		snprintf(want, sizeof want, "U%zu", i);
		tresult_is(resp->results[i], want, 1, 20 + i, 5000 + 100 * i);
	}
	msg_free(resp);

	/* One queue asked for all. */
	tpost(tbatch_req("T", 3, 2));
	put = tput(2, &env);
	ck_assert_uint_eq(put->messages[0]->queue_id, 3);
	ck_assert_uint_eq(put->messages[1]->queue_id, 3);
	msg_free(put);
	tstored(&env, 0, 2, 0, 0);
	msg_free(tresp(&petrel__send_batch_response__descriptor));

	/* Limits. */
	tbad(tbatch_req("T", -1, 0), "0 messages: 1-1024 in a batch");
	tbad(tbatch_req("T", -1, BROKER_BATCH_SEND_MAX + 1),
	    "1025 messages: 1-1024 in a batch");
	r = tbatch_req("T", -1, 2);
	r->messages[1]->delay_level = 1;
	tbad(r, "message 1: a batch cannot have a delay_level");
	r = tbatch_req("T", -1, 2);
	msg_free(r->messages[0]);
	r->messages[0] = tmsg("", "U0");
	free(r->messages[0]->body.data);
	r->messages[0]->body.data = xcalloc(1, 3 * 1024 * 1024);
	r->messages[0]->body.len = 3 * 1024 * 1024;
	free(r->messages[1]->body.data);
	r->messages[1]->body.data = xcalloc(1, 1024 * 1024 + 1);
	r->messages[1]->body.len = 1024 * 1024 + 1;
	tbad(r, "bodies take 4194305 bytes: at most 4194304 in a batch");
	tbad(tbatch_req("%DELAY%", -1, 1), "topic %DELAY% is a system topic");
	r = tbatch_req("T", -1, 2);
	msg_set_string(&r->messages[1]->unique_id, "a b");
	tpost(r);
	terr(PETREL__STATUS__STATUS_MESSAGE_ILLEGAL, "message 1: unique_id "
	    "must be at most 64 printable bytes without spaces");
	tpost(tbatch_req("RO", -1, 1));
	terr(PETREL__STATUS__STATUS_NOT_WRITABLE, "topic RO is not writable");
}
END_TEST

/* A send-back of the message at off; group g unless said. */
static Petrel__ConsumerSendBackRequest *
tback_req(const char *group, uint64_t off, int32_t level, uint32_t max)
{
	Petrel__ConsumerSendBackRequest	*r;

	r = msg_new(&petrel__consumer_send_back_request__descriptor);
	msg_set_string(&r->group, group);
	r->commit_log_offset = off;
	msg_set_string(&r->original_topic, "T");
	r->delay_level = level;
	r->max_reconsume_times = max;
	return (r);
}

/* A stored message of topic, tried reconsume times, at offset off. */
static Petrel__StoreMessage *
tstored_msg(const char *topic, uint32_t reconsume, uint64_t off)
{
	Petrel__StoreMessage	*sm;

	sm = msg_new(&petrel__store_message__descriptor);
	msg_set_string(&sm->topic, topic);
	sm->queue_id = 2;
	sm->reconsume = reconsume;
	sm->born_ts = 77;
	msg_set_string(&sm->tags, "tagA");
	msg_set_string(&sm->keys, "k1 k2");
	msg_set_string(&sm->uniq_id, "UB");
	msg_set_bytes(&sm->body, "payload", 7);
	msg_set_bytes(&sm->store_host, thost, 16);
	sm->store_port = TPORT;
	sm->commit_offset = off;
	sm->queue_offset = 33;
	brokermsg_set_prop(sm, "mine", "yes");
	return (sm);
}

/* Answer the dispatcher's lookup of off with sm (NULL: nothing there). */
static void
tfound(uint64_t off, Petrel__StoreMessage *sm)
{
	Petrel__LookupRequest	*lr;
	Petrel__LookupResponse	*resp;
	struct envelope		 env;

	lr = tpop(disp, &petrel__lookup_request__descriptor, &env);
	ck_assert_uint_eq(lr->commit_offset, off);
	ck_assert_str_eq(lr->uniq_id, "");
	msg_free(lr);
	resp = msg_new(&petrel__lookup_response__descriptor);
	if (sm != NULL)
		msg_array_add((void ***)&resp->messages, &resp->n_messages, sm);
	else
		msg_set_string(&resp->error, "offset past the end");
	tanswer(&env, resp);
}

/* Expect the copy a send-back stored; answers it and checks the reply. */
static Petrel__StoreMessage *
tback_put(const char *topic, struct envelope *env)
{
	Petrel__PutRequest	*put;
	Petrel__StoreMessage	*sm;

	put = tput(1, env);
	sm = put->messages[0];
	put->messages[0] = NULL;
	put->n_messages = 0;
	msg_free(put);
	ck_assert_str_eq(sm->topic, topic);
	ck_assert_uint_eq(sm->body.len, 7);
	ck_assert_mem_eq(sm->body.data, "payload", 7);
	ck_assert_str_eq(sm->tags, "tagA");
	ck_assert_str_eq(sm->keys, "k1 k2");
	ck_assert_str_eq(sm->uniq_id, "UB");
	ck_assert_uint_eq(sm->born_ts, 77);
	ck_assert_str_eq(tprop(sm, "mine"), "yes");
	return (sm);
}

/* Expect the client's answer to a send-back stored in topic. */
static void
tback_is(const char *topic)
{
	Petrel__ConsumerSendBackResponse	*resp;

	resp = tresp(&petrel__consumer_send_back_response__descriptor);
	ck_assert_str_eq(resp->topic, topic);
	msg_free(resp);
}

START_TEST(test_back_retry)
{
	Petrel__StoreMessage	*sm, *orig;
	struct envelope		 env;
	char			 id[BROKERMSG_ID_MAX];
	const char		*want[] = { "3", "4", "5" };
	uint32_t		 i;

	brokermsg_id(thost, TPORT, 4242, id);
	for (i = 0; i < 3; i++) {
		tpost(tback_req("g", 4242, 0, 0));
		tnone(writer);
		tfound(4242, tstored_msg("T", i, 4242));
		sm = tback_put(BROKER_DELAY_TOPIC, &env);
		ck_assert_uint_eq(sm->queue_id, 3 + i - 1);
		ck_assert_uint_eq(sm->reconsume, i + 1);
		ck_assert_str_eq(tprop(sm, BROKER_PROP_DELAY), want[i]);
		ck_assert_str_eq(tprop(sm, BROKER_PROP_REAL_TOPIC),
		    "%RETRY%g");
		ck_assert_str_eq(tprop(sm, BROKER_PROP_REAL_QID), "0");
		ck_assert_str_eq(tprop(sm, BROKER_PROP_RETRY_TOPIC), "T");
		ck_assert_str_eq(tprop(sm, BROKER_PROP_ORIGIN_ID), id);
		ck_assert_str_eq(tprop(sm, BROKER_PROP_MAX_RECONSUME), "16");
		msg_free(sm);
		tnone(client);
		tstored(&env, 0, 1, 0, 9000);
		tback_is("%RETRY%g");
	}

	/*
	 * A retried message keeps where it first came from; its old delay
	 * is replaced; an asked level is taken; the growing delay stops at
	 * 18.
	 */
	tpost(tback_req("g", 9000, 2, 0));
	orig = tstored_msg("%RETRY%g", 1, 9000);
	brokermsg_set_prop(orig, BROKER_PROP_RETRY_TOPIC, "T");
	brokermsg_set_prop(orig, BROKER_PROP_ORIGIN_ID, id);
	brokermsg_set_prop(orig, BROKER_PROP_REAL_TOPIC, "%RETRY%g");
	brokermsg_set_prop(orig, BROKER_PROP_DELAY, "3");
	tfound(9000, orig);
	sm = tback_put(BROKER_DELAY_TOPIC, &env);
	ck_assert_uint_eq(sm->queue_id, 1);
	ck_assert_str_eq(tprop(sm, BROKER_PROP_DELAY), "2");
	ck_assert_str_eq(tprop(sm, BROKER_PROP_RETRY_TOPIC), "T");
	ck_assert_str_eq(tprop(sm, BROKER_PROP_ORIGIN_ID), id);
	ck_assert_uint_eq(sm->reconsume, 2);
	msg_free(sm);
	tstored(&env, 0, 1, 0, 0);
	tback_is("%RETRY%g");

	tpost(tback_req("g", 9000, 0, 40));
	tfound(9000, tstored_msg("T", 30, 9000));
	sm = tback_put(BROKER_DELAY_TOPIC, &env);
	ck_assert_str_eq(tprop(sm, BROKER_PROP_DELAY), "18");
	ck_assert_str_eq(tprop(sm, BROKER_PROP_MAX_RECONSUME), "40");
	msg_free(sm);
	tstored(&env, 0, 1, 0, 0);
	tback_is("%RETRY%g");
}
END_TEST

START_TEST(test_back_dlq)
{
	Petrel__StoreMessage	*sm, *orig;
	struct envelope		 env;

	/* Tried 16 times: the 17th goes to the DLQ, at once. */
	tpost(tback_req("g", 10, 0, 0));
	tfound(10, tstored_msg("T", 16, 10));
	sm = tback_put("%DLQ%g", &env);
	ck_assert_uint_eq(sm->queue_id, 0);
	ck_assert_uint_eq(sm->reconsume, 17);
	ck_assert_ptr_null(brokermsg_prop(sm, BROKER_PROP_DELAY));
	ck_assert_ptr_null(brokermsg_prop(sm, BROKER_PROP_REAL_TOPIC));
	ck_assert_str_eq(tprop(sm, BROKER_PROP_RETRY_TOPIC), "T");
	msg_free(sm);
	tstored(&env, 0, 1, 0, 0);
	tback_is("%DLQ%g");

	/* 15 tries is not yet too many. */
	tpost(tback_req("g", 10, 0, 0));
	tfound(10, tstored_msg("T", 15, 10));
	sm = tback_put(BROKER_DELAY_TOPIC, &env);
	msg_free(sm);
	tstored(&env, 0, 1, 0, 0);
	tback_is("%RETRY%g");

	/* The request's own maximum. */
	tpost(tback_req("g", 10, 0, 2));
	tfound(10, tstored_msg("T", 2, 10));
	sm = tback_put("%DLQ%g", &env);
	ck_assert_str_eq(tprop(sm, BROKER_PROP_MAX_RECONSUME), "2");
	msg_free(sm);
	tstored(&env, 0, 1, 0, 0);
	tback_is("%DLQ%g");

	/* delay_level -1: straight there, stale delay properties dropped. */
	tpost(tback_req("g", 10, -1, 0));
	orig = tstored_msg("T", 0, 10);
	brokermsg_set_prop(orig, BROKER_PROP_REAL_QID, "1");
	tfound(10, orig);
	sm = tback_put("%DLQ%g", &env);
	ck_assert_uint_eq(sm->reconsume, 1);
	ck_assert_ptr_null(brokermsg_prop(sm, BROKER_PROP_REAL_QID));
	msg_free(sm);
	tstored(&env, 0, 1, 0, 0);
	tback_is("%DLQ%g");
}
END_TEST

START_TEST(test_back_lookup)
{
	Petrel__TopicLookup		*tl;
	Petrel__TopicLookupResult	*res;
	Petrel__StoreMessage		*sm;
	Petrel__PutResponse		*pr;
	struct envelope			 env;

	/* A group's first send-back makes its retry topic. */
	tpost(tback_req("h", 10, 0, 0));
	tfound(10, tstored_msg("T", 0, 10));
	tnone(writer);
	tl = tpop(tm, &petrel__topic_lookup__descriptor, &env);
	ck_assert_str_eq(tl->topic, "%RETRY%h");
	ck_assert(tl->create);
	msg_free(tl);
	res = msg_new(&petrel__topic_lookup_result__descriptor);
	res->found = res->created = 1;
	res->config = ttopic("%RETRY%h", 1, 6);
	tanswer(&env, res);
	sm = tback_put(BROKER_DELAY_TOPIC, &env);
	ck_assert_str_eq(tprop(sm, BROKER_PROP_REAL_TOPIC), "%RETRY%h");
	msg_free(sm);
	tstored(&env, 0, 1, 0, 0);
	tback_is("%RETRY%h");

	/* Nothing at the offset. */
	tpost(tback_req("g", 77, 0, 0));
	tfound(77, NULL);
	terr(PETREL__STATUS__STATUS_NOT_FOUND,
	    "no message at commit log offset 77");

	/* The writer's refusal reaches the consumer. */
	tpost(tback_req("g", 10, 0, 0));
	tfound(10, tstored_msg("T", 0, 10));
	msg_free(tput(1, &env));
	pr = msg_new(&petrel__put_response__descriptor);
	pr->status = PETREL__STORE_STATUS__STORE_SERVICE_NOT_AVAILABLE;
	msg_set_string(&pr->reason, "the store is not open");
	tanswer(&env, pr);
	terr(PETREL__STATUS__STATUS_SERVICE_NOT_AVAILABLE,
	    "the store is not open");
}
END_TEST

START_TEST(test_back_bad_input)
{
	Petrel__ConsumerSendBackRequest	*r;

	tbad(tback_req("", 1, 0, 0), "group is empty");
	tbad(tback_req("a b", 1, 0, 0),
	    "group \"a b\" has an invalid character at byte 1");
	r = tback_req("g", 1, 0, 0);
	msg_set_string(&r->original_topic, "");
	tbad(r, "original_topic is empty");
	tbad(tback_req("g", 1, 19, 0), "delay_level 19: -1-18");
	tbad(tback_req("g", 1, -2, 0), "delay_level -2: -1-18");
}
END_TEST

START_TEST(test_busy)
{
	actor_set_hwm(writer, 1);
	actor_send(writer, msg_new(&petrel__stop__descriptor));
	actor_send(writer, msg_new(&petrel__stop__descriptor));
	tpost(tsend_req("T", -1, "a"));
	terr(PETREL__STATUS__STATUS_SYSTEM_BUSY,
	    "broker busy: 2 store requests waiting");
	msg_free(tpop(writer, &petrel__stop__descriptor, NULL));
	msg_free(tpop(writer, &petrel__stop__descriptor, NULL));
	tpost(tsend_req("T", -1, "a"));
	msg_free(tput(1, NULL));
}
END_TEST

START_TEST(test_topics_changed)
{
	btsend(snd, msg_new(&petrel__topics_changed__descriptor));
	ttable("Z");
	tpost(tsend_req("Z", -1, "a"));
	tnone(tm);
	tsend_ok("Z", 0, 0, 0);
}
END_TEST

START_TEST(test_stop)
{
	Petrel__TopicLookupResult	*res;
	struct envelope			 wenv, tenv, denv;
	int				 i;

	tpost(tsend_req("N", -1, "parked"));
	tpost(tsend_req("T", -1, "at the writer"));
	tpost(tback_req("g", 5, 0, 0));
	msg_free(tpop(tm, &petrel__topic_lookup__descriptor, &tenv));
	msg_free(tput(1, &wenv));
	msg_free(tpop(disp, &petrel__lookup_request__descriptor, &denv));
	tpost(msg_new(&petrel__stop__descriptor));
	for (i = 0; i < 3; i++)
		terr(PETREL__STATUS__STATUS_SERVICE_NOT_AVAILABLE,
		    "broker stopping");
	msg_free(tresp(&petrel__stopped__descriptor));

	/* Late answers find nobody; new requests are refused. */
	tstored(&wenv, 0, 1, 0, 0);
	res = msg_new(&petrel__topic_lookup_result__descriptor);
	res->found = 1;
	res->config = ttopic("N", 1, 6);
	tanswer(&tenv, res);
	tanswer(&denv, msg_new(&petrel__lookup_response__descriptor));
	tnone(client);
	tnone(writer);
	tpost(tsend_req("T", -1, "a"));
	terr(PETREL__STATUS__STATUS_SERVICE_NOT_AVAILABLE, "broker stopping");
}
END_TEST

START_TEST(test_config)
{
	struct actor		*s2;
	Petrel__SenderConfig	*c;
	struct envelope		 env = { client, 1, 0 };
	Petrel__Configured	*ack;

	s2 = actor_spawn(NULL, &sender_actor, "sender2");
	ck_assert_int_eq(actor_post(s2, tencode(tsend_req("T", -1, "a")),
	    &env), 0);
	actor_run_pending(s2);
	terr(PETREL__STATUS__STATUS_SERVICE_NOT_AVAILABLE,
	    "sender not configured");
	c = tconfig();
	msg_set_bytes(&c->store_host, thost, 4);
	ck_assert_int_eq(actor_post(s2, c, &env), 0);
	actor_run_pending(s2);
	ack = tpop(client, &petrel__configured__descriptor, NULL);
	ck_assert_str_eq(ack->error, "store host must be 16 bytes and a port");
	msg_free(ack);
	tnone(tm);
	actor_free(s2);
}
END_TEST

Suite *
sender_suite(void)
{
	Suite	*s = suite_create("sender");
	TCase	*tc;

	tc = tcase_create("send");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_round_robin);
	tcase_add_test(tc, test_explicit_queue);
	tcase_add_test(tc, test_park);
	tcase_add_test(tc, test_topic_not_found);
	tcase_add_test(tc, test_not_writable);
	tcase_add_test(tc, test_bad_input);
	tcase_add_test(tc, test_delay);
	tcase_add_test(tc, test_writer_error);
	tcase_add_test(tc, test_flush_timeout);
	tcase_add_test(tc, test_batch);
	tcase_add_test(tc, test_busy);
	tcase_add_test(tc, test_topics_changed);
	tcase_add_test(tc, test_stop);
	tcase_add_test(tc, test_config);
	suite_add_tcase(s, tc);

	tc = tcase_create("send_back");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_back_retry);
	tcase_add_test(tc, test_back_dlq);
	tcase_add_test(tc, test_back_lookup);
	tcase_add_test(tc, test_back_bad_input);
	suite_add_tcase(s, tc);
	return (s);
}
