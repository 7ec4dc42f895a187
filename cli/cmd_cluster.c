/*
 * petrel cluster list: the clusters a name server knows, the brokers in
 * each and every broker's addresses with the age of its last heartbeat
 * (GetClusterInfoRequest, CODE_GET_CLUSTER_INFO).  Also the JSON form of a
 * broker, which petrel route shares.
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

static int	cmd_cluster_list_exec(struct cli *, struct cmd_args *);
static int	cmd_cluster_list_json(struct cli *,
		    const Petrel__GetClusterInfoResponse *);
static struct table *cmd_cluster_list_table(
		    const Petrel__GetClusterInfoResponse *);

static const struct cmd_option cmd_cluster_list_options[] = {
	CMD_OPTION_NO_HEADERS,
	{ NULL, 0, NULL, NULL }
};

const struct cmd_entry cmd_cluster_list_entry = {
	.noun = "cluster",
	.verb = "list",
	.usage = "",
	.lower = 0,
	.upper = 0,
	.options = cmd_cluster_list_options,
	.help = "list clusters, their brokers and each broker's last heartbeat",
	.exec = cmd_cluster_list_exec
};

static const struct table_column cmd_cluster_columns[] = {
	{ "CLUSTER", TABLE_LEFT },
	{ "BROKER", TABLE_LEFT },
	{ "ID", TABLE_RIGHT },
	{ "ADDRESS", TABLE_LEFT },
	{ "HEARTBEAT", TABLE_RIGHT }
};

/*
 * Write broker b as a JSON object: its name, cluster and addresses, each
 * with its last heartbeat (RFC 3339 and epoch ms) and that heartbeat's age
 * at now (ms); a heartbeat time of 0 (unknown) is written as null.
 */
void
cmd_cluster_json_broker(struct json *j, const Petrel__BrokerData *b,
    uint64_t now)
{
	const Petrel__BrokerAddress	*a;
	char				 when[64];
	size_t				 i;

	json_object_open(j, NULL);
	json_string(j, "cluster", b->cluster);
	json_string(j, "broker_name", b->broker_name);
	json_array_open(j, "addresses");
	for (i = 0; i < b->n_addresses; i++) {
		a = b->addresses[i];
		json_object_open(j, NULL);
		json_uint(j, "broker_id", a->broker_id);
		json_string(j, "address", a->address);
		json_string(j, "ha_address", a->ha_address);
		if (a->last_update_ms != 0) {
			format_time(when, sizeof when, a->last_update_ms);
			json_string(j, "last_heartbeat", when);
			json_uint(j, "last_heartbeat_ms", a->last_update_ms);
			json_uint(j, "heartbeat_age_ms",
			    now > a->last_update_ms ? now - a->last_update_ms :
			    0);
		} else {
			json_null(j, "last_heartbeat");
			json_null(j, "last_heartbeat_ms");
			json_null(j, "heartbeat_age_ms");
		}
		json_object_close(j);
	}
	json_array_close(j);
	json_object_close(j);
}

/* The broker named name among n brokers, or NULL. */
const Petrel__BrokerData *
cmd_cluster_find_broker(Petrel__BrokerData **brokers, size_t n,
    const char *name)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (strcmp(brokers[i]->broker_name, name) == 0)
			return (brokers[i]);
	}
	return (NULL);
}

/* The answer as one JSON document. */
static int
cmd_cluster_list_json(struct cli *cli, const Petrel__GetClusterInfoResponse *r)
{
	const Petrel__ClusterData	*c;
	const Petrel__BrokerData	*b;
	struct json			*j;
	uint64_t			 now = clock_wall_ms();
	size_t				 ci, bi;

	j = cli_json_new(cli);
	json_object_open(j, NULL);
	json_array_open(j, "clusters");
	for (ci = 0; ci < r->n_clusters; ci++) {
		c = r->clusters[ci];
		json_object_open(j, NULL);
		json_string(j, "name", c->name);
		json_array_open(j, "brokers");
		for (bi = 0; bi < c->n_broker_names; bi++) {
			b = cmd_cluster_find_broker(r->brokers, r->n_brokers,
			    c->broker_names[bi]);
			if (b != NULL)
				cmd_cluster_json_broker(j, b, now);
		}
		json_array_close(j);
		json_object_close(j);
	}
	json_array_close(j);
	json_object_close(j);
	return (cli_json_print(cli, j));
}

/* One table row per broker address; "-" where nothing is known. */
static struct table *
cmd_cluster_list_table(const Petrel__GetClusterInfoResponse *r)
{
	const Petrel__ClusterData	*c;
	const Petrel__BrokerData	*b;
	const Petrel__BrokerAddress	*a;
	struct table			*t;
	char				 age[32];
	uint64_t			 now = clock_wall_ms();
	size_t				 ci, bi, ai;

	t = table_new(cmd_cluster_columns, nitems(cmd_cluster_columns));
	for (ci = 0; ci < r->n_clusters; ci++) {
		c = r->clusters[ci];
		for (bi = 0; bi < c->n_broker_names; bi++) {
			b = cmd_cluster_find_broker(r->brokers, r->n_brokers,
			    c->broker_names[bi]);
			if (b == NULL || b->n_addresses == 0) {
				table_cell(t, "%s", c->name);
				table_cell(t, "%s", c->broker_names[bi]);
				table_cell(t, "-");
				table_cell(t, "-");
				table_cell(t, "-");
				continue;
			}
			for (ai = 0; ai < b->n_addresses; ai++) {
				a = b->addresses[ai];
				if (a->last_update_ms == 0)
					snprintf(age, sizeof age, "-");
				else {
					format_age(age, sizeof age,
					    now > a->last_update_ms ?
					    now - a->last_update_ms : 0);
				}
				table_cell(t, "%s", c->name);
				table_cell(t, "%s", b->broker_name);
				table_cell(t, "%llu",
				    (unsigned long long)a->broker_id);
				table_cell(t, "%s", a->address);
				table_cell(t, "%s", age);
			}
		}
	}
	return (t);
}

/* petrel cluster list [--no-headers]. */
static int
cmd_cluster_list_exec(struct cli *cli, struct cmd_args *args)
{
	Petrel__GetClusterInfoRequest	 req =
	    PETREL__GET_CLUSTER_INFO_REQUEST__INIT;
	ProtobufCMessage		*resp;
	struct table			*t;
	char				*error;
	uint32_t			 status;
	int				 rc;

	status = cli_call(cli, PETREL__REQUEST_CODE__CODE_GET_CLUSTER_INFO,
	    &req.base, &petrel__get_cluster_info_response__descriptor, &resp,
	    &error);
	if (status != PETREL__STATUS__STATUS_OK) {
		rc = cli_fail(cli, status, error, "cluster list");
		free(error);
		return (rc);
	}
	if (cli->json)
		rc = cmd_cluster_list_json(cli,
		    (Petrel__GetClusterInfoResponse *)resp);
	else {
		t = cmd_cluster_list_table(
		    (Petrel__GetClusterInfoResponse *)resp);
		rc = cli_table_print(cli, t, args);
	}
	msg_free(resp);
	return (rc);
}
