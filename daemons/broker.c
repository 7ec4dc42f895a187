/*
 * petrel-broker: the broker.  main() only composes, as petrel-namesrv
 * does: it reads the command line and the configuration (loaded and
 * checked by daemons/broker_conf.c), takes the lock
 * of the data root, starts the loops, spawns the actors of
 * actors/broker.h and actors/store_actors.h, hands the supervisor
 * (lib/daemon.c) their configurations and runs until a signal stops it.
 * SIGHUP rereads the file and applies what can change while running.
 *
 * Loops: main (the supervisor and signals); net (listener, consumer
 * manager, queue locks, the send and pull paths with the commit log
 * writer, status); config (topic and offset managers and the scheduler,
 * which fsync their files); registrar (the name server connections);
 * flusher (fdatasync, and its sync helpers' loops); store (dispatcher and
 * cleaner).  The writer shares the net loop: it appends with pwrite(2)
 * and never waits for the disk, and a send then crosses no thread
 * between the socket and the log (measured: sync sends 4.5k/s on a loop
 * of its own, 6.2k/s here).
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
#include "broker_conf.h"
#include "conf.h"
#include "daemon.h"
#include "listener.h"
#include "log.h"
#include "msg.h"
#include "rpc.h"
#include "xmalloc.h"

#include "store_actors.h"

#include "proto/brokerd.pb-c.h"
#include "proto/frame.pb-c.h"
#include "proto/store.pb-c.h"
#include "proto/transport.pb-c.h"

#define BROKER_PROG	"petrel-broker"
#define BROKER_CONF	SYSCONFDIR "/petrel/broker.conf"
#define BROKER_LOCKFILE	"lock"
#define BROKER_LOOPS	6
#define BROKER_WRITER_HWM 65536	/* requests queued before "busy" */


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
	struct actor		*dispatcher;
	struct actor		*flusher;
	struct actor		*writer;
	struct actor		*cleaner;
	struct actor		*scheduler;
	struct actor		*sender;
	struct actor		*puller;
	struct actor		*status;
	Petrel__RegistrarConfig	*registrar_config; /* until it is sent */
	Petrel__StoreConfig	*store_config;	/* idem */
	Petrel__SenderConfig	*sender_config;	/* idem */
	int			 lock_fd;
	uint32_t		 port;		/* bound */
};

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
	c->watchers = xcalloc(3, sizeof *c->watchers);
	c->watchers[c->n_watchers++] = actor_ref(b->registrar);
	c->watchers[c->n_watchers++] = actor_ref(b->sender);
	c->watchers[c->n_watchers++] = actor_ref(b->puller);
	return (c);
}

/* The offset manager's configuration: resets by time ask the store. */
static void *
broker_offset_manager_config(struct broker *b)
{
	Petrel__OffsetManagerConfig	*c;

	c = msg_new(&petrel__offset_manager_config__descriptor);
	msg_set_string(&c->root, b->conf.root);
	c->flush_interval_ms = BROKER_OFFSET_FLUSH_MS;
	c->store = actor_ref(b->dispatcher);
	return (c);
}

/*
 * The store's configuration, to the dispatcher, which opens the store and
 * configures the writer and flusher.  Its host and port are filled in by
 * broker_configured() once the listener is bound.
 */
static void *
broker_store_config(struct broker *b)
{
	Petrel__StoreConfig	*c;

	c = msg_new(&petrel__store_config__descriptor);
	msg_set_string(&c->root, b->conf.root);
	c->segment_size = (uint64_t)b->conf.segment_size;
	c->max_msg_size = (uint32_t)b->conf.max_msg_size;
	c->flush_mode = b->conf.flush_sync ? PETREL__FLUSH_MODE__FLUSH_SYNC :
	    PETREL__FLUSH_MODE__FLUSH_ASYNC;
	c->flush_interval_ms = (uint32_t)b->conf.flush_interval;
	c->flush_timeout_ms = (uint32_t)b->conf.flush_timeout;
	c->dispatch_interval_ms = BROKER_DISPATCH_MS;
	c->writer = actor_ref(b->writer);
	c->flusher = actor_ref(b->flusher);
	c->cleaner = actor_ref(b->cleaner);
	c->watchers = xcalloc(2, sizeof *c->watchers);
	c->watchers[c->n_watchers++] = actor_ref(b->puller);
	c->watchers[c->n_watchers++] = actor_ref(b->scheduler);
	/* The scheduler only cares about delayed messages. */
	c->watcher_topics = xcalloc(2, sizeof *c->watcher_topics);
	c->watcher_topics[c->n_watcher_topics++] = xstrdup("");
	c->watcher_topics[c->n_watcher_topics++] = xstrdup(BROKER_DELAY_TOPIC);
	b->store_config = c;
	return (c);
}

/* The cleaner's configuration: retention and the disk thresholds. */
static void *
broker_cleaner_config(struct broker *b)
{
	Petrel__CleanerConfig	*c;

	c = msg_new(&petrel__cleaner_config__descriptor);
	msg_set_string(&c->root, b->conf.root);
	c->retention_hours = (uint32_t)b->conf.reserved_hours;
	c->delete_hour = (uint32_t)b->conf.delete_hour;
	c->clean_percent = (uint32_t)b->conf.clean_ratio;
	c->refuse_percent = (uint32_t)b->conf.refuse_ratio;
	c->writer = actor_ref(b->writer);
	c->dispatcher = actor_ref(b->dispatcher);
	return (c);
}

/* The scheduler's configuration: delayed messages. */
static void *
broker_scheduler_config(struct broker *b)
{
	Petrel__SchedulerConfig	*c;

	c = msg_new(&petrel__scheduler_config__descriptor);
	msg_set_string(&c->root, b->conf.root);
	c->writer = actor_ref(b->writer);
	c->dispatcher = actor_ref(b->dispatcher);
	return (c);
}

/* The send path's configuration; the store address comes later. */
static void *
broker_sender_config(struct broker *b)
{
	Petrel__SenderConfig	*c;

	c = msg_new(&petrel__sender_config__descriptor);
	c->writer = actor_ref(b->writer);
	c->topic_manager = actor_ref(b->topic_manager);
	c->dispatcher = actor_ref(b->dispatcher);
	c->max_reconsume_times = (uint32_t)b->conf.max_reconsume;
	b->sender_config = c;
	return (c);
}

/* The pull path's configuration. */
static void *
broker_puller_config(struct broker *b)
{
	Petrel__PullerConfig	*c;

	c = msg_new(&petrel__puller_config__descriptor);
	c->dispatcher = actor_ref(b->dispatcher);
	c->topic_manager = actor_ref(b->topic_manager);
	c->offset_manager = actor_ref(b->offset_manager);
	c->max_suspend_ms = (uint32_t)b->conf.suspend_max;
	return (c);
}

/* The status actor's configuration: who to ask for counters. */
static void *
broker_status_config(struct broker *b)
{
	Petrel__StatusConfig	*c;
	struct actor		*sources[] = {
		b->writer, b->dispatcher, b->puller, b->topic_manager,
		b->consumer_manager
	};
	size_t			 i;

	c = msg_new(&petrel__status_config__descriptor);
	msg_set_string(&c->version, BROKER_PROG " " PACKAGE_VERSION);
	msg_set_string(&c->cluster, b->conf.cluster);
	msg_set_string(&c->broker_name, b->conf.name);
	c->broker_id = (uint64_t)b->conf.id;
	msg_set_string(&c->root, b->conf.root);
	c->sources = xcalloc(nitems(sources), sizeof *c->sources);
	for (i = 0; i < nitems(sources); i++)
		c->sources[c->n_sources++] = actor_ref(sources[i]);
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

	c = msg_new(&petrel__queue_lock_config__descriptor);
	c->expire_ms = (uint64_t)b->conf.lock_expire;
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
		fatalx("%s", cause);	/* checked by broker_conf_load() */
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
		PETREL__REQUEST_CODE__CODE_RESET_CONSUMER_OFFSET,
		PETREL__REQUEST_CODE__CODE_GET_CONSUMER_GROUPS
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
	/* The sender decodes sends itself (EncodedRequest). */
	static const uint32_t	 send_codes[] = {
		PETREL__REQUEST_CODE__CODE_SEND_MESSAGE,
		PETREL__REQUEST_CODE__CODE_SEND_BATCH
	};
	static const uint32_t	 back_codes[] = {
		PETREL__REQUEST_CODE__CODE_CONSUMER_SEND_BACK
	};
	static const uint32_t	 pull_codes[] = {
		PETREL__REQUEST_CODE__CODE_PULL_MESSAGE,
		PETREL__REQUEST_CODE__CODE_GET_MIN_OFFSET,
		PETREL__REQUEST_CODE__CODE_GET_MAX_OFFSET,
		PETREL__REQUEST_CODE__CODE_SEARCH_OFFSET_BY_TIME,
		PETREL__REQUEST_CODE__CODE_QUERY_MESSAGE_BY_ID,
		PETREL__REQUEST_CODE__CODE_QUERY_MESSAGE_BY_KEY,
		PETREL__REQUEST_CODE__CODE_VIEW_MESSAGE_BY_OFFSET
	};
	static const uint32_t	 status_codes[] = {
		PETREL__REQUEST_CODE__CODE_GET_BROKER_RUNTIME_INFO
	};
	Petrel__ListenerConfig	*c;

	c = daemon_listener_config(BROKER_PROG, b->conf.listen_address,
	    b->conf.listen_port, b->conf.max_frame);
	daemon_route(c, tm_codes, nitems(tm_codes), b->topic_manager, 0);
	daemon_route(c, om_codes, nitems(om_codes), b->offset_manager, 0);
	daemon_route(c, cm_codes, nitems(cm_codes), b->consumer_manager, 0);
	daemon_route(c, ql_codes, nitems(ql_codes), b->queue_lock, 0);
	daemon_route(c, send_codes, nitems(send_codes), b->sender, 1);
	daemon_route(c, back_codes, nitems(back_codes), b->sender, 0);
	daemon_route(c, pull_codes, nitems(pull_codes), b->puller, 0);
	daemon_route(c, status_codes, nitems(status_codes), b->status, 0);
	daemon_watch(c, b->consumer_manager);
	daemon_watch(c, b->puller);
	return (c);
}

/*
 * The offset manager answers CODE_GET_CONSUMER_GROUPS by asking the
 * consumer manager for the groups online: tell it whom, before it is
 * configured.
 */
static void
broker_groups_source(struct broker *b)
{
	Petrel__ConsumerGroupsSource	*s;

	s = msg_new(&petrel__consumer_groups_source__descriptor);
	s->actor = actor_ref(b->consumer_manager);
	actor_send(b->offset_manager, s);
}

/*
 * The supervisor's hook: an actor took its configuration.  Once the
 * listener is bound the broker's address is known: it is written into the
 * configurations of the store (the address of every message and its id),
 * the send path and the registrar, still held by the supervisor, which
 * hands them over next.
 */
static void
broker_configured(void *arg, struct actor *a, const ProtobufCMessage *m)
{
	struct broker	*b = arg;
	char		*address;
	uint8_t		 host[16];
	uint32_t	 port;

	if (a != b->listener || !msg_is(m, &petrel__listener_ready__descriptor))
		return;
	b->port = ((const Petrel__ListenerReady *)m)->port;
	address = broker_address(b);
	if (brokermsg_parse_host(address, host, &port) != 0) {
		log_warnx("%s is not a numeric address: message ids will "
		    "name 0.0.0.0 (set brokerIP1)", address);
		memset(host, 0, sizeof host);
		port = b->port;
	}
	free(address);
	if (b->store_config != NULL) {
		msg_set_bytes(&b->store_config->store_host, host, 16);
		b->store_config->store_port = port;
		b->store_config = NULL;
	}
	if (b->sender_config != NULL) {
		msg_set_bytes(&b->sender_config->store_host, host, 16);
		b->sender_config->store_port = port;
		b->sender_config = NULL;
	}
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

	if (broker_conf_load(&next, &b->args, &cause) != 0) {
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

/* Spawn an actor or die. */
static struct actor *
broker_spawn(struct loop *loop, const struct actor_type *type)
{
	struct actor	*a;

	if ((a = actor_spawn(loop, type, type->name)) == NULL)
		fatalx("cannot spawn %s", type->name);
	return (a);
}

/* Compose the broker and run it until a signal stops it. */
int
main(int argc, char **argv)
{
	struct broker	 b;
	struct loop	*loops[BROKER_LOOPS];
	struct loop	*main_loop, *net, *config, *reg, *flusher;
	struct loop	*store;
	char		*cause;
	int		 rc, i;

	memset(&b, 0, sizeof b);
	b.lock_fd = -1;
	rc = daemon_parse_args(&b.args, BROKER_PROG, BROKER_CONF, argc, argv);
	if (rc != -1)
		return (rc);
	log_init(BROKER_PROG, LOG_LEVEL_INFO + b.args.verbose);
	if (broker_conf_load(&b.conf, &b.args, &cause) != 0) {
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

	daemon_malloc_init();
	daemon_libevent_init();
	if (!b.args.foreground && getenv("NOTIFY_SOCKET") == NULL &&
	    daemon_detach() != 0)
		fatal("fork");
	/* After the fork: the lock belongs to the process that runs. */
	if ((rc = broker_lock(&b)) != 0) {
		conf_free(broker_keys, &b.conf);
		return (rc);
	}

	loops[0] = main_loop = loop_new("main");
	loops[1] = net = loop_new("net");
	loop_set_busy_poll(net, (uint64_t)b.conf.busy_poll);
	loops[2] = config = loop_new("config");
	loops[3] = reg = loop_new("registrar");
	loops[4] = flusher = loop_new("flusher");
	loops[5] = store = loop_new("store");
	b.daemon = daemon_new(main_loop, &broker_hooks, &b);
	b.topic_manager = broker_spawn(config, &topic_manager_actor);
	b.offset_manager = broker_spawn(config, &offset_manager_actor);
	b.consumer_manager = broker_spawn(net, &consumer_manager_actor);
	b.queue_lock = broker_spawn(net, &queue_lock_actor);
	b.listener = broker_spawn(net, &listener_actor);
	b.dispatcher = broker_spawn(store, &dispatcher_actor);
	b.flusher = broker_spawn(flusher, &flusher_actor);
	b.writer = broker_spawn(net, &commitlog_writer_actor);
	b.cleaner = broker_spawn(store, &cleaner_actor);
	b.scheduler = broker_spawn(config, &scheduler_actor);
	b.sender = broker_spawn(net, &sender_actor);
	b.puller = broker_spawn(net, &puller_actor);
	b.status = broker_spawn(net, &status_actor);
	b.registrar = broker_spawn(reg, &registrar_actor);
	actor_set_hwm(b.writer, BROKER_WRITER_HWM);
	broker_groups_source(&b);

	/*
	 * In order: the files first (a corrupt one stops the start), then
	 * the listener (its bound port is part of every message's id), the
	 * store (recovered, if it must be, before anything uses it), what
	 * serves clients, and last the registrar, so the name servers only
	 * learn of a broker that answers.  They stop in reverse order: the
	 * registrar unregisters first, the send and pull paths answer what
	 * they hold, the writer what it holds, the flusher flushes, the
	 * dispatcher checkpoints, and the offsets are written.
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
	daemon_configure(b.daemon, b.dispatcher, broker_store_config(&b),
	    EX_DATAERR);
	daemon_configure(b.daemon, b.flusher, NULL, 0);
	daemon_configure(b.daemon, b.writer, NULL, 0);
	daemon_configure(b.daemon, b.cleaner, broker_cleaner_config(&b),
	    EX_CONFIG);
	daemon_configure(b.daemon, b.scheduler, broker_scheduler_config(&b),
	    EX_DATAERR);
	daemon_configure(b.daemon, b.sender, broker_sender_config(&b),
	    EX_CONFIG);
	daemon_configure(b.daemon, b.puller, broker_puller_config(&b),
	    EX_CONFIG);
	daemon_configure(b.daemon, b.status, broker_status_config(&b),
	    EX_CONFIG);
	daemon_configure(b.daemon, b.registrar, broker_registrar_config(&b),
	    EX_CONFIG);
	for (i = 1; i < BROKER_LOOPS; i++) {
		if (loop_start(loops[i]) != 0)
			fatalx("cannot start loop %s", loop_name(loops[i]));
	}

	log_info("starting %s %s in %s", BROKER_PROG, PACKAGE_VERSION,
	    b.conf.root);
	rc = daemon_run(b.daemon);
	daemon_shutdown(b.daemon, loops, BROKER_LOOPS);
	conf_free(broker_keys, &b.conf);
	libevent_global_shutdown();
	close(b.lock_fd);
	log_info("stopped%s", rc == EX_OK ? "" : " after an error");
	return (rc);
}
