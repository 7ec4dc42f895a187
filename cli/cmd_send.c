/*
 * petrel send TOPIC [BODY|-]: one message through libpetrel's producer
 * (lib/petrel.h), or with "-" (or no BODY) one message per line of
 * standard input, sent in order, each answered before the next.  Prints a
 * line per message, in JSON mode a JSON object per line (JSON Lines) with
 * msg_id, status, queue_id and queue_offset.  The first failed send stops
 * the command with the exit code of its status.  Reading standard input,
 * the count sent so far goes to stderr when it is a terminal.
 *
 * cmd_send_client() makes the client every libpetrel verb uses, of the
 * name servers petrel was given.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cli.h"
#include "json.h"
#include "petrel.h"
#include "rpc.h"
#include "xmalloc.h"

static int	cmd_send_exec(struct cli *, struct cmd_args *);

static const struct cmd_option cmd_send_options[] = {
	{ "tag", 0, "TAG", "the messages' tag" },
	{ "key", 0, "KEY", "a key to find the messages by" },
	{ "delay", 0, "LEVEL", "deliver after delay level 1-18 (1s 5s 10s "
	  "30s 1m ... 2h)" },
	{ NULL, 0, NULL, NULL }
};

const struct cmd_entry cmd_send_entry = {
	.noun = "send",
	.usage = "TOPIC [BODY|-]",
	.lower = 1,
	.upper = 2,
	.options = cmd_send_options,
	.help = "send BODY, or each line of standard input, to TOPIC",
	.exec = cmd_send_exec
};

/* State of one petrel send. */
struct cmd_send {
	struct cli		*cli;
	struct petrel_producer	*p;
	const char		*topic;
	const char		*tag;
	const char		*key;
	int			 delay;
};

/*
 * A libpetrel client of the name servers petrel was given; NULL with
 * *cause set.
 */
struct petrel_client *
cmd_send_client(struct cli *cli, char **cause)
{
	struct petrel_client	*c;
	struct petrel_error	 err;
	char			*list = xstrdup(""), *t;
	size_t			 i;

	for (i = 0; i < cli->nnamesrv; i++) {
		xasprintf(&t, "%s%s%s", list, i == 0 ? "" : ";",
		    rpc_address(cli->namesrv[i]));
		free(list);
		list = t;
	}
	if ((c = petrel_client_new(list, &err)) == NULL)
		xasprintf(cause, "%s", err.text);
	free(list);
	return (c);
}

/* The status of a send result as a word. */
static const char *
cmd_send_status(int status)
{
	switch (status) {
	case PETREL_OK:
		return ("ok");
	case PETREL_E_FLUSH_DISK_TIMEOUT:
		return ("flush_disk_timeout");
	}
	return ("stored");
}

/* Send one message of len bytes; an exit code. */
static int
cmd_send_one(struct cmd_send *s, const char *body, size_t len)
{
	struct petrel_send_result	 r;
	struct petrel_error		 err;
	struct petrel_msg		*m;
	struct json			*j;
	int				 rc;

	m = petrel_msg_new(s->topic, body, len);
	if (s->tag != NULL)
		petrel_msg_set_tag(m, s->tag);
	if (s->key != NULL)
		petrel_msg_add_key(m, s->key);
	petrel_msg_set_delay_level(m, s->delay);
	rc = petrel_send(s->p, m, &r, &err);
	petrel_msg_free(m);
	if (rc != 0)
		return (cli_fail(s->cli, (uint32_t)err.code, err.text,
		    "send to %s", s->topic));
	if (!s->cli->json) {
		printf("%s %s queue %u offset %llu\n", r.msg_id,
		    cmd_send_status(r.status), r.queue_id,
		    (unsigned long long)r.queue_offset);
		return (fflush(stdout) == 0 ? EX_OK : EX_IOERR);
	}
	j = json_new(0);
	json_object_open(j, NULL);
	json_string(j, "msg_id", r.msg_id);
	json_string(j, "status", cmd_send_status(r.status));
	json_uint(j, "queue_id", r.queue_id);
	json_uint(j, "queue_offset", r.queue_offset);
	json_string(j, "unique_id", r.unique_id);
	json_string(j, "broker", r.broker);
	json_object_close(j);
	rc = json_write(j, stdout) == 0 ? EX_OK : EX_IOERR;
	json_free(j);
	return (rc);
}

/*
 * Why topic cannot take messages from a producer (a name, not the
 * broker's own: those start with '%'), or NULL if it can.
 */
static const char *
cmd_send_check_topic(const char *topic)
{
	if (*topic == '%')
		return ("topics starting with '%' are the broker's own");
	return (cli_check_name(topic));
}

/* petrel send [--tag T] [--key K] [--delay LEVEL] TOPIC [BODY|-]. */
static int
cmd_send_exec(struct cli *cli, struct cmd_args *args)
{
	struct cmd_send			 s;
	struct petrel_client		*c;
	struct petrel_producer_options	 o;
	struct petrel_msg		*probe;
	struct petrel_error		 err;
	struct cli_progress		 pr;
	const char			*v, *why;
	char				*cause = NULL, *line = NULL, *end;
	size_t				 cap = 0;
	ssize_t				 n;
	unsigned long long		 sent = 0;
	long				 l;
	int				 rc = EX_OK;

	memset(&s, 0, sizeof s);
	s.cli = cli;
	s.topic = args->argv[0];
	s.tag = cmd_get(args, "tag");
	s.key = cmd_get(args, "key");
	if ((why = cmd_send_check_topic(s.topic)) != NULL)
		return (cli_bad_args(cli, args, "bad topic name \"%s\": %s",
		    s.topic, why));
	if ((v = cmd_get(args, "delay")) != NULL) {
		errno = 0;
		l = strtol(v, &end, 10);
		if (*v == '\0' || *end != '\0' || errno != 0 || l < 0 ||
		    l > 18)
			return (cli_bad_args(cli, args, "bad delay level \"%s\" "
			    "(0-18)", v));
		s.delay = (int)l;
	}
	probe = petrel_msg_new(s.topic, NULL, 0);
	if (s.tag != NULL && petrel_msg_set_tag(probe, s.tag) != 0)
		rc = cli_bad_args(cli, args, "bad tag \"%s\"", s.tag);
	else if (s.key != NULL && petrel_msg_add_key(probe, s.key) != 0)
		rc = cli_bad_args(cli, args, "bad key \"%s\"", s.key);
	petrel_msg_free(probe);
	if (rc != EX_OK)
		return (rc);

	if ((c = cmd_send_client(cli, &cause)) == NULL) {
		rc = cli_error(cli, EX_USAGE, "usage", "%s", cause);
		free(cause);
		return (rc);
	}
	petrel_producer_options_init(&o);
	o.group = "PETREL_CLI";
	o.timeout_ms = cli->timeout_ms;
	if ((s.p = petrel_producer_new(c, &o, &err)) == NULL) {
		rc = cli_fail(cli, (uint32_t)err.code, err.text, "producer");
		petrel_client_free(c);
		return (rc);
	}
	if (args->argc == 2 && strcmp(args->argv[1], "-") != 0)
		rc = cmd_send_one(&s, args->argv[1], strlen(args->argv[1]));
	else {
		cli_progress_init(&pr);
		while (rc == EX_OK && (n = getline(&line, &cap, stdin)) != -1) {
			if (n > 0 && line[n - 1] == '\n')
				line[--n] = '\0';
			if ((rc = cmd_send_one(&s, line, (size_t)n)) == EX_OK)
				cli_progress(&pr, "%llu sent", ++sent);
		}
		cli_progress_done(&pr);
		if (rc == EX_OK && ferror(stdin))
			rc = cli_error(cli, EX_IOERR, "io_error", "stdin: %s",
			    strerror(errno));
		free(line);
	}
	petrel_producer_free(s.p);
	petrel_client_free(c);
	return (rc);
}
