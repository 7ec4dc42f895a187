/*
 * Fixed-size files mapped into memory, the building block of commit log
 * segments, consume queue segments and index files.  Files are named by a
 * 20-digit decimal number (a start offset or a time) inside one folder.
 */
#ifndef MAPFILE_H
#define MAPFILE_H

#include <stddef.h>
#include <stdint.h>

#define MAPFILE_NAME_LEN	20

void	*mapfile_create(const char *, uint64_t, size_t, int, char **);
void	*mapfile_open(const char *, uint64_t, size_t, int, char **);
void	 mapfile_unmap(void *, size_t);
int	 mapfile_open_fd(const char *, uint64_t, char **);
int	 mapfile_write(int, const void *, size_t, uint64_t, char **);
int	 mapfile_sync(void *, size_t, size_t, char **);
int	 mapfile_zero(const char *, uint64_t, void *, size_t, size_t,
	    char **);
int	 mapfile_remove(const char *, uint64_t, char **);
int	 mapfile_list(const char *, int, uint64_t **, size_t *, char **);
int	 mapfile_mkdirs(const char *, char **);
int	 mapfile_sync_dir(const char *);
char	*mapfile_path(const char *, uint64_t);
void	 mapfile_touch(void *, size_t);

#endif /* MAPFILE_H */
