/*
 * Tests of lib/petrel_msg.c: building messages within the limits of
 * proto/broker.proto, their OutgoingMessage (unique ids, compression),
 * received messages (decompression) and the sharding hash.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "compress.h"
#include "msg.h"
#include "xmalloc.h"

#include "proto/frame.pb-c.h"

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
	ck_assert_int_eq(client_msg_outgoing(m, 4096, &o, &err), 0);
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
	ck_assert_int_eq(client_msg_outgoing(m, 4096, &o2, &err), 0);
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
	const char		*bad[] = { "", "%RETRY%g", "a/b", "a b", NULL };
	size_t			 i;

	for (i = 0; bad[i] != NULL; i++) {
		m = petrel_msg_new(bad[i], "x", 1);
		ck_assert_int_eq(client_msg_outgoing(m, 0, &o, &err), -1);
		ck_assert_int_eq(err.code, PETREL_E_BAD_REQUEST);
		ck_assert_ptr_null(o);
		petrel_msg_free(m);
	}
	big = xcalloc(1, 4 * 1024 * 1024 + 1);
	m = petrel_msg_new("T", big, 4 * 1024 * 1024 + 1);
	ck_assert_int_eq(client_msg_outgoing(m, 0, &o, &err), -1);
	ck_assert_int_eq(err.code, PETREL_E_MESSAGE_ILLEGAL);
	petrel_msg_free(m);
	free(big);
}
END_TEST

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
	ck_assert_int_eq(client_msg_outgoing(m, 4096, &o, &err), 0);
	ck_assert_uint_eq(o->flags,
	    PETREL__MESSAGE_FLAG__MESSAGE_FLAG_COMPRESSED);
	ck_assert_uint_lt(o->body.len, 10000);
	/* What a consumer gets back is the original body. */
	in = msg_new(&petrel__message__descriptor);
	msg_set_string(&in->topic, "T");
	in->flags = o->flags;
	msg_move_bytes(&in->body, &o->body);
	r = client_msg_received(in, "broker-a", &cause);
	ck_assert_ptr_nonnull(r);
	b = petrel_msg_body(r, &len);
	ck_assert_uint_eq(len, 10000);
	ck_assert_mem_eq(b, body, 10000);
	ck_assert_str_eq(petrel_msg_broker(r), "broker-a");
	petrel_msg_free(r);
	msg_free(o);
	/* Compression off, or a body at the threshold: as is. */
	ck_assert_int_eq(client_msg_outgoing(m, 0, &o, &err), 0);
	ck_assert_uint_eq(o->flags, 0);
	ck_assert_uint_eq(o->body.len, 10000);
	msg_free(o);
	ck_assert_int_eq(client_msg_outgoing(m, 10000, &o, &err), 0);
	ck_assert_uint_eq(o->flags, 0);
	msg_free(o);
	petrel_msg_free(m);
	free(body);
}
END_TEST

START_TEST(test_received_bad)
{
	Petrel__Message	*in;
	char		*cause = NULL;

	in = msg_new(&petrel__message__descriptor);
	in->flags = PETREL__MESSAGE_FLAG__MESSAGE_FLAG_COMPRESSED;
	msg_set_bytes(&in->body, "\377\377\377\377garbage", 11);
	ck_assert_ptr_null(client_msg_received(in, "b", &cause));
	ck_assert_ptr_nonnull(cause);
	free(cause);
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
	return (s);
}
