/*
 * petrel topic create|update|delete|list|status: topics as the brokers
 * hold them.  create and update send CreateOrUpdateTopicRequest to every
 * master of a cluster (from the name servers' cluster info) or to one
 * broker; delete sends DeleteTopicInBrokerRequest to the brokers, then
 * DeleteTopicRequest to every name server; list asks a name server
 * (GetTopicListRequest); status asks every master of the topic's route for
 * the first and last offset of each queue and pulls the last message for
 * the time it was stored.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cli.h"
#include "json.h"
#include "msg.h"
#include "proto/broker.pb-c.h"
#include "proto/frame.pb-c.h"
#include "proto/namesrv.pb-c.h"
#include "rpc.h"
#include "xmalloc.h"

#define CMD_TOPIC_QUEUES	8	/* a new topic's queues by default */
#define CMD_TOPIC_MAX_QUEUES	1024
#define CMD_TOPIC_GROUP		"petrel-cli"	/* pulls of topic status */

static int	cmd_topic_set_exec(struct cli *, struct cmd_args *);
static int	cmd_topic_delete_exec(struct cli *, struct cmd_args *);
static int	cmd_topic_list_exec(struct cli *, struct cmd_args *);
static int	cmd_topic_status_exec(struct cli *, struct cmd_args *);

static const struct cmd_option cmd_topic_set_options[] = {
	{ "cluster", 'c', "name", "every master broker of this cluster" },
	{ "broker", 'b', "host:port", "only the broker at this address" },
	{ "queues", 'q', "count", "read and write queues on each broker "
	  "(1-1024; default 8 for a new topic)" },
	{ "order", 0, NULL, "make the topic ordered" },
	{ "perm", 'p', "rw|r|w", "who may read and write it (default rw)" },
	CMD_OPTION_NO_HEADERS,
	{ NULL, 0, NULL, NULL }
};

const struct cmd_entry cmd_topic_create_entry = {
	.noun = "topic",
	.verb = "create",
	.usage = "TOPIC",
	.lower = 1,
	.upper = 1,
	.options = cmd_topic_set_options,
	.help = "create TOPIC on the masters of a cluster or on one broker",
	.exec = cmd_topic_set_exec
};

const struct cmd_entry cmd_topic_update_entry = {
	.noun = "topic",
	.verb = "update",
	.usage = "TOPIC",
	.lower = 1,
	.upper = 1,
	.options = cmd_topic_set_options,
	.help = "change the queues, order or permissions of TOPIC",
	.exec = cmd_topic_set_exec
};

static const struct cmd_option cmd_topic_delete_options[] = {
	{ "cluster", 'c', "name", "every master broker of this cluster" },
	{ "broker", 'b', "host:port", "only the broker at this address" },
	CMD_OPTION_NO_HEADERS,
	{ NULL, 0, NULL, NULL }
};

const struct cmd_entry cmd_topic_delete_entry = {
	.noun = "topic",
	.verb = "delete",
	.usage = "TOPIC",
	.lower = 1,
	.upper = 1,
	.options = cmd_topic_delete_options,
	.help = "delete TOPIC from its brokers and the name servers",
	.exec = cmd_topic_delete_exec
};

static const struct cmd_option cmd_topic_list_options[] = {
	{ "cluster", 'c', "name", "only the topics of this cluster" },
	CMD_OPTION_NO_HEADERS,
	{ NULL, 0, NULL, NULL }
};

const struct cmd_entry cmd_topic_list_entry = {
	.noun = "topic",
	.verb = "list",
	.usage = "",
	.lower = 0,
	.upper = 0,
	.options = cmd_topic_list_options,
	.help = "list the topics the name servers know",
	.exec = cmd_topic_list_exec
};

static const struct cmd_option cmd_topic_status_options[] = {
	CMD_OPTION_NO_HEADERS,
	{ NULL, 0, NULL, NULL }
};

const struct cmd_entry cmd_topic_status_entry = {
	.noun = "topic",
	.verb = "status",
	.usage = "TOPIC",
	.lower = 1,
	.upper = 1,
	.options = cmd_topic_status_options,
	.help = "show the offsets and last message time of each queue",
	.exec = cmd_topic_status_exec
};

static const struct table_column cmd_topic_set_columns[] = {
	{ "BROKER", TABLE_LEFT },
	{ "ADDRESS", TABLE_LEFT },
	{ "RESULT", TABLE_LEFT },
	{ "READ", TABLE_RIGHT },
	{ "WRITE", TABLE_RIGHT },
	{ "PERM", TABLE_LEFT },
	{ "ORDER", TABLE_LEFT }
};

static const struct table_column cmd_topic_delete_columns[] = {
	{ "SERVER", TABLE_LEFT },
	{ "ADDRESS", TABLE_LEFT },
	{ "RESULT", TABLE_LEFT }
};

static const struct table_column cmd_topic_list_columns[] = {
	{ "TOPIC", TABLE_LEFT }
};

static const struct table_column cmd_topic_status_columns[] = {
	{ "BROKER", TABLE_LEFT },
	{ "QUEUE", TABLE_RIGHT },
	{ "MIN", TABLE_RIGHT },
	{ "MAX", TABLE_RIGHT },
	{ "MESSAGES", TABLE_RIGHT },
	{ "LAST STORED", TABLE_LEFT }
};

static int	cmd_topic_targets(struct cli *, struct cmd_args *,
		    const char *, int, struct cli_targets *);
static int	cmd_topic_config(struct cli *, struct cmd_args *,
		    Petrel__TopicConfig *);
static void	cmd_topic_json_config(struct json *,
		    const Petrel__TopicConfig *);
static void	cmd_topic_row(struct table *, const char *, const char *,
		    const char *, const Petrel__TopicConfig *);
static uint32_t	cmd_topic_offset(struct cli *, const char *, uint32_t,
		    const char *, uint32_t, uint64_t *, char **);
static uint32_t	cmd_topic_last_time(struct cli *, const char *,
		    const char *, uint32_t, uint64_t, uint64_t *, char **);

/*
 * The brokers a verb works on: --cluster's masters, --broker's address,
 * or (if route) the masters of topic's route when neither is given.
 * Returns EX_OK with ts filled, or an exit code after saying why.
 */
static int
cmd_topic_targets(struct cli *cli, struct cmd_args *args, const char *topic,
    int route, struct cli_targets *ts)
{
	const char	*cluster = cmd_get(args, "cluster");
	const char	*broker = cmd_get(args, "broker");
	char		*error = NULL;
	uint32_t	 status;
	int		 rc;

	if (cluster != NULL && broker != NULL)
		return (cli_bad_args(cli, args, "--cluster and --broker "
		    "exclude each other"));
	if (cluster == NULL && broker == NULL && !route)
		return (cli_bad_args(cli, args, "--cluster or --broker is "
		    "needed"));
	if (cluster != NULL && *cluster == '\0')
		return (cli_bad_args(cli, args, "empty cluster name"));
	if (broker != NULL) {
		if (cli_check_address(broker, &error) != 0) {
			rc = cli_bad_args(cli, args, "bad broker address "
			    "\"%s\": %s", broker, error);
			free(error);
			return (rc);
		}
		cli_targets_add(ts, "", broker);
		return (EX_OK);
	}
	if (cluster != NULL)
		status = cli_targets_cluster(cli, cluster, 0, ts, &error);
	else
		status = cli_targets_route(cli, topic, ts, &error);
	if (status == PETREL__STATUS__STATUS_OK)
		return (EX_OK);
	rc = cli_fail(cli, status, error, "topic %s %s", args->entry->verb,
	    topic);
	free(error);
	return (rc);
}

/*
 * Read --queues, --perm and --order into c, leaving what is not given.
 * Returns EX_OK or EX_USAGE after saying why.
 */
static int
cmd_topic_config(struct cli *cli, struct cmd_args *args,
    Petrel__TopicConfig *c)
{
	const char		*s;
	char			*end;
	unsigned long		 n;

	if ((s = cmd_get(args, "queues")) != NULL) {
		errno = 0;
		n = strtoul(s, &end, 10);
		if (*s < '0' || *s > '9' || *end != '\0' || errno != 0 ||
		    n < 1 || n > CMD_TOPIC_MAX_QUEUES)
			return (cli_bad_args(cli, args, "bad queue count "
			    "\"%s\": 1 to %d", s, CMD_TOPIC_MAX_QUEUES));
		c->read_queues = c->write_queues = (uint32_t)n;
	}
	if ((s = cmd_get(args, "perm")) != NULL &&
	    format_parse_perm(s, &c->perm) != 0)
		return (cli_bad_args(cli, args, "bad permission \"%s\": rw, r "
		    "or w", s));
	if (cmd_has(args, "order"))
		c->order = 1;
	return (EX_OK);
}

/* A topic's configuration as keys of the JSON object open in j. */
static void
cmd_topic_json_config(struct json *j, const Petrel__TopicConfig *c)
{
	char	perm[8];

	format_perm(perm, sizeof perm, c->perm);
	json_uint(j, "read_queues", c->read_queues);
	json_uint(j, "write_queues", c->write_queues);
	json_uint(j, "perm", c->perm);
	json_string(j, "perm_string", perm);
	json_bool(j, "order", c->order);
}

/* One row of create or update; c is NULL when the broker failed. */
static void
cmd_topic_row(struct table *t, const char *name, const char *address,
    const char *result, const Petrel__TopicConfig *c)
{
	char	perm[8];

	table_cell(t, "%s", *name != '\0' ? name : "-");
	table_cell(t, "%s", address);
	table_cell(t, "%s", result);
	if (c == NULL) {
		table_cell(t, "-");
		table_cell(t, "-");
		table_cell(t, "-");
		table_cell(t, "-");
		return;
	}
	format_perm(perm, sizeof perm, c->perm);
	table_cell(t, "%u", c->read_queues);
	table_cell(t, "%u", c->write_queues);
	table_cell(t, "%s", perm);
	table_cell(t, "%s", c->order ? "yes" : "no");
}

/*
 * petrel topic create|update TOPIC (--cluster NAME|--broker ADDR)
 * [--queues N] [--order] [--perm rw|r|w].  update starts from each
 * broker's present configuration and changes only what is given.
 */
static int
cmd_topic_set_exec(struct cli *cli, struct cmd_args *args)
{
	Petrel__CreateOrUpdateTopicRequest	 req =
	    PETREL__CREATE_OR_UPDATE_TOPIC_REQUEST__INIT;
	Petrel__GetTopicConfigRequest		 get =
	    PETREL__GET_TOPIC_CONFIG_REQUEST__INIT;
	Petrel__TopicConfig			 c = PETREL__TOPIC_CONFIG__INIT;
	Petrel__TopicConfig			*have;
	ProtobufCMessage			*resp;
	struct cli_targets			 ts = { NULL, 0 };
	struct cli_target			*tg;
	struct cli_first			 first = { 0, NULL, 0 };
	struct json				*j = NULL;
	struct table				*t = NULL;
	const char				*topic = args->argv[0], *why;
	char					*error;
	uint32_t				 status;
	size_t					 i;
	int					 update, created, rc;

	update = args->entry == &cmd_topic_update_entry;
	if ((why = cli_check_name(topic)) != NULL)
		return (cli_bad_args(cli, args, "bad topic \"%s\": %s", topic,
		    why));
	if (*topic == '%')
		return (cli_bad_args(cli, args, "topics starting with %% are "
		    "the broker's own"));
	c.read_queues = c.write_queues = CMD_TOPIC_QUEUES;
	c.perm = PETREL__PERM__PERM_READ | PETREL__PERM__PERM_WRITE;
	if ((rc = cmd_topic_config(cli, args, &c)) != EX_OK)
		return (rc);
	if (update && !cmd_has(args, "queues") && !cmd_has(args, "perm") &&
	    !cmd_has(args, "order"))
		return (cli_bad_args(cli, args, "nothing to change: give "
		    "--queues, --perm or --order"));
	if ((rc = cmd_topic_targets(cli, args, topic, 0, &ts)) != EX_OK)
		return (rc);

	if (cli->json) {
		j = cli_json_new(cli);
		json_object_open(j, NULL);
		json_string(j, "topic", topic);
		json_array_open(j, "brokers");
	} else
		t = table_new(cmd_topic_set_columns,
		    nitems(cmd_topic_set_columns));
	for (i = 0; i < ts.n; i++) {
		tg = &ts.v[i];
		have = NULL;
		status = PETREL__STATUS__STATUS_OK;
		error = NULL;
		resp = NULL;
		if (update) {
			get.topic = (char *)topic;
			status = cli_call_at(cli, tg->address,
			    PETREL__REQUEST_CODE__CODE_GET_TOPIC_CONFIG,
			    &get.base,
			    &petrel__get_topic_config_response__descriptor,
			    &resp, &error);
			if (status == PETREL__STATUS__STATUS_OK) {
				have = ((Petrel__GetTopicConfigResponse *)
				    resp)->config;
				if (have == NULL) {
					status =
					    PETREL__STATUS__STATUS_PROTOCOL_ERROR;
					error = xstrdup("no configuration in "
					    "the answer");
				}
			}
		}
		c.name = (char *)topic;
		if (have != NULL) {
			/* Keep what the broker has unless told otherwise. */
			c.read_queues = have->read_queues;
			c.write_queues = have->write_queues;
			c.perm = have->perm;
			c.order = have->order;
			cmd_topic_config(cli, args, &c);
		}
		msg_free(resp);
		resp = NULL;
		created = 0;
		if (status == PETREL__STATUS__STATUS_OK) {
			req.config = &c;
			status = cli_call_at(cli, tg->address,
			    PETREL__REQUEST_CODE__CODE_CREATE_OR_UPDATE_TOPIC,
			    &req.base,
			    &petrel__create_or_update_topic_response__descriptor,
			    &resp, &error);
			if (status == PETREL__STATUS__STATUS_OK)
				created = ((Petrel__CreateOrUpdateTopicResponse
				    *)resp)->created;
			msg_free(resp);
		}
		if (status != PETREL__STATUS__STATUS_OK)
			cli_first_note(&first, status, tg->broker_name,
			    tg->address, error);
		if (j != NULL) {
			json_object_open(j, NULL);
			if (*tg->broker_name != '\0')
				json_string(j, "broker_name", tg->broker_name);
			else
				json_null(j, "broker_name");
			json_string(j, "address", tg->address);
			if (status == PETREL__STATUS__STATUS_OK) {
				json_bool(j, "created", created);
				cmd_topic_json_config(j, &c);
			} else
				cli_json_error(j, status, error);
			json_object_close(j);
		} else if (status == PETREL__STATUS__STATUS_OK) {
			cmd_topic_row(t, tg->broker_name, tg->address,
			    created ? "created" : "updated", &c);
		} else {
			cmd_topic_row(t, tg->broker_name, tg->address,
			    "failed", NULL);
		}
		free(error);
	}
	cli_targets_free(&ts);
	rc = cli_rows_print(cli, j, t, args);
	if (first.failed != 0)
		rc = cli_first_report(cli, &first, "topic %s %s",
		    args->entry->verb, topic);
	return (rc);
}

/*
 * petrel topic delete TOPIC [--cluster NAME|--broker ADDR]: from the
 * brokers (the masters of the route by default), then, unless only one
 * broker was named, from every name server.  A broker or name server that
 * does not have the topic is not a failure; when none has it, exit 1.
 */
static int
cmd_topic_delete_exec(struct cli *cli, struct cmd_args *args)
{
	Petrel__DeleteTopicInBrokerRequest	 breq =
	    PETREL__DELETE_TOPIC_IN_BROKER_REQUEST__INIT;
	Petrel__DeleteTopicRequest		 nreq =
	    PETREL__DELETE_TOPIC_REQUEST__INIT;
	ProtobufCMessage			*resp;
	struct cli_targets			 ts = { NULL, 0 };
	struct cli_first			 first = { 0, NULL, 0 };
	struct json				*j = NULL;
	struct table				*t = NULL;
	const char				*topic = args->argv[0], *why;
	const char				*address, *result;
	char					*error;
	uint32_t				 status;
	size_t					 i, n, deleted = 0;
	int					 rc, broker, absent;

	if ((why = cli_check_name(topic)) != NULL)
		return (cli_bad_args(cli, args, "bad topic \"%s\": %s", topic,
		    why));
	if (*topic == '%')
		return (cli_bad_args(cli, args, "topics starting with %% are "
		    "the broker's own"));
	if ((rc = cmd_topic_targets(cli, args, topic, 1, &ts)) != EX_OK)
		return (rc);

	if (cli->json) {
		j = cli_json_new(cli);
		json_object_open(j, NULL);
		json_string(j, "topic", topic);
		json_array_open(j, "brokers");
	} else
		t = table_new(cmd_topic_delete_columns,
		    nitems(cmd_topic_delete_columns));
	breq.topic = nreq.topic = (char *)topic;
	n = ts.n + (cmd_has(args, "broker") ? 0 : cli->nnamesrv);
	for (i = 0; i < n; i++) {
		broker = i < ts.n;
		if (broker) {
			address = ts.v[i].address;
			status = cli_call_at(cli, address,
			    PETREL__REQUEST_CODE__CODE_DELETE_TOPIC_IN_BROKER,
			    &breq.base,
			    &petrel__delete_topic_in_broker_response__descriptor,
			    &resp, &error);
			absent = status ==
			    PETREL__STATUS__STATUS_TOPIC_NOT_EXIST;
		} else {
			if (i == ts.n && j != NULL) {
				json_array_close(j);
				json_array_open(j, "name_servers");
			}
			address = rpc_address(cli->namesrv[i - ts.n]);
			status = cli_call_at(cli, address,
			    PETREL__REQUEST_CODE__CODE_DELETE_TOPIC,
			    &nreq.base, &petrel__delete_topic_response__descriptor,
			    &resp, &error);
			absent = status == PETREL__STATUS__STATUS_NOT_FOUND;
		}
		msg_free(resp);
		if (status == PETREL__STATUS__STATUS_OK) {
			deleted++;
			result = "deleted";
		} else if (absent)
			result = "absent";
		else {
			result = "failed";
			cli_first_note(&first, status, broker ?
			    ts.v[i].broker_name : "name server", address,
			    error);
		}
		if (j != NULL) {
			json_object_open(j, NULL);
			if (broker) {
				if (*ts.v[i].broker_name != '\0')
					json_string(j, "broker_name",
					    ts.v[i].broker_name);
				else
					json_null(j, "broker_name");
			}
			json_string(j, "address", address);
			json_bool(j, "deleted",
			    status == PETREL__STATUS__STATUS_OK);
			if (status != PETREL__STATUS__STATUS_OK && !absent)
				cli_json_error(j, status, error);
			json_object_close(j);
		} else {
			if (broker && *ts.v[i].broker_name != '\0')
				table_cell(t, "%s", ts.v[i].broker_name);
			else
				table_cell(t, "%s", broker ? "broker" :
				    "name server");
			table_cell(t, "%s", address);
			table_cell(t, "%s", result);
		}
		free(error);
	}
	cli_targets_free(&ts);
	if (j != NULL) {
		json_array_close(j);
		if (cmd_has(args, "broker")) {
			json_array_open(j, "name_servers");
			json_array_close(j);
		}
		json_object_close(j);
	}
	if (deleted == 0 && first.failed == 0) {
		if (j != NULL)
			json_free(j);
		else
			table_free(t);
		return (cli_fail(cli, PETREL__STATUS__STATUS_NOT_FOUND,
		    "no broker or name server has it", "topic delete %s",
		    topic));
	}
	rc = j != NULL ? cli_json_print(cli, j) : cli_table_print(cli, t,
	    args);
	if (first.failed != 0)
		rc = cli_first_report(cli, &first, "topic delete %s", topic);
	return (rc);
}

/* petrel topic list [--cluster NAME]. */
static int
cmd_topic_list_exec(struct cli *cli, struct cmd_args *args)
{
	Petrel__GetTopicListRequest	 req =
	    PETREL__GET_TOPIC_LIST_REQUEST__INIT;
	Petrel__GetTopicListResponse	*r;
	ProtobufCMessage		*resp;
	struct json			*j;
	struct table			*t;
	const char			*cluster = cmd_get(args, "cluster");
	char				*error;
	uint32_t			 status;
	size_t				 i;
	int				 rc;

	if (cluster != NULL && *cluster == '\0')
		return (cli_bad_args(cli, args, "empty cluster name"));
	req.cluster = (char *)(cluster != NULL ? cluster : "");
	status = cli_call(cli, PETREL__REQUEST_CODE__CODE_GET_TOPIC_LIST,
	    &req.base, &petrel__get_topic_list_response__descriptor, &resp,
	    &error);
	if (status != PETREL__STATUS__STATUS_OK) {
		rc = cli_fail(cli, status, error, "topic list");
		free(error);
		return (rc);
	}
	r = (Petrel__GetTopicListResponse *)resp;
	if (cli->json) {
		j = cli_json_new(cli);
		json_object_open(j, NULL);
		if (cluster != NULL)
			json_string(j, "cluster", cluster);
		json_array_open(j, "topics");
		for (i = 0; i < r->n_topics; i++)
			json_string(j, NULL, r->topics[i]);
		json_array_close(j);
		json_object_close(j);
		msg_free(r);
		return (cli_json_print(cli, j));
	}
	t = table_new(cmd_topic_list_columns, nitems(cmd_topic_list_columns));
	for (i = 0; i < r->n_topics; i++)
		table_cell(t, "%s", r->topics[i]);
	msg_free(r);
	return (cli_table_print(cli, t, args));
}

/*
 * Ask the broker at address for the first (max 0) or one past the last
 * (max 1) offset of a queue; returns the Status and *error as cli_call_at.
 */
static uint32_t
cmd_topic_offset(struct cli *cli, const char *address, uint32_t max,
    const char *topic, uint32_t queue, uint64_t *offset, char **error)
{
	Petrel__GetMinOffsetRequest	 minr = PETREL__GET_MIN_OFFSET_REQUEST__INIT;
	Petrel__GetMaxOffsetRequest	 maxr = PETREL__GET_MAX_OFFSET_REQUEST__INIT;
	ProtobufCMessage		*resp;
	uint32_t			 status;

	if (max) {
		maxr.topic = (char *)topic;
		maxr.queue_id = queue;
		status = cli_call_at(cli, address,
		    PETREL__REQUEST_CODE__CODE_GET_MAX_OFFSET, &maxr.base,
		    &petrel__get_max_offset_response__descriptor, &resp, error);
		if (status == PETREL__STATUS__STATUS_OK)
			*offset = ((Petrel__GetMaxOffsetResponse *)resp)->offset;
	} else {
		minr.topic = (char *)topic;
		minr.queue_id = queue;
		status = cli_call_at(cli, address,
		    PETREL__REQUEST_CODE__CODE_GET_MIN_OFFSET, &minr.base,
		    &petrel__get_min_offset_response__descriptor, &resp, error);
		if (status == PETREL__STATUS__STATUS_OK)
			*offset = ((Petrel__GetMinOffsetResponse *)resp)->offset;
	}
	msg_free(resp);
	return (status);
}

/*
 * When the message at offset of a queue was stored, by pulling it (and
 * committing nothing); *ms is 0 if it is gone.  Returns the Status.
 */
static uint32_t
cmd_topic_last_time(struct cli *cli, const char *address, const char *topic,
    uint32_t queue, uint64_t offset, uint64_t *ms, char **error)
{
	Petrel__PullMessageRequest	 req = PETREL__PULL_MESSAGE_REQUEST__INIT;
	Petrel__PullMessageResponse	*r;
	ProtobufCMessage		*resp;
	uint32_t			 status;

	*ms = 0;
	req.group = (char *)CMD_TOPIC_GROUP;
	req.topic = (char *)topic;
	req.queue_id = queue;
	req.queue_offset = offset;
	req.max_messages = 1;
	status = cli_call_at(cli, address,
	    PETREL__REQUEST_CODE__CODE_PULL_MESSAGE, &req.base,
	    &petrel__pull_message_response__descriptor, &resp, error);
	if (status != PETREL__STATUS__STATUS_OK)
		return (status);
	r = (Petrel__PullMessageResponse *)resp;
	if (r->status == PETREL__STATUS__STATUS_OK && r->n_messages > 0)
		*ms = r->messages[0]->store_timestamp_ms;
	msg_free(r);
	return (status);
}

/* petrel topic status TOPIC: per master and queue, offsets and last time. */
static int
cmd_topic_status_exec(struct cli *cli, struct cmd_args *args)
{
	struct cli_targets	 ts = { NULL, 0 };
	struct cli_target	*tg;
	struct cli_first	 first = { 0, NULL, 0 };
	struct json		*j = NULL;
	struct table		*t = NULL;
	const char		*topic = args->argv[0], *why;
	char			*error = NULL, when[64];
	uint64_t		 min, max, last, total = 0;
	uint32_t		 status, q;
	size_t			 i;
	int			 rc;

	if ((why = cli_check_name(topic)) != NULL)
		return (cli_bad_args(cli, args, "bad topic \"%s\": %s", topic,
		    why));
	if ((rc = cmd_topic_targets(cli, args, topic, 1, &ts)) != EX_OK)
		return (rc);
	if (cli->json) {
		j = cli_json_new(cli);
		json_object_open(j, NULL);
		json_string(j, "topic", topic);
		json_array_open(j, "queues");
	} else
		t = table_new(cmd_topic_status_columns,
		    nitems(cmd_topic_status_columns));
	for (i = 0; i < ts.n; i++) {
		tg = &ts.v[i];
		for (q = 0; q < tg->read_queues; q++) {
			status = cmd_topic_offset(cli, tg->address, 0, topic,
			    q, &min, &error);
			if (status == PETREL__STATUS__STATUS_OK)
				status = cmd_topic_offset(cli, tg->address, 1,
				    topic, q, &max, &error);
			last = 0;
			if (status == PETREL__STATUS__STATUS_OK && max > min)
				status = cmd_topic_last_time(cli, tg->address,
				    topic, q, max - 1, &last, &error);
			if (status != PETREL__STATUS__STATUS_OK) {
				/* The rest of this broker would fail too. */
				cli_first_note(&first, status, tg->broker_name,
				    tg->address, error);
				free(error);
				error = NULL;
				break;
			}
			if (max < min)
				max = min;
			total += max - min;
			if (last != 0)
				format_time(when, sizeof when, last);
			if (j != NULL) {
				json_object_open(j, NULL);
				json_string(j, "broker_name", tg->broker_name);
				json_string(j, "address", tg->address);
				json_uint(j, "queue_id", q);
				json_uint(j, "min_offset", min);
				json_uint(j, "max_offset", max);
				json_uint(j, "messages", max - min);
				if (last != 0) {
					json_string(j, "last_stored", when);
					json_uint(j, "last_stored_ms", last);
				} else {
					json_null(j, "last_stored");
					json_null(j, "last_stored_ms");
				}
				json_object_close(j);
				continue;
			}
			table_cell(t, "%s", tg->broker_name);
			table_cell(t, "%u", q);
			table_cell(t, "%llu", (unsigned long long)min);
			table_cell(t, "%llu", (unsigned long long)max);
			table_cell(t, "%llu", (unsigned long long)(max - min));
			table_cell(t, "%s", last != 0 ? when : "-");
		}
	}
	cli_targets_free(&ts);
	if (j != NULL) {
		json_array_close(j);
		json_uint(j, "messages", total);
		json_object_close(j);
		rc = cli_json_print(cli, j);
	} else
		rc = cli_table_print(cli, t, args);
	if (first.failed != 0)
		rc = cli_first_report(cli, &first, "topic status %s", topic);
	return (rc);
}
