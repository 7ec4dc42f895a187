/*
 * The client side of the wire: one connection to one server on the
 * caller's event_base.
 *
 * A request is packed into a buffer of its own (frame_write_msg(), or
 * frame_write_parts() for a body its caller encoded: rpc_call_parts()) and
 * an event, activated by the first request of a loop turn, writes the buffer
 * to the socket at the end of that turn with one writev(2) straight from
 * it: every request made in one loop turn leaves in one write, and the
 * bufferevent arms EPOLLOUT only for what the socket did not take (two
 * epoll_ctl(2) and an epoll_wait(2) less per burst).  Pending requests sit
 * in an id map (lib/idmap.c) and, when they have a deadline, in one
 * binary min-heap ordered by deadline with a single timer armed for the
 * earliest: no event and no allocation per request (finished request
 * records are kept on a free list).
 *
 * The connection is made on the first request and again on the first one
 * after it closed.  Each connection has a generation; a request belongs to
 * the generation it was written on, and when that connection closes every
 * request of it fails at once, in id order.
 *
 * Answers are decoded for their callback, but for rpc_call_raw() and
 * rpc_call_parts(), whose callback reads the encoding in place (a
 * consumer's pulls, hundreds of messages an answer; a producer's
 * sends).  A frame larger than a read is read into one chain made for it
 * while only its start is in (rpc_make_room()), so that evbuffer_pullup()
 * need not copy it together.
 *
 * The server may send requests too (a broker tells its consumers their
 * group changed): they go to the rpc_on_request() callback, decoded, and
 * are dropped when there is none.  The client never answers them.
 *
 * Callbacks never run from inside rpc_call() or rpc_oneway(): bufferevent
 * callbacks are deferred and a connect that fails at once is reported
 * from an event.  A callback may call rpc_call() or rpc_free(); the
 * structure is freed when the outermost callback returns.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/uio.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "actor.h"
#include "clock.h"
#include "codes.h"
#include "frame.h"
#include "idmap.h"
#include "log.h"
#include "msg.h"
#include "rpc.h"
#include "xmalloc.h"

#define RPC_MAX_IO	(256 * 1024)	/* bytes per read or write */
#define RPC_NO_SLOT	((size_t)-1)
#define RPC_READ_MIN	4096		/* what libevent 2.1 reads at most */
#define RPC_READ_CHUNK	(64 * 1024)	/* bytes per rpc_read_more() read */

enum rpc_state {
	RPC_IDLE,		/* no connection */
	RPC_CONNECTING,
	RPC_CONNECTED,
	RPC_FAILED		/* connect failed at once; failev will say */
};

struct rpc_call {
	uint64_t	 id;
	uint64_t	 gen;		/* connection it was written on */
	uint64_t	 deadline;	/* monotonic ms, 0: none */
	size_t		 slot;		/* in the heap, or RPC_NO_SLOT */
	uint32_t	 code;
	rpc_cb		 cb;
	rpc_raw_cb	 rawcb;		/* rpc_call_raw(): no cb */
	void		*arg;
	struct rpc_call	*next;		/* on the free list */
};

struct rpc {
	struct event_base	*base;
	char			*address;
	struct sockaddr_storage	 sa;
	socklen_t		 salen;

	struct bufferevent	*bev;
	struct evbuffer		*pend;		/* requests of this turn */
	struct event		*flushev;	/* writes pend */
	enum rpc_state		 state;
	uint64_t		 gen;
	uint64_t		 next_id;

	struct idmap		*calls;		/* id -> struct rpc_call */
	struct rpc_call		**heap;		/* by deadline */
	size_t			 nheap;
	size_t			 heapsize;
	struct event		*timer;
	uint64_t		 timer_at;	/* deadline armed, 0: none */
	struct event		*failev;
	int			 failerr;	/* errno of that connect */
	struct rpc_call		*spare;		/* free list */
	rpc_request_cb		 reqcb;		/* requests from the server */
	void			*reqarg;

	size_t			 room;		/* of the frame the input
						   starts with, if
						   rpc_make_room() made room
						   for it; else 0 */
	int			 busy;		/* callbacks running */
	int			 dead;		/* rpc_free() inside one */
	struct rpc_stats	 stats;
};

struct rpc_sync {
	int			 done;
	uint32_t		 status;
	char			*error;
	ProtobufCMessage	*body;
};

static int	rpc_check(struct rpc *, uint32_t, const ProtobufCMessage *);
static int	rpc_connect(struct rpc *);
static void	rpc_close(struct rpc *);
static void	rpc_destroy(struct rpc *);
static void	rpc_leave(struct rpc *);
static void	rpc_heap_swap(struct rpc *, size_t, size_t);
static void	rpc_heap_up(struct rpc *, size_t);
static void	rpc_heap_down(struct rpc *, size_t);
static void	rpc_heap_push(struct rpc *, struct rpc_call *);
static void	rpc_heap_remove(struct rpc *, struct rpc_call *);
static void	rpc_arm(struct rpc *);
static int	rpc_send(struct rpc *, uint32_t, const ProtobufCMessage *,
		    const ProtobufCBinaryData *, size_t, uint32_t, rpc_cb,
		    rpc_raw_cb, void *);
static int	rpc_write(struct rpc *, uint32_t, uint64_t, uint32_t,
		    const ProtobufCMessage *, const ProtobufCBinaryData *,
		    size_t);
static void	rpc_finish(struct rpc *, struct rpc_call *, uint32_t,
		    const char *, ProtobufCMessage *,
		    const ProtobufCBinaryData *);
static int	rpc_cmp_id(const void *, const void *);
static void	rpc_fail(struct rpc *, uint64_t, uint32_t, const char *);
static void	rpc_lost(struct rpc *, uint32_t, const char *);
static void	rpc_request(struct rpc *, Petrel__Frame *);
static void	rpc_answer(struct rpc *, Petrel__Frame *);
static void	rpc_make_room(struct rpc *, struct evbuffer *);
static void	rpc_readcb(struct bufferevent *, void *);
static void	rpc_eventcb(struct bufferevent *, short, void *);
static void	rpc_outcb(struct evbuffer *, const struct evbuffer_cb_info *,
		    void *);
static void	rpc_timercb(evutil_socket_t, short, void *);
static void	rpc_flushcb(evutil_socket_t, short, void *);
static struct evbuffer *rpc_out(struct rpc *);
static void	rpc_failcb(evutil_socket_t, short, void *);
static void	rpc_sync_cb(uint32_t, const char *, ProtobufCMessage *,
		    void *);

/*
 * Split "host:port" or "[v6 address]:port" into an allocated host and a
 * port (0 to 65535).  Returns 0, or -1 with *cause set.
 */
int
rpc_parse_address(const char *address, char **host, uint16_t *port,
    char **cause)
{
	const char	*colon, *p, *start, *end;
	unsigned long	 n;

	*host = NULL;
	if (address == NULL || *address == '\0') {
		*cause = xstrdup("empty address");
		return (-1);
	}
	if (*address == '[') {
		start = address + 1;
		if ((end = strchr(start, ']')) == NULL) {
			xasprintf(cause, "%s: no ']' after the IPv6 address",
			    address);
			return (-1);
		}
		if (end[1] != ':') {
			xasprintf(cause, "%s: no port after ']'", address);
			return (-1);
		}
		colon = end + 1;
	} else {
		start = address;
		if ((colon = strrchr(address, ':')) == NULL) {
			xasprintf(cause, "%s: no port (want host:port)",
			    address);
			return (-1);
		}
		if (memchr(address, ':', colon - address) != NULL) {
			xasprintf(cause, "%s: an IPv6 address needs brackets, "
			    "as in [::1]:9876", address);
			return (-1);
		}
		end = colon;
	}
	if (end == start) {
		xasprintf(cause, "%s: no host", address);
		return (-1);
	}
	if (colon[1] == '\0') {
		xasprintf(cause, "%s: no port after ':'", address);
		return (-1);
	}
	n = 0;
	for (p = colon + 1; *p != '\0'; p++) {
		if (*p < '0' || *p > '9' || n > 65535) {
			xasprintf(cause, "%s: bad port \"%s\"", address,
			    colon + 1);
			return (-1);
		}
		n = n * 10 + (unsigned long)(*p - '0');
	}
	if (n > 65535) {
		xasprintf(cause, "%s: port %lu is over 65535", address, n);
		return (-1);
	}
	*host = xstrndup(start, end - start);
	*port = (uint16_t)n;
	return (0);
}

/*
 * Turn a numeric IPv4 or IPv6 address or "localhost" and a port into a
 * socket address.  Returns 0, or -1 with *cause set.
 */
int
rpc_resolve(const char *host, uint16_t port, struct sockaddr_storage *ss,
    socklen_t *len, char **cause)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof *ss);
	if (strcmp(host, "localhost") == 0)
		host = "127.0.0.1";
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		*len = sizeof *sin;
		return (0);
	}
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		*len = sizeof *sin6;
		return (0);
	}
	xasprintf(cause, "%s: not a numeric IPv4 or IPv6 address", host);
	return (-1);
}

/*
 * A client of the server at address ("host:port", "[v6]:port"; the host is
 * numeric or "localhost") on base.  Nothing is connected until the first
 * request.  Returns NULL with *cause set if the address is bad.
 */
struct rpc *
rpc_new(struct event_base *base, const char *address, char **cause)
{
	struct rpc	*rpc;
	char		*host;
	uint16_t	 port;
	int		 rc;

	if (rpc_parse_address(address, &host, &port, cause) != 0)
		return (NULL);
	rpc = xcalloc(1, sizeof *rpc);
	rc = rpc_resolve(host, port, &rpc->sa, &rpc->salen, cause);
	free(host);
	if (rc != 0) {
		free(rpc);
		return (NULL);
	}
	if (port == 0) {
		xasprintf(cause, "%s: port 0", address);
		free(rpc);
		return (NULL);
	}
	rpc->base = base;
	rpc->address = xstrdup(address);
	rpc->calls = idmap_new();
	rpc->timer = evtimer_new(base, rpc_timercb, rpc);
	rpc->failev = event_new(base, -1, 0, rpc_failcb, rpc);
	rpc->flushev = event_new(base, -1, 0, rpc_flushcb, rpc);
	rpc->pend = evbuffer_new();
	if (rpc->timer == NULL || rpc->failev == NULL ||
	    rpc->flushev == NULL || rpc->pend == NULL)
		fatalx("%s: event_new failed", __func__);
	return (rpc);
}

/* Free everything; the pending requests have been failed. */
static void
rpc_destroy(struct rpc *rpc)
{
	struct rpc_call	*call;

	rpc_close(rpc);
	event_free(rpc->timer);
	event_free(rpc->failev);
	event_free(rpc->flushev);
	evbuffer_free(rpc->pend);
	idmap_free(rpc->calls);
	free(rpc->heap);
	while ((call = rpc->spare) != NULL) {
		rpc->spare = call->next;
		free(call);
	}
	free(rpc->address);
	free(rpc);
}

/*
 * Close the connection and fail every pending request with
 * STATUS_CONNECTION_CLOSED (their callbacks run now), then free rpc.  From
 * inside a callback, the free waits until that callback returns.
 */
void
rpc_free(struct rpc *rpc)
{
	if (rpc == NULL || rpc->dead)
		return;
	rpc->dead = 1;
	rpc_close(rpc);
	rpc->busy++;
	rpc_lost(rpc, PETREL__STATUS__STATUS_CONNECTION_CLOSED,
	    "client closed");
	rpc_leave(rpc);
}

/* A callback is over; free rpc if it was the last and rpc_free() ran. */
static void
rpc_leave(struct rpc *rpc)
{
	if (--rpc->busy == 0 && rpc->dead)
		rpc_destroy(rpc);
}

/* The address given to rpc_new(). */
const char *
rpc_address(struct rpc *rpc)
{
	return (rpc->address);
}

/* Whether the connection is up. */
int
rpc_connected(struct rpc *rpc)
{
	return (rpc->state == RPC_CONNECTED);
}

/* How many requests wait for an answer. */
size_t
rpc_pending(struct rpc *rpc)
{
	return (idmap_count(rpc->calls));
}

/* A copy of the counters. */
void
rpc_stats(struct rpc *rpc, struct rpc_stats *st)
{
	*st = rpc->stats;
}

/*
 * Call cb(code, body, arg) for every request the server sends from now on
 * (NULL: drop them).  cb owns body.
 */
void
rpc_on_request(struct rpc *rpc, rpc_request_cb cb, void *arg)
{
	rpc->reqcb = cb;
	rpc->reqarg = arg;
}

/* Start a connection if there is none; its requests get a new generation. */
static int
rpc_connect(struct rpc *rpc)
{
	struct bufferevent	*bev;
	int			 one = 1;

	if (rpc->bev != NULL)
		return (0);
	bev = bufferevent_socket_new(rpc->base, -1,
	    BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	if (bev == NULL) {
		log_warnx("%s: %s: bufferevent_socket_new failed", __func__,
		    rpc->address);
		return (-1);
	}
	bufferevent_setcb(bev, rpc_readcb, NULL, rpc_eventcb, rpc);
	bufferevent_set_max_single_read(bev, RPC_MAX_IO);
	bufferevent_set_max_single_write(bev, RPC_MAX_IO);
	evbuffer_add_cb(bufferevent_get_output(bev), rpc_outcb, rpc);
	rpc->bev = bev;
	rpc->gen++;
	rpc->stats.connects++;
	rpc->state = RPC_CONNECTING;
	if (bufferevent_socket_connect(bev, (struct sockaddr *)&rpc->sa,
	    (int)rpc->salen) != 0) {
		/* Requests may still be queued; failev fails them all. */
		rpc->state = RPC_FAILED;
		rpc->failerr = errno;
		event_active(rpc->failev, EV_TIMEOUT, 0);
		return (0);
	}
	if (bufferevent_getfd(bev) != -1)
		setsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY,
		    &one, sizeof one);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
	return (0);
}

/* Drop the connection, if any, without touching the requests. */
static void
rpc_close(struct rpc *rpc)
{
	if (rpc->bev != NULL) {
		bufferevent_free(rpc->bev);
		rpc->bev = NULL;
	}
	rpc->state = RPC_IDLE;
	rpc->room = 0;
	event_del(rpc->failev);
	event_del(rpc->flushev);
	evbuffer_drain(rpc->pend, evbuffer_get_length(rpc->pend));
}

/*
 * Write buf to bev's socket now if bev has nothing queued before it (one
 * writev(2), no EPOLLOUT); what the socket does not take, or all of buf
 * if bev has output queued, goes to bev's output for bev to write.
 * Returns the bytes written at once (0 or more), -1 if the write failed
 * (bev then meets the error itself).
 */
ssize_t
rpc_write_now(struct bufferevent *bev, struct evbuffer *buf)
{
	struct evbuffer	*out = bufferevent_get_output(bev);
	evutil_socket_t	 fd = bufferevent_getfd(bev);
	ssize_t		 n = 0;

	if (evbuffer_get_length(buf) == 0)
		return (0);
	if (fd != -1 && evbuffer_get_length(out) == 0) {
		n = evbuffer_write(buf, fd);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == EINTR))
			n = 0;
	}
	if (evbuffer_get_length(buf) != 0)
		evbuffer_add_buffer(out, buf);
	return (n);
}

/*
 * Read on from bev's socket into its input, up to max bytes, in chunks of
 * RPC_READ_CHUNK (or the free space of the input's last chain) without
 * asking FIONREAD first, when the input holds a full RPC_READ_MIN or
 * more: libevent 2.1 reads at most 4 KiB per loop turn, which would cut a
 * burst of requests into batches of three 1 KiB messages.  Stops at
 * EAGAIN, at the end of the stream or at an error, which bev's own next
 * read meets and reports.  Returns bytes read.  A socket bufferevent
 * keeps the end of its input frozen between its own reads; this thaws it
 * for its reads the same way.
 */
size_t
rpc_read_more(struct bufferevent *bev, size_t max)
{
	struct evbuffer		*in = bufferevent_get_input(bev);
	struct evbuffer_iovec	 vec[2];
	evutil_socket_t		 fd = bufferevent_getfd(bev);
	size_t			 total = 0, left;
	ssize_t			 n;
	int			 nvec;

	if (fd == -1 || evbuffer_get_length(in) < RPC_READ_MIN)
		return (0);
	evbuffer_unfreeze(in, 0);
	while (total < max) {
		nvec = evbuffer_reserve_space(in, RPC_READ_CHUNK, vec, 2);
		if (nvec <= 0)
			break;
		/* The space reserved may be larger: read no more than max. */
		left = max - total;
		if (vec[0].iov_len >= left) {
			vec[0].iov_len = left;
			nvec = 1;
		} else if (nvec == 2 && vec[1].iov_len > left - vec[0].iov_len)
			vec[1].iov_len = left - vec[0].iov_len;
		n = readv(fd, (struct iovec *)vec, nvec);
		if (n <= 0) {
			evbuffer_commit_space(in, vec, 0);
			break;
		}
		if ((size_t)n <= vec[0].iov_len) {
			vec[0].iov_len = (size_t)n;
			nvec = 1;
		} else
			vec[1].iov_len = (size_t)n - vec[0].iov_len;
		evbuffer_commit_space(in, vec, nvec);
		total += (size_t)n;
		if ((size_t)n < RPC_READ_CHUNK)
			break;
	}
	evbuffer_freeze(in, 0);
	return (total);
}

/* The output of this turn's requests; the first one schedules the flush. */
static struct evbuffer *
rpc_out(struct rpc *rpc)
{
	if (evbuffer_get_length(rpc->pend) == 0)
		event_active(rpc->flushev, EV_TIMEOUT, 0);
	return (rpc->pend);
}

/* End of a loop turn: write the requests made in it. */
static void
rpc_flushcb(evutil_socket_t fd, short what, void *arg)
{
	struct rpc	*rpc = arg;
	ssize_t		 n;

	(void)fd;
	(void)what;
	if (rpc->bev == NULL)
		return;
	if (rpc->state != RPC_CONNECTED) {
		/* The bufferevent writes it once connected. */
		evbuffer_add_buffer(bufferevent_get_output(rpc->bev),
		    rpc->pend);
		return;
	}
	if ((n = rpc_write_now(rpc->bev, rpc->pend)) > 0) {
		rpc->stats.writes++;
		rpc->stats.bytes_out += (uint64_t)n;
	}
}

/* Swap two heap entries, keeping their slots right. */
static void
rpc_heap_swap(struct rpc *rpc, size_t a, size_t b)
{
	struct rpc_call	*t = rpc->heap[a];

	rpc->heap[a] = rpc->heap[b];
	rpc->heap[b] = t;
	rpc->heap[a]->slot = a;
	rpc->heap[b]->slot = b;
}

/* Move entry i up while it is earlier than its parent. */
static void
rpc_heap_up(struct rpc *rpc, size_t i)
{
	size_t	parent;

	while (i > 0) {
		parent = (i - 1) / 2;
		if (rpc->heap[parent]->deadline <= rpc->heap[i]->deadline)
			break;
		rpc_heap_swap(rpc, i, parent);
		i = parent;
	}
}

/* Move entry i down while a child is earlier. */
static void
rpc_heap_down(struct rpc *rpc, size_t i)
{
	size_t	l, r, least;

	for (;;) {
		l = 2 * i + 1;
		r = l + 1;
		least = i;
		if (l < rpc->nheap &&
		    rpc->heap[l]->deadline < rpc->heap[least]->deadline)
			least = l;
		if (r < rpc->nheap &&
		    rpc->heap[r]->deadline < rpc->heap[least]->deadline)
			least = r;
		if (least == i)
			break;
		rpc_heap_swap(rpc, i, least);
		i = least;
	}
}

/* Add a request with a deadline to the heap. */
static void
rpc_heap_push(struct rpc *rpc, struct rpc_call *call)
{
	if (rpc->nheap == rpc->heapsize) {
		rpc->heapsize = rpc->heapsize == 0 ? 64 : rpc->heapsize * 2;
		rpc->heap = xreallocarray(rpc->heap, rpc->heapsize,
		    sizeof *rpc->heap);
	}
	call->slot = rpc->nheap;
	rpc->heap[rpc->nheap++] = call;
	rpc_heap_up(rpc, call->slot);
}

/* Take a request out of the heap, if it is there. */
static void
rpc_heap_remove(struct rpc *rpc, struct rpc_call *call)
{
	size_t	i = call->slot;

	if (i == RPC_NO_SLOT)
		return;
	call->slot = RPC_NO_SLOT;
	if (i != --rpc->nheap) {
		rpc->heap[i] = rpc->heap[rpc->nheap];
		rpc->heap[i]->slot = i;
		rpc_heap_up(rpc, i);
		rpc_heap_down(rpc, rpc->heap[i]->slot);
	}
}

/* Arm the timer for the earliest deadline, if it is not already. */
static void
rpc_arm(struct rpc *rpc)
{
	struct timeval	tv;
	uint64_t	at, now, ms;

	if (rpc->nheap == 0) {
		if (rpc->timer_at != 0)
			evtimer_del(rpc->timer);
		rpc->timer_at = 0;
		return;
	}
	at = rpc->heap[0]->deadline;
	if (at == rpc->timer_at)
		return;
	now = clock_mono_ms();
	ms = at > now ? at - now : 0;
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	evtimer_add(rpc->timer, &tv);
	rpc->timer_at = at;
}

/* Check a request before sending it; 0 if it may go. */
static int
rpc_check(struct rpc *rpc, uint32_t code, const ProtobufCMessage *req)
{
	const struct code_info	*ci;

	if (rpc->dead)
		return (-1);
	if ((ci = codes_lookup(code)) == NULL) {
		log_warnx("%s: %s: unknown request code %u", __func__,
		    rpc->address, code);
		return (-1);
	}
	if (req != NULL && req->descriptor != ci->request) {
		log_warnx("%s: %s: %s takes %s, not %s", __func__,
		    rpc->address, ci->name, ci->request->name,
		    req->descriptor->name);
		return (-1);
	}
	return (rpc_connect(rpc));
}

/*
 * Send request req (not freed; NULL for an empty body) under code and call
 * cb exactly once with the answer, a failure or, after timeout_ms (0: no
 * deadline), STATUS_TIMEOUT.  cb never runs from inside rpc_call().
 * Returns 0, or -1 if the request cannot be sent (unknown code, wrong
 * message type, too large); cb is then never called.
 */
int
rpc_call(struct rpc *rpc, uint32_t code, const ProtobufCMessage *req,
    uint32_t timeout_ms, rpc_cb cb, void *arg)
{
	return (rpc_send(rpc, code, req, NULL, 0, timeout_ms, cb, NULL, arg));
}

/*
 * As rpc_call(), but the answer is not decoded: cb gets its encoding, for
 * a caller that reads it in place (a consumer's pulls).
 */
int
rpc_call_raw(struct rpc *rpc, uint32_t code, const ProtobufCMessage *req,
    uint32_t timeout_ms, rpc_raw_cb cb, void *arg)
{
	return (rpc_send(rpc, code, req, NULL, 0, timeout_ms, NULL, cb, arg));
}

/*
 * As rpc_call_raw(), for a request body the caller encoded itself: the n
 * parts one after another (copied; a producer's batch is a header and
 * its messages encoded each on its own).  Nothing checks that they are
 * the code's request.
 */
int
rpc_call_parts(struct rpc *rpc, uint32_t code, const ProtobufCBinaryData *parts,
    size_t n, uint32_t timeout_ms, rpc_raw_cb cb, void *arg)
{
	return (rpc_send(rpc, code, NULL, parts, n, timeout_ms, NULL, cb,
	    arg));
}

/*
 * Write a request of code and id with flags into this turn's output, its
 * body req or, if parts is not NULL, the n parts.  0 or -1 (too large).
 */
static int
rpc_write(struct rpc *rpc, uint32_t code, uint64_t id, uint32_t flags,
    const ProtobufCMessage *req, const ProtobufCBinaryData *parts, size_t n)
{
	if (parts != NULL)
		return (frame_write_parts(rpc_out(rpc), code, id, flags, 0,
		    NULL, parts, n));
	return (frame_write_msg(rpc_out(rpc), code, id, flags, 0, NULL, req));
}

/* rpc_call() with cb, or rpc_call_raw() or rpc_call_parts() with rawcb. */
static int
rpc_send(struct rpc *rpc, uint32_t code, const ProtobufCMessage *req,
    const ProtobufCBinaryData *parts, size_t n, uint32_t timeout_ms,
    rpc_cb cb, rpc_raw_cb rawcb, void *arg)
{
	struct rpc_call	*call;
	uint64_t	 id;

	if (rpc_check(rpc, code, req) != 0)
		return (-1);
	id = ++rpc->next_id;
	if (rpc_write(rpc, code, id, 0, req, parts, n) != 0)
		return (-1);

	if ((call = rpc->spare) != NULL)
		rpc->spare = call->next;
	else
		call = xmalloc(sizeof *call);
	call->id = id;
	call->gen = rpc->gen;
	call->code = code;
	call->cb = cb;
	call->rawcb = rawcb;
	call->arg = arg;
	call->next = NULL;
	call->slot = RPC_NO_SLOT;
	call->deadline = 0;
	idmap_put(rpc->calls, id, call);
	rpc->stats.calls++;
	if (timeout_ms != 0) {
		call->deadline = clock_mono_ms() + timeout_ms;
		rpc_heap_push(rpc, call);
		if (call->slot == 0)
			rpc_arm(rpc);
	}
	return (0);
}

/* Send req under code as a one-way request: no answer comes. */
int
rpc_oneway(struct rpc *rpc, uint32_t code, const ProtobufCMessage *req)
{
	if (rpc_check(rpc, code, req) != 0)
		return (-1);
	if (rpc_write(rpc, code, ++rpc->next_id,
	    PETREL__FRAME_FLAG__FRAME_ONEWAY, req, NULL, 0) != 0)
		return (-1);
	rpc->stats.oneways++;
	return (0);
}

/* rpc_oneway() of a body encoded already, as rpc_call_parts() takes it. */
int
rpc_oneway_parts(struct rpc *rpc, uint32_t code,
    const ProtobufCBinaryData *parts, size_t n)
{
	if (rpc_check(rpc, code, NULL) != 0)
		return (-1);
	if (rpc_write(rpc, code, ++rpc->next_id,
	    PETREL__FRAME_FLAG__FRAME_ONEWAY, NULL, parts, n) != 0)
		return (-1);
	rpc->stats.oneways++;
	return (0);
}

/*
 * A request is over: recycle its record and run its callback, which gets
 * body, or raw (the encoding, if any) for rpc_call_raw().  The request
 * must already be out of the id map.
 */
static void
rpc_finish(struct rpc *rpc, struct rpc_call *call, uint32_t status,
    const char *error, ProtobufCMessage *body, const ProtobufCBinaryData *raw)
{
	rpc_cb		 cb = call->cb;
	rpc_raw_cb	 rawcb = call->rawcb;
	void		*arg = call->arg;

	rpc_heap_remove(rpc, call);
	call->next = rpc->spare;
	rpc->spare = call;
	rpc->busy++;
	if (error == NULL)
		error = "";
	if (rawcb != NULL)
		rawcb(status, error, raw != NULL ? raw->data : NULL,
		    raw != NULL ? raw->len : 0, arg);
	else
		cb(status, error, body, arg);
	rpc->busy--;
}

/* qsort order of requests by id. */
static int
rpc_cmp_id(const void *a, const void *b)
{
	const struct rpc_call	*x = *(struct rpc_call *const *)a;
	const struct rpc_call	*y = *(struct rpc_call *const *)b;

	return (x->id < y->id ? -1 : x->id > y->id);
}

/*
 * Fail every request written on connection generation gen (every one if
 * gen is 0), in id order.  They leave the map before any callback runs,
 * so callbacks may send new requests.
 */
static void
rpc_fail(struct rpc *rpc, uint64_t gen, uint32_t status, const char *error)
{
	struct rpc_call	**list = NULL, *call;
	size_t		  n = 0, i, iter = 0;

	while ((call = idmap_next(rpc->calls, &iter, NULL)) != NULL) {
		if (gen != 0 && call->gen != gen)
			continue;
		list = xreallocarray(list, n + 1, sizeof *list);
		list[n++] = call;
	}
	if (n == 0)
		return;
	qsort(list, n, sizeof *list, rpc_cmp_id);
	for (i = 0; i < n; i++) {
		idmap_remove(rpc->calls, list[i]->id);
		rpc_heap_remove(rpc, list[i]);
	}
	rpc_arm(rpc);
	for (i = 0; i < n; i++)
		rpc_finish(rpc, list[i], status, error, NULL, NULL);
	free(list);
}

/* Fail every pending request. */
static void
rpc_lost(struct rpc *rpc, uint32_t status, const char *error)
{
	rpc_fail(rpc, 0, status, error);
}

/* A request from the server: decode it and hand it to the callback. */
static void
rpc_request(struct rpc *rpc, Petrel__Frame *f)
{
	const struct code_info	*ci;
	ProtobufCMessage	*body;

	if (rpc->reqcb == NULL) {
		log_debug("%s: %s: ignoring request %u from the server",
		    __func__, rpc->address, f->code);
		return;
	}
	if ((ci = codes_lookup(f->code)) == NULL) {
		log_warnx("%s: %s: unknown request code %u from the server",
		    __func__, rpc->address, f->code);
		return;
	}
	body = msg_unpack(ci->request, f->body.data, f->body.len);
	if (body == NULL) {
		log_warnx("%s: %s: undecodable %s from the server", __func__,
		    rpc->address, ci->name);
		return;
	}
	rpc->stats.requests_in++;
	rpc->reqcb(f->code, body, rpc->reqarg);
}

/* Match a response to its request and run the callback. */
static void
rpc_answer(struct rpc *rpc, Petrel__Frame *f)
{
	const struct code_info	*ci;
	struct rpc_call		*call;
	ProtobufCMessage	*body = NULL;
	uint32_t		 status = f->status;
	const char		*error = f->error;

	if (~f->flags & PETREL__FRAME_FLAG__FRAME_RESPONSE) {
		rpc_request(rpc, f);
		return;
	}
	if ((call = idmap_remove(rpc->calls, f->id)) == NULL)
		return;		/* timed out already */
	if (f->code != call->code) {
		status = PETREL__STATUS__STATUS_PROTOCOL_ERROR;
		error = "response code does not match the request";
	} else if (status == PETREL__STATUS__STATUS_OK &&
	    call->rawcb == NULL) {
		ci = codes_lookup(call->code);
		body = msg_unpack(ci->response, f->body.data, f->body.len);
		if (body == NULL) {
			status = PETREL__STATUS__STATUS_PROTOCOL_ERROR;
			error = "undecodable response body";
		}
	}
	/* The timer may now be early; it re-arms itself when it fires. */
	rpc_finish(rpc, call, status, error, body,
	    status == PETREL__STATUS__STATUS_OK ? &f->body : NULL);
}

/*
 * If the input in starts with part of a frame larger than a read, copy
 * that part, once, into a chain with room for the whole frame: the rest is
 * then read in after it (rpc_readcb() reads up to its end, not past it, so
 * the next frame does not start in the tail of this chain), and
 * frame_read()'s evbuffer_pullup() finds the frame in one piece, where it
 * would copy all of it out of the chains the reads left it in.  This is
 * done before reading on, while the part is small.
 */
static void
rpc_make_room(struct rpc *rpc, struct evbuffer *in)
{
	struct evbuffer		*tmp;
	struct evbuffer_iovec	 v;
	size_t			 have, need;

	if (rpc->room != 0 || !frame_peek(in, &need))
		return;
	have = evbuffer_get_length(in);
	need += FRAME_HEADER_SIZE;
	if (need <= RPC_READ_CHUNK || have >= need ||
	    need > FRAME_HEADER_SIZE + FRAME_MAX_DEFAULT)
		return;	/* small, whole, or frame_read() refuses it */
	rpc->room = need;
	rpc->stats.big_frames++;
	if ((tmp = evbuffer_new()) == NULL ||
	    evbuffer_reserve_space(tmp, (ev_ssize_t)need, &v, 1) != 1)
		fatalx("%s: no buffer of %zu bytes", __func__, need);
	if (evbuffer_remove(in, v.iov_base, have) != (int)have)
		fatalx("%s: evbuffer_remove short", __func__);
	v.iov_len = have;
	evbuffer_commit_space(tmp, &v, 1);
	/* As in rpc_read_more(): the bufferevent keeps in's end frozen. */
	evbuffer_unfreeze(in, 0);
	if (evbuffer_add_buffer(in, tmp) != 0)
		fatalx("%s: evbuffer_add_buffer failed", __func__);
	evbuffer_freeze(in, 0);
	evbuffer_free(tmp);
}

/* Frames arrived: answer requests until the input holds no whole frame. */
static void
rpc_readcb(struct bufferevent *bev, void *arg)
{
	struct rpc		*rpc = arg;
	struct evbuffer		*in = bufferevent_get_input(bev);
	Petrel__Frame		*f;
	char			*cause;
	uint64_t		 gen;
	size_t			 have;
	int			 rc;

	loop_worked();

	rpc->busy++;
	rpc_make_room(rpc, in);
	have = evbuffer_get_length(in);
	rpc_read_more(bev, rpc->room > have ? rpc->room - have : RPC_MAX_IO);
	while (!rpc->dead && rpc->bev == bev) {
		if ((rc = frame_read(in, FRAME_MAX_DEFAULT, &f, &cause)) == 0)
			break;
		rpc->room = 0;
		if (rc == -1) {
			/* The callbacks say it; a CLI owns its stderr. */
			log_debug("%s: %s: %s", __func__, rpc->address, cause);
			msg_free(f);
			gen = rpc->gen;
			rpc_close(rpc);
			rpc_fail(rpc, gen, PETREL__STATUS__STATUS_PROTOCOL_ERROR,
			    cause);
			free(cause);
			break;
		}
		rpc_answer(rpc, f);
		msg_free(f);
	}
	rpc_leave(rpc);
}

/* Connected, or the connection failed or closed. */
static void
rpc_eventcb(struct bufferevent *bev, short what, void *arg)
{
	struct rpc	*rpc = arg;
	uint64_t	 gen = rpc->gen;
	uint32_t	 status;
	char		*error;
	int		 one = 1;

	if (what & BEV_EVENT_CONNECTED) {
		rpc->state = RPC_CONNECTED;
		setsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY,
		    &one, sizeof one);
		return;
	}
	if (rpc->state == RPC_CONNECTED) {
		status = PETREL__STATUS__STATUS_CONNECTION_CLOSED;
		if (what & BEV_EVENT_EOF)
			xasprintf(&error, "%s closed the connection",
			    rpc->address);
		else
			xasprintf(&error, "connection to %s: %s",
			    rpc->address, strerror(errno));
	} else {
		status = PETREL__STATUS__STATUS_CONNECT_FAILED;
		xasprintf(&error, "connect to %s: %s", rpc->address,
		    errno != 0 ? strerror(errno) : "failed");
	}
	rpc->busy++;
	rpc_close(rpc);
	rpc_fail(rpc, gen, status, error);
	free(error);
	rpc_leave(rpc);
}

/* Count what the socket took from the output buffer. */
static void
rpc_outcb(struct evbuffer *out, const struct evbuffer_cb_info *info,
    void *arg)
{
	struct rpc	*rpc = arg;

	(void)out;
	if (info->n_deleted != 0) {
		rpc->stats.writes++;
		rpc->stats.bytes_out += info->n_deleted;
	}
}

/* Deadlines passed: fail those requests with STATUS_TIMEOUT. */
static void
rpc_timercb(evutil_socket_t fd, short what, void *arg)
{
	struct rpc	*rpc = arg;
	struct rpc_call	*call;
	uint64_t	 now = clock_mono_ms();
	char		*error;

	(void)fd;
	(void)what;
	rpc->timer_at = 0;
	rpc->busy++;
	while (!rpc->dead && rpc->nheap != 0 &&
	    (call = rpc->heap[0])->deadline <= now) {
		idmap_remove(rpc->calls, call->id);
		rpc->stats.timeouts++;
		xasprintf(&error, "no answer from %s in time", rpc->address);
		rpc_finish(rpc, call, PETREL__STATUS__STATUS_TIMEOUT, error,
		    NULL, NULL);
		free(error);
	}
	if (!rpc->dead)
		rpc_arm(rpc);
	rpc_leave(rpc);
}

/* A connect that failed at once: fail the requests written since. */
static void
rpc_failcb(evutil_socket_t fd, short what, void *arg)
{
	struct rpc	*rpc = arg;
	uint64_t	 gen = rpc->gen;
	char		*error;

	(void)fd;
	(void)what;
	if (rpc->state != RPC_FAILED)
		return;
	xasprintf(&error, "connect to %s: %s", rpc->address,
	    rpc->failerr != 0 ? strerror(rpc->failerr) : "failed");
	rpc->busy++;
	rpc_close(rpc);
	rpc_fail(rpc, gen, PETREL__STATUS__STATUS_CONNECT_FAILED, error);
	free(error);
	rpc_leave(rpc);
}

/* The callback of rpc_call_sync(): keep what came. */
static void
rpc_sync_cb(uint32_t status, const char *error, ProtobufCMessage *body,
    void *arg)
{
	struct rpc_sync	*s = arg;

	s->done = 1;
	s->status = status;
	s->error = xstrdup(error);
	s->body = body;
}

/*
 * Send req and run the event base until its answer or its deadline; never
 * from a callback of the same base.  Returns the Status; with STATUS_OK,
 * *resp (if not NULL) gets the response, which the caller frees.
 * Otherwise *cause (if not NULL) says why.
 */
uint32_t
rpc_call_sync(struct rpc *rpc, uint32_t code, const ProtobufCMessage *req,
    uint32_t timeout_ms, ProtobufCMessage **resp, char **cause)
{
	struct rpc_sync		 s;
	struct event_base	*base = rpc->base;
	struct rpc_call		*call;
	uint64_t		 id;

	memset(&s, 0, sizeof s);
	if (resp != NULL)
		*resp = NULL;
	if (rpc_call(rpc, code, req, timeout_ms, rpc_sync_cb, &s) != 0) {
		if (cause != NULL)
			xasprintf(cause, "request %u not sent to %s", code,
			    rpc->address);
		return (PETREL__STATUS__STATUS_NOT_SENT);
	}
	id = rpc->next_id;
	while (!s.done) {
		if (event_base_loop(base, EVLOOP_ONCE) != 0)
			break;
	}
	if (!s.done) {
		/* The base cannot run: forget the request, s is going. */
		if ((call = idmap_remove(rpc->calls, id)) != NULL) {
			rpc_heap_remove(rpc, call);
			call->next = rpc->spare;
			rpc->spare = call;
			rpc_arm(rpc);
		}
		if (cause != NULL)
			xasprintf(cause, "event loop failed waiting for %s",
			    rpc->address);
		return (PETREL__STATUS__STATUS_SYSTEM_ERROR);
	}
	if (s.status == PETREL__STATUS__STATUS_OK) {
		if (resp != NULL)
			*resp = s.body;
		else
			msg_free(s.body);
	} else if (cause != NULL) {
		*cause = *s.error != '\0' ? xstrdup(s.error) :
		    xstrdup(frame_status_name(s.status));
	}
	free(s.error);
	return (s.status);
}
