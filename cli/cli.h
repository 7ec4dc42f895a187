/*
 * The petrel command-line tool: the state of one invocation, the command
 * table and the helpers every subcommand file shares.
 *
 * A command is `petrel [global options] NOUN [VERB] [options] [args]`.
 * Each verb is one struct cmd_entry (after tmux's cmd_entry): its words,
 * its positional arguments, its options and its exec function.  Help,
 * usage errors, the option list the man page test checks and the bash
 * completion are all generated from the same table in cli/cmd.c.
 */
#ifndef CLI_H
#define CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <protobuf-c/protobuf-c.h>

#include "proto/namesrv.pb-c.h"
#include "proto/broker.pb-c.h"

struct event_base;
struct json;
struct rpc;
struct table;
struct cli_conn;

#ifndef nitems
#define nitems(a)	(sizeof (a) / sizeof (a)[0])
#endif

#define CLI_DEFAULT_NAMESRV	"127.0.0.1:9876"
#define CLI_DEFAULT_TIMEOUT	3000		/* ms */
#define CLI_MAX_TIMEOUT		3600000		/* ms */

/* The times format_parse_time() takes, for help and for errors. */
#define CLI_TIME_HELP	"epoch ms, ISO 8601, \"YYYY-MM-DD HH:MM:SS\" " \
	"(local) or \"now\""
#define CLI_TIME_FORMS	"epoch ms, " \
	"YYYY-MM-DD[THH:MM[:SS[.mmm]]][Z|+HH:MM] or \"now\""

/* Global state of one invocation. */
struct cli {
	struct rpc		**namesrv;	/* one per address, in order */
	size_t			  nnamesrv;
	uint32_t		  timeout_ms;
	int			  json;
	struct event_base	 *base;		/* the name servers' */
	struct cli_conn		 *conns;	/* brokers asked, by address */
	size_t			  nconns;
};

/*
 * A broker a verb asks: its name, its master's address and, when it came
 * from a topic's route, the topic's queues there.
 */
struct cli_target {
	char			*broker_name;
	char			*address;
	uint32_t		 read_queues;
	uint32_t		 write_queues;
	uint32_t		 perm;
	int			 order;
};

struct cli_targets {
	struct cli_target	*v;
	size_t			 n;
};

/* The first of many failures (one per broker), to report at the end. */
struct cli_first {
	uint32_t		 status;
	char			*error;
	size_t			 failed;
};

/* A progress line on stderr, kept only when stderr is a terminal. */
struct cli_progress {
	int			 tty;
	int			 shown;
	uint64_t		 last_us;	/* when last written */
};
#define CLI_PROGRESS_US	100000		/* at most 10 a second */

/* An option of a verb, or a global option. */
struct cmd_option {
	const char	*name;		/* long name, without the dashes */
	int		 letter;	/* short option letter, 0 if none */
	const char	*arg;		/* argument name, NULL for a switch */
	const char	*help;
};

/* The option every verb that prints a table takes. */
#define CMD_OPTION_NO_HEADERS \
	{ "no-headers", 0, NULL, "print the table without its header line" }

#define CMD_MAX_OPTIONS	16

/* The options and positional arguments a verb was given. */
struct cmd_args {
	const struct cmd_entry	*entry;
	const char		*values[CMD_MAX_OPTIONS]; /* "" for a switch */
	const char		*namesrv;	/* -n after the verb */
	const char		*timeout;	/* -t after the verb */
	int			 argc;
	char			**argv;
};

/* One verb. */
struct cmd_entry {
	const char		*noun;
	const char		*verb;		/* NULL: the noun alone */
	const char		*usage;		/* positional arguments */
	int			 lower;		/* fewest arguments */
	int			 upper;		/* most; -1: no limit */
	const struct cmd_option	*options;	/* NULL-name terminated */
	const char		*help;		/* one line */
	int			 flags;
#define CMD_LOCAL	0x1			/* asks no server */
#define CMD_GLOBAL	0x2			/* petrel's own options */
#define CMD_RAW		0x4			/* words after it go to exec
						   unparsed; options only
						   document them */
	int			(*exec)(struct cli *, struct cmd_args *);
};

/* Statuses of a command line, besides an entry's exec result. */
#define CMD_PARSE_OK	0
#define CMD_PARSE_HELP	1
#define CMD_PARSE_ERROR	-1

/* cli/cmd.c */
extern const struct cmd_entry	*cmd_table[];
extern const struct cmd_entry	 cmd_global_entry;
int		 cmd_find(int, char **, const struct cmd_entry **, int *,
		     char **, char **);
int		 cmd_parse(const struct cmd_entry *, struct cli *, int, char **,
		     struct cmd_args *, char **);
const char	*cmd_get(const struct cmd_args *, const char *);
long		 cmd_get_number(const struct cmd_args *, const char *, long,
		     long, long);
int		 cmd_has(const struct cmd_args *, const char *);
char		*cmd_usage(const struct cmd_entry *);
void		 cmd_help(FILE *, const struct cmd_entry *);
void		 cmd_help_noun(FILE *, const char *);
void		 cmd_help_all(FILE *);
int		 cmd_help_print(struct cli *, const char *,
		     const struct cmd_entry *);
void		 cmd_list_options(FILE *);
void		 cmd_list_commands(FILE *);
void		 cmd_complete(FILE *, int, char **);

/* cli/cli.c */
int		 cli_set_namesrv(struct cli *, const char *, char **);
void		 cli_clear(struct cli *);
uint32_t	 cli_call(struct cli *, uint32_t, const ProtobufCMessage *,
		     const ProtobufCMessageDescriptor *, ProtobufCMessage **,
		     char **);
int		 cli_exit_code(uint32_t);
int		 cli_fail(struct cli *, uint32_t, const char *, const char *,
		     ...) __attribute__((__format__ (printf, 4, 5)));
int		 cli_error(struct cli *, int, const char *, const char *, ...)
		     __attribute__((__format__ (printf, 4, 5)));
int		 cli_usage_error(struct cli *, const char *, const char *,
		     ...) __attribute__((__format__ (printf, 3, 4)));
int		 cli_bad_args(struct cli *, const struct cmd_args *,
		     const char *, ...)
		     __attribute__((__format__ (printf, 3, 4)));
struct json	*cli_json_new(struct cli *);
int		 cli_json_print(struct cli *, struct json *);
int		 cli_table_print(struct cli *, struct table *,
		     const struct cmd_args *);
int		 cli_rows_print(struct cli *, struct json *, struct table *,
		     const struct cmd_args *);
uint32_t	 cli_call_at(struct cli *, const char *, uint32_t,
		     const ProtobufCMessage *, const ProtobufCMessageDescriptor *,
		     ProtobufCMessage **, char **);
void		 cli_targets_add(struct cli_targets *, const char *,
		     const char *);
void		 cli_targets_free(struct cli_targets *);
uint32_t	 cli_targets_cluster(struct cli *, const char *, int,
		     struct cli_targets *, char **);
uint32_t	 cli_targets_route(struct cli *, const char *,
		     struct cli_targets *, char **);
void		 cli_json_error(struct json *, uint32_t, const char *);
const char	*cli_check_name(const char *);
void		 cli_progress_init(struct cli_progress *);
void		 cli_progress(struct cli_progress *, const char *, ...)
		     __attribute__((__format__ (printf, 2, 3)));
void		 cli_progress_done(struct cli_progress *);
int		 cli_check_address(const char *, char **);
void		 cli_first_note(struct cli_first *, uint32_t, const char *,
		     const char *, const char *);
int		 cli_first_report(struct cli *, struct cli_first *,
		     const char *, ...)
		     __attribute__((__format__ (printf, 3, 4)));

/* cli/cmd_consume.c */
struct petrel_consumer_options;
struct petrel_client;
struct petrel_consumer;
int		 cmd_consume_open(struct cli *, struct cmd_args *,
		     const char *, const char *,
		     const struct petrel_consumer_options *,
		     struct petrel_client **, struct petrel_consumer **);
const char	*cmd_consume_options_parse(struct cmd_args *,
		     struct petrel_consumer_options *);

/* cli/table.c */
#define TABLE_LEFT	0
#define TABLE_RIGHT	1
struct table_column {
	const char	*header;
	int		 align;
};
struct table	*table_new(const struct table_column *, size_t);
void		 table_free(struct table *);
void		 table_cell(struct table *, const char *, ...)
		     __attribute__((__format__ (printf, 2, 3)));
size_t		 table_rows(struct table *);
int		 table_print(struct table *, FILE *, int, size_t);

/* cli/format.c */
void		 format_age(char *, size_t, uint64_t);
void		 format_time(char *, size_t, uint64_t);
void		 format_perm(char *, size_t, uint32_t);
int		 format_parse_perm(const char *, uint32_t *);
int		 format_parse_time(const char *, uint64_t, uint64_t *);
int		 format_utf8(const void *, size_t);
char		*format_base64(const void *, size_t);

/* cli/cmd_*.c */
void		 cmd_cluster_json_broker(struct json *,
		     const Petrel__BrokerData *, uint64_t);
const Petrel__BrokerData *cmd_cluster_find_broker(Petrel__BrokerData **,
		     size_t, const char *);
void		 cmd_msg_json_message(struct json *, const char *,
		     const Petrel__Message *);
extern const struct cmd_entry	cmd_cluster_list_entry;
extern const struct cmd_entry	cmd_route_entry;
extern const struct cmd_entry	cmd_kv_get_entry;
extern const struct cmd_entry	cmd_kv_put_entry;
extern const struct cmd_entry	cmd_kv_delete_entry;
extern const struct cmd_entry	cmd_kv_list_entry;
extern const struct cmd_entry	cmd_bench_store_entry;
extern const struct cmd_entry	cmd_bench_runtime_entry;
struct petrel_client *cmd_send_client(struct cli *, char **);
extern const struct cmd_entry	cmd_send_entry;
extern const struct cmd_entry	cmd_bench_produce_entry;

/* The admin verbs, which ask the brokers themselves. */
extern const struct cmd_entry	cmd_topic_create_entry;
extern const struct cmd_entry	cmd_topic_update_entry;
extern const struct cmd_entry	cmd_topic_delete_entry;
extern const struct cmd_entry	cmd_topic_list_entry;
extern const struct cmd_entry	cmd_topic_status_entry;
extern const struct cmd_entry	cmd_group_list_entry;
extern const struct cmd_entry	cmd_group_progress_entry;
extern const struct cmd_entry	cmd_group_reset_entry;
extern const struct cmd_entry	cmd_msg_get_entry;
extern const struct cmd_entry	cmd_msg_query_entry;
extern const struct cmd_entry	cmd_broker_status_entry;
extern const struct cmd_entry	cmd_consume_entry;
extern const struct cmd_entry	cmd_bench_consume_entry;

#endif /* CLI_H */
