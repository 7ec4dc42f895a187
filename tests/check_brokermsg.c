/*
 * Tests of actors/brokermsg.c and actors/topiccache.c: offset ids and
 * host addresses both ways, the checks of a sent message, the trip from
 * OutgoingMessage to record to StoreMessage to Message, properties, a
 * record encoded straight into a wire Message, a sent message laid out
 * as the writer would lay out its StoreMessage, answers to sends encoded
 * as protobuf-c packs them, and the topic cache.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "commitlog.h"
#include "crc32c.h"
#include "msg.h"
#include "storemsg.h"
#include "xmalloc.h"

#include "proto/broker.pb-c.h"
#include "proto/brokerd.pb-c.h"
#include "proto/store.pb-c.h"

START_TEST(test_msg_id)
{
	uint8_t		host[16], back[16];
	uint32_t	port;
	uint64_t	off;
	char		id[BROKERMSG_ID_MAX];

	ck_assert_int_eq(brokermsg_parse_host("127.0.0.1:10911", host, &port),
	    0);
	ck_assert_uint_eq(port, 10911);
	brokermsg_id(host, port, 41920, id);
	/* The example of proto/broker.proto. */
	ck_assert_str_eq(id, "7F00000100002A9F000000000000A3C0");
	ck_assert_int_eq(brokermsg_parse_id(id, back, &port, &off), 0);
	ck_assert_mem_eq(back, host, 16);
	ck_assert_uint_eq(port, 10911);
	ck_assert_uint_eq(off, 41920);
	ck_assert_int_eq(brokermsg_parse_id("7f00000100002a9f000000000000a3c0",
	    back, &port, &off), 0);
	ck_assert_uint_eq(off, 41920);

	ck_assert_int_eq(brokermsg_parse_host("[::1]:9", host, &port), 0);
	brokermsg_id(host, port, UINT64_MAX, id);
	ck_assert_uint_eq(strlen(id), 56);
	ck_assert_int_eq(brokermsg_parse_id(id, back, &port, &off), 0);
	ck_assert_mem_eq(back, host, 16);
	ck_assert_uint_eq(off, UINT64_MAX);

	/* Not offset ids: a unique id's length, bad digits, a huge port. */
	ck_assert_int_eq(brokermsg_parse_id("ABC", back, &port, &off), -1);
	ck_assert_int_eq(brokermsg_parse_id("7F00000100002A9F000000000000A3CG",
	    back, &port, &off), -1);
	ck_assert_int_eq(brokermsg_parse_id("7F000001FFFF2A9F000000000000A3C0",
	    back, &port, &off), -1);
}
END_TEST

START_TEST(test_hosts)
{
	uint8_t		host[16];
	uint32_t	port;
	char		buf[BROKERMSG_HOST_MAX], want[BROKERMSG_HOST_MAX];
	int		i;

	ck_assert_int_eq(brokermsg_parse_host("10.1.2.3:80", host, &port), 0);
	brokermsg_format_host(host, port, buf);
	ck_assert_str_eq(buf, "10.1.2.3:80");
	ck_assert_int_eq(brokermsg_parse_host("[fe80::1]:65535", host, &port),
	    0);
	brokermsg_format_host(host, port, buf);
	ck_assert_str_eq(buf, "[fe80::1]:65535");
	ck_assert_int_eq(brokermsg_parse_host("", host, &port), 0);
	brokermsg_format_host(host, port, buf);
	ck_assert_str_eq(buf, "");
	/* Remembered hosts never answer for another. */
	for (i = 0; i < 12; i++) {
		snprintf(want, sizeof want, "10.0.0.%d:%d", i % 3, 1000 + i % 2);
		ck_assert_int_eq(brokermsg_parse_host(want, host, &port), 0);
		brokermsg_format_host(host, port, buf);
		ck_assert_str_eq(buf, want);
	}
	ck_assert_int_eq(brokermsg_parse_host("10.1.2.3", host, &port), -1);
	ck_assert_int_eq(brokermsg_parse_host("10.1.2.3:", host, &port), -1);
	ck_assert_int_eq(brokermsg_parse_host("10.1.2.3:65536", host, &port),
	    -1);
	ck_assert_int_eq(brokermsg_parse_host("host:1", host, &port), -1);
	ck_assert_int_eq(brokermsg_parse_host("[::1:1", host, &port), -1);
	ck_assert_int_eq(brokermsg_parse_host("::1:1", host, &port), -1);
}
END_TEST

/* An outgoing message with a body, a tag, two keys and a property. */
static Petrel__OutgoingMessage *
outgoing(void)
{
	Petrel__OutgoingMessage	*om;
	Petrel__Property	*p;

	om = msg_new(&petrel__outgoing_message__descriptor);
	msg_set_bytes(&om->body, "hello", 5);
	msg_set_string(&om->tags, "TagA");
	msg_array_add((void ***)&om->keys, &om->n_keys, xstrdup("k1"));
	msg_array_add((void ***)&om->keys, &om->n_keys, xstrdup("k2"));
	msg_set_string(&om->unique_id, "U1");
	p = msg_new(&petrel__property__descriptor);
	msg_set_string(&p->name, "color");
	msg_set_string(&p->value, "blue");
	msg_array_add((void ***)&om->properties, &om->n_properties, p);
	om->born_timestamp_ms = 1234;
	return (om);
}

/*
 * What the broker stores of om sent to topic T, queue qid, from born and
 * port at time now: om is packed, read in place (brokermsg_out_read()),
 * laid out as a record (brokermsg_out_record()) and the record read back
 * as the writer reads it.  NULL with why if om is refused.
 */
static Petrel__StoreMessage *
tstore(const Petrel__OutgoingMessage *om, uint32_t qid, const uint8_t *born,
    uint32_t port, uint64_t now, char *why, size_t len)
{
	struct brokermsg_out	 o;
	struct brokermsg_place	 pl;
	struct commitlog_msg	 cm;
	Petrel__StoreMessage	*sm;
	uint8_t			*enc, *rec = NULL;
	size_t			 elen, rlen = 0, rcap = 0, scap = 0;
	char			*scratch = NULL, *cause = NULL;

	elen = protobuf_c_message_get_packed_size(&om->base);
	enc = xmalloc(elen + 1);
	protobuf_c_message_pack(&om->base, enc);
	sm = NULL;
	if (brokermsg_out_read(enc, elen, &o, why, len) != 0)
		goto out;
	memset(&pl, 0, sizeof pl);
	pl.topic = "T";
	pl.queue_id = qid;
	memcpy(pl.born, born, 16);
	pl.born_port = (uint16_t)port;
	pl.now = now;
	if (brokermsg_out_record(&o, &pl, &rec, &rlen, &rcap, &scratch, &scap,
	    why, len) == 0)
		goto out;
	ck_assert_msg(commitlog_parse(rec, rlen, &cm, &cause) == 0, "%s",
	    cause);
	sm = storemsg_from_record(&cm);
out:
	free(enc);
	free(rec);
	free(scratch);
	return (sm);
}

/* Why om is refused, or NULL if it is taken. */
static const char *
refused(Petrel__OutgoingMessage *om, char *why, size_t len)
{
	Petrel__StoreMessage	*sm;
	uint8_t			 born[16] = { 0 };

	sm = tstore(om, 0, born, 0, 99, why, len);
	msg_free(om);
	if (sm == NULL)
		return (why);
	msg_free(sm);
	return (NULL);
}

START_TEST(test_round_trip)
{
	Petrel__OutgoingMessage	*om = outgoing();
	Petrel__StoreMessage	*sm;
	Petrel__Message		*m;
	uint8_t			 born[16], store[16];
	uint32_t		 bport, sport;
	char			 why[256], id[BROKERMSG_ID_MAX];

	ck_assert_int_eq(brokermsg_parse_host("10.0.0.9:5555", born, &bport),
	    0);
	ck_assert_int_eq(brokermsg_parse_host("127.0.0.1:10911", store,
	    &sport), 0);
	sm = tstore(om, 2, born, bport, 99, why, sizeof why);
	ck_assert_ptr_nonnull(sm);
	msg_free(om);
	ck_assert_str_eq(sm->topic, "T");
	ck_assert_uint_eq(sm->queue_id, 2);
	ck_assert_str_eq(sm->keys, "k1 k2");
	ck_assert_str_eq(sm->tags, "TagA");
	ck_assert_str_eq(sm->uniq_id, "U1");
	ck_assert_uint_eq(sm->born_ts, 1234);
	ck_assert_str_eq(brokermsg_prop(sm, "color"), "blue");
	ck_assert_ptr_null(brokermsg_prop(sm, "size"));
	brokermsg_set_prop(sm, "size", "9");
	brokermsg_set_prop(sm, "color", "red");
	brokermsg_del_prop(sm, "nothing");
	ck_assert_str_eq(brokermsg_prop(sm, "color"), "red");
	ck_assert_uint_eq(sm->n_properties, 2);

	/* As the store hands it back. */
	msg_set_bytes(&sm->store_host, store, 16);
	sm->store_port = sport;
	sm->commit_offset = 41920;
	sm->queue_offset = 7;
	sm->store_ts = 2000;
	sm->reconsume = 3;
	m = brokermsg_to_wire(sm);
	msg_free(sm);
	ck_assert_str_eq(m->topic, "T");
	ck_assert_uint_eq(m->queue_id, 2);
	ck_assert_uint_eq(m->queue_offset, 7);
	ck_assert_uint_eq(m->commit_log_offset, 41920);
	ck_assert_str_eq(m->msg_id, "7F00000100002A9F000000000000A3C0");
	ck_assert_str_eq(m->unique_id, "U1");
	ck_assert_uint_eq(m->body.len, 5);
	ck_assert_mem_eq(m->body.data, "hello", 5);
	ck_assert_uint_eq(m->body_crc, crc32c(0, "hello", 5));
	ck_assert_str_eq(m->tags, "TagA");
	ck_assert_uint_eq(m->n_keys, 2);
	ck_assert_str_eq(m->keys[0], "k1");
	ck_assert_str_eq(m->keys[1], "k2");
	ck_assert_uint_eq(m->n_properties, 2);
	ck_assert_str_eq(m->properties[0]->name, "color");
	ck_assert_str_eq(m->properties[0]->value, "red");
	ck_assert_str_eq(m->born_host, "10.0.0.9:5555");
	ck_assert_str_eq(m->store_host, "127.0.0.1:10911");
	ck_assert_uint_eq(m->born_timestamp_ms, 1234);
	ck_assert_uint_eq(m->store_timestamp_ms, 2000);
	ck_assert_uint_eq(m->reconsume_times, 3);
	brokermsg_id(store, sport, 41920, id);
	ck_assert_str_eq(id, m->msg_id);
	msg_free(m);

	/* No keys, no tags, no born time: the broker's clock. */
	om = msg_new(&petrel__outgoing_message__descriptor);
	sm = tstore(om, 0, born, 0, 99, why, sizeof why);
	msg_free(om);
	ck_assert_ptr_nonnull(sm);
	ck_assert_uint_eq(sm->born_ts, 99);
	m = brokermsg_to_wire(sm);
	msg_free(sm);
	ck_assert_uint_eq(m->n_keys, 0);
	ck_assert_uint_eq(m->body.len, 0);
	msg_free(m);
}
END_TEST

START_TEST(test_refused)
{
	Petrel__OutgoingMessage	*om;
	Petrel__Property	*p;
	char			 why[256], *big;

	om = outgoing();
	om->flags = 8;
	ck_assert_str_eq(refused(om, why, sizeof why), "unknown flags 0x8");
	om = outgoing();
	msg_set_string(&om->tags, "a||b");
	ck_assert_ptr_nonnull(strstr(refused(om, why, sizeof why), "||"));
	om = outgoing();
	msg_set_string(&om->keys[1], "has space");
	ck_assert_str_eq(refused(om, why, sizeof why),
	    "key 1 must be 1-255 printable bytes without spaces");
	om = outgoing();
	msg_set_string(&om->unique_id, "x y");
	ck_assert_ptr_nonnull(strstr(refused(om, why, sizeof why),
	    "unique_id"));
	om = outgoing();
	msg_set_string(&om->properties[0]->name, "KEYS");
	ck_assert_ptr_nonnull(strstr(refused(om, why, sizeof why),
	    "reserved"));
	om = outgoing();
	msg_set_string(&om->properties[0]->value, "a\001b");
	ck_assert_ptr_nonnull(strstr(refused(om, why, sizeof why),
	    "byte 0, 1 or 2"));
	om = outgoing();
	big = xmalloc(40000);
	memset(big, 'v', 39999);
	big[39999] = '\0';
	msg_set_string(&om->properties[0]->value, big);
	ck_assert_ptr_nonnull(strstr(refused(om, why, sizeof why),
	    "value over"));
	/* Two values of 30,000 bytes pass one by one, not together. */
	om = outgoing();
	big[30000] = '\0';
	msg_set_string(&om->properties[0]->value, big);
	p = msg_new(&petrel__property__descriptor);
	msg_set_string(&p->name, "other");
	msg_set_string(&p->value, big);
	msg_array_add((void ***)&om->properties, &om->n_properties, p);
	p = msg_new(&petrel__property__descriptor);
	msg_set_string(&p->name, "third");
	msg_set_string(&p->value, big);
	msg_array_add((void ***)&om->properties, &om->n_properties, p);
	ck_assert_ptr_nonnull(strstr(refused(om, why, sizeof why),
	    "properties take"));
	free(big);
	/* A good one is taken. */
	ck_assert_ptr_null(refused(outgoing(), why, sizeof why));
}
END_TEST

START_TEST(test_topiccache)
{
	struct topiccache	*tc;
	Petrel__TopicTable	*t;
	Petrel__TopicConfig	*c;

	tc = topiccache_new();
	ck_assert_ptr_null(topiccache_get(tc, "A"));
	t = msg_new(&petrel__topic_table__descriptor);
	c = msg_new(&petrel__topic_config__descriptor);
	msg_set_string(&c->name, "A");
	c->read_queues = c->write_queues = 4;
	msg_array_add((void ***)&t->topics, &t->n_topics, c);
	c = msg_new(&petrel__topic_config__descriptor);
	msg_set_string(&c->name, "B");
	c->read_queues = 2;
	msg_array_add((void ***)&t->topics, &t->n_topics, c);
	topiccache_load(tc, t);
	ck_assert_uint_eq(topiccache_count(tc), 2);
	ck_assert_uint_eq(topiccache_get(tc, "A")->write_queues, 4);
	/* A copy: the table may go. */
	c->read_queues = 8;
	topiccache_put(tc, c);
	msg_free(t);
	ck_assert_uint_eq(topiccache_get(tc, "B")->read_queues, 8);
	ck_assert_uint_eq(topiccache_count(tc), 2);
	t = msg_new(&petrel__topic_table__descriptor);
	topiccache_load(tc, t);
	msg_free(t);
	ck_assert_uint_eq(topiccache_count(tc), 0);
	topiccache_free(tc);
}
END_TEST

START_TEST(test_delay_levels)
{
	ck_assert_uint_eq(brokermsg_delay_ms[0], 0);
	ck_assert_uint_eq(brokermsg_delay_ms[1], 1000);
	ck_assert_uint_eq(brokermsg_delay_ms[4], 30000);
	ck_assert_uint_eq(brokermsg_delay_ms[16], 1800000);
	ck_assert_uint_eq(brokermsg_delay_ms[BROKER_DELAY_LEVELS], 7200000);
}
END_TEST

/* A random pick of n words, some empty, into buf: the pieces of a record. */
static const char *
tpick(unsigned int *seed, const char *const *words, size_t n)
{
	return (words[rand_r(seed) % n]);
}

/* Append "name\001value\002" (or a bare name: no value) to props. */
static void
tprop(char *props, size_t *len, const char *name, const char *value)
{
	*len += (size_t)sprintf(props + *len, "%s%s%s%c", name,
	    value != NULL ? "\001" : "", value != NULL ? value : "",
	    COMMITLOG_PROP_SEP);
}

/*
 * A record encoded straight into a wire Message is byte for byte what
 * protobuf-c packs from brokermsg_to_wire(storemsg_from_record()), for
 * records with every kind of property, empty and zero fields, IPv4 and
 * IPv6 hosts, long bodies (multi-byte lengths) and lengths over 127.
 */
START_TEST(test_encode)
{
	static const char *const names[] = {
		"KEYS", "TAGS", "UNIQ_KEY", "user", "a", "", "KEYSX", "TAG"
	};
	static const char *const values[] = {
		"", "k1", "k1 k2", " k1  k2 ", "TagA", "0A0B0C", "v", NULL
	};
	static const char *const hosts[] = {
		"127.0.0.1:10911", "[::1]:9876", "10.1.2.3:1", "0.0.0.0:0"
	};
	unsigned int		 seed = 4242;
	struct commitlog_msg	 r;
	Petrel__StoreMessage	*sm;
	Petrel__Message		*m;
	char			 props[4096], *body;
	uint8_t			*want, *got = NULL;
	size_t			 i, j, plen, len = 0, cap = 0, n, wlen;
	uint32_t		 port;

	body = xmalloc(70000);
	for (i = 0; i < sizeof(body[0]) * 70000; i++)
		body[i] = (char)rand_r(&seed);
	for (i = 0; i < 2000; i++) {
		memset(&r, 0, sizeof r);
		r.topic = i % 7 == 0 ? "%RETRY%group" : "TopicA";
		r.topic_len = strlen(r.topic);
		r.queue_id = i % 3 == 0 ? 0 : (uint32_t)rand_r(&seed) % 1024;
		r.queue_offset = i % 5 == 0 ? 0 : (uint64_t)rand_r(&seed) << 20;
		r.phys = i % 11 == 0 ? 0 : (uint64_t)rand_r(&seed) << 12;
		r.flags = (uint32_t)rand_r(&seed) % 8;
		r.born_ts = i % 4 == 0 ? 0 : 1700000000000ULL + i;
		r.store_ts = 1700000000000ULL + 2 * i;
		r.reconsume = i % 2 == 0 ? 0 : (uint32_t)i;
		ck_assert_int_eq(brokermsg_parse_host(tpick(&seed, hosts, 4),
		    r.born_host.addr, &port), 0);
		r.born_host.port = (uint16_t)port;
		ck_assert_int_eq(brokermsg_parse_host(tpick(&seed, hosts, 3),
		    r.store_host.addr, &port), 0);
		r.store_host.port = (uint16_t)port;
		plen = 0;
		n = (size_t)rand_r(&seed) % 8;
		for (j = 0; j < n; j++)
			tprop(props, &plen, tpick(&seed, names, 8),
			    tpick(&seed, values, 8));
		if (i % 9 == 0 && plen > 0)
			plen--;			/* no separator at the end */
		r.props = props;
		r.props_len = plen;
		r.body = body;
		r.body_len = i % 13 == 0 ? 0 : i % 10 == 0 ? 66000 :
		    (size_t)rand_r(&seed) % 300;

		sm = storemsg_from_record(&r);
		m = brokermsg_to_wire(sm);
		wlen = protobuf_c_message_get_packed_size(&m->base);
		want = xmalloc(wlen + 8);
		want[0] = 2 << 3 | 2;
		n = 1;
		for (j = wlen; j >= 0x80; j >>= 7)
			want[n++] = (uint8_t)(j | 0x80);
		want[n++] = (uint8_t)j;
		protobuf_c_message_pack(&m->base, want + n);
		n += wlen;

		len = 0;
		ck_assert_uint_eq(brokermsg_encode(&r, 2, &got, &len, &cap), n);
		ck_assert_uint_eq(len, n);
		ck_assert_msg(memcmp(got, want, n) == 0,
		    "record %zu encodes differently", i);
		free(want);
		msg_free(m);
		msg_free(sm);
	}
	/* Appending: two records one after the other. */
	len = 0;
	n = brokermsg_encode(&r, 2, &got, &len, &cap);
	ck_assert_uint_eq(brokermsg_encode(&r, 2, &got, &len, &cap), n);
	ck_assert_uint_eq(len, 2 * n);
	ck_assert(memcmp(got, got + n, n) == 0);
	free(got);
	free(body);
}
END_TEST

/*
 * A random OutgoingMessage: body, flags, tags, keys and properties (some
 * named as the broker's), unique id and born time, each often left out.
 */
static Petrel__OutgoingMessage *
trandom_outgoing(unsigned int *seed, const char *body)
{
	static const char *const words[] = {
		"", "k1", "TagA", "0A0B0C0D", "v", "MAX_RECONSUME_TIMES",
		"DELAY", "a-much-longer-word-than-the-others"
	};
	Petrel__OutgoingMessage	*om;
	Petrel__Property	*p;
	size_t			 i, n;
	const char		*w;

	om = msg_new(&petrel__outgoing_message__descriptor);
	n = (size_t)rand_r(seed) % 4 == 0 ? 0 : (size_t)rand_r(seed) % 3000;
	msg_set_bytes(&om->body, body, n);
	om->flags = (uint32_t)rand_r(seed) % 2;
	msg_set_string(&om->tags, tpick(seed, words, 5));
	n = (size_t)rand_r(seed) % 4;
	for (i = 0; i < n; i++) {
		w = tpick(seed, words + 1, 7);
		msg_array_add((void ***)&om->keys, &om->n_keys, xstrdup(w));
	}
	n = (size_t)rand_r(seed) % 4;
	for (i = 0; i < n; i++) {
		p = msg_new(&petrel__property__descriptor);
		msg_set_string(&p->name, tpick(seed, words + 1, 7));
		msg_set_string(&p->value, tpick(seed, words, 8));
		msg_array_add((void ***)&om->properties, &om->n_properties,
		    p);
	}
	msg_set_string(&om->unique_id, tpick(seed, words, 4));
	om->born_timestamp_ms = rand_r(seed) % 2 ? 0 : 1700000000000ULL;
	return (om);
}

/*
 * The record brokermsg_out_record() lays out is byte for byte the one the
 * writer lays out of the StoreMessage of the same message
 * (storemsg_props_write(), storemsg_to_record(), commitlog_encode()), the
 * broker's own properties included: a message travels either way alike.
 */
START_TEST(test_out_record)
{
	unsigned int		 seed = 777;
	Petrel__OutgoingMessage	*om;
	Petrel__StoreMessage	*sm;
	Petrel__StoreMessage__PropertiesEntry *e;
	struct brokermsg_out	 o;
	struct brokermsg_place	 pl;
	struct commitlog_msg	 cm;
	uint8_t			*enc, *got = NULL, *want;
	char			*scratch = NULL, *props, *body, why[256];
	size_t			 i, j, k, elen, len, cap = 0, scap = 0, plen;
	uint32_t		 port;

	body = xmalloc(3000);
	for (i = 0; i < 3000; i++)
		body[i] = (char)rand_r(&seed);
	for (i = 0; i < 2000; i++) {
		om = trandom_outgoing(&seed, body);
		elen = protobuf_c_message_get_packed_size(&om->base);
		enc = xmalloc(elen + 1);
		protobuf_c_message_pack(&om->base, enc);
		ck_assert_int_eq(brokermsg_out_read(enc, elen, &o, why,
		    sizeof why), 0);
		memset(&pl, 0, sizeof pl);
		pl.topic = i % 5 == 0 ? "%DELAY%" : "TopicA";
		pl.queue_id = (uint32_t)i % 17;
		ck_assert_int_eq(brokermsg_parse_host(i % 3 ? "10.0.0.1:5000" :
		    "[::1]:9", pl.born, &port), 0);
		pl.born_port = (uint16_t)port;
		pl.now = 99;
		pl.reconsume = (uint32_t)i % 3;
		if (i % 5 == 0) {
			pl.extra[pl.nextra].name = "MAX_RECONSUME_TIMES";
			pl.extra[pl.nextra++].value = "4";
			pl.extra[pl.nextra].name = "DELAY";
			pl.extra[pl.nextra++].value = "3";
		}
		len = 0;
		ck_assert_uint_ne(brokermsg_out_record(&o, &pl, &got, &len,
		    &cap, &scratch, &scap, why, sizeof why), 0);

		/* The StoreMessage the message stood for. */
		sm = msg_new(&petrel__store_message__descriptor);
		msg_set_string(&sm->topic, pl.topic);
		sm->queue_id = pl.queue_id;
		sm->flags = om->flags;
		sm->born_ts = om->born_timestamp_ms != 0 ?
		    om->born_timestamp_ms : 99;
		msg_set_bytes(&sm->born_host, pl.born, 16);
		sm->born_port = port;
		sm->reconsume = pl.reconsume;
		sm->keys = xcalloc(1, 32 * 40);
		for (j = 0; j < om->n_keys; j++) {
			if (j > 0)
				strcat(sm->keys, " ");
			strcat(sm->keys, om->keys[j]);
		}
		msg_set_string(&sm->tags, om->tags);
		msg_set_string(&sm->uniq_id, om->unique_id);
		for (j = 0; j < om->n_properties + pl.nextra; j++) {
			e = msg_new(
			    &petrel__store_message__properties_entry__descriptor);
			if (j < om->n_properties) {
				for (k = 0; k < pl.nextra; k++) {
					if (strcmp(om->properties[j]->name,
					    pl.extra[k].name) == 0)
						break;
				}
				if (k < pl.nextra) {
					msg_free(e);
					continue;	/* the broker's wins */
				}
				msg_set_string(&e->key,
				    om->properties[j]->name);
				msg_set_string(&e->value,
				    om->properties[j]->value);
			} else {
				msg_set_string(&e->key,
				    pl.extra[j - om->n_properties].name);
				msg_set_string(&e->value,
				    pl.extra[j - om->n_properties].value);
			}
			msg_array_add((void ***)&sm->properties,
			    &sm->n_properties, e);
		}
		msg_move_bytes(&sm->body, &om->body);
		props = xmalloc(70000);
		plen = storemsg_props_write(sm, props);
		storemsg_to_record(sm, props, plen, &cm);
		cm.size = (uint32_t)commitlog_record_size(&cm);
		want = xmalloc(cm.size);
		commitlog_encode(want, &cm, cm.size, 0);
		ck_assert_uint_eq(len, cm.size);
		ck_assert_msg(memcmp(got, want, len) == 0,
		    "message %zu lays out differently", i);
		free(want);
		free(props);
		msg_free(sm);
		msg_free(om);
		free(enc);
	}
	free(got);
	free(scratch);
	free(body);
}
END_TEST

/*
 * What protobuf_c_message_pack() makes of a SendBatchResponse (or a
 * SendMessageResponse) is what brokermsg_put_result() writes, result by
 * result, after the status: IPv4 and IPv6 hosts, zero and large offsets,
 * empty unique ids, no offsets at all.
 */
START_TEST(test_put_result)
{
	unsigned int			 seed = 99;
	Petrel__SendBatchResponse	*b;
	Petrel__SendMessageResponse	*one;
	Petrel__SendResult		*sr;
	struct brokermsg_result		 r[8];
	uint8_t				 host[16], *got, *want, *p;
	uint32_t			 port, status;
	char				 uniq[8][16];
	size_t				 i, j, n, wlen;

	for (i = 0; i < 500; i++) {
		ck_assert_int_eq(brokermsg_parse_host(i % 2 ?
		    "127.0.0.1:10911" : "[fe80::1]:65535", host, &port), 0);
		status = i % 3 == 0 ? 12 : 0;
		n = 1 + (size_t)rand_r(&seed) % 8;
		b = msg_new(&petrel__send_batch_response__descriptor);
		b->status = status;
		got = xmalloc(20 + n * BROKERMSG_RESULT_MAX);
		p = got;
		if (status != 0) {
			*p++ = 1 << 3;
			*p++ = (uint8_t)status;
		}
		for (j = 0; j < n; j++) {
			memset(&r[j], 0, sizeof r[j]);
			snprintf(uniq[j], sizeof uniq[j], "%s%zu",
			    rand_r(&seed) % 4 ? "U" : "", j);
			r[j].uniq = uniq[j] + (uniq[j][0] == 'U' ? 0 :
			    strlen(uniq[j]));
			r[j].uniq_len = strlen(r[j].uniq);
			r[j].queue_id = (uint32_t)rand_r(&seed) % 3 * 1000;
			r[j].stored = i % 7 != 0;
			if (r[j].stored) {
				r[j].queue_offset = rand_r(&seed) % 2 ? 0 :
				    (uint64_t)rand_r(&seed) << 24;
				r[j].commit_offset = (uint64_t)rand_r(&seed)
				    << (j * 4);
			}
			p += brokermsg_put_result(p, &r[j], host, port);
			sr = msg_new(&petrel__send_result__descriptor);
			if (r[j].stored) {
				sr->msg_id = xmalloc(BROKERMSG_ID_MAX);
				brokermsg_id(host, port, r[j].commit_offset,
				    sr->msg_id);
			}
			msg_set_string(&sr->unique_id, r[j].uniq);
			sr->queue_id = r[j].queue_id;
			sr->queue_offset = r[j].queue_offset;
			sr->commit_log_offset = r[j].commit_offset;
			msg_array_add((void ***)&b->results, &b->n_results, sr);
		}
		wlen = protobuf_c_message_get_packed_size(&b->base);
		want = xmalloc(wlen);
		protobuf_c_message_pack(&b->base, want);
		ck_assert_uint_eq((size_t)(p - got), wlen);
		ck_assert_msg(memcmp(got, want, wlen) == 0,
		    "answer %zu encodes differently", i);
		free(want);
		/* A single send's answer: the same bytes for one result. */
		if (n == 1) {
			one = msg_new(
			    &petrel__send_message_response__descriptor);
			one->status = status;
			one->result = b->results[0];
			b->n_results = 0;
			want = xmalloc(wlen);
			ck_assert_uint_eq(protobuf_c_message_get_packed_size(
			    &one->base), wlen);
			protobuf_c_message_pack(&one->base, want);
			ck_assert(memcmp(got, want, wlen) == 0);
			free(want);
			msg_free(one);
		}
		msg_free(b);
		free(got);
	}
}
END_TEST

/*
 * What protobuf-c does not decode is not read either: a body cut short,
 * a field of the wrong wire type, a Property that is no Property.  What
 * breaks a limit is read all the same, and said.
 */
START_TEST(test_out_undecodable)
{
	Petrel__OutgoingMessage	*om = outgoing();
	ProtobufCMessage	*back;
	struct brokermsg_out	 o;
	uint8_t			 enc[256], bad[8];
	size_t			 len, i;
	char			 why[256];

	len = protobuf_c_message_pack(&om->base, enc);
	ck_assert_int_eq(brokermsg_out_read(enc, len, &o, why, sizeof why), 0);
	ck_assert_uint_eq(o.body_len, 5);
	ck_assert_uint_eq(o.keys_len, strlen("k1 k2"));
	for (i = 1; i < len; i++) {
		if ((back = msg_unpack(&petrel__outgoing_message__descriptor,
		    enc, i)) == NULL)
			ck_assert_int_eq(brokermsg_out_read(enc, i, &o, why,
			    sizeof why), BROKERMSG_UNDECODABLE);
		else
			msg_free(back);
	}
	/* Field 2 (flags) as bytes; field 1 (body) as a varint. */
	bad[0] = 2 << 3 | 2;
	bad[1] = 0;
	ck_assert_int_eq(brokermsg_out_read(bad, 2, &o, why, sizeof why),
	    BROKERMSG_UNDECODABLE);
	bad[0] = 1 << 3;
	bad[1] = 5;
	ck_assert_int_eq(brokermsg_out_read(bad, 2, &o, why, sizeof why),
	    BROKERMSG_UNDECODABLE);
	/* A property whose name is a varint. */
	bad[0] = 5 << 3 | 2;
	bad[1] = 2;
	bad[2] = 1 << 3;
	bad[3] = 1;
	ck_assert_int_eq(brokermsg_out_read(bad, 4, &o, why, sizeof why),
	    BROKERMSG_UNDECODABLE);
	/* Unknown fields are skipped, as protobuf-c skips them. */
	bad[0] = 15 << 3;
	bad[1] = 1;
	ck_assert_int_eq(brokermsg_out_read(bad, 2, &o, why, sizeof why), 0);
	/* A tag holding byte 0: decoded, and refused. */
	memcpy(bad, "\x1a\x03" "a\0b", 5);
	ck_assert_int_eq(brokermsg_out_read(bad, 5, &o, why, sizeof why),
	    BROKERMSG_ILLEGAL);
	ck_assert_ptr_nonnull(strstr(why, "tags"));
	msg_free(om);
}
END_TEST

Suite *
brokermsg_suite(void)
{
	Suite	*s = suite_create("brokermsg");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, test_msg_id);
	tcase_add_test(tc, test_hosts);
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_refused);
	tcase_add_test(tc, test_topiccache);
	tcase_add_test(tc, test_delay_levels);
	tcase_add_test(tc, test_encode);
	tcase_add_test(tc, test_out_record);
	tcase_add_test(tc, test_put_result);
	tcase_add_test(tc, test_out_undecodable);
	suite_add_tcase(s, tc);
	return (s);
}
