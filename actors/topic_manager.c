/*
 * Topic manager: the broker's topics -- read and write queue counts,
 * permission bits, ordered flag -- kept in memory and in
 * <root>/config/topics.  Answers the topic requests of proto/broker.proto
 * the listener routes to it (create or update, delete, get one, get all),
 * lookups from the send, pull and send-back paths (TopicLookup, which may
 * create a topic: automatically if autoCreateTopicEnable is on, and always
 * for the system topics %RETRY%<group> and %DLQ%<group> on first need),
 * and the registrar's TopicTableRequest.
 *
 * Every change bumps the data version (wall clock and a counter), is
 * written to the file atomically (actors/brokerlib.c) and only then
 * answered; if the write fails the change is undone and the request fails
 * with STATUS_SYSTEM_ERROR.  Watchers (the registrar) are told
 * TopicsChanged so the name servers learn of it at once.  Because the
 * write fsyncs, the daemon runs this actor on its "config" loop, away from
 * the send and pull paths (actors/broker.h).  A corrupt file is an error
 * at configuration, which stops the daemon: topics are never silently
 * dropped.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actor.h"
#include "broker.h"
#include "clock.h"
#include "log.h"
#include "msg.h"
#include "msgfile.h"
#include "strmap.h"
#include "xmalloc.h"

#include "proto/broker.pb-c.h"
#include "proto/brokerd.pb-c.h"
#include "proto/frame.pb-c.h"
#include "proto/namesrv.pb-c.h"
#include "proto/runtime.pb-c.h"

#define TM_MAGIC		"PTTOPICS"
#define TM_FILE			"topics"
#define TM_DEFAULT_QUEUES	4
#define TM_SYSTEM_QUEUES	1
#define TM_MAX_TOPICS		100000
#define TM_PERM_MAX		7
#define TM_PERM_RW \
	(PETREL__PERM__PERM_READ | PETREL__PERM__PERM_WRITE)

struct topic_manager {
	struct actor	*self;
	char		*path;		/* NULL until configured */
	struct strmap	*topics;	/* name -> Petrel__TopicConfig */
	int		 auto_create;
	uint32_t	 default_queues;
	uint32_t	 system_queues;
	uint32_t	 max_topics;
	uint64_t	*watchers;
	size_t		 nwatchers;
	uint64_t	 version_ts;
	uint64_t	 version_counter;
};

static int	topic_manager_init(struct actor *, void *);
static void	topic_manager_fini(void *);
static int	topic_manager_on_config(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	topic_manager_on_create(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	topic_manager_on_delete(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	topic_manager_on_get(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	topic_manager_on_get_all(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	topic_manager_on_lookup(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	topic_manager_on_table(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	topic_manager_on_stop(void *, ProtobufCMessage *,
		    const struct envelope *);

static int	topic_manager_on_counters(void *, ProtobufCMessage *,
		    const struct envelope *);

static const struct actor_handler topic_manager_handlers[] = {
	{ &petrel__topic_manager_config__descriptor, topic_manager_on_config },
	{ &petrel__create_or_update_topic_request__descriptor,
	  topic_manager_on_create },
	{ &petrel__delete_topic_in_broker_request__descriptor,
	  topic_manager_on_delete },
	{ &petrel__get_topic_config_request__descriptor, topic_manager_on_get },
	{ &petrel__get_all_topic_config_request__descriptor,
	  topic_manager_on_get_all },
	{ &petrel__topic_lookup__descriptor, topic_manager_on_lookup },
	{ &petrel__topic_table_request__descriptor, topic_manager_on_table },
	{ &petrel__counters_request__descriptor, topic_manager_on_counters },
	{ &petrel__stop__descriptor, topic_manager_on_stop },
	{ NULL, NULL }
};

const struct actor_type topic_manager_actor = {
	.name = "topic_manager",
	.size = sizeof(struct topic_manager),
	.init = topic_manager_init,
	.fini = topic_manager_fini,
	.handlers = topic_manager_handlers
};

static int
topic_manager_init(struct actor *a, void *state)
{
	struct topic_manager	*tm = state;

	tm->self = a;
	tm->topics = strmap_new();
	tm->default_queues = TM_DEFAULT_QUEUES;
	tm->system_queues = TM_SYSTEM_QUEUES;
	tm->max_topics = TM_MAX_TOPICS;
	return (0);
}

static void
topic_manager_fini(void *state)
{
	struct topic_manager	*tm = state;

	strmap_free(tm->topics, msg_free);
	free(tm->watchers);
	free(tm->path);
}

/* Check a topic's configuration; NULL if good, else a reason in buf. */
static const char *
topic_manager_check(const Petrel__TopicConfig *tc, enum brokerlib_name kind,
    char *buf, size_t len)
{
	const char	*why;

	if (tc == NULL) {
		snprintf(buf, len, "config is missing");
		return (buf);
	}
	if ((why = brokerlib_check_name("topic", tc->name, kind, buf,
	    len)) != NULL)
		return (why);
	if (tc->read_queues == 0 || tc->read_queues > BROKER_QUEUES_MAX ||
	    tc->write_queues == 0 || tc->write_queues > BROKER_QUEUES_MAX) {
		snprintf(buf, len, "topic %s: queues must be 1-%d, not %u "
		    "read and %u write", tc->name, BROKER_QUEUES_MAX,
		    tc->read_queues, tc->write_queues);
		return (buf);
	}
	if (tc->perm > TM_PERM_MAX) {
		snprintf(buf, len, "topic %s: bad perm %u", tc->name, tc->perm);
		return (buf);
	}
	return (NULL);
}

/* The current data version, as a new message. */
static Petrel__DataVersion *
topic_manager_version(struct topic_manager *tm)
{
	Petrel__DataVersion	*dv;

	dv = msg_new(&petrel__data_version__descriptor);
	dv->timestamp_ms = tm->version_ts;
	dv->counter = tm->version_counter;
	return (dv);
}

/* Every topic, sorted by name, into a repeated field. */
static void
topic_manager_all(struct topic_manager *tm, Petrel__TopicConfig ***out,
    size_t *n)
{
	const char	**names;
	size_t		  nn, i;

	names = strmap_keys(tm->topics, &nn);
	*out = xcalloc(nn + 1, sizeof **out);
	for (i = 0; i < nn; i++)
		(*out)[i] = msg_dup(strmap_get(tm->topics, names[i]));
	*n = nn;
	free(names);
}

/* Write the table; 0, or -1 with cause. */
static int
topic_manager_save(struct topic_manager *tm, char **cause)
{
	Petrel__TopicFile	*f;
	int			 rc;

	f = msg_new(&petrel__topic_file__descriptor);
	topic_manager_all(tm, &f->topics, &f->n_topics);
	f->data_version = topic_manager_version(tm);
	rc = msgfile_save(tm->path, TM_MAGIC, &f->base, cause);
	msg_free(f);
	return (rc);
}

/* Tell every watcher the table changed. */
static void
topic_manager_notify(struct topic_manager *tm)
{
	Petrel__TopicsChanged	*tc;
	struct actor		*a;
	size_t			 i;

	for (i = 0; i < tm->nwatchers; i++) {
		if ((a = actor_deref(tm->watchers[i])) == NULL)
			continue;
		tc = msg_new(&petrel__topics_changed__descriptor);
		tc->data_version = topic_manager_version(tm);
		actor_send(a, tc);
	}
}

/*
 * Set topic name to tc (handed over; NULL deletes it), bump the version
 * and write the file.  On failure everything is as before, env is
 * answered STATUS_SYSTEM_ERROR and -1 returned.
 */
static int
topic_manager_change(struct topic_manager *tm, const char *name,
    Petrel__TopicConfig *tc, const struct envelope *env)
{
	char			*cause = NULL;
	Petrel__TopicConfig	*old;
	uint64_t		 ts, counter;

	ts = tm->version_ts;
	counter = tm->version_counter;

	if (tc != NULL)
		old = strmap_put(tm->topics, name, tc);
	else
		old = strmap_remove(tm->topics, name);
	tm->version_ts = clock_wall_ms();
	tm->version_counter++;
	if (topic_manager_save(tm, &cause) != 0) {
		if (old != NULL)
			strmap_put(tm->topics, name, old);
		else
			strmap_remove(tm->topics, name);
		log_warnx("topic %s not changed: %s", name, cause);
		actor_reply_error(env, PETREL__STATUS__STATUS_SYSTEM_ERROR,
		    "%s", cause);
		free(cause);
		msg_free(tc);
		tm->version_ts = ts;
		tm->version_counter = counter;
		return (-1);
	}
	msg_free(old);
	topic_manager_notify(tm);
	return (0);
}

/* Load the file into tm; 0, or -1 with cause. */
static int
topic_manager_load(struct topic_manager *tm, char **cause)
{
	ProtobufCMessage	*m;
	Petrel__TopicFile	*f;
	Petrel__TopicConfig	*tc;
	const char		*why;
	char			 buf[256];
	size_t			 i;

	if (msgfile_load(tm->path, TM_MAGIC, "topics",
	    &petrel__topic_file__descriptor, MSGFILE_MAX, &m, cause) != 0)
		return (-1);
	if (m == NULL) {
		log_info("%s: no topics yet", tm->path);
		return (0);
	}
	f = (Petrel__TopicFile *)m;
	for (i = 0; i < f->n_topics; i++) {
		tc = f->topics[i];
		if ((why = topic_manager_check(tc, BROKERLIB_TOPIC, buf,
		    sizeof buf)) != NULL) {
			xasprintf(cause, "%s: corrupt: %s", tm->path, why);
			break;
		}
		if (strmap_get(tm->topics, tc->name) != NULL) {
			xasprintf(cause, "%s: corrupt: topic %s is there twice",
			    tm->path, tc->name);
			break;
		}
		strmap_put(tm->topics, tc->name, msg_dup(tc));
	}
	if (i != f->n_topics) {
		msg_free(f);
		strmap_free(tm->topics, msg_free);
		tm->topics = strmap_new();
		return (-1);
	}
	if (f->data_version != NULL) {
		tm->version_ts = f->data_version->timestamp_ms;
		tm->version_counter = f->data_version->counter;
	}
	msg_free(f);
	log_info("%s: %zu topics", tm->path, strmap_count(tm->topics));
	return (0);
}

static int
topic_manager_on_config(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct topic_manager		*tm = state;
	Petrel__TopicManagerConfig	*c = (Petrel__TopicManagerConfig *)m;
	Petrel__Configured		*ack;
	char				*cause = NULL;

	ack = msg_new(&petrel__configured__descriptor);
	if (tm->path != NULL)
		cause = xstrdup("topic manager already configured");
	else if (c->default_queues > BROKER_QUEUES_MAX ||
	    c->system_queues > BROKER_QUEUES_MAX)
		xasprintf(&cause, "queues of new topics must be at most %d",
		    BROKER_QUEUES_MAX);
	else if ((tm->path = brokerlib_config_path(c->root, TM_FILE,
	    &cause)) != NULL) {
		tm->auto_create = c->auto_create;
		if (c->default_queues != 0)
			tm->default_queues = c->default_queues;
		if (c->system_queues != 0)
			tm->system_queues = c->system_queues;
		if (c->max_topics != 0)
			tm->max_topics = c->max_topics;
		free(tm->watchers);
		tm->watchers = xcalloc(c->n_watchers + 1, sizeof *tm->watchers);
		if (c->n_watchers != 0)
			memcpy(tm->watchers, c->watchers,
			    c->n_watchers * sizeof *tm->watchers);
		tm->nwatchers = c->n_watchers;
		if (topic_manager_load(tm, &cause) != 0) {
			free(tm->path);
			tm->path = NULL;
		}
	}
	if (cause != NULL) {
		msg_set_string(&ack->error, cause);
		free(cause);
	}
	return (actor_reply(env, ack));
}

/* Answer env with an Error if tm is not configured; 1 if it answered. */
static int
topic_manager_unready(struct topic_manager *tm, const struct envelope *env)
{
	if (tm->path != NULL)
		return (0);
	actor_reply_error(env, PETREL__STATUS__STATUS_SERVICE_NOT_AVAILABLE,
	    "topic manager not configured");
	return (1);
}

/*
 * The configuration of topic, checked as kind; or NULL with env answered
 * (not configured, bad name, no such topic).
 */
static Petrel__TopicConfig *
topic_manager_find(struct topic_manager *tm, const char *topic,
    enum brokerlib_name kind, const struct envelope *env)
{
	Petrel__TopicConfig	*tc;
	const char		*why;
	char			 buf[256];

	if (topic_manager_unready(tm, env))
		return (NULL);
	if ((why = brokerlib_check_name("topic", topic, kind, buf,
	    sizeof buf)) != NULL) {
		actor_reply_error(env, PETREL__STATUS__STATUS_BAD_REQUEST, "%s",
		    why);
		return (NULL);
	}
	if ((tc = strmap_get(tm->topics, topic)) == NULL)
		actor_reply_error(env, PETREL__STATUS__STATUS_TOPIC_NOT_EXIST,
		    "no topic %s", topic);
	return (tc);
}

static int
topic_manager_on_create(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct topic_manager			*tm = state;
	Petrel__CreateOrUpdateTopicRequest	*r =
	    (Petrel__CreateOrUpdateTopicRequest *)m;
	Petrel__CreateOrUpdateTopicResponse	*resp;
	Petrel__TopicConfig			*tc;
	const char				*why;
	char					 buf[256];
	int					 created;

	if (topic_manager_unready(tm, env))
		return (0);
	if ((why = topic_manager_check(r->config, BROKERLIB_USER_TOPIC, buf,
	    sizeof buf)) != NULL)
		return (actor_reply_error(env,
		    PETREL__STATUS__STATUS_BAD_REQUEST, "%s", why));
	created = strmap_get(tm->topics, r->config->name) == NULL;
	if (created && strmap_count(tm->topics) >= tm->max_topics)
		return (actor_reply_error(env,
		    PETREL__STATUS__STATUS_BAD_REQUEST,
		    "too many topics: at most %u", tm->max_topics));
	tc = msg_dup(r->config);
	if (topic_manager_change(tm, r->config->name, tc, env) != 0)
		return (0);
	log_info("topic %s %s: %u read, %u write queues, perm %u%s",
	    tc->name, created ? "created" : "updated", tc->read_queues,
	    tc->write_queues, tc->perm, tc->order ? ", ordered" : "");
	resp = msg_new(&petrel__create_or_update_topic_response__descriptor);
	resp->created = created;
	resp->data_version = topic_manager_version(tm);
	return (actor_reply(env, resp));
}

static int
topic_manager_on_delete(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct topic_manager			*tm = state;
	Petrel__DeleteTopicInBrokerRequest	*r =
	    (Petrel__DeleteTopicInBrokerRequest *)m;
	Petrel__DeleteTopicInBrokerResponse	*resp;

	if (topic_manager_find(tm, r->topic, BROKERLIB_USER_TOPIC,
	    env) == NULL)
		return (0);
	if (topic_manager_change(tm, r->topic, NULL, env) != 0)
		return (0);
	log_info("topic %s deleted", r->topic);
	resp = msg_new(&petrel__delete_topic_in_broker_response__descriptor);
	resp->data_version = topic_manager_version(tm);
	return (actor_reply(env, resp));
}

static int
topic_manager_on_get(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct topic_manager		*tm = state;
	Petrel__GetTopicConfigRequest	*r = (Petrel__GetTopicConfigRequest *)m;
	Petrel__GetTopicConfigResponse	*resp;
	Petrel__TopicConfig		*tc;

	if ((tc = topic_manager_find(tm, r->topic, BROKERLIB_TOPIC,
	    env)) == NULL)
		return (0);
	resp = msg_new(&petrel__get_topic_config_response__descriptor);
	resp->config = msg_dup(tc);
	return (actor_reply(env, resp));
}

static int
topic_manager_on_get_all(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct topic_manager			*tm = state;
	Petrel__GetAllTopicConfigResponse	*resp;

	if (topic_manager_unready(tm, env))
		return (0);
	resp = msg_new(&petrel__get_all_topic_config_response__descriptor);
	topic_manager_all(tm, &resp->topics, &resp->n_topics);
	resp->data_version = topic_manager_version(tm);
	return (actor_reply(env, resp));
}

/* Whether name is %RETRY%<group> or %DLQ%<group>. */
static int
topic_manager_is_system(const char *name)
{
	size_t	rl = strlen(BROKER_RETRY_PREFIX);
	size_t	dl = strlen(BROKER_DLQ_PREFIX);

	if (strncmp(name, BROKER_RETRY_PREFIX, rl) == 0)
		return (name[rl] != '\0');
	if (strncmp(name, BROKER_DLQ_PREFIX, dl) == 0)
		return (name[dl] != '\0');
	return (0);
}

static int
topic_manager_on_lookup(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct topic_manager		*tm = state;
	Petrel__TopicLookup		*r = (Petrel__TopicLookup *)m;
	Petrel__TopicLookupResult	*resp;
	Petrel__TopicConfig		*tc;
	const char			*why;
	char				 buf[256];
	int				 system;

	if (topic_manager_unready(tm, env))
		return (0);
	if ((why = brokerlib_check_name("topic", r->topic, BROKERLIB_TOPIC,
	    buf, sizeof buf)) != NULL)
		return (actor_reply_error(env,
		    PETREL__STATUS__STATUS_BAD_REQUEST, "%s", why));
	resp = msg_new(&petrel__topic_lookup_result__descriptor);
	if ((tc = strmap_get(tm->topics, r->topic)) != NULL) {
		resp->found = 1;
		resp->config = msg_dup(tc);
		return (actor_reply(env, resp));
	}
	system = topic_manager_is_system(r->topic);
	if (!r->create || (!system && !tm->auto_create) ||
	    strmap_count(tm->topics) >= tm->max_topics)
		return (actor_reply(env, resp));

	tc = msg_new(&petrel__topic_config__descriptor);
	msg_set_string(&tc->name, r->topic);
	tc->read_queues = tc->write_queues = system ? tm->system_queues :
	    tm->default_queues;
	tc->perm = TM_PERM_RW;
	if (topic_manager_change(tm, r->topic, tc, env) != 0) {
		msg_free(resp);
		return (0);
	}
	log_info("topic %s created on first use with %u queues", tc->name,
	    tc->read_queues);
	resp->found = resp->created = 1;
	resp->config = msg_dup(tc);
	return (actor_reply(env, resp));
}

static int
topic_manager_on_table(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct topic_manager	*tm = state;
	Petrel__TopicTable	*resp;

	resp = msg_new(&petrel__topic_table__descriptor);
	topic_manager_all(tm, &resp->topics, &resp->n_topics);
	resp->data_version = topic_manager_version(tm);
	return (actor_reply(env, resp));
}

/* Every change is on disk when it is answered: nothing left to write. */
static int
topic_manager_on_stop(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	return (actor_reply(env, msg_new(&petrel__stopped__descriptor)));
}

/* Counters for the broker's status: how many topics. */
static int
topic_manager_on_counters(void *state, ProtobufCMessage *m,
    const struct envelope *env)
{
	struct topic_manager	*tm = state;

	(void)m;
	actor_reply(env, brokerlib_counter(NULL, "topics",
	    strmap_count(tm->topics)));
	return (0);
}
