/*
 * Protobuf-c messages on the heap.  Every message, built here or decoded
 * from the wire, uses the default allocator and owns all its pointer
 * fields, so protobuf_c_message_free_unpacked() frees any of them whole.
 * Empty proto3 strings point at protobuf_c_empty_string, which the free
 * skips (it is the field's default value).
 *
 * msg_wire_next() reads an encoding field by field, in place, for callers
 * that decode a hot message themselves (lib/petrel_msg.c);
 * msg_wire_varint_len() and msg_wire_varint_put() are what encoders by
 * hand write varints with (lib/frame.c, actors/brokermsg.c), and
 * msg_wire_bytes_*() and msg_wire_uint_*() whole fields
 * (lib/petrel_msg.c).
 */
#include "config.h"

#include <stdint.h>
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

/* Move the string *from into *to, freeing what *to held; empty *from. */
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

/*
 * Read a varint of at most max bytes (10 for a value, 5 for a tag or a
 * length, as protobuf-c) at *p, before end, into *v; bits past the 64th
 * are dropped.  0, or -1 if it does not end in time.
 */
int
msg_wire_varint_get(const uint8_t **p, const uint8_t *end, unsigned int max,
    uint64_t *v)
{
	const uint8_t	*q = *p;
	uint64_t	 x = 0;
	unsigned int	 i;

	for (i = 0; i < max && q < end; i++) {
		x |= (uint64_t)(*q & 0x7f) << (7 * i);
		if ((*q++ & 0x80) == 0) {
			*v = x;
			*p = q;
			return (0);
		}
	}
	return (-1);
}

/*
 * The field of the encoding at *p (which ends at end) in *f; *p moves past
 * it.  Length-delimited fields point into the encoding.  Returns 1, 0 at
 * the end, or -1 if the bytes are no field: a one-byte tag of number 0, a
 * group or unknown wire type, a varint too long or a field running past
 * end.  It takes and refuses what protobuf-c does, down to a number 0 or
 * over 2^29 - 1 in a tag of several bytes, a field no message knows.
 */
int
msg_wire_next(const uint8_t **p, const uint8_t *end, struct msg_field *f)
{
	const uint8_t	*q = *p;
	uint64_t	 tag, v;
	int		 i;

	if (q == end)
		return (0);
	/* One-byte tags and values are the most of them: no loop. */
	if (*q < 0x80)
		tag = *q++;
	else if (msg_wire_varint_get(&q, end, 5, &tag) != 0)
		return (-1);
	if (tag < 8 && q == *p + 1)
		return (-1);	/* as protobuf-c: 0 only in a longer form */
	f->number = (uint32_t)(tag >> 3);
	f->wire = (uint32_t)(tag & 7);
	f->value = 0;
	f->data = NULL;
	f->len = 0;
	switch (f->wire) {
	case PROTOBUF_C_WIRE_TYPE_VARINT:
		if (q != end && *q < 0x80)
			f->value = *q++;
		else if (msg_wire_varint_get(&q, end, 10, &f->value) != 0)
			return (-1);
		break;
	case PROTOBUF_C_WIRE_TYPE_64BIT:
	case PROTOBUF_C_WIRE_TYPE_32BIT:
		f->len = f->wire == PROTOBUF_C_WIRE_TYPE_64BIT ? 8 : 4;
		if ((size_t)(end - q) < f->len)
			return (-1);
		for (i = (int)f->len - 1; i >= 0; i--)
			f->value = f->value << 8 | q[i];
		f->data = q;
		q += f->len;
		break;
	case PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED:
		if (q != end && *q < 0x80)
			v = *q++;
		else if (msg_wire_varint_get(&q, end, 5, &v) != 0)
			return (-1);
		if (v > (uint64_t)(end - q))
			return (-1);
		f->data = q;
		f->len = (size_t)v;
		q += f->len;
		break;
	default:
		return (-1);
	}
	*p = q;
	return (1);
}

/*
 * Read the Property (name 1, value 2) of len bytes at data into name and
 * value, pointing into data: empty if absent, the last of each if given
 * twice, as protobuf-c has it.  0, or -1 if it does not decode.
 */
int
msg_wire_prop(const uint8_t *data, size_t len, struct msg_field *name,
    struct msg_field *value)
{
	static const uint8_t	 empty[1];
	const uint8_t		*q = data;
	struct msg_field	 f;
	int			 rc;

	memset(name, 0, sizeof *name);
	memset(value, 0, sizeof *value);
	name->data = value->data = empty;
	if (len == 0)
		return (0);
	while ((rc = msg_wire_next(&q, data + len, &f)) == 1) {
		if (f.number != PROP_F_NAME && f.number != PROP_F_VALUE)
			continue;
		if (f.wire != PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED)
			return (-1);
		*(f.number == PROP_F_NAME ? name : value) = f;
	}
	return (rc);
}

