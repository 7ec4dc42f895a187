/*
 * petrel bench store and petrel bench runtime: the benchmarks of
 * lib/storebench.c and lib/runtimebench.c run from the petrel tool.  The
 * entries are CMD_RAW: their options are listed here only for help,
 * completion and the man page; the words after the verb go to the
 * benchmark's main untouched, which parses them itself.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cli.h"
#include "runtimebench.h"
#include "storebench.h"
#include "xmalloc.h"

static int	cmd_bench_run(struct cli *, struct cmd_args *, const char *,
		    int (*)(int, char **));
static int	cmd_bench_store_exec(struct cli *, struct cmd_args *);
static int	cmd_bench_runtime_exec(struct cli *, struct cmd_args *);

/* What storebench_main() accepts, besides --json. */
static const struct cmd_option cmd_bench_store_options[] = {
	{ "dir", 0, "DIR", "the store's folder (required)" },
	{ "size", 0, "BYTES", "bytes in each message (default 1024)" },
	{ "count", 0, "N", "messages to append (default 100000)" },
	{ "flush", 0, "async|sync", "answer before or after the data is "
	  "on disk (default async)" },
	{ "writers", 0, "N", "requests kept in flight (default 1)" },
	{ "segment", 0, "BYTES", "commit log segment size (default the "
	  "store's)" },
	{ "recover", 0, NULL, "only open the store under --dir and time "
	  "its recovery" },
	{ "reference", 0, NULL, "time plain sequential writes and "
	  "fdatasync(2) in --dir instead" },
	{ "against-reference", 0, NULL, "time the reference first and "
	  "print the run's figure against it" },
	{ NULL, 0, NULL, NULL }
};

const struct cmd_entry cmd_bench_store_entry = {
	.noun = "bench",
	.verb = "store",
	.usage = "",
	.lower = 0,
	.upper = -1,
	.options = cmd_bench_store_options,
	.help = "time appends to a store in a folder of this machine",
	.flags = CMD_LOCAL|CMD_RAW,
	.exec = cmd_bench_store_exec
};

/* What runtimebench_main() accepts, besides --json. */
static const struct cmd_option cmd_bench_runtime_options[] = {
	{ "messages", 'n', "N", "messages each run sends (default 5000000)" },
	{ "repeats", 'r', "N", "runs of each configuration; the fastest "
	  "counts (default 3)" },
	{ "senders", 's', "N", "measure only this many sender threads "
	  "(default 1, then 4)" },
	{ "hwm", 'w', "N", "mailbox high-water mark the senders respect, 0 "
	  "for none (default 4096)" },
	{ NULL, 0, NULL, NULL }
};

const struct cmd_entry cmd_bench_runtime_entry = {
	.noun = "bench",
	.verb = "runtime",
	.usage = "",
	.lower = 0,
	.upper = -1,
	.options = cmd_bench_runtime_options,
	.help = "time messages through one actor mailbox",
	.flags = CMD_LOCAL|CMD_RAW,
	.exec = cmd_bench_runtime_exec
};

/*
 * Run a benchmark's main with "petrel bench VERB" as its name, adding
 * --json if petrel was given it; its 2 (bad usage) becomes EX_USAGE.
 */
static int
cmd_bench_run(struct cli *cli, struct cmd_args *args, const char *verb,
    int (*run)(int, char **))
{
	static char	  json_word[] = "--json";
	char		**argv, *name;
	int		  argc = 0, i, json = 0, rc;

	argv = xcalloc((size_t)args->argc + 3, sizeof *argv);
	xasprintf(&name, "petrel bench %s", verb);
	argv[argc++] = name;
	for (i = 0; i < args->argc; i++) {
		if (strcmp(args->argv[i], "--json") == 0)
			json = 1;
		argv[argc++] = args->argv[i];
	}
	if (cli->json && !json)
		argv[argc++] = json_word;
	argv[argc] = NULL;
	rc = run(argc, argv);
	free(name);
	free(argv);
	if (rc == 2)
		return (EX_USAGE);
	return (rc);
}

/* petrel bench store. */
static int
cmd_bench_store_exec(struct cli *cli, struct cmd_args *args)
{
	return (cmd_bench_run(cli, args, "store", storebench_main));
}

/* petrel bench runtime. */
static int
cmd_bench_runtime_exec(struct cli *cli, struct cmd_args *args)
{
	return (cmd_bench_run(cli, args, "runtime", runtimebench_main));
}
