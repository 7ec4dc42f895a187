/*
 * Tests of actors/topic_manager.c through detached actors: create, update,
 * delete, get, lookups with automatic and system topic creation, the data
 * version, watchers, persistence across re-creation, corrupt files, a
 * failed write leaving the old file and table intact, and bad input for
 * every request.
 */
#include "config.h"

#include <sys/stat.h>

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
#include "testutil.h"
#include "xmalloc.h"

#include "proto/broker.pb-c.h"
#include "proto/brokerd.pb-c.h"

static struct actor	*tm, *peer, *watcher;
static char		*root;

/* Configure tm on root; returns the Configured error (caller frees). */
static char *
tconfig(int auto_create, uint32_t max_topics, int watch)
{
	Petrel__TopicManagerConfig	*c;
	Petrel__Configured		*ack;
	char				*err;

	c = msg_new(&petrel__topic_manager_config__descriptor);
	msg_set_string(&c->root, root);
	c->auto_create = auto_create;
	c->max_topics = max_topics;
	if (watch) {
		c->watchers = xcalloc(1, sizeof *c->watchers);
		c->watchers[0] = actor_ref(watcher);
		c->n_watchers = 1;
	}
	ack = tis(tcall(tm, peer, c, 0), &petrel__configured__descriptor);
	err = xstrdup(ack->error);
	msg_free(ack);
	return (err);
}

static void
tconfig_ok(int auto_create, uint32_t max_topics)
{
	char	*err = tconfig(auto_create, max_topics, 0);

	ck_assert_str_eq(err, "");
	free(err);
}

static void
setup(void)
{
	log_init("check", LOG_LEVEL_WARN);
	root = test_tmpdir();
	ck_assert_ptr_nonnull(root);
	tm = actor_spawn(NULL, &topic_manager_actor, "topic_manager");
	peer = actor_spawn(NULL, &tpeer_actor, "peer");
	watcher = actor_spawn(NULL, &tpeer_actor, "watcher");
}

static void
teardown(void)
{
	actor_free(tm);
	actor_free(peer);
	actor_free(watcher);
	test_rmdir(root);
}

/* A new topic manager on the same root (as after a restart). */
static char *
trestart(void)
{
	actor_free(tm);
	tm = actor_spawn(NULL, &topic_manager_actor, "topic_manager");
	return (tconfig(0, 0, 0));
}

static Petrel__TopicConfig *
ttc(const char *name, uint32_t rq, uint32_t wq, uint32_t perm, int order)
{
	Petrel__TopicConfig	*tc;

	tc = msg_new(&petrel__topic_config__descriptor);
	msg_set_string(&tc->name, name);
	tc->read_queues = rq;
	tc->write_queues = wq;
	tc->perm = perm;
	tc->order = order;
	return (tc);
}

static void *
tcreate(const char *name, uint32_t rq, uint32_t wq, uint32_t perm)
{
	Petrel__CreateOrUpdateTopicRequest	*r;

	r = msg_new(&petrel__create_or_update_topic_request__descriptor);
	r->config = ttc(name, rq, wq, perm, 0);
	return (tcall(tm, peer, r, 0));
}

/* Create and expect success; returns created. */
static int
tcreate_ok(const char *name, uint32_t rq, uint32_t wq, uint32_t perm)
{
	Petrel__CreateOrUpdateTopicResponse	*resp;
	int					 created;

	resp = tis(tcreate(name, rq, wq, perm),
	    &petrel__create_or_update_topic_response__descriptor);
	ck_assert_ptr_nonnull(resp->data_version);
	created = resp->created;
	msg_free(resp);
	return (created);
}

static void
tcreate_error(const char *name, uint32_t rq, uint32_t wq, uint32_t perm,
    uint32_t status, const char *want)
{
	void	*m = tcreate(name, rq, wq, perm);

	ck_assert_str_eq(terror(m, status), want);
	msg_free(m);
}

static void *
tdelete(const char *name)
{
	Petrel__DeleteTopicInBrokerRequest	*r;

	r = msg_new(&petrel__delete_topic_in_broker_request__descriptor);
	msg_set_string(&r->topic, name);
	return (tcall(tm, peer, r, 0));
}

static void *
tget(const char *name)
{
	Petrel__GetTopicConfigRequest	*r;

	r = msg_new(&petrel__get_topic_config_request__descriptor);
	msg_set_string(&r->topic, name);
	return (tcall(tm, peer, r, 0));
}

/* Every topic as "name:r/w/perm[o] ...", and the version counter. */
static char *
tall(uint64_t *counter)
{
	Petrel__GetAllTopicConfigResponse	*resp;
	Petrel__TopicConfig			*tc;
	char					 buf[4096];
	size_t					 i;

	resp = tis(tcall(tm, peer,
	    msg_new(&petrel__get_all_topic_config_request__descriptor), 0),
	    &petrel__get_all_topic_config_response__descriptor);
	buf[0] = '\0';
	for (i = 0; i < resp->n_topics; i++) {
		tc = resp->topics[i];
		snprintf(buf + strlen(buf), sizeof buf - strlen(buf),
		    "%s%s:%u/%u/%u%s", i == 0 ? "" : " ", tc->name,
		    tc->read_queues, tc->write_queues, tc->perm,
		    tc->order ? "o" : "");
	}
	if (counter != NULL)
		*counter = resp->data_version->counter;
	msg_free(resp);
	return (xstrdup(buf));
}

static void
tall_is(const char *want)
{
	char	*got = tall(NULL);

	ck_assert_str_eq(got, want);
	free(got);
}

static void *
tlookup_req(const char *name, int create)
{
	Petrel__TopicLookup	*r;

	r = msg_new(&petrel__topic_lookup__descriptor);
	msg_set_string(&r->topic, name);
	r->create = create;
	return (r);
}

/* Look up topic; returns found + 2 * created, the queues in *queues. */
static int
tlookup(const char *name, int create, uint32_t *queues)
{
	Petrel__TopicLookupResult	*resp;
	int				 rc;

	resp = tis(tcall(tm, peer, tlookup_req(name, create), 0),
	    &petrel__topic_lookup_result__descriptor);
	rc = resp->found + 2 * resp->created;
	if (queues != NULL)
		*queues = resp->config != NULL ? resp->config->read_queues : 0;
	ck_assert(resp->found == (resp->config != NULL));
	msg_free(resp);
	return (rc);
}

START_TEST(test_config)
{
	char	*err;

	tconfig_ok(0, 0);
	err = tconfig(0, 0, 0);
	ck_assert_str_eq(err, "topic manager already configured");
	free(err);
	ck_assert_int_eq(access(root, F_OK), 0);
}
END_TEST

START_TEST(test_config_bad)
{
	Petrel__TopicManagerConfig	*c;
	Petrel__Configured		*ack;
	void				*m;

	c = msg_new(&petrel__topic_manager_config__descriptor);
	ack = tis(tcall(tm, peer, c, 0), &petrel__configured__descriptor);
	ck_assert_str_eq(ack->error, "no data root given");
	msg_free(ack);
	c = msg_new(&petrel__topic_manager_config__descriptor);
	msg_set_string(&c->root, root);
	c->default_queues = 5000;
	ack = tis(tcall(tm, peer, c, 0), &petrel__configured__descriptor);
	ck_assert_str_eq(ack->error, "queues of new topics must be at most "
	    "1024");
	msg_free(ack);

	/* Unconfigured, it serves nothing. */
	m = tget("T");
	ck_assert_str_eq(terror(m,
	    PETREL__STATUS__STATUS_SERVICE_NOT_AVAILABLE),
	    "topic manager not configured");
	msg_free(m);
	tcreate_error("T", 1, 1, 6,
	    PETREL__STATUS__STATUS_SERVICE_NOT_AVAILABLE,
	    "topic manager not configured");
}
END_TEST

START_TEST(test_create_update_delete)
{
	Petrel__GetTopicConfigResponse	*g;
	uint64_t			 v0, v1;
	char				*s;
	void				*m;

	tconfig_ok(0, 0);
	s = tall(&v0);
	ck_assert_str_eq(s, "");
	free(s);
	ck_assert_int_eq(tcreate_ok("T", 8, 8, 6), 1);
	ck_assert_int_eq(tcreate_ok("A-b_c%d", 2, 1, 4), 1);
	ck_assert_int_eq(tcreate_ok("T", 16, 4, 2), 0);
	s = tall(&v1);
	ck_assert_str_eq(s, "A-b_c%d:2/1/4 T:16/4/2");
	free(s);
	ck_assert_uint_eq(v1, v0 + 3);

	g = tis(tget("T"), &petrel__get_topic_config_response__descriptor);
	ck_assert_str_eq(g->config->name, "T");
	ck_assert_uint_eq(g->config->read_queues, 16);
	msg_free(g);

	msg_free(tis(tdelete("T"),
	    &petrel__delete_topic_in_broker_response__descriptor));
	tall_is("A-b_c%d:2/1/4");
	m = tdelete("T");
	ck_assert_str_eq(terror(m, PETREL__STATUS__STATUS_TOPIC_NOT_EXIST),
	    "no topic T");
	msg_free(m);
	m = tget("T");
	ck_assert_str_eq(terror(m, PETREL__STATUS__STATUS_TOPIC_NOT_EXIST),
	    "no topic T");
	msg_free(m);
}
END_TEST

START_TEST(test_bad_input)
{
	Petrel__CreateOrUpdateTopicRequest	*r;
	char					 name[200];
	void					*m;

	tconfig_ok(0, 2);
	memset(name, 'n', 128);
	name[128] = '\0';
	r = msg_new(&petrel__create_or_update_topic_request__descriptor);
	m = tcall(tm, peer, r, 0);
	ck_assert_str_eq(terror(m, PETREL__STATUS__STATUS_BAD_REQUEST),
	    "config is missing");
	msg_free(m);
	tcreate_error("", 1, 1, 6, PETREL__STATUS__STATUS_BAD_REQUEST,
	    "topic is empty");
	tcreate_error(name, 1, 1, 6, PETREL__STATUS__STATUS_BAD_REQUEST,
	    "topic is longer than 127 bytes");
	tcreate_error("a.b", 1, 1, 6, PETREL__STATUS__STATUS_BAD_REQUEST,
	    "topic \"a.b\" has an invalid character at byte 1");
	tcreate_error("a b", 1, 1, 6, PETREL__STATUS__STATUS_BAD_REQUEST,
	    "topic \"a b\" has an invalid character at byte 1");
	tcreate_error("%RETRY%g", 1, 1, 6, PETREL__STATUS__STATUS_BAD_REQUEST,
	    "topic %RETRY%g is a system topic");
	tcreate_error("%DLQ%g", 1, 1, 6, PETREL__STATUS__STATUS_BAD_REQUEST,
	    "topic %DLQ%g is a system topic");
	tcreate_error("T", 0, 1, 6, PETREL__STATUS__STATUS_BAD_REQUEST,
	    "topic T: queues must be 1-1024, not 0 read and 1 write");
	tcreate_error("T", 1, 1025, 6, PETREL__STATUS__STATUS_BAD_REQUEST,
	    "topic T: queues must be 1-1024, not 1 read and 1025 write");
	tcreate_error("T", 1, 1, 8, PETREL__STATUS__STATUS_BAD_REQUEST,
	    "topic T: bad perm 8");

	/* The limits themselves are fine. */
	name[127] = '\0';
	ck_assert_int_eq(tcreate_ok(name, 1024, 1024, 7), 1);
	ck_assert_int_eq(tcreate_ok("T", 1, 1, 0), 1);
	tcreate_error("U", 1, 1, 6, PETREL__STATUS__STATUS_BAD_REQUEST,
	    "too many topics: at most 2");
	ck_assert_int_eq(tcreate_ok("T", 2, 2, 6), 0);

	m = tdelete("");
	ck_assert_str_eq(terror(m, PETREL__STATUS__STATUS_BAD_REQUEST),
	    "topic is empty");
	msg_free(m);
	m = tdelete("%DLQ%x");
	terror(m, PETREL__STATUS__STATUS_BAD_REQUEST);
	msg_free(m);
	m = tget("a/b");
	terror(m, PETREL__STATUS__STATUS_BAD_REQUEST);
	msg_free(m);
	m = tget("");
	terror(m, PETREL__STATUS__STATUS_BAD_REQUEST);
	msg_free(m);
	ck_assert_uint_eq(tlookup("T", 0, NULL), 1);
}
END_TEST

START_TEST(test_lookup)
{
	Petrel__TopicLookup	*r;
	uint32_t		 q;
	void			*m;

	tconfig_ok(0, 0);
	ck_assert_int_eq(tcreate_ok("T", 3, 3, 6), 1);
	ck_assert_int_eq(tlookup("T", 0, &q), 1);
	ck_assert_uint_eq(q, 3);
	ck_assert_int_eq(tlookup("U", 0, NULL), 0);
	/* Automatic creation is off. */
	ck_assert_int_eq(tlookup("U", 1, NULL), 0);
	/* System topics are made on first need, with one queue. */
	ck_assert_int_eq(tlookup("%RETRY%g1", 1, &q), 3);
	ck_assert_uint_eq(q, 1);
	ck_assert_int_eq(tlookup("%RETRY%g1", 1, NULL), 1);
	ck_assert_int_eq(tlookup("%DLQ%g1", 0, NULL), 0);
	ck_assert_int_eq(tlookup("%DLQ%g1", 1, NULL), 3);
	/* A bare prefix is no system topic. */
	ck_assert_int_eq(tlookup("%RETRY%", 1, NULL), 0);
	tall_is("%DLQ%g1:1/1/6 %RETRY%g1:1/1/6 T:3/3/6");
	ck_assert_int_eq(btcounter(tm, peer, "topics"), 3);

	r = msg_new(&petrel__topic_lookup__descriptor);
	m = tcall(tm, peer, r, 0);
	ck_assert_str_eq(terror(m, PETREL__STATUS__STATUS_BAD_REQUEST),
	    "topic is empty");
	msg_free(m);
}
END_TEST

START_TEST(test_auto_create)
{
	uint32_t	q;

	tconfig_ok(1, 3);
	ck_assert_int_eq(tlookup("U", 0, NULL), 0);
	ck_assert_int_eq(tlookup("U", 1, &q), 3);
	ck_assert_uint_eq(q, 4);
	ck_assert_int_eq(tlookup("V", 1, NULL), 3);
	ck_assert_int_eq(tlookup("W", 1, NULL), 3);
	/* Full: no more. */
	ck_assert_int_eq(tlookup("X", 1, NULL), 0);
	tall_is("U:4/4/6 V:4/4/6 W:4/4/6");
}
END_TEST

START_TEST(test_persist)
{
	Petrel__TopicConfig	*tc;
	uint64_t		 v0, v1;
	char			*s, *err;

	tconfig_ok(0, 0);
	ck_assert_int_eq(tcreate_ok("T", 8, 4, 6), 1);
	ck_assert_int_eq(tcreate_ok("U", 1, 1, 4), 1);
	ck_assert_int_eq(tlookup("%RETRY%g", 1, NULL), 3);
	msg_free(tdelete("U"));
	free(tall(&v0));

	err = trestart();
	ck_assert_str_eq(err, "");
	free(err);
	s = tall(&v1);
	ck_assert_str_eq(s, "%RETRY%g:1/1/6 T:8/4/6");
	free(s);
	ck_assert_uint_eq(v1, v0);

	/* The ordered flag survives too. */
	tc = ttc("O", 2, 2, 6, 1);
	{
		Petrel__CreateOrUpdateTopicRequest	*r;

		r = msg_new(
		    &petrel__create_or_update_topic_request__descriptor);
		r->config = tc;
		msg_free(tcall(tm, peer, r, 0));
	}
	err = trestart();
	ck_assert_str_eq(err, "");
	free(err);
	tall_is("%RETRY%g:1/1/6 O:2/2/6o T:8/4/6");
}
END_TEST

/* Write len bytes of data to <root>/config/topics. */
static void
twrite_file(const void *data, size_t len)
{
	char	path[4096];
	FILE	*f;

	snprintf(path, sizeof path, "%s/config/topics", root);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	fclose(f);
}

/* The bytes of <root>/config/topics; *len set. */
static char *
tread_file(size_t *len)
{
	char	path[4096], *buf;
	FILE	*f;

	snprintf(path, sizeof path, "%s/config/topics", root);
	ck_assert_ptr_nonnull(f = fopen(path, "r"));
	buf = xmalloc(65536);
	*len = fread(buf, 1, 65536, f);
	fclose(f);
	return (buf);
}

START_TEST(test_corrupt)
{
	char	*buf, *err, want[4200];
	size_t	 len;

	tconfig_ok(0, 0);
	ck_assert_int_eq(tcreate_ok("T", 8, 4, 6), 1);
	buf = tread_file(&len);

	/* A flipped byte in the data. */
	buf[len - 3] ^= 0x40;
	twrite_file(buf, len);
	err = trestart();
	snprintf(want, sizeof want, "%s/config/topics: corrupt: checksum "
	    "mismatch", root);
	ck_assert_str_eq(err, want);
	free(err);
	/* Refused: an empty table, nothing served. */
	msg_free(tis(tget("T"), &petrel__error__descriptor));

	/* Cut short. */
	buf[len - 3] ^= 0x40;
	twrite_file(buf, len - 1);
	err = trestart();
	ck_assert_ptr_nonnull(strstr(err, "corrupt: "));
	free(err);

	/* Not ours. */
	twrite_file("hello world, this is not a topic file", 37);
	err = trestart();
	snprintf(want, sizeof want, "%s/config/topics: not a Petrel topics "
	    "file", root);
	ck_assert_str_eq(err, want);
	free(err);

	/* The good bytes again load. */
	twrite_file(buf, len);
	err = trestart();
	ck_assert_str_eq(err, "");
	free(err);
	tall_is("T:8/4/6");
	free(buf);
}
END_TEST

START_TEST(test_write_fails)
{
	char	 tmp[4096], *before, *after, *err;
	size_t	 lb, la;
	void	*m;

	tconfig_ok(0, 0);
	ck_assert_int_eq(tcreate_ok("T", 8, 4, 6), 1);
	before = tread_file(&lb);
	/* A directory where the temporary file goes: the write fails. */
	snprintf(tmp, sizeof tmp, "%s/config/topics.tmp", root);
	ck_assert_int_eq(mkdir(tmp, 0700), 0);

	m = tcreate("U", 1, 1, 6);
	ck_assert_ptr_nonnull(strstr(terror(m,
	    PETREL__STATUS__STATUS_SYSTEM_ERROR), "topics.tmp: "));
	msg_free(m);
	m = tdelete("T");
	terror(m, PETREL__STATUS__STATUS_SYSTEM_ERROR);
	msg_free(m);
	m = tcall(tm, peer, tlookup_req("%DLQ%g", 1), 0);
	terror(m, PETREL__STATUS__STATUS_SYSTEM_ERROR);
	msg_free(m);
	/* Nothing changed, in memory or on disk. */
	tall_is("T:8/4/6");
	after = tread_file(&la);
	ck_assert_uint_eq(la, lb);
	ck_assert_int_eq(memcmp(before, after, la), 0);
	free(before);
	free(after);

	ck_assert_int_eq(rmdir(tmp), 0);
	err = trestart();
	ck_assert_str_eq(err, "");
	free(err);
	tall_is("T:8/4/6");
	ck_assert_int_eq(tcreate_ok("U", 1, 1, 6), 1);
}
END_TEST

START_TEST(test_watchers_and_table)
{
	Petrel__TopicsChanged	*tc;
	Petrel__TopicTable	*t;
	struct envelope		 env;
	char			*err;

	err = tconfig(0, 0, 1);
	ck_assert_str_eq(err, "");
	free(err);
	ck_assert_int_eq(tcreate_ok("T", 8, 4, 6), 1);
	ck_assert_int_eq(tlookup("%RETRY%g", 1, NULL), 3);
	ck_assert_int_eq(tlookup("%RETRY%g", 1, NULL), 1);
	tc = tis(actor_pop(watcher, &env), &petrel__topics_changed__descriptor);
	ck_assert_uint_eq(tc->data_version->counter, 1);
	msg_free(tc);
	tc = tis(actor_pop(watcher, &env), &petrel__topics_changed__descriptor);
	ck_assert_uint_eq(tc->data_version->counter, 2);
	ck_assert_uint_gt(tc->data_version->timestamp_ms, 0);
	msg_free(tc);
	/* A lookup that changed nothing told nobody. */
	ck_assert_ptr_null(actor_pop(watcher, &env));

	t = tis(tcall(tm, peer,
	    msg_new(&petrel__topic_table_request__descriptor), 0),
	    &petrel__topic_table__descriptor);
	ck_assert_uint_eq(t->n_topics, 2);
	ck_assert_str_eq(t->topics[0]->name, "%RETRY%g");
	ck_assert_str_eq(t->topics[1]->name, "T");
	ck_assert_uint_eq(t->data_version->counter, 2);
	msg_free(t);
}
END_TEST

START_TEST(test_stop)
{
	msg_free(tis(tcall(tm, peer, msg_new(&petrel__stop__descriptor), 0),
	    &petrel__stopped__descriptor));
}
END_TEST

Suite *
topic_manager_suite(void)
{
	Suite	*s = suite_create("topic_manager");
	TCase	*tc;

	tc = tcase_create("topics");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_config);
	tcase_add_test(tc, test_config_bad);
	tcase_add_test(tc, test_create_update_delete);
	tcase_add_test(tc, test_bad_input);
	tcase_add_test(tc, test_lookup);
	tcase_add_test(tc, test_auto_create);
	tcase_add_test(tc, test_watchers_and_table);
	tcase_add_test(tc, test_stop);
	suite_add_tcase(s, tc);
	tc = tcase_create("file");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_persist);
	tcase_add_test(tc, test_corrupt);
	tcase_add_test(tc, test_write_fails);
	suite_add_tcase(s, tc);
	return (s);
}
