/*
 * Protobuf-c messages on the heap.  A message built with msg_new() owns
 * every pointer field (set them with xstrdup(), msg_bytes() and the like),
 * so msg_free() frees it whole, exactly as it frees one made by
 * msg_unpack().
 *
 * msg_wire_next() reads an encoding field by field, in place, for a
 * decoder of its own where protobuf-c's generic one costs too much (a
 * consumer's pulls, lib/petrel_msg.c).
 */
#ifndef MSG_H
#define MSG_H

#include <stddef.h>
#include <stdint.h>

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

/* One field of an encoding, as msg_wire_next() finds it. */
struct msg_field {
	uint32_t	 number;
	uint32_t	 wire;		/* a ProtobufCWireType */
	uint64_t	 value;		/* varint, 32-bit or 64-bit */
	const uint8_t	*data;		/* length-delimited: bytes */
	size_t		 len;
};

int	 msg_wire_next(const uint8_t **, const uint8_t *,
	    struct msg_field *);

#endif /* MSG_H */
