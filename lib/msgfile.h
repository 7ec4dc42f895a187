/*
 * Small files holding one protobuf-c message: a 20-byte header (an 8-byte
 * magic naming what the file holds, a version, the payload length and the
 * payload's CRC-32C, each 4 bytes big-endian), then the encoded message.
 * The topic table, the consumer offsets and the name server's key/value
 * table are kept this way.
 */
#ifndef MSGFILE_H
#define MSGFILE_H

#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

#define MSGFILE_HEADER	20
#define MSGFILE_MAX	(512U * 1024 * 1024)	/* default bound on a file */

int	msgfile_save(const char *, const char *, const ProtobufCMessage *,
	    char **);
int	msgfile_load(const char *, const char *, const char *,
	    const ProtobufCMessageDescriptor *, size_t, ProtobufCMessage **,
	    char **);

#endif /* MSGFILE_H */
