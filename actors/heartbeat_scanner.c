/*
 * Heartbeat scanner: on a repeating timer (10 s by default) it sends
 * ScanBrokers to the route manager, which drops the brokers that have not
 * registered within their expiry.  Configured by HeartbeatScannerConfig,
 * again on reload to change the interval.
 */
#include "config.h"

#include <inttypes.h>
#include <time.h>

#include "actor.h"
#include "clock.h"
#include "log.h"
#include "msg.h"
#include "namesrv.h"

#include "proto/namesrvd.pb-c.h"
#include "proto/runtime.pb-c.h"

#define HEARTBEAT_SCANNER_TIMER	1

struct heartbeat_scanner {
	struct actor	*self;
	struct actor	*route_manager;
	uint64_t	 interval_ms;
	uint64_t	 scans;		/* ScanBrokers sent */
};

static int	heartbeat_scanner_init(struct actor *, void *);
static void	heartbeat_scanner_fini(void *);
static int	heartbeat_scanner_on_config(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	heartbeat_scanner_on_tick(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	heartbeat_scanner_on_stop(void *, ProtobufCMessage *,
		    const struct envelope *);

static const struct actor_handler heartbeat_scanner_handlers[] = {
	{ &petrel__heartbeat_scanner_config__descriptor,
	  heartbeat_scanner_on_config },
	{ &petrel__tick__descriptor, heartbeat_scanner_on_tick },
	{ &petrel__stop__descriptor, heartbeat_scanner_on_stop },
	{ NULL, NULL }
};

const struct actor_type heartbeat_scanner_actor = {
	.name = "heartbeat_scanner",
	.size = sizeof(struct heartbeat_scanner),
	.init = heartbeat_scanner_init,
	.fini = heartbeat_scanner_fini,
	.handlers = heartbeat_scanner_handlers
};

/* Remember the actor; the timer starts when configured. */
static int
heartbeat_scanner_init(struct actor *a, void *state)
{
	struct heartbeat_scanner	*hs = state;

	hs->self = a;
	return (0);
}

/* Nothing to free: the runtime frees the timer. */
static void
heartbeat_scanner_fini(void *state)
{
}

/* HeartbeatScannerConfig: whom to tick and how often. */
static int
heartbeat_scanner_on_config(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct heartbeat_scanner	 *hs = state;
	Petrel__HeartbeatScannerConfig	 *c =
	    (Petrel__HeartbeatScannerConfig *)m;
	Petrel__Configured		 *ack;
	struct actor			 *rm;

	ack = msg_new(&petrel__configured__descriptor);
	rm = c->route_manager != 0 ? actor_deref(c->route_manager) : NULL;
	if (c->interval_ms == 0)
		msg_set_string(&ack->error, "scan interval is zero");
	else if (rm == NULL)
		msg_set_string(&ack->error, "no route manager to scan");
	else {
		hs->route_manager = rm;
		hs->interval_ms = c->interval_ms;
		actor_timer_cancel(hs->self, HEARTBEAT_SCANNER_TIMER);
		if (actor_timer(hs->self, HEARTBEAT_SCANNER_TIMER,
		    hs->interval_ms, 1) != 0)
			msg_set_string(&ack->error, "cannot start the timer");
		else
			log_debug("heartbeat scanner: every %" PRIu64 " ms",
			    hs->interval_ms);
	}
	actor_reply(env, ack);
	return (0);
}

/* The timer: ask the route manager to scan. */
static int
heartbeat_scanner_on_tick(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct heartbeat_scanner	*hs = state;
	Petrel__Tick			*t = (Petrel__Tick *)m;
	Petrel__ScanBrokers		*scan;

	if (t->id != HEARTBEAT_SCANNER_TIMER || hs->route_manager == NULL)
		return (0);
	scan = msg_new(&petrel__scan_brokers__descriptor);
	scan->now_ms = clock_mono_ms();
	hs->scans++;
	return (actor_send(hs->route_manager, scan));
}

/* Stop: no more ticks. */
static int
heartbeat_scanner_on_stop(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct heartbeat_scanner	*hs = state;

	actor_timer_cancel(hs->self, HEARTBEAT_SCANNER_TIMER);
	hs->route_manager = NULL;
	return (actor_reply(env, msg_new(&petrel__stopped__descriptor)));
}
