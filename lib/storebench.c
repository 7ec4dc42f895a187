/*
 * Benchmark of the store actors (what `petrel bench store` runs, through
 * storebench_main(); tests/bench_store is the same as a program): the
 * dispatcher, flusher and writer on loops of their own, and a client on
 * the writer's loop, as a broker's sender shares the net loop with the
 * writer, keeping --writers requests of one message of --size bytes in
 * flight until --count are stored.  Prints appends and MB per second and the
 * 50th and 99th percentile latency from ask to answer, and the CPU time
 * the process spent a message (all threads: a steadier figure than the
 * rate on a shared machine); then times consume queue reads (unless
 * --no-reads, which leaves a profile of the appends alone).  With
 * --recover it only opens the store under --dir (after a crash,
 * recovering it) and prints how long that took.
 *
 * usage: ... store --dir DIR [--size BYTES] [--count N]
 *            [--flush async|sync] [--writers N] [--segment BYTES]
 *            [--no-reads] [--against-reference] [--json]
 *        ... store --dir DIR --recover [--segment BYTES] [--json]
 *        ... store --dir DIR --reference [--json]
 *
 * --reference measures what the targets are relative to, in the same
 * folder: sequential 1 MiB writes made durable at the end (dd bs=1M
 * conv=fdatasync) and the rate of 4 KiB appends each followed by
 * fdatasync(2).  --against-reference measures it just before the run and
 * prints the run's figure against it: MB/s against the sequential writes
 * with async flush, appends/s against the appends with fdatasync with sync
 * flush.
 */
#include "config.h"

#include <sys/resource.h>
#include <sys/stat.h>

#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "actor.h"
#include "broker.h"
#include "clock.h"
#include "commitlog.h"
#include "daemon.h"
#include "log.h"
#include "msg.h"
#include "runtime.pb-c.h"
#include "store.h"
#include "store.pb-c.h"
#include "store_actors.h"
#include "storebench.h"
#include "xmalloc.h"

#define STOREBENCH_SIZE_MAX	(4U * 1024 * 1024)	/* the largest message */
#define STOREBENCH_COUNT_MAX	100000000ULL	/* 8 bytes of latency each */
#define STOREBENCH_WRITERS_MAX	65536

struct bench_client {
	struct actor	*self;
	struct actor	*writer;
	uint64_t	 total;
	uint64_t	 sent;
	uint64_t	 done;
	uint64_t	 failed;
	size_t		 size;
	uint32_t	 window;
	uint64_t	*lat;		/* ns, one per message */
	uint8_t		*body;
};

static int	bench_on_start(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	bench_on_put(void *, ProtobufCMessage *,
		    const struct envelope *);

static const struct actor_handler bench_handlers[] = {
	{ &petrel__probe__descriptor, bench_on_start },
	{ &petrel__put_response__descriptor, bench_on_put },
	{ NULL, NULL }
};

static const struct actor_type bench_actor = {
	.name = "bench_client",
	.size = sizeof(struct bench_client),
	.handlers = bench_handlers
};

static const struct actor_type bench_main = { "main", 0, NULL, NULL, NULL };
static int		bench_done[2] = { -1, -1 };	/* a pipe */

/*
 * Ask the writer to store one more message, laid out as a record as the
 * broker's sender lays out what it is sent; the cookie is the time.
 */
static void
bench_send(struct bench_client *c)
{
	Petrel__PutRequest	*req;
	struct commitlog_msg	 cm;
	uint32_t		 size;

	memset(&cm, 0, sizeof cm);
	cm.topic = "BenchTopic";
	cm.topic_len = strlen(cm.topic);
	cm.queue_id = (uint32_t)(c->sent % 8);
	cm.born_ts = clock_wall_ms();
	cm.body = c->body;
	cm.body_len = c->size;
	size = (uint32_t)commitlog_record_size(&cm);
	req = msg_new(&petrel__put_request__descriptor);
	req->records.data = xmalloc(size);
	req->records.len = size;
	req->n_records = 1;
	commitlog_encode(req->records.data, &cm, size, 0);
	c->sent++;
	actor_ask(c->writer, req, c->self, clock_mono_ns());
}

static int
bench_on_start(void *state, ProtobufCMessage *m, const struct envelope *env)
{
	struct bench_client	*c = state;
	uint32_t		 i;

	for (i = 0; i < c->window && c->sent < c->total; i++)
		bench_send(c);
	return (0);
}

static int
bench_on_put(void *state, ProtobufCMessage *m, const struct envelope *env)
{
	struct bench_client	*c = state;
	Petrel__PutResponse	*r = (Petrel__PutResponse *)m;

	if (r->status != 0 && c->failed++ == 0)
		fprintf(stderr, "bench: put failed: %u %s\n", r->status,
		    r->reason);
	c->lat[c->done++] = clock_mono_ns() - env->cookie;
	if (c->sent < c->total)
		bench_send(c);
	if (c->done == c->total && write(bench_done[1], "", 1) != 1)
		fatal("bench: telling the main thread");
	return (0);
}

/* CPU time (user and system) of the whole process so far, in ns. */
static uint64_t
bench_cpu_ns(void)
{
	struct rusage	ru;

	getrusage(RUSAGE_SELF, &ru);
	return (((uint64_t)ru.ru_utime.tv_sec + (uint64_t)ru.ru_stime.tv_sec) *
	    1000000000 + ((uint64_t)ru.ru_utime.tv_usec +
	    (uint64_t)ru.ru_stime.tv_usec) * 1000);
}

static int
bench_cmp(const void *a, const void *b)
{
	uint64_t	x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x < y ? -1 : x > y);
}

/* Wait for a message at a detached actor, up to 60 s; NULL if none. */
static ProtobufCMessage *
bench_wait(struct actor *a)
{
	ProtobufCMessage	*m;
	uint64_t		 deadline = clock_mono_ns() + 60000000000ULL;

	while ((m = actor_pop(a, NULL)) == NULL) {
		if (clock_mono_ns() > deadline)
			return (NULL);
		usleep(200);
	}
	return (m);
}

static int
bench_recover(const char *dir, uint64_t segment, int json)
{
	struct store_config	 conf;
	struct store		*st;
	uint64_t		 t0, t1;
	char			*cause = NULL;

	memset(&conf, 0, sizeof conf);
	conf.segment_size = segment;
	t0 = clock_mono_ns();
	if ((st = store_open(dir, &conf, &cause)) == NULL) {
		fprintf(stderr, "bench store: %s\n", cause);
		free(cause);
		return (1);
	}
	t1 = clock_mono_ns();
	if (json)
		printf("{\"recovery_ms\": %.3f, \"log_bytes\": %llu, "
		    "\"revalidated_bytes\": %llu, \"crashed\": %d}\n",
		    (double)(t1 - t0) / 1e6,
		    (unsigned long long)commitlog_max_offset(
		    store_commitlog(st)),
		    (unsigned long long)store_stats(st)->recovered_bytes,
		    store_stats(st)->crashed);
	else
		printf("recovery: %.3f ms for a log of %llu bytes, %llu "
		    "re-validated (crashed: %d)\n", (double)(t1 - t0) / 1e6,
		    (unsigned long long)commitlog_max_offset(
		    store_commitlog(st)),
		    (unsigned long long)store_stats(st)->recovered_bytes,
		    store_stats(st)->crashed);
	store_free(st);
	return (0);
}

/* What the targets compare with (bench_reference). */
struct bench_ref {
	double	mb_per_sec;		/* sequential 1 MiB writes, then sync */
	double	syncs_per_sec;		/* 4 KiB appends, each fdatasync'd */
};

/* Time the reference figures in dir; 0, or -1 after saying why. */
static int
bench_reference(const char *dir, struct bench_ref *ref)
{
	char		*path, *buf;
	uint64_t	 t0, t1, t2;
	int		 fd, i, n = 200, rc = -1;
	size_t		 mb = 512;

	xasprintf(&path, "%s/bench-reference", dir);
	buf = xcalloc(1, 1 << 20);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644)) == -1) {
		fprintf(stderr, "bench store: %s: %s\n", path,
		    strerror(errno));
		free(buf);
		free(path);
		return (-1);
	}
	t0 = clock_mono_ns();
	for (i = 0; i < (int)mb; i++) {
		if (write(fd, buf, 1 << 20) != 1 << 20)
			goto out;
	}
	fdatasync(fd);
	t1 = clock_mono_ns();
	if (ftruncate(fd, 0) != 0)
		goto out;
	fdatasync(fd);
	t2 = clock_mono_ns();
	for (i = 0; i < n; i++) {
		if (write(fd, buf, 4096) != 4096)
			goto out;
		fdatasync(fd);
	}
	t2 = clock_mono_ns() - t2;
	ref->mb_per_sec = (double)mb * 1048576 / 1e6 /
	    ((double)(t1 - t0) / 1e9);
	ref->syncs_per_sec = (double)n / ((double)t2 / 1e9);
	rc = 0;
out:
	if (rc != 0)
		fprintf(stderr, "bench store: writing %s: %s\n", path,
		    strerror(errno));
	close(fd);
	unlink(path);
	free(buf);
	free(path);
	return (rc);
}

/* Print the reference figures alone. */
static int
bench_reference_main(const char *dir, int json)
{
	struct bench_ref	 ref;

	if (bench_reference(dir, &ref) != 0)
		return (1);
	if (json)
		printf("{\"seq_write_mb_per_sec\": %.1f, "
		    "\"append_fdatasync_per_sec\": %.0f}\n", ref.mb_per_sec,
		    ref.syncs_per_sec);
	else
		printf("reference: sequential write %.1f MB/s, 4 KiB append + "
		    "fdatasync %.0f/s\n", ref.mb_per_sec, ref.syncs_per_sec);
	return (0);
}

/* Read every queue through from the start; returns messages per second. */
static double
bench_reads(struct actor *dispatcher, struct actor *me, uint64_t *n)
{
	Petrel__GetRequest	*req;
	Petrel__GetResponse	*g;
	uint64_t		 t0 = clock_mono_ns(), off;
	uint32_t		 q;

	*n = 0;
	for (q = 0; q < 8; q++) {
		for (off = 0;;) {
			req = msg_new(&petrel__get_request__descriptor);
			msg_set_string(&req->topic, "BenchTopic");
			req->queue_id = q;
			req->offset = off;
			req->max_count = 256;
			actor_ask(dispatcher, req, me, 0);
			g = (Petrel__GetResponse *)bench_wait(me);
			if (g == NULL ||
			    !msg_is(g, &petrel__get_response__descriptor) ||
			    g->n_messages == 0) {
				msg_free(g);
				break;
			}
			*n += g->n_messages;
			off = g->next_offset;
			msg_free(g);
		}
	}
	return ((double)*n / ((double)(clock_mono_ns() - t0) / 1e9));
}

/* Parse option opt's value s as a whole number in [min, max]; 0 or -1. */
static int
storebench_number(const char *opt, const char *s, uint64_t min, uint64_t max,
    uint64_t *out)
{
	unsigned long long	 v;
	char			*end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (*s == '\0' || *s == '-' || *end != '\0' || errno != 0 ||
	    v < min || v > max) {
		fprintf(stderr, "bench store: %s: '%s' is not a number from "
		    "%" PRIu64 " to %" PRIu64 "\n", opt, s, min, max);
		return (-1);
	}
	*out = v;
	return (0);
}

/*
 * Run the benchmark with argv as its options (argv[0] is the command's
 * name); returns the exit status: 0, 1 on failure, 2 on bad usage.
 */
int
storebench_main(int argc, char **argv)
{
	struct loop		*loops[3];
	struct actor		*actors[4], *me;
	struct bench_client	*c;
	Petrel__StoreConfig	*sc;
	Petrel__Configured	*ack;
	const char		*dir = NULL, *flush = "async";
	uint64_t		 count = 100000, segment = 0, t0, t1, reads;
	uint64_t		 cpu0, cpu1;
	uint64_t		 size = 1024, writers = 1;
	double			 secs, rps;
	int			 i, json = 0, recover = 0, reference = 0;
	int			 noreads = 0, against = 0;
	struct bench_ref	 ref;
	double			 vs = 0, mine;
	char			 ch;
	int			 c_failed_exit;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (strcmp(argv[i], "--recover") == 0)
			recover = 1;
		else if (strcmp(argv[i], "--reference") == 0)
			reference = 1;
		else if (strcmp(argv[i], "--against-reference") == 0)
			against = 1;
		else if (strcmp(argv[i], "--no-reads") == 0)
			noreads = 1;
		else if (i + 1 < argc && strcmp(argv[i], "--dir") == 0)
			dir = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "--size") == 0) {
			if (storebench_number(argv[i], argv[i + 1], 1,
			    STOREBENCH_SIZE_MAX, &size) != 0)
				return (2);
			i++;
		} else if (i + 1 < argc && strcmp(argv[i], "--count") == 0) {
			if (storebench_number(argv[i], argv[i + 1], 1,
			    STOREBENCH_COUNT_MAX, &count) != 0)
				return (2);
			i++;
		} else if (i + 1 < argc && strcmp(argv[i], "--flush") == 0) {
			flush = argv[++i];
			if (strcmp(flush, "async") != 0 &&
			    strcmp(flush, "sync") != 0) {
				fprintf(stderr, "bench store: --flush: '%s' is "
				    "neither async nor sync\n", flush);
				return (2);
			}
		} else if (i + 1 < argc && strcmp(argv[i], "--writers") == 0) {
			if (storebench_number(argv[i], argv[i + 1], 1,
			    STOREBENCH_WRITERS_MAX, &writers) != 0)
				return (2);
			i++;
		} else if (i + 1 < argc && strcmp(argv[i], "--segment") == 0) {
			if (storebench_number(argv[i], argv[i + 1], 0,
			    UINT64_C(1) << 40, &segment) != 0)
				return (2);
			i++;
		} else {
			fprintf(stderr, "usage: %s --dir DIR [--size "
			    "BYTES] [--count N] [--flush async|sync] "
			    "[--writers N] [--segment BYTES] [--no-reads] "
			    "[--recover] [--reference] [--against-reference] "
			    "[--json]\n", argv[0]);
			return (2);
		}
	}
	if (dir == NULL || count == 0 || writers == 0) {
		fprintf(stderr, "bench store: --dir is required; --count and "
		    "--writers must not be 0\n");
		return (2);
	}
	if (recover)
		return (bench_recover(dir, segment, json));
	if (reference || against) {
		mkdir(dir, 0755);
		if (reference)
			return (bench_reference_main(dir, json));
		if (bench_reference(dir, &ref) != 0)
			return (1);
		/* Async flush compares bandwidth, sync flush fsyncs. */
		vs = strcmp(flush, "sync") == 0 ? ref.syncs_per_sec :
		    ref.mb_per_sec;
	}
	if (pipe(bench_done) != 0) {
		fprintf(stderr, "bench store: pipe: %s\n", strerror(errno));
		return (1);
	}

	daemon_malloc_init();		/* as a broker */
	loops[0] = loop_new("writer");
	loops[1] = loop_new("flusher");
	loops[2] = loop_new("dispatcher");
	actors[0] = actor_spawn(loops[2], &dispatcher_actor, "dispatcher");
	actors[1] = actor_spawn(loops[1], &flusher_actor, "flusher");
	actors[2] = actor_spawn(loops[0], &commitlog_writer_actor, "writer");
	/* On the writer's loop, as a broker's sender. */
	actors[3] = actor_spawn(loops[0], &bench_actor, "client");
	me = actor_spawn(NULL, &bench_main, "main");
	c = actor_state(actors[3]);
	c->self = actors[3];
	c->writer = actors[2];
	c->total = count;
	c->size = (size_t)size;
	c->window = (uint32_t)writers;
	c->lat = xcalloc(count, sizeof *c->lat);
	c->body = xmalloc(size == 0 ? 1 : size);
	memset(c->body, 'x', size);
	for (i = 0; i < 3; i++)
		loop_start(loops[i]);

	sc = msg_new(&petrel__store_config__descriptor);
	msg_set_string(&sc->root, dir);
	sc->segment_size = segment;
	sc->flush_mode = strcmp(flush, "sync") == 0 ?
	    PETREL__FLUSH_MODE__FLUSH_SYNC : PETREL__FLUSH_MODE__FLUSH_ASYNC;
	sc->dispatch_interval_ms = BROKER_DISPATCH_MS;	/* as a broker's */
	sc->writer = actor_ref(actors[2]);
	sc->flusher = actor_ref(actors[1]);
	actor_ask(actors[0], sc, me, 1);
	ack = (Petrel__Configured *)bench_wait(me);
	if (ack == NULL || *ack->error != '\0') {
		fprintf(stderr, "bench store: %s\n", ack == NULL ?
		    "the store did not open within 60 s" : ack->error);
		msg_free(ack);
		free(c->lat);
		free(c->body);
		actor_shutdown(loops, 3, actors, 4, 10000);
		actor_free(me);
		close(bench_done[0]);
		close(bench_done[1]);
		return (1);
	}
	msg_free(ack);

	t0 = clock_mono_ns();
	cpu0 = bench_cpu_ns();
	actor_send(actors[3], msg_new(&petrel__probe__descriptor));
	/* Block: polling would take CPU from the actors measured. */
	while (read(bench_done[0], &ch, 1) != 1 && errno == EINTR)
		;
	t1 = clock_mono_ns();
	cpu1 = bench_cpu_ns();
	secs = (double)(t1 - t0) / 1e9;
	qsort(c->lat, count, sizeof *c->lat, bench_cmp);
	rps = 0;
	reads = 0;
	if (!noreads)
		rps = bench_reads(actors[0], me, &reads);
	mine = strcmp(flush, "sync") == 0 ? (double)count / secs :
	    (double)count * size / secs / 1e6;
	if (json && against)
		printf("{\"reference_mb_per_sec\": %.1f, "
		    "\"reference_syncs_per_sec\": %.0f, "
		    "\"vs_reference\": %.3f, ", ref.mb_per_sec,
		    ref.syncs_per_sec, vs > 0 ? mine / vs : 0);
	else if (against)
		printf("reference: sequential write %.1f MB/s, 4 KiB append + "
		    "fdatasync %.0f/s; this run's %s is %.0f%% of it\n",
		    ref.mb_per_sec, ref.syncs_per_sec, strcmp(flush,
		    "sync") == 0 ? "appends/s" : "MB/s",
		    vs > 0 ? 100 * mine / vs : 0);
	if (json)
		printf("%s\"size\": %" PRIu64 ", \"count\": %llu, "
		    "\"flush\": \"%s\", \"writers\": %" PRIu64 ", "
		    "\"msgs_per_sec\": %.0f, "
		    "\"mb_per_sec\": %.1f, \"p50_us\": %.1f, \"p99_us\": %.1f, "
		    "\"cpu_us_per_msg\": %.2f, "
		    "\"failed\": %llu, \"cq_reads_per_sec\": %.0f}\n",
		    against ? "" : "{",
		    size, (unsigned long long)count, flush, writers,
		    (double)count / secs, (double)count * size / secs / 1e6,
		    (double)c->lat[count / 2] / 1e3,
		    (double)c->lat[count * 99 / 100] / 1e3,
		    (double)(cpu1 - cpu0) / 1e3 / (double)count,
		    (unsigned long long)c->failed, rps);
	else
		printf("%llu x %" PRIu64 " B, %s flush, %" PRIu64 " writers: "
		    "%.0f msgs/s, "
		    "%.1f MB/s, p50 %.1f us, p99 %.1f us, %.2f us CPU a "
		    "message, %llu failed; %llu reads at %.0f msgs/s\n",
		    (unsigned long long)count, size, flush, writers,
		    (double)count / secs, (double)count * size / secs / 1e6,
		    (double)c->lat[count / 2] / 1e3,
		    (double)c->lat[count * 99 / 100] / 1e3,
		    (double)(cpu1 - cpu0) / 1e3 / (double)count,
		    (unsigned long long)c->failed, (unsigned long long)reads,
		    rps);
	c_failed_exit = c->failed != 0;
	free(c->lat);
	free(c->body);
	actor_shutdown(loops, 3, actors, 4, 10000);
	actor_free(me);
	close(bench_done[0]);
	close(bench_done[1]);
	return (c_failed_exit);
}
