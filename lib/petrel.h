/*
 * libpetrel: the Petrel client library (see libpetrel(3)).
 *
 * A client (struct petrel_client) is a loop of the library's own, on a
 * thread of its own, with the connections to the name servers and brokers,
 * the route cache (refreshed every 30 s by default and at once after a
 * failure) and the heartbeats to brokers (every 30 s by default).
 * Producers and consumers made from a client are actors on that loop; the
 * calls below only hand them work and, for the blocking ones, wait for the
 * answer (a blocking call alone in waiting runs the loop itself
 * meanwhile).  Every handle may be used from any thread.  One client per
 * process is usually enough.
 *
 * Errors: calls return 0 (or a count) on success and -1 on failure with
 * *err filled in (err may be NULL).  Codes are the Status numbers of
 * proto/frame.proto: the broker's (TOPIC_NOT_EXIST, SYSTEM_BUSY, ...) or
 * the client's own 900 range (TIMEOUT, CONNECT_FAILED, ...);
 * petrel_strerror() names them.
 */
#ifndef PETREL_H
#define PETREL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PETREL_OK			0
#define PETREL_E_SYSTEM			1	/* the server failed */
#define PETREL_E_BUSY			2	/* the broker is overloaded */
#define PETREL_E_BAD_REQUEST		4	/* an argument broke a limit */
#define PETREL_E_NOT_FOUND		5
#define PETREL_E_FLUSH_DISK_TIMEOUT	200	/* stored, not known durable */
#define PETREL_E_MESSAGE_ILLEGAL	203
#define PETREL_E_SERVICE_NOT_AVAILABLE	204
#define PETREL_E_TOPIC_NOT_EXIST	205
#define PETREL_E_NOT_WRITABLE		206
#define PETREL_E_TIMEOUT		900
#define PETREL_E_CONNECTION_CLOSED	901
#define PETREL_E_CONNECT_FAILED		902
#define PETREL_E_PROTOCOL		903
#define PETREL_E_NOT_SENT		904	/* refused before sending */

#define PETREL_ID_MAX		64	/* bytes of a message id and its NUL */
#define PETREL_NAME_MAX		128	/* of a topic or broker name and NUL */

struct petrel_error {
	int	code;
	char	text[256];
};

const char	*petrel_strerror(int);
const char	*petrel_version(void);

/* ------------------------------------------------------------ client */

struct petrel_client;

/* RocketMQ's pollNameServerInterval and heartbeatBrokerInterval. */
struct petrel_client_options {
	uint32_t	 poll_namesrv_ms;	/* route refresh, 30000 */
	uint32_t	 heartbeat_ms;		/* heartbeats to brokers, 30000 */
};

#define PETREL_INTERVAL_MIN_MS	100	/* of either interval */
#define PETREL_INTERVAL_MAX_MS	3600000

void	petrel_client_options_init(struct petrel_client_options *);
/* namesrv: "host:port;host:port".  Starts the library's thread. */
struct petrel_client *petrel_client_new(const char *, struct petrel_error *);
/* The same with options o (NULL for the defaults). */
struct petrel_client *petrel_client_new_opts(const char *,
	    const struct petrel_client_options *, struct petrel_error *);
/* Stops everything made from the client (after their own free calls). */
void	petrel_client_free(struct petrel_client *);

/* ------------------------------------------------------------ messages */

struct petrel_msg;

/* A message to send to topic with a copy of len bytes of body. */
struct petrel_msg *petrel_msg_new(const char *, const void *, size_t);
void	petrel_msg_free(struct petrel_msg *);
int	petrel_msg_set_tag(struct petrel_msg *, const char *);
int	petrel_msg_add_key(struct petrel_msg *, const char *);
int	petrel_msg_set_property(struct petrel_msg *, const char *,
	    const char *);
int	petrel_msg_set_delay_level(struct petrel_msg *, int);	/* 0-18 */

const char	*petrel_msg_topic(const struct petrel_msg *);
const void	*petrel_msg_body(const struct petrel_msg *, size_t *);
const char	*petrel_msg_tag(const struct petrel_msg *);	/* "" if none */
size_t		 petrel_msg_nkeys(const struct petrel_msg *);
const char	*petrel_msg_key(const struct petrel_msg *, size_t);
const char	*petrel_msg_property(const struct petrel_msg *, const char *);
/* Set on received messages: */
const char	*petrel_msg_id(const struct petrel_msg *);
const char	*petrel_msg_unique_id(const struct petrel_msg *);
const char	*petrel_msg_broker(const struct petrel_msg *);
uint32_t	 petrel_msg_queue_id(const struct petrel_msg *);
uint64_t	 petrel_msg_queue_offset(const struct petrel_msg *);
uint64_t	 petrel_msg_born_ms(const struct petrel_msg *);
uint64_t	 petrel_msg_store_ms(const struct petrel_msg *);
uint32_t	 petrel_msg_reconsume_times(const struct petrel_msg *);

/* ------------------------------------------------------------ producer */

struct petrel_producer;

struct petrel_producer_options {
	const char	*group;		/* producer group, "DEFAULT_PRODUCER" */
	uint32_t	 timeout_ms;	/* of one send, 3000 */
	uint32_t	 retries;	/* of a failed sync send, 2 */
	uint32_t	 compress_over;	/* LZ4 bodies above, bytes, 4096 */
	uint32_t	 max_in_flight;	/* async sends waiting, 65536 */
};

struct petrel_send_result {
	int		status;		/* PETREL_OK or _FLUSH_DISK_TIMEOUT */
	char		msg_id[PETREL_ID_MAX];
	char		unique_id[PETREL_ID_MAX];
	char		broker[PETREL_NAME_MAX];
	uint32_t	queue_id;
	uint64_t	queue_offset;
};

typedef void (*petrel_send_cb)(const struct petrel_send_result *,
    const struct petrel_error *, void *);
/* Which of nqueues write queues a message goes to. */
typedef uint32_t (*petrel_selector)(uint32_t, const struct petrel_msg *,
    void *);

void	petrel_producer_options_init(struct petrel_producer_options *);
struct petrel_producer *petrel_producer_new(struct petrel_client *,
	    const struct petrel_producer_options *, struct petrel_error *);
/* Waits for the async sends still in flight, then frees. */
void	petrel_producer_free(struct petrel_producer *);

/* Blocking: returns once the broker answered (retrying another broker). */
int	petrel_send(struct petrel_producer *, const struct petrel_msg *,
	    struct petrel_send_result *, struct petrel_error *);
/* The callback runs where the loop runs: keep it short, never block. */
int	petrel_send_async(struct petrel_producer *, const struct petrel_msg *,
	    petrel_send_cb, void *, struct petrel_error *);
int	petrel_send_oneway(struct petrel_producer *, const struct petrel_msg *,
	    struct petrel_error *);
/* Messages of one topic, to one queue, all or none; n results. */
int	petrel_send_batch(struct petrel_producer *,
	    const struct petrel_msg *const *, size_t,
	    struct petrel_send_result *, struct petrel_error *);
/* Ordered: every message of a sharding key goes to the same queue. */
int	petrel_send_ordered(struct petrel_producer *, const struct petrel_msg *,
	    const char *, struct petrel_send_result *, struct petrel_error *);
int	petrel_send_select(struct petrel_producer *, const struct petrel_msg *,
	    petrel_selector, void *, struct petrel_send_result *,
	    struct petrel_error *);
/* Wait until no async send is in flight; -1 with TIMEOUT after ms. */
int	petrel_producer_flush(struct petrel_producer *, uint32_t,
	    struct petrel_error *);

/* ------------------------------------------------------------ consumer */

struct petrel_consumer;

enum petrel_model {
	PETREL_CLUSTERING,		/* members share the queues */
	PETREL_BROADCASTING		/* every member sees everything */
};

enum petrel_from {			/* where a new group starts */
	PETREL_FROM_LAST,
	PETREL_FROM_FIRST,
	PETREL_FROM_TIME
};

enum petrel_rebalance {
	PETREL_AVERAGE,			/* contiguous runs of queues */
	PETREL_AVERAGE_CIRCLE		/* queue i to member i mod n */
};

enum petrel_consume_status {
	PETREL_CONSUME_SUCCESS,
	PETREL_CONSUME_LATER		/* retry: back to the broker */
};

struct petrel_consumer_options {
	const char		*group;		/* required */
	enum petrel_model	 model;
	enum petrel_from	 from;
	uint64_t		 from_ms;	/* PETREL_FROM_TIME */
	enum petrel_rebalance	 rebalance;
	int			 orderly;	/* lock queues, one batch of a
						   queue at a time, in order */
	uint32_t		 threads;	/* push callbacks, 4 */
	uint32_t		 batch;		/* messages a callback, 1 */
	uint32_t		 max_unprocessed; /* per queue, 1000 */
	uint32_t		 max_reconsume;	/* before the DLQ, 16 */
	const char		*offset_file;	/* broadcasting; default under
						   $HOME/.petrel */
	uint32_t		 rebalance_ms;	/* between rebalances, 20000 */
	uint32_t		 pull_batch;	/* messages a pull, 32 */
	uint32_t		 lock_ms;	/* orderly: renew the queue
						   locks, 20000 */
};

/* Called on a consumer thread with n messages of one queue. */
typedef enum petrel_consume_status (*petrel_listener)(
    struct petrel_msg *const *, size_t, void *);

void	petrel_consumer_options_init(struct petrel_consumer_options *);
struct petrel_consumer *petrel_consumer_new(struct petrel_client *,
	    const struct petrel_consumer_options *, struct petrel_error *);
/* expr: "*" or "TagA || TagB". */
int	petrel_consumer_subscribe(struct petrel_consumer *, const char *,
	    const char *, struct petrel_error *);
/* Push: start pulling and calling back. */
int	petrel_consumer_start_push(struct petrel_consumer *, petrel_listener,
	    void *, struct petrel_error *);
/* Pull: start pulling; take messages with petrel_consumer_poll(). */
int	petrel_consumer_start(struct petrel_consumer *, struct petrel_error *);
/*
 * Up to max messages (each to be handed back with petrel_consumer_done),
 * waiting up to timeout_ms for the first; the count, 0 on timeout.
 */
int	petrel_consumer_poll(struct petrel_consumer *, struct petrel_msg **,
	    size_t, uint32_t, struct petrel_error *);
/* A polled message is consumed (or to be retried); frees it. */
void	petrel_consumer_done(struct petrel_consumer *, struct petrel_msg *,
	    enum petrel_consume_status);
/* The queues this member owns now, up to max; how many it owns. */
struct petrel_queue {
	char		topic[PETREL_NAME_MAX];
	char		broker[PETREL_NAME_MAX];
	uint32_t	queue_id;
};
size_t	petrel_consumer_queues(struct petrel_consumer *,
	    struct petrel_queue *, size_t);
/* Stops pulling, waits for callbacks, commits offsets, leaves the group. */
void	petrel_consumer_free(struct petrel_consumer *);

#ifdef __cplusplus
}
#endif

#endif /* PETREL_H */
