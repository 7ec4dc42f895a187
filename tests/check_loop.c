/*
 * Tests of lib/loop.c: running a loop on the calling thread and on its
 * own, exiting from inside and from another thread, restarting, and what
 * a loop thread looks like (its current loop, its signal mask), and
 * busy polling (work keeps being handled, the loop sleeps again after its
 * busy-poll time, it stops when asked while it spins), wakes handed
 * over from other threads while it spins, sleeps and moves between the
 * two, and a loop lent to a thread waiting for it (loop_await): the
 * waiter runs what it waits for, the loop still stops when asked, and
 * wakes from other threads are not lost while it is lent or given back.
 */
#include "config.h"

#include <check.h>
#include <pthread.h>
#include <sched.h>
#include <sys/socket.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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
	int		 work;		/* call loop_worked() */
	_Atomic(int)	 have_clock;
	clockid_t	 clock;		/* the loop thread's CPU clock */
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
	if (p->work)
		loop_worked();
	if (!atomic_load(&p->have_clock) &&
	    pthread_getcpuclockid(pthread_self(), &p->clock) == 0)
		atomic_store(&p->have_clock, 1);
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

/* CPU time the clock's thread has used, in ms. */
static uint64_t
cpu_ms(clockid_t clock)
{
	struct timespec	 ts;

	ck_assert_int_eq(clock_gettime(clock, &ts), 0);
	return ((uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000);
}

START_TEST(test_busy_poll)
{
	struct timespec	 pause = { 0, 5 * 1000000 };
	struct probe	 p = { 0 };
	struct event	*ev;
	uint64_t	 deadline, before;
	int		 i, idle = 0;

	p.loop = loop_new("busy");
	p.work = 1;
	loop_set_busy_poll(p.loop, 20000);
	ev = event_new(loop_base(p.loop), -1, 0, probe_cb, &p);
	ck_assert_int_eq(loop_start(p.loop), 0);
	/* Work handed over while it sleeps and while it spins. */
	for (i = 1; i <= 200; i++) {
		event_active(ev, EV_READ, 0);
		ck_assert(wait_flag(&p.fired, i, 5000));
	}
	ck_assert_int_eq(atomic_load(&p.current_ok), 1);
	ck_assert_int_eq(atomic_load(&p.have_clock), 1);

	/* After work it keeps looking for more: its CPU time grows. */
	before = cpu_ms(p.clock);
	event_active(ev, EV_READ, 0);
	ck_assert(wait_flag(&p.fired, 201, 5000));
	deadline = test_now_ms() + 5000;
	while (cpu_ms(p.clock) - before < 2 && test_now_ms() < deadline)
		nanosleep(&pause, NULL);
	ck_assert_msg(cpu_ms(p.clock) - before >= 2,
	    "the loop slept at once after work");

	/* With no more work it sleeps again: its CPU time stops growing. */
	deadline = test_now_ms() + 5000;
	while (!idle && test_now_ms() < deadline) {
		before = cpu_ms(p.clock);
		nanosleep(&pause, NULL);
		idle = cpu_ms(p.clock) - before <= 2;
	}
	ck_assert_msg(idle, "the loop still spins with nothing to do");

	/* Asked to stop while it spins, it stops. */
	event_active(ev, EV_READ, 0);
	ck_assert(wait_flag(&p.fired, 202, 5000));
	loop_exit(p.loop);
	loop_join(p.loop);
	ck_assert_int_eq(loop_running(p.loop), 0);
	event_free(ev);
	loop_free(p.loop);
}
END_TEST

#define WAKERS		4
#define WAKE_ROUNDS	300

struct waker {
	struct loop		*loop;
	struct loop_wake	 w;
	_Atomic(int)		 fired;
	_Atomic(int)		 ok;
	unsigned int		 seed;
};

static void
waker_cb(evutil_socket_t fd, short what, void *arg)
{
	struct waker	*k = arg;

	loop_worked();
	atomic_fetch_add(&k->fired, 1);
}

/*
 * Wake the loop, wait until the event ran, pause 0 to 300 us (the loop
 * spins 100 us after work), again: every wake must run its event.
 */
static void *
waker_main(void *arg)
{
	struct waker	*k = arg;
	struct timespec	 ts;
	uint64_t	 deadline;
	int		 i;

	for (i = 1; i <= WAKE_ROUNDS; i++) {
		loop_wake(k->loop, &k->w);
		deadline = test_now_ms() + 5000;
		/* Yield: on a loaded machine the loop needs the CPU. */
		while (atomic_load(&k->fired) < i) {
			if (test_now_ms() > deadline)
				return (NULL);
			sched_yield();
		}
		ts.tv_sec = 0;
		ts.tv_nsec = (long)(rand_r(&k->seed) % 300) * 1000;
		if (ts.tv_nsec > 0)
			nanosleep(&ts, NULL);
	}
	atomic_store(&k->ok, 1);
	return (NULL);
}

/* WAKERS wakers of events on l. */
static void
wakers_init(struct waker *k, struct loop *l)
{
	int	 i;

	memset(k, 0, WAKERS * sizeof *k);
	for (i = 0; i < WAKERS; i++) {
		k[i].loop = l;
		k[i].seed = (unsigned int)i + 1;
		k[i].w.ev = event_new(loop_base(l), -1, 0, waker_cb, &k[i]);
		ck_assert_ptr_nonnull(k[i].w.ev);
	}
}

/* Run the wakers on threads of their own: no wake may be lost. */
static void
wakers_run(struct waker *k)
{
	pthread_t	 t[WAKERS];
	int		 i;

	for (i = 0; i < WAKERS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, waker_main,
		    &k[i]), 0);
	for (i = 0; i < WAKERS; i++) {
		pthread_join(t[i], NULL);
		ck_assert_msg(atomic_load(&k[i].ok),
		    "waker %d: a wake was lost after %d", i,
		    atomic_load(&k[i].fired));
		/* At most one run more than asked for. */
		ck_assert_int_le(atomic_load(&k[i].fired), WAKE_ROUNDS + 1);
	}
}

/* After the loop stopped. */
static void
wakers_free(struct waker *k, struct loop *l)
{
	int	 i;

	for (i = 0; i < WAKERS; i++) {
		loop_wake_cancel(l, &k[i].w);
		event_free(k[i].w.ev);
	}
}

START_TEST(test_wake)
{
	struct waker	 k[WAKERS];
	struct loop	*l;

	l = loop_new("woken");
	loop_set_busy_poll(l, 100);
	wakers_init(k, l);
	/* Before the loop runs, a wake just activates the event. */
	loop_wake(l, &k[0].w);
	ck_assert_int_eq(loop_start(l), 0);
	ck_assert(wait_flag(&k[0].fired, 1, 5000));
	atomic_store(&k[0].fired, 0);
	wakers_run(k);
	loop_exit(l);
	loop_join(l);
	wakers_free(k, l);
	loop_free(l);
}
END_TEST

/* A request answered through a socket the loop watches. */
struct lender {
	struct loop		*loop;
	int			 sv[2];
	struct event		*ev;
	_Atomic(int)		 answered;
	pthread_t		 by;		/* who read the answer */
	_Atomic(int)		 lent_seen;
	_Atomic(int)		 stop;
	_Atomic(int)		 lent_turns;
	unsigned int		 seed;
};

static void
lender_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct lender	*d = arg;
	char		 c;

	if (read(fd, &c, 1) == 1) {
		loop_worked();
		d->by = pthread_self();
		atomic_store(&d->answered, 1);
	}
}

static int
lender_answered(void *arg)
{
	struct lender	*d = arg;

	return (atomic_load(&d->answered));
}

/* Never done; notes whether it was asked on a thread running the loop. */
static int
lender_never(void *arg)
{
	struct lender	*d = arg;

	if (loop_current() == d->loop) {
		atomic_store(&d->lent_seen, 1);
		atomic_fetch_add(&d->lent_turns, 1);
	}
	return (0);
}

static void
lender_open(struct lender *d, uint64_t busy_us)
{
	memset(d, 0, sizeof *d);
	d->loop = loop_new("lent");
	loop_set_busy_poll(d->loop, busy_us);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, d->sv), 0);
	d->ev = event_new(loop_base(d->loop), d->sv[1], EV_READ | EV_PERSIST,
	    lender_read_cb, d);
	ck_assert_int_eq(event_add(d->ev, NULL), 0);
	ck_assert_int_eq(loop_start(d->loop), 0);
}

static void
lender_close(struct lender *d)
{
	loop_exit(d->loop);
	loop_join(d->loop);
	ck_assert_int_eq(loop_running(d->loop), 0);
	event_free(d->ev);
	close(d->sv[0]);
	close(d->sv[1]);
	loop_free(d->loop);
}

START_TEST(test_await)
{
	struct lender	 d;
	int		 i, here = 0;

	lender_open(&d, 200);
	for (i = 0; i < 300; i++) {
		atomic_store(&d.answered, 0);
		loop_take(d.loop);
		ck_assert_int_eq(write(d.sv[0], "x", 1), 1);
		/* A second is plenty; then sleep as a caller would. */
		while (!loop_await(d.loop, lender_answered, &d, 1000000))
			;
		ck_assert_ptr_null(loop_current());
		if (pthread_equal(d.by, pthread_self()))
			here++;
	}
	/* Most rounds, the waiter read its answer itself. */
	ck_assert_msg(here > 0, "the loop was never lent to its waiter");

	/* A loop not busy-polling is never lent: its thread answers. */
	lender_close(&d);
	lender_open(&d, 0);
	for (i = 0; i < 20; i++) {
		atomic_store(&d.answered, 0);
		ck_assert_int_eq(loop_take(d.loop), 0);
		ck_assert_int_eq(write(d.sv[0], "x", 1), 1);
		while (!loop_await(d.loop, lender_answered, &d, 1000000))
			;
		ck_assert(!pthread_equal(d.by, pthread_self()));
	}
	lender_close(&d);
}
END_TEST

static void *
lender_wait_main(void *arg)
{
	struct lender	*d = arg;

	while (!atomic_load(&d->stop))
		loop_await(d->loop, lender_never, d, 20000);
	return (NULL);
}

START_TEST(test_await_exit)
{
	struct lender	 d;
	pthread_t	 t;

	/* Asked to stop while a waiter runs it, the loop's thread stops. */
	lender_open(&d, 200);
	ck_assert_int_eq(pthread_create(&t, NULL, lender_wait_main, &d), 0);
	ck_assert(wait_flag(&d.lent_seen, 1, 5000));
	loop_exit(d.loop);
	loop_join(d.loop);
	ck_assert_int_eq(loop_running(d.loop), 0);
	atomic_store(&d.stop, 1);
	pthread_join(t, NULL);
	event_free(d.ev);
	close(d.sv[0]);
	close(d.sv[1]);
	loop_free(d.loop);
}
END_TEST

/* Borrow the loop for 0 to 300 us at a time, pausing as long between. */
static void *
lender_borrow_main(void *arg)
{
	struct lender	*d = arg;
	struct timespec	 ts;

	while (!atomic_load(&d->stop)) {
		if (rand_r(&d->seed) % 2)
			loop_take(d->loop);
		loop_await(d->loop, lender_never, d, rand_r(&d->seed) % 300);
		ts.tv_sec = 0;
		ts.tv_nsec = (long)(rand_r(&d->seed) % 300) * 1000;
		if (ts.tv_nsec > 0)
			nanosleep(&ts, NULL);
	}
	return (NULL);
}

START_TEST(test_await_wakes)
{
	struct waker	 k[WAKERS];
	struct lender	 d;
	pthread_t	 b;

	/* Wakes are handed over while the loop is lent, given back, its own. */
	lender_open(&d, 100);
	d.seed = 7;
	wakers_init(k, d.loop);
	ck_assert_int_eq(pthread_create(&b, NULL, lender_borrow_main, &d), 0);
	wakers_run(k);
	atomic_store(&d.stop, 1);
	pthread_join(b, NULL);
	ck_assert_msg(atomic_load(&d.lent_turns) > 0, "never lent");
	loop_exit(d.loop);
	loop_join(d.loop);
	wakers_free(k, d.loop);
	lender_close(&d);
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
	tcase_add_test(tc, test_busy_poll);
	tcase_add_test(tc, test_wake);
	tcase_add_test(tc, test_await);
	tcase_add_test(tc, test_await_exit);
	tcase_add_test(tc, test_await_wakes);
	/* Threads racing threads: slow on a machine busy with other work. */
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return (s);
}
