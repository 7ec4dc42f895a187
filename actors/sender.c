/*
 * The broker's send path: answers CODE_SEND_MESSAGE, CODE_SEND_BATCH and
 * CODE_CONSUMER_SEND_BACK, which the listener routes to it.
 *
 * Keeps a copy of the topic manager's table (TopicTableRequest once
 * configured and after each TopicsChanged).  A request for a topic the
 * copy lacks is parked and the topic asked of the topic manager with
 * TopicLookup{create}, once per topic however many requests wait for it.
 * Sends come undecoded (EncodedRequest, routed so by the daemon): the
 * sender reads them in place (brokermsg_out_read()) and checks them.
 * Once the topic is known and writable, it lays each message out as a
 * commit log record (brokermsg_out_record()), all the records of a
 * request in one buffer: the body is copied once, out of the frame, and
 * no message costs an allocation.  They go to the commit log writer as
 * one PutRequest; the writer gathers what arrives together into one
 * append, so there is no batching here.  The client's envelope waits,
 * keyed by the ask's cookie, for the PutResponse, and is answered with a
 * response encoded by hand (brokermsg_put_result()).
 *
 * A message with a delay level is stored in %DELAY% (queue level - 1)
 * with REAL_TOPIC, REAL_QID and DELAY for the scheduler, which stores it
 * in its real topic when due.  A send-back first reads the message from
 * the dispatcher (LookupRequest), then stores the copy in %RETRY%<group>
 * (through %DELAY%) or, past its tries, in %DLQ%<group>.
 */
#include "config.h"

#include <sys/queue.h>

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actor.h"
#include "broker.h"
#include "clock.h"
#include "commitlog.h"
#include "idmap.h"
#include "log.h"
#include "msg.h"
#include "strmap.h"
#include "xmalloc.h"

#include "proto/broker.pb-c.h"
#include "proto/brokerd.pb-c.h"
#include "proto/frame.pb-c.h"
#include "proto/namesrv.pb-c.h"
#include "proto/runtime.pb-c.h"
#include "proto/store.pb-c.h"
#include "proto/transport.pb-c.h"

#define SENDER_BATCH_BODY_MAX	(4 * 1024 * 1024)	/* bodies of a batch */
#define SENDER_DEFAULT_DELAY	3	/* send-back: 3 + reconsume times */


enum sender_kind {
	SENDER_SEND,
	SENDER_BATCH,
	SENDER_BACK
};

struct sender_lookup;

/* A client request between its arrival and its answer. */
struct sender_req {
	TAILQ_ENTRY(sender_req)	 entry;		/* sender's reqs */
	TAILQ_ENTRY(sender_req)	 park;		/* its lookup's parked */
	enum sender_kind	 kind;
	struct envelope		 env;		/* the client's */
	ProtobufCMessage	*req;		/* send: until answered */
	Petrel__StoreMessage	*orig;		/* send-back: the message */
	char			*topic;		/* send's, or retry or DLQ */
	uint32_t		 delay;		/* level, 0 none */
	uint32_t		 max;		/* tries, 0 the default */
	int32_t			 qid;		/* send: asked, -1 any */
	uint32_t		 queue;		/* the queue stored to */
	uint8_t			 born[16];	/* send: the producer */
	uint32_t		 born_port;
	uint32_t		 reconsume;	/* send: as it came */
	struct brokermsg_out	*outs;		/* send: its messages */
	size_t			 nouts;
	ProtobufCMessage	*resp;		/* answer being filled */
	int			 delayed;	/* stored in %DELAY% */
	uint64_t		 cookie;	/* pending ask, 0 if none */
	struct sender_lookup	*lookup;	/* parked on, or NULL */
};
TAILQ_HEAD(sender_reqs, sender_req);

/* A TopicLookup asked and the requests waiting for it. */
struct sender_lookup {
	char			*topic;
	uint64_t		 cookie;
	struct sender_reqs	 parked;
};

struct sender {
	struct actor		*self;
	struct actor		*writer;
	struct actor		*topic_manager;
	struct actor		*dispatcher;
	uint8_t			 host[16];	/* store host */
	uint32_t		 port;
	uint32_t		 max_reconsume;
	int			 configured;
	int			 stopped;

	struct topiccache	*topics;
	struct strmap		*rr;		/* topic: uint32_t next queue */
	struct sender_reqs	 reqs;		/* every live request */
	struct idmap		*asks;		/* cookie: sender_req */
	struct idmap		*lookups;	/* cookie: sender_lookup */
	struct strmap		*looking;	/* topic: sender_lookup */
	uint64_t		 next_cookie;
	uint64_t		 table_cookie;
	char			*scratch;	/* a record's properties */
	size_t			 scap;
};

static int	sender_init(struct actor *, void *);
static void	sender_fini(void *);
static int	sender_on_config(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	sender_on_send(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	sender_on_back(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	sender_on_table(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	sender_on_changed(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	sender_on_lookup_result(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	sender_on_found(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	sender_on_put(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	sender_on_error(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	sender_on_stop(void *, ProtobufCMessage *,
		    const struct envelope *);

static const struct actor_handler sender_handlers[] = {
	{ &petrel__sender_config__descriptor,		sender_on_config },
	{ &petrel__encoded_request__descriptor,		sender_on_send },
	{ &petrel__consumer_send_back_request__descriptor, sender_on_back },
	{ &petrel__topic_table__descriptor,		sender_on_table },
	{ &petrel__topics_changed__descriptor,		sender_on_changed },
	{ &petrel__topic_lookup_result__descriptor,
	    sender_on_lookup_result },
	{ &petrel__lookup_response__descriptor,		sender_on_found },
	{ &petrel__put_response__descriptor,		sender_on_put },
	{ &petrel__error__descriptor,			sender_on_error },
	{ &petrel__stop__descriptor,			sender_on_stop },
	{ NULL, NULL }
};

const struct actor_type sender_actor = {
	.name = "sender",
	.size = sizeof(struct sender),
	.init = sender_init,
	.fini = sender_fini,
	.handlers = sender_handlers
};

/* Empty state: no topics, nothing waiting. */
static int
sender_init(struct actor *a, void *state)
{
	struct sender	*s = state;

	s->self = a;
	s->max_reconsume = BROKER_MAX_RECONSUME;
	s->topics = topiccache_new();
	s->rr = strmap_new();
	TAILQ_INIT(&s->reqs);
	s->asks = idmap_new();
	s->lookups = idmap_new();
	s->looking = strmap_new();
	s->next_cookie = 1;
	return (0);
}

/* Free a request and everything it holds; it must be off every list. */
static void
sender_req_free(struct sender_req *r)
{
	if (r->req != NULL)
		msg_free(r->req);
	if (r->orig != NULL)
		msg_free(r->orig);
	if (r->resp != NULL)
		msg_free(r->resp);
	free(r->topic);
	free(r->outs);
	free(r);
}

/* Free a lookup (its parked requests are the sender's to free). */
static void
sender_lookup_free(void *p)
{
	struct sender_lookup	*lk = p;

	free(lk->topic);
	free(lk);
}

/* Free what is left; fini never answers (it must not send). */
static void
sender_fini(void *state)
{
	struct sender		*s = state;
	struct sender_req	*r;

	while ((r = TAILQ_FIRST(&s->reqs)) != NULL) {
		TAILQ_REMOVE(&s->reqs, r, entry);
		sender_req_free(r);
	}
	idmap_free(s->asks);
	idmap_free(s->lookups);
	strmap_free(s->looking, sender_lookup_free);
	strmap_free(s->rr, free);
	topiccache_free(s->topics);
	free(s->scratch);
}

/* The next cookie of an ask. */
static uint64_t
sender_cookie(struct sender *s)
{
	return (s->next_cookie++);
}

/* Take a request kept by a handler onto the list of live requests. */
static struct sender_req *
sender_req_new(struct sender *s, enum sender_kind kind, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct sender_req	*r;

	r = xcalloc(1, sizeof *r);
	r->kind = kind;
	r->env = *env;
	r->req = m;
	TAILQ_INSERT_TAIL(&s->reqs, r, entry);
	return (r);
}

/* Answer r with the response it filled, then free r. */
static void
sender_answer(struct sender *s, struct sender_req *r)
{
	TAILQ_REMOVE(&s->reqs, r, entry);
	actor_reply(&r->env, r->resp);
	r->resp = NULL;
	sender_req_free(r);
}

static void	sender_fail(struct sender *, struct sender_req *, uint32_t,
		    const char *, ...)
		    __attribute__((__format__ (printf, 4, 5)));

/* Answer r with an error, then free r. */
static void
sender_fail(struct sender *s, struct sender_req *r, uint32_t status,
    const char *fmt, ...)
{
	va_list	 ap;
	char	*text;

	va_start(ap, fmt);
	xvasprintf(&text, fmt, ap);
	va_end(ap);
	TAILQ_REMOVE(&s->reqs, r, entry);
	actor_reply_error(&r->env, status, "%s", text);
	free(text);
	sender_req_free(r);
}

/* Ask the topic manager for the whole table. */
static void
sender_ask_table(struct sender *s)
{
	s->table_cookie = sender_cookie(s);
	actor_ask(s->topic_manager,
	    msg_new(&petrel__topic_table_request__descriptor), s->self,
	    s->table_cookie);
}

/* Take the peers and the store address; then ask for the topic table. */
static int
sender_on_config(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct sender		*s = state;
	Petrel__SenderConfig	*c = (Petrel__SenderConfig *)m;
	Petrel__Configured	*ack;
	const char		*why = NULL;

	ack = msg_new(&petrel__configured__descriptor);
	if ((s->writer = actor_deref(c->writer)) == NULL)
		why = "no writer";
	else if ((s->topic_manager = actor_deref(c->topic_manager)) == NULL)
		why = "no topic manager";
	else if ((s->dispatcher = actor_deref(c->dispatcher)) == NULL)
		why = "no dispatcher";
	else if (c->store_host.len != 16 || c->store_port > 65535)
		why = "store host must be 16 bytes and a port";
	if (why != NULL) {
		log_warnx("sender: %s", why);
		msg_set_string(&ack->error, why);
		s->configured = 0;
		return (actor_reply(env, ack));
	}
	memcpy(s->host, c->store_host.data, 16);
	s->port = c->store_port;
	s->max_reconsume = c->max_reconsume_times != 0 ?
	    c->max_reconsume_times : BROKER_MAX_RECONSUME;
	s->configured = 1;
	actor_reply(env, ack);
	sender_ask_table(s);
	return (0);
}

/* Whether env can be served now; if not, it is answered. */
static int
sender_unready(struct sender *s, const struct envelope *env)
{
	if (s->stopped)
		actor_reply_error(env,
		    PETREL__STATUS__STATUS_SERVICE_NOT_AVAILABLE,
		    "broker stopping");
	else if (!s->configured)
		actor_reply_error(env,
		    PETREL__STATUS__STATUS_SERVICE_NOT_AVAILABLE,
		    "sender not configured");
	else
		return (0);
	return (1);
}

/*
 * Check what a single or batch send has in common, parsing born into r.
 * NULL if good, else a reason in buf.
 */
static const char *
sender_check_send(struct sender_req *r, const char *group, const char *topic,
    const char *born, char *buf, size_t len)
{
	const char	*why;
	int32_t		 qid = r->qid;
	size_t		 rl = strlen(BROKER_RETRY_PREFIX);

	if ((why = brokerlib_check_name("producer_group", group,
	    BROKERLIB_GROUP, buf, len)) != NULL)
		return (why);
	/* Consumers resend to %RETRY%<group> themselves. */
	if (strncmp(topic, BROKER_RETRY_PREFIX, rl) == 0 && topic[rl] != '\0')
		why = brokerlib_check_name("topic", topic, BROKERLIB_TOPIC,
		    buf, len);
	else
		why = brokerlib_check_name("topic", topic,
		    BROKERLIB_USER_TOPIC, buf, len);
	if (why != NULL)
		return (why);
	if (qid < -1) {
		snprintf(buf, len, "queue_id %" PRId32 ": -1 or a queue", qid);
		return (buf);
	}
	if (brokermsg_parse_host(born, r->born, &r->born_port) != 0) {
		snprintf(buf, len, "born_host \"%.64s\" is not host:port",
		    born);
		return (buf);
	}
	return (NULL);
}

/* Look r's topic up, parking r until the topic manager answers. */
static void
sender_park(struct sender *s, struct sender_req *r, const char *topic)
{
	struct sender_lookup	*lk;
	Petrel__TopicLookup	*tl;

	if ((lk = strmap_get(s->looking, topic)) == NULL) {
		lk = xcalloc(1, sizeof *lk);
		lk->topic = xstrdup(topic);
		lk->cookie = sender_cookie(s);
		TAILQ_INIT(&lk->parked);
		strmap_put(s->looking, topic, lk);
		idmap_put(s->lookups, lk->cookie, lk);
		tl = msg_new(&petrel__topic_lookup__descriptor);
		msg_set_string(&tl->topic, topic);
		tl->create = 1;
		actor_ask(s->topic_manager, tl, s->self, lk->cookie);
	}
	TAILQ_INSERT_TAIL(&lk->parked, r, park);
	r->lookup = lk;
}

/*
 * The queue of topic tc for r: the asked one, or the next in turn.  -1
 * with r answered if it cannot be written.
 */
static int64_t
sender_queue(struct sender *s, struct sender_req *r,
    const Petrel__TopicConfig *tc)
{
	uint32_t	*next;
	int32_t		 qid = r->kind == SENDER_BACK ? -1 : r->qid;

	if ((tc->perm & PETREL__PERM__PERM_WRITE) == 0 ||
	    tc->write_queues == 0) {
		sender_fail(s, r, PETREL__STATUS__STATUS_NOT_WRITABLE,
		    "topic %s is not writable", tc->name);
		return (-1);
	}
	if (qid >= 0) {
		if ((uint32_t)qid >= tc->write_queues) {
			sender_fail(s, r, PETREL__STATUS__STATUS_BAD_REQUEST,
			    "queue_id %" PRId32 ": topic %s has %u write "
			    "queues", qid, tc->name, tc->write_queues);
			return (-1);
		}
		return (qid);
	}
	if ((next = strmap_get(s->rr, tc->name)) == NULL) {
		next = xcalloc(1, sizeof *next);
		strmap_put(s->rr, tc->name, next);
	}
	return ((*next)++ % tc->write_queues);
}

/* Put sm into %DELAY% for level, to go to topic and qid when due. */
static void
sender_delay(Petrel__StoreMessage *sm, uint32_t level)
{
	char	buf[16];

	brokermsg_set_prop(sm, BROKER_PROP_REAL_TOPIC, sm->topic);
	snprintf(buf, sizeof buf, "%u", sm->queue_id);
	brokermsg_set_prop(sm, BROKER_PROP_REAL_QID, buf);
	snprintf(buf, sizeof buf, "%u", level);
	brokermsg_set_prop(sm, BROKER_PROP_DELAY, buf);
	msg_set_string(&sm->topic, BROKER_DELAY_TOPIC);
	sm->queue_id = level - 1;
}

/*
 * Build the PutRequest of a send or a batch: its messages laid out as
 * records for topic and queue qid (or %DELAY%, to go there when due).
 * NULL with r answered if a message cannot be stored.
 */
static Petrel__PutRequest *
sender_build_records(struct sender *s, struct sender_req *r,
    const char *topic, uint32_t qid)
{
	struct brokermsg_place	 pl;
	Petrel__PutRequest	*put;
	uint8_t			*buf;
	size_t			 len = 0, cap = 0, i;
	char			 why[256], max[16], rqid[16], level[16];

	memset(&pl, 0, sizeof pl);
	pl.topic = topic;
	pl.queue_id = qid;
	memcpy(pl.born, r->born, 16);
	pl.born_port = (uint16_t)r->born_port;
	pl.now = clock_wall_ms();
	pl.reconsume = r->reconsume;
	if (r->max != 0) {
		snprintf(max, sizeof max, "%u", r->max);
		pl.extra[pl.nextra].name = BROKER_PROP_MAX_RECONSUME;
		pl.extra[pl.nextra++].value = max;
	}
	if (r->delay > 0) {
		snprintf(rqid, sizeof rqid, "%u", qid);
		snprintf(level, sizeof level, "%u", r->delay);
		pl.extra[pl.nextra].name = BROKER_PROP_REAL_TOPIC;
		pl.extra[pl.nextra++].value = topic;
		pl.extra[pl.nextra].name = BROKER_PROP_REAL_QID;
		pl.extra[pl.nextra++].value = rqid;
		pl.extra[pl.nextra].name = BROKER_PROP_DELAY;
		pl.extra[pl.nextra++].value = level;
		pl.topic = BROKER_DELAY_TOPIC;
		pl.queue_id = r->delay - 1;
		r->delayed = 1;
	}
	/* Room enough for all, so the buffer is allocated once. */
	for (i = 0; i < r->nouts; i++)
		cap += r->outs[i].enc_len + COMMITLOG_FIXED +
		    2 * strlen(topic) + 160;
	buf = xmalloc(cap);
	for (i = 0; i < r->nouts; i++) {
		if (brokermsg_out_record(&r->outs[i], &pl, &buf, &len, &cap,
		    &s->scratch, &s->scap, why, sizeof why) != 0)
			continue;
		free(buf);
		if (r->kind == SENDER_BATCH)
			sender_fail(s, r,
			    PETREL__STATUS__STATUS_MESSAGE_ILLEGAL,
			    "message %zu: %s", i, why);
		else
			sender_fail(s, r,
			    PETREL__STATUS__STATUS_MESSAGE_ILLEGAL, "%s", why);
		return (NULL);
	}
	r->queue = qid;
	put = msg_new(&petrel__put_request__descriptor);
	put->records.data = buf;
	put->records.len = len;
	put->n_records = (uint32_t)r->nouts;
	return (put);
}

/* Build the PutRequest of a send-back's copy; NULL with r answered. */
static Petrel__PutRequest *
sender_build_back(struct sender *s, struct sender_req *r, const char *topic,
    uint32_t qid)
{
	Petrel__ConsumerSendBackResponse *resp;
	Petrel__PutRequest		*put;
	Petrel__StoreMessage		*sm = r->orig;
	const uint8_t			*host = s->host;
	uint32_t			 port = s->port;
	char				 buf[BROKERMSG_ID_MAX];

	r->orig = NULL;
	/* The copy is the stored message itself, moved to its new topic. */
	if (brokermsg_prop(sm, BROKER_PROP_RETRY_TOPIC) == NULL)
		brokermsg_set_prop(sm, BROKER_PROP_RETRY_TOPIC, sm->topic);
	if (brokermsg_prop(sm, BROKER_PROP_ORIGIN_ID) == NULL) {
		if (sm->store_host.len == 16) {
			host = sm->store_host.data;
			port = sm->store_port;
		}
		brokermsg_id(host, port, sm->commit_offset, buf);
		brokermsg_set_prop(sm, BROKER_PROP_ORIGIN_ID, buf);
	}
	snprintf(buf, sizeof buf, "%u", r->max);
	brokermsg_set_prop(sm, BROKER_PROP_MAX_RECONSUME, buf);
	/* What a delay left on it is stale. */
	brokermsg_del_prop(sm, BROKER_PROP_REAL_TOPIC);
	brokermsg_del_prop(sm, BROKER_PROP_REAL_QID);
	brokermsg_del_prop(sm, BROKER_PROP_DELAY);
	sm->reconsume++;
	msg_set_string(&sm->topic, topic);
	sm->queue_id = qid;
	sm->queue_offset = sm->commit_offset = sm->store_ts = 0;
	sm->size = 0;
	msg_set_bytes(&sm->store_host, NULL, 0);
	sm->store_port = 0;
	if (r->delay > 0) {
		sender_delay(sm, r->delay);
		r->delayed = 1;
	}
	resp = msg_new(&petrel__consumer_send_back_response__descriptor);
	msg_set_string(&resp->topic, topic);
	r->resp = &resp->base;
	put = msg_new(&petrel__put_request__descriptor);
	msg_array_add((void ***)&put->messages, &put->n_messages, sm);
	return (put);
}

/* Store r in topic tc: check, build and ask the writer. */
static void
sender_write(struct sender *s, struct sender_req *r,
    const Petrel__TopicConfig *tc)
{
	Petrel__PutRequest	*put = NULL;
	int64_t			 qid;

	if ((qid = sender_queue(s, r, tc)) < 0)
		return;
	if (actor_busy(s->writer)) {
		sender_fail(s, r, PETREL__STATUS__STATUS_SYSTEM_BUSY,
		    "broker busy: %zu store requests waiting",
		    actor_depth(s->writer));
		return;
	}
	if (r->kind == SENDER_BACK) {
		if ((put = sender_build_back(s, r, tc->name,
		    (uint32_t)qid)) == NULL)
			return;
		/* The message is in put now: the request is spent. */
		msg_free(r->req);
		r->req = NULL;
	} else if ((put = sender_build_records(s, r, tc->name,
	    (uint32_t)qid)) == NULL)
		return;
	r->cookie = sender_cookie(s);
	idmap_put(s->asks, r->cookie, r);
	actor_ask(s->writer, put, s->self, r->cookie);
}

/* Store r if its topic is known, else park it until it is. */
static void
sender_route(struct sender *s, struct sender_req *r)
{
	const Petrel__TopicConfig	*tc;

	if ((tc = topiccache_get(s->topics, r->topic)) != NULL)
		sender_write(s, r, tc);
	else
		sender_park(s, r, r->topic);
}

/*
 * Read a SendMessageRequest (batch 0) or a SendBatchRequest of len bytes
 * at body into r and the strings it does not keep.  Its messages are read
 * in place into r->outs (only counted in r->nouts if there are more than
 * a batch may have); the first that breaks a limit is said in illegal
 * (with its index in *which), to be answered once the rest is checked.
 * 0, or -1 if it does not decode (as protobuf-c would not).
 */
static int
sender_decode(struct sender_req *r, const uint8_t *body, size_t len,
    int batch, char *group, char *topic, char *born, size_t size,
    char *illegal, size_t ilen, ssize_t *which)
{
	static const uint8_t	 empty[1];
	const uint8_t		*q, *end;
	struct msg_field	 f;
	size_t			 n = 0;
	uint32_t		 want;
	int			 rc;

	if (len == 0)
		body = empty;	/* an empty body has no pointer */
	end = body + len;
	*group = *topic = *born = '\0';
	*which = -1;
	for (q = body; (rc = msg_wire_next(&q, end, &f)) == 1;) {
		switch (f.number) {
		case SEND_F_GROUP:
		case SEND_F_TOPIC:
		case SEND_F_BORN_HOST:
		case SEND_F_MESSAGES:
			want = PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED;
			break;
		case SEND_F_QUEUE_ID:
			want = PROTOBUF_C_WIRE_TYPE_VARINT;
			break;
		case SEND_F_RECONSUME:
		case SEND_F_MAX_RECONSUME:
			if (batch)
				continue;
			want = PROTOBUF_C_WIRE_TYPE_VARINT;
			break;
		default:
			continue;
		}
		if (f.wire != want)
			return (-1);
		switch (f.number) {
		case SEND_F_GROUP:
			msg_wire_string(group, size, f.data, f.len);
			break;
		case SEND_F_TOPIC:
			msg_wire_string(topic, size, f.data, f.len);
			break;
		case SEND_F_BORN_HOST:
			/* Too long for a host: refused whole, never cut. */
			msg_wire_string(born, size, f.len < size ? f.data :
			    (const uint8_t *)"-", f.len < size ? f.len : 1);
			break;
		case SEND_F_QUEUE_ID:
			r->qid = (int32_t)f.value;
			break;
		case SEND_F_MESSAGES:
			n++;
			break;
		case SEND_F_RECONSUME:
			r->reconsume = (uint32_t)f.value;
			break;
		case SEND_F_MAX_RECONSUME:
			r->max = (uint32_t)f.value;
			break;
		}
	}
	if (rc != 0)
		return (-1);
	/* A single send has one message (protobuf-c would merge two). */
	if (!batch && n > 1)
		return (-1);
	/*
	 * Too many to store: refused by count before anything is allocated
	 * for them (a frame of empty messages holds millions).
	 */
	if (n > BROKER_BATCH_SEND_MAX) {
		r->nouts = n;
		return (0);
	}
	r->outs = xreallocarray(NULL, n != 0 ? n : 1, sizeof *r->outs);
	for (q = body; msg_wire_next(&q, end, &f) == 1;) {
		if (f.number != SEND_F_MESSAGES)
			continue;
		rc = brokermsg_out_read(f.data, f.len, &r->outs[r->nouts],
		    *which == -1 ? illegal : NULL, *which == -1 ? ilen : 0);
		if (rc == BROKERMSG_UNDECODABLE)
			return (-1);
		if (rc == BROKERMSG_ILLEGAL && *which == -1)
			*which = (ssize_t)r->nouts;
		r->nouts++;
	}
	return (0);
}

/*
 * CODE_SEND_MESSAGE and CODE_SEND_BATCH, undecoded: read and check, then
 * store (or park until the topic is known).
 */
static int
sender_on_send(void *state, ProtobufCMessage *m, const struct envelope *env)
{
	struct sender		*s = state;
	Petrel__EncodedRequest	*er = (Petrel__EncodedRequest *)m;
	struct sender_req	*r;
	const char		*why = NULL;
	char			 group[BROKER_NAME_MAX + 2];
	char			 topic[BROKER_NAME_MAX + 2];
	char			 born[BROKER_NAME_MAX + 2];
	char			 buf[256], illegal[256];
	ssize_t			 which;
	size_t			 i, bytes = 0;
	int			 batch;

	if (sender_unready(s, env))
		return (0);
	batch = er->code == PETREL__REQUEST_CODE__CODE_SEND_BATCH;
	if (!batch && er->code != PETREL__REQUEST_CODE__CODE_SEND_MESSAGE)
		return (actor_reply_error(env,
		    PETREL__STATUS__STATUS_REQUEST_CODE_NOT_SUPPORTED,
		    "request code %u is not a send", er->code));
	r = sender_req_new(s, batch ? SENDER_BATCH : SENDER_SEND, m, env);
	if (sender_decode(r, er->body.data, er->body.len, batch, group,
	    topic, born, sizeof group, illegal, sizeof illegal, &which) != 0)
		why = "request body does not decode";
	if (why == NULL)
		why = sender_check_send(r, group, topic, born, buf,
		    sizeof buf);
	if (why == NULL && !batch && r->nouts == 0)
		why = "message is missing";
	if (why == NULL && !batch &&
	    r->outs[0].delay_level > BROKER_DELAY_LEVELS) {
		snprintf(buf, sizeof buf, "delay_level %u: 0-%d",
		    r->outs[0].delay_level, BROKER_DELAY_LEVELS);
		why = buf;
	}
	if (why == NULL && batch && (r->nouts == 0 ||
	    r->nouts > BROKER_BATCH_SEND_MAX)) {
		snprintf(buf, sizeof buf, "%zu messages: 1-%d in a batch",
		    r->nouts, BROKER_BATCH_SEND_MAX);
		why = buf;
	}
	for (i = 0; why == NULL && batch && i < r->nouts; i++) {
		if (r->outs[i].delay_level != 0) {
			snprintf(buf, sizeof buf, "message %zu: a batch "
			    "cannot have a delay_level", i);
			why = buf;
		}
		bytes += r->outs[i].body_len;
	}
	if (why == NULL && bytes > SENDER_BATCH_BODY_MAX) {
		snprintf(buf, sizeof buf, "bodies take %zu bytes: at most %d "
		    "in a batch", bytes, SENDER_BATCH_BODY_MAX);
		why = buf;
	}
	/* Answered and freed, m with it: kept either way. */
	if (why != NULL)
		sender_fail(s, r, PETREL__STATUS__STATUS_BAD_REQUEST, "%s",
		    why);
	else if (which != -1 && batch)
		sender_fail(s, r, PETREL__STATUS__STATUS_MESSAGE_ILLEGAL,
		    "message %zd: %s", which, illegal);
	else if (which != -1)
		sender_fail(s, r, PETREL__STATUS__STATUS_MESSAGE_ILLEGAL, "%s",
		    illegal);
	else {
		r->topic = xstrdup(topic);
		if (!batch)
			r->delay = r->outs[0].delay_level;
		sender_route(s, r);
	}
	return (ACTOR_KEPT);
}

/* CODE_CONSUMER_SEND_BACK: check, then read the message it names. */
static int
sender_on_back(void *state, ProtobufCMessage *m, const struct envelope *env)
{
	struct sender			*s = state;
	Petrel__ConsumerSendBackRequest	*req =
	    (Petrel__ConsumerSendBackRequest *)m;
	Petrel__LookupRequest		*lr;
	struct sender_req		*r;
	const char			*why;
	char				 buf[256];

	if (sender_unready(s, env))
		return (0);
	if ((why = brokerlib_check_name("group", req->group, BROKERLIB_GROUP,
	    buf, sizeof buf)) == NULL)
		why = brokerlib_check_name("original_topic",
		    req->original_topic, BROKERLIB_TOPIC, buf, sizeof buf);
	if (why == NULL && (req->delay_level < -1 ||
	    req->delay_level > BROKER_DELAY_LEVELS)) {
		snprintf(buf, sizeof buf, "delay_level %" PRId32 ": -1-%d",
		    req->delay_level, BROKER_DELAY_LEVELS);
		why = buf;
	}
	if (why != NULL)
		return (actor_reply_error(env,
		    PETREL__STATUS__STATUS_BAD_REQUEST, "%s", why));
	r = sender_req_new(s, SENDER_BACK, m, env);
	lr = msg_new(&petrel__lookup_request__descriptor);
	lr->commit_offset = req->commit_log_offset;
	r->cookie = sender_cookie(s);
	idmap_put(s->asks, r->cookie, r);
	actor_ask(s->dispatcher, lr, s->self, r->cookie);
	return (ACTOR_KEPT);
}

/* The topic manager's whole table: it replaces the copy. */
static int
sender_on_table(void *state, ProtobufCMessage *m, const struct envelope *env)
{
	struct sender	*s = state;

	topiccache_load(s->topics, (Petrel__TopicTable *)m);
	return (0);
}

/* The topics changed: ask for the table again. */
static int
sender_on_changed(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct sender	*s = state;

	if (s->configured && !s->stopped)
		sender_ask_table(s);
	return (0);
}

/* Take the lookup a topic manager answer is for off the maps. */
static struct sender_lookup *
sender_lookup_take(struct sender *s, uint64_t cookie)
{
	struct sender_lookup	*lk;

	if ((lk = idmap_remove(s->lookups, cookie)) != NULL)
		strmap_remove(s->looking, lk->topic);
	return (lk);
}

/* Take the next request parked on lk, or NULL. */
static struct sender_req *
sender_unpark(struct sender_lookup *lk)
{
	struct sender_req	*r;

	if ((r = TAILQ_FIRST(&lk->parked)) != NULL) {
		TAILQ_REMOVE(&lk->parked, r, park);
		r->lookup = NULL;
	}
	return (r);
}

/* A topic looked up: store what waited for it, or refuse it all. */
static int
sender_on_lookup_result(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct sender			*s = state;
	Petrel__TopicLookupResult	*res = (Petrel__TopicLookupResult *)m;
	const Petrel__TopicConfig	*tc = NULL;
	struct sender_lookup		*lk;
	struct sender_req		*r;

	if ((lk = sender_lookup_take(s, env->cookie)) == NULL)
		return (0);
	if (res->found && res->config != NULL) {
		topiccache_put(s->topics, res->config);
		tc = topiccache_get(s->topics, res->config->name);
	}
	while ((r = sender_unpark(lk)) != NULL) {
		if (tc != NULL)
			sender_write(s, r, tc);
		else
			sender_fail(s, r,
			    PETREL__STATUS__STATUS_TOPIC_NOT_EXIST,
			    "topic %s does not exist (autoCreateTopicEnable "
			    "is off)", lk->topic);
	}
	sender_lookup_free(lk);
	return (0);
}

/* Where a send-back goes: its topic and delay level, from sm. */
static void
sender_back_route(struct sender *s, struct sender_req *r,
    const Petrel__StoreMessage *sm)
{
	Petrel__ConsumerSendBackRequest	*req =
	    (Petrel__ConsumerSendBackRequest *)r->req;
	uint32_t			 reconsume = sm->reconsume + 1;

	r->max = req->max_reconsume_times != 0 ? req->max_reconsume_times :
	    s->max_reconsume;
	if (req->delay_level == -1 || reconsume > r->max) {
		xasprintf(&r->topic, "%s%s", BROKER_DLQ_PREFIX, req->group);
		r->delay = 0;
	} else {
		xasprintf(&r->topic, "%s%s", BROKER_RETRY_PREFIX, req->group);
		if (req->delay_level > 0)
			r->delay = (uint32_t)req->delay_level;
		else
			r->delay = SENDER_DEFAULT_DELAY + sm->reconsume;
		if (r->delay > BROKER_DELAY_LEVELS)
			r->delay = BROKER_DELAY_LEVELS;
	}
}

/* The dispatcher read the message a send-back names. */
static int
sender_on_found(void *state, ProtobufCMessage *m, const struct envelope *env)
{
	struct sender			*s = state;
	Petrel__LookupResponse		*lr = (Petrel__LookupResponse *)m;
	Petrel__ConsumerSendBackRequest	*req;
	struct sender_req		*r;

	if ((r = idmap_remove(s->asks, env->cookie)) == NULL)
		return (0);
	r->cookie = 0;
	req = (Petrel__ConsumerSendBackRequest *)r->req;
	if (r->kind != SENDER_BACK)
		fatalx("sender: a lookup answered a send");
	if (lr->n_messages == 0) {
		sender_fail(s, r, PETREL__STATUS__STATUS_NOT_FOUND,
		    "no message at commit log offset %" PRIu64,
		    req->commit_log_offset);
		return (0);
	}
	/* Take the message out of the answer. */
	r->orig = lr->messages[0];
	lr->messages[0] = lr->messages[--lr->n_messages];
	sender_back_route(s, r, r->orig);
	sender_route(s, r);
	return (0);
}

/*
 * The answer to send r, encoded by hand from the writer's PutResponse:
 * status, then a SendResult for each message.  A flush timeout may come
 * without results (stored all the same).  NULL if the results do not
 * match the messages.
 */
static Petrel__EncodedAnswer *
sender_encode_answer(struct sender *s, struct sender_req *r,
    const Petrel__PutResponse *pr)
{
	Petrel__EncodedAnswer	*ea;
	struct brokermsg_result	 res;
	uint8_t			*buf, *p;
	size_t			 i;

	if (pr->n_results != r->nouts && (pr->n_results != 0 ||
	    pr->status != PETREL__STORE_STATUS__STORE_FLUSH_DISK_TIMEOUT))
		return (NULL);
	p = buf = xmalloc(2 * 10 + r->nouts * BROKERMSG_RESULT_MAX);
	if (pr->status != 0)
		p = msg_wire_uint_put(p, SENT_F_STATUS, pr->status);
	memset(&res, 0, sizeof res);
	res.queue_id = r->queue;
	res.stored = pr->n_results != 0;
	for (i = 0; i < r->nouts; i++) {
		res.uniq = r->outs[i].uniq;
		res.uniq_len = r->outs[i].uniq_len;
		if (res.stored) {
			res.commit_offset = pr->results[i]->commit_offset;
			res.queue_offset = r->delayed ? 0 :
			    pr->results[i]->queue_offset;
		}
		p += brokermsg_put_result(p, &res, s->host, s->port);
	}
	ea = msg_new(&petrel__encoded_answer__descriptor);
	ea->parts = xcalloc(1, sizeof *ea->parts);
	ea->parts[0].data = buf;
	ea->parts[0].len = (size_t)(p - buf);
	ea->n_parts = 1;
	return (ea);
}

/* The writer stored (or refused) a request: answer the client. */
static int
sender_on_put(void *state, ProtobufCMessage *m, const struct envelope *env)
{
	struct sender			*s = state;
	Petrel__PutResponse		*pr = (Petrel__PutResponse *)m;
	Petrel__EncodedAnswer		*ea;
	struct sender_req		*r;

	if ((r = idmap_remove(s->asks, env->cookie)) == NULL)
		return (0);
	r->cookie = 0;
	if (pr->status != PETREL__STORE_STATUS__STORE_OK &&
	    pr->status != PETREL__STORE_STATUS__STORE_FLUSH_DISK_TIMEOUT) {
		sender_fail(s, r, pr->status, "%s", pr->reason);
		return (0);
	}
	if (r->kind != SENDER_BACK) {
		if ((ea = sender_encode_answer(s, r, pr)) == NULL) {
			log_warnx("sender: the writer answered %zu results",
			    pr->n_results);
			sender_fail(s, r, PETREL__STATUS__STATUS_SYSTEM_ERROR,
			    "the store answered %zu results", pr->n_results);
			return (0);
		}
		r->resp = &ea->base;
	}
	sender_answer(s, r);
	return (0);
}

/* An ask failed: tell whoever waits for it. */
static int
sender_on_error(void *state, ProtobufCMessage *m, const struct envelope *env)
{
	struct sender		*s = state;
	Petrel__Error		*e = (Petrel__Error *)m;
	struct sender_req	*r;
	struct sender_lookup	*lk;

	if ((r = idmap_remove(s->asks, env->cookie)) != NULL) {
		r->cookie = 0;
		sender_fail(s, r, e->status, "%s", e->text);
	} else if ((lk = sender_lookup_take(s, env->cookie)) != NULL) {
		while ((r = sender_unpark(lk)) != NULL)
			sender_fail(s, r, e->status, "%s", e->text);
		sender_lookup_free(lk);
	} else if (env->cookie == s->table_cookie)
		log_warnx("sender: no topic table: %s", e->text);
	else
		log_debug("sender: stray error: %s", e->text);
	return (0);
}

/* Answer every waiting request; nothing is taken after this. */
static int
sender_on_stop(void *state, ProtobufCMessage *m, const struct envelope *env)
{
	struct sender		*s = state;
	struct sender_req	*r;

	s->stopped = 1;
	while ((r = TAILQ_FIRST(&s->reqs)) != NULL) {
		if (r->lookup != NULL)
			TAILQ_REMOVE(&r->lookup->parked, r, park);
		sender_fail(s, r, PETREL__STATUS__STATUS_SERVICE_NOT_AVAILABLE,
		    "broker stopping");
	}
	/* Late answers find nothing waiting. */
	idmap_free(s->asks);
	s->asks = idmap_new();
	idmap_free(s->lookups);
	s->lookups = idmap_new();
	strmap_free(s->looking, sender_lookup_free);
	s->looking = strmap_new();
	return (actor_reply(env, msg_new(&petrel__stopped__descriptor)));
}
