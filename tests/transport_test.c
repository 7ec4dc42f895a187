/*
 * The test server and raw client of tests/transport_test.h: the echo
 * actor, listener set-up and tear-down, and a blocking frame client.
 */
#include "config.h"

#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <check.h>
#include <errno.h>
#include <event2/buffer.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "actor.h"
#include "frame.h"
#include "listener.h"
#include "msg.h"
#include "testutil.h"
#include "transport_test.h"
#include "xmalloc.h"
#include "proto/namesrv.pb-c.h"
#include "proto/runtime.pb-c.h"

struct echo {
	uint32_t	puts;
};

static int	echo_on_get(void *, ProtobufCMessage *, const struct envelope *);
static int	echo_on_put(void *, ProtobufCMessage *, const struct envelope *);
static int	echo_on_delete(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	echo_on_list(void *, ProtobufCMessage *, const struct envelope *);
static void	tserver_route(Petrel__ListenerConfig *, uint32_t,
		    struct actor *);

static const struct actor_handler echo_handlers[] = {
	{ &petrel__kv_get_request__descriptor,		echo_on_get },
	{ &petrel__kv_put_request__descriptor,		echo_on_put },
	{ &petrel__kv_delete_request__descriptor,	echo_on_delete },
	{ &petrel__kv_list_request__descriptor,		echo_on_list },
	{ NULL, NULL }
};

static const struct actor_type echo_actor = {
	.name = "echo",
	.size = sizeof(struct echo),
	.handlers = echo_handlers
};

static const struct actor_handler probe_handlers[] = {
	{ NULL, NULL }
};

static const struct actor_type probe_actor = {
	.name = "probe",
	.size = 0,
	.handlers = probe_handlers
};

/*
 * An EncodedAnswer of m: its encoding cut in three parts, the middle one
 * empty.  Frees m.
 */
static Petrel__EncodedAnswer *
echo_encoded(ProtobufCMessage *m)
{
	Petrel__EncodedAnswer	*ea;
	uint8_t			*buf;
	size_t			 len, cut;

	len = protobuf_c_message_get_packed_size(m);
	buf = xmalloc(len);
	protobuf_c_message_pack(m, buf);
	msg_free(m);
	cut = len / 2;
	ea = msg_new(&petrel__encoded_answer__descriptor);
	ea->parts = xcalloc(3, sizeof *ea->parts);
	ea->n_parts = 3;
	ea->parts[0].data = xmalloc(cut + 1);
	memcpy(ea->parts[0].data, buf, cut);
	ea->parts[0].len = cut;
	ea->parts[2].data = xmalloc(len - cut);
	memcpy(ea->parts[2].data, buf + cut, len - cut);
	ea->parts[2].len = len - cut;
	free(buf);
	return (ea);
}

/* KV_GET: answer the key back ("encoded...": as an EncodedAnswer). */
static int
echo_on_get(void *state, ProtobufCMessage *m, const struct envelope *env)
{
	Petrel__KvGetRequest	*req = (Petrel__KvGetRequest *)m;
	Petrel__KvGetResponse	*resp;

	(void)state;
	if (strcmp(req->key, "wrong") == 0)
		return (actor_reply(env,
		    msg_new(&petrel__kv_put_response__descriptor)));
	resp = msg_new(&petrel__kv_get_response__descriptor);
	msg_set_string(&resp->value, req->key);
	if (strncmp(req->key, "encoded", 7) == 0)
		return (actor_reply(env, echo_encoded(&resp->base)));
	return (actor_reply(env, resp));
}

/* KV_PUT: an error on request, else count it. */
static int
echo_on_put(void *state, ProtobufCMessage *m, const struct envelope *env)
{
	struct echo		*e = state;
	Petrel__KvPutRequest	*req = (Petrel__KvPutRequest *)m;

	if (strcmp(req->namespace_, "error") == 0)
		return (actor_reply_error(env, (uint32_t)atoi(req->key), "%s",
		    req->value));
	e->puts++;
	return (actor_reply(env, msg_new(&petrel__kv_put_response__descriptor)));
}

/* KV_DELETE: never answered. */
static int
echo_on_delete(void *state, ProtobufCMessage *m, const struct envelope *env)
{
	(void)state;
	(void)m;
	(void)env;
	return (0);
}

/* KV_LIST: one entry per put so far. */
static int
echo_on_list(void *state, ProtobufCMessage *m, const struct envelope *env)
{
	struct echo		*e = state;
	Petrel__KvListResponse	*resp;
	Petrel__KvEntry		*entry;
	uint32_t		 i;

	(void)m;
	resp = msg_new(&petrel__kv_list_response__descriptor);
	for (i = 0; i < e->puts; i++) {
		entry = msg_new(&petrel__kv_entry__descriptor);
		msg_set_string(&entry->key, "put");
		msg_array_add((void ***)&resp->entries, &resp->n_entries,
		    entry);
	}
	return (actor_reply(env, resp));
}

/* Sleep a millisecond: the tests poll conditions against a deadline. */
void
test_tick(void)
{
	struct timespec	ts = { 0, 1000000 };

	nanosleep(&ts, NULL);
}

/*
 * Wait up to ms for a detached actor to get a message of type want
 * (others are freed); NULL at the deadline.
 */
ProtobufCMessage *
test_wait_msg(struct actor *a, const ProtobufCMessageDescriptor *want,
    struct envelope *env, uint64_t ms)
{
	ProtobufCMessage	*m;
	uint64_t		 deadline = test_now_ms() + ms;

	do {
		while ((m = actor_pop(a, env)) != NULL) {
			if (m->descriptor == want)
				return (m);
			msg_free(m);
		}
		test_tick();
	} while (test_now_ms() < deadline);
	return (NULL);
}

/* Route code to actor a in cfg. */
static void
tserver_route(Petrel__ListenerConfig *cfg, uint32_t code, struct actor *a)
{
	Petrel__ListenerRoute	*r;

	r = msg_new(&petrel__listener_route__descriptor);
	r->code = code;
	r->actor = actor_ref(a);
	msg_array_add((void ***)&cfg->routes, &cfg->n_routes, r);
}

/*
 * Configure a listener on host port (0: a free one) with the test routes;
 * returns its ListenerReady, which the caller frees.
 */
Petrel__ListenerReady *
tserver_listen(struct tserver *ts, struct actor *listener, const char *host,
    uint32_t port, uint32_t max_frame)
{
	Petrel__ListenerConfig	*cfg;

	cfg = msg_new(&petrel__listener_config__descriptor);
	msg_set_string(&cfg->host, host);
	cfg->port = port;
	cfg->max_frame = max_frame;
	cfg->max_unsent = ts->max_unsent;
	msg_set_string(&cfg->server, TEST_SERVER);
	tserver_route(cfg, PETREL__REQUEST_CODE__CODE_KV_GET, ts->echo);
	tserver_route(cfg, PETREL__REQUEST_CODE__CODE_KV_PUT, ts->echo);
	tserver_route(cfg, PETREL__REQUEST_CODE__CODE_KV_DELETE, ts->echo);
	tserver_route(cfg, PETREL__REQUEST_CODE__CODE_KV_LIST, ts->echo);
	tserver_route(cfg, PETREL__REQUEST_CODE__CODE_GET_ROUTE, ts->slow);
	tserver_route(cfg, PETREL__REQUEST_CODE__CODE_SEND_MESSAGE, ts->slow);
	cfg->routes[cfg->n_routes - 1]->encoded = 1;
	cfg->watchers = xcalloc(1, sizeof *cfg->watchers);
	cfg->watchers[0] = actor_ref(ts->watcher);
	cfg->n_watchers = 1;
	actor_ask(listener, cfg, ts->probe, 1);
	return ((Petrel__ListenerReady *)test_wait_msg(ts->probe,
	    &petrel__listener_ready__descriptor, NULL, TEST_WAIT_MS));
}

/* Start the loop, the actors and a listener on host; 0 or -1. */
int
tserver_start(struct tserver *ts, const char *host, uint32_t max_frame)
{
	Petrel__ListenerReady	*ready;

	/* As the daemons do: writes to closed sockets fail, not kill. */
	signal(SIGPIPE, SIG_IGN);
	memset(ts, 0, sizeof *ts);
	ts->loop = loop_new("test-server");
	ts->listener = actor_spawn(ts->loop, &listener_actor, "listener");
	ts->echo = actor_spawn(ts->loop, &echo_actor, "echo");
	ts->probe = actor_spawn(NULL, &probe_actor, "probe");
	ts->watcher = actor_spawn(NULL, &probe_actor, "watcher");
	ts->slow = actor_spawn(NULL, &probe_actor, "slow");
	ck_assert_int_eq(loop_start(ts->loop), 0);
	ready = tserver_listen(ts, ts->listener, host, 0, max_frame);
	ck_assert_ptr_nonnull(ready);
	if (*ready->error != '\0') {
		fprintf(stderr, "listen on %s: %s\n", host, ready->error);
		msg_free(ready);
		return (-1);
	}
	ck_assert_uint_ne(ready->port, 0);
	ts->port = (uint16_t)ready->port;
	snprintf(ts->address, sizeof ts->address,
	    strchr(host, ':') != NULL ? "[%s]:%u" : "%s:%u", host, ts->port);
	msg_free(ready);
	return (0);
}

/* Ask a listener to stop and wait for its Stopped. */
void
tserver_stop_listener(struct tserver *ts, struct actor *listener)
{
	ProtobufCMessage	*m;

	actor_ask(listener, msg_new(&petrel__stop__descriptor), ts->probe, 2);
	m = test_wait_msg(ts->probe, &petrel__stopped__descriptor, NULL,
	    TEST_WAIT_MS);
	ck_assert_ptr_nonnull(m);
	msg_free(m);
}

/* Stop everything and free it. */
void
tserver_stop(struct tserver *ts)
{
	loop_exit(ts->loop);
	loop_join(ts->loop);
	actor_free(ts->listener);
	if (ts->extra != NULL)
		actor_free(ts->extra);
	actor_free(ts->echo);
	actor_free(ts->probe);
	actor_free(ts->watcher);
	actor_free(ts->slow);
	loop_free(ts->loop);
}

/* A blocking TCP connection to 127.0.0.1:port. */
int
raw_connect(uint16_t port)
{
	struct sockaddr_in	sin;
	int			fd;

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	if (connect(fd, (struct sockaddr *)&sin, sizeof sin) != 0) {
		close(fd);
		return (-1);
	}
	return (fd);
}

/* Send everything in b (and empty it); -1 if the peer is gone. */
int
raw_send(int fd, struct evbuffer *b)
{
	size_t	len = evbuffer_get_length(b);
	ssize_t	n;
	int	rc = 0;

	while (len != 0) {
		n = send(fd, evbuffer_pullup(b, -1), len, MSG_NOSIGNAL);
		if (n <= 0) {
			rc = -1;
			break;
		}
		evbuffer_drain(b, (size_t)n);
		len -= (size_t)n;
	}
	evbuffer_drain(b, evbuffer_get_length(b));
	return (rc);
}

/* Send one frame built by frame_write_msg(). */
int
raw_send_msg(int fd, uint32_t code, uint64_t id, uint32_t flags,
    const ProtobufCMessage *body)
{
	struct evbuffer	*b = evbuffer_new();
	int		 rc;

	ck_assert_int_eq(frame_write_msg(b, code, id, flags, 0, NULL, body), 0);
	rc = raw_send(fd, b);
	evbuffer_free(b);
	return (rc);
}

/*
 * Read into in until it holds a frame or the peer closes; returns the
 * frame, or NULL at EOF or the deadline (*eof says which).
 */
Petrel__Frame *
raw_read(int fd, struct evbuffer *in, int *eof)
{
	struct pollfd	 pfd = { .fd = fd, .events = POLLIN };
	Petrel__Frame	*f;
	char		*cause = NULL;
	uint64_t	 deadline = test_now_ms() + TEST_WAIT_MS;
	int		 rc;

	*eof = 0;
	for (;;) {
		rc = frame_read(in, FRAME_MAX_DEFAULT, &f, &cause);
		ck_assert_int_ne(rc, -1);
		if (rc == 1)
			return (f);
		if (test_now_ms() >= deadline)
			return (NULL);
		if (poll(&pfd, 1, 50) == 1 && evbuffer_read(in, fd, 65536) <= 0) {
			*eof = 1;
			return (NULL);
		}
	}
}

/* Wait for the peer to close; 1 if it did before the deadline. */
int
raw_wait_eof(int fd)
{
	struct evbuffer	*in = evbuffer_new();
	Petrel__Frame	*f;
	int		 eof;

	while ((f = raw_read(fd, in, &eof)) != NULL)
		msg_free(f);
	evbuffer_free(in);
	return (eof);
}

