/*
 * petrel kv get|put|delete|list: the name servers' key/value table, in
 * namespaces (KvGetRequest, KvPutRequest, KvDeleteRequest, KvListRequest;
 * codes CODE_KV_*).  A missing key is a clean negative answer: exit 1.
 * Each request goes to the first name server that answers; name servers do
 * not share their tables, so writes go to that one only.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cli.h"
#include "json.h"
#include "msg.h"
#include "proto/frame.pb-c.h"
#include "proto/namesrv.pb-c.h"

static int	cmd_kv_get_exec(struct cli *, struct cmd_args *);
static int	cmd_kv_put_exec(struct cli *, struct cmd_args *);
static int	cmd_kv_delete_exec(struct cli *, struct cmd_args *);
static int	cmd_kv_list_exec(struct cli *, struct cmd_args *);

const struct cmd_entry cmd_kv_get_entry = {
	.noun = "kv",
	.verb = "get",
	.usage = "NAMESPACE KEY",
	.lower = 2,
	.upper = 2,
	.help = "print the value of KEY in NAMESPACE",
	.exec = cmd_kv_get_exec
};

const struct cmd_entry cmd_kv_put_entry = {
	.noun = "kv",
	.verb = "put",
	.usage = "NAMESPACE KEY VALUE",
	.lower = 3,
	.upper = 3,
	.help = "set KEY in NAMESPACE to VALUE",
	.exec = cmd_kv_put_exec
};

const struct cmd_entry cmd_kv_delete_entry = {
	.noun = "kv",
	.verb = "delete",
	.usage = "NAMESPACE KEY",
	.lower = 2,
	.upper = 2,
	.help = "delete KEY from NAMESPACE",
	.exec = cmd_kv_delete_exec
};

static const struct cmd_option cmd_kv_list_options[] = {
	CMD_OPTION_NO_HEADERS,
	{ NULL, 0, NULL, NULL }
};

const struct cmd_entry cmd_kv_list_entry = {
	.noun = "kv",
	.verb = "list",
	.usage = "NAMESPACE",
	.lower = 1,
	.upper = 1,
	.options = cmd_kv_list_options,
	.help = "list the keys and values in NAMESPACE",
	.exec = cmd_kv_list_exec
};

static const struct table_column cmd_kv_columns[] = {
	{ "KEY", TABLE_LEFT },
	{ "VALUE", TABLE_LEFT }
};

static int	cmd_kv_check(struct cli *, struct cmd_args *);
static int	cmd_kv_call(struct cli *, struct cmd_args *, uint32_t,
		    const ProtobufCMessage *,
		    const ProtobufCMessageDescriptor *, ProtobufCMessage **);
static struct json *cmd_kv_json(struct cli *, struct cmd_args *);
static int	cmd_kv_done(struct cli *, struct cmd_args *, const char *,
		    const char *);

/* Refuse an empty namespace or key; 0 or the exit code. */
static int
cmd_kv_check(struct cli *cli, struct cmd_args *args)
{
	if (*args->argv[0] == '\0')
		return (cli_bad_args(cli, args, "empty namespace"));
	if (args->argc > 1 && *args->argv[1] == '\0')
		return (cli_bad_args(cli, args, "empty key"));
	return (0);
}

/*
 * Check the arguments and send one kv request; 0 with *resp set (the
 * caller frees it), or the exit code after reporting the error with the
 * namespace and key.
 */
static int
cmd_kv_call(struct cli *cli, struct cmd_args *args, uint32_t code,
    const ProtobufCMessage *req, const ProtobufCMessageDescriptor *want,
    ProtobufCMessage **resp)
{
	const struct cmd_entry	*e = args->entry;
	char			*error;
	uint32_t		 status;
	int			 rc;

	if ((rc = cmd_kv_check(cli, args)) != 0)
		return (rc);
	status = cli_call(cli, code, req, want, resp, &error);
	if (status == PETREL__STATUS__STATUS_OK)
		return (0);
	if (args->argc > 1) {
		rc = cli_fail(cli, status, error, "kv %s %s %s", e->verb,
		    args->argv[0], args->argv[1]);
	} else {
		rc = cli_fail(cli, status, error, "kv %s %s", e->verb,
		    args->argv[0]);
	}
	free(error);
	return (rc);
}

/* A JSON document opened with the namespace and the key, if any. */
static struct json *
cmd_kv_json(struct cli *cli, struct cmd_args *args)
{
	struct json	*j;

	j = cli_json_new(cli);
	json_object_open(j, NULL);
	json_string(j, "namespace", args->argv[0]);
	if (args->argc > 1)
		json_string(j, "key", args->argv[1]);
	return (j);
}

/*
 * Finish a change: nothing in text mode; in JSON mode the namespace, the
 * key and key_name, which is value if not NULL, else true.
 */
static int
cmd_kv_done(struct cli *cli, struct cmd_args *args, const char *key_name,
    const char *value)
{
	struct json	*j;

	if (!cli->json)
		return (EX_OK);
	j = cmd_kv_json(cli, args);
	if (value != NULL)
		json_string(j, key_name, value);
	else
		json_bool(j, key_name, 1);
	json_object_close(j);
	return (cli_json_print(cli, j));
}

/* petrel kv get NAMESPACE KEY: the value and a newline. */
static int
cmd_kv_get_exec(struct cli *cli, struct cmd_args *args)
{
	Petrel__KvGetRequest	 req = PETREL__KV_GET_REQUEST__INIT;
	Petrel__KvGetResponse	*r;
	ProtobufCMessage	*resp;
	struct json		*j;
	int			 rc;

	req.namespace_ = args->argv[0];
	req.key = args->argv[1];
	rc = cmd_kv_call(cli, args, PETREL__REQUEST_CODE__CODE_KV_GET,
	    &req.base, &petrel__kv_get_response__descriptor, &resp);
	if (rc != 0)
		return (rc);
	r = (Petrel__KvGetResponse *)resp;
	if (cli->json) {
		j = cmd_kv_json(cli, args);
		json_string(j, "value", r->value);
		json_object_close(j);
		msg_free(r);
		return (cli_json_print(cli, j));
	}
	printf("%s\n", r->value);
	msg_free(r);
	return (EX_OK);
}

/* petrel kv put NAMESPACE KEY VALUE: prints nothing unless --json. */
static int
cmd_kv_put_exec(struct cli *cli, struct cmd_args *args)
{
	Petrel__KvPutRequest	 req = PETREL__KV_PUT_REQUEST__INIT;
	ProtobufCMessage	*resp;
	int			 rc;

	req.namespace_ = args->argv[0];
	req.key = args->argv[1];
	req.value = args->argv[2];
	rc = cmd_kv_call(cli, args, PETREL__REQUEST_CODE__CODE_KV_PUT,
	    &req.base, &petrel__kv_put_response__descriptor, &resp);
	if (rc != 0)
		return (rc);
	msg_free(resp);
	return (cmd_kv_done(cli, args, "value", args->argv[2]));
}

/* petrel kv delete NAMESPACE KEY: prints nothing unless --json. */
static int
cmd_kv_delete_exec(struct cli *cli, struct cmd_args *args)
{
	Petrel__KvDeleteRequest	 req = PETREL__KV_DELETE_REQUEST__INIT;
	ProtobufCMessage	*resp;
	int			 rc;

	req.namespace_ = args->argv[0];
	req.key = args->argv[1];
	rc = cmd_kv_call(cli, args, PETREL__REQUEST_CODE__CODE_KV_DELETE,
	    &req.base, &petrel__kv_delete_response__descriptor, &resp);
	if (rc != 0)
		return (rc);
	msg_free(resp);
	return (cmd_kv_done(cli, args, "deleted", NULL));
}

/* petrel kv list [--no-headers] NAMESPACE: a KEY VALUE table. */
static int
cmd_kv_list_exec(struct cli *cli, struct cmd_args *args)
{
	Petrel__KvListRequest	 req = PETREL__KV_LIST_REQUEST__INIT;
	Petrel__KvListResponse	*r;
	ProtobufCMessage	*resp;
	struct json		*j;
	struct table		*t;
	size_t			 i;
	int			 rc;

	req.namespace_ = args->argv[0];
	rc = cmd_kv_call(cli, args, PETREL__REQUEST_CODE__CODE_KV_LIST,
	    &req.base, &petrel__kv_list_response__descriptor, &resp);
	if (rc != 0)
		return (rc);
	r = (Petrel__KvListResponse *)resp;
	if (cli->json) {
		j = cmd_kv_json(cli, args);
		json_array_open(j, "entries");
		for (i = 0; i < r->n_entries; i++) {
			json_object_open(j, NULL);
			json_string(j, "key", r->entries[i]->key);
			json_string(j, "value", r->entries[i]->value);
			json_object_close(j);
		}
		json_array_close(j);
		json_object_close(j);
		msg_free(r);
		return (cli_json_print(cli, j));
	}
	t = table_new(cmd_kv_columns, nitems(cmd_kv_columns));
	for (i = 0; i < r->n_entries; i++) {
		table_cell(t, "%s", r->entries[i]->key);
		table_cell(t, "%s", r->entries[i]->value);
	}
	msg_free(r);
	return (cli_table_print(cli, t, args));
}
