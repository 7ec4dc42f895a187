/*
 * Helpers for the tests of the broker's control-plane actors: messages
 * sent to a detached actor and run at once (ticks, a fixed clock).
 * Header-only, like tests/testutil.h.
 */
#ifndef BROKER_TESTUTIL_H
#define BROKER_TESTUTIL_H

#include <check.h>
#include <stdint.h>
#include <string.h>

#include "actor.h"
#include "msg.h"

#include "proto/brokerd.pb-c.h"
#include "proto/runtime.pb-c.h"

/* Send m to the detached actor a and run it. */
static inline void
btsend(struct actor *a, void *m)
{
	ck_assert_int_eq(actor_send(a, m), 0);
	actor_run_pending(a);
}

/* Fix a's clock at now (0: the real clock again). */
static inline void
btclock(struct actor *a, uint64_t now)
{
	Petrel__SetClock	*c;

	c = msg_new(&petrel__set_clock__descriptor);
	c->now_ms = now;
	btsend(a, c);
}

/* Fire a's timer id. */
static inline void
bttick(struct actor *a, uint32_t id)
{
	Petrel__Tick	*t;

	t = msg_new(&petrel__tick__descriptor);
	t->id = id;
	btsend(a, t);
}

/*
 * Ask the detached actor a for its counters (answered to the detached
 * peer) and return the one called name; -1 if it has none so called.
 */
static inline int64_t
btcounter(struct actor *a, struct actor *peer, const char *name)
{
	struct envelope		 env = { peer, 1, 0 }, got;
	Petrel__Counters	*c;
	int64_t			 v = -1;
	size_t			 i;

	ck_assert_int_eq(actor_post(a,
	    msg_new(&petrel__counters_request__descriptor), &env), 0);
	actor_run_pending(a);
	c = (Petrel__Counters *)actor_pop(peer, &got);
	ck_assert_msg(msg_is(c, &petrel__counters__descriptor),
	    "no Counters answer");
	for (i = 0; i < c->n_counters; i++) {
		if (strcmp(c->counters[i]->name, name) == 0)
			v = (int64_t)c->counters[i]->value;
	}
	msg_free(c);
	return (v);
}

#endif /* BROKER_TESTUTIL_H */
