/*
 * Tests of lib/mailbox.c: order, the empty mark (one wake per empty to
 * non-empty transition), depth, freeing what is left, and four threads
 * pushing a million mails each while the consumer sleeps and wakes as the
 * actor runtime does.
 */
#include "config.h"

#include <check.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mailbox.h"
#include "xmalloc.h"

#define MT_SENDERS	4
#define MT_PER_SENDER	1000000

/* Push a mail whose cookie is seq and conn is sender; 1 if it woke. */
static int
push_seq(struct mailbox *mb, uint64_t sender, uint64_t seq, void *msg)
{
	struct mail	*m = mailbox_mail_new();

	m->msg = msg;
	m->env.from = NULL;
	m->env.cookie = seq;
	m->env.conn = sender;
	m->tag = 0;
	return (mailbox_push(mb, m));
}

START_TEST(test_order)
{
	struct mailbox	 mb;
	struct mail	*m;
	uint64_t	 i;

	mailbox_init(&mb);
	ck_assert_ptr_null(mailbox_pop(&mb));
	for (i = 1; i <= 1000; i++)
		push_seq(&mb, 0, i, NULL);
	ck_assert_uint_eq(mailbox_depth(&mb), 1000);
	for (i = 1; i <= 1000; i++) {
		m = mailbox_pop(&mb);
		ck_assert_ptr_nonnull(m);
		ck_assert_uint_eq(m->env.cookie, i);
	}
	ck_assert_ptr_null(mailbox_pop(&mb));
	ck_assert_uint_eq(mailbox_depth(&mb), 0);
	mailbox_fini(&mb, NULL);
}
END_TEST

START_TEST(test_wake_transitions)
{
	struct mailbox	 mb;
	struct mail	*m;

	mailbox_init(&mb);
	/* A new mailbox is marked empty: the first push wakes, no other. */
	ck_assert_int_eq(push_seq(&mb, 0, 1, NULL), 1);
	ck_assert_int_eq(push_seq(&mb, 0, 2, NULL), 0);
	ck_assert_int_eq(push_seq(&mb, 0, 3, NULL), 0);
	ck_assert_uint_eq(mailbox_wakes(&mb), 1);
	/* Not empty: it cannot be marked. */
	ck_assert_int_eq(mailbox_mark_empty(&mb), 0);
	m = mailbox_pop(&mb);
	ck_assert_uint_eq(m->env.cookie, 1);
	ck_assert_int_eq(mailbox_mark_empty(&mb), 0);
	mailbox_pop(&mb);
	m = mailbox_pop(&mb);
	ck_assert_uint_eq(m->env.cookie, 3);
	/* The newest mail is the one just popped. */
	ck_assert_ptr_eq(mailbox_last(&mb), m);
	ck_assert_ptr_null(mailbox_pop(&mb));
	ck_assert_int_eq(mailbox_mark_empty(&mb), 1);
	ck_assert_int_eq(mailbox_mark_empty(&mb), 1);
	/* Marked: the next push wakes again, once. */
	ck_assert_int_eq(push_seq(&mb, 0, 4, NULL), 1);
	ck_assert_int_eq(push_seq(&mb, 0, 5, NULL), 0);
	ck_assert_uint_eq(mailbox_wakes(&mb), 2);
	/* Not marked while a consumer has not given up: no wake. */
	mailbox_pop(&mb);
	mailbox_pop(&mb);
	ck_assert_ptr_null(mailbox_pop(&mb));
	ck_assert_int_eq(push_seq(&mb, 0, 6, NULL), 0);
	ck_assert_uint_eq(mailbox_wakes(&mb), 2);
	mailbox_fini(&mb, NULL);
}
END_TEST

START_TEST(test_fini_frees)
{
	struct mailbox	 mb;
	int		 i;

	mailbox_init(&mb);
	for (i = 0; i < 100; i++)
		push_seq(&mb, 0, (uint64_t)i, xmalloc(32));
	mailbox_pop(&mb);	/* the consumer took one: it is its to free */
	free(mb.tail->msg);
	mailbox_fini(&mb, free);	/* LSan: nothing else may be left */
}
END_TEST

START_TEST(test_node_cache)
{
	struct mail	*m[2000];
	int		 i, round;

	/* Magazines fill, spill to the shared pool and come back. */
	for (round = 0; round < 3; round++) {
		for (i = 0; i < 2000; i++)
			m[i] = mailbox_mail_new();
		for (i = 0; i < 2000; i++)
			ck_assert_ptr_ne(m[i], m[(i + 1) % 2000]);
		for (i = 0; i < 2000; i++)
			mailbox_mail_free(m[i]);
	}
}
END_TEST

struct mt {
	struct mailbox	 mb;
	sem_t		 wake;
	_Atomic(uint64_t) wakes;
};

struct mt_sender {
	pthread_t	 thread;
	struct mt	*mt;
	uint64_t	 index;
};

/* A sender: a million mails in sequence; post the semaphore on a wake. */
static void *
mt_send(void *arg)
{
	struct mt_sender	*s = arg;
	uint64_t		 i;

	for (i = 1; i <= MT_PER_SENDER; i++) {
		if (push_seq(&s->mt->mb, s->index, i, NULL)) {
			atomic_fetch_add(&s->mt->wakes, 1);
			sem_post(&s->mt->wake);
		}
		/* Let the consumer catch up now and then: more wakes. */
		if (i % 256 == 0)
			sched_yield();
	}
	return (NULL);
}

START_TEST(test_four_senders)
{
	struct mt		 mt;
	struct mt_sender	 senders[MT_SENDERS];
	struct mail		*m;
	uint64_t		 last[MT_SENDERS], total = 0, marks = 1;
	int			 i;

	memset(&mt, 0, sizeof mt);
	memset(last, 0, sizeof last);
	mailbox_init(&mt.mb);
	sem_init(&mt.wake, 0, 0);
	for (i = 0; i < MT_SENDERS; i++) {
		senders[i].mt = &mt;
		senders[i].index = (uint64_t)i;
		pthread_create(&senders[i].thread, NULL, mt_send, &senders[i]);
	}
	/*
	 * The consumer as the runtime runs it: sleep until woken, drain,
	 * mark empty; if marking fails, something came meanwhile, go on.  A
	 * lost wake hangs here until the test times out.
	 */
	sem_wait(&mt.wake);
	while (total < (uint64_t)MT_SENDERS * MT_PER_SENDER) {
		/* No ck_assert per mail: each one writes to a pipe. */
		while ((m = mailbox_pop(&mt.mb)) != NULL) {
			if (m->env.conn >= MT_SENDERS)
				ck_abort_msg("sender %llu",
				    (unsigned long long)m->env.conn);
			if (m->env.cookie != last[m->env.conn] + 1)
				ck_abort_msg("sender %llu: %llu after %llu",
				    (unsigned long long)m->env.conn,
				    (unsigned long long)m->env.cookie,
				    (unsigned long long)last[m->env.conn]);
			last[m->env.conn] = m->env.cookie;
			total++;
		}
		if (total == (uint64_t)MT_SENDERS * MT_PER_SENDER)
			break;
		if (mailbox_mark_empty(&mt.mb)) {
			marks++;
			sem_wait(&mt.wake);
		}
	}
	for (i = 0; i < MT_SENDERS; i++) {
		pthread_join(senders[i].thread, NULL);
		ck_assert_uint_eq(last[i], MT_PER_SENDER);
	}
	ck_assert_ptr_null(mailbox_pop(&mt.mb));
	ck_assert_uint_eq(mailbox_depth(&mt.mb), 0);
	/* Exactly one wake per time the consumer marked the box empty. */
	ck_assert_uint_eq(atomic_load(&mt.wakes), marks);
	ck_assert_uint_eq(mailbox_wakes(&mt.mb), marks);
	sem_destroy(&mt.wake);
	mailbox_fini(&mt.mb, NULL);
}
END_TEST

Suite *
mailbox_suite(void)
{
	Suite	*s = suite_create("mailbox");
	TCase	*tc;

	tc = tcase_create("single");
	tcase_add_test(tc, test_order);
	tcase_add_test(tc, test_wake_transitions);
	tcase_add_test(tc, test_fini_frees);
	tcase_add_test(tc, test_node_cache);
	suite_add_tcase(s, tc);
	tc = tcase_create("threads");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_four_senders);
	suite_add_tcase(s, tc);
	return (s);
}
