/*
 * Tests of lib/rebalance.c: both strategies hand every queue to exactly
 * one member for every group and queue count up to 40 x 64, shares differ
 * by at most one, average runs are contiguous and ascending, circle puts
 * queue j on member j mod n, and every member computes the same answer
 * from differently ordered inputs.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rebalance.h"

#define MAXM	40
#define MAXQ	64

/*
 * Owner of each of nq queues under strategy with nm members; NULL, or what
 * is wrong.  (Plain tests: check's assertions are too slow for millions.)
 */
static const char *
owners(enum rebalance_strategy s, size_t nm, size_t nq, long *owner)
{
	size_t	owned[MAXQ], n, i, m, total = 0, lo = MAXQ, hi = 0;

	for (i = 0; i < nq; i++)
		owner[i] = -1;
	for (m = 0; m < nm; m++) {
		n = rebalance_allocate(s, nm, m, nq, owned);
		if (n > nq)
			return ("more queues than there are");
		for (i = 0; i < n; i++) {
			if (owned[i] >= nq)
				return ("a queue out of range");
			if (owner[owned[i]] != -1)
				return ("a queue owned twice");
			owner[owned[i]] = (long)m;
			if (i > 0 && owned[i] <= owned[i - 1])
				return ("queues not ascending");
		}
		total += n;
		if (n < lo)
			lo = n;
		if (n > hi)
			hi = n;
	}
	if (total != nq)
		return ("a queue without owner");
	if (hi - lo > 1)
		return ("shares differ by more than one");
	return (NULL);
}

START_TEST(test_average_properties)
{
	long		 owner[MAXQ];
	size_t		 nm, nq, i;
	const char	*bad;

	for (nm = 1; nm <= MAXM; nm++) {
		for (nq = 0; nq <= MAXQ; nq++) {
			bad = owners(REBALANCE_AVERAGE, nm, nq, owner);
			/* contiguous: owners never decrease along the queues */
			for (i = 1; bad == NULL && i < nq; i++) {
				if (owner[i] < owner[i - 1])
					bad = "runs not contiguous";
			}
			/* the larger shares go to the first members */
			if (bad == NULL && nq % nm != 0 && nq > nm &&
			    owner[nq / nm] != 0)
				bad = "first member's share too small";
			if (bad != NULL)
				ck_abort_msg("%zu members, %zu queues: %s", nm,
				    nq, bad);
		}
	}
}
END_TEST

START_TEST(test_circle_properties)
{
	long		 owner[MAXQ];
	size_t		 nm, nq, i;
	const char	*bad;

	for (nm = 1; nm <= MAXM; nm++) {
		for (nq = 0; nq <= MAXQ; nq++) {
			bad = owners(REBALANCE_AVERAGE_CIRCLE, nm, nq, owner);
			for (i = 0; bad == NULL && i < nq; i++) {
				if (owner[i] != (long)(i % nm))
					bad = "queue i not on member i mod n";
			}
			if (bad != NULL)
				ck_abort_msg("%zu members, %zu queues: %s", nm,
				    nq, bad);
		}
	}
}
END_TEST

START_TEST(test_average_examples)
{
	size_t	owned[MAXQ], n;

	/* 8 queues, 3 members: 3 3 2 */
	n = rebalance_allocate(REBALANCE_AVERAGE, 3, 0, 8, owned);
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(owned[0], 0);
	ck_assert_uint_eq(owned[2], 2);
	n = rebalance_allocate(REBALANCE_AVERAGE, 3, 1, 8, owned);
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(owned[0], 3);
	n = rebalance_allocate(REBALANCE_AVERAGE, 3, 2, 8, owned);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(owned[0], 6);
	ck_assert_uint_eq(owned[1], 7);
	/* more members than queues: the last ones get nothing */
	ck_assert_uint_eq(rebalance_allocate(REBALANCE_AVERAGE, 5, 4, 2,
	    owned), 0);
	ck_assert_uint_eq(rebalance_allocate(REBALANCE_AVERAGE, 5, 1, 2,
	    owned), 1);
	ck_assert_uint_eq(owned[0], 1);
}
END_TEST

/* The layouts tests/integration/consumer_circle.sh expects of members. */
START_TEST(test_circle_examples)
{
	static const size_t	 three[3][3] = { { 0, 3, 6 }, { 1, 4, 7 },
				     { 2, 5, 0 } };
	size_t			 owned[MAXQ], n, i, m;

	/* 8 queues, 3 members: 0 3 6, 1 4 7, 2 5 */
	for (m = 0; m < 3; m++) {
		n = rebalance_allocate(REBALANCE_AVERAGE_CIRCLE, 3, m, 8,
		    owned);
		ck_assert_uint_eq(n, m < 2 ? 3 : 2);
		for (i = 0; i < n; i++)
			ck_assert_uint_eq(owned[i], three[m][i]);
	}
	/* 8 queues, 2 members: the even ones, the odd ones */
	for (m = 0; m < 2; m++) {
		n = rebalance_allocate(REBALANCE_AVERAGE_CIRCLE, 2, m, 8,
		    owned);
		ck_assert_uint_eq(n, 4);
		for (i = 0; i < n; i++)
			ck_assert_uint_eq(owned[i], m + 2 * i);
	}
}
END_TEST

START_TEST(test_bad_input)
{
	size_t	owned[4];

	ck_assert_uint_eq(rebalance_allocate(REBALANCE_AVERAGE, 0, 0, 4,
	    owned), 0);
	ck_assert_uint_eq(rebalance_allocate(REBALANCE_AVERAGE, 2, 2, 4,
	    owned), 0);
	ck_assert_uint_eq(rebalance_allocate(REBALANCE_AVERAGE_CIRCLE, 2, 7,
	    4, owned), 0);
	ck_assert_uint_eq(rebalance_allocate(REBALANCE_AVERAGE_CIRCLE, 2, 0,
	    0, owned), 0);
}
END_TEST

/* A small deterministic generator for shuffles. */
static unsigned long
next_rand(unsigned long *x)
{
	*x = *x * 6364136223846793005UL + 1442695040888963407UL;
	return (*x >> 33);
}

START_TEST(test_same_answer_everywhere)
{
	static const char *brokers[] = { "broker-b", "broker-a", "broker-c" };
	struct rebalance_queue	 base[30], q[30];
	const char		*ids[7], *sorted[7];
	char			 names[7][32];
	int			 count[3][10];
	size_t			 owned[30], n, i, j, view;
	int			 b;
	unsigned long		 x = 42;
	long			 me;
	struct rebalance_queue	 t;
	const char		*ts;

	memset(count, 0, sizeof count);
	for (i = 0; i < 30; i++) {
		base[i].broker = brokers[i % 3];
		base[i].queue_id = (uint32_t)(i / 3);
	}
	for (i = 0; i < 7; i++) {
		snprintf(names[i], sizeof names[i], "10.0.0.%zu@%zu",
		    7 - i, i * 31);
		ids[i] = names[i];
	}
	/* Each member sees inputs in its own order and sorts them. */
	for (view = 0; view < 7; view++) {
		memcpy(q, base, sizeof q);
		memcpy(sorted, ids, sizeof sorted);
		for (i = 29; i > 0; i--) {
			j = next_rand(&x) % (i + 1);
			t = q[i]; q[i] = q[j]; q[j] = t;
		}
		for (i = 6; i > 0; i--) {
			j = next_rand(&x) % (i + 1);
			ts = sorted[i]; sorted[i] = sorted[j]; sorted[j] = ts;
		}
		rebalance_sort_queues(q, 30);
		rebalance_sort_members(sorted, 7);
		for (i = 1; i < 30; i++)
			ck_assert_int_lt(rebalance_queue_cmp(&q[i - 1], &q[i]),
			    0);
		ck_assert_str_eq(q[0].broker, "broker-a");
		ck_assert_uint_eq(q[0].queue_id, 0);
		ck_assert_uint_eq(q[1].queue_id, 1);
		ck_assert_str_eq(q[10].broker, "broker-b");
		for (i = 1; i < 7; i++)
			ck_assert_int_lt(strcmp(sorted[i - 1], sorted[i]), 0);
		/* This member's answer for itself, by queue identity. */
		me = rebalance_member_index(sorted, 7, ids[view]);
		ck_assert_int_ge(me, 0);
		n = rebalance_allocate(REBALANCE_AVERAGE, 7, (size_t)me, 30,
		    owned);
		for (i = 0; i < n; i++) {
			b = q[owned[i]].broker[7] - 'a';
			count[b][q[owned[i]].queue_id]++;
		}
	}
	for (i = 0; i < 3; i++) {
		for (j = 0; j < 10; j++)
			ck_assert_int_eq(count[i][j], 1);
	}
	ck_assert_int_eq(rebalance_member_index(ids, 7, "nobody"), -1);
}
END_TEST

START_TEST(test_strategy_parse)
{
	enum rebalance_strategy	s;

	ck_assert_int_eq(rebalance_strategy_parse("average", &s), 0);
	ck_assert_int_eq(s, REBALANCE_AVERAGE);
	ck_assert_int_eq(rebalance_strategy_parse("circle", &s), 0);
	ck_assert_int_eq(s, REBALANCE_AVERAGE_CIRCLE);
	ck_assert_int_eq(rebalance_strategy_parse("average-by-circle", &s),
	    0);
	ck_assert_int_eq(rebalance_strategy_parse("hash", &s), -1);
	ck_assert_int_eq(rebalance_strategy_parse("", &s), -1);
}
END_TEST

Suite *
rebalance_suite(void)
{
	Suite	*s = suite_create("rebalance");
	TCase	*tc;

	tc = tcase_create("allocate");
	tcase_add_test(tc, test_average_properties);
	tcase_add_test(tc, test_circle_properties);
	tcase_add_test(tc, test_average_examples);
	tcase_add_test(tc, test_circle_examples);
	tcase_add_test(tc, test_bad_input);
	suite_add_tcase(s, tc);
	tc = tcase_create("sort");
	tcase_add_test(tc, test_same_answer_everywhere);
	suite_add_tcase(s, tc);
	tc = tcase_create("parse");
	tcase_add_test(tc, test_strategy_parse);
	suite_add_tcase(s, tc);
	return (s);
}
