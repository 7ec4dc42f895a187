/*
 * Mapped fixed-size files for the store (commitlog.c, consumequeue.c,
 * msgindex.c).  A file is created under a temporary name, preallocated
 * with posix_fallocate(3) (so writes through the mapping never meet a full
 * disk as SIGBUS), then renamed into place and the folder synced, so a
 * crash never leaves a short file under a real name.
 */
#include "config.h"

#include <sys/mman.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mapfile.h"
#include "xmalloc.h"

/* The path of file number n in dir; caller frees. */
char *
mapfile_path(const char *dir, uint64_t n)
{
	char	*path;

	xasprintf(&path, "%s/%020llu", dir, (unsigned long long)n);
	return (path);
}

/* Create every missing folder of path, like mkdir -p. */
int
mapfile_mkdirs(const char *path, char **cause)
{
	char	*copy, *p;
	int	 last;

	copy = xstrdup(path);
	for (p = copy + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		last = (*p == '\0');
		*p = '\0';
		if (mkdir(copy, 0755) != 0 && errno != EEXIST) {
			xasprintf(cause, "mkdir %s: %s", copy,
			    strerror(errno));
			free(copy);
			return (-1);
		}
		if (last)
			break;
		*p = '/';
	}
	free(copy);
	return (0);
}

/* fsync a folder so entries created or removed in it survive a crash. */
int
mapfile_sync_dir(const char *dir)
{
	int	fd, r;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return (-1);
	r = fsync(fd);
	close(fd);
	return (r);
}

/* Map size bytes of fd; NULL and *cause on failure. */
static void *
mapfile_map(int fd, const char *path, size_t size, int writable,
    char **cause)
{
	void	*base;
	int	 prot = PROT_READ | (writable ? PROT_WRITE : 0);

	base = mmap(NULL, size, prot, MAP_SHARED, fd, 0);
	if (base == MAP_FAILED) {
		xasprintf(cause, "mmap %s: %s", path, strerror(errno));
		return (NULL);
	}
	return (base);
}

/*
 * Create file n of size bytes in dir, preallocated and mapped read-write.
 * With warm, touch every page now so the first writes do not fault.  Two
 * creators may race (the writer and the flusher preparing ahead): each
 * builds its own temporary and only one rename wins (RENAME_NOREPLACE);
 * the loser maps the winner's file, so nobody ever writes into a file that
 * another has replaced.
 */
void *
mapfile_create(const char *dir, uint64_t n, size_t size, int warm,
    char **cause)
{
	static _Atomic unsigned	 seq;
	char			*path, *tmp;
	void			*base = NULL;
	int			 fd, error;

	path = mapfile_path(dir, n);
	xasprintf(&tmp, "%s.tmp.%ld.%u", path, (long)getpid(), seq++);
	fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd == -1) {
		xasprintf(cause, "create %s: %s", tmp, strerror(errno));
		goto out;
	}
	if ((error = posix_fallocate(fd, 0, (off_t)size)) != 0) {
		xasprintf(cause, "allocate %zu bytes for %s: %s", size, path,
		    strerror(error));
		goto fail;
	}
	if ((base = mapfile_map(fd, path, size, 1, cause)) == NULL)
		goto fail;
	if (warm)
		mapfile_touch(base, size);
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) != 0) {
		error = errno;
		munmap(base, size);
		base = NULL;
		close(fd);
		unlink(tmp);
		if (error == EEXIST)
			base = mapfile_open(dir, n, size, 1, cause);
		else
			xasprintf(cause, "rename %s: %s", tmp, strerror(error));
		goto out;
	}
	close(fd);
	mapfile_sync_dir(dir);
	goto out;
fail:
	close(fd);
	unlink(tmp);
out:
	free(tmp);
	free(path);
	return (base);
}

/*
 * Map existing file n of dir, which must be exactly size bytes: a file of
 * another size is refused with a cause rather than half-read.
 */
void *
mapfile_open(const char *dir, uint64_t n, size_t size, int writable,
    char **cause)
{
	struct stat	 st;
	char		*path;
	void		*base = NULL;
	int		 fd;

	path = mapfile_path(dir, n);
	fd = open(path, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (fd == -1) {
		xasprintf(cause, "open %s: %s", path, strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) != 0) {
		xasprintf(cause, "stat %s: %s", path, strerror(errno));
		goto done;
	}
	if ((uint64_t)st.st_size != size) {
		xasprintf(cause, "%s is %lld bytes, expected %zu", path,
		    (long long)st.st_size, size);
		goto done;
	}
	base = mapfile_map(fd, path, size, writable, cause);
done:
	close(fd);
out:
	free(path);
	return (base);
}

/* Open file n of dir read-write for mapfile_write(); -1 and *cause. */
int
mapfile_open_fd(const char *dir, uint64_t n, char **cause)
{
	char	*path;
	int	 fd;

	path = mapfile_path(dir, n);
	if ((fd = open(path, O_RDWR | O_CLOEXEC)) == -1)
		xasprintf(cause, "open %s: %s", path, strerror(errno));
	free(path);
	return (fd);
}

/*
 * Write len bytes at off of fd, all of them: into the page cache, which
 * every mapping of the file shares, without faulting pages into a mapping
 * of the writer's (nor write-protecting them again at each writeback).
 */
int
mapfile_write(int fd, const void *buf, size_t len, uint64_t off,
    char **cause)
{
	const uint8_t	*p = buf;
	ssize_t		 n;

	while (len > 0) {
		n = pwrite(fd, p, len, (off_t)off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			xasprintf(cause, "write of %zu bytes at %llu: %s", len,
			    (unsigned long long)off,
			    n == 0 ? "no progress" : strerror(errno));
			return (-1);
		}
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return (0);
}

/* Unmap a mapping made by mapfile_create() or mapfile_open(). */
void
mapfile_unmap(void *base, size_t size)
{
	if (base != NULL)
		munmap(base, size);
}

/* Write one byte per page so the pages are allocated before use. */
void
mapfile_touch(void *base, size_t size)
{
	volatile uint8_t	*p = base;
	size_t			 off, page = (size_t)sysconf(_SC_PAGESIZE);

	for (off = 0; off < size; off += page)
		p[off] = 0;
}

/*
 * Make bytes [from, to) of a mapping durable: msync(MS_SYNC) of the pages
 * covering them, which on Linux is fdatasync(2) of that file range.
 */
int
mapfile_sync(void *base, size_t from, size_t to, char **cause)
{
	size_t	page = (size_t)sysconf(_SC_PAGESIZE);

	if (to <= from)
		return (0);
	from &= ~(page - 1);
	if (msync((uint8_t *)base + from, to - from, MS_SYNC) != 0) {
		xasprintf(cause, "msync: %s", strerror(errno));
		return (-1);
	}
	return (0);
}

/*
 * Zero bytes [from, size) of file n of dir, mapped at base: the whole pages
 * by FALLOC_FL_ZERO_RANGE where the file system has it (no data written),
 * else by writing zeros; then sync.
 */
int
mapfile_zero(const char *dir, uint64_t n, void *base, size_t from,
    size_t size, char **cause)
{
	size_t	 page = (size_t)sysconf(_SC_PAGESIZE);
	size_t	 up = (from + page - 1) & ~(page - 1);
	char	*path;
	int	 fd, done = 0;

	if (from >= size)
		return (0);
	if (up > size)
		up = size;
	memset((uint8_t *)base + from, 0, up - from);
	if (up < size) {
		path = mapfile_path(dir, n);
		if ((fd = open(path, O_RDWR | O_CLOEXEC)) != -1) {
#ifdef FALLOC_FL_ZERO_RANGE
			if (fallocate(fd, FALLOC_FL_ZERO_RANGE, (off_t)up,
			    (off_t)(size - up)) == 0)
				done = 1;
#endif
			close(fd);
		}
		free(path);
		if (!done)
			memset((uint8_t *)base + up, 0, size - up);
	}
	return (mapfile_sync(base, from, size, cause));
}

/* Remove file n of dir. */
int
mapfile_remove(const char *dir, uint64_t n, char **cause)
{
	char	*path;
	int	 r = 0;

	path = mapfile_path(dir, n);
	if (unlink(path) != 0 && errno != ENOENT) {
		xasprintf(cause, "unlink %s: %s", path, strerror(errno));
		r = -1;
	}
	free(path);
	return (r);
}

static int
mapfile_cmp(const void *a, const void *b)
{
	uint64_t	x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x < y ? -1 : x > y);
}

/*
 * List the numbers of the files in dir named by exactly 20 digits, sorted;
 * *list is allocated (caller frees).  A missing folder is an empty list.
 * With cleanup (only the folder's writer may), leftover temporary files of
 * an interrupted create are removed.
 */
int
mapfile_list(const char *dir, int cleanup, uint64_t **list, size_t *count,
    char **cause)
{
	DIR		*d;
	struct dirent	*de;
	uint64_t	*v = NULL;
	size_t		 n = 0, cap = 0, i;
	char		*tmp;

	*list = NULL;
	*count = 0;
	if ((d = opendir(dir)) == NULL) {
		if (errno == ENOENT)
			return (0);
		xasprintf(cause, "opendir %s: %s", dir, strerror(errno));
		return (-1);
	}
	while ((de = readdir(d)) != NULL) {
		for (i = 0; i < MAPFILE_NAME_LEN; i++) {
			if (de->d_name[i] < '0' || de->d_name[i] > '9')
				break;
		}
		if (i != MAPFILE_NAME_LEN)
			continue;
		if (cleanup && strncmp(de->d_name + i, ".tmp", 4) == 0) {
			xasprintf(&tmp, "%s/%s", dir, de->d_name);
			unlink(tmp);
			free(tmp);
			continue;
		}
		if (de->d_name[i] != '\0')
			continue;
		if (n == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			v = xreallocarray(v, cap, sizeof *v);
		}
		v[n++] = strtoull(de->d_name, NULL, 10);
	}
	closedir(d);
	if (n > 0)
		qsort(v, n, sizeof *v, mapfile_cmp);
	*list = v;
	*count = n;
	return (0);
}
