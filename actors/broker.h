/*
 * The broker's control-plane actors and what they share.  Their requests
 * are in proto/broker.proto, their private messages in
 * proto/brokerd.proto.
 *
 *	topic_manager	topics (config/topics); answers lookups
 *	registrar	registers with every name server
 *	offset_manager	committed consumer offsets (config/consumerOffsets)
 *	consumer_manager client heartbeats, group members
 *	queue_lock	queue locks of ordered consumers
 *
 * Loops: topic_manager and offset_manager write their files with fsync(2),
 * which blocks; the daemon runs them on a loop of their own ("config") so
 * no actor of the send or pull path ever waits for a disk.  The registrar
 * runs on a loop of its own ("registrar") whose event_base its name server
 * connections (lib/rpc.h) use.  consumer_manager and queue_lock never
 * block and may share a loop with the listener.
 */
#ifndef BROKER_H
#define BROKER_H

#include <stddef.h>
#include <stdint.h>

#include "actor.h"

#define BROKER_NAME_MAX		127	/* bytes in a topic or group name */
#define BROKER_CLIENT_ID_MAX	255	/* bytes in a client id */
#define BROKER_QUEUES_MAX	1024	/* read or write queues of a topic */
#define BROKER_BATCH_MAX	4096	/* queues in one lock or commit */
#define BROKER_RETRY_PREFIX	"%RETRY%"
#define BROKER_DLQ_PREFIX	"%DLQ%"

#define BROKER_REGISTER_MS	30000	/* registrar's interval */
#define BROKER_RPC_TIMEOUT_MS	3000	/* one call to a name server */
#define BROKER_OFFSET_FLUSH_MS	5000	/* offset manager's interval */
#define BROKER_CLIENT_EXPIRE_MS	120000	/* a silent client is dropped */
#define BROKER_SCAN_MS		10000	/* consumer manager, queue lock */
#define BROKER_LOCK_EXPIRE_MS	60000	/* a queue lock not renewed */

extern const struct actor_type topic_manager_actor;
extern const struct actor_type registrar_actor;
extern const struct actor_type offset_manager_actor;
extern const struct actor_type consumer_manager_actor;
extern const struct actor_type queue_lock_actor;

/* actors/brokerlib.c */
enum brokerlib_name {
	BROKERLIB_TOPIC,	/* may be a %RETRY%/%DLQ% one */
	BROKERLIB_USER_TOPIC,	/* the reserved prefixes refused */
	BROKERLIB_GROUP
};

const char	*brokerlib_check_name(const char *, const char *,
		    enum brokerlib_name, char *, size_t);
const char	*brokerlib_check_client_id(const char *, char *, size_t);
char		*brokerlib_config_path(const char *, const char *, char **);
uint64_t	 brokerlib_mono_ms(void);
uint64_t	 brokerlib_wall_ms(void);

#endif /* BROKER_H */
