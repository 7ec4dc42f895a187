/*
 * Strict "key = value" configuration files.  Owns parsing, printing and
 * freeing a configuration struct described by a table of keys that the
 * caller (a daemon) keeps.  Every line is a blank, a comment ('#' as its
 * first non-blank character) or "key = value"; keys are case-sensitive.
 * Unknown keys (with the nearest known key suggested), duplicate keys,
 * malformed values, values out of range, hosts of CONF_HOST keys that
 * a socket could not use as they are (rpc_resolve(): numeric addresses
 * and "localhost") and CONF_NODE names the name server would refuse
 * (lib/name.h) are all errors, reported as "file:line: message", up
 * to CONF_MAX_ERRORS of them per file.  Lines may be of any length;
 * nothing is ever truncated silently.
 */
#include "config.h"

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "log.h"
#include "name.h"
#include "rpc.h"
#include "xmalloc.h"

#define CONF_MAX_FILE	(1024 * 1024)	/* refuse larger files */
#define CONF_SHOW	64		/* characters of a bad key shown */

struct conf_errors {
	char	*buf;
	size_t	 len;
	int	 count;
};

static void	 conf_error(struct conf_errors *, const char *, ...)
		    __attribute__((__format__ (printf, 2, 3)));
static int	 conf_apply(const struct conf_key *, void *, const char *,
		    char **);
static int	 conf_unit(const char *, const char *const *,
		    const int64_t *, int64_t, int64_t *);
static size_t	 conf_distance(const char *, const char *);

/* The field of key k in conf, as each type stores it. */
static int64_t *
conf_i64(const struct conf_key *k, const void *conf)
{
	return ((int64_t *)((uintptr_t)conf + k->offset));
}

static int *
conf_int(const struct conf_key *k, const void *conf)
{
	return ((int *)((uintptr_t)conf + k->offset));
}

static char **
conf_str(const struct conf_key *k, const void *conf)
{
	return ((char **)((uintptr_t)conf + k->offset));
}

/* Add one line to the list of errors. */
static void
conf_error(struct conf_errors *e, const char *fmt, ...)
{
	va_list	 ap;
	char	*line;
	int	 n;

	e->count++;
	va_start(ap, fmt);
	n = xvasprintf(&line, fmt, ap);
	va_end(ap);
	e->buf = xrealloc(e->buf, e->len + (size_t)n + 2);
	if (e->len != 0)
		e->buf[e->len++] = '\n';
	memcpy(e->buf + e->len, line, (size_t)n + 1);
	e->len += (size_t)n;
	free(line);
}

/* Set every key to its default; string fields are (re)allocated. */
void
conf_defaults(const struct conf_key *keys, void *conf)
{
	const struct conf_key	*k;
	char			*cause;

	for (k = keys; k->name != NULL; k++) {
		if (k->type == CONF_STRING) {
			free(*conf_str(k, conf));
			*conf_str(k, conf) = xstrdup(k->def != NULL ?
			    k->def : "");
			continue;
		}
		if (conf_apply(k, conf, k->def != NULL ? k->def : "",
		    &cause) != 0)
			fatalx("%s: default of %s: %s", __func__, k->name,
			    cause);
	}
}

/* Free the strings of a configuration. */
void
conf_free(const struct conf_key *keys, void *conf)
{
	const struct conf_key	*k;

	for (k = keys; k->name != NULL; k++) {
		if (k->type == CONF_STRING) {
			free(*conf_str(k, conf));
			*conf_str(k, conf) = NULL;
		}
	}
}

/* The key called name, or NULL. */
const struct conf_key *
conf_find(const struct conf_key *keys, const char *name)
{
	const struct conf_key	*k;

	for (k = keys; k->name != NULL; k++) {
		if (strcmp(k->name, name) == 0)
			return (k);
	}
	return (NULL);
}

/* Edit distance between a and b, ignoring case; long inputs are capped. */
static size_t
conf_distance(const char *a, const char *b)
{
	size_t	 la, lb, i, j, prev[CONF_SHOW + 1], cur[CONF_SHOW + 1];
	size_t	 sub;

	la = strnlen(a, CONF_SHOW);
	lb = strnlen(b, CONF_SHOW);
	for (j = 0; j <= lb; j++)
		prev[j] = j;
	for (i = 1; i <= la; i++) {
		cur[0] = i;
		for (j = 1; j <= lb; j++) {
			sub = prev[j - 1] + (tolower((u_char)a[i - 1]) !=
			    tolower((u_char)b[j - 1]));
			cur[j] = sub;
			if (prev[j] + 1 < cur[j])
				cur[j] = prev[j] + 1;
			if (cur[j - 1] + 1 < cur[j])
				cur[j] = cur[j - 1] + 1;
		}
		memcpy(prev, cur, (lb + 1) * sizeof *prev);
	}
	return (prev[lb]);
}

/* The known key nearest to name, or NULL if none is near enough. */
const char *
conf_suggest(const struct conf_key *keys, const char *name)
{
	const struct conf_key	*k, *best = NULL;
	size_t			 d, bestd = SIZE_MAX, limit;

	for (k = keys; k->name != NULL; k++) {
		d = conf_distance(name, k->name);
		if (d < bestd) {
			bestd = d;
			best = k;
		}
	}
	if (best == NULL)
		return (NULL);
	limit = strlen(best->name) / 3;
	if (limit < 2)
		limit = 2;
	return (bestd <= limit ? best->name : NULL);
}

/* Parse a decimal integer, optionally signed; 0 on success. */
int
conf_parse_int(const char *s, int64_t *v)
{
	char		*end;
	long long	 ll;

	if (!isdigit((u_char)*s) &&
	    !((*s == '-' || *s == '+') && isdigit((u_char)s[1])))
		return (-1);
	errno = 0;
	ll = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return (-1);
	*v = ll;
	return (0);
}

/*
 * Parse digits followed by one of the units (NULL-terminated, matched
 * without case) or by none, which means dflt; 0 on success.
 */
static int
conf_unit(const char *s, const char *const *units, const int64_t *mults,
    int64_t dflt, int64_t *v)
{
	const char	*p;
	char		*end;
	int64_t		 mult = dflt;
	unsigned long long n;
	size_t		 i;

	if (!isdigit((u_char)*s))
		return (-1);
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno != 0 || n > INT64_MAX)
		return (-1);
	p = end;
	if (*p != '\0') {
		for (i = 0; units[i] != NULL; i++) {
			if (strcasecmp(p, units[i]) == 0)
				break;
		}
		if (units[i] == NULL)
			return (-1);
		mult = mults[i];
	}
	if (n != 0 && (int64_t)n > INT64_MAX / mult)
		return (-1);
	*v = (int64_t)n * mult;
	return (0);
}

static const char *const conf_size_units[] = { "k", "m", "g", "t", NULL };
static const int64_t conf_size_mults[] = {
	1024LL, 1024LL * 1024, 1024LL * 1024 * 1024,
	1024LL * 1024 * 1024 * 1024
};
static const char *const conf_duration_units[] = {
	"ms", "s", "m", "h", "d", NULL
};
static const int64_t conf_duration_mults[] = {
	1, 1000, 60LL * 1000, 3600LL * 1000, 86400LL * 1000
};

/* Parse a size in bytes with an optional k, m, g or t (1024-based). */
int
conf_parse_size(const char *s, int64_t *v)
{
	return (conf_unit(s, conf_size_units, conf_size_mults, 1, v));
}

/* Parse a duration in ms with an optional ms, s, m, h or d; bare is ms. */
int
conf_parse_duration(const char *s, int64_t *v)
{
	return (conf_unit(s, conf_duration_units, conf_duration_mults, 1, v));
}

/* Parse true/false, yes/no or on/off, in any case. */
int
conf_parse_bool(const char *s, int *v)
{
	if (strcasecmp(s, "true") == 0 || strcasecmp(s, "yes") == 0 ||
	    strcasecmp(s, "on") == 0) {
		*v = 1;
		return (0);
	}
	if (strcasecmp(s, "false") == 0 || strcasecmp(s, "no") == 0 ||
	    strcasecmp(s, "off") == 0) {
		*v = 0;
		return (0);
	}
	return (-1);
}

/* A number written in the largest unit that divides it; caller frees. */
char *
conf_format(enum conf_type type, int64_t v)
{
	const char *const	*units;
	const int64_t		*mults;
	char			*s;
	int			 i, n;

	switch (type) {
	case CONF_SIZE:
		units = conf_size_units;
		mults = conf_size_mults;
		n = 4;
		break;
	case CONF_DURATION:
		units = conf_duration_units;
		mults = conf_duration_mults;
		n = 4;			/* print hours, not days */
		break;
	default:
		xasprintf(&s, "%" PRId64, v);
		return (s);
	}
	for (i = n - 1; v != 0 && i >= 0; i--) {
		if (v % mults[i] == 0) {
			xasprintf(&s, "%" PRId64 "%s", v / mults[i], units[i]);
			return (s);
		}
	}
	xasprintf(&s, "%" PRId64, v);
	return (s);
}

/* Check a value against a key and store it; 0, or -1 with cause. */
static int
conf_apply(const struct conf_key *k, void *conf, const char *value,
    char **cause)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	const char		*what;
	char			*lo, *hi, *got;
	int64_t			 v = 0;
	size_t			 len, i;
	int			 b, rc;

	switch (k->type) {
	case CONF_STRING:
		len = strlen(value);
		if (len == 0 && k->min > 0) {
			xasprintf(cause, "%s: missing value", k->name);
			return (-1);
		}
		if ((int64_t)len < k->min || (k->max > 0 &&
		    (int64_t)len > k->max)) {
			xasprintf(cause, "%s: length %zu is out of range "
			    "(%" PRId64 "..%" PRId64 ")", k->name, len,
			    k->min, k->max);
			return (-1);
		}
		if ((k->flags & CONF_HOST) && len != 0 &&
		    rpc_resolve(value, 0, &ss, &sslen, &got) != 0) {
			free(got);
			xasprintf(cause, "%s: \"%.*s\" is not a numeric IPv4 or "
			    "IPv6 address", k->name, CONF_SHOW, value);
			return (-1);
		}
		if ((k->flags & CONF_NODE) && (i = name_span(value, 1)) !=
		    len) {
			xasprintf(cause, "%s: \"%.*s\" has a character a name "
			    "may not hold at byte %zu (letters, digits, '_', "
			    "'-', '%%', '.' and '|')", k->name, CONF_SHOW, value,
			    i);
			return (-1);
		}
		free(*conf_str(k, conf));
		*conf_str(k, conf) = xstrdup(value);
		return (0);
	case CONF_BOOL:
		if (conf_parse_bool(value, &b) != 0) {
			xasprintf(cause, "%s: expected true or false, not "
			    "\"%.*s\"", k->name, CONF_SHOW, value);
			return (-1);
		}
		*conf_int(k, conf) = b;
		return (0);
	case CONF_ENUM:
		for (i = 0; k->choices[i] != NULL; i++) {
			if (strcasecmp(value, k->choices[i]) == 0) {
				*conf_int(k, conf) = (int)i;
				return (0);
			}
		}
		xasprintf(cause, "%s: \"%.*s\" is not one of", k->name,
		    CONF_SHOW, value);
		for (i = 0; k->choices[i] != NULL; i++) {
			got = *cause;
			xasprintf(cause, "%s%s %s", got, i == 0 ? "" : ",",
			    k->choices[i]);
			free(got);
		}
		return (-1);
	case CONF_INT:
		rc = conf_parse_int(value, &v);
		what = "an integer";
		break;
	case CONF_SIZE:
		rc = conf_parse_size(value, &v);
		what = "a size (like 512, 64k, 16m, 1g)";
		break;
	case CONF_DURATION:
		rc = conf_parse_duration(value, &v);
		what = "a duration (like 500ms, 10s, 2m, 1h)";
		break;
	default:
		fatalx("%s: key %s has an unknown type", __func__, k->name);
	}
	if (rc != 0) {
		if (*value == '\0')
			xasprintf(cause, "%s: missing value", k->name);
		else
			xasprintf(cause, "%s: expected %s, not \"%.*s\"",
			    k->name, what, CONF_SHOW, value);
		return (-1);
	}
	if (v < k->min || v > k->max) {
		lo = conf_format(k->type, k->min);
		hi = conf_format(k->type, k->max);
		xasprintf(cause, "%s: %.*s is out of range (%s..%s)", k->name,
		    CONF_SHOW, value, lo, hi);
		free(lo);
		free(hi);
		return (-1);
	}
	*conf_i64(k, conf) = v;
	return (0);
}

/* Set one key by name (a command-line override); 0, or -1 with cause. */
int
conf_set(const struct conf_key *keys, void *conf, const char *name,
    const char *value, char **cause)
{
	const struct conf_key	*k;

	if ((k = conf_find(keys, name)) == NULL) {
		xasprintf(cause, "unknown key \"%.*s\"", CONF_SHOW, name);
		return (-1);
	}
	return (conf_apply(k, conf, value, cause));
}

/* Whether c may appear in a key. */
static int
conf_keychar(int c)
{
	return (isalnum((u_char)c) || c == '.' || c == '_' || c == '-');
}

/*
 * Parse len bytes of buf (named name in messages) into conf.  On error conf
 * may be half-updated: parse into a fresh copy and drop it on failure.
 */
int
conf_parse(const struct conf_key *keys, void *conf, const char *name,
    const char *buf, size_t len, char **cause)
{
	const struct conf_key	*k;
	struct conf_errors	 e;
	const char		*p, *end, *nl, *eq, *ks, *ke, *vs, *ve, *sug;
	const char		*cp, *next;
	char			*key, *value, *why;
	u_int			*seen, line = 0;
	size_t			 nkeys = 0, i;
	int			 more = 0;

	memset(&e, 0, sizeof e);
	for (k = keys; k->name != NULL; k++)
		nkeys++;
	seen = xcalloc(nkeys + 1, sizeof *seen);

	for (p = buf, end = buf + len; p < end; p = next) {
		if (e.count >= CONF_MAX_ERRORS) {
			more = 1;
			break;
		}
		line++;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		next = nl == end ? end : nl + 1;
		ve = nl;
		if (ve > p && ve[-1] == '\r')
			ve--;
		for (ks = p; ks < ve && (*ks == ' ' || *ks == '\t'); ks++)
			;
		if (ks == ve || *ks == '#')
			continue;
		if (memchr(ks, '\0', (size_t)(ve - ks)) != NULL) {
			conf_error(&e, "%s:%u: NUL byte in line", name, line);
			continue;
		}
		if ((eq = memchr(ks, '=', (size_t)(ve - ks))) == NULL) {
			conf_error(&e, "%s:%u: expected \"key = value\"",
			    name, line);
			continue;
		}
		for (ke = eq; ke > ks && (ke[-1] == ' ' || ke[-1] == '\t');
		    ke--)
			;
		for (vs = eq + 1; vs < ve && (*vs == ' ' || *vs == '\t'); vs++)
			;
		while (ve > vs && (ve[-1] == ' ' || ve[-1] == '\t'))
			ve--;
		if (ke == ks) {
			conf_error(&e, "%s:%u: missing key before \"=\"", name,
			    line);
			continue;
		}
		key = xstrndup(ks, (size_t)(ke - ks));
		value = xstrndup(vs, (size_t)(ve - vs));
		for (i = 0; key[i] != '\0' && conf_keychar(key[i]); i++)
			;
		for (cp = value; *cp != '\0' && (*cp == '\t' ||
		    ((u_char)*cp >= 0x20 && *cp != 0x7f)); cp++)
			;
		if (key[i] != '\0') {
			for (i = 0; key[i] != '\0'; i++) {
				if (!isprint((u_char)key[i]))
					key[i] = '?';
			}
			conf_error(&e, "%s:%u: invalid character in key "
			    "\"%.*s\"", name, line, CONF_SHOW, key);
		} else if ((k = conf_find(keys, key)) == NULL) {
			if ((sug = conf_suggest(keys, key)) != NULL)
				conf_error(&e, "%s:%u: unknown key \"%.*s\" "
				    "(did you mean \"%s\"?)", name, line,
				    CONF_SHOW, key, sug);
			else
				conf_error(&e, "%s:%u: unknown key \"%.*s\"",
				    name, line, CONF_SHOW, key);
		} else if (seen[k - keys] != 0)
			conf_error(&e, "%s:%u: duplicate key \"%s\" (first "
			    "set on line %u)", name, line, k->name,
			    seen[k - keys]);
		else if (*cp != '\0') {
			seen[k - keys] = line;
			conf_error(&e, "%s:%u: %s: control character in value",
			    name, line, k->name);
		} else {
			seen[k - keys] = line;
			if (conf_apply(k, conf, value, &why) != 0) {
				conf_error(&e, "%s:%u: %s", name, line, why);
				free(why);
			}
		}
		free(key);
		free(value);
	}
	if (more)
		conf_error(&e, "%s: too many errors, giving up", name);
	free(seen);
	if (e.count == 0)
		return (0);
	*cause = e.buf;
	return (-1);
}

/* Read and parse a file into conf; 0, or -1 with cause. */
int
conf_load(const struct conf_key *keys, void *conf, const char *path,
    char **cause)
{
	FILE		*f;
	struct stat	 st;
	char		*buf;
	size_t		 len;
	int		 rc;

	if ((f = fopen(path, "r")) == NULL) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return (-1);
	}
	if (fstat(fileno(f), &st) != 0) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		fclose(f);
		return (-1);
	}
	if (!S_ISREG(st.st_mode)) {
		xasprintf(cause, "%s: not a regular file", path);
		fclose(f);
		return (-1);
	}
	if (st.st_size > CONF_MAX_FILE) {
		xasprintf(cause, "%s: larger than %d bytes", path,
		    CONF_MAX_FILE);
		fclose(f);
		return (-1);
	}
	buf = xmalloc((size_t)st.st_size + 1);
	len = fread(buf, 1, (size_t)st.st_size + 1, f);
	if (ferror(f) || len > (size_t)st.st_size) {
		xasprintf(cause, "%s: %s", path, ferror(f) ?
		    "read error" : "file grew while read");
		free(buf);
		fclose(f);
		return (-1);
	}
	fclose(f);
	rc = conf_parse(keys, conf, path, buf, len, cause);
	free(buf);
	return (rc);
}

/* The value of a key as it would be written in a file; caller frees. */
char *
conf_value(const struct conf_key *k, const void *conf)
{
	switch (k->type) {
	case CONF_STRING:
		return (xstrdup(*conf_str(k, conf) != NULL ?
		    *conf_str(k, conf) : ""));
	case CONF_BOOL:
		return (xstrdup(*conf_int(k, conf) ? "true" : "false"));
	case CONF_ENUM:
		return (xstrdup(k->choices[*conf_int(k, conf)]));
	default:
		return (conf_format(k->type, *conf_i64(k, conf)));
	}
}

/* Print every key as "key = value", in table order. */
void
conf_print(const struct conf_key *keys, const void *conf, FILE *f)
{
	const struct conf_key	*k;
	char			*v;

	for (k = keys; k->name != NULL; k++) {
		v = conf_value(k, conf);
		if (*v == '\0')
			fprintf(f, "%s =\n", k->name);
		else
			fprintf(f, "%s = %s\n", k->name, v);
		free(v);
	}
}

/* Whether key k differs between configurations a and b. */
int
conf_changed(const struct conf_key *k, const void *a, const void *b)
{
	switch (k->type) {
	case CONF_STRING:
		return (strcmp(*conf_str(k, a), *conf_str(k, b)) != 0);
	case CONF_BOOL:
	case CONF_ENUM:
		return (*conf_int(k, a) != *conf_int(k, b));
	default:
		return (*conf_i64(k, a) != *conf_i64(k, b));
	}
}

/*
 * Reload: move every changed key marked CONF_RELOAD from next into cur and
 * log it; warn about changed keys that need a restart and leave them.
 * Returns how many keys were applied.  The caller still frees next.
 */
int
conf_merge(const struct conf_key *keys, void *cur, void *next)
{
	const struct conf_key	*k;
	char			*was, *now;
	int			 applied = 0;

	for (k = keys; k->name != NULL; k++) {
		if (!conf_changed(k, cur, next))
			continue;
		was = conf_value(k, cur);
		now = conf_value(k, next);
		if (~k->flags & CONF_RELOAD) {
			log_warnx("%s changed (%s -> %s): restart to apply it",
			    k->name, was, now);
		} else {
			log_info("%s: %s -> %s", k->name, was, now);
			switch (k->type) {
			case CONF_STRING:
				free(*conf_str(k, cur));
				*conf_str(k, cur) = xstrdup(*conf_str(k, next));
				break;
			case CONF_BOOL:
			case CONF_ENUM:
				*conf_int(k, cur) = *conf_int(k, next);
				break;
			default:
				*conf_i64(k, cur) = *conf_i64(k, next);
				break;
			}
			applied++;
		}
		free(was);
		free(now);
	}
	return (applied);
}
