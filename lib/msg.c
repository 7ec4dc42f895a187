/*
 * Protobuf-c messages on the heap.  Every message, built here or decoded
 * from the wire, uses the default allocator and owns all its pointer
 * fields, so protobuf_c_message_free_unpacked() frees any of them whole.
 * Empty proto3 strings point at protobuf_c_empty_string, which the free
 * skips (it is the field's default value).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "msg.h"
#include "xmalloc.h"

/* A zeroed, initialized message of the given type. */
void *
msg_new(const ProtobufCMessageDescriptor *desc)
{
	ProtobufCMessage	*m;

	m = xcalloc(1, desc->sizeof_message);
	protobuf_c_message_init(desc, m);
	return (m);
}

/* Free a message and everything it owns; NULL is fine. */
void
msg_free(void *m)
{
	if (m != NULL)
		protobuf_c_message_free_unpacked(m, NULL);
}

/* Decode a message; NULL if the bytes are not a valid one. */
void *
msg_unpack(const ProtobufCMessageDescriptor *desc, const uint8_t *data,
    size_t len)
{
	return (protobuf_c_message_unpack(desc, NULL, len, data));
}

/* A deep copy, made by encoding and decoding. */
void *
msg_dup(const void *m)
{
	const ProtobufCMessage	*pm = m;
	uint8_t			 stack[512], *buf = stack;
	size_t			 len;
	void			*copy;

	len = protobuf_c_message_get_packed_size(pm);
	if (len > sizeof stack)
		buf = xmalloc(len);
	protobuf_c_message_pack(pm, buf);
	copy = msg_unpack(pm->descriptor, buf, len);
	if (buf != stack)
		free(buf);
	if (copy == NULL)
		fatalx("%s: %s does not decode its own encoding", __func__,
		    pm->descriptor->name);
	return (copy);
}

/* Whether m is a message of type desc. */
int
msg_is(const void *m, const ProtobufCMessageDescriptor *desc)
{
	return (m != NULL && ((const ProtobufCMessage *)m)->descriptor == desc);
}

/* Replace a string field with a copy of s (NULL or "" leaves it empty). */
void
msg_set_string(char **field, const char *s)
{
	if (*field != NULL && *field != protobuf_c_empty_string)
		free(*field);
	if (s == NULL || *s == '\0')
		*field = (char *)protobuf_c_empty_string;
	else
		*field = xstrdup(s);
}

/* Move the string *from into *to (freeing what *to held); *from is left empty. */
void
msg_move_string(char **to, char **from)
{
	if (*to != NULL && *to != protobuf_c_empty_string)
		free(*to);
	*to = *from != NULL ? *from : (char *)protobuf_c_empty_string;
	*from = (char *)protobuf_c_empty_string;
}

/* Move the bytes of *from into *to (freeing what *to held). */
void
msg_move_bytes(ProtobufCBinaryData *to, ProtobufCBinaryData *from)
{
	free(to->data);
	*to = *from;
	from->data = NULL;
	from->len = 0;
}

/* Replace a bytes field with a copy of len bytes at data. */
void
msg_set_bytes(ProtobufCBinaryData *field, const void *data, size_t len)
{
	free(field->data);
	field->data = NULL;
	field->len = 0;
	if (len == 0)
		return;
	field->data = xmalloc(len);
	memcpy(field->data, data, len);
	field->len = len;
}

/*
 * Append item to a repeated field (an array of pointers and its count);
 * the message then owns item.  Returns item.
 */
void *
msg_array_add(void ***array, size_t *n, void *item)
{
	*array = xreallocarray(*array, *n + 1, sizeof **array);
	(*array)[(*n)++] = item;
	return (item);
}
