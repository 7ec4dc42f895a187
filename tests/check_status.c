/*
 * Tests of actors/status.c through detached actors, with two fake
 * sources whose counters the tests write: the answer once all replied,
 * counters added up and the unknown ones in extra, an answer after the
 * wait with what came, rates over the last minute from samples on a
 * fixed clock, errors of sources, a stop, and requests refused before
 * configuration.
 */
#include "config.h"

#include <check.h>
#include <stdarg.h>
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

#define T0	7000000
#define FIRST_ROUND	2	/* the timer (and cookie) of the first round */

static char		*dir;
static struct actor	*status, *src[2], *client;

/* Configure status with n sources. */
static void
tconfigure(size_t n)
{
	Petrel__StatusConfig	*c;
	Petrel__Configured	*ack;
	size_t			 i;

	c = msg_new(&petrel__status_config__descriptor);
	msg_set_string(&c->version, "petrel-broker 0.1.0");
	msg_set_string(&c->cluster, "c1");
	msg_set_string(&c->broker_name, "broker-a");
	c->broker_id = 3;
	msg_set_string(&c->root, dir);
	c->sample_ms = 10000;
	c->sources = xcalloc(2, sizeof *c->sources);
	for (i = 0; i < n; i++)
		c->sources[c->n_sources++] = actor_ref(src[i]);
	ack = tis(tcall(status, client, c, 0), &petrel__configured__descriptor);
	ck_assert_str_eq(ack->error, "");
	msg_free(ack);
}

static void
setup(void)
{
	log_init("check", LOG_LEVEL_WARN);
	dir = test_tmpdir();
	status = actor_spawn(NULL, &status_actor, "status");
	src[0] = actor_spawn(NULL, &tpeer_actor, "writer");
	src[1] = actor_spawn(NULL, &tpeer_actor, "dispatcher");
	client = actor_spawn(NULL, &tpeer_actor, "client");
	btclock(status, T0);
}

static void
teardown(void)
{
	actor_free(status);
	actor_free(src[0]);
	actor_free(src[1]);
	actor_free(client);
	test_rmdir(dir);
}

/* Ask for the runtime info (the answer waits at the client). */
static void
task(void)
{
	struct envelope	env = { client, TCOOKIE, 0 };

	ck_assert_int_eq(actor_post(status,
	    msg_new(&petrel__get_broker_runtime_info_request__descriptor),
	    &env), 0);
	actor_run_pending(status);
}

/* Source i was asked; it answers "name", value pairs ending in NULL. */
static void
treply(size_t i, ...)
{
	Petrel__Counters	*c;
	Petrel__Counter		*k;
	struct envelope		 env;
	ProtobufCMessage	*m;
	const char		*name;
	va_list			 ap;

	m = actor_pop(src[i], &env);
	ck_assert_ptr_nonnull(m);
	tis(m, &petrel__counters_request__descriptor);
	msg_free(m);
	c = msg_new(&petrel__counters__descriptor);
	va_start(ap, i);
	while ((name = va_arg(ap, const char *)) != NULL) {
		k = msg_new(&petrel__counter__descriptor);
		msg_set_string(&k->name, name);
		k->value = va_arg(ap, uint64_t);
		msg_array_add((void ***)&c->counters, &c->n_counters, k);
	}
	va_end(ap);
	ck_assert_int_eq(actor_reply(&env, c), 0);
	actor_run_pending(status);
}

/* The answer at the client. */
static Petrel__GetBrokerRuntimeInfoResponse *
tanswer(void)
{
	struct envelope	 env;
	void		*m;

	m = actor_pop(client, &env);
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(env.cookie, TCOOKIE);
	return (tis(m, &petrel__get_broker_runtime_info_response__descriptor));
}

START_TEST(test_answer)
{
	Petrel__GetBrokerRuntimeInfoResponse	*r;

	tconfigure(2);
	btclock(status, T0 + 4321);
	task();
	treply(0, "messages_put", (uint64_t)100, "queue_depth", (uint64_t)3,
	    "foo", (uint64_t)7, "", (uint64_t)1, NULL);
	ck_assert_ptr_null(actor_pop(client, NULL));
	treply(1, "commit_log_min", (uint64_t)64, "commit_log_max",
	    (uint64_t)500, "topics", (uint64_t)4, "consumer_groups",
	    (uint64_t)2, "messages_got", (uint64_t)50, "queue_depth",
	    (uint64_t)2, "bar", (uint64_t)1, NULL);
	r = tanswer();
	ck_assert_str_eq(r->version, "petrel-broker 0.1.0");
	ck_assert_str_eq(r->cluster, "c1");
	ck_assert_str_eq(r->broker_name, "broker-a");
	ck_assert_uint_eq(r->broker_id, 3);
	ck_assert_uint_gt(r->start_ms, 1600000000000ULL);
	ck_assert_uint_eq(r->uptime_ms, 4321);
	ck_assert_uint_eq(r->messages_put, 100);
	ck_assert_uint_eq(r->messages_got, 50);
	ck_assert_uint_eq(r->commit_log_min_offset, 64);
	ck_assert_uint_eq(r->commit_log_max_offset, 500);
	ck_assert_uint_eq(r->topics, 4);
	ck_assert_uint_eq(r->consumer_groups, 2);
	ck_assert_uint_eq(r->queue_depth, 5);
	ck_assert_uint_gt(r->disk_total_bytes, 0);
	ck_assert_uint_le(r->disk_used_bytes, r->disk_total_bytes);
	ck_assert(r->disk_used_ratio >= 0.0 && r->disk_used_ratio <= 1.0);
	ck_assert(r->put_tps == 0.0 && r->get_tps == 0.0);
	ck_assert_uint_eq(r->n_extra, 2);
	ck_assert_str_eq(r->extra[0]->name, "bar");
	ck_assert_str_eq(r->extra[0]->value, "1");
	ck_assert_str_eq(r->extra[1]->name, "foo");
	ck_assert_str_eq(r->extra[1]->value, "7");
	msg_free(r);
}
END_TEST

START_TEST(test_timeout)
{
	Petrel__GetBrokerRuntimeInfoResponse	*r;
	struct envelope				 env;
	ProtobufCMessage			*m;

	tconfigure(2);
	task();
	treply(0, "messages_put", (uint64_t)9, NULL);
	ck_assert_ptr_null(actor_pop(client, NULL));
	/* A second passed: answered with what came. */
	bttick(status, FIRST_ROUND);
	r = tanswer();
	ck_assert_uint_eq(r->messages_put, 9);
	ck_assert_uint_eq(r->commit_log_max_offset, 0);
	msg_free(r);
	/* The late reply is for nothing now. */
	treply(1, "commit_log_max", (uint64_t)500, NULL);
	bttick(status, FIRST_ROUND);
	ck_assert_ptr_null(actor_pop(client, NULL));
	/* A source answering an error counts as replied. */
	task();
	treply(0, "messages_put", (uint64_t)10, NULL);
	m = actor_pop(src[1], &env);
	tis(m, &petrel__counters_request__descriptor);
	msg_free(m);
	ck_assert_int_eq(actor_reply_error(&env, 503, "no"), 0);
	actor_run_pending(status);
	r = tanswer();
	ck_assert_uint_eq(r->messages_put, 10);
	msg_free(r);
}
END_TEST

/* Take a sample at time t of these totals. */
static void
tsample(uint64_t t, uint64_t put, uint64_t got)
{
	btclock(status, t);
	bttick(status, 1);
	treply(0, "messages_put", put, NULL);
	treply(1, "messages_got", got, NULL);
	ck_assert_ptr_null(actor_pop(client, NULL));
}

/* Ask at time t with these totals; the rates answered. */
static void
trates(uint64_t t, uint64_t put, uint64_t got, double *put_tps,
    double *get_tps)
{
	Petrel__GetBrokerRuntimeInfoResponse	*r;

	btclock(status, t);
	task();
	treply(0, "messages_put", put, NULL);
	treply(1, "messages_got", got, NULL);
	r = tanswer();
	*put_tps = r->put_tps;
	*get_tps = r->get_tps;
	msg_free(r);
}

START_TEST(test_rates)
{
	double	put, got;
	int	i;

	tconfigure(2);
	tsample(T0, 0, 0);
	/* One sample out at a time: a tick meanwhile asks nothing. */
	bttick(status, 1);
	bttick(status, 1);
	treply(0, "messages_put", (uint64_t)0, NULL);
	bttick(status, 1);
	ck_assert_ptr_null(actor_pop(src[0], NULL));
	treply(1, "messages_got", (uint64_t)0, NULL);
	tsample(T0 + 10000, 1000, 0);
	trates(T0 + 20000, 2000, 500, &put, &got);
	ck_assert(put == 100.0);
	ck_assert(got == 25.0);
	/* The samples of T0 are out of the last minute. */
	for (i = 2; i <= 7; i++)
		tsample(T0 + i * 10000, (uint64_t)i * 1000, 0);
	trates(T0 + 70000, 7000, 600, &put, &got);
	ck_assert(put == 100.0);
	ck_assert(got == 10.0);
	/* Counters that went back (a restart of a source): no rate. */
	trates(T0 + 75000, 5, 600, &put, &got);
	ck_assert(put == 0.0);
}
END_TEST

START_TEST(test_no_sources)
{
	Petrel__GetBrokerRuntimeInfoResponse	*r;

	tconfigure(0);
	task();
	r = tanswer();
	ck_assert_uint_eq(r->messages_put, 0);
	ck_assert_uint_eq(r->n_extra, 0);
	msg_free(r);
	bttick(status, 1);
	ck_assert_ptr_null(actor_pop(client, NULL));
}
END_TEST

START_TEST(test_refused)
{
	Petrel__GetBrokerRuntimeInfoResponse	*r;
	Petrel__StatusConfig			*c;
	void					*m;

	/* Before configuration. */
	m = tcall(status, client,
	    msg_new(&petrel__get_broker_runtime_info_request__descriptor), 0);
	ck_assert_str_eq(terror(m,
	    PETREL__STATUS__STATUS_SERVICE_NOT_AVAILABLE),
	    "status not configured");
	msg_free(m);
	tconfigure(2);
	c = msg_new(&petrel__status_config__descriptor);
	m = tcall(status, client, c, 0);
	ck_assert_str_ne(((Petrel__Configured *)tis(m,
	    &petrel__configured__descriptor))->error, "");
	msg_free(m);
	/* Stop answers what waits, with what came. */
	task();
	treply(0, "messages_put", (uint64_t)1, NULL);
	msg_free(actor_pop(src[1], NULL));
	msg_free(tis(tcall(status, src[1], msg_new(&petrel__stop__descriptor),
	    0), &petrel__stopped__descriptor));
	r = tanswer();
	ck_assert_uint_eq(r->messages_put, 1);
	msg_free(r);
	m = tcall(status, client,
	    msg_new(&petrel__get_broker_runtime_info_request__descriptor), 0);
	terror(m, PETREL__STATUS__STATUS_SERVICE_NOT_AVAILABLE);
	msg_free(m);
	bttick(status, 1);
	ck_assert_ptr_null(actor_pop(src[0], NULL));
}
END_TEST

Suite *
status_suite(void)
{
	Suite	*s = suite_create("status");
	TCase	*tc;

	tc = tcase_create("status");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_answer);
	tcase_add_test(tc, test_timeout);
	tcase_add_test(tc, test_rates);
	tcase_add_test(tc, test_no_sources);
	tcase_add_test(tc, test_refused);
	suite_add_tcase(s, tc);
	return (s);
}
