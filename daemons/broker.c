/*
 * petrel-broker: the broker.  main() only composes, as petrel-namesrv
 * does: it reads the command line and the configuration, takes the lock
 * of the data root, starts the loops (main: the supervisor and signals;
 * net: listener, consumer manager, queue locks; config: topic and offset
 * managers, which fsync; registrar: the name server connections), spawns
 * the control-plane actors of actors/broker.h, hands the supervisor
 * (lib/daemon.c) their configurations and runs until a signal stops it.
 * SIGHUP rereads the file and applies what can change while running.
 *
 * The send and pull paths (the store actors of actors/store_actors.h) are
 * not composed yet: see "THE STORE JOINS HERE" below.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <limits.h>
#include <net/if.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "actor.h"
#include "broker.h"
#include "conf.h"
#include "daemon.h"
#include "listener.h"
#include "log.h"
#include "msg.h"
#include "xmalloc.h"

#include "proto/brokerd.pb-c.h"
#include "proto/frame.pb-c.h"
#include "proto/transport.pb-c.h"

#define BROKER_PROG	"petrel-broker"
#define BROKER_CONF	SYSCONFDIR "/petrel/broker.conf"
#define BROKER_DATADIR	"petrel-data/broker"
#define BROKER_LOCKFILE	"lock"
#define BROKER_ADDRS	16	/* name servers at most */

struct broker_conf {
	char	*cluster;
	char	*name;
	int64_t	 id;
	char	*namesrv_addr;
	char	*listen_address;
	int64_t	 listen_port;
	char	*broker_ip;
	char	*root;
	int	 auto_create;
	int64_t	 default_queues;
	int64_t	 register_period;
	int64_t	 max_frame;
	int	 log_level;
};

struct broker {
	struct daemon_args	 args;
	struct broker_conf	 conf;
	struct daemon		*daemon;
	struct actor		*listener;
	struct actor		*topic_manager;
	struct actor		*offset_manager;
	struct actor		*consumer_manager;
	struct actor		*queue_lock;
	struct actor		*registrar;
	Petrel__RegistrarConfig	*registrar_config; /* until it is sent */
	int			 lock_fd;
	uint32_t		 port;		/* bound */
};

static const char *const broker_log_levels[] = {
	"warning", "info", "debug", NULL
};

/* Every key of the broker's configuration file; see petrel.conf(5). */
static const struct conf_key broker_keys[] = {
	{ "brokerClusterName", CONF_STRING, 1, BROKER_NAME_MAX,
	  "DefaultCluster", offsetof(struct broker_conf, cluster), 0, NULL },
	{ "brokerName", CONF_STRING, 1, BROKER_NAME_MAX, "broker-a",
	  offsetof(struct broker_conf, name), 0, NULL },
	{ "brokerId", CONF_INT, 0, 1000000, "0",
	  offsetof(struct broker_conf, id), 0, NULL },
	{ "namesrvAddr", CONF_STRING, 1, 4096, "127.0.0.1:9876",
	  offsetof(struct broker_conf, namesrv_addr), 0, NULL },
	{ "listenAddress", CONF_STRING, 1, 255, "0.0.0.0",
	  offsetof(struct broker_conf, listen_address), 0, NULL },
	{ "listenPort", CONF_INT, 0, 65535, "10911",
	  offsetof(struct broker_conf, listen_port), 0, NULL },
	{ "brokerIP1", CONF_STRING, 0, 255, "",
	  offsetof(struct broker_conf, broker_ip), 0, NULL },
	{ "storePathRootDir", CONF_STRING, 0, PATH_MAX - 64, "",
	  offsetof(struct broker_conf, root), 0, NULL },
	{ "autoCreateTopicEnable", CONF_BOOL, 0, 0, "false",
	  offsetof(struct broker_conf, auto_create), 0, NULL },
	{ "defaultTopicQueueNums", CONF_INT, 1, BROKER_QUEUES_MAX, "8",
	  offsetof(struct broker_conf, default_queues), 0, NULL },
	{ "registerNameServerPeriod", CONF_DURATION, 1000, 3600000, "30s",
	  offsetof(struct broker_conf, register_period), 0, NULL },
	{ "maxFrameSize", CONF_SIZE, 4096, 1LL << 30, "16m",
	  offsetof(struct broker_conf, max_frame), 0, NULL },
	{ "logLevel", CONF_ENUM, 0, 0, "info",
	  offsetof(struct broker_conf, log_level), CONF_RELOAD,
	  broker_log_levels },
	{ NULL, 0, 0, 0, NULL, 0, 0, NULL }
};

/*
 * Split namesrvAddr at ';' into host:port entries (empty ones skipped).
 * Returns how many, or -1 with cause if one is not host:port.
 */
static int
broker_split_addrs(const char *list, char **out, size_t max, char **cause)
{
	char		*copy, *next, *s, *colon, *end;
	long		 port;
	int		 n = 0;

	copy = next = xstrdup(list);
	while ((s = strsep(&next, ";")) != NULL) {
		s += strspn(s, " \t");
		s[strcspn(s, " \t")] = '\0';
		if (*s == '\0')
			continue;
		colon = strrchr(s, ':');
		port = colon != NULL ? strtol(colon + 1, &end, 10) : 0;
		if (colon == NULL || colon == s || colon[1] == '\0' ||
		    *end != '\0' || port < 1 || port > 65535) {
			xasprintf(cause, "namesrvAddr: \"%s\" is not host:port",
			    s);
			goto fail;
		}
		if ((size_t)n == max) {
			xasprintf(cause, "namesrvAddr: more than %zu addresses",
			    max);
			goto fail;
		}
		if (out != NULL)
			out[n] = xstrdup(s);
		n++;
	}
	free(copy);
	if (n == 0) {
		xasprintf(cause, "namesrvAddr: no address");
		return (-1);
	}
	return (n);

fail:
	while (out != NULL && n > 0)
		free(out[--n]);
	free(copy);
	return (-1);
}

/*
 * Build a configuration: defaults, the file (a missing default file is
 * fine, a missing -f file is not), then the command line.  Fills the
 * defaults that depend on the environment.  0, or -1 with cause.
 */
static int
broker_load(struct broker *b, struct broker_conf *c, char **cause)
{
	const char	*state;
	char		 port[16], *p, *why;

	memset(c, 0, sizeof *c);
	conf_defaults(broker_keys, c);
	if ((b->args.conf_given || access(b->args.conf, F_OK) == 0) &&
	    conf_load(broker_keys, c, b->args.conf, cause) != 0)
		goto fail;
	if (b->args.port != -1) {
		snprintf(port, sizeof port, "%ld", b->args.port);
		if (conf_set(broker_keys, c, "listenPort", port, cause) != 0)
			goto fail;
	}
	if (broker_split_addrs(c->namesrv_addr, NULL, BROKER_ADDRS,
	    &why) == -1) {
		xasprintf(cause, "%s: %s", b->args.conf, why);
		free(why);
		goto fail;
	}
	if (*c->root == '\0') {
		/* $STATE_DIRECTORY may list several; the first is ours. */
		free(c->root);
		state = getenv("STATE_DIRECTORY");
		if (state != NULL && *state != '\0') {
			c->root = xstrdup(state);
			if ((p = strchr(c->root, ':')) != NULL)
				*p = '\0';
		} else
			c->root = xstrdup(BROKER_DATADIR);
	}
	return (0);

fail:
	conf_free(broker_keys, c);
	return (-1);
}

/* The verbosity: the file's logLevel, raised by each -v. */
static int
broker_verbosity(struct broker *b)
{
	return (b->conf.log_level + b->args.verbose);
}

/* mkdir -p; 0 or -1 with errno. */
static int
broker_mkdirs(const char *path)
{
	char	*copy, *p;
	int	 rc = 0;

	copy = xstrdup(path);
	for (p = copy + 1; rc == 0 && (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		if (mkdir(copy, 0750) != 0 && errno != EEXIST)
			rc = -1;
		*p = '/';
	}
	if (rc == 0 && mkdir(copy, 0750) != 0 && errno != EEXIST)
		rc = -1;
	free(copy);
	return (rc);
}

/*
 * Make the data root and hold its lock file for the life of the process
 * (the descriptor is never closed).  Returns 0, or an exit status: 75 if
 * another broker holds it, 73 if it cannot be made.
 */
static int
broker_lock(struct broker *b)
{
	char	*path;
	int	 fd;

	if (broker_mkdirs(b->conf.root) != 0) {
		log_warn("%s", b->conf.root);
		return (EX_CANTCREAT);
	}
	xasprintf(&path, "%s/%s", b->conf.root, BROKER_LOCKFILE);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640)) == -1) {
		log_warn("%s", path);
		free(path);
		return (EX_CANTCREAT);
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno == EWOULDBLOCK)
			log_warnx("%s: another broker is using the data root "
			    "%s", path, b->conf.root);
		else
			log_warn("%s: flock", path);
		close(fd);
		free(path);
		return (EX_TEMPFAIL);
	}
	free(path);
	b->lock_fd = fd;
	return (0);
}

/*
 * The address clients reach us at: brokerIP1, else listenAddress unless it
 * is a wildcard, else the first up non-loopback IPv4 address, else
 * 127.0.0.1.
 */
static char *
broker_address(struct broker *b)
{
	struct ifaddrs		*ifa, *i;
	const char		*host = b->conf.broker_ip;
	char			 buf[INET_ADDRSTRLEN], *s;
	struct sockaddr_in	*sin;

	if (*host == '\0' && strcmp(b->conf.listen_address, "0.0.0.0") != 0 &&
	    strcmp(b->conf.listen_address, "::") != 0)
		host = b->conf.listen_address;
	if (*host == '\0') {
		host = "127.0.0.1";
		if (getifaddrs(&ifa) == 0) {
			for (i = ifa; i != NULL; i = i->ifa_next) {
				if (i->ifa_addr == NULL ||
				    i->ifa_addr->sa_family != AF_INET ||
				    (i->ifa_flags & IFF_LOOPBACK) ||
				    (~i->ifa_flags & IFF_UP))
					continue;
				sin = (struct sockaddr_in *)i->ifa_addr;
				if (inet_ntop(AF_INET, &sin->sin_addr, buf,
				    sizeof buf) != NULL) {
					host = buf;
					break;
				}
			}
			freeifaddrs(ifa);
		}
	}
	if (strchr(host, ':') != NULL)
		xasprintf(&s, "[%s]:%u", host, b->port);
	else
		xasprintf(&s, "%s:%u", host, b->port);
	return (s);
}

/* The topic manager's configuration message. */
static void *
broker_topic_manager_config(struct broker *b)
{
	Petrel__TopicManagerConfig	*c;

	c = msg_new(&petrel__topic_manager_config__descriptor);
	msg_set_string(&c->root, b->conf.root);
	c->auto_create = b->conf.auto_create;
	c->default_queues = (uint32_t)b->conf.default_queues;
	c->watchers = xcalloc(1, sizeof *c->watchers);
	c->watchers[c->n_watchers++] = actor_ref(b->registrar);
	return (c);
}

/*
 * The offset manager's configuration message.  No store yet: resets by
 * time are refused until the store actors join (store = 0).
 */
static void *
broker_offset_manager_config(struct broker *b)
{
	Petrel__OffsetManagerConfig	*c;

	c = msg_new(&petrel__offset_manager_config__descriptor);
	msg_set_string(&c->root, b->conf.root);
	c->flush_interval_ms = BROKER_OFFSET_FLUSH_MS;
	return (c);
}

/* The consumer manager's configuration: the listener pushes notices. */
static void *
broker_consumer_manager_config(struct broker *b)
{
	Petrel__ConsumerManagerConfig	*c;

	c = msg_new(&petrel__consumer_manager_config__descriptor);
	c->expire_ms = BROKER_CLIENT_EXPIRE_MS;
	c->scan_interval_ms = BROKER_SCAN_MS;
	c->notifier = actor_ref(b->listener);
	return (c);
}

/* The queue locks' configuration message. */
static void *
broker_queue_lock_config(struct broker *b)
{
	Petrel__QueueLockConfig	*c;

	(void)b;
	c = msg_new(&petrel__queue_lock_config__descriptor);
	c->expire_ms = BROKER_LOCK_EXPIRE_MS;
	c->scan_interval_ms = BROKER_SCAN_MS;
	return (c);
}

/*
 * The registrar's configuration, without its address: the listener is
 * configured first and broker_configured() fills the bound port in
 * before the supervisor hands this message over.
 */
static void *
broker_registrar_config(struct broker *b)
{
	Petrel__RegistrarConfig	*c;
	char			*addrs[BROKER_ADDRS], *cause;
	int			 n, i;

	c = msg_new(&petrel__registrar_config__descriptor);
	if ((n = broker_split_addrs(b->conf.namesrv_addr, addrs, BROKER_ADDRS,
	    &cause)) == -1)
		fatalx("%s", cause);	/* checked by broker_load() */
	c->namesrv_addrs = xcalloc((size_t)n, sizeof *c->namesrv_addrs);
	for (i = 0; i < n; i++)
		c->namesrv_addrs[c->n_namesrv_addrs++] = addrs[i];
	msg_set_string(&c->cluster, b->conf.cluster);
	msg_set_string(&c->broker_name, b->conf.name);
	c->broker_id = (uint64_t)b->conf.id;
	c->interval_ms = (uint64_t)b->conf.register_period;
	c->timeout_ms = BROKER_RPC_TIMEOUT_MS;
	c->topic_manager = actor_ref(b->topic_manager);
	b->registrar_config = c;
	return (c);
}

/* The listener's configuration: address, limits, routes, watchers. */
static void *
broker_listener_config(struct broker *b)
{
	static const uint32_t	 tm_codes[] = {
		PETREL__REQUEST_CODE__CODE_CREATE_OR_UPDATE_TOPIC,
		PETREL__REQUEST_CODE__CODE_DELETE_TOPIC_IN_BROKER,
		PETREL__REQUEST_CODE__CODE_GET_TOPIC_CONFIG,
		PETREL__REQUEST_CODE__CODE_GET_ALL_TOPIC_CONFIG
	};
	static const uint32_t	 om_codes[] = {
		PETREL__REQUEST_CODE__CODE_QUERY_CONSUMER_OFFSET,
		PETREL__REQUEST_CODE__CODE_UPDATE_CONSUMER_OFFSET,
		PETREL__REQUEST_CODE__CODE_COMMIT_CONSUMER_OFFSETS,
		PETREL__REQUEST_CODE__CODE_GET_CONSUMER_OFFSETS,
		PETREL__REQUEST_CODE__CODE_RESET_CONSUMER_OFFSET
	};
	static const uint32_t	 cm_codes[] = {
		PETREL__REQUEST_CODE__CODE_HEARTBEAT,
		PETREL__REQUEST_CODE__CODE_UNREGISTER_CLIENT,
		PETREL__REQUEST_CODE__CODE_GET_CONSUMER_LIST
	};
	static const uint32_t	 ql_codes[] = {
		PETREL__REQUEST_CODE__CODE_LOCK_BATCH_MQ,
		PETREL__REQUEST_CODE__CODE_UNLOCK_BATCH_MQ
	};
	Petrel__ListenerConfig	*c;

	c = daemon_listener_config(BROKER_PROG, b->conf.listen_address,
	    b->conf.listen_port, b->conf.max_frame);
	daemon_route(c, tm_codes, nitems(tm_codes), b->topic_manager);
	daemon_route(c, om_codes, nitems(om_codes), b->offset_manager);
	daemon_route(c, cm_codes, nitems(cm_codes), b->consumer_manager);
	daemon_route(c, ql_codes, nitems(ql_codes), b->queue_lock);
	/*
	 * THE STORE JOINS HERE (routes): CODE_SEND_MESSAGE, CODE_SEND_BATCH,
	 * CODE_CONSUMER_SEND_BACK, CODE_PULL_MESSAGE, CODE_GET_MIN_OFFSET,
	 * CODE_GET_MAX_OFFSET, CODE_SEARCH_OFFSET_BY_TIME, the three
	 * CODE_*_MESSAGE_BY_* queries and CODE_GET_BROKER_RUNTIME_INFO go to
	 * the store actors; until then the listener answers them
	 * STATUS_REQUEST_CODE_NOT_SUPPORTED.
	 */
	daemon_watch(c, b->consumer_manager);
	return (c);
}

/*
 * The supervisor's hook: an actor took its configuration.  Once the
 * listener is bound the registrar's address is known: it is written into
 * the registrar's configuration, still held by the supervisor, which
 * hands it over next.
 */
static void
broker_configured(void *arg, struct actor *a, const ProtobufCMessage *m)
{
	struct broker	*b = arg;
	char		*address;

	if (a != b->listener || !msg_is(m, &petrel__listener_ready__descriptor))
		return;
	b->port = ((const Petrel__ListenerReady *)m)->port;
	if (b->registrar_config != NULL) {
		address = broker_address(b);
		msg_set_string(&b->registrar_config->address, address);
		log_info("registering as %s/%s id %lld at %s", b->conf.cluster,
		    b->conf.name, (long long)b->conf.id, address);
		free(address);
		b->registrar_config = NULL;
	}
}

/* The supervisor's hook: everything is configured (or reconfigured). */
static void
broker_ready(void *arg)
{
	struct broker	*b = arg;

	daemon_listening(b->conf.listen_address, b->port);
}

/* The supervisor's hook on SIGHUP: reread the file, apply what changed. */
static void
broker_reload(void *arg)
{
	struct broker		*b = arg;
	struct broker_conf	 next;
	char			*cause;

	if (broker_load(b, &next, &cause) != 0) {
		log_warnx("%s", cause);
		log_warnx("reload failed: keeping the running configuration");
		free(cause);
		return;
	}
	if (conf_merge(broker_keys, &b->conf, &next) == 0)
		log_info("reload: nothing to change");
	conf_free(broker_keys, &next);
	log_setverbose(broker_verbosity(b));
}

static const struct daemon_hooks broker_hooks = {
	.configured = broker_configured,
	.ready = broker_ready,
	.reload = broker_reload,
	.alive = NULL
};

/* Compose the broker and run it until a signal stops it. */
int
main(int argc, char **argv)
{
	struct broker	 b;
	struct loop	*main_loop, *net, *config, *reg, *loops[4];
	char		*cause;
	int		 rc;

	memset(&b, 0, sizeof b);
	b.lock_fd = -1;
	rc = daemon_parse_args(&b.args, BROKER_PROG, BROKER_CONF, argc, argv);
	if (rc != -1)
		return (rc);
	log_init(BROKER_PROG, LOG_LEVEL_INFO + b.args.verbose);
	if (broker_load(&b, &b.conf, &cause) != 0) {
		fprintf(stderr, "%s\n", cause);
		free(cause);
		return (EX_CONFIG);
	}
	if (b.args.print_config || b.args.check) {
		if (b.args.print_config)
			conf_print(broker_keys, &b.conf, stdout);
		else
			fprintf(stderr, "%s: configuration OK\n",
			    b.args.conf);
		conf_free(broker_keys, &b.conf);
		return (EX_OK);
	}
	log_setverbose(broker_verbosity(&b));

	daemon_libevent_init();
	if (!b.args.foreground && getenv("NOTIFY_SOCKET") == NULL &&
	    daemon_detach() != 0)
		fatal("fork");
	/* After the fork: the lock belongs to the process that runs. */
	if ((rc = broker_lock(&b)) != 0) {
		conf_free(broker_keys, &b.conf);
		return (rc);
	}

	main_loop = loop_new("main");
	net = loop_new("net");
	config = loop_new("config");
	reg = loop_new("registrar");
	b.daemon = daemon_new(main_loop, &broker_hooks, &b);
	b.topic_manager = actor_spawn(config, &topic_manager_actor,
	    "topic_manager");
	b.offset_manager = actor_spawn(config, &offset_manager_actor,
	    "offset_manager");
	b.consumer_manager = actor_spawn(net, &consumer_manager_actor,
	    "consumer_manager");
	b.queue_lock = actor_spawn(net, &queue_lock_actor, "queue_lock");
	b.listener = actor_spawn(net, &listener_actor, "listener");
	b.registrar = actor_spawn(reg, &registrar_actor, "registrar");
	if (b.topic_manager == NULL || b.offset_manager == NULL ||
	    b.consumer_manager == NULL || b.queue_lock == NULL ||
	    b.listener == NULL || b.registrar == NULL)
		fatalx("cannot spawn the actors");

	/*
	 * In order: the files first (a corrupt one stops the start), then
	 * what answers clients, the listener, and last the registrar, so
	 * the name servers only learn of a broker that answers.
	 *
	 * THE STORE JOINS HERE (actors): spawn the dispatcher, commit log
	 * writer, flusher and cleaner (actors/store_actors.h) on loops of
	 * their own and configure them before the listener, with EX_DATAERR
	 * for a store that cannot be opened; give the offset manager the
	 * dispatcher as its store (StoreOffsetsByTime) and add their routes
	 * in broker_listener_config().
	 */
	daemon_configure(b.daemon, b.topic_manager,
	    broker_topic_manager_config(&b), EX_DATAERR);
	daemon_configure(b.daemon, b.offset_manager,
	    broker_offset_manager_config(&b), EX_DATAERR);
	daemon_configure(b.daemon, b.consumer_manager,
	    broker_consumer_manager_config(&b), EX_CONFIG);
	daemon_configure(b.daemon, b.queue_lock, broker_queue_lock_config(&b),
	    EX_CONFIG);
	daemon_configure(b.daemon, b.listener, broker_listener_config(&b),
	    EX_UNAVAILABLE);
	daemon_configure(b.daemon, b.registrar, broker_registrar_config(&b),
	    EX_CONFIG);
	if (loop_start(net) != 0 || loop_start(config) != 0 ||
	    loop_start(reg) != 0)
		fatalx("cannot start the loops");

	log_info("starting %s %s in %s", BROKER_PROG, PACKAGE_VERSION,
	    b.conf.root);
	rc = daemon_run(b.daemon);
	loops[0] = main_loop;
	loops[1] = net;
	loops[2] = config;
	loops[3] = reg;
	/* Stops in reverse order: the registrar unregisters first. */
	daemon_shutdown(b.daemon, loops, 4);
	conf_free(broker_keys, &b.conf);
	libevent_global_shutdown();
	close(b.lock_fd);
	log_info("stopped%s", rc == EX_OK ? "" : " after an error");
	return (rc);
}
