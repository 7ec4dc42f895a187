/*
 * petrel group progress|reset: a consumer group's offsets on the brokers.
 * progress asks every master of the cluster for the group's committed
 * offsets (GetConsumerOffsetsRequest) and each queue's end
 * (GetMaxOffsetRequest) and prints the lag; reset moves the group's
 * offsets of a topic to a time on every master of the topic's route
 * (ResetConsumerOffsetRequest).
 *
 * There is no "group list": no request names the groups a broker knows
 * (GetBrokerRuntimeInfo only counts them).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cli.h"
#include "json.h"
#include "msg.h"
#include "proto/broker.pb-c.h"
#include "proto/frame.pb-c.h"
#include "xmalloc.h"

static int	cmd_group_progress_exec(struct cli *, struct cmd_args *);
static int	cmd_group_reset_exec(struct cli *, struct cmd_args *);

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
	{ "to", 0, "time", "the time to go back or forward to: epoch ms, "
	  "ISO 8601, \"YYYY-MM-DD HH:MM:SS\" (local) or \"now\"" },
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
	ProtobufCMessage			*resp, *mresp;
	struct cli_targets			 ts = { NULL, 0 };
	struct cli_target			*tg;
	struct cli_first			 first = { 0, NULL, 0 };
	struct json				*j = NULL;
	struct table				*t = NULL;
	const char				*group = args->argv[0];
	const char				*topic = cmd_get(args, "topic");
	const char				*cluster = cmd_get(args, "cluster");
	const char				*why;
	char					*error;
	uint64_t				 max, lag, sums[3] = { 0, 0, 0 };
	uint32_t				 status;
	size_t					 i, k, rows = 0;
	int					 rc;

	if ((why = cli_check_name(group)) != NULL)
		return (cli_bad_args(cli, args, "bad group \"%s\": %s", group,
		    why));
	if (topic != NULL && (why = cli_check_name(topic)) != NULL)
		return (cli_bad_args(cli, args, "bad topic \"%s\": %s", topic,
		    why));
	if (cluster != NULL && *cluster == '\0')
		return (cli_bad_args(cli, args, "empty cluster name"));
	status = cli_targets_cluster(cli, cluster, &ts, &error);
	if (status != PETREL__STATUS__STATUS_OK) {
		rc = cli_fail(cli, status, error, "group progress %s", group);
		free(error);
		return (rc);
	}

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
		status = cli_call_at(cli, tg->address,
		    PETREL__REQUEST_CODE__CODE_GET_CONSUMER_OFFSETS, &req.base,
		    &petrel__get_consumer_offsets_response__descriptor, &resp,
		    &error);
		if (status != PETREL__STATUS__STATUS_OK) {
			cli_first_note(&first, status, tg->broker_name,
			    tg->address, error);
			free(error);
			continue;
		}
		r = (Petrel__GetConsumerOffsetsResponse *)resp;
		for (k = 0; k < r->n_offsets; k++) {
			qo = r->offsets[k];
			mreq.topic = qo->topic;
			mreq.queue_id = qo->queue_id;
			status = cli_call_at(cli, tg->address,
			    PETREL__REQUEST_CODE__CODE_GET_MAX_OFFSET,
			    &mreq.base,
			    &petrel__get_max_offset_response__descriptor,
			    &mresp, &error);
			if (status != PETREL__STATUS__STATUS_OK) {
				cli_first_note(&first, status,
				    tg->broker_name, tg->address, error);
				free(error);
				break;
			}
			max = ((Petrel__GetMaxOffsetResponse *)mresp)->offset;
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
	ProtobufCMessage			*resp;
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
	if (format_parse_time(to, cli_now_ms(), &ms) != 0)
		return (cli_bad_args(cli, args, "bad time \"%s\": epoch ms, "
		    "YYYY-MM-DD[THH:MM[:SS[.mmm]]][Z|+HH:MM] or \"now\"", to));
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
		status = cli_call_at(cli, tg->address,
		    PETREL__REQUEST_CODE__CODE_RESET_CONSUMER_OFFSET, &req.base,
		    &petrel__reset_consumer_offset_response__descriptor, &resp,
		    &error);
		if (status != PETREL__STATUS__STATUS_OK) {
			cli_first_note(&first, status, tg->broker_name,
			    tg->address, error);
			free(error);
			continue;
		}
		r = (Petrel__ResetConsumerOffsetResponse *)resp;
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
	if (j != NULL) {
		json_array_close(j);
		json_object_close(j);
		rc = cli_json_print(cli, j);
	} else
		rc = cli_table_print(cli, t, args);
	if (first.failed != 0)
		rc = cli_first_report(cli, &first, "group reset %s %s", group,
		    topic);
	return (rc);
}
