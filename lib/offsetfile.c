/*
 * A broadcasting consumer's offsets in a local file: a LocalOffsets
 * message (proto/consumer.proto) in a msgfile, replaced atomically on each
 * save (msgfile.c writes a temporary file, fsyncs and renames it).  The
 * consumer actor loads it when it starts, sets offsets as messages are
 * done and saves it every few seconds and when it stops.  A file of
 * another group is refused rather than overwritten.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consumer.pb-c.h"
#include "msg.h"
#include "msgfile.h"
#include "offsetfile.h"
#include "strmap.h"
#include "xmalloc.h"

#define OFFSETFILE_MAGIC	"PTRLOFFS"
#define OFFSETFILE_MAX		(64U * 1024 * 1024)

struct offsetfile_entry {
	char		*topic;
	char		*broker;
	uint32_t	 queue_id;
	uint64_t	 offset;
};

struct offsetfile {
	char		*path;
	char		*group;
	struct strmap	*map;		/* "topic broker qid" -> entry */
	int		 dirty;
};

/* The map key of a queue; the caller frees it. */
static char *
offsetfile_key(const char *topic, const char *broker, uint32_t queue_id)
{
	char	*key;

	xasprintf(&key, "%s %s %" PRIu32, topic, broker, queue_id);
	return (key);
}

/* Free one entry (strmap_free callback). */
static void
offsetfile_entry_free(void *p)
{
	struct offsetfile_entry	*e = p;

	free(e->topic);
	free(e->broker);
	free(e);
}

/*
 * Open the offsets of group kept in path, loading them if the file
 * exists.  NULL with *cause if it cannot be read or is another group's.
 */
struct offsetfile *
offsetfile_open(const char *path, const char *group, char **cause)
{
	struct offsetfile	*of;
	ProtobufCMessage	*m = NULL;
	Petrel__LocalOffsets	*lo;
	size_t			 i;

	if (msgfile_load(path, OFFSETFILE_MAGIC, "offsets",
	    &petrel__local_offsets__descriptor, OFFSETFILE_MAX, &m,
	    cause) != 0)
		return (NULL);
	lo = (Petrel__LocalOffsets *)m;
	if (lo != NULL && strcmp(lo->group, group) != 0) {
		xasprintf(cause, "%s holds the offsets of group %s, not %s",
		    path, lo->group, group);
		msg_free(m);
		return (NULL);
	}
	of = xcalloc(1, sizeof *of);
	of->path = xstrdup(path);
	of->group = xstrdup(group);
	of->map = strmap_new();
	for (i = 0; lo != NULL && i < lo->n_offsets; i++) {
		offsetfile_set(of, lo->offsets[i]->topic,
		    lo->offsets[i]->broker_name, lo->offsets[i]->queue_id,
		    lo->offsets[i]->offset);
	}
	of->dirty = 0;
	msg_free(m);
	return (of);
}

/* Free of without saving. */
void
offsetfile_free(struct offsetfile *of)
{
	if (of == NULL)
		return;
	strmap_free(of->map, offsetfile_entry_free);
	free(of->path);
	free(of->group);
	free(of);
}

/* The kept offset of a queue: 0 with *offset, or -1 if none is kept. */
int
offsetfile_get(struct offsetfile *of, const char *topic, const char *broker,
    uint32_t queue_id, uint64_t *offset)
{
	struct offsetfile_entry	*e;
	char			*key;

	key = offsetfile_key(topic, broker, queue_id);
	e = strmap_get(of->map, key);
	free(key);
	if (e == NULL)
		return (-1);
	*offset = e->offset;
	return (0);
}

/* Keep offset for a queue (saved by the next offsetfile_save()). */
void
offsetfile_set(struct offsetfile *of, const char *topic, const char *broker,
    uint32_t queue_id, uint64_t offset)
{
	struct offsetfile_entry	*e;
	char			*key;

	key = offsetfile_key(topic, broker, queue_id);
	if ((e = strmap_get(of->map, key)) == NULL) {
		e = xcalloc(1, sizeof *e);
		e->topic = xstrdup(topic);
		e->broker = xstrdup(broker);
		e->queue_id = queue_id;
		e->offset = offset;
		strmap_put(of->map, key, e);
		of->dirty = 1;
	} else if (e->offset != offset) {
		e->offset = offset;
		of->dirty = 1;
	}
	free(key);
}

/* Write the offsets to the file if any changed; 0 or -1 with *cause. */
int
offsetfile_save(struct offsetfile *of, char **cause)
{
	Petrel__LocalOffsets	*lo;
	Petrel__LocalOffset	*o;
	struct offsetfile_entry	*e;
	const char		**keys;
	size_t			 n, i;
	int			 rc;

	if (!of->dirty)
		return (0);
	lo = msg_new(&petrel__local_offsets__descriptor);
	msg_set_string(&lo->group, of->group);
	keys = strmap_keys(of->map, &n);
	lo->offsets = xcalloc(n == 0 ? 1 : n, sizeof *lo->offsets);
	for (i = 0; i < n; i++) {
		e = strmap_get(of->map, keys[i]);
		o = msg_new(&petrel__local_offset__descriptor);
		msg_set_string(&o->topic, e->topic);
		msg_set_string(&o->broker_name, e->broker);
		o->queue_id = e->queue_id;
		o->offset = e->offset;
		lo->offsets[lo->n_offsets++] = o;
	}
	free(keys);
	rc = msgfile_save(of->path, OFFSETFILE_MAGIC,
	    (ProtobufCMessage *)lo, cause);
	msg_free(lo);
	if (rc == 0)
		of->dirty = 0;
	return (rc);
}

/*
 * The default offset file of group: $HOME/.petrel/offsets-<group>,
 * making $HOME/.petrel if needed (/tmp when HOME is unset).  The caller
 * frees it.
 */
char *
offsetfile_default_path(const char *group)
{
	const char	*home = getenv("HOME");
	char		*dir, *path;

	if (home == NULL || *home == '\0')
		home = "/tmp";
	xasprintf(&dir, "%s/.petrel", home);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		xasprintf(&path, "%s/petrel-offsets-%s", "/tmp", group);
	else
		xasprintf(&path, "%s/offsets-%s", dir, group);
	free(dir);
	return (path);
}
