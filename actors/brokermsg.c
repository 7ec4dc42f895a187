/*
 * Messages between the wire (proto/broker.proto's OutgoingMessage and
 * Message) and the store (proto/store.proto's StoreMessage), for the send
 * and pull paths: the checks a sent message must pass, offset ids, host
 * addresses and the properties the broker sets.  Conversions take the
 * bodies and strings they can from their input instead of copying them:
 * a body is copied once on its way in (out of the frame) and once on its
 * way out (out of the mapped log).
 */
#include "config.h"

#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "commitlog.h"
#include "crc32c.h"
#include "log.h"
#include "msg.h"
#include "storemsg.h"
#include "xmalloc.h"

#include "proto/broker.pb-c.h"
#include "proto/store.pb-c.h"

#define BROKERMSG_TAG_MAX	255
#define BROKERMSG_KEY_MAX	255
#define BROKERMSG_KEYS_MAX	32
#define BROKERMSG_UNIQ_MAX	64
#define BROKERMSG_PNAME_MAX	255
#define BROKERMSG_PVALUE_MAX	(32 * 1024)
#define BROKERMSG_PROPS_MAX	(64 * 1024)


/* Milliseconds of each delay level; [0] is no delay. */
const uint32_t brokermsg_delay_ms[BROKER_DELAY_LEVELS + 1] = {
	0, 1000, 5000, 10000, 30000, 60000, 120000, 180000, 240000, 300000,
	360000, 420000, 480000, 540000, 600000, 1200000, 1800000, 3600000,
	7200000
};

static const uint8_t brokermsg_v4mapped[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

/* Whether a 16-byte address is IPv4-mapped (or all zero). */
static int
brokermsg_is_v4(const uint8_t *host)
{
	static const uint8_t	zero[16];

	return (memcmp(host, brokermsg_v4mapped, 12) == 0 ||
	    memcmp(host, zero, 16) == 0);
}

/* Upper-case hex of len bytes at p into buf; returns the end. */
static char *
brokermsg_hex(const uint8_t *p, size_t len, char *buf)
{
	static const char	digits[] = "0123456789ABCDEF";
	size_t			i;

	for (i = 0; i < len; i++) {
		*buf++ = digits[p[i] >> 4];
		*buf++ = digits[p[i] & 0xf];
	}
	return (buf);
}

/*
 * The offset id of the message at commit log offset off of the store at
 * host (16 bytes) and port, into buf (BROKERMSG_ID_MAX bytes).
 */
void
brokermsg_id(const uint8_t *host, uint32_t port, uint64_t off, char *buf)
{
	uint8_t	b[28];
	size_t	n, i;

	if (brokermsg_is_v4(host)) {
		memcpy(b, host + 12, 4);
		n = 4;
	} else {
		memcpy(b, host, 16);
		n = 16;
	}
	for (i = 0; i < 4; i++)
		b[n + i] = (uint8_t)(port >> (24 - 8 * i));
	n += 4;
	for (i = 0; i < 8; i++)
		b[n + i] = (uint8_t)(off >> (56 - 8 * i));
	n += 8;
	*brokermsg_hex(b, n, buf) = '\0';
}

/* The value of a hex digit, or -1. */
static int
brokermsg_xdigit(char c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	return (-1);
}

/*
 * Parse an offset id into host (16 bytes), port and commit log offset.
 * 0, or -1 if id is not one (a unique id, or garbage).
 */
int
brokermsg_parse_id(const char *id, uint8_t *host, uint32_t *port,
    uint64_t *off)
{
	uint8_t	b[28];
	size_t	len = strlen(id), n, i;
	int	hi, lo;

	if (len != 32 && len != 56)
		return (-1);
	n = len / 2;
	for (i = 0; i < n; i++) {
		if ((hi = brokermsg_xdigit(id[2 * i])) == -1 ||
		    (lo = brokermsg_xdigit(id[2 * i + 1])) == -1)
			return (-1);
		b[i] = (uint8_t)(hi << 4 | lo);
	}
	if (n == 16) {
		memcpy(host, brokermsg_v4mapped, 12);
		memcpy(host + 12, b, 4);
	} else
		memcpy(host, b, 16);
	n -= 12;
	*port = 0;
	for (i = 0; i < 4; i++)
		*port = *port << 8 | b[n + i];
	*off = 0;
	for (i = 0; i < 8; i++)
		*off = *off << 8 | b[n + 4 + i];
	return (*port > 65535 ? -1 : 0);
}

/*
 * Parse "a.b.c.d:port" or "[v6]:port" into host (16 bytes, IPv4 mapped)
 * and port; "" is all zero.  0, or -1 if s is neither.
 */
int
brokermsg_parse_host(const char *s, uint8_t *host, uint32_t *port)
{
	char		 buf[BROKERMSG_HOST_MAX], *colon, *addr, *end;
	unsigned long	 p;
	size_t		 len;

	memset(host, 0, 16);
	*port = 0;
	if (*s == '\0')
		return (0);
	if ((len = strlen(s)) >= sizeof buf)
		return (-1);
	memcpy(buf, s, len + 1);
	if ((colon = strrchr(buf, ':')) == NULL || colon[1] == '\0')
		return (-1);
	*colon = '\0';
	p = strtoul(colon + 1, &end, 10);
	if (*end != '\0' || p > 65535)
		return (-1);
	addr = buf;
	if (*addr == '[') {
		if (colon[-1] != ']')
			return (-1);
		colon[-1] = '\0';
		if (inet_pton(AF_INET6, addr + 1, host) != 1)
			return (-1);
	} else {
		if (inet_pton(AF_INET, addr, host + 12) != 1)
			return (-1);
		memcpy(host, brokermsg_v4mapped, 12);
	}
	*port = (uint32_t)p;
	return (0);
}

static void	brokermsg_format_host_now(const uint8_t *, uint32_t, char *,
		    char *, size_t);

/*
 * "a.b.c.d:port" or "[v6]:port" into buf (BROKERMSG_HOST_MAX); "" if 0.
 * A pull formats the same few hosts for every message: the last two are
 * remembered per thread.
 */
void
brokermsg_format_host(const uint8_t *host, uint32_t port, char *buf)
{
	static const uint8_t	zero[16];
	static __thread struct {
		uint8_t		host[16];
		uint32_t	port;
		char		text[BROKERMSG_HOST_MAX];
	}			seen[2];
	static __thread unsigned int next;
	char			a[INET6_ADDRSTRLEN];
	unsigned int		i;

	if (memcmp(host, zero, 16) == 0 && port == 0) {
		*buf = '\0';
		return;
	}
	for (i = 0; i < 2; i++) {
		if (seen[i].text[0] != '\0' && seen[i].port == port &&
		    memcmp(seen[i].host, host, 16) == 0) {
			memcpy(buf, seen[i].text, strlen(seen[i].text) + 1);
			return;
		}
	}
	brokermsg_format_host_now(host, port, buf, a, sizeof a);
	i = next++ % 2;
	memcpy(seen[i].host, host, 16);
	seen[i].port = port;
	snprintf(seen[i].text, sizeof seen[i].text, "%s", buf);
}

/* brokermsg_format_host() without the memory. */
static void
brokermsg_format_host_now(const uint8_t *host, uint32_t port, char *buf,
    char *a, size_t alen)
{
	if (brokermsg_is_v4(host)) {
		inet_ntop(AF_INET, host + 12, a, (socklen_t)alen);
		snprintf(buf, BROKERMSG_HOST_MAX, "%s:%u", a, port);
	} else {
		inet_ntop(AF_INET6, host, a, (socklen_t)alen);
		snprintf(buf, BROKERMSG_HOST_MAX, "[%s]:%u", a, port);
	}
}

/*
 * Whether the len bytes at s are a word: printable, no space, at most n.
 * An empty word is one.
 */
static int
brokermsg_word(const char *s, size_t len, size_t n)
{
	size_t	i;

	if (len > n)
		return (0);
	for (i = 0; i < len; i++) {
		if (s[i] <= ' ' || s[i] > '~')
			return (0);
	}
	return (1);
}

/* Whether len bytes at s hold byte 0, 1 or 2, which a record cannot. */
static int
brokermsg_unclean(const char *s, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++) {
		if ((u_char)s[i] <= COMMITLOG_PROP_SEP)
			return (1);
	}
	return (0);
}

/* Read the Property of len bytes at data (msg_wire_prop()) into p. */
static int
brokermsg_read_prop(const uint8_t *data, size_t len, struct brokermsg_pair *p)
{
	struct msg_field	name, value;

	if (msg_wire_prop(data, len, &name, &value) != 0)
		return (-1);
	p->name = (const char *)name.data;
	p->name_len = name.len;
	p->value = (const char *)value.data;
	p->value_len = value.len;
	return (0);
}

/* Check one property; NULL if good, else why in buf. */
static const char *
brokermsg_check_prop(const struct brokermsg_pair *p, char *why, size_t len)
{
	if (p->name_len == 0 || p->name_len > BROKERMSG_PNAME_MAX)
		snprintf(why, len, "property name must be 1-%d bytes",
		    BROKERMSG_PNAME_MAX);
	else if (p->value_len > BROKERMSG_PVALUE_MAX)
		snprintf(why, len, "property %.*s: value over %d bytes",
		    (int)(p->name_len > 64 ? 64 : p->name_len), p->name,
		    BROKERMSG_PVALUE_MAX);
	else if (brokermsg_unclean(p->name, p->name_len) ||
	    brokermsg_unclean(p->value, p->value_len))
		snprintf(why, len, "property %.*s holds byte 0, 1 or 2",
		    (int)(p->name_len > 64 ? 64 : p->name_len), p->name);
	else if (storemsg_prop_kind(p->name, p->name_len) !=
	    STOREMSG_PROP_USER)
		snprintf(why, len, "property name %.*s is reserved: use the "
		    "message's field", (int)p->name_len, p->name);
	else
		return (NULL);
	return (why);
}

/* The last field number of OutgoingMessage (msg.h has them all). */
#define OUT_F_LAST		OUT_F_BORN_MS
/* The length-delimited ones, as bits by number. */
#define OUT_F_DELIMITED		(1U << OUT_F_BODY | 1U << OUT_F_TAGS | \
	1U << OUT_F_KEYS | 1U << OUT_F_PROPERTIES | 1U << OUT_F_UNIQUE_ID)

/*
 * Read the OutgoingMessage of len bytes at enc into o, in place (o points
 * into enc, which must outlive it), and check it against the limits of
 * petrel-protocol(7).  0; BROKERMSG_UNDECODABLE if protobuf-c would not
 * decode it; BROKERMSG_ILLEGAL with why (len bytes) if it breaks a limit,
 * o read all the same.  The body's size is the writer's to check.
 */
int
brokermsg_out_read(const uint8_t *enc, size_t len, struct brokermsg_out *o,
    char *why, size_t whylen)
{
	const uint8_t		*q = enc;
	struct msg_field	 f;
	struct brokermsg_pair	 pr;
	size_t			 nkeys = 0, plen = 0;
	uint32_t		 want;
	int			 rc, bad = 0;

	memset(o, 0, sizeof *o);
	o->enc = enc;
	o->enc_len = len;
	o->tags = o->uniq = "";
	while ((rc = msg_wire_next(&q, enc + len, &f)) == 1) {
		if (f.number == 0 || f.number > OUT_F_LAST)
			continue;
		want = (OUT_F_DELIMITED >> f.number) & 1 ?
		    PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED :
		    PROTOBUF_C_WIRE_TYPE_VARINT;
		if (f.wire != want)
			return (BROKERMSG_UNDECODABLE);
		switch (f.number) {
		case OUT_F_BODY:
			o->body = f.data;
			o->body_len = f.len;
			break;
		case OUT_F_FLAGS:
			o->flags = (uint32_t)f.value;
			break;
		case OUT_F_TAGS:
			o->tags = (const char *)f.data;
			o->tags_len = f.len;
			break;
		case OUT_F_KEYS:
			if (!bad && (f.len == 0 || !brokermsg_word(
			    (const char *)f.data, f.len, BROKERMSG_KEY_MAX))) {
				snprintf(why, whylen, "key %zu must be 1-%d "
				    "printable bytes without spaces", nkeys,
				    BROKERMSG_KEY_MAX);
				bad = 1;
			}
			o->keys_len += f.len + (nkeys++ != 0);
			break;
		case OUT_F_PROPERTIES:
			if (brokermsg_read_prop(f.data, f.len, &pr) != 0)
				return (BROKERMSG_UNDECODABLE);
			if (!bad && brokermsg_check_prop(&pr, why,
			    whylen) != NULL)
				bad = 1;
			plen += pr.name_len + pr.value_len + 2;
			break;
		case OUT_F_UNIQUE_ID:
			o->uniq = (const char *)f.data;
			o->uniq_len = f.len;
			break;
		case OUT_F_DELAY_LEVEL:
			o->delay_level = (uint32_t)f.value;
			break;
		case OUT_F_BORN_MS:
			o->born_ts = f.value;
			break;
		}
	}
	if (rc != 0)
		return (BROKERMSG_UNDECODABLE);
	o->props_len = plen;
	if (bad)
		return (BROKERMSG_ILLEGAL);

	if (o->flags & ~(uint32_t)PETREL__MESSAGE_FLAG__MESSAGE_FLAG_COMPRESSED)
		snprintf(why, whylen, "unknown flags 0x%x", o->flags);
	else if (o->tags_len > BROKERMSG_TAG_MAX ||
	    brokermsg_unclean(o->tags, o->tags_len) ||
	    memmem(o->tags, o->tags_len, "||", 2) != NULL)
		snprintf(why, whylen, "tags must be one tag of at most %d "
		    "bytes without \"||\"", BROKERMSG_TAG_MAX);
	else if (nkeys > BROKERMSG_KEYS_MAX)
		snprintf(why, whylen, "%zu keys: at most %d", nkeys,
		    BROKERMSG_KEYS_MAX);
	else if (!brokermsg_word(o->uniq, o->uniq_len, BROKERMSG_UNIQ_MAX))
		snprintf(why, whylen, "unique_id must be at most %d printable "
		    "bytes without spaces", BROKERMSG_UNIQ_MAX);
	else if (plen > BROKERMSG_PROPS_MAX)
		snprintf(why, whylen, "properties take %zu bytes: at most %d",
		    plen, BROKERMSG_PROPS_MAX);
	else
		return (0);
	return (BROKERMSG_ILLEGAL);
}

/* Append "name\001value\002" at *p, unless the value is empty and !always. */
static void
brokermsg_put_pair(char **p, const char *name, size_t nl, const char *value,
    size_t vl, int always)
{
	if (vl == 0 && !always)
		return;
	memcpy(*p, name, nl);
	(*p)[nl] = COMMITLOG_PROP_NV;
	memcpy(*p + nl + 1, value, vl);
	(*p)[nl + 1 + vl] = COMMITLOG_PROP_SEP;
	*p += nl + vl + 2;
}

/* Whether a user property named name (len bytes) gives way to place's. */
static int
brokermsg_overridden(const struct brokermsg_place *pl, const char *name,
    size_t len)
{
	size_t	i;

	for (i = 0; i < pl->nextra; i++) {
		if (strlen(pl->extra[i].name) == len &&
		    memcmp(pl->extra[i].name, name, len) == 0)
			return (1);
	}
	return (0);
}

/*
 * Write the properties of o's record at dst, which has room for
 * o->props_len + o->keys_len + o->tags_len + o->uniq_len + 32 bytes
 * plus place's extra properties: keys, tags and unique id as a
 * StoreMessage's record has them (storemsg_props_write()), the user's
 * properties, then place's (replacing any of the user's of the same
 * name).  Returns the bytes written.
 */
static size_t
brokermsg_out_props(const struct brokermsg_out *o,
    const struct brokermsg_place *pl, char *dst)
{
	const uint8_t		*q = o->enc, *end = o->enc + o->enc_len;
	struct msg_field	 f;
	struct brokermsg_pair	 pr;
	char			*p = dst, *k;
	size_t			 i;

	if (o->keys_len != 0) {
		/* "KEYS\001k1 k2\002", the keys read again from o. */
		memcpy(p, COMMITLOG_PROP_KEYS, strlen(COMMITLOG_PROP_KEYS));
		p += strlen(COMMITLOG_PROP_KEYS);
		*p++ = COMMITLOG_PROP_NV;
		for (k = p; msg_wire_next(&q, end, &f) == 1;) {
			if (f.number != OUT_F_KEYS)
				continue;
			if (p != k)
				*p++ = ' ';
			memcpy(p, f.data, f.len);
			p += f.len;
		}
		*p++ = COMMITLOG_PROP_SEP;
	}
	brokermsg_put_pair(&p, COMMITLOG_PROP_TAGS, strlen(COMMITLOG_PROP_TAGS),
	    o->tags, o->tags_len, 0);
	brokermsg_put_pair(&p, COMMITLOG_PROP_UNIQ, strlen(COMMITLOG_PROP_UNIQ),
	    o->uniq, o->uniq_len, 0);
	if (o->props_len != 0) {
		for (q = o->enc; msg_wire_next(&q, end, &f) == 1;) {
			/* Read before (brokermsg_out_read()): none fails. */
			if (f.number != OUT_F_PROPERTIES ||
			    brokermsg_read_prop(f.data, f.len, &pr) != 0)
				continue;
			if (!brokermsg_overridden(pl, pr.name, pr.name_len))
				brokermsg_put_pair(&p, pr.name, pr.name_len,
				    pr.value, pr.value_len, 1);
		}
	}
	for (i = 0; i < pl->nextra; i++) {
		brokermsg_put_pair(&p, pl->extra[i].name,
		    strlen(pl->extra[i].name), pl->extra[i].value,
		    strlen(pl->extra[i].value), 1);
	}
	return (p > dst ? (size_t)(p - dst) - 1 : 0);	/* no last separator */
}

/*
 * Lay o out as a commit log record, as the writer takes it
 * (PutRequest.records): to place's topic and queue, born at place's host
 * (now if the producer did not say when), the fields the store sets left
 * zero.  The record is appended to *buf (*len bytes used of *cap, grown
 * as needed); *scratch (*scap bytes) holds its properties meanwhile.
 * Returns the record's size, or 0 with why if its properties are more
 * than a record holds.
 */
size_t
brokermsg_out_record(const struct brokermsg_out *o,
    const struct brokermsg_place *pl, uint8_t **buf, size_t *len,
    size_t *cap, char **scratch, size_t *scap, char *why, size_t whylen)
{
	struct commitlog_msg	 cm;
	size_t			 room, i, size;

	room = o->props_len + o->keys_len + o->tags_len + o->uniq_len + 32;
	for (i = 0; i < pl->nextra; i++)
		room += strlen(pl->extra[i].name) +
		    strlen(pl->extra[i].value) + 2;
	if (room > *scap) {
		*scap = room;
		*scratch = xrealloc(*scratch, room);
	}
	memset(&cm, 0, sizeof cm);
	cm.props = *scratch;
	cm.props_len = brokermsg_out_props(o, pl, *scratch);
	if (cm.props_len > COMMITLOG_PROPS_MAX) {
		snprintf(why, whylen, "properties of %zu bytes are over the %d "
		    "byte limit", cm.props_len, COMMITLOG_PROPS_MAX);
		return (0);
	}
	cm.topic = pl->topic;
	cm.topic_len = strlen(pl->topic);
	cm.queue_id = pl->queue_id;
	cm.flags = o->flags & COMMITLOG_F_COMPRESSED;
	cm.born_ts = o->born_ts != 0 ? o->born_ts : pl->now;
	memcpy(cm.born_host.addr, pl->born, 16);
	cm.born_host.port = pl->born_port;
	cm.reconsume = pl->reconsume;
	cm.body = o->body;
	cm.body_len = o->body_len;
	size = (size_t)commitlog_record_size(&cm);
	if (*cap - *len < size) {
		*cap = *len + size > 2 * *cap ? *len + size : 2 * *cap;
		*buf = xrealloc(*buf, *cap);
	}
	commitlog_encode(*buf + *len, &cm, (uint32_t)size, 0);
	*len += size;
	return (size);
}

/*
 * The wire Message of a stored message, taking sm's body and strings (sm
 * is left to be freed).  The broker's properties stay among the
 * properties, so a consumer sees where a retried or delayed message came
 * from.
 */
Petrel__Message *
brokermsg_to_wire(Petrel__StoreMessage *sm)
{
	Petrel__Message	*m;
	Petrel__Property *p;
	char		 host[BROKERMSG_HOST_MAX], *s, *k;
	size_t		 i, n;

	m = msg_new(&petrel__message__descriptor);
	msg_move_string(&m->topic, &sm->topic);
	m->queue_id = sm->queue_id;
	m->queue_offset = sm->queue_offset;
	m->commit_log_offset = sm->commit_offset;
	if (sm->store_host.len == 16) {
		m->msg_id = xmalloc(BROKERMSG_ID_MAX);
		brokermsg_id(sm->store_host.data, sm->store_port,
		    sm->commit_offset, m->msg_id);
	}
	msg_move_string(&m->unique_id, &sm->uniq_id);
	m->flags = sm->flags & COMMITLOG_F_COMPRESSED;
	msg_move_bytes(&m->body, &sm->body);
	m->body_crc = crc32c(0, m->body.data, m->body.len);
	msg_move_string(&m->tags, &sm->tags);
	if (*sm->keys != '\0') {
		for (n = 1, s = sm->keys; (s = strchr(s, ' ')) != NULL; s++)
			n++;
		m->keys = xcalloc(n, sizeof *m->keys);
		s = sm->keys;
		while ((k = strsep(&s, " ")) != NULL) {
			if (*k != '\0')
				m->keys[m->n_keys++] = xstrdup(k);
		}
	}
	if (sm->n_properties != 0) {
		m->properties = xcalloc(sm->n_properties,
		    sizeof *m->properties);
		for (i = 0; i < sm->n_properties; i++) {
			p = msg_new(&petrel__property__descriptor);
			msg_move_string(&p->name, &sm->properties[i]->key);
			msg_move_string(&p->value,
			    &sm->properties[i]->value);
			m->properties[m->n_properties++] = p;
		}
	}
	m->born_timestamp_ms = sm->born_ts;
	if (sm->born_host.len == 16) {
		brokermsg_format_host(sm->born_host.data, sm->born_port, host);
		msg_set_string(&m->born_host, host);
	}
	m->store_timestamp_ms = sm->store_ts;
	if (sm->store_host.len == 16) {
		brokermsg_format_host(sm->store_host.data, sm->store_port,
		    host);
		msg_set_string(&m->store_host, host);
	}
	m->reconsume_times = sm->reconsume;
	return (m);
}

/*
 * Encoding a record straight into the wire protocol's Message, for pulls:
 * the bytes protobuf-c packs from brokermsg_to_wire(storemsg_from_record())
 * (fields in number order, proto3 defaults left out), without building
 * either message.  A struct brokermsg_wire holds what is found or
 * formatted once; brokermsg_wire_fields() sizes the fields (out NULL) or
 * writes them.
 */
struct brokermsg_wire {
	const char	*keys, *tags, *uniq;
	size_t		 keys_len, tags_len, uniq_len;
	size_t		 props_size;	/* the user properties, encoded */
	char		 id[BROKERMSG_ID_MAX];
	char		 born[BROKERMSG_HOST_MAX];
	char		 store[BROKERMSG_HOST_MAX];
	uint32_t	 crc;
};

/* Field number f of wire type varint, left out if v is 0. */
static size_t
brokermsg_put_uint(uint8_t **out, uint32_t f, uint64_t v)
{
	if (v == 0)
		return (0);
	if (out != NULL)
		*out = msg_wire_uint_put(*out, f, v);
	return (msg_wire_uint_len(f, v));
}

/* The tag and length of field number f, a message of len bytes to follow. */
static size_t
brokermsg_put_head(uint8_t **out, uint32_t f, size_t len)
{
	if (out != NULL) {
		*out = msg_wire_varint_put(*out, (uint64_t)f << 3 |
		    PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED);
		*out = msg_wire_varint_put(*out, len);
	}
	return (msg_wire_bytes_len(f, len) - len);
}

/* Field number f of len bytes at s, left out if empty. */
static size_t
brokermsg_put_bytes(uint8_t **out, uint32_t f, const void *s, size_t len)
{
	if (len == 0)
		return (0);
	if (out != NULL)
		*out = msg_wire_bytes_put(*out, f, s, len);
	return (msg_wire_bytes_len(f, len));
}

/*
 * The properties of r that are not KEYS, TAGS or UNIQ_KEY, as Property
 * messages (field 11).  With w set (and out NULL), also notes those three
 * in w: the walk that sizes the properties finds them.
 */
static size_t
brokermsg_put_props(uint8_t **out, const struct commitlog_msg *r,
    struct brokermsg_wire *w)
{
	struct storemsg_prop	 pr;
	const char		*p = r->props, *end = p + r->props_len;
	size_t			 n = 0, len;

	while (storemsg_prop_next(&p, end, &pr)) {
		if (w != NULL) {
			if (pr.kind == STOREMSG_PROP_KEYS) {
				w->keys = pr.value;
				w->keys_len = pr.value_len;
			} else if (pr.kind == STOREMSG_PROP_TAGS) {
				w->tags = pr.value;
				w->tags_len = pr.value_len;
			} else if (pr.kind == STOREMSG_PROP_UNIQ) {
				w->uniq = pr.value;
				w->uniq_len = pr.value_len;
			}
		}
		if (pr.kind != STOREMSG_PROP_USER)
			continue;
		len = brokermsg_put_bytes(NULL, PROP_F_NAME, pr.name,
		    pr.name_len) + brokermsg_put_bytes(NULL, PROP_F_VALUE,
		    pr.value, pr.value_len);
		n += brokermsg_put_head(out, MSG_F_PROPERTIES, len) + len;
		brokermsg_put_bytes(out, PROP_F_NAME, pr.name, pr.name_len);
		brokermsg_put_bytes(out, PROP_F_VALUE, pr.value, pr.value_len);
	}
	return (n);
}

/* The keys of w, space-separated, each as field 10. */
static size_t
brokermsg_put_keys(uint8_t **out, const struct brokermsg_wire *w)
{
	const char	*k = w->keys, *end = k + w->keys_len, *sp;
	size_t		 n = 0;

	for (; k < end; k = sp + 1) {
		if ((sp = memchr(k, ' ', (size_t)(end - k))) == NULL)
			sp = end;
		n += brokermsg_put_bytes(out, MSG_F_KEYS, k, (size_t)(sp - k));
	}
	return (n);
}

/* Size (out NULL) or write the fields of the Message of r. */
static size_t
brokermsg_wire_fields(uint8_t **out, const struct commitlog_msg *r,
    const struct brokermsg_wire *w)
{
	size_t	n;

	n = brokermsg_put_bytes(out, MSG_F_TOPIC, r->topic, r->topic_len);
	n += brokermsg_put_uint(out, MSG_F_QUEUE_ID, r->queue_id);
	n += brokermsg_put_uint(out, MSG_F_QUEUE_OFFSET,
	    r->queue_offset);
	n += brokermsg_put_uint(out, MSG_F_COMMIT_LOG_OFFSET, r->phys);
	n += brokermsg_put_bytes(out, MSG_F_MSG_ID, w->id, strlen(w->id));
	n += brokermsg_put_bytes(out, MSG_F_UNIQUE_ID, w->uniq, w->uniq_len);
	n += brokermsg_put_uint(out, MSG_F_FLAGS,
	    r->flags & COMMITLOG_F_COMPRESSED);
	n += brokermsg_put_bytes(out, MSG_F_BODY, r->body, r->body_len);
	n += brokermsg_put_bytes(out, MSG_F_TAGS, w->tags, w->tags_len);
	n += brokermsg_put_keys(out, w);
	n += out != NULL ? brokermsg_put_props(out, r, NULL) : w->props_size;
	n += brokermsg_put_uint(out, MSG_F_BORN_MS, r->born_ts);
	n += brokermsg_put_bytes(out, MSG_F_BORN_HOST, w->born,
	    strlen(w->born));
	n += brokermsg_put_uint(out, MSG_F_STORE_MS, r->store_ts);
	n += brokermsg_put_bytes(out, MSG_F_STORE_HOST, w->store,
	    strlen(w->store));
	n += brokermsg_put_uint(out, MSG_F_RECONSUME_TIMES, r->reconsume);
	n += brokermsg_put_uint(out, MSG_F_BODY_CRC, w->crc);
	return (n);
}

/*
 * Append record r to *buf (*len bytes used of *cap, grown as needed) as
 * a wire Message that is field field of an enclosing message: tag,
 * length, the Message's bytes.  Returns the bytes appended.
 */
size_t
brokermsg_encode(const struct commitlog_msg *r, uint32_t field,
    uint8_t **buf, size_t *len, size_t *cap)
{
	struct brokermsg_wire	 w;
	uint64_t		 tag;
	uint8_t			*p;
	size_t			 n, total;

	tag = (uint64_t)field << 3 | PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED;
	memset(&w, 0, sizeof w);
	w.props_size = brokermsg_put_props(NULL, r, &w);
	brokermsg_id(r->store_host.addr, r->store_host.port, r->phys, w.id);
	brokermsg_format_host(r->born_host.addr, r->born_host.port, w.born);
	brokermsg_format_host(r->store_host.addr, r->store_host.port,
	    w.store);
	w.crc = crc32c(0, r->body, r->body_len);
	n = brokermsg_wire_fields(NULL, r, &w);
	total = msg_wire_varint_len(tag) + msg_wire_varint_len(n) + n;
	if (*cap - *len < total) {
		*cap = *len + total > 2 * *cap ? *len + total : 2 * *cap;
		*buf = xrealloc(*buf, *cap);
	}
	p = *buf + *len;
	p = msg_wire_varint_put(p, tag);
	p = msg_wire_varint_put(p, n);
	if (brokermsg_wire_fields(&p, r, &w) != n ||
	    p != *buf + *len + total)
		fatalx("%s: encoded size changed", __func__);
	*len += total;
	return (total);
}

/* Size (out NULL) or write the fields of r's SendResult, id idlen bytes. */
static size_t
brokermsg_result_fields(uint8_t **out, const struct brokermsg_result *r,
    const char *id, size_t idlen)
{
	size_t	n;

	n = brokermsg_put_bytes(out, RESULT_F_MSG_ID, id, idlen);
	n += brokermsg_put_bytes(out, RESULT_F_UNIQUE_ID, r->uniq, r->uniq_len);
	n += brokermsg_put_uint(out, RESULT_F_QUEUE_ID, r->queue_id);
	n += brokermsg_put_uint(out, RESULT_F_QUEUE_OFFSET, r->queue_offset);
	n += brokermsg_put_uint(out, RESULT_F_COMMIT_LOG_OFFSET,
	    r->commit_offset);
	return (n);
}

/*
 * Write at out (room for BROKERMSG_RESULT_MAX bytes) a SendResult as
 * field 2 of the answer to a send (SendMessageResponse.result and
 * SendBatchResponse.results share the number), for a message stored at
 * host and port; without offsets (stored 0) only its unique id and
 * queue.  Returns the bytes written: what protobuf-c packs, byte for byte.
 */
size_t
brokermsg_put_result(uint8_t *out, const struct brokermsg_result *r,
    const uint8_t *host, uint32_t port)
{
	char		 id[BROKERMSG_ID_MAX];
	uint8_t		*p = out;
	size_t		 idlen = 0;

	if (r->stored) {
		brokermsg_id(host, port, r->commit_offset, id);
		idlen = strlen(id);
	}
	brokermsg_put_head(&p, SENT_F_RESULTS,
	    brokermsg_result_fields(NULL, r, id, idlen));
	brokermsg_result_fields(&p, r, id, idlen);
	return ((size_t)(p - out));
}

/* The value of property name of sm, or NULL. */
const char *
brokermsg_prop(const Petrel__StoreMessage *sm, const char *name)
{
	size_t	i;

	for (i = 0; i < sm->n_properties; i++) {
		if (strcmp(sm->properties[i]->key, name) == 0)
			return (sm->properties[i]->value);
	}
	return (NULL);
}

/* Set property name of sm to value, replacing an old one. */
void
brokermsg_set_prop(Petrel__StoreMessage *sm, const char *name,
    const char *value)
{
	Petrel__StoreMessage__PropertiesEntry	*e;
	size_t					 i;

	for (i = 0; i < sm->n_properties; i++) {
		if (strcmp(sm->properties[i]->key, name) == 0) {
			msg_set_string(&sm->properties[i]->value, value);
			return;
		}
	}
	e = msg_new(&petrel__store_message__properties_entry__descriptor);
	msg_set_string(&e->key, name);
	msg_set_string(&e->value, value);
	msg_array_add((void ***)&sm->properties, &sm->n_properties, e);
}

/* Remove property name of sm, if it has one. */
void
brokermsg_del_prop(Petrel__StoreMessage *sm, const char *name)
{
	size_t	i;

	for (i = 0; i < sm->n_properties; i++) {
		if (strcmp(sm->properties[i]->key, name) == 0) {
			msg_free(sm->properties[i]);
			memmove(&sm->properties[i], &sm->properties[i + 1],
			    (sm->n_properties - i - 1) *
			    sizeof *sm->properties);
			sm->n_properties--;
			return;
		}
	}
}
