/*
 * Writes the seed corpus of tests/corpus/frame: valid frames of every
 * request code, both ways, with and without bodies (a batch of sends and
 * its answer in full), error answers, a stream of several frames, and a
 * few that must be refused.  Run it as
 * "tests/fuzz/corpus_frame DIR" from the build tree after changing the
 * protocol and commit what it writes.
 */
#include "config.h"

#include <event2/buffer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codes.h"
#include "frame.h"
#include "log.h"
#include "msg.h"
#include "proto/broker.pb-c.h"
#include "proto/frame.pb-c.h"
#include "proto/namesrv.pb-c.h"
#include "xmalloc.h"

static const char	*corpus_dir;

static void	corpus_save(const char *, struct evbuffer *);
static void	corpus_one(const char *, uint32_t, uint64_t, uint32_t,
		    uint32_t, const char *, const ProtobufCMessage *);
static ProtobufCMessage *corpus_register(void);
static ProtobufCMessage *corpus_route(void);
static ProtobufCMessage *corpus_send(void);
static ProtobufCMessage *corpus_sent(void);

/* Write the buffer's bytes to DIR/name and empty it. */
static void
corpus_save(const char *name, struct evbuffer *b)
{
	FILE	*fp;
	char	*path;
	size_t	 len = evbuffer_get_length(b);

	xasprintf(&path, "%s/%s", corpus_dir, name);
	if ((fp = fopen(path, "wb")) == NULL)
		fatal("%s", path);
	if (len != 0 && fwrite(evbuffer_pullup(b, -1), 1, len, fp) != len)
		fatal("%s", path);
	if (fclose(fp) != 0)
		fatal("%s", path);
	free(path);
	evbuffer_drain(b, len);
}

/* A file holding one frame. */
static void
corpus_one(const char *name, uint32_t code, uint64_t id, uint32_t flags,
    uint32_t status, const char *error, const ProtobufCMessage *body)
{
	struct evbuffer	*b = evbuffer_new();

	if (frame_write_msg(b, code, id, flags, status, error, body) != 0)
		fatalx("%s: cannot write", name);
	corpus_save(name, b);
	evbuffer_free(b);
}

/* A broker registration with two topics. */
static ProtobufCMessage *
corpus_register(void)
{
	Petrel__RegisterBrokerRequest	*r;
	Petrel__TopicConfig		*t;
	int				 i;

	r = msg_new(&petrel__register_broker_request__descriptor);
	msg_set_string(&r->cluster, "DefaultCluster");
	msg_set_string(&r->broker_name, "broker-a");
	msg_set_string(&r->address, "127.0.0.1:10911");
	msg_set_string(&r->ha_address, "127.0.0.1:10912");
	for (i = 0; i < 2; i++) {
		t = msg_new(&petrel__topic_config__descriptor);
		msg_set_string(&t->name, i == 0 ? "TopicTest" : "%RETRY%g");
		t->read_queues = t->write_queues = 4;
		t->perm = 6;
		t->order = i;
		msg_array_add((void ***)&r->topics, &r->n_topics, t);
	}
	r->data_version = msg_new(&petrel__data_version__descriptor);
	r->data_version->timestamp_ms = 1700000000000ULL;
	r->data_version->counter = 3;
	r->heartbeat_timeout_ms = 120000;
	return (&r->base);
}

/* A route with one queue and one broker. */
static ProtobufCMessage *
corpus_route(void)
{
	Petrel__GetRouteResponse	*r;
	Petrel__QueueData		*q;
	Petrel__BrokerData		*bd;
	Petrel__BrokerAddress		*a;

	r = msg_new(&petrel__get_route_response__descriptor);
	q = msg_new(&petrel__queue_data__descriptor);
	msg_set_string(&q->broker_name, "broker-a");
	q->read_queues = q->write_queues = 8;
	q->perm = 6;
	msg_array_add((void ***)&r->queues, &r->n_queues, q);
	bd = msg_new(&petrel__broker_data__descriptor);
	msg_set_string(&bd->cluster, "DefaultCluster");
	msg_set_string(&bd->broker_name, "broker-a");
	a = msg_new(&petrel__broker_address__descriptor);
	msg_set_string(&a->address, "[::1]:10911");
	a->last_update_ms = 1700000000123ULL;
	msg_array_add((void ***)&bd->addresses, &bd->n_addresses, a);
	msg_array_add((void ***)&r->brokers, &r->n_brokers, bd);
	return (&r->base);
}

/*
 * A batch of three messages as a producer sends it: tags, keys, a
 * property, unique ids, a compressed flag, an empty body.
 */
static ProtobufCMessage *
corpus_send(void)
{
	Petrel__SendBatchRequest	*r;
	Petrel__OutgoingMessage		*om;
	Petrel__Property		*p;
	char				 id[33];
	int				 i;

	r = msg_new(&petrel__send_batch_request__descriptor);
	msg_set_string(&r->producer_group, "ProducerGroup");
	msg_set_string(&r->topic, "TopicTest");
	r->queue_id = -1;
	msg_set_string(&r->born_host, "10.0.0.1:50000");
	for (i = 0; i < 3; i++) {
		om = msg_new(&petrel__outgoing_message__descriptor);
		if (i != 2)
			msg_set_bytes(&om->body, "Hello Petrel", 12);
		om->flags = i == 1 ? 1 : 0;
		msg_set_string(&om->tags, i == 0 ? "TagA" : "");
		msg_array_add((void ***)&om->keys, &om->n_keys,
		    xstrdup("OrderID188"));
		p = msg_new(&petrel__property__descriptor);
		msg_set_string(&p->name, "color");
		msg_set_string(&p->value, "blue");
		msg_array_add((void ***)&om->properties, &om->n_properties, p);
		snprintf(id, sizeof id, "0A0000010A7B12345678000003E8000%d", i);
		msg_set_string(&om->unique_id, id);
		om->born_timestamp_ms = 1700000000000ULL;
		msg_array_add((void ***)&r->messages, &r->n_messages, om);
	}
	return (&r->base);
}

/* The broker's answer to corpus_send(). */
static ProtobufCMessage *
corpus_sent(void)
{
	Petrel__SendBatchResponse	*r;
	Petrel__SendResult		*sr;
	int				 i;

	r = msg_new(&petrel__send_batch_response__descriptor);
	for (i = 0; i < 3; i++) {
		sr = msg_new(&petrel__send_result__descriptor);
		msg_set_string(&sr->msg_id, "0A00000100002A9F000000000000A3C0");
		msg_set_string(&sr->unique_id,
		    "0A0000010A7B12345678000003E80000");
		sr->queue_id = 3;
		sr->queue_offset = 1000 + (uint64_t)i;
		sr->commit_log_offset = 41920 + 100 * (uint64_t)i;
		msg_array_add((void ***)&r->results, &r->n_results, sr);
	}
	return (&r->base);
}

int
main(int argc, char **argv)
{
	const struct code_info	*ci;
	struct evbuffer		*b;
	ProtobufCMessage	*m;
	Petrel__Frame		 f = PETREL__FRAME__INIT;
	Petrel__Ping		*ping;
	Petrel__Pong		*pong;
	Petrel__KvPutRequest	*kv;
	char			 name[128];
	uint64_t		 id = 1;
	uint8_t			*all;
	size_t			 len;

	if (argc != 2) {
		fprintf(stderr, "usage: %s directory\n", argv[0]);
		return (64);
	}
	corpus_dir = argv[1];
	log_init("corpus_frame", LOG_LEVEL_WARN);

	/* Every code, request and answer, with empty bodies. */
	for (ci = codes_all(); ci->code != 0; ci++) {
		m = msg_new(ci->request);
		snprintf(name, sizeof name, "%s-request", ci->name);
		corpus_one(name, ci->code, id++, 0, 0, NULL, m);
		msg_free(m);
		m = msg_new(ci->response);
		snprintf(name, sizeof name, "%s-response", ci->name);
		corpus_one(name, ci->code, id++,
		    PETREL__FRAME_FLAG__FRAME_RESPONSE, 0, NULL, m);
		msg_free(m);
	}

	ping = msg_new(&petrel__ping__descriptor);
	ping->sent_ms = 1700000000000ULL;
	corpus_one("ping-oneway", PETREL__REQUEST_CODE__CODE_PING, 77,
	    PETREL__FRAME_FLAG__FRAME_ONEWAY, 0, NULL, &ping->base);
	pong = msg_new(&petrel__pong__descriptor);
	pong->sent_ms = ping->sent_ms;
	msg_set_string(&pong->server, "petrel-namesrv 0.1.0");
	corpus_one("pong-full", PETREL__REQUEST_CODE__CODE_PING, 77,
	    PETREL__FRAME_FLAG__FRAME_RESPONSE, 0, NULL, &pong->base);

	m = corpus_register();
	corpus_one("register-broker-full",
	    PETREL__REQUEST_CODE__CODE_REGISTER_BROKER, 1ULL << 40, 0, 0,
	    NULL, m);
	msg_free(m);
	m = corpus_route();
	corpus_one("get-route-response-full",
	    PETREL__REQUEST_CODE__CODE_GET_ROUTE, 9,
	    PETREL__FRAME_FLAG__FRAME_RESPONSE, 0, NULL, m);
	msg_free(m);
	m = corpus_send();
	corpus_one("send-batch-full", PETREL__REQUEST_CODE__CODE_SEND_BATCH,
	    21, 0, 0, NULL, m);
	msg_free(m);
	m = corpus_sent();
	corpus_one("send-batch-response-full",
	    PETREL__REQUEST_CODE__CODE_SEND_BATCH, 21,
	    PETREL__FRAME_FLAG__FRAME_RESPONSE, 0, NULL, m);
	msg_free(m);
	kv = msg_new(&petrel__kv_put_request__descriptor);
	msg_set_string(&kv->namespace_, "ORDER_TOPIC_CONFIG");
	msg_set_string(&kv->key, "TopicTest");
	msg_set_string(&kv->value, "broker-a:4;broker-b:4");
	corpus_one("kv-put-full", PETREL__REQUEST_CODE__CODE_KV_PUT, 3, 0, 0,
	    NULL, &kv->base);

	corpus_one("error-not-found", PETREL__REQUEST_CODE__CODE_GET_ROUTE, 4,
	    PETREL__FRAME_FLAG__FRAME_RESPONSE,
	    PETREL__STATUS__STATUS_NOT_FOUND, "no route for topic TopicTest",
	    NULL);
	corpus_one("error-busy", PETREL__REQUEST_CODE__CODE_KV_GET, 5,
	    PETREL__FRAME_FLAG__FRAME_RESPONSE,
	    PETREL__STATUS__STATUS_SYSTEM_BUSY, "over high-water mark", NULL);
	corpus_one("unknown-code", 4242, 6, 0, 0, NULL, &kv->base);

	/* A stream: several frames back to back, the last one cut short. */
	b = evbuffer_new();
	frame_write_msg(b, PETREL__REQUEST_CODE__CODE_PING, 10, 0, 0, NULL,
	    &ping->base);
	frame_write_msg(b, PETREL__REQUEST_CODE__CODE_KV_PUT, 11, 0, 0, NULL,
	    &kv->base);
	frame_write_msg(b, PETREL__REQUEST_CODE__CODE_PING, 10,
	    PETREL__FRAME_FLAG__FRAME_RESPONSE, 0, NULL, &pong->base);
	frame_write_msg(b, PETREL__REQUEST_CODE__CODE_KV_PUT, 12, 0, 0, NULL,
	    &kv->base);
	corpus_save("stream", b);
	frame_write_msg(b, PETREL__REQUEST_CODE__CODE_PING, 13, 0, 0, NULL,
	    &ping->base);
	frame_write_msg(b, PETREL__REQUEST_CODE__CODE_KV_PUT, 14, 0, 0, NULL,
	    &kv->base);
	len = evbuffer_get_length(b);
	all = xmalloc(len);
	evbuffer_remove(b, all, len);
	evbuffer_add(b, all, len - 3);
	free(all);
	corpus_save("stream-truncated", b);

	/* Refused: another protocol version, a length over any limit. */
	f.version = 2;
	f.code = PETREL__REQUEST_CODE__CODE_PING;
	f.id = 15;
	frame_write(b, &f);
	corpus_save("version-2", b);
	evbuffer_add(b, "\xff\xff\xff\xff\x08\x01", 6);
	corpus_save("length-4g", b);

	evbuffer_free(b);
	msg_free(kv);
	msg_free(pong);
	msg_free(ping);
	return (0);
}
