/*
 * Tables for the CLI's human output, in two passes: cells are collected
 * row by row, then the widths are measured and every row is printed with
 * two spaces between columns.  Headers are upper case, numbers are right
 * aligned, and no line ends in spaces.  A cell never breaks the layout:
 * control characters in it are shown escaped (\n, \t, \x01).  Given a
 * width (the terminal's), the widest text columns are narrowed until a
 * line fits and cells cut short end in "...".
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
static void	 table_fit(struct table *, size_t *, size_t);
static int	 table_put(FILE *, const char *, size_t);

#define TABLE_MIN_WIDTH	8	/* never narrow a column below this */

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

/*
 * Narrow the widest left-aligned columns, never below TABLE_MIN_WIDTH,
 * until a line is at most max columns wide (or nothing can shrink).
 */
static void
table_fit(struct table *t, size_t *width, size_t max)
{
	size_t	total = 0, col, widest, cut;

	for (col = 0; col < t->ncolumns; col++)
		total += width[col] + (col > 0 ? 2 : 0);
	while (total > max) {
		widest = t->ncolumns;
		for (col = 0; col < t->ncolumns; col++) {
			if (t->columns[col].align != TABLE_LEFT ||
			    width[col] <= TABLE_MIN_WIDTH)
				continue;
			if (widest == t->ncolumns || width[col] > width[widest])
				widest = col;
		}
		if (widest == t->ncolumns)
			return;
		cut = width[widest] - TABLE_MIN_WIDTH;
		if (cut > total - max)
			cut = total - max;
		width[widest] -= cut;
		total -= cut;
	}
}

/* Write s in at most width columns, ending in "..." if it was cut. */
static int
table_put(FILE *f, const char *s, size_t width)
{
	const char	*p;
	size_t		 n = 0;

	if (table_width(s) <= width)
		return (fputs(s, f) == EOF ? -1 : 0);
	for (p = s; *p != '\0'; p++) {
		if (((unsigned char)*p & 0xc0) != 0x80 && n++ == width - 3)
			break;
	}
	if (fwrite(s, 1, (size_t)(p - s), f) != (size_t)(p - s) ||
	    fputs("...", f) == EOF)
		return (-1);
	return (0);
}

/*
 * Print the table, with its header line if headers, in lines of at most
 * max columns if max is not 0; 0 or -1 on error.
 */
int
table_print(struct table *t, FILE *f, int headers, size_t max)
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
	if (max != 0)
		table_fit(t, width, max);

	first = headers ? 0 : 1;
	for (row = first; row < table_rows(t) + 1; row++) {
		for (col = 0; col < t->ncolumns; col++) {
			if (row == 0)
				s = t->columns[col].header;
			else
				s = t->cells[(row - 1) * t->ncolumns + col];
			w = table_width(s);
			if (w > width[col])
				w = width[col];
			if (col > 0 && fputs("  ", f) == EOF)
				goto out;
			if (t->columns[col].align == TABLE_RIGHT &&
			    table_pad(f, width[col] - w) != 0)
				goto out;
			if (table_put(f, s, width[col]) != 0)
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
