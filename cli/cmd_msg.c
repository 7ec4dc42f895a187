/*
 * petrel msg get|query: stored messages, from the brokers that hold them.
 * get asks for one message by id (QueryMessageByIdRequest): an offset id
 * names the broker that stored it, so that broker is asked directly; a
 * producer's unique id is looked up on every master of the topic.  query
 * asks every master of a topic for the messages with a key
 * (QueryMessageByKeyRequest) and merges the answers, newest first.
 *
 * A body is shown as text when it is UTF-8, else in base64; a compressed
 * body is decompressed first.  The JSON form of a message is shared.
 */
#include "config.h"

#include <sys/socket.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cli.h"
#include "clock.h"
#include "compress.h"
#include "json.h"
#include "msg.h"
#include "proto/broker.pb-c.h"
#include "proto/frame.pb-c.h"
#include "xmalloc.h"

#define CMD_MSG_MAX		64	/* messages a key query answers */
#define CMD_MSG_DEFAULT		32

static int	cmd_msg_get_exec(struct cli *, struct cmd_args *);
static int	cmd_msg_query_exec(struct cli *, struct cmd_args *);

static const struct cmd_option cmd_msg_get_options[] = {
	{ "topic", 0, "topic", "the topic of a unique id (needed for one)" },
	CMD_OPTION_NO_HEADERS,
	{ NULL, 0, NULL, NULL }
};

const struct cmd_entry cmd_msg_get_entry = {
	.noun = "msg",
	.verb = "get",
	.usage = "ID",
	.lower = 1,
	.upper = 1,
	.options = cmd_msg_get_options,
	.help = "show the message with this offset id or unique id",
	.exec = cmd_msg_get_exec
};

static const struct cmd_option cmd_msg_query_options[] = {
	{ "topic", 0, "topic", "the topic to search; required" },
	{ "key", 0, "key", "the key the messages carry; required" },
	{ "begin", 0, "time", "stored at or after this time (default: "
	  "the beginning)" },
	{ "end", 0, "time", "stored at or before this time (default: now)" },
	{ "max", 0, "count", "at most this many messages (1-64; default 32)" },
	CMD_OPTION_NO_HEADERS,
	{ NULL, 0, NULL, NULL }
};

const struct cmd_entry cmd_msg_query_entry = {
	.noun = "msg",
	.verb = "query",
	.usage = "",
	.lower = 0,
	.upper = 0,
	.options = cmd_msg_query_options,
	.help = "find the messages of a topic with a key, newest first",
	.exec = cmd_msg_query_exec
};

static const struct table_column cmd_msg_get_columns[] = {
	{ "FIELD", TABLE_LEFT },
	{ "VALUE", TABLE_LEFT }
};

static const struct table_column cmd_msg_query_columns[] = {
	{ "STORED", TABLE_LEFT },
	{ "MSG ID", TABLE_LEFT },
	{ "QUEUE", TABLE_RIGHT },
	{ "OFFSET", TABLE_RIGHT },
	{ "TAGS", TABLE_LEFT },
	{ "KEYS", TABLE_LEFT },
	{ "BODY", TABLE_LEFT }
};

/* A message's body as it was sent, decompressed if need be. */
struct cmd_msg_body {
	const uint8_t	*data;
	size_t		 len;
	void		*owned;		/* data, if decompressed */
	int		 compressed;	/* flagged, and kept so */
};

static int	cmd_msg_host(const char *, char *, size_t);
static void	cmd_msg_body(const Petrel__Message *, struct cmd_msg_body *);
static char	*cmd_msg_body_text(const Petrel__Message *);
static char	*cmd_msg_keys(const Petrel__Message *);
static void	cmd_msg_table(struct table *, const Petrel__Message *);
static uint32_t	cmd_msg_ask(struct cli *, const char *, const char *,
		    const char *, Petrel__Message **, char **);
static int	cmd_msg_newer(const void *, const void *);

/*
 * The broker host:port an offset id names (see proto/broker.proto), in
 * buf; 0, or -1 if id is not an offset id.
 */
static int
cmd_msg_host(const char *id, char *buf, size_t len)
{
	uint8_t		 b[28];
	char		 addr[INET6_ADDRSTRLEN];
	size_t		 n = strlen(id), i;
	uint32_t	 port = 0;
	int		 hi, lo;

	if (n != 32 && n != 56)
		return (-1);
	for (i = 0; i < n / 2; i++) {
		if (!isxdigit((unsigned char)id[2 * i]) ||
		    !isxdigit((unsigned char)id[2 * i + 1]))
			return (-1);
		hi = isdigit((unsigned char)id[2 * i]) ? id[2 * i] - '0' :
		    toupper((unsigned char)id[2 * i]) - 'A' + 10;
		lo = isdigit((unsigned char)id[2 * i + 1]) ?
		    id[2 * i + 1] - '0' :
		    toupper((unsigned char)id[2 * i + 1]) - 'A' + 10;
		b[i] = (uint8_t)(hi << 4 | lo);
	}
	n /= 2;
	for (i = n - 12; i < n - 8; i++)
		port = port << 8 | b[i];
	if (port == 0 || port > 65535)
		return (-1);
	if (n == 16) {
		if (inet_ntop(AF_INET, b, addr, sizeof addr) == NULL)
			return (-1);
		snprintf(buf, len, "%s:%u", addr, port);
	} else {
		if (inet_ntop(AF_INET6, b, addr, sizeof addr) == NULL)
			return (-1);
		snprintf(buf, len, "[%s]:%u", addr, port);
	}
	return (0);
}

/* The body of m, decompressed if it is flagged and decompresses. */
static void
cmd_msg_body(const Petrel__Message *m, struct cmd_msg_body *b)
{
	void	*out;
	size_t	 outlen;
	char	*cause = NULL;

	memset(b, 0, sizeof *b);
	b->data = m->body.data;
	b->len = m->body.len;
	if ((m->flags & PETREL__MESSAGE_FLAG__MESSAGE_FLAG_COMPRESSED) == 0)
		return;
	if (decompress_lz4_alloc(m->body.data, m->body.len, COMPRESS_MAX,
	    &out, &outlen, &cause) != 0) {
		free(cause);
		b->compressed = 1;
		return;
	}
	b->data = b->owned = out;
	b->len = outlen;
}

/* The body of m for a table: its text, or "base64:" and its base64. */
static char *
cmd_msg_body_text(const Petrel__Message *m)
{
	struct cmd_msg_body	 b;
	char			*s, *b64;

	cmd_msg_body(m, &b);
	if (!b.compressed && format_utf8(b.data, b.len) &&
	    memchr(b.data, '\0', b.len) == NULL)
		s = xstrndup((const char *)b.data, b.len);
	else {
		b64 = format_base64(b.data, b.len);
		xasprintf(&s, "base64:%s", b64);
		free(b64);
	}
	free(b.owned);
	return (s);
}

/* The keys of m separated by spaces ("" if none); the caller frees it. */
static char *
cmd_msg_keys(const Petrel__Message *m)
{
	char	*s = xstrdup(""), *tmp;
	size_t	 i;

	for (i = 0; i < m->n_keys; i++) {
		xasprintf(&tmp, "%s%s%s", s, i > 0 ? " " : "", m->keys[i]);
		free(s);
		s = tmp;
	}
	return (s);
}

/*
 * Write message m as a JSON object (under key, or as an array element if
 * key is NULL).  The body is "body" if it is UTF-8 without NUL bytes, else
 * "body_base64"; "compressed" says whether it is still LZ4 data.
 */
void
cmd_msg_json_message(struct json *j, const char *key, const Petrel__Message *m)
{
	struct cmd_msg_body	 b;
	char			 when[64], *b64;
	size_t			 i;

	json_object_open(j, key);
	json_string(j, "msg_id", m->msg_id);
	json_string(j, "unique_id", m->unique_id);
	json_string(j, "topic", m->topic);
	json_uint(j, "queue_id", m->queue_id);
	json_uint(j, "queue_offset", m->queue_offset);
	json_uint(j, "commit_log_offset", m->commit_log_offset);
	json_string(j, "tags", m->tags);
	json_array_open(j, "keys");
	for (i = 0; i < m->n_keys; i++)
		json_string(j, NULL, m->keys[i]);
	json_array_close(j);
	json_object_open(j, "properties");
	for (i = 0; i < m->n_properties; i++)
		json_string(j, m->properties[i]->name,
		    m->properties[i]->value);
	json_object_close(j);
	format_time(when, sizeof when, m->born_timestamp_ms);
	json_string(j, "born", when);
	json_uint(j, "born_ms", m->born_timestamp_ms);
	json_string(j, "born_host", m->born_host);
	format_time(when, sizeof when, m->store_timestamp_ms);
	json_string(j, "stored", when);
	json_uint(j, "stored_ms", m->store_timestamp_ms);
	json_string(j, "store_host", m->store_host);
	json_uint(j, "reconsume_times", m->reconsume_times);
	json_uint(j, "body_crc", m->body_crc);
	cmd_msg_body(m, &b);
	json_bool(j, "compressed", b.compressed);
	json_uint(j, "body_size", b.len);
	if (!b.compressed && format_utf8(b.data, b.len) &&
	    memchr(b.data, '\0', b.len) == NULL)
		json_stringn(j, "body", (const char *)b.data, b.len);
	else {
		b64 = format_base64(b.data, b.len);
		json_string(j, "body_base64", b64);
		free(b64);
	}
	free(b.owned);
	json_object_close(j);
}

/* The fields of m, a row each, for msg get. */
static void
cmd_msg_table(struct table *t, const Petrel__Message *m)
{
	char	when[64], *s;
	size_t	i;

	table_cell(t, "msg_id");
	table_cell(t, "%s", m->msg_id);
	table_cell(t, "unique_id");
	table_cell(t, "%s", *m->unique_id != '\0' ? m->unique_id : "-");
	table_cell(t, "topic");
	table_cell(t, "%s", m->topic);
	table_cell(t, "queue_id");
	table_cell(t, "%u", m->queue_id);
	table_cell(t, "queue_offset");
	table_cell(t, "%llu", (unsigned long long)m->queue_offset);
	table_cell(t, "commit_log_offset");
	table_cell(t, "%llu", (unsigned long long)m->commit_log_offset);
	table_cell(t, "tags");
	table_cell(t, "%s", *m->tags != '\0' ? m->tags : "-");
	s = cmd_msg_keys(m);
	table_cell(t, "keys");
	table_cell(t, "%s", *s != '\0' ? s : "-");
	free(s);
	format_time(when, sizeof when, m->born_timestamp_ms);
	table_cell(t, "born");
	table_cell(t, "%s", when);
	table_cell(t, "born_host");
	table_cell(t, "%s", m->born_host);
	format_time(when, sizeof when, m->store_timestamp_ms);
	table_cell(t, "stored");
	table_cell(t, "%s", when);
	table_cell(t, "store_host");
	table_cell(t, "%s", m->store_host);
	table_cell(t, "reconsume_times");
	table_cell(t, "%u", m->reconsume_times);
	for (i = 0; i < m->n_properties; i++) {
		table_cell(t, "property %s", m->properties[i]->name);
		table_cell(t, "%s", m->properties[i]->value);
	}
	s = cmd_msg_body_text(m);
	table_cell(t, "body");
	table_cell(t, "%s", s);
	free(s);
}

/*
 * Ask the broker at address for the message id (of topic, or "" for an
 * offset id).  Returns the Status; on STATUS_OK *m is the message (the
 * caller frees it with msg_free()).
 */
static uint32_t
cmd_msg_ask(struct cli *cli, const char *address, const char *id,
    const char *topic, Petrel__Message **m, char **error)
{
	Petrel__QueryMessageByIdRequest		 req =
	    PETREL__QUERY_MESSAGE_BY_ID_REQUEST__INIT;
	Petrel__QueryMessageByIdResponse	*r;
	ProtobufCMessage			*resp;
	uint32_t				 status;

	*m = NULL;
	req.msg_id = (char *)id;
	req.topic = (char *)topic;
	status = cli_call_at(cli, address,
	    PETREL__REQUEST_CODE__CODE_QUERY_MESSAGE_BY_ID, &req.base,
	    &petrel__query_message_by_id_response__descriptor, &resp, error);
	if (status != PETREL__STATUS__STATUS_OK)
		return (status);
	r = (Petrel__QueryMessageByIdResponse *)resp;
	if (r->message == NULL) {
		msg_free(r);
		xasprintf(error, "%s answered without a message", address);
		return (PETREL__STATUS__STATUS_PROTOCOL_ERROR);
	}
	*m = r->message;
	r->message = NULL;
	msg_free(r);
	return (status);
}

/*
 * petrel msg get ID [--topic T]: an offset id goes to the broker it
 * names; if that fails and a topic is given, or for a unique id, every
 * master of the topic is asked until one has it.
 */
static int
cmd_msg_get_exec(struct cli *cli, struct cmd_args *args)
{
	Petrel__Message		*m = NULL;
	struct cli_targets	 ts = { NULL, 0 };
	struct cli_first	 first = { 0, NULL, 0 };
	struct json		*j;
	struct table		*t;
	const char		*id = args->argv[0], *topic, *why;
	char			*error = NULL, host[80];
	uint32_t		 status = PETREL__STATUS__STATUS_NOT_FOUND;
	size_t			 i;
	int			 offset_id, rc;

	topic = cmd_get(args, "topic");
	if (*id == '\0' || strlen(id) > 64 || strcspn(id, " \t\r\n") !=
	    strlen(id))
		return (cli_bad_args(cli, args, "bad message id \"%s\"", id));
	if (topic != NULL && (why = cli_check_name(topic)) != NULL)
		return (cli_bad_args(cli, args, "bad topic \"%s\": %s", topic,
		    why));
	offset_id = cmd_msg_host(id, host, sizeof host) == 0;
	if (!offset_id && topic == NULL)
		return (cli_bad_args(cli, args, "%s is not an offset id: a "
		    "unique id needs --topic", id));

	if (offset_id) {
		status = cmd_msg_ask(cli, host, id, topic != NULL ? topic : "",
		    &m, &error);
		if (status != PETREL__STATUS__STATUS_OK && topic == NULL) {
			rc = cli_fail(cli, status, error, "msg get %s", id);
			free(error);
			return (rc);
		}
		if (status != PETREL__STATUS__STATUS_OK &&
		    status != PETREL__STATUS__STATUS_NOT_FOUND)
			cli_first_note(&first, status, host, host, error);
		free(error);
		error = NULL;
	}
	if (m == NULL) {
		status = cli_targets_route(cli, topic, &ts, &error);
		if (status != PETREL__STATUS__STATUS_OK) {
			free(first.error);
			rc = cli_fail(cli, status, error, "msg get %s", id);
			free(error);
			return (rc);
		}
		for (i = 0; i < ts.n && m == NULL; i++) {
			if (offset_id && strcmp(ts.v[i].address, host) == 0)
				continue;	/* asked already */
			status = cmd_msg_ask(cli, ts.v[i].address, id, topic,
			    &m, &error);
			if (status != PETREL__STATUS__STATUS_OK &&
			    status != PETREL__STATUS__STATUS_NOT_FOUND)
				cli_first_note(&first, status,
				    ts.v[i].broker_name, ts.v[i].address,
				    error);
			free(error);
			error = NULL;
		}
		cli_targets_free(&ts);
	}
	if (m == NULL) {
		/* Only a broker that failed could still have it. */
		if (first.failed != 0)
			return (cli_first_report(cli, &first, "msg get %s",
			    id));
		return (cli_fail(cli, PETREL__STATUS__STATUS_NOT_FOUND,
		    topic != NULL ? "no broker of the topic has it" :
		    "no such message", "msg get %s", id));
	}
	free(first.error);

	if (cli->json) {
		j = cli_json_new(cli);
		cmd_msg_json_message(j, NULL, m);
		msg_free(m);
		return (cli_json_print(cli, j));
	}
	t = table_new(cmd_msg_get_columns, nitems(cmd_msg_get_columns));
	cmd_msg_table(t, m);
	msg_free(m);
	return (cli_table_print(cli, t, args));
}

/* qsort(3): newest stored first, then by commit log offset, descending. */
static int
cmd_msg_newer(const void *a, const void *b)
{
	const Petrel__Message	*ma = *(Petrel__Message * const *)a;
	const Petrel__Message	*mb = *(Petrel__Message * const *)b;

	if (ma->store_timestamp_ms != mb->store_timestamp_ms)
		return (ma->store_timestamp_ms < mb->store_timestamp_ms ? 1 :
		    -1);
	if (ma->commit_log_offset != mb->commit_log_offset)
		return (ma->commit_log_offset < mb->commit_log_offset ? 1 :
		    -1);
	return (strcmp(ma->store_host, mb->store_host));
}

/*
 * petrel msg query --topic T --key K [--begin TIME] [--end TIME]
 * [--max N].
 */
static int
cmd_msg_query_exec(struct cli *cli, struct cmd_args *args)
{
	Petrel__QueryMessageByKeyRequest	 req =
	    PETREL__QUERY_MESSAGE_BY_KEY_REQUEST__INIT;
	Petrel__QueryMessageByKeyResponse	*r;
	Petrel__Message				**all = NULL, *m;
	ProtobufCMessage			*resp;
	struct cli_targets			 ts = { NULL, 0 };
	struct cli_first			 first = { 0, NULL, 0 };
	struct json				*j;
	struct table				*t;
	const char				*topic = cmd_get(args, "topic");
	const char				*key = cmd_get(args, "key");
	const char				*s, *why;
	char					*error, *end, when[64], *text;
	unsigned long				 max = CMD_MSG_DEFAULT;
	uint64_t				 begin = 0, until = 0;
	uint32_t				 status;
	size_t					 i, k, n = 0;
	int					 rc;

	if (topic == NULL || key == NULL)
		return (cli_bad_args(cli, args, "--topic and --key are "
		    "needed"));
	if ((why = cli_check_name(topic)) != NULL)
		return (cli_bad_args(cli, args, "bad topic \"%s\": %s", topic,
		    why));
	if (*key == '\0' || strlen(key) > 255 ||
	    strcspn(key, " \t\r\n") != strlen(key))
		return (cli_bad_args(cli, args, "bad key \"%s\": 1-255 bytes "
		    "without spaces", key));
	if ((s = cmd_get(args, "max")) != NULL) {
		errno = 0;
		max = strtoul(s, &end, 10);
		if (*s < '0' || *s > '9' || *end != '\0' || errno != 0 ||
		    max < 1 || max > CMD_MSG_MAX)
			return (cli_bad_args(cli, args, "bad count \"%s\": "
			    "1 to %d", s, CMD_MSG_MAX));
	}
	if ((s = cmd_get(args, "begin")) != NULL &&
	    format_parse_time(s, clock_wall_ms(), &begin) != 0)
		return (cli_bad_args(cli, args, "bad time \"%s\"", s));
	if ((s = cmd_get(args, "end")) != NULL &&
	    format_parse_time(s, clock_wall_ms(), &until) != 0)
		return (cli_bad_args(cli, args, "bad time \"%s\"", s));
	if (until != 0 && begin > until)
		return (cli_bad_args(cli, args, "--begin is after --end"));
	status = cli_targets_route(cli, topic, &ts, &error);
	if (status != PETREL__STATUS__STATUS_OK) {
		rc = cli_fail(cli, status, error, "msg query %s", key);
		free(error);
		return (rc);
	}

	req.topic = (char *)topic;
	req.key = (char *)key;
	req.begin_ms = begin;
	req.end_ms = until;
	req.max_messages = (uint32_t)max;
	for (i = 0; i < ts.n; i++) {
		status = cli_call_at(cli, ts.v[i].address,
		    PETREL__REQUEST_CODE__CODE_QUERY_MESSAGE_BY_KEY, &req.base,
		    &petrel__query_message_by_key_response__descriptor, &resp,
		    &error);
		if (status != PETREL__STATUS__STATUS_OK) {
			if (status != PETREL__STATUS__STATUS_NOT_FOUND)
				cli_first_note(&first, status,
				    ts.v[i].broker_name, ts.v[i].address,
				    error);
			free(error);
			continue;
		}
		r = (Petrel__QueryMessageByKeyResponse *)resp;
		all = xreallocarray(all, n + r->n_messages + 1, sizeof *all);
		for (k = 0; k < r->n_messages; k++) {
			all[n++] = r->messages[k];
			r->messages[k] = NULL;
		}
		r->n_messages = 0;
		msg_free(r);
	}
	cli_targets_free(&ts);
	if (n > 0)
		qsort(all, n, sizeof *all, cmd_msg_newer);

	if (n == 0) {
		free(all);
		if (first.failed != 0)
			return (cli_first_report(cli, &first, "msg query %s",
			    key));
		return (cli_fail(cli, PETREL__STATUS__STATUS_NOT_FOUND,
		    "no message has it", "msg query --topic %s --key %s",
		    topic, key));
	}
	if (cli->json) {
		j = cli_json_new(cli);
		json_object_open(j, NULL);
		json_string(j, "topic", topic);
		json_string(j, "key", key);
		json_array_open(j, "messages");
		for (i = 0; i < n && i < max; i++)
			cmd_msg_json_message(j, NULL, all[i]);
		json_array_close(j);
		json_object_close(j);
		rc = cli_json_print(cli, j);
	} else {
		t = table_new(cmd_msg_query_columns,
		    nitems(cmd_msg_query_columns));
		for (i = 0; i < n && i < max; i++) {
			m = all[i];
			format_time(when, sizeof when, m->store_timestamp_ms);
			table_cell(t, "%s", when);
			table_cell(t, "%s", m->msg_id);
			table_cell(t, "%u", m->queue_id);
			table_cell(t, "%llu",
			    (unsigned long long)m->queue_offset);
			table_cell(t, "%s", *m->tags != '\0' ? m->tags : "-");
			text = cmd_msg_keys(m);
			table_cell(t, "%s", text);
			free(text);
			text = cmd_msg_body_text(m);
			table_cell(t, "%s", text);
			free(text);
		}
		rc = cli_table_print(cli, t, args);
	}
	for (i = 0; i < n; i++)
		msg_free(all[i]);
	free(all);
	if (first.failed != 0)
		rc = cli_first_report(cli, &first, "msg query %s", key);
	return (rc);
}
