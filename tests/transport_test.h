/*
 * A test server for tests/check_rpc.c and tests/check_listener.c: a loop
 * on its own thread running the listener actor (actors/listener.c) on a
 * free loopback port and an echo actor it routes requests to, plus
 * detached actors the test reads from (the asker of ListenerConfig, the
 * watcher of closed connections, and a "slow" actor whose mailbox nobody
 * drains).  Also a raw blocking client that speaks frames, for sending
 * what no well-behaved client would.
 *
 * The echo actor answers
 *	KV_GET key		KvGetResponse{value = key}; key "wrong" gets
 *				a KvPutResponse (the wrong type), a key
 *				"encoded..." the same answer as an
 *				EncodedAnswer in parts
 *	KV_PUT ns "error"	Petrel__Error{status = atoi(key), text = value}
 *	KV_PUT otherwise	KvPutResponse; counts the puts
 *	KV_DELETE		nothing, ever (timeouts)
 *	KV_LIST			KvListResponse with one entry per put so far
 * GET_ROUTE goes to the slow actor; REGISTER_BROKER has no route.
 */
#ifndef TRANSPORT_TEST_H
#define TRANSPORT_TEST_H

#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "actor.h"
#include "proto/frame.pb-c.h"
#include "proto/transport.pb-c.h"

#define TEST_WAIT_MS	5000
#define TEST_SERVER	"petrel-test 1.0"

struct evbuffer;

struct tserver {
	struct loop	*loop;
	struct actor	*listener;
	struct actor	*echo;
	struct actor	*probe;		/* detached: asks, gets answers */
	struct actor	*watcher;	/* detached: ConnectionClosed */
	struct actor	*slow;		/* detached: GET_ROUTE, SEND_MESSAGE
					   (encoded) */
	struct actor	*extra;		/* a second listener, if any */
	uint32_t	 max_unsent;	/* for tserver_listen() */
	uint16_t	 port;
	char		 address[64];
};

void		 test_tick(void);
ProtobufCMessage *test_wait_msg(struct actor *,
		    const ProtobufCMessageDescriptor *, struct envelope *,
		    uint64_t);
Petrel__ListenerReady *tserver_listen(struct tserver *, struct actor *,
		    const char *, uint32_t, uint32_t);
int		 tserver_start(struct tserver *, const char *, uint32_t);
void		 tserver_stop_listener(struct tserver *, struct actor *);
void		 tserver_stop(struct tserver *);
int		 raw_connect(uint16_t);
int		 raw_send(int, struct evbuffer *);
int		 raw_send_msg(int, uint32_t, uint64_t, uint32_t,
		    const ProtobufCMessage *);
Petrel__Frame	*raw_read(int, struct evbuffer *, int *);
int		 raw_wait_eof(int);

#endif /* TRANSPORT_TEST_H */
