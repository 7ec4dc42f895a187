/*
 * A main for fuzz targets built without libFuzzer: feeds every file of
 * the directories (or files) named on the command line, by default
 * $top_srcdir/tests/corpus/<FUZZ_CORPUS>, to LLVMFuzzerTestOneInput() once
 * and speaks TAP, so make check replays the seed corpus under gcc and the
 * sanitizers.
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

#ifndef FUZZ_CORPUS
#error "FUZZ_CORPUS must name the corpus directory under tests/corpus"
#endif

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int	replay_file(const char *);
static int	replay_path(const char *, int *);

/* Run the target once on a file's bytes; -1 if it cannot be read. */
static int
replay_file(const char *path)
{
	FILE	*fp;
	uint8_t	*buf;
	long	 len;

	if ((fp = fopen(path, "rb")) == NULL)
		return (-1);
	if (fseek(fp, 0, SEEK_END) != 0 || (len = ftell(fp)) < 0 ||
	    fseek(fp, 0, SEEK_SET) != 0) {
		fclose(fp);
		return (-1);
	}
	buf = xmalloc(len == 0 ? 1 : (size_t)len);
	if (len != 0 && fread(buf, 1, (size_t)len, fp) != (size_t)len) {
		free(buf);
		fclose(fp);
		return (-1);
	}
	fclose(fp);
	LLVMFuzzerTestOneInput(buf, (size_t)len);
	free(buf);
	return (0);
}

/* Replay a file or every regular file of a directory; count them. */
static int
replay_path(const char *path, int *count)
{
	struct stat	 st;
	struct dirent	*de;
	DIR		*dir;
	char		*file;
	int		 rc = 0;

	if (stat(path, &st) != 0)
		return (-1);
	if (!S_ISDIR(st.st_mode)) {
		(*count)++;
		return (replay_file(path));
	}
	if ((dir = opendir(path)) == NULL)
		return (-1);
	while ((de = readdir(dir)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		xasprintf(&file, "%s/%s", path, de->d_name);
		if (stat(file, &st) == 0 && S_ISREG(st.st_mode)) {
			(*count)++;
			if (replay_file(file) != 0)
				rc = -1;
		}
		free(file);
	}
	closedir(dir);
	return (rc);
}

int
main(int argc, char **argv)
{
	const char	*top;
	char		*dflt = NULL, **paths = argv + 1;
	int		 i, n = argc - 1, count, failed = 0;

	if (n == 0) {
		if ((top = getenv("top_srcdir")) == NULL)
			top = ".";
		xasprintf(&dflt, "%s/tests/corpus/%s", top, FUZZ_CORPUS);
		paths = &dflt;
		n = 1;
	}
	printf("1..%d\n", n);
	for (i = 0; i < n; i++) {
		count = 0;
		errno = 0;
		if (replay_path(paths[i], &count) != 0 || count == 0) {
			printf("not ok %d - %s: %s\n", i + 1, paths[i],
			    count == 0 ? "no inputs" : strerror(errno));
			failed++;
		} else
			printf("ok %d - replayed %d inputs from %s\n", i + 1,
			    count, paths[i]);
	}
	free(dflt);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
