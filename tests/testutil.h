/*
 * Small helpers shared by the check programs.  Header-only so every test
 * program gets them without another library.
 */
#ifndef TESTUTIL_H
#define TESTUTIL_H

#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Milliseconds on the monotonic clock. */
static inline uint64_t
test_now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000);
}

/* A new empty directory under $TMPDIR (or /tmp); the caller frees it. */
static inline char *
test_tmpdir(void)
{
	const char	*base = getenv("TMPDIR");
	char		 path[4096];
	char		*dir;

	snprintf(path, sizeof path, "%s/petrel-test.XXXXXX",
	    base != NULL ? base : "/tmp");
	if ((dir = mkdtemp(path)) == NULL)
		return (NULL);
	return (strdup(dir));
}

static inline int
test_rm_entry(const char *path, const struct stat *st, int flag,
    struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return (remove(path));
}

/* Remove a directory tree made by test_tmpdir() and free its name. */
static inline void
test_rmdir(char *dir)
{
	if (dir == NULL)
		return;
	nftw(dir, test_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(dir);
}

static int	test_capture_fd = -1, test_capture_saved = -1;

/* Send stderr to a temporary file until test_capture_end(); 0 or -1. */
static inline int
test_capture_start(void)
{
	char	path[] = "/tmp/petrel-stderr.XXXXXX";

	if ((test_capture_fd = mkstemp(path)) == -1)
		return (-1);
	unlink(path);
	test_capture_saved = dup(STDERR_FILENO);
	dup2(test_capture_fd, STDERR_FILENO);
	return (0);
}

/* Restore stderr; what was written meanwhile (the caller frees it). */
static inline char *
test_capture_end(void)
{
	char	 buf[8192];
	ssize_t	 n;

	dup2(test_capture_saved, STDERR_FILENO);
	close(test_capture_saved);
	lseek(test_capture_fd, 0, SEEK_SET);
	n = read(test_capture_fd, buf, sizeof buf - 1);
	close(test_capture_fd);
	test_capture_fd = test_capture_saved = -1;
	if (n < 0)
		return (NULL);
	buf[n] = '\0';
	return (strdup(buf));
}

#endif /* TESTUTIL_H */
