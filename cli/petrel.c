/*
 * petrel: the command-line tool.  main() parses the global options, finds
 * the command in the table of cli/cmd.c, parses its options (-n and -t
 * may come again there), points it at the name servers and runs it.  The
 * exit code is the command's, from sysexits(3); see EXIT STATUS in
 * petrel(1).
 *
 * Three hidden commands serve the tooling: "__options" lists every long
 * option (the man page test), "__commands" every command and "__complete
 * WORD..." the candidates for the bash completion.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cli.h"
#include "json.h"
#include "log.h"

static int	petrel_timeout(struct cli *, const struct cmd_entry *,
		    const char *);
static int	petrel_hidden(int, char **);
static int	petrel_version(struct cli *);

/* -V: the version, as text or JSON. */
static int
petrel_version(struct cli *cli)
{
	struct json	*j;

	if (!cli->json) {
		printf("petrel %s\n", PACKAGE_VERSION);
		return (EX_OK);
	}
	j = cli_json_new(cli);
	json_object_open(j, NULL);
	json_string(j, "name", "petrel");
	json_string(j, "version", PACKAGE_VERSION);
	json_object_close(j);
	return (cli_json_print(cli, j));
}

/*
 * Set the timeout from -t, given before the command (entry NULL) or after
 * entry's words; 0 or EX_USAGE after saying why.
 */
static int
petrel_timeout(struct cli *cli, const struct cmd_entry *entry, const char *s)
{
	unsigned long long	 ms;
	char			*end, *usage;
	int			 rc;

	errno = 0;
	ms = strtoull(s, &end, 10);
	if (*s < '0' || *s > '9' || *end != '\0' || errno != 0 || ms < 1 ||
	    ms > CLI_MAX_TIMEOUT) {
		usage = cmd_usage(entry);
		rc = cli_usage_error(cli, usage, "bad timeout \"%s\": "
		    "milliseconds from 1 to %d", s, CLI_MAX_TIMEOUT);
		free(usage);
		return (rc);
	}
	cli->timeout_ms = (uint32_t)ms;
	return (0);
}

/* Run a hidden command if argv names one; 1 if it did, else 0. */
static int
petrel_hidden(int argc, char **argv)
{
	if (argc < 1)
		return (0);
	if (strcmp(argv[0], "__options") == 0)
		cmd_list_options(stdout);
	else if (strcmp(argv[0], "__commands") == 0)
		cmd_list_commands(stdout);
	else if (strcmp(argv[0], "__complete") == 0)
		cmd_complete(stdout, argc - 1, argv + 1);
	else
		return (0);
	return (1);
}

int
main(int argc, char **argv)
{
	struct cli		 cli;
	struct cmd_args		 args;
	const struct cmd_entry	*entry;
	const char		*list;
	char			*cause = NULL, *usage = NULL;
	int			 rc = EX_OK, used;

	memset(&cli, 0, sizeof cli);
	cli.timeout_ms = CLI_DEFAULT_TIMEOUT;
	log_init("petrel", LOG_LEVEL_WARN);
	log_set_fatal_status(EX_SOFTWARE);

	if (cmd_parse(&cmd_global_entry, &cli, argc, argv, &args, &cause) !=
	    CMD_PARSE_OK) {
		usage = cmd_usage(NULL);
		rc = cli_usage_error(&cli, usage, "%s", cause);
		goto out;
	}
	if (cmd_has(&args, "json"))
		cli.json = 1;
	if (cmd_has(&args, "help")) {
		rc = cmd_help_print(&cli, NULL, NULL);
		goto out;
	}
	if (cmd_has(&args, "version")) {
		rc = petrel_version(&cli);
		goto out;
	}
	if (cmd_has(&args, "timeout") &&
	    (rc = petrel_timeout(&cli, NULL, cmd_get(&args, "timeout"))) != 0)
		goto out;
	list = cmd_get(&args, "namesrv");
	argc = args.argc;
	argv = args.argv;
	if (petrel_hidden(argc, argv))
		goto out;

	switch (cmd_find(argc, argv, &entry, &used, &cause, &usage)) {
	case CMD_PARSE_HELP:
		rc = cmd_help_print(&cli, argv[0], NULL);
		goto out;
	case CMD_PARSE_ERROR:
		rc = cli_usage_error(&cli, usage, "%s", cause);
		goto out;
	}
	switch (cmd_parse(entry, &cli, argc - used + 1, argv + used - 1, &args,
	    &cause)) {
	case CMD_PARSE_HELP:
		rc = cmd_help_print(&cli, NULL, entry);
		goto out;
	case CMD_PARSE_ERROR:
		usage = cmd_usage(entry);
		rc = cli_usage_error(&cli, usage, "%s", cause);
		goto out;
	}

	/* -n and -t after the verb win over those before it. */
	if (args.timeout != NULL &&
	    (rc = petrel_timeout(&cli, entry, args.timeout)) != 0)
		goto out;
	if (args.namesrv != NULL)
		list = args.namesrv;
	if (~entry->flags & CMD_LOCAL) {
		if (list == NULL || *list == '\0')
			list = getenv("PETREL_NAMESRV");
		if (list == NULL || *list == '\0')
			list = CLI_DEFAULT_NAMESRV;
		if (cli_set_namesrv(&cli, list, &cause) != 0) {
			usage = cmd_usage(NULL);
			rc = cli_usage_error(&cli, usage, "%s", cause);
			goto out;
		}
	}
	rc = entry->exec(&cli, &args);

out:
	if (fflush(stdout) != 0 && rc == EX_OK)
		rc = cli_error(&cli, EX_IOERR, "io_error", "stdout: %s",
		    strerror(errno));
	free(cause);
	free(usage);
	cli_clear(&cli);
	return (rc);
}
