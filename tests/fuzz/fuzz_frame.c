/*
 * libFuzzer target for the frame decoder (lib/frame.c): the input is what
 * a peer sent on a connection.  Frames are read off it as the listener
 * reads them; each body is decoded by its code's request or response
 * descriptor (lib/codes.c) and each frame that decodes is written back
 * with frame_write() and must read back the same.  Built with libFuzzer by
 * --enable-fuzzing and tests/integration/fuzz_frame.sh, and with
 * tests/fuzz/replay.c into a program that replays the seed corpus.
 */
#include "config.h"

#include <event2/buffer.h>
#include <stdlib.h>
#include <string.h>

#include "codes.h"
#include "frame.h"
#include "log.h"
#include "msg.h"

#define FUZZ_MAX_FRAME	(1024 * 1024)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void	fuzz_body(const Petrel__Frame *);
static void	fuzz_rewrite(const Petrel__Frame *);

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
