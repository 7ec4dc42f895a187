/*
 * The actor runtime.
 *
 * A loop is a thread with its own libevent event_base.  An actor lives on
 * exactly one loop and only that loop's thread ever touches its state, so
 * actors need no locks.  Each actor has a mailbox: a multi-producer
 * single-consumer queue and one wake-up event, fired only when the mailbox
 * goes from empty to non-empty.  A wake drains what was in the mailbox when
 * it fired, so a burst of messages is handled as one batch.
 *
 * Messages are protobuf-c messages built on the heap (msg_new(), msg.h).
 * Sending hands a message over: the sender never touches it again, even if
 * the send fails.  The receiver's handler is chosen by the message's
 * descriptor; the runtime frees the message after the handler returns,
 * unless the handler returned ACTOR_KEPT, in which case the handler owns it.
 *
 * A handler table ends with an entry whose descriptor is NULL.  If that
 * entry has a handler, it takes every message no other entry names (the
 * listener uses it for replies of any type); if not, such messages are
 * logged and freed.
 *
 * An actor spawned on a NULL loop is detached: messages sent to it queue
 * up and nothing runs them until actor_run_pending() or actor_pop() is
 * called.  Tests use detached actors as a fake runtime: they call a real
 * actor's handlers through actor_run_pending() and read what it sent from a
 * detached peer with actor_pop().
 *
 * Shutdown, in this order (actor_shutdown() does all of it):
 *  1. actor_stop_all(): asks each actor, last spawned first, for
 *     Petrel__Stop and waits for its Petrel__Stopped before the next, so an
 *     actor stops only after those that feed it.  An actor type without a
 *     Stop handler is answered Stopped by the runtime.  Call it from a
 *     thread that runs no loop, typically the main thread after loop_run()
 *     returned; a loop not running then (the main loop) is started on a
 *     thread of its own so its actors can answer.
 *  2. loop_exit() and loop_join() every loop.
 *  3. actor_free() every actor, last spawned first: fini, then every
 *     message still queued is freed.  An actor's fini must not send.
 *  4. loop_free() every loop.
 * After step 2 nothing runs any more, so messages in flight either were
 * handled or sit in a mailbox and step 3 frees them.
 */
#ifndef ACTOR_H
#define ACTOR_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

struct event_base;
struct loop;
struct actor;
struct event;

/*
 * An event another thread wants run on a loop (loop_wake): while the loop
 * busy-polls, it takes these from a lock-free list instead of through
 * event_active() and the base's lock.  Embedded in what owns the event.
 */
struct loop_wake {
	struct loop_wake	*next;		/* on the loop's list */
	struct event		*ev;
	_Atomic(int)		 queued;	/* on the list */
};

/* Who sent a message and how to answer it. */
struct envelope {
	struct actor	*from;		/* who to answer, or NULL */
	uint64_t	 cookie;	/* echoed in the answer */
	uint64_t	 conn;		/* connection a remote request came on, 0 if local */
};

#define ACTOR_KEPT	1	/* handler return: it keeps the message */

typedef int (*actor_handler_cb)(void *, ProtobufCMessage *,
    const struct envelope *);

struct actor_handler {
	const ProtobufCMessageDescriptor	*descriptor;
	actor_handler_cb			 handler;
};

struct actor_type {
	const char			*name;
	size_t				 size;		/* of its state */
	int				(*init)(struct actor *, void *);
	void				(*fini)(void *);
	const struct actor_handler	*handlers;	/* ends with NULL descriptor */
};

/* Loops. */
struct loop		*loop_new(const char *);
const char		*loop_name(struct loop *);
struct event_base	*loop_base(struct loop *);
int			 loop_start(struct loop *);
void			 loop_run(struct loop *);
void			 loop_exit(struct loop *);
void			 loop_join(struct loop *);
void			 loop_free(struct loop *);
int			 loop_running(struct loop *);
struct loop		*loop_current(void);
void			 loop_worked(void);
void			 loop_set_busy_poll(struct loop *, uint64_t);
void			 loop_wake(struct loop *, struct loop_wake *);
void			 loop_wake_cancel(struct loop *, struct loop_wake *);
int			 loop_take(struct loop *);
int			 loop_await(struct loop *, int (*)(void *), void *,
			     uint64_t);

/* Actors. */
struct actor	*actor_spawn(struct loop *, const struct actor_type *,
		    const char *);
void		 actor_free(struct actor *);
const char	*actor_name(struct actor *);
void		*actor_state(struct actor *);
struct loop	*actor_loop(struct actor *);
uint64_t	 actor_ref(struct actor *);
struct actor	*actor_deref(uint64_t);

int		 actor_post(struct actor *, void *, const struct envelope *);
int		 actor_send(struct actor *, void *);
int		 actor_ask(struct actor *, void *, struct actor *, uint64_t);
int		 actor_reply(const struct envelope *, void *);
int		 actor_reply_error(const struct envelope *, uint32_t,
		    const char *, ...) __attribute__((__format__ (printf, 3, 4)));

size_t		 actor_depth(struct actor *);
uint64_t	 actor_wakes(struct actor *);
void		 actor_set_hwm(struct actor *, size_t);
int		 actor_busy(struct actor *);

int		 actor_timer(struct actor *, uint32_t, uint64_t, int);
void		 actor_timer_cancel(struct actor *, uint32_t);

size_t		 actor_run_pending(struct actor *);
ProtobufCMessage *actor_pop(struct actor *, struct envelope *);

/* Shutdown. */
int		 actor_stop_all(struct actor **, size_t, int);
int		 actor_shutdown(struct loop **, size_t, struct actor **, size_t,
		    int);

#endif /* ACTOR_H */
