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
#include "log.h"
#include "msg.h"
#include "msgfile.h"
#include "namesrv.h"
#include "strmap.h"
#include "xmalloc.h"

#include "proto/frame.pb-c.h"
#include "proto/namesrv.pb-c.h"
#include "proto/namesrvd.pb-c.h"
#include "proto/runtime.pb-c.h"

#define KVSTORE_MAGIC		"PETRELKV"
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

/* Write the whole table to kv->path atomically; 0, or -1 with cause. */
static int
kvstore_save(struct kvstore *kv, char **cause)
{
	Petrel__KvStoreFile	*file;
	Petrel__KvNamespace	*ns;
	const char		**names;
	size_t			 n, i;
	int			 rc;

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
	rc = msgfile_save(kv->path, KVSTORE_MAGIC, &file->base, cause);
	msg_free(file);
	return (rc);
}

/* Read path into kv (a missing file is an empty store); 0, or -1. */
static int
kvstore_load(struct kvstore *kv, const char *path, char **cause)
{
	ProtobufCMessage	*m;
	Petrel__KvStoreFile	*file;
	Petrel__KvNamespace	*ns;
	Petrel__KvEntry		*e;
	const char		*why;
	size_t			 i, j;
	char			*old;

	if (msgfile_load(path, KVSTORE_MAGIC, "key/value",
	    &petrel__kv_store_file__descriptor, KVSTORE_FILE_MAX, &m,
	    cause) != 0)
		return (-1);
	if (m == NULL) {
		log_info("%s: no key/value file yet", path);
		return (0);
	}
	file = (Petrel__KvStoreFile *)m;
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

/*
 * Write the table after ns/key changed from old (NULL: it was absent).
 * Saved: free old, return 0.  Not saved: put old back, answer the error
 * (its return in *rc) and return -1, so memory never differs from disk.
 */
static int
kvstore_persist(struct kvstore *kv, const char *verb, const char *ns,
    const char *key, char *old, const struct envelope *env, int *rc)
{
	char	*cause;

	if (kvstore_save(kv, &cause) == 0) {
		free(old);
		return (0);
	}
	if (old != NULL)
		free(kvstore_set(kv, ns, key, old));
	else
		free(kvstore_unset(kv, ns, key));
	log_warnx("kv %s %s/%s not saved: %s", verb, ns, key, cause);
	*rc = actor_reply_error(env, PETREL__STATUS__STATUS_SYSTEM_ERROR,
	    "not saved: %s", cause);
	free(cause);
	return (-1);
}

/* KvPutRequest: set a key, answered once it is on disk. */
static int
kvstore_on_put(void *state, ProtobufCMessage *m, const struct envelope *env)
{
	struct kvstore		*kv = state;
	Petrel__KvPutRequest	*r = (Petrel__KvPutRequest *)m;
	const char		*why;
	char			*old;
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
	if (kvstore_persist(kv, "put", r->namespace_, r->key, old, env,
	    &rc) != 0)
		return (rc);
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
	char			*old;
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
	if (kvstore_persist(kv, "delete", r->namespace_, r->key, old, env,
	    &rc) != 0)
		return (rc);
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
