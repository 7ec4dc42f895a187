/*
 * Protobuf-c messages on the heap.  A message built with msg_new() owns
 * every pointer field (set them with xstrdup(), msg_bytes() and the like),
 * so msg_free() frees it whole, exactly as it frees one made by
 * msg_unpack().
 *
 * msg_wire_next() reads an encoding field by field, in place, for a
 * decoder of its own where protobuf-c's generic one costs too much (a
 * consumer's pulls and a producer's answers, lib/petrel_msg.c; the
 * broker's sends, actors/brokermsg.c); msg_wire_varint_*(),
 * msg_wire_bytes_*() and msg_wire_uint_*() serve the encoders by hand of
 * frames, sends and their answers, and pull answers.  Those are inline:
 * every field is sized before it is written.
 */
#ifndef MSG_H
#define MSG_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <protobuf-c/protobuf-c.h>

void	*msg_new(const ProtobufCMessageDescriptor *);
void	 msg_free(void *);
void	*msg_unpack(const ProtobufCMessageDescriptor *, const uint8_t *,
	    size_t);
void	*msg_dup(const void *);
int	 msg_is(const void *, const ProtobufCMessageDescriptor *);
void	 msg_set_string(char **, const char *);
void	 msg_set_bytes(ProtobufCBinaryData *, const void *, size_t);
void	 msg_move_string(char **, char **);
void	 msg_move_bytes(ProtobufCBinaryData *, ProtobufCBinaryData *);
void	*msg_array_add(void ***, size_t *, void *);

/*
 * Field numbers of the messages of proto/broker.proto that are coded by
 * hand: a pull's answer is encoded by the broker (actors/brokermsg.c) and
 * decoded by the client (lib/petrel_msg.c) without protobuf-c.
 */
#define MSG_F_TOPIC		1	/* Message */
#define MSG_F_QUEUE_ID		2
#define MSG_F_QUEUE_OFFSET	3
#define MSG_F_COMMIT_LOG_OFFSET	4
#define MSG_F_MSG_ID		5
#define MSG_F_UNIQUE_ID		6
#define MSG_F_FLAGS		7
#define MSG_F_BODY		8
#define MSG_F_TAGS		9
#define MSG_F_KEYS		10
#define MSG_F_PROPERTIES	11
#define MSG_F_BORN_MS		12
#define MSG_F_BORN_HOST		13
#define MSG_F_STORE_MS		14
#define MSG_F_STORE_HOST	15
#define MSG_F_RECONSUME_TIMES	16
#define MSG_F_BODY_CRC		17
#define MSG_F_LAST		17
#define PROP_F_NAME		1	/* Property */
#define PROP_F_VALUE		2
#define PULL_F_STATUS		1	/* PullMessageResponse */
#define PULL_F_MESSAGES		2
#define PULL_F_NEXT_OFFSET	3
#define PULL_F_MIN_OFFSET	4
#define PULL_F_MAX_OFFSET	5

/*
 * Sends are coded by hand too: a producer encodes the requests and decodes
 * the answers (lib/petrel_msg.c), the broker decodes the requests and
 * encodes the answers (actors/brokermsg.c, actors/sender.c).
 */
#define OUT_F_BODY		1	/* OutgoingMessage */
#define OUT_F_FLAGS		2
#define OUT_F_TAGS		3
#define OUT_F_KEYS		4
#define OUT_F_PROPERTIES	5
#define OUT_F_UNIQUE_ID		6
#define OUT_F_DELAY_LEVEL	7
#define OUT_F_BORN_MS		8
#define SEND_F_GROUP		1	/* SendMessageRequest, SendBatch... */
#define SEND_F_TOPIC		2
#define SEND_F_QUEUE_ID		3
#define SEND_F_BORN_HOST	4
#define SEND_F_MESSAGES		5	/* message, or repeated messages */
#define SEND_F_RECONSUME	6	/* SendMessageRequest only */
#define SEND_F_MAX_RECONSUME	7
#define SENT_F_STATUS		1	/* SendMessageResponse, SendBatch... */
#define SENT_F_RESULTS		2	/* result, or repeated results */
#define RESULT_F_MSG_ID		1	/* SendResult */
#define RESULT_F_UNIQUE_ID	2
#define RESULT_F_QUEUE_ID	3
#define RESULT_F_QUEUE_OFFSET	4
#define RESULT_F_COMMIT_LOG_OFFSET 5

/* One field of an encoding, as msg_wire_next() finds it. */
struct msg_field {
	uint32_t	 number;
	uint32_t	 wire;		/* a ProtobufCWireType */
	uint64_t	 value;		/* varint, 32-bit or 64-bit */
	const uint8_t	*data;		/* length-delimited: bytes */
	size_t		 len;
};

/*
 * Copy the len bytes of a string field at p into dst (size bytes) as a C
 * string: cut at size - 1 bytes, or at a NUL, where a decoded string's
 * char * ends.
 */
static inline void
msg_wire_string(char *dst, size_t size, const uint8_t *p, size_t len)
{
	len = strnlen((const char *)p, len < size - 1 ? len : size - 1);
	memcpy(dst, p, len);
	dst[len] = '\0';
}

int	 msg_wire_varint_get(const uint8_t **, const uint8_t *, unsigned int,
	    uint64_t *);
int	 msg_wire_next(const uint8_t **, const uint8_t *,
	    struct msg_field *);
int	 msg_wire_prop(const uint8_t *, size_t, struct msg_field *,
	    struct msg_field *);

/*
 * Bytes of the varint encoding of v: one for each 7 of its significant
 * bits.  Inline: encoders by hand size every field before writing it.
 */
static inline size_t
msg_wire_varint_len(uint64_t v)
{
	return ((size_t)(64 - __builtin_clzll(v | 1) + 6) / 7);
}

/* Write v as a varint at p; returns the byte after it. */
static inline uint8_t *
msg_wire_varint_put(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return (p);
}

/* Bytes of field number as a length-delimited field of len bytes. */
static inline size_t
msg_wire_bytes_len(uint32_t number, size_t len)
{
	return (msg_wire_varint_len((uint64_t)number << 3 |
	    PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED) + msg_wire_varint_len(len) +
	    len);
}

/*
 * Write field number, length-delimited, of the len bytes at data (NULL
 * if len is 0) at p; returns the byte after it.
 */
static inline uint8_t *
msg_wire_bytes_put(uint8_t *p, uint32_t number, const void *data, size_t len)
{
	p = msg_wire_varint_put(p, (uint64_t)number << 3 |
	    PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED);
	p = msg_wire_varint_put(p, len);
	if (len != 0)
		memcpy(p, data, len);
	return (p + len);
}

/* Bytes of field number as a varint field of value v. */
static inline size_t
msg_wire_uint_len(uint32_t number, uint64_t v)
{
	return (msg_wire_varint_len((uint64_t)number << 3 |
	    PROTOBUF_C_WIRE_TYPE_VARINT) + msg_wire_varint_len(v));
}

/*
 * Write field number as a varint field of value v at p (an int32 below 0
 * goes as its 64-bit sign extension, as protobuf-c writes it); returns the
 * byte after it.
 */
static inline uint8_t *
msg_wire_uint_put(uint8_t *p, uint32_t number, uint64_t v)
{
	p = msg_wire_varint_put(p, (uint64_t)number << 3 |
	    PROTOBUF_C_WIRE_TYPE_VARINT);
	return (msg_wire_varint_put(p, v));
}

#endif /* MSG_H */
