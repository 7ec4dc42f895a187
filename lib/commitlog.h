/*
 * The commit log: every message of every topic appended to one log of
 * fixed-size mapped segment files under <root>/commitlog/.  See
 * petrel-store(5) for the byte layout.
 */
#ifndef COMMITLOG_H
#define COMMITLOG_H

#include <stddef.h>
#include <stdatomic.h>
#include <stdint.h>

#include "name.h"

#define COMMITLOG_MAGIC		0x4c525450U	/* "PTRL" */
#define COMMITLOG_BLANK_MAGIC	0x4b4c4250U	/* "PBLK" */
#define COMMITLOG_FIXED		93	/* bytes before the topic */
#define COMMITLOG_BLANK_MIN	8	/* size and magic */
#define COMMITLOG_TOPIC_MAX	NAME_LEN_MAX
#define COMMITLOG_PROPS_MAX	65535
#define COMMITLOG_SEGMENT_MIN	(64ULL * 1024)
#define COMMITLOG_SEGMENT_DEFAULT (1024ULL * 1024 * 1024)
#define COMMITLOG_MAXMSG_DEFAULT (4U * 1024 * 1024)

/* Record flags. */
#define COMMITLOG_F_COMPRESSED	0x1	/* body is compress_lz4() output */
#define COMMITLOG_F_TX_MASK	0x6	/* transaction state */
#define COMMITLOG_F_TX_NONE	0x0
#define COMMITLOG_F_TX_PREPARED	0x2	/* half message */
#define COMMITLOG_F_TX_COMMIT	0x4
#define COMMITLOG_F_TX_ROLLBACK	0x6
#define COMMITLOG_F_KNOWN	0x7

/* Property separators, as RocketMQ: name \001 value \002 ... */
#define COMMITLOG_PROP_NV	'\001'
#define COMMITLOG_PROP_SEP	'\002'
#define COMMITLOG_PROP_KEYS	"KEYS"		/* space-separated keys */
#define COMMITLOG_PROP_TAGS	"TAGS"
#define COMMITLOG_PROP_UNIQ	"UNIQ_KEY"	/* the message's unique id */

/* decode results */
#define COMMITLOG_END		0	/* no record here: end of data */
#define COMMITLOG_RECORD	1
#define COMMITLOG_BLANK		2	/* padding to the segment's end */

struct commitlog;

/*
 * Where the log ends, as its writer last published it (after the bytes
 * are in the page cache), for readers on other threads to catch up to
 * without waiting for a message.
 */
struct commitlog_tail {
	_Atomic uint64_t	end;
};

struct commitlog_host {
	/* IPv6, or IPv4-mapped ::ffff:a.b.c.d */
	uint8_t		addr[16];
	uint16_t	port;
};

/*
 * One message.  Appending reads every field but phys and size; decoding
 * fills every field, with pointers into the mapping (topic is not
 * NUL-terminated there: use topic_len).
 */
struct commitlog_msg {
	const char		*topic;
	size_t			 topic_len;	/* 0: strlen(topic) on append */
	uint32_t		 queue_id;
	uint64_t		 queue_offset;
	uint32_t		 flags;
	uint64_t		 born_ts;	/* ms since the epoch */
	uint64_t		 store_ts;
	struct commitlog_host	 born_host;
	struct commitlog_host	 store_host;
	uint32_t		 reconsume;
	const void		*props;
	size_t			 props_len;
	const void		*body;
	size_t			 body_len;

	uint64_t		 phys;		/* commit log offset */
	uint32_t		 size;		/* record bytes */
};

struct commitlog_config {
	uint64_t	segment_size;	/* 0: as on disk, else the default */
	uint32_t	max_msg_size;	/* 0: the default, or what fits */
	int		readonly;	/* a reader's view of another's log */
	/* another handle may be creating files */
	int		keep_temps;
};

struct commitlog	*commitlog_open(const char *,
			    const struct commitlog_config *, char **);
void			 commitlog_close(struct commitlog *);
uint64_t		 commitlog_segment_size(struct commitlog *);
uint64_t		 commitlog_min_offset(struct commitlog *);
uint64_t		 commitlog_max_offset(struct commitlog *);
uint64_t		 commitlog_flushed(struct commitlog *);
size_t			 commitlog_segments(struct commitlog *);

uint64_t commitlog_record_size(const struct commitlog_msg *);
int	commitlog_validate(struct commitlog *, const struct commitlog_msg *,
	    uint32_t *, char **);
int	commitlog_append(struct commitlog *, struct commitlog_msg *, size_t,
	    char **);
int	commitlog_prepare(struct commitlog *, char **);
void	commitlog_will_read(struct commitlog *, uint64_t, uint64_t);
void	commitlog_warm(struct commitlog *, uint64_t, uint64_t, void *, size_t);
int	commitlog_flush(struct commitlog *, char **);
int	commitlog_sync(struct commitlog *, uint64_t, uint64_t, char **);

void	commitlog_encode(void *, const struct commitlog_msg *, uint32_t,
	    uint64_t);
int	commitlog_parse(const void *, size_t, struct commitlog_msg *, char **);
int	commitlog_decode(const void *, size_t, uint64_t,
	    struct commitlog_msg *, char **);
int	commitlog_read(struct commitlog *, uint64_t, struct commitlog_msg *,
	    char **);
int	commitlog_next(struct commitlog *, uint64_t *, uint64_t,
	    struct commitlog_msg *, char **);

int	commitlog_set_end(struct commitlog *, uint64_t, char **);
void	commitlog_follow(struct commitlog *, uint64_t);
void	commitlog_trust(struct commitlog *, int);
void	commitlog_forget_before(struct commitlog *, uint64_t);
int	commitlog_recover(struct commitlog *, uint64_t, uint64_t *,
	    char **);
int	commitlog_delete_before(struct commitlog *, uint64_t, uint64_t,
	    size_t, char **);
int	commitlog_segment_info(struct commitlog *, size_t, uint64_t *,
	    uint64_t *);

int	commitlog_is_queued(uint32_t);
int	commitlog_topic_ok(const char *, size_t);
const char *commitlog_prop_get(const void *, size_t, const char *, size_t *);

#endif /* COMMITLOG_H */
