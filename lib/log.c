/*
 * Diagnostics to stderr, one line per event.  When systemd connected
 * stderr to the journal ($JOURNAL_STREAM names stderr's device and inode)
 * each line starts with its syslog priority, which journald strips;
 * otherwise it starts with an ISO 8601 time and a level word.  Each line
 * is written with one write(2), so lines from several loop threads never
 * interleave.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static const char	*log_procname = "petrel";
static int		 log_verbose = LOG_LEVEL_INFO;
static int		 log_journal;
static int		 log_fatal_status = 1;

static void	log_vline(int, const char *, const char *, va_list)
		    __attribute__((__format__ (printf, 3, 0)));

/* Set the program name and verbosity; detect the journal. */
void
log_init(const char *procname, int verbose)
{
	const char	*js;
	struct stat	 st;
	unsigned long long dev, ino;

	if (procname != NULL)
		log_procname = procname;
	log_verbose = verbose;
	log_journal = 0;
	js = getenv("JOURNAL_STREAM");
	if (js != NULL && sscanf(js, "%llu:%llu", &dev, &ino) == 2 &&
	    fstat(STDERR_FILENO, &st) == 0 &&
	    (unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino)
		log_journal = 1;
}

/* Change the verbosity: 0 warnings, 1 information, 2 and up debugging. */
void
log_setverbose(int verbose)
{
	log_verbose = verbose;
}

/* Set the exit status of fatal() and fatalx() (1 unless changed). */
void
log_set_fatal_status(int status)
{
	log_fatal_status = status;
}

/* Return the verbosity. */
int
log_getverbose(void)
{
	return (log_verbose);
}

/* Format one line at syslog priority pri, with an optional errno text. */
static void
log_vline(int pri, const char *errtext, const char *fmt, va_list ap)
{
	static const char *const words[8] = {
		"emerg", "alert", "crit", "error",
		"warning", "notice", "info", "debug"
	};
	char		 line[2048];
	struct timespec	 ts;
	struct tm	 tm;
	size_t		 len;
	int		 n, saved_errno = errno;

	if (log_journal)
		n = snprintf(line, sizeof line, "<%d>", pri);
	else {
		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		n = snprintf(line, sizeof line,
		    "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s[%ld] %s: ",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000, log_procname,
		    (long)getpid(), words[pri & 7]);
	}
	len = n < 0 ? 0 : (size_t)n;
	if (len < sizeof line) {
		n = vsnprintf(line + len, sizeof line - len, fmt, ap);
		if (n > 0)
			len += (size_t)n;
	}
	if (errtext != NULL && len < sizeof line) {
		n = snprintf(line + len, sizeof line - len, ": %s", errtext);
		if (n > 0)
			len += (size_t)n;
	}
	if (len > sizeof line - 2)
		len = sizeof line - 2;
	line[len++] = '\n';
	(void)write(STDERR_FILENO, line, len);
	errno = saved_errno;
}

/* Warn, adding the text of errno. */
void
log_warn(const char *fmt, ...)
{
	va_list	ap;
	char	errbuf[256];
	int	saved_errno = errno;

	if (strerror_r(saved_errno, errbuf, sizeof errbuf) != 0)
		snprintf(errbuf, sizeof errbuf, "error %d", saved_errno);
	va_start(ap, fmt);
	log_vline(4, errbuf, fmt, ap);
	va_end(ap);
	errno = saved_errno;
}

/* Warn without errno. */
void
log_warnx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vline(4, NULL, fmt, ap);
	va_end(ap);
}

/* Informational line, shown at verbosity 1 and up. */
void
log_info(const char *fmt, ...)
{
	va_list	ap;

	if (log_verbose < LOG_LEVEL_INFO)
		return;
	va_start(ap, fmt);
	log_vline(6, NULL, fmt, ap);
	va_end(ap);
}

/* Debugging line; the level is tested before anything is formatted. */
void
log_debug(const char *fmt, ...)
{
	va_list	ap;

	if (log_verbose < LOG_LEVEL_DEBUG)
		return;
	va_start(ap, fmt);
	log_vline(7, NULL, fmt, ap);
	va_end(ap);
}

/* Log with errno text and exit with the fatal status. */
void
fatal(const char *fmt, ...)
{
	va_list	ap;
	char	errbuf[256];
	int	saved_errno = errno;

	if (strerror_r(saved_errno, errbuf, sizeof errbuf) != 0)
		snprintf(errbuf, sizeof errbuf, "error %d", saved_errno);
	va_start(ap, fmt);
	log_vline(2, errbuf, fmt, ap);
	va_end(ap);
	exit(log_fatal_status);
}

/* Log and exit with the fatal status. */
void
fatalx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vline(2, NULL, fmt, ap);
	va_end(ap);
	exit(log_fatal_status);
}
