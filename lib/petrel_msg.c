/*
 * libpetrel's messages (struct petrel_msg, lib/client.h): built by the
 * application to be sent, or made by a consumer from a Message a broker
 * handed out (client_msg_received(), which decompresses a compressed
 * body).  client_msg_outgoing() checks a message against the limits of
 * proto/broker.proto and turns it into the OutgoingMessage of a send,
 * with a fresh unique id and, past a size, an LZ4-compressed body.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "clock.h"
#include "compress.h"
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
#define MSG_TOPIC_MAX		127
#define MSG_DELAY_MAX		18

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

void
petrel_msg_free(struct petrel_msg *msg)
{
	if (msg == NULL)
		return;
	msg_free(msg->m);
	free(msg->broker);
	free(msg);
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
 * A received message from m (taken over, even on failure) of broker: a
 * compressed body is decompressed.  NULL with *cause set if it cannot be.
 */
struct petrel_msg *
client_msg_received(Petrel__Message *m, const char *broker, char **cause)
{
	struct petrel_msg	*msg;
	void			*out;
	size_t			 len;

	if (m->flags & PETREL__MESSAGE_FLAG__MESSAGE_FLAG_COMPRESSED) {
		if (decompress_lz4_alloc(m->body.data, m->body.len,
		    COMPRESS_MAX, &out, &len, cause) != 0) {
			msg_free(m);
			return (NULL);
		}
		free(m->body.data);
		m->body.data = out;
		m->body.len = len;
		m->flags &= ~PETREL__MESSAGE_FLAG__MESSAGE_FLAG_COMPRESSED;
	}
	msg = xcalloc(1, sizeof *msg);
	msg->m = m;
	msg->broker = xstrdup(broker != NULL ? broker : "");
	return (msg);
}

/* Whether topic is a name a client may send to. */
static int
msg_topic_ok(const char *topic)
{
	size_t	len = strlen(topic);

	if (len == 0 || len > MSG_TOPIC_MAX || topic[0] == '%')
		return (0);
	return (strspn(topic, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-%") == len);
}

/*
 * The OutgoingMessage of msg in *out (caller frees): checked, with a new
 * unique id, compressed if the body is over compress_over bytes (0: never).
 * 0, or -1 with err filled in.
 */
int
client_msg_outgoing(const struct petrel_msg *msg, uint32_t compress_over,
    Petrel__OutgoingMessage **out, struct petrel_error *err)
{
	Petrel__OutgoingMessage	*o;
	Petrel__Property	*p;
	const Petrel__Message	*m = msg->m;
	size_t			 i, props = 0, clen;
	void			*cbody;
	char			 id[40], *cause = NULL;

	*out = NULL;
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
	o = msg_new(&petrel__outgoing_message__descriptor);
	if (compress_over != 0 && m->body.len > compress_over) {
		if (compress_lz4(m->body.data, m->body.len, &cbody, &clen,
		    &cause) != 0)
			free(cause);
		else if (clen >= m->body.len)
			free(cbody);		/* did not shrink */
		else {
			o->body.data = cbody;
			o->body.len = clen;
			o->flags |= PETREL__MESSAGE_FLAG__MESSAGE_FLAG_COMPRESSED;
		}
	}
	if (o->body.data == NULL)
		msg_set_bytes(&o->body, m->body.data, m->body.len);
	msg_set_string(&o->tags, m->tags);
	if (m->n_keys != 0) {
		o->keys = xcalloc(m->n_keys, sizeof *o->keys);
		for (i = 0; i < m->n_keys; i++)
			o->keys[i] = xstrdup(m->keys[i]);
		o->n_keys = m->n_keys;
	}
	if (m->n_properties != 0) {
		o->properties = xcalloc(m->n_properties,
		    sizeof *o->properties);
		for (i = 0; i < m->n_properties; i++) {
			p = msg_new(&petrel__property__descriptor);
			msg_set_string(&p->name, m->properties[i]->name);
			msg_set_string(&p->value, m->properties[i]->value);
			o->properties[i] = p;
		}
		o->n_properties = m->n_properties;
	}
	client_unique_id(id, sizeof id);
	msg_set_string(&o->unique_id, id);
	o->delay_level = msg->delay_level;
	o->born_timestamp_ms = clock_wall_ms();
	*out = o;
	return (0);
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
