/*
 * Human forms of the numbers the servers answer with: ages ("3m12s"),
 * wall-clock times (RFC 3339 in UTC), topic permission bits ("rw-") and
 * message bodies (UTF-8 or base64).  Tables use them; JSON output keeps
 * the raw numbers beside them.  Also the other way: times and permissions
 * as a user types them on the command line.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "proto/namesrv.pb-c.h"
#include "xmalloc.h"

static int	format_digits(const char **, size_t, int *);

/* An age in milliseconds in its two largest units: "0s", "45s", "3m12s". */
void
format_age(char *buf, size_t len, uint64_t ms)
{
	uint64_t	s = ms / 1000;

	if (s < 60)
		snprintf(buf, len, "%" PRIu64 "s", s);
	else if (s < 3600)
		snprintf(buf, len, "%" PRIu64 "m%" PRIu64 "s", s / 60, s % 60);
	else if (s < 86400) {
		snprintf(buf, len, "%" PRIu64 "h%" PRIu64 "m", s / 3600,
		    s % 3600 / 60);
	} else {
		snprintf(buf, len, "%" PRIu64 "d%" PRIu64 "h", s / 86400,
		    s % 86400 / 3600);
	}
}

/* Milliseconds since the epoch as RFC 3339 UTC with milliseconds. */
void
format_time(char *buf, size_t len, uint64_t ms)
{
	time_t		t = (time_t)(ms / 1000);
	struct tm	tm;

	if (gmtime_r(&t, &tm) == NULL) {
		snprintf(buf, len, "-");
		return;
	}
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (unsigned)(ms % 1000));
}

/* Perm bits as three letters: r (read), w (write), i (inherit), or -. */
void
format_perm(char *buf, size_t len, uint32_t perm)
{
	snprintf(buf, len, "%c%c%c",
	    (perm & PETREL__PERM__PERM_READ) ? 'r' : '-',
	    (perm & PETREL__PERM__PERM_WRITE) ? 'w' : '-',
	    (perm & PETREL__PERM__PERM_INHERIT) ? 'i' : '-');
}

/* "rw", "r" or "w" as Perm bits; 0, or -1 for anything else. */
int
format_parse_perm(const char *s, uint32_t *perm)
{
	if (strcmp(s, "rw") == 0 || strcmp(s, "wr") == 0)
		*perm = PETREL__PERM__PERM_READ | PETREL__PERM__PERM_WRITE;
	else if (strcmp(s, "r") == 0)
		*perm = PETREL__PERM__PERM_READ;
	else if (strcmp(s, "w") == 0)
		*perm = PETREL__PERM__PERM_WRITE;
	else
		return (-1);
	return (0);
}

/* Read exactly n digits at *s into *v and move *s past them; 0 or -1. */
static int
format_digits(const char **s, size_t n, int *v)
{
	size_t	i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*s)[i]))
			return (-1);
		*v = *v * 10 + ((*s)[i] - '0');
	}
	*s += n;
	return (0);
}

/*
 * A time on the command line as milliseconds since the epoch: "now" (now
 * is given), a number of milliseconds, or ISO 8601 "YYYY-MM-DD", with
 * "THH:MM[:SS[.mmm]]" or " HH:MM[:SS[.mmm]]" and a zone "Z" or "+HH:MM"
 * ("+HHMM", "+HH"); without a zone the time is local.  0, or -1 if s is
 * none of these.
 */
int
format_parse_time(const char *s, uint64_t now, uint64_t *ms)
{
	struct tm		 tm;
	unsigned long long	 n;
	const char		*p = s;
	char			*end;
	time_t			 t;
	int			 y, mo, d, h = 0, mi = 0, sec = 0, frac = 0;
	int			 zone = 0, utc = 0, zh, zm = 0, sign;

	if (strcmp(s, "now") == 0) {
		*ms = now;
		return (0);
	}
	if (*s != '\0' && strspn(s, "0123456789") == strlen(s)) {
		errno = 0;
		n = strtoull(s, &end, 10);
		if (errno != 0 || *end != '\0')
			return (-1);
		*ms = n;
		return (0);
	}
	if (format_digits(&p, 4, &y) != 0 || *p++ != '-' ||
	    format_digits(&p, 2, &mo) != 0 || *p++ != '-' ||
	    format_digits(&p, 2, &d) != 0)
		return (-1);
	if (*p == 'T' || *p == ' ') {
		p++;
		if (format_digits(&p, 2, &h) != 0 || *p++ != ':' ||
		    format_digits(&p, 2, &mi) != 0)
			return (-1);
		if (*p == ':') {
			p++;
			if (format_digits(&p, 2, &sec) != 0)
				return (-1);
			if (*p == '.') {
				p++;
				if (format_digits(&p, 3, &frac) != 0)
					return (-1);
			}
		}
	}
	if (*p == 'Z') {
		utc = 1;
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p++ == '-' ? -1 : 1;
		if (format_digits(&p, 2, &zh) != 0)
			return (-1);
		if (*p == ':')
			p++;
		if (*p != '\0' && format_digits(&p, 2, &zm) != 0)
			return (-1);
		if (zh > 23 || zm > 59)
			return (-1);
		utc = 1;
		zone = sign * (zh * 3600 + zm * 60);
	}
	if (*p != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
	    mi > 59 || sec > 60 || y < 1970)
		return (-1);
	memset(&tm, 0, sizeof tm);
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	tm.tm_isdst = -1;
	t = utc ? timegm(&tm) : mktime(&tm);
	/* mktime(3) and timegm(3) normalize; a day past the month's end is
	 * a mistake, not the next month. */
	if (t == (time_t)-1 || tm.tm_mday != d)
		return (-1);
	t -= zone;
	if (t < 0)
		return (-1);
	*ms = (uint64_t)t * 1000 + (uint64_t)frac;
	return (0);
}

/* Whether len bytes at p are valid UTF-8 (no overlongs or surrogates). */
int
format_utf8(const void *p, size_t len)
{
	const unsigned char	*s = p;
	size_t			 i = 0, n, k;
	uint32_t		 c;

	while (i < len) {
		c = s[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 1;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3;
		else
			return (0);
		if (len - i <= n)
			return (0);
		c &= 0x3f >> n;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return (0);
			c = c << 6 | (s[i + k] & 0x3f);
		}
		if ((n == 2 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))) ||
		    (n == 3 && (c < 0x10000 || c > 0x10ffff)))
			return (0);
		i += n + 1;
	}
	return (1);
}

/* len bytes at p in base64 (RFC 4648, padded); the caller frees it. */
char *
format_base64(const void *p, size_t len)
{
	static const char	 alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char	*s = p;
	char			*out, *o;
	uint32_t		 v;
	size_t			 i;

	out = o = xmalloc((len + 2) / 3 * 4 + 1);
	for (i = 0; i + 2 < len; i += 3) {
		v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
		*o++ = alphabet[v >> 18];
		*o++ = alphabet[(v >> 12) & 0x3f];
		*o++ = alphabet[(v >> 6) & 0x3f];
		*o++ = alphabet[v & 0x3f];
	}
	if (i < len) {
		v = (uint32_t)s[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)s[i + 1] << 8;
		*o++ = alphabet[v >> 18];
		*o++ = alphabet[(v >> 12) & 0x3f];
		*o++ = i + 1 < len ? alphabet[(v >> 6) & 0x3f] : '=';
		*o++ = '=';
	}
	*o = '\0';
	return (out);
}
