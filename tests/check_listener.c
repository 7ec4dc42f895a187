/*
 * Tests of actors/listener.c on a real loop and a free loopback port,
 * spoken to by a raw frame client (tests/transport_test.c): every check
 * a request goes through, replies from a detached actor, busy answers,
 * watchers of closed connections, bad frames closing one connection
 * only, a thousand broken frames, Stop, and configuration errors.
 */
#include "config.h"

#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <check.h>
#include <event2/buffer.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codes.h"
#include "frame.h"
#include "listener.h"
#include "msg.h"
#include "testutil.h"
#include "transport_test.h"
#include "xmalloc.h"
#include "proto/broker.pb-c.h"
#include "proto/brokerd.pb-c.h"
#include "proto/namesrv.pb-c.h"
#include "proto/runtime.pb-c.h"

/* Read one answer; it must come. */
static Petrel__Frame *
answer(int fd, struct evbuffer *in)
{
	Petrel__Frame	*f;
	int		 eof;

	f = raw_read(fd, in, &eof);
	ck_assert_msg(f != NULL, "no answer (eof %d)", eof);
	ck_assert_uint_eq(f->flags & PETREL__FRAME_FLAG__FRAME_RESPONSE,
	    PETREL__FRAME_FLAG__FRAME_RESPONSE);
	return (f);
}

/* Send a request and check the answer's status; returns the answer. */
static Petrel__Frame *
ask(int fd, struct evbuffer *in, uint32_t code, uint64_t id,
    const ProtobufCMessage *body, uint32_t status)
{
	Petrel__Frame	*f;

	ck_assert_int_eq(raw_send_msg(fd, code, id, 0, body), 0);
	f = answer(fd, in);
	ck_assert_uint_eq(f->id, id);
	ck_assert_uint_eq(f->code, code);
	ck_assert_msg(f->status == status, "status %s (%s), want %s",
	    frame_status_name(f->status), f->error, frame_status_name(status));
	return (f);
}

/* A Ping on a new connection is answered: the listener is alive. */
static void
alive(struct tserver *ts)
{
	struct evbuffer	*in = evbuffer_new();
	Petrel__Frame	*f;
	Petrel__Pong	*pong;
	int		 fd = raw_connect(ts->port);

	ck_assert_int_ge(fd, 0);
	f = ask(fd, in, PETREL__REQUEST_CODE__CODE_PING, 1, NULL, 0);
	pong = msg_unpack(&petrel__pong__descriptor, f->body.data,
	    f->body.len);
	ck_assert_ptr_nonnull(pong);
	ck_assert_str_eq(pong->server, TEST_SERVER);
	msg_free(pong);
	msg_free(f);
	close(fd);
	evbuffer_free(in);
}

START_TEST(test_ping)
{
	struct tserver	 ts;
	struct evbuffer	*in = evbuffer_new();
	Petrel__Ping	 ping = PETREL__PING__INIT;
	Petrel__Pong	*pong;
	Petrel__Frame	*f;
	int		 fd;

	ck_assert_int_eq(tserver_start(&ts, "127.0.0.1", 0), 0);
	fd = raw_connect(ts.port);
	ping.sent_ms = 99;
	/* A one-way ping gets nothing; the next one gets its pong. */
	ck_assert_int_eq(raw_send_msg(fd, PETREL__REQUEST_CODE__CODE_PING, 7,
	    PETREL__FRAME_FLAG__FRAME_ONEWAY, &ping.base), 0);
	f = ask(fd, in, PETREL__REQUEST_CODE__CODE_PING, 8, &ping.base, 0);
	pong = msg_unpack(&petrel__pong__descriptor, f->body.data,
	    f->body.len);
	ck_assert_uint_eq(pong->sent_ms, 99);
	ck_assert_str_eq(pong->server, TEST_SERVER);
	ck_assert_uint_eq(f->version, 1);
	msg_free(pong);
	msg_free(f);
	close(fd);
	evbuffer_free(in);
	tserver_stop(&ts);
}
END_TEST

START_TEST(test_request_checks)
{
	struct tserver		 ts;
	struct evbuffer		*in = evbuffer_new(), *out = evbuffer_new();
	Petrel__Frame		 raw = PETREL__FRAME__INIT, *f;
	Petrel__KvGetRequest	 get = PETREL__KV_GET_REQUEST__INIT;
	Petrel__RegisterBrokerRequest reg = PETREL__REGISTER_BROKER_REQUEST__INIT;
	uint8_t			 junk[] = { 0xff, 0xff, 0xff };
	int			 fd;

	ck_assert_int_eq(tserver_start(&ts, "127.0.0.1", 0), 0);
	fd = raw_connect(ts.port);

	/* Unknown code, then a known one nobody here serves. */
	f = ask(fd, in, 4242, 1, NULL,
	    PETREL__STATUS__STATUS_REQUEST_CODE_NOT_SUPPORTED);
	msg_free(f);
	f = ask(fd, in, PETREL__REQUEST_CODE__CODE_REGISTER_BROKER, 2,
	    &reg.base, PETREL__STATUS__STATUS_REQUEST_CODE_NOT_SUPPORTED);
	msg_free(f);

	/* A body that does not decode as the code's request. */
	raw.version = 1;
	raw.code = PETREL__REQUEST_CODE__CODE_KV_GET;
	raw.id = 3;
	raw.body.data = junk;
	raw.body.len = sizeof junk;
	frame_write(out, &raw);
	ck_assert_int_eq(raw_send(fd, out), 0);
	f = answer(fd, in);
	ck_assert_uint_eq(f->id, 3);
	ck_assert_uint_eq(f->status, PETREL__STATUS__STATUS_BAD_REQUEST);
	msg_free(f);

	/* Another protocol version: answered, and the connection stays. */
	raw.version = 2;
	raw.id = 4;
	raw.body.len = 0;
	frame_write(out, &raw);
	ck_assert_int_eq(raw_send(fd, out), 0);
	f = answer(fd, in);
	ck_assert_uint_eq(f->id, 4);
	ck_assert_uint_eq(f->status,
	    PETREL__STATUS__STATUS_VERSION_NOT_SUPPORTED);
	ck_assert_uint_eq(f->version, 1);
	msg_free(f);

	/* Responses from a client are ignored; the echo still answers. */
	ck_assert_int_eq(raw_send_msg(fd, PETREL__REQUEST_CODE__CODE_KV_GET, 5,
	    PETREL__FRAME_FLAG__FRAME_RESPONSE, NULL), 0);
	get.key = (char *)"k";
	f = ask(fd, in, PETREL__REQUEST_CODE__CODE_KV_GET, 6, &get.base, 0);
	msg_free(f);

	/* The echo answered with the wrong type. */
	get.key = (char *)"wrong";
	f = ask(fd, in, PETREL__REQUEST_CODE__CODE_KV_GET, 7, &get.base,
	    PETREL__STATUS__STATUS_SYSTEM_ERROR);
	msg_free(f);

	close(fd);
	evbuffer_free(in);
	evbuffer_free(out);
	tserver_stop(&ts);
}
END_TEST

START_TEST(test_error_reply)
{
	struct tserver		 ts;
	struct evbuffer		*in = evbuffer_new();
	Petrel__KvPutRequest	 put = PETREL__KV_PUT_REQUEST__INIT;
	Petrel__Frame		*f;
	int			 fd;

	ck_assert_int_eq(tserver_start(&ts, "127.0.0.1", 0), 0);
	fd = raw_connect(ts.port);
	put.namespace_ = (char *)"error";
	put.key = (char *)"5";
	put.value = (char *)"nothing there";
	f = ask(fd, in, PETREL__REQUEST_CODE__CODE_KV_PUT, 1, &put.base,
	    PETREL__STATUS__STATUS_NOT_FOUND);
	ck_assert_str_eq(f->error, "nothing there");
	ck_assert_uint_eq(f->body.len, 0);
	msg_free(f);
	/* An Error with status OK is still an error. */
	put.key = (char *)"0";
	f = ask(fd, in, PETREL__REQUEST_CODE__CODE_KV_PUT, 2, &put.base,
	    PETREL__STATUS__STATUS_SYSTEM_ERROR);
	msg_free(f);
	close(fd);
	evbuffer_free(in);
	tserver_stop(&ts);
}
END_TEST

/* An answer encoded already, in parts, reaches the client as one body. */
START_TEST(test_encoded_answer)
{
	struct tserver		 ts;
	struct evbuffer		*in = evbuffer_new();
	Petrel__KvGetRequest	 get = PETREL__KV_GET_REQUEST__INIT;
	Petrel__KvGetResponse	*resp;
	Petrel__Frame		*f;
	int			 fd;

	ck_assert_int_eq(tserver_start(&ts, "127.0.0.1", 0), 0);
	fd = raw_connect(ts.port);
	get.namespace_ = (char *)"ns";
	get.key = (char *)"encoded, in three parts";
	f = ask(fd, in, PETREL__REQUEST_CODE__CODE_KV_GET, 7, &get.base, 0);
	resp = msg_unpack(&petrel__kv_get_response__descriptor, f->body.data,
	    f->body.len);
	ck_assert_ptr_nonnull(resp);
	ck_assert_str_eq(resp->value, "encoded, in three parts");
	msg_free(resp);
	msg_free(f);
	close(fd);
	evbuffer_free(in);
	tserver_stop(&ts);
}
END_TEST

/*
 * A route marked encoded hands its actor the frame's body as it came, in
 * an EncodedRequest, even one that would not decode; the actor's answer
 * goes back as any other.
 */
START_TEST(test_encoded_request)
{
	struct tserver		 ts;
	struct evbuffer		*b = evbuffer_new(), *in = evbuffer_new();
	ProtobufCBinaryData	 part = { 3, (uint8_t *)"\xff\x00\x01" };
	Petrel__EncodedRequest	*er;
	Petrel__Frame		*f;
	struct envelope		 env;
	int			 fd, eof;

	ck_assert_int_eq(tserver_start(&ts, "127.0.0.1", 0), 0);
	fd = raw_connect(ts.port);
	ck_assert_int_eq(frame_write_parts(b,
	    PETREL__REQUEST_CODE__CODE_SEND_MESSAGE, 5, 0, 0, NULL, &part, 1),
	    0);
	ck_assert_int_eq(raw_send(fd, b), 0);
	er = (Petrel__EncodedRequest *)test_wait_msg(ts.slow,
	    &petrel__encoded_request__descriptor, &env, TEST_WAIT_MS);
	ck_assert_ptr_nonnull(er);
	ck_assert_uint_eq(er->code, PETREL__REQUEST_CODE__CODE_SEND_MESSAGE);
	ck_assert_uint_eq(er->body.len, 3);
	ck_assert_mem_eq(er->body.data, "\xff\x00\x01", 3);
	msg_free(er);
	actor_reply_error(&env, PETREL__STATUS__STATUS_BAD_REQUEST, "no");
	f = raw_read(fd, in, &eof);
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(f->id, 5);
	ck_assert_uint_eq(f->status, PETREL__STATUS__STATUS_BAD_REQUEST);
	msg_free(f);
	close(fd);
	evbuffer_free(b);
	evbuffer_free(in);
	tserver_stop(&ts);
}
END_TEST

START_TEST(test_busy_and_late_replies)
{
	struct tserver			 ts;
	struct evbuffer			*in = evbuffer_new();
	Petrel__GetRouteRequest		 req = PETREL__GET_ROUTE_REQUEST__INIT;
	Petrel__GetRouteRequest		*got;
	Petrel__Frame			*f;
	struct envelope			 env[4];
	char				 topic[8];
	size_t				 queued, i;
	int				 fd, busy = 0;

	ck_assert_int_eq(tserver_start(&ts, "127.0.0.1", 0), 0);
	actor_set_hwm(ts.slow, 2);
	fd = raw_connect(ts.port);

	/* Nobody drains the slow actor: it fills up, then it is busy. */
	req.topic = topic;
	for (i = 1; i <= 4; i++) {
		snprintf(topic, sizeof topic, "t%zu", i);
		ck_assert_int_eq(raw_send_msg(fd,
		    PETREL__REQUEST_CODE__CODE_GET_ROUTE, i, 0, &req.base), 0);
	}
	ck_assert_int_eq(raw_send_msg(fd, PETREL__REQUEST_CODE__CODE_PING,
	    100, 0, NULL), 0);
	while ((f = answer(fd, in))->id != 100) {
		ck_assert_uint_eq(f->status,
		    PETREL__STATUS__STATUS_SYSTEM_BUSY);
		busy++;
		msg_free(f);
	}
	msg_free(f);
	queued = actor_depth(ts.slow);
	ck_assert_uint_ge(queued, 2);
	ck_assert_uint_le(queued, 3);
	ck_assert_uint_eq(queued + busy, 4);

	/* What the slow actor got, and how it was asked. */
	for (i = 0; i < queued; i++) {
		got = (Petrel__GetRouteRequest *)actor_pop(ts.slow, &env[i]);
		ck_assert_ptr_nonnull(got);
		snprintf(topic, sizeof topic, "t%zu", i + 1);
		ck_assert_str_eq(got->topic, topic);
		ck_assert_ptr_eq(env[i].from, ts.listener);
		ck_assert_uint_ne(env[i].cookie, 0);
		ck_assert_uint_ne(env[i].conn, 0);
		ck_assert_uint_eq(env[i].conn, env[0].conn);
		msg_free(got);
	}

	/* Answer the second first, from this thread. */
	actor_reply(&env[1],
	    msg_new(&petrel__get_route_response__descriptor));
	f = answer(fd, in);
	ck_assert_uint_eq(f->id, 2);
	ck_assert_uint_eq(f->status, 0);
	msg_free(f);
	actor_reply_error(&env[0], PETREL__STATUS__STATUS_NOT_FOUND,
	    "no route for %s", "t1");
	f = answer(fd, in);
	ck_assert_uint_eq(f->id, 1);
	ck_assert_uint_eq(f->status, PETREL__STATUS__STATUS_NOT_FOUND);
	ck_assert_str_eq(f->error, "no route for t1");
	msg_free(f);

	/*
	 * A second answer to the same request, and one to a closed
	 * connection: both dropped quietly.
	 */
	actor_reply(&env[1],
	    msg_new(&petrel__get_route_response__descriptor));
	close(fd);
	msg_free(test_wait_msg(ts.watcher,
	    &petrel__connection_closed__descriptor, NULL, TEST_WAIT_MS));
	for (i = 2; i < queued; i++)
		actor_reply(&env[i],
		    msg_new(&petrel__get_route_response__descriptor));
	actor_reply(&env[0],
	    msg_new(&petrel__get_route_response__descriptor));
	alive(&ts);

	evbuffer_free(in);
	tserver_stop(&ts);
}
END_TEST

START_TEST(test_watchers)
{
	struct tserver			 ts;
	struct evbuffer			*in = evbuffer_new();
	struct sockaddr_in		 sin;
	socklen_t			 len = sizeof sin;
	Petrel__ConnectionClosed	*cc;
	Petrel__KvGetRequest		 get = PETREL__KV_GET_REQUEST__INIT;
	Petrel__Frame			*f;
	struct envelope			 env;
	char				 peer[64];
	int				 fd;

	ck_assert_int_eq(tserver_start(&ts, "127.0.0.1", 0), 0);
	fd = raw_connect(ts.port);
	get.key = (char *)"x";
	f = ask(fd, in, PETREL__REQUEST_CODE__CODE_KV_GET, 1, &get.base, 0);
	msg_free(f);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	snprintf(peer, sizeof peer, "127.0.0.1:%u", ntohs(sin.sin_port));
	ck_assert_ptr_null(actor_pop(ts.watcher, NULL));
	close(fd);

	cc = (Petrel__ConnectionClosed *)test_wait_msg(ts.watcher,
	    &petrel__connection_closed__descriptor, &env, TEST_WAIT_MS);
	ck_assert_ptr_nonnull(cc);
	ck_assert_uint_ne(cc->conn, 0);
	ck_assert_str_eq(cc->peer, peer);
	msg_free(cc);
	evbuffer_free(in);
	tserver_stop(&ts);
}
END_TEST

START_TEST(test_bad_envelopes_close)
{
	struct tserver			 ts;
	struct evbuffer			*out = evbuffer_new();
	Petrel__ConnectionClosed	*cc;
	int				 fd;

	/* A 1 KiB limit. */
	ck_assert_int_eq(tserver_start(&ts, "127.0.0.1", 1024), 0);

	/* 4 GiB declared: closed at once, nothing waited for. */
	fd = raw_connect(ts.port);
	evbuffer_add(out, "\xff\xff\xff\xff", 4);
	ck_assert_int_eq(raw_send(fd, out), 0);
	ck_assert_int_eq(raw_wait_eof(fd), 1);
	close(fd);
	cc = (Petrel__ConnectionClosed *)test_wait_msg(ts.watcher,
	    &petrel__connection_closed__descriptor, NULL, TEST_WAIT_MS);
	ck_assert_ptr_nonnull(cc);
	msg_free(cc);

	/* Just over the limit. */
	fd = raw_connect(ts.port);
	evbuffer_add(out, "\0\0\x04\x01", 4);
	ck_assert_int_eq(raw_send(fd, out), 0);
	ck_assert_int_eq(raw_wait_eof(fd), 1);
	close(fd);

	/* An envelope that does not decode. */
	fd = raw_connect(ts.port);
	evbuffer_add(out, "\0\0\0\x02\xff\xff", 6);
	ck_assert_int_eq(raw_send(fd, out), 0);
	ck_assert_int_eq(raw_wait_eof(fd), 1);
	close(fd);

	/* Within the limit is fine. */
	alive(&ts);
	evbuffer_free(out);
	tserver_stop(&ts);
}
END_TEST

START_TEST(test_thousand_bad_frames)
{
	struct tserver		 ts;
	struct evbuffer		*out = evbuffer_new(), *good = evbuffer_new();
	const struct code_info	*all = codes_all();
	Petrel__KvPutRequest	 put = PETREL__KV_PUT_REQUEST__INIT;
	Petrel__Frame		 raw = PETREL__FRAME__INIT;
	uint8_t			 buf[256], *bytes;
	size_t			 ncodes, len, i, j, cut;
	int			 fd = -1;

	ck_assert_int_eq(tserver_start(&ts, "127.0.0.1", 4096), 0);
	for (ncodes = 0; all[ncodes].code != 0; ncodes++)
		;
	raw.version = 1;
	srandom(7);
	for (i = 0; i < 1000; i++) {
		if (fd == -1)
			fd = raw_connect(ts.port);
		ck_assert_int_ge(fd, 0);
		switch (random() % 4) {
		case 0:		/* a known code with a random body */
			for (j = 0; j < sizeof buf; j++)
				buf[j] = random();
			raw.code = all[random() % ncodes].code;
			raw.id = i;
			raw.flags = random() % 4;
			raw.body.data = buf;
			raw.body.len = random() % sizeof buf;
			frame_write(out, &raw);
			break;
		case 1:		/* a valid frame, cut short, then close */
			put.key = (char *)"key";
			put.value = (char *)"value";
			frame_write_msg(good, PETREL__REQUEST_CODE__CODE_KV_PUT,
			    i, 0, 0, NULL, &put.base);
			len = evbuffer_get_length(good);
			bytes = evbuffer_pullup(good, -1);
			cut = random() % len;
			evbuffer_add(out, bytes, cut);
			evbuffer_drain(good, len);
			break;
		case 2:		/* random bytes, random declared length */
			len = random() % sizeof buf;
			for (j = 0; j < len; j++)
				buf[j] = random();
			evbuffer_add(out, buf, len);
			break;
		default:	/* a valid frame with a byte flipped */
			put.key = (char *)"k";
			put.value = (char *)"v";
			frame_write_msg(out, PETREL__REQUEST_CODE__CODE_KV_GET,
			    i, 0, 0, NULL, &put.base);
			len = evbuffer_get_length(out);
			bytes = evbuffer_pullup(out, -1);
			bytes[random() % len] ^= 1 << (random() % 8);
			break;
		}
		if (raw_send(fd, out) != 0 || random() % 8 == 0) {
			close(fd);
			fd = -1;
		}
	}
	if (fd != -1)
		close(fd);
	alive(&ts);
	evbuffer_free(out);
	evbuffer_free(good);
	tserver_stop(&ts);
}
END_TEST

START_TEST(test_backpressure)
{
	struct tserver	 ts;
	struct evbuffer	*chunk = evbuffer_new(), *in = evbuffer_new();
	struct sockaddr_in sin;
	struct pollfd	 pfd;
	Petrel__ListenerReady *ready;
	Petrel__KvGetRequest get = PETREL__KV_GET_REQUEST__INIT;
	char		 key[1000];
	Petrel__Frame	*f;
	const uint8_t	*bytes;
	char		*cause = NULL;
	size_t		 len, off = 0, frames = 0, answers = 0, i;
	ssize_t		 n;
	uint64_t	 deadline;
	int		 fd, stalled = 0, small = 4096;

	/* A listener that holds at most 16 KiB of unread answers. */
	ck_assert_int_eq(tserver_start(&ts, "127.0.0.1", 0), 0);
	ts.max_unsent = 16384;
	ts.extra = actor_spawn(ts.loop, &listener_actor, "listener2");
	ready = tserver_listen(&ts, ts.extra, "127.0.0.1", 0, 0);
	ck_assert_str_eq(ready->error, "");

	/* Small kernel buffers on this side, so they fill quickly. */
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons(ready->port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	msg_free(ready);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	ck_assert_int_eq(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
	memset(key, 'k', sizeof key - 1);
	key[sizeof key - 1] = '\0';
	get.key = key;
	for (i = 0; i < 100; i++)
		frame_write_msg(chunk, PETREL__REQUEST_CODE__CODE_KV_GET, i + 1,
		    0, 0, NULL, &get.base);
	len = evbuffer_get_length(chunk);
	bytes = evbuffer_pullup(chunk, -1);

	/*
	 * Send requests and read nothing.  The answers pile up in the
	 * listener until it stops reading; then the kernel buffers fill and
	 * send(2) stalls.  Without the pause it would never stall.
	 */
	pfd.fd = fd;
	pfd.events = POLLOUT;
	while (frames < 200000) {
		n = send(fd, bytes + off, len - off, MSG_NOSIGNAL);
		if (n > 0) {
			if (off == 0)
				frames += 100;
			off = (off + (size_t)n) % len;
			continue;
		}
		ck_assert_int_eq(errno, EAGAIN);
		if (poll(&pfd, 1, 300) == 0) {
			stalled = 1;
			break;
		}
	}
	ck_assert_msg(stalled, "never stalled after %zu requests", frames);

	/* Now read: every request is answered once the peer reads again. */
	small = 65536;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
	deadline = test_now_ms() + 30000;
	while ((answers < frames || off != 0) && test_now_ms() < deadline) {
		pfd.events = POLLIN | (off != 0 ? POLLOUT : 0);
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		if ((pfd.revents & POLLOUT) && off != 0 &&
		    (n = send(fd, bytes + off, len - off, MSG_NOSIGNAL)) > 0)
			off = (off + (size_t)n) % len;
		if (pfd.revents & POLLIN)
			ck_assert_int_gt(evbuffer_read(in, fd, 1 << 20), 0);
		while (frame_read(in, FRAME_MAX_DEFAULT, &f, &cause) == 1) {
			ck_assert_uint_eq(f->id, answers % 100 + 1);
			ck_assert_uint_eq(f->status, 0);
			answers++;
			msg_free(f);
		}
	}
	ck_assert_uint_eq(answers, frames);
	fprintf(stderr, "backpressure: stalled after %zu requests\n", frames);
	close(fd);
	evbuffer_free(chunk);
	evbuffer_free(in);
	tserver_stop(&ts);
}
END_TEST

START_TEST(test_stop)
{
	struct tserver	 ts;
	struct evbuffer	*in = evbuffer_new();
	Petrel__Frame	*f;
	int		 fd;

	ck_assert_int_eq(tserver_start(&ts, "127.0.0.1", 0), 0);
	fd = raw_connect(ts.port);
	f = ask(fd, in, PETREL__REQUEST_CODE__CODE_PING, 1, NULL, 0);
	msg_free(f);
	tserver_stop_listener(&ts, ts.listener);
	ck_assert_int_eq(raw_wait_eof(fd), 1);
	close(fd);
	msg_free(test_wait_msg(ts.watcher,
	    &petrel__connection_closed__descriptor, NULL, TEST_WAIT_MS));
	ck_assert_int_eq(raw_connect(ts.port), -1);
	evbuffer_free(in);
	tserver_stop(&ts);
}
END_TEST

START_TEST(test_config_errors)
{
	struct tserver		 ts;
	Petrel__ListenerReady	*ready;
	Petrel__ListenerConfig	*cfg;
	Petrel__ListenerRoute	*r;
	struct actor		*l2;

	ck_assert_int_eq(tserver_start(&ts, "127.0.0.1", 0), 0);

	/* Configured twice. */
	ready = tserver_listen(&ts, ts.listener, "127.0.0.1", 0, 0);
	ck_assert_ptr_nonnull(ready);
	ck_assert_str_eq(ready->error, "already listening");
	msg_free(ready);

	/* A host that is no address, and a port already taken. */
	l2 = ts.extra = actor_spawn(ts.loop, &listener_actor, "listener2");
	ready = tserver_listen(&ts, l2, "example.com", 0, 0);
	ck_assert_ptr_nonnull(strstr(ready->error, "not a numeric"));
	msg_free(ready);
	ready = tserver_listen(&ts, l2, "127.0.0.1", ts.port, 0);
	ck_assert_ptr_nonnull(strstr(ready->error, "listen on"));
	msg_free(ready);

	/* A route for a code that does not exist. */
	cfg = msg_new(&petrel__listener_config__descriptor);
	msg_set_string(&cfg->host, "127.0.0.1");
	r = msg_new(&petrel__listener_route__descriptor);
	r->code = 4242;
	r->actor = actor_ref(ts.echo);
	msg_array_add((void ***)&cfg->routes, &cfg->n_routes, r);
	actor_ask(l2, cfg, ts.probe, 3);
	ready = (Petrel__ListenerReady *)test_wait_msg(ts.probe,
	    &petrel__listener_ready__descriptor, NULL, TEST_WAIT_MS);
	ck_assert_ptr_nonnull(strstr(ready->error, "unknown code 4242"));
	msg_free(ready);

	alive(&ts);
	tserver_stop(&ts);
}
END_TEST

/*
 * NotifyConsumers: a one-way CODE_NOTIFY_CONSUMER_IDS_CHANGED{group} goes
 * to each listed connection still open; closed and unknown ones are
 * skipped and the listener goes on answering.
 */
START_TEST(test_notify_consumers)
{
	struct tserver				 ts;
	struct evbuffer				*in = evbuffer_new();
	Petrel__ConnectionClosed		*cc;
	Petrel__NotifyConsumers			*nc;
	Petrel__NotifyConsumerIdsChangedRequest	*req;
	Petrel__Frame				*f;
	struct envelope				 env;
	uint64_t				 open_id, closed_id;
	int					 fd1, fd2, eof;

	ck_assert_int_eq(tserver_start(&ts, "127.0.0.1", 0), 0);
	/* Accepted in this order: fd2's id is one more than fd1's. */
	fd1 = raw_connect(ts.port);
	msg_free(ask(fd1, in, PETREL__REQUEST_CODE__CODE_PING, 1, NULL, 0));
	fd2 = raw_connect(ts.port);
	msg_free(ask(fd2, in, PETREL__REQUEST_CODE__CODE_PING, 1, NULL, 0));
	close(fd2);
	cc = (Petrel__ConnectionClosed *)test_wait_msg(ts.watcher,
	    &petrel__connection_closed__descriptor, &env, TEST_WAIT_MS);
	ck_assert_ptr_nonnull(cc);
	closed_id = cc->conn;
	open_id = closed_id - 1;
	msg_free(cc);

	nc = msg_new(&petrel__notify_consumers__descriptor);
	msg_set_string(&nc->group, "g1");
	nc->conns = xcalloc(3, sizeof *nc->conns);
	nc->conns[nc->n_conns++] = closed_id;
	nc->conns[nc->n_conns++] = 999999;
	nc->conns[nc->n_conns++] = open_id;
	ck_assert_int_eq(actor_send(ts.listener, nc), 0);

	f = raw_read(fd1, in, &eof);
	ck_assert_msg(f != NULL, "no notification (eof %d)", eof);
	ck_assert_uint_eq(f->code,
	    PETREL__REQUEST_CODE__CODE_NOTIFY_CONSUMER_IDS_CHANGED);
	ck_assert_uint_eq(f->flags & PETREL__FRAME_FLAG__FRAME_ONEWAY,
	    PETREL__FRAME_FLAG__FRAME_ONEWAY);
	ck_assert_uint_eq(f->flags & PETREL__FRAME_FLAG__FRAME_RESPONSE, 0);
	req = msg_unpack(
	    &petrel__notify_consumer_ids_changed_request__descriptor,
	    f->body.data, f->body.len);
	ck_assert_ptr_nonnull(req);
	ck_assert_str_eq(req->group, "g1");
	msg_free(req);
	msg_free(f);

	/* Still answering on the same connection. */
	msg_free(ask(fd1, in, PETREL__REQUEST_CODE__CODE_PING, 2, NULL, 0));
	close(fd1);
	evbuffer_free(in);
	tserver_stop(&ts);
}
END_TEST

START_TEST(test_handlers_cover_codes)
{
	const struct actor_handler	*h;
	const struct code_info		*ci;

	/* Every response type reaches listener_on_reply: none has an entry
	 * of its own before the catch-all that ends the table. */
	for (h = listener_actor.handlers; h->descriptor != NULL; h++) {
		for (ci = codes_all(); ci->code != 0; ci++)
			ck_assert_ptr_ne(h->descriptor, ci->response);
	}
	ck_assert_ptr_nonnull(h->handler);
}
END_TEST

Suite *
listener_suite(void)
{
	Suite	*s = suite_create("listener");
	TCase	*tc;

	tc = tcase_create("listener");
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_ping);
	tcase_add_test(tc, test_request_checks);
	tcase_add_test(tc, test_error_reply);
	tcase_add_test(tc, test_encoded_answer);
	tcase_add_test(tc, test_encoded_request);
	tcase_add_test(tc, test_busy_and_late_replies);
	tcase_add_test(tc, test_watchers);
	tcase_add_test(tc, test_bad_envelopes_close);
	tcase_add_test(tc, test_thousand_bad_frames);
	tcase_add_test(tc, test_backpressure);
	tcase_add_test(tc, test_stop);
	tcase_add_test(tc, test_config_errors);
	tcase_add_test(tc, test_notify_consumers);
	tcase_add_test(tc, test_handlers_cover_codes);
	suite_add_tcase(s, tc);
	return (s);
}
