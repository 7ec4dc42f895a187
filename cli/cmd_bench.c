/*
 * petrel bench store: the store benchmark of lib/storebench.c run from
 * the petrel tool.  The entry is CMD_RAW: its options are listed here
 * only for help, completion and the man page; the words after "store"
 * go to storebench_main() untouched, which parses them itself.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cli.h"
#include "storebench.h"
#include "xmalloc.h"

static int	cmd_bench_store_exec(struct cli *, struct cmd_args *);

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

/*
 * Run storebench_main() with "petrel bench store" as its name, adding
 * --json if petrel was given it; its 2 (bad usage) becomes EX_USAGE.
 */
static int
cmd_bench_store_exec(struct cli *cli, struct cmd_args *args)
{
	static char	  name[] = "petrel bench store", json_word[] = "--json";
	char		**argv;
	int		  argc = 0, i, json = 0, rc;

	argv = xcalloc((size_t)args->argc + 3, sizeof *argv);
	argv[argc++] = name;
	for (i = 0; i < args->argc; i++) {
		if (strcmp(args->argv[i], "--json") == 0)
			json = 1;
		argv[argc++] = args->argv[i];
	}
	if (cli->json && !json)
		argv[argc++] = json_word;
	argv[argc] = NULL;
	rc = storebench_main(argc, argv);
	free(argv);
	if (rc == 2)
		return (EX_USAGE);
	return (rc);
}
