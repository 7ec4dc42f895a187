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
#include "name.h"

#define BROKER_NAME_MAX		NAME_LEN_MAX	/* topic, group, broker */
#define BROKER_CLIENT_ID_MAX	255	/* bytes in a client id */
#define BROKER_QUEUES_MAX	1024	/* read or write queues of a topic */
#define BROKER_BATCH_MAX	4096	/* queues in one lock or commit */
#define BROKER_RETRY_PREFIX	"%RETRY%"
#define BROKER_DLQ_PREFIX	"%DLQ%"
#define BROKER_DELAY_TOPIC	"%DELAY%"	/* queue n-1: delay level n */
#define BROKER_DELAY_LEVELS	18
#define BROKER_MAX_RECONSUME	16	/* tries before the DLQ */
#define BROKER_SUSPEND_MAX_MS	60000	/* longest held pull */
#define BROKER_PULL_MAX		1024	/* messages in one pull */
#define BROKER_BATCH_SEND_MAX	1024	/* messages in one batch send */
#define BROKER_GROUPS_MAX	1024	/* groups in a group list answer */
#define BROKER_GROUPS_TOPICS_MAX 16384	/* topic names in one */

/* Properties the broker sets on messages it moves (petrel-protocol(7)). */
#define BROKER_PROP_REAL_TOPIC	"REAL_TOPIC"	/* delayed: where it goes */
#define BROKER_PROP_REAL_QID	"REAL_QID"
#define BROKER_PROP_DELAY	"DELAY"		/* its delay level */
#define BROKER_PROP_RETRY_TOPIC	"RETRY_TOPIC"	/* retried: where it came from */
#define BROKER_PROP_ORIGIN_ID	"ORIGIN_MESSAGE_ID"
#define BROKER_PROP_MAX_RECONSUME "MAX_RECONSUME_TIMES"

#define BROKERMSG_ID_MAX	57	/* bytes of an offset id and its NUL */
#define BROKERMSG_HOST_MAX	64	/* "[v6]:port" and its NUL */

#define BROKER_REGISTER_MS	30000	/* registrar's interval */
#define BROKER_RPC_TIMEOUT_MS	3000	/* one call to a name server */
#define BROKER_OFFSET_FLUSH_MS	5000	/* offset manager's interval */
#define BROKER_CLIENT_EXPIRE_MS	120000	/* a silent client is dropped */
#define BROKER_SCAN_MS		10000	/* consumer manager, queue lock */
#define BROKER_LOCK_EXPIRE_MS	60000	/* a queue lock not renewed */
#define BROKER_DISPATCH_MS	1	/* new records dispatched at most */

extern const struct actor_type topic_manager_actor;
extern const struct actor_type registrar_actor;
extern const struct actor_type offset_manager_actor;
extern const struct actor_type consumer_manager_actor;
extern const struct actor_type queue_lock_actor;
extern const struct actor_type sender_actor;
extern const struct actor_type puller_actor;
extern const struct actor_type scheduler_actor;
extern const struct actor_type status_actor;

/* actors/brokerlib.c */
struct Petrel__Counters;

enum brokerlib_name {
	BROKERLIB_TOPIC,	/* may be a %RETRY%/%DLQ% one */
	BROKERLIB_USER_TOPIC,	/* the reserved prefixes refused */
	BROKERLIB_GROUP
};

const char	*brokerlib_check_name(const char *, const char *,
		    enum brokerlib_name, char *, size_t);
const char	*brokerlib_check_client_id(const char *, char *, size_t);
char		*brokerlib_config_path(const char *, const char *, char **);
struct Petrel__Counters *brokerlib_counter(struct Petrel__Counters *,
		    const char *, uint64_t);

/* actors/brokermsg.c: messages between the wire and the store. */
struct Petrel__StoreMessage;
struct Petrel__Message;
struct Petrel__TopicConfig;
struct Petrel__TopicTable;

extern const uint32_t	brokermsg_delay_ms[BROKER_DELAY_LEVELS + 1];

void	 brokermsg_id(const uint8_t *, uint32_t, uint64_t, char *);
int	 brokermsg_parse_id(const char *, uint8_t *, uint32_t *, uint64_t *);
int	 brokermsg_parse_host(const char *, uint8_t *, uint32_t *);
void	 brokermsg_format_host(const uint8_t *, uint32_t, char *);

/* An OutgoingMessage of a send, read in place (brokermsg_out_read()). */
struct brokermsg_out {
	const uint8_t	*enc;		/* its encoding */
	size_t		 enc_len;
	const uint8_t	*body;
	size_t		 body_len;
	const char	*tags, *uniq;	/* not NUL-terminated */
	size_t		 tags_len, uniq_len;
	uint32_t	 flags;
	uint32_t	 delay_level;
	uint64_t	 born_ts;
	size_t		 keys_len;	/* "k1 k2": its bytes, 0 for none */
	size_t		 props_len;	/* user properties as a record's */
};

/* A name and a value, not NUL-terminated. */
struct brokermsg_pair {
	const char	*name, *value;
	size_t		 name_len, value_len;
};

/* Where the messages of a send are stored (brokermsg_out_record()). */
struct brokermsg_place {
	const char	*topic;
	uint32_t	 queue_id;
	uint8_t		 born[16];
	uint16_t	 born_port;
	uint64_t	 now;		/* ms: born time if none is given */
	uint32_t	 reconsume;
	struct {
		const char	*name, *value;
	}		 extra[4];	/* the broker's properties */
	size_t		 nextra;
};

/* One message's SendResult (brokermsg_put_result()). */
struct brokermsg_result {
	const char	*uniq;
	size_t		 uniq_len;
	uint32_t	 queue_id;
	uint64_t	 queue_offset;
	uint64_t	 commit_offset;
	int		 stored;	/* offsets known */
};

#define BROKERMSG_UNDECODABLE	(-1)
#define BROKERMSG_ILLEGAL	(-2)
#define BROKERMSG_RESULT_MAX	160	/* bytes of an encoded SendResult */

int	 brokermsg_out_read(const uint8_t *, size_t, struct brokermsg_out *,
	    char *, size_t);
size_t	 brokermsg_out_record(const struct brokermsg_out *,
	    const struct brokermsg_place *, uint8_t **, size_t *, size_t *,
	    char **, size_t *, char *, size_t);
size_t	 brokermsg_put_result(uint8_t *, const struct brokermsg_result *,
	    const uint8_t *, uint32_t);
struct Petrel__Message *brokermsg_to_wire(struct Petrel__StoreMessage *);
struct commitlog_msg;
size_t	 brokermsg_encode(const struct commitlog_msg *, uint32_t, uint8_t **,
	    size_t *, size_t *);
const char *brokermsg_prop(const struct Petrel__StoreMessage *,
	    const char *);
void	 brokermsg_set_prop(struct Petrel__StoreMessage *, const char *,
	    const char *);
void	 brokermsg_del_prop(struct Petrel__StoreMessage *, const char *);

/* actors/topiccache.c: an actor's copy of the topic table. */
struct topiccache;

struct topiccache *topiccache_new(void);
void	 topiccache_free(struct topiccache *);
void	 topiccache_load(struct topiccache *, const struct Petrel__TopicTable *);
void	 topiccache_put(struct topiccache *, const struct Petrel__TopicConfig *);
const struct Petrel__TopicConfig *topiccache_get(struct topiccache *,
	    const char *);
size_t	 topiccache_count(struct topiccache *);

#endif /* BROKER_H */
