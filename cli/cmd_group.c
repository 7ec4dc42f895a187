/*
 * petrel group list|progress|reset: consumer groups on the brokers.  list
 * asks every master of the cluster (of every cluster) for the groups it
 * knows (GetConsumerGroupsRequest: online from heartbeats, or with
 * committed offsets) and merges them by name: the most clients any broker
 * counts, the model and type of an online broker, the union of the
 * topics.  progress asks every master of the cluster for the group's
 * committed offsets (GetConsumerOffsetsRequest) and each queue's end
 * (GetMaxOffsetRequest) and prints the lag; reset moves the group's
 * offsets of a topic to a time on every master of the topic's route
 * (ResetConsumerOffsetRequest).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cli.h"
#include "clock.h"
#include "json.h"
#include "msg.h"
#include "proto/broker.pb-c.h"
#include "proto/frame.pb-c.h"
#include "xmalloc.h"

static int	cmd_group_list_exec(struct cli *, struct cmd_args *);
static int	cmd_group_progress_exec(struct cli *, struct cmd_args *);
static int	cmd_group_reset_exec(struct cli *, struct cmd_args *);

static const struct cmd_option cmd_group_list_options[] = {
	{ "cluster", 'c', "name", "only the brokers of this cluster" },
	CMD_OPTION_NO_HEADERS,
	{ NULL, 0, NULL, NULL }
};

const struct cmd_entry cmd_group_list_entry = {
	.noun = "group",
	.verb = "list",
	.usage = "",
	.lower = 0,
	.upper = 0,
	.options = cmd_group_list_options,
	.help = "list the consumer groups the brokers know, online or not",
	.exec = cmd_group_list_exec
};

static const struct cmd_option cmd_group_progress_options[] = {
	{ "topic", 0, "topic", "only the offsets of this topic" },
	{ "cluster", 'c', "name", "only the brokers of this cluster" },
	CMD_OPTION_NO_HEADERS,
	{ NULL, 0, NULL, NULL }
};

const struct cmd_entry cmd_group_progress_entry = {
	.noun = "group",
	.verb = "progress",
	.usage = "GROUP",
	.lower = 1,
	.upper = 1,
	.options = cmd_group_progress_options,
	.help = "show GROUP's offset and lag on each queue it consumes",
	.exec = cmd_group_progress_exec
};

static const struct cmd_option cmd_group_reset_options[] = {
	{ "to", 0, "time", "the time to go back or forward to: "
	  CLI_TIME_HELP },
	CMD_OPTION_NO_HEADERS,
	{ NULL, 0, NULL, NULL }
};

const struct cmd_entry cmd_group_reset_entry = {
	.noun = "group",
	.verb = "reset",
	.usage = "GROUP TOPIC",
	.lower = 2,
	.upper = 2,
	.options = cmd_group_reset_options,
	.help = "move GROUP's offsets of TOPIC to the first message stored "
	    "at or after a time",
	.exec = cmd_group_reset_exec
};

static const struct table_column cmd_group_list_columns[] = {
	{ "GROUP", TABLE_LEFT },
	{ "CLIENTS", TABLE_RIGHT },
	{ "MODEL", TABLE_LEFT },
	{ "TYPE", TABLE_LEFT },
	{ "TOPICS", TABLE_LEFT }
};

static const struct table_column cmd_group_progress_columns[] = {
	{ "TOPIC", TABLE_LEFT },
	{ "BROKER", TABLE_LEFT },
	{ "QUEUE", TABLE_RIGHT },
	{ "BROKER OFFSET", TABLE_RIGHT },
	{ "CONSUMER OFFSET", TABLE_RIGHT },
	{ "LAG", TABLE_RIGHT }
};

static const struct table_column cmd_group_reset_columns[] = {
	{ "BROKER", TABLE_LEFT },
	{ "QUEUE", TABLE_RIGHT },
	{ "OFFSET", TABLE_RIGHT }
};

/*
 * The masters of --cluster (of every cluster if not given) into ts for
 * the verb what.  Returns EX_OK, or an exit code after saying why.
 */
static int
cmd_group_targets(struct cli *cli, struct cmd_args *args, const char *what,
    struct cli_targets *ts)
{
	const char	*cluster = cmd_get(args, "cluster");
	char		*error;
	uint32_t	 status;
	int		 rc;

	if (cluster != NULL && *cluster == '\0')
		return (cli_bad_args(cli, args, "empty cluster name"));
	status = cli_targets_cluster(cli, cluster, 0, ts, &error);
	if (status == PETREL__STATUS__STATUS_OK)
		return (EX_OK);
	rc = cli_fail(cli, status, error, "%s", what);
	free(error);
	return (rc);
}

/*
 * Ask the broker of tg code with req: its answer of type desc, or NULL
 * after noting the failure in first.
 */
static void *
cmd_group_ask(struct cli *cli, const struct cli_target *tg, uint32_t code,
    const ProtobufCMessage *req, const ProtobufCMessageDescriptor *desc,
    struct cli_first *first)
{
	ProtobufCMessage	*resp;
	char			*error;
	uint32_t		 status;

	status = cli_call_at(cli, tg->address, code, req, desc, &resp, &error);
	if (status == PETREL__STATUS__STATUS_OK)
		return (resp);
	cli_first_note(first, status, tg->broker_name, tg->address, error);
	free(error);
	return (NULL);
}

/* One broker's view of one group, to merge with the other brokers'. */
struct cmd_group_seen {
	const Petrel__ConsumerGroupState	*gs;
	const char				*broker;
	size_t					 order;	/* broker's */
};

/* The topics of a group a list shows. */
#define CMD_GROUP_SUBSCRIBED	0x1
#define CMD_GROUP_COMMITTED	0x2

/* Order views by group, then by broker (for qsort). */
static int
cmd_group_cmp_seen(const void *a, const void *b)
{
	const struct cmd_group_seen	*sa = a, *sb = b;
	int				 c;

	if ((c = strcmp(sa->gs->group, sb->gs->group)) != 0)
		return (c);
	return (sa->order < sb->order ? -1 : sa->order > sb->order);
}

/* Order strings by their bytes (for qsort). */
static int
cmd_group_cmp_str(const void *a, const void *b)
{
	return (strcmp(*(const char * const *)a, *(const char * const *)b));
}

/*
 * The topics of which (CMD_GROUP_*) in the n views of v, sorted and each
 * once; the strings stay the views'.  The caller frees the array.
 */
static const char **
cmd_group_topics(const struct cmd_group_seen *v, size_t n, int which,
    size_t *count)
{
	const Petrel__ConsumerGroupState	*gs;
	const char				**t;
	size_t					  i, k, total = 0, out;

	for (i = 0; i < n; i++) {
		if (which & CMD_GROUP_SUBSCRIBED)
			total += v[i].gs->n_subscribed;
		if (which & CMD_GROUP_COMMITTED)
			total += v[i].gs->n_committed;
	}
	t = xcalloc(total + 1, sizeof *t);
	for (i = out = 0; i < n; i++) {
		gs = v[i].gs;
		for (k = 0; (which & CMD_GROUP_SUBSCRIBED) &&
		    k < gs->n_subscribed; k++)
			t[out++] = gs->subscribed[k];
		for (k = 0; (which & CMD_GROUP_COMMITTED) &&
		    k < gs->n_committed; k++)
			t[out++] = gs->committed[k];
	}
	qsort(t, total, sizeof *t, cmd_group_cmp_str);
	for (i = out = 0; i < total; i++) {
		if (out == 0 || strcmp(t[out - 1], t[i]) != 0)
			t[out++] = t[i];
	}
	*count = out;
	return (t);
}

/* The names of the MessageModel and ConsumeType values. */
static const char *const cmd_group_models[] = {
	[PETREL__MESSAGE_MODEL__MESSAGE_MODEL_CLUSTERING] = "clustering",
	[PETREL__MESSAGE_MODEL__MESSAGE_MODEL_BROADCASTING] = "broadcasting"
};
static const char *const cmd_group_types[] = {
	[PETREL__CONSUME_TYPE__CONSUME_TYPE_PUSH] = "push",
	[PETREL__CONSUME_TYPE__CONSUME_TYPE_PULL] = "pull"
};

/* The name of value among the n names, or "unknown". */
static const char *
cmd_group_name(const char *const *names, size_t n, int value)
{
	if (value < 0 || (size_t)value >= n || names[value] == NULL)
		return ("unknown");
	return (names[value]);
}

/* A JSON array key of the topics of which in the n views of v. */
static void
cmd_group_json_topics(struct json *j, const char *key,
    const struct cmd_group_seen *v, size_t n, int which)
{
	const char	**t;
	size_t		  i, count;

	t = cmd_group_topics(v, n, which, &count);
	json_array_open(j, key);
	for (i = 0; i < count; i++)
		json_string(j, NULL, t[i]);
	json_array_close(j);
	free(t);
}

/*
 * One group from its n views (one per broker, in broker order): a JSON
 * object into j, or else a row of t.
 */
static void
cmd_group_list_one(struct json *j, struct table *t,
    const struct cmd_group_seen *v, size_t n)
{
	const Petrel__ConsumerGroupState	*online = NULL;
	const char				**topics, *model = "-";
	const char				 *type = "-";
	char					 *joined;
	uint32_t				  clients = 0;
	size_t					  i, count, len;

	for (i = 0; i < n; i++) {
		if (v[i].gs->clients == 0)
			continue;
		if (online == NULL)
			online = v[i].gs;
		if (v[i].gs->clients > clients)
			clients = v[i].gs->clients;
	}
	if (online != NULL) {
		model = cmd_group_name(cmd_group_models,
		    nitems(cmd_group_models), online->message_model);
		type = cmd_group_name(cmd_group_types, nitems(cmd_group_types),
		    online->consume_type);
	}
	if (j != NULL) {
		json_object_open(j, NULL);
		json_string(j, "group", v[0].gs->group);
		json_bool(j, "online", online != NULL);
		json_uint(j, "clients", clients);
		if (online != NULL) {
			json_string(j, "message_model", model);
			json_string(j, "consume_type", type);
		} else {
			json_null(j, "message_model");
			json_null(j, "consume_type");
		}
		cmd_group_json_topics(j, "subscribed", v, n,
		    CMD_GROUP_SUBSCRIBED);
		cmd_group_json_topics(j, "committed", v, n,
		    CMD_GROUP_COMMITTED);
		json_array_open(j, "brokers");
		for (i = 0; i < n; i++)
			json_string(j, NULL, v[i].broker);
		json_array_close(j);
		json_object_close(j);
		return;
	}
	table_cell(t, "%s", v[0].gs->group);
	table_cell(t, "%u", clients);
	table_cell(t, "%s", model);
	table_cell(t, "%s", type);
	topics = cmd_group_topics(v, n,
	    CMD_GROUP_SUBSCRIBED | CMD_GROUP_COMMITTED, &count);
	for (i = 0, len = 1; i < count; i++)
		len += strlen(topics[i]) + 1;
	joined = xmalloc(len);
	for (i = 0, len = 0; i < count; i++) {
		if (i > 0)
			joined[len++] = ',';
		memcpy(joined + len, topics[i], strlen(topics[i]));
		len += strlen(topics[i]);
	}
	joined[len] = '\0';
	table_cell(t, "%s", count != 0 ? joined : "-");
	free(joined);
	free(topics);
}

/* petrel group list [--cluster NAME]. */
static int
cmd_group_list_exec(struct cli *cli, struct cmd_args *args)
{
	Petrel__GetConsumerGroupsRequest	 req =
	    PETREL__GET_CONSUMER_GROUPS_REQUEST__INIT;
	Petrel__GetConsumerGroupsResponse	*r, **answers;
	struct cli_targets			 ts = { NULL, 0 };
	struct cli_target			*tg;
	struct cli_first			 first = { 0, NULL, 0 };
	struct cmd_group_seen			*seen = NULL;
	struct json				*j = NULL;
	struct table				*t = NULL;
	const char				*cluster;
	size_t					 i, k, nanswers = 0, nseen;
	int					 rc, truncated = 0;

	if ((rc = cmd_group_targets(cli, args, "group list", &ts)) != EX_OK)
		return (rc);
	cluster = cmd_get(args, "cluster");
	answers = xcalloc(ts.n + 1, sizeof *answers);
	for (i = nseen = 0; i < ts.n; i++) {
		tg = &ts.v[i];
		r = cmd_group_ask(cli, tg,
		    PETREL__REQUEST_CODE__CODE_GET_CONSUMER_GROUPS, &req.base,
		    &petrel__get_consumer_groups_response__descriptor, &first);
		if (r == NULL)
			continue;
		answers[nanswers++] = r;
		truncated |= r->truncated;
		seen = xreallocarray(seen, nseen + r->n_groups + 1,
		    sizeof *seen);
		for (k = 0; k < r->n_groups; k++) {
			seen[nseen].gs = r->groups[k];
			seen[nseen].broker = tg->broker_name;
			seen[nseen++].order = i;
		}
	}
	if (nseen > 0)
		qsort(seen, nseen, sizeof *seen, cmd_group_cmp_seen);

	if (cli->json) {
		j = cli_json_new(cli);
		json_object_open(j, NULL);
		if (cluster != NULL)
			json_string(j, "cluster", cluster);
		json_array_open(j, "groups");
	} else
		t = table_new(cmd_group_list_columns,
		    nitems(cmd_group_list_columns));
	for (i = 0; i < nseen; i = k) {
		for (k = i + 1; k < nseen && strcmp(seen[k].gs->group,
		    seen[i].gs->group) == 0; k++)
			;
		cmd_group_list_one(j, t, seen + i, k - i);
	}
	if (j != NULL) {
		json_array_close(j);
		json_bool(j, "truncated", truncated);
		json_object_close(j);
		rc = cli_json_print(cli, j);
	} else {
		if (truncated)
			fprintf(stderr, "petrel: group list: a broker knows "
			    "more groups or topics than it lists\n");
		rc = cli_table_print(cli, t, args);
	}
	free(seen);
	for (i = 0; i < nanswers; i++)
		msg_free(answers[i]);
	free(answers);
	cli_targets_free(&ts);
	if (first.failed != 0)
		rc = cli_first_report(cli, &first, "group list");
	return (rc);
}

/* petrel group progress GROUP [--topic T] [--cluster NAME]. */
static int
cmd_group_progress_exec(struct cli *cli, struct cmd_args *args)
{
	Petrel__GetConsumerOffsetsRequest	 req =
	    PETREL__GET_CONSUMER_OFFSETS_REQUEST__INIT;
	Petrel__GetMaxOffsetRequest		 mreq =
	    PETREL__GET_MAX_OFFSET_REQUEST__INIT;
	Petrel__GetConsumerOffsetsResponse	*r;
	const Petrel__QueueOffset		*qo;
	Petrel__GetMaxOffsetResponse		*mresp;
	struct cli_targets			 ts = { NULL, 0 };
	struct cli_target			*tg;
	struct cli_first			 first = { 0, NULL, 0 };
	struct json				*j = NULL;
	struct table				*t = NULL;
	const char				*group = args->argv[0];
	const char				*topic = cmd_get(args, "topic");
	const char				*why;
	char					*what;
	uint64_t				 max, lag, sums[3];
	size_t					 i, k, rows = 0;
	int					 rc;

	if ((why = cli_check_name(group)) != NULL)
		return (cli_bad_args(cli, args, "bad group \"%s\": %s", group,
		    why));
	if (topic != NULL && (why = cli_check_name(topic)) != NULL)
		return (cli_bad_args(cli, args, "bad topic \"%s\": %s", topic,
		    why));
	memset(sums, 0, sizeof sums);
	xasprintf(&what, "group progress %s", group);
	rc = cmd_group_targets(cli, args, what, &ts);
	free(what);
	if (rc != EX_OK)
		return (rc);

	if (cli->json) {
		j = cli_json_new(cli);
		json_object_open(j, NULL);
		json_string(j, "group", group);
		if (topic != NULL)
			json_string(j, "topic", topic);
		json_array_open(j, "queues");
	} else
		t = table_new(cmd_group_progress_columns,
		    nitems(cmd_group_progress_columns));
	req.group = (char *)group;
	req.topic = (char *)(topic != NULL ? topic : "");
	for (i = 0; i < ts.n; i++) {
		tg = &ts.v[i];
		r = cmd_group_ask(cli, tg,
		    PETREL__REQUEST_CODE__CODE_GET_CONSUMER_OFFSETS, &req.base,
		    &petrel__get_consumer_offsets_response__descriptor, &first);
		if (r == NULL)
			continue;
		for (k = 0; k < r->n_offsets; k++) {
			qo = r->offsets[k];
			mreq.topic = qo->topic;
			mreq.queue_id = qo->queue_id;
			if ((mresp = cmd_group_ask(cli, tg,
			    PETREL__REQUEST_CODE__CODE_GET_MAX_OFFSET,
			    &mreq.base,
			    &petrel__get_max_offset_response__descriptor,
			    &first)) == NULL)
				break;
			max = mresp->offset;
			msg_free(mresp);
			lag = max > qo->offset ? max - qo->offset : 0;
			sums[0] += max;
			sums[1] += qo->offset;
			sums[2] += lag;
			rows++;
			if (j != NULL) {
				json_object_open(j, NULL);
				json_string(j, "topic", qo->topic);
				json_string(j, "broker_name", tg->broker_name);
				json_string(j, "address", tg->address);
				json_uint(j, "queue_id", qo->queue_id);
				json_uint(j, "broker_offset", max);
				json_uint(j, "consumer_offset", qo->offset);
				json_uint(j, "lag", lag);
				json_object_close(j);
				continue;
			}
			table_cell(t, "%s", qo->topic);
			table_cell(t, "%s", tg->broker_name);
			table_cell(t, "%u", qo->queue_id);
			table_cell(t, "%llu", (unsigned long long)max);
			table_cell(t, "%llu", (unsigned long long)qo->offset);
			table_cell(t, "%llu", (unsigned long long)lag);
		}
		msg_free(r);
	}
	cli_targets_free(&ts);

	if (rows == 0 && first.failed == 0) {
		if (j != NULL)
			json_free(j);
		else
			table_free(t);
		return (cli_fail(cli, PETREL__STATUS__STATUS_NOT_FOUND,
		    "no committed offset", "group progress %s%s%s", group,
		    topic != NULL ? " --topic " : "",
		    topic != NULL ? topic : ""));
	}
	if (j != NULL) {
		json_array_close(j);
		json_object_open(j, "total");
		json_uint(j, "broker_offset", sums[0]);
		json_uint(j, "consumer_offset", sums[1]);
		json_uint(j, "lag", sums[2]);
		json_object_close(j);
		json_object_close(j);
		rc = cli_json_print(cli, j);
	} else {
		table_cell(t, "TOTAL");
		table_cell(t, "-");
		table_cell(t, "-");
		table_cell(t, "%llu", (unsigned long long)sums[0]);
		table_cell(t, "%llu", (unsigned long long)sums[1]);
		table_cell(t, "%llu", (unsigned long long)sums[2]);
		rc = cli_table_print(cli, t, args);
	}
	if (first.failed != 0)
		rc = cli_first_report(cli, &first, "group progress %s", group);
	return (rc);
}

/* petrel group reset GROUP TOPIC --to TIME. */
static int
cmd_group_reset_exec(struct cli *cli, struct cmd_args *args)
{
	Petrel__ResetConsumerOffsetRequest	 req =
	    PETREL__RESET_CONSUMER_OFFSET_REQUEST__INIT;
	Petrel__ResetConsumerOffsetResponse	*r;
	const Petrel__QueueOffset		*qo;
	struct cli_targets			 ts = { NULL, 0 };
	struct cli_target			*tg;
	struct cli_first			 first = { 0, NULL, 0 };
	struct json				*j = NULL;
	struct table				*t = NULL;
	const char				*group = args->argv[0];
	const char				*topic = args->argv[1];
	const char				*to = cmd_get(args, "to");
	const char				*why;
	char					*error, when[64];
	uint64_t				 ms;
	uint32_t				 status;
	size_t					 i, k;
	int					 rc;

	if ((why = cli_check_name(group)) != NULL)
		return (cli_bad_args(cli, args, "bad group \"%s\": %s", group,
		    why));
	if ((why = cli_check_name(topic)) != NULL)
		return (cli_bad_args(cli, args, "bad topic \"%s\": %s", topic,
		    why));
	if (to == NULL)
		return (cli_bad_args(cli, args, "--to TIME is needed"));
	if (format_parse_time(to, clock_wall_ms(), &ms) != 0)
		return (cli_bad_args(cli, args, "bad time \"%s\": "
		    CLI_TIME_FORMS, to));
	status = cli_targets_route(cli, topic, &ts, &error);
	if (status != PETREL__STATUS__STATUS_OK) {
		rc = cli_fail(cli, status, error, "group reset %s %s", group,
		    topic);
		free(error);
		return (rc);
	}

	format_time(when, sizeof when, ms);
	if (cli->json) {
		j = cli_json_new(cli);
		json_object_open(j, NULL);
		json_string(j, "group", group);
		json_string(j, "topic", topic);
		json_string(j, "time", when);
		json_uint(j, "time_ms", ms);
		json_array_open(j, "queues");
	} else
		t = table_new(cmd_group_reset_columns,
		    nitems(cmd_group_reset_columns));
	req.group = (char *)group;
	req.topic = (char *)topic;
	req.timestamp_ms = ms;
	for (i = 0; i < ts.n; i++) {
		tg = &ts.v[i];
		r = cmd_group_ask(cli, tg,
		    PETREL__REQUEST_CODE__CODE_RESET_CONSUMER_OFFSET, &req.base,
		    &petrel__reset_consumer_offset_response__descriptor,
		    &first);
		if (r == NULL)
			continue;
		for (k = 0; k < r->n_offsets; k++) {
			qo = r->offsets[k];
			if (j != NULL) {
				json_object_open(j, NULL);
				json_string(j, "broker_name", tg->broker_name);
				json_string(j, "address", tg->address);
				json_uint(j, "queue_id", qo->queue_id);
				json_uint(j, "offset", qo->offset);
				json_object_close(j);
				continue;
			}
			table_cell(t, "%s", tg->broker_name);
			table_cell(t, "%u", qo->queue_id);
			table_cell(t, "%llu", (unsigned long long)qo->offset);
		}
		msg_free(r);
	}
	cli_targets_free(&ts);
	rc = cli_rows_print(cli, j, t, args);
	if (first.failed != 0)
		rc = cli_first_report(cli, &first, "group reset %s %s", group,
		    topic);
	return (rc);
}
