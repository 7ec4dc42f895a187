/*
 * libpetrel's producer API: each call encodes its messages on the caller's
 * thread (checks, unique ids, compression, the encoding itself: work that
 * spreads over the application's threads; client_send_new()) and queues
 * the struct client_send on the producer's struct client_gate for the
 * producer actor (actors/producer.c) on the client's loop.  The send that
 * finds the queue empty wakes the actor with a Tick, and the actor then
 * takes every send queued: a burst of sends costs one message through its
 * mailbox, not one each.  Blocking calls wait on a struct client_wait on
 * their stack; async and one-way sends count in the gate, which bounds
 * what is in flight and is what petrel_producer_flush() and
 * petrel_producer_free() wait on.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "actor.h"
#include "client.h"
#include "msg.h"
#include "xmalloc.h"

#include "proto/client.pb-c.h"
#include "proto/runtime.pb-c.h"

#define PRODUCER_BATCH_MAX	1024

struct petrel_producer {
	struct petrel_client	*c;
	struct actor		*actor;
	struct client_gate	 gate;
	uint32_t		 timeout_ms;
	uint32_t		 compress_over;
};

static int	producer_api_check(struct petrel_producer *,
		    struct petrel_error *);

/* The defaults of every option. */
void
petrel_producer_options_init(struct petrel_producer_options *o)
{
	memset(o, 0, sizeof *o);
	o->group = "DEFAULT_PRODUCER";
	o->timeout_ms = 3000;
	o->retries = 2;
	o->compress_over = 4096;
	o->max_in_flight = 65536;
}

/* Whether s is a group name: 1-127 bytes of [a-zA-Z0-9_%-]. */
static int
producer_api_name_ok(const char *s)
{
	return (client_name_ok(s, 1));
}

/* A producer of client c with options o (NULL: the defaults). */
struct petrel_producer *
petrel_producer_new(struct petrel_client *c,
    const struct petrel_producer_options *o, struct petrel_error *err)
{
	struct petrel_producer_options	 def;
	struct petrel_producer		*p;
	Petrel__ProducerConfig		*cfg;
	struct client_wait		 w;

	if (o == NULL) {
		petrel_producer_options_init(&def);
		o = &def;
	}
	if (c == NULL || o->group == NULL || !producer_api_name_ok(o->group)) {
		client_error(err, PETREL_E_BAD_REQUEST, "bad producer group");
		return (NULL);
	}
	if (client_on_loop(c)) {
		client_error(err, PETREL_E_NOT_SENT, "blocking call in a "
		    "callback of the library");
		return (NULL);
	}
	p = xcalloc(1, sizeof *p);
	p->c = c;
	p->timeout_ms = o->timeout_ms != 0 ? o->timeout_ms : 3000;
	p->compress_over = o->compress_over;
	client_gate_init(&p->gate, o->max_in_flight != 0 ? o->max_in_flight :
	    65536);
	p->actor = actor_spawn(client_loop(c), &producer_actor, "producer");
	cfg = msg_new(&petrel__producer_config__descriptor);
	msg_set_string(&cfg->group, o->group);
	cfg->timeout_ms = p->timeout_ms;
	cfg->retries = o->retries;
	cfg->client = (uint64_t)(uintptr_t)c;
	cfg->gate = (uint64_t)(uintptr_t)&p->gate;
	client_wait_init(&w, NULL, 0);
	cfg->waiter = (uint64_t)(uintptr_t)&w;
	actor_send(p->actor, cfg);
	if (client_wait_for(c, &w, err) != 0) {
		petrel_producer_free(p);
		return (NULL);
	}
	return (p);
}

/* Wait for the async sends, stop the actor, free. */
void
petrel_producer_free(struct petrel_producer *p)
{
	Petrel__ProducerClose	*m;
	struct client_wait	 w;

	if (p == NULL)
		return;
	client_gate_drain(&p->gate, UINT32_MAX);
	m = msg_new(&petrel__producer_close__descriptor);
	client_wait_init(&w, NULL, 0);
	m->waiter = (uint64_t)(uintptr_t)&w;
	actor_send(p->actor, m);
	client_wait_for(p->c, &w, NULL);
	client_gate_fini(&p->gate);
	free(p);
}

/* Whether p may take a blocking call now. */
static int
producer_api_check(struct petrel_producer *p, struct petrel_error *err)
{
	if (p == NULL) {
		client_error(err, PETREL_E_BAD_REQUEST, "no producer");
		return (-1);
	}
	if (client_on_loop(p->c)) {
		client_error(err, PETREL_E_NOT_SENT, "blocking call in a "
		    "callback of the library");
		return (-1);
	}
	return (0);
}

/* A send of msg in mode; NULL with err filled in. */
static struct client_send *
producer_api_one(struct petrel_producer *p, const struct petrel_msg *msg,
    uint32_t mode, struct petrel_error *err)
{
	struct client_send	*s;

	if (msg == NULL) {
		client_error(err, PETREL_E_BAD_REQUEST, "no message");
		return (NULL);
	}
	if ((s = client_send_new(&msg, 1, p->compress_over, err)) == NULL)
		return (NULL);
	s->mode = mode;
	return (s);
}

/*
 * Queue s for the actor, counted in the gate if it is async or one-way
 * (waiting up to ms for room), and wake the actor if nothing was queued
 * before it.  0, or -1 if there was no room in time (s is still ours).
 */
static int
producer_api_post(struct petrel_producer *p, struct client_send *s,
    uint32_t ms)
{
	Petrel__Tick	*tick;
	int		 rc;

	rc = client_gate_post(&p->gate, s, s->mode !=
	    PETREL__SEND_MODE__SEND_SYNC, ms);
	if (rc == 1) {
		tick = msg_new(&petrel__tick__descriptor);
		tick->id = CLIENT_TICK_SENDS;
		actor_send(p->actor, tick);
	}
	return (rc == -1 ? -1 : 0);
}

/* Post s and wait for n results in res. */
static int
producer_api_wait(struct petrel_producer *p, struct client_send *s,
    struct petrel_send_result *res, size_t n, struct petrel_error *err)
{
	struct client_wait	w;

	client_wait_init(&w, res, n);
	s->waiter = &w;
	loop_take(client_loop(p->c));
	producer_api_post(p, s, 0);
	return (client_wait_for(p->c, &w, err));
}

/* Send msg and wait for the broker's answer. */
int
petrel_send(struct petrel_producer *p, const struct petrel_msg *msg,
    struct petrel_send_result *res, struct petrel_error *err)
{
	struct petrel_send_result	 dummy;
	struct client_send		*s;

	if (producer_api_check(p, err) != 0)
		return (-1);
	if ((s = producer_api_one(p, msg, PETREL__SEND_MODE__SEND_SYNC,
	    err)) == NULL)
		return (-1);
	return (producer_api_wait(p, s, res != NULL ? res : &dummy, 1, err));
}

/*
 * Post a send of msg in mode that does not wait for its answer, inside
 * the gate bounding the sends in flight, cb and arg its callback; 0, or
 * -1 with err filled in.
 */
static int
producer_api_enter(struct petrel_producer *p, const struct petrel_msg *msg,
    uint32_t mode, petrel_send_cb cb, void *arg, struct petrel_error *err)
{
	struct client_send	*s;

	if (p == NULL) {
		client_error(err, PETREL_E_BAD_REQUEST, "no producer");
		return (-1);
	}
	if ((s = producer_api_one(p, msg, mode, err)) == NULL)
		return (-1);
	s->cb = cb;
	s->cb_arg = arg;
	if (producer_api_post(p, s, client_on_loop(p->c) ? 0 :
	    p->timeout_ms) != 0) {
		free(s);
		client_error(err, PETREL_E_BUSY, "too many sends in flight");
		return (-1);
	}
	return (0);
}

/* Send msg; cb(result, error or NULL, arg) runs where the loop runs. */
int
petrel_send_async(struct petrel_producer *p, const struct petrel_msg *msg,
    petrel_send_cb cb, void *arg, struct petrel_error *err)
{
	return (producer_api_enter(p, msg, PETREL__SEND_MODE__SEND_ASYNC, cb,
	    arg, err));
}

/* Send msg without waiting for or expecting any answer. */
int
petrel_send_oneway(struct petrel_producer *p, const struct petrel_msg *msg,
    struct petrel_error *err)
{
	return (producer_api_enter(p, msg, PETREL__SEND_MODE__SEND_ONEWAY,
	    NULL, NULL, err));
}

/* Send n messages of one topic to one queue, all or none. */
int
petrel_send_batch(struct petrel_producer *p,
    const struct petrel_msg *const *msgs, size_t n,
    struct petrel_send_result *res, struct petrel_error *err)
{
	struct client_send	*s;
	size_t			 i;

	if (producer_api_check(p, err) != 0)
		return (-1);
	if (msgs == NULL || res == NULL || n == 0 || n > PRODUCER_BATCH_MAX) {
		client_error(err, PETREL_E_BAD_REQUEST, "a batch is 1-%d "
		    "messages with as many results", PRODUCER_BATCH_MAX);
		return (-1);
	}
	for (i = 0; i < n; i++) {
		if (msgs[i] == NULL || strcmp(msgs[i]->m->topic,
		    msgs[0]->m->topic) != 0 || msgs[i]->delay_level != 0) {
			client_error(err, PETREL_E_BAD_REQUEST, "message %zu of "
			    "the batch: all must be of one topic, none "
			    "delayed", i);
			return (-1);
		}
	}
	if ((s = client_send_new(msgs, n, p->compress_over, err)) == NULL)
		return (-1);
	s->mode = PETREL__SEND_MODE__SEND_SYNC;
	s->batch = 1;
	return (producer_api_wait(p, s, res, n, err));
}

/* Send msg to the queue of its sharding key: in order per key. */
int
petrel_send_ordered(struct petrel_producer *p, const struct petrel_msg *msg,
    const char *key, struct petrel_send_result *res, struct petrel_error *err)
{
	struct petrel_send_result	 dummy;
	struct client_send		*s;

	if (producer_api_check(p, err) != 0)
		return (-1);
	if (key == NULL) {
		client_error(err, PETREL_E_BAD_REQUEST, "no sharding key");
		return (-1);
	}
	if ((s = producer_api_one(p, msg, PETREL__SEND_MODE__SEND_SYNC,
	    err)) == NULL)
		return (-1);
	s->sharded = 1;
	s->shard_hash = client_shard_hash(key);
	return (producer_api_wait(p, s, res != NULL ? res : &dummy, 1, err));
}

/* Send msg to the queue fn(nqueues, msg, arg) chooses. */
int
petrel_send_select(struct petrel_producer *p, const struct petrel_msg *msg,
    petrel_selector fn, void *arg, struct petrel_send_result *res,
    struct petrel_error *err)
{
	struct petrel_send_result	 dummy;
	struct client_send		*s;

	if (producer_api_check(p, err) != 0)
		return (-1);
	if (fn == NULL) {
		client_error(err, PETREL_E_BAD_REQUEST, "no selector");
		return (-1);
	}
	if ((s = producer_api_one(p, msg, PETREL__SEND_MODE__SEND_SYNC,
	    err)) == NULL)
		return (-1);
	s->selector = fn;
	s->selector_arg = arg;
	s->selector_msg = msg;
	return (producer_api_wait(p, s, res != NULL ? res : &dummy, 1, err));
}

/* Wait up to ms for every async and one-way send to be answered. */
int
petrel_producer_flush(struct petrel_producer *p, uint32_t ms,
    struct petrel_error *err)
{
	if (producer_api_check(p, err) != 0)
		return (-1);
	if (client_gate_drain(&p->gate, ms) != 0) {
		client_error(err, PETREL_E_TIMEOUT, "sends still in flight "
		    "after %u ms", ms);
		return (-1);
	}
	return (0);
}
