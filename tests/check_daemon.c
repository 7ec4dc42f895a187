/*
 * Tests of lib/daemon.c: the command line, sd_notify datagrams to a socket
 * in a temporary folder (path and abstract), and the supervisor: actors
 * configured in order, a refusal stopping the daemon with its status,
 * stop in reverse order, signals (SIGTERM stops, SIGHUP reloads).
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <event2/event.h>

#include "actor.h"
#include "daemon.h"
#include "log.h"
#include "msg.h"
#include "testutil.h"
#include "xmalloc.h"

#include "proto/runtime.pb-c.h"

/* Parse a command line given as a NULL-terminated list. */
static int
targs(struct daemon_args *a, ...)
{
	va_list	 ap;
	char	*argv[16];
	int	 argc = 0, rc;

	argv[argc++] = (char *)"petrel-test";
	va_start(ap, a);
	while ((argv[argc] = va_arg(ap, char *)) != NULL)
		argc++;
	va_end(ap);
	fflush(stdout);
	rc = daemon_parse_args(a, "petrel-test", "/etc/petrel/test.conf",
	    argc, argv);
	return (rc);
}

START_TEST(test_args)
{
	struct daemon_args	a;

	ck_assert_int_eq(targs(&a, NULL), -1);
	ck_assert_str_eq(a.conf, "/etc/petrel/test.conf");
	ck_assert_int_eq(a.conf_given, 0);
	ck_assert_int_eq(a.port, -1);
	ck_assert_int_eq(a.foreground, 0);

	ck_assert_int_eq(targs(&a, "-d", "-f", "x.conf", "-p", "0", "-vv",
	    "--print-config", NULL), -1);
	ck_assert_str_eq(a.conf, "x.conf");
	ck_assert_int_eq(a.conf_given, 1);
	ck_assert_int_eq(a.port, 0);
	ck_assert_int_eq(a.foreground, 1);
	ck_assert_int_eq(a.verbose, 2);
	ck_assert_int_eq(a.print_config, 1);
	ck_assert_int_eq(a.check, 0);

	ck_assert_int_eq(targs(&a, "-n", "-fy.conf", "-p65535", NULL), -1);
	ck_assert_int_eq(a.check, 1);
	ck_assert_str_eq(a.conf, "y.conf");
	ck_assert_int_eq(a.port, 65535);

	ck_assert_int_eq(targs(&a, "--config=z.conf", "--port", "9", NULL),
	    -1);
	ck_assert_str_eq(a.conf, "z.conf");
	ck_assert_int_eq(a.port, 9);
}
END_TEST

START_TEST(test_args_bad)
{
	struct daemon_args	a;
	int			saved, null;

	/* The messages go to stderr; keep the test log quiet. */
	saved = dup(STDERR_FILENO);
	null = open("/dev/null", O_WRONLY);
	dup2(null, STDERR_FILENO);
	ck_assert_int_eq(targs(&a, "-x", NULL), EX_USAGE);
	ck_assert_int_eq(targs(&a, "--bogus", NULL), EX_USAGE);
	ck_assert_int_eq(targs(&a, "-f", NULL), EX_USAGE);
	ck_assert_int_eq(targs(&a, "-p", "65536", NULL), EX_USAGE);
	ck_assert_int_eq(targs(&a, "-p", "-1", NULL), EX_USAGE);
	ck_assert_int_eq(targs(&a, "-p", "80x", NULL), EX_USAGE);
	ck_assert_int_eq(targs(&a, "-p", "", NULL), EX_USAGE);
	ck_assert_int_eq(targs(&a, "extra", NULL), EX_USAGE);
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(null);
}
END_TEST

START_TEST(test_args_help)
{
	struct daemon_args	a;
	int			saved, null;

	saved = dup(STDOUT_FILENO);
	null = open("/dev/null", O_WRONLY);
	dup2(null, STDOUT_FILENO);
	ck_assert_int_eq(targs(&a, "-h", NULL), EX_OK);
	ck_assert_int_eq(targs(&a, "-V", NULL), EX_OK);
	ck_assert_int_eq(targs(&a, "--version", NULL), EX_OK);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	close(null);
}
END_TEST

/* Bind a datagram socket at path (a leading '@' makes it abstract). */
static int
tbind(const char *path)
{
	struct sockaddr_un	sun;
	socklen_t		len;
	int			fd;

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, path);
	len = offsetof(struct sockaddr_un, sun_path) + strlen(path);
	if (path[0] == '@')
		sun.sun_path[0] = '\0';
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, len), 0);
	return (fd);
}

/* Receive one datagram (waiting at most a second). */
static char *
trecv(int fd)
{
	struct timeval	tv = { 1, 0 };
	char		buf[512];
	ssize_t		n;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	n = recv(fd, buf, sizeof buf - 1, 0);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	return (xstrdup(buf));
}

START_TEST(test_notify)
{
	char	*dir, path[200], *got;
	int	 fd;

	log_init("check", LOG_LEVEL_WARN);
	unsetenv("NOTIFY_SOCKET");
	ck_assert_int_eq(daemon_notify("READY=1"), 0);

	dir = test_tmpdir();
	snprintf(path, sizeof path, "%s/notify", dir);
	fd = tbind(path);
	setenv("NOTIFY_SOCKET", path, 1);
	ck_assert_int_eq(daemon_notify("READY=1\nSTATUS=listening on %s:%d",
	    "127.0.0.1", 9876), 0);
	got = trecv(fd);
	ck_assert_str_eq(got, "READY=1\nSTATUS=listening on 127.0.0.1:9876");
	free(got);
	ck_assert_int_eq(daemon_notify("STOPPING=1"), 0);
	got = trecv(fd);
	ck_assert_str_eq(got, "STOPPING=1");
	free(got);
	close(fd);

	/* Nobody listening any more: the send fails, nothing crashes. */
	unlink(path);
	ck_assert_int_eq(daemon_notify("WATCHDOG=1"), -1);
	setenv("NOTIFY_SOCKET", "relative/path", 1);
	ck_assert_int_eq(daemon_notify("READY=1"), -1);
	unsetenv("NOTIFY_SOCKET");
	test_rmdir(dir);
}
END_TEST

START_TEST(test_notify_abstract)
{
	char	name[64], *got;
	int	fd;

	snprintf(name, sizeof name, "@petrel-check-%ld", (long)getpid());
	fd = tbind(name);
	setenv("NOTIFY_SOCKET", name, 1);
	ck_assert_int_eq(daemon_notify("RELOADING=1"), 0);
	got = trecv(fd);
	ck_assert_str_eq(got, "RELOADING=1");
	free(got);
	close(fd);
	unsetenv("NOTIFY_SOCKET");
}
END_TEST

/*
 * The supervisor with fake children: each answers its configuration (a
 * Petrel__Configured whose error is the config's own error text, so a test
 * can make one refuse) and Stop, and records the order it saw them in.
 */
struct tchild {
	int	 id;
};

static char	tlog[256];	/* "c0 c1 s1 s0 " and the like */
static int	treloads;
static int	treadies;

static void
tnote(const char *what, int id)
{
	size_t	len = strlen(tlog);

	snprintf(tlog + len, sizeof tlog - len, "%s%d ", what, id);
}

static int
tchild_init(struct actor *a, void *state)
{
	return (0);
}

static int
tchild_on_configured(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct tchild		*c = state;
	Petrel__Configured	*in = (Petrel__Configured *)m, *ack;

	tnote("c", c->id);
	ack = msg_new(&petrel__configured__descriptor);
	msg_set_string(&ack->error, in->error);
	return (actor_reply(env, ack));
}

static int
tchild_on_stop(void *state, ProtobufCMessage *m, const struct envelope *env)
{
	struct tchild	*c = state;

	tnote("s", c->id);
	return (actor_reply(env, msg_new(&petrel__stopped__descriptor)));
}

static const struct actor_handler tchild_handlers[] = {
	{ &petrel__configured__descriptor,	tchild_on_configured },
	{ &petrel__stop__descriptor,		tchild_on_stop },
	{ NULL, NULL }
};

static const struct actor_type tchild_actor = {
	.name = "tchild",
	.size = sizeof(struct tchild),
	.init = tchild_init,
	.fini = NULL,
	.handlers = tchild_handlers
};

struct tsup {
	struct daemon	*d;
	int		 action;	/* on ready: 0 stop, 1 SIGTERM,
					   2 SIGHUP, 3 stop in 300 ms */
	struct actor	*child;
	struct loop	*loop;
	struct event	*later;
};

static void
tlater(evutil_socket_t fd, short events, void *arg)
{
	struct tsup	*t = arg;

	daemon_stop(t->d, 0);
}

static void
tready(void *arg)
{
	struct tsup	*t = arg;
	struct timeval	 tv = { 0, 300000 };

	treadies++;
	tnote("ready", treadies);
	switch (t->action) {
	case 0:
		daemon_stop(t->d, 42);
		break;
	case 1:
		raise(SIGTERM);
		break;
	case 2:
		t->action = 1;
		raise(SIGHUP);
		break;
	case 3:
		t->later = evtimer_new(loop_base(t->loop), tlater, t);
		evtimer_add(t->later, &tv);
		break;
	}
}

static void
treload(void *arg)
{
	struct tsup		*t = arg;
	Petrel__Configured	*c;

	treloads++;
	c = msg_new(&petrel__configured__descriptor);
	daemon_reconfigure(t->d, t->child, c);
}

static const struct daemon_hooks thooks = {
	.ready = tready,
	.reload = treload
};

static int
tstuck(void *arg)
{
	return (0);
}

static const struct daemon_hooks thooks_stuck = {
	.ready = tready,
	.alive = tstuck
};

/* Run a supervisor over three children; the middle one's config says err. */
static int
trun_hooks(int action, const char *err, const struct daemon_hooks *hooks)
{
	struct loop		*main_loop, *other, *loops[2];
	struct actor		*kids[3];
	struct tsup		 t;
	Petrel__Configured	*c;
	int			 i, rc;

	memset(&t, 0, sizeof t);
	tlog[0] = '\0';
	treloads = treadies = 0;
	log_init("check", LOG_LEVEL_WARN);
	daemon_libevent_init();
	main_loop = loop_new("main");
	other = loop_new("other");
	t.loop = main_loop;
	t.d = daemon_new(main_loop, hooks, &t);
	t.action = action;
	for (i = 0; i < 3; i++) {
		kids[i] = actor_spawn(other, &tchild_actor, "tchild");
		((struct tchild *)actor_state(kids[i]))->id = i;
		c = msg_new(&petrel__configured__descriptor);
		if (i == 1)
			msg_set_string(&c->error, err);
		daemon_configure(t.d, kids[i], c, 70 + i);
	}
	t.child = kids[0];
	ck_assert_int_eq(loop_start(other), 0);
	rc = daemon_run(t.d);
	ck_assert_int_eq(daemon_state(t.d), DAEMON_STOPPED);
	if (t.later != NULL)
		event_free(t.later);
	loops[0] = main_loop;
	loops[1] = other;
	daemon_shutdown(t.d, loops, 2);
	return (rc);
}

static int
trun(int action, const char *err)
{
	return (trun_hooks(action, err, &thooks));
}

START_TEST(test_supervisor_order)
{
	ck_assert_int_eq(trun(0, NULL), 42);
	ck_assert_str_eq(tlog, "c0 c1 c2 ready1 s2 s1 s0 ");
	ck_assert_int_eq(treadies, 1);
}
END_TEST

START_TEST(test_supervisor_refused)
{
	ck_assert_int_eq(trun(0, "no way"), 71);
	ck_assert_int_eq(treadies, 0);
	ck_assert_str_eq(tlog, "c0 c1 s2 s1 s0 ");
}
END_TEST

START_TEST(test_supervisor_signals)
{
	ck_assert_int_eq(trun(1, NULL), EX_OK);
	ck_assert_str_eq(tlog, "c0 c1 c2 ready1 s2 s1 s0 ");
	ck_assert_int_eq(trun(2, NULL), EX_OK);
	ck_assert_int_eq(treloads, 1);
	ck_assert_str_eq(tlog, "c0 c1 c2 ready1 c0 ready2 s2 s1 s0 ");
}
END_TEST

/* How many datagrams waiting on fd contain what. */
static int
tcount(int fd, const char *what)
{
	char	buf[512];
	ssize_t	n;
	int	count = 0;

	while ((n = recv(fd, buf, sizeof buf - 1, MSG_DONTWAIT)) > 0) {
		buf[n] = '\0';
		if (strstr(buf, what) != NULL)
			count++;
	}
	return (count);
}

START_TEST(test_watchdog)
{
	char	*dir, path[200], pid[32];
	int	 fd;

	dir = test_tmpdir();
	snprintf(path, sizeof path, "%s/notify", dir);
	fd = tbind(path);
	setenv("NOTIFY_SOCKET", path, 1);
	setenv("WATCHDOG_USEC", "40000", 1);
	unsetenv("WATCHDOG_PID");

	/* Every 20 ms for 300 ms. */
	ck_assert_int_eq(trun(3, NULL), 0);
	ck_assert_int_ge(tcount(fd, "WATCHDOG=1"), 3);

	/* A stuck daemon does not pet it. */
	ck_assert_int_eq(trun_hooks(3, NULL, &thooks_stuck), 0);
	ck_assert_int_eq(tcount(fd, "WATCHDOG=1"), 0);

	/* Meant for another process: no watchdog. */
	snprintf(pid, sizeof pid, "%ld", (long)getpid() + 1);
	setenv("WATCHDOG_PID", pid, 1);
	ck_assert_int_eq(trun(3, NULL), 0);
	ck_assert_int_eq(tcount(fd, "WATCHDOG=1"), 0);
	ck_assert_int_eq(tcount(fd, "READY=1"), 0);	/* read above */

	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	unsetenv("NOTIFY_SOCKET");
	close(fd);
	test_rmdir(dir);
}
END_TEST

Suite *
daemon_suite(void)
{
	Suite	*s = suite_create("daemon");
	TCase	*tc;

	tc = tcase_create("args");
	tcase_add_test(tc, test_args);
	tcase_add_test(tc, test_args_bad);
	tcase_add_test(tc, test_args_help);
	suite_add_tcase(s, tc);
	tc = tcase_create("notify");
	tcase_add_test(tc, test_notify);
	tcase_add_test(tc, test_notify_abstract);
	suite_add_tcase(s, tc);
	tc = tcase_create("supervisor");
	tcase_add_test(tc, test_supervisor_order);
	tcase_add_test(tc, test_supervisor_refused);
	tcase_add_test(tc, test_supervisor_signals);
	tcase_add_test(tc, test_watchdog);
	suite_add_tcase(s, tc);
	return (s);
}
