/*
 * Key/value store: namespaces of key/value configuration (RocketMQ's
 * KVConfigManager, e.g. ORDER_TOPIC_CONFIG), answering the KV requests the
 * listener routes to it.  The whole table lives in memory and in one file
 * (kvConfigPath), rewritten atomically after every change: a temporary
 * file is written and fsync'd, renamed over the old one, and the directory
 * is fsync'd.  A change is answered only once it is on disk; if writing
 * fails, the change is undone and the request fails.  It runs on a loop of
 * its own because fsync(2) blocks.
 *
 * The file is a 20-byte header -- "PETRELKV", a version, the payload length
 * and the payload's CRC-32C, each 4 bytes big-endian -- and an encoded
 * KvStoreFile (proto/namesrvd.proto).  The file is read when the store is
 * configured; a missing file is an empty store, any other problem is an
 * error that stops the daemon from starting, so data is never dropped
 * silently.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "actor.h"
#include "crc32c.h"
#include "log.h"
#include "msg.h"
#include "namesrv.h"
#include "strmap.h"
#include "xmalloc.h"

#include "proto/frame.pb-c.h"
#include "proto/namesrv.pb-c.h"
#include "proto/namesrvd.pb-c.h"
#include "proto/runtime.pb-c.h"

#define KVSTORE_MAGIC		"PETRELKV"
#define KVSTORE_VERSION		1
#define KVSTORE_HEADER		20
#define KVSTORE_FILE_MAX	(256U * 1024 * 1024)
#define KVSTORE_KEY_MAX		255
#define KVSTORE_VALUE_MAX	(64 * 1024)
#define KVSTORE_ENTRIES_MAX	100000

struct kvstore {
	struct actor	*self;
	char		*path;		/* NULL until configured */
	struct strmap	*spaces;	/* namespace -> strmap key -> value */
	size_t		 entries;	/* in every namespace */
};

static int	kvstore_init(struct actor *, void *);
static void	kvstore_fini(void *);
static int	kvstore_on_config(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	kvstore_on_put(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	kvstore_on_get(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	kvstore_on_delete(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	kvstore_on_list(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	kvstore_on_stop(void *, ProtobufCMessage *,
		    const struct envelope *);

static const struct actor_handler kvstore_handlers[] = {
	{ &petrel__kv_store_config__descriptor,	kvstore_on_config },
	{ &petrel__kv_put_request__descriptor,	kvstore_on_put },
	{ &petrel__kv_get_request__descriptor,	kvstore_on_get },
	{ &petrel__kv_delete_request__descriptor, kvstore_on_delete },
	{ &petrel__kv_list_request__descriptor,	kvstore_on_list },
	{ &petrel__stop__descriptor,		kvstore_on_stop },
	{ NULL, NULL }
};

const struct actor_type kvstore_actor = {
	.name = "kvstore",
	.size = sizeof(struct kvstore),
	.init = kvstore_init,
	.fini = kvstore_fini,
	.handlers = kvstore_handlers
};

static void
kvstore_put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static uint32_t
kvstore_get32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3]);
}

/* Free a namespace and its values. */
static void
kvstore_free_space(void *p)
{
	strmap_free(p, free);
}

/* An empty table; the file is read when configured. */
static int
kvstore_init(struct actor *a, void *state)
{
	struct kvstore	*kv = state;

	kv->self = a;
	kv->spaces = strmap_new();
	return (0);
}

/* Free the table. */
static void
kvstore_fini(void *state)
{
	struct kvstore	*kv = state;

	strmap_free(kv->spaces, kvstore_free_space);
	free(kv->path);
}

/* Check a namespace, key and value; NULL if good, else a reason. */
static const char *
kvstore_check(const char *ns, const char *key, const char *value)
{
	if (*ns == '\0')
		return ("namespace is empty");
	if (strlen(ns) > NAMESRV_NAME_MAX)
		return ("namespace is longer than 127 bytes");
	if (key != NULL && *key == '\0')
		return ("key is empty");
	if (key != NULL && strlen(key) > KVSTORE_KEY_MAX)
		return ("key is longer than 255 bytes");
	if (value != NULL && strlen(value) > KVSTORE_VALUE_MAX)
		return ("value is longer than 64 KiB");
	return (NULL);
}

/* Set a key (value handed over); returns the old value or NULL. */
static char *
kvstore_set(struct kvstore *kv, const char *ns, const char *key, char *value)
{
	struct strmap	*space;
	char		*old;

	if ((space = strmap_get(kv->spaces, ns)) == NULL) {
		space = strmap_new();
		strmap_put(kv->spaces, ns, space);
	}
	if ((old = strmap_put(space, key, value)) == NULL)
		kv->entries++;
	return (old);
}

/* Remove a key; returns its value (the caller frees it) or NULL. */
static char *
kvstore_unset(struct kvstore *kv, const char *ns, const char *key)
{
	struct strmap	*space;
	char		*old;

	if ((space = strmap_get(kv->spaces, ns)) == NULL)
		return (NULL);
	if ((old = strmap_remove(space, key)) == NULL)
		return (NULL);
	kv->entries--;
	if (strmap_count(space) == 0) {
		strmap_remove(kv->spaces, ns);
		strmap_free(space, free);
	}
	return (old);
}

/* The entries of a namespace sorted by key, into a repeated field. */
static void
kvstore_entries(struct strmap *space, Petrel__KvEntry ***entries,
    size_t *n)
{
	Petrel__KvEntry	*e;
	const char	**keys;
	size_t		  nk, i;

	keys = strmap_keys(space, &nk);
	*entries = xreallocarray(*entries, *n + nk + 1, sizeof **entries);
	for (i = 0; i < nk; i++) {
		e = msg_new(&petrel__kv_entry__descriptor);
		msg_set_string(&e->key, keys[i]);
		msg_set_string(&e->value, strmap_get(space, keys[i]));
		(*entries)[(*n)++] = e;
	}
	free(keys);
}

/* Write all of buf to fd; 0 or -1 with errno. */
static int
kvstore_write_all(int fd, const uint8_t *buf, size_t len)
{
	ssize_t	n;

	while (len != 0) {
		if ((n = write(fd, buf, len)) == -1) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		buf += n;
		len -= (size_t)n;
	}
	return (0);
}

/* fsync(2) the directory holding path, so a rename in it is durable. */
static int
kvstore_sync_dir(const char *path)
{
	char	*copy, *dir;
	int	 fd, rc;

	copy = xstrdup(path);
	dir = dirname(copy);
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		free(copy);
		return (-1);
	}
	rc = fsync(fd);
	close(fd);
	free(copy);
	return (rc);
}

/* Write the whole table to kv->path atomically; 0, or -1 with cause. */
static int
kvstore_save(struct kvstore *kv, char **cause)
{
	Petrel__KvStoreFile	*file;
	Petrel__KvNamespace	*ns;
	const char		**names;
	uint8_t			*buf;
	size_t			 n, i, len;
	char			*tmp;
	int			 fd, saved;

	file = msg_new(&petrel__kv_store_file__descriptor);
	names = strmap_keys(kv->spaces, &n);
	for (i = 0; i < n; i++) {
		ns = msg_new(&petrel__kv_namespace__descriptor);
		msg_set_string(&ns->name, names[i]);
		kvstore_entries(strmap_get(kv->spaces, names[i]),
		    &ns->entries, &ns->n_entries);
		msg_array_add((void ***)&file->namespaces,
		    &file->n_namespaces, ns);
	}
	free(names);
	len = protobuf_c_message_get_packed_size(&file->base);
	buf = xmalloc(KVSTORE_HEADER + len);
	memcpy(buf, KVSTORE_MAGIC, 8);
	kvstore_put32(buf + 8, KVSTORE_VERSION);
	kvstore_put32(buf + 12, (uint32_t)len);
	protobuf_c_message_pack(&file->base, buf + KVSTORE_HEADER);
	kvstore_put32(buf + 16, crc32c(0, buf + KVSTORE_HEADER, len));
	msg_free(file);

	xasprintf(&tmp, "%s.tmp", kv->path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd == -1 || kvstore_write_all(fd, buf, KVSTORE_HEADER + len) != 0 ||
	    fsync(fd) != 0) {
		saved = errno;
		xasprintf(cause, "%s: %s", tmp, strerror(saved));
		if (fd != -1) {
			close(fd);
			unlink(tmp);
		}
		free(tmp);
		free(buf);
		return (-1);
	}
	free(buf);
	if (close(fd) != 0 || rename(tmp, kv->path) != 0) {
		xasprintf(cause, "%s: %s", kv->path, strerror(errno));
		unlink(tmp);
		free(tmp);
		return (-1);
	}
	free(tmp);
	if (kvstore_sync_dir(kv->path) != 0) {
		xasprintf(cause, "%s: syncing its directory: %s", kv->path,
		    strerror(errno));
		return (-1);
	}
	return (0);
}

/* Decode a file's bytes into kv; 0, or -1 with cause. */
static int
kvstore_decode(struct kvstore *kv, const char *path, const uint8_t *buf,
    size_t size, char **cause)
{
	Petrel__KvStoreFile	*file;
	Petrel__KvNamespace	*ns;
	Petrel__KvEntry		*e;
	const char		*why;
	uint32_t		 len;
	size_t			 i, j;
	char			*old;

	if (size < KVSTORE_HEADER || memcmp(buf, KVSTORE_MAGIC, 8) != 0) {
		xasprintf(cause, "%s: not a Petrel key/value file", path);
		return (-1);
	}
	if (kvstore_get32(buf + 8) != KVSTORE_VERSION) {
		xasprintf(cause, "%s: unknown version %" PRIu32, path,
		    kvstore_get32(buf + 8));
		return (-1);
	}
	len = kvstore_get32(buf + 12);
	if (len != size - KVSTORE_HEADER) {
		xasprintf(cause, "%s: corrupt: %" PRIu32 " bytes of data "
		    "announced, %zu found", path, len, size - KVSTORE_HEADER);
		return (-1);
	}
	if (crc32c(0, buf + KVSTORE_HEADER, len) != kvstore_get32(buf + 16)) {
		xasprintf(cause, "%s: corrupt: checksum mismatch", path);
		return (-1);
	}
	file = msg_unpack(&petrel__kv_store_file__descriptor,
	    buf + KVSTORE_HEADER, len);
	if (file == NULL) {
		xasprintf(cause, "%s: corrupt: the data does not decode", path);
		return (-1);
	}
	for (i = 0; i < file->n_namespaces; i++) {
		ns = file->namespaces[i];
		for (j = 0; j < ns->n_entries; j++) {
			e = ns->entries[j];
			if ((why = kvstore_check(ns->name, e->key,
			    e->value)) != NULL) {
				xasprintf(cause, "%s: corrupt: %s", path, why);
				msg_free(file);
				return (-1);
			}
			old = kvstore_set(kv, ns->name, e->key,
			    xstrdup(e->value));
			if (old != NULL) {
				free(old);
				xasprintf(cause, "%s: corrupt: key %s of "
				    "namespace %s is there twice", path,
				    e->key, ns->name);
				msg_free(file);
				return (-1);
			}
		}
	}
	msg_free(file);
	return (0);
}

/* Read path into kv (a missing file is an empty store); 0, or -1. */
static int
kvstore_load(struct kvstore *kv, const char *path, char **cause)
{
	struct stat	 st;
	uint8_t		*buf;
	ssize_t		 n;
	size_t		 got = 0;
	int		 fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT) {
			log_info("%s: no key/value file yet", path);
			return (0);
		}
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return (-1);
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > KVSTORE_FILE_MAX) {
		xasprintf(cause, "%s: %s", path, !S_ISREG(st.st_mode) ?
		    "not a regular file" : "too large");
		close(fd);
		return (-1);
	}
	buf = xmalloc((size_t)st.st_size + 1);
	while (got < (size_t)st.st_size) {
		n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (got != (size_t)st.st_size) {
		xasprintf(cause, "%s: short read", path);
		free(buf);
		return (-1);
	}
	rc = kvstore_decode(kv, path, buf, got, cause);
	free(buf);
	return (rc);
}

/* Create the directory of path and its parents if they are missing. */
static int
kvstore_mkdirs(const char *path, char **cause)
{
	char	*copy, *p;

	copy = xstrdup(path);
	for (p = copy + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		if (mkdir(copy, 0750) != 0 && errno != EEXIST) {
			xasprintf(cause, "%s: %s", copy, strerror(errno));
			free(copy);
			return (-1);
		}
		*p = '/';
	}
	free(copy);
	return (0);
}

/* KvStoreConfig: read the file, once; refuse a corrupt one. */
static int
kvstore_on_config(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct kvstore		*kv = state;
	Petrel__KvStoreConfig	*c = (Petrel__KvStoreConfig *)m;
	Petrel__Configured	*ack;
	char			*cause = NULL;

	ack = msg_new(&petrel__configured__descriptor);
	if (*c->path == '\0')
		cause = xstrdup("no key/value file given");
	else if (kv->path != NULL) {
		if (strcmp(kv->path, c->path) != 0)
			xasprintf(&cause, "key/value file cannot change from "
			    "%s to %s while running", kv->path, c->path);
	} else if (kvstore_mkdirs(c->path, &cause) == 0 &&
	    kvstore_load(kv, c->path, &cause) == 0) {
		kv->path = xstrdup(c->path);
		log_info("%s: %zu keys in %zu namespaces", kv->path,
		    kv->entries, strmap_count(kv->spaces));
	} else {
		strmap_free(kv->spaces, kvstore_free_space);
		kv->spaces = strmap_new();
		kv->entries = 0;
	}
	if (cause != NULL) {
		msg_set_string(&ack->error, cause);
		free(cause);
	}
	actor_reply(env, ack);
	return (0);
}

/* KvPutRequest: set a key, answered once it is on disk. */
static int
kvstore_on_put(void *state, ProtobufCMessage *m, const struct envelope *env)
{
	struct kvstore		*kv = state;
	Petrel__KvPutRequest	*r = (Petrel__KvPutRequest *)m;
	const char		*why;
	char			*old, *cause;
	int			 rc;

	if (kv->path == NULL)
		return (actor_reply_error(env,
		    PETREL__STATUS__STATUS_SYSTEM_ERROR,
		    "key/value store not configured"));
	if ((why = kvstore_check(r->namespace_, r->key, r->value)) != NULL)
		return (actor_reply_error(env,
		    PETREL__STATUS__STATUS_BAD_REQUEST, "%s", why));
	old = kvstore_set(kv, r->namespace_, r->key, xstrdup(r->value));
	if (old == NULL && kv->entries > KVSTORE_ENTRIES_MAX) {
		free(kvstore_unset(kv, r->namespace_, r->key));
		return (actor_reply_error(env,
		    PETREL__STATUS__STATUS_BAD_REQUEST,
		    "the store is full (%d keys)", KVSTORE_ENTRIES_MAX));
	}
	if (kvstore_save(kv, &cause) != 0) {
		if (old != NULL)
			free(kvstore_set(kv, r->namespace_, r->key, old));
		else
			free(kvstore_unset(kv, r->namespace_, r->key));
		log_warnx("kv put %s/%s not saved: %s", r->namespace_, r->key,
		    cause);
		rc = actor_reply_error(env, PETREL__STATUS__STATUS_SYSTEM_ERROR,
		    "not saved: %s", cause);
		free(cause);
		return (rc);
	}
	free(old);
	log_debug("kv put %s/%s", r->namespace_, r->key);
	return (actor_reply(env,
	    msg_new(&petrel__kv_put_response__descriptor)));
}

/* KvGetRequest: the value of a key. */
static int
kvstore_on_get(void *state, ProtobufCMessage *m, const struct envelope *env)
{
	struct kvstore		*kv = state;
	Petrel__KvGetRequest	*r = (Petrel__KvGetRequest *)m;
	Petrel__KvGetResponse	*resp;
	struct strmap		*space;
	const char		*why, *value = NULL;

	if ((why = kvstore_check(r->namespace_, r->key, NULL)) != NULL)
		return (actor_reply_error(env,
		    PETREL__STATUS__STATUS_BAD_REQUEST, "%s", why));
	if ((space = strmap_get(kv->spaces, r->namespace_)) != NULL)
		value = strmap_get(space, r->key);
	if (value == NULL)
		return (actor_reply_error(env, PETREL__STATUS__STATUS_NOT_FOUND,
		    "no key %s in namespace %s", r->key, r->namespace_));
	resp = msg_new(&petrel__kv_get_response__descriptor);
	msg_set_string(&resp->value, value);
	return (actor_reply(env, resp));
}

/* KvDeleteRequest: remove a key, answered once on disk. */
static int
kvstore_on_delete(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct kvstore		*kv = state;
	Petrel__KvDeleteRequest	*r = (Petrel__KvDeleteRequest *)m;
	const char		*why;
	char			*old, *cause;
	int			 rc;

	if (kv->path == NULL)
		return (actor_reply_error(env,
		    PETREL__STATUS__STATUS_SYSTEM_ERROR,
		    "key/value store not configured"));
	if ((why = kvstore_check(r->namespace_, r->key, NULL)) != NULL)
		return (actor_reply_error(env,
		    PETREL__STATUS__STATUS_BAD_REQUEST, "%s", why));
	if ((old = kvstore_unset(kv, r->namespace_, r->key)) == NULL)
		return (actor_reply_error(env, PETREL__STATUS__STATUS_NOT_FOUND,
		    "no key %s in namespace %s", r->key, r->namespace_));
	if (kvstore_save(kv, &cause) != 0) {
		free(kvstore_set(kv, r->namespace_, r->key, old));
		log_warnx("kv delete %s/%s not saved: %s", r->namespace_,
		    r->key, cause);
		rc = actor_reply_error(env, PETREL__STATUS__STATUS_SYSTEM_ERROR,
		    "not saved: %s", cause);
		free(cause);
		return (rc);
	}
	free(old);
	log_debug("kv delete %s/%s", r->namespace_, r->key);
	return (actor_reply(env,
	    msg_new(&petrel__kv_delete_response__descriptor)));
}

/* KvListRequest: the keys of a namespace, sorted. */
static int
kvstore_on_list(void *state, ProtobufCMessage *m, const struct envelope *env)
{
	struct kvstore		*kv = state;
	Petrel__KvListRequest	*r = (Petrel__KvListRequest *)m;
	Petrel__KvListResponse	*resp;
	struct strmap		*space;
	const char		*why;

	if ((why = kvstore_check(r->namespace_, NULL, NULL)) != NULL)
		return (actor_reply_error(env,
		    PETREL__STATUS__STATUS_BAD_REQUEST, "%s", why));
	if ((space = strmap_get(kv->spaces, r->namespace_)) == NULL)
		return (actor_reply_error(env, PETREL__STATUS__STATUS_NOT_FOUND,
		    "no namespace %s", r->namespace_));
	resp = msg_new(&petrel__kv_list_response__descriptor);
	kvstore_entries(space, &resp->entries, &resp->n_entries);
	return (actor_reply(env, resp));
}

/* Stop: answer at once. */
static int
kvstore_on_stop(void *state, ProtobufCMessage *m, const struct envelope *env)
{
	/* Every change was saved before it was answered: nothing to flush. */
	return (actor_reply(env, msg_new(&petrel__stopped__descriptor)));
}
