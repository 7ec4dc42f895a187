/*
 * The command table of petrel and everything made from it: finding the
 * verb a command line names, parsing its options with getopt_long(3),
 * usage lines and help, the option list the man page test compares with
 * petrel(1), and the candidates the bash completion offers.  Adding a verb
 * means adding its entry to cmd_table[]; nothing else needs to change.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json.h"
#include "log.h"
#include "xmalloc.h"

static int	cmd_help_exec(struct cli *, struct cmd_args *);

const struct cmd_entry cmd_help_entry = {
	.noun = "help",
	.usage = "[COMMAND [VERB]]",
	.lower = 0,
	.upper = 2,
	.help = "describe every command, or one",
	.flags = CMD_LOCAL,
	.exec = cmd_help_exec
};

/* Every command, in the order help lists them. */
const struct cmd_entry *cmd_table[] = {
	&cmd_cluster_list_entry,
	&cmd_route_entry,
	&cmd_topic_create_entry,
	&cmd_topic_update_entry,
	&cmd_topic_delete_entry,
	&cmd_topic_list_entry,
	&cmd_topic_status_entry,
	&cmd_send_entry,
	&cmd_consume_entry,
	&cmd_group_list_entry,
	&cmd_group_progress_entry,
	&cmd_group_reset_entry,
	&cmd_msg_get_entry,
	&cmd_msg_query_entry,
	&cmd_broker_status_entry,
	&cmd_kv_get_entry,
	&cmd_kv_put_entry,
	&cmd_kv_delete_entry,
	&cmd_kv_list_entry,
	&cmd_bench_produce_entry,
	&cmd_bench_consume_entry,
	&cmd_bench_store_entry,
	&cmd_bench_runtime_entry,
	&cmd_help_entry,
	NULL
};

/* The options before the command. */
static const struct cmd_option cmd_global_options[] = {
	{ "namesrv", 'n', "host:port[;...]",
	  "name servers to ask, in order (default $PETREL_NAMESRV, "
	  "else " CLI_DEFAULT_NAMESRV ")" },
	{ "timeout", 't', "ms", "wait this long for each name server "
	  "(default 3000)" },
	{ "json", 0, NULL, "print one JSON document instead of text" },
	{ "help", 'h', NULL, "print this help and exit" },
	{ "version", 'V', NULL, "print the version and exit" },
	{ NULL, 0, NULL, NULL }
};

#define CMD_GLOBAL_USAGE \
	"petrel [-hV] [--json] [-n host:port[;...]] [-t ms] " \
	"command [args]"

/* petrel itself: the global options, then a command and its words. */
const struct cmd_entry cmd_global_entry = {
	.noun = "petrel",
	.usage = "command [args]",
	.lower = 0,
	.upper = -1,
	.options = cmd_global_options,
	.flags = CMD_GLOBAL
};

/*
 * The options every verb takes besides its own; a verb that asks a server
 * also takes the global -n and -t (cmd_server_options), so they may come
 * before the command or after it.
 */
static const struct cmd_option cmd_server_options[] = {
	{ "namesrv", 'n', "host:port[;...]",
	  "name servers to ask, in order (as before the command)" },
	{ "timeout", 't', "ms", "wait this long for each name server "
	  "(as before the command)" },
	{ "json", 0, NULL, "print one JSON document instead of text" },
	{ "help", 'h', NULL, "print this help and exit" },
	{ NULL, 0, NULL, NULL }
};
static const struct cmd_option *const cmd_verb_options =
    cmd_server_options + 2;

#define CMD_OPT_JSON	1000	/* getopt_long's value for --json */
#define CMD_HELP_WIDTH	24	/* widest option column in help */

static void	 cmd_append(char **, const char *, ...)
		     __attribute__((__format__ (printf, 2, 3)));
static char	*cmd_name(const struct cmd_entry *);
static int	 cmd_noun_exists(const char *);
static const struct cmd_entry *cmd_lookup(const char *, const char *);
static char	*cmd_usage_noun(const char *);
static char	*cmd_option_text(const struct cmd_option *);
static void	 cmd_print_wrapped(FILE *, const char *, size_t);
static void	 cmd_print_options(FILE *, const char *,
		     const struct cmd_option *, const struct cmd_option *);
static void	 cmd_bad_option(char **, const char *, const char *,
		     const struct option *);
static int	 cmd_prefix(const char *, const char *);
static void	 cmd_complete_options(FILE *, const char *,
		     const struct cmd_option *, const struct cmd_option *);
static int	 cmd_takes_arg(const struct cmd_option *,
		     const struct cmd_option *, const char *);
static const struct cmd_option *cmd_common_options(const struct cmd_entry *);

/* The options entry takes besides its own: with -n and -t if it asks. */
static const struct cmd_option *
cmd_common_options(const struct cmd_entry *entry)
{
	if (entry->flags & CMD_LOCAL)
		return (cmd_verb_options);
	return (cmd_server_options);
}

/* Append a formatted string to *s (which may be NULL). */
static void
cmd_append(char **s, const char *fmt, ...)
{
	va_list	 ap;
	char	*add, *joined;

	va_start(ap, fmt);
	xvasprintf(&add, fmt, ap);
	va_end(ap);
	if (*s == NULL) {
		*s = add;
		return;
	}
	xasprintf(&joined, "%s%s", *s, add);
	free(*s);
	free(add);
	*s = joined;
}

/* "kv get", or "route" for a verb-less entry; the caller frees it. */
static char *
cmd_name(const struct cmd_entry *entry)
{
	char	*name;

	if (entry->verb == NULL)
		return (xstrdup(entry->noun));
	xasprintf(&name, "%s %s", entry->noun, entry->verb);
	return (name);
}

/* Whether any command starts with this noun. */
static int
cmd_noun_exists(const char *noun)
{
	const struct cmd_entry	**e;

	for (e = cmd_table; *e != NULL; e++) {
		if (strcmp((*e)->noun, noun) == 0)
			return (1);
	}
	return (0);
}

/* The entry for noun and verb (verb is ignored for a verb-less noun). */
static const struct cmd_entry *
cmd_lookup(const char *noun, const char *verb)
{
	const struct cmd_entry	**e;

	for (e = cmd_table; *e != NULL; e++) {
		if (strcmp((*e)->noun, noun) != 0)
			continue;
		if ((*e)->verb == NULL)
			return (*e);
		if (verb != NULL && strcmp((*e)->verb, verb) == 0)
			return (*e);
	}
	return (NULL);
}

/*
 * The usage line of entry, without "usage: "; NULL gives the global one.
 * The caller frees it.
 */
char *
cmd_usage(const struct cmd_entry *entry)
{
	const struct cmd_option	*o;
	char			*s, *name;

	if (entry == NULL || entry == &cmd_global_entry)
		return (xstrdup(CMD_GLOBAL_USAGE));
	name = cmd_name(entry);
	xasprintf(&s, "petrel %s", name);
	free(name);
	for (o = entry->options; o != NULL && o->name != NULL; o++) {
		if (o->letter != 0)
			cmd_append(&s, " [-%c", o->letter);
		else
			cmd_append(&s, " [--%s", o->name);
		if (o->arg != NULL)
			cmd_append(&s, " %s", o->arg);
		cmd_append(&s, "]");
	}
	if (entry->usage != NULL && *entry->usage != '\0')
		cmd_append(&s, " %s", entry->usage);
	return (s);
}

/* "petrel kv get|put|delete|list [options] [args]"; the caller frees it. */
static char *
cmd_usage_noun(const char *noun)
{
	const struct cmd_entry	**e;
	char			 *s, sep = ' ';

	xasprintf(&s, "petrel %s", noun);
	for (e = cmd_table; *e != NULL; e++) {
		if (strcmp((*e)->noun, noun) != 0 || (*e)->verb == NULL)
			continue;
		cmd_append(&s, "%c%s", sep, (*e)->verb);
		sep = '|';
	}
	cmd_append(&s, " [options] [args]");
	return (s);
}

/*
 * Find the entry a command line names: argv[0] is the noun, argv[1] the
 * verb if the noun has verbs.  On success *used is how many words named it.
 * Returns CMD_PARSE_OK; CMD_PARSE_HELP for "NOUN -h"; CMD_PARSE_ERROR with
 * *cause and *usage set (the caller frees both).
 */
int
cmd_find(int argc, char **argv, const struct cmd_entry **entry, int *used,
    char **cause, char **usage)
{
	*entry = NULL;
	*cause = *usage = NULL;
	if (argc < 1) {
		*cause = xstrdup("no command given");
		*usage = cmd_usage(NULL);
		return (CMD_PARSE_ERROR);
	}
	if (!cmd_noun_exists(argv[0])) {
		xasprintf(cause, "unknown command \"%s\" (try \"petrel help\")",
		    argv[0]);
		*usage = cmd_usage(NULL);
		return (CMD_PARSE_ERROR);
	}
	if ((*entry = cmd_lookup(argv[0], NULL)) != NULL) {
		*used = 1;
		return (CMD_PARSE_OK);
	}
	if (argc < 2) {
		xasprintf(cause, "%s: no verb given", argv[0]);
		*usage = cmd_usage_noun(argv[0]);
		return (CMD_PARSE_ERROR);
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)
		return (CMD_PARSE_HELP);
	if ((*entry = cmd_lookup(argv[0], argv[1])) == NULL) {
		xasprintf(cause, "%s: unknown verb \"%s\"", argv[0], argv[1]);
		*usage = cmd_usage_noun(argv[0]);
		return (CMD_PARSE_ERROR);
	}
	*used = 2;
	return (CMD_PARSE_OK);
}

/*
 * Parse the options and arguments of entry: argv[0] is its last command
 * word.  Options may follow arguments, and every verb also takes --json
 * (which sets cli->json) and -h, and one that asks a server -n and -t
 * (into args->namesrv and args->timeout).  For cmd_global_entry, argv[0]
 * is the program and parsing stops at the first argument, the command.  Returns
 * CMD_PARSE_OK with args filled in, CMD_PARSE_HELP for a verb's -h, or
 * CMD_PARSE_ERROR with *cause set.  A CMD_RAW entry gets every word after
 * argv[0] as its arguments, untouched; only the words -h and --help are
 * read (and with them --json).
 */
int
cmd_parse(const struct cmd_entry *entry, struct cli *cli, int argc,
    char **argv, struct cmd_args *args, char **cause)
{
	struct option			 longopts[CMD_MAX_OPTIONS + 5];
	char				 optstring[CMD_MAX_OPTIONS * 2 + 8];
	const struct cmd_option		*o;
	char				*name, *verb, *p;
	size_t				 n = 0, i;
	int				 ch, rc = CMD_PARSE_ERROR, help = 0;
	int				 global = entry->flags & CMD_GLOBAL;

	memset(args, 0, sizeof *args);
	args->entry = entry;
	if (entry->flags & CMD_RAW) {
		for (ch = 1; ch < argc; ch++) {
			if (strcmp(argv[ch], "-h") == 0 ||
			    strcmp(argv[ch], "--help") == 0)
				help = 1;
		}
		/* Help in JSON if a word asks for it, else untouched. */
		for (ch = 1; help && ch < argc; ch++) {
			if (strcmp(argv[ch], "--json") == 0)
				cli->json = 1;
		}
		if (help)
			return (CMD_PARSE_HELP);
		args->argc = argc - 1;
		args->argv = argv + 1;
		return (CMD_PARSE_OK);
	}
	p = optstring;
	if (global)
		*p++ = '+';
	*p++ = ':';
	if (!global)
		*p++ = 'h';
	for (o = entry->options; o != NULL && o->name != NULL; o++, n++) {
		if (n == CMD_MAX_OPTIONS)
			fatalx("%s: too many options", entry->noun);
		if (!global && (~entry->flags & CMD_LOCAL) &&
		    (o->letter == 'n' || o->letter == 't'))
			fatalx("%s: -%c is petrel's own", entry->noun,
			    o->letter);
		longopts[n].name = o->name;
		longopts[n].has_arg = o->arg != NULL ? required_argument :
		    no_argument;
		longopts[n].flag = NULL;
		longopts[n].val = o->letter != 0 ? o->letter : 256 + (int)n;
		if (o->letter != 0) {
			*p++ = (char)o->letter;
			if (o->arg != NULL)
				*p++ = ':';
		}
	}
	i = n;
	for (o = global ? NULL : cmd_common_options(entry); o != NULL &&
	    o->name != NULL; o++) {
		longopts[i++] = (struct option){ o->name, o->arg != NULL ?
		    required_argument : no_argument, NULL, o->letter != 0 ?
		    o->letter : CMD_OPT_JSON };
		if (o->letter != 0 && o->letter != 'h') {
			*p++ = (char)o->letter;
			*p++ = ':';
		}
	}
	*p = '\0';
	longopts[i] = (struct option){ NULL, 0, NULL, 0 };

	if (global)
		name = xstrdup("");
	else {
		verb = cmd_name(entry);
		xasprintf(&name, "%s: ", verb);
		free(verb);
	}
	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, optstring, longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'h':
			if (global)
				break;
			/* Read on: a --json after -h counts too. */
			help = 1;
			continue;
		case CMD_OPT_JSON:
			cli->json = 1;
			continue;
		case 'n':
		case 't':
			if (global)
				break;
			if (ch == 'n')
				args->namesrv = optarg;
			else
				args->timeout = optarg;
			continue;
		case '?':
			if (help)
				continue;
			cmd_bad_option(cause, name, argv[optind - 1], longopts);
			goto out;
		case ':':
			if (help)
				continue;
			xasprintf(cause, "%soption \"%s\" needs an argument",
			    name, argv[optind - 1]);
			goto out;
		}
		for (i = 0; i < n; i++) {
			if (longopts[i].val == ch)
				break;
		}
		if (i == n)
			fatalx("%s: getopt_long returned %d", __func__, ch);
		args->values[i] = optarg != NULL ? optarg : "";
	}
	if (help) {
		rc = CMD_PARSE_HELP;
		goto out;
	}
	args->argc = argc - optind;
	args->argv = argv + optind;
	if (args->argc < entry->lower) {
		xasprintf(cause, "%smissing arguments (%s)", name,
		    entry->usage);
		goto out;
	}
	if (entry->upper >= 0 && args->argc > entry->upper) {
		xasprintf(cause, "%sunexpected argument \"%s\"", name,
		    args->argv[entry->upper]);
		goto out;
	}
	rc = CMD_PARSE_OK;
out:
	free(name);
	return (rc);
}

/*
 * Explain what getopt_long refused in word: an unknown letter or long
 * option, or an argument given to a long option that takes none.
 */
static void
cmd_bad_option(char **cause, const char *name, const char *word,
    const struct option *longopts)
{
	const char	*eq;
	size_t		 len;

	if (strncmp(word, "--", 2) == 0 && (eq = strchr(word, '=')) != NULL) {
		len = (size_t)(eq - word - 2);
		for (; longopts->name != NULL; longopts++) {
			if (strlen(longopts->name) == len &&
			    strncmp(longopts->name, word + 2, len) == 0) {
				xasprintf(cause, "%soption \"--%s\" takes no "
				    "argument", name, longopts->name);
				return;
			}
		}
	}
	if (optopt > 0 && optopt < 128 && isalnum(optopt))
		xasprintf(cause, "%sunknown option \"-%c\"", name, optopt);
	else
		xasprintf(cause, "%sunknown option \"%s\"", name, word);
}

/*
 * The named option as a number from min to max, def when not given; -1
 * when it is not such a number (min and def must not be negative).
 */
long
cmd_get_number(const struct cmd_args *args, const char *name, long def,
    long min, long max)
{
	const char	*v;
	char		*end;
	long		 l;

	if ((v = cmd_get(args, name)) == NULL)
		return (def);
	errno = 0;
	l = strtol(v, &end, 10);
	if (*v == '\0' || *end != '\0' || errno != 0 || l < min || l > max)
		return (-1);
	return (l);
}

/* The value of the named option, "" for a switch, NULL if not given. */
const char *
cmd_get(const struct cmd_args *args, const char *name)
{
	const struct cmd_option	*o;
	size_t			 i = 0;

	for (o = args->entry->options; o != NULL && o->name != NULL; o++) {
		if (strcmp(o->name, name) == 0)
			return (args->values[i]);
		i++;
	}
	return (NULL);
}

/* Whether the named option was given. */
int
cmd_has(const struct cmd_args *args, const char *name)
{
	return (cmd_get(args, name) != NULL);
}

/* "-n, --namesrv ARG" or "--json"; the caller frees it. */
static char *
cmd_option_text(const struct cmd_option *o)
{
	char	*s = NULL;

	if (o->letter != 0)
		cmd_append(&s, "-%c, ", o->letter);
	cmd_append(&s, "--%s", o->name);
	if (o->arg != NULL)
		cmd_append(&s, " %s", o->arg);
	return (s);
}

/*
 * Print text from column indent, breaking lines between words before
 * column 80 and indenting the lines after the first.
 */
static void
cmd_print_wrapped(FILE *f, const char *text, size_t indent)
{
	const char	*word = text, *end;
	size_t		 col = indent, len;

	while (*word != '\0') {
		end = strchr(word, ' ');
		len = end != NULL ? (size_t)(end - word) : strlen(word);
		if (col > indent && col + 1 + len >= 80) {
			fprintf(f, "\n%*s", (int)indent, "");
			col = indent;
		}
		if (col > indent) {
			fputc(' ', f);
			col++;
		}
		fwrite(word, 1, len, f);
		col += len;
		word += len;
		while (*word == ' ')
			word++;
	}
	fputc('\n', f);
}

/* Print a titled, aligned list of options from one or two tables. */
static void
cmd_print_options(FILE *f, const char *title, const struct cmd_option *a,
    const struct cmd_option *b)
{
	const struct cmd_option	*tables[2] = { a, b }, *o;
	char			*text;
	size_t			 width = 0, t;

	for (t = 0; t < 2; t++) {
		for (o = tables[t]; o != NULL && o->name != NULL; o++) {
			text = cmd_option_text(o);
			if (strlen(text) > width)
				width = strlen(text);
			free(text);
		}
	}
	if (width > CMD_HELP_WIDTH)
		width = CMD_HELP_WIDTH;
	fprintf(f, "\n%s:\n", title);
	for (t = 0; t < 2; t++) {
		for (o = tables[t]; o != NULL && o->name != NULL; o++) {
			text = cmd_option_text(o);
			if (strlen(text) > width)
				fprintf(f, "  %s\n  %-*s  ", text,
				    (int)width, "");
			else
				fprintf(f, "  %-*s  ", (int)width, text);
			cmd_print_wrapped(f, o->help, width + 4);
			free(text);
		}
	}
}

/* Help for one verb: usage, what it does, its options. */
void
cmd_help(FILE *f, const struct cmd_entry *entry)
{
	char	*usage = cmd_usage(entry);

	fprintf(f, "usage: %s\n", usage);
	free(usage);
	fprintf(f, "%c%s.\n", toupper((unsigned char)entry->help[0]),
	    entry->help + 1);
	cmd_print_options(f, "Options", entry->options,
	    cmd_common_options(entry));
}

/* Help for a noun: each of its verbs. */
void
cmd_help_noun(FILE *f, const char *noun)
{
	const struct cmd_entry	**e;
	char			 *usage;

	usage = cmd_usage_noun(noun);
	fprintf(f, "usage: %s\n\nVerbs:\n", usage);
	free(usage);
	for (e = cmd_table; *e != NULL; e++) {
		if (strcmp((*e)->noun, noun) != 0)
			continue;
		usage = cmd_usage(*e);
		fprintf(f, "  %s\n      %s\n", usage + strlen("petrel "),
		    (*e)->help);
		free(usage);
	}
}

/* The help of petrel -h: global options and every command. */
void
cmd_help_all(FILE *f)
{
	const struct cmd_entry	**e;
	char			 *name, *left;
	size_t			  width = 0;

	fprintf(f, "usage: %s\n", CMD_GLOBAL_USAGE);
	cmd_print_options(f, "Global options", cmd_global_options, NULL);
	for (e = cmd_table; *e != NULL; e++) {
		name = cmd_name(*e);
		xasprintf(&left, "%s %s", name, (*e)->usage);
		if (strlen(left) > width)
			width = strlen(left);
		free(left);
		free(name);
	}
	fprintf(f, "\nCommands:\n");
	for (e = cmd_table; *e != NULL; e++) {
		name = cmd_name(*e);
		xasprintf(&left, "%s %s", name, (*e)->usage);
		fprintf(f, "  %-*s  ", (int)width, left);
		cmd_print_wrapped(f, (*e)->help, width + 4);
		free(left);
		free(name);
	}
	fprintf(f, "\nRun \"petrel COMMAND -h\" for a command's options, "
	    "or see petrel(1).\n");
}

/* The options of one or two tables as JSON objects in array "options". */
static void
cmd_json_options(struct json *j, const struct cmd_option *a,
    const struct cmd_option *b)
{
	const struct cmd_option	*tables[2] = { a, b }, *o;
	char			 letter[2] = { 0, 0 };
	size_t			 t;

	json_array_open(j, "options");
	for (t = 0; t < 2; t++) {
		for (o = tables[t]; o != NULL && o->name != NULL; o++) {
			json_object_open(j, NULL);
			json_string(j, "name", o->name);
			letter[0] = (char)o->letter;
			if (o->letter != 0)
				json_string(j, "letter", letter);
			if (o->arg != NULL)
				json_string(j, "arg", o->arg);
			json_string(j, "help", o->help);
			json_object_close(j);
		}
	}
	json_array_close(j);
}

/*
 * Help as text, or with --json as one object: the global usage and
 * options, then each command (only entry's, or only noun's if given) with
 * its usage line, what it does and its options.  Returns an exit code.
 */
int
cmd_help_print(struct cli *cli, const char *noun,
    const struct cmd_entry *entry)
{
	const struct cmd_entry	**e;
	struct json		 *j;
	char			 *s;

	if (!cli->json) {
		if (entry != NULL)
			cmd_help(stdout, entry);
		else if (noun != NULL)
			cmd_help_noun(stdout, noun);
		else
			cmd_help_all(stdout);
		return (0);
	}
	j = cli_json_new(cli);
	json_object_open(j, NULL);
	json_string(j, "usage", CMD_GLOBAL_USAGE);
	cmd_json_options(j, cmd_global_options, NULL);
	json_array_open(j, "commands");
	for (e = cmd_table; *e != NULL; e++) {
		if ((entry != NULL && *e != entry) ||
		    (noun != NULL && strcmp((*e)->noun, noun) != 0))
			continue;
		json_object_open(j, NULL);
		s = cmd_name(*e);
		json_string(j, "command", s);
		free(s);
		s = cmd_usage(*e);
		json_string(j, "usage", s);
		free(s);
		json_string(j, "help", (*e)->help);
		cmd_json_options(j, (*e)->options, cmd_common_options(*e));
		json_object_close(j);
	}
	json_array_close(j);
	json_object_close(j);
	return (cli_json_print(cli, j));
}

/* petrel help [COMMAND [VERB]]. */
static int
cmd_help_exec(struct cli *cli, struct cmd_args *args)
{
	const struct cmd_entry	*entry;
	char			*usage;
	int			 rc;

	if (args->argc == 0)
		return (cmd_help_print(cli, NULL, NULL));
	if (!cmd_noun_exists(args->argv[0])) {
		usage = cmd_usage(&cmd_help_entry);
		rc = cli_usage_error(cli, usage, "help: unknown command \"%s\"",
		    args->argv[0]);
		free(usage);
		return (rc);
	}
	entry = cmd_lookup(args->argv[0], args->argc > 1 ? args->argv[1] :
	    NULL);
	if (entry == NULL && args->argc > 1) {
		usage = cmd_usage_noun(args->argv[0]);
		rc = cli_usage_error(cli, usage, "help: unknown verb \"%s\"",
		    args->argv[1]);
		free(usage);
		return (rc);
	}
	return (cmd_help_print(cli, args->argv[0], entry));
}

/* Every long option of petrel, one "--name" a line, each once. */
void
cmd_list_options(FILE *f)
{
	const struct cmd_option	*o, *seen[64];
	const struct cmd_option	*tables[2] = { cmd_global_options,
				    cmd_verb_options };
	const struct cmd_entry	**e;
	size_t			  nseen = 0, i, t;

	for (t = 0; t < 2; t++) {
		for (o = tables[t]; o->name != NULL; o++)
			seen[nseen++] = o;
	}
	for (e = cmd_table; *e != NULL; e++) {
		for (o = (*e)->options; o != NULL && o->name != NULL; o++) {
			for (i = 0; i < nseen; i++) {
				if (strcmp(seen[i]->name, o->name) == 0)
					break;
			}
			if (i == nseen && nseen < sizeof seen / sizeof seen[0])
				seen[nseen++] = o;
		}
	}
	for (i = 0; i < nseen; i++) {
		for (t = 0; t < i; t++) {
			if (strcmp(seen[t]->name, seen[i]->name) == 0)
				break;
		}
		if (t == i)
			fprintf(f, "--%s\n", seen[i]->name);
	}
}

/* Every command, one "noun verb" a line. */
void
cmd_list_commands(FILE *f)
{
	const struct cmd_entry	**e;
	char			 *name;

	for (e = cmd_table; *e != NULL; e++) {
		name = cmd_name(*e);
		fprintf(f, "%s\n", name);
		free(name);
	}
}

/* Whether s starts with prefix. */
static int
cmd_prefix(const char *s, const char *prefix)
{
	return (strncmp(s, prefix, strlen(prefix)) == 0);
}

/* Print the long options of one or two tables that start with cur. */
static void
cmd_complete_options(FILE *f, const char *cur, const struct cmd_option *a,
    const struct cmd_option *b)
{
	const struct cmd_option	*tables[2] = { a, b }, *o;
	char			*word;
	size_t			 t;

	for (t = 0; t < 2; t++) {
		for (o = tables[t]; o != NULL && o->name != NULL; o++) {
			xasprintf(&word, "--%s", o->name);
			if (cmd_prefix(word, cur))
				fprintf(f, "%s\n", word);
			free(word);
		}
	}
}

/* Whether word is an option of a or b that takes a separate argument. */
static int
cmd_takes_arg(const struct cmd_option *a, const struct cmd_option *b,
    const char *word)
{
	const struct cmd_option	*tables[2] = { a, b }, *o;
	size_t			 t;

	for (t = 0; t < 2; t++) {
		for (o = tables[t]; o != NULL && o->name != NULL; o++) {
			if (o->arg == NULL)
				continue;
			if (word[0] == '-' && word[1] == o->letter &&
			    word[2] == '\0')
				return (1);
			if (word[0] == '-' && word[1] == '-' &&
			    strcmp(word + 2, o->name) == 0)
				return (1);
		}
	}
	return (0);
}

/*
 * The bash completion's helper: argv holds the words after "petrel", the
 * last being the one under the cursor (maybe empty).  Prints each word
 * that could go there and starts with it, one a line.
 */
void
cmd_complete(FILE *f, int argc, char **argv)
{
	const struct cmd_entry	**e, *entry = NULL;
	const char		 *cur, *noun;
	int			  i = 0;

	if (argc < 1)
		return;
	cur = argv[argc - 1];

	/* Global options and their arguments. */
	while (i < argc - 1 && argv[i][0] == '-') {
		if (cmd_takes_arg(cmd_global_options, NULL, argv[i]))
			i++;
		i++;
	}
	if (i > argc - 1)
		return;		/* cur is the argument of a global option */
	if (i == argc - 1) {
		if (cur[0] == '-') {
			cmd_complete_options(f, cur, cmd_global_options,
			    NULL);
			return;
		}
		for (e = cmd_table; *e != NULL; e++) {
			if ((e == cmd_table || strcmp(e[-1]->noun,
			    (*e)->noun) != 0) && cmd_prefix((*e)->noun, cur))
				fprintf(f, "%s\n", (*e)->noun);
		}
		return;
	}

	/* The verb. */
	noun = argv[i++];
	if ((entry = cmd_lookup(noun, NULL)) == NULL) {
		if (i == argc - 1) {
			for (e = cmd_table; *e != NULL; e++) {
				if (strcmp((*e)->noun, noun) == 0 &&
				    (*e)->verb != NULL &&
				    cmd_prefix((*e)->verb, cur))
					fprintf(f, "%s\n", (*e)->verb);
			}
			return;
		}
		if ((entry = cmd_lookup(noun, argv[i])) == NULL)
			return;
		i++;
	}

	/* The verb's options and arguments. */
	if (argc - 2 >= i && cmd_takes_arg(entry->options,
	    cmd_common_options(entry), argv[argc - 2]))
		return;
	if (cur[0] == '-') {
		cmd_complete_options(f, cur, entry->options,
		    cmd_common_options(entry));
		return;
	}
	/* After "help", complete the command it is asked about. */
	if (entry == &cmd_help_entry)
		cmd_complete(f, argc - i, argv + i);
}
