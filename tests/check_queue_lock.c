/*
 * Tests of actors/queue_lock.c through detached actors: a client locks a
 * batch, a second client of the group is refused until the lock expires
 * (ticks on a fixed clock) or is unlocked, renewals, other groups, and bad
 * input for both requests.
 */
#include "config.h"

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

#define T0	5000000

static struct actor	*ql, *peer;

static void
setup(void)
{
	Petrel__QueueLockConfig	*c;

	log_init("check", LOG_LEVEL_WARN);
	ql = actor_spawn(NULL, &queue_lock_actor, "queue_lock");
	peer = actor_spawn(NULL, &tpeer_actor, "peer");
	c = msg_new(&petrel__queue_lock_config__descriptor);
	c->expire_ms = 60000;
	msg_free(tis(tcall(ql, peer, c, 0), &petrel__configured__descriptor));
	btclock(ql, T0);
}

static void
teardown(void)
{
	actor_free(ql);
	actor_free(peer);
}

/* Queues "0,1,2" of topic T on broker b into a repeated field. */
static void
tqueues(const char *list, Petrel__MessageQueue ***out, size_t *n)
{
	Petrel__MessageQueue	*mq;
	const char		*p = list;
	char			*end;

	while (*p != '\0') {
		mq = msg_new(&petrel__message_queue__descriptor);
		msg_set_string(&mq->topic, "T");
		msg_set_string(&mq->broker_name, "broker-a");
		mq->queue_id = (uint32_t)strtoul(p, &end, 10);
		msg_array_add((void ***)out, n, mq);
		p = *end == ',' ? end + 1 : end;
	}
}

static void *
tlock_req(const char *group, const char *client, const char *list)
{
	Petrel__LockBatchRequest	*r;

	r = msg_new(&petrel__lock_batch_request__descriptor);
	msg_set_string(&r->group, group);
	msg_set_string(&r->client_id, client);
	tqueues(list, &r->queues, &r->n_queues);
	return (r);
}

static void *
tunlock_req(const char *group, const char *client, const char *list)
{
	Petrel__UnlockBatchRequest	*r;

	r = msg_new(&petrel__unlock_batch_request__descriptor);
	msg_set_string(&r->group, group);
	msg_set_string(&r->client_id, client);
	tqueues(list, &r->queues, &r->n_queues);
	return (r);
}

/* Lock and return the queues got, as "0,2". */
static char *
tlock(const char *group, const char *client, const char *list)
{
	Petrel__LockBatchResponse	*resp;
	char				 buf[256];
	size_t				 i;

	resp = tis(tcall(ql, peer, tlock_req(group, client, list), 0),
	    &petrel__lock_batch_response__descriptor);
	buf[0] = '\0';
	for (i = 0; i < resp->n_locked; i++) {
		ck_assert_str_eq(resp->locked[i]->topic, "T");
		snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%u",
		    i == 0 ? "" : ",", resp->locked[i]->queue_id);
	}
	msg_free(resp);
	return (xstrdup(buf));
}

static void
tlock_is(const char *group, const char *client, const char *list,
    const char *want)
{
	char	*got = tlock(group, client, list);

	ck_assert_str_eq(got, want);
	free(got);
}

static uint32_t
tunlock(const char *group, const char *client, const char *list)
{
	Petrel__UnlockBatchResponse	*resp;
	uint32_t			 n;

	resp = tis(tcall(ql, peer, tunlock_req(group, client, list), 0),
	    &petrel__unlock_batch_response__descriptor);
	n = resp->unlocked;
	msg_free(resp);
	return (n);
}

START_TEST(test_exclusive)
{
	tlock_is("g", "c1", "0,1", "0,1");
	/* c2 gets only what c1 does not hold. */
	tlock_is("g", "c2", "1,2", "2");
	/* Locking again renews: c1 keeps its queues. */
	tlock_is("g", "c1", "0,1", "0,1");
	/* Another group is another lock. */
	tlock_is("h", "c2", "0,1", "0,1");
	/* c2 cannot unlock c1's queue; c1 can. */
	ck_assert_uint_eq(tunlock("g", "c2", "1"), 0);
	tlock_is("g", "c2", "1", "");
	ck_assert_uint_eq(tunlock("g", "c1", "1"), 1);
	tlock_is("g", "c2", "1", "1");
	ck_assert_uint_eq(tunlock("g", "c1", "1,7"), 0);
}
END_TEST

START_TEST(test_expiry)
{
	tlock_is("g", "c1", "0,1", "0,1");
	btclock(ql, T0 + 30000);
	tlock_is("g", "c1", "1", "1");		/* renews 1 only */
	btclock(ql, T0 + 59999);
	bttick(ql, 1);
	tlock_is("g", "c2", "0,1", "");
	/* 0 expired at 60 s; 1 was renewed at 30 s. */
	btclock(ql, T0 + 60000);
	bttick(ql, 1);
	tlock_is("g", "c2", "0,1", "0");
	btclock(ql, T0 + 89999);
	tlock_is("g", "c2", "1", "");
	/* Expired but not yet swept: taken over all the same. */
	btclock(ql, T0 + 90000);
	tlock_is("g", "c2", "1", "1");
	tlock_is("g", "c1", "0,1", "");
}
END_TEST

static void
tbad(void *req, const char *want)
{
	void	*m = tcall(ql, peer, req, 0);

	ck_assert_str_eq(terror(m, PETREL__STATUS__STATUS_BAD_REQUEST), want);
	msg_free(m);
}

START_TEST(test_bad_input)
{
	Petrel__LockBatchRequest	*r;
	Petrel__UnlockBatchRequest	*u;
	char				*big;
	size_t				 i;

	tbad(tlock_req("", "c", "0"), "group is empty");
	tbad(tlock_req("g", "", "0"), "client_id is empty");
	tbad(tlock_req("g", "c", ""), "0 queues: 1-4096 at a time");
	tbad(tlock_req("g", "c", "1024"),
	    "queue 0: queue_id 1024 is over 1023");
	r = tlock_req("g", "c", "0,1");
	msg_set_string(&r->queues[1]->topic, "bad topic");
	tbad(r, "topic \"bad topic\" has an invalid character at byte 3");
	r = tlock_req("g", "c", "0");
	msg_set_string(&r->queues[0]->broker_name, "");
	tbad(r, "queue 0: bad broker_name");
	big = xmalloc(4097 * 2 + 1);
	big[0] = '\0';
	for (i = 0; i < 4097; i++)
		strcat(big, i == 0 ? "0" : ",0");
	tbad(tlock_req("g", "c", big), "4097 queues: 1-4096 at a time");
	free(big);
	tbad(tunlock_req("g g", "c", "0"),
	    "group \"g g\" has an invalid character at byte 1");
	u = tunlock_req("g", "c", "0");
	msg_set_string(&u->queues[0]->broker_name, "a b");
	tbad(u, "queue 0: bad broker_name");
	/* Nothing refused was locked. */
	tlock_is("g", "other", "0,1", "0,1");
}
END_TEST

START_TEST(test_stop)
{
	msg_free(tis(tcall(ql, peer, msg_new(&petrel__stop__descriptor), 0),
	    &petrel__stopped__descriptor));
}
END_TEST

Suite *
queue_lock_suite(void)
{
	Suite	*s = suite_create("queue_lock");
	TCase	*tc;

	tc = tcase_create("locks");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_exclusive);
	tcase_add_test(tc, test_expiry);
	tcase_add_test(tc, test_bad_input);
	tcase_add_test(tc, test_stop);
	suite_add_tcase(s, tc);
	return (s);
}
