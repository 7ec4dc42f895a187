/*
 * Actors: a state struct, a handler table and a mailbox (lib/mailbox.c),
 * living on one loop (lib/loop.c) or detached.
 *
 * A send queues a mail node on the receiver's mailbox; the one push that
 * finds the mailbox empty makes the actor's wake event active on its loop
 * (loop_wake: a busy-polling loop takes it from a lock-free list, else
 * event_active(), thread-safe once evthread is on, writes the base's
 * notify eventfd when the base is asleep in another thread).
 * The wake callback takes at most ACTOR_BATCH messages, stopping early at
 * the newest message it saw when it began, then marks the mailbox empty or,
 * if more came, makes itself active again behind the loop's other
 * callbacks: a busy actor cannot starve the others on its loop.
 *
 * Each message is dispatched by its descriptor through the actor type's
 * handler table and freed after the handler unless the handler kept it.
 * Timers are libevent timers on the actor's loop that queue a
 * Petrel__Tick; a Tick whose timer was cancelled or re-armed since it was
 * queued is dropped, and a timer never queues a second Tick while one is
 * still waiting.
 *
 * Actor handles (actor_ref) go through a table of slots with generations,
 * so a stale handle dereferences to NULL instead of a freed actor.
 *
 * Shutdown (see actor.h) asks with Petrel__Stop from a static actor that
 * is never freed, so an answer arriving after its deadline is harmless.
 */
#include "config.h"

#include <sys/queue.h>

#include <errno.h>
#include <pthread.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "actor.h"
#include "log.h"
#include "mailbox.h"
#include "msg.h"
#include "runtime.pb-c.h"
#include "xmalloc.h"

#define ACTOR_BATCH	256	/* messages per wake before others run */

struct actor_timer {
	LIST_ENTRY(actor_timer)	 entry;
	struct actor		*actor;
	struct event		*ev;		/* NULL when detached */
	uint32_t		 id;
	uint64_t		 gen;		/* tags its Ticks */
	int			 queued;	/* a Tick of it waits */
};
LIST_HEAD(actor_timers, actor_timer);

struct actor {
	/* Set at spawn, read by every sender. */
	const struct actor_type	*type;
	struct loop		*loop;
	struct event		*wake;
	struct loop_wake	 waker;		/* of wake, for other threads */
	void			*state;
	char			*name;
	uint64_t		 ref;
	_Atomic(size_t)		 hwm;

	/* Its producer and consumer halves on cache lines of their own. */
	struct mailbox		 mailbox;

	/* Only the loop thread, except timers (under timer_lock). */
	_Alignas(MAILBOX_LINE) int running;	/* inside a handler */
	int			 dying;		/* freed by its handler */
	pthread_mutex_t		 timer_lock;
	struct actor_timers	 timers;
	uint64_t		 timer_gen;
};

/* A slot of the handle table. */
struct actor_slot {
	struct actor	*actor;
	uint32_t	 gen;		/* of the actor in it, 0 if free */
	uint32_t	 next_free;	/* index + 1 of the next free slot */
};

static void	 actor_wake_cb(evutil_socket_t, short, void *);
static int	 actor_deliver(struct actor *, struct mail *);
static void	 actor_dispatch(struct actor *, ProtobufCMessage *,
		    const struct envelope *);
static int	 actor_enqueue(struct actor *, struct mail *);
static void	 actor_destroy(struct actor *, int);
static void	 actor_register(struct actor *);
static void	 actor_unregister(struct actor *);
static void	 actor_timer_cb(evutil_socket_t, short, void *);
static int	 actor_timer_due(struct actor *, uint64_t);
static void	 actor_stop_init(void);
static int	 actor_stopper_post(void *, const struct envelope *);

static pthread_mutex_t	 actor_reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct actor_slot *actor_reg;
static uint32_t		 actor_reg_size;
static uint32_t		 actor_reg_live;
static uint32_t		 actor_reg_free;	/* index + 1, 0 none */
static uint32_t		 actor_reg_gen;		/* last handed out, never 0 */

/*
 * The sender of every Petrel__Stop.  Never spawned and never freed: posts
 * to it are taken by actor_stopper_post() and its mailbox is never used.
 */
static char		 actor_stopper_name[] = "shutdown";
static struct actor	 actor_stopper = { .name = actor_stopper_name };
static pthread_once_t	 actor_stop_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t	 actor_stop_serial = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t	 actor_stop_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	 actor_stop_cond;
static uint64_t		 actor_stop_seq;	/* under actor_stop_serial */
static uint64_t		 actor_stop_answered;	/* under actor_stop_lock */

/*
 * Spawn an actor of type on loop l (NULL: detached).  Runs init on the
 * calling thread; NULL if init fails (init cleans up after itself; fini is
 * not called).  Spawn before l runs, or on l's own thread: on another
 * thread a message or timer that init sets off could reach a handler
 * before init returns.
 */
struct actor *
actor_spawn(struct loop *l, const struct actor_type *type, const char *name)
{
	struct actor	*a;

	if ((a = aligned_alloc(alignof(struct actor), sizeof *a)) == NULL)
		fatal("%s", __func__);
	memset(a, 0, sizeof *a);
	a->type = type;
	a->loop = l;
	a->name = xstrdup(name != NULL ? name : type->name);
	mailbox_init(&a->mailbox);
	if (pthread_mutex_init(&a->timer_lock, NULL) != 0)
		fatalx("%s: pthread_mutex_init", __func__);
	LIST_INIT(&a->timers);
	if (type->size != 0)
		a->state = xcalloc(1, type->size);
	if (l != NULL) {
		a->wake = event_new(loop_base(l), -1, 0, actor_wake_cb, a);
		if (a->wake == NULL)
			fatalx("%s: event_new", __func__);
		a->waker.ev = a->wake;
	}
	actor_register(a);
	if (type->init != NULL && type->init(a, a->state) != 0) {
		log_warnx("%s: actor %s failed to start", __func__, a->name);
		actor_destroy(a, 0);
		return (NULL);
	}
	return (a);
}

/*
 * Free an actor: its timers, fini, then every message still queued.  Its
 * loop must not be running, or this must be that loop's thread.  From the
 * actor's own handler, the actor goes once the handler returns.
 */
void
actor_free(struct actor *a)
{
	if (a == NULL || a == &actor_stopper)
		return;
	if (a->running) {
		a->dying = 1;
		return;
	}
	actor_destroy(a, 1);
}

/* Free everything of a; fini only if init succeeded. */
static void
actor_destroy(struct actor *a, int fini)
{
	struct actor_timers	 timers;
	struct actor_timer	*t;

	actor_unregister(a);
	LIST_INIT(&timers);
	pthread_mutex_lock(&a->timer_lock);
	while ((t = LIST_FIRST(&a->timers)) != NULL) {
		LIST_REMOVE(t, entry);
		LIST_INSERT_HEAD(&timers, t, entry);
	}
	pthread_mutex_unlock(&a->timer_lock);
	while ((t = LIST_FIRST(&timers)) != NULL) {
		LIST_REMOVE(t, entry);
		if (t->ev != NULL)
			event_free(t->ev);
		free(t);
	}
	if (a->wake != NULL) {
		loop_wake_cancel(a->loop, &a->waker);
		event_free(a->wake);
	}
	if (fini && a->type->fini != NULL)
		a->type->fini(a->state);
	mailbox_fini(&a->mailbox, msg_free);
	pthread_mutex_destroy(&a->timer_lock);
	free(a->state);
	free(a->name);
	free(a);
}

/* The actor's name, for logs. */
const char *
actor_name(struct actor *a)
{
	return (a != NULL ? a->name : "(none)");
}

/* The actor's state, as its handlers get it. */
void *
actor_state(struct actor *a)
{
	return (a->state);
}

/* The loop the actor lives on, NULL if detached. */
struct loop *
actor_loop(struct actor *a)
{
	return (a->loop);
}

/* Enter a in the handle table. */
static void
actor_register(struct actor *a)
{
	struct actor_slot	*s;
	uint32_t		 i, old;

	pthread_mutex_lock(&actor_reg_lock);
	if (actor_reg_free == 0) {
		old = actor_reg_size;
		actor_reg_size = old == 0 ? 64 : old * 2;
		actor_reg = xreallocarray(actor_reg, actor_reg_size,
		    sizeof *actor_reg);
		for (i = old; i < actor_reg_size; i++) {
			actor_reg[i].actor = NULL;
			actor_reg[i].gen = 0;
			actor_reg[i].next_free = i + 1 < actor_reg_size ?
			    i + 2 : 0;
		}
		actor_reg_free = old + 1;
	}
	i = actor_reg_free - 1;
	s = &actor_reg[i];
	actor_reg_free = s->next_free;
	if (++actor_reg_gen == 0)
		actor_reg_gen = 1;
	s->actor = a;
	s->gen = actor_reg_gen;
	a->ref = ((uint64_t)s->gen << 32) | i;
	actor_reg_live++;
	pthread_mutex_unlock(&actor_reg_lock);
}

/* Take a out of the handle table; its handle now derefs to NULL. */
static void
actor_unregister(struct actor *a)
{
	struct actor_slot	*s;
	uint32_t		 i = (uint32_t)a->ref;

	pthread_mutex_lock(&actor_reg_lock);
	s = &actor_reg[i];
	s->actor = NULL;
	s->gen = 0;
	s->next_free = actor_reg_free;
	actor_reg_free = i + 1;
	if (--actor_reg_live == 0) {
		free(actor_reg);
		actor_reg = NULL;
		actor_reg_size = 0;
		actor_reg_free = 0;
	}
	pthread_mutex_unlock(&actor_reg_lock);
}

/* The actor's handle, to put in a message; never 0. */
uint64_t
actor_ref(struct actor *a)
{
	return (a != NULL ? a->ref : 0);
}

/* The actor behind a handle, NULL if it was freed or never existed. */
struct actor *
actor_deref(uint64_t ref)
{
	struct actor	*a = NULL;
	uint32_t	 i = (uint32_t)ref, gen = (uint32_t)(ref >> 32);

	pthread_mutex_lock(&actor_reg_lock);
	if (gen != 0 && i < actor_reg_size && actor_reg[i].gen == gen)
		a = actor_reg[i].actor;
	pthread_mutex_unlock(&actor_reg_lock);
	return (a);
}

/* Queue a mail node on to and wake its loop if the mailbox was empty. */
static int
actor_enqueue(struct actor *to, struct mail *mail)
{
	if (mailbox_push(&to->mailbox, mail) && to->wake != NULL)
		loop_wake(to->loop, &to->waker);
	return (0);
}

/*
 * Send m to with envelope env (NULL: none).  Any thread.  m is handed
 * over even on failure: -1 and freed if to is NULL.
 */
int
actor_post(struct actor *to, void *m, const struct envelope *env)
{
	struct mail	*mail;

	if (m == NULL)
		return (-1);
	if (to == NULL) {
		msg_free(m);
		return (-1);
	}
	if (to == &actor_stopper)
		return (actor_stopper_post(m, env));
	mail = mailbox_mail_new();
	mail->msg = m;
	if (env != NULL)
		mail->env = *env;
	else
		memset(&mail->env, 0, sizeof mail->env);
	mail->tag = 0;
	return (actor_enqueue(to, mail));
}

/* Send m to, expecting no answer. */
int
actor_send(struct actor *to, void *m)
{
	return (actor_post(to, m, NULL));
}

/* Send m to; the answer goes to from with cookie. */
int
actor_ask(struct actor *to, void *m, struct actor *from, uint64_t cookie)
{
	struct envelope	 env = { from, cookie, 0 };

	return (actor_post(to, m, &env));
}

/* Answer the message env came with: m goes to env->from with its cookie. */
int
actor_reply(const struct envelope *env, void *m)
{
	struct envelope	 answer;

	if (env == NULL || env->from == NULL) {
		msg_free(m);
		return (-1);
	}
	answer.from = NULL;
	answer.cookie = env->cookie;
	answer.conn = env->conn;
	return (actor_post(env->from, m, &answer));
}

/* Answer with a Petrel__Error of status and a formatted text. */
int
actor_reply_error(const struct envelope *env, uint32_t status,
    const char *fmt, ...)
{
	Petrel__Error	*e;
	va_list		 ap;
	char		*text;

	if (env == NULL || env->from == NULL)
		return (-1);
	e = msg_new(&petrel__error__descriptor);
	e->status = status;
	va_start(ap, fmt);
	xvasprintf(&text, fmt, ap);
	va_end(ap);
	if (*text != '\0')
		e->text = text;
	else
		free(text);
	return (actor_reply(env, e));
}

/* Loop callback: the mailbox went non-empty or a batch was left over. */
static void
actor_wake_cb(evutil_socket_t fd, short what, void *arg)
{
	struct actor	*a = arg;
	struct mail	*last, *mail;
	size_t		 n;
	int		 stop;

	loop_worked();

	last = mailbox_last(&a->mailbox);
	for (n = 0; n < ACTOR_BATCH; n++) {
		if ((mail = mailbox_pop(&a->mailbox)) == NULL)
			break;
		stop = (mail == last);
		if (actor_deliver(a, mail) != 0)
			return;
		if (stop)
			break;
	}
	if (!mailbox_mark_empty(&a->mailbox))
		event_active(a->wake, EV_READ, 0);
}

/* Run one popped mail through a; 1 if a freed itself. */
static int
actor_deliver(struct actor *a, struct mail *mail)
{
	ProtobufCMessage	*m = mail->msg;
	struct envelope		 env = mail->env;

	mail->msg = NULL;
	if (mail->tag != 0 && !actor_timer_due(a, mail->tag)) {
		msg_free(m);
		return (0);
	}
	actor_dispatch(a, m, &env);
	if (a->dying) {
		actor_destroy(a, 1);
		return (1);
	}
	return (0);
}

/* Call a's handler for m and free m unless the handler kept it. */
static void
actor_dispatch(struct actor *a, ProtobufCMessage *m,
    const struct envelope *env)
{
	const ProtobufCMessageDescriptor	*desc = m->descriptor;
	const struct actor_handler		*h = a->type->handlers;
	int					 rv;

	if (log_getverbose() > 2)
		log_debug("%s <- %s", a->name, desc->name);
	for (; h != NULL && h->descriptor != NULL; h++) {
		if (h->descriptor == desc)
			break;
	}
	/* The terminating entry, if it has a handler, takes the rest. */
	if (h == NULL || h->handler == NULL) {
		if (desc == &petrel__stop__descriptor)
			actor_reply(env, msg_new(&petrel__stopped__descriptor));
		else
			log_warnx("actor %s: no handler for %s", a->name,
			    desc->name);
		msg_free(m);
		return;
	}
	a->running = 1;
	rv = h->handler(a->state, m, env);
	a->running = 0;
	if (rv != ACTOR_KEPT)
		msg_free(m);
}

/* About how many messages wait in a's mailbox; any thread. */
size_t
actor_depth(struct actor *a)
{
	return (mailbox_depth(&a->mailbox));
}

/* How many times a send found a's mailbox empty and woke it. */
uint64_t
actor_wakes(struct actor *a)
{
	return (mailbox_wakes(&a->mailbox));
}

/* Set the depth above which a counts as busy; 0 is no limit. */
void
actor_set_hwm(struct actor *a, size_t hwm)
{
	/* Relaxed: senders only need to see it eventually. */
	atomic_store_explicit(&a->hwm, hwm, memory_order_relaxed);
}

/* Whether a's mailbox is above its high-water mark; any thread. */
int
actor_busy(struct actor *a)
{
	size_t	 hwm;

	/* Relaxed: a hint for back-pressure, not a guarantee. */
	hwm = atomic_load_explicit(&a->hwm, memory_order_relaxed);
	return (hwm != 0 && mailbox_depth(&a->mailbox) > hwm);
}

/*
 * Deliver Petrel__Tick{id} to a after ms milliseconds, then every ms if
 * repeat.  Arming an id again replaces its timer.  Detached actors keep
 * the timer but it never fires.
 */
int
actor_timer(struct actor *a, uint32_t id, uint64_t ms, int repeat)
{
	struct actor_timer	*t;
	struct timeval		 tv;
	short			 flags = repeat ? EV_PERSIST : 0;

	if (a == NULL || a == &actor_stopper)
		return (-1);
	if (repeat && ms == 0)
		ms = 1;
	pthread_mutex_lock(&a->timer_lock);
	LIST_FOREACH(t, &a->timers, entry) {
		if (t->id == id)
			break;
	}
	if (t == NULL) {
		t = xcalloc(1, sizeof *t);
		t->actor = a;
		t->id = id;
		LIST_INSERT_HEAD(&a->timers, t, entry);
	} else if (t->ev != NULL)
		event_del(t->ev);	/* waits for its running callback */
	t->gen = ++a->timer_gen;
	t->queued = 0;
	if (a->loop != NULL) {
		if (t->ev == NULL)
			t->ev = event_new(loop_base(a->loop), -1, flags,
			    actor_timer_cb, t);
		else
			event_assign(t->ev, loop_base(a->loop), -1, flags,
			    actor_timer_cb, t);
		if (t->ev == NULL)
			fatalx("%s: event_new", __func__);
		tv.tv_sec = (time_t)(ms / 1000);
		tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
		event_add(t->ev, &tv);
	}
	pthread_mutex_unlock(&a->timer_lock);
	return (0);
}

/*
 * Cancel timer id of a.  Called on a's loop, no Tick of it is handled
 * afterwards, even one already queued.
 */
void
actor_timer_cancel(struct actor *a, uint32_t id)
{
	struct actor_timer	*t;

	if (a == NULL || a == &actor_stopper)
		return;
	pthread_mutex_lock(&a->timer_lock);
	LIST_FOREACH(t, &a->timers, entry) {
		if (t->id == id) {
			LIST_REMOVE(t, entry);
			break;
		}
	}
	pthread_mutex_unlock(&a->timer_lock);
	if (t == NULL)
		return;
	if (t->ev != NULL)
		event_free(t->ev);	/* waits for its running callback */
	free(t);
}

/*
 * Loop callback of a timer: queue a Tick unless one still waits.  Touches
 * no lock: actor_timer() holds timer_lock while it waits in event_del()
 * for this callback.  t stays valid meanwhile for the same reason.
 */
static void
actor_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct actor_timer	*t = arg;
	Petrel__Tick		*tick;
	struct mail		*mail;

	if (t->queued)
		return;
	t->queued = 1;
	tick = msg_new(&petrel__tick__descriptor);
	tick->id = t->id;
	mail = mailbox_mail_new();
	mail->msg = tick;
	memset(&mail->env, 0, sizeof mail->env);
	mail->tag = t->gen;
	actor_enqueue(t->actor, mail);
}

/* Whether the timer that queued a Tick tagged gen still stands. */
static int
actor_timer_due(struct actor *a, uint64_t gen)
{
	struct actor_timer	*t;

	pthread_mutex_lock(&a->timer_lock);
	LIST_FOREACH(t, &a->timers, entry) {
		if (t->gen == gen) {
			t->queued = 0;
			break;
		}
	}
	pthread_mutex_unlock(&a->timer_lock);
	return (t != NULL);
}

/*
 * Run every message queued for a detached actor on the calling thread,
 * including those its handlers queue meanwhile; returns how many.
 */
size_t
actor_run_pending(struct actor *a)
{
	struct mail	*mail;
	size_t		 n = 0;

	if (a == NULL || a == &actor_stopper)
		return (0);
	if (a->loop != NULL && loop_running(a->loop) &&
	    loop_current() != a->loop)
		fatalx("%s: actor %s: its loop %s runs it", __func__, a->name,
		    loop_name(a->loop));
	while ((mail = mailbox_pop(&a->mailbox)) != NULL) {
		n++;
		if (actor_deliver(a, mail) != 0)
			break;
	}
	return (n);
}

/*
 * Take the next message queued for a detached actor without handling it;
 * the caller owns it.  NULL if none.
 */
ProtobufCMessage *
actor_pop(struct actor *a, struct envelope *env)
{
	struct mail	*mail;
	void		*m;

	if (a == NULL || a == &actor_stopper ||
	    (mail = mailbox_pop(&a->mailbox)) == NULL) {
		if (env != NULL)
			memset(env, 0, sizeof *env);
		return (NULL);
	}
	m = mail->msg;
	mail->msg = NULL;
	if (env != NULL)
		*env = mail->env;
	return (m);
}

/* The condition waited on uses the monotonic clock. */
static void
actor_stop_init(void)
{
	pthread_condattr_t	 attr;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	if (pthread_cond_init(&actor_stop_cond, &attr) != 0)
		fatalx("%s: pthread_cond_init", __func__);
	pthread_condattr_destroy(&attr);
}

/* A message for the stopper: note a Stopped answer; free it. */
static int
actor_stopper_post(void *m, const struct envelope *env)
{
	if (msg_is(m, &petrel__stopped__descriptor) && env != NULL) {
		pthread_mutex_lock(&actor_stop_lock);
		if (env->cookie > actor_stop_answered)
			actor_stop_answered = env->cookie;
		pthread_cond_broadcast(&actor_stop_cond);
		pthread_mutex_unlock(&actor_stop_lock);
	} else
		log_warnx("actor %s: unexpected %s", actor_stopper.name,
		    ((ProtobufCMessage *)m)->descriptor->name);
	msg_free(m);
	return (0);
}

/*
 * Stop actors v[n-1] down to v[0]: ask each with Petrel__Stop and wait up
 * to timeout_ms for its Stopped before the next.  Loops that are not
 * running are started (loop_exit and loop_join them as the others); a
 * detached actor is run on the calling thread.  Never from a loop thread.
 * Returns 0, or -1 if some actor did not answer in time.
 */
int
actor_stop_all(struct actor **v, size_t n, int timeout_ms)
{
	struct timespec	 deadline;
	struct actor	*a;
	uint64_t	 cookie;
	size_t		 i;
	int		 answered, rv = 0;

	if (loop_current() != NULL)
		fatalx("%s: called on loop %s", __func__,
		    loop_name(loop_current()));
	pthread_once(&actor_stop_once, actor_stop_init);
	pthread_mutex_lock(&actor_stop_serial);
	for (i = n; i-- > 0;) {
		if ((a = v[i]) == NULL)
			continue;
		if (a->loop != NULL && !loop_running(a->loop))
			loop_start(a->loop);
		cookie = ++actor_stop_seq;
		actor_ask(a, msg_new(&petrel__stop__descriptor), &actor_stopper,
		    cookie);
		if (a->loop == NULL)
			actor_run_pending(a);
		clock_gettime(CLOCK_MONOTONIC, &deadline);
		deadline.tv_sec += timeout_ms / 1000;
		deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
		if (deadline.tv_nsec >= 1000000000) {
			deadline.tv_sec++;
			deadline.tv_nsec -= 1000000000;
		}
		pthread_mutex_lock(&actor_stop_lock);
		while (actor_stop_answered < cookie) {
			if (pthread_cond_timedwait(&actor_stop_cond,
			    &actor_stop_lock, &deadline) == ETIMEDOUT)
				break;
		}
		answered = actor_stop_answered >= cookie;
		pthread_mutex_unlock(&actor_stop_lock);
		if (!answered) {
			log_warnx("actor %s did not stop within %d ms",
			    actor_name(a), timeout_ms);
			rv = -1;
		}
	}
	pthread_mutex_unlock(&actor_stop_serial);
	return (rv);
}

/*
 * The whole shutdown of a daemon: stop the actors (actor_stop_all), exit
 * and join every loop, free the actors last spawned first, free the loops.
 * Never from a loop thread.  Returns what actor_stop_all returned.
 */
int
actor_shutdown(struct loop **loops, size_t nloops, struct actor **actors,
    size_t nactors, int timeout_ms)
{
	size_t	 i;
	int	 rv;

	rv = actor_stop_all(actors, nactors, timeout_ms);
	for (i = 0; i < nloops; i++) {
		if (loops[i] != NULL)
			loop_exit(loops[i]);
	}
	for (i = 0; i < nloops; i++) {
		if (loops[i] != NULL)
			loop_join(loops[i]);
	}
	for (i = nactors; i-- > 0;)
		actor_free(actors[i]);
	for (i = 0; i < nloops; i++)
		loop_free(loops[i]);
	return (rv);
}
