/*
 * libFuzzer target for the frame decoder (lib/frame.c): the input is what
 * a peer sent on a connection.  Frames are read off it as the listener
 * reads them; each body is decoded by its code's request or response
 * descriptor (lib/codes.c) and each frame that decodes is written back
 * with frame_write() and must read back the same.  The decoders by hand
 * of the send path must agree with protobuf-c: the broker's of each
 * message of a send (brokermsg_out_read(), whose record must then read
 * back), the client's of a send's answer (client_send_decode()).  Built
 * with libFuzzer by --enable-fuzzing and tests/integration/fuzz_frame.sh,
 * and with tests/fuzz/replay.c into a program that replays the seed
 * corpus.
 */
#include "config.h"

#include <event2/buffer.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "client.h"
#include "codes.h"
#include "commitlog.h"
#include "frame.h"
#include "log.h"
#include "msg.h"
#include "proto/broker.pb-c.h"

#define FUZZ_MAX_FRAME	(1024 * 1024)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void	fuzz_body(const Petrel__Frame *);
static void	fuzz_rewrite(const Petrel__Frame *);
static void	fuzz_send(const uint8_t *, size_t);
static void	fuzz_sent(const uint8_t *, size_t, int);

/*
 * Each message of a send body (field 5): the broker reads it by hand
 * exactly when protobuf-c decodes it, and a message it takes is laid out
 * as a record that reads back with its body.
 */
static void
fuzz_send(const uint8_t *body, size_t len)
{
	const uint8_t		*p = body;
	struct msg_field	 f;
	struct brokermsg_out	 o;
	struct brokermsg_place	 pl;
	struct commitlog_msg	 cm;
	ProtobufCMessage	*m;
	uint8_t			*rec = NULL;
	size_t			 rlen, rcap = 0, scap = 0;
	char			*scratch = NULL, *cause = NULL, why[256];
	int			 rc;

	if (len == 0)
		return;		/* no messages; and no pointer */
	memset(&pl, 0, sizeof pl);
	pl.topic = "TopicTest";
	while (msg_wire_next(&p, body + len, &f) == 1) {
		if (f.number != SEND_F_MESSAGES ||
		    f.wire != PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED)
			continue;
		rc = brokermsg_out_read(f.data, f.len, &o, why, sizeof why);
		m = msg_unpack(&petrel__outgoing_message__descriptor, f.data,
		    f.len);
		if ((m == NULL) != (rc == BROKERMSG_UNDECODABLE))
			fatalx("broker and protobuf-c disagree on a message");
		msg_free(m);
		if (rc != 0)
			continue;
		rlen = 0;
		if (brokermsg_out_record(&o, &pl, &rec, &rlen, &rcap,
		    &scratch, &scap, why, sizeof why) == 0)
			continue;	/* properties over a record's */
		if (commitlog_parse(rec, rlen, &cm, &cause) != 0)
			fatalx("a record laid out does not read: %s", cause);
		if (cm.body_len != o.body_len ||
		    (o.body_len != 0 && memcmp(cm.body, o.body, o.body_len) != 0))
			fatalx("a record laid out lost its body");
	}
	free(rec);
	free(scratch);
}

/* A send's answer: the client reads it by hand when protobuf-c does. */
static void
fuzz_sent(const uint8_t *body, size_t len, int batch)
{
	struct petrel_send_result	 res[4], *rp[4];
	ProtobufCMessage		*m;
	uint32_t			 status;
	size_t				 count, i;
	int				 rc;

	for (i = 0; i < 4; i++)
		rp[i] = &res[i];
	rc = client_send_decode(body, len, batch, &status, rp, 4, &count);
	m = msg_unpack(batch ? &petrel__send_batch_response__descriptor :
	    &petrel__send_message_response__descriptor, body, len);
	if ((m == NULL) != (rc != 0))
		fatalx("client and protobuf-c disagree on an answer");
	msg_free(m);
}

/* Decode the body by the frame's code, as listener and client would. */
static void
fuzz_body(const Petrel__Frame *f)
{
	const struct code_info		*ci;
	const ProtobufCMessageDescriptor *desc;
	ProtobufCMessage		*m;

	if ((ci = codes_lookup(f->code)) == NULL)
		return;
	if (f->flags & PETREL__FRAME_FLAG__FRAME_RESPONSE)
		desc = ci->response;
	else
		desc = ci->request;
	m = msg_unpack(desc, f->body.data, f->body.len);
	msg_free(m);
	if (f->code != PETREL__REQUEST_CODE__CODE_SEND_MESSAGE &&
	    f->code != PETREL__REQUEST_CODE__CODE_SEND_BATCH)
		return;
	if (f->flags & PETREL__FRAME_FLAG__FRAME_RESPONSE)
		fuzz_sent(f->body.data, f->body.len,
		    f->code == PETREL__REQUEST_CODE__CODE_SEND_BATCH);
	else
		fuzz_send(f->body.data, f->body.len);
}

/*
 * The known fields of a decoded frame must survive being written and read
 * again.  Unknown fields are left out: protobuf-c keeps them as they came
 * (even a field number 0, which it then refuses to decode), and Petrel
 * never sends a received frame on.
 */
static void
fuzz_rewrite(const Petrel__Frame *f)
{
	struct evbuffer	*b = evbuffer_new();
	Petrel__Frame	 known = PETREL__FRAME__INIT;
	Petrel__Frame	*g;
	char		*cause = NULL;

	known.version = f->version;
	known.code = f->code;
	known.id = f->id;
	known.flags = f->flags;
	known.status = f->status;
	known.error = f->error;
	known.body = f->body;
	if (frame_write(b, &known) != 0)
		fatalx("frame_write failed");
	if (frame_read(b, FUZZ_MAX_FRAME * 2, &g, &cause) != 1)
		fatalx("rewritten frame does not read back: %s",
		    cause != NULL ? cause : "need more");
	if (g->code != f->code || g->id != f->id || g->flags != f->flags ||
	    g->status != f->status || strcmp(g->error, f->error) != 0 ||
	    g->body.len != f->body.len ||
	    (f->body.len != 0 &&
	    memcmp(g->body.data, f->body.data, f->body.len) != 0))
		fatalx("rewritten frame differs");
	if (evbuffer_get_length(b) != 0)
		fatalx("rewritten frame left bytes behind");
	msg_free(g);
	evbuffer_free(b);
}

/* One input: everything a peer sent, in one piece. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct evbuffer	*b = evbuffer_new();
	Petrel__Frame	*f;
	char		*cause;
	int		 rc;

	evbuffer_add(b, data, size);
	for (;;) {
		cause = NULL;
		rc = frame_read(b, FUZZ_MAX_FRAME, &f, &cause);
		if (rc == 0)
			break;
		if (rc == -1 && cause == NULL)
			fatalx("frame_read failed without a cause");
		free(cause);
		if (f == NULL)
			break;	/* the connection would close */
		fuzz_body(f);
		if (rc == 1)
			fuzz_rewrite(f);
		msg_free(f);
	}
	evbuffer_free(b);
	return (0);
}
