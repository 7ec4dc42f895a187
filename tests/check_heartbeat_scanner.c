/*
 * Tests of actors/heartbeat_scanner.c: its configuration (and bad ones),
 * a tick becoming ScanBrokers for the route manager, the timer firing on a
 * real loop, and stop.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <unistd.h>

#include "actor.h"
#include "log.h"
#include "msg.h"
#include "namesrv.h"
#include "namesrv_testutil.h"
#include "testutil.h"

#include "proto/namesrvd.pb-c.h"

static struct actor	*hs, *rm, *peer;

static void
setup(void)
{
	log_init("check", LOG_LEVEL_WARN);
	hs = actor_spawn(NULL, &heartbeat_scanner_actor, "heartbeat_scanner");
	rm = actor_spawn(NULL, &tpeer_actor, "fake_route_manager");
	peer = actor_spawn(NULL, &tpeer_actor, "peer");
}

static void
teardown(void)
{
	actor_free(hs);
	actor_free(rm);
	actor_free(peer);
}

static void *
tconfig(uint64_t interval, struct actor *to)
{
	Petrel__HeartbeatScannerConfig	*c;

	c = msg_new(&petrel__heartbeat_scanner_config__descriptor);
	c->interval_ms = interval;
	c->route_manager = to != NULL ? actor_ref(to) : 0;
	return (c);
}

/* Configure and return the error text ("" when taken); caller frees. */
static char *
tconfigure(struct actor *a, uint64_t interval, struct actor *to)
{
	Petrel__Configured	*ack;
	char			*error;

	ack = tis(tcall(a, peer, tconfig(interval, to), 0),
	    &petrel__configured__descriptor);
	error = strdup(ack->error);
	msg_free(ack);
	return (error);
}

static void
ttick(uint32_t id)
{
	Petrel__Tick	*t;

	t = msg_new(&petrel__tick__descriptor);
	t->id = id;
	actor_send(hs, t);
	actor_run_pending(hs);
}

START_TEST(test_config_bad)
{
	char	*e;

	e = tconfigure(hs, 0, rm);
	ck_assert_str_eq(e, "scan interval is zero");
	free(e);
	e = tconfigure(hs, 1000, NULL);
	ck_assert_str_eq(e, "no route manager to scan");
	free(e);
	/* Unconfigured, a tick does nothing. */
	ttick(1);
	ck_assert_uint_eq(actor_depth(rm), 0);
}
END_TEST

START_TEST(test_tick)
{
	struct envelope		 env;
	Petrel__ScanBrokers	*s;
	uint64_t		 before;
	char			*e;

	e = tconfigure(hs, 1000, rm);
	ck_assert_str_eq(e, "");
	free(e);
	before = test_now_ms();
	ttick(1);
	ttick(77);			/* not its timer */
	s = tis(actor_pop(rm, &env), &petrel__scan_brokers__descriptor);
	ck_assert_uint_ge(s->now_ms, before);
	ck_assert_uint_le(s->now_ms, test_now_ms());
	msg_free(s);
	ck_assert_ptr_null(actor_pop(rm, &env));
}
END_TEST

START_TEST(test_stop)
{
	struct envelope	 env;
	char		*e;

	e = tconfigure(hs, 1000, rm);
	free(e);
	msg_free(tis(tcall(hs, peer, msg_new(&petrel__stop__descriptor), 0),
	    &petrel__stopped__descriptor));
	ttick(1);
	ck_assert_ptr_null(actor_pop(rm, &env));
}
END_TEST

START_TEST(test_timer)
{
	struct loop	*loop;
	struct actor	*live;
	struct envelope	 env;
	uint64_t	 deadline;
	void		*m;

	loop = loop_new("scanner");
	live = actor_spawn(loop, &heartbeat_scanner_actor, "scanner");
	ck_assert_int_eq(loop_start(loop), 0);
	actor_ask(live, tconfig(20, rm), peer, 1);
	deadline = test_now_ms() + 3000;
	while (actor_depth(rm) < 3 && test_now_ms() < deadline)
		usleep(5000);
	ck_assert_uint_ge(actor_depth(rm), 3);
	m = actor_pop(peer, &env);
	ck_assert_str_eq(((Petrel__Configured *)tis(m,
	    &petrel__configured__descriptor))->error, "");
	msg_free(m);
	/* Reconfigured slower: the ticks all but stop. */
	actor_ask(live, tconfig(100000, rm), peer, 2);
	deadline = test_now_ms() + 3000;
	while (actor_depth(peer) < 1 && test_now_ms() < deadline)
		usleep(5000);
	msg_free(actor_pop(peer, &env));
	while ((m = actor_pop(rm, &env)) != NULL)
		msg_free(m);
	usleep(100000);
	ck_assert_uint_eq(actor_depth(rm), 0);
	loop_exit(loop);
	loop_join(loop);
	actor_free(live);
	loop_free(loop);
}
END_TEST

Suite *
heartbeat_scanner_suite(void)
{
	Suite	*s = suite_create("heartbeat_scanner");
	TCase	*tc;

	tc = tcase_create("scanner");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_config_bad);
	tcase_add_test(tc, test_tick);
	tcase_add_test(tc, test_stop);
	tcase_add_test(tc, test_timer);
	suite_add_tcase(s, tc);
	return (s);
}
