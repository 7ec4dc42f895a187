/*
 * libpetrel's core: a client is a loop thread of the library's own with
 * the connections to name servers and brokers (one struct rpc per
 * address), the route cache and the heartbeats, plus the client actor
 * whose timers refresh the routes and send the heartbeats (every 30 s by
 * default, struct petrel_client_options).
 * Producers (actors/producer.c) and consumers are actors on the same loop
 * and use what lib/client.h exports; API calls on other threads hand them
 * messages and wait with struct client_wait.
 *
 * Routes come from the name servers in turn: the one that answered last
 * is asked first; one that cannot be reached (refused, closed, timed out,
 * garbled) passes the question to the next.  Concurrent questions about a
 * topic share one request.  A cached route is refreshed every
 * poll_namesrv_ms and at once when a user marks it stale after a failure.
 *
 * Heartbeats go to the master of every broker a cached route names, with
 * the producer groups and consumer data registered, every heartbeat_ms and
 * at once to a broker first seen or when asked (client_heartbeat_now()).
 */
#include "config.h"

#include <sys/syscall.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <linux/futex.h>
#include <ifaddrs.h>
#include <netinet/in.h>

#include <errno.h>
#include <event2/event.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "actor.h"
#include "client.h"
#include "clock.h"
#include "log.h"
#include "msg.h"
#include "name.h"
#include "rpc.h"
#include "strmap.h"
#include "xmalloc.h"

#include "proto/client.pb-c.h"
#include "proto/frame.pb-c.h"
#include "proto/runtime.pb-c.h"

/* The public names' buffers (lib/petrel.h) hold any name and its NUL. */
_Static_assert(PETREL_NAME_MAX == NAME_LEN_MAX + 1, "name limit drifted");

#define CLIENT_TICK_ROUTES	1
#define CLIENT_TICK_HEARTBEAT	2
#define CLIENT_NS_MAX		64
#define CLIENT_BUSY_POLL_US	200	/* default of PETREL_BUSY_POLL */
#define CLIENT_BUSY_POLL_MAX	100000

/* One callback waiting for a route. */
struct client_waiter {
	client_route_cb		 cb;
	void			*arg;
};

/* A route being fetched, or cached routes to hand to callbacks. */
struct client_fetch {
	struct petrel_client	*c;
	char			*topic;
	struct client_waiter	*waiters;
	size_t			 nwaiters;
	size_t			 tries;		/* name servers asked */
	struct client_fetch	*next;
};

struct petrel_client {
	struct loop		*loop;
	struct actor		*actor;
	char			 id[128];
	int			 dying;		/* callbacks are ignored */
	struct petrel_client_options o;	/* its intervals */

	struct rpc		**ns;		/* name servers */
	size_t			  nns;
	size_t			  ns_cur;	/* asked first */

	struct strmap		*conns;		/* address: struct rpc */
	struct strmap		*routes;	/* topic: struct client_route */
	struct client_fetch	*fetches;	/* in flight */
	struct client_fetch	*ready;		/* cached, callbacks due */
	struct event		*readyev;

	struct strmap		*producers;	/* group: count (uintptr_t) */
	struct strmap		*consumers;	/* group: ConsumerData */
	struct client_watcher	*watchers;	/* told of member changes */
	size_t			 nwatchers;
	struct strmap		*beaten;	/* broker addresses heartbeated */
};

/* An actor told (a Tick) when a broker says its group's members changed. */
struct client_watcher {
	char		*group;
	uint64_t	 ref;
	uint32_t	 tick;
};

struct client_state {
	struct petrel_client	*c;
};

static uint64_t	client_busy_poll(const char *);
static void	client_notice(uint32_t, ProtobufCMessage *, void *);
static int	client_init(struct actor *, void *);
static void	client_fini(void *);
static int	client_on_start(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	client_on_tick(void *, ProtobufCMessage *,
		    const struct envelope *);

static void	client_fetch_start(struct client_fetch *);
static void	client_fetch_free(struct client_fetch *);
static void	client_heartbeat(struct petrel_client *, const char *);

static const struct actor_handler client_handlers[] = {
	{ &petrel__client_start__descriptor, client_on_start },
	{ &petrel__tick__descriptor, client_on_tick },
	{ NULL, NULL }
};

static const struct actor_type client_actor = {
	.name = "client",
	.size = sizeof(struct client_state),
	.init = client_init,
	.fini = client_fini,
	.handlers = client_handlers
};

/* The process's part of unique ids and client ids. */
static pthread_once_t	client_once = PTHREAD_ONCE_INIT;
static uint8_t		client_ip[4];
static char		client_ipstr[INET_ADDRSTRLEN];
static char		client_born[INET_ADDRSTRLEN + 8];	/* ip:0 */
static uint32_t		client_random;
static uint32_t		client_pid;	/* getpid() once, not per id */
static uint64_t		client_start_ms;	/* wall clock */
static char		client_id_head[21];	/* of unique ids: IP, pid,
						   random in hex */
static uint64_t		client_busy_poll_us;	/* PETREL_BUSY_POLL */
static _Atomic uint32_t	client_counter;
static _Atomic uint32_t	client_instances;

static int
client_init(struct actor *a, void *state)
{
	return (0);
}

static void
client_fini(void *state)
{
}

/* The loop runs: start the timers. */
static int
client_on_start(void *state, ProtobufCMessage *m, const struct envelope *env)
{
	struct client_state	*cs = state;
	Petrel__ClientStart	*s = (Petrel__ClientStart *)m;

	cs->c = (struct petrel_client *)(uintptr_t)s->client;
	actor_timer(cs->c->actor, CLIENT_TICK_ROUTES, cs->c->o.poll_namesrv_ms,
	    1);
	actor_timer(cs->c->actor, CLIENT_TICK_HEARTBEAT, cs->c->o.heartbeat_ms,
	    1);
	return (0);
}

/* Refresh every cached route, or heartbeat every broker. */
static int
client_on_tick(void *state, ProtobufCMessage *m, const struct envelope *env)
{
	struct client_state	*cs = state;
	Petrel__Tick		*t = (Petrel__Tick *)m;
	const char		**topics;
	size_t			 n, i;

	if (cs->c == NULL)
		return (-1);
	if (t->id == CLIENT_TICK_HEARTBEAT) {
		client_heartbeat(cs->c, NULL);
		return (0);
	}
	topics = strmap_keys(cs->c->routes, &n);
	for (i = 0; i < n; i++)
		client_route(cs->c, topics[i], 1, NULL, NULL);
	free(topics);
	return (0);
}

/* Find this host's address for ids: the first IPv4 one not loopback. */
static void
client_once_init(void)
{
	struct ifaddrs		*ifa, *i;
	struct sockaddr_in	*sin;
	struct in_addr		 addr;
	struct timespec		 ts;

	addr.s_addr = htonl(INADDR_LOOPBACK);
	if (getifaddrs(&ifa) == 0) {
		for (i = ifa; i != NULL; i = i->ifa_next) {
			if (i->ifa_addr == NULL ||
			    i->ifa_addr->sa_family != AF_INET)
				continue;
			sin = (struct sockaddr_in *)i->ifa_addr;
			if ((ntohl(sin->sin_addr.s_addr) >> 24) == 127)
				continue;
			addr = sin->sin_addr;
			break;
		}
		freeifaddrs(ifa);
	}
	memcpy(client_ip, &addr.s_addr, 4);
	inet_ntop(AF_INET, &addr, client_ipstr, sizeof client_ipstr);
	snprintf(client_born, sizeof client_born, "%s:0", client_ipstr);
	clock_gettime(CLOCK_REALTIME, &ts);
	client_pid = (uint32_t)getpid();
	client_random = (uint32_t)ts.tv_nsec ^ (client_pid << 16) ^
	    (uint32_t)ts.tv_sec;
	client_random = client_random * 2654435761U + 0x9e3779b9U;
	snprintf(client_id_head, sizeof client_id_head, "%02X%02X%02X%02X"
	    "%04X%08X", client_ip[0], client_ip[1], client_ip[2], client_ip[3],
	    client_pid & 0xffff, client_random);
	client_start_ms = clock_wall_ms();
	client_busy_poll_us = client_busy_poll(getenv("PETREL_BUSY_POLL"));
}

/*
 * The library loop's busy-poll time in microseconds from the environment
 * (libpetrel(3)): digits up to CLIENT_BUSY_POLL_MAX, 0 to sleep at once;
 * anything else means the default.
 */
static uint64_t
client_busy_poll(const char *s)
{
	uint64_t	 us = 0;

	if (s == NULL || *s == '\0' || strspn(s, "0123456789") != strlen(s) ||
	    strlen(s) > 6)
		return (CLIENT_BUSY_POLL_US);
	while (*s != '\0')
		us = us * 10 + (uint64_t)(*s++ - '0');
	return (us <= CLIENT_BUSY_POLL_MAX ? us : CLIENT_BUSY_POLL_US);
}

/*
 * Copy src into dst of size bytes (> 0), cut short if need be and always
 * terminated: snprintf(dst, size, "%s", src) without the formatting, for
 * what is copied for every message.
 */
void
client_copy(char *dst, size_t size, const char *src)
{
	size_t	len = strnlen(src, size - 1);

	memcpy(dst, src, len);
	dst[len] = '\0';
}

/*
 * Whether s is a name a client may use for a topic or a group (lib/name.h),
 * not starting with '%' unless percent_ok (the broker's own topics and
 * groups start with it).  A loop rather than strspn(3), whose generic
 * version builds a table on every call: this runs for every message sent.
 */
int
client_name_ok(const char *s, int percent_ok)
{
	size_t	i;

	if (s[0] == '\0' || (s[0] == '%' && !percent_ok))
		return (0);
	for (i = 0; s[i] != '\0'; i++) {
		if (i == NAME_LEN_MAX || !name_char_ok(s[i]))
			return (0);
	}
	return (1);
}

/*
 * A unique id (proto/broker.proto): 32 upper-case hex digits of 4 bytes
 * IP, 2 bytes pid, 4 bytes random, 4 bytes of ms since start, 2 bytes
 * counter, in buf of len (at least 33) bytes.
 */
void
client_unique_id(char *buf, size_t len)
{
	client_unique_id_at(buf, len, clock_wall_ms());
}

/*
 * client_unique_id() for a sender that read the clock already: now_ms is
 * the time since the epoch in ms (a sent message's born time), so one
 * clock read serves both.
 */
void
client_unique_id_at(char *buf, size_t len, uint64_t now_ms)
{
	static const char	 hex[] = "0123456789ABCDEF";
	uint8_t			 b[6];
	uint32_t		 ms, n;
	size_t			 i;

	pthread_once(&client_once, client_once_init);
	if (len < 33)
		fatalx("%s: buffer of %zu bytes", __func__, len);
	ms = (uint32_t)(now_ms - client_start_ms);
	n = atomic_fetch_add_explicit(&client_counter, 1, memory_order_relaxed);
	b[0] = ms >> 24;
	b[1] = ms >> 16;
	b[2] = ms >> 8;
	b[3] = ms;
	b[4] = n >> 8;
	b[5] = n;
	/* IP, pid and random are the process's: written out once. */
	memcpy(buf, client_id_head, 20);
	for (i = 0; i < 6; i++) {
		buf[20 + 2 * i] = hex[b[i] >> 4];
		buf[20 + 2 * i + 1] = hex[b[i] & 0xf];
	}
	buf[32] = '\0';
}

/* Fill err (may be NULL) with code and a reason. */
void
client_error(struct petrel_error *err, int code, const char *fmt, ...)
{
	va_list	ap;

	if (err == NULL)
		return;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->text, sizeof err->text, fmt, ap);
	va_end(ap);
}

/* The library's version. */
const char *
petrel_version(void)
{
	return (PACKAGE_VERSION);
}

/* What a status code means. */
const char *
petrel_strerror(int code)
{
	switch (code) {
	case PETREL_OK:
		return ("success");
	case PETREL_E_SYSTEM:
		return ("the server failed");
	case PETREL_E_BUSY:
		return ("too busy, try again later");
	case PETREL__STATUS__STATUS_REQUEST_CODE_NOT_SUPPORTED:
		return ("the server does not know this request");
	case PETREL_E_BAD_REQUEST:
		return ("bad request: an argument broke a limit");
	case PETREL_E_NOT_FOUND:
		return ("not found");
	case PETREL__STATUS__STATUS_FRAME_TOO_LARGE:
		return ("the request is too large");
	case PETREL__STATUS__STATUS_VERSION_NOT_SUPPORTED:
		return ("the server speaks another protocol version");
	case PETREL__STATUS__STATUS_NO_PERMISSION:
		return ("permission denied");
	case PETREL_E_FLUSH_DISK_TIMEOUT:
		return ("stored, but not known to be on disk in time");
	case PETREL__STATUS__STATUS_SLAVE_NOT_AVAILABLE:
		return ("stored, but no slave has it");
	case PETREL__STATUS__STATUS_FLUSH_SLAVE_TIMEOUT:
		return ("stored, but the slave did not confirm in time");
	case PETREL_E_MESSAGE_ILLEGAL:
		return ("the message is illegal");
	case PETREL_E_SERVICE_NOT_AVAILABLE:
		return ("the broker cannot take messages now");
	case PETREL_E_TOPIC_NOT_EXIST:
		return ("the topic does not exist");
	case PETREL_E_NOT_WRITABLE:
		return ("the topic or broker refuses writes");
	case PETREL__STATUS__STATUS_PULL_NOT_FOUND:
		return ("no new message");
	case PETREL__STATUS__STATUS_PULL_OFFSET_MOVED:
		return ("the offset moved");
	case PETREL__STATUS__STATUS_PULL_OFFSET_ILLEGAL:
		return ("illegal offset");
	case PETREL__STATUS__STATUS_QUEUE_LOCKED:
		return ("another client holds the queue lock");
	case PETREL_E_TIMEOUT:
		return ("timed out");
	case PETREL_E_CONNECTION_CLOSED:
		return ("the connection closed");
	case PETREL_E_CONNECT_FAILED:
		return ("cannot connect");
	case PETREL_E_PROTOCOL:
		return ("the peer sent something undecodable");
	case PETREL_E_NOT_SENT:
		return ("refused before sending");
	}
	return ("unknown error");
}

/* ------------------------------------------------------------ waiting */

/* Make cond wait on the monotonic clock. */
static void
client_cond_init(pthread_mutex_t *lock, pthread_cond_t *cond)
{
	pthread_condattr_t	attr;

	if (pthread_mutex_init(lock, NULL) != 0 ||
	    pthread_condattr_init(&attr) != 0 ||
	    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(cond, &attr) != 0)
		fatalx("%s: pthread init failed", __func__);
	pthread_condattr_destroy(&attr);
}

/* The absolute monotonic time ms from now. */
static void
client_deadline(struct timespec *ts, uint32_t ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts->tv_nsec >= 1000000000) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000;
	}
}

/* Prepare w to wait for an answer written to arg (n entries). */
void
client_wait_init(struct client_wait *w, void *arg, size_t n)
{
	memset(w, 0, sizeof *w);
	atomic_init(&w->state, CLIENT_WAIT_PENDING);
	w->arg = arg;
	w->n = n;
}

/* Answer w (loop thread); the waiter may be gone once this returns. */
void
client_wait_done(struct client_wait *w, int code, const char *text)
{
	w->code = code;
	if (text != NULL)
		snprintf(w->text, sizeof w->text, "%s", text);
	/*
	 * After the exchange the waiter may return and its stack be reused:
	 * the wake names an address only, and a futex woken for nothing
	 * there checks its own word again.
	 */
	if (atomic_exchange_explicit(&w->state, CLIENT_WAIT_DONE,
	    memory_order_acq_rel) == CLIENT_WAIT_SLEEPING)
		syscall(SYS_futex, &w->state, FUTEX_WAKE_PRIVATE, 1, NULL,
		    NULL, 0);
}

/* Whether w is answered (a loop_lend() condition). */
static int
client_wait_done_p(void *arg)
{
	struct client_wait	*w = arg;

	return (atomic_load_explicit(&w->state, memory_order_acquire) ==
	    CLIENT_WAIT_DONE);
}

/*
 * Wait for w's answer; 0, or -1 with err filled in.  For the busy poll
 * time the caller runs the client's loop itself while its thread is not
 * (loop_lend), so it reads the answer from the socket without another
 * thread waking for it, or else looks for the answer, yielding the CPU
 * between looks; then it sleeps: waking a sleeping thread costs more than
 * a round trip to the broker.
 */
int
client_wait_for(struct petrel_client *c, struct client_wait *w,
    struct petrel_error *err)
{
	uint32_t	s = CLIENT_WAIT_PENDING;
	int		code;

	loop_await(c->loop, client_wait_done_p, w, client_busy_poll_us);
	if (atomic_compare_exchange_strong_explicit(&w->state, &s,
	    CLIENT_WAIT_SLEEPING, memory_order_acquire, memory_order_acquire))
		s = CLIENT_WAIT_SLEEPING;
	while (s != CLIENT_WAIT_DONE) {
		syscall(SYS_futex, &w->state, FUTEX_WAIT_PRIVATE,
		    CLIENT_WAIT_SLEEPING, NULL, NULL, 0);
		s = atomic_load_explicit(&w->state, memory_order_acquire);
	}
	if ((code = w->code) == PETREL_OK)
		return (0);
	client_error(err, code, "%s", w->text[0] != '\0' ? w->text :
	    petrel_strerror(code));
	return (-1);
}

/* A gate letting max through at once. */
void
client_gate_init(struct client_gate *g, size_t max)
{
	memset(g, 0, sizeof *g);
	client_cond_init(&g->lock, &g->cond);
	g->max = max;
	g->tail = &g->head;
}

void
client_gate_fini(struct client_gate *g)
{
	pthread_cond_destroy(&g->cond);
	pthread_mutex_destroy(&g->lock);
}

/* Wait up to ms (UINT32_MAX: forever) for room and take it; 0 or -1. */
static int
client_gate_room(struct client_gate *g, uint32_t ms)
{
	struct timespec	ts;
	int		rc = 0;

	if (g->inflight >= g->max) {
		client_deadline(&ts, ms);
		g->waiting++;
		while (g->inflight >= g->max && rc == 0) {
			if (ms == UINT32_MAX)
				pthread_cond_wait(&g->cond, &g->lock);
			else if (pthread_cond_timedwait(&g->cond, &g->lock,
			    &ts) == ETIMEDOUT)
				rc = -1;
		}
		g->waiting--;
		if (g->inflight < g->max)
			rc = 0;
	}
	if (rc == 0)
		g->inflight++;
	return (rc);
}

/* Wait up to ms (UINT32_MAX: forever) for room; 0 or -1. */
int
client_gate_enter(struct client_gate *g, uint32_t ms)
{
	int	rc;

	pthread_mutex_lock(&g->lock);
	rc = client_gate_room(g, ms);
	pthread_mutex_unlock(&g->lock);
	return (rc);
}

/*
 * Queue s for the loop, after the sends queued before it; a counted one
 * (async, one-way) first waits up to ms for room as client_gate_enter()
 * does, under the same lock.  1 if nothing was queued before (the caller
 * wakes the loop, which takes them all), 0 if something was, -1 if there
 * was no room in time (s is still the caller's).
 */
int
client_gate_post(struct client_gate *g, struct client_send *s, int counted,
    uint32_t ms)
{
	int	rc = 0;

	s->next = NULL;
	pthread_mutex_lock(&g->lock);
	if (counted && client_gate_room(g, ms) != 0)
		rc = -1;
	else {
		rc = g->head == NULL;
		*g->tail = s;
		g->tail = &s->next;
	}
	pthread_mutex_unlock(&g->lock);
	return (rc);
}

/* Take every send queued, oldest first, linked by next; NULL if none. */
struct client_send *
client_gate_take(struct client_gate *g)
{
	struct client_send	*s;

	pthread_mutex_lock(&g->lock);
	s = g->head;
	g->head = NULL;
	g->tail = &g->head;
	pthread_mutex_unlock(&g->lock);
	return (s);
}

/* One left the gate. */
void
client_gate_leave(struct client_gate *g)
{
	client_gate_leave_n(g, 1);
}

/* n left the gate at once (one lock for a batch of answers). */
void
client_gate_leave_n(struct client_gate *g, size_t n)
{
	if (n == 0)
		return;
	pthread_mutex_lock(&g->lock);
	if (g->inflight < n)
		fatalx("%s: gate underflow", __func__);
	g->inflight -= n;
	if (g->waiting != 0)
		pthread_cond_broadcast(&g->cond);
	pthread_mutex_unlock(&g->lock);
}

/* Wait up to ms (UINT32_MAX: forever) for nothing in flight; 0 or -1. */
int
client_gate_drain(struct client_gate *g, uint32_t ms)
{
	struct timespec	ts;
	int		rc = 0;

	client_deadline(&ts, ms);
	pthread_mutex_lock(&g->lock);
	g->waiting++;
	while (g->inflight != 0 && rc == 0) {
		if (ms == UINT32_MAX)
			pthread_cond_wait(&g->cond, &g->lock);
		else if (pthread_cond_timedwait(&g->cond, &g->lock, &ts) ==
		    ETIMEDOUT)
			rc = -1;
	}
	g->waiting--;
	if (g->inflight == 0)
		rc = 0;
	pthread_mutex_unlock(&g->lock);
	return (rc);
}

/* ------------------------------------------------------------ client */

/* The default client options. */
void
petrel_client_options_init(struct petrel_client_options *o)
{
	memset(o, 0, sizeof *o);
	o->poll_namesrv_ms = CLIENT_ROUTE_MS;
	o->heartbeat_ms = CLIENT_HEARTBEAT_MS;
}

/* A client with the default options: petrel_client_new_opts(). */
struct petrel_client *
petrel_client_new(const char *namesrv, struct petrel_error *err)
{
	return (petrel_client_new_opts(namesrv, NULL, err));
}

/*
 * A client of the name servers in namesrv ("host:port;host:port", commas
 * and spaces work too) with options o (NULL for the defaults): starts the
 * library's loop thread.  NULL with err filled in if an address or an
 * interval is bad.
 */
struct petrel_client *
petrel_client_new_opts(const char *namesrv,
    const struct petrel_client_options *o, struct petrel_error *err)
{
	struct petrel_client_options	 def;
	struct petrel_client		*c;
	Petrel__ClientStart		*s;
	struct rpc			*rpc;
	struct sigaction		 sa;
	char				*copy, *next, *word, *cause = NULL;

	if (namesrv == NULL) {
		client_error(err, PETREL_E_BAD_REQUEST, "no name server");
		return (NULL);
	}
	if (o == NULL) {
		petrel_client_options_init(&def);
		o = &def;
	}
	if (o->poll_namesrv_ms < PETREL_INTERVAL_MIN_MS ||
	    o->poll_namesrv_ms > PETREL_INTERVAL_MAX_MS ||
	    o->heartbeat_ms < PETREL_INTERVAL_MIN_MS ||
	    o->heartbeat_ms > PETREL_INTERVAL_MAX_MS) {
		client_error(err, PETREL_E_BAD_REQUEST, "poll_namesrv_ms and "
		    "heartbeat_ms must be %d to %d", PETREL_INTERVAL_MIN_MS,
		    PETREL_INTERVAL_MAX_MS);
		return (NULL);
	}
	pthread_once(&client_once, client_once_init);
	c = xcalloc(1, sizeof *c);
	c->o = *o;
	c->loop = loop_new("petrel");
	loop_set_busy_poll(c->loop, client_busy_poll_us);
	copy = next = xstrdup(namesrv);
	while ((word = strsep(&next, ";, \t")) != NULL) {
		if (*word == '\0')
			continue;
		if (c->nns == CLIENT_NS_MAX) {
			xasprintf(&cause, "more than %d name servers",
			    CLIENT_NS_MAX);
			break;
		}
		if ((rpc = rpc_new(loop_base(c->loop), word, &cause)) == NULL)
			break;
		c->ns = xreallocarray(c->ns, c->nns + 1, sizeof *c->ns);
		c->ns[c->nns++] = rpc;
	}
	free(copy);
	if (cause == NULL && c->nns == 0)
		cause = xstrdup("no name server address given");
	if (cause != NULL) {
		client_error(err, PETREL_E_BAD_REQUEST, "%s", cause);
		free(cause);
		petrel_client_free(c);
		return (NULL);
	}

	/* Writes to a closed socket must fail, not kill the process. */
	if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL)
		signal(SIGPIPE, SIG_IGN);

	snprintf(c->id, sizeof c->id, "%s@%ld@%u", client_ipstr,
	    (long)getpid(), atomic_fetch_add(&client_instances, 1));
	c->conns = strmap_new();
	c->routes = strmap_new();
	c->producers = strmap_new();
	c->consumers = strmap_new();
	c->beaten = strmap_new();
	c->actor = actor_spawn(c->loop, &client_actor, "client");
	if (c->actor == NULL)
		fatalx("%s: cannot spawn the client actor", __func__);
	if (loop_start(c->loop) != 0)
		fatalx("%s: cannot start the client loop", __func__);
	s = msg_new(&petrel__client_start__descriptor);
	s->client = (uint64_t)(uintptr_t)c;
	actor_send(c->actor, s);
	return (c);
}

static void
client_free_route(void *v)
{
	client_route_free(v);
}

static void
client_free_consumer(void *v)
{
	msg_free(v);
}

/* Stop the loop and free everything; producers and consumers first. */
void
petrel_client_free(struct petrel_client *c)
{
	struct client_fetch	*f;
	size_t			 i, iter;
	void			*v;

	if (c == NULL)
		return;
	if (loop_running(c->loop)) {
		loop_exit(c->loop);
		loop_join(c->loop);
	}
	c->dying = 1;
	for (i = 0; i < c->nns; i++)
		rpc_free(c->ns[i]);
	free(c->ns);
	if (c->conns != NULL) {
		iter = 0;
		while (strmap_next(c->conns, &iter, NULL, &v))
			rpc_free(v);
		strmap_free(c->conns, NULL);
	}
	while ((f = c->fetches) != NULL) {
		c->fetches = f->next;
		client_fetch_free(f);
	}
	while ((f = c->ready) != NULL) {
		c->ready = f->next;
		client_fetch_free(f);
	}
	if (c->readyev != NULL)
		event_free(c->readyev);
	if (c->routes != NULL)
		strmap_free(c->routes, client_free_route);
	if (c->producers != NULL)
		strmap_free(c->producers, NULL);
	if (c->consumers != NULL)
		strmap_free(c->consumers, client_free_consumer);
	for (i = 0; i < c->nwatchers; i++)
		free(c->watchers[i].group);
	free(c->watchers);
	if (c->beaten != NULL)
		strmap_free(c->beaten, NULL);
	actor_free(c->actor);
	loop_free(c->loop);
	free(c);
}

/* The client's loop. */
struct loop *
client_loop(struct petrel_client *c)
{
	return (c->loop);
}

/* The loop's event_base. */
struct event_base *
client_base(struct petrel_client *c)
{
	return (loop_base(c->loop));
}

/* ip@pid@counter, as brokers know this client. */
const char *
client_id(struct petrel_client *c)
{
	return (c->id);
}

/* This host as a born host ("ip:0": no port of its own). */
const char *
client_host(struct petrel_client *c)
{
	return (client_born);
}

/* Whether the caller runs on the client's loop thread. */
int
client_on_loop(struct petrel_client *c)
{
	return (loop_current() == c->loop);
}

/* The connection to address, made on first use; NULL if it is bad. */
struct rpc *
client_conn(struct petrel_client *c, const char *address)
{
	struct rpc	*rpc;
	char		*cause = NULL;

	if ((rpc = strmap_get(c->conns, address)) != NULL)
		return (rpc);
	if ((rpc = rpc_new(client_base(c), address, &cause)) == NULL) {
		log_warnx("broker address %s: %s", address, cause);
		free(cause);
		return (NULL);
	}
	strmap_put(c->conns, address, rpc);
	rpc_on_request(rpc, client_notice, c);
	return (rpc);
}

/*
 * A request a broker sent on one of our connections: a notice that a
 * consumer group's members changed goes to every actor watching the group
 * (loop).  Takes body.
 */
static void
client_notice(uint32_t code, ProtobufCMessage *body, void *arg)
{
	struct petrel_client			*c = arg;
	Petrel__NotifyConsumerIdsChangedRequest	*n;
	Petrel__Tick				*t;
	struct actor				*a;
	size_t					 i;

	if (code != PETREL__REQUEST_CODE__CODE_NOTIFY_CONSUMER_IDS_CHANGED) {
		msg_free(body);
		return;
	}
	n = (Petrel__NotifyConsumerIdsChangedRequest *)body;
	for (i = 0; i < c->nwatchers; i++) {
		if (strcmp(c->watchers[i].group, n->group) != 0 ||
		    (a = actor_deref(c->watchers[i].ref)) == NULL)
			continue;
		t = msg_new(&petrel__tick__descriptor);
		t->id = c->watchers[i].tick;
		actor_send(a, t);
	}
	msg_free(body);
}

/*
 * Tell actor ref (a Tick tick) whenever a broker says group's members
 * changed, or stop telling it (group NULL).  Every consumer of a client
 * hears the notices of its group, whatever connection they came on (loop).
 */
void
client_watch_group(struct petrel_client *c, const char *group, uint64_t ref,
    uint32_t tick)
{
	size_t	i;

	for (i = 0; i < c->nwatchers; i++) {
		if (c->watchers[i].ref == ref)
			break;
	}
	if (i < c->nwatchers) {
		free(c->watchers[i].group);
		if (group == NULL) {
			c->watchers[i] = c->watchers[--c->nwatchers];
			return;
		}
	} else {
		if (group == NULL)
			return;
		c->watchers = xreallocarray(c->watchers, c->nwatchers + 1,
		    sizeof *c->watchers);
		i = c->nwatchers++;
	}
	c->watchers[i].group = xstrdup(group);
	c->watchers[i].ref = ref;
	c->watchers[i].tick = tick;
}

/* ------------------------------------------------------------ routes */

/* The master's address of broker name in r, or NULL. */
const char *
client_route_master(const struct client_route *r, const char *name)
{
	Petrel__BrokerData	*b;
	size_t			 i, j;

	for (i = 0; i < r->resp->n_brokers; i++) {
		b = r->resp->brokers[i];
		if (strcmp(b->broker_name, name) != 0)
			continue;
		for (j = 0; j < b->n_addresses; j++) {
			if (b->addresses[j]->broker_id == 0)
				return (b->addresses[j]->address);
		}
	}
	return (NULL);
}

/* qsort order of queues: broker name, then queue id. */
static int
client_queue_cmp(const void *a, const void *b)
{
	const struct client_queue	*x = a, *y = b;
	int				 rc;

	if ((rc = strcmp(x->broker, y->broker)) != 0)
		return (rc);
	return (x->queue_id < y->queue_id ? -1 : x->queue_id > y->queue_id);
}

/*
 * A route of topic from the name server's answer resp (taken over): the
 * write queues of every writable broker with a master, sorted.
 */
struct client_route *
client_route_build(const char *topic, Petrel__GetRouteResponse *resp)
{
	struct client_route	*r;
	Petrel__QueueData	*q;
	const char		*address;
	size_t			 i, n = 0;
	uint32_t		 j;

	r = xcalloc(1, sizeof *r);
	r->topic = xstrdup(topic);
	r->resp = resp;
	r->fetched_ms = clock_mono_ms();
	for (i = 0; i < resp->n_queues; i++) {
		q = resp->queues[i];
		if (q->order)
			r->ordered = 1;
		if ((q->perm & PETREL__PERM__PERM_WRITE) == 0)
			continue;
		if (client_route_master(r, q->broker_name) == NULL)
			continue;
		if (q->write_queues > 1024)
			continue;
		n += q->write_queues;
	}
	if (n != 0)
		r->queues = xcalloc(n, sizeof *r->queues);
	for (i = 0; i < resp->n_queues; i++) {
		q = resp->queues[i];
		if ((q->perm & PETREL__PERM__PERM_WRITE) == 0 ||
		    q->write_queues > 1024)
			continue;
		if ((address = client_route_master(r, q->broker_name)) == NULL)
			continue;
		for (j = 0; j < q->write_queues; j++) {
			r->queues[r->nqueues].broker = q->broker_name;
			r->queues[r->nqueues].address = address;
			r->queues[r->nqueues].queue_id = j;
			r->nqueues++;
		}
	}
	if (r->nqueues > 1)
		qsort(r->queues, r->nqueues, sizeof *r->queues,
		    client_queue_cmp);
	return (r);
}

void
client_route_free(struct client_route *r)
{
	if (r == NULL)
		return;
	free(r->topic);
	free(r->queues);
	msg_free(r->resp);
	free(r);
}

/*
 * Round robin: the index of the next write queue of r after *next (which
 * moves on), skipping the queues of broker avoid (NULL: none) while
 * another broker has some.  -1 if r has no write queue.
 */
int
client_route_pick(const struct client_route *r, uint32_t *next,
    const char *avoid)
{
	size_t	i, k;

	if (r->nqueues == 0)
		return (-1);
	for (i = 0; i < r->nqueues; i++) {
		k = (*next)++ % r->nqueues;
		if (avoid == NULL || strcmp(r->queues[k].broker, avoid) != 0)
			return ((int)k);
	}
	return ((int)((*next)++ % r->nqueues));
}

/* The cached route of topic, or NULL (loop). */
const struct client_route *
client_route_get(struct petrel_client *c, const char *topic)
{
	return (strmap_get(c->routes, topic));
}

/* Mark topic's route for a refresh at once (loop). */
void
client_route_stale(struct petrel_client *c, const char *topic)
{
	client_route(c, topic, 1, NULL, NULL);
}

/* Free a fetch record. */
static void
client_fetch_free(struct client_fetch *f)
{
	free(f->topic);
	free(f->waiters);
	free(f);
}

/* Add a waiter to f (cb may be NULL: a refresh only). */
static void
client_fetch_add(struct client_fetch *f, client_route_cb cb, void *arg)
{
	if (cb == NULL)
		return;
	f->waiters = xreallocarray(f->waiters, f->nwaiters + 1,
	    sizeof *f->waiters);
	f->waiters[f->nwaiters].cb = cb;
	f->waiters[f->nwaiters].arg = arg;
	f->nwaiters++;
}

/* Hand the cached routes to the callbacks waiting for them. */
static void
client_ready_cb(evutil_socket_t fd, short what, void *arg)
{
	struct petrel_client		*c = arg;
	struct client_fetch		*f, *list = c->ready;
	const struct client_route	*r;
	size_t				 i;

	c->ready = NULL;
	while ((f = list) != NULL) {
		list = f->next;
		r = strmap_get(c->routes, f->topic);
		for (i = 0; i < f->nwaiters; i++) {
			if (f->waiters[i].cb == NULL)
				continue;
			if (r != NULL)
				f->waiters[i].cb(f->topic, r,
				    PETREL__STATUS__STATUS_OK, "",
				    f->waiters[i].arg);
			else
				client_route(c, f->topic, 1, f->waiters[i].cb,
				    f->waiters[i].arg);
		}
		client_fetch_free(f);
	}
}

/*
 * Call cb(route, status, error, arg) with topic's route: the cached one
 * unless refresh or none is cached, else one asked of the name servers.
 * cb (NULL: refresh only) runs later on the loop, never from inside this
 * call (loop).
 */
void
client_route(struct petrel_client *c, const char *topic, int refresh,
    client_route_cb cb, void *arg)
{
	struct client_fetch	*f;

	if (!refresh && strmap_get(c->routes, topic) != NULL) {
		if (cb == NULL)
			return;
		f = xcalloc(1, sizeof *f);
		f->c = c;
		f->topic = xstrdup(topic);
		client_fetch_add(f, cb, arg);
		f->next = c->ready;
		c->ready = f;
		if (c->readyev == NULL)
			c->readyev = event_new(client_base(c), -1, 0,
			    client_ready_cb, c);
		event_active(c->readyev, EV_TIMEOUT, 0);
		return;
	}
	for (f = c->fetches; f != NULL; f = f->next) {
		if (strcmp(f->topic, topic) == 0) {
			client_fetch_add(f, cb, arg);
			return;
		}
	}
	f = xcalloc(1, sizeof *f);
	f->c = c;
	f->topic = xstrdup(topic);
	client_fetch_add(f, cb, arg);
	f->next = c->fetches;
	c->fetches = f;
	client_fetch_start(f);
}

/* Forget the callbacks with arg (its owner goes away) (loop). */
void
client_route_cancel(struct petrel_client *c, void *arg)
{
	struct client_fetch	*f;
	size_t			 i;

	for (f = c->fetches; f != NULL; f = f->next) {
		for (i = 0; i < f->nwaiters; i++) {
			if (f->waiters[i].arg == arg)
				f->waiters[i].cb = NULL;
		}
	}
	for (f = c->ready; f != NULL; f = f->next) {
		for (i = 0; i < f->nwaiters; i++) {
			if (f->waiters[i].arg == arg)
				f->waiters[i].cb = NULL;
		}
	}
}

/* Take f off the fetch list and answer its waiters. */
static void
client_fetch_end(struct client_fetch *f, const struct client_route *r,
    uint32_t status, const char *error)
{
	struct petrel_client	*c = f->c;
	struct client_fetch	**fp;
	size_t			 i;

	for (fp = &c->fetches; *fp != NULL; fp = &(*fp)->next) {
		if (*fp == f) {
			*fp = f->next;
			break;
		}
	}
	for (i = 0; i < f->nwaiters; i++) {
		if (f->waiters[i].cb != NULL)
			f->waiters[i].cb(f->topic, r, status, error,
			    f->waiters[i].arg);
	}
	client_fetch_free(f);
}

/* Heartbeat the masters of r not heartbeated yet. */
static void
client_heartbeat_new(struct petrel_client *c, const struct client_route *r)
{
	size_t	i;

	for (i = 0; i < r->nqueues; i++) {
		if (strmap_get(c->beaten, r->queues[i].address) != NULL)
			continue;
		strmap_put(c->beaten, r->queues[i].address, c);
		client_heartbeat(c, r->queues[i].address);
	}
}

/* A name server answered a route question, or failed to. */
static void
client_fetched(uint32_t status, const char *error, ProtobufCMessage *body,
    void *arg)
{
	struct client_fetch	*f = arg;
	struct petrel_client	*c = f->c;
	struct client_route	*r, *old;

	if (c->dying) {
		msg_free(body);
		return;
	}
	switch (status) {
	case PETREL__STATUS__STATUS_TIMEOUT:
	case PETREL__STATUS__STATUS_CONNECTION_CLOSED:
	case PETREL__STATUS__STATUS_CONNECT_FAILED:
	case PETREL__STATUS__STATUS_PROTOCOL_ERROR:
		log_debug("route of %s from %s: %s", f->topic,
		    rpc_address(c->ns[c->ns_cur]), error);
		c->ns_cur = (c->ns_cur + 1) % c->nns;
		if (++f->tries < c->nns) {
			client_fetch_start(f);
			return;
		}
		client_fetch_end(f, NULL, status, error);
		return;
	case PETREL__STATUS__STATUS_OK:
		break;
	default:
		if (status == PETREL__STATUS__STATUS_NOT_FOUND)
			status = PETREL__STATUS__STATUS_TOPIC_NOT_EXIST;
		client_fetch_end(f, NULL, status, error);
		return;
	}
	r = client_route_build(f->topic, (Petrel__GetRouteResponse *)body);
	old = strmap_put(c->routes, f->topic, r);
	client_route_free(old);
	client_heartbeat_new(c, r);
	client_fetch_end(f, r, status, "");
}

/* Ask the current name server for f's route. */
static void
client_fetch_start(struct client_fetch *f)
{
	struct petrel_client	*c = f->c;
	Petrel__GetRouteRequest	 req = PETREL__GET_ROUTE_REQUEST__INIT;

	req.topic = f->topic;
	while (rpc_call(c->ns[c->ns_cur], PETREL__REQUEST_CODE__CODE_GET_ROUTE,
	    &req.base, CLIENT_RPC_TIMEOUT_MS, client_fetched, f) != 0) {
		c->ns_cur = (c->ns_cur + 1) % c->nns;
		if (++f->tries >= c->nns) {
			client_fetch_end(f, NULL,
			    PETREL__STATUS__STATUS_NOT_SENT,
			    "cannot ask the name servers");
			return;
		}
	}
}

/* ------------------------------------------------------------ heartbeat */

/* Register a producer group for heartbeats (loop). */
void
client_add_producer(struct petrel_client *c, const char *group)
{
	uintptr_t	n;

	n = (uintptr_t)strmap_get(c->producers, group);
	strmap_put(c->producers, group, (void *)(n + 1));
	if (n == 0)
		client_heartbeat(c, NULL);
}

/* A producer of group left (loop). */
void
client_remove_producer(struct petrel_client *c, const char *group)
{
	uintptr_t	n;

	n = (uintptr_t)strmap_get(c->producers, group);
	if (n <= 1)
		strmap_remove(c->producers, group);
	else
		strmap_put(c->producers, group, (void *)(n - 1));
}

/*
 * Set group's consumer data (taken over) sent with every heartbeat, or
 * remove it with NULL (loop).  Does not heartbeat: see
 * client_heartbeat_now().
 */
void
client_set_consumer(struct petrel_client *c, const char *group,
    Petrel__ConsumerData *data)
{
	void	*old;

	if (data == NULL)
		old = strmap_remove(c->consumers, group);
	else
		old = strmap_put(c->consumers, group, data);
	msg_free(old);
}

/* Heartbeat every known broker now (loop). */
void
client_heartbeat_now(struct petrel_client *c)
{
	client_heartbeat(c, NULL);
}

/* A broker answered a heartbeat. */
static void
client_heartbeat_cb(uint32_t status, const char *error,
    ProtobufCMessage *body, void *arg)
{
	struct petrel_client	*c = arg;

	msg_free(body);
	if (!c->dying && status != PETREL__STATUS__STATUS_OK)
		log_debug("heartbeat: %s", error);
}

/* Send the heartbeat to address, or every known master if NULL. */
static void
client_heartbeat(struct petrel_client *c, const char *address)
{
	Petrel__HeartbeatRequest	 req = PETREL__HEARTBEAT_REQUEST__INIT;
	Petrel__ProducerData		*pd = NULL, **pp = NULL;
	struct strmap			*sent = NULL;
	struct client_route		*r;
	struct rpc			*rpc;
	const char			*key;
	void				*v;
	size_t				 i, n, iter;

	n = strmap_count(c->producers);
	if (n == 0 && strmap_count(c->consumers) == 0)
		return;
	req.client_id = c->id;
	if (n != 0) {
		pd = xcalloc(n, sizeof *pd);
		pp = xcalloc(n, sizeof *pp);
		iter = 0;
		for (i = 0; strmap_next(c->producers, &iter, &key, &v); i++) {
			petrel__producer_data__init(&pd[i]);
			pd[i].group = (char *)key;
			pp[i] = &pd[i];
		}
		req.producers = pp;
		req.n_producers = n;
	}
	n = strmap_count(c->consumers);
	if (n != 0) {
		req.consumers = xcalloc(n, sizeof *req.consumers);
		iter = 0;
		while (strmap_next(c->consumers, &iter, &key, &v))
			req.consumers[req.n_consumers++] = v;
	}
	if (address == NULL)
		sent = strmap_new();
	iter = 0;
	while (address == NULL && strmap_next(c->routes, &iter, &key, &v)) {
		r = v;
		for (i = 0; i < r->nqueues; i++) {
			if (strmap_put(sent, r->queues[i].address, c) != NULL)
				continue;
			strmap_put(c->beaten, r->queues[i].address, c);
			if ((rpc = client_conn(c, r->queues[i].address)) == NULL)
				continue;
			rpc_call(rpc, PETREL__REQUEST_CODE__CODE_HEARTBEAT,
			    &req.base, CLIENT_RPC_TIMEOUT_MS,
			    client_heartbeat_cb, c);
		}
	}
	if (address != NULL && (rpc = client_conn(c, address)) != NULL)
		rpc_call(rpc, PETREL__REQUEST_CODE__CODE_HEARTBEAT, &req.base,
		    CLIENT_RPC_TIMEOUT_MS, client_heartbeat_cb, c);
	if (sent != NULL)
		strmap_free(sent, NULL);
	free(req.consumers);
	free(pp);
	free(pd);
}
