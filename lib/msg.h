/*
 * Protobuf-c messages on the heap.  A message built with msg_new() owns
 * every pointer field (set them with xstrdup(), msg_bytes() and the like),
 * so msg_free() frees it whole, exactly as it frees one made by
 * msg_unpack().
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

#endif /* MSG_H */
