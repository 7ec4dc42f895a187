/*
 * libpetrel's messages (struct petrel_msg, lib/client.h): built by the
 * application to be sent, or made by a consumer from a Message a broker
 * handed out.
 *
 * Sending is the hot path of a producer, so a send is encoded by hand,
 * without protobuf-c's structures: client_send_new() checks messages
 * against the limits of proto/broker.proto and encodes each as the
 * OutgoingMessage of a send request, with a fresh unique id and, past a
 * size, an LZ4-compressed body, all in one block on the application's
 * thread; the producer actor puts client_send_head() before them for
 * the queue it chose, and reads the broker's answer in place with
 * client_send_decode() straight into the caller's results.  The bytes
 * are protobuf-c's own (tests/check_petrel_msg.c compares them, and the
 * decoder's verdicts, with protobuf-c's).
 *
 * Receiving is the hot path of a consumer draining a backlog, so it
 * allocates once a message and decodes by hand: client_pull_decode() reads
 * a pull's answer in place, and client_msg_decode() decodes each Message
 * into one block, sized exactly, that also holds the consumer's record
 * and the broker's name.  On a 1 KiB message that takes about half the
 * time protobuf-c's generic decoder takes, malloc and free included, and
 * the same input gives the same fields (tests/check_petrel_msg.c
 * compares them on every field of Message's descriptor, so a field added
 * to proto/broker.proto and not here fails the tests).  petrel_msg_free()
 * frees the block; the setters change such a message only after copying
 * it onto the heap (msg_own()).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "clock.h"
#include "compress.h"
#include "log.h"
#include "msg.h"
#include "xmalloc.h"

#include "proto/frame.pb-c.h"

#define MSG_TAG_MAX		255
#define MSG_KEY_MAX		255
#define MSG_KEYS_MAX		32
#define MSG_PROP_NAME_MAX	255
#define MSG_PROP_VALUE_MAX	(32 * 1024)
#define MSG_PROPS_MAX		(64 * 1024)
#define MSG_BODY_MAX		(4 * 1024 * 1024)
#define MSG_DELAY_MAX		18

/* Bit f set: field f of Message is length-delimited, else a varint. */
#define MSG_F_DELIMITED	(1U << MSG_F_TOPIC | 1U << MSG_F_MSG_ID | \
	1U << MSG_F_UNIQUE_ID | 1U << MSG_F_BODY | 1U << MSG_F_TAGS |	\
	1U << MSG_F_KEYS | 1U << MSG_F_PROPERTIES | 1U << MSG_F_BORN_HOST | \
	1U << MSG_F_STORE_HOST)

/* Round up for the pointers and uint64_t of protobuf-c's structures. */
#define MSG_ALIGN(n)	(((n) + 7) & ~(size_t)7)

#define MSG_SCAN	64	/* fields of a Message read on the stack */

/* Where the parts of a Message go in its block. */
struct msg_fill {
	Petrel__Property	*prop;	/* the next one free */
	char			*bytes;	/* the next byte free */
};

static void	msg_set(Petrel__Message *, const struct msg_field *,
		    struct msg_fill *);
static int	msg_read_prop(const uint8_t *, size_t, size_t *,
		    Petrel__Property *, struct msg_fill *);
static char	*msg_put(struct msg_fill *, const struct msg_field *);

/* Names the broker and the library keep for themselves. */
static const char *msg_reserved[] = {
	"KEYS", "TAGS", "UNIQ_KEY", "DELAY", "RETRY_TOPIC",
	"ORIGIN_MESSAGE_ID", "REAL_TOPIC", "REAL_QID", "RECONSUME_TIME",
	"MAX_RECONSUME_TIMES", NULL
};

/* A message to topic with a copy of len bytes of body; NULL if no topic. */
struct petrel_msg *
petrel_msg_new(const char *topic, const void *body, size_t len)
{
	struct petrel_msg	*msg;

	if (topic == NULL || (body == NULL && len != 0))
		return (NULL);
	msg = xcalloc(1, sizeof *msg);
	msg->m = msg_new(&petrel__message__descriptor);
	msg_set_string(&msg->m->topic, topic);
	msg_set_bytes(&msg->m->body, body, len);
	return (msg);
}

/* Free a message, built or received, whole. */
void
petrel_msg_free(struct petrel_msg *msg)
{
	if (msg == NULL)
		return;
	if (msg->inblock)
		free(msg->body);
	else
		msg_free(msg->m);
	free(msg);
}

/*
 * Before a change to m: a received message's m, decoded in its block,
 * becomes an ordinary heap message (a copy); the block's copy is left
 * unused until petrel_msg_free().
 */
static void
msg_own(struct petrel_msg *msg)
{
	if (!msg->inblock)
		return;
	msg->m = msg_dup(msg->m);
	free(msg->body);
	msg->body = NULL;
	msg->inblock = 0;
}

/* Whether s has a byte of set. */
static int
msg_has_any(const char *s, const char *set)
{
	return (s[strcspn(s, set)] != '\0');
}

/* One tag: at most 255 bytes, no "||"; NULL or "" for none. */
int
petrel_msg_set_tag(struct petrel_msg *msg, const char *tag)
{
	if (tag == NULL)
		tag = "";
	if (strlen(tag) > MSG_TAG_MAX || strstr(tag, "||") != NULL)
		return (-1);
	msg_own(msg);
	msg_set_string(&msg->m->tags, tag);
	return (0);
}

/* Add a key: 1-255 bytes without spaces, at most 32 keys. */
int
petrel_msg_add_key(struct petrel_msg *msg, const char *key)
{
	size_t	len;

	if (key == NULL || (len = strlen(key)) == 0 || len > MSG_KEY_MAX ||
	    msg_has_any(key, " \t\r\n\001\002") ||
	    msg->m->n_keys >= MSG_KEYS_MAX)
		return (-1);
	msg_own(msg);
	msg_array_add((void ***)&msg->m->keys, &msg->m->n_keys, xstrdup(key));
	return (0);
}

/* Set (or replace) a property of the application's. */
int
petrel_msg_set_property(struct petrel_msg *msg, const char *name,
    const char *value)
{
	Petrel__Property	*p;
	size_t			 i, len;

	if (name == NULL || value == NULL || (len = strlen(name)) == 0 ||
	    len > MSG_PROP_NAME_MAX || strlen(value) > MSG_PROP_VALUE_MAX ||
	    msg_has_any(name, "\001\002") || msg_has_any(value, "\001\002"))
		return (-1);
	for (i = 0; msg_reserved[i] != NULL; i++) {
		if (strcmp(msg_reserved[i], name) == 0)
			return (-1);
	}
	msg_own(msg);
	for (i = 0; i < msg->m->n_properties; i++) {
		p = msg->m->properties[i];
		if (strcmp(p->name, name) == 0) {
			msg_set_string(&p->value, value);
			return (0);
		}
	}
	p = msg_new(&petrel__property__descriptor);
	msg_set_string(&p->name, name);
	msg_set_string(&p->value, value);
	msg_array_add((void ***)&msg->m->properties, &msg->m->n_properties,
	    p);
	return (0);
}

/* 0 (now) or 1-18: delivered after that delay level. */
int
petrel_msg_set_delay_level(struct petrel_msg *msg, int level)
{
	if (level < 0 || level > MSG_DELAY_MAX)
		return (-1);
	msg->delay_level = (uint32_t)level;
	return (0);
}

const char *
petrel_msg_topic(const struct petrel_msg *msg)
{
	return (msg->m->topic);
}

/* The body and, if len is not NULL, its length. */
const void *
petrel_msg_body(const struct petrel_msg *msg, size_t *len)
{
	if (len != NULL)
		*len = msg->m->body.len;
	return (msg->m->body.data);
}

const char *
petrel_msg_tag(const struct petrel_msg *msg)
{
	return (msg->m->tags);
}

size_t
petrel_msg_nkeys(const struct petrel_msg *msg)
{
	return (msg->m->n_keys);
}

/* Key i, or NULL past the last. */
const char *
petrel_msg_key(const struct petrel_msg *msg, size_t i)
{
	if (i >= msg->m->n_keys)
		return (NULL);
	return (msg->m->keys[i]);
}

/* The value of property name, or NULL. */
const char *
petrel_msg_property(const struct petrel_msg *msg, const char *name)
{
	size_t	i;

	for (i = 0; i < msg->m->n_properties; i++) {
		if (strcmp(msg->m->properties[i]->name, name) == 0)
			return (msg->m->properties[i]->value);
	}
	return (NULL);
}

const char *
petrel_msg_id(const struct petrel_msg *msg)
{
	return (msg->m->msg_id);
}

const char *
petrel_msg_unique_id(const struct petrel_msg *msg)
{
	return (msg->m->unique_id);
}

/* The broker's name ("" for a message not received). */
const char *
petrel_msg_broker(const struct petrel_msg *msg)
{
	return (msg->broker != NULL ? msg->broker : "");
}

uint32_t
petrel_msg_queue_id(const struct petrel_msg *msg)
{
	return (msg->m->queue_id);
}

uint64_t
petrel_msg_queue_offset(const struct petrel_msg *msg)
{
	return (msg->m->queue_offset);
}

uint64_t
petrel_msg_born_ms(const struct petrel_msg *msg)
{
	return (msg->m->born_timestamp_ms);
}

uint64_t
petrel_msg_store_ms(const struct petrel_msg *msg)
{
	return (msg->m->store_timestamp_ms);
}

uint32_t
petrel_msg_reconsume_times(const struct petrel_msg *msg)
{
	return (msg->m->reconsume_times);
}

/*
 * A received message of broker decoded from the len bytes of an encoded
 * Message at data, in one block that starts with size bytes for the
 * caller (a struct petrel_msg, or a larger struct starting with one),
 * zeroed but for the struct's fields.  The body is still as sent: see
 * client_msg_decompress().  NULL if the bytes are no Message: fields
 * that do not parse, or a known one of the wrong wire type (unknown ones
 * are skipped).  petrel_msg_free() frees it whole.
 *
 * The fields are read once, into an array, while adding up what the block
 * needs; each one of them is then put in place from the array.  Reading
 * is a chain of dependent loads (where a field ends says where the next
 * begins), so it is done only once.
 */
struct petrel_msg *
client_msg_decode(const uint8_t *data, size_t len, const char *broker,
    size_t size)
{
	static const uint8_t	 empty[1];
	struct msg_field	 stack[MSG_SCAN], *fields = stack, *f;
	struct petrel_msg	*msg = NULL;
	struct msg_fill		 fill;
	Petrel__Message		*m;
	const uint8_t		*p;
	uint8_t			*block, *at;
	size_t			 n = 0, nalloc = MSG_SCAN, nkeys = 0;
	size_t			 nprops = 0, bytes = 0, head, blen, i;
	uint32_t		 want;
	int			 rc;

	if (len == 0)
		data = empty;
	p = data;
	for (;;) {
		if (n == nalloc) {
			nalloc *= 2;
			if (fields == stack) {
				fields = xreallocarray(NULL, nalloc,
				    sizeof *fields);
				memcpy(fields, stack, sizeof stack);
			} else
				fields = xreallocarray(fields, nalloc,
				    sizeof *fields);
		}
		/* Read in place: a copy of a struct just stored stalls. */
		f = &fields[n];
		if ((rc = msg_wire_next(&p, data + len, f)) != 1)
			break;
		if (f->number == 0 || f->number > MSG_F_LAST)
			continue;
		want = (MSG_F_DELIMITED >> f->number) & 1 ?
		    PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED :
		    PROTOBUF_C_WIRE_TYPE_VARINT;
		if (f->wire != want)
			goto out;
		if (f->wire == PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED)
			bytes += f->len + 1;
		if (f->number == MSG_F_KEYS)
			nkeys++;
		if (f->number == MSG_F_PROPERTIES) {
			nprops++;
			if (msg_read_prop(f->data, f->len, &bytes, NULL,
			    NULL) != 0)
				goto out;
		}
		n++;
	}
	if (rc == -1)
		goto out;

	head = MSG_ALIGN(size);
	blen = strlen(broker) + 1;
	block = xmalloc(head + sizeof *m + (nkeys + nprops) *
	    sizeof (void *) + nprops * sizeof (Petrel__Property) + blen +
	    bytes);
	memset(block, 0, size);
	msg = (struct petrel_msg *)block;
	at = block + head;
	m = (Petrel__Message *)at;
	petrel__message__init(m);
	at += sizeof *m;
	if (nkeys != 0) {
		m->keys = (char **)at;
		at += nkeys * sizeof (void *);
	}
	if (nprops != 0) {
		m->properties = (Petrel__Property **)at;
		at += nprops * sizeof (void *);
	}
	fill.prop = (Petrel__Property *)at;
	at += nprops * sizeof (Petrel__Property);
	memcpy(at, broker, blen);
	fill.bytes = (char *)at + blen;
	for (i = 0; i < n; i++)
		msg_set(m, &fields[i], &fill);
	msg->m = m;
	msg->inblock = 1;
	msg->broker = (const char *)at;
out:
	if (fields != stack)
		free(fields);
	return (msg);
}

/* Put field f, read and checked, in m, its parts where fill says. */
static void
msg_set(Petrel__Message *m, const struct msg_field *f, struct msg_fill *fill)
{
	Petrel__Property	*prop;

	switch (f->number) {
	case MSG_F_TOPIC:
		m->topic = msg_put(fill, f);
		break;
	case MSG_F_QUEUE_ID:
		m->queue_id = (uint32_t)f->value;
		break;
	case MSG_F_QUEUE_OFFSET:
		m->queue_offset = f->value;
		break;
	case MSG_F_COMMIT_LOG_OFFSET:
		m->commit_log_offset = f->value;
		break;
	case MSG_F_MSG_ID:
		m->msg_id = msg_put(fill, f);
		break;
	case MSG_F_UNIQUE_ID:
		m->unique_id = msg_put(fill, f);
		break;
	case MSG_F_FLAGS:
		m->flags = (uint32_t)f->value;
		break;
	case MSG_F_BODY:
		/* As protobuf-c: no data for an empty body. */
		m->body.data = f->len != 0 ?
		    (uint8_t *)msg_put(fill, f) : NULL;
		m->body.len = f->len;
		break;
	case MSG_F_TAGS:
		m->tags = msg_put(fill, f);
		break;
	case MSG_F_KEYS:
		m->keys[m->n_keys++] = msg_put(fill, f);
		break;
	case MSG_F_PROPERTIES:
		prop = fill->prop++;
		petrel__property__init(prop);
		msg_read_prop(f->data, f->len, NULL, prop, fill);
		m->properties[m->n_properties++] = prop;
		break;
	case MSG_F_BORN_MS:
		m->born_timestamp_ms = f->value;
		break;
	case MSG_F_BORN_HOST:
		m->born_host = msg_put(fill, f);
		break;
	case MSG_F_STORE_MS:
		m->store_timestamp_ms = f->value;
		break;
	case MSG_F_STORE_HOST:
		m->store_host = msg_put(fill, f);
		break;
	case MSG_F_RECONSUME_TIMES:
		m->reconsume_times = (uint32_t)f->value;
		break;
	case MSG_F_BODY_CRC:
		m->body_crc = (uint32_t)f->value;
		break;
	}
}

/*
 * Read the Property of len bytes at data: with bytes, check it and add
 * what its strings need; without (after that), fill in p.  0, or -1 if it
 * is no Property.
 */
static int
msg_read_prop(const uint8_t *data, size_t len, size_t *bytes,
    Petrel__Property *p, struct msg_fill *fill)
{
	struct msg_field	name, value;

	if (msg_wire_prop(data, len, &name, &value) != 0)
		return (-1);
	if (bytes != NULL)
		*bytes += name.len + 1 + value.len + 1;
	else {
		p->name = msg_put(fill, &name);
		p->value = msg_put(fill, &value);
	}
	return (0);
}

/* A copy of a length-delimited field, NUL-terminated, in the block. */
static char *
msg_put(struct msg_fill *fill, const struct msg_field *f)
{
	char	*s = fill->bytes;

	memcpy(s, f->data, f->len);
	s[f->len] = '\0';
	fill->bytes += f->len + 1;
	return (s);
}

/*
 * Decompress the body of msg, from client_msg_decode(), if it is flagged
 * compressed, into an allocation of its own (msg->body).  0, or -1 with
 * *cause set if it cannot be (msg is then still to be freed).
 */
int
client_msg_decompress(struct petrel_msg *msg, char **cause)
{
	Petrel__Message	*m = msg->m;
	size_t		 len;

	if (~m->flags & PETREL__MESSAGE_FLAG__MESSAGE_FLAG_COMPRESSED)
		return (0);
	if (decompress_lz4_alloc(m->body.data, m->body.len, COMPRESS_MAX,
	    &msg->body, &len, cause) != 0)
		return (-1);
	m->body.data = msg->body;
	m->body.len = len;
	m->flags &= ~PETREL__MESSAGE_FLAG__MESSAGE_FLAG_COMPRESSED;
	return (0);
}

/*
 * Decode the PullMessageResponse of len bytes at data into r, in one
 * pass: each message with client_msg_decode(data, len, broker, size)
 * into r->msgs (the caller frees the array and the messages).  Checked as
 * protobuf-c checks it: bytes that are no fields, a known field of the
 * wrong wire type or a message that does not decode make it -1 (nothing
 * is kept); unknown fields are skipped and the last of a field given
 * twice wins.  0 if it decodes.
 */
int
client_pull_decode(struct client_pull *r, const uint8_t *data, size_t len,
    const char *broker, size_t size)
{
	static const uint8_t	 empty[1];
	struct petrel_msg	*msg;
	struct msg_field	 f;
	const uint8_t		*p;
	size_t			 nalloc = 0;
	uint32_t		 want;
	int			 rc;

	memset(r, 0, sizeof *r);
	if (len == 0)
		data = empty;
	p = data;
	while ((rc = msg_wire_next(&p, data + len, &f)) == 1) {
		if (f.number < PULL_F_STATUS || f.number > PULL_F_MAX_OFFSET)
			continue;
		want = f.number == PULL_F_MESSAGES ?
		    PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED :
		    PROTOBUF_C_WIRE_TYPE_VARINT;
		if (f.wire != want)
			goto bad;
		switch (f.number) {
		case PULL_F_STATUS:
			r->status = (uint32_t)f.value;
			break;
		case PULL_F_MESSAGES:
			msg = client_msg_decode(f.data, f.len, broker, size);
			if (msg == NULL)
				goto bad;
			if (r->nmsgs == nalloc) {
				nalloc = nalloc == 0 ? 64 : nalloc * 2;
				r->msgs = xreallocarray(r->msgs, nalloc,
				    sizeof *r->msgs);
			}
			r->msgs[r->nmsgs++] = msg;
			break;
		case PULL_F_NEXT_OFFSET:
			r->next_offset = f.value;
			break;
		case PULL_F_MIN_OFFSET:
			r->min_offset = f.value;
			break;
		case PULL_F_MAX_OFFSET:
			r->max_offset = f.value;
			break;
		}
	}
	if (rc == 0)
		return (0);
bad:
	while (r->nmsgs > 0)
		petrel_msg_free(r->msgs[--r->nmsgs]);
	free(r->msgs);
	r->msgs = NULL;
	return (-1);
}

/* Whether topic is a name a client may send to. */
static int
msg_topic_ok(const char *topic)
{
	return (client_name_ok(topic, 0));
}

/* One message of a send, checked, as it will be encoded. */
struct msg_out {
	const Petrel__Message	*m;
	const uint8_t		*body;		/* as sent */
	size_t			 blen;
	void			*cbody;		/* compressed: to free */
	uint32_t		 flags;
	uint32_t		 delay_level;
	size_t			 olen;		/* of the OutgoingMessage */
};

/* Bytes of the Property of name and value, proto3: "" is left out. */
static size_t
msg_prop_len(const Petrel__Property *p)
{
	size_t	len = 0, n;

	if ((n = strlen(p->name)) != 0)
		len += msg_wire_bytes_len(PROP_F_NAME, n);
	if ((n = strlen(p->value)) != 0)
		len += msg_wire_bytes_len(PROP_F_VALUE, n);
	return (len);
}

/*
 * Check msg and fill in o for it: its body compressed if over
 * compress_over bytes (0: never) and it shrinks, and the length of its
 * OutgoingMessage with a unique id and born. 0, or -1 with err filled in.
 */
static int
msg_out_prepare(const struct petrel_msg *msg, uint32_t compress_over,
    uint64_t born, struct msg_out *o, struct petrel_error *err)
{
	const Petrel__Message	*m = msg->m;
	size_t			 i, props = 0, len, clen;
	void			*cbody;
	char			*cause = NULL;

	memset(o, 0, sizeof *o);
	if (!msg_topic_ok(m->topic)) {
		client_error(err, PETREL_E_BAD_REQUEST, "bad topic name \"%s\"",
		    m->topic);
		return (-1);
	}
	if (m->body.len > MSG_BODY_MAX) {
		client_error(err, PETREL_E_MESSAGE_ILLEGAL, "body of %zu bytes "
		    "is over %d", m->body.len, MSG_BODY_MAX);
		return (-1);
	}
	for (i = 0; i < m->n_properties; i++) {
		props += strlen(m->properties[i]->name) +
		    strlen(m->properties[i]->value) + 2;
	}
	if (props > MSG_PROPS_MAX) {
		client_error(err, PETREL_E_MESSAGE_ILLEGAL, "properties of %zu "
		    "bytes are over %d", props, MSG_PROPS_MAX);
		return (-1);
	}
	o->m = m;
	o->body = m->body.data;
	o->blen = m->body.len;
	o->delay_level = msg->delay_level;
	if (compress_over != 0 && m->body.len > compress_over) {
		if (compress_lz4(m->body.data, m->body.len, &cbody, &clen,
		    &cause) != 0)
			free(cause);
		else if (clen >= m->body.len)
			free(cbody);		/* did not shrink */
		else {
			o->body = o->cbody = cbody;
			o->blen = clen;
			o->flags =
			    PETREL__MESSAGE_FLAG__MESSAGE_FLAG_COMPRESSED;
		}
	}

	/* As protobuf-c packs it: proto3 leaves out 0 and "". */
	len = msg_wire_bytes_len(OUT_F_UNIQUE_ID, CLIENT_UNIQUE_ID_LEN);
	if (o->blen != 0)
		len += msg_wire_bytes_len(OUT_F_BODY, o->blen);
	if (o->flags != 0)
		len += msg_wire_uint_len(OUT_F_FLAGS, o->flags);
	if (*m->tags != '\0')
		len += msg_wire_bytes_len(OUT_F_TAGS, strlen(m->tags));
	for (i = 0; i < m->n_keys; i++)
		len += msg_wire_bytes_len(OUT_F_KEYS, strlen(m->keys[i]));
	for (i = 0; i < m->n_properties; i++) {
		len += msg_wire_bytes_len(OUT_F_PROPERTIES,
		    msg_prop_len(m->properties[i]));
	}
	if (o->delay_level != 0)
		len += msg_wire_uint_len(OUT_F_DELAY_LEVEL, o->delay_level);
	if (born != 0)
		len += msg_wire_uint_len(OUT_F_BORN_MS, born);
	o->olen = len;
	return (0);
}

/*
 * Write the message of o at p as field 5 of a send request: its
 * OutgoingMessage with unique id id and born.  Returns the byte after it.
 */
static uint8_t *
msg_out_put(uint8_t *p, const struct msg_out *o, const char *id,
    uint64_t born)
{
	const Petrel__Message	*m = o->m;
	const Petrel__Property	*prop;
	size_t			 i, n;

	p = msg_wire_varint_put(p, (uint64_t)SEND_F_MESSAGES << 3 |
	    PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED);
	p = msg_wire_varint_put(p, o->olen);
	if (o->blen != 0)
		p = msg_wire_bytes_put(p, OUT_F_BODY, o->body, o->blen);
	if (o->flags != 0)
		p = msg_wire_uint_put(p, OUT_F_FLAGS, o->flags);
	if (*m->tags != '\0')
		p = msg_wire_bytes_put(p, OUT_F_TAGS, m->tags, strlen(m->tags));
	for (i = 0; i < m->n_keys; i++) {
		p = msg_wire_bytes_put(p, OUT_F_KEYS, m->keys[i],
		    strlen(m->keys[i]));
	}
	for (i = 0; i < m->n_properties; i++) {
		prop = m->properties[i];
		p = msg_wire_varint_put(p, (uint64_t)OUT_F_PROPERTIES << 3 |
		    PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED);
		p = msg_wire_varint_put(p, msg_prop_len(prop));
		if ((n = strlen(prop->name)) != 0)
			p = msg_wire_bytes_put(p, PROP_F_NAME, prop->name, n);
		if ((n = strlen(prop->value)) != 0)
			p = msg_wire_bytes_put(p, PROP_F_VALUE, prop->value, n);
	}
	p = msg_wire_bytes_put(p, OUT_F_UNIQUE_ID, id, CLIENT_UNIQUE_ID_LEN);
	if (o->delay_level != 0)
		p = msg_wire_uint_put(p, OUT_F_DELAY_LEVEL, o->delay_level);
	if (born != 0)
		p = msg_wire_uint_put(p, OUT_F_BORN_MS, born);
	return (p);
}

/*
 * A send of the n messages at msgs (1 or more, of msgs[0]'s topic), each
 * checked and encoded as an OutgoingMessage with a new unique id, its
 * body compressed if over compress_over bytes (0: never), in one block
 * the caller frees with free(3); mode and the rest zeroed for the caller
 * to fill in.  The encoding is byte for byte what protobuf-c packs for
 * the same message.  NULL with err filled in if a message is refused.
 */
struct client_send *
client_send_new(const struct petrel_msg *const *msgs, size_t n,
    uint32_t compress_over, struct petrel_error *err)
{
	struct msg_out		 one, *outs = &one;
	struct client_send	*s = NULL;
	uint64_t		 born;
	uint8_t			*p;
	size_t			 i, len = 0, bodies = 0, tlen;
	char			 id[CLIENT_UNIQUE_ID_LEN + 1];

	if (n == 0) {
		client_error(err, PETREL_E_BAD_REQUEST, "no message");
		return (NULL);
	}
	if (n > 1)
		outs = xcalloc(n, sizeof *outs);
	born = clock_wall_ms();
	for (i = 0; i < n; i++) {
		if (msg_out_prepare(msgs[i], compress_over, born, &outs[i],
		    err) != 0)
			goto out;
		len += msg_wire_bytes_len(SEND_F_MESSAGES, outs[i].olen);
		bodies += outs[i].blen;
	}
	tlen = strlen(msgs[0]->m->topic) + 1;
	s = xmalloc(sizeof *s + len + tlen);
	memset(s, 0, sizeof *s);
	s->nmsgs = n;
	s->delay_level = outs[0].delay_level;
	s->bodies = bodies;
	s->len = len;
	s->data = p = (uint8_t *)(s + 1);
	for (i = 0; i < n; i++) {
		client_unique_id_at(id, sizeof id, born);
		if (i == 0)
			memcpy(s->unique_id, id, sizeof id);
		p = msg_out_put(p, &outs[i], id, born);
	}
	if ((size_t)(p - s->data) != len)
		fatalx("%s: encoded %zu bytes, not %zu", __func__,
		    (size_t)(p - s->data), len);
	memcpy(p, msgs[0]->m->topic, tlen);
	s->topic = (const char *)p;
out:
	for (i = 0; i < n; i++)
		free(outs[i].cbody);
	if (outs != &one)
		free(outs);
	return (s);
}

/*
 * Encode fields 1 to 4 of a SendMessageRequest or SendBatchRequest (they
 * share them) into buf of size bytes; the messages follow as field 5
 * (client_send_new()).  Returns the length, or 0 if buf is too small.
 */
size_t
client_send_head(uint8_t *buf, size_t size, const char *group,
    const char *topic, int32_t queue_id, const char *born_host)
{
	const char	*str[3] = { group, topic, born_host };
	uint32_t	 num[3] = { SEND_F_GROUP, SEND_F_TOPIC,
	    SEND_F_BORN_HOST };
	size_t		 len = 0, slen[3];
	uint8_t		*p = buf;
	int		 i;

	for (i = 0; i < 3; i++) {
		if ((slen[i] = strlen(str[i])) != 0)
			len += msg_wire_bytes_len(num[i], slen[i]);
	}
	/* An int32 goes as a varint of its 64-bit sign extension. */
	if (queue_id != 0)
		len += msg_wire_uint_len(SEND_F_QUEUE_ID, (uint64_t)queue_id);
	if (len > size)
		return (0);
	for (i = 0; i < 3; i++) {
		if (i == 2 && queue_id != 0)
			p = msg_wire_uint_put(p, SEND_F_QUEUE_ID,
			    (uint64_t)queue_id);
		if (slen[i] != 0)
			p = msg_wire_bytes_put(p, num[i], str[i], slen[i]);
	}
	return ((size_t)(p - buf));
}

/*
 * Read the SendResult of len bytes at data into r (msg_id, unique_id,
 * queue_id and queue_offset; strings cut as client_copy() cuts them).  0,
 * or -1 if it is no SendResult.
 */
static int
msg_result_read(const uint8_t *data, size_t len, struct petrel_send_result *r)
{
	const uint8_t		*p = data;
	struct msg_field	 f;
	uint32_t		 want;
	int			 rc;

	while ((rc = msg_wire_next(&p, data + len, &f)) == 1) {
		if (f.number < RESULT_F_MSG_ID ||
		    f.number > RESULT_F_COMMIT_LOG_OFFSET)
			continue;
		want = f.number <= RESULT_F_UNIQUE_ID ?
		    PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED :
		    PROTOBUF_C_WIRE_TYPE_VARINT;
		if (f.wire != want)
			return (-1);
		switch (f.number) {
		case RESULT_F_MSG_ID:
			msg_wire_string(r->msg_id, sizeof r->msg_id, f.data, f.len);
			break;
		case RESULT_F_UNIQUE_ID:
			msg_wire_string(r->unique_id, sizeof r->unique_id, f.data,
			    f.len);
			break;
		case RESULT_F_QUEUE_ID:
			r->queue_id = (uint32_t)f.value;
			break;
		case RESULT_F_QUEUE_OFFSET:
			r->queue_offset = f.value;
			break;
		}
	}
	return (rc);
}

/* Clear what msg_result_read() fills in. */
static void
msg_result_clear(struct petrel_send_result *r)
{
	r->msg_id[0] = '\0';
	r->unique_id[0] = '\0';
	r->queue_id = 0;
	r->queue_offset = 0;
}

/*
 * Decode the SendMessageResponse (batch 0) or SendBatchResponse (batch 1)
 * of len bytes at data: its status in *status, its results in order into
 * *res[0] to *res[n - 1] (msg_id, unique_id, queue_id, queue_offset; the
 * rest is the caller's) and how many it holds in *count (always 1 for a
 * SendMessageResponse: no result is a result of zeroes).  Results past n
 * are checked, not kept.  Checked as protobuf-c checks it: bytes that are
 * no fields, a known field of the wrong wire type or a result that does
 * not decode make it -1; unknown fields are skipped, the last of a field
 * given twice wins and a SendMessageResponse's result given twice is
 * merged as protobuf-c merges it (the later one's numbers, its strings
 * where it has them).  0 if it decodes.
 */
int
client_send_decode(const uint8_t *data, size_t len, int batch,
    uint32_t *status, struct petrel_send_result *const *res, size_t n,
    size_t *count)
{
	static const uint8_t		 empty[1];
	struct petrel_send_result	 spare, *r;
	struct msg_field		 f;
	const uint8_t			*p;
	size_t				 i;
	uint32_t			 want;
	int				 rc;

	*status = 0;
	*count = batch ? 0 : 1;
	for (i = 0; i < n; i++)
		msg_result_clear(res[i]);
	msg_result_clear(&spare);
	if (len == 0)
		data = empty;
	p = data;
	while ((rc = msg_wire_next(&p, data + len, &f)) == 1) {
		if (f.number != SENT_F_STATUS && f.number != SENT_F_RESULTS)
			continue;
		want = f.number == SENT_F_RESULTS ?
		    PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED :
		    PROTOBUF_C_WIRE_TYPE_VARINT;
		if (f.wire != want)
			return (-1);
		if (f.number == SENT_F_STATUS) {
			*status = (uint32_t)f.value;
			continue;
		}
		if (batch) {
			r = *count < n ? res[*count] : &spare;
			msg_result_clear(r);
			(*count)++;
		} else {
			r = n > 0 ? res[0] : &spare;
			r->queue_id = 0;
			r->queue_offset = 0;
		}
		if (msg_result_read(f.data, f.len, r) != 0)
			return (-1);
	}
	return (rc);
}

/* The sharding hash of key: 64-bit FNV-1a. */
uint64_t
client_shard_hash(const char *key)
{
	uint64_t	h = 0xcbf29ce484222325ULL;

	for (; *key != '\0'; key++) {
		h ^= (uint8_t)*key;
		h *= 0x100000001b3ULL;
	}
	return (h);
}
