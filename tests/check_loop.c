/*
 * Tests of lib/loop.c: running a loop on the calling thread and on its
 * own, exiting from inside and from another thread, restarting, and what
 * a loop thread looks like (its current loop, its signal mask).
 */
#include "config.h"

#include <check.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include <event2/event.h>

#include "actor.h"
#include "testutil.h"

struct probe {
	struct loop	*loop;
	_Atomic(int)	 fired;
	_Atomic(int)	 current_ok;
	_Atomic(int)	 running_ok;
	_Atomic(int)	 sigterm_blocked;
	int		 exit;
};

/* Wait until *flag reaches want, at most ms; whether it did. */
static int
wait_flag(_Atomic(int) *flag, int want, uint64_t ms)
{
	struct timespec	 ts = { 0, 1000000 };
	uint64_t	 deadline = test_now_ms() + ms;

	while (atomic_load(flag) < want) {
		if (test_now_ms() > deadline)
			return (0);
		nanosleep(&ts, NULL);
	}
	return (1);
}

/* An event callback: note where it ran; exit the loop if asked. */
static void
probe_cb(evutil_socket_t fd, short what, void *arg)
{
	struct probe	*p = arg;
	sigset_t	 set;

	atomic_store(&p->current_ok, loop_current() == p->loop);
	atomic_store(&p->running_ok, loop_running(p->loop));
	pthread_sigmask(SIG_BLOCK, NULL, &set);
	atomic_store(&p->sigterm_blocked, sigismember(&set, SIGTERM));
	atomic_fetch_add(&p->fired, 1);
	if (p->exit)
		loop_exit(p->loop);
}

START_TEST(test_run_here)
{
	struct probe	 p = { 0 };
	struct event	*ev;
	struct timeval	 tv = { 0, 1000 };

	p.loop = loop_new("here");
	p.exit = 1;
	ck_assert_str_eq(loop_name(p.loop), "here");
	ck_assert_ptr_nonnull(loop_base(p.loop));
	ck_assert_ptr_null(loop_current());
	ck_assert_int_eq(loop_running(p.loop), 0);
	ev = evtimer_new(loop_base(p.loop), probe_cb, &p);
	evtimer_add(ev, &tv);
	loop_run(p.loop);
	ck_assert_int_eq(atomic_load(&p.fired), 1);
	ck_assert_int_eq(atomic_load(&p.current_ok), 1);
	ck_assert_int_eq(atomic_load(&p.running_ok), 1);
	ck_assert_int_eq(atomic_load(&p.sigterm_blocked), 0);
	ck_assert_ptr_null(loop_current());
	ck_assert_int_eq(loop_running(p.loop), 0);
	event_free(ev);
	loop_free(p.loop);
}
END_TEST

START_TEST(test_exit_before_run)
{
	struct loop	*l = loop_new(NULL);

	ck_assert_str_eq(loop_name(l), "loop");
	loop_exit(l);
	loop_run(l);		/* returns at once; else the test times out */
	loop_free(l);
}
END_TEST

START_TEST(test_thread)
{
	struct probe	 p = { 0 };
	struct event	*ev;
	int		 round;

	p.loop = loop_new("worker");
	ev = event_new(loop_base(p.loop), -1, 0, probe_cb, &p);
	for (round = 1; round <= 2; round++) {
		ck_assert_int_eq(loop_start(p.loop), 0);
		ck_assert_int_eq(loop_running(p.loop), 1);
		ck_assert_int_eq(loop_start(p.loop), -1);
		/* Woken from this thread while it sleeps in epoll. */
		event_active(ev, EV_READ, 0);
		ck_assert(wait_flag(&p.fired, round, 5000));
		ck_assert_int_eq(atomic_load(&p.current_ok), 1);
		ck_assert_int_eq(atomic_load(&p.running_ok), 1);
		ck_assert_int_eq(atomic_load(&p.sigterm_blocked), 1);
		loop_exit(p.loop);
		loop_join(p.loop);
		ck_assert_int_eq(loop_running(p.loop), 0);
	}
	loop_join(p.loop);	/* nothing to join: harmless */
	event_free(ev);
	loop_free(p.loop);
}
END_TEST

START_TEST(test_exit_from_callback_thread)
{
	struct probe	 p = { 0 };
	struct event	*ev;

	p.loop = loop_new("self-exit");
	p.exit = 1;
	ev = event_new(loop_base(p.loop), -1, 0, probe_cb, &p);
	ck_assert_int_eq(loop_start(p.loop), 0);
	event_active(ev, EV_READ, 0);
	loop_join(p.loop);	/* the callback ended the loop */
	ck_assert_int_eq(atomic_load(&p.fired), 1);
	event_free(ev);
	loop_free(p.loop);
}
END_TEST

Suite *
loop_suite(void)
{
	Suite	*s = suite_create("loop");
	TCase	*tc;

	tc = tcase_create("loop");
	tcase_add_test(tc, test_run_here);
	tcase_add_test(tc, test_exit_before_run);
	tcase_add_test(tc, test_thread);
	tcase_add_test(tc, test_exit_from_callback_thread);
	suite_add_tcase(s, tc);
	return (s);
}
