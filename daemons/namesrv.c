/*
 * petrel-namesrv: the name server.  main() only composes: it reads the
 * command line and the configuration, starts three loops (main: the
 * supervisor and signals; net: listener, route manager and heartbeat
 * scanner; kv: the key/value store, which blocks on fsync), spawns the
 * actors, hands the supervisor (lib/daemon.c) their configurations, and
 * runs until a signal stops it.  SIGHUP rereads the file and applies what
 * can change while running; a bad file leaves the old configuration.
 */
#include "config.h"

#include <errno.h>
#include <event2/event.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "actor.h"
#include "conf.h"
#include "daemon.h"
#include "listener.h"
#include "log.h"
#include "msg.h"
#include "namesrv.h"
#include "namesrv_conf.h"
#include "xmalloc.h"

#include "proto/frame.pb-c.h"
#include "proto/namesrvd.pb-c.h"
#include "proto/transport.pb-c.h"

#define NAMESRV_PROG	"petrel-namesrv"
#define NAMESRV_CONF	SYSCONFDIR "/petrel/namesrv.conf"


struct namesrv {
	struct daemon_args	 args;
	struct namesrv_conf	 conf;
	struct daemon		*daemon;
	struct actor		*listener;
	struct actor		*route_manager;
	struct actor		*scanner;
	struct actor		*kvstore;
	uint32_t		 port;		/* bound */
};


/* The verbosity: the file's logLevel, raised by each -v. */
static int
namesrv_verbosity(struct namesrv *ns)
{
	return (ns->conf.log_level + ns->args.verbose);
}

/* The route manager's configuration message. */
static void *
namesrv_route_manager_config(struct namesrv *ns)
{
	Petrel__RouteManagerConfig	*c;

	c = msg_new(&petrel__route_manager_config__descriptor);
	c->broker_expire_ms = (uint64_t)ns->conf.broker_expire;
	return (c);
}

/* The heartbeat scanner's configuration message. */
static void *
namesrv_scanner_config(struct namesrv *ns)
{
	Petrel__HeartbeatScannerConfig	*c;

	c = msg_new(&petrel__heartbeat_scanner_config__descriptor);
	c->interval_ms = (uint64_t)ns->conf.scan_interval;
	c->route_manager = actor_ref(ns->route_manager);
	return (c);
}

/* The key/value store's configuration message. */
static void *
namesrv_kvstore_config(struct namesrv *ns)
{
	Petrel__KvStoreConfig	*c;

	c = msg_new(&petrel__kv_store_config__descriptor);
	msg_set_string(&c->path, ns->conf.kv_config_path);
	return (c);
}

/* The listener's configuration: address, limits, routes. */
static void *
namesrv_listener_config(struct namesrv *ns)
{
	static const uint32_t	 rm_codes[] = {
		PETREL__REQUEST_CODE__CODE_REGISTER_BROKER,
		PETREL__REQUEST_CODE__CODE_UNREGISTER_BROKER,
		PETREL__REQUEST_CODE__CODE_GET_ROUTE,
		PETREL__REQUEST_CODE__CODE_GET_CLUSTER_INFO,
		PETREL__REQUEST_CODE__CODE_GET_TOPIC_LIST,
		PETREL__REQUEST_CODE__CODE_DELETE_TOPIC
	};
	static const uint32_t	 kv_codes[] = {
		PETREL__REQUEST_CODE__CODE_KV_PUT,
		PETREL__REQUEST_CODE__CODE_KV_GET,
		PETREL__REQUEST_CODE__CODE_KV_DELETE,
		PETREL__REQUEST_CODE__CODE_KV_LIST
	};
	Petrel__ListenerConfig	*c;

	c = daemon_listener_config(NAMESRV_PROG, ns->conf.listen_address,
	    ns->conf.listen_port, ns->conf.max_frame);
	daemon_route(c, rm_codes, nitems(rm_codes), ns->route_manager, 0);
	daemon_route(c, kv_codes, nitems(kv_codes), ns->kvstore, 0);
	daemon_watch(c, ns->route_manager);
	return (c);
}

/* The supervisor's hook: an actor took its configuration. */
static void
namesrv_configured(void *arg, struct actor *a, const ProtobufCMessage *m)
{
	struct namesrv	*ns = arg;

	if (a == ns->listener && msg_is(m, &petrel__listener_ready__descriptor))
		ns->port = ((const Petrel__ListenerReady *)m)->port;
}

/* The supervisor's hook: everything is configured (or reconfigured). */
static void
namesrv_ready(void *arg)
{
	struct namesrv	*ns = arg;

	daemon_listening(ns->conf.listen_address, ns->port);
}

/* The supervisor's hook on SIGHUP: reread the file, apply what changed. */
static void
namesrv_reload(void *arg)
{
	struct namesrv		*ns = arg;
	struct namesrv_conf	 next;
	int64_t			 scan = ns->conf.scan_interval;
	int64_t			 expire = ns->conf.broker_expire;
	char			*cause;

	if (namesrv_conf_load(&next, &ns->args, &cause) != 0) {
		log_warnx("%s", cause);
		log_warnx("reload failed: keeping the running configuration");
		free(cause);
		return;
	}
	if (conf_merge(namesrv_keys, &ns->conf, &next) == 0)
		log_info("reload: nothing to change");
	conf_free(namesrv_keys, &next);
	log_setverbose(namesrv_verbosity(ns));
	if (ns->conf.broker_expire != expire)
		daemon_reconfigure(ns->daemon, ns->route_manager,
		    namesrv_route_manager_config(ns));
	if (ns->conf.scan_interval != scan)
		daemon_reconfigure(ns->daemon, ns->scanner,
		    namesrv_scanner_config(ns));
}

static const struct daemon_hooks namesrv_hooks = {
	.configured = namesrv_configured,
	.ready = namesrv_ready,
	.reload = namesrv_reload,
	.alive = NULL
};

/* Compose the name server and run it until a signal stops it. */
int
main(int argc, char **argv)
{
	struct namesrv	 ns;
	struct loop	*main_loop, *net, *kv, *loops[3];
	char		*cause;
	int		 rc;

	memset(&ns, 0, sizeof ns);
	rc = daemon_parse_args(&ns.args, NAMESRV_PROG, NAMESRV_CONF, argc,
	    argv);
	if (rc != -1)
		return (rc);
	log_init(NAMESRV_PROG, LOG_LEVEL_INFO + ns.args.verbose);
	if (namesrv_conf_load(&ns.conf, &ns.args, &cause) != 0) {
		fprintf(stderr, "%s\n", cause);
		free(cause);
		return (EX_CONFIG);
	}
	if (ns.args.print_config || ns.args.check) {
		if (ns.args.print_config)
			conf_print(namesrv_keys, &ns.conf, stdout);
		else
			fprintf(stderr, "%s: configuration OK\n",
			    ns.args.conf);
		conf_free(namesrv_keys, &ns.conf);
		return (EX_OK);
	}
	log_setverbose(namesrv_verbosity(&ns));

	daemon_malloc_init();
	daemon_libevent_init();
	if (!ns.args.foreground && getenv("NOTIFY_SOCKET") == NULL &&
	    daemon_detach() != 0)
		fatal("fork");

	main_loop = loop_new("main");
	net = loop_new("net");
	kv = loop_new("kv");
	ns.daemon = daemon_new(main_loop, &namesrv_hooks, &ns);
	ns.kvstore = actor_spawn(kv, &kvstore_actor, "kvstore");
	ns.route_manager = actor_spawn(net, &route_manager_actor,
	    "route_manager");
	ns.scanner = actor_spawn(net, &heartbeat_scanner_actor,
	    "heartbeat_scanner");
	ns.listener = actor_spawn(net, &listener_actor, "listener");
	if (ns.kvstore == NULL || ns.route_manager == NULL ||
	    ns.scanner == NULL || ns.listener == NULL)
		fatalx("cannot spawn the actors");

	daemon_configure(ns.daemon, ns.kvstore, namesrv_kvstore_config(&ns),
	    EX_DATAERR);
	daemon_configure(ns.daemon, ns.route_manager,
	    namesrv_route_manager_config(&ns), EX_CONFIG);
	daemon_configure(ns.daemon, ns.scanner, namesrv_scanner_config(&ns),
	    EX_CONFIG);
	daemon_configure(ns.daemon, ns.listener, namesrv_listener_config(&ns),
	    EX_UNAVAILABLE);
	if (loop_start(net) != 0 || loop_start(kv) != 0)
		fatalx("cannot start the loops");

	log_info("starting %s %s", NAMESRV_PROG, PACKAGE_VERSION);
	rc = daemon_run(ns.daemon);
	loops[0] = main_loop;
	loops[1] = net;
	loops[2] = kv;
	daemon_shutdown(ns.daemon, loops, 3);
	conf_free(namesrv_keys, &ns.conf);
	libevent_global_shutdown();
	log_info("stopped%s", rc == EX_OK ? "" : " after an error");
	return (rc);
}
