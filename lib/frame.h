/*
 * Frames on the wire: a 4-byte big-endian length, then an encoded
 * petrel.Frame (proto/frame.proto).  The length is checked against the
 * limit before anything is allocated.
 */
#ifndef FRAME_H
#define FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "proto/frame.pb-c.h"

#define FRAME_MAX_DEFAULT	(16U * 1024 * 1024)
#define FRAME_HEADER_SIZE	4

struct evbuffer;

int	frame_peek(struct evbuffer *, size_t *);
int	frame_read(struct evbuffer *, size_t, Petrel__Frame **, char **);
int	frame_write(struct evbuffer *, const Petrel__Frame *);
int	frame_write_msg(struct evbuffer *, uint32_t, uint64_t, uint32_t,
	    uint32_t, const char *, const ProtobufCMessage *);
int	frame_write_parts(struct evbuffer *, uint32_t, uint64_t, uint32_t,
	    uint32_t, const char *, const ProtobufCBinaryData *, size_t);
const char *frame_status_name(uint32_t);


#endif /* FRAME_H */
