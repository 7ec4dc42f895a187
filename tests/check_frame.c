/*
 * Tests of lib/frame.c: round trips, frames of every shape read the quick
 * way or through protobuf-c alike, a need-more answer for every
 * truncation, limits checked before allocation, garbage, versions, and
 * that frame_write_msg() packs exactly what frame_write() would.
 */
#include "config.h"

#include <check.h>
#include <event2/buffer.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "msg.h"
#include "proto/namesrv.pb-c.h"

/* Append a raw frame: the 4-byte length, then len bytes. */
static void
put_raw(struct evbuffer *b, uint32_t declared, const void *data, size_t len)
{
	uint8_t	hdr[4];

	hdr[0] = declared >> 24;
	hdr[1] = declared >> 16;
	hdr[2] = declared >> 8;
	hdr[3] = declared;
	evbuffer_add(b, hdr, sizeof hdr);
	if (len != 0)
		evbuffer_add(b, data, len);
}

/* A KvPutRequest with some fields set, for bodies. */
static Petrel__KvPutRequest *
make_body(void)
{
	Petrel__KvPutRequest	*r;

	r = msg_new(&petrel__kv_put_request__descriptor);
	msg_set_string(&r->namespace_, "ns");
	msg_set_string(&r->key, "key");
	msg_set_string(&r->value, "a value that is not short at all");
	return (r);
}

START_TEST(test_round_trip)
{
	struct evbuffer		*b = evbuffer_new();
	Petrel__Frame		 f = PETREL__FRAME__INIT, *g;
	char			*cause = NULL;
	uint8_t			 body[] = { 1, 2, 3, 0, 255 };
	char			 error[] = "no such topic";

	f.version = PETREL__PROTOCOL_VERSION__PROTOCOL_VERSION_1;
	f.code = PETREL__REQUEST_CODE__CODE_GET_ROUTE;
	f.id = 0x123456789abcULL;
	f.flags = PETREL__FRAME_FLAG__FRAME_RESPONSE;
	f.status = PETREL__STATUS__STATUS_NOT_FOUND;
	f.error = error;
	f.body.data = body;
	f.body.len = sizeof body;
	ck_assert_int_eq(frame_write(b, &f), 0);
	ck_assert_uint_eq(evbuffer_get_length(b),
	    4 + protobuf_c_message_get_packed_size(&f.base));

	ck_assert_int_eq(frame_read(b, FRAME_MAX_DEFAULT, &g, &cause), 1);
	ck_assert_ptr_null(cause);
	ck_assert_uint_eq(g->code, f.code);
	ck_assert_uint_eq(g->id, f.id);
	ck_assert_uint_eq(g->flags, f.flags);
	ck_assert_uint_eq(g->status, f.status);
	ck_assert_str_eq(g->error, "no such topic");
	ck_assert_uint_eq(g->body.len, sizeof body);
	ck_assert_mem_eq(g->body.data, body, sizeof body);
	ck_assert_uint_eq(evbuffer_get_length(b), 0);
	msg_free(g);
	evbuffer_free(b);
}
END_TEST

START_TEST(test_write_msg_same_bytes)
{
	struct evbuffer		*a = evbuffer_new(), *b = evbuffer_new();
	Petrel__KvPutRequest	*r = make_body();
	Petrel__Frame		 f = PETREL__FRAME__INIT, *g;
	uint8_t			*packed;
	char			*cause = NULL, bad[] = "bad";
	size_t			 len;

	/* Fields set and unset, empty and non-empty body. */
	len = protobuf_c_message_get_packed_size(&r->base);
	packed = malloc(len);
	protobuf_c_message_pack(&r->base, packed);
	f.version = 1;
	f.code = PETREL__REQUEST_CODE__CODE_KV_PUT;
	f.id = 300;
	f.flags = PETREL__FRAME_FLAG__FRAME_ONEWAY;
	f.body.data = packed;
	f.body.len = len;
	ck_assert_int_eq(frame_write(a, &f), 0);
	ck_assert_int_eq(frame_write_msg(b, f.code, f.id, f.flags, 0, NULL,
	    &r->base), 0);
	ck_assert_uint_eq(evbuffer_get_length(a), evbuffer_get_length(b));
	ck_assert_mem_eq(evbuffer_pullup(a, -1), evbuffer_pullup(b, -1),
	    evbuffer_get_length(a));

	ck_assert_int_eq(frame_read(b, FRAME_MAX_DEFAULT, &g, &cause), 1);
	msg_free(g);
	evbuffer_drain(a, evbuffer_get_length(a));

	f.body.data = NULL;
	f.body.len = 0;
	f.status = 5;
	f.error = bad;
	ck_assert_int_eq(frame_write(a, &f), 0);
	ck_assert_int_eq(frame_write_msg(b, f.code, f.id, f.flags, 5, "bad",
	    NULL), 0);
	ck_assert_uint_eq(evbuffer_get_length(a), evbuffer_get_length(b));
	ck_assert_mem_eq(evbuffer_pullup(a, -1), evbuffer_pullup(b, -1),
	    evbuffer_get_length(a));

	free(packed);
	msg_free(r);
	evbuffer_free(a);
	evbuffer_free(b);
}
END_TEST

START_TEST(test_body_decodes)
{
	struct evbuffer		*b = evbuffer_new();
	Petrel__KvPutRequest	*r = make_body(), *back;
	Petrel__Frame		*g;
	char			*cause = NULL;

	ck_assert_int_eq(frame_write_msg(b, PETREL__REQUEST_CODE__CODE_KV_PUT,
	    7, 0, 0, "", &r->base), 0);
	ck_assert_int_eq(frame_read(b, FRAME_MAX_DEFAULT, &g, &cause), 1);
	ck_assert_str_eq(g->error, "");
	back = msg_unpack(&petrel__kv_put_request__descriptor, g->body.data,
	    g->body.len);
	ck_assert_ptr_nonnull(back);
	ck_assert_str_eq(back->namespace_, "ns");
	ck_assert_str_eq(back->key, "key");
	ck_assert_str_eq(back->value, r->value);
	msg_free(back);
	msg_free(g);
	msg_free(r);
	evbuffer_free(b);
}
END_TEST

/*
 * Frames of every shape read the same, the quick way (varints, then the
 * body ending the frame) or through protobuf-c: bodies of 1 byte to 300
 * KiB (lengths of one to three bytes), ids of one to ten bytes, an error
 * text, a field after the body, an unknown field, each frame split over
 * chains at a random place, with the next frame left whole behind it.
 */
START_TEST(test_shapes)
{
	unsigned int	 seed = 31;
	Petrel__Frame	 fr = PETREL__FRAME__INIT, *got, *want;
	struct evbuffer	*b;
	uint8_t		*buf, *body, extra[4] = { 0x40, 0x01 };
	size_t		 i, len, cut, blen;
	char		*cause = NULL;

	body = malloc(300 * 1024);
	for (i = 0; i < 300 * 1024; i++)
		body[i] = (uint8_t)rand_r(&seed);
	buf = malloc(301 * 1024);
	for (i = 0; i < 400; i++) {
		fr.version = PETREL__PROTOCOL_VERSION__PROTOCOL_VERSION_1;
		fr.code = (uint32_t)rand_r(&seed) % 400;
		fr.id = i % 3 == 0 ? (uint64_t)i :
		    (uint64_t)rand_r(&seed) << 40;
		fr.flags = (uint32_t)i % 4;
		fr.status = i % 5 == 0 ? 17 : 0;
		fr.error = i % 7 == 0 ? (char *)"went wrong" : (char *)"";
		blen = i % 3 == 0 ? (size_t)rand_r(&seed) % 100 :
		    i % 3 == 1 ? (size_t)rand_r(&seed) % 20000 :
		    (size_t)rand_r(&seed) % (300 * 1024);
		fr.body.data = body;
		fr.body.len = blen;
		len = protobuf_c_message_pack(&fr.base, buf);
		if (i % 11 == 0) {		/* a field after the body */
			memcpy(buf + len, extra, 2);
			len += 2;
		}
		want = (Petrel__Frame *)protobuf_c_message_unpack(
		    &petrel__frame__descriptor, NULL, len, buf);
		ck_assert_ptr_nonnull(want);
		b = evbuffer_new();
		cut = len == 0 ? 0 : (size_t)rand_r(&seed) % len;
		put_raw(b, (uint32_t)len, buf, cut);
		evbuffer_add(b, buf + cut, len - cut);
		put_raw(b, 0, NULL, 0);
		ck_assert_int_eq(frame_read(b, FRAME_MAX_DEFAULT, &got, &cause),
		    1);
		ck_assert_uint_eq(got->code, want->code);
		ck_assert_uint_eq(got->id, want->id);
		ck_assert_uint_eq(got->flags, want->flags);
		ck_assert_uint_eq(got->status, want->status);
		ck_assert_str_eq(got->error, want->error);
		ck_assert_uint_eq(got->body.len, want->body.len);
		if (want->body.len != 0)
			ck_assert_mem_eq(got->body.data, want->body.data,
			    want->body.len);
		/* Exactly this frame was taken: the empty one is next. */
		ck_assert_uint_eq(evbuffer_get_length(b), 4);
		msg_free(got);
		protobuf_c_message_free_unpacked(&want->base, NULL);
		evbuffer_free(b);
	}
	free(buf);
	free(body);
}
END_TEST

START_TEST(test_truncations)
{
	struct evbuffer		*whole = evbuffer_new(), *b;
	Petrel__KvPutRequest	*r = make_body();
	Petrel__Frame		*g;
	const uint8_t		*bytes;
	char			*cause = NULL;
	size_t			 len, i;

	ck_assert_int_eq(frame_write_msg(whole, 110, 99, 0, 3, "why",
	    &r->base), 0);
	len = evbuffer_get_length(whole);
	bytes = evbuffer_pullup(whole, -1);
	for (i = 0; i < len; i++) {
		b = evbuffer_new();
		evbuffer_add(b, bytes, i);
		ck_assert_int_eq(frame_read(b, FRAME_MAX_DEFAULT, &g, &cause),
		    0);
		ck_assert_ptr_null(g);
		ck_assert_ptr_null(cause);
		ck_assert_uint_eq(evbuffer_get_length(b), i);
		/* The rest arrives: now it is whole. */
		evbuffer_add(b, bytes + i, len - i);
		ck_assert_int_eq(frame_read(b, FRAME_MAX_DEFAULT, &g, &cause),
		    1);
		ck_assert_uint_eq(g->id, 99);
		msg_free(g);
		evbuffer_free(b);
	}
	msg_free(r);
	evbuffer_free(whole);
}
END_TEST

START_TEST(test_two_frames)
{
	struct evbuffer	*b = evbuffer_new();
	Petrel__Frame	*g;
	char		*cause = NULL;

	frame_write_msg(b, 1, 1, 0, 0, NULL, NULL);
	frame_write_msg(b, 1, 2, 0, 0, NULL, NULL);
	evbuffer_add(b, "\0\0", 2);
	ck_assert_int_eq(frame_read(b, 100, &g, &cause), 1);
	ck_assert_uint_eq(g->id, 1);
	msg_free(g);
	ck_assert_int_eq(frame_read(b, 100, &g, &cause), 1);
	ck_assert_uint_eq(g->id, 2);
	msg_free(g);
	ck_assert_int_eq(frame_read(b, 100, &g, &cause), 0);
	ck_assert_uint_eq(evbuffer_get_length(b), 2);
	evbuffer_free(b);
}
END_TEST

START_TEST(test_over_limit)
{
	struct evbuffer	*b = evbuffer_new();
	Petrel__Frame	*g;
	char		*cause = NULL;
	uint8_t		 some[100];

	/* 4 GiB declared and nothing else: refused at once, nothing read. */
	put_raw(b, 0xffffffffU, NULL, 0);
	ck_assert_int_eq(frame_read(b, FRAME_MAX_DEFAULT, &g, &cause), -1);
	ck_assert_ptr_null(g);
	ck_assert_ptr_nonnull(cause);
	ck_assert_ptr_nonnull(strstr(cause, "4294967295"));
	ck_assert_ptr_nonnull(strstr(cause, "limit"));
	free(cause);
	cause = NULL;
	ck_assert_uint_eq(evbuffer_get_length(b), 4);
	evbuffer_drain(b, 4);

	/* One byte over a small limit, with the bytes all there. */
	memset(some, 0, sizeof some);
	put_raw(b, 65, some, 65);
	ck_assert_int_eq(frame_read(b, 64, &g, &cause), -1);
	ck_assert_ptr_null(g);
	free(cause);
	cause = NULL;
	evbuffer_drain(b, evbuffer_get_length(b));

	/* Exactly at the limit is fine. */
	frame_write_msg(b, 1, 1, 0, 0, NULL, NULL);
	ck_assert_int_eq(frame_read(b, evbuffer_get_length(b) - 4, &g,
	    &cause), 1);
	msg_free(g);
	evbuffer_free(b);
}
END_TEST

START_TEST(test_garbage)
{
	struct evbuffer		*b = evbuffer_new();
	Petrel__Frame		*g;
	char			*cause = NULL;
	static const uint8_t	 bad1[] = { 0x3a, 0x10, 'a', 'b', 'c' };
	static const uint8_t	 bad2[] = { 0xff, 0xff, 0xff, 0xff, 0xff,
	    0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t	 bad3[] = { 0x08 };
	uint8_t			 buf[64];
	int			 i, j, rc;

	put_raw(b, sizeof bad1, bad1, sizeof bad1);
	put_raw(b, sizeof bad2, bad2, sizeof bad2);
	put_raw(b, sizeof bad3, bad3, sizeof bad3);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(frame_read(b, 1024, &g, &cause), -1);
		ck_assert_ptr_null(g);
		ck_assert_ptr_nonnull(strstr(cause, "undecodable"));
		free(cause);
		cause = NULL;
	}
	ck_assert_uint_eq(evbuffer_get_length(b), 0);

	/* Random bytes: any answer but a crash, and progress every time. */
	srandom(42);
	for (i = 0; i < 2000; i++) {
		for (j = 0; j < (int)sizeof buf; j++)
			buf[j] = random();
		evbuffer_add(b, buf, random() % sizeof buf);
		while ((rc = frame_read(b, 48, &g, &cause)) != 0) {
			ck_assert(rc == 1 || cause != NULL);
			msg_free(g);
			free(cause);
			cause = NULL;
			/* A connection would close here. */
			if (rc == -1 && g == NULL)
				evbuffer_drain(b, evbuffer_get_length(b));
		}
	}
	evbuffer_free(b);
}
END_TEST

START_TEST(test_version)
{
	struct evbuffer	*b = evbuffer_new();
	Petrel__Frame	 f = PETREL__FRAME__INIT, *g;
	char		*cause = NULL;

	f.version = 2;
	f.code = 1;
	f.id = 5;
	frame_write(b, &f);
	f.version = 0;
	f.id = 6;
	frame_write(b, &f);

	ck_assert_int_eq(frame_read(b, 1024, &g, &cause), -1);
	ck_assert_ptr_nonnull(g);	/* decoded, so it can be answered */
	ck_assert_uint_eq(g->id, 5);
	ck_assert_ptr_nonnull(strstr(cause, "version 2"));
	msg_free(g);
	free(cause);
	cause = NULL;

	ck_assert_int_eq(frame_read(b, 1024, &g, &cause), -1);
	ck_assert_ptr_nonnull(g);
	ck_assert_uint_eq(g->id, 6);
	msg_free(g);
	free(cause);
	ck_assert_uint_eq(evbuffer_get_length(b), 0);
	evbuffer_free(b);
}
END_TEST

START_TEST(test_status_name)
{
	ck_assert_str_eq(frame_status_name(0), "STATUS_OK");
	ck_assert_str_eq(frame_status_name(PETREL__STATUS__STATUS_SYSTEM_BUSY),
	    "STATUS_SYSTEM_BUSY");
	ck_assert_str_eq(frame_status_name(PETREL__STATUS__STATUS_TIMEOUT),
	    "STATUS_TIMEOUT");
	ck_assert_str_eq(frame_status_name(777), "STATUS_UNKNOWN");
	ck_assert_str_eq(frame_status_name(0xffffffffU), "STATUS_UNKNOWN");
}
END_TEST

Suite *
frame_suite(void)
{
	Suite	*s = suite_create("frame");
	TCase	*tc;

	tc = tcase_create("frame_write");
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_write_msg_same_bytes);
	tcase_add_test(tc, test_body_decodes);
	suite_add_tcase(s, tc);
	tc = tcase_create("frame_read");
	tcase_add_test(tc, test_shapes);
	tcase_add_test(tc, test_truncations);
	tcase_add_test(tc, test_two_frames);
	tcase_add_test(tc, test_over_limit);
	tcase_add_test(tc, test_garbage);
	tcase_add_test(tc, test_version);
	suite_add_tcase(s, tc);
	tc = tcase_create("frame_status_name");
	tcase_add_test(tc, test_status_name);
	suite_add_tcase(s, tc);
	return (s);
}
