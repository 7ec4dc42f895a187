/*
 * petrel broker status: what each broker is and how it is doing
 * (GetBrokerRuntimeInfoRequest, CODE_GET_BROKER_RUNTIME_INFO), asked of
 * the brokers given on the command line, or of every broker address (masters
 * and slaves) of a cluster, or of every cluster, from the name servers'
 * cluster info.
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
#include "proto/namesrv.pb-c.h"
#include "xmalloc.h"

static int	cmd_broker_status_exec(struct cli *, struct cmd_args *);

static const struct cmd_option cmd_broker_status_options[] = {
	{ "cluster", 'c', "name", "only the brokers of this cluster" },
	CMD_OPTION_NO_HEADERS,
	{ NULL, 0, NULL, NULL }
};

const struct cmd_entry cmd_broker_status_entry = {
	.noun = "broker",
	.verb = "status",
	.usage = "[ADDRESS ...]",
	.lower = 0,
	.upper = -1,
	.options = cmd_broker_status_options,
	.help = "show the version, uptime, rates and disk use of brokers",
	.exec = cmd_broker_status_exec
};

static const struct table_column cmd_broker_status_columns[] = {
	{ "BROKER", TABLE_LEFT },
	{ "ID", TABLE_RIGHT },
	{ "ADDRESS", TABLE_LEFT },
	{ "VERSION", TABLE_LEFT },
	{ "UPTIME", TABLE_RIGHT },
	{ "PUT/S", TABLE_RIGHT },
	{ "GET/S", TABLE_RIGHT },
	{ "PUT", TABLE_RIGHT },
	{ "GOT", TABLE_RIGHT },
	{ "TOPICS", TABLE_RIGHT },
	{ "GROUPS", TABLE_RIGHT },
	{ "DISK", TABLE_RIGHT }
};

static void	cmd_broker_json(struct json *,
		    const Petrel__GetBrokerRuntimeInfoResponse *);
static void	cmd_broker_row(struct table *, const char *,
		    const Petrel__GetBrokerRuntimeInfoResponse *);

/* A broker's runtime information as keys of the object open in j. */
static void
cmd_broker_json(struct json *j, const Petrel__GetBrokerRuntimeInfoResponse *r)
{
	char	when[64];
	size_t	i;

	json_string(j, "version", r->version);
	json_string(j, "cluster", r->cluster);
	json_string(j, "broker_name", r->broker_name);
	json_uint(j, "broker_id", r->broker_id);
	format_time(when, sizeof when, r->start_ms);
	json_string(j, "start", when);
	json_uint(j, "start_ms", r->start_ms);
	json_uint(j, "uptime_ms", r->uptime_ms);
	json_uint(j, "commit_log_min_offset", r->commit_log_min_offset);
	json_uint(j, "commit_log_max_offset", r->commit_log_max_offset);
	json_uint(j, "disk_total_bytes", r->disk_total_bytes);
	json_uint(j, "disk_used_bytes", r->disk_used_bytes);
	json_double(j, "disk_used_ratio", r->disk_used_ratio);
	json_double(j, "put_tps", r->put_tps);
	json_double(j, "get_tps", r->get_tps);
	json_uint(j, "messages_put", r->messages_put);
	json_uint(j, "messages_got", r->messages_got);
	json_uint(j, "topics", r->topics);
	json_uint(j, "consumer_groups", r->consumer_groups);
	json_uint(j, "queue_depth", r->queue_depth);
	json_object_open(j, "extra");
	for (i = 0; i < r->n_extra; i++)
		json_string(j, r->extra[i]->name, r->extra[i]->value);
	json_object_close(j);
}

/* One row of the table; r is NULL when the broker did not answer. */
static void
cmd_broker_row(struct table *t, const char *address,
    const Petrel__GetBrokerRuntimeInfoResponse *r)
{
	char	age[32];
	int	i;

	if (r == NULL) {
		table_cell(t, "-");
		table_cell(t, "-");
		table_cell(t, "%s", address);
		table_cell(t, "(no answer)");
		for (i = 0; i < 8; i++)
			table_cell(t, "-");
		return;
	}
	format_age(age, sizeof age, r->uptime_ms);
	table_cell(t, "%s", r->broker_name);
	table_cell(t, "%llu", (unsigned long long)r->broker_id);
	table_cell(t, "%s", address);
	table_cell(t, "%s", r->version);
	table_cell(t, "%s", age);
	table_cell(t, "%.1f", r->put_tps);
	table_cell(t, "%.1f", r->get_tps);
	table_cell(t, "%llu", (unsigned long long)r->messages_put);
	table_cell(t, "%llu", (unsigned long long)r->messages_got);
	table_cell(t, "%u", r->topics);
	table_cell(t, "%u", r->consumer_groups);
	table_cell(t, "%.0f%%", r->disk_used_ratio * 100);
}

/* petrel broker status [--cluster NAME] [ADDRESS ...]. */
static int
cmd_broker_status_exec(struct cli *cli, struct cmd_args *args)
{
	Petrel__GetBrokerRuntimeInfoRequest	 req =
	    PETREL__GET_BROKER_RUNTIME_INFO_REQUEST__INIT;
	Petrel__GetBrokerRuntimeInfoResponse	*r;
	ProtobufCMessage			*resp;
	struct cli_targets			 ts = { NULL, 0 };
	struct cli_first			 first = { 0, NULL, 0 };
	struct json				*j = NULL;
	struct table				*t = NULL;
	const char				*cluster = cmd_get(args, "cluster");
	char					*error;
	uint32_t				 status;
	size_t					 i;
	int					 rc;

	if (cluster != NULL && args->argc > 0)
		return (cli_bad_args(cli, args, "--cluster and addresses "
		    "exclude each other"));
	if (cluster != NULL && *cluster == '\0')
		return (cli_bad_args(cli, args, "empty cluster name"));
	for (i = 0; i < (size_t)args->argc; i++) {
		if (cli_check_address(args->argv[i], &error) != 0) {
			cli_targets_free(&ts);
			rc = cli_bad_args(cli, args, "bad broker address "
			    "\"%s\": %s", args->argv[i], error);
			free(error);
			return (rc);
		}
		cli_targets_add(&ts, args->argv[i], args->argv[i]);
	}
	if (args->argc == 0) {
		status = cli_targets_cluster(cli, cluster, 1, &ts, &error);
		if (status != PETREL__STATUS__STATUS_OK) {
			rc = cli_fail(cli, status, error, "broker status");
			free(error);
			return (rc);
		}
	}

	if (cli->json) {
		j = cli_json_new(cli);
		json_object_open(j, NULL);
		json_array_open(j, "brokers");
	} else
		t = table_new(cmd_broker_status_columns,
		    nitems(cmd_broker_status_columns));
	for (i = 0; i < ts.n; i++) {
		status = cli_call_at(cli, ts.v[i].address,
		    PETREL__REQUEST_CODE__CODE_GET_BROKER_RUNTIME_INFO,
		    &req.base,
		    &petrel__get_broker_runtime_info_response__descriptor,
		    &resp, &error);
		r = (Petrel__GetBrokerRuntimeInfoResponse *)resp;
		if (status != PETREL__STATUS__STATUS_OK)
			cli_first_note(&first, status, ts.v[i].broker_name,
			    ts.v[i].address, error);
		if (j != NULL) {
			json_object_open(j, NULL);
			json_string(j, "address", ts.v[i].address);
			if (r != NULL)
				cmd_broker_json(j, r);
			else
				cli_json_error(j, status, error);
			json_object_close(j);
		} else
			cmd_broker_row(t, ts.v[i].address, r);
		msg_free(r);
		free(error);
	}
	if (first.failed == ts.n) {
		/* Nothing to show but the failure. */
		if (j != NULL)
			json_free(j);
		else
			table_free(t);
		cli_targets_free(&ts);
		return (cli_first_report(cli, &first, "broker status"));
	}
	cli_targets_free(&ts);
	rc = cli_rows_print(cli, j, t, args);
	if (first.failed != 0)
		rc = cli_first_report(cli, &first, "broker status");
	return (rc);
}
