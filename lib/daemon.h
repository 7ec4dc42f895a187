/*
 * What every Petrel daemon's main() shares: the command line, readiness
 * and state over $NOTIFY_SOCKET (sd_notify(3) without libsystemd), the
 * systemd watchdog, signals on the main loop, libevent's diagnostics, and
 * a supervisor actor that configures the daemon's actors in order, waits
 * for each to acknowledge, and at the end stops them in reverse order.
 */
#ifndef DAEMON_H
#define DAEMON_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "proto/transport.pb-c.h"

#ifndef nitems
#define nitems(a)	(sizeof (a) / sizeof (a)[0])
#endif

struct actor;
struct daemon;
struct loop;

struct conf_key;

struct daemon_args {
	const char	*conf;		/* -f FILE, else the default */
	int		 conf_given;	/* -f was given: the file must exist */
	long		 port;		/* -p PORT, else -1 */
	int		 foreground;	/* -d */
	int		 check;		/* -n */
	int		 verbose;	/* -v, counted */
	int		 print_config;	/* --print-config */
};

/* What a daemon's main() gives the supervisor; every hook is optional. */
struct daemon_hooks {
	/* An actor took its configuration (Configured, ListenerReady). */
	void	(*configured)(void *, struct actor *, const ProtobufCMessage *);
	/* Every actor is configured: send READY with a STATUS. */
	void	(*ready)(void *);
	/*
	 * SIGHUP: build a new configuration and hand changes out with
	 * daemon_reconfigure(); ready is called again once they are taken.
	 */
	void	(*reload)(void *);
	/* The watchdog is due: return 0 if something is stuck. */
	int	(*alive)(void *);
};

#define DAEMON_STOP_TIMEOUT_MS	10000	/* per actor, then give up on it */

int		 daemon_parse_args(struct daemon_args *, const char *,
		    const char *, int, char **);
void		 daemon_usage(const char *);
int		 daemon_conf_load(const struct conf_key *, void *, size_t,
		    const struct daemon_args *, char **);
char		*daemon_state_dir(const char *);
int		 daemon_notify(const char *, ...)
		    __attribute__((__format__ (printf, 1, 2)));
void		 daemon_libevent_init(void);
void		 daemon_malloc_init(void);
int		 daemon_detach(void);
void		 daemon_detached_ready(void);

struct daemon	*daemon_new(struct loop *, const struct daemon_hooks *,
		    void *);
void		 daemon_free(struct daemon *);
void		 daemon_configure(struct daemon *, struct actor *, void *, int);
void		 daemon_reconfigure(struct daemon *, struct actor *, void *);
int		 daemon_run(struct daemon *);
void		 daemon_stop(struct daemon *, int);
void		 daemon_shutdown(struct daemon *, struct loop **, size_t);

Petrel__ListenerConfig *daemon_listener_config(const char *, const char *,
		    int64_t, int64_t);
void		 daemon_route(Petrel__ListenerConfig *, const uint32_t *,
		    size_t, struct actor *, int);
void		 daemon_watch(Petrel__ListenerConfig *, struct actor *);
void		 daemon_listening(const char *, unsigned int);
int		 daemon_state(struct daemon *);

#define DAEMON_CONFIGURING	0
#define DAEMON_RUNNING		1
#define DAEMON_STOPPING		2
#define DAEMON_STOPPED		3

#endif /* DAEMON_H */
