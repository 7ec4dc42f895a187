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
#include <time.h>

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

START_TEST(test_parse_time)
{
	static const struct {
		const char	*in;
		uint64_t	 ms;
	} good[] = {
		{ "0", 0 },
		{ "1795441660550", 1795441660550ULL },
		{ "1970-01-01T00:00:00Z", 0 },
		{ "2026-11-23T13:47:40.550Z", 1795441660550ULL },
		{ "2026-11-23T15:47:40.550+02:00", 1795441660550ULL },
		{ "2026-11-23T12:47:40.550-0100", 1795441660550ULL },
		{ "2026-11-23 13:47Z", 1795441620000ULL },
		{ "2026-11-23Z", 1795392000000ULL },
		{ "now", 42 },
	};
	static const char *bad[] = {
		"", "yesterday", "12x", "2026-13-01", "2026-02-30",
		"2026-11-23T25:00", "2026-11-23T10", "2026-11-23T10:00:00.5",
		"2026-11-23 10:00:00 Z", "1969-12-31", "2026-11-23T10:00+24:00",
		"99999999999999999999999", "-5"
	};
	uint64_t	ms, local;
	size_t		i;

	for (i = 0; i < nitems(good); i++) {
		ms = 1;
		ck_assert_msg(format_parse_time(good[i].in, 42, &ms) == 0,
		    "%s refused", good[i].in);
		ck_assert_msg(ms == good[i].ms, "%s: %llu", good[i].in,
		    (unsigned long long)ms);
	}
	for (i = 0; i < nitems(bad); i++) {
		ck_assert_msg(format_parse_time(bad[i], 42, &ms) == -1,
		    "%s taken", bad[i]);
	}
	/* Without a zone, the time is local: in UTC, then an hour east. */
	setenv("TZ", "UTC", 1);
	tzset();
	ck_assert_int_eq(format_parse_time("2026-11-23 13:47:40", 0, &local),
	    0);
	ck_assert_uint_eq(local, 1795441660000ULL);
	setenv("TZ", "CET-1", 1);	/* POSIX form: no tzdata needed */
	tzset();
	ck_assert_int_eq(format_parse_time("2026-11-23T14:47:40", 0, &local),
	    0);
	ck_assert_uint_eq(local, 1795441660000ULL);
	unsetenv("TZ");
	tzset();
}
END_TEST

START_TEST(test_body_forms)
{
	static const struct {
		const char	*in;
		size_t		 len;
		int		 utf8;
		const char	*b64;
	} cases[] = {
		{ "", 0, 1, "" },
		{ "f", 1, 1, "Zg==" },
		{ "fo", 2, 1, "Zm8=" },
		{ "foo", 3, 1, "Zm9v" },
		{ "foobar", 6, 1, "Zm9vYmFy" },
		{ "caf\xc3\xa9", 5, 1, "Y2Fmw6k=" },
		{ "\xf0\x9f\x90\xa6", 4, 1, "8J+Qpg==" },
		{ "\xff\xfe", 2, 0, "//4=" },
		{ "\xc0\xaf", 2, 0, "wK8=" },		/* overlong */
		{ "\xed\xa0\x80", 3, 0, "7aCA" },	/* surrogate */
		{ "\xc3", 1, 0, "ww==" },		/* cut short */
		{ "\xf4\x90\x80\x80", 4, 0, "9JCAgA==" },	/* > U+10FFFF */
	};
	uint32_t	 perm;
	char		*b64;
	size_t		 i;

	for (i = 0; i < nitems(cases); i++) {
		ck_assert_int_eq(format_utf8(cases[i].in, cases[i].len),
		    cases[i].utf8);
		b64 = format_base64(cases[i].in, cases[i].len);
		ck_assert_str_eq(b64, cases[i].b64);
		free(b64);
	}
	ck_assert_int_eq(format_parse_perm("rw", &perm), 0);
	ck_assert_uint_eq(perm, 6);
	ck_assert_int_eq(format_parse_perm("r", &perm), 0);
	ck_assert_uint_eq(perm, 4);
	ck_assert_int_eq(format_parse_perm("w", &perm), 0);
	ck_assert_uint_eq(perm, 2);
	ck_assert_int_eq(format_parse_perm("x", &perm), -1);
	ck_assert_int_eq(format_parse_perm("", &perm), -1);
}
END_TEST

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

/* How many lines of out are exactly line. */
static size_t
count_lines(const char *out, const char *line)
{
	const char	*p = out;
	size_t		 n = 0, len = strlen(line);

	while (*p != '\0') {
		if (strncmp(p, line, len) == 0 && p[len] == '\n')
			n++;
		if ((p = strchr(p, '\n')) == NULL)
			break;
		p++;
	}
	return (n);
}

/*
 * Every option and command listed once (other verbs may come and go, so
 * the lists are checked for what must be there, not compared whole).
 */
START_TEST(test_list_options)
{
	static const char	*options[] = {
		"--namesrv", "--timeout", "--json", "--help", "--version",
		"--no-headers", "--cluster", "--broker", "--queues", "--order",
		"--perm", "--topic", "--to", "--key", "--begin", "--end",
		"--max", "--dir", "--size", "--count", "--flush", "--writers",
		"--segment", "--recover", "--reference", "--messages",
		"--repeats", "--senders", "--hwm"
	};
	static const char	*commands[] = {
		"cluster list", "route", "topic create", "topic update",
		"topic delete", "topic list", "topic status", "group progress",
		"group reset", "msg get", "msg query", "broker status",
		"kv get", "kv put", "kv delete", "kv list", "bench store",
		"bench runtime", "help"
	};
	char	*out;
	size_t	 i;

	CAPTURE(out, cmd_list_options(f));
	ck_assert_ptr_eq(strstr(out, "--namesrv\n--timeout\n--json\n--help\n"
	    "--version\n"), out);
	for (i = 0; i < nitems(options); i++) {
		ck_assert_msg(count_lines(out, options[i]) == 1,
		    "%s listed %zu times", options[i],
		    count_lines(out, options[i]));
	}
	free(out);
	CAPTURE(out, cmd_list_commands(f));
	for (i = 0; i < nitems(commands); i++) {
		ck_assert_msg(count_lines(out, commands[i]) == 1,
		    "%s listed %zu times", commands[i],
		    count_lines(out, commands[i]));
	}
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
	char		**topic = W("topic", "");
	char		**create = W("topic", "create", "T", "--c");
	char		**perm = W("topic", "create", "--perm", "");
	char		**reset = W("group", "reset", "G", "T", "--t");
	char		**query = W("msg", "query", "--");
	char		**verb_n = W("cluster", "list", "-n", "");
	char		**verb_t = W("cluster", "list", "--timeout", "");
	char		*out;

	out = complete(nouns);
	ck_assert_ptr_eq(strstr(out, "cluster\nroute\ntopic\nsend\n"
	    "consume\ngroup\nmsg\nbroker\nkv\nbench\n"), out);
	ck_assert_uint_eq(count_lines(out, "help"), 1);
	free(out);
	check_complete(topic, "create\nupdate\ndelete\nlist\nstatus\n");
	check_complete(create, "--cluster\n");
	check_complete(perm, "");
	check_complete(reset, "--to\n--timeout\n");
	check_complete(query, "--topic\n--key\n--begin\n--end\n--max\n"
	    "--no-headers\n--namesrv\n--timeout\n--json\n--help\n");
	check_complete(verb_n, "");
	check_complete(verb_t, "");
	check_complete(cl, "cluster\n");
	check_complete(global, "--json\n");
	check_complete(after_n, "kv\n");
	check_complete(n_arg, "");
	check_complete(verbs, "get\nput\ndelete\nlist\n");
	check_complete(verb_l, "list\n");
	check_complete(opts, "--no-headers\n--namesrv\n--timeout\n--json\n"
	    "--help\n");
	check_complete(args, "");
	check_complete(route, "--no-headers\n--namesrv\n");
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
	ck_assert_int_eq(cli_exit_code(PETREL__STATUS__STATUS_TOPIC_NOT_EXIST),
	    1);
	ck_assert_int_eq(cli_exit_code(PETREL__STATUS__STATUS_NOT_WRITABLE),
	    EX_NOPERM);
	ck_assert_int_eq(cli_exit_code(
	    PETREL__STATUS__STATUS_SERVICE_NOT_AVAILABLE), EX_UNAVAILABLE);
	ck_assert_int_eq(cli_exit_code(PETREL__STATUS__STATUS_MESSAGE_ILLEGAL),
	    EX_DATAERR);
}
END_TEST

START_TEST(test_names)
{
	char	 name[129];
	char	*cause = NULL;

	ck_assert_ptr_null(cli_check_name("Orders_1-%x"));
	ck_assert_ptr_nonnull(cli_check_name(""));
	ck_assert_ptr_nonnull(cli_check_name("a b"));
	ck_assert_ptr_nonnull(cli_check_name("a.b"));
	ck_assert_str_eq(cli_check_name("a|b"),
	    "a name is letters, digits, '_', '%' and '-' only");
	memset(name, 'x', sizeof name - 1);
	name[sizeof name - 1] = '\0';
	ck_assert_str_eq(cli_check_name(name), "name longer than 127 bytes");
	name[127] = '\0';
	ck_assert_ptr_null(cli_check_name(name));
	ck_assert_int_eq(cli_check_address("127.0.0.1:10911", &cause), 0);
	ck_assert_int_eq(cli_check_address("[::1]:10911", &cause), 0);
	ck_assert_int_eq(cli_check_address("nonsense", &cause), -1);
	free(cause);
	cause = NULL;
	ck_assert_int_eq(cli_check_address("example.com:1", &cause), -1);
	free(cause);
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
	tcase_add_test(tc, test_parse_time);
	tcase_add_test(tc, test_body_forms);
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
	tcase_add_test(tc, test_names);
	suite_add_tcase(s, tc);
	return (s);
}
