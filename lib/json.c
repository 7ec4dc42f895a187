/*
 * An output-only JSON emitter for the CLI's --json mode, the broker's
 * status answers and the bench reports.  Values go into one growing
 * buffer; a stack of open objects and arrays decides where commas, keys
 * and (with JSON_PRETTY) newlines go.  Strings are escaped per RFC 8259:
 * the quote, the backslash and every control character; valid UTF-8
 * passes through unchanged and any other byte becomes U+FFFD, so the
 * result is always valid JSON whatever the input bytes were.
 */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "log.h"
#include "xmalloc.h"

struct json_level {
	char		 type;		/* '{' or '[' */
	size_t		 count;		/* values written at this level */
};

struct json {
	int			 flags;
	char			*buf;
	size_t			 len;
	size_t			 size;
	struct json_level	*stack;
	size_t			 depth;
	size_t			 nstack;
	int			 done;	/* the top-level value is complete */
};

static void	json_grow(struct json *, size_t);
static void	json_add(struct json *, const char *, size_t);
static void	json_addc(struct json *, char);
static void	json_indent(struct json *);
static void	json_quote(struct json *, const char *, size_t);
static size_t	json_utf8_len(const unsigned char *, size_t);
static void	json_begin(struct json *, const char *);
static void	json_open(struct json *, const char *, char);
static void	json_close(struct json *, char);
static void	json_scalar(struct json *, const char *, const char *);

/* A new, empty emitter; flags is 0 or JSON_PRETTY. */
struct json *
json_new(int flags)
{
	struct json	*j;

	j = xcalloc(1, sizeof *j);
	j->flags = flags;
	j->size = 256;
	j->buf = xmalloc(j->size);
	j->buf[0] = '\0';
	return (j);
}

/* Free an emitter and its buffer; NULL is fine. */
void
json_free(struct json *j)
{
	if (j == NULL)
		return;
	free(j->stack);
	free(j->buf);
	free(j);
}

/* Make room for n more bytes and the terminating NUL. */
static void
json_grow(struct json *j, size_t n)
{
	if (n >= SIZE_MAX / 2 - j->len)
		fatalx("%s: document too large", __func__);
	if (j->len + n + 1 <= j->size)
		return;
	while (j->len + n + 1 > j->size)
		j->size *= 2;
	j->buf = xrealloc(j->buf, j->size);
}

/* Append n raw bytes. */
static void
json_add(struct json *j, const char *s, size_t n)
{
	json_grow(j, n);
	memcpy(j->buf + j->len, s, n);
	j->len += n;
	j->buf[j->len] = '\0';
}

/* Append one raw byte. */
static void
json_addc(struct json *j, char c)
{
	json_add(j, &c, 1);
}

/* With JSON_PRETTY, start a new line indented to the current depth. */
static void
json_indent(struct json *j)
{
	size_t	i;

	if (~j->flags & JSON_PRETTY)
		return;
	json_addc(j, '\n');
	for (i = 0; i < j->depth; i++)
		json_add(j, "  ", 2);
}

/*
 * The length of the well-formed UTF-8 sequence (RFC 3629) at s, which has
 * n bytes left; 0 if s does not start one.  Overlong forms, surrogates and
 * code points past U+10FFFF are not well formed.
 */
static size_t
json_utf8_len(const unsigned char *s, size_t n)
{
	unsigned char	lo = 0x80, hi = 0xbf;
	size_t		need, i;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		need = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		need = 3;
		if (s[0] == 0xe0)
			lo = 0xa0;
		else if (s[0] == 0xed)
			hi = 0x9f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		need = 4;
		if (s[0] == 0xf0)
			lo = 0x90;
		else if (s[0] == 0xf4)
			hi = 0x8f;
	} else
		return (0);
	if (n < need || s[1] < lo || s[1] > hi)
		return (0);
	for (i = 2; i < need; i++) {
		if (s[i] < 0x80 || s[i] > 0xbf)
			return (0);
	}
	return (need);
}

/* Append s (n bytes, NULs allowed) as a quoted, escaped JSON string. */
static void
json_quote(struct json *j, const char *s, size_t n)
{
	const unsigned char	*p = (const unsigned char *)s;
	char			 esc[8];
	size_t			 i, run, seq;

	json_addc(j, '"');
	i = 0;
	while (i < n) {
		/* Copy printable ASCII in one go. */
		for (run = i; run < n && p[run] >= 0x20 && p[run] < 0x7f &&
		    p[run] != '"' && p[run] != '\\'; run++)
			/* nothing */;
		if (run > i) {
			json_add(j, s + i, run - i);
			i = run;
			continue;
		}
		switch (p[i]) {
		case '"':
			json_add(j, "\\\"", 2);
			break;
		case '\\':
			json_add(j, "\\\\", 2);
			break;
		case '\b':
			json_add(j, "\\b", 2);
			break;
		case '\f':
			json_add(j, "\\f", 2);
			break;
		case '\n':
			json_add(j, "\\n", 2);
			break;
		case '\r':
			json_add(j, "\\r", 2);
			break;
		case '\t':
			json_add(j, "\\t", 2);
			break;
		default:
			if (p[i] < 0x80) {
				/* Other control characters and DEL. */
				snprintf(esc, sizeof esc, "\\u%04x", p[i]);
				json_add(j, esc, 6);
				break;
			}
			if ((seq = json_utf8_len(p + i, n - i)) == 0) {
				json_add(j, "\\ufffd", 6);
				break;
			}
			json_add(j, s + i, seq);
			i += seq;
			continue;
		}
		i++;
	}
	json_addc(j, '"');
}

/* Place the next value: a comma, a newline and the key as needed. */
static void
json_begin(struct json *j, const char *key)
{
	struct json_level	*l;

	if (j->depth == 0) {
		if (j->done)
			fatalx("%s: a second top-level value", __func__);
		if (key != NULL)
			fatalx("%s: key \"%s\" outside an object", __func__,
			    key);
		return;
	}
	l = &j->stack[j->depth - 1];
	if (l->type == '{' && key == NULL)
		fatalx("%s: value without a key in an object", __func__);
	if (l->type == '[' && key != NULL)
		fatalx("%s: key \"%s\" in an array", __func__, key);
	if (l->count++ > 0)
		json_addc(j, ',');
	json_indent(j);
	if (key != NULL) {
		json_quote(j, key, strlen(key));
		if (j->flags & JSON_PRETTY)
			json_add(j, ": ", 2);
		else
			json_addc(j, ':');
	}
}

/* Open an object or an array. */
static void
json_open(struct json *j, const char *key, char type)
{
	json_begin(j, key);
	if (j->depth == j->nstack) {
		j->nstack = j->nstack == 0 ? 8 : j->nstack * 2;
		j->stack = xreallocarray(j->stack, j->nstack,
		    sizeof *j->stack);
	}
	j->stack[j->depth].type = type;
	j->stack[j->depth].count = 0;
	j->depth++;
	json_addc(j, type);
}

/* Close the innermost object or array, which must be of this type. */
static void
json_close(struct json *j, char type)
{
	size_t	count;

	if (j->depth == 0 || j->stack[j->depth - 1].type != type)
		fatalx("%s: nothing of type '%c' open", __func__, type);
	count = j->stack[j->depth - 1].count;
	j->depth--;
	if (count > 0)
		json_indent(j);
	json_addc(j, type == '{' ? '}' : ']');
	if (j->depth == 0)
		j->done = 1;
}

/* Open an object (key is NULL outside objects). */
void
json_object_open(struct json *j, const char *key)
{
	json_open(j, key, '{');
}

/* Close the innermost object. */
void
json_object_close(struct json *j)
{
	json_close(j, '{');
}

/* Open an array (key is NULL outside objects). */
void
json_array_open(struct json *j, const char *key)
{
	json_open(j, key, '[');
}

/* Close the innermost array. */
void
json_array_close(struct json *j)
{
	json_close(j, '[');
}

/* A string value; NULL is written as null. */
void
json_string(struct json *j, const char *key, const char *s)
{
	if (s == NULL) {
		json_null(j, key);
		return;
	}
	json_stringn(j, key, s, strlen(s));
}

/* A string value of n bytes, which may hold NULs. */
void
json_stringn(struct json *j, const char *key, const char *s, size_t n)
{
	json_begin(j, key);
	json_quote(j, s, n);
	if (j->depth == 0)
		j->done = 1;
}

/* Append a scalar written out by the caller. */
static void
json_scalar(struct json *j, const char *key, const char *text)
{
	json_begin(j, key);
	json_add(j, text, strlen(text));
	if (j->depth == 0)
		j->done = 1;
}

/* A signed integer. */
void
json_int(struct json *j, const char *key, int64_t v)
{
	char	text[32];

	snprintf(text, sizeof text, "%" PRId64, v);
	json_scalar(j, key, text);
}

/* An unsigned integer. */
void
json_uint(struct json *j, const char *key, uint64_t v)
{
	char	text[32];

	snprintf(text, sizeof text, "%" PRIu64, v);
	json_scalar(j, key, text);
}

/*
 * A floating-point number in the shortest of %.15g and %.17g that reads
 * back as the same value; NaN and the infinities have no JSON form and
 * become null.
 */
void
json_double(struct json *j, const char *key, double v)
{
	char	text[40];

	if (!isfinite(v)) {
		json_null(j, key);
		return;
	}
	snprintf(text, sizeof text, "%.15g", v);
	if (strtod(text, NULL) != v)
		snprintf(text, sizeof text, "%.17g", v);
	json_scalar(j, key, text);
}

/* true or false. */
void
json_bool(struct json *j, const char *key, int v)
{
	json_scalar(j, key, v ? "true" : "false");
}

/* null. */
void
json_null(struct json *j, const char *key)
{
	json_scalar(j, key, "null");
}

/* Whether the document is complete: one top-level value, all closed. */
int
json_done(struct json *j)
{
	return (j->done && j->depth == 0);
}

/* The text so far, NUL-terminated; its length in *len if len is not NULL. */
const char *
json_buffer(struct json *j, size_t *len)
{
	if (len != NULL)
		*len = j->len;
	return (j->buf);
}

/* Write the complete document and a newline to f; 0 or -1 (errno set). */
int
json_write(struct json *j, FILE *f)
{
	if (!json_done(j))
		fatalx("%s: document not complete", __func__);
	if (fwrite(j->buf, 1, j->len, f) != j->len || fputc('\n', f) == EOF)
		return (-1);
	return (fflush(f) == 0 ? 0 : -1);
}
