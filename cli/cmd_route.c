/*
 * petrel route TOPIC: which brokers serve a topic, with how many read and
 * write queues and which permissions, and where to reach each broker
 * (GetRouteRequest, CODE_GET_ROUTE).  A topic no broker serves is a clean
 * negative answer: exit 1.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "clock.h"
#include "json.h"
#include "msg.h"
#include "proto/frame.pb-c.h"
#include "proto/namesrv.pb-c.h"

static int	cmd_route_exec(struct cli *, struct cmd_args *);

static const struct cmd_option cmd_route_options[] = {
	CMD_OPTION_NO_HEADERS,
	{ NULL, 0, NULL, NULL }
};

const struct cmd_entry cmd_route_entry = {
	.noun = "route",
	.usage = "TOPIC",
	.lower = 1,
	.upper = 1,
	.options = cmd_route_options,
	.help = "show the brokers serving TOPIC, their queues and addresses",
	.exec = cmd_route_exec
};

static const struct table_column cmd_route_columns[] = {
	{ "BROKER", TABLE_LEFT },
	{ "READ", TABLE_RIGHT },
	{ "WRITE", TABLE_RIGHT },
	{ "PERM", TABLE_LEFT },
	{ "ID", TABLE_RIGHT },
	{ "ADDRESS", TABLE_LEFT }
};

static void	cmd_route_row(struct table *, const Petrel__QueueData *,
		    const char *, const char *);

/* One table row: a broker's queues and one of its addresses. */
static void
cmd_route_row(struct table *t, const Petrel__QueueData *q, const char *id,
    const char *address)
{
	char	perm[8];

	format_perm(perm, sizeof perm, q->perm);
	table_cell(t, "%s", q->broker_name);
	table_cell(t, "%u", q->read_queues);
	table_cell(t, "%u", q->write_queues);
	table_cell(t, "%s", perm);
	table_cell(t, "%s", id);
	table_cell(t, "%s", address);
}

/* petrel route [--no-headers] TOPIC. */
static int
cmd_route_exec(struct cli *cli, struct cmd_args *args)
{
	Petrel__GetRouteRequest		 req = PETREL__GET_ROUTE_REQUEST__INIT;
	Petrel__GetRouteResponse	*r;
	const Petrel__QueueData		*q;
	const Petrel__BrokerData	*b;
	ProtobufCMessage		*resp;
	struct json			*j;
	struct table			*t;
	const char			*topic = args->argv[0];
	char				*error, id[32], perm[8];
	uint32_t			 status;
	size_t				 i, ai;
	int				 rc;

	if (*topic == '\0')
		return (cli_bad_args(cli, args, "empty topic name"));
	req.topic = (char *)topic;
	status = cli_call(cli, PETREL__REQUEST_CODE__CODE_GET_ROUTE,
	    &req.base, &petrel__get_route_response__descriptor, &resp, &error);
	if (status != PETREL__STATUS__STATUS_OK) {
		rc = cli_fail(cli, status, error, "route %s", topic);
		free(error);
		return (rc);
	}
	r = (Petrel__GetRouteResponse *)resp;

	if (cli->json) {
		j = cli_json_new(cli);
		json_object_open(j, NULL);
		json_string(j, "topic", topic);
		json_array_open(j, "queues");
		for (i = 0; i < r->n_queues; i++) {
			q = r->queues[i];
			format_perm(perm, sizeof perm, q->perm);
			json_object_open(j, NULL);
			json_string(j, "broker_name", q->broker_name);
			json_uint(j, "read_queues", q->read_queues);
			json_uint(j, "write_queues", q->write_queues);
			json_uint(j, "perm", q->perm);
			json_string(j, "perm_string", perm);
			json_bool(j, "order", q->order);
			json_object_close(j);
		}
		json_array_close(j);
		json_array_open(j, "brokers");
		for (i = 0; i < r->n_brokers; i++)
			cmd_cluster_json_broker(j, r->brokers[i], clock_wall_ms());
		json_array_close(j);
		json_object_close(j);
		msg_free(r);
		return (cli_json_print(cli, j));
	}

	t = table_new(cmd_route_columns, nitems(cmd_route_columns));
	for (i = 0; i < r->n_queues; i++) {
		q = r->queues[i];
		b = cmd_cluster_find_broker(r->brokers, r->n_brokers,
		    q->broker_name);
		if (b == NULL || b->n_addresses == 0) {
			cmd_route_row(t, q, "-", "-");
			continue;
		}
		for (ai = 0; ai < b->n_addresses; ai++) {
			snprintf(id, sizeof id, "%llu",
			    (unsigned long long)b->addresses[ai]->broker_id);
			cmd_route_row(t, q, id, b->addresses[ai]->address);
		}
	}
	msg_free(r);
	return (cli_table_print(cli, t, args));
}
