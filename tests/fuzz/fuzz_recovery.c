/*
 * libFuzzer target for commit log recovery (lib/store.c, lib/commitlog.c):
 * the input corrupts a segment that starts with valid records.  Its first
 * two bytes (little endian) say where in the segment the rest of the input
 * is written over the records; the store is then opened as after a crash.
 * Recovery must never crash, must serve only records that check out, and
 * the recovered store must take a new message and reopen cleanly.  The
 * input is also decoded directly as one record.  Built with libFuzzer by
 * --enable-fuzzing and tests/integration/fuzz_recovery.sh, and with
 * tests/fuzz/replay.c into a program that replays the seed corpus.
 */
#include "config.h"

#include <sys/stat.h>

#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commitlog.h"
#include "log.h"
#include "store.h"
#include "xmalloc.h"

#define FUZZ_SEG	(64 * 1024)
#define FUZZ_QUEUES	3

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const struct store_config fuzz_conf = { FUZZ_SEG, 8192, 64, 13, 64 };
static char	*fuzz_root;
static uint8_t	*fuzz_prefix;		/* a segment of valid records */
static size_t	 fuzz_prefix_len;

static int
fuzz_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return (remove(path));
}

/* Empty the store folder. */
static void
fuzz_clear(void)
{
	nftw(fuzz_root, fuzz_rm, 16, FTW_DEPTH | FTW_PHYS);
	mkdir(fuzz_root, 0755);
}

/* Append one message number seq. */
static int
fuzz_put(struct store *st, uint64_t seq)
{
	struct commitlog_msg	 m;
	char			 props[64], body[300];
	char			*cause = NULL;
	int			 n;

	memset(&m, 0, sizeof m);
	n = snprintf(props, sizeof props, "KEYS\001k%llu\002TAGS\001t%llu",
	    (unsigned long long)seq, (unsigned long long)(seq % 2));
	memset(body, 'a' + (int)(seq % 26), sizeof body);
	m.topic = "TopicF";
	m.queue_id = (uint32_t)(seq % FUZZ_QUEUES);
	m.store_ts = 1000 + seq;
	m.props = props;
	m.props_len = (size_t)n;
	m.body = body;
	m.body_len = (size_t)(seq * 37) % sizeof body;
	if (store_put(st, &m, 1, &cause) != 0) {
		free(cause);
		return (-1);
	}
	return (0);
}

/* Build the valid segment once, with a real store. */
static void
fuzz_init(void)
{
	struct store	*st;
	char		*path, *cause = NULL;
	uint64_t	 seq;
	FILE		*f;

	log_init("fuzz_recovery", LOG_LEVEL_WARN);
	xasprintf(&fuzz_root, "%s/petrel-fuzz-recovery.%ld",
	    access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp",
	    (long)getpid());
	fuzz_clear();
	if ((st = store_open(fuzz_root, &fuzz_conf, &cause)) == NULL)
		fatalx("fuzz store: %s", cause);
	for (seq = 0; seq < 40; seq++) {
		if (fuzz_put(st, seq) != 0)
			fatalx("fuzz store: put failed");
	}
	fuzz_prefix_len = commitlog_max_offset(store_commitlog(st));
	if (store_close(st, &cause) != 0)
		fatalx("fuzz store: %s", cause);
	fuzz_prefix = xcalloc(1, FUZZ_SEG);
	xasprintf(&path, "%s/commitlog/%020d", fuzz_root, 0);
	if ((f = fopen(path, "rb")) == NULL ||
	    fread(fuzz_prefix, 1, FUZZ_SEG, f) != FUZZ_SEG)
		fatalx("fuzz store: cannot read %s", path);
	fclose(f);
	free(path);
}

/* Write the segment and an abort marker, as a crash would leave them. */
static void
fuzz_lay(const uint8_t *seg)
{
	char	*path;
	int	 fd;

	fuzz_clear();
	xasprintf(&path, "%s/commitlog", fuzz_root);
	mkdir(path, 0755);
	free(path);
	xasprintf(&path, "%s/commitlog/%020d", fuzz_root, 0);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd == -1 || write(fd, seg, FUZZ_SEG) != FUZZ_SEG)
		fatalx("cannot write %s", path);
	close(fd);
	free(path);
	xasprintf(&path, "%s/abort", fuzz_root);
	close(open(path, O_WRONLY | O_CREAT, 0644));
	free(path);
}

/* Read every queue through; every record served has been checked. */
static size_t
fuzz_read(struct store *st)
{
	struct commitlog_msg	 out[8];
	struct store_get	 g;
	uint64_t		 off;
	uint32_t		 qid;
	size_t			 total = 0, i;
	char			*cause = NULL;

	for (qid = 0; qid < FUZZ_QUEUES; qid++) {
		for (off = 0;; off = g.next) {
			g.msgs = out;
			if (store_get(st, "TopicF", 6, qid, off, 8, 1 << 20,
			    NULL, 0, &g, &cause) != 0) {
				free(cause);
				break;
			}
			if (g.status != STORE_FOUND)
				break;
			for (i = 0; i < g.n; i++) {
				if (out[i].queue_id != qid ||
				    out[i].queue_offset != off + i)
					fatalx("served a wrong record");
			}
			total += g.n;
		}
	}
	return (total);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct commitlog_msg	 m;
	struct store		*st;
	uint8_t			*seg;
	size_t			 at, n, before;
	char			*cause = NULL;

	if (fuzz_root == NULL)
		fuzz_init();
	if (commitlog_decode(data, size, 0, &m, &cause) == -1)
		free(cause);
	cause = NULL;

	seg = xcalloc(1, FUZZ_SEG);
	memcpy(seg, fuzz_prefix, FUZZ_SEG);
	at = size >= 2 ? (size_t)(data[0] | data[1] << 8) : FUZZ_SEG;
	if (size > 2 && at < FUZZ_SEG) {
		n = size - 2 < FUZZ_SEG - at ? size - 2 : FUZZ_SEG - at;
		memcpy(seg + at, data + 2, n);
	}
	fuzz_lay(seg);
	free(seg);

	if ((st = store_open(fuzz_root, &fuzz_conf, &cause)) == NULL) {
		free(cause);
		return (0);
	}
	before = fuzz_read(st);
	if (fuzz_put(st, 1000) != 0 || store_close(st, &cause) != 0) {
		free(cause);
		return (0);
	}
	if ((st = store_open(fuzz_root, &fuzz_conf, &cause)) == NULL)
		fatalx("clean reopen failed: %s", cause);
	if (fuzz_read(st) != before + 1)
		fatalx("the new message is not there after a clean stop");
	store_free(st);
	return (0);
}
