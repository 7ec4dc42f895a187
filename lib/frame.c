/*
 * Frames on the wire: a 4-byte big-endian length, then an encoded
 * petrel.Frame.  frame_read() takes one frame off an input evbuffer;
 * frame_write(), frame_write_msg() and frame_write_parts() (a body encoded
 * already) pack one straight into the free space of an output evbuffer,
 * so writing a frame costs no allocation of its own and no system call:
 * the bufferevent sends everything written in one loop turn together.
 * The common frame is read by hand (frame_read_quick()), its body copied
 * once out of the evbuffer.  The listener (actors/listener.c) and the
 * client (lib/rpc.c) are the callers.
 */
#include "config.h"

#include <sys/uio.h>

#include <event2/buffer.h>
#include <stdint.h>
#include <string.h>

#include "frame.h"
#include "log.h"
#include "msg.h"
#include "xmalloc.h"

/* Field numbers of Frame, and the tag of its body (length-delimited). */
#define FRAME_F_VERSION	1
#define FRAME_F_CODE	2
#define FRAME_F_ID	3
#define FRAME_F_FLAGS	4
#define FRAME_F_STATUS	5
#define FRAME_F_BODY	7
#define FRAME_BODY_TAG	\
	(FRAME_F_BODY << 3 | PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED)
#define FRAME_HEAD_MAX	48	/* bytes of fields before the body */

static uint8_t	*frame_put_header(uint8_t *, size_t);
static int	frame_reserve(struct evbuffer *, size_t, struct evbuffer_iovec *);
static int	frame_begin(struct evbuffer *, uint32_t, uint64_t, uint32_t,
		    uint32_t, const char *, size_t, struct evbuffer_iovec *,
		    uint8_t **);

/*
 * Whether in starts with a whole frame header; if so, the length of the
 * frame that follows it in *len.  Nothing is taken off in.
 */
int
frame_peek(struct evbuffer *in, size_t *len)
{
	uint8_t	hdr[FRAME_HEADER_SIZE];

	if (evbuffer_get_length(in) < FRAME_HEADER_SIZE)
		return (0);
	if (evbuffer_copyout(in, hdr, sizeof hdr) != (ssize_t)sizeof hdr)
		fatalx("%s: evbuffer_copyout short", __func__);
	*len = (size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 |
	    (size_t)hdr[2] << 8 | hdr[3];
	return (1);
}

/*
 * Read the frame of len bytes at the front of in (after its header) the
 * quick way, if it is the common shape: varint fields, then the body,
 * ending the frame.  The body is copied once, straight out of the chains
 * into its own allocation, with no evbuffer_pullup() copy before it; what
 * is left of the frame's bytes is taken off in.  NULL, with nothing taken
 * off, for any other shape (an error text, fields after the body, a bad
 * field), which protobuf-c then decodes, or refuses, as it would anyway.
 */
static Petrel__Frame *
frame_read_quick(struct evbuffer *in, size_t len)
{
	uint8_t			 head[FRAME_HEADER_SIZE + FRAME_HEAD_MAX];
	const uint8_t		*p, *end;
	struct msg_field	 fl;
	Petrel__Frame		*f;
	uint64_t		 blen;
	size_t			 have, at;

	have = len < FRAME_HEAD_MAX ? len : FRAME_HEAD_MAX;
	if (evbuffer_copyout(in, head, FRAME_HEADER_SIZE + have) !=
	    (ev_ssize_t)(FRAME_HEADER_SIZE + have))
		fatalx("%s: evbuffer_copyout short", __func__);
	p = head + FRAME_HEADER_SIZE;
	end = p + have;
	f = msg_new(&petrel__frame__descriptor);
	while (p < end && *p != FRAME_BODY_TAG) {
		if (msg_wire_next(&p, end, &fl) != 1 ||
		    fl.wire != PROTOBUF_C_WIRE_TYPE_VARINT)
			goto slow;
		switch (fl.number) {
		case FRAME_F_VERSION:
			f->version = (uint32_t)fl.value;
			break;
		case FRAME_F_CODE:
			f->code = (uint32_t)fl.value;
			break;
		case FRAME_F_ID:
			f->id = fl.value;
			break;
		case FRAME_F_FLAGS:
			f->flags = (uint32_t)fl.value;
			break;
		case FRAME_F_STATUS:
			f->status = (uint32_t)fl.value;
			break;
		default:
			goto slow;
		}
	}
	/* The body's tag, its length, its bytes. */
	if (p == end)
		goto slow;
	p++;
	if (msg_wire_varint_get(&p, end, 5, &blen) != 0)
		goto slow;
	at = (size_t)(p - head);
	if (blen == 0 || at - FRAME_HEADER_SIZE + blen != len)
		goto slow;	/* not the body ending the frame */
	evbuffer_drain(in, at);
	f->body.data = xmalloc(blen);
	f->body.len = blen;
	if (evbuffer_remove(in, f->body.data, blen) != (int)blen)
		fatalx("%s: evbuffer_remove short", __func__);
	return (f);
slow:
	msg_free(f);
	return (NULL);
}

/*
 * Take one frame off in.  Returns 1 with *frame set (the caller frees it
 * with msg_free()), 0 when in holds no whole frame yet, or -1 with *cause
 * set when the frame is bad: declared longer than max (nothing is read or
 * allocated then), undecodable, or of a protocol version this release does
 * not speak.  In the last case the frame decoded, is drained and is still
 * returned in *frame so the caller may answer it; otherwise *frame is NULL
 * and the connection should be closed.
 */
int
frame_read(struct evbuffer *in, size_t max, Petrel__Frame **frame,
    char **cause)
{
	static const uint8_t	 empty[1];
	const uint8_t		*data;
	Petrel__Frame		*f;
	size_t			 len;

	*frame = NULL;
	if (!frame_peek(in, &len))
		return (0);
	if (len > max) {
		xasprintf(cause, "frame of %zu bytes is over the limit of %zu",
		    len, max);
		return (-1);
	}
	if (evbuffer_get_length(in) - FRAME_HEADER_SIZE < len)
		return (0);

	if ((f = frame_read_quick(in, len)) != NULL)
		goto check;
	if (len == 0)
		data = empty;
	else if ((data = evbuffer_pullup(in, FRAME_HEADER_SIZE + len)) == NULL)
		fatalx("%s: evbuffer_pullup failed", __func__);
	else
		data += FRAME_HEADER_SIZE;
	f = (Petrel__Frame *)protobuf_c_message_unpack(
	    &petrel__frame__descriptor, NULL, len, data);
	evbuffer_drain(in, FRAME_HEADER_SIZE + len);
	if (f == NULL) {
		xasprintf(cause, "undecodable frame of %zu bytes", len);
		return (-1);
	}
check:
	if (f->version != PETREL__PROTOCOL_VERSION__PROTOCOL_VERSION_1) {
		xasprintf(cause, "protocol version %u is not supported",
		    f->version);
		*frame = f;
		return (-1);
	}
	*frame = f;
	return (1);
}

/* Write the 4-byte big-endian length; returns where the frame goes. */
static uint8_t *
frame_put_header(uint8_t *p, size_t len)
{
	p[0] = (uint8_t)(len >> 24);
	p[1] = (uint8_t)(len >> 16);
	p[2] = (uint8_t)(len >> 8);
	p[3] = (uint8_t)len;
	return (p + FRAME_HEADER_SIZE);
}

/* Reserve size contiguous bytes at the end of out. */
static int
frame_reserve(struct evbuffer *out, size_t size, struct evbuffer_iovec *vec)
{
	if (evbuffer_reserve_space(out, size, vec, 1) != 1 ||
	    vec->iov_len < size) {
		log_warnx("%s: cannot reserve %zu bytes", __func__, size);
		return (-1);
	}
	return (0);
}

/* Append frame to out, length first.  Returns 0, or -1 if too large. */
int
frame_write(struct evbuffer *out, const Petrel__Frame *frame)
{
	struct evbuffer_iovec	 vec;
	uint8_t			*p;
	size_t			 len;

	len = protobuf_c_message_get_packed_size(&frame->base);
	if (len > UINT32_MAX || frame_reserve(out, FRAME_HEADER_SIZE + len,
	    &vec) != 0)
		return (-1);
	p = frame_put_header(vec.iov_base, len);
	if (protobuf_c_message_pack(&frame->base, p) != len)
		fatalx("%s: packed size changed", __func__);
	vec.iov_len = FRAME_HEADER_SIZE + len;
	return (evbuffer_commit_space(out, &vec, 1));
}

/*
 * Reserve room in out for a frame of protocol version 1 with a body of
 * blen bytes (0: none) and write all but the body's bytes: the envelope's
 * other fields come first and the body, its last field, after them, so
 * this is exactly the encoding of the whole Frame.  *p is where the body
 * goes.  0, or -1 if too large.
 */
static int
frame_begin(struct evbuffer *out, uint32_t code, uint64_t id, uint32_t flags,
    uint32_t status, const char *error, size_t blen,
    struct evbuffer_iovec *vec, uint8_t **p)
{
	Petrel__Frame	 f = PETREL__FRAME__INIT;
	size_t		 len;

	f.version = PETREL__PROTOCOL_VERSION__PROTOCOL_VERSION_1;
	f.code = code;
	f.id = id;
	f.flags = flags;
	f.status = status;
	if (error != NULL && *error != '\0')
		f.error = (char *)error;
	len = protobuf_c_message_get_packed_size(&f.base);
	if (blen != 0)
		len += 1 + msg_wire_varint_len(blen) + blen;
	if (len > UINT32_MAX || frame_reserve(out, FRAME_HEADER_SIZE + len,
	    vec) != 0)
		return (-1);
	*p = frame_put_header(vec->iov_base, len);
	*p += protobuf_c_message_pack(&f.base, *p);
	if (blen != 0) {
		*(*p)++ = FRAME_BODY_TAG;
		*p = msg_wire_varint_put(*p, blen);
	}
	vec->iov_len = FRAME_HEADER_SIZE + len;
	return (0);
}

/*
 * Append a frame of protocol version 1 carrying body (NULL for none) to
 * out, the body packed in place.  error may be NULL.
 */
int
frame_write_msg(struct evbuffer *out, uint32_t code, uint64_t id,
    uint32_t flags, uint32_t status, const char *error,
    const ProtobufCMessage *body)
{
	struct evbuffer_iovec	 vec;
	uint8_t			*p;
	size_t			 blen;

	blen = body != NULL ? protobuf_c_message_get_packed_size(body) : 0;
	if (frame_begin(out, code, id, flags, status, error, blen, &vec,
	    &p) != 0)
		return (-1);
	if (blen != 0)
		p += protobuf_c_message_pack(body, p);
	if ((size_t)(p - (uint8_t *)vec.iov_base) != vec.iov_len)
		fatalx("%s: packed size changed", __func__);
	return (evbuffer_commit_space(out, &vec, 1));
}

/*
 * frame_write_msg() with a body encoded already: the n parts one after
 * another (their total may be 0: no body).
 */
int
frame_write_parts(struct evbuffer *out, uint32_t code, uint64_t id,
    uint32_t flags, uint32_t status, const char *error,
    const ProtobufCBinaryData *parts, size_t n)
{
	struct evbuffer_iovec	 vec;
	uint8_t			*p;
	size_t			 blen = 0, i;

	for (i = 0; i < n; i++)
		blen += parts[i].len;
	if (frame_begin(out, code, id, flags, status, error, blen, &vec,
	    &p) != 0)
		return (-1);
	for (i = 0; i < n; i++) {
		if (parts[i].len != 0)
			memcpy(p, parts[i].data, parts[i].len);
		p += parts[i].len;
	}
	return (evbuffer_commit_space(out, &vec, 1));
}

/* The name of a Status ("STATUS_OK"), or "STATUS_UNKNOWN". */
const char *
frame_status_name(uint32_t status)
{
	const ProtobufCEnumValue	*v;

	if (status > INT32_MAX)
		return ("STATUS_UNKNOWN");
	v = protobuf_c_enum_descriptor_get_value(&petrel__status__descriptor,
	    (int)status);
	return (v != NULL ? v->name : "STATUS_UNKNOWN");
}
