/*
 * Tests of lib/msg.c: building heap messages, setting strings and bytes,
 * growing repeated fields, deep copies and decoding, reading an encoding
 * field by field; LSan checks that msg_free() frees every piece.
 */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "runtime.pb-c.h"
#include "proto/broker.pb-c.h"
#include "proto/namesrv.pb-c.h"

START_TEST(test_new_free)
{
	Petrel__Probe	*p = msg_new(&petrel__probe__descriptor);

	ck_assert_ptr_nonnull(p);
	ck_assert(msg_is(p, &petrel__probe__descriptor));
	ck_assert(!msg_is(p, &petrel__tick__descriptor));
	ck_assert(!msg_is(NULL, &petrel__probe__descriptor));
	ck_assert_uint_eq(p->id, 0);
	ck_assert_str_eq(p->text, "");
	ck_assert_uint_eq(p->data.len, 0);
	ck_assert_uint_eq(p->n_items, 0);
	msg_free(p);
	msg_free(NULL);
}
END_TEST

START_TEST(test_set_string)
{
	Petrel__Probe	*p = msg_new(&petrel__probe__descriptor);

	msg_set_string(&p->text, "first");
	ck_assert_str_eq(p->text, "first");
	msg_set_string(&p->text, "second, longer");	/* frees the first */
	ck_assert_str_eq(p->text, "second, longer");
	msg_set_string(&p->text, "");
	ck_assert_ptr_eq(p->text, protobuf_c_empty_string);
	msg_set_string(&p->text, NULL);
	ck_assert_str_eq(p->text, "");
	msg_set_string(&p->text, "last");
	msg_free(p);
}
END_TEST

START_TEST(test_set_bytes)
{
	Petrel__Probe	*p = msg_new(&petrel__probe__descriptor);
	const char	 raw[] = { 1, 0, 2, 0, 3 };

	msg_set_bytes(&p->data, raw, sizeof raw);
	ck_assert_uint_eq(p->data.len, sizeof raw);
	ck_assert_mem_eq(p->data.data, raw, sizeof raw);
	msg_set_bytes(&p->data, "xy", 2);
	ck_assert_uint_eq(p->data.len, 2);
	ck_assert_mem_eq(p->data.data, "xy", 2);
	msg_set_bytes(&p->data, NULL, 0);
	ck_assert_uint_eq(p->data.len, 0);
	ck_assert_ptr_null(p->data.data);
	msg_set_bytes(&p->data, raw, 3);
	msg_free(p);
}
END_TEST

/* A probe with an id, a text, bytes and n nested items. */
static Petrel__Probe *
make_tree(size_t n)
{
	Petrel__Probe	*p = msg_new(&petrel__probe__descriptor), *item;
	size_t		 i;

	p->id = 7;
	msg_set_string(&p->text, "root");
	msg_set_bytes(&p->data, "\0\1\2", 3);
	for (i = 0; i < n; i++) {
		item = msg_new(&petrel__probe__descriptor);
		item->id = i;
		msg_set_string(&item->text, "item");
		ck_assert_ptr_eq(msg_array_add((void ***)&p->items,
		    &p->n_items, item), item);
	}
	return (p);
}

START_TEST(test_array_add)
{
	Petrel__Probe	*p = make_tree(100);
	size_t		 i;

	ck_assert_uint_eq(p->n_items, 100);
	for (i = 0; i < p->n_items; i++)
		ck_assert_uint_eq(p->items[i]->id, i);
	msg_free(p);
}
END_TEST

START_TEST(test_dup)
{
	Petrel__Probe	*p = make_tree(3), *copy;
	char		 big[2000];

	memset(big, 'b', sizeof big);
	/* Larger than msg_dup's stack buffer. */
	msg_set_bytes(&p->items[2]->data, big, sizeof big);
	copy = msg_dup(p);
	msg_free(p);			/* the copy owns nothing of p */
	ck_assert(msg_is(copy, &petrel__probe__descriptor));
	ck_assert_uint_eq(copy->id, 7);
	ck_assert_str_eq(copy->text, "root");
	ck_assert_uint_eq(copy->data.len, 3);
	ck_assert_mem_eq(copy->data.data, "\0\1\2", 3);
	ck_assert_uint_eq(copy->n_items, 3);
	ck_assert_str_eq(copy->items[1]->text, "item");
	ck_assert_uint_eq(copy->items[2]->data.len, sizeof big);
	ck_assert_mem_eq(copy->items[2]->data.data, big, sizeof big);
	msg_free(copy);
}
END_TEST

START_TEST(test_unpack)
{
	Petrel__Probe	*p = make_tree(2), *back;
	uint8_t		 buf[256];
	const uint8_t	 bad[] = { 0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f };
	size_t		 len;

	len = protobuf_c_message_pack(&p->base, buf);
	ck_assert_uint_le(len, sizeof buf);
	back = msg_unpack(&petrel__probe__descriptor, buf, len);
	ck_assert_ptr_nonnull(back);
	ck_assert_uint_eq(back->n_items, 2);
	ck_assert_str_eq(back->text, "root");
	/* A text may be changed on a decoded message like on a built one. */
	msg_set_string(&back->text, "changed");
	msg_free(back);
	msg_free(p);
	ck_assert_ptr_null(msg_unpack(&petrel__probe__descriptor, bad,
	    sizeof bad));
}
END_TEST

START_TEST(test_wire_next)
{
	Petrel__Probe		*p = make_tree(2);
	struct msg_field	 f;
	uint8_t			 buf[256];
	const uint8_t		*at, *end;
	size_t			 len;
	int			 items = 0;

	p->id = 300;			/* a varint of two bytes */
	len = protobuf_c_message_pack(&p->base, buf);
	at = buf;
	end = buf + len;
	ck_assert_int_eq(msg_wire_next(&at, end, &f), 1);
	ck_assert_uint_eq(f.number, 1);
	ck_assert_uint_eq(f.wire, PROTOBUF_C_WIRE_TYPE_VARINT);
	ck_assert_uint_eq(f.value, 300);
	ck_assert_int_eq(msg_wire_next(&at, end, &f), 1);
	ck_assert_uint_eq(f.number, 2);
	ck_assert_uint_eq(f.wire, PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED);
	ck_assert_uint_eq(f.len, 4);
	ck_assert_mem_eq(f.data, "root", 4);
	ck_assert_int_eq(msg_wire_next(&at, end, &f), 1);
	ck_assert_uint_eq(f.number, 3);
	ck_assert_uint_eq(f.len, 3);
	ck_assert_mem_eq(f.data, "\0\1\2", 3);
	while (msg_wire_next(&at, end, &f) == 1) {
		ck_assert_uint_eq(f.number, 4);
		items++;
	}
	ck_assert_int_eq(items, 2);
	ck_assert_ptr_eq(at, end);
	ck_assert_int_eq(msg_wire_next(&at, end, &f), 0);
	msg_free(p);
}
END_TEST

/* msg_wire_next() of len bytes: its answer; *f the field. */
static int
wire_one(const char *bytes, size_t len, struct msg_field *f)
{
	const uint8_t	*at = (const uint8_t *)bytes;
	int		 rc;

	rc = msg_wire_next(&at, at + len, f);
	if (rc == 1)
		ck_assert_ptr_eq(at, (const uint8_t *)bytes + len);
	else
		ck_assert_ptr_eq(at, (const uint8_t *)bytes);
	return (rc);
}

START_TEST(test_wire_next_edges)
{
	struct msg_field	f;

	ck_assert_int_eq(wire_one("", 0, &f), 0);
	/* Fixed widths, little-endian. */
	ck_assert_int_eq(wire_one("\x0d\x01\x02\x03\x04", 5, &f), 1);
	ck_assert_uint_eq(f.wire, PROTOBUF_C_WIRE_TYPE_32BIT);
	ck_assert_uint_eq(f.value, 0x04030201);
	ck_assert_int_eq(wire_one("\x11\x01\x02\x03\x04\x05\x06\x07\x08", 9,
	    &f), 1);
	ck_assert_uint_eq(f.value, 0x0807060504030201ULL);
	ck_assert_int_eq(wire_one("\x11\x01\x02\x03", 4, &f), -1);
	ck_assert_int_eq(wire_one("\x0d\x01", 2, &f), -1);
	/* Ten bytes of varint, bits past 64 dropped; eleven are too many. */
	ck_assert_int_eq(wire_one("\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff"
	    "\x7f", 11, &f), 1);
	ck_assert_uint_eq(f.value, UINT64_MAX);
	ck_assert_int_eq(wire_one("\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff"
	    "\xff\x01", 12, &f), -1);
	ck_assert_int_eq(wire_one("\x08\x80", 2, &f), -1);
	/* Numbers: 0 only in a longer tag, large ones up to 5 bytes. */
	ck_assert_int_eq(wire_one("\x00\x01", 2, &f), -1);
	ck_assert_int_eq(wire_one("\x80\x00\x01", 3, &f), 1);
	ck_assert_uint_eq(f.number, 0);
	ck_assert_int_eq(wire_one("\xf8\xff\xff\xff\x0f\x01", 6, &f), 1);
	ck_assert_uint_eq(f.number, 0x1fffffff);
	ck_assert_int_eq(wire_one("\x80\x80\x80\x80\x80\x01\x01", 7, &f),
	    -1);
	ck_assert_int_eq(wire_one("\x88", 1, &f), -1);
	/* Lengths: within the bytes, in at most 5 bytes. */
	ck_assert_int_eq(wire_one("\x0a\x00", 2, &f), 1);
	ck_assert_uint_eq(f.len, 0);
	ck_assert_int_eq(wire_one("\x0a\x03" "ab", 4, &f), -1);
	ck_assert_int_eq(wire_one("\x0a\x82\x80\x80\x80\x00" "ab", 8, &f), 1);
	ck_assert_uint_eq(f.len, 2);
	ck_assert_int_eq(wire_one("\x0a\x82\x80\x80\x80\x80\x00" "ab", 9, &f),
	    -1);
	/* Groups and wire types 6 and 7. */
	ck_assert_int_eq(wire_one("\x0b\x0c", 2, &f), -1);
	ck_assert_int_eq(wire_one("\x0c", 1, &f), -1);
	ck_assert_int_eq(wire_one("\x0e\x00", 2, &f), -1);
	ck_assert_int_eq(wire_one("\x0f\x00", 2, &f), -1);
}
END_TEST

/* A varint's length is what writing it takes, at every boundary. */
START_TEST(test_varint_len)
{
	uint8_t		buf[16];
	uint64_t	v;
	int		bits;

	ck_assert_uint_eq(msg_wire_varint_len(0), 1);
	ck_assert_uint_eq(msg_wire_varint_len(UINT64_MAX), 10);
	for (bits = 0; bits < 64; bits++) {
		v = (uint64_t)1 << bits;
		ck_assert_uint_eq(msg_wire_varint_len(v),
		    (size_t)(msg_wire_varint_put(buf, v) - buf));
		ck_assert_uint_eq(msg_wire_varint_len(v - 1),
		    (size_t)(msg_wire_varint_put(buf, v - 1) - buf));
		ck_assert_uint_eq(msg_wire_varint_len(v | (v >> 1)),
		    (size_t)(msg_wire_varint_put(buf, v | (v >> 1)) - buf));
	}
}
END_TEST

START_TEST(test_wire_put)
{
	Petrel__KvPutRequest	 put = PETREL__KV_PUT_REQUEST__INIT;
	Petrel__SendResult	 sr = PETREL__SEND_RESULT__INIT;
	uint8_t			 want[400], got[400], *p;
	char			 value[300];
	size_t			 len;

	/* Fields as protobuf-c packs them: short and long, numbers large. */
	memset(value, 'v', sizeof value - 1);
	value[sizeof value - 1] = '\0';
	put.namespace_ = (char *)"ns";
	put.key = (char *)"";
	put.value = value;
	len = protobuf_c_message_pack(&put.base, want);
	p = msg_wire_bytes_put(got, 1, "ns", 2);
	p = msg_wire_bytes_put(p, 3, value, strlen(value));
	ck_assert_uint_eq(msg_wire_bytes_len(1, 2) +
	    msg_wire_bytes_len(3, strlen(value)), len);
	ck_assert_uint_eq((size_t)(p - got), len);
	ck_assert_mem_eq(got, want, len);

	sr.queue_id = 300;
	sr.queue_offset = UINT64_MAX;
	sr.commit_log_offset = 1;
	len = protobuf_c_message_pack(&sr.base, want);
	p = msg_wire_uint_put(got, 3, 300);
	p = msg_wire_uint_put(p, 4, UINT64_MAX);
	p = msg_wire_uint_put(p, 5, 1);
	ck_assert_uint_eq(msg_wire_uint_len(3, 300) +
	    msg_wire_uint_len(4, UINT64_MAX) + msg_wire_uint_len(5, 1), len);
	ck_assert_uint_eq((size_t)(p - got), len);
	ck_assert_mem_eq(got, want, len);

	/* A field number of two bytes of tag; an empty value. */
	ck_assert_uint_eq(msg_wire_bytes_len(16, 0), 3);
	p = msg_wire_bytes_put(got, 16, NULL, 0);
	ck_assert_uint_eq((size_t)(p - got), 3);
	ck_assert_mem_eq(got, "\x82\x01\x00", 3);
}
END_TEST

Suite *
msg_suite(void)
{
	Suite	*s = suite_create("msg");
	TCase	*tc;

	tc = tcase_create("msg");
	tcase_add_test(tc, test_new_free);
	tcase_add_test(tc, test_set_string);
	tcase_add_test(tc, test_set_bytes);
	tcase_add_test(tc, test_array_add);
	tcase_add_test(tc, test_dup);
	tcase_add_test(tc, test_unpack);
	tcase_add_test(tc, test_wire_next);
	tcase_add_test(tc, test_wire_next_edges);
	tcase_add_test(tc, test_wire_put);
	tcase_add_test(tc, test_varint_len);
	suite_add_tcase(s, tc);
	return (s);
}
