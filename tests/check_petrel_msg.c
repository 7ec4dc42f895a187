/*
 * Tests of lib/petrel_msg.c: building messages within the limits of
 * proto/broker.proto, their OutgoingMessage (unique ids, compression),
 * received messages and the sharding hash.  Send requests encoded by hand
 * are held byte for byte to protobuf-c's packing of the structures the
 * library built before, and the decoder of send answers to protobuf-c's
 * decoding as the pull decoders are.  The decoders of received
 * messages and pull answers are held to protobuf-c's own decoding, on
 * random messages with every field of the descriptor, merged encodings,
 * unknown fields, and cut or flipped bytes; a received message changed
 * is copied first.
 */
#include "config.h"

#include <check.h>
#include <event2/buffer.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "compress.h"
#include "msg.h"
#include "xmalloc.h"

#include "proto/frame.pb-c.h"

#ifndef nitems
#define nitems(a)	(sizeof (a) / sizeof (a)[0])
#endif

START_TEST(test_build)
{
	struct petrel_msg	*m;
	size_t			 len;
	char			 key[300];

	m = petrel_msg_new("Orders", "hello", 5);
	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(petrel_msg_topic(m), "Orders");
	ck_assert_mem_eq(petrel_msg_body(m, &len), "hello", 5);
	ck_assert_uint_eq(len, 5);
	ck_assert_str_eq(petrel_msg_tag(m), "");
	ck_assert_int_eq(petrel_msg_set_tag(m, "TagA"), 0);
	ck_assert_str_eq(petrel_msg_tag(m), "TagA");
	ck_assert_int_eq(petrel_msg_set_tag(m, "a||b"), -1);
	ck_assert_int_eq(petrel_msg_add_key(m, "k1"), 0);
	ck_assert_int_eq(petrel_msg_add_key(m, "k 2"), -1);
	ck_assert_int_eq(petrel_msg_add_key(m, ""), -1);
	memset(key, 'k', sizeof key - 1);
	key[sizeof key - 1] = '\0';
	ck_assert_int_eq(petrel_msg_add_key(m, key), -1);
	ck_assert_uint_eq(petrel_msg_nkeys(m), 1);
	ck_assert_str_eq(petrel_msg_key(m, 0), "k1");
	ck_assert_ptr_null(petrel_msg_key(m, 1));
	ck_assert_int_eq(petrel_msg_set_property(m, "color", "red"), 0);
	ck_assert_int_eq(petrel_msg_set_property(m, "color", "blue"), 0);
	ck_assert_str_eq(petrel_msg_property(m, "color"), "blue");
	ck_assert_ptr_null(petrel_msg_property(m, "size"));
	ck_assert_int_eq(petrel_msg_set_property(m, "KEYS", "x"), -1);
	ck_assert_int_eq(petrel_msg_set_property(m, "a\001b", "x"), -1);
	ck_assert_int_eq(petrel_msg_set_delay_level(m, 18), 0);
	ck_assert_int_eq(petrel_msg_set_delay_level(m, 19), -1);
	ck_assert_int_eq(petrel_msg_set_delay_level(m, -1), -1);
	ck_assert_str_eq(petrel_msg_broker(m), "");
	petrel_msg_free(m);
	ck_assert_ptr_null(petrel_msg_new(NULL, "x", 1));
	ck_assert_ptr_null(petrel_msg_new("T", NULL, 1));
	m = petrel_msg_new("T", NULL, 0);
	ck_assert_ptr_nonnull(m);
	petrel_msg_free(m);
}
END_TEST

START_TEST(test_keys_max)
{
	struct petrel_msg	*m = petrel_msg_new("T", "", 0);
	char			 k[8];
	int			 i;

	for (i = 0; i < 32; i++) {
		snprintf(k, sizeof k, "k%d", i);
		ck_assert_int_eq(petrel_msg_add_key(m, k), 0);
	}
	ck_assert_int_eq(petrel_msg_add_key(m, "one-more"), -1);
	petrel_msg_free(m);
}
END_TEST

/* Whether s is 32 upper-case hex digits. */
static int
is_hex32(const char *s)
{
	return (strlen(s) == 32 && strspn(s, "0123456789ABCDEF") == 32);
}

START_TEST(test_unique_id)
{
	char	a[40], b[40], pid[8];

	client_unique_id(a, sizeof a);
	client_unique_id(b, sizeof b);
	ck_assert(is_hex32(a));
	ck_assert(is_hex32(b));
	ck_assert_str_ne(a, b);
	/* Same process: same IP, pid and random part. */
	ck_assert_mem_eq(a, b, 20);
	snprintf(pid, sizeof pid, "%04X", (unsigned)getpid() & 0xffff);
	ck_assert_mem_eq(a + 8, pid, 4);
}
END_TEST

/*
 * The OutgoingMessage client_send_new() encodes for msg, as protobuf-c
 * decodes it, in *out (caller frees); 0, or -1 with *out NULL and err
 * filled in if msg is refused.
 */
static int
outgoing(const struct petrel_msg *msg, uint32_t compress_over,
    Petrel__OutgoingMessage **out, struct petrel_error *err)
{
	struct client_send		*s;
	Petrel__SendMessageRequest	*req;

	*out = NULL;
	if ((s = client_send_new(&msg, 1, compress_over, err)) == NULL)
		return (-1);
	ck_assert_uint_eq(s->nmsgs, 1);
	ck_assert_str_eq(s->topic, msg->m->topic);
	ck_assert_uint_eq(s->delay_level, msg->delay_level);
	req = msg_unpack(&petrel__send_message_request__descriptor, s->data,
	    s->len);
	ck_assert_ptr_nonnull(req);
	ck_assert_ptr_nonnull(req->message);
	ck_assert_str_eq(req->message->unique_id, s->unique_id);
	ck_assert_uint_eq(req->message->body.len, s->bodies);
	*out = req->message;
	req->message = NULL;
	msg_free(req);
	free(s);
	return (0);
}

START_TEST(test_outgoing)
{
	struct petrel_msg	*m;
	Petrel__OutgoingMessage	*o, *o2;
	struct petrel_error	 err;

	m = petrel_msg_new("Orders", "hello", 5);
	petrel_msg_set_tag(m, "TagA");
	petrel_msg_add_key(m, "k1");
	petrel_msg_set_property(m, "color", "red");
	petrel_msg_set_delay_level(m, 3);
	ck_assert_int_eq(outgoing(m, 4096, &o, &err), 0);
	ck_assert_uint_eq(o->body.len, 5);
	ck_assert_mem_eq(o->body.data, "hello", 5);
	ck_assert_uint_eq(o->flags, 0);
	ck_assert_str_eq(o->tags, "TagA");
	ck_assert_uint_eq(o->n_keys, 1);
	ck_assert_str_eq(o->keys[0], "k1");
	ck_assert_uint_eq(o->n_properties, 1);
	ck_assert_str_eq(o->properties[0]->name, "color");
	ck_assert_uint_eq(o->delay_level, 3);
	ck_assert(is_hex32(o->unique_id));
	ck_assert_uint_gt(o->born_timestamp_ms, 0);
	ck_assert_int_eq(outgoing(m, 4096, &o2, &err), 0);
	ck_assert_str_ne(o->unique_id, o2->unique_id);
	msg_free(o);
	msg_free(o2);
	petrel_msg_free(m);
}
END_TEST

START_TEST(test_outgoing_bad)
{
	struct petrel_msg	*m;
	Petrel__OutgoingMessage	*o;
	struct petrel_error	 err;
	char			*big;
	const char		*bad[] = { "", "%RETRY%g", "a/b", "a b", "a|b",
				    NULL };
	size_t			 i;

	for (i = 0; bad[i] != NULL; i++) {
		m = petrel_msg_new(bad[i], "x", 1);
		ck_assert_int_eq(outgoing(m, 0, &o, &err), -1);
		ck_assert_int_eq(err.code, PETREL_E_BAD_REQUEST);
		ck_assert_ptr_null(o);
		petrel_msg_free(m);
	}
	big = xcalloc(1, 4 * 1024 * 1024 + 1);
	m = petrel_msg_new("T", big, 4 * 1024 * 1024 + 1);
	ck_assert_int_eq(outgoing(m, 0, &o, &err), -1);
	ck_assert_int_eq(err.code, PETREL_E_MESSAGE_ILLEGAL);
	petrel_msg_free(m);
	free(big);
}
END_TEST

/* The encoding of m in a new buffer (caller frees); *len its length. */
static uint8_t *
pack(const void *m, size_t *len)
{
	uint8_t	*buf;

	*len = protobuf_c_message_get_packed_size(m);
	buf = xmalloc(*len + 1);
	ck_assert_uint_eq(protobuf_c_message_pack(m, buf), *len);
	return (buf);
}

/* A received message decoded from the encoding of m. */
static struct petrel_msg *
receive(const Petrel__Message *m, const char *broker, size_t size)
{
	struct petrel_msg	*r;
	uint8_t			*buf;
	size_t			 len;

	buf = pack(m, &len);
	r = client_msg_decode(buf, len, broker, size);
	free(buf);
	ck_assert_ptr_nonnull(r);
	return (r);
}

START_TEST(test_compress)
{
	struct petrel_msg	*m, *r;
	Petrel__OutgoingMessage	*o;
	Petrel__Message		*in;
	struct petrel_error	 err;
	char			*body, *cause = NULL;
	const void		*b;
	size_t			 len, i;

	body = xmalloc(10000);
	for (i = 0; i < 10000; i++)
		body[i] = 'a' + (char)(i % 5);
	m = petrel_msg_new("T", body, 10000);
	/* Over the threshold: compressed and flagged. */
	ck_assert_int_eq(outgoing(m, 4096, &o, &err), 0);
	ck_assert_uint_eq(o->flags,
	    PETREL__MESSAGE_FLAG__MESSAGE_FLAG_COMPRESSED);
	ck_assert_uint_lt(o->body.len, 10000);
	/* What a consumer gets back is the original body. */
	in = msg_new(&petrel__message__descriptor);
	msg_set_string(&in->topic, "T");
	in->flags = o->flags;
	msg_move_bytes(&in->body, &o->body);
	r = receive(in, "broker-a", sizeof *r);
	ck_assert_uint_eq(r->m->flags,
	    PETREL__MESSAGE_FLAG__MESSAGE_FLAG_COMPRESSED);
	ck_assert_int_eq(client_msg_decompress(r, &cause), 0);
	ck_assert_uint_eq(r->m->flags, 0);
	b = petrel_msg_body(r, &len);
	ck_assert_uint_eq(len, 10000);
	ck_assert_mem_eq(b, body, 10000);
	ck_assert_str_eq(petrel_msg_broker(r), "broker-a");
	ck_assert_str_eq(petrel_msg_topic(r), "T");
	petrel_msg_free(r);
	msg_free(in);
	msg_free(o);
	/* Compression off, or a body at the threshold: as is. */
	ck_assert_int_eq(outgoing(m, 0, &o, &err), 0);
	ck_assert_uint_eq(o->flags, 0);
	ck_assert_uint_eq(o->body.len, 10000);
	msg_free(o);
	ck_assert_int_eq(outgoing(m, 10000, &o, &err), 0);
	ck_assert_uint_eq(o->flags, 0);
	msg_free(o);
	petrel_msg_free(m);
	free(body);
}
END_TEST

START_TEST(test_received_bad)
{
	Petrel__Message		*in;
	struct petrel_msg	*r;
	char			*cause = NULL;

	in = msg_new(&petrel__message__descriptor);
	in->flags = PETREL__MESSAGE_FLAG__MESSAGE_FLAG_COMPRESSED;
	msg_set_bytes(&in->body, "\377\377\377\377garbage", 11);
	r = receive(in, "b", sizeof *r);
	ck_assert_int_eq(client_msg_decompress(r, &cause), -1);
	ck_assert_ptr_nonnull(cause);
	free(cause);
	petrel_msg_free(r);		/* refused, still freed whole */
	msg_free(in);
}
END_TEST

/* xorshift64*: the tests' random numbers, the same on every run. */
static uint64_t	rnd_state = 0x9e3779b97f4a7c15ULL;

static uint64_t
rnd(void)
{
	rnd_state ^= rnd_state >> 12;
	rnd_state ^= rnd_state << 25;
	rnd_state ^= rnd_state >> 27;
	return (rnd_state * 0x2545f4914f6cdd1dULL);
}

/* 0 to n - 1. */
static size_t
rnd_below(size_t n)
{
	return (n == 0 ? 0 : (size_t)(rnd() % n));
}

/* Bytes of one item of a field of type t. */
static size_t
elt_size(ProtobufCType t)
{
	switch (t) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
	case PROTOBUF_C_TYPE_FLOAT:
	case PROTOBUF_C_TYPE_ENUM:
		return (4);
	case PROTOBUF_C_TYPE_BOOL:
		return (sizeof (protobuf_c_boolean));
	case PROTOBUF_C_TYPE_STRING:
		return (sizeof (char *));
	case PROTOBUF_C_TYPE_BYTES:
		return (sizeof (ProtobufCBinaryData));
	case PROTOBUF_C_TYPE_MESSAGE:
		return (sizeof (void *));
	default:
		return (8);
	}
}

static void	rnd_fill(ProtobufCMessage *, unsigned int *);

/* A random value of field f at at: of any width, strings of any byte. */
static void
rnd_value(const ProtobufCFieldDescriptor *f, void *at)
{
	ProtobufCBinaryData	*bd = at;
	ProtobufCMessage	*sub;
	size_t			 len, i, shift = rnd_below(65);
	uint64_t		 v = shift == 64 ? 0 : rnd() >> shift;
	char			*s;

	switch (f->type) {
	case PROTOBUF_C_TYPE_STRING:
		len = rnd_below(4) == 0 ? 0 : rnd_below(60);
		s = xmalloc(len + 1);
		for (i = 0; i < len; i++)
			s[i] = (char)(1 + rnd_below(255));
		s[len] = '\0';
		*(char **)at = s;
		break;
	case PROTOBUF_C_TYPE_BYTES:
		bd->len = rnd_below(4) == 0 ? 0 : rnd_below(3000);
		bd->data = bd->len == 0 ? NULL : xmalloc(bd->len);
		for (i = 0; i < bd->len; i++)
			bd->data[i] = (uint8_t)rnd();
		break;
	case PROTOBUF_C_TYPE_MESSAGE:
		sub = msg_new(f->descriptor);
		rnd_fill(sub, NULL);
		*(ProtobufCMessage **)at = sub;
		break;
	case PROTOBUF_C_TYPE_BOOL:
		*(protobuf_c_boolean *)at = (protobuf_c_boolean)(v & 1);
		break;
	default:
		memcpy(at, &v, elt_size(f->type));	/* little-endian */
		break;
	}
}

/*
 * Give every field of m, whatever its type, a random value three times in
 * four (repeated ones one to five items); seen[i] counts field i set.
 */
static void
rnd_fill(ProtobufCMessage *m, unsigned int *seen)
{
	const ProtobufCMessageDescriptor	*d = m->descriptor;
	const ProtobufCFieldDescriptor		*f;
	unsigned int				 i;
	size_t					 n, j;
	char					*at, *items;

	for (i = 0; i < d->n_fields; i++) {
		f = &d->fields[i];
		ck_assert_msg((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) == 0,
		    "%s.%s: a oneof, not generated here", d->name, f->name);
		if (rnd_below(4) == 0)
			continue;
		if (seen != NULL)
			seen[i]++;
		at = (char *)m + f->offset;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			n = 1 + rnd_below(5);
			items = xcalloc(n, elt_size(f->type));
			for (j = 0; j < n; j++)
				rnd_value(f, items + j * elt_size(f->type));
			*(size_t *)(void *)((char *)m +
			    f->quantifier_offset) = n;
			*(char **)(void *)at = items;
			continue;
		}
		if (f->label == PROTOBUF_C_LABEL_OPTIONAL &&
		    f->quantifier_offset != 0)
			*(protobuf_c_boolean *)(void *)((char *)m +
			    f->quantifier_offset) = 1;
		rnd_value(f, at);
	}
}

/* Fail unless fields a and b (of field f) are the same value. */
static void	assert_same(const ProtobufCMessage *,
		    const ProtobufCMessage *);

static void
assert_same_value(const ProtobufCFieldDescriptor *f, const void *a,
    const void *b)
{
	const ProtobufCBinaryData	*x = a, *y = b;

	switch (f->type) {
	case PROTOBUF_C_TYPE_STRING:
		ck_assert_msg(strcmp(*(char *const *)a, *(char *const *)b) == 0,
		    "field %s differs", f->name);
		break;
	case PROTOBUF_C_TYPE_BYTES:
		ck_assert_msg(x->len == y->len && (x->len == 0 ||
		    memcmp(x->data, y->data, x->len) == 0),
		    "field %s differs", f->name);
		break;
	case PROTOBUF_C_TYPE_MESSAGE:
		if (*(void *const *)a == NULL || *(void *const *)b == NULL)
			ck_assert_msg(*(void *const *)a == *(void *const *)b,
			    "field %s differs", f->name);
		else
			assert_same(*(ProtobufCMessage *const *)a,
			    *(ProtobufCMessage *const *)b);
		break;
	default:
		ck_assert_msg(memcmp(a, b, elt_size(f->type)) == 0,
		    "field %s differs", f->name);
		break;
	}
}

/* Fail unless a and b hold the same value in every field. */
static void
assert_same(const ProtobufCMessage *a, const ProtobufCMessage *b)
{
	const ProtobufCMessageDescriptor	*d = a->descriptor;
	const ProtobufCFieldDescriptor		*f;
	const char				*pa, *pb;
	unsigned int				 i;
	size_t					 n, j, sz;

	ck_assert_ptr_eq(b->descriptor, d);
	for (i = 0; i < d->n_fields; i++) {
		f = &d->fields[i];
		pa = (const char *)a + f->offset;
		pb = (const char *)b + f->offset;
		if (f->label != PROTOBUF_C_LABEL_REPEATED) {
			assert_same_value(f, pa, pb);
			continue;
		}
		n = *(const size_t *)(const void *)((const char *)a +
		    f->quantifier_offset);
		ck_assert_msg(n == *(const size_t *)(const void *)
		    ((const char *)b + f->quantifier_offset),
		    "field %s: not as many items", f->name);
		sz = elt_size(f->type);
		for (j = 0; j < n; j++)
			assert_same_value(f, *(char *const *)(const void *)pa +
			    j * sz, *(char *const *)(const void *)pb + j * sz);
	}
}

/*
 * Call check on the encoding of len bytes at buf cut short at every step
 * or so, then with one bit flipped, flips times.  Each goes in a buffer
 * of its own, so ASan sees any read past it.
 */
static void
mangle(const uint8_t *buf, size_t len, size_t step, int flips,
    void (*check)(const uint8_t *, size_t))
{
	uint8_t	*copy = xmalloc(len + 1);
	size_t	 cut;
	int	 k;

	for (cut = 0; cut < len; cut += 1 + rnd_below(step)) {
		memcpy(copy, buf, cut);
		check(copy, cut);
	}
	for (k = 0; k < flips && len != 0; k++) {
		memcpy(copy, buf, len);
		copy[rnd_below(len)] ^= (uint8_t)(1 << rnd_below(8));
		check(copy, len);
	}
	free(copy);
}

/*
 * Decode len bytes as protobuf-c does and as client_msg_decode() does:
 * both refuse them, or both decode the same fields.
 */
static void
assert_decodes_alike(const uint8_t *data, size_t len)
{
	struct petrel_msg	*r;
	Petrel__Message		*want;

	want = msg_unpack(&petrel__message__descriptor, data, len);
	r = client_msg_decode(data, len, "broker-x", sizeof *r);
	if (want == NULL) {
		ck_assert_ptr_null(r);
		return;
	}
	ck_assert_msg(r != NULL, "a Message protobuf-c decodes is refused");
	assert_same(&want->base, &r->m->base);
	ck_assert(r->inblock);
	ck_assert_str_eq(r->broker, "broker-x");
	petrel_msg_free(r);
	msg_free(want);
}

START_TEST(test_decode_random)
{
	Petrel__Message	*m;
	unsigned int	 seen[64];
	uint8_t		*buf;
	size_t		 len, i;

	ck_assert_uint_le(petrel__message__descriptor.n_fields, 64);
	memset(seen, 0, sizeof seen);
	for (i = 0; i < 2000; i++) {
		m = msg_new(&petrel__message__descriptor);
		rnd_fill(&m->base, seen);
		buf = pack(m, &len);
		assert_decodes_alike(buf, len);
		free(buf);
		msg_free(m);
	}
	/* Every field of the descriptor was tried: a new one is too. */
	for (i = 0; i < petrel__message__descriptor.n_fields; i++)
		ck_assert_msg(seen[i] > 100, "field %s never set",
		    petrel__message__descriptor.fields[i].name);
	/* Nothing at all is a Message of defaults. */
	assert_decodes_alike(NULL, 0);
}
END_TEST

/* Append an unknown field (number over 1000) of a random wire type. */
static void
add_unknown(struct evbuffer *b)
{
	uint8_t		 tag[3], v[10];
	uint32_t	 number = 1000 + (uint32_t)rnd_below(100000);
	static const unsigned int wires[] = { 0, 1, 2, 5 };
	unsigned int	 wire = wires[rnd_below(4)];
	uint64_t	 t = (uint64_t)number << 3 | wire;
	size_t		 n = 0, len;

	while (t >= 0x80) {
		tag[n++] = (uint8_t)(t | 0x80);
		t >>= 7;
	}
	tag[n++] = (uint8_t)t;
	evbuffer_add(b, tag, n);
	len = wire == 0 ? 1 + rnd_below(10) : wire == 1 ? 8 : wire == 5 ? 4 :
	    rnd_below(10);
	if (wire == 2) {
		v[0] = (uint8_t)len;
		evbuffer_add(b, v, 1);
	}
	for (n = 0; n < len; n++)
		v[n] = (uint8_t)(rnd() | (wire == 0 && n + 1 < len ? 0x80 : 0));
	if (wire == 0)
		v[len - 1] &= 0x7f;
	evbuffer_add(b, v, len);
}

/*
 * Append to b the encodings of 1 to max random messages of type d, one
 * after another, an unknown field after some: what decodes as one
 * message with fields in any order, some given twice.
 */
static void
add_random(struct evbuffer *b, const ProtobufCMessageDescriptor *d,
    size_t max)
{
	ProtobufCMessage	*m;
	uint8_t			*buf;
	size_t			 j, n, len;

	for (j = 0, n = 1 + rnd_below(max); j < n; j++) {
		m = msg_new(d);
		rnd_fill(m, NULL);
		buf = pack(m, &len);
		evbuffer_add(b, buf, len);
		free(buf);
		msg_free(m);
		if (rnd_below(2))
			add_unknown(b);
	}
}

START_TEST(test_decode_merged)
{
	struct evbuffer	*b = evbuffer_new();
	size_t		 len, i;

	/*
	 * Fields in any order, given twice (the last wins, repeated ones add
	 * up), with unknown fields between: concatenated encodings of
	 * messages of a few fields each.
	 */
	for (i = 0; i < 500; i++) {
		add_random(b, &petrel__message__descriptor, 6);
		len = evbuffer_get_length(b);
		assert_decodes_alike(evbuffer_pullup(b, -1), len);
		evbuffer_drain(b, len);
	}
	evbuffer_free(b);
}
END_TEST

START_TEST(test_decode_bad)
{
	/* Known fields of the wrong wire type, fields that do not parse. */
	static const struct {
		const char	*what;
		uint8_t		 data[16];
		size_t		 len;
	} bad[] = {
		{ "topic as a varint", { 0x08, 0x01 }, 2 },
		{ "queue_id as bytes", { 0x12, 0x01, 0x00 }, 3 },
		{ "queue_offset as 64-bit", { 0x19, 1, 2, 3, 4, 5, 6, 7, 8 },
		    9 },
		{ "key as a 32-bit", { 0x55, 1, 2, 3, 4 }, 5 },
		{ "property name as a varint", { 0x5a, 0x02, 0x08, 0x01 }, 4 },
		{ "property cut short", { 0x5a, 0x03, 0x0a, 0x05, 'a' }, 5 },
		{ "field 0", { 0x00, 0x01 }, 2 },
		{ "field 0 of an unknown wire type", { 0x87, 0x00 }, 2 },
		{ "a group", { 0x0b, 0x0c }, 2 },
		{ "wire type 6", { 0x0e, 0x00 }, 2 },
		{ "varint of 11 bytes", { 0x10, 0xff, 0xff, 0xff, 0xff, 0xff,
		    0xff, 0xff, 0xff, 0xff, 0xff, 0x01 }, 12 },
		{ "length past the end", { 0x0a, 0x05, 'a', 'b' }, 4 },
		{ "length of 6 bytes", { 0x0a, 0x81, 0x80, 0x80, 0x80, 0x80,
		    0x00, 'a' }, 8 },
		{ "tag of 6 bytes", { 0x88, 0x80, 0x80, 0x80, 0x80, 0x00,
		    0x01 }, 7 },
		{ "64-bit cut short", { 0xf9, 0x7f, 1, 2, 3 }, 5 },
		{ "tag cut short", { 0x88 }, 1 },
	};
	/* Odd, but protobuf-c takes them: unknown fields. */
	static const struct {
		uint8_t		 data[16];
		size_t		 len;
	} odd[] = {
		/* Field 0 in a tag of two bytes. */
		{ { 0x80, 0x00, 0x06 }, 3 },
		/* Fields 2^29 - 1 and, past the limit, 2^32 - 1. */
		{ { 0xf8, 0xff, 0xff, 0xff, 0x0f, 0x01 }, 6 },
		{ { 0xf8, 0xff, 0xff, 0xff, 0x7f, 0x01 }, 6 },
		/* A varint of ten bytes, bits past 64. */
		{ { 0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		    0x7f }, 11 },
		/* An unknown field of 64 bits. */
		{ { 0xc1, 0x3e, 1, 2, 3, 4, 5, 6, 7, 8 }, 10 },
	};
	Petrel__Message	*m;
	uint8_t		*buf;
	size_t		 len, i;

	for (i = 0; i < nitems(odd); i++) {
		m = msg_unpack(&petrel__message__descriptor, odd[i].data,
		    odd[i].len);
		ck_assert_msg(m != NULL, "protobuf-c refuses odd case %zu", i);
		msg_free(m);
		assert_decodes_alike(odd[i].data, odd[i].len);
	}
	for (i = 0; i < nitems(bad); i++) {
		ck_assert_msg(client_msg_decode(bad[i].data, bad[i].len, "b",
		    sizeof (struct petrel_msg)) == NULL, "%s decodes",
		    bad[i].what);
		ck_assert_msg(msg_unpack(&petrel__message__descriptor,
		    bad[i].data, bad[i].len) == NULL, "protobuf-c takes %s",
		    bad[i].what);
	}
	/* Every cut and flipped byte: refused, or decoded as protobuf-c. */
	for (i = 0; i < 200; i++) {
		m = msg_new(&petrel__message__descriptor);
		rnd_fill(&m->base, NULL);
		buf = pack(m, &len);
		mangle(buf, len, 40, 20, assert_decodes_alike);
		free(buf);
		msg_free(m);
	}
}
END_TEST

START_TEST(test_decode_block)
{
	struct petrel_msg	*r;
	Petrel__Message		*m;
	uint8_t			*head;
	size_t			 i;

	/* The caller's part before the message is zeroed, m aligned. */
	m = msg_new(&petrel__message__descriptor);
	msg_set_string(&m->topic, "T");
	msg_set_string(&m->tags, "TagA");
	m->queue_offset = 42;
	r = receive(m, "broker-a", sizeof *r + 13);
	head = (uint8_t *)r + sizeof *r;
	for (i = 0; i < 13; i++)
		ck_assert_uint_eq(head[i], 0);
	ck_assert_uint_eq((uintptr_t)r->m % sizeof (uint64_t), 0);
	ck_assert_ptr_null(r->body);
	ck_assert_uint_eq(r->delay_level, 0);
	ck_assert_str_eq(petrel_msg_topic(r), "T");
	ck_assert_str_eq(petrel_msg_tag(r), "TagA");
	ck_assert_uint_eq(petrel_msg_queue_offset(r), 42);
	/* Defaults: "" strings, an empty body without data. */
	ck_assert_str_eq(petrel_msg_id(r), "");
	ck_assert_ptr_null(petrel_msg_body(r, &i));
	ck_assert_uint_eq(i, 0);
	ck_assert_uint_eq(petrel_msg_nkeys(r), 0);
	ck_assert_ptr_null(petrel_msg_property(r, "x"));
	petrel_msg_free(r);
	msg_free(m);
}
END_TEST

START_TEST(test_copy_on_write)
{
	struct petrel_msg	*r;
	Petrel__Message		*m, *before;
	Petrel__Property	*p;
	Petrel__OutgoingMessage	*o;
	struct petrel_error	 err;
	char			*cause = NULL, key[8];
	size_t			 len, i;
	int			 step;

	for (step = 0; step < 4; step++) {
		m = msg_new(&petrel__message__descriptor);
		msg_set_string(&m->topic, "Orders");
		msg_set_string(&m->tags, "old");
		msg_array_add((void ***)&m->keys, &m->n_keys, xstrdup("k1"));
		p = msg_new(&petrel__property__descriptor);
		msg_set_string(&p->name, "color");
		msg_set_string(&p->value, "red");
		msg_array_add((void ***)&m->properties, &m->n_properties, p);
		msg_set_bytes(&m->body, "payload", 7);
		m->queue_offset = 7;
		m->reconsume_times = 2;
		r = receive(m, "broker-a", sizeof *r);
		ck_assert(r->inblock);

		/* Refused changes copy nothing. */
		ck_assert_int_eq(petrel_msg_set_tag(r, "a||b"), -1);
		ck_assert_int_eq(petrel_msg_add_key(r, "a b"), -1);
		ck_assert_int_eq(petrel_msg_set_property(r, "KEYS", "x"), -1);
		ck_assert_int_eq(petrel_msg_set_delay_level(r, 2), 0);
		ck_assert(r->inblock);

		before = msg_dup(r->m);
		switch (step) {
		case 0:
			ck_assert_int_eq(petrel_msg_set_tag(r, "new"), 0);
			ck_assert_str_eq(petrel_msg_tag(r), "new");
			msg_set_string(&before->tags, "new");
			break;
		case 1:
			for (i = 2; i <= 32; i++) {
				snprintf(key, sizeof key, "k%zu", i);
				ck_assert_int_eq(petrel_msg_add_key(r, key), 0);
				msg_array_add((void ***)&before->keys,
				    &before->n_keys, xstrdup(key));
			}
			ck_assert_int_eq(petrel_msg_add_key(r, "k33"), -1);
			break;
		case 2:
			/* Replacing the value of one in the block. */
			ck_assert_int_eq(petrel_msg_set_property(r, "color",
			    "blue"), 0);
			ck_assert_int_eq(petrel_msg_set_property(r, "size",
			    "L"), 0);
			ck_assert_str_eq(petrel_msg_property(r, "color"),
			    "blue");
			msg_set_string(&before->properties[0]->value, "blue");
			p = msg_new(&petrel__property__descriptor);
			msg_set_string(&p->name, "size");
			msg_set_string(&p->value, "L");
			msg_array_add((void ***)&before->properties,
			    &before->n_properties, p);
			break;
		case 3:
			/* A decompressed body goes along. */
			r->m->flags = 0;
			ck_assert_int_eq(client_msg_decompress(r, &cause), 0);
			ck_assert_int_eq(petrel_msg_set_tag(r, ""), 0);
			msg_set_string(&before->tags, "");
			break;
		}
		ck_assert(!r->inblock);
		ck_assert_ptr_null(r->body);
		assert_same(&before->base, &r->m->base);
		ck_assert_str_eq(petrel_msg_broker(r), "broker-a");
		ck_assert_mem_eq(petrel_msg_body(r, &len), "payload", 7);
		ck_assert_uint_eq(r->delay_level, 2);
		/* A changed received message can be sent on. */
		ck_assert_int_eq(outgoing(r, 0, &o, &err), 0);
		ck_assert_str_eq(o->tags, r->m->tags);
		msg_free(o);
		/* And changed again, on the heap now. */
		ck_assert_int_eq(petrel_msg_set_tag(r, "again"), 0);
		ck_assert_str_eq(petrel_msg_tag(r), "again");
		msg_free(before);
		petrel_msg_free(r);
		msg_free(m);
	}
}
END_TEST

START_TEST(test_copy_on_write_compressed)
{
	struct petrel_msg	*r, *out;
	Petrel__OutgoingMessage	*o;
	Petrel__Message		*in;
	struct petrel_error	 err;
	char			 body[5000], *cause = NULL;
	size_t			 len;

	memset(body, 'z', sizeof body);
	out = petrel_msg_new("T", body, sizeof body);
	ck_assert_int_eq(outgoing(out, 100, &o, &err), 0);
	in = msg_new(&petrel__message__descriptor);
	msg_set_string(&in->topic, "T");
	in->flags = o->flags;
	msg_move_bytes(&in->body, &o->body);
	r = receive(in, "b", sizeof *r);
	ck_assert_int_eq(client_msg_decompress(r, &cause), 0);
	ck_assert_ptr_nonnull(r->body);
	ck_assert_int_eq(petrel_msg_set_property(r, "p", "v"), 0);
	ck_assert_ptr_null(r->body);	/* the copy has its own */
	ck_assert_mem_eq(petrel_msg_body(r, &len), body, sizeof body);
	ck_assert_uint_eq(len, sizeof body);
	ck_assert_uint_eq(r->m->flags, 0);
	petrel_msg_free(r);
	petrel_msg_free(out);
	msg_free(in);
	msg_free(o);
}
END_TEST

/* A PullMessageResponse of n random messages. */
static Petrel__PullMessageResponse *
rnd_pull(size_t n)
{
	Petrel__PullMessageResponse	*r;
	Petrel__Message			*m;
	size_t				 i;

	r = msg_new(&petrel__pull_message_response__descriptor);
	r->status = (uint32_t[]){ 0, 300, 301, 302, 70000 }[rnd_below(5)];
	r->next_offset = rnd() >> rnd_below(64);
	r->min_offset = rnd() >> rnd_below(64);
	r->max_offset = rnd() >> rnd_below(64);
	for (i = 0; i < n; i++) {
		m = msg_new(&petrel__message__descriptor);
		rnd_fill(&m->base, NULL);
		msg_array_add((void ***)&r->messages, &r->n_messages, m);
	}
	return (r);
}

/*
 * Decode len bytes as protobuf-c does and as client_pull_decode() does:
 * both refuse them, or both give the same answer.
 */
static void
assert_pull_alike(const uint8_t *data, size_t len)
{
	Petrel__PullMessageResponse	*want;
	struct client_pull		 r;
	size_t				 i;
	int				 rc;

	want = msg_unpack(&petrel__pull_message_response__descriptor, data,
	    len);
	rc = client_pull_decode(&r, data, len, "broker-p",
	    sizeof (struct petrel_msg) + 16);
	if (want == NULL) {
		ck_assert_int_eq(rc, -1);
		ck_assert_ptr_null(r.msgs);
		ck_assert_uint_eq(r.nmsgs, 0);
		return;
	}
	ck_assert_msg(rc == 0, "an answer protobuf-c decodes is refused");
	ck_assert_uint_eq(r.status, want->status);
	ck_assert_uint_eq(r.next_offset, want->next_offset);
	ck_assert_uint_eq(r.min_offset, want->min_offset);
	ck_assert_uint_eq(r.max_offset, want->max_offset);
	ck_assert_uint_eq(r.nmsgs, want->n_messages);
	for (i = 0; i < r.nmsgs; i++) {
		assert_same(&want->messages[i]->base, &r.msgs[i]->m->base);
		ck_assert_str_eq(petrel_msg_broker(r.msgs[i]), "broker-p");
		petrel_msg_free(r.msgs[i]);
	}
	free(r.msgs);
	msg_free(want);
}

START_TEST(test_pull_decode)
{
	Petrel__PullMessageResponse	*pr;
	struct evbuffer			*b = evbuffer_new();
	uint8_t				*buf;
	size_t				 len, i;

	for (i = 0; i < 100; i++) {
		pr = rnd_pull(rnd_below(4) == 0 ? 0 : 1 + rnd_below(50));
		buf = pack(pr, &len);
		assert_pull_alike(buf, len);
		/* With unknown fields before, between and after. */
		add_unknown(b);
		evbuffer_add(b, buf, len);
		add_unknown(b);
		len = evbuffer_get_length(b);
		assert_pull_alike(evbuffer_pullup(b, -1), len);
		evbuffer_drain(b, len);
		free(buf);
		msg_free(pr);
	}
	assert_pull_alike(NULL, 0);
	/* Cut and flipped: refused (nothing kept), or as protobuf-c. */
	for (i = 0; i < 40; i++) {
		pr = rnd_pull(1 + rnd_below(5));
		buf = pack(pr, &len);
		mangle(buf, len, 200, 50, assert_pull_alike);
		free(buf);
		msg_free(pr);
	}
	/* A status as bytes, an offset as a 64-bit, messages as a varint. */
	assert_pull_alike((const uint8_t *)"\x0a\x00", 2);
	assert_pull_alike((const uint8_t *)"\x19" "12345678", 9);
	assert_pull_alike((const uint8_t *)"\x10\x01", 2);
	ck_assert_int_eq(client_pull_decode(&(struct client_pull){ 0 },
	    (const uint8_t *)"\x10\x01", 2, "b", sizeof (struct petrel_msg)),
	    -1);
	evbuffer_free(b);
}
END_TEST

/*
 * The OutgoingMessage of msg as the library built it before it encoded
 * sends by hand (unique id id, born time born): what the encoding is held
 * to.
 */
static Petrel__OutgoingMessage *
outgoing_ref(const struct petrel_msg *msg, uint32_t compress_over,
    const char *id, uint64_t born)
{
	Petrel__OutgoingMessage	*o;
	Petrel__Property	*p;
	const Petrel__Message	*m = msg->m;
	size_t			 i, clen;
	void			*cbody;
	char			*cause = NULL;

	o = msg_new(&petrel__outgoing_message__descriptor);
	if (compress_over != 0 && m->body.len > compress_over) {
		if (compress_lz4(m->body.data, m->body.len, &cbody, &clen,
		    &cause) != 0)
			free(cause);
		else if (clen >= m->body.len)
			free(cbody);
		else {
			o->body.data = cbody;
			o->body.len = clen;
			o->flags |=
			    PETREL__MESSAGE_FLAG__MESSAGE_FLAG_COMPRESSED;
		}
	}
	if (o->body.data == NULL)
		msg_set_bytes(&o->body, m->body.data, m->body.len);
	msg_set_string(&o->tags, m->tags);
	if (m->n_keys != 0) {
		o->keys = xcalloc(m->n_keys, sizeof *o->keys);
		for (i = 0; i < m->n_keys; i++)
			o->keys[i] = xstrdup(m->keys[i]);
		o->n_keys = m->n_keys;
	}
	if (m->n_properties != 0) {
		o->properties = xcalloc(m->n_properties,
		    sizeof *o->properties);
		for (i = 0; i < m->n_properties; i++) {
			p = msg_new(&petrel__property__descriptor);
			msg_set_string(&p->name, m->properties[i]->name);
			msg_set_string(&p->value, m->properties[i]->value);
			o->properties[i] = p;
		}
		o->n_properties = m->n_properties;
	}
	msg_set_string(&o->unique_id, id);
	o->delay_level = msg->delay_level;
	o->born_timestamp_ms = born;
	return (o);
}

/* A random string of 1 to max bytes of letters, digits and c. */
static char *
rnd_name(char *buf, size_t max, char c)
{
	static const char	 set[] = "abcXYZ019_-";
	size_t			 len = 1 + rnd_below(max), i;

	for (i = 0; i < len; i++)
		buf[i] = i % 7 == 3 ? c : set[rnd_below(sizeof set - 1)];
	buf[len] = '\0';
	return (buf);
}

/*
 * A message to topic with random parts: an empty, small, compressible or
 * random body, a tag or none, keys, properties (some with an empty
 * value), a delay level or none.
 */
static struct petrel_msg *
rnd_msg(const char *topic)
{
	struct petrel_msg	*m;
	uint8_t			*body;
	size_t			 len, i;
	char			 a[300], b[300];
	int			 kind = (int)rnd_below(4);

	len = kind == 0 ? 0 : kind == 1 ? 1 + rnd_below(200) :
	    4000 + rnd_below(3000);
	body = xmalloc(len + 1);
	for (i = 0; i < len; i++)
		body[i] = kind == 2 ? (uint8_t)(i % 11) : (uint8_t)rnd();
	m = petrel_msg_new(topic, body, len);
	free(body);
	if (rnd_below(2))
		ck_assert_int_eq(petrel_msg_set_tag(m, rnd_name(a, 200,
		    '.')), 0);
	for (i = rnd_below(4); i > 0; i--)
		ck_assert_int_eq(petrel_msg_add_key(m, rnd_name(a, 200,
		    '#')), 0);
	for (i = rnd_below(4); i > 0; i--) {
		rnd_name(a, 20, 'p');
		if (rnd_below(3) == 0)
			b[0] = '\0';
		else
			rnd_name(b, 290, ' ');
		ck_assert_int_eq(petrel_msg_set_property(m, a, b), 0);
	}
	if (rnd_below(2))
		petrel_msg_set_delay_level(m, 1 + (int)rnd_below(18));
	return (m);
}

START_TEST(test_send_encode)
{
	static const int32_t	 qids[] = { 0, 1, 7, 300, -1, INT32_MAX };
	static const uint32_t	 overs[] = { 0, 100, 4096 };
	struct petrel_msg	*msgs[6];
	struct client_send	*s;
	struct petrel_error	 err;
	Petrel__SendMessageRequest one = PETREL__SEND_MESSAGE_REQUEST__INIT;
	Petrel__SendBatchRequest batch = PETREL__SEND_BATCH_REQUEST__INIT;
	Petrel__SendMessageRequest *rone = NULL;
	Petrel__SendBatchRequest *rbatch = NULL;
	Petrel__OutgoingMessage	*refs[6], **mine;
	uint8_t			 head[512], *wire, *want;
	size_t			 n, i, j, hlen, len, wlen, bodies;
	uint32_t		 over;
	int			 isbatch;

	for (i = 0; i < 400; i++) {
		n = rnd_below(3) == 0 ? 1 + rnd_below(6) : 1;
		isbatch = n > 1 || rnd_below(2);
		for (j = 0; j < n; j++)
			msgs[j] = rnd_msg("Topic-x");
		over = overs[rnd_below(nitems(overs))];
		s = client_send_new((const struct petrel_msg *const *)msgs, n,
		    over, &err);
		ck_assert_ptr_nonnull(s);
		ck_assert_uint_eq(s->nmsgs, n);
		ck_assert_str_eq(s->topic, "Topic-x");
		ck_assert(is_hex32(s->unique_id));
		hlen = client_send_head(head, sizeof head, "group_A",
		    s->topic, qids[i % nitems(qids)], i % 5 == 0 ? "" :
		    "10.1.2.3:0");
		ck_assert_uint_gt(hlen, 0);
		len = hlen + s->len;
		wire = xmalloc(len);
		memcpy(wire, head, hlen);
		memcpy(wire + hlen, s->data, s->len);

		/* Our ids and times, read back, go into the reference. */
		if (isbatch) {
			rbatch = msg_unpack(
			    &petrel__send_batch_request__descriptor, wire,
			    len);
			ck_assert_ptr_nonnull(rbatch);
			ck_assert_uint_eq(rbatch->n_messages, n);
			mine = rbatch->messages;
		} else {
			rone = msg_unpack(
			    &petrel__send_message_request__descriptor, wire,
			    len);
			ck_assert_ptr_nonnull(rone);
			mine = &rone->message;
		}
		for (j = 0, bodies = 0; j < n; j++) {
			ck_assert(is_hex32(mine[j]->unique_id));
			if (j > 0)
				ck_assert_str_ne(mine[j]->unique_id,
				    mine[j - 1]->unique_id);
			ck_assert_uint_gt(mine[j]->born_timestamp_ms, 0);
			refs[j] = outgoing_ref(msgs[j], over,
			    mine[j]->unique_id, mine[j]->born_timestamp_ms);
			bodies += refs[j]->body.len;
		}
		ck_assert_str_eq(s->unique_id, mine[0]->unique_id);
		ck_assert_uint_eq(s->bodies, bodies);
		ck_assert_uint_eq(s->delay_level, msgs[0]->delay_level);

		/* Byte for byte what protobuf-c packs. */
		if (isbatch) {
			batch.producer_group = (char *)"group_A";
			batch.topic = (char *)"Topic-x";
			batch.queue_id = qids[i % nitems(qids)];
			batch.born_host = (char *)(i % 5 == 0 ? "" :
			    "10.1.2.3:0");
			batch.n_messages = n;
			batch.messages = refs;
			want = pack(&batch, &wlen);
			msg_free(rbatch);
		} else {
			one.producer_group = (char *)"group_A";
			one.topic = (char *)"Topic-x";
			one.queue_id = qids[i % nitems(qids)];
			one.born_host = (char *)(i % 5 == 0 ? "" :
			    "10.1.2.3:0");
			one.message = refs[0];
			want = pack(&one, &wlen);
			msg_free(rone);
		}
		ck_assert_uint_eq(len, wlen);
		ck_assert_mem_eq(wire, want, len);
		free(want);
		free(wire);
		free(s);
		for (j = 0; j < n; j++) {
			msg_free(refs[j]);
			petrel_msg_free(msgs[j]);
		}
	}

	/* A header that does not fit is none. */
	ck_assert_uint_eq(client_send_head(head, 10, "group_A", "Topic-x", 3,
	    "10.1.2.3:0"), 0);
	/* One bad message refuses the send. */
	msgs[0] = petrel_msg_new("T", "x", 1);
	msgs[1] = petrel_msg_new("bad topic", "x", 1);
	ck_assert_ptr_null(client_send_new(
	    (const struct petrel_msg *const *)msgs, 2, 0, &err));
	ck_assert_int_eq(err.code, PETREL_E_BAD_REQUEST);
	petrel_msg_free(msgs[0]);
	petrel_msg_free(msgs[1]);
}
END_TEST

/* Fail unless r holds what the producer took from sr (NULL: none). */
static void
assert_result(const struct petrel_send_result *r, const Petrel__SendResult *sr)
{
	char	id[PETREL_ID_MAX];

	client_copy(id, sizeof id, sr != NULL ? sr->msg_id : "");
	ck_assert_str_eq(r->msg_id, id);
	client_copy(id, sizeof id, sr != NULL ? sr->unique_id : "");
	ck_assert_str_eq(r->unique_id, id);
	ck_assert_uint_eq(r->queue_id, sr != NULL ? sr->queue_id : 0);
	ck_assert_uint_eq(r->queue_offset, sr != NULL ? sr->queue_offset : 0);
}

/*
 * Decode len bytes as a SendBatchResponse (sent_batch) or a
 * SendMessageResponse with protobuf-c and with client_send_decode() into
 * sent_n results: both refuse them, or the status and every result kept
 * are the same.
 */
static int	sent_batch;
static size_t	sent_n;

static void
assert_sent_alike(const uint8_t *data, size_t len)
{
	struct petrel_send_result	 got[8], *outs[8];
	Petrel__SendMessageResponse	*one;
	Petrel__SendBatchResponse	*batch;
	uint32_t			 status;
	size_t				 i, count;
	int				 rc;

	ck_assert_uint_le(sent_n, 8);
	for (i = 0; i < sent_n; i++) {
		memset(&got[i], 0xa5, sizeof got[i]);	/* all overwritten */
		got[i].msg_id[0] = got[i].unique_id[0] = 'x';
		got[i].msg_id[1] = got[i].unique_id[1] = '\0';
		outs[i] = &got[i];
	}
	rc = client_send_decode(data, len, sent_batch, &status, outs, sent_n,
	    &count);
	if (sent_batch) {
		batch = msg_unpack(&petrel__send_batch_response__descriptor,
		    data, len);
		if (batch == NULL) {
			ck_assert_int_eq(rc, -1);
			return;
		}
		ck_assert_msg(rc == 0, "a response protobuf-c decodes is "
		    "refused");
		ck_assert_uint_eq(status, batch->status);
		ck_assert_uint_eq(count, batch->n_results);
		for (i = 0; i < sent_n; i++)
			assert_result(&got[i], i < count ?
			    batch->results[i] : NULL);
		msg_free(batch);
		return;
	}
	one = msg_unpack(&petrel__send_message_response__descriptor, data,
	    len);
	if (one == NULL) {
		ck_assert_int_eq(rc, -1);
		return;
	}
	ck_assert_msg(rc == 0, "a response protobuf-c decodes is refused");
	ck_assert_uint_eq(status, one->status);
	ck_assert_uint_eq(count, 1);
	if (sent_n > 0)
		assert_result(&got[0], one->result);
	msg_free(one);
}

START_TEST(test_send_decode)
{
	const ProtobufCMessageDescriptor *d;
	struct evbuffer			*b = evbuffer_new();
	ProtobufCMessage		*m;
	Petrel__SendMessageResponse	*one;
	Petrel__SendResult		*sr;
	uint8_t				*buf;
	size_t				 len, i;

	for (i = 0; i < 3000; i++) {
		sent_batch = (int)(i % 2);
		d = sent_batch ? &petrel__send_batch_response__descriptor :
		    &petrel__send_message_response__descriptor;
		m = msg_new(d);
		rnd_fill(m, NULL);
		if (sent_batch) {
			/* As many results, one too few, one too many. */
			sent_n = ((Petrel__SendBatchResponse *)m)->n_results;
			if (sent_n > 0 && rnd_below(3) == 0)
				sent_n--;
			else if (rnd_below(3) == 0)
				sent_n++;
		} else
			sent_n = 1;
		buf = pack(m, &len);
		assert_sent_alike(buf, len);
		if (i % 10 == 0)
			mangle(buf, len, 3, 20, assert_sent_alike);
		free(buf);
		msg_free(m);
	}

	/*
	 * Merged: concatenated encodings with unknown fields between; a
	 * SendMessageResponse's result given twice is merged.
	 */
	for (i = 0; i < 1000; i++) {
		sent_batch = (int)(i % 2);
		d = sent_batch ? &petrel__send_batch_response__descriptor :
		    &petrel__send_message_response__descriptor;
		add_random(b, d, 4);
		len = evbuffer_get_length(b);
		sent_n = sent_batch ? rnd_below(8) : 1;
		assert_sent_alike(evbuffer_pullup(b, -1), len);
		evbuffer_drain(b, len);
	}

	/* Strings longer than a result holds are cut. */
	sent_batch = 0;
	sent_n = 1;
	one = msg_new(&petrel__send_message_response__descriptor);
	one->result = sr = msg_new(&petrel__send_result__descriptor);
	sr->msg_id = xmalloc(200);
	memset(sr->msg_id, 'M', 199);
	sr->msg_id[199] = '\0';
	sr->queue_offset = UINT64_MAX;
	buf = pack(one, &len);
	assert_sent_alike(buf, len);
	free(buf);
	msg_free(one);

	/* Nothing: status 0, for a SendMessageResponse a result of 0s. */
	assert_sent_alike(NULL, 0);
	sent_batch = 1;
	sent_n = 2;
	assert_sent_alike(NULL, 0);
	evbuffer_free(b);
}
END_TEST

START_TEST(test_send_decode_bad)
{
	static const struct {
		const char	*what;
		uint8_t		 data[16];
		size_t		 len;
	} bad[] = {
		{ "status as bytes", { 0x0a, 0x00 }, 2 },
		{ "status as 32 bits", { 0x0d, 1, 2, 3, 4 }, 5 },
		{ "result as a varint", { 0x10, 0x01 }, 2 },
		{ "result cut short", { 0x12, 0x05, 0x08 }, 3 },
		{ "msg_id as a varint", { 0x12, 0x02, 0x08, 0x01 }, 4 },
		{ "queue_id as bytes", { 0x12, 0x02, 0x1a, 0x00 }, 4 },
		{ "queue_offset as 64 bits", { 0x12, 0x09, 0x21, 1, 2, 3, 4,
		    5, 6, 7, 8 }, 11 },
		{ "a varint too long", { 0x08, 0x80, 0x80, 0x80, 0x80, 0x80,
		    0x80, 0x80, 0x80, 0x80, 0x80, 0x01 }, 12 },
		{ "a tag of number 0", { 0x00, 0x01 }, 2 },
		{ "a group", { 0x0b, 0x0c }, 2 },
	};
	struct petrel_send_result	 r, *out = &r;
	uint32_t			 status;
	size_t				 i, count;

	for (i = 0; i < nitems(bad); i++) {
		for (sent_batch = 0; sent_batch < 2; sent_batch++) {
			ck_assert_msg(client_send_decode(bad[i].data,
			    bad[i].len, sent_batch, &status, &out, 1,
			    &count) == -1, "%s accepted", bad[i].what);
			sent_n = 1;
			assert_sent_alike(bad[i].data, bad[i].len);
		}
	}
}
END_TEST

START_TEST(test_shard_hash)
{
	/* FNV-1a 64 of "a" and of "". */
	ck_assert_uint_eq(client_shard_hash("a"), 0xaf63dc4c8601ec8cULL);
	ck_assert_uint_eq(client_shard_hash(""), 0xcbf29ce484222325ULL);
	ck_assert_uint_ne(client_shard_hash("key1"), client_shard_hash("key2"));
}
END_TEST

Suite *
petrel_msg_suite(void)
{
	Suite	*s = suite_create("petrel_msg");
	TCase	*tc;

	tc = tcase_create("msg");
	tcase_add_test(tc, test_build);
	tcase_add_test(tc, test_keys_max);
	tcase_add_test(tc, test_unique_id);
	tcase_add_test(tc, test_outgoing);
	tcase_add_test(tc, test_outgoing_bad);
	tcase_add_test(tc, test_compress);
	tcase_add_test(tc, test_received_bad);
	tcase_add_test(tc, test_shard_hash);
	suite_add_tcase(s, tc);
	tc = tcase_create("client_msg_decode");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_decode_random);
	tcase_add_test(tc, test_decode_merged);
	tcase_add_test(tc, test_decode_bad);
	tcase_add_test(tc, test_decode_block);
	tcase_add_test(tc, test_copy_on_write);
	tcase_add_test(tc, test_copy_on_write_compressed);
	suite_add_tcase(s, tc);
	tc = tcase_create("client_pull_decode");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_pull_decode);
	suite_add_tcase(s, tc);
	tc = tcase_create("client_send");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_send_encode);
	tcase_add_test(tc, test_send_decode);
	tcase_add_test(tc, test_send_decode_bad);
	suite_add_tcase(s, tc);
	return (s);
}
