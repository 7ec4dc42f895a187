/*
 * The consumed offsets of a broadcasting consumer, kept in a local file
 * (every member has its own) rather than on the broker.
 */
#ifndef OFFSETFILE_H
#define OFFSETFILE_H

#include <stdint.h>

struct offsetfile;

struct offsetfile *offsetfile_open(const char *, const char *, char **);
void	offsetfile_free(struct offsetfile *);
int	offsetfile_get(struct offsetfile *, const char *, const char *,
	    uint32_t, uint64_t *);
void	offsetfile_set(struct offsetfile *, const char *, const char *,
	    uint32_t, uint64_t);
int	offsetfile_save(struct offsetfile *, char **);
char	*offsetfile_default_path(const char *);

#endif /* OFFSETFILE_H */
