/*
 * Offset manager: the committed consumer offsets of every group, topic and
 * queue, kept in memory and written to <root>/config/consumerOffsets every
 * flush interval (5 s) when something changed, and on Stop.  Answers the
 * offset requests of proto/broker.proto the listener routes to it (query,
 * update, commit, list, reset by time).  A reset by time asks the store
 * for the offsets of every queue of the topic (StoreOffsetsByTime in
 * proto/brokerd.proto) and answers when the store does.
 *
 * It also answers CODE_GET_CONSUMER_GROUPS, the consumer groups the
 * broker knows: it asks the source named by ConsumerGroupsSource (the
 * consumer manager) the same request, which answers the groups online,
 * and merges in the groups it has offsets of, with their topics, sorted
 * by name and bounded (BROKER_GROUPS_MAX, BROKER_GROUPS_TOPICS_MAX).  So
 * a group whose consumers are all gone is still listed, and the merging
 * runs on this loop, not on the consumer manager's.  Without a source it
 * answers the groups with offsets alone.  Requests waiting for the store
 * or the source are answered by Stop.
 *
 * The file is replaced atomically (actors/brokerlib.c); a write that fails
 * is logged and tried again at the next flush, the old file staying as it
 * was.  Writing fsyncs, so the daemon runs this actor on its "config"
 * loop (actors/broker.h).  A corrupt file is an error at configuration.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actor.h"
#include "broker.h"
#include "log.h"
#include "msg.h"
#include "msgfile.h"
#include "strmap.h"
#include "xmalloc.h"

#include "proto/broker.pb-c.h"
#include "proto/brokerd.pb-c.h"
#include "proto/frame.pb-c.h"
#include "proto/runtime.pb-c.h"

#define OM_MAGIC	"PTOFFSET"
#define OM_FILE		"consumerOffsets"
#define OM_TIMER	1
#define OM_UNSET	UINT64_MAX
#define OM_WAITS_MAX	64		/* requests waiting for an answer */

/* The offsets of one group in one topic, indexed by queue id. */
struct om_topic {
	uint64_t	*offsets;	/* OM_UNSET where none */
	size_t		 n;
};

/*
 * A request waiting for another actor's answer: a reset by time for the
 * store's, a group list for the source's.
 */
struct om_wait {
	uint64_t	 cookie;
	struct envelope	 env;
	char		*group;		/* a reset's; NULL: a group list */
	char		*topic;
	struct om_wait	*next;
};

struct offset_manager {
	struct actor	*self;
	char		*path;		/* NULL until configured */
	struct strmap	*groups;	/* group -> strmap topic -> om_topic */
	int		 dirty;
	uint64_t	 flush_ms;
	uint64_t	 store;
	uint64_t	 source;	/* of the groups online */
	struct om_wait	*waits;
	size_t		 nwaits;
	uint64_t	 next_cookie;
};

static int	offset_manager_init(struct actor *, void *);
static void	offset_manager_fini(void *);
static int	offset_manager_on_config(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	offset_manager_on_query(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	offset_manager_on_update(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	offset_manager_on_commit(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	offset_manager_on_list(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	offset_manager_on_reset(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	offset_manager_on_store_result(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	offset_manager_on_groups(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	offset_manager_on_online(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	offset_manager_on_source(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	offset_manager_on_error(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	offset_manager_on_tick(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	offset_manager_on_stop(void *, ProtobufCMessage *,
		    const struct envelope *);

static const struct actor_handler offset_manager_handlers[] = {
	{ &petrel__offset_manager_config__descriptor,
	  offset_manager_on_config },
	{ &petrel__query_consumer_offset_request__descriptor,
	  offset_manager_on_query },
	{ &petrel__update_consumer_offset_request__descriptor,
	  offset_manager_on_update },
	{ &petrel__commit_consumer_offsets_request__descriptor,
	  offset_manager_on_commit },
	{ &petrel__get_consumer_offsets_request__descriptor,
	  offset_manager_on_list },
	{ &petrel__reset_consumer_offset_request__descriptor,
	  offset_manager_on_reset },
	{ &petrel__store_offsets_by_time_result__descriptor,
	  offset_manager_on_store_result },
	{ &petrel__get_consumer_groups_request__descriptor,
	  offset_manager_on_groups },
	{ &petrel__get_consumer_groups_response__descriptor,
	  offset_manager_on_online },
	{ &petrel__consumer_groups_source__descriptor,
	  offset_manager_on_source },
	{ &petrel__error__descriptor, offset_manager_on_error },
	{ &petrel__tick__descriptor, offset_manager_on_tick },
	{ &petrel__stop__descriptor, offset_manager_on_stop },
	{ NULL, NULL }
};

const struct actor_type offset_manager_actor = {
	.name = "offset_manager",
	.size = sizeof(struct offset_manager),
	.init = offset_manager_init,
	.fini = offset_manager_fini,
	.handlers = offset_manager_handlers
};

static void
offset_manager_free_topic(void *p)
{
	struct om_topic	*t = p;

	free(t->offsets);
	free(t);
}

static void
offset_manager_free_group(void *p)
{
	strmap_free(p, offset_manager_free_topic);
}

static void
offset_manager_free_wait(struct om_wait *w)
{
	free(w->group);
	free(w->topic);
	free(w);
}

static int
offset_manager_init(struct actor *a, void *state)
{
	struct offset_manager	*om = state;

	om->self = a;
	om->groups = strmap_new();
	om->flush_ms = BROKER_OFFSET_FLUSH_MS;
	return (0);
}

static void
offset_manager_fini(void *state)
{
	struct offset_manager	*om = state;
	struct om_wait		*w;

	while ((w = om->waits) != NULL) {
		om->waits = w->next;
		offset_manager_free_wait(w);
	}
	strmap_free(om->groups, offset_manager_free_group);
	free(om->path);
}

/* Check a group, topic and queue; NULL if good, else a reason in buf. */
static const char *
offset_manager_check(const char *group, const char *topic, uint32_t queue_id,
    char *buf, size_t len)
{
	const char	*why;

	if ((why = brokerlib_check_name("group", group, BROKERLIB_GROUP, buf,
	    len)) != NULL ||
	    (why = brokerlib_check_name("topic", topic, BROKERLIB_TOPIC, buf,
	    len)) != NULL)
		return (why);
	if (queue_id >= BROKER_QUEUES_MAX) {
		snprintf(buf, len, "queue_id %u is over %d", queue_id,
		    BROKER_QUEUES_MAX - 1);
		return (buf);
	}
	return (NULL);
}

/* The committed offset of group/topic/queue_id, or OM_UNSET. */
static uint64_t
offset_manager_get(struct offset_manager *om, const char *group,
    const char *topic, uint32_t queue_id)
{
	struct strmap	*g;
	struct om_topic	*t;

	if ((g = strmap_get(om->groups, group)) == NULL ||
	    (t = strmap_get(g, topic)) == NULL || queue_id >= t->n)
		return (OM_UNSET);
	return (t->offsets[queue_id]);
}

/* Set an offset; if forward, only when it moves forward.  1 if it moved. */
static int
offset_manager_set(struct offset_manager *om, const char *group,
    const char *topic, uint32_t queue_id, uint64_t offset, int forward)
{
	struct strmap	*g;
	struct om_topic	*t;
	size_t		 i;

	if ((g = strmap_get(om->groups, group)) == NULL) {
		g = strmap_new();
		strmap_put(om->groups, group, g);
	}
	if ((t = strmap_get(g, topic)) == NULL) {
		t = xcalloc(1, sizeof *t);
		strmap_put(g, topic, t);
	}
	if (queue_id >= t->n) {
		t->offsets = xreallocarray(t->offsets, queue_id + 1,
		    sizeof *t->offsets);
		for (i = t->n; i <= queue_id; i++)
			t->offsets[i] = OM_UNSET;
		t->n = queue_id + 1;
	}
	if (t->offsets[queue_id] == offset || (forward &&
	    t->offsets[queue_id] != OM_UNSET && t->offsets[queue_id] > offset))
		return (0);
	t->offsets[queue_id] = offset;
	om->dirty = 1;
	return (1);
}

/* The offsets of group (of topic only if not NULL), sorted. */
static void
offset_manager_list(struct offset_manager *om, const char *group,
    const char *topic, Petrel__QueueOffset ***out, size_t *n)
{
	Petrel__QueueOffset	*qo;
	struct strmap		*g;
	struct om_topic		*t;
	const char		**names;
	size_t			  nn, i, q;

	if ((g = strmap_get(om->groups, group)) == NULL)
		return;
	names = strmap_keys(g, &nn);
	for (i = 0; i < nn; i++) {
		if (topic != NULL && strcmp(names[i], topic) != 0)
			continue;
		t = strmap_get(g, names[i]);
		for (q = 0; q < t->n; q++) {
			if (t->offsets[q] == OM_UNSET)
				continue;
			qo = msg_new(&petrel__queue_offset__descriptor);
			msg_set_string(&qo->topic, names[i]);
			qo->queue_id = (uint32_t)q;
			qo->offset = t->offsets[q];
			msg_array_add((void ***)out, n, qo);
		}
	}
	free(names);
}

/* Write every offset if any changed; 0, or -1 with cause. */
static int
offset_manager_save(struct offset_manager *om, char **cause)
{
	Petrel__OffsetFile	*f;
	Petrel__OffsetGroup	*og;
	const char		**names;
	size_t			  n, i;
	int			  rc;

	if (!om->dirty || om->path == NULL)
		return (0);
	f = msg_new(&petrel__offset_file__descriptor);
	names = strmap_keys(om->groups, &n);
	for (i = 0; i < n; i++) {
		og = msg_new(&petrel__offset_group__descriptor);
		msg_set_string(&og->group, names[i]);
		offset_manager_list(om, names[i], NULL, &og->offsets,
		    &og->n_offsets);
		msg_array_add((void ***)&f->groups, &f->n_groups, og);
	}
	free(names);
	rc = msgfile_save(om->path, OM_MAGIC, &f->base, cause);
	msg_free(f);
	if (rc == 0)
		om->dirty = 0;
	return (rc);
}

/* Load the file; 0, or -1 with cause (and nothing loaded). */
static int
offset_manager_load(struct offset_manager *om, char **cause)
{
	ProtobufCMessage	*m;
	Petrel__OffsetFile	*f;
	Petrel__QueueOffset	*qo;
	const char		*why = NULL;
	char			 buf[256];
	size_t			 i, j;

	if (msgfile_load(om->path, OM_MAGIC, "consumer offsets",
	    &petrel__offset_file__descriptor, MSGFILE_MAX, &m, cause) != 0)
		return (-1);
	if (m == NULL)
		return (0);
	f = (Petrel__OffsetFile *)m;
	for (i = 0; why == NULL && i < f->n_groups; i++) {
		for (j = 0; why == NULL && j < f->groups[i]->n_offsets; j++) {
			qo = f->groups[i]->offsets[j];
			why = offset_manager_check(f->groups[i]->group,
			    qo->topic, qo->queue_id, buf, sizeof buf);
			if (why == NULL)
				offset_manager_set(om, f->groups[i]->group,
				    qo->topic, qo->queue_id, qo->offset, 0);
		}
	}
	msg_free(f);
	om->dirty = 0;
	if (why != NULL) {
		xasprintf(cause, "%s: corrupt: %s", om->path, why);
		strmap_free(om->groups, offset_manager_free_group);
		om->groups = strmap_new();
		return (-1);
	}
	return (0);
}

static int
offset_manager_on_config(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct offset_manager		*om = state;
	Petrel__OffsetManagerConfig	*c = (Petrel__OffsetManagerConfig *)m;
	Petrel__Configured		*ack;
	char				*cause = NULL;

	ack = msg_new(&petrel__configured__descriptor);
	if (om->path != NULL)
		cause = xstrdup("offset manager already configured");
	else if ((om->path = brokerlib_config_path(c->root, OM_FILE,
	    &cause)) != NULL) {
		if (offset_manager_load(om, &cause) != 0) {
			free(om->path);
			om->path = NULL;
		} else {
			if (c->flush_interval_ms != 0)
				om->flush_ms = c->flush_interval_ms;
			om->store = c->store;
			actor_timer(om->self, OM_TIMER, om->flush_ms, 1);
		}
	}
	if (cause != NULL) {
		msg_set_string(&ack->error, cause);
		free(cause);
	}
	return (actor_reply(env, ack));
}

/*
 * Answer env with an Error if om is not configured or the names are bad;
 * 1 if it answered.
 */
static int
offset_manager_refuse(struct offset_manager *om, const char *group,
    const char *topic, uint32_t queue_id, const struct envelope *env)
{
	const char	*why;
	char		 buf[256];

	if (om->path == NULL) {
		actor_reply_error(env,
		    PETREL__STATUS__STATUS_SERVICE_NOT_AVAILABLE,
		    "offset manager not configured");
		return (1);
	}
	if ((why = offset_manager_check(group, topic, queue_id, buf,
	    sizeof buf)) != NULL) {
		actor_reply_error(env, PETREL__STATUS__STATUS_BAD_REQUEST, "%s",
		    why);
		return (1);
	}
	return (0);
}

static int
offset_manager_on_query(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct offset_manager			*om = state;
	Petrel__QueryConsumerOffsetRequest	*r =
	    (Petrel__QueryConsumerOffsetRequest *)m;
	Petrel__QueryConsumerOffsetResponse	*resp;
	uint64_t				 off;

	if (offset_manager_refuse(om, r->group, r->topic, r->queue_id, env))
		return (0);
	if ((off = offset_manager_get(om, r->group, r->topic,
	    r->queue_id)) == OM_UNSET)
		return (actor_reply_error(env, PETREL__STATUS__STATUS_NOT_FOUND,
		    "group %s has no offset for %s queue %u", r->group,
		    r->topic, r->queue_id));
	resp = msg_new(&petrel__query_consumer_offset_response__descriptor);
	resp->offset = off;
	return (actor_reply(env, resp));
}

static int
offset_manager_on_update(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct offset_manager			*om = state;
	Petrel__UpdateConsumerOffsetRequest	*r =
	    (Petrel__UpdateConsumerOffsetRequest *)m;

	if (offset_manager_refuse(om, r->group, r->topic, r->queue_id, env))
		return (0);
	if (r->offset == OM_UNSET)
		return (actor_reply_error(env,
		    PETREL__STATUS__STATUS_BAD_REQUEST, "offset out of range"));
	offset_manager_set(om, r->group, r->topic, r->queue_id, r->offset, 0);
	return (actor_reply(env,
	    msg_new(&petrel__update_consumer_offset_response__descriptor)));
}

static int
offset_manager_on_commit(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct offset_manager			*om = state;
	Petrel__CommitConsumerOffsetsRequest	*r =
	    (Petrel__CommitConsumerOffsetsRequest *)m;
	Petrel__CommitConsumerOffsetsResponse	*resp;
	Petrel__QueueOffset			*qo;
	const char				*why;
	char					 buf[256];
	size_t					 i;

	if (*r->client_id != '\0' &&
	    (why = brokerlib_check_client_id(r->client_id, buf,
	    sizeof buf)) != NULL)
		return (actor_reply_error(env,
		    PETREL__STATUS__STATUS_BAD_REQUEST, "%s", why));
	if (r->n_offsets == 0 || r->n_offsets > BROKER_BATCH_MAX)
		return (actor_reply_error(env,
		    PETREL__STATUS__STATUS_BAD_REQUEST,
		    "%zu offsets: 1-%d in a commit", r->n_offsets,
		    BROKER_BATCH_MAX));
	for (i = 0; i < r->n_offsets; i++) {
		qo = r->offsets[i];
		if (offset_manager_refuse(om, r->group, qo->topic,
		    qo->queue_id, env))
			return (0);
		if (qo->offset == OM_UNSET)
			return (actor_reply_error(env,
			    PETREL__STATUS__STATUS_BAD_REQUEST,
			    "offset out of range"));
	}
	resp = msg_new(&petrel__commit_consumer_offsets_response__descriptor);
	for (i = 0; i < r->n_offsets; i++) {
		qo = r->offsets[i];
		resp->applied += offset_manager_set(om, r->group, qo->topic,
		    qo->queue_id, qo->offset, 1);
	}
	return (actor_reply(env, resp));
}

static int
offset_manager_on_list(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct offset_manager		*om = state;
	Petrel__GetConsumerOffsetsRequest *r =
	    (Petrel__GetConsumerOffsetsRequest *)m;
	Petrel__GetConsumerOffsetsResponse *resp;

	if (offset_manager_refuse(om, r->group,
	    *r->topic != '\0' ? r->topic : "-", 0, env))
		return (0);
	resp = msg_new(&petrel__get_consumer_offsets_response__descriptor);
	offset_manager_list(om, r->group, *r->topic != '\0' ? r->topic : NULL,
	    &resp->offsets, &resp->n_offsets);
	return (actor_reply(env, resp));
}

/*
 * Note that env waits for another actor's answer (a reset of group and
 * topic, or a group list if group is NULL); NULL, after answering env,
 * if too many wait already.
 */
static struct om_wait *
offset_manager_wait(struct offset_manager *om, const struct envelope *env,
    const char *group, const char *topic)
{
	struct om_wait	*w;

	if (om->nwaits >= OM_WAITS_MAX) {
		actor_reply_error(env, PETREL__STATUS__STATUS_SYSTEM_BUSY,
		    "%zu requests already waiting", om->nwaits);
		return (NULL);
	}
	w = xcalloc(1, sizeof *w);
	w->cookie = ++om->next_cookie;
	w->env = *env;
	if (group != NULL) {
		w->group = xstrdup(group);
		w->topic = xstrdup(topic);
	}
	w->next = om->waits;
	om->waits = w;
	om->nwaits++;
	return (w);
}

/*
 * Take the request an answer's cookie names (a reset if reset, else a
 * group list; either if reset is -1), or NULL, logging what came.
 */
static struct om_wait *
offset_manager_take(struct offset_manager *om, uint64_t cookie, int reset,
    const char *what)
{
	struct om_wait	**pp, *w;

	for (pp = &om->waits; (w = *pp) != NULL; pp = &w->next) {
		if (w->cookie == cookie && (reset == -1 ||
		    (w->group != NULL) == reset))
			break;
	}
	if (w == NULL) {
		log_warnx("offset manager: %s for no request", what);
		return (NULL);
	}
	*pp = w->next;
	om->nwaits--;
	return (w);
}

static int
offset_manager_on_reset(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct offset_manager			*om = state;
	Petrel__ResetConsumerOffsetRequest	*r =
	    (Petrel__ResetConsumerOffsetRequest *)m;
	Petrel__StoreOffsetsByTime		*ask;
	struct actor				*store;
	struct om_wait				*w;

	if (offset_manager_refuse(om, r->group, r->topic, 0, env))
		return (0);
	if ((store = actor_deref(om->store)) == NULL)
		return (actor_reply_error(env,
		    PETREL__STATUS__STATUS_SERVICE_NOT_AVAILABLE,
		    "no store to search by time"));
	if ((w = offset_manager_wait(om, env, r->group, r->topic)) == NULL)
		return (0);
	ask = msg_new(&petrel__store_offsets_by_time__descriptor);
	msg_set_string(&ask->topic, r->topic);
	ask->timestamp_ms = r->timestamp_ms;
	actor_ask(store, ask, om->self, w->cookie);
	return (0);
}

static int
offset_manager_on_store_result(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct offset_manager		*om = state;
	Petrel__StoreOffsetsByTimeResult *r =
	    (Petrel__StoreOffsetsByTimeResult *)m;
	Petrel__ResetConsumerOffsetResponse *resp;
	Petrel__QueueOffset		*qo;
	struct om_wait			*w;
	size_t				 i;

	if ((w = offset_manager_take(om, env->cookie, 1,
	    "store answer")) == NULL)
		return (0);
	if (*r->error != '\0') {
		actor_reply_error(&w->env, r->status != 0 ? r->status :
		    PETREL__STATUS__STATUS_SYSTEM_ERROR, "%s", r->error);
		offset_manager_free_wait(w);
		return (0);
	}
	resp = msg_new(&petrel__reset_consumer_offset_response__descriptor);
	for (i = 0; i < r->n_offsets; i++) {
		qo = r->offsets[i];
		if (strcmp(qo->topic, w->topic) != 0 ||
		    qo->queue_id >= BROKER_QUEUES_MAX || qo->offset == OM_UNSET)
			continue;
		offset_manager_set(om, w->group, w->topic, qo->queue_id,
		    qo->offset, 0);
		msg_array_add((void ***)&resp->offsets, &resp->n_offsets,
		    msg_dup(qo));
	}
	log_info("group %s: %zu offsets of %s reset by time", w->group,
	    resp->n_offsets, w->topic);
	actor_reply(&w->env, resp);
	offset_manager_free_wait(w);
	return (0);
}

/* Order group states by name (for qsort). */
static int
offset_manager_cmp_group(const void *a, const void *b)
{
	const Petrel__ConsumerGroupState *ga =
	    *(Petrel__ConsumerGroupState * const *)a;
	const Petrel__ConsumerGroupState *gb =
	    *(Petrel__ConsumerGroupState * const *)b;

	return (strcmp(ga->group, gb->group));
}

/*
 * Keep at most *left of the n names of v, counted down, freeing the rest.
 * Returns 1 if some went.
 */
static int
offset_manager_cut(char **v, size_t *n, size_t *left)
{
	size_t	i;
	int	cut = 0;

	if (*n > *left) {
		for (i = *left; i < *n; i++)
			free(v[i]);
		*n = *left;
		cut = 1;
	}
	*left -= *n;
	return (cut);
}

/*
 * Set gs->committed to the topics group has offsets of, at most *left,
 * counted down.  Returns 1 if some did not fit.
 */
static int
offset_manager_committed(struct offset_manager *om, const char *group,
    Petrel__ConsumerGroupState *gs, size_t *left)
{
	const char	**topics;
	size_t		  n, i;

	topics = strmap_keys(strmap_get(om->groups, group), &n);
	gs->committed = xcalloc(n + 1, sizeof *gs->committed);
	for (i = 0; i < n && i < *left; i++)
		gs->committed[gs->n_committed++] = xstrdup(topics[i]);
	*left -= gs->n_committed;
	free(topics);
	return (gs->n_committed < n);
}

/*
 * Answer env with the groups of online (the source's answer, whose groups
 * it takes; NULL if none) and the groups with offsets, merged by name.
 */
static void
offset_manager_groups(struct offset_manager *om, const struct envelope *env,
    Petrel__GetConsumerGroupsResponse *online)
{
	Petrel__GetConsumerGroupsResponse	*resp;
	Petrel__ConsumerGroupState		*gs, **on = NULL;
	const char				**names;
	size_t					  non = 0, nn, i, k, left;
	int					  cmp;

	resp = msg_new(&petrel__get_consumer_groups_response__descriptor);
	i = k = 0;
	left = BROKER_GROUPS_TOPICS_MAX;
	if (online != NULL) {
		on = online->groups;
		non = online->n_groups;
		online->groups = NULL;
		online->n_groups = 0;
		resp->truncated = online->truncated;
		if (non > 0)
			qsort(on, non, sizeof *on, offset_manager_cmp_group);
	}
	names = strmap_keys(om->groups, &nn);
	resp->groups = xcalloc(BROKER_GROUPS_MAX + 1, sizeof *resp->groups);
	while (i < non || k < nn) {
		if (resp->n_groups == BROKER_GROUPS_MAX) {
			resp->truncated = 1;
			break;
		}
		if (i == non)
			cmp = 1;
		else if (k == nn)
			cmp = -1;
		else
			cmp = strcmp(on[i]->group, names[k]);
		if (cmp <= 0)
			gs = on[i++];
		else {
			gs = msg_new(&petrel__consumer_group_state__descriptor);
			msg_set_string(&gs->group, names[k]);
		}
		if (offset_manager_cut(gs->subscribed, &gs->n_subscribed,
		    &left))
			resp->truncated = 1;
		if (cmp >= 0 && offset_manager_committed(om, names[k++], gs,
		    &left))
			resp->truncated = 1;
		resp->groups[resp->n_groups++] = gs;
	}
	for (; i < non; i++)
		msg_free(on[i]);
	free(on);
	free(names);
	actor_reply(env, resp);
}

/* CODE_GET_CONSUMER_GROUPS: ask the source for the groups online. */
static int
offset_manager_on_groups(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct offset_manager	*om = state;
	struct actor		*source;
	struct om_wait		*w;

	if (om->path == NULL)
		return (actor_reply_error(env,
		    PETREL__STATUS__STATUS_SERVICE_NOT_AVAILABLE,
		    "offset manager not configured"));
	if ((source = actor_deref(om->source)) == NULL) {
		offset_manager_groups(om, env, NULL);
		return (0);
	}
	if ((w = offset_manager_wait(om, env, NULL, NULL)) == NULL)
		return (0);
	actor_ask(source,
	    msg_new(&petrel__get_consumer_groups_request__descriptor),
	    om->self, w->cookie);
	return (0);
}

/* The source's groups online: answer the group list waiting for them. */
static int
offset_manager_on_online(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct offset_manager	*om = state;
	struct om_wait		*w;

	if ((w = offset_manager_take(om, env->cookie, 0,
	    "groups online")) == NULL)
		return (0);
	offset_manager_groups(om, &w->env,
	    (Petrel__GetConsumerGroupsResponse *)m);
	offset_manager_free_wait(w);
	return (0);
}

/* Who to ask for the groups online; sent once, not answered. */
static int
offset_manager_on_source(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct offset_manager	*om = state;

	om->source = ((Petrel__ConsumerGroupsSource *)m)->actor;
	return (0);
}

/* The store or the source could not answer: the request it was for fails. */
static int
offset_manager_on_error(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct offset_manager	*om = state;
	Petrel__Error		*e = (Petrel__Error *)m;
	struct om_wait		*w;

	if ((w = offset_manager_take(om, env->cookie, -1, "error")) == NULL)
		return (0);
	actor_reply_error(&w->env, e->status != 0 ? e->status :
	    PETREL__STATUS__STATUS_SYSTEM_ERROR, "%s", e->text);
	offset_manager_free_wait(w);
	return (0);
}

/* Write the offsets if they changed, logging a failure. */
static void
offset_manager_flush(struct offset_manager *om)
{
	char	*cause = NULL;

	if (offset_manager_save(om, &cause) != 0) {
		log_warnx("consumer offsets not written: %s", cause);
		free(cause);
	}
}

static int
offset_manager_on_tick(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	offset_manager_flush(state);
	return (0);
}

static int
offset_manager_on_stop(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct offset_manager	*om = state;
	struct om_wait		*w;

	while ((w = om->waits) != NULL) {
		om->waits = w->next;
		actor_reply_error(&w->env,
		    PETREL__STATUS__STATUS_SERVICE_NOT_AVAILABLE,
		    "broker stopping");
		offset_manager_free_wait(w);
	}
	om->nwaits = 0;
	actor_timer_cancel(om->self, OM_TIMER);
	offset_manager_flush(om);
	return (actor_reply(env, msg_new(&petrel__stopped__descriptor)));
}
