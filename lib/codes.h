/*
 * The request codes of proto/frame.proto and, for each, the messages it
 * takes and answers.  One table serves the listener (to decode a request
 * body), the client (to decode a response) and the protocol tests.
 */
#ifndef CODES_H
#define CODES_H

#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

struct code_info {
	uint32_t				 code;
	const char				*name;
	const ProtobufCMessageDescriptor	*request;
	const ProtobufCMessageDescriptor	*response;
};

const struct code_info	*codes_lookup(uint32_t);
const struct code_info	*codes_by_request(const ProtobufCMessageDescriptor *);
const struct code_info	*codes_all(void);

#endif /* CODES_H */
