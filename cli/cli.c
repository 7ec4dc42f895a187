/*
 * What every petrel subcommand shares: the name server list, one request
 * sent to the name servers in turn until one answers (lib/rpc.h), the
 * mapping of answers to sysexits(3) exit codes, and the output of results
 * and errors as human text or as one JSON document (lib/json.h), and the
 * progress line long commands keep on a terminal's stderr.
 *
 * A name server that cannot be reached (refused, closed, timed out or
 * talking nonsense) is skipped for the next one in the list; an answer of
 * any status ends the search.  Brokers are asked one by one through
 * cli_call_at(), one connection per address for the whole invocation, at
 * the addresses the name servers give for a cluster or a topic's route
 * (the masters, broker id 0).  Errors go to stderr, in JSON mode as
 * {"error":{"code":...,"status":...,"message":...}}.
 */
#include "config.h"

#include <sys/ioctl.h>

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "cli.h"
#include "clock.h"
#include "json.h"
#include "log.h"
#include "msg.h"
#include "name.h"
#include "proto/frame.pb-c.h"
#include "rpc.h"
#include "xmalloc.h"

/* What each Status means to the user of the command line. */
static const struct cli_status {
	uint32_t	 status;
	int		 exit;
	const char	*code;		/* the "code" of a JSON error */
	const char	*text;
} cli_statuses[] = {
	{ PETREL__STATUS__STATUS_OK, EX_OK, "ok", "success" },
	{ PETREL__STATUS__STATUS_SYSTEM_ERROR, EX_UNAVAILABLE,
	  "system_error", "the server failed" },
	{ PETREL__STATUS__STATUS_SYSTEM_BUSY, EX_TEMPFAIL,
	  "system_busy", "the server is busy" },
	{ PETREL__STATUS__STATUS_REQUEST_CODE_NOT_SUPPORTED, EX_PROTOCOL,
	  "request_code_not_supported",
	  "the server does not know this request" },
	{ PETREL__STATUS__STATUS_BAD_REQUEST, EX_DATAERR,
	  "bad_request", "the server refused the request" },
	{ PETREL__STATUS__STATUS_NOT_FOUND, 1,
	  "not_found", "not found" },
	{ PETREL__STATUS__STATUS_FRAME_TOO_LARGE, EX_DATAERR,
	  "frame_too_large", "the request is too large" },
	{ PETREL__STATUS__STATUS_VERSION_NOT_SUPPORTED, EX_PROTOCOL,
	  "version_not_supported",
	  "the server speaks another protocol version" },
	{ PETREL__STATUS__STATUS_NO_PERMISSION, EX_NOPERM,
	  "no_permission", "permission denied" },
	{ PETREL__STATUS__STATUS_TIMEOUT, EX_TEMPFAIL,
	  "timeout", "timed out" },
	{ PETREL__STATUS__STATUS_CONNECTION_CLOSED, EX_UNAVAILABLE,
	  "unavailable", "connection closed" },
	{ PETREL__STATUS__STATUS_CONNECT_FAILED, EX_UNAVAILABLE,
	  "unavailable", "cannot connect" },
	{ PETREL__STATUS__STATUS_PROTOCOL_ERROR, EX_PROTOCOL,
	  "protocol_error", "the server sent something undecodable" },
	{ PETREL__STATUS__STATUS_NOT_SENT, EX_SOFTWARE,
	  "internal", "the request was not sent" },
	{ PETREL__STATUS__STATUS_FLUSH_DISK_TIMEOUT, EX_TEMPFAIL,
	  "flush_disk_timeout", "stored, but not on disk in time" },
	{ PETREL__STATUS__STATUS_SLAVE_NOT_AVAILABLE, EX_TEMPFAIL,
	  "slave_not_available", "stored, but no slave has it" },
	{ PETREL__STATUS__STATUS_FLUSH_SLAVE_TIMEOUT, EX_TEMPFAIL,
	  "flush_slave_timeout", "stored, but no slave confirmed in time" },
	{ PETREL__STATUS__STATUS_MESSAGE_ILLEGAL, EX_DATAERR,
	  "message_illegal", "the message breaks a limit" },
	{ PETREL__STATUS__STATUS_SERVICE_NOT_AVAILABLE, EX_UNAVAILABLE,
	  "service_not_available", "the broker cannot serve it now" },
	{ PETREL__STATUS__STATUS_TOPIC_NOT_EXIST, 1,
	  "topic_not_exist", "no such topic" },
	{ PETREL__STATUS__STATUS_NOT_WRITABLE, EX_NOPERM,
	  "not_writable", "the topic or broker refuses writes" },
	{ PETREL__STATUS__STATUS_QUEUE_LOCKED, EX_TEMPFAIL,
	  "queue_locked", "another client holds the queue" },
};

/* One connection to a broker, kept for the whole invocation. */
struct cli_conn {
	char		*address;
	struct rpc	*rpc;
};
static const struct cli_status cli_status_unknown = {
	0, EX_PROTOCOL, "unknown_status",
	"the server answered an unknown status"
};

static const struct cli_status *cli_status_find(uint32_t);
static int	 cli_skip(uint32_t);
static int	 cli_report(struct cli *, int, const char *,
		     const uint32_t *, const char *, const char *);

/* Look up a status; unknown ones share one entry. */
static const struct cli_status *
cli_status_find(uint32_t status)
{
	size_t	i;

	for (i = 0; i < sizeof cli_statuses / sizeof cli_statuses[0]; i++) {
		if (cli_statuses[i].status == status)
			return (&cli_statuses[i]);
	}
	return (&cli_status_unknown);
}

/* The exit code for an answer with this status. */
int
cli_exit_code(uint32_t status)
{
	return (cli_status_find(status)->exit);
}

/*
 * Use the name servers in list, separated by semicolons (commas and spaces
 * work too).  Each must be an address rpc_new() takes; nothing connects
 * yet.  0, or -1 with *cause set.
 */
int
cli_set_namesrv(struct cli *cli, const char *list, char **cause)
{
	struct rpc	*rpc;
	char		*copy, *next, *word, *why;

	cli_clear(cli);
	if ((cli->base = event_base_new()) == NULL)
		fatalx("%s: event_base_new failed", __func__);
	copy = next = xstrdup(list);
	while ((word = strsep(&next, ";, \t")) != NULL) {
		if (*word == '\0')
			continue;
		why = NULL;
		if ((rpc = rpc_new(cli->base, word, &why)) == NULL) {
			xasprintf(cause, "bad name server address: %s",
			    why != NULL ? why : word);
			free(why);
			free(copy);
			cli_clear(cli);
			return (-1);
		}
		cli->namesrv = xreallocarray(cli->namesrv, cli->nnamesrv + 1,
		    sizeof *cli->namesrv);
		cli->namesrv[cli->nnamesrv++] = rpc;
	}
	free(copy);
	if (cli->nnamesrv == 0) {
		*cause = xstrdup("no name server address given");
		cli_clear(cli);
		return (-1);
	}
	return (0);
}

/* Close the name server connections and free the event base. */
void
cli_clear(struct cli *cli)
{
	size_t	i;

	for (i = 0; i < cli->nnamesrv; i++)
		rpc_free(cli->namesrv[i]);
	free(cli->namesrv);
	cli->namesrv = NULL;
	cli->nnamesrv = 0;
	for (i = 0; i < cli->nconns; i++) {
		if (cli->conns[i].rpc != NULL)
			rpc_free(cli->conns[i].rpc);
		free(cli->conns[i].address);
	}
	free(cli->conns);
	cli->conns = NULL;
	cli->nconns = 0;
	if (cli->base != NULL)
		event_base_free(cli->base);
	cli->base = NULL;
}

/* Whether a failed call should move on to the next name server. */
static int
cli_skip(uint32_t status)
{
	switch (status) {
	case PETREL__STATUS__STATUS_TIMEOUT:
	case PETREL__STATUS__STATUS_CONNECTION_CLOSED:
	case PETREL__STATUS__STATUS_CONNECT_FAILED:
	case PETREL__STATUS__STATUS_PROTOCOL_ERROR:
		return (1);
	}
	return (0);
}

/*
 * Send request code with req to the name servers in order until one
 * answers, and return the Status of that answer.  On STATUS_OK *resp is
 * the response, checked to be a want (the caller frees it with msg_free());
 * otherwise *error says why (the caller frees it).  When no name server
 * answers, the status is the most telling failure: a protocol error, else
 * a timeout, else STATUS_CONNECT_FAILED.
 */
uint32_t
cli_call(struct cli *cli, uint32_t code, const ProtobufCMessage *req,
    const ProtobufCMessageDescriptor *want, ProtobufCMessage **resp,
    char **error)
{
	uint32_t	 status = PETREL__STATUS__STATUS_CONNECT_FAILED;
	uint32_t	 worst = PETREL__STATUS__STATUS_CONNECT_FAILED;
	char		*cause, *why = NULL, *tmp;
	const char	*address = NULL;
	size_t		 i;
	void		(*sigpipe)(int);

	*resp = NULL;
	*error = NULL;

	/* Writes to a socket the peer closed must fail, not kill us. */
	sigpipe = signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < cli->nnamesrv; i++) {
		address = rpc_address(cli->namesrv[i]);
		cause = NULL;
		status = rpc_call_sync(cli->namesrv[i], code, req,
		    cli->timeout_ms, resp, &cause);
		if (!cli_skip(status))
			break;
		msg_free(*resp);
		*resp = NULL;
		if (cause == NULL)
			cause = xstrdup(cli_status_find(status)->text);
		/* Name the address unless the reason does. */
		xasprintf(&tmp, "%s%s%s%s%s", why != NULL ? why : "",
		    why != NULL ? "; " : "",
		    strstr(cause, address) == NULL ? address : "",
		    strstr(cause, address) == NULL ? ": " : "", cause);
		free(why);
		free(cause);
		why = tmp;
		if (status == PETREL__STATUS__STATUS_PROTOCOL_ERROR ||
		    (status == PETREL__STATUS__STATUS_TIMEOUT &&
		    worst != PETREL__STATUS__STATUS_PROTOCOL_ERROR))
			worst = status;
	}
	signal(SIGPIPE, sigpipe);

	if (i == cli->nnamesrv) {
		xasprintf(error, "no name server answered (%s)",
		    why != NULL ? why : "none given");
		free(why);
		return (worst);
	}
	free(why);
	if (status != PETREL__STATUS__STATUS_OK) {
		msg_free(*resp);
		*resp = NULL;
		if (cause == NULL || *cause == '\0') {
			free(cause);
			cause = xstrdup(cli_status_find(status)->text);
		}
		*error = cause;
		return (status);
	}
	free(cause);
	if (*resp == NULL || (want != NULL && (*resp)->descriptor != want)) {
		xasprintf(error, "%s answered with %s, not %s", address,
		    *resp != NULL ? (*resp)->descriptor->name : "nothing",
		    want != NULL ? want->name : "a response");
		msg_free(*resp);
		*resp = NULL;
		return (PETREL__STATUS__STATUS_PROTOCOL_ERROR);
	}
	return (status);
}

/*
 * Report an error on stderr, as a line of text or in JSON mode as one JSON
 * document, and return exit.  status is NULL when the error is not an
 * answer's; usage is a usage line to add, or NULL.
 */
static int
cli_report(struct cli *cli, int exit, const char *code,
    const uint32_t *status, const char *usage, const char *msg)
{
	struct json	*j;

	if (cli != NULL && cli->json) {
		j = json_new(0);
		json_object_open(j, NULL);
		json_object_open(j, "error");
		json_string(j, "code", code);
		if (status != NULL)
			json_uint(j, "status", *status);
		json_string(j, "message", msg);
		if (usage != NULL)
			json_string(j, "usage", usage);
		json_object_close(j);
		json_object_close(j);
		json_write(j, stderr);
		json_free(j);
	} else {
		fprintf(stderr, "petrel: %s\n", msg);
		if (usage != NULL)
			fprintf(stderr, "usage: %s\n", usage);
	}
	return (exit);
}

/* Report an error with this exit code and JSON code; returns exit. */
int
cli_error(struct cli *cli, int exit, const char *code, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;
	int	 rc;

	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	rc = cli_report(cli, exit, code, NULL, NULL, msg);
	free(msg);
	return (rc);
}

/* Report a bad command line and its usage line; returns EX_USAGE. */
int
cli_usage_error(struct cli *cli, const char *usage, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	cli_report(cli, EX_USAGE, "usage", NULL, usage, msg);
	free(msg);
	return (EX_USAGE);
}

/*
 * Report arguments a verb cannot use, prefixed with the verb's name and
 * followed by its usage line; returns EX_USAGE.
 */
int
cli_bad_args(struct cli *cli, const struct cmd_args *args, const char *fmt,
    ...)
{
	const struct cmd_entry	*e = args->entry;
	va_list			 ap;
	char			*msg, *usage;

	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	usage = cmd_usage(e);
	cli_usage_error(cli, usage, "%s%s%s: %s", e->noun,
	    e->verb != NULL ? " " : "", e->verb != NULL ? e->verb : "", msg);
	free(usage);
	free(msg);
	return (EX_USAGE);
}

/*
 * Report a failed request: what was asked (a printf format), then why.
 * Returns the exit code for status.
 */
int
cli_fail(struct cli *cli, uint32_t status, const char *error,
    const char *fmt, ...)
{
	const struct cli_status	*st = cli_status_find(status);
	va_list			 ap;
	char			*what, *msg;
	int			 rc;

	va_start(ap, fmt);
	xvasprintf(&what, fmt, ap);
	va_end(ap);
	xasprintf(&msg, "%s: %s", what, error != NULL ? error : st->text);
	rc = cli_report(cli, st->exit, st->code, &status, NULL, msg);
	free(msg);
	free(what);
	return (rc);
}

/* An emitter for this invocation's JSON document: indented on a terminal. */
struct json *
cli_json_new(struct cli *cli)
{
	return (json_new(isatty(STDOUT_FILENO) ? JSON_PRETTY : 0));
}

/* Print the JSON document to stdout and free it; returns an exit code. */
int
cli_json_print(struct cli *cli, struct json *j)
{
	int	rc = EX_OK;

	if (json_write(j, stdout) != 0)
		rc = cli_error(cli, EX_IOERR, "io_error", "stdout: %s",
		    strerror(errno));
	json_free(j);
	return (rc);
}

/*
 * Print a table to stdout (without headers if the verb got --no-headers;
 * cut to the width of the terminal if stdout is one) and free it; returns
 * an exit code.
 */
int
cli_table_print(struct cli *cli, struct table *t, const struct cmd_args *args)
{
	struct winsize	ws;
	size_t		max = 0;
	int		rc = EX_OK;

	if (isatty(STDOUT_FILENO) &&
	    ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		max = ws.ws_col;
	if (table_print(t, stdout, !cmd_has(args, "no-headers"), max) != 0 ||
	    fflush(stdout) != 0)
		rc = cli_error(cli, EX_IOERR, "io_error", "stdout: %s",
		    strerror(errno));
	table_free(t);
	return (rc);
}

/*
 * Print the rows of a verb: with --json the array and object open in j,
 * closed here, else the table t.  Returns an exit code.
 */
int
cli_rows_print(struct cli *cli, struct json *j, struct table *t,
    const struct cmd_args *args)
{
	if (j == NULL)
		return (cli_table_print(cli, t, args));
	json_array_close(j);
	json_object_close(j);
	return (cli_json_print(cli, j));
}

/*
 * The connection to address, made on first use; NULL with *cause set if
 * address is not one rpc_new() takes (remembered, so asked once).
 */
static struct rpc *
cli_conn(struct cli *cli, const char *address, char **cause)
{
	struct cli_conn	*c;
	size_t		 i;

	for (i = 0; i < cli->nconns; i++) {
		c = &cli->conns[i];
		if (strcmp(c->address, address) != 0)
			continue;
		if (c->rpc == NULL)
			xasprintf(cause, "bad broker address \"%s\"", address);
		return (c->rpc);
	}
	if (cli->base == NULL && (cli->base = event_base_new()) == NULL)
		fatalx("%s: event_base_new failed", __func__);
	cli->conns = xreallocarray(cli->conns, cli->nconns + 1,
	    sizeof *cli->conns);
	c = &cli->conns[cli->nconns++];
	c->address = xstrdup(address);
	if ((c->rpc = rpc_new(cli->base, address, cause)) == NULL) {
		free(*cause);
		xasprintf(cause, "bad broker address \"%s\"", address);
	}
	return (c->rpc);
}

/*
 * Send request code with req to the server at address and wait -t for the
 * answer; returns its Status.  On STATUS_OK *resp is the response, checked
 * to be a want (the caller frees it); otherwise *error says why, naming
 * the address (the caller frees it).  A bad address is STATUS_NOT_SENT.
 */
uint32_t
cli_call_at(struct cli *cli, const char *address, uint32_t code,
    const ProtobufCMessage *req, const ProtobufCMessageDescriptor *want,
    ProtobufCMessage **resp, char **error)
{
	struct rpc	*rpc;
	char		*cause = NULL;
	uint32_t	 status;
	void		(*sigpipe)(int);

	*resp = NULL;
	*error = NULL;
	if ((rpc = cli_conn(cli, address, error)) == NULL)
		return (PETREL__STATUS__STATUS_NOT_SENT);

	/* Writes to a socket the peer closed must fail, not kill us. */
	sigpipe = signal(SIGPIPE, SIG_IGN);
	status = rpc_call_sync(rpc, code, req, cli->timeout_ms, resp, &cause);
	signal(SIGPIPE, sigpipe);

	if (status != PETREL__STATUS__STATUS_OK) {
		msg_free(*resp);
		*resp = NULL;
		if (cause == NULL || *cause == '\0') {
			free(cause);
			cause = xstrdup(cli_status_find(status)->text);
		}
		if (strstr(cause, address) == NULL) {
			xasprintf(error, "%s: %s", address, cause);
			free(cause);
		} else
			*error = cause;
		return (status);
	}
	free(cause);
	if (*resp == NULL || (want != NULL && (*resp)->descriptor != want)) {
		xasprintf(error, "%s answered with %s, not %s", address,
		    *resp != NULL ? (*resp)->descriptor->name : "nothing",
		    want != NULL ? want->name : "a response");
		msg_free(*resp);
		*resp = NULL;
		return (PETREL__STATUS__STATUS_PROTOCOL_ERROR);
	}
	return (status);
}

/* Add broker name at address to a list of targets (the list copies). */
void
cli_targets_add(struct cli_targets *ts, const char *name, const char *address)
{
	struct cli_target	*t;

	ts->v = xreallocarray(ts->v, ts->n + 1, sizeof *ts->v);
	t = &ts->v[ts->n++];
	memset(t, 0, sizeof *t);
	t->broker_name = xstrdup(name);
	t->address = xstrdup(address);
}

/* Free the targets of a list and empty it. */
void
cli_targets_free(struct cli_targets *ts)
{
	size_t	i;

	for (i = 0; i < ts->n; i++) {
		free(ts->v[i].broker_name);
		free(ts->v[i].address);
	}
	free(ts->v);
	ts->v = NULL;
	ts->n = 0;
}

/* The address of broker b's master (id 0), or NULL if it has none. */
static const char *
cli_master_address(const Petrel__BrokerData *b)
{
	size_t	i;

	for (i = 0; b != NULL && i < b->n_addresses; i++) {
		if (b->addresses[i]->broker_id == 0)
			return (b->addresses[i]->address);
	}
	return (NULL);
}

/* Add broker b (may be NULL) to ts: its master, or with all every address. */
static void
cli_targets_broker(struct cli_targets *ts, const Petrel__BrokerData *b,
    int all)
{
	const char	*address;
	size_t		 i;

	if (b == NULL)
		return;
	if (!all) {
		if ((address = cli_master_address(b)) != NULL)
			cli_targets_add(ts, b->broker_name, address);
		return;
	}
	for (i = 0; i < b->n_addresses; i++)
		cli_targets_add(ts, b->broker_name, b->addresses[i]->address);
}

/*
 * Add the master of every broker of cluster (every cluster if NULL) to ts,
 * or with all every address of them, from the name servers' cluster info.
 * Returns the Status, with *error set (the caller frees it) unless
 * STATUS_OK; a cluster that is not known or has no broker to add is
 * STATUS_NOT_FOUND.
 */
uint32_t
cli_targets_cluster(struct cli *cli, const char *cluster, int all,
    struct cli_targets *ts, char **error)
{
	Petrel__GetClusterInfoRequest	 req =
	    PETREL__GET_CLUSTER_INFO_REQUEST__INIT;
	Petrel__GetClusterInfoResponse	*r;
	const Petrel__ClusterData	*c;
	ProtobufCMessage		*resp;
	uint32_t			 status;
	size_t				 ci, bi, found = 0;

	status = cli_call(cli, PETREL__REQUEST_CODE__CODE_GET_CLUSTER_INFO,
	    &req.base, &petrel__get_cluster_info_response__descriptor, &resp,
	    error);
	if (status != PETREL__STATUS__STATUS_OK)
		return (status);
	r = (Petrel__GetClusterInfoResponse *)resp;
	for (ci = 0; ci < r->n_clusters; ci++) {
		c = r->clusters[ci];
		if (cluster != NULL && strcmp(c->name, cluster) != 0)
			continue;
		found++;
		for (bi = 0; bi < c->n_broker_names; bi++) {
			cli_targets_broker(ts, cmd_cluster_find_broker(
			    r->brokers, r->n_brokers, c->broker_names[bi]),
			    all);
		}
	}
	msg_free(r);
	if (cluster != NULL && found == 0) {
		xasprintf(error, "no cluster %s", cluster);
		return (PETREL__STATUS__STATUS_NOT_FOUND);
	}
	if (ts->n == 0) {
		if (all)
			*error = xstrdup("the name server knows no broker");
		else
			xasprintf(error, "%s%s has no master broker",
			    cluster != NULL ? "cluster " : "no cluster",
			    cluster != NULL ? cluster : "");
		return (PETREL__STATUS__STATUS_NOT_FOUND);
	}
	return (PETREL__STATUS__STATUS_OK);
}

/*
 * Add the master of every broker serving topic to ts, with the topic's
 * queues there, from the topic's route.  Returns the Status, with *error
 * set (the caller frees it) unless STATUS_OK; a topic no master serves is
 * STATUS_NOT_FOUND.
 */
uint32_t
cli_targets_route(struct cli *cli, const char *topic, struct cli_targets *ts,
    char **error)
{
	Petrel__GetRouteRequest		 req = PETREL__GET_ROUTE_REQUEST__INIT;
	Petrel__GetRouteResponse	*r;
	const Petrel__QueueData		*q;
	struct cli_target		*t;
	ProtobufCMessage		*resp;
	const char			*address;
	uint32_t			 status;
	size_t				 i;

	req.topic = (char *)topic;
	status = cli_call(cli, PETREL__REQUEST_CODE__CODE_GET_ROUTE,
	    &req.base, &petrel__get_route_response__descriptor, &resp, error);
	if (status != PETREL__STATUS__STATUS_OK)
		return (status);
	r = (Petrel__GetRouteResponse *)resp;
	for (i = 0; i < r->n_queues; i++) {
		q = r->queues[i];
		address = cli_master_address(cmd_cluster_find_broker(
		    r->brokers, r->n_brokers, q->broker_name));
		if (address == NULL)
			continue;
		cli_targets_add(ts, q->broker_name, address);
		t = &ts->v[ts->n - 1];
		t->read_queues = q->read_queues;
		t->write_queues = q->write_queues;
		t->perm = q->perm;
		t->order = q->order;
	}
	msg_free(r);
	if (ts->n == 0) {
		xasprintf(error, "no master broker serves topic %s", topic);
		return (PETREL__STATUS__STATUS_NOT_FOUND);
	}
	return (PETREL__STATUS__STATUS_OK);
}

/*
 * Note that asking broker (at address) failed with status and error; the
 * first failure is kept for cli_first_report().
 */
void
cli_first_note(struct cli_first *f, uint32_t status, const char *broker,
    const char *address, const char *error)
{
	if (f->failed++ != 0)
		return;
	f->status = status;
	if (error == NULL)
		error = cli_status_find(status)->text;
	if (broker == NULL || *broker == '\0' ||
	    strcmp(broker, address) == 0)
		xasprintf(&f->error, "%s%s%s", strstr(error, address) != NULL ?
		    "" : address, strstr(error, address) != NULL ? "" : ": ",
		    error);
	else if (strstr(error, address) != NULL)
		xasprintf(&f->error, "%s: %s", broker, error);
	else
		xasprintf(&f->error, "%s (%s): %s", broker, address, error);
}

/*
 * Report the first failure noted, if any, prefixed with what was asked (a
 * printf format) and followed by how many more failed, and free it.
 * Returns its exit code, or EX_OK if nothing failed.
 */
int
cli_first_report(struct cli *cli, struct cli_first *f, const char *fmt, ...)
{
	va_list	 ap;
	char	*what, *why;
	int	 rc;

	if (f->failed == 0)
		return (EX_OK);
	va_start(ap, fmt);
	xvasprintf(&what, fmt, ap);
	va_end(ap);
	if (f->failed > 1)
		xasprintf(&why, "%s (and %zu more failed)", f->error,
		    f->failed - 1);
	else
		why = xstrdup(f->error);
	rc = cli_fail(cli, f->status, why, "%s", what);
	free(why);
	free(what);
	free(f->error);
	memset(f, 0, sizeof *f);
	return (rc);
}

/*
 * Write "error": {"code", "status", "message"} for a failure of one of
 * many requests into the object open in j.
 */
void
cli_json_error(struct json *j, uint32_t status, const char *message)
{
	const struct cli_status	*st = cli_status_find(status);

	json_object_open(j, "error");
	json_string(j, "code", st->code);
	json_uint(j, "status", status);
	json_string(j, "message", message != NULL ? message : st->text);
	json_object_close(j);
}

#define CLI_STR_(x)	#x
#define CLI_STR(x)	CLI_STR_(x)

/*
 * Why s cannot be a topic or group name (lib/name.h), or NULL if it can.
 */
const char *
cli_check_name(const char *s)
{
	size_t	i;

	if (*s == '\0')
		return ("empty name");
	for (i = 0; s[i] != '\0'; i++) {
		if (i == NAME_LEN_MAX)
			return ("name longer than " CLI_STR(NAME_LEN_MAX) " bytes");
		if (!name_char_ok(s[i]))
			return ("a name is letters, digits, '_', '%' and '-' "
			    "only");
	}
	return (NULL);
}

/*
 * Whether address is a host:port petrel can connect to (a numeric address
 * or localhost); 0, or -1 with *cause set (the caller frees it).
 */
int
cli_check_address(const char *address, char **cause)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len;
	char			*host;
	uint16_t		 port;
	int			 rc;

	if (rpc_parse_address(address, &host, &port, cause) != 0)
		return (-1);
	rc = rpc_resolve(host, port, &ss, &len, cause);
	free(host);
	return (rc);
}

/*
 * Start a progress line: shown on stderr only when it is a terminal, so
 * nothing changes for pipes, files and scripts.
 */
void
cli_progress_init(struct cli_progress *p)
{
	memset(p, 0, sizeof *p);
	p->tty = isatty(STDERR_FILENO);
}

/*
 * Rewrite the progress line with a printf format, at most once every
 * CLI_PROGRESS_US so a fast loop does not flood the terminal.
 */
void
cli_progress(struct cli_progress *p, const char *fmt, ...)
{
	va_list		ap;
	uint64_t	now;

	if (!p->tty)
		return;
	now = clock_mono_us();
	if (p->shown && now - p->last_us < CLI_PROGRESS_US)
		return;
	p->last_us = now;
	p->shown = 1;
	fputc('\r', stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\033[K", stderr);
	fflush(stderr);
}

/* Clear the progress line, if one was shown, before the command ends. */
void
cli_progress_done(struct cli_progress *p)
{
	if (!p->shown)
		return;
	fputs("\r\033[K", stderr);
	fflush(stderr);
	p->shown = 0;
}
