/*
 * Daemon plumbing shared by every Petrel daemon: the command line
 * (-f -p -d -n -v --print-config -h -V), sd_notify(3) written by hand
 * (READY, STATUS, RELOADING, STOPPING, WATCHDOG), signals on the main
 * loop's event_base (SIGTERM/SIGINT stop, SIGHUP reload, SIGPIPE ignored),
 * libevent's own messages routed into log.c, and the supervisor.
 *
 * The supervisor is an actor on the main loop.  A daemon's main() spawns
 * its actors, hands the supervisor one configuration message per actor
 * (daemon_configure()), and calls daemon_run().  The supervisor asks each
 * actor its configuration in that order, one at a time, and waits for the
 * answer (Petrel__Configured, Petrel__ListenerReady or Petrel__Error) before
 * the next, so the listener, configured last, never feeds an actor that is
 * not ready.  When all have answered it calls the ready hook.  On SIGTERM
 * (or when an actor refuses its configuration) it leaves the main loop;
 * daemon_shutdown() then has the runtime ask Petrel__Stop of every actor
 * in reverse order (actor_stop_all()), joins the loops and frees it all.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "actor.h"
#include "conf.h"
#include "daemon.h"
#include "log.h"
#include "msg.h"
#include "xmalloc.h"

#include "proto/runtime.pb-c.h"
#include "proto/transport.pb-c.h"

/* Cookies of the supervisor's questions: the phase, then the step. */
#define DAEMON_PHASE_CONFIGURE	1ULL
#define DAEMON_PHASE_RECONFIGURE 2ULL
#define DAEMON_COOKIE(p, i)	(((p) << 32) | (uint64_t)(i))
#define DAEMON_MALLOC_KEEP	(4 * 1024 * 1024)

struct daemon_step {
	struct actor	*actor;
	void		*config;	/* until asked, then the actor's */
	int		 status;	/* exit status if it refuses */
};

struct daemon {
	struct actor		*self;
	struct loop		*loop;
	const struct daemon_hooks *hooks;
	void			*arg;

	struct daemon_step	*steps;
	u_int			 nsteps;
	u_int			 next;		/* configuring: step asked */
	int			 state;
	int			 status;	/* daemon_run() returns it */
	u_int			 reloading;	/* reconfigurations asked */

	struct event		*ev_term;
	struct event		*ev_int;
	struct event		*ev_hup;
	struct event		*ev_watchdog;
	int			 watchdog_stuck;
};

static int	daemon_init(struct actor *, void *);
static void	daemon_fini(void *);
static int	daemon_on_configured(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	daemon_on_listener_ready(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	daemon_on_error(void *, ProtobufCMessage *,
		    const struct envelope *);

static void	daemon_answer(struct daemon *, const struct envelope *,
		    const char *, const ProtobufCMessage *);
static void	daemon_next(struct daemon *);

static const struct actor_handler daemon_handlers[] = {
	{ &petrel__configured__descriptor,	daemon_on_configured },
	{ &petrel__listener_ready__descriptor,	daemon_on_listener_ready },
	{ &petrel__error__descriptor,		daemon_on_error },
	{ NULL, NULL }
};

static const struct actor_type daemon_actor = {
	.name = "supervisor",
	.size = sizeof(struct daemon),
	.init = daemon_init,
	.fini = daemon_fini,
	.handlers = daemon_handlers
};

static int	daemon_ready_fd = -1;	/* to the parent while detaching */
static int	daemon_notify_failing;	/* the last notification was lost */

static const struct option daemon_longopts[] = {
	{ "config",		required_argument,	NULL, 'f' },
	{ "port",		required_argument,	NULL, 'p' },
	{ "foreground",		no_argument,		NULL, 'd' },
	{ "check",		no_argument,		NULL, 'n' },
	{ "verbose",		no_argument,		NULL, 'v' },
	{ "print-config",	no_argument,		NULL, 'P' },
	{ "help",		no_argument,		NULL, 'h' },
	{ "version",		no_argument,		NULL, 'V' },
	{ NULL,			0,			NULL, 0 }
};

/* Print the one-line usage to stderr. */
void
daemon_usage(const char *name)
{
	fprintf(stderr, "usage: %s [-dhnVv] [-f file] [-p port] "
	    "[--print-config]\n", name);
}

/*
 * Build a daemon's configuration in conf (size bytes, whatever it held)
 * from keys: defaults, the file (a missing default file is fine, a
 * missing -f file is not), then the command line's -p.  0, or -1 with
 * cause and conf freed.
 */
int
daemon_conf_load(const struct conf_key *keys, void *conf, size_t size,
    const struct daemon_args *args, char **cause)
{
	char	port[16];

	memset(conf, 0, size);
	conf_defaults(keys, conf);
	if ((args->conf_given || access(args->conf, F_OK) == 0) &&
	    conf_load(keys, conf, args->conf, cause) != 0)
		goto fail;
	if (args->port != -1) {
		snprintf(port, sizeof port, "%ld", args->port);
		if (conf_set(keys, conf, "listenPort", port, cause) != 0)
			goto fail;
	}
	return (0);

fail:
	conf_free(keys, conf);
	return (-1);
}

/*
 * Where a daemon keeps its state when its configuration does not say:
 * the first folder of $STATE_DIRECTORY (systemd's StateDirectory=, which
 * may list several), else def.  The caller frees it.
 */
char *
daemon_state_dir(const char *def)
{
	const char	*state = getenv("STATE_DIRECTORY");
	char		*dir;

	if (state == NULL || *state == '\0')
		return (xstrdup(def));
	dir = xstrdup(state);
	dir[strcspn(dir, ":")] = '\0';
	return (dir);
}

/*
 * Parse the command line every daemon takes.  Returns -1 to go on, else
 * the status to exit with at once (0 after -h or -V, EX_USAGE).
 */
int
daemon_parse_args(struct daemon_args *args, const char *name,
    const char *defconf, int argc, char **argv)
{
	char	*end;
	int	 ch;

	memset(args, 0, sizeof *args);
	args->conf = defconf;
	args->port = -1;
	opterr = 0;
	optind = 0;
	while ((ch = getopt_long(argc, argv, ":f:p:dnvhV", daemon_longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'f':
			args->conf = optarg;
			args->conf_given = 1;
			break;
		case 'p':
			errno = 0;
			args->port = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || errno != 0 ||
			    args->port < 0 || args->port > 65535) {
				fprintf(stderr, "%s: -p: bad port \"%s\"\n",
				    name, optarg);
				return (EX_USAGE);
			}
			break;
		case 'd':
			args->foreground = 1;
			break;
		case 'n':
			args->check = 1;
			break;
		case 'v':
			args->verbose++;
			break;
		case 'P':
			args->print_config = 1;
			break;
		case 'h':
			printf("usage: %s [-dhnVv] [-f file] [-p port] "
			    "[--print-config]\n"
			    "  -d             stay in the foreground, log to "
			    "stderr\n"
			    "  -f file        configuration file (default %s)\n"
			    "  -n             check the configuration and "
			    "exit\n"
			    "  -p port        listen on this port (0: any free "
			    "one)\n"
			    "  -v             more verbose (twice: debug)\n"
			    "  --print-config print the effective "
			    "configuration and exit\n"
			    "  -V             print the version and exit\n",
			    name, defconf);
			return (EX_OK);
		case 'V':
			printf("%s %s\n", name, PACKAGE_VERSION);
			return (EX_OK);
		case ':':
			fprintf(stderr, "%s: option requires an argument: "
			    "%s\n", name, argv[optind - 1]);
			daemon_usage(name);
			return (EX_USAGE);
		default:
			if (optopt != 0)
				fprintf(stderr, "%s: unknown option: -%c\n",
				    name, optopt);
			else
				fprintf(stderr, "%s: unknown option: %s\n",
				    name, argv[optind - 1]);
			daemon_usage(name);
			return (EX_USAGE);
		}
	}
	if (optind != argc) {
		fprintf(stderr, "%s: unexpected argument: %s\n", name,
		    argv[optind]);
		daemon_usage(name);
		return (EX_USAGE);
	}
	return (-1);
}

/*
 * Send one state datagram to $NOTIFY_SOCKET (sd_notify(3)).  Does nothing
 * when it is unset; returns -1 if it is set but the send failed.
 */
int
daemon_notify(const char *fmt, ...)
{
	struct sockaddr_un	 sun;
	const char		*path;
	va_list			 ap;
	char			*msg;
	size_t			 plen;
	socklen_t		 slen;
	ssize_t			 n;
	int			 fd, len, saved_errno = errno;

	path = getenv("NOTIFY_SOCKET");
	if (path == NULL || *path == '\0')
		return (0);
	plen = strlen(path);
	if ((*path != '/' && *path != '@') || plen < 2 ||
	    plen >= sizeof sun.sun_path) {
		log_warnx("%s: NOTIFY_SOCKET \"%s\" is not a socket path",
		    __func__, path);
		return (-1);
	}
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, plen);
	if (sun.sun_path[0] == '@')
		sun.sun_path[0] = '\0';
	slen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen);

	va_start(ap, fmt);
	len = xvasprintf(&msg, fmt, ap);
	va_end(ap);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1) {
		log_warn("%s: socket", __func__);
		free(msg);
		return (-1);
	}
	/*
	 * Never block the main loop on a listener that does not read: a
	 * datagram it cannot take is dropped, and said once per failing run.
	 */
	n = sendto(fd, msg, (size_t)len, MSG_NOSIGNAL | MSG_DONTWAIT,
	    (struct sockaddr *)&sun, slen);
	if (n != len && !daemon_notify_failing)
		log_warn("%s: sendto %s", __func__, path);
	daemon_notify_failing = n != len;
	close(fd);
	free(msg);
	errno = saved_errno;
	return (n == len ? 0 : -1);
}

/* libevent's diagnostics, into log.c. */
static void
daemon_libevent_log(int severity, const char *msg)
{
	switch (severity) {
	case EVENT_LOG_DEBUG:
		log_debug("libevent: %s", msg);
		break;
	case EVENT_LOG_MSG:
		log_info("libevent: %s", msg);
		break;
	default:
		log_warnx("libevent: %s", msg);
		break;
	}
}

/* libevent found a broken invariant of its own. */
static void
daemon_libevent_fatal(int err)
{
	fatalx("libevent: fatal error %d", err);
}

/* Set libevent up for loops on threads; call before any base exists. */
void
daemon_libevent_init(void)
{
	event_set_log_callback(daemon_libevent_log);
	event_set_fatal_callback(daemon_libevent_fatal);
	if (evthread_use_pthreads() != 0)
		fatalx("%s: evthread_use_pthreads failed", __func__);
	signal(SIGPIPE, SIG_IGN);
}

/*
 * Keep freed memory for the next burst rather than giving it back at once.
 * A burst allocates frames and buffers of up to a few MiB on each loop;
 * with glibc's defaults (an allocation over 128 KiB is mmap(2)ed, and free
 * memory over 128 KiB at the top of an arena is returned) every burst
 * faults in and zero-fills fresh pages, and each return flushes the TLB of
 * every CPU the process runs on.  Up to DAEMON_MALLOC_KEEP bytes an arena
 * are kept instead.
 */
void
daemon_malloc_init(void)
{
	/* A hint: an allocator standing in for glibc's (ASan) may refuse. */
	(void)mallopt(M_MMAP_THRESHOLD, DAEMON_MALLOC_KEEP);
	(void)mallopt(M_TRIM_THRESHOLD, DAEMON_MALLOC_KEEP);
}

/*
 * Go to the background: the parent waits until the child is ready (it
 * calls daemon_detached_ready()) and exits 0, or exits with the child's
 * status if the child dies first.  Call before any thread is started.
 * Returns 0 in the child, -1 if fork(2) failed.
 */
int
daemon_detach(void)
{
	pid_t	 pid;
	ssize_t	 n;
	char	 c;
	int	 p[2], status, fd;

	if (pipe2(p, O_CLOEXEC) == -1)
		return (-1);
	switch (pid = fork()) {
	case -1:
		close(p[0]);
		close(p[1]);
		return (-1);
	case 0:
		close(p[0]);
		daemon_ready_fd = p[1];
		setsid();
		if ((fd = open("/dev/null", O_RDWR)) != -1) {
			dup2(fd, STDIN_FILENO);
			dup2(fd, STDOUT_FILENO);
			if (fd > STDERR_FILENO)
				close(fd);
		}
		return (0);
	default:
		close(p[1]);
		do
			n = read(p[0], &c, 1);
		while (n == -1 && errno == EINTR);
		if (n == 1)
			_exit(EX_OK);
		if (waitpid(pid, &status, 0) == -1 || !WIFEXITED(status))
			_exit(EX_SOFTWARE);
		_exit(WEXITSTATUS(status));
	}
}

/* Tell a waiting parent (daemon_detach()) that the daemon is ready. */
void
daemon_detached_ready(void)
{
	if (daemon_ready_fd == -1)
		return;
	(void)write(daemon_ready_fd, "", 1);
	close(daemon_ready_fd);
	daemon_ready_fd = -1;
}

/* SIGTERM, SIGINT: stop; SIGHUP: reload. */
static void
daemon_signal(evutil_socket_t sig, short events, void *arg)
{
	struct daemon	*d = arg;

	switch (sig) {
	case SIGHUP:
		if (d->state != DAEMON_RUNNING) {
			log_info("SIGHUP ignored: not running yet");
			return;
		}
		log_info("reloading on SIGHUP");
		daemon_notify("RELOADING=1");
		if (d->hooks->reload != NULL)
			d->hooks->reload(d->arg);
		if (d->reloading == 0 && d->hooks->ready != NULL)
			d->hooks->ready(d->arg);
		break;
	default:
		log_info("stopping on signal %d", (int)sig);
		daemon_stop(d, EX_OK);
		break;
	}
}

/* Pet the watchdog unless the daemon says it is stuck. */
static void
daemon_watchdog(evutil_socket_t fd, short events, void *arg)
{
	struct daemon	*d = arg;

	if (d->hooks->alive != NULL && !d->hooks->alive(d->arg)) {
		if (!d->watchdog_stuck)
			log_warnx("not petting the watchdog: a loop is stuck");
		d->watchdog_stuck = 1;
		return;
	}
	d->watchdog_stuck = 0;
	daemon_notify("WATCHDOG=1");
}

/* Arm the watchdog timer if systemd asked for one ($WATCHDOG_USEC). */
static void
daemon_watchdog_start(struct daemon *d)
{
	const char	*s, *p;
	char		*end;
	unsigned long long usec;
	struct timeval	 tv;

	if ((s = getenv("WATCHDOG_USEC")) == NULL || *s == '\0')
		return;
	if ((p = getenv("WATCHDOG_PID")) != NULL && *p != '\0' &&
	    strtoll(p, NULL, 10) != (long long)getpid())
		return;
	errno = 0;
	usec = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || usec == 0) {
		log_warnx("ignoring WATCHDOG_USEC \"%s\"", s);
		return;
	}
	usec /= 2;
	tv.tv_sec = (time_t)(usec / 1000000);
	tv.tv_usec = (suseconds_t)(usec % 1000000);
	d->ev_watchdog = event_new(loop_base(d->loop), -1, EV_PERSIST,
	    daemon_watchdog, d);
	if (d->ev_watchdog == NULL || event_add(d->ev_watchdog, &tv) != 0)
		fatalx("%s: cannot add the watchdog timer", __func__);
	log_debug("watchdog every %llu us", usec);
}

/* Actor init: nothing to set up until daemon_new() fills the state. */
static int
daemon_init(struct actor *a, void *state)
{
	struct daemon	*d = state;

	d->self = a;
	return (0);
}

/* Actor fini: free configurations never handed out. */
static void
daemon_fini(void *state)
{
	struct daemon	*d = state;
	u_int		 i;

	for (i = 0; i < d->nsteps; i++)
		msg_free(d->steps[i].config);
	free(d->steps);
}

/*
 * Make the supervisor on the main loop, install the signal events on its
 * base and arm the watchdog.  hooks and arg must outlive it.
 */
struct daemon *
daemon_new(struct loop *loop, const struct daemon_hooks *hooks, void *arg)
{
	struct actor		*a;
	struct daemon		*d;
	struct event_base	*base = loop_base(loop);

	a = actor_spawn(loop, &daemon_actor, "supervisor");
	if (a == NULL)
		fatalx("%s: cannot spawn the supervisor", __func__);
	d = actor_state(a);
	d->self = a;
	d->loop = loop;
	d->hooks = hooks;
	d->arg = arg;
	d->state = DAEMON_CONFIGURING;

	signal(SIGPIPE, SIG_IGN);
	d->ev_term = evsignal_new(base, SIGTERM, daemon_signal, d);
	d->ev_int = evsignal_new(base, SIGINT, daemon_signal, d);
	d->ev_hup = evsignal_new(base, SIGHUP, daemon_signal, d);
	if (d->ev_term == NULL || d->ev_int == NULL || d->ev_hup == NULL ||
	    evsignal_add(d->ev_term, NULL) != 0 ||
	    evsignal_add(d->ev_int, NULL) != 0 ||
	    evsignal_add(d->ev_hup, NULL) != 0)
		fatalx("%s: cannot install signal events", __func__);
	daemon_watchdog_start(d);
	return (d);
}

/* Remove the events and free the supervisor (before its loop is freed). */
void
daemon_free(struct daemon *d)
{
	if (d == NULL)
		return;
	if (d->ev_watchdog != NULL)
		event_free(d->ev_watchdog);
	event_free(d->ev_term);
	event_free(d->ev_int);
	event_free(d->ev_hup);
	actor_free(d->self);
}

/*
 * Add an actor and its configuration message (handed over) to the start
 * sequence; status is what daemon_run() returns if the actor refuses it.
 * A NULL configuration adds an actor another one configures (the store's
 * writer and flusher): it is only stopped in its place.
 */
void
daemon_configure(struct daemon *d, struct actor *a, void *config,
    int status)
{
	struct daemon_step	*s;

	if (d->state != DAEMON_CONFIGURING || d->next != 0)
		fatalx("%s: the daemon has already started", __func__);
	d->steps = xreallocarray(d->steps, d->nsteps + 1, sizeof *d->steps);
	s = &d->steps[d->nsteps++];
	s->actor = a;
	s->config = config;
	s->status = status;
}

/*
 * Hand a new configuration to a running actor (from the reload hook); the
 * ready hook runs again once every such actor has answered.
 */
void
daemon_reconfigure(struct daemon *d, struct actor *a, void *config)
{
	u_int	i;

	for (i = 0; i < d->nsteps; i++) {
		if (d->steps[i].actor == a)
			break;
	}
	if (i == d->nsteps || d->state != DAEMON_RUNNING) {
		msg_free(config);
		return;
	}
	d->reloading++;
	actor_ask(a, config, d->self, DAEMON_COOKIE(DAEMON_PHASE_RECONFIGURE,
	    i));
}

/* Ask the next actor its configuration, or declare the daemon ready. */
static void
daemon_next(struct daemon *d)
{
	struct daemon_step	*s;
	void			*config;

	/* Steps without a configuration are another actor's to configure. */
	while (d->next < d->nsteps && d->steps[d->next].config == NULL)
		d->next++;
	if (d->next == d->nsteps) {
		d->state = DAEMON_RUNNING;
		if (d->hooks->ready != NULL)
			d->hooks->ready(d->arg);
		daemon_detached_ready();
		return;
	}
	s = &d->steps[d->next];
	config = s->config;
	s->config = NULL;
	actor_ask(s->actor, config, d->self,
	    DAEMON_COOKIE(DAEMON_PHASE_CONFIGURE, d->next));
	d->next++;
}

/*
 * Configure every actor, run the main loop until the daemon has stopped,
 * and return the exit status.
 */
int
daemon_run(struct daemon *d)
{
	daemon_next(d);
	loop_run(d->loop);
	d->state = DAEMON_STOPPED;
	return (d->status);
}

/* Begin stopping with this exit status (later calls keep the first). */
void
daemon_stop(struct daemon *d, int status)
{
	if (d->state == DAEMON_STOPPING || d->state == DAEMON_STOPPED)
		return;
	daemon_notify("STOPPING=1");
	d->state = DAEMON_STOPPING;
	d->status = status;
	loop_exit(d->loop);
}

/*
 * After daemon_run(): stop every configured actor in reverse order (each
 * has DAEMON_STOP_TIMEOUT_MS to answer), end and join the loops, free the
 * actors, the supervisor and then the loops (all of them, the main loop
 * among them).
 */
void
daemon_shutdown(struct daemon *d, struct loop **loops, size_t nloops)
{
	struct actor	**actors;
	u_int		  i;

	actors = xcalloc(d->nsteps + 1, sizeof *actors);
	for (i = 0; i < d->nsteps; i++)
		actors[i] = d->steps[i].actor;
	if (actor_stop_all(actors, d->nsteps, DAEMON_STOP_TIMEOUT_MS) != 0)
		log_warnx("not every actor stopped in time");
	for (i = 0; i < nloops; i++)
		loop_exit(loops[i]);
	for (i = 0; i < nloops; i++)
		loop_join(loops[i]);
	for (i = d->nsteps; i-- > 0;)
		actor_free(actors[i]);
	free(actors);
	daemon_free(d);
	for (i = 0; i < nloops; i++)
		loop_free(loops[i]);
}

/* The current state, DAEMON_CONFIGURING to DAEMON_STOPPED. */
int
daemon_state(struct daemon *d)
{
	return (d->state);
}

/* An answer to a configuration: error is "" when it was taken. */
static void
daemon_answer(struct daemon *d, const struct envelope *env,
    const char *error, const ProtobufCMessage *m)
{
	uint64_t		 phase = env->cookie >> 32;
	u_int			 i = (u_int)(env->cookie & 0xffffffffU);
	struct daemon_step	*s;
	const char		*name;

	if (i >= d->nsteps) {
		log_warnx("%s: answer for unknown step %u", __func__, i);
		return;
	}
	s = &d->steps[i];
	name = actor_name(s->actor);
	if (phase == DAEMON_PHASE_RECONFIGURE) {
		if (d->reloading > 0)
			d->reloading--;
		if (*error != '\0')
			log_warnx("%s: new configuration refused: %s", name,
			    error);
		else if (d->hooks->configured != NULL)
			d->hooks->configured(d->arg, s->actor, m);
		if (d->reloading == 0 && d->state == DAEMON_RUNNING &&
		    d->hooks->ready != NULL)
			d->hooks->ready(d->arg);
		return;
	}
	if (phase != DAEMON_PHASE_CONFIGURE || d->state != DAEMON_CONFIGURING ||
	    i + 1 != d->next) {
		log_debug("%s: late answer from %s ignored", __func__, name);
		return;
	}
	if (*error != '\0') {
		log_warnx("%s refused its configuration: %s", name, error);
		daemon_stop(d, s->status);
		return;
	}
	log_debug("%s: configured", name);
	if (d->hooks->configured != NULL)
		d->hooks->configured(d->arg, s->actor, m);
	if (d->state == DAEMON_CONFIGURING)
		daemon_next(d);
}

/* An actor took (or refused) its configuration. */
static int
daemon_on_configured(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	Petrel__Configured	*c = (Petrel__Configured *)m;

	daemon_answer(state, env, c->error, m);
	return (0);
}

/* The listener is bound (or could not bind). */
static int
daemon_on_listener_ready(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	Petrel__ListenerReady	*r = (Petrel__ListenerReady *)m;

	daemon_answer(state, env, r->error, m);
	return (0);
}

/* An actor answered its configuration with an error. */
static int
daemon_on_error(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	Petrel__Error	*e = (Petrel__Error *)m;

	daemon_answer(state, env, *e->text != '\0' ? e->text : "failed", m);
	return (0);
}

/*
 * A listener configuration for program prog: bind host:port, frames up to
 * max_frame bytes, answering Ping with "prog version".  Routes and
 * watchers are added with daemon_route() and daemon_watch().
 */
Petrel__ListenerConfig *
daemon_listener_config(const char *prog, const char *host, int64_t port,
    int64_t max_frame)
{
	Petrel__ListenerConfig	*c;
	char			*server;

	c = msg_new(&petrel__listener_config__descriptor);
	msg_set_string(&c->host, host);
	c->port = (uint32_t)port;
	c->max_frame = (uint32_t)max_frame;
	xasprintf(&server, "%s %s", prog, PACKAGE_VERSION);
	msg_set_string(&c->server, server);
	free(server);
	return (c);
}

/*
 * Route each of n request codes to actor a; encoded: a takes their bodies
 * undecoded (EncodedRequest).
 */
void
daemon_route(Petrel__ListenerConfig *c, const uint32_t *codes, size_t n,
    struct actor *a, int encoded)
{
	Petrel__ListenerRoute	*r;
	size_t			 i;

	for (i = 0; i < n; i++) {
		r = msg_new(&petrel__listener_route__descriptor);
		r->code = codes[i];
		r->actor = actor_ref(a);
		r->encoded = encoded != 0;
		msg_array_add((void ***)&c->routes, &c->n_routes, r);
	}
}

/* Have the listener tell a when a connection closes. */
void
daemon_watch(Petrel__ListenerConfig *c, struct actor *a)
{
	c->watchers = xreallocarray(c->watchers, c->n_watchers + 1,
	    sizeof *c->watchers);
	c->watchers[c->n_watchers++] = actor_ref(a);
}

/* Log and tell systemd that the daemon is ready, serving host:port. */
void
daemon_listening(const char *host, unsigned int port)
{
	log_info("listening on %s:%u", host, port);
	daemon_notify("READY=1\nSTATUS=listening on %s:%u", host, port);
}
