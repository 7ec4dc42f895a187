/*
 * Tests of the petrel command line's own parts, without a server: the
 * table printer (cli/table.c), the human formats (cli/format.c), finding
 * and parsing commands, help and completion (cli/cmd.c), the name server
 * list and the exit codes (cli/cli.c).
 */
#include "config.h"

#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cli.h"
#include "proto/frame.pb-c.h"
#include "rpc.h"
#include "xmalloc.h"

/* Word lists made by W(), freed after each test. */
static char	**test_words[64];
static size_t	  test_nwords;

/* A NULL-terminated, writable copy of the words (getopt permutes them). */
static char **
test_w(const char *first, ...)
{
	va_list		 ap;
	const char	*s;
	char		**v = NULL;
	size_t		 n = 0;

	va_start(ap, first);
	for (s = first; s != NULL; s = va_arg(ap, const char *)) {
		v = xreallocarray(v, n + 2, sizeof *v);
		v[n++] = xstrdup(s);
	}
	va_end(ap);
	if (v == NULL)
		v = xcalloc(1, sizeof *v);
	v[n] = NULL;
	ck_assert_uint_lt(test_nwords, 64);
	test_words[test_nwords++] = v;
	return (v);
}
#define W(...)	test_w(__VA_ARGS__, (const char *)NULL)

/* Free every word list of the test. */
static void
test_words_free(void)
{
	size_t	i, j;

	for (i = 0; i < test_nwords; i++) {
		for (j = 0; test_words[i][j] != NULL; j++)
			free(test_words[i][j]);
		free(test_words[i]);
	}
	test_nwords = 0;
}

/* What fn printed to a memory stream, NUL-terminated; the caller frees. */
#define CAPTURE(out, call) do {						\
	size_t	 capture_len;						\
	FILE	*f = open_memstream(&(out), &capture_len);		\
									\
	ck_assert_ptr_nonnull(f);					\
	call;								\
	fclose(f);							\
} while (0)

static const struct table_column test_columns[] = {
	{ "NAME", TABLE_LEFT },
	{ "COUNT", TABLE_RIGHT },
	{ "NOTE", TABLE_LEFT }
};

START_TEST(test_table_layout)
{
	struct table	*t;
	char		*out;

	t = table_new(test_columns, 3);
	table_cell(t, "a");
	table_cell(t, "%d", 7);
	table_cell(t, "x");
	table_cell(t, "longer-name");
	table_cell(t, "%d", 12345);
	table_cell(t, "yy");
	ck_assert_uint_eq(table_rows(t), 2);
	CAPTURE(out, ck_assert_int_eq(table_print(t, f, 1, 0), 0));
	ck_assert_str_eq(out,
	    "NAME         COUNT  NOTE\n"
	    "a                7  x\n"
	    "longer-name  12345  yy\n");
	free(out);
	CAPTURE(out, ck_assert_int_eq(table_print(t, f, 0, 0), 0));
	ck_assert_str_eq(out,
	    "a                7  x\n"
	    "longer-name  12345  yy\n");
	free(out);
	table_free(t);
}
END_TEST

START_TEST(test_table_empty)
{
	struct table	*t;
	char		*out;

	t = table_new(test_columns, 3);
	CAPTURE(out, table_print(t, f, 1, 0));
	ck_assert_str_eq(out, "NAME  COUNT  NOTE\n");
	free(out);
	CAPTURE(out, table_print(t, f, 0, 0));
	ck_assert_str_eq(out, "");
	free(out);
	table_free(t);
}
END_TEST

START_TEST(test_table_escapes)
{
	struct table	*t;
	char		*out;

	/* Control characters are escaped; UTF-8 counts one per code point. */
	t = table_new(test_columns, 3);
	table_cell(t, "caf\xc3\xa9");
	table_cell(t, "1");
	table_cell(t, "two\nlines\tand\x01");
	table_cell(t, "abcd");
	table_cell(t, "22");
	table_cell(t, "-");
	CAPTURE(out, table_print(t, f, 1, 0));
	ck_assert_str_eq(out,
	    "NAME  COUNT  NOTE\n"
	    "caf\xc3\xa9      1  two\\nlines\\tand\\x01\n"
	    "abcd     22  -\n");
	free(out);
	table_free(t);
}
END_TEST

START_TEST(test_table_fit)
{
	static const struct table_column cols[] = {
		{ "K", TABLE_LEFT },
		{ "N", TABLE_RIGHT },
		{ "VALUE", TABLE_LEFT }
	};
	struct table	*t;
	char		*out;

	t = table_new(cols, 3);
	table_cell(t, "key");
	table_cell(t, "1234567890");
	table_cell(t, "a rather long value \xc3\xa9\xc3\xa9\xc3\xa9 here");
	/* Fits: untouched. */
	CAPTURE(out, table_print(t, f, 1, 80));
	ck_assert_str_eq(out, "K             N  VALUE\n"
	    "key  1234567890  a rather long value \xc3\xa9\xc3\xa9\xc3\xa9 here\n");
	free(out);
	/* 30 columns: only the text column narrows, to 13. */
	CAPTURE(out, table_print(t, f, 1, 30));
	ck_assert_str_eq(out, "K             N  VALUE\n"
	    "key  1234567890  a rather l...\n");
	free(out);
	/* Far too narrow: text columns stop at 8, numbers never shrink. */
	CAPTURE(out, table_print(t, f, 0, 10));
	ck_assert_str_eq(out, "key  1234567890  a rat...\n");
	free(out);
	table_free(t);
}
END_TEST

START_TEST(test_table_incomplete)
{
	struct table	*t;

	t = table_new(test_columns, 3);
	table_cell(t, "only one");
	table_print(t, stdout, 1, 0);
}
END_TEST

START_TEST(test_format)
{
	static const struct {
		void		(*fn)(char *, size_t, uint64_t);
		uint64_t	  in;
		const char	 *out;
	} cases[] = {
		{ format_age, 0, "0s" },
		{ format_age, 59999, "59s" },
		{ format_age, 60000, "1m0s" },
		{ format_age, 192000, "3m12s" },
		{ format_age, 3723000, "1h2m" },
		{ format_age, 90000000, "1d1h" },
		{ format_time, 0, "1970-01-01T00:00:00.000Z" },
		{ format_time, 1795441660550ULL, "2026-11-23T13:47:40.550Z" },
	};
	static const struct {
		uint32_t	 perm;
		const char	*out;
	} perms[] = {
		{ 6, "rw-" }, { 4, "r--" }, { 2, "-w-" }, { 7, "rwi" },
		{ 0, "---" }
	};
	char	buf[64];
	size_t	i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		cases[i].fn(buf, sizeof buf, cases[i].in);
		ck_assert_str_eq(buf, cases[i].out);
	}
	for (i = 0; i < sizeof perms / sizeof perms[0]; i++) {
		format_perm(buf, sizeof buf, perms[i].perm);
		ck_assert_str_eq(buf, perms[i].out);
	}
}
END_TEST

/* Run cmd_find on a NULL-terminated list of words. */
static int
find(const struct cmd_entry **entry, int *used, char **cause, char **usage,
    char **words)
{
	int	n = 0;

	while (words[n] != NULL)
		n++;
	*cause = *usage = NULL;
	return (cmd_find(n, words, entry, used, cause, usage));
}

START_TEST(test_find)
{
	const struct cmd_entry	*e;
	char			*cause, *usage;
	char		**kv_get = W("kv", "get", "a");
	char		**route = W("route", "T");
	char		**bogus = W("bogus");
	char		**kv = W("kv");
	char		**kv_frob = W("kv", "frob");
	char		**kv_help = W("kv", "--help");
	int			 used = 0;

	ck_assert_int_eq(find(&e, &used, &cause, &usage, kv_get),
	    CMD_PARSE_OK);
	ck_assert_ptr_eq(e, &cmd_kv_get_entry);
	ck_assert_int_eq(used, 2);
	ck_assert_int_eq(find(&e, &used, &cause, &usage, route),
	    CMD_PARSE_OK);
	ck_assert_ptr_eq(e, &cmd_route_entry);
	ck_assert_int_eq(used, 1);

	ck_assert_int_eq(find(&e, &used, &cause, &usage, bogus),
	    CMD_PARSE_ERROR);
	ck_assert_ptr_nonnull(strstr(cause, "unknown command \"bogus\""));
	ck_assert_ptr_nonnull(strstr(usage, "petrel ["));
	free(cause);
	free(usage);
	ck_assert_int_eq(find(&e, &used, &cause, &usage, kv),
	    CMD_PARSE_ERROR);
	ck_assert_str_eq(cause, "kv: no verb given");
	ck_assert_str_eq(usage, "petrel kv get|put|delete|list [options] "
	    "[args]");
	free(cause);
	free(usage);
	ck_assert_int_eq(find(&e, &used, &cause, &usage, kv_frob),
	    CMD_PARSE_ERROR);
	ck_assert_str_eq(cause, "kv: unknown verb \"frob\"");
	free(cause);
	free(usage);
	ck_assert_int_eq(find(&e, &used, &cause, &usage, kv_help),
	    CMD_PARSE_HELP);
}
END_TEST

/* Parse words (a NULL-terminated list) as entry's options and args. */
static int
parse(const struct cmd_entry *entry, struct cli *cli, struct cmd_args *args,
    char **cause, char **words)
{
	int	n = 0;

	while (words[n] != NULL)
		n++;
	*cause = NULL;
	return (cmd_parse(entry, cli, n, words, args, cause));
}

/* A CMD_RAW verb gets its words untouched, except -h and --help. */
START_TEST(test_parse_raw)
{
	struct cli	 cli;
	struct cmd_args	 args;
	char		*cause = NULL;
	char		**words = W("store", "--dir", "d", "--bogus", "--json");
	char		**help = W("store", "--dir", "d", "--help");

	memset(&cli, 0, sizeof cli);
	ck_assert_int_eq(parse(&cmd_bench_store_entry, &cli, &args, &cause,
	    words), CMD_PARSE_OK);
	ck_assert_int_eq(args.argc, 4);
	ck_assert_str_eq(args.argv[0], "--dir");
	ck_assert_str_eq(args.argv[2], "--bogus");
	ck_assert_str_eq(args.argv[3], "--json");
	ck_assert_int_eq(cli.json, 0);
	ck_assert(!cmd_has(&args, "dir"));
	ck_assert_int_eq(parse(&cmd_bench_store_entry, &cli, &args, &cause,
	    help), CMD_PARSE_HELP);
	ck_assert_ptr_null(cause);
}
END_TEST

START_TEST(test_parse)
{
	struct cli	 cli;
	struct cmd_args	 args;
	char		*cause;
	char		**ok = W("get", "ns", "key");
	char		**after = W("route", "T", "--no-headers", "--json");
	char		**dashdash = W("get", "--", "-ns", "-key");
	char		**few = W("get", "ns");
	char		**many = W("get", "a", "b", "c");
	char		**unknown = W("get", "--bogus", "a", "b");
	char		**unknown_short = W("get", "-x", "a", "b");
	char		**help = W("get", "a", "-h");

	memset(&cli, 0, sizeof cli);
	ck_assert_int_eq(parse(&cmd_kv_get_entry, &cli, &args, &cause, ok),
	    CMD_PARSE_OK);
	ck_assert_int_eq(args.argc, 2);
	ck_assert_str_eq(args.argv[0], "ns");
	ck_assert_str_eq(args.argv[1], "key");
	ck_assert_int_eq(cli.json, 0);

	ck_assert_int_eq(parse(&cmd_route_entry, &cli, &args, &cause, after),
	    CMD_PARSE_OK);
	ck_assert_int_eq(args.argc, 1);
	ck_assert_str_eq(args.argv[0], "T");
	ck_assert(cmd_has(&args, "no-headers"));
	ck_assert_str_eq(cmd_get(&args, "no-headers"), "");
	ck_assert(!cmd_has(&args, "nonexistent"));
	ck_assert_int_eq(cli.json, 1);

	ck_assert_int_eq(parse(&cmd_kv_get_entry, &cli, &args, &cause,
	    dashdash), CMD_PARSE_OK);
	ck_assert_str_eq(args.argv[0], "-ns");
	ck_assert_str_eq(args.argv[1], "-key");

	ck_assert_int_eq(parse(&cmd_kv_get_entry, &cli, &args, &cause, few),
	    CMD_PARSE_ERROR);
	ck_assert_str_eq(cause, "kv get: missing arguments (NAMESPACE KEY)");
	free(cause);
	ck_assert_int_eq(parse(&cmd_kv_get_entry, &cli, &args, &cause, many),
	    CMD_PARSE_ERROR);
	ck_assert_str_eq(cause, "kv get: unexpected argument \"c\"");
	free(cause);
	ck_assert_int_eq(parse(&cmd_kv_get_entry, &cli, &args, &cause,
	    unknown), CMD_PARSE_ERROR);
	ck_assert_str_eq(cause, "kv get: unknown option \"--bogus\"");
	free(cause);
	ck_assert_int_eq(parse(&cmd_kv_get_entry, &cli, &args, &cause,
	    unknown_short), CMD_PARSE_ERROR);
	ck_assert_str_eq(cause, "kv get: unknown option \"-x\"");
	free(cause);
	ck_assert_int_eq(parse(&cmd_kv_get_entry, &cli, &args, &cause, help),
	    CMD_PARSE_HELP);
}
END_TEST

START_TEST(test_parse_global)
{
	struct cli	 cli;
	struct cmd_args	 args;
	char		*cause;
	char		**words = W("petrel", "-n", "a:1;b:2", "--json", "-t",
			    "50", "kv", "get", "--json", "x");
	char		**missing = W("petrel", "-t");
	char		**bad = W("petrel", "--nope", "kv");

	memset(&cli, 0, sizeof cli);
	ck_assert_int_eq(parse(&cmd_global_entry, &cli, &args, &cause, words),
	    CMD_PARSE_OK);
	ck_assert_str_eq(cmd_get(&args, "namesrv"), "a:1;b:2");
	ck_assert_str_eq(cmd_get(&args, "timeout"), "50");
	ck_assert(cmd_has(&args, "json"));
	ck_assert(!cmd_has(&args, "help"));
	/* Parsing stops at the command: its own --json is left alone. */
	ck_assert_int_eq(args.argc, 4);
	ck_assert_str_eq(args.argv[0], "kv");
	ck_assert_str_eq(args.argv[2], "--json");

	ck_assert_int_eq(parse(&cmd_global_entry, &cli, &args, &cause,
	    missing), CMD_PARSE_ERROR);
	ck_assert_str_eq(cause, "option \"-t\" needs an argument");
	free(cause);
	ck_assert_int_eq(parse(&cmd_global_entry, &cli, &args, &cause, bad),
	    CMD_PARSE_ERROR);
	ck_assert_str_eq(cause, "unknown option \"--nope\"");
	free(cause);
}
END_TEST

START_TEST(test_usage)
{
	char	*s;

	s = cmd_usage(&cmd_kv_put_entry);
	ck_assert_str_eq(s, "petrel kv put NAMESPACE KEY VALUE");
	free(s);
	s = cmd_usage(&cmd_route_entry);
	ck_assert_str_eq(s, "petrel route [--no-headers] TOPIC");
	free(s);
	s = cmd_usage(&cmd_cluster_list_entry);
	ck_assert_str_eq(s, "petrel cluster list [--no-headers]");
	free(s);
}
END_TEST

START_TEST(test_help)
{
	const struct cmd_entry	**e;
	char			 *out, *name;

	/* The overall help names every command of the table. */
	CAPTURE(out, cmd_help_all(f));
	for (e = cmd_table; *e != NULL; e++) {
		if ((*e)->verb != NULL)
			xasprintf(&name, "  %s %s ", (*e)->noun, (*e)->verb);
		else
			xasprintf(&name, "  %s ", (*e)->noun);
		ck_assert_msg(strstr(out, name) != NULL, "%s missing", name);
		free(name);
	}
	ck_assert_ptr_nonnull(strstr(out, "--namesrv"));
	free(out);

	CAPTURE(out, cmd_help(f, &cmd_kv_list_entry));
	ck_assert_ptr_nonnull(strstr(out,
	    "usage: petrel kv list [--no-headers] NAMESPACE\n"));
	ck_assert_ptr_nonnull(strstr(out, "List the keys"));
	ck_assert_ptr_nonnull(strstr(out, "--no-headers"));
	ck_assert_ptr_nonnull(strstr(out, "--json"));
	free(out);
}
END_TEST

START_TEST(test_list_options)
{
	char	*out;

	CAPTURE(out, cmd_list_options(f));
	ck_assert_str_eq(out, "--namesrv\n--timeout\n--json\n--help\n"
	    "--version\n--no-headers\n--dir\n--size\n--count\n--flush\n"
	    "--writers\n--segment\n--recover\n--reference\n--messages\n"
	    "--repeats\n--senders\n--hwm\n");
	free(out);
	CAPTURE(out, cmd_list_commands(f));
	ck_assert_str_eq(out, "cluster list\nroute\nkv get\nkv put\n"
	    "kv delete\nkv list\nbench store\nbench runtime\nhelp\n");
	free(out);
}
END_TEST

/* The candidates for a completion of words (NULL-terminated). */
static char *
complete(char **words)
{
	char	*out;
	int	 n = 0;

	while (words[n] != NULL)
		n++;
	CAPTURE(out, cmd_complete(f, n, words));
	return (out);
}

/* Assert the completion of words is expect. */
static void
check_complete(char **words, const char *expect)
{
	char	*out = complete(words);

	ck_assert_str_eq(out, expect);
	free(out);
}

START_TEST(test_complete)
{
	char		**nouns = W("");
	char		**cl = W("cl");
	char		**global = W("--js");
	char		**after_n = W("-n", "h:1", "k");
	char		**n_arg = W("-n", "");
	char		**verbs = W("kv", "");
	char		**verb_l = W("kv", "l");
	char		**opts = W("kv", "list", "-");
	char		**args = W("kv", "get", "ns", "");
	char		**route = W("route", "--n");
	char		**help = W("help", "kv", "d");
	char		**unknown = W("nope", "");
	char		**bench = W("bench", "store", "--dir", "d", "--w");

	check_complete(nouns, "cluster\nroute\nkv\nbench\nhelp\n");
	check_complete(cl, "cluster\n");
	check_complete(global, "--json\n");
	check_complete(after_n, "kv\n");
	check_complete(n_arg, "");
	check_complete(verbs, "get\nput\ndelete\nlist\n");
	check_complete(verb_l, "list\n");
	check_complete(opts, "--no-headers\n--json\n--help\n");
	check_complete(args, "");
	check_complete(route, "--no-headers\n");
	check_complete(help, "delete\n");
	check_complete(unknown, "");
	check_complete(bench, "--writers\n");
}
END_TEST

START_TEST(test_namesrv)
{
	struct cli	 cli;
	char		*cause = NULL;

	memset(&cli, 0, sizeof cli);
	ck_assert_int_eq(cli_set_namesrv(&cli, "127.0.0.1:9876", &cause), 0);
	ck_assert_uint_eq(cli.nnamesrv, 1);
	ck_assert_int_eq(cli_set_namesrv(&cli,
	    ";127.0.0.1:1; 127.0.0.1:2,[::1]:3;", &cause), 0);
	ck_assert_uint_eq(cli.nnamesrv, 3);
	ck_assert_str_eq(rpc_address(cli.namesrv[0]), "127.0.0.1:1");
	ck_assert_str_eq(rpc_address(cli.namesrv[1]), "127.0.0.1:2");
	ck_assert_str_eq(rpc_address(cli.namesrv[2]), "[::1]:3");
	ck_assert_int_eq(cli_set_namesrv(&cli, " ; ", &cause), -1);
	ck_assert_str_eq(cause, "no name server address given");
	free(cause);
	cause = NULL;
	ck_assert_int_eq(cli_set_namesrv(&cli, "127.0.0.1:1;nonsense",
	    &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "bad name server address: "
	    "nonsense"));
	ck_assert_uint_eq(cli.nnamesrv, 0);
	free(cause);
	cli_clear(&cli);
}
END_TEST

START_TEST(test_exit_codes)
{
	ck_assert_int_eq(cli_exit_code(PETREL__STATUS__STATUS_OK), 0);
	ck_assert_int_eq(cli_exit_code(PETREL__STATUS__STATUS_NOT_FOUND), 1);
	ck_assert_int_eq(cli_exit_code(PETREL__STATUS__STATUS_CONNECT_FAILED),
	    EX_UNAVAILABLE);
	ck_assert_int_eq(cli_exit_code(
	    PETREL__STATUS__STATUS_CONNECTION_CLOSED), EX_UNAVAILABLE);
	ck_assert_int_eq(cli_exit_code(PETREL__STATUS__STATUS_TIMEOUT),
	    EX_TEMPFAIL);
	ck_assert_int_eq(cli_exit_code(PETREL__STATUS__STATUS_PROTOCOL_ERROR),
	    EX_PROTOCOL);
	ck_assert_int_eq(cli_exit_code(PETREL__STATUS__STATUS_BAD_REQUEST),
	    EX_DATAERR);
	ck_assert_int_eq(cli_exit_code(PETREL__STATUS__STATUS_NOT_SENT),
	    EX_SOFTWARE);
	ck_assert_int_eq(cli_exit_code(12345), EX_PROTOCOL);
}
END_TEST

Suite *
cli_suite(void)
{
	Suite	*s = suite_create("cli");
	TCase	*tc;

	tc = tcase_create("table");
	tcase_add_test(tc, test_table_layout);
	tcase_add_test(tc, test_table_empty);
	tcase_add_test(tc, test_table_escapes);
	tcase_add_test(tc, test_table_fit);
	tcase_add_exit_test(tc, test_table_incomplete, 1);
	suite_add_tcase(s, tc);

	tc = tcase_create("format");
	tcase_add_test(tc, test_format);
	suite_add_tcase(s, tc);

	tc = tcase_create("cmd");
	tcase_add_checked_fixture(tc, NULL, test_words_free);
	tcase_add_test(tc, test_find);
	tcase_add_test(tc, test_parse);
	tcase_add_test(tc, test_parse_global);
	tcase_add_test(tc, test_usage);
	tcase_add_test(tc, test_help);
	tcase_add_test(tc, test_parse_raw);
	tcase_add_test(tc, test_list_options);
	tcase_add_test(tc, test_complete);
	suite_add_tcase(s, tc);

	tc = tcase_create("cli");
	tcase_add_test(tc, test_namesrv);
	tcase_add_test(tc, test_exit_codes);
	suite_add_tcase(s, tc);
	return (s);
}
