/*
 * Tests of actors/registrar.c on a real loop against fake name servers: a
 * listener on 127.0.0.1 port 0 (tests/transport_test.h) routing register
 * and unregister requests to an actor that copies each to a detached
 * "seen" actor and answers.  The registrar registers at once with the
 * topic manager's table, again every interval and on a topic change,
 * carries on past a dead name server, and unregisters on Stop.
 */
#include "config.h"

#include <sys/socket.h>

#include <netinet/in.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "actor.h"
#include "broker.h"
#include "listener.h"
#include "log.h"
#include "msg.h"
#include "testutil.h"
#include "transport_test.h"
#include "xmalloc.h"

#include "proto/broker.pb-c.h"
#include "proto/brokerd.pb-c.h"
#include "proto/namesrv.pb-c.h"
#include "proto/runtime.pb-c.h"

static struct actor	*seen;		/* detached: requests the fake got */

static const struct actor_handler tseen_handlers[] = { { NULL, NULL } };

/* Detached, no handlers: what it is sent waits for test_wait_msg(). */
static const struct actor_type tseen_actor = {
	.name = "seen",
	.size = sizeof(int),
	.handlers = tseen_handlers
};

static int	fake_on_register(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	fake_on_unregister(void *, ProtobufCMessage *,
		    const struct envelope *);

static const struct actor_handler fake_handlers[] = {
	{ &petrel__register_broker_request__descriptor, fake_on_register },
	{ &petrel__unregister_broker_request__descriptor, fake_on_unregister },
	{ NULL, NULL }
};

/* A name server that only notes what it is asked. */
static const struct actor_type fake_actor = {
	.name = "fake_namesrv",
	.size = sizeof(int),
	.handlers = fake_handlers
};

static int
fake_on_register(void *state, ProtobufCMessage *m, const struct envelope *env)
{
	actor_send(seen, msg_dup(m));
	return (actor_reply(env,
	    msg_new(&petrel__register_broker_response__descriptor)));
}

static int
fake_on_unregister(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	actor_send(seen, msg_dup(m));
	return (actor_reply(env,
	    msg_new(&petrel__unregister_broker_response__descriptor)));
}

static struct tserver	 ts;
static struct actor	*fake, *reg, *tm;
static struct loop	*rloop;
static char		*root, nsaddr[64], deadaddr[64];

/* A loopback port nothing listens on. */
static uint16_t
tdead_port(void)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof sin;
	int			fd;

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_ne(fd = socket(AF_INET, SOCK_STREAM, 0), -1);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	close(fd);
	return (ntohs(sin.sin_port));
}

static void
troute(Petrel__ListenerConfig *cfg, uint32_t code)
{
	Petrel__ListenerRoute	*r;

	r = msg_new(&petrel__listener_route__descriptor);
	r->code = code;
	r->actor = actor_ref(fake);
	msg_array_add((void ***)&cfg->routes, &cfg->n_routes, r);
}

/* Ask a of the registrar's loop and wait for an answer of type want. */
static void *
task(struct actor *a, void *m, const ProtobufCMessageDescriptor *want)
{
	ProtobufCMessage	*got;

	ck_assert_int_eq(actor_ask(a, m, ts.probe, 7), 0);
	got = test_wait_msg(ts.probe, want, NULL, TEST_WAIT_MS);
	ck_assert_msg(got != NULL, "no %s", want->name);
	return (got);
}

static void
setup(void)
{
	Petrel__ListenerConfig		*cfg;
	Petrel__ListenerReady		*ready;
	Petrel__TopicManagerConfig	*tc;
	Petrel__Configured		*ack;

	log_init("check", LOG_LEVEL_WARN);
	ck_assert_int_eq(tserver_start(&ts, "127.0.0.1", 0), 0);
	seen = actor_spawn(NULL, &tseen_actor, "seen");
	fake = actor_spawn(ts.loop, &fake_actor, "fake");
	ts.extra = actor_spawn(ts.loop, &listener_actor, "ns-listener");
	cfg = msg_new(&petrel__listener_config__descriptor);
	msg_set_string(&cfg->host, "127.0.0.1");
	msg_set_string(&cfg->server, "fake namesrv");
	troute(cfg, PETREL__REQUEST_CODE__CODE_REGISTER_BROKER);
	troute(cfg, PETREL__REQUEST_CODE__CODE_UNREGISTER_BROKER);
	ready = task(ts.extra, cfg, &petrel__listener_ready__descriptor);
	ck_assert_str_eq(ready->error, "");
	snprintf(nsaddr, sizeof nsaddr, "127.0.0.1:%u", ready->port);
	msg_free(ready);
	snprintf(deadaddr, sizeof deadaddr, "127.0.0.1:%u", tdead_port());

	root = test_tmpdir();
	rloop = loop_new("registrar");
	tm = actor_spawn(rloop, &topic_manager_actor, "topic_manager");
	reg = actor_spawn(rloop, &registrar_actor, "registrar");
	ck_assert_int_eq(loop_start(rloop), 0);
	tc = msg_new(&petrel__topic_manager_config__descriptor);
	msg_set_string(&tc->root, root);
	tc->watchers = xcalloc(1, sizeof *tc->watchers);
	tc->watchers[0] = actor_ref(reg);
	tc->n_watchers = 1;
	ack = task(tm, tc, &petrel__configured__descriptor);
	ck_assert_str_eq(ack->error, "");
	msg_free(ack);
}

static void
teardown(void)
{
	loop_exit(rloop);
	loop_join(rloop);
	actor_free(reg);
	actor_free(tm);
	loop_free(rloop);
	actor_free(fake);
	tserver_stop(&ts);
	actor_free(seen);
	test_rmdir(root);
}

/* Configure the registrar with these name servers; returns the error. */
static char *
tconfig(const char *a, const char *b, uint64_t interval_ms)
{
	Petrel__RegistrarConfig	*c;
	Petrel__Configured	*ack;
	char			*err;

	c = msg_new(&petrel__registrar_config__descriptor);
	if (a != NULL)
		msg_array_add((void ***)&c->namesrv_addrs, &c->n_namesrv_addrs,
		    xstrdup(a));
	if (b != NULL)
		msg_array_add((void ***)&c->namesrv_addrs, &c->n_namesrv_addrs,
		    xstrdup(b));
	msg_set_string(&c->cluster, "c1");
	msg_set_string(&c->broker_name, "broker-a");
	msg_set_string(&c->address, "127.0.0.1:10911");
	msg_set_string(&c->ha_address, "");
	c->interval_ms = interval_ms;
	c->timeout_ms = 2000;
	c->topic_manager = actor_ref(tm);
	ack = task(reg, c, &petrel__configured__descriptor);
	err = xstrdup(ack->error);
	msg_free(ack);
	return (err);
}

/* The next registration the fake name server got. */
static Petrel__RegisterBrokerRequest *
tnext_register(void)
{
	ProtobufCMessage	*m;

	m = test_wait_msg(seen, &petrel__register_broker_request__descriptor,
	    NULL, TEST_WAIT_MS);
	ck_assert_msg(m != NULL, "no registration");
	return ((Petrel__RegisterBrokerRequest *)m);
}

static void
tcreate_topic(const char *name)
{
	Petrel__CreateOrUpdateTopicRequest	*r;

	r = msg_new(&petrel__create_or_update_topic_request__descriptor);
	r->config = msg_new(&petrel__topic_config__descriptor);
	msg_set_string(&r->config->name, name);
	r->config->read_queues = r->config->write_queues = 4;
	r->config->perm = 6;
	msg_free(task(tm, r,
	    &petrel__create_or_update_topic_response__descriptor));
}

/* The registrar's status of name server i. */
static Petrel__RegistrarStatus *
tstatus(void)
{
	return (task(reg,
	    msg_new(&petrel__registrar_status_request__descriptor),
	    &petrel__registrar_status__descriptor));
}

START_TEST(test_register_and_repeat)
{
	Petrel__RegisterBrokerRequest	*r;
	char				*err;
	int				 i;

	tcreate_topic("T");
	err = tconfig(nsaddr, NULL, 100);
	ck_assert_str_eq(err, "");
	free(err);
	r = tnext_register();
	ck_assert_str_eq(r->cluster, "c1");
	ck_assert_str_eq(r->broker_name, "broker-a");
	ck_assert_str_eq(r->address, "127.0.0.1:10911");
	ck_assert_uint_eq(r->n_topics, 1);
	ck_assert_str_eq(r->topics[0]->name, "T");
	ck_assert_ptr_nonnull(r->data_version);
	ck_assert_uint_eq(r->data_version->counter, 1);
	msg_free(r);
	/* Again every interval, with the same version. */
	for (i = 0; i < 2; i++) {
		r = tnext_register();
		ck_assert_uint_eq(r->data_version->counter, 1);
		msg_free(r);
	}
	/* A new topic is registered without waiting for the interval. */
	err = NULL;
	tcreate_topic("U");
	do {
		r = tnext_register();
		i = r->n_topics == 2;
		if (i) {
			ck_assert_uint_eq(r->data_version->counter, 2);
			ck_assert_str_eq(r->topics[1]->name, "U");
		}
		msg_free(r);
	} while (!i);
}
END_TEST

START_TEST(test_dead_namesrv)
{
	Petrel__RegistrarStatus	*st;
	uint64_t		 deadline;
	char			*err;
	int			 ok = 0;

	err = tconfig(deadaddr, nsaddr, 50);
	ck_assert_str_eq(err, "");
	free(err);
	/* The live one gets its registrations regardless. */
	msg_free(tnext_register());
	msg_free(tnext_register());
	msg_free(tnext_register());
	deadline = test_now_ms() + TEST_WAIT_MS;
	while (!ok && test_now_ms() < deadline) {
		st = tstatus();
		ck_assert_uint_eq(st->n_namesrvs, 2);
		ck_assert_str_eq(st->namesrvs[0]->address, deadaddr);
		ok = st->namesrvs[0]->failures >= 2 &&
		    st->namesrvs[1]->registrations >= 3;
		if (ok) {
			ck_assert(!st->namesrvs[0]->registered);
			ck_assert_str_ne(st->namesrvs[0]->last_error, "");
			ck_assert(st->namesrvs[1]->registered);
			ck_assert_uint_eq(st->namesrvs[1]->failures, 0);
		}
		msg_free(st);
		test_tick();
	}
	ck_assert_msg(ok, "dead name server held up the live one");
}
END_TEST

START_TEST(test_unregister_on_stop)
{
	Petrel__UnregisterBrokerRequest	*u;
	char				*err;

	err = tconfig(nsaddr, deadaddr, 60000);
	ck_assert_str_eq(err, "");
	free(err);
	msg_free(tnext_register());
	/* Stopped once both answered or failed. */
	msg_free(task(reg, msg_new(&petrel__stop__descriptor),
	    &petrel__stopped__descriptor));
	u = (Petrel__UnregisterBrokerRequest *)test_wait_msg(seen,
	    &petrel__unregister_broker_request__descriptor, NULL,
	    TEST_WAIT_MS);
	ck_assert_ptr_nonnull(u);
	ck_assert_str_eq(u->cluster, "c1");
	ck_assert_str_eq(u->broker_name, "broker-a");
	ck_assert_str_eq(u->address, "127.0.0.1:10911");
	msg_free(u);
	/* A second Stop is answered at once. */
	msg_free(task(reg, msg_new(&petrel__stop__descriptor),
	    &petrel__stopped__descriptor));
}
END_TEST

START_TEST(test_config_bad)
{
	Petrel__RegistrarConfig	*c;
	Petrel__Configured	*ack;
	struct actor		*d;
	char			*err;

	err = tconfig(NULL, NULL, 0);
	ck_assert_str_eq(err, "no name server address");
	free(err);
	err = tconfig("no-port-here", NULL, 0);
	ck_assert_str_ne(err, "");
	free(err);

	c = msg_new(&petrel__registrar_config__descriptor);
	msg_array_add((void ***)&c->namesrv_addrs, &c->n_namesrv_addrs,
	    xstrdup(nsaddr));
	ack = task(reg, c, &petrel__configured__descriptor);
	ck_assert_str_eq(ack->error,
	    "cluster, broker name and address are needed");
	msg_free(ack);

	/* Detached, it has no event_base for its connections. */
	d = actor_spawn(NULL, &registrar_actor, "detached");
	actor_ask(d, msg_new(&petrel__registrar_config__descriptor), ts.probe,
	    1);
	actor_run_pending(d);
	ack = (Petrel__Configured *)test_wait_msg(ts.probe,
	    &petrel__configured__descriptor, NULL, TEST_WAIT_MS);
	ck_assert_str_eq(ack->error, "the registrar needs a loop");
	msg_free(ack);
	/* Unconfigured, Stop is answered at once. */
	actor_ask(d, msg_new(&petrel__stop__descriptor), ts.probe, 1);
	actor_run_pending(d);
	msg_free(test_wait_msg(ts.probe, &petrel__stopped__descriptor, NULL,
	    TEST_WAIT_MS));
	actor_free(d);
}
END_TEST

Suite *
registrar_suite(void)
{
	Suite	*s = suite_create("registrar");
	TCase	*tc;

	tc = tcase_create("registrar");
	tcase_set_timeout(tc, 30);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_register_and_repeat);
	tcase_add_test(tc, test_dead_namesrv);
	tcase_add_test(tc, test_unregister_on_stop);
	tcase_add_test(tc, test_config_bad);
	suite_add_tcase(s, tc);
	return (s);
}
