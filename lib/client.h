/*
 * libpetrel's core, shared by the actors of a client's loop (the client
 * actor, producers, consumers) and the API files (lib/petrel_*.c).
 *
 * Threads.  Functions marked "loop" may only be called where the client's
 * loop runs (from an actor handler or an rpc callback: on the loop's
 * thread, or on a waiter it is lent to); the rest may be called from any
 * thread.  Connections, the route cache and the heartbeat registrations
 * are plain structures of struct petrel_client, touched only by the loop.
 *
 * Waiting.  An API call that must block puts a struct client_wait on its
 * stack, hands its address to an actor inside a message and calls
 * client_wait_for(), which runs the client's loop meanwhile when it is the
 * only one waiting (loop_await()); the actor answers exactly once with
 * client_wait_done().  A struct client_gate bounds what an API handle has
 * in flight (async sends), lets a caller wait for it to drain and carries
 * a producer's sends to its actor.
 */
#ifndef CLIENT_H
#define CLIENT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "petrel.h"
#include "proto/broker.pb-c.h"
#include "proto/namesrv.pb-c.h"

struct actor;
struct event_base;
struct loop;
struct rpc;

#define CLIENT_ROUTE_MS		30000	/* route refresh, by default */
#define CLIENT_HEARTBEAT_MS	30000	/* heartbeats to brokers, idem */
#define CLIENT_RPC_TIMEOUT_MS	3000	/* name server calls, heartbeats */
#define CLIENT_AVOID_MS		30000	/* a failed broker is avoided */
#define CLIENT_WAIT_PENDING	0	/* client_wait states */
#define CLIENT_WAIT_SLEEPING	1
#define CLIENT_WAIT_DONE	2

/*
 * A message: what is sent, or what was received (then the Message's
 * fields after the send, with the body decompressed).
 *
 * A received message is one block (client_msg_decode()): this struct (or
 * a larger one starting with it), then m with every field it points to,
 * then the broker's name; a decompressed body has an allocation of its
 * own.  No field of such an m is ever replaced or freed: a setter first
 * makes m an ordinary heap message (lib/petrel_msg.c), and the block's
 * copy stays unused until the free.
 */
struct petrel_msg {
	Petrel__Message	*m;		/* topic, body, tags, keys, props */
	uint32_t	 delay_level;	/* outgoing only */
	int		 inblock;	/* m lives in this block */
	void		*body;		/* inblock: decompressed body */
	const char	*broker;	/* received: the broker's name, in
					   this block; NULL otherwise */
};

/* A PullMessageResponse, its messages decoded by client_msg_decode(). */
struct client_pull {
	uint32_t		 status;
	uint64_t		 next_offset;
	uint64_t		 min_offset;
	uint64_t		 max_offset;
	struct petrel_msg	**msgs;		/* in order */
	size_t			 nmsgs;
};

#define CLIENT_UNIQUE_ID_LEN	32	/* hex digits of a unique id */
#define CLIENT_TICK_SENDS	1	/* a producer's Tick: take the sends
					   on its gate */

/*
 * One send from the API (lib/petrel_producer.c) to a producer actor: its
 * messages encoded by client_send_new(), each as field 5 of a
 * SendMessageRequest or SendBatchRequest (client_send_head() encodes the
 * fields before it), in one block with the topic.  It waits on the
 * producer's gate for the actor, which frees it with free(3) once
 * answered.
 */
struct client_send {
	struct client_send	*next;		/* on the gate */
	uint32_t		 mode;		/* a SendMode */
	int			 batch;		/* CODE_SEND_BATCH */
	struct client_wait	*waiter;	/* SEND_SYNC */
	petrel_send_cb		 cb;		/* SEND_ASYNC */
	void			*cb_arg;
	int			 sharded;	/* queue: shard_hash mod n */
	uint64_t		 shard_hash;
	petrel_selector		 selector;	/* or NULL */
	void			*selector_arg;
	const struct petrel_msg	*selector_msg;
	uint32_t		 delay_level;	/* of the first message */
	size_t			 nmsgs;
	size_t			 bodies;	/* bytes of bodies as sent */
	char			 unique_id[CLIENT_UNIQUE_ID_LEN + 1]; /* the
						   first message's */
	const char		*topic;		/* in this block */
	uint8_t			*data;		/* in this block */
	size_t			 len;
};

/* One write queue of a route: of a broker with a master. */
struct client_queue {
	const char	*broker;	/* name, in the route's response */
	const char	*address;	/* master's host:port */
	uint32_t	 queue_id;
};

/* A topic's route: the name server's answer and its write queues. */
struct client_route {
	char			 *topic;
	Petrel__GetRouteResponse *resp;
	struct client_queue	 *queues;	/* by broker name, queue id */
	size_t			  nqueues;
	uint64_t		  fetched_ms;	/* monotonic */
	int			  ordered;	/* some queue data says order */
};

/*
 * The route of topic fetched (status STATUS_OK, route set) or not (route
 * NULL, error says why).  route is valid during the callback's loop turn.
 */
typedef void (*client_route_cb)(const char *, const struct client_route *,
    uint32_t, const char *, void *);

/*
 * Waiting for an answer from the loop: a futex word, CLIENT_WAIT_PENDING,
 * _SLEEPING (the waiter sleeps on it) or _DONE, so an answer costs one
 * wake-up call only when someone sleeps, and a wait one call at most.
 */
struct client_wait {
	_Atomic uint32_t	 state;
	int			 code;		/* PETREL_OK or an error */
	char			 text[256];
	void			*arg;		/* the caller's answer space */
	size_t			 n;		/* its entries */
};

/*
 * What a handle has in flight, bounded, and the sends it posted that its
 * actor has not taken yet.
 */
struct client_gate {
	pthread_mutex_t		 lock;
	pthread_cond_t		 cond;
	size_t			 inflight;
	size_t			 max;
	int			 waiting;
	struct client_send	*head;		/* for the loop, oldest first */
	struct client_send	**tail;
};

/* lib/client.c: any thread */
struct loop		*client_loop(struct petrel_client *);
const char		*client_id(struct petrel_client *);
const char		*client_host(struct petrel_client *);
int			 client_on_loop(struct petrel_client *);
void			 client_error(struct petrel_error *, int, const char *,
			     ...) __attribute__((__format__ (printf, 3, 4)));
int		 client_name_ok(const char *, int);
void		 client_copy(char *, size_t, const char *);
void			 client_unique_id(char *, size_t);
void			 client_unique_id_at(char *, size_t, uint64_t);

void			 client_wait_init(struct client_wait *, void *,
			     size_t);
void			 client_wait_done(struct client_wait *, int,
			     const char *);
int			 client_wait_for(struct petrel_client *,
			     struct client_wait *, struct petrel_error *);
void			 client_gate_init(struct client_gate *, size_t);
void			 client_gate_fini(struct client_gate *);
int			 client_gate_enter(struct client_gate *, uint32_t);
int			 client_gate_post(struct client_gate *,
			     struct client_send *, int, uint32_t);
struct client_send	*client_gate_take(struct client_gate *);
void			 client_gate_leave(struct client_gate *);
void			 client_gate_leave_n(struct client_gate *, size_t);
int			 client_gate_drain(struct client_gate *, uint32_t);

/* lib/client.c: loop */
struct event_base	*client_base(struct petrel_client *);
struct rpc		*client_conn(struct petrel_client *, const char *);
const struct client_route *client_route_get(struct petrel_client *,
			     const char *);
void			 client_route(struct petrel_client *, const char *,
			     int, client_route_cb, void *);
void			 client_route_cancel(struct petrel_client *, void *);
void			 client_route_stale(struct petrel_client *,
			     const char *);
void			 client_add_producer(struct petrel_client *,
			     const char *);
void			 client_remove_producer(struct petrel_client *,
			     const char *);
void			 client_set_consumer(struct petrel_client *,
			     const char *, Petrel__ConsumerData *);
void			 client_heartbeat_now(struct petrel_client *);
void			 client_watch_group(struct petrel_client *,
			     const char *, uint64_t, uint32_t);

/* lib/client.c: routes as plain data (tests use them without a client) */
struct client_route	*client_route_build(const char *,
			     Petrel__GetRouteResponse *);
void			 client_route_free(struct client_route *);
const char		*client_route_master(const struct client_route *,
			     const char *);
int			 client_route_pick(const struct client_route *,
			     uint32_t *, const char *);

/* lib/petrel_msg.c */
struct petrel_msg	*client_msg_decode(const uint8_t *, size_t,
			     const char *, size_t);
int			 client_msg_decompress(struct petrel_msg *, char **);
int			 client_pull_decode(struct client_pull *,
			     const uint8_t *, size_t, const char *, size_t);
struct client_send	*client_send_new(const struct petrel_msg *const *,
			     size_t, uint32_t, struct petrel_error *);
size_t			 client_send_head(uint8_t *, size_t, const char *,
			     const char *, int32_t, const char *);
int			 client_send_decode(const uint8_t *, size_t, int,
			     uint32_t *, struct petrel_send_result *const *,
			     size_t, size_t *);
uint64_t		 client_shard_hash(const char *);

/* actors/producer.c */
extern const struct actor_type	producer_actor;

#endif /* CLIENT_H */
