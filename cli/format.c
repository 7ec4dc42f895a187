/*
 * Human forms of the numbers the name servers answer with: ages ("3m12s"),
 * wall-clock times (RFC 3339 in UTC) and topic permission bits ("rw-").
 * Tables use them; JSON output keeps the raw numbers beside them.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#include "cli.h"
#include "proto/namesrv.pb-c.h"

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
