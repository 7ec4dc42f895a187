/*
 * Tests of lib/rpc.c against a real listener (actors/listener.c) on a
 * free loopback port with an echo actor (tests/transport_test.c): answers,
 * error statuses, timeouts, one-way requests, a closed connection failing
 * every pending request at once, reconnecting, connect failures, many
 * requests of one loop turn leaving in one write, requests the server
 * sends, answers left encoded (rpc_call_raw()) in large frames that
 * arrive in pieces, and requests whose body comes in parts
 * (rpc_call_parts(), rpc_oneway_parts()).
 */
#include "config.h"

#include <sys/ioctl.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <check.h>
#include <event2/buffer.h>
#include <fcntl.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codes.h"
#include "frame.h"
#include "listener.h"
#include "msg.h"
#include "rpc.h"
#include "testutil.h"
#include "transport_test.h"
#include "xmalloc.h"
#include "proto/broker.pb-c.h"
#include "proto/namesrv.pb-c.h"

#define MANY	200

struct answers {
	struct rpc	*rpc;
	int		 n;		/* callbacks so far */
	int		 order[MANY];	/* which request, in callback order */
	uint32_t	 status[MANY];
	size_t		 pending[MANY];	/* rpc_pending() inside the callback */
	int		 ok;		/* values that came back right */
	int		 free_in_cb;
};

struct slot {
	struct answers	*a;
	int		 i;
	char		 key[16];
};

/* Record an answer; check a KvGetResponse carries the key sent. */
static void
record(uint32_t status, const char *error, ProtobufCMessage *body, void *arg)
{
	struct slot		*s = arg;
	struct answers		*a = s->a;
	Petrel__KvGetResponse	*r = (Petrel__KvGetResponse *)body;

	ck_assert_ptr_nonnull(error);
	a->order[a->n] = s->i;
	a->status[a->n] = status;
	a->pending[a->n] = a->rpc != NULL ? rpc_pending(a->rpc) : 0;
	a->n++;
	if (status == 0) {
		ck_assert_ptr_nonnull(body);
		if (msg_is(body, &petrel__kv_get_response__descriptor) &&
		    strcmp(r->value, s->key) == 0)
			a->ok++;
	} else
		ck_assert_ptr_null(body);
	msg_free(body);
	if (a->free_in_cb && a->rpc != NULL) {
		rpc_free(a->rpc);
		a->rpc = NULL;
	}
}

static void
noop(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what; (void)arg;
}

/* Run base until *count reaches want or ms pass. */
static void
run_until(struct event_base *base, int *count, int want, uint64_t ms)
{
	struct event	*tick;
	struct timeval	 tv = { 0, 10000 };
	uint64_t	 deadline = test_now_ms() + ms;

	tick = event_new(base, -1, EV_PERSIST, noop, NULL);
	event_add(tick, &tv);
	while (*count < want && test_now_ms() < deadline)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(tick);
}

/* A KvGetRequest for key. */
static Petrel__KvGetRequest *
get_req(const char *key)
{
	Petrel__KvGetRequest	*r;

	r = msg_new(&petrel__kv_get_request__descriptor);
	msg_set_string(&r->key, key);
	return (r);
}

/* Issue n KV_GET calls (keys "k<i>") from slot i0 on; one loop turn. */
static void
call_many(struct rpc *rpc, struct answers *a, struct slot *slots, int i0,
    int n, uint32_t code, uint32_t timeout)
{
	Petrel__KvGetRequest	*r;
	ProtobufCMessage	*req;
	int			 i;

	for (i = i0; i < i0 + n; i++) {
		slots[i].a = a;
		slots[i].i = i;
		snprintf(slots[i].key, sizeof slots[i].key, "k%d", i);
		r = get_req(slots[i].key);
		req = &r->base;
		if (code != PETREL__REQUEST_CODE__CODE_KV_GET)
			req = msg_new(codes_lookup(code)->request);
		ck_assert_int_eq(rpc_call(rpc, code, req, timeout, record,
		    &slots[i]), 0);
		if (req != &r->base)
			msg_free(req);
		msg_free(r);
	}
}

/* A listening socket on a free loopback port; *port gets it. */
static int
listening(uint16_t *port)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof sin;
	int			fd;

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	ck_assert_int_eq(listen(fd, 4), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	*port = ntohs(sin.sin_port);
	return (fd);
}

/* A loopback port nothing listens on (it did, then closed). */
static uint16_t
dead_port(void)
{
	uint16_t	port;

	close(listening(&port));
	return (port);
}

/* A client of a socket of ours listening on loopback (*lfd). */
static struct rpc *
fake_server(struct event_base *base, int *lfd)
{
	struct rpc	*rpc;
	char		 addr[64], *cause = NULL;
	uint16_t	 port;

	*lfd = listening(&port);
	snprintf(addr, sizeof addr, "127.0.0.1:%u", port);
	rpc = rpc_new(base, addr, &cause);
	ck_assert_ptr_nonnull(rpc);
	return (rpc);
}

START_TEST(test_call_answer)
{
	struct tserver		 ts;
	struct event_base	*base = event_base_new();
	struct rpc		*rpc;
	Petrel__KvGetRequest	*req = get_req("hello");
	Petrel__Ping		 ping = PETREL__PING__INIT;
	ProtobufCMessage	*resp;
	char			*cause = NULL;

	ck_assert_int_eq(tserver_start(&ts, "127.0.0.1", 0), 0);
	rpc = rpc_new(base, ts.address, &cause);
	ck_assert_ptr_nonnull(rpc);
	ck_assert_str_eq(rpc_address(rpc), ts.address);
	ck_assert_int_eq(rpc_connected(rpc), 0);

	ck_assert_uint_eq(rpc_call_sync(rpc, PETREL__REQUEST_CODE__CODE_KV_GET,
	    &req->base, 2000, &resp, &cause), 0);
	ck_assert_ptr_null(cause);
	ck_assert(msg_is(resp, &petrel__kv_get_response__descriptor));
	ck_assert_str_eq(((Petrel__KvGetResponse *)resp)->value, "hello");
	msg_free(resp);
	ck_assert_int_eq(rpc_connected(rpc), 1);
	ck_assert_uint_eq(rpc_pending(rpc), 0);

	ping.sent_ms = 12345;
	ck_assert_uint_eq(rpc_call_sync(rpc, PETREL__REQUEST_CODE__CODE_PING,
	    &ping.base, 2000, &resp, &cause), 0);
	ck_assert(msg_is(resp, &petrel__pong__descriptor));
	ck_assert_uint_eq(((Petrel__Pong *)resp)->sent_ms, 12345);
	ck_assert_str_eq(((Petrel__Pong *)resp)->server, TEST_SERVER);
	msg_free(resp);

	/* No body at all is an empty request. */
	ck_assert_uint_eq(rpc_call_sync(rpc, PETREL__REQUEST_CODE__CODE_PING,
	    NULL, 2000, NULL, NULL), 0);

	msg_free(req);
	rpc_free(rpc);
	event_base_free(base);
	tserver_stop(&ts);
}
END_TEST

START_TEST(test_error_status)
{
	struct tserver		 ts;
	struct event_base	*base = event_base_new();
	struct rpc		*rpc;
	Petrel__KvPutRequest	*put;
	Petrel__KvGetRequest	*get = get_req("wrong");
	ProtobufCMessage	*resp = NULL;
	char			*cause = NULL;

	ck_assert_int_eq(tserver_start(&ts, "127.0.0.1", 0), 0);
	rpc = rpc_new(base, ts.address, &cause);

	put = msg_new(&petrel__kv_put_request__descriptor);
	msg_set_string(&put->namespace_, "error");
	msg_set_string(&put->key, "5");
	msg_set_string(&put->value, "no such key");
	ck_assert_uint_eq(rpc_call_sync(rpc, PETREL__REQUEST_CODE__CODE_KV_PUT,
	    &put->base, 2000, &resp, &cause), PETREL__STATUS__STATUS_NOT_FOUND);
	ck_assert_ptr_null(resp);
	ck_assert_str_eq(cause, "no such key");
	free(cause);
	cause = NULL;

	/* No text: the cause is the status name. */
	msg_set_string(&put->key, "8");
	msg_set_string(&put->value, "");
	ck_assert_uint_eq(rpc_call_sync(rpc, PETREL__REQUEST_CODE__CODE_KV_PUT,
	    &put->base, 2000, &resp, &cause),
	    PETREL__STATUS__STATUS_NO_PERMISSION);
	ck_assert_str_eq(cause, "STATUS_NO_PERMISSION");
	free(cause);
	cause = NULL;

	/* The actor answered with the wrong message type. */
	ck_assert_uint_eq(rpc_call_sync(rpc, PETREL__REQUEST_CODE__CODE_KV_GET,
	    &get->base, 2000, &resp, &cause),
	    PETREL__STATUS__STATUS_SYSTEM_ERROR);
	free(cause);

	msg_free(put);
	msg_free(get);
	rpc_free(rpc);
	event_base_free(base);
	tserver_stop(&ts);
}
END_TEST

START_TEST(test_timeout)
{
	struct tserver		 ts;
	struct event_base	*base = event_base_new();
	struct rpc		*rpc;
	struct answers		 a;
	struct slot		 slots[3];
	struct rpc_stats	 st;
	Petrel__KvDeleteRequest	 del = PETREL__KV_DELETE_REQUEST__INIT;
	Petrel__KvGetRequest	*get = get_req("after");
	ProtobufCMessage	*resp;
	char			*cause = NULL;
	uint64_t		 t0, dt;
	uint32_t		 timeouts[3] = { 300, 100, 200 };
	int			 i;

	ck_assert_int_eq(tserver_start(&ts, "127.0.0.1", 0), 0);
	rpc = rpc_new(base, ts.address, &cause);

	t0 = test_now_ms();
	ck_assert_uint_eq(rpc_call_sync(rpc,
	    PETREL__REQUEST_CODE__CODE_KV_DELETE, &del.base, 150, &resp,
	    &cause), PETREL__STATUS__STATUS_TIMEOUT);
	dt = test_now_ms() - t0;
	ck_assert_uint_ge(dt, 150);
	ck_assert_uint_lt(dt, 3000);
	ck_assert_ptr_nonnull(strstr(cause, "in time"));
	free(cause);
	cause = NULL;
	ck_assert_uint_eq(rpc_pending(rpc), 0);

	/* Deadlines fire in their order, not the order of the calls. */
	memset(&a, 0, sizeof a);
	for (i = 0; i < 3; i++) {
		slots[i].a = &a;
		slots[i].i = i;
		ck_assert_int_eq(rpc_call(rpc,
		    PETREL__REQUEST_CODE__CODE_KV_DELETE, &del.base,
		    timeouts[i], record, &slots[i]), 0);
	}
	run_until(base, &a.n, 3, TEST_WAIT_MS);
	ck_assert_int_eq(a.n, 3);
	ck_assert_int_eq(a.order[0], 1);
	ck_assert_int_eq(a.order[1], 2);
	ck_assert_int_eq(a.order[2], 0);
	for (i = 0; i < 3; i++)
		ck_assert_uint_eq(a.status[i], PETREL__STATUS__STATUS_TIMEOUT);
	rpc_stats(rpc, &st);
	ck_assert_uint_eq(st.timeouts, 4);

	/* The connection is still good. */
	ck_assert_uint_eq(rpc_call_sync(rpc, PETREL__REQUEST_CODE__CODE_KV_GET,
	    &get->base, 2000, &resp, &cause), 0);
	msg_free(resp);
	ck_assert_uint_eq(st.connects, 1);

	msg_free(get);
	rpc_free(rpc);
	event_base_free(base);
	tserver_stop(&ts);
}
END_TEST

START_TEST(test_oneway)
{
	struct tserver		 ts;
	struct event_base	*base = event_base_new();
	struct rpc		*rpc;
	struct rpc_stats	 st;
	Petrel__KvPutRequest	 put = PETREL__KV_PUT_REQUEST__INIT;
	Petrel__KvListRequest	 list = PETREL__KV_LIST_REQUEST__INIT;
	ProtobufCMessage	*resp;
	char			*cause = NULL;
	int			 i;

	ck_assert_int_eq(tserver_start(&ts, "127.0.0.1", 0), 0);
	rpc = rpc_new(base, ts.address, &cause);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(rpc_oneway(rpc,
		    PETREL__REQUEST_CODE__CODE_KV_PUT, &put.base), 0);
	ck_assert_int_eq(rpc_oneway(rpc, PETREL__REQUEST_CODE__CODE_PING,
	    NULL), 0);
	ck_assert_uint_eq(rpc_pending(rpc), 0);

	/* The puts arrived, in order, before the list; nothing answered them. */
	ck_assert_uint_eq(rpc_call_sync(rpc, PETREL__REQUEST_CODE__CODE_KV_LIST,
	    &list.base, 2000, &resp, &cause), 0);
	ck_assert_uint_eq(((Petrel__KvListResponse *)resp)->n_entries, 3);
	msg_free(resp);
	rpc_stats(rpc, &st);
	ck_assert_uint_eq(st.oneways, 4);
	ck_assert_uint_eq(st.calls, 1);

	rpc_free(rpc);
	event_base_free(base);
	tserver_stop(&ts);
}
END_TEST

START_TEST(test_closed_fails_pending)
{
	struct tserver		 ts;
	struct event_base	*base = event_base_new();
	struct rpc		*rpc;
	struct answers		 a;
	struct slot		 slots[10];
	struct rpc_stats	 st;
	Petrel__ListenerReady	*ready;
	Petrel__KvGetRequest	*get = get_req("again");
	ProtobufCMessage	*resp;
	char			*cause = NULL;
	int			 i;

	ck_assert_int_eq(tserver_start(&ts, "127.0.0.1", 0), 0);
	rpc = rpc_new(base, ts.address, &cause);
	memset(&a, 0, sizeof a);
	a.rpc = rpc;
	call_many(rpc, &a, slots, 0, 10, PETREL__REQUEST_CODE__CODE_KV_DELETE,
	    0);
	/* Once the ping is answered the listener has read the ten. */
	ck_assert_uint_eq(rpc_call_sync(rpc, PETREL__REQUEST_CODE__CODE_PING,
	    NULL, 2000, NULL, NULL), 0);
	ck_assert_uint_eq(rpc_pending(rpc), 10);

	tserver_stop_listener(&ts, ts.listener);
	run_until(base, &a.n, 10, TEST_WAIT_MS);
	ck_assert_int_eq(a.n, 10);
	for (i = 0; i < 10; i++) {
		ck_assert_uint_eq(a.status[i],
		    PETREL__STATUS__STATUS_CONNECTION_CLOSED);
		ck_assert_int_eq(a.order[i], i);
		ck_assert_uint_eq(a.pending[i], 0);	/* all at once */
	}
	ck_assert_int_eq(rpc_connected(rpc), 0);

	/* A new listener on the same port: the next call reconnects. */
	ts.extra = actor_spawn(ts.loop, &listener_actor, "listener2");
	ready = tserver_listen(&ts, ts.extra, "127.0.0.1", ts.port, 0);
	ck_assert_ptr_nonnull(ready);
	ck_assert_str_eq(ready->error, "");
	msg_free(ready);
	ck_assert_uint_eq(rpc_call_sync(rpc, PETREL__REQUEST_CODE__CODE_KV_GET,
	    &get->base, 2000, &resp, &cause), 0);
	msg_free(resp);
	rpc_stats(rpc, &st);
	ck_assert_uint_eq(st.connects, 2);

	msg_free(get);
	rpc_free(rpc);
	event_base_free(base);
	tserver_stop(&ts);
}
END_TEST

START_TEST(test_connect_failed)
{
	struct event_base	*base = event_base_new();
	struct rpc		*rpc;
	struct answers		 a;
	struct slot		 slots[3];
	char			 addr[64], *cause = NULL;
	uint64_t		 t0 = test_now_ms();
	int			 i;

	snprintf(addr, sizeof addr, "127.0.0.1:%u", dead_port());
	rpc = rpc_new(base, addr, &cause);
	ck_assert_ptr_nonnull(rpc);
	ck_assert_uint_eq(rpc_call_sync(rpc, PETREL__REQUEST_CODE__CODE_PING,
	    NULL, 2000, NULL, &cause), PETREL__STATUS__STATUS_CONNECT_FAILED);
	ck_assert_ptr_nonnull(strstr(cause, "connect to 127.0.0.1:"));
	free(cause);
	ck_assert_uint_lt(test_now_ms() - t0, 1500);
	ck_assert_int_eq(rpc_connected(rpc), 0);

	/* Again, several at once: each fails, none hangs. */
	memset(&a, 0, sizeof a);
	call_many(rpc, &a, slots, 0, 3, PETREL__REQUEST_CODE__CODE_KV_GET,
	    2000);
	run_until(base, &a.n, 3, TEST_WAIT_MS);
	ck_assert_int_eq(a.n, 3);
	for (i = 0; i < 3; i++)
		ck_assert_uint_eq(a.status[i],
		    PETREL__STATUS__STATUS_CONNECT_FAILED);
	ck_assert_uint_eq(rpc_pending(rpc), 0);
	rpc_free(rpc);
	event_base_free(base);
}
END_TEST

START_TEST(test_bad_server)
{
	struct event_base	*base = event_base_new();
	struct evbuffer		*out = evbuffer_new();
	struct rpc		*rpc;
	struct answers		 a;
	struct slot		 slots[4];
	Petrel__Frame		 raw = PETREL__FRAME__INIT;
	uint8_t			 junk[] = { 0xff, 0xff };
	int			 lfd, fd, i;

	rpc = fake_server(base, &lfd);
	memset(&a, 0, sizeof a);
	call_many(rpc, &a, slots, 0, 4, PETREL__REQUEST_CODE__CODE_KV_GET,
	    5000);
	fd = accept(lfd, NULL, NULL);
	ck_assert_int_ge(fd, 0);

	/* An undecodable body, then an answer under the wrong code. */
	raw.version = 1;
	raw.code = PETREL__REQUEST_CODE__CODE_KV_GET;
	raw.id = 1;
	raw.flags = PETREL__FRAME_FLAG__FRAME_RESPONSE;
	raw.body.data = junk;
	raw.body.len = sizeof junk;
	frame_write(out, &raw);
	frame_write_msg(out, PETREL__REQUEST_CODE__CODE_PING, 2,
	    PETREL__FRAME_FLAG__FRAME_RESPONSE, 0, NULL, NULL);
	/* An answer to nothing asked, and a request: both ignored. */
	frame_write_msg(out, PETREL__REQUEST_CODE__CODE_KV_GET, 99,
	    PETREL__FRAME_FLAG__FRAME_RESPONSE, 0, NULL, NULL);
	frame_write_msg(out, PETREL__REQUEST_CODE__CODE_PING, 1, 0, 0, NULL,
	    NULL);
	ck_assert_int_eq(raw_send(fd, out), 0);
	run_until(base, &a.n, 2, TEST_WAIT_MS);
	ck_assert_int_eq(a.n, 2);
	ck_assert_uint_eq(a.status[0], PETREL__STATUS__STATUS_PROTOCOL_ERROR);
	ck_assert_uint_eq(a.status[1], PETREL__STATUS__STATUS_PROTOCOL_ERROR);
	ck_assert_int_eq(rpc_connected(rpc), 1);

	/* Then garbage: the connection goes, failing the rest. */
	evbuffer_add(out, "HTTP/1.0 400 Bad Request\r\n\r\n", 28);
	ck_assert_int_eq(raw_send(fd, out), 0);
	run_until(base, &a.n, 4, TEST_WAIT_MS);
	ck_assert_int_eq(a.n, 4);
	for (i = 2; i < 4; i++)
		ck_assert_uint_eq(a.status[i],
		    PETREL__STATUS__STATUS_PROTOCOL_ERROR);
	ck_assert_int_eq(rpc_connected(rpc), 0);

	close(fd);
	close(lfd);
	rpc_free(rpc);
	evbuffer_free(out);
	event_base_free(base);
}
END_TEST

struct notified {
	int		 n;		/* requests seen */
	uint32_t	 code;		/* of the last */
	char		 group[32];	/* of the last */
	int		 free_rpc;	/* free the client in the callback */
	struct rpc	*rpc;
};

/* Keep a request the server sent. */
static void
notified(uint32_t code, ProtobufCMessage *body, void *arg)
{
	struct notified				*nt = arg;
	Petrel__NotifyConsumerIdsChangedRequest	*r;

	ck_assert(msg_is(body,
	    &petrel__notify_consumer_ids_changed_request__descriptor));
	r = (Petrel__NotifyConsumerIdsChangedRequest *)body;
	nt->n++;
	nt->code = code;
	snprintf(nt->group, sizeof nt->group, "%s", r->group);
	msg_free(body);
	if (nt->free_rpc) {
		rpc_free(nt->rpc);
		nt->rpc = NULL;
	}
}

START_TEST(test_server_request)
{
	struct event_base	*base = event_base_new();
	struct evbuffer		*out = evbuffer_new();
	struct rpc		*rpc;
	struct answers		 a;
	struct slot		 slots[2];
	struct notified		 nt;
	struct rpc_stats	 st;
	Petrel__NotifyConsumerIdsChangedRequest *req;
	Petrel__Frame		 raw = PETREL__FRAME__INIT;
	uint8_t			 junk[] = { 0xff, 0xff };
	int			 lfd, fd;

	rpc = fake_server(base, &lfd);
	memset(&nt, 0, sizeof nt);
	rpc_on_request(rpc, notified, &nt);
	memset(&a, 0, sizeof a);
	call_many(rpc, &a, slots, 0, 2, PETREL__REQUEST_CODE__CODE_KV_GET,
	    5000);
	fd = accept(lfd, NULL, NULL);
	ck_assert_int_ge(fd, 0);

	/* Junk first: an unknown code and an undecodable body, dropped. */
	frame_write_msg(out, 60000, 1, PETREL__FRAME_FLAG__FRAME_ONEWAY, 0,
	    NULL, NULL);
	raw.version = 1;
	raw.code = PETREL__REQUEST_CODE__CODE_NOTIFY_CONSUMER_IDS_CHANGED;
	raw.id = 2;
	raw.flags = PETREL__FRAME_FLAG__FRAME_ONEWAY;
	raw.body.data = junk;
	raw.body.len = sizeof junk;
	frame_write(out, &raw);
	/* Then a one-way notice between two answers. */
	frame_write_msg(out, PETREL__REQUEST_CODE__CODE_KV_GET, 1,
	    PETREL__FRAME_FLAG__FRAME_RESPONSE, 0, NULL, NULL);
	req = msg_new(&petrel__notify_consumer_ids_changed_request__descriptor);
	msg_set_string(&req->group, "group-a");
	frame_write_msg(out,
	    PETREL__REQUEST_CODE__CODE_NOTIFY_CONSUMER_IDS_CHANGED, 3,
	    PETREL__FRAME_FLAG__FRAME_ONEWAY, 0, NULL, &req->base);
	frame_write_msg(out, PETREL__REQUEST_CODE__CODE_KV_GET, 2,
	    PETREL__FRAME_FLAG__FRAME_RESPONSE, 0, NULL, NULL);
	ck_assert_int_eq(raw_send(fd, out), 0);
	run_until(base, &a.n, 2, TEST_WAIT_MS);
	ck_assert_int_eq(a.n, 2);
	ck_assert_int_eq(nt.n, 1);
	ck_assert_uint_eq(nt.code,
	    PETREL__REQUEST_CODE__CODE_NOTIFY_CONSUMER_IDS_CHANGED);
	ck_assert_str_eq(nt.group, "group-a");
	rpc_stats(rpc, &st);
	ck_assert_uint_eq(st.requests_in, 1);
	ck_assert_int_eq(rpc_connected(rpc), 1);

	/* Without a callback a request is dropped. */
	rpc_on_request(rpc, NULL, NULL);
	frame_write_msg(out,
	    PETREL__REQUEST_CODE__CODE_NOTIFY_CONSUMER_IDS_CHANGED, 4,
	    PETREL__FRAME_FLAG__FRAME_ONEWAY, 0, NULL, &req->base);
	frame_write_msg(out, PETREL__REQUEST_CODE__CODE_PING, 5,
	    PETREL__FRAME_FLAG__FRAME_ONEWAY, 0, NULL, NULL);
	ck_assert_int_eq(raw_send(fd, out), 0);
	call_many(rpc, &a, slots, 0, 1, PETREL__REQUEST_CODE__CODE_KV_GET,
	    5000);
	frame_write_msg(out, PETREL__REQUEST_CODE__CODE_KV_GET, 3,
	    PETREL__FRAME_FLAG__FRAME_RESPONSE, 0, NULL, NULL);
	ck_assert_int_eq(raw_send(fd, out), 0);
	run_until(base, &a.n, 3, TEST_WAIT_MS);
	ck_assert_int_eq(a.n, 3);
	ck_assert_int_eq(nt.n, 1);

	/* The callback may free the client. */
	rpc_on_request(rpc, notified, &nt);
	nt.free_rpc = 1;
	nt.rpc = rpc;
	frame_write_msg(out,
	    PETREL__REQUEST_CODE__CODE_NOTIFY_CONSUMER_IDS_CHANGED, 6,
	    PETREL__FRAME_FLAG__FRAME_ONEWAY, 0, NULL, &req->base);
	frame_write_msg(out,
	    PETREL__REQUEST_CODE__CODE_NOTIFY_CONSUMER_IDS_CHANGED, 7,
	    PETREL__FRAME_FLAG__FRAME_ONEWAY, 0, NULL, &req->base);
	ck_assert_int_eq(raw_send(fd, out), 0);
	run_until(base, &nt.n, 2, TEST_WAIT_MS);
	ck_assert_int_eq(nt.n, 2);
	ck_assert_ptr_null(nt.rpc);

	msg_free(req);
	close(fd);
	close(lfd);
	evbuffer_free(out);
	event_base_free(base);
}
END_TEST

START_TEST(test_one_write)
{
	struct tserver		 ts;
	struct event_base	*base = event_base_new();
	struct rpc		*rpc;
	struct answers		*a = xcalloc(1, sizeof *a);
	struct slot		*slots = xcalloc(MANY, sizeof *slots);
	struct rpc_stats	 st;
	char			*cause = NULL;

	ck_assert_int_eq(tserver_start(&ts, "127.0.0.1", 0), 0);
	rpc = rpc_new(base, ts.address, &cause);

	/* Before the connection is up, then on it. */
	call_many(rpc, a, slots, 0, MANY / 2,
	    PETREL__REQUEST_CODE__CODE_KV_GET, 5000);
	run_until(base, &a->n, MANY / 2, TEST_WAIT_MS);
	ck_assert_int_eq(a->ok, MANY / 2);
	rpc_stats(rpc, &st);
	ck_assert_uint_eq(st.calls, MANY / 2);
	ck_assert_uint_eq(st.writes, 1);

	call_many(rpc, a, slots, MANY / 2, MANY / 2,
	    PETREL__REQUEST_CODE__CODE_KV_GET, 5000);
	run_until(base, &a->n, MANY, TEST_WAIT_MS);
	ck_assert_int_eq(a->ok, MANY);
	rpc_stats(rpc, &st);
	ck_assert_uint_eq(st.writes, 2);

	rpc_free(rpc);
	event_base_free(base);
	tserver_stop(&ts);
	free(slots);
	free(a);
}
END_TEST

START_TEST(test_free_pending)
{
	struct tserver		 ts;
	struct event_base	*base = event_base_new();
	struct rpc		*rpc;
	struct answers		 a;
	struct slot		 slots[5];
	char			*cause = NULL;
	int			 i;

	ck_assert_int_eq(tserver_start(&ts, "127.0.0.1", 0), 0);

	/* rpc_free() runs every callback before it returns. */
	rpc = rpc_new(base, ts.address, &cause);
	memset(&a, 0, sizeof a);
	call_many(rpc, &a, slots, 0, 5, PETREL__REQUEST_CODE__CODE_KV_DELETE,
	    0);
	rpc_free(rpc);
	ck_assert_int_eq(a.n, 5);
	for (i = 0; i < 5; i++)
		ck_assert_uint_eq(a.status[i],
		    PETREL__STATUS__STATUS_CONNECTION_CLOSED);

	/* rpc_free() from a callback: the rest fail, nothing is touched
	 * after the free. */
	rpc = rpc_new(base, ts.address, &cause);
	memset(&a, 0, sizeof a);
	a.rpc = rpc;
	a.free_in_cb = 1;
	call_many(rpc, &a, slots, 0, 5, PETREL__REQUEST_CODE__CODE_KV_GET,
	    2000);
	run_until(base, &a.n, 5, TEST_WAIT_MS);
	ck_assert_int_eq(a.n, 5);
	ck_assert_uint_eq(a.status[0], 0);
	for (i = 1; i < 5; i++)
		ck_assert_uint_eq(a.status[i],
		    PETREL__STATUS__STATUS_CONNECTION_CLOSED);
	ck_assert_ptr_null(a.rpc);

	event_base_free(base);
	tserver_stop(&ts);
}
END_TEST

START_TEST(test_not_sent)
{
	struct event_base	*base = event_base_new();
	struct rpc		*rpc;
	Petrel__Ping		 ping = PETREL__PING__INIT;
	char			*cause = NULL;

	rpc = rpc_new(base, "127.0.0.1:1", &cause);
	ck_assert_int_eq(rpc_call(rpc, 4242, NULL, 0, record, NULL), -1);
	ck_assert_int_eq(rpc_call(rpc, PETREL__REQUEST_CODE__CODE_KV_GET,
	    &ping.base, 0, record, NULL), -1);
	ck_assert_int_eq(rpc_oneway(rpc, 0, NULL), -1);
	ck_assert_uint_eq(rpc_call_sync(rpc, PETREL__REQUEST_CODE__CODE_KV_GET,
	    &ping.base, 100, NULL, &cause), PETREL__STATUS__STATUS_NOT_SENT);
	free(cause);
	ck_assert_uint_eq(rpc_pending(rpc), 0);
	rpc_free(rpc);
	event_base_free(base);
}
END_TEST

START_TEST(test_ipv6)
{
	struct tserver		 ts;
	struct event_base	*base;
	struct rpc		*rpc;
	char			*cause = NULL;

	if (tserver_start(&ts, "::1", 0) != 0) {
		/* No IPv6 loopback here; nothing to test. */
		tserver_stop(&ts);
		return;
	}
	ck_assert_ptr_nonnull(strstr(ts.address, "[::1]:"));
	base = event_base_new();
	rpc = rpc_new(base, ts.address, &cause);
	ck_assert_ptr_nonnull(rpc);
	ck_assert_uint_eq(rpc_call_sync(rpc, PETREL__REQUEST_CODE__CODE_PING,
	    NULL, 2000, NULL, NULL), 0);
	rpc_free(rpc);
	event_base_free(base);
	tserver_stop(&ts);
}
END_TEST

/* Parse address; check the host and port, or that cause has want. */
static void
parse(const char *address, const char *host, int port, const char *want)
{
	char		*h = NULL, *cause = NULL;
	uint16_t	 p = 0;

	if (want == NULL) {
		ck_assert_int_eq(rpc_parse_address(address, &h, &p, &cause), 0);
		ck_assert_str_eq(h, host);
		ck_assert_int_eq(p, port);
		free(h);
		return;
	}
	ck_assert_int_eq(rpc_parse_address(address, &h, &p, &cause), -1);
	ck_assert_ptr_null(h);
	ck_assert_msg(strstr(cause, want) != NULL, "%s: \"%s\" lacks \"%s\"",
	    address, cause, want);
	free(cause);
}

START_TEST(test_parse_address)
{
	struct event_base	*base = event_base_new();
	char			*cause = NULL;

	parse("127.0.0.1:9876", "127.0.0.1", 9876, NULL);
	parse("[::1]:80", "::1", 80, NULL);
	parse("localhost:1", "localhost", 1, NULL);
	parse("h:65535", "h", 65535, NULL);
	parse("h:0", "h", 0, NULL);
	parse("", NULL, 0, "empty");
	parse("::1:80", NULL, 0, "brackets");
	parse("host", NULL, 0, "no port");
	parse("host:", NULL, 0, "no port");
	parse(":80", NULL, 0, "no host");
	parse("[]:80", NULL, 0, "no host");
	parse("[::1]", NULL, 0, "no port");
	parse("[::1]80", NULL, 0, "no port");
	parse("[::1:80", NULL, 0, "]");
	parse("h:65536", NULL, 0, "over 65535");
	parse("h:99999999999999999999", NULL, 0, "bad port");
	parse("h:12a", NULL, 0, "bad port");
	parse("h:-1", NULL, 0, "bad port");

	ck_assert_ptr_null(rpc_new(base, "example.com:80", &cause));
	ck_assert_ptr_nonnull(strstr(cause, "not a numeric"));
	free(cause);
	ck_assert_ptr_null(rpc_new(base, "127.0.0.1:0", &cause));
	ck_assert_ptr_nonnull(strstr(cause, "port 0"));
	free(cause);
	ck_assert_ptr_null(rpc_new(base, "1.2.3.4", &cause));
	free(cause);
	event_base_free(base);
}
END_TEST

START_TEST(test_throughput)
{
	struct tserver		 ts;
	struct event_base	*base = event_base_new();
	struct rpc		*rpc;
	struct answers		*a = xcalloc(1, sizeof *a);
	struct slot		*slots = xcalloc(MANY, sizeof *slots);
	struct rpc_stats	 st;
	char			*cause = NULL;
	uint64_t		 t0, dt;
	int			 round, rounds = 50;

	ck_assert_int_eq(tserver_start(&ts, "127.0.0.1", 0), 0);
	rpc = rpc_new(base, ts.address, &cause);
	ck_assert_uint_eq(rpc_call_sync(rpc, PETREL__REQUEST_CODE__CODE_PING,
	    NULL, 2000, NULL, NULL), 0);
	t0 = test_now_ms();
	for (round = 0; round < rounds; round++) {
		memset(a, 0, sizeof *a);
		call_many(rpc, a, slots, 0, MANY,
		    PETREL__REQUEST_CODE__CODE_KV_GET, 5000);
		run_until(base, &a->n, MANY, TEST_WAIT_MS);
		ck_assert_int_eq(a->ok, MANY);
	}
	dt = test_now_ms() - t0;
	rpc_stats(rpc, &st);
	fprintf(stderr, "rpc: %d calls in batches of %d in %llu ms "
	    "(%.0f/s), %llu writes\n", rounds * MANY, MANY,
	    (unsigned long long)dt, dt ? rounds * MANY * 1000.0 / dt : 0.0,
	    (unsigned long long)st.writes);
	rpc_free(rpc);
	event_base_free(base);
	tserver_stop(&ts);
	free(slots);
	free(a);
}
END_TEST

/* What rpc_call_raw() callbacks got, in order. */
struct raws {
	int		 n;
	int		 which[8];
	uint32_t	 status[8];
	uint8_t		*data[8];	/* a copy, or NULL */
	size_t		 len[8];
};

struct raw_slot {
	struct raws	*r;
	int		 i;
};

/* Keep a copy of an answer left encoded. */
static void
raw_record(uint32_t status, const char *error, const uint8_t *data,
    size_t len, void *arg)
{
	struct raw_slot	*s = arg;
	struct raws	*r = s->r;

	ck_assert_ptr_nonnull(error);
	ck_assert_int_lt(r->n, 8);
	r->which[r->n] = s->i;
	r->status[r->n] = status;
	r->len[r->n] = len;
	r->data[r->n] = NULL;
	if (data != NULL) {
		r->data[r->n] = xmalloc(len + 1);
		memcpy(r->data[r->n], data, len);
	} else
		ck_assert_uint_eq(len, 0);
	if (status != 0)
		ck_assert_ptr_null(data);
	r->n++;
}

/* The descriptor of this process's end of the connection accepted as fd. */
static int
peer_fd(int fd)
{
	struct sockaddr_in	peer, mine;
	socklen_t		len = sizeof peer;
	int			i;

	ck_assert_int_eq(getpeername(fd, (struct sockaddr *)&peer, &len), 0);
	for (i = 3; i < 1024; i++) {
		len = sizeof mine;
		if (i != fd && getsockname(i, (struct sockaddr *)&mine,
		    &len) == 0 && mine.sin_family == AF_INET &&
		    mine.sin_port == peer.sin_port)
			return (i);
	}
	ck_abort_msg("no end of the connection in this process");
	return (-1);
}

/* Whether fd has nothing left to read. */
static int
drained(int fd)
{
	int	n = 0;

	ck_assert_int_eq(ioctl(fd, FIONREAD, &n), 0);
	return (n == 0);
}

/*
 * Send what out holds on non-blocking fd while base runs (the client
 * reads what we write), then run base until the client read it all.
 */
static void
pump(struct event_base *base, int fd, int cfd, struct evbuffer *out)
{
	uint64_t	deadline = test_now_ms() + TEST_WAIT_MS;
	ssize_t		n;
	size_t		len;

	while ((len = evbuffer_get_length(out)) != 0 || !drained(cfd)) {
		ck_assert_uint_lt(test_now_ms(), deadline);
		if (len != 0) {
			n = send(fd, evbuffer_pullup(out, (ev_ssize_t)(len >
			    65536 ? 65536 : len)), len > 65536 ? 65536 : len,
			    MSG_NOSIGNAL | MSG_DONTWAIT);
			if (n > 0)
				evbuffer_drain(out, (size_t)n);
		}
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	}
}

/* A response frame to request id of code with len bytes of body. */
static void
raw_answer(struct evbuffer *out, uint32_t code, uint64_t id,
    const uint8_t *body, size_t len)
{
	Petrel__Frame	f = PETREL__FRAME__INIT;

	f.version = 1;
	f.code = code;
	f.id = id;
	f.flags = PETREL__FRAME_FLAG__FRAME_RESPONSE;
	f.body.data = (uint8_t *)body;
	f.body.len = len;
	ck_assert_int_eq(frame_write(out, &f), 0);
}

START_TEST(test_call_raw)
{
	struct event_base	*base = event_base_new();
	struct evbuffer		*out = evbuffer_new(), *first;
	struct rpc		*rpc;
	struct raws		 r;
	struct raw_slot		 slots[6];
	struct rpc_stats	 st;
	Petrel__PullMessageRequest req = PETREL__PULL_MESSAGE_REQUEST__INIT;
	uint32_t		 code = PETREL__REQUEST_CODE__CODE_PULL_MESSAGE;
	size_t			 sizes[4] = { 300000, 700000, 1000, 0 };
	size_t			 i, j;
	uint8_t			*bodies[4];
	int			 lfd, fd, cfd;

	rpc = fake_server(base, &lfd);
	memset(&r, 0, sizeof r);
	req.topic = (char *)"T";
	for (i = 0; i < 6; i++) {
		slots[i].r = &r;
		slots[i].i = (int)i;
		/* The fifth times out, the sixth sees the connection go. */
		ck_assert_int_eq(rpc_call_raw(rpc, code, &req.base,
		    i == 4 ? 100 : 20000, raw_record, &slots[i]), 0);
	}
	fd = accept(lfd, NULL, NULL);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
	cfd = peer_fd(fd);
	run_until(base, &r.n, 1, TEST_WAIT_MS);
	ck_assert_int_eq(r.n, 1);
	ck_assert_int_eq(r.which[0], 4);
	ck_assert_uint_eq(r.status[0], PETREL__STATUS__STATUS_TIMEOUT);

	for (i = 0; i < 4; i++) {
		bodies[i] = xmalloc(sizes[i] + 1);
		for (j = 0; j < sizes[i]; j++)
			bodies[i][j] = (uint8_t)(j * 7 + i);
		raw_answer(out, code, i + 1, bodies[i], sizes[i]);
	}
	raw_answer(out, code, 5, bodies[2], sizes[2]);	/* timed out */
	/* The first large frame dribbles in: its start is read alone. */
	first = evbuffer_new();
	evbuffer_remove_buffer(out, first, 3000);
	pump(base, fd, cfd, first);
	ck_assert_int_eq(r.n, 1);
	pump(base, fd, cfd, out);
	run_until(base, &r.n, 5, TEST_WAIT_MS);
	ck_assert_int_eq(r.n, 5);
	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(r.which[i + 1], (int)i);
		ck_assert_uint_eq(r.status[i + 1], 0);
		ck_assert_uint_eq(r.len[i + 1], sizes[i]);
		if (sizes[i] != 0)
			ck_assert_mem_eq(r.data[i + 1], bodies[i], sizes[i]);
	}
	rpc_stats(rpc, &st);
	ck_assert_uint_ge(st.big_frames, 1);
	ck_assert_uint_le(st.big_frames, 2);

	/* The connection goes: the last call fails, with no bytes. */
	close(fd);
	run_until(base, &r.n, 6, TEST_WAIT_MS);
	ck_assert_int_eq(r.n, 6);
	ck_assert_int_eq(r.which[5], 5);
	ck_assert_uint_eq(r.status[5],
	    PETREL__STATUS__STATUS_CONNECTION_CLOSED);

	for (i = 0; i < 6; i++)
		free(r.data[i]);
	for (i = 0; i < 4; i++)
		free(bodies[i]);
	close(lfd);
	rpc_free(rpc);
	evbuffer_free(first);
	evbuffer_free(out);
	event_base_free(base);
}
END_TEST

/* Read frames the client wrote on fd into in until it holds want bytes. */
static void
read_frames(struct event_base *base, int fd, struct evbuffer *in,
    size_t want)
{
	uint64_t	deadline = test_now_ms() + TEST_WAIT_MS;

	while (evbuffer_get_length(in) < want) {
		ck_assert_uint_lt(test_now_ms(), deadline);
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		evbuffer_read(in, fd, 65536);
	}
}

START_TEST(test_call_parts)
{
	struct event_base	*base = event_base_new();
	struct evbuffer		*in = evbuffer_new(), *out = evbuffer_new();
	struct rpc		*rpc;
	struct raws		 r;
	struct raw_slot		 slot;
	struct rpc_stats	 st;
	Petrel__Frame		*f;
	Petrel__PullMessageRequest req = PETREL__PULL_MESSAGE_REQUEST__INIT;
	ProtobufCBinaryData	 parts[4];
	uint32_t		 code = PETREL__REQUEST_CODE__CODE_SEND_BATCH;
	uint8_t			*packed, body[3] = { 1, 2, 3 };
	size_t			 len, i;
	char			*cause = NULL;
	int			 lfd, fd, rc;

	rpc = fake_server(base, &lfd);
	memset(&r, 0, sizeof r);
	slot.r = &r;
	slot.i = 0;

	/* A request as parts: its body is them, back to back. */
	req.topic = (char *)"Parts";
	req.queue_offset = 300;
	len = protobuf_c_message_get_packed_size(&req.base);
	packed = xmalloc(len);
	protobuf_c_message_pack(&req.base, packed);
	parts[0].data = packed;
	parts[0].len = 3;
	parts[1].data = NULL;
	parts[1].len = 0;
	parts[2].data = packed + 3;
	parts[2].len = len - 3;
	ck_assert_int_eq(rpc_call_parts(rpc,
	    PETREL__REQUEST_CODE__CODE_PULL_MESSAGE, parts, 3, 20000,
	    raw_record, &slot), 0);
	ck_assert_int_eq(rpc_oneway_parts(rpc, code, parts, 3), 0);
	ck_assert_int_eq(rpc_oneway_parts(rpc, code, NULL, 0), 0);
	/* An unknown code is refused, as by rpc_call(). */
	ck_assert_int_eq(rpc_call_parts(rpc, 0, parts, 3, 0, raw_record,
	    &slot), -1);
	ck_assert_int_eq(rpc_oneway_parts(rpc, 0, parts, 3), -1);
	ck_assert_uint_eq(rpc_pending(rpc), 1);

	fd = accept(lfd, NULL, NULL);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
	for (i = 0; i < 3; i++) {
		while ((rc = frame_read(in, FRAME_MAX_DEFAULT, &f,
		    &cause)) == 0)
			read_frames(base, fd, in, evbuffer_get_length(in) + 1);
		ck_assert_int_eq(rc, 1);
		ck_assert_uint_eq(f->id, i + 1);
		if (i == 0) {
			ck_assert_uint_eq(f->code,
			    PETREL__REQUEST_CODE__CODE_PULL_MESSAGE);
			ck_assert_uint_eq(f->flags, 0);
			ck_assert_uint_eq(f->body.len, len);
			ck_assert_mem_eq(f->body.data, packed, len);
		} else {
			ck_assert_uint_eq(f->code, code);
			ck_assert_uint_eq(f->flags,
			    PETREL__FRAME_FLAG__FRAME_ONEWAY);
			ck_assert_uint_eq(f->body.len, i == 1 ? len : 0);
		}
		msg_free(f);
	}

	/* Its answer comes left encoded. */
	raw_answer(out, PETREL__REQUEST_CODE__CODE_PULL_MESSAGE, 1, body,
	    sizeof body);
	ck_assert_int_gt(evbuffer_write(out, fd), 0);
	ck_assert_uint_eq(evbuffer_get_length(out), 0);
	run_until(base, &r.n, 1, TEST_WAIT_MS);
	ck_assert_int_eq(r.n, 1);
	ck_assert_uint_eq(r.status[0], 0);
	ck_assert_uint_eq(r.len[0], sizeof body);
	ck_assert_mem_eq(r.data[0], body, sizeof body);
	rpc_stats(rpc, &st);
	ck_assert_uint_eq(st.calls, 1);
	ck_assert_uint_eq(st.oneways, 2);

	free(r.data[0]);
	free(packed);
	close(fd);
	close(lfd);
	rpc_free(rpc);
	evbuffer_free(in);
	evbuffer_free(out);
	event_base_free(base);
}
END_TEST

Suite *
rpc_suite(void)
{
	Suite	*s = suite_create("rpc");
	TCase	*tc;

	tc = tcase_create("rpc_call");
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_call_answer);
	tcase_add_test(tc, test_error_status);
	tcase_add_test(tc, test_timeout);
	tcase_add_test(tc, test_oneway);
	tcase_add_test(tc, test_closed_fails_pending);
	tcase_add_test(tc, test_connect_failed);
	tcase_add_test(tc, test_bad_server);
	tcase_add_test(tc, test_call_raw);
	tcase_add_test(tc, test_call_parts);
	tcase_add_test(tc, test_one_write);
	tcase_add_test(tc, test_server_request);
	tcase_add_test(tc, test_free_pending);
	tcase_add_test(tc, test_not_sent);
	tcase_add_test(tc, test_ipv6);
	tcase_add_test(tc, test_throughput);
	suite_add_tcase(s, tc);
	tc = tcase_create("rpc_parse_address");
	tcase_add_test(tc, test_parse_address);
	suite_add_tcase(s, tc);
	return (s);
}
