/*
 * Strict "key = value" configuration files, RocketMQ broker.conf style.
 * The caller describes its keys in a table (name, type, bounds, default,
 * offset of the field in its own struct); conf fills the struct, prints
 * it back and frees the strings it allocated.  Errors read
 * "file:line: message", one per line.
 */
#ifndef CONF_H
#define CONF_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum conf_type {
	CONF_STRING,		/* char *; min and max bound the length */
	CONF_INT,		/* int64_t */
	CONF_BOOL,		/* int: true/false, yes/no, on/off */
	CONF_SIZE,		/* int64_t bytes: 512, 64k, 16m, 1g */
	CONF_DURATION,		/* int64_t ms: 500, 500ms, 10s, 2m, 1h */
	CONF_ENUM		/* int: index into choices */
};

#define CONF_RELOAD	0x1	/* may change on reload (SIGHUP) */
#define CONF_HOST	0x2	/* CONF_STRING: a host rpc_resolve() takes */
#define CONF_NODE	0x4	/* CONF_STRING: a cluster or broker name */

struct conf_key {
	const char		 *name;
	enum conf_type		  type;
	int64_t			  min;
	int64_t			  max;
	const char		 *def;		/* default, as in a file */
	size_t			  offset;	/* of the field in the struct */
	int			  flags;	/* CONF_RELOAD, CONF_HOST, CONF_NODE */
	const char *const	 *choices;	/* CONF_ENUM, NULL-terminated */
};

#define CONF_MAX_ERRORS	20		/* reported per file, then stop */

void	conf_defaults(const struct conf_key *, void *);
int	conf_load(const struct conf_key *, void *, const char *, char **);
int	conf_parse(const struct conf_key *, void *, const char *,
	    const char *, size_t, char **);
int	conf_set(const struct conf_key *, void *, const char *,
	    const char *, char **);
void	conf_print(const struct conf_key *, const void *, FILE *);
char	*conf_value(const struct conf_key *, const void *);
int	conf_changed(const struct conf_key *, const void *, const void *);
int	conf_merge(const struct conf_key *, void *, void *);
void	conf_free(const struct conf_key *, void *);
const struct conf_key *conf_find(const struct conf_key *, const char *);
const char *conf_suggest(const struct conf_key *, const char *);

int	conf_parse_int(const char *, int64_t *);
int	conf_parse_size(const char *, int64_t *);
int	conf_parse_duration(const char *, int64_t *);
int	conf_parse_bool(const char *, int *);
char	*conf_format(enum conf_type, int64_t);

#endif /* CONF_H */
