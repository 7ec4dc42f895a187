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
#include "log.h"
#include "msg.h"
#include "rpc.h"
#include "strmap.h"
#include "xmalloc.h"

#include "proto/client.pb-c.h"
#include "proto/frame.pb-c.h"

/* One send in flight. */
struct producer_req {
	struct producer			*p;
	Petrel__ProducerSend		*m;
	const char			*topic;
	uint32_t			 tries;
	uint64_t			 deadline;	/* monotonic ms */
	char				 broker[PETREL_NAME_MAX];
	TAILQ_ENTRY(producer_req)	 entry;
};
TAILQ_HEAD(producer_reqs, producer_req);

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
	size_t			 inflight;
	struct client_wait	*closer;
	struct producer_req	*spare;
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
	return (0);
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
	snprintf(r->broker, sizeof r->broker, "%s", broker);
	if (sr == NULL)
		return;
	snprintf(r->msg_id, sizeof r->msg_id, "%s", sr->msg_id);
	snprintf(r->unique_id, sizeof r->unique_id, "%s", sr->unique_id);
	r->queue_id = sr->queue_id;
	r->queue_offset = sr->queue_offset;
}

/*
 * A send is over with code (PETREL_OK and the broker's answer resp, or an
 * error and text): answer its caller and forget it.
 */
static void
producer_finish(struct producer_req *req, int code, const char *text,
    ProtobufCMessage *resp)
{
	struct producer			*p = req->p;
	Petrel__ProducerSend		*m = req->m;
	Petrel__SendMessageResponse	*one = NULL;
	Petrel__SendBatchResponse	*batch = NULL;
	struct client_wait		*w;
	struct petrel_send_result	*results, r;
	struct petrel_error		 err;
	petrel_send_cb			 cb;
	uint32_t			 status = (uint32_t)code;
	size_t				 i, n;

	if (resp != NULL && msg_is(resp,
	    &petrel__send_message_response__descriptor)) {
		one = (Petrel__SendMessageResponse *)resp;
		status = one->status;
	} else if (resp != NULL) {
		batch = (Petrel__SendBatchResponse *)resp;
		status = batch->status;
	}
	switch (m->mode) {
	case PETREL__SEND_MODE__SEND_SYNC:
		w = (struct client_wait *)(uintptr_t)m->waiter;
		results = w->arg;
		n = w->n;
		for (i = 0; i < n; i++) {
			producer_result(&results[i], status, req->broker,
			    one != NULL ? one->result : batch != NULL &&
			    i < batch->n_results ? batch->results[i] : NULL);
		}
		if (batch != NULL && batch->n_results != n && code == 0) {
			code = PETREL_E_PROTOCOL;
			text = "the broker answered a batch with another count";
		}
		client_wait_done(w, code, text);
		break;
	case PETREL__SEND_MODE__SEND_ASYNC:
		cb = (petrel_send_cb)(uintptr_t)m->callback;
		producer_result(&r, status, req->broker,
		    one != NULL ? one->result : NULL);
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
	msg_free(resp);
	msg_free(req->m);
	*(struct producer_req **)req = p->spare;
	p->spare = req;
	if (--p->inflight == 0 && p->closer != NULL)
		producer_closed(p);
}

/* A broker answered a send, or the send failed. */
static void
producer_sent(uint32_t status, const char *error, ProtobufCMessage *body,
    void *arg)
{
	struct producer_req	*req = arg;
	struct producer		*p = req->p;

	if (status == PETREL__STATUS__STATUS_OK) {
		producer_finish(req, PETREL_OK, NULL, body);
		return;
	}
	log_debug("send to %s of %s: %s (%u)", req->broker, req->topic, error,
	    status);
	snprintf(p->avoid, sizeof p->avoid, "%s", req->broker);
	p->avoid_until = client_now_ms() + CLIENT_AVOID_MS;
	client_route_stale(p->c, req->topic);
	if (producer_retriable(status) && req->tries < p->retries &&
	    req->m->selector == 0 && !req->m->sharded &&
	    client_now_ms() < req->deadline) {
		req->tries++;
		producer_dispatch(req);
		return;
	}
	producer_finish(req, (int)status, error, NULL);
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
	if (p->avoid[0] != '\0' && client_now_ms() < p->avoid_until)
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
	if ((i = producer_pick(p, req, r)) == -1) {
		producer_finish(req, PETREL_E_TOPIC_NOT_EXIST,
		    "no broker has a writable queue of the topic", NULL);
		return;
	}
	q = &r->queues[i];
	snprintf(req->broker, sizeof req->broker, "%s", q->broker);
	if ((rpc = client_conn(p->c, q->address)) == NULL) {
		producer_finish(req, PETREL_E_NOT_SENT, "bad broker address",
		    NULL);
		return;
	}
	now = client_now_ms();
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
	if (rc != 0)
		producer_finish(req, PETREL_E_NOT_SENT,
		    "the request cannot be sent", NULL);
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
	req->deadline = client_now_ms() + p->timeout_ms;
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
