/*
 * Tables for the CLI's human output, in two passes: cells are collected
 * row by row, then the widths are measured and every row is printed with
 * two spaces between columns.  Headers are upper case, numbers are right
 * aligned, and no line ends in spaces.  A cell never breaks the layout:
 * control characters in it are shown escaped (\n, \t, \x01).
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "log.h"
#include "xmalloc.h"

struct table {
	const struct table_column	*columns;
	size_t				 ncolumns;
	char				**cells;
	size_t				 ncells;
	size_t				 size;
};

static char	*table_sanitize(const char *);
static size_t	 table_width(const char *);
static int	 table_pad(FILE *, size_t);

/* A table with these columns (the array must outlive the table). */
struct table *
table_new(const struct table_column *columns, size_t ncolumns)
{
	struct table	*t;

	if (ncolumns == 0)
		fatalx("%s: a table without columns", __func__);
	t = xcalloc(1, sizeof *t);
	t->columns = columns;
	t->ncolumns = ncolumns;
	return (t);
}

/* Free a table and its cells; NULL is fine. */
void
table_free(struct table *t)
{
	size_t	i;

	if (t == NULL)
		return;
	for (i = 0; i < t->ncells; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
}

/* A copy of s with control characters written as escapes. */
static char *
table_sanitize(const char *s)
{
	const unsigned char	*p;
	char			*out, *o;

	out = o = xmalloc(strlen(s) * 4 + 1);
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p >= 0x20 && *p != 0x7f) {
			*o++ = (char)*p;
			continue;
		}
		*o++ = '\\';
		switch (*p) {
		case '\n':
			*o++ = 'n';
			break;
		case '\r':
			*o++ = 'r';
			break;
		case '\t':
			*o++ = 't';
			break;
		default:
			snprintf(o, 4, "x%02x", *p);
			o += 3;
			break;
		}
	}
	*o = '\0';
	return (out);
}

/* Add the next cell, filling rows left to right. */
void
table_cell(struct table *t, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	xvasprintf(&s, fmt, ap);
	va_end(ap);
	if (t->ncells == t->size) {
		t->size = t->size == 0 ? 16 : t->size * 2;
		t->cells = xreallocarray(t->cells, t->size, sizeof *t->cells);
	}
	t->cells[t->ncells++] = table_sanitize(s);
	free(s);
}

/* How many complete rows the table has. */
size_t
table_rows(struct table *t)
{
	return (t->ncells / t->ncolumns);
}

/* The width of s on a terminal: its UTF-8 code points. */
static size_t
table_width(const char *s)
{
	size_t	n = 0;

	for (; *s != '\0'; s++) {
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	}
	return (n);
}

/* Write n spaces. */
static int
table_pad(FILE *f, size_t n)
{
	while (n-- > 0) {
		if (fputc(' ', f) == EOF)
			return (-1);
	}
	return (0);
}

/* Print the table, with its header line if headers; 0 or -1 on error. */
int
table_print(struct table *t, FILE *f, int headers)
{
	size_t		*width, row, col, first, w;
	const char	*s;
	int		 rc = -1;

	if (t->ncells % t->ncolumns != 0)
		fatalx("%s: the last row is not complete", __func__);
	width = xcalloc(t->ncolumns, sizeof *width);
	for (col = 0; headers && col < t->ncolumns; col++)
		width[col] = table_width(t->columns[col].header);
	for (row = 0; row < table_rows(t); row++) {
		for (col = 0; col < t->ncolumns; col++) {
			w = table_width(t->cells[row * t->ncolumns + col]);
			if (w > width[col])
				width[col] = w;
		}
	}

	first = headers ? 0 : 1;
	for (row = first; row < table_rows(t) + 1; row++) {
		for (col = 0; col < t->ncolumns; col++) {
			if (row == 0)
				s = t->columns[col].header;
			else
				s = t->cells[(row - 1) * t->ncolumns + col];
			w = table_width(s);
			if (col > 0 && fputs("  ", f) == EOF)
				goto out;
			if (t->columns[col].align == TABLE_RIGHT &&
			    table_pad(f, width[col] - w) != 0)
				goto out;
			if (fputs(s, f) == EOF)
				goto out;
			if (t->columns[col].align == TABLE_LEFT &&
			    col != t->ncolumns - 1 &&
			    table_pad(f, width[col] - w) != 0)
				goto out;
		}
		if (fputc('\n', f) == EOF)
			goto out;
	}
	rc = 0;
out:
	free(width);
	return (rc);
}
