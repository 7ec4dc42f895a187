/*
 * The name server's actors: the route manager (brokers, topics and
 * routes), the heartbeat scanner (ticks the route manager to drop silent
 * brokers) and the key/value store (namespaced config, kept on disk).
 * Their private messages are in proto/namesrvd.proto.
 */
#ifndef NAMESRV_H
#define NAMESRV_H

#include "actor.h"
#include "name.h"

#define NAMESRV_NAME_MAX	NAME_LEN_MAX	/* cluster, broker, topic */
#define NAMESRV_ADDR_MAX	255	/* bytes in a host:port */
#define NAMESRV_MAX_TOPICS	100000	/* topics in one registration */
#define NAMESRV_EXPIRE_MS	120000	/* a broker silent this long goes */
#define NAMESRV_SCAN_MS		10000	/* how often the scanner ticks */

extern const struct actor_type route_manager_actor;
extern const struct actor_type heartbeat_scanner_actor;
extern const struct actor_type kvstore_actor;

#endif /* NAMESRV_H */
