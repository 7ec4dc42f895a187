/*
 * Listener: the server side of the wire.  Accepts TCP connections on the
 * address of its Petrel__ListenerConfig, reads frames (lib/frame.c), and
 * turns each request into a message asked of the actor routed for its
 * code: env.from is the listener, env.cookie a pending id and env.conn
 * the connection's id.  The answer (the code's response message or a
 * Petrel__Error) comes back as a reply with that cookie and is written to
 * the connection as a response frame.  PING is answered here.
 *
 * Every frame is checked before anything else sees it: its length against
 * the limit before any allocation, then version, code and body.  A bad
 * request gets an error answer; a frame that cannot be read at all closes
 * its connection.  An actor over its high-water mark makes the listener
 * answer STATUS_SYSTEM_BUSY.  When a connection closes every watcher gets
 * Petrel__ConnectionClosed; replies for it that arrive later are dropped.
 *
 * Answers are packed into a buffer per connection; the first answer of a
 * loop turn puts its connection on a flush list and activates one event
 * that, at the end of the turn, writes each listed buffer straight to its
 * socket (rpc_write_now(): one writev(2), and EPOLLOUT armed only for
 * what the socket did not take).  Every answer produced in one loop turn
 * leaves in one write.
 */
#include "config.h"

#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "actor.h"
#include "codes.h"
#include "frame.h"
#include "idmap.h"
#include "listener.h"
#include "log.h"
#include "msg.h"
#include "rpc.h"
#include "xmalloc.h"
#include "proto/broker.pb-c.h"
#include "proto/brokerd.pb-c.h"
#include "proto/frame.pb-c.h"
#include "proto/namesrv.pb-c.h"
#include "proto/runtime.pb-c.h"
#include "proto/transport.pb-c.h"

#define LISTENER_MAX_IO		(256 * 1024)	/* bytes per read or write */
#define LISTENER_MAX_UNSENT	(4 * 1024 * 1024) /* default max_unsent */
#define LISTENER_WARN_BURST	10		/* warnings per window */
#define LISTENER_WARN_WINDOW	60		/* seconds */

struct listener_conn {
	uint64_t		 id;
	struct listener		*l;
	struct bufferevent	*bev;
	int			 paused;	/* not reading: peer not reading */
	struct evbuffer		*pend;		/* answers of this turn */
	struct listener_conn	*flush_next;	/* on the flush list */
	int			 flushing;	/* on the flush list */
	char			 peer[64];	/* "addr:port", "[v6]:port" */
};

struct listener_pending {
	uint64_t			 conn;
	uint64_t			 id;	/* the request frame's */
	uint32_t			 code;
	struct listener_pending		*next;	/* on the free list */
};

struct listener {
	struct actor		*self;
	struct evconnlistener	*lev;
	char			*server;	/* answered to Ping */
	size_t			 max_frame;
	size_t			 max_unsent;	/* answers unread: stop reading */
	uint16_t		 port;

	struct idmap		*routes;	/* code -> struct actor */
	struct idmap		*encoded;	/* code -> actor, undecoded */
	struct actor		**watchers;
	size_t			 nwatchers;

	struct idmap		*conns;		/* id -> struct listener_conn */
	uint64_t		 next_conn;
	struct idmap		*pending;	/* cookie -> listener_pending */
	uint64_t		 next_pending;
	struct listener_pending	*spare;
	struct event		*flushev;	/* writes the flush list */
	struct listener_conn	*flush;		/* answered this turn */

	time_t			 warn_window;
	unsigned int		 warned;
	unsigned int		 suppressed;
};

static int	listener_init(struct actor *, void *);
static void	listener_fini(void *);
static int	listener_on_config(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	listener_on_stop(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	listener_on_reply(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	listener_on_notify_consumers(void *, ProtobufCMessage *,
		    const struct envelope *);

static void	listener_warn(struct listener *, const char *, ...)
		    __attribute__((__format__ (printf, 2, 3)));
static char	*listener_bind(struct listener *, const Petrel__ListenerConfig *);
static void	listener_peer(const struct sockaddr *, char *, size_t);
static void	listener_acceptcb(struct evconnlistener *, evutil_socket_t,
		    struct sockaddr *, int, void *);
static void	listener_errorcb(struct evconnlistener *, void *);
static void	listener_readcb(struct bufferevent *, void *);
static void	listener_writecb(struct bufferevent *, void *);
static void	listener_eventcb(struct bufferevent *, short, void *);
static void	listener_flushcb(evutil_socket_t, short, void *);
static struct evbuffer *listener_out(struct listener_conn *);
static void	listener_close(struct listener_conn *, int);
static void	listener_close_all(struct listener *, int);
static void	listener_answer(struct listener_conn *, uint32_t, uint64_t,
		    uint32_t, const char *, const ProtobufCMessage *);
static void	listener_request(struct listener_conn *, Petrel__Frame *);

/*
 * Replies, of every response type of lib/codes.c and Petrel__Error, go to
 * the catch-all last entry.
 */
static const struct actor_handler listener_handlers[] = {
	{ &petrel__listener_config__descriptor,	listener_on_config },
	{ &petrel__stop__descriptor,		listener_on_stop },
	{ &petrel__notify_consumers__descriptor,
	    listener_on_notify_consumers },
	{ NULL,					listener_on_reply }
};

const struct actor_type listener_actor = {
	.name = "listener",
	.size = sizeof(struct listener),
	.init = listener_init,
	.fini = listener_fini,
	.handlers = listener_handlers
};

/* Set up empty tables; nothing listens until ListenerConfig. */
static int
listener_init(struct actor *self, void *state)
{
	struct listener	*l = state;

	l->self = self;
	l->max_frame = FRAME_MAX_DEFAULT;
	l->max_unsent = LISTENER_MAX_UNSENT;
	l->routes = idmap_new();
	l->encoded = idmap_new();
	l->conns = idmap_new();
	l->pending = idmap_new();
	return (0);
}

/* Close everything without telling anyone: the actors are going. */
static void
listener_fini(void *state)
{
	struct listener		*l = state;
	struct listener_pending	*p;
	size_t			 iter = 0;

	if (l->lev != NULL)
		evconnlistener_free(l->lev);
	listener_close_all(l, 0);
	while ((p = idmap_next(l->pending, &iter, NULL)) != NULL)
		free(p);
	while ((p = l->spare) != NULL) {
		l->spare = p->next;
		free(p);
	}
	if (l->flushev != NULL)
		event_free(l->flushev);
	idmap_free(l->pending);
	idmap_free(l->conns);
	idmap_free(l->routes);
	idmap_free(l->encoded);
	free(l->watchers);
	free(l->server);
}

/*
 * Warn about a peer, at most LISTENER_WARN_BURST times a window: a client
 * sending garbage in a loop must not flood the log.
 */
static void
listener_warn(struct listener *l, const char *fmt, ...)
{
	va_list	 ap;
	char	*line;
	time_t	 now = time(NULL);

	if (now - l->warn_window >= LISTENER_WARN_WINDOW) {
		if (l->suppressed != 0)
			log_warnx("listener: %u more warnings suppressed",
			    l->suppressed);
		l->warn_window = now;
		l->warned = 0;
		l->suppressed = 0;
	}
	if (l->warned >= LISTENER_WARN_BURST) {
		l->suppressed++;
		return;
	}
	l->warned++;
	va_start(ap, fmt);
	xvasprintf(&line, fmt, ap);
	va_end(ap);
	log_warnx("listener: %s", line);
	free(line);
}

/* "1.2.3.4:5" or "[::1]:5" of a socket address. */
static void
listener_peer(const struct sockaddr *sa, char *buf, size_t len)
{
	const struct sockaddr_in	*sin = (const struct sockaddr_in *)sa;
	const struct sockaddr_in6	*sin6 = (const struct sockaddr_in6 *)sa;
	char				 host[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET &&
	    inet_ntop(AF_INET, &sin->sin_addr, host, sizeof host) != NULL)
		snprintf(buf, len, "%s:%u", host, ntohs(sin->sin_port));
	else if (sa->sa_family == AF_INET6 &&
	    inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof host) != NULL)
		snprintf(buf, len, "[%s]:%u", host, ntohs(sin6->sin6_port));
	else
		snprintf(buf, len, "unknown");
}

/*
 * Check the configuration, bind, then take routes and watchers; returns
 * NULL or why it failed (nothing is kept then, so it may be sent again).
 */
static char *
listener_bind(struct listener *l, const Petrel__ListenerConfig *cfg)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	struct event_base	*base;
	char			*cause;
	size_t			 i;

	if (l->lev != NULL)
		return (xstrdup("already listening"));
	if (actor_loop(l->self) == NULL)
		return (xstrdup("the listener needs a loop"));
	base = loop_base(actor_loop(l->self));
	if (cfg->port > 65535) {
		xasprintf(&cause, "port %u is over 65535", cfg->port);
		return (cause);
	}
	if (rpc_resolve(cfg->host, (uint16_t)cfg->port, &ss, &sslen,
	    &cause) != 0)
		return (cause);
	for (i = 0; i < cfg->n_routes; i++) {
		if (codes_lookup(cfg->routes[i]->code) == NULL) {
			xasprintf(&cause, "route for unknown code %u",
			    cfg->routes[i]->code);
			return (cause);
		}
		if (actor_deref(cfg->routes[i]->actor) == NULL) {
			xasprintf(&cause, "route for code %u: no actor",
			    cfg->routes[i]->code);
			return (cause);
		}
	}
	for (i = 0; i < cfg->n_watchers; i++) {
		if (actor_deref(cfg->watchers[i]) == NULL)
			return (xstrdup("watcher: no actor"));
	}

	if (l->flushev == NULL &&
	    (l->flushev = event_new(base, -1, 0, listener_flushcb, l)) == NULL)
		fatalx("%s: event_new failed", __func__);
	l->lev = evconnlistener_new_bind(base, listener_acceptcb, l,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC,
	    -1, (struct sockaddr *)&ss, (int)sslen);
	if (l->lev == NULL) {
		xasprintf(&cause, "listen on %s port %u: %s", cfg->host,
		    cfg->port, strerror(errno));
		return (cause);
	}
	evconnlistener_set_error_cb(l->lev, listener_errorcb);
	sslen = sizeof ss;
	if (getsockname(evconnlistener_get_fd(l->lev), (struct sockaddr *)&ss,
	    &sslen) != 0)
		fatal("%s: getsockname", __func__);
	l->port = ntohs(ss.ss_family == AF_INET ?
	    ((struct sockaddr_in *)&ss)->sin_port :
	    ((struct sockaddr_in6 *)&ss)->sin6_port);

	/* After a Stop, a new configuration replaces the old one. */
	idmap_free(l->routes);
	l->routes = idmap_new();
	idmap_free(l->encoded);
	l->encoded = idmap_new();
	for (i = 0; i < cfg->n_routes; i++) {
		idmap_put(cfg->routes[i]->encoded ? l->encoded : l->routes,
		    cfg->routes[i]->code, actor_deref(cfg->routes[i]->actor));
	}
	free(l->watchers);
	l->nwatchers = 0;
	l->watchers = xreallocarray(NULL, cfg->n_watchers + 1,
	    sizeof *l->watchers);
	for (i = 0; i < cfg->n_watchers; i++)
		l->watchers[l->nwatchers++] = actor_deref(cfg->watchers[i]);
	l->max_frame = cfg->max_frame != 0 ? cfg->max_frame : FRAME_MAX_DEFAULT;
	l->max_unsent = cfg->max_unsent != 0 ? cfg->max_unsent :
	    LISTENER_MAX_UNSENT;
	free(l->server);
	l->server = xstrdup(*cfg->server != '\0' ? cfg->server : "petrel");
	return (NULL);
}

/* A client connected. */
static void
listener_acceptcb(struct evconnlistener *lev, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct listener		*l = arg;
	struct listener_conn	*c;
	int			 one = 1;

	(void)salen;
	c = xcalloc(1, sizeof *c);
	c->l = l;
	c->id = ++l->next_conn;
	listener_peer(sa, c->peer, sizeof c->peer);
	c->bev = bufferevent_socket_new(evconnlistener_get_base(lev), fd,
	    BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL || (c->pend = evbuffer_new()) == NULL) {
		listener_warn(l, "%s: bufferevent_socket_new failed", c->peer);
		if (c->bev != NULL)
			bufferevent_free(c->bev);
		else
			evutil_closesocket(fd);
		free(c);
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	bufferevent_setcb(c->bev, listener_readcb, listener_writecb,
	    listener_eventcb, c);
	bufferevent_set_max_single_read(c->bev, LISTENER_MAX_IO);
	bufferevent_set_max_single_write(c->bev, LISTENER_MAX_IO);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	idmap_put(l->conns, c->id, c);
	log_debug("listener: connection %llu from %s",
	    (unsigned long long)c->id, c->peer);
}

/* accept(2) failed, most likely out of descriptors. */
static void
listener_errorcb(struct evconnlistener *lev, void *arg)
{
	struct listener	*l = arg;
	int		 error = EVUTIL_SOCKET_ERROR();

	(void)lev;
	listener_warn(l, "accept: %s", evutil_socket_error_to_string(error));
}

/*
 * Close a connection; tell the watchers if notify.  Answers not yet
 * written are lost with it.
 */
static void
listener_close(struct listener_conn *c, int notify)
{
	struct listener		*l = c->l;
	Petrel__ConnectionClosed	*cc;
	size_t			 i;

	struct listener_conn	**pp;

	idmap_remove(l->conns, c->id);
	if (c->flushing) {
		for (pp = &l->flush; *pp != c; pp = &(*pp)->flush_next)
			;
		*pp = c->flush_next;
	}
	bufferevent_free(c->bev);
	evbuffer_free(c->pend);
	for (i = 0; notify && i < l->nwatchers; i++) {
		cc = msg_new(&petrel__connection_closed__descriptor);
		cc->conn = c->id;
		msg_set_string(&cc->peer, c->peer);
		actor_send(l->watchers[i], cc);
	}
	log_debug("listener: connection %llu from %s closed",
	    (unsigned long long)c->id, c->peer);
	free(c);
}

/* Close every connection. */
static void
listener_close_all(struct listener *l, int notify)
{
	struct listener_conn	**all, *c;
	size_t			  n = 0, i, iter = 0;

	all = xreallocarray(NULL, idmap_count(l->conns) + 1, sizeof *all);
	while ((c = idmap_next(l->conns, &iter, NULL)) != NULL)
		all[n++] = c;
	for (i = 0; i < n; i++)
		listener_close(all[i], notify);
	free(all);
}

/* The peer closed, or the connection failed. */
static void
listener_eventcb(struct bufferevent *bev, short what, void *arg)
{
	struct listener_conn	*c = arg;

	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		listener_close(c, 1);
}

/*
 * Where c's answers of this turn go; the first one puts c on the flush
 * list, written at the end of the turn.
 */
static struct evbuffer *
listener_out(struct listener_conn *c)
{
	struct listener	*l = c->l;

	if (!c->flushing) {
		if (l->flush == NULL)
			event_active(l->flushev, EV_TIMEOUT, 0);
		c->flushing = 1;
		c->flush_next = l->flush;
		l->flush = c;
	}
	return (c->pend);
}

/* End of a loop turn: write every connection's answers of the turn. */
static void
listener_flushcb(evutil_socket_t fd, short what, void *arg)
{
	struct listener		*l = arg;
	struct listener_conn	*c;

	(void)fd;
	(void)what;
	while ((c = l->flush) != NULL) {
		l->flush = c->flush_next;
		c->flushing = 0;
		rpc_write_now(c->bev, c->pend);
	}
}

/*
 * Write a response frame; body may be NULL, or an EncodedAnswer whose
 * parts are the body.
 */
static void
listener_answer(struct listener_conn *c, uint32_t code, uint64_t id,
    uint32_t status, const char *error, const ProtobufCMessage *body)
{
	const Petrel__EncodedAnswer	*ea;
	struct evbuffer			*out = listener_out(c);
	uint32_t			 flags;
	int				 rc;

	flags = PETREL__FRAME_FLAG__FRAME_RESPONSE;
	if (msg_is(body, &petrel__encoded_answer__descriptor)) {
		ea = (const Petrel__EncodedAnswer *)body;
		rc = frame_write_parts(out, code, id, flags, status, error,
		    ea->parts, ea->n_parts);
	} else
		rc = frame_write_msg(out, code, id, flags, status, error, body);
	if (rc == 0)
		return;
	listener_warn(c->l, "%s: answer to request %u is too large",
	    c->peer, code);
	frame_write_msg(out, code, id, flags,
	    PETREL__STATUS__STATUS_SYSTEM_ERROR, "answer too large", NULL);
}

/* One request frame: check it, then answer it or ask its actor. */
static void
listener_request(struct listener_conn *c, Petrel__Frame *f)
{
	struct listener		*l = c->l;
	const struct code_info	*ci;
	struct listener_pending	*p;
	struct envelope		 env;
	struct actor		*to;
	ProtobufCMessage	*req;
	Petrel__EncodedRequest	*er;
	Petrel__Pong		 pong = PETREL__PONG__INIT;
	int			 oneway;

	oneway = (f->flags & PETREL__FRAME_FLAG__FRAME_ONEWAY) != 0;
	if ((ci = codes_lookup(f->code)) == NULL) {
		if (!oneway)
			listener_answer(c, f->code, f->id,
			    PETREL__STATUS__STATUS_REQUEST_CODE_NOT_SUPPORTED,
			    "unknown request code", NULL);
		return;
	}
	if ((to = idmap_get(l->encoded, f->code)) != NULL) {
		/* Its actor decodes it: the body moves over as it came. */
		er = msg_new(&petrel__encoded_request__descriptor);
		er->code = f->code;
		msg_move_bytes(&er->body, &f->body);
		req = &er->base;
	} else
		req = msg_unpack(ci->request, f->body.data, f->body.len);
	if (req == NULL) {
		if (!oneway)
			listener_answer(c, f->code, f->id,
			    PETREL__STATUS__STATUS_BAD_REQUEST,
			    "request body does not decode", NULL);
		return;
	}
	if (f->code == PETREL__REQUEST_CODE__CODE_PING) {
		pong.sent_ms = ((Petrel__Ping *)req)->sent_ms;
		pong.server = l->server;
		if (!oneway)
			listener_answer(c, f->code, f->id, 0, NULL,
			    &pong.base);
		msg_free(req);
		return;
	}
	if (to == NULL && (to = idmap_get(l->routes, f->code)) == NULL) {
		msg_free(req);
		if (!oneway)
			listener_answer(c, f->code, f->id,
			    PETREL__STATUS__STATUS_REQUEST_CODE_NOT_SUPPORTED,
			    "no handler for this request on this server", NULL);
		return;
	}
	if (actor_busy(to)) {
		msg_free(req);
		if (!oneway)
			listener_answer(c, f->code, f->id,
			    PETREL__STATUS__STATUS_SYSTEM_BUSY,
			    "server busy, retry later", NULL);
		return;
	}

	env.from = l->self;
	env.conn = c->id;
	env.cookie = 0;		/* one-way: any reply is dropped */
	if (!oneway) {
		if ((p = l->spare) != NULL)
			l->spare = p->next;
		else
			p = xmalloc(sizeof *p);
		p->conn = c->id;
		p->id = f->id;
		p->code = f->code;
		p->next = NULL;
		env.cookie = ++l->next_pending;
		idmap_put(l->pending, env.cookie, p);
	}
	if (actor_post(to, req, &env) != 0 && !oneway) {
		p = idmap_remove(l->pending, env.cookie);
		p->next = l->spare;
		l->spare = p;
		listener_answer(c, f->code, f->id,
		    PETREL__STATUS__STATUS_SYSTEM_ERROR,
		    "cannot reach the handler", NULL);
	}
}

/* Bytes arrived: handle every whole frame. */
static void
listener_readcb(struct bufferevent *bev, void *arg)
{
	struct listener_conn	*c = arg;
	struct evbuffer		*in = bufferevent_get_input(bev);
	Petrel__Frame		*f;
	char			*cause;
	int			 rc;

	loop_worked();

	if (!c->paused)
		rpc_read_more(bev, LISTENER_MAX_IO);
	while (!c->paused) {
		/*
		 * A peer that does not read its answers stops being read
		 * until it has taken half of them.
		 */
		if (evbuffer_get_length(bufferevent_get_output(bev)) +
		    evbuffer_get_length(c->pend) > c->l->max_unsent) {
			c->paused = 1;
			bufferevent_disable(bev, EV_READ);
			bufferevent_setwatermark(bev, EV_WRITE,
			    c->l->max_unsent / 2, 0);
			break;
		}
		cause = NULL;
		if ((rc = frame_read(in, c->l->max_frame, &f, &cause)) == 0)
			break;
		if (rc == -1 && f == NULL) {
			listener_warn(c->l, "%s: %s; closing", c->peer, cause);
			free(cause);
			listener_close(c, 1);
			return;
		}
		if (rc == -1) {
			/* Another protocol version: say so, keep going. */
			if (~f->flags & PETREL__FRAME_FLAG__FRAME_ONEWAY)
				listener_answer(c, f->code, f->id,
				    PETREL__STATUS__STATUS_VERSION_NOT_SUPPORTED,
				    cause, NULL);
			free(cause);
		} else if (~f->flags & PETREL__FRAME_FLAG__FRAME_RESPONSE)
			listener_request(c, f);
		msg_free(f);
	}
}

/* The peer took enough of its answers: read again. */
static void
listener_writecb(struct bufferevent *bev, void *arg)
{
	struct listener_conn	*c = arg;

	if (!c->paused)
		return;
	c->paused = 0;
	bufferevent_setwatermark(bev, EV_WRITE, 0, 0);
	bufferevent_enable(bev, EV_READ);
	listener_readcb(bev, c);
}

/* ListenerConfig: bind, then answer ListenerReady. */
static int
listener_on_config(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct listener		*l = state;
	Petrel__ListenerReady	*ready;
	char			*cause;

	ready = msg_new(&petrel__listener_ready__descriptor);
	if ((cause = listener_bind(l, (Petrel__ListenerConfig *)m)) != NULL) {
		log_warnx("listener: %s", cause);
		msg_set_string(&ready->error, cause);
		free(cause);
	} else {
		ready->port = l->port;
		log_info("listener: listening on port %u", l->port);
	}
	actor_reply(env, ready);
	return (0);
}

/* Stop: no more connections, close those open, answer Stopped. */
static int
listener_on_stop(void *state, ProtobufCMessage *m, const struct envelope *env)
{
	struct listener	*l = state;

	(void)m;
	if (l->lev != NULL) {
		evconnlistener_free(l->lev);
		l->lev = NULL;
	}
	listener_close_all(l, 1);
	actor_reply(env, msg_new(&petrel__stopped__descriptor));
	return (0);
}

/* An actor answered a request: write it to the connection it came on. */
static int
listener_on_reply(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct listener		*l = state;
	struct listener_pending	*p;
	struct listener_conn	*c;
	const struct code_info	*ci;
	Petrel__Error		*e;
	uint32_t		 status;

	if ((p = idmap_remove(l->pending, env->cookie)) == NULL)
		return (0);	/* one-way, or not ours */
	p->next = l->spare;
	l->spare = p;
	if ((c = idmap_get(l->conns, p->conn)) == NULL)
		return (0);	/* the connection closed meanwhile */

	ci = codes_lookup(p->code);
	if (msg_is(m, &petrel__error__descriptor)) {
		e = (Petrel__Error *)m;
		status = e->status;
		if (status == PETREL__STATUS__STATUS_OK)
			status = PETREL__STATUS__STATUS_SYSTEM_ERROR;
		listener_answer(c, p->code, p->id, status, e->text, NULL);
	} else if (m->descriptor == ci->response ||
	    msg_is(m, &petrel__encoded_answer__descriptor))
		listener_answer(c, p->code, p->id, 0, NULL, m);
	else {
		log_warnx("listener: %s answered with %s, not %s",
		    env->from != NULL ? actor_name(env->from) : "an actor",
		    m->descriptor->name, ci->response->name);
		listener_answer(c, p->code, p->id,
		    PETREL__STATUS__STATUS_SYSTEM_ERROR,
		    "the server answered with the wrong message", NULL);
	}
	return (0);
}

/*
 * NotifyConsumers (from the broker's consumer manager): push a one-way
 * CODE_NOTIFY_CONSUMER_IDS_CHANGED{group} to each listed connection that
 * is still open; those already closed are skipped.
 */
static int
listener_on_notify_consumers(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct listener				*l = state;
	Petrel__NotifyConsumers			*nc;
	Petrel__NotifyConsumerIdsChangedRequest	 req =
	    PETREL__NOTIFY_CONSUMER_IDS_CHANGED_REQUEST__INIT;
	struct listener_conn			*c;
	size_t					 i;

	(void)env;
	nc = (Petrel__NotifyConsumers *)m;
	req.group = nc->group;
	for (i = 0; i < nc->n_conns; i++) {
		if ((c = idmap_get(l->conns, nc->conns[i])) == NULL)
			continue;
		if (frame_write_msg(listener_out(c),
		    PETREL__REQUEST_CODE__CODE_NOTIFY_CONSUMER_IDS_CHANGED, 0,
		    PETREL__FRAME_FLAG__FRAME_ONEWAY, 0, NULL, &req.base) != 0)
			listener_warn(l, "%s: cannot notify group %s", c->peer,
			    nc->group);
	}
	return (0);
}
