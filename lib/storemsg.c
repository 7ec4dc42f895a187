/*
 * Conversions between Petrel__StoreMessage and commit log records.  Keys,
 * tags, unique id and user properties become the record's property string
 * (name \001 value, pairs joined by \002, as RocketMQ stores them), and
 * back.  Used by the commit log writer (to records, with one property
 * buffer for a whole batch) and the dispatcher (from records, for reads).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "commitlog.h"
#include "msg.h"
#include "storemsg.h"
#include "xmalloc.h"

/* Whether s may be a property name (nonempty) or value: no separators. */
static int
storemsg_clean(const char *s, int name)
{
	if (name && *s == '\0')
		return (0);
	return (strchr(s, COMMITLOG_PROP_NV) == NULL &&
	    strchr(s, COMMITLOG_PROP_SEP) == NULL);
}

/* One name/value pair's bytes with its separators. */
static size_t
storemsg_pair_len(const char *name, const char *value)
{
	if (*value == '\0')
		return (0);
	return (strlen(name) + 1 + strlen(value) + 1);
}

/*
 * What a property named name (len bytes) is: one of the record's own
 * (keys, tags, unique id), or the user's.
 */
int
storemsg_prop_kind(const char *name, size_t len)
{
	if (len == 4 && memcmp(name, COMMITLOG_PROP_KEYS, 4) == 0)
		return (STOREMSG_PROP_KEYS);
	if (len == 4 && memcmp(name, COMMITLOG_PROP_TAGS, 4) == 0)
		return (STOREMSG_PROP_TAGS);
	if (len == 8 && memcmp(name, COMMITLOG_PROP_UNIQ, 8) == 0)
		return (STOREMSG_PROP_UNIQ);
	return (STOREMSG_PROP_USER);
}

/*
 * Bytes m's properties take in a record, or -1 with *cause when a name or
 * value cannot be stored (a separator byte, an empty or reserved name).
 */
ssize_t
storemsg_props_len(const Petrel__StoreMessage *m, char **cause)
{
	const char	*name, *value;
	size_t		 n = 0, i;

	if (!storemsg_clean(m->keys, 0) || !storemsg_clean(m->tags, 0) ||
	    !storemsg_clean(m->uniq_id, 0)) {
		xasprintf(cause, "keys, tags and id may not hold bytes 1 or 2");
		return (-1);
	}
	n += storemsg_pair_len(COMMITLOG_PROP_KEYS, m->keys);
	n += storemsg_pair_len(COMMITLOG_PROP_TAGS, m->tags);
	n += storemsg_pair_len(COMMITLOG_PROP_UNIQ, m->uniq_id);
	for (i = 0; i < m->n_properties; i++) {
		name = m->properties[i]->key;
		value = m->properties[i]->value;
		if (!storemsg_clean(name, 1) || !storemsg_clean(value, 0)) {
			xasprintf(cause, "property \"%.64s\" has an empty name "
			    "or bytes 1 or 2", name);
			return (-1);
		}
		if (storemsg_prop_kind(name, strlen(name)) !=
		    STOREMSG_PROP_USER) {
			xasprintf(cause, "property name %s is reserved", name);
			return (-1);
		}
		n += strlen(name) + 1 + strlen(value) + 1;
	}
	return ((ssize_t)(n > 0 ? n - 1 : 0));	/* no separator at the end */
}

/* Append one pair at p; returns the new end. */
static char *
storemsg_pair(char *p, const char *name, const char *value, int always)
{
	size_t	nl = strlen(name), vl = strlen(value);

	if (vl == 0 && !always)
		return (p);
	memcpy(p, name, nl);
	p[nl] = COMMITLOG_PROP_NV;
	memcpy(p + nl + 1, value, vl);
	p[nl + 1 + vl] = COMMITLOG_PROP_SEP;
	return (p + nl + vl + 2);
}

/*
 * Write m's properties at dst, which has room for storemsg_props_len()
 * bytes plus one; returns how many were written.
 */
size_t
storemsg_props_write(const Petrel__StoreMessage *m, char *dst)
{
	char	*p = dst;
	size_t	 i;

	p = storemsg_pair(p, COMMITLOG_PROP_KEYS, m->keys, 0);
	p = storemsg_pair(p, COMMITLOG_PROP_TAGS, m->tags, 0);
	p = storemsg_pair(p, COMMITLOG_PROP_UNIQ, m->uniq_id, 0);
	for (i = 0; i < m->n_properties; i++) {
		p = storemsg_pair(p, m->properties[i]->key,
		    m->properties[i]->value, 1);
	}
	return (p > dst ? (size_t)(p - dst) - 1 : 0);
}

/* Copy a host address of up to 16 bytes. */
static void
storemsg_host(struct commitlog_host *h, const ProtobufCBinaryData *addr,
    uint32_t port)
{
	memset(h, 0, sizeof *h);
	if (addr->len > 0)
		memcpy(h->addr, addr->data, addr->len < 16 ? addr->len : 16);
	h->port = (uint16_t)port;
}

/*
 * Fill r from m, with props (props_len bytes) as its properties; r points
 * into m and props, which must outlive it.
 */
void
storemsg_to_record(const Petrel__StoreMessage *m, char *props,
    size_t props_len, struct commitlog_msg *r)
{
	memset(r, 0, sizeof *r);
	r->topic = m->topic;
	r->topic_len = strlen(m->topic);
	r->queue_id = m->queue_id;
	r->flags = m->flags;
	r->born_ts = m->born_ts;
	r->store_ts = m->store_ts;
	storemsg_host(&r->born_host, &m->born_host, m->born_port);
	storemsg_host(&r->store_host, &m->store_host, m->store_port);
	r->reconsume = m->reconsume;
	r->props = props;
	r->props_len = props_len;
	r->body = m->body.data;
	r->body_len = m->body.len;
}

/* A new message holding record r, body and all (msg_free() it). */
Petrel__StoreMessage *
storemsg_from_record(const struct commitlog_msg *r)
{
	Petrel__StoreMessage			*m;
	Petrel__StoreMessage__PropertiesEntry	*e;
	struct storemsg_prop			 pr;
	const char				*p, *end;
	char					**field;

	m = msg_new(&petrel__store_message__descriptor);
	m->topic = xstrndup(r->topic, r->topic_len);
	m->queue_id = r->queue_id;
	m->flags = r->flags;
	m->born_ts = r->born_ts;
	msg_set_bytes(&m->born_host, r->born_host.addr, 16);
	m->born_port = r->born_host.port;
	m->reconsume = r->reconsume;
	msg_set_bytes(&m->body, r->body, r->body_len);
	m->queue_offset = r->queue_offset;
	m->commit_offset = r->phys;
	m->store_ts = r->store_ts;
	msg_set_bytes(&m->store_host, r->store_host.addr, 16);
	m->store_port = r->store_host.port;
	m->size = r->size;
	p = r->props;
	end = p + r->props_len;
	while (storemsg_prop_next(&p, end, &pr)) {
		field = NULL;
		switch (pr.kind) {
		case STOREMSG_PROP_KEYS:
			field = &m->keys;
			break;
		case STOREMSG_PROP_TAGS:
			field = &m->tags;
			break;
		case STOREMSG_PROP_UNIQ:
			field = &m->uniq_id;
			break;
		case STOREMSG_PROP_USER:
			break;
		}
		if (field != NULL) {
			msg_set_string(field, NULL);
			*field = xstrndup(pr.value, pr.value_len);
			continue;
		}
		e = msg_new(
		    &petrel__store_message__properties_entry__descriptor);
		e->key = xstrndup(pr.name, pr.name_len);
		e->value = xstrndup(pr.value, pr.value_len);
		msg_array_add((void ***)&m->properties, &m->n_properties, e);
	}
	return (m);
}

/*
 * The next property of a record's properties from *p up to end: 1 with
 * pr filled in and *p past it, or 0 at the end.  Pieces without a
 * name-value separator are skipped.
 */
int
storemsg_prop_next(const char **p, const char *end, struct storemsg_prop *pr)
{
	const char	*s, *sep, *nv;

	for (s = *p; s < end; s = sep + 1) {
		if ((sep = memchr(s, COMMITLOG_PROP_SEP, (size_t)(end - s))) ==
		    NULL)
			sep = end;
		if ((nv = memchr(s, COMMITLOG_PROP_NV, (size_t)(sep - s))) ==
		    NULL)
			continue;
		pr->name = s;
		pr->name_len = (size_t)(nv - s);
		pr->value = nv + 1;
		pr->value_len = (size_t)(sep - nv - 1);
		pr->kind = storemsg_prop_kind(s, pr->name_len);
		*p = sep < end ? sep + 1 : end;
		return (1);
	}
	*p = end;
	return (0);
}
