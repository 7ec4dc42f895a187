/*
 * Small helpers shared by the check programs.  Header-only so every test
 * program gets them without another library.
 */
#ifndef TESTUTIL_H
#define TESTUTIL_H

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

#endif /* TESTUTIL_H */
