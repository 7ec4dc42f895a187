/*
 * Helpers for the tests of the name server's actors: a detached peer that
 * collects answers, and a call that posts a request to a detached actor
 * (as the listener would, with a connection id), runs it, and returns the
 * answer.  Header-only, like tests/testutil.h.
 */
#ifndef NAMESRV_TESTUTIL_H
#define NAMESRV_TESTUTIL_H

#include <check.h>
#include <stdint.h>

#include "actor.h"
#include "msg.h"

#include "proto/frame.pb-c.h"
#include "proto/runtime.pb-c.h"

static const struct actor_handler tpeer_handlers[] = { { NULL, NULL } };

/* A peer with no handlers: what it is sent waits for actor_pop(). */
static const struct actor_type tpeer_actor = {
	.name = "tpeer",
	.size = sizeof(int),
	.init = NULL,
	.fini = NULL,
	.handlers = tpeer_handlers
};

#define TCOOKIE	4242

/*
 * Post req to the detached actor a from peer on connection conn, run it,
 * and return the one answer (the caller frees it with msg_free()).
 */
static inline void *
tcall(struct actor *a, struct actor *peer, void *req, uint64_t conn)
{
	struct envelope		 env = { peer, TCOOKIE, conn }, got;
	ProtobufCMessage	*m;

	ck_assert_int_eq(actor_post(a, req, &env), 0);
	actor_run_pending(a);
	m = actor_pop(peer, &got);
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(got.cookie, TCOOKIE);
	ck_assert_ptr_null(actor_pop(peer, &got));
	return (m);
}

/* Expect m to be an Error with this status; returns its text. */
static inline const char *
terror(void *m, uint32_t status)
{
	Petrel__Error	*e = m;

	ck_assert_msg(msg_is(m, &petrel__error__descriptor),
	    "expected an Error, got %s",
	    ((ProtobufCMessage *)m)->descriptor->name);
	ck_assert_uint_eq(e->status, status);
	return (e->text);
}

/* Expect m to be a message of type desc. */
static inline void *
tis(void *m, const ProtobufCMessageDescriptor *desc)
{
	ck_assert_msg(msg_is(m, desc), "expected %s, got %s (%s)", desc->name,
	    ((ProtobufCMessage *)m)->descriptor->name,
	    msg_is(m, &petrel__error__descriptor) ?
	    ((Petrel__Error *)m)->text : "");
	return (m);
}

#endif /* NAMESRV_TESTUTIL_H */
