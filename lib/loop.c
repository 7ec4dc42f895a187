/*
 * Loops: a thread each with its own libevent event_base, where actors
 * (lib/actor.c) run.  loop_run() runs a loop on the calling thread (a
 * daemon's main loop), loop_start() on a thread of its own.  Other threads
 * only ever touch a loop's base through libevent calls that take the base
 * lock (event_active(), event_add(), event_base_loopexit()), which is why
 * evthread_use_pthreads() is called once before the first base exists.
 *
 * A base is set to look for new I/O and timers every LOOP_MAX_CALLBACKS
 * callbacks, so a loop full of busy actors still reads its sockets.
 *
 * Busy polling: a loop given a busy-poll time (loop_set_busy_poll) keeps
 * looking for work that long after its last callback that did some
 * (loop_worked: a mailbox, a socket read) before it sleeps in epoll_wait
 * again.  Waking a sleeping thread costs tens of microseconds on a virtual
 * machine, several times what a request costs to handle, so a loop that
 * answers requests one after another answers them sooner and in less CPU
 * time when it does not sleep between them.  A loop woken only by timers
 * never spins, so an idle daemon stays idle.
 *
 * While a loop spins, other threads hand it work (loop_wake) on a
 * lock-free list it looks at between turns, not with event_active(): that
 * takes the base's lock, which the spinning loop takes and drops several
 * times a turn, and a loop that finds the lock held sleeps on it and is
 * woken on the CPU of the thread that held it.  Measured with one
 * producer's sync sends, the library's loop slept on the lock for one send
 * in eight, and the two client threads and the broker's net thread often
 * ended up on one of the two CPUs while the other idled.
 *
 * Lending: a thread waiting for something a busy-polling loop will do (the
 * answer to a request: loop_await) runs the loop's turns itself while its
 * own thread waits parked on a futex.  A blocking call then writes its
 * request and reads the answer on the caller's thread: one thread spins
 * instead of two, and nobody wakes anybody.  The loop is lent only to a
 * lone waiter; with several, its thread serves them all, batching their
 * requests as before.  A waiter asks the spinning thread for the loop
 * (lend: HELD -> ASKED), which hands it over between turns (LENT) and
 * parks; the waiter gives it back (FREE) when its answer came, without
 * waking the thread, so the next call of a caller sending one request
 * after another takes it straight back (loop_take).  The parked thread
 * takes the loop back by itself after LOOP_PARK_NS, and at once when
 * handed a wake or an exit while nobody runs the loop.  Measured with one
 * producer's sync sends on two vCPUs: 21.6k/s against 18.1k/s, mean of 18
 * alternating runs of each.
 */
#include "config.h"

#include <sys/syscall.h>

#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "actor.h"
#include "clock.h"
#include "log.h"
#include "xmalloc.h"

#define LOOP_MAX_CALLBACKS	64
#define LOOP_PARK_NS		1000000	/* a parked thread looks again */

/* Who runs a busy-polling loop (struct loop's lend). */
enum {
	LOOP_HELD,		/* its own thread */
	LOOP_ASKED,		/* its own thread; a waiter asked for it */
	LOOP_LENT,		/* a waiter; its thread is parked */
	LOOP_FREE,		/* nobody: given back, its thread parked */
};

struct loop {
	char			*name;
	struct event_base	*base;
	pthread_t		 thread;
	int			 joinable;	/* thread started, not joined */
	_Atomic(int)		 running;
	uint64_t		 busy_poll_us;	/* spin this long after work */
	uint64_t		 work;		/* callbacks that did work */
	_Atomic(int)		 spinning;	/* between busy-poll turns */
	_Atomic(struct loop_wake *) wakes;	/* handed over, to activate */
	_Atomic(uint32_t)	 lend;		/* LOOP_HELD...; a futex */
	_Atomic(int)		 waiters;	/* in loop_await() */
	int			 lent_stop;	/* a waiter's turn saw loop_exit */
	struct event		*ask_ev;	/* wakes the thread to lend */
	struct loop_wake	 ask;
};

static void	 loop_threads_init(void);
static void	 loop_dispatch(struct loop *);
static int	 loop_turn(struct loop *, int);
static int	 loop_poll(struct loop *, uint64_t *);
static int	 loop_spin(struct loop *);
static void	 loop_take_wakes(struct loop *);
static int	 loop_park(struct loop *);
static void	 loop_give_back(struct loop *, int);
static void	 loop_asked_cb(evutil_socket_t, short, void *);
static int	 loop_borrow(struct loop *, int (*)(void *), void *);
static int	 loop_run_lent(struct loop *, int (*)(void *), void *);
static void	 loop_futex_wake(struct loop *);
static void	*loop_main(void *);

static pthread_once_t		 loop_once = PTHREAD_ONCE_INIT;
static _Thread_local struct loop *loop_self;

/* Make libevent thread-safe; once, before any base exists. */
static void
loop_threads_init(void)
{
	if (evthread_use_pthreads() != 0)
		fatalx("%s: evthread_use_pthreads failed", __func__);
}

/* A new loop with its event_base; nothing runs until loop_run/start. */
struct loop *
loop_new(const char *name)
{
	struct loop		*l;
	struct event_config	*cfg;

	pthread_once(&loop_once, loop_threads_init);
	l = xcalloc(1, sizeof *l);
	l->name = xstrdup(name != NULL ? name : "loop");
	if ((cfg = event_config_new()) == NULL)
		fatalx("%s: event_config_new failed", __func__);
	if (event_config_set_max_dispatch_interval(cfg, NULL,
	    LOOP_MAX_CALLBACKS, 0) != 0)
		fatalx("%s: event_config_set_max_dispatch_interval", __func__);
	if ((l->base = event_base_new_with_config(cfg)) == NULL)
		fatalx("%s: event_base_new failed", __func__);
	event_config_free(cfg);
	if ((l->ask_ev = event_new(l->base, -1, 0, loop_asked_cb, l)) == NULL)
		fatalx("%s: event_new failed", __func__);
	l->ask.ev = l->ask_ev;
	return (l);
}

/* The loop's name. */
const char *
loop_name(struct loop *l)
{
	return (l->name);
}

/* The loop's event_base, for events of actors that live on it. */
struct event_base *
loop_base(struct loop *l)
{
	return (l->base);
}

/*
 * Spend this long, at most, looking for more work after a callback did
 * some (0, the default: sleep at once).  Before the loop runs.
 */
void
loop_set_busy_poll(struct loop *l, uint64_t us)
{
	l->busy_poll_us = us;
}

/*
 * One turn of the loop, waiting for an event or (flags EVLOOP_NONBLOCK)
 * not; 1 if it was asked to stop or failed, else 0.
 */
static int
loop_turn(struct loop *l, int flags)
{
	if (event_base_loop(l->base, flags | EVLOOP_NO_EXIT_ON_EMPTY) == -1) {
		log_warnx("%s: loop %s failed", __func__, l->name);
		return (1);
	}
	return (event_base_got_exit(l->base) || event_base_got_break(l->base));
}

/*
 * A busy-polling turn: take the wakes handed over, run what is ready
 * without waiting, and put the deadline off by busy_poll_us if that was
 * work, else yield the CPU (unless a wake came meanwhile).  1 if the loop
 * was asked to stop.
 */
static int
loop_poll(struct loop *l, uint64_t *deadline)
{
	uint64_t	 work = l->work;

	loop_take_wakes(l);
	if (loop_turn(l, EVLOOP_NONBLOCK))
		return (1);
	if (l->work != work)
		*deadline = clock_mono_us() + l->busy_poll_us;
	else if (atomic_load_explicit(&l->wakes, memory_order_relaxed) ==
	    NULL)
		sched_yield();
	return (0);
}

/*
 * Look for work without sleeping until busy_poll_us pass with none,
 * yielding the CPU between looks; 1 if the loop was asked to stop.
 */
static int
loop_spin(struct loop *l)
{
	uint64_t	 deadline;
	int		 stop = 0;

	/* Sequentially consistent, as in loop_wake(). */
	atomic_store(&l->spinning, 1);
	deadline = clock_mono_us() + l->busy_poll_us;
	while (clock_mono_us() < deadline) {
		if (atomic_load_explicit(&l->lend, memory_order_relaxed) ==
		    LOOP_ASKED) {
			/* Lent; whoever ran it meanwhile did work. */
			if ((stop = loop_park(l)) != 0)
				break;
			deadline = clock_mono_us() + l->busy_poll_us;
		}
		if ((stop = loop_poll(l, &deadline)) != 0)
			break;
	}
	/*
	 * A thread that saw the loop spinning left its wake on the list;
	 * one that sees it stopped activates its event itself.  Taking the
	 * list once more after the store catches every wake of the first
	 * kind.
	 */
	atomic_store(&l->spinning, 0);
	loop_take_wakes(l);
	return (stop);
}

static void
loop_futex_wake(struct loop *l)
{
	syscall(SYS_futex, &l->lend, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/* The ask's event: the loop's turn ends and its spin sees the ask. */
static void
loop_asked_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	loop_worked();
}

/*
 * Lend the loop to the waiter that asked for it and wait until it is
 * given back (or nobody has run it for LOOP_PARK_NS); the loop's thread,
 * spinning.  1 if a waiter's turn saw loop_exit().
 */
static int
loop_park(struct loop *l)
{
	struct timespec	ts = { 0, LOOP_PARK_NS };
	uint32_t	s = LOOP_ASKED;

	/* The waiter may have withdrawn its ask (answered meanwhile). */
	if (!atomic_compare_exchange_strong(&l->lend, &s, LOOP_LENT))
		return (0);
	loop_self = NULL;
	for (;;) {
		s = atomic_load(&l->lend);
		if (s == LOOP_FREE) {
			if (atomic_compare_exchange_strong(&l->lend, &s,
			    LOOP_HELD))
				break;
			continue;
		}
		syscall(SYS_futex, &l->lend, FUTEX_WAIT_PRIVATE, s, &ts, NULL,
		    0);
	}
	loop_self = l;
	if (l->lent_stop) {
		l->lent_stop = 0;
		return (1);
	}
	return (0);
}

/*
 * Give the loop back (a waiter running it).  Its parked thread looks
 * again on its own within LOOP_PARK_NS, which costs nothing if the waiter
 * soon comes back for it; it is woken now if it has work the waiter left
 * (wakes handed over, events active, an exit) or must go to sleep in
 * epoll_wait (idle).
 */
static void
loop_give_back(struct loop *l, int now)
{
	atomic_store(&l->lend, LOOP_FREE);
	if (now || atomic_load(&l->wakes) != NULL ||
	    event_base_get_num_events(l->base, EVENT_BASE_COUNT_ACTIVE) != 0)
		loop_futex_wake(l);
}

/*
 * Take l to run on this thread: at once if a waiter gave it back, else by
 * asking its thread if this is the only waiter (with more, its thread
 * serves them all at once, as it would without waiters).  1 if taken;
 * 0 if not, or if done(arg) came true while asking.
 */
static int
loop_borrow(struct loop *l, int (*done)(void *), void *arg)
{
	uint32_t	 s = LOOP_FREE;

	if (atomic_compare_exchange_strong(&l->lend, &s, LOOP_LENT))
		return (1);
	if (s != LOOP_HELD || atomic_load(&l->waiters) != 1 ||
	    !atomic_compare_exchange_strong(&l->lend, &s, LOOP_ASKED))
		return (0);
	loop_wake(l, &l->ask);
	while ((s = atomic_load(&l->lend)) == LOOP_ASKED) {
		/* Answered meanwhile, or the loop stopped: withdraw. */
		if ((done(arg) || !loop_running(l)) &&
		    atomic_compare_exchange_strong(&l->lend, &s, LOOP_HELD))
			return (0);
		sched_yield();
	}
	return (1);		/* s is LOOP_LENT */
}

/*
 * Run l's turns on this thread, which took it, until done(arg) or it has
 * had no work for its busy-poll time, then give it back; done(arg).
 */
static int
loop_run_lent(struct loop *l, int (*done)(void *), void *arg)
{
	uint64_t	 deadline;
	int		 ok, stop = 0;

	loop_self = l;
	deadline = clock_mono_us() + l->busy_poll_us;
	while (!(ok = done(arg)) && clock_mono_us() < deadline) {
		if ((stop = loop_poll(l, &deadline)) != 0)
			break;
	}
	loop_self = NULL;
	if (stop) {
		l->lent_stop = 1;
		ok = done(arg);
	}
	loop_give_back(l, stop || !ok);
	return (ok);
}

/*
 * Wait up to us for done(arg), made true by something l runs (the answer
 * to a request its actors sent): while nobody else runs l, run its turns
 * on this thread, as its own thread would, which then waits parked.  The
 * answer is then read from the socket by the thread waiting for it, not
 * by a second spinning thread that must then wake it.  Between looks the
 * CPU is yielded.  Returns done(arg).  Not on a loop's thread, except
 * after loop_take().
 */
int
loop_await(struct loop *l, int (*done)(void *), void *arg, uint64_t us)
{
	uint64_t	 until;
	int		 ok;

	if (loop_self == l)	/* taken by loop_take() */
		return (loop_run_lent(l, done, arg) || loop_await(l, done,
		    arg, us));
	atomic_fetch_add(&l->waiters, 1);
	until = clock_mono_us() + us;
	while (!(ok = done(arg)) && clock_mono_us() < until) {
		if (l->busy_poll_us != 0 && loop_self == NULL &&
		    loop_running(l) && loop_borrow(l, done, arg)) {
			if ((ok = loop_run_lent(l, done, arg)))
				break;
			continue;
		}
		sched_yield();
	}
	atomic_fetch_sub(&l->waiters, 1);
	return (ok);
}

/*
 * Take l if a waiter gave it back and its thread has not taken it yet,
 * before handing it work to wait for: then the work wakes nobody, and the
 * loop_lend() that must follow runs it.  1 if taken.
 */
int
loop_take(struct loop *l)
{
	uint32_t	s = LOOP_FREE;

	if (loop_self != NULL || atomic_load_explicit(&l->lend,
	    memory_order_relaxed) != LOOP_FREE ||
	    !atomic_compare_exchange_strong(&l->lend, &s, LOOP_LENT))
		return (0);
	loop_self = l;
	return (1);
}

/* Activate the events of the wakes handed over; the loop's thread. */
static void
loop_take_wakes(struct loop *l)
{
	struct loop_wake	*w, *next;

	/* Relaxed load first: most turns find nothing. */
	if (atomic_load_explicit(&l->wakes, memory_order_relaxed) == NULL)
		return;
	/* Sequentially consistent, as in loop_wake(). */
	w = atomic_exchange(&l->wakes, NULL);
	for (; w != NULL; w = next) {
		/* Read next first: once queued is 0, w may be queued again. */
		next = w->next;
		atomic_store_explicit(&w->queued, 0, memory_order_release);
		event_active(w->ev, EV_READ, 0);
	}
}

/*
 * Have w's event run on l; any thread.  If l is busy-polling, w goes on
 * its list, taken between turns, and the base's lock is not touched.  An
 * event may run once more than it was asked to, never less.
 */
void
loop_wake(struct loop *l, struct loop_wake *w)
{
	struct loop_wake	*head;
	int			 idle = 0;

	if (loop_self != l && atomic_load(&l->spinning)) {
		if (atomic_compare_exchange_strong(&w->queued, &idle, 1)) {
			head = atomic_load_explicit(&l->wakes,
			    memory_order_relaxed);
			do
				w->next = head;
			while (!atomic_compare_exchange_weak(&l->wakes, &head,
			    w));
		}
		/*
		 * Sequentially consistent with the loop's store of spinning
		 * and its exchange of the list: either the loop takes w after
		 * it stops spinning, or this load sees it stopped.
		 */
		if (atomic_load(&l->spinning)) {
			/* Given back by a waiter: its parked thread takes w. */
			if (atomic_load(&l->lend) == LOOP_FREE)
				loop_futex_wake(l);
			return;
		}
	}
	event_active(w->ev, EV_READ, 0);
}

/*
 * Before w's event is freed: take w off l's list, activating the events
 * of the list.  l's thread, or l not running.
 */
void
loop_wake_cancel(struct loop *l, struct loop_wake *w)
{
	if (atomic_load_explicit(&w->queued, memory_order_acquire))
		loop_take_wakes(l);
}

/* Run the loop on this thread until loop_exit(); it is marked running. */
static void
loop_dispatch(struct loop *l)
{
	struct loop	*prev = loop_self;
	uint64_t	 work;

	loop_self = l;
	if (l->busy_poll_us == 0) {
		if (event_base_loop(l->base, EVLOOP_NO_EXIT_ON_EMPTY) == -1)
			log_warnx("%s: loop %s failed", __func__, l->name);
	} else {
		do {
			work = l->work;
			if (loop_turn(l, EVLOOP_ONCE))
				break;
		} while (l->work == work || !loop_spin(l));
	}
	loop_self = prev;
	/*
	 * Release: whoever sees the loop stopped (loop_free, a restart) also
	 * sees everything its last callbacks did.
	 */
	atomic_store_explicit(&l->running, 0, memory_order_release);
}

/* Run the loop on the calling thread until loop_exit(). */
void
loop_run(struct loop *l)
{
	/* Acquire: pairs with the release when the loop last stopped. */
	if (atomic_exchange_explicit(&l->running, 1,
	    memory_order_acquire) != 0) {
		log_warnx("%s: loop %s is running already", __func__, l->name);
		return;
	}
	loop_dispatch(l);
}

/* A loop thread. */
static void *
loop_main(void *arg)
{
	loop_dispatch(arg);
	return (NULL);
}

/*
 * Run the loop on a thread of its own, joining first a thread that ran it
 * before.  The thread blocks asynchronous signals, so they go to the main
 * thread (libevent's signal events work from any thread).  -1 if it is
 * running already or the thread cannot start.
 */
int
loop_start(struct loop *l)
{
	static const int	 sync_signals[] = {
		SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP, SIGSYS
	};
	sigset_t		 set, old;
	char			 tname[16];
	size_t			 i;
	int			 error;

	/* Acquire: pairs with the release when the loop last stopped. */
	if (atomic_exchange_explicit(&l->running, 1,
	    memory_order_acquire) != 0) {
		log_warnx("%s: loop %s is running already", __func__, l->name);
		return (-1);
	}
	loop_join(l);		/* a thread that ran it before and ended */
	sigfillset(&set);
	for (i = 0; i < sizeof sync_signals / sizeof sync_signals[0]; i++)
		sigdelset(&set, sync_signals[i]);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	error = pthread_create(&l->thread, NULL, loop_main, l);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (error != 0) {
		/* Relaxed: nothing ran. */
		atomic_store_explicit(&l->running, 0, memory_order_relaxed);
		errno = error;
		log_warn("%s: loop %s", __func__, l->name);
		return (-1);
	}
	l->joinable = 1;
	snprintf(tname, sizeof tname, "%s", l->name);
	pthread_setname_np(l->thread, tname);
	return (0);
}

/*
 * Ask the loop to return once the callbacks now active have run.  Any
 * thread; if the loop is not running, its next run returns at once.
 */
void
loop_exit(struct loop *l)
{
	if (event_base_loopexit(l->base, NULL) != 0)
		log_warnx("%s: loop %s", __func__, l->name);
	loop_futex_wake(l);	/* parked, lent to a waiter */
}

/* Wait for the loop's thread to end; nothing if it has none. */
void
loop_join(struct loop *l)
{
	int	 error;

	if (!l->joinable)
		return;
	if ((error = pthread_join(l->thread, NULL)) != 0)
		fatalx("%s: loop %s: %s", __func__, l->name, strerror(error));
	l->joinable = 0;
}

/*
 * Free a loop that no longer runs.  Free its actors first: their events
 * belong to its base.
 */
void
loop_free(struct loop *l)
{
	if (l == NULL)
		return;
	if (loop_running(l))
		fatalx("%s: loop %s is still running", __func__, l->name);
	loop_join(l);
	event_free(l->ask_ev);
	event_base_free(l->base);
	free(l->name);
	free(l);
}

/* Whether the loop is running or started on its own thread. */
int
loop_running(struct loop *l)
{
	/* Acquire: pairs with the release when the loop stopped. */
	return (atomic_load_explicit(&l->running, memory_order_acquire));
}

/*
 * A callback of the running loop did work (a mailbox, a socket read): a
 * loop that busy-polls keeps looking for more.
 */
void
loop_worked(void)
{
	if (loop_self != NULL)
		loop_self->work++;
}

/* The loop the calling thread is running, or NULL. */
struct loop *
loop_current(void)
{
	return (loop_self);
}
