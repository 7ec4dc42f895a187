/*
 * petrel consume TOPIC --group G [--tag EXPR] [--count N]
 * [--from first|last|TIME] [--broadcast]: consumes through libpetrel's
 * pull API (lib/petrel_consumer.c) and prints each message, as text or
 * with --json as JSON Lines, until N messages or an interrupt; offsets are
 * committed as it goes and when it exits.  Progress goes to stderr when it
 * is a terminal.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cli.h"
#include "clock.h"
#include "json.h"
#include "petrel.h"
#include "proto/frame.pb-c.h"
#include "xmalloc.h"

static int	cmd_consume_exec(struct cli *, struct cmd_args *);

static const struct cmd_option cmd_consume_options[] = {
	{ "group", 'g', "group", "consume as this consumer group (required)" },
	{ "tag", 0, "expr", "only messages with these tags: \"TagA || TagB\"" },
	{ "count", 'c', "n", "exit after n messages" },
	{ "from", 0, "first|last|time", "where a new group starts: the first "
	    "message, new messages only (the default), or a time: "
	    CLI_TIME_HELP },
	{ "broadcast", 0, NULL, "see every message, offsets in a local file" },
	{ NULL, 0, NULL, NULL }
};

const struct cmd_entry cmd_consume_entry = {
	.noun = "consume",
	.verb = NULL,
	.usage = "TOPIC",
	.lower = 1,
	.upper = 1,
	.options = cmd_consume_options,
	.help = "consume messages of TOPIC and print them",
	.exec = cmd_consume_exec
};

static volatile sig_atomic_t	cmd_consume_stop;

static void
cmd_consume_signal(int sig)
{
	(void)sig;
	cmd_consume_stop = 1;
}

/* Print one message as text or a JSON line; 0 or -1 (stdout failed). */
static int
cmd_consume_print(struct cli *cli, struct petrel_msg *m)
{
	struct json	*j;
	const void	*body;
	size_t		 len, i, nkeys;
	char		*b64;
	int		 utf8, rc;

	body = petrel_msg_body(m, &len);
	utf8 = format_utf8(body, len);
	nkeys = petrel_msg_nkeys(m);
	if (!cli->json) {
		if (printf("%s %u %" PRIu64 " %s %s ", petrel_msg_topic(m),
		    petrel_msg_queue_id(m), petrel_msg_queue_offset(m),
		    petrel_msg_id(m), *petrel_msg_tag(m) != '\0' ?
		    petrel_msg_tag(m) : "-") < 0)
			return (-1);
		if (utf8)
			fwrite(body, 1, len, stdout);
		else {
			b64 = format_base64(body, len);
			printf("base64:%s", b64);
			free(b64);
		}
		return (putchar('\n') == EOF || fflush(stdout) != 0 ? -1 : 0);
	}
	j = json_new(0);
	json_object_open(j, NULL);
	json_string(j, "msg_id", petrel_msg_id(m));
	json_string(j, "topic", petrel_msg_topic(m));
	json_uint(j, "queue_id", petrel_msg_queue_id(m));
	json_uint(j, "queue_offset", petrel_msg_queue_offset(m));
	json_string(j, "tags", petrel_msg_tag(m));
	json_array_open(j, "keys");
	for (i = 0; i < nkeys; i++)
		json_string(j, NULL, petrel_msg_key(m, i));
	json_array_close(j);
	if (utf8)
		json_stringn(j, "body", body, len);
	else {
		b64 = format_base64(body, len);
		json_string(j, "body_base64", b64);
		free(b64);
	}
	json_object_close(j);
	rc = json_write(j, stdout);
	json_free(j);
	return (rc);
}

/* Options into consumer options o; NULL, or what is wrong. */
const char *
cmd_consume_options_parse(struct cmd_args *args,
    struct petrel_consumer_options *o)
{
	const char	*from;
	uint64_t	 ms;

	petrel_consumer_options_init(o);
	if ((o->group = cmd_get(args, "group")) == NULL)
		return ("--group is required");
	if ((from = cmd_get(args, "from")) != NULL) {
		if (strcmp(from, "first") == 0)
			o->from = PETREL_FROM_FIRST;
		else if (strcmp(from, "last") == 0)
			o->from = PETREL_FROM_LAST;
		else if (format_parse_time(from, clock_wall_ms(), &ms) == 0) {
			o->from = PETREL_FROM_TIME;
			o->from_ms = ms;
		} else
			return ("--from takes first, last or a time: "
			    CLI_TIME_FORMS);
	}
	if (cmd_has(args, "broadcast"))
		o->model = PETREL_BROADCASTING;
	return (NULL);
}

/*
 * A client and a started consumer of topic (tag: NULL for every message)
 * with options o, into *c and *pc.  The topic's route is asked first,
 * like every verb asks, so that no name server (EX_UNAVAILABLE, or
 * EX_TEMPFAIL when one does not answer within -t) and a topic that no
 * broker serves (1) end the command at once instead of leaving the
 * consumer waiting for a route forever.  Returns EX_OK or the exit code
 * after saying why.
 */
int
cmd_consume_open(struct cli *cli, struct cmd_args *args, const char *topic,
    const char *tag, const struct petrel_consumer_options *o,
    struct petrel_client **c, struct petrel_consumer **pc)
{
	struct petrel_error	 err;
	struct cli_targets	 ts;
	uint32_t		 status;
	char			*error = NULL;
	int			 rc = EX_OK;

	*pc = NULL;
	if ((*c = cmd_send_client(cli, &error)) == NULL) {
		rc = cli_error(cli, EX_USAGE, "usage", "%s", error);
		free(error);
		return (rc);
	}
	/* Subscribing checks the topic and tags without asking anyone. */
	if ((*pc = petrel_consumer_new(*c, o, &err)) == NULL ||
	    petrel_consumer_subscribe(*pc, topic, tag, &err) != 0) {
		rc = err.code == PETREL_E_BAD_REQUEST ? cli_bad_args(cli, args,
		    "%s", err.text) : cli_fail(cli, (uint32_t)err.code,
		    err.text, "consume %s", topic);
		goto fail;
	}
	memset(&ts, 0, sizeof ts);
	status = cli_targets_route(cli, topic, &ts, &error);
	cli_targets_free(&ts);
	if (status != PETREL__STATUS__STATUS_OK) {
		rc = cli_fail(cli, status, error, "consume %s", topic);
		free(error);
		goto fail;
	}
	if (petrel_consumer_start(*pc, &err) == 0)
		return (EX_OK);
	rc = cli_fail(cli, (uint32_t)err.code, err.text, "consume %s", topic);
fail:
	petrel_consumer_free(*pc);
	petrel_client_free(*c);
	*pc = NULL;
	*c = NULL;
	return (rc);
}

static int
cmd_consume_exec(struct cli *cli, struct cmd_args *args)
{
	struct petrel_consumer_options	 o;
	struct petrel_client		*c;
	struct petrel_consumer		*pc;
	struct petrel_error		 err;
	struct cli_progress		 pr;
	struct petrel_msg		*msgs[64];
	const char			*why;
	uint64_t			 count, seen = 0;
	long				 l;
	int				 n, i, rc = EX_OK;
	size_t				 max;

	if ((why = cmd_consume_options_parse(args, &o)) != NULL)
		return (cli_bad_args(cli, args, "%s", why));
	if ((l = cmd_get_number(args, "count", 0, 1, LONG_MAX)) == -1)
		return (cli_bad_args(cli, args, "--count takes a number above "
		    "0"));
	count = (uint64_t)l;
	if ((rc = cmd_consume_open(cli, args, args->argv[0],
	    cmd_get(args, "tag"), &o, &c, &pc)) != EX_OK)
		return (rc);
	signal(SIGINT, cmd_consume_signal);
	signal(SIGTERM, cmd_consume_signal);
	cli_progress_init(&pr);
	while (!cmd_consume_stop && (count == 0 || seen < count)) {
		max = nitems(msgs);
		if (count != 0 && count - seen < max)
			max = (size_t)(count - seen);
		n = petrel_consumer_poll(pc, msgs, max, 200, &err);
		if (n < 0) {
			rc = cli_fail(cli, (uint32_t)err.code, "consume", "%s",
			    err.text);
			break;
		}
		for (i = 0; i < n; i++) {
			if (rc == EX_OK && cmd_consume_print(cli, msgs[i]) != 0)
				rc = cli_error(cli, EX_IOERR, "io_error",
				    "stdout: %s", strerror(errno));
			/* Not printed: never done, so never committed. */
			if (rc == EX_OK)
				petrel_consumer_done(pc, msgs[i],
				    PETREL_CONSUME_SUCCESS);
			else
				petrel_msg_free(msgs[i]);
		}
		if (rc != EX_OK)
			break;
		seen += (uint64_t)n;
		if (n > 0)
			cli_progress(&pr, "%" PRIu64 " messages", seen);
	}
	cli_progress_done(&pr);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	petrel_consumer_free(pc);
	petrel_client_free(c);
	return (rc);
}
