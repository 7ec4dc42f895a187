/*
 * Producer: one per petrel_producer, on its client's loop.  Takes
 * ProducerSend messages from the API (lib/petrel_producer.c), chooses a
 * write queue of the topic's route (lib/client.c) and calls that queue's
 * broker (CODE_SEND_MESSAGE or CODE_SEND_BATCH), then answers the waiting
 * caller (SEND_SYNC), calls the callback (SEND_ASYNC) or, for SEND_ONEWAY,
 * nothing.
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

#define PRODUCER_PIPELINE	4	/* plain requests in flight a topic */
#define PRODUCER_BATCH_MAX	1024
#define PRODUCER_BATCH_BYTES	(4U << 20)

/* One send in flight. */
struct producer_req {
	struct producer			*p;
	Petrel__ProducerSend		*m;
	const char			*topic;
	struct producer_topic		*t;	/* counted in t->inflight */
	uint32_t			 tries;
	uint64_t			 deadline;	/* monotonic ms */
	char				 broker[PETREL_NAME_MAX];
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
	Petrel__OutgoingMessage	**bmsgs;	/* a batch being encoded */
	size_t			 capbmsgs;
};

static int	producer_init(struct actor *, void *);
static void	producer_fini(void *);
static int	producer_on_config(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	producer_on_send(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	producer_on_close(void *, ProtobufCMessage *,
		    const struct envelope *);

static void	producer_dispatch(struct producer_req *);
static void	producer_flush(struct producer_topic *);
static int	producer_pick(struct producer *, struct producer_req *,
		    const struct client_route *);

static const struct actor_handler producer_handlers[] = {
	{ &petrel__producer_config__descriptor, producer_on_config },
	{ &petrel__producer_send__descriptor, producer_on_send },
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
		msg_free(req->m);
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
		msg_free(req->m);
		free(req);
	}
	while ((req = p->spare) != NULL) {
		p->spare = *(struct producer_req **)req;
		free(req);
	}
	strmap_free(p->asking, NULL);
	strmap_free(p->topics, producer_topic_free);
	free(p->bmsgs);
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

/* Copy a SendResult into r. */
static void
producer_result(struct petrel_send_result *r, uint32_t status,
    const char *broker, const Petrel__SendResult *sr)
{
	memset(r, 0, sizeof *r);
	r->status = (int)status;
	client_copy(r->broker, sizeof r->broker, broker);
	if (sr == NULL)
		return;
	client_copy(r->msg_id, sizeof r->msg_id, sr->msg_id);
	client_copy(r->unique_id, sizeof r->unique_id, sr->unique_id);
	r->queue_id = sr->queue_id;
	r->queue_offset = sr->queue_offset;
}

/*
 * A send is over with code (PETREL_OK and the broker's status and results
 * of its nres messages, or an error and text): answer its caller and
 * forget it.
 */
static void
producer_answer(struct producer_req *req, int code, const char *text,
    uint32_t status, Petrel__SendResult *const *res, size_t nres)
{
	struct producer			*p = req->p;
	Petrel__ProducerSend		*m = req->m;
	struct client_wait		*w;
	struct petrel_send_result	*results, r;
	struct petrel_error		 err;
	petrel_send_cb			 cb;
	size_t				 i, n;

	switch (m->mode) {
	case PETREL__SEND_MODE__SEND_SYNC:
		w = (struct client_wait *)(uintptr_t)m->waiter;
		results = w->arg;
		n = w->n;
		for (i = 0; i < n; i++) {
			producer_result(&results[i], status, req->broker,
			    i < nres ? res[i] : NULL);
		}
		if (nres != n && code == PETREL_OK) {
			code = PETREL_E_PROTOCOL;
			text = "the broker answered a batch with another count";
		}
		client_wait_done(w, code, text);
		break;
	case PETREL__SEND_MODE__SEND_ASYNC:
		cb = (petrel_send_cb)(uintptr_t)m->callback;
		producer_result(&r, status, req->broker, nres > 0 ? res[0] :
		    NULL);
		if (m->one != NULL && m->one->message != NULL && r.unique_id[0] ==
		    '\0')
			snprintf(r.unique_id, sizeof r.unique_id, "%s",
			    m->one->message->unique_id);
		if (code != PETREL_OK) {
			err.code = code;
			snprintf(err.text, sizeof err.text, "%s",
			    text != NULL && *text != '\0' ? text :
			    petrel_strerror(code));
		}
		if (cb != NULL)
			cb(&r, code != PETREL_OK ? &err : NULL,
			    (void *)(uintptr_t)m->callback_arg);
		client_gate_leave(p->gate);
		break;
	default:
		client_gate_leave(p->gate);
		break;
	}
	msg_free(req->m);
	*(struct producer_req **)req = p->spare;
	p->spare = req;
	if (--p->inflight == 0 && p->closer != NULL)
		producer_closed(p);
}

/* producer_answer() with the broker's answer resp (or none), then free it. */
static void
producer_finish(struct producer_req *req, int code, const char *text,
    ProtobufCMessage *resp)
{
	Petrel__SendMessageResponse	*one;
	Petrel__SendBatchResponse	*batch;

	if (resp == NULL)
		producer_answer(req, code, text, (uint32_t)code, NULL, 0);
	else if (msg_is(resp, &petrel__send_message_response__descriptor)) {
		one = (Petrel__SendMessageResponse *)resp;
		producer_answer(req, code, text, one->status, &one->result, 1);
	} else {
		batch = (Petrel__SendBatchResponse *)resp;
		producer_answer(req, code, text, batch->status, batch->results,
		    batch->n_results);
	}
	msg_free(resp);
}

/* Whether req may travel in one batch with other sends of its topic. */
static int
producer_plain(const struct producer_req *req)
{
	const Petrel__ProducerSend	*m = req->m;

	return (m->one != NULL && m->one->message != NULL &&
	    m->one->message->delay_level == 0 && m->selector == 0 &&
	    !m->sharded && m->mode != PETREL__SEND_MODE__SEND_ONEWAY);
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
	    req->m->selector == 0 && !req->m->sharded &&
	    clock_mono_ms() < req->deadline) {
		req->tries++;
		producer_dispatch(req);
		return;
	}
	producer_answer(req, (int)status, error, status, NULL, 0);
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

/* A broker answered a send, or the send failed. */
static void
producer_sent(uint32_t status, const char *error, ProtobufCMessage *body,
    void *arg)
{
	struct producer_req	*req = arg;

	producer_release(req);
	if (status == PETREL__STATUS__STATUS_OK) {
		producer_finish(req, PETREL_OK, NULL, body);
		return;
	}
	producer_avoid(req->p, req->broker, req->topic, status, error);
	producer_failed(req, status, error);
}

/* A broker answered a batch of coalesced sends, or the batch failed. */
static void
producer_batch_sent(uint32_t status, const char *error,
    ProtobufCMessage *body, void *arg)
{
	struct producer_batch		*b = arg;
	struct producer_topic		*t = b->t;
	Petrel__SendBatchResponse	*resp = (Petrel__SendBatchResponse *)body;
	size_t				 i;

	t->inflight--;
	producer_flush(t);
	if (status == PETREL__STATUS__STATUS_OK && resp->n_results != b->n) {
		status = PETREL_E_PROTOCOL;
		error = "the broker answered a batch with another count";
	} else if (status == PETREL__STATUS__STATUS_OK) {
		for (i = 0; i < b->n; i++) {
			producer_answer(b->reqs[i], PETREL_OK, NULL,
			    resp->status, resp->results + i, 1);
		}
		goto out;
	} else
		producer_avoid(t->p, b->broker, b->reqs[0]->topic, status,
		    error);
	/* The last answer may free the producer: touch nothing after. */
	for (i = 0; i < b->n; i++)
		producer_failed(b->reqs[i], status, error);
out:
	msg_free(body);
	free(b);
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
	Petrel__SendBatchRequest	 br = PETREL__SEND_BATCH_REQUEST__INIT;
	struct rpc			*rpc;
	uint64_t			 now, deadline = UINT64_MAX;
	size_t				 n, bytes, i;
	int				 q;

	if ((r = client_route_get(p->c, req->topic)) == NULL ||
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
	if (n > p->capbmsgs) {
		p->bmsgs = xreallocarray(p->bmsgs, n, sizeof *p->bmsgs);
		p->capbmsgs = n;
	}
	for (i = 0, bytes = 0; i < n; i++) {
		req = TAILQ_FIRST(&t->queued);
		bytes += req->m->one->message->body.len;
		if (i > 0 && bytes > PRODUCER_BATCH_BYTES)
			break;
		TAILQ_REMOVE(&t->queued, req, entry);
		t->nqueued--;
		client_copy(req->broker, sizeof req->broker, b->broker);
		b->reqs[i] = req;
		p->bmsgs[i] = req->m->one->message;
		if (req->deadline < deadline)
			deadline = req->deadline;
	}
	b->n = i;
	br.producer_group = p->group;
	br.topic = (char *)b->reqs[0]->topic;
	br.queue_id = (int32_t)r->queues[q].queue_id;
	br.born_host = (char *)client_host(p->c);
	br.n_messages = b->n;
	br.messages = p->bmsgs;
	now = clock_mono_ms();
	t->inflight++;
	if (rpc_call(rpc, PETREL__REQUEST_CODE__CODE_SEND_BATCH, &br.base,
	    deadline > now ? (uint32_t)(deadline - now) : 1,
	    producer_batch_sent, b) == 0)
		return (0);
	t->inflight--;
	for (i = 0; i < b->n; i++) {
		producer_answer(b->reqs[i], PETREL_E_NOT_SENT,
		    "the request cannot be sent", PETREL_E_NOT_SENT, NULL, 0);
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
		if (strcmp(req->topic, topic) != 0)
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
			    error : "no route", NULL);
	}
}

/* The index of the queue of r a send goes to, or -1. */
static int
producer_pick(struct producer *p, struct producer_req *req,
    const struct client_route *r)
{
	Petrel__ProducerSend	*m = req->m;
	petrel_selector		 fn;
	const char		*avoid = NULL;
	uint32_t		 n = (uint32_t)r->nqueues;

	if (n == 0)
		return (-1);
	if (m->selector != 0) {
		fn = (petrel_selector)(uintptr_t)m->selector;
		return ((int)(fn(n, (const struct petrel_msg *)(uintptr_t)
		    m->selector_msg, (void *)(uintptr_t)m->selector_arg) % n));
	}
	if (m->sharded)
		return ((int)(m->shard_hash % n));
	if (p->avoid[0] != '\0' && clock_mono_ms() < p->avoid_until)
		avoid = p->avoid;
	return (client_route_pick(r, &p->next, avoid));
}

/* Send req to a queue of its topic's route, or wait for the route. */
static void
producer_dispatch(struct producer_req *req)
{
	struct producer			*p = req->p;
	Petrel__ProducerSend		*m = req->m;
	const struct client_route	*r;
	const struct client_queue	*q;
	const ProtobufCMessage		*body;
	struct producer_topic		*t = NULL;
	struct rpc			*rpc;
	uint64_t			 now;
	uint32_t			 code, timeout;
	int				 i, rc;

	if ((r = client_route_get(p->c, req->topic)) == NULL) {
		TAILQ_INSERT_TAIL(&p->waiting, req, entry);
		if (strmap_get(p->asking, req->topic) == NULL) {
			strmap_put(p->asking, req->topic, p);
			client_route(p->c, req->topic, 0, producer_routed, p);
		}
		return;
	}
	if (producer_plain(req)) {
		t = producer_topic(p, req->topic);
		if (t->inflight >= PRODUCER_PIPELINE) {
			TAILQ_INSERT_TAIL(&t->queued, req, entry);
			t->nqueued++;
			return;
		}
	}
	if ((i = producer_pick(p, req, r)) == -1) {
		producer_finish(req, PETREL_E_TOPIC_NOT_EXIST,
		    "no broker has a writable queue of the topic", NULL);
		return;
	}
	q = &r->queues[i];
	client_copy(req->broker, sizeof req->broker, q->broker);
	if ((rpc = client_conn(p->c, q->address)) == NULL) {
		producer_finish(req, PETREL_E_NOT_SENT, "bad broker address",
		    NULL);
		return;
	}
	now = clock_mono_ms();
	timeout = req->deadline > now ? (uint32_t)(req->deadline - now) : 1;

	/* The group and host are ours, lent for the encoding only. */
	if (m->one != NULL) {
		m->one->queue_id = (int32_t)q->queue_id;
		m->one->producer_group = p->group;
		m->one->born_host = (char *)client_host(p->c);
		code = PETREL__REQUEST_CODE__CODE_SEND_MESSAGE;
		body = &m->one->base;
	} else {
		m->batch->queue_id = (int32_t)q->queue_id;
		m->batch->producer_group = p->group;
		m->batch->born_host = (char *)client_host(p->c);
		code = PETREL__REQUEST_CODE__CODE_SEND_BATCH;
		body = &m->batch->base;
	}
	if (t != NULL) {
		req->t = t;
		t->inflight++;
	}
	if (m->mode == PETREL__SEND_MODE__SEND_ONEWAY)
		rc = rpc_oneway(rpc, code, body);
	else
		rc = rpc_call(rpc, code, body, timeout, producer_sent, req);
	if (m->one != NULL) {
		m->one->producer_group = (char *)protobuf_c_empty_string;
		m->one->born_host = (char *)protobuf_c_empty_string;
	} else {
		m->batch->producer_group = (char *)protobuf_c_empty_string;
		m->batch->born_host = (char *)protobuf_c_empty_string;
	}
	if (rc != 0) {
		producer_release(req);
		producer_finish(req, PETREL_E_NOT_SENT,
		    "the request cannot be sent", NULL);
	}
	else if (m->mode == PETREL__SEND_MODE__SEND_ONEWAY)
		producer_finish(req, PETREL_OK, NULL, NULL);
}

static int
producer_on_send(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct producer		*p = state;
	Petrel__ProducerSend	*s = (Petrel__ProducerSend *)m;
	struct producer_req	*req;

	if ((req = p->spare) != NULL)
		p->spare = *(struct producer_req **)req;
	else
		req = xmalloc(sizeof *req);
	memset(req, 0, sizeof *req);
	req->p = p;
	req->m = s;
	req->deadline = clock_mono_ms() + p->timeout_ms;
	p->inflight++;
	if (!p->configured || (s->one == NULL) == (s->batch == NULL) ||
	    s->mode > PETREL__SEND_MODE__SEND_ONEWAY) {
		req->topic = "";
		producer_finish(req, PETREL_E_NOT_SENT, "bad send request",
		    NULL);
		return (ACTOR_KEPT);
	}
	req->topic = s->one != NULL ? s->one->topic : s->batch->topic;
	producer_dispatch(req);
	return (ACTOR_KEPT);
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
