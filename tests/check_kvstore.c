/*
 * Tests of actors/kvstore.c: put, get, list and delete with bad input for
 * each, persistence across a restart, the refusal of corrupt files, and a
 * failed write leaving the table as it was.
 */
#include "config.h"

#include <sys/stat.h>

#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "actor.h"
#include "log.h"
#include "msg.h"
#include "namesrv.h"
#include "namesrv_testutil.h"
#include "testutil.h"
#include "xmalloc.h"

#include "proto/namesrv.pb-c.h"
#include "proto/namesrvd.pb-c.h"

static struct actor	*kv, *peer;
static char		*dir, path[4200];

static void
setup(void)
{
	log_init("check", LOG_LEVEL_WARN);
	dir = test_tmpdir();
	ck_assert_ptr_nonnull(dir);
	snprintf(path, sizeof path, "%s/data/namesrv/kvConfig", dir);
	kv = actor_spawn(NULL, &kvstore_actor, "kvstore");
	peer = actor_spawn(NULL, &tpeer_actor, "peer");
}

static void
teardown(void)
{
	actor_free(kv);
	actor_free(peer);
	test_rmdir(dir);
}

/* Configure a with file p; returns the error text, caller frees. */
static char *
tconfigure(struct actor *a, const char *p)
{
	Petrel__KvStoreConfig	*c;
	Petrel__Configured	*ack;
	char			*error;

	c = msg_new(&petrel__kv_store_config__descriptor);
	msg_set_string(&c->path, p);
	ack = tis(tcall(a, peer, c, 0), &petrel__configured__descriptor);
	error = xstrdup(ack->error);
	msg_free(ack);
	return (error);
}

static void
tconfigure_ok(struct actor *a)
{
	char	*e = tconfigure(a, path);

	ck_assert_str_eq(e, "");
	free(e);
}

static void *
tput(const char *ns, const char *key, const char *value)
{
	Petrel__KvPutRequest	*r;

	r = msg_new(&petrel__kv_put_request__descriptor);
	msg_set_string(&r->namespace_, ns);
	msg_set_string(&r->key, key);
	msg_set_string(&r->value, value);
	return (tcall(kv, peer, r, 0));
}

static void *
tget(const char *ns, const char *key)
{
	Petrel__KvGetRequest	*r;

	r = msg_new(&petrel__kv_get_request__descriptor);
	msg_set_string(&r->namespace_, ns);
	msg_set_string(&r->key, key);
	return (tcall(kv, peer, r, 0));
}

static void *
tdel(const char *ns, const char *key)
{
	Petrel__KvDeleteRequest	*r;

	r = msg_new(&petrel__kv_delete_request__descriptor);
	msg_set_string(&r->namespace_, ns);
	msg_set_string(&r->key, key);
	return (tcall(kv, peer, r, 0));
}

static void *
tlist(const char *ns)
{
	Petrel__KvListRequest	*r;

	r = msg_new(&petrel__kv_list_request__descriptor);
	msg_set_string(&r->namespace_, ns);
	return (tcall(kv, peer, r, 0));
}

static void
tput_ok(const char *ns, const char *key, const char *value)
{
	msg_free(tis(tput(ns, key, value),
	    &petrel__kv_put_response__descriptor));
}

static void
tget_is(const char *ns, const char *key, const char *want)
{
	Petrel__KvGetResponse	*r;

	r = tis(tget(ns, key), &petrel__kv_get_response__descriptor);
	ck_assert_str_eq(r->value, want);
	msg_free(r);
}

static void
terror_is(void *m, uint32_t status, const char *want)
{
	ck_assert_str_eq(terror(m, status), want);
	msg_free(m);
}

/* The list of ns as "k=v k=v". */
static void
tlist_is(const char *ns, const char *want)
{
	Petrel__KvListResponse	*r;
	char			 buf[1024] = "";
	size_t			 i;

	r = tis(tlist(ns), &petrel__kv_list_response__descriptor);
	for (i = 0; i < r->n_entries; i++)
		snprintf(buf + strlen(buf), sizeof buf - strlen(buf),
		    "%s%s=%s", i == 0 ? "" : " ", r->entries[i]->key,
		    r->entries[i]->value);
	ck_assert_str_eq(buf, want);
	msg_free(r);
}

START_TEST(test_put_get)
{
	struct stat	st;

	tconfigure_ok(kv);
	ck_assert_int_eq(stat(path, &st), -1);	/* nothing written yet */
	tput_ok("ORDER_TOPIC_CONFIG", "T1", "broker-a:4;broker-b:4");
	tput_ok("ORDER_TOPIC_CONFIG", "A0", "broker-a:8");
	tput_ok("other", "k", "");
	tget_is("ORDER_TOPIC_CONFIG", "T1", "broker-a:4;broker-b:4");
	tget_is("other", "k", "");
	tput_ok("ORDER_TOPIC_CONFIG", "T1", "broker-c:2");
	tget_is("ORDER_TOPIC_CONFIG", "T1", "broker-c:2");
	tlist_is("ORDER_TOPIC_CONFIG", "A0=broker-a:8 T1=broker-c:2");
	ck_assert_int_eq(stat(path, &st), 0);

	terror_is(tget("ORDER_TOPIC_CONFIG", "nope"),
	    PETREL__STATUS__STATUS_NOT_FOUND,
	    "no key nope in namespace ORDER_TOPIC_CONFIG");
	terror_is(tget("nons", "T1"), PETREL__STATUS__STATUS_NOT_FOUND,
	    "no key T1 in namespace nons");
	terror_is(tlist("nons"), PETREL__STATUS__STATUS_NOT_FOUND,
	    "no namespace nons");

	msg_free(tis(tdel("ORDER_TOPIC_CONFIG", "T1"),
	    &petrel__kv_delete_response__descriptor));
	terror_is(tdel("ORDER_TOPIC_CONFIG", "T1"),
	    PETREL__STATUS__STATUS_NOT_FOUND,
	    "no key T1 in namespace ORDER_TOPIC_CONFIG");
	msg_free(tis(tdel("other", "k"),
	    &petrel__kv_delete_response__descriptor));
	/* The namespace goes with its last key. */
	terror_is(tlist("other"), PETREL__STATUS__STATUS_NOT_FOUND,
	    "no namespace other");
}
END_TEST

START_TEST(test_bad_input)
{
	char	long_ns[200], long_key[300], *big;

	memset(long_ns, 'n', 128);
	long_ns[128] = '\0';
	memset(long_key, 'k', 256);
	long_key[256] = '\0';
	big = xmalloc(64 * 1024 + 2);
	memset(big, 'v', 64 * 1024 + 1);
	big[64 * 1024 + 1] = '\0';

	/* Not configured yet: changes are refused. */
	terror_is(tput("n", "k", "v"), PETREL__STATUS__STATUS_SYSTEM_ERROR,
	    "key/value store not configured");
	terror_is(tdel("n", "k"), PETREL__STATUS__STATUS_SYSTEM_ERROR,
	    "key/value store not configured");
	tconfigure_ok(kv);

	terror_is(tput("", "k", "v"), PETREL__STATUS__STATUS_BAD_REQUEST,
	    "namespace is empty");
	terror_is(tput(long_ns, "k", "v"), PETREL__STATUS__STATUS_BAD_REQUEST,
	    "namespace is longer than 127 bytes");
	terror_is(tput("n", "", "v"), PETREL__STATUS__STATUS_BAD_REQUEST,
	    "key is empty");
	terror_is(tput("n", long_key, "v"), PETREL__STATUS__STATUS_BAD_REQUEST,
	    "key is longer than 255 bytes");
	terror_is(tput("n", "k", big), PETREL__STATUS__STATUS_BAD_REQUEST,
	    "value is longer than 64 KiB");
	terror_is(tget("", "k"), PETREL__STATUS__STATUS_BAD_REQUEST,
	    "namespace is empty");
	terror_is(tget("n", ""), PETREL__STATUS__STATUS_BAD_REQUEST,
	    "key is empty");
	terror_is(tdel("n", long_key), PETREL__STATUS__STATUS_BAD_REQUEST,
	    "key is longer than 255 bytes");
	terror_is(tlist(long_ns), PETREL__STATUS__STATUS_BAD_REQUEST,
	    "namespace is longer than 127 bytes");
	big[64 * 1024] = '\0';
	long_ns[127] = '\0';
	long_key[255] = '\0';
	tput_ok(long_ns, long_key, big);
	tget_is(long_ns, long_key, big);
	free(big);
}
END_TEST

START_TEST(test_persist)
{
	struct actor	*again;
	char		*e;

	tconfigure_ok(kv);
	tput_ok("ns1", "a", "1");
	tput_ok("ns1", "b", "2");
	tput_ok("ns2", "c", "3");
	msg_free(tdel("ns1", "a"));

	/* Another store on the same file sees the same table. */
	again = actor_spawn(NULL, &kvstore_actor, "kvstore2");
	e = tconfigure(again, path);
	ck_assert_str_eq(e, "");
	free(e);
	actor_free(kv);
	kv = again;
	tlist_is("ns1", "b=2");
	tlist_is("ns2", "c=3");
	terror_is(tget("ns1", "a"), PETREL__STATUS__STATUS_NOT_FOUND,
	    "no key a in namespace ns1");

	/* The path cannot change while running; the same one is fine. */
	e = tconfigure(kv, "/elsewhere");
	ck_assert_ptr_nonnull(strstr(e, "cannot change"));
	free(e);
	tconfigure_ok(kv);
	msg_free(tis(tcall(kv, peer, msg_new(&petrel__stop__descriptor), 0),
	    &petrel__stopped__descriptor));
}
END_TEST

/* Overwrite len bytes at off in the file, or truncate it to off if !buf. */
static void
tdamage(off_t off, const void *buf, size_t len)
{
	int	fd;

	fd = open(path, O_RDWR);
	ck_assert_int_ge(fd, 0);
	if (buf == NULL)
		ck_assert_int_eq(ftruncate(fd, off), 0);
	else
		ck_assert_int_eq(pwrite(fd, buf, len, off), (ssize_t)len);
	close(fd);
}

/* Expect a fresh store to refuse the file with an error containing want. */
static void
trefused(const char *want)
{
	struct actor	*again;
	char		*e;

	again = actor_spawn(NULL, &kvstore_actor, "kvstore2");
	e = tconfigure(again, path);
	ck_assert_msg(strstr(e, want) != NULL, "got \"%s\", want \"%s\"", e,
	    want);
	ck_assert_ptr_eq(strstr(e, path), e);
	free(e);
	/* Refused, it takes no request either. */
	msg_free(tis(tcall(again, peer,
	    msg_new(&petrel__kv_put_request__descriptor), 0),
	    &petrel__error__descriptor));
	actor_free(again);
}

START_TEST(test_corrupt)
{
	static const char	v2[20] = "PETRELKV\0\0\0\x02";
	struct stat		st;

	tconfigure_ok(kv);
	tput_ok("ns", "key", "value");
	ck_assert_int_eq(stat(path, &st), 0);

	tdamage(st.st_size - 1, "X", 1);
	trefused("corrupt: checksum mismatch");
	tdamage(st.st_size - 1, "e", 1);	/* repaired */
	tdamage(st.st_size + 3, "", 1);		/* grown */
	trefused("corrupt: ");
	tdamage(st.st_size - 2, NULL, 0);	/* truncated */
	trefused("bytes of data announced");
	tdamage(10, NULL, 0);
	trefused("not a Petrel key/value file");
	tdamage(0, "XETRELKV", 8);
	trefused("not a Petrel key/value file");
	tdamage(0, v2, sizeof v2);
	trefused("unknown version 2");
}
END_TEST

START_TEST(test_not_a_file)
{
	char	*e;

	snprintf(path, sizeof path, "%s", dir);
	e = tconfigure(kv, path);
	ck_assert_ptr_nonnull(strstr(e, "not a regular file"));
	free(e);
	e = tconfigure(kv, "");
	ck_assert_str_eq(e, "no key/value file given");
	free(e);
}
END_TEST

START_TEST(test_write_fails)
{
	char	tmp[4300];

	tconfigure_ok(kv);
	tput_ok("ns", "a", "1");
	/* A directory where the temporary file goes: every write fails. */
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	ck_assert_int_eq(mkdir(tmp, 0700), 0);
	msg_free(tis(tput("ns", "a", "2"), &petrel__error__descriptor));
	msg_free(tis(tput("ns", "b", "3"), &petrel__error__descriptor));
	msg_free(tis(tdel("ns", "a"), &petrel__error__descriptor));
	tlist_is("ns", "a=1");
	rmdir(tmp);
	tput_ok("ns", "b", "3");
	tlist_is("ns", "a=1 b=3");
}
END_TEST

Suite *
kvstore_suite(void)
{
	Suite	*s = suite_create("kvstore");
	TCase	*tc;

	tc = tcase_create("kvstore");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_put_get);
	tcase_add_test(tc, test_bad_input);
	tcase_add_test(tc, test_persist);
	tcase_add_test(tc, test_corrupt);
	tcase_add_test(tc, test_not_a_file);
	tcase_add_test(tc, test_write_fails);
	suite_add_tcase(s, tc);
	return (s);
}
