/*
 * The client side of the wire: one connection to one server, on the
 * caller's event_base.  Requests get ids, are matched to their responses
 * and time out one by one; a closed connection fails every pending request
 * at once.  Requests written in the same loop turn go out in one write.
 */
#ifndef RPC_H
#define RPC_H

#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

struct bufferevent;
struct event_base;
struct evbuffer;
struct rpc;

/*
 * Called once per request.  status is a Status of proto/frame.proto (a
 * 900-range one for local failures), error a reason or "" and body the
 * decoded response (NULL unless status is STATUS_OK).  The callback owns
 * body and frees it with msg_free().
 */
typedef void (*rpc_cb)(uint32_t, const char *, ProtobufCMessage *, void *);

/*
 * As rpc_cb, for rpc_call_raw() and rpc_call_parts(): instead of a
 * decoded body, the len bytes of its encoding at data (len 0 and data
 * NULL unless STATUS_OK), valid only during the call.
 */
typedef void (*rpc_raw_cb)(uint32_t, const char *, const uint8_t *, size_t,
    void *);

/*
 * Called for each request the server sends (code, decoded body).  The
 * callback owns body and frees it with msg_free().
 */
typedef void (*rpc_request_cb)(uint32_t, ProtobufCMessage *, void *);

/* Counters of one client, for tests and metrics. */
struct rpc_stats {
	uint64_t	calls;		/* requests sent, answered or not */
	uint64_t	oneways;	/* one-way requests sent */
	uint64_t	timeouts;	/* requests failed with STATUS_TIMEOUT */
	uint64_t	connects;	/* connections attempted */
	uint64_t	writes;		/* writes that emptied some of the output */
	uint64_t	bytes_out;	/* bytes written to the socket */
	uint64_t	requests_in;	/* requests the server sent */
	uint64_t	big_frames;	/* frames larger than a read, read
					   into a chain made for each */
};

struct rpc	*rpc_new(struct event_base *, const char *, char **);
void		 rpc_free(struct rpc *);
const char	*rpc_address(struct rpc *);
int		 rpc_connected(struct rpc *);
size_t		 rpc_pending(struct rpc *);
int		 rpc_call(struct rpc *, uint32_t, const ProtobufCMessage *,
		    uint32_t, rpc_cb, void *);
int		 rpc_call_raw(struct rpc *, uint32_t,
		    const ProtobufCMessage *, uint32_t, rpc_raw_cb, void *);
int		 rpc_call_parts(struct rpc *, uint32_t,
		    const ProtobufCBinaryData *, size_t, uint32_t, rpc_raw_cb,
		    void *);
int		 rpc_oneway(struct rpc *, uint32_t, const ProtobufCMessage *);
int		 rpc_oneway_parts(struct rpc *, uint32_t,
		    const ProtobufCBinaryData *, size_t);
uint32_t	 rpc_call_sync(struct rpc *, uint32_t, const ProtobufCMessage *,
		    uint32_t, ProtobufCMessage **, char **);
void		 rpc_on_request(struct rpc *, rpc_request_cb, void *);
void		 rpc_stats(struct rpc *, struct rpc_stats *);
ssize_t		 rpc_write_now(struct bufferevent *, struct evbuffer *);
size_t		 rpc_read_more(struct bufferevent *, size_t);
int		 rpc_parse_address(const char *, char **, uint16_t *, char **);
int		 rpc_resolve(const char *, uint16_t, struct sockaddr_storage *,
		    socklen_t *, char **);

#endif /* RPC_H */
