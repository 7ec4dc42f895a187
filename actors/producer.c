/*
 * Producer: one per petrel_producer, on its client's loop.  Takes the
 * sends the API (lib/petrel_producer.c) queued on its gate, encoded
 * already (struct client_send), when a Tick says there are some; chooses
 * a write queue of the topic's route (lib/client.c) and calls that queue's
 * broker (CODE_SEND_MESSAGE or CODE_SEND_BATCH), then answers the waiting
 * caller (SEND_SYNC), calls the callback (SEND_ASYNC) or, for SEND_ONEWAY,
 * nothing.
 *
 * No protobuf-c structure is built for a send: the request is the fields
 * client_send_head() encodes for the queue chosen, then the messages as
 * the API encoded them, copied into the connection's output
 * (rpc_call_parts()); the answer is read in place (client_send_decode())
 * straight into each caller's results.
 *
 * Queues: round robin over the write queues of every master, skipping the
 * broker whose send failed last for CLIENT_AVOID_MS while another has
 * queues; ordered sends take queue shard_hash mod queues, selected ones
 * what the application's selector says.  A send that failed for a reason
 * another broker may not share (connection lost, broker busy or refusing,
 * topic missing there) is tried again on another broker, up to retries
 * times within its deadline, and the route is refreshed; ordered and
 * selected sends are never moved.  Sends that arrive before their topic's
 * route wait for it, all answered by one name server question.
 *
 * Plain sends of a topic (sync or async, no queue of their own, no delay)
 * travel PRODUCER_PIPELINE requests at a time; what arrives while that many
 * are in flight waits and leaves, when one is answered, as one
 * CODE_SEND_BATCH to the next queue (at most PRODUCER_BATCH_MAX messages,
 * PRODUCER_BATCH_BYTES of bodies), each sender answered with its own
 * result.  A lone send goes out at once; a burst becomes one request, one
 * append and one answer.  A batch the broker refuses is retried message by
 * message as if each had been sent alone.
 *
 * Every request of a loop turn is written into the connection's buffer
 * and leaves in one write (lib/rpc.c).  ProducerClose is answered once
 * nothing is in flight; the actor then frees itself.
 */
#include "config.h"

#include <sys/queue.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actor.h"
#include "client.h"
#include "clock.h"
#include "log.h"
#include "msg.h"
#include "rpc.h"
#include "strmap.h"
#include "xmalloc.h"

#include "proto/client.pb-c.h"
#include "proto/frame.pb-c.h"
#include "proto/runtime.pb-c.h"

#define PRODUCER_PIPELINE	4	/* plain requests in flight a topic */
#define PRODUCER_BATCH_MAX	1024
#define PRODUCER_BATCH_BYTES	(4U << 20)

#define PRODUCER_HEAD_MAX	512	/* fields 1-4 of a send request */

/* One send in flight. */
struct producer_req {
	struct producer			*p;
	struct client_send		*s;
	struct producer_topic		*t;	/* counted in t->inflight */
	uint32_t			 tries;
	uint64_t			 deadline;	/* monotonic ms */
	char				 broker[PETREL_NAME_MAX];
	struct petrel_send_result	 res;	/* but SEND_SYNC's */
	TAILQ_ENTRY(producer_req)	 entry;
};
TAILQ_HEAD(producer_reqs, producer_req);

/* A topic's plain sends: requests in flight and sends waiting for one. */
struct producer_topic {
	struct producer		*p;
	unsigned		 inflight;
	struct producer_reqs	 queued;
	size_t			 nqueued;
};

/* Sends coalesced into one CODE_SEND_BATCH request. */
struct producer_batch {
	struct producer_topic	*t;
	char			 broker[PETREL_NAME_MAX];
	size_t			 n;
	struct producer_req	*reqs[];
};

struct producer {
	struct actor		*self;
	struct petrel_client	*c;
	int			 configured;
	char			*group;
	uint32_t		 timeout_ms;
	uint32_t		 retries;
	struct client_gate	*gate;
	uint32_t		 next;		/* round robin */
	char			 avoid[PETREL_NAME_MAX];
	uint64_t		 avoid_until;
	struct producer_reqs	 waiting;	/* for a route */
	struct strmap		*asking;	/* topics asked for */
	struct strmap		*topics;	/* producer_topic */
	size_t			 inflight;
	struct client_wait	*closer;
	struct producer_req	*spare;
	ProtobufCBinaryData	*parts;		/* a batch being written */
	size_t			 capparts;
	struct petrel_send_result **outs;	/* an answer being read */
	size_t			 capouts;
};

static int	producer_init(struct actor *, void *);
static void	producer_fini(void *);
static int	producer_on_config(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	producer_on_tick(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	producer_on_close(void *, ProtobufCMessage *,
		    const struct envelope *);

static void	producer_dispatch(struct producer_req *);
static void	producer_flush(struct producer_topic *);
static int	producer_pick(struct producer *, struct producer_req *,
		    const struct client_route *);

static const struct actor_handler producer_handlers[] = {
	{ &petrel__producer_config__descriptor, producer_on_config },
	{ &petrel__tick__descriptor, producer_on_tick },
	{ &petrel__producer_close__descriptor, producer_on_close },
	{ NULL, NULL }
};

const struct actor_type producer_actor = {
	.name = "producer",
	.size = sizeof(struct producer),
	.init = producer_init,
	.fini = producer_fini,
	.handlers = producer_handlers
};

static int
producer_init(struct actor *a, void *state)
{
	struct producer	*p = state;

	p->self = a;
	p->timeout_ms = 3000;
	p->retries = 2;
	TAILQ_INIT(&p->waiting);
	p->asking = strmap_new();
	p->topics = strmap_new();
	return (0);
}

/* Free a topic's state and the sends still queued there. */
static void
producer_topic_free(void *arg)
{
	struct producer_topic	*t = arg;
	struct producer_req	*req;

	while ((req = TAILQ_FIRST(&t->queued)) != NULL) {
		TAILQ_REMOVE(&t->queued, req, entry);
		free(req->s);
		free(req);
	}
	free(t);
}

static void
producer_fini(void *state)
{
	struct producer		*p = state;
	struct producer_req	*req;

	while ((req = TAILQ_FIRST(&p->waiting)) != NULL) {
		TAILQ_REMOVE(&p->waiting, req, entry);
		free(req->s);
		free(req);
	}
	while ((req = p->spare) != NULL) {
		p->spare = *(struct producer_req **)req;
		free(req);
	}
	strmap_free(p->asking, NULL);
	strmap_free(p->topics, producer_topic_free);
	free(p->parts);
	free(p->outs);
	free(p->group);
}

static int
producer_on_config(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct producer		*p = state;
	Petrel__ProducerConfig	*c = (Petrel__ProducerConfig *)m;
	struct client_wait	*w = (struct client_wait *)(uintptr_t)c->waiter;

	if (p->configured || c->client == 0 || c->gate == 0 ||
	    *c->group == '\0') {
		log_warnx("%s: bad producer configuration", __func__);
		if (w != NULL)
			client_wait_done(w, PETREL_E_NOT_SENT,
			    "bad producer configuration");
		return (-1);
	}
	p->c = (struct petrel_client *)(uintptr_t)c->client;
	p->gate = (struct client_gate *)(uintptr_t)c->gate;
	p->group = xstrdup(c->group);
	if (c->timeout_ms != 0)
		p->timeout_ms = c->timeout_ms;
	p->retries = c->retries;
	p->configured = 1;
	client_add_producer(p->c, p->group);
	if (w != NULL)
		client_wait_done(w, PETREL_OK, NULL);
	return (0);
}

/* Whether a send that failed with status may go to another broker. */
static int
producer_retriable(uint32_t status)
{
	switch (status) {
	case PETREL__STATUS__STATUS_SYSTEM_ERROR:
	case PETREL__STATUS__STATUS_SYSTEM_BUSY:
	case PETREL__STATUS__STATUS_NO_PERMISSION:
	case PETREL__STATUS__STATUS_SERVICE_NOT_AVAILABLE:
	case PETREL__STATUS__STATUS_TOPIC_NOT_EXIST:
	case PETREL__STATUS__STATUS_NOT_WRITABLE:
	case PETREL__STATUS__STATUS_CONNECTION_CLOSED:
	case PETREL__STATUS__STATUS_CONNECT_FAILED:
		return (1);
	}
	return (0);
}

/* Everything is answered: free ourselves and answer the closer. */
static void
producer_closed(struct producer *p)
{
	struct client_wait	*w = p->closer;

	client_route_cancel(p->c, p);
	client_remove_producer(p->c, p->group);
	actor_free(p->self);		/* p may be gone from here */
	client_wait_done(w, PETREL_OK, NULL);
}

/* The results of req: *n of them, where its caller reads them. */
static struct petrel_send_result *
producer_results(struct producer_req *req, size_t *n)
{
	struct client_wait	*w = req->s->waiter;

	if (req->s->mode == PETREL__SEND_MODE__SEND_SYNC) {
		*n = w->n;
		return (w->arg);
	}
	*n = 1;
	return (&req->res);
}

/*
 * A send is over with code (PETREL_OK and the broker's status, or an
 * error and text), its results decoded already if decoded, else none:
 * answer its caller and forget it.  Returns 1 if it was counted in the
 * gate (async, one-way), for the caller to leave it, after the callback
 * as petrel_producer_flush() promises; 0 if not.
 */
static int
producer_reply(struct producer_req *req, int code, const char *text,
    uint32_t status, int decoded)
{
	struct producer			*p = req->p;
	struct client_send		*s = req->s;
	struct petrel_send_result	*results, *r;
	struct petrel_error		 err;
	size_t				 i, n;
	int				 counted = 1;

	results = producer_results(req, &n);
	for (i = 0; i < n; i++) {
		r = &results[i];
		if (!decoded)
			memset(r, 0, sizeof *r);
		r->status = (int)status;
		client_copy(r->broker, sizeof r->broker, req->broker);
	}
	switch (s->mode) {
	case PETREL__SEND_MODE__SEND_SYNC:
		client_wait_done(s->waiter, code, text);
		counted = 0;
		break;
	case PETREL__SEND_MODE__SEND_ASYNC:
		r = &req->res;
		if (r->unique_id[0] == '\0')
			memcpy(r->unique_id, s->unique_id, sizeof s->unique_id);
		if (code != PETREL_OK) {
			err.code = code;
			snprintf(err.text, sizeof err.text, "%s",
			    text != NULL && *text != '\0' ? text :
			    petrel_strerror(code));
		}
		if (s->cb != NULL)
			s->cb(r, code != PETREL_OK ? &err : NULL, s->cb_arg);
		break;
	}
	free(s);
	*(struct producer_req **)req = p->spare;
	p->spare = req;
	/* A closer comes only once nothing counted is in flight. */
	if (--p->inflight == 0 && p->closer != NULL)
		producer_closed(p);
	return (counted);
}

/* producer_reply() and leave the gate for it. */
static void
producer_answer(struct producer_req *req, int code, const char *text,
    uint32_t status, int decoded)
{
	struct client_gate	*gate = req->p->gate;

	if (producer_reply(req, code, text, status, decoded))
		client_gate_leave(gate);
}

/* producer_answer() of a send that failed with code before any answer. */
static void
producer_finish(struct producer_req *req, int code, const char *text)
{
	producer_answer(req, code, text, (uint32_t)code, 0);
}

/* Room for n result pointers in p->outs. */
static struct petrel_send_result **
producer_outs(struct producer *p, size_t n)
{
	if (n > p->capouts) {
		p->outs = xreallocarray(p->outs, n, sizeof *p->outs);
		p->capouts = n;
	}
	return (p->outs);
}

/* Whether req may travel in one batch with other sends of its topic. */
static int
producer_plain(const struct producer_req *req)
{
	const struct client_send	*s = req->s;

	return (!s->batch && s->delay_level == 0 && s->selector == NULL &&
	    !s->sharded && s->mode != PETREL__SEND_MODE__SEND_ONEWAY);
}

/* The state of topic's plain sends. */
static struct producer_topic *
producer_topic(struct producer *p, const char *topic)
{
	struct producer_topic	*t;

	if ((t = strmap_get(p->topics, topic)) == NULL) {
		t = xcalloc(1, sizeof *t);
		t->p = p;
		TAILQ_INIT(&t->queued);
		strmap_put(p->topics, topic, t);
	}
	return (t);
}

/* The request carrying req is over: let what waits behind it go. */
static void
producer_release(struct producer_req *req)
{
	struct producer_topic	*t = req->t;

	if (t == NULL)
		return;
	req->t = NULL;
	t->inflight--;
	producer_flush(t);
}

/*
 * A send failed with status and error: send req again if it may be, else
 * answer it.
 */
static void
producer_failed(struct producer_req *req, uint32_t status, const char *error)
{
	struct producer	*p = req->p;

	if (producer_retriable(status) && req->tries < p->retries &&
	    req->s->selector == NULL && !req->s->sharded &&
	    clock_mono_ms() < req->deadline) {
		req->tries++;
		producer_dispatch(req);
		return;
	}
	producer_answer(req, (int)status, error, status, 0);
}

/* Remember that broker failed sends of topic. */
static void
producer_avoid(struct producer *p, const char *broker, const char *topic,
    uint32_t status, const char *error)
{
	log_debug("send to %s of %s: %s (%u)", broker, topic, error, status);
	snprintf(p->avoid, sizeof p->avoid, "%s", broker);
	p->avoid_until = clock_mono_ms() + CLIENT_AVOID_MS;
	client_route_stale(p->c, topic);
}

/* A broker answered a send (its answer encoded at data), or it failed. */
static void
producer_sent(uint32_t status, const char *error, const uint8_t *data,
    size_t len, void *arg)
{
	struct producer_req		*req = arg;
	struct producer			*p = req->p;
	struct petrel_send_result	*results, **outs;
	uint32_t			 sent;
	size_t				 n, i, count;

	producer_release(req);
	if (status == PETREL__STATUS__STATUS_OK) {
		results = producer_results(req, &n);
		outs = producer_outs(p, n);
		for (i = 0; i < n; i++)
			outs[i] = &results[i];
		if (client_send_decode(data, len, req->s->batch, &sent, outs,
		    n, &count) == 0) {
			if (count == n)
				producer_answer(req, PETREL_OK, NULL, sent, 1);
			else
				producer_answer(req, PETREL_E_PROTOCOL, "the "
				    "broker answered a batch with another "
				    "count", sent, 1);
			return;
		}
		status = PETREL__STATUS__STATUS_PROTOCOL_ERROR;
		error = "undecodable response body";
	}
	producer_avoid(p, req->broker, req->s->topic, status, error);
	producer_failed(req, status, error);
}

/*
 * A broker answered a batch of coalesced sends (its answer encoded at
 * data), or the batch failed.
 */
static void
producer_batch_sent(uint32_t status, const char *error, const uint8_t *data,
    size_t len, void *arg)
{
	struct producer_batch		*b = arg;
	struct producer_topic		*t = b->t;
	struct producer			*p = t->p;
	struct petrel_send_result	**outs;
	struct client_gate		*gate = p->gate;
	uint32_t			 sent;
	size_t				 i, n, count, left = 0;

	t->inflight--;
	producer_flush(t);
	if (status == PETREL__STATUS__STATUS_OK) {
		outs = producer_outs(p, b->n);
		for (i = 0; i < b->n; i++)
			outs[i] = producer_results(b->reqs[i], &n);
		if (client_send_decode(data, len, 1, &sent, outs, b->n,
		    &count) != 0) {
			status = PETREL__STATUS__STATUS_PROTOCOL_ERROR;
			error = "undecodable response body";
			producer_avoid(p, b->broker, b->reqs[0]->s->topic,
			    status, error);
		} else if (count != b->n) {
			status = PETREL_E_PROTOCOL;
			error = "the broker answered a batch with another "
			    "count";
		} else {
			/* One lock of the gate for the batch, not one each. */
			for (i = 0; i < b->n; i++)
				left += producer_reply(b->reqs[i], PETREL_OK,
				    NULL, sent, 1);
			client_gate_leave_n(gate, left);
			goto out;
		}
	} else
		producer_avoid(p, b->broker, b->reqs[0]->s->topic, status,
		    error);
	/* The last answer may free the producer: touch nothing after. */
	for (i = 0; i < b->n; i++)
		producer_failed(b->reqs[i], status, error);
out:
	free(b);
}

/* Room for n parts in p->parts. */
static ProtobufCBinaryData *
producer_parts(struct producer *p, size_t n)
{
	if (n > p->capparts) {
		p->parts = xreallocarray(p->parts, n, sizeof *p->parts);
		p->capparts = n;
	}
	return (p->parts);
}

/*
 * Send what waits in t as one CODE_SEND_BATCH to the next queue of the
 * topic.  0, or -1 when nothing more may be done here (the sends were
 * answered, the producer may be gone).
 */
static int
producer_send_batch(struct producer_topic *t)
{
	struct producer			*p = t->p;
	struct producer_req		*req = TAILQ_FIRST(&t->queued);
	struct producer_batch		*b;
	const struct client_route	*r;
	ProtobufCBinaryData		*parts;
	struct rpc			*rpc;
	uint64_t			 now, deadline = UINT64_MAX;
	size_t				 n, bytes, i, hlen;
	uint8_t				 head[PRODUCER_HEAD_MAX];
	int				 q;

	if ((r = client_route_get(p->c, req->s->topic)) == NULL ||
	    (q = producer_pick(p, req, r)) == -1 ||
	    (rpc = client_conn(p->c, r->queues[q].address)) == NULL) {
		/* Alone, it finds its route or its error. */
		TAILQ_REMOVE(&t->queued, req, entry);
		t->nqueued--;
		producer_dispatch(req);
		return (0);
	}
	n = t->nqueued < PRODUCER_BATCH_MAX ? t->nqueued : PRODUCER_BATCH_MAX;
	b = xmalloc(sizeof *b + n * sizeof *b->reqs);
	b->t = t;
	client_copy(b->broker, sizeof b->broker, r->queues[q].broker);
	hlen = client_send_head(head, sizeof head, p->group, req->s->topic,
	    (int32_t)r->queues[q].queue_id, client_host(p->c));
	parts = producer_parts(p, n + 1);
	parts[0].data = head;
	parts[0].len = hlen;
	for (i = 0, bytes = 0; i < n; i++) {
		req = TAILQ_FIRST(&t->queued);
		bytes += req->s->bodies;
		if (i > 0 && bytes > PRODUCER_BATCH_BYTES)
			break;
		TAILQ_REMOVE(&t->queued, req, entry);
		t->nqueued--;
		client_copy(req->broker, sizeof req->broker, b->broker);
		b->reqs[i] = req;
		parts[i + 1].data = req->s->data;
		parts[i + 1].len = req->s->len;
		if (req->deadline < deadline)
			deadline = req->deadline;
	}
	b->n = i;
	now = clock_mono_ms();
	t->inflight++;
	if (hlen != 0 && rpc_call_parts(rpc,
	    PETREL__REQUEST_CODE__CODE_SEND_BATCH, parts, b->n + 1,
	    deadline > now ? (uint32_t)(deadline - now) : 1,
	    producer_batch_sent, b) == 0)
		return (0);
	t->inflight--;
	for (i = 0; i < b->n; i++) {
		producer_finish(b->reqs[i], PETREL_E_NOT_SENT,
		    "the request cannot be sent");
	}
	free(b);
	return (-1);
}

/* Send what waits in t while fewer than PRODUCER_PIPELINE are in flight. */
static void
producer_flush(struct producer_topic *t)
{
	struct producer_req	*req;

	while (t->inflight < PRODUCER_PIPELINE && t->nqueued > 0) {
		if (t->nqueued == 1) {
			req = TAILQ_FIRST(&t->queued);
			TAILQ_REMOVE(&t->queued, req, entry);
			t->nqueued--;
			producer_dispatch(req);
		} else if (producer_send_batch(t) != 0)
			return;
	}
}

/* A route came (or not) for the sends of topic waiting for one. */
static void
producer_routed(const char *topic, const struct client_route *r,
    uint32_t status, const char *error, void *arg)
{
	struct producer		*p = arg;
	struct producer_reqs	 list;
	struct producer_req	*req, *next;

	TAILQ_INIT(&list);
	for (req = TAILQ_FIRST(&p->waiting); req != NULL; req = next) {
		next = TAILQ_NEXT(req, entry);
		if (strcmp(req->s->topic, topic) != 0)
			continue;
		TAILQ_REMOVE(&p->waiting, req, entry);
		TAILQ_INSERT_TAIL(&list, req, entry);
	}
	strmap_remove(p->asking, topic);
	while ((req = TAILQ_FIRST(&list)) != NULL) {
		TAILQ_REMOVE(&list, req, entry);
		if (r != NULL)
			producer_dispatch(req);
		else
			producer_finish(req, (int)status, *error != '\0' ?
			    error : "no route");
	}
}

/* The index of the queue of r a send goes to, or -1. */
static int
producer_pick(struct producer *p, struct producer_req *req,
    const struct client_route *r)
{
	const struct client_send	*s = req->s;
	const char			*avoid = NULL;
	uint32_t			 n = (uint32_t)r->nqueues;

	if (n == 0)
		return (-1);
	if (s->selector != NULL)
		return ((int)(s->selector(n, s->selector_msg,
		    s->selector_arg) % n));
	if (s->sharded)
		return ((int)(s->shard_hash % n));
	if (p->avoid[0] != '\0' && clock_mono_ms() < p->avoid_until)
		avoid = p->avoid;
	return (client_route_pick(r, &p->next, avoid));
}

/* Send req to a queue of its topic's route, or wait for the route. */
static void
producer_dispatch(struct producer_req *req)
{
	struct producer			*p = req->p;
	struct client_send		*s = req->s;
	const struct client_route	*r;
	const struct client_queue	*q;
	struct producer_topic		*t = NULL;
	ProtobufCBinaryData		 parts[2];
	struct rpc			*rpc;
	uint64_t			 now;
	uint32_t			 code, timeout;
	uint8_t				 head[PRODUCER_HEAD_MAX];
	int				 i, rc;

	if ((r = client_route_get(p->c, s->topic)) == NULL) {
		TAILQ_INSERT_TAIL(&p->waiting, req, entry);
		if (strmap_get(p->asking, s->topic) == NULL) {
			strmap_put(p->asking, s->topic, p);
			client_route(p->c, s->topic, 0, producer_routed, p);
		}
		return;
	}
	if (producer_plain(req)) {
		t = producer_topic(p, s->topic);
		if (t->inflight >= PRODUCER_PIPELINE) {
			TAILQ_INSERT_TAIL(&t->queued, req, entry);
			t->nqueued++;
			return;
		}
	}
	if ((i = producer_pick(p, req, r)) == -1) {
		producer_finish(req, PETREL_E_TOPIC_NOT_EXIST,
		    "no broker has a writable queue of the topic");
		return;
	}
	q = &r->queues[i];
	client_copy(req->broker, sizeof req->broker, q->broker);
	if ((rpc = client_conn(p->c, q->address)) == NULL) {
		producer_finish(req, PETREL_E_NOT_SENT, "bad broker address");
		return;
	}
	now = clock_mono_ms();
	timeout = req->deadline > now ? (uint32_t)(req->deadline - now) : 1;

	code = s->batch ? PETREL__REQUEST_CODE__CODE_SEND_BATCH :
	    PETREL__REQUEST_CODE__CODE_SEND_MESSAGE;
	parts[0].data = head;
	parts[0].len = client_send_head(head, sizeof head, p->group, s->topic,
	    (int32_t)q->queue_id, client_host(p->c));
	parts[1].data = s->data;
	parts[1].len = s->len;
	if (t != NULL) {
		req->t = t;
		t->inflight++;
	}
	if (parts[0].len == 0)
		rc = -1;
	else if (s->mode == PETREL__SEND_MODE__SEND_ONEWAY)
		rc = rpc_oneway_parts(rpc, code, parts, 2);
	else
		rc = rpc_call_parts(rpc, code, parts, 2, timeout, producer_sent,
		    req);
	if (rc != 0) {
		producer_release(req);
		producer_finish(req, PETREL_E_NOT_SENT,
		    "the request cannot be sent");
	} else if (s->mode == PETREL__SEND_MODE__SEND_ONEWAY)
		producer_finish(req, PETREL_OK, NULL);
}

/*
 * The API queued sends on the gate: take them all, each with a deadline
 * of now plus the producer's timeout.  The producer cannot close while
 * they are taken: it closes only once the API has nothing in flight.
 */
static int
producer_on_tick(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct producer		*p = state;
	Petrel__Tick		*tick = (Petrel__Tick *)m;
	struct producer_req	*req;
	struct client_send	*s, *next;
	uint64_t		 deadline;

	if (!p->configured || tick->id != CLIENT_TICK_SENDS) {
		log_warnx("%s: tick %u unexpected", __func__, tick->id);
		return (-1);
	}
	deadline = clock_mono_ms() + p->timeout_ms;
	for (s = client_gate_take(p->gate); s != NULL; s = next) {
		next = s->next;
		if ((req = p->spare) != NULL)
			p->spare = *(struct producer_req **)req;
		else
			req = xmalloc(sizeof *req);
		memset(req, 0, sizeof *req);
		req->p = p;
		req->s = s;
		req->deadline = deadline;
		p->inflight++;
		producer_dispatch(req);
	}
	return (0);
}

static int
producer_on_close(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct producer		*p = state;
	Petrel__ProducerClose	*c = (Petrel__ProducerClose *)m;

	if (c->waiter == 0 || p->closer != NULL) {
		log_warnx("%s: bad close", __func__);
		return (-1);
	}
	p->closer = (struct client_wait *)(uintptr_t)c->waiter;
	if (!p->configured) {
		client_wait_done(p->closer, PETREL_OK, NULL);
		actor_free(p->self);	/* once this handler returns */
		return (0);
	}
	if (p->inflight == 0)
		producer_closed(p);
	return (0);
}
