/*
 * Diagnostics, after OpenBSD's log.c.  Lines go to stderr: with a
 * syslog priority prefix ("<6>") when stderr is the journal, else with a
 * timestamp and a level word.
 */
#ifndef LOG_H
#define LOG_H

#include <stdarg.h>

#define LOG_LEVEL_WARN	0
#define LOG_LEVEL_INFO	1
#define LOG_LEVEL_DEBUG	2

void	log_init(const char *, int);
void	log_setverbose(int);
void	log_set_fatal_status(int);
int	log_getverbose(void);
void	log_warn(const char *, ...)
	    __attribute__((__format__ (printf, 1, 2)));
void	log_warnx(const char *, ...)
	    __attribute__((__format__ (printf, 1, 2)));
void	log_info(const char *, ...)
	    __attribute__((__format__ (printf, 1, 2)));
void	log_debug(const char *, ...)
	    __attribute__((__format__ (printf, 1, 2)));
void	fatal(const char *, ...)
	    __attribute__((__format__ (printf, 1, 2), __noreturn__));
void	fatalx(const char *, ...)
	    __attribute__((__format__ (printf, 1, 2), __noreturn__));

#endif /* LOG_H */
