/*
 * The message index: hash files per time range under <root>/index/ from
 * message keys and unique ids to commit log offsets (the RocketMQ IndexFile
 * design).  See petrel-store(5).
 */
#ifndef MSGINDEX_H
#define MSGINDEX_H

#include <stddef.h>
#include <stdint.h>

#define MSGINDEX_HEADER			64
#define MSGINDEX_SLOT			4
#define MSGINDEX_ENTRY			24
#define MSGINDEX_SLOTS_DEFAULT		5000000
#define MSGINDEX_ENTRIES_DEFAULT	20000000

#define MSGINDEX_KEY	'K'	/* a key from the KEYS property */
#define MSGINDEX_ID	'U'	/* the unique id (UNIQ_KEY) */

struct msgindex;

struct msgindex_hit {
	uint64_t	phys;
	uint32_t	size;
	uint64_t	ts;		/* store timestamp, ms */
};

struct msgindex	*msgindex_open(const char *, uint32_t, uint32_t, char **);
void		 msgindex_close(struct msgindex *);
size_t		 msgindex_files(struct msgindex *);
int		 msgindex_add(struct msgindex *, int, const char *, size_t,
		    const char *, size_t, uint64_t, uint32_t, uint64_t,
		    char **);
size_t		 msgindex_lookup(struct msgindex *, int, const char *, size_t,
		    const char *, size_t, uint64_t, uint64_t,
		    struct msgindex_hit *, size_t);
int		 msgindex_write(struct msgindex *, char **);
int		 msgindex_flush(struct msgindex *, char **);
int		 msgindex_delete_before(struct msgindex *, uint64_t, char **);

#endif /* MSGINDEX_H */
