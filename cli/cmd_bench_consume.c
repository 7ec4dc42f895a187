/*
 * petrel bench consume --topic T --group G --count N [--json]: drains N
 * messages through libpetrel's pull API as fast as it can (RocketMQ's
 * Consumer benchmark), or fewer when none comes for --idle seconds (as
 * Kafka's consumer performance tool's --timeout), printing each second the
 * rate and the mean and largest latency from store and from birth to
 * consume, then the totals: messages a second and the latency from store to
 * delivery (p50, p99, p99.9, in microseconds; the broker stores
 * milliseconds, so latencies are counted per millisecond, in a histogram
 * that grows as needed).
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "cli.h"
#include "clock.h"
#include "json.h"
#include "petrel.h"
#include "xmalloc.h"

static int	cmd_bench_consume_exec(struct cli *, struct cmd_args *);

static const struct cmd_option cmd_bench_consume_options[] = {
	{ "topic", 0, "topic", "the topic to consume (required)" },
	{ "group", 'g', "group", "the consumer group (required)" },
	{ "count", 'c', "n", "messages to consume (required)" },
	{ "from", 0, "first|last|time", "where a new group starts (as for "
	    "consume); default first" },
	{ "idle", 0, "S", "stop when no message came for S seconds (default "
	    "10; 0: wait for ever)" },
	{ NULL, 0, NULL, NULL }
};

const struct cmd_entry cmd_bench_consume_entry = {
	.noun = "bench",
	.verb = "consume",
	.usage = "",
	.lower = 0,
	.upper = 0,
	.options = cmd_bench_consume_options,
	.help = "time consuming messages of a topic",
	.exec = cmd_bench_consume_exec
};

/*
 * Latencies in milliseconds, counted in buckets: one per value below
 * 2 * CMD_BENCH_SUB, above that CMD_BENCH_SUB per power of two (so
 * within 0.05%), like HdrHistogram.  No sorting, no memory per message.
 */
#define CMD_BENCH_SUB	2048
struct cmd_bench_consume_hist {
	uint64_t	*n;		/* by bucket */
	size_t		 size;
	uint64_t	 total;
};

/* The bucket of ms milliseconds. */
static size_t
cmd_bench_consume_bucket(uint64_t ms)
{
	unsigned int	shift = 0;

	while ((ms >> shift) >= 2 * CMD_BENCH_SUB)
		shift++;
	return ((size_t)CMD_BENCH_SUB * shift + (size_t)(ms >> shift));
}

/* The least milliseconds of bucket i. */
static uint64_t
cmd_bench_consume_value(size_t i)
{
	size_t	shift;

	if (i < 2 * CMD_BENCH_SUB)
		return (i);
	shift = i / CMD_BENCH_SUB - 1;
	return ((uint64_t)(i - CMD_BENCH_SUB * shift) << shift);
}

/* Count one latency of ms milliseconds. */
static void
cmd_bench_consume_add(struct cmd_bench_consume_hist *h, uint64_t ms)
{
	size_t	i = cmd_bench_consume_bucket(ms), size;

	if (i >= h->size) {
		size = h->size == 0 ? 2 * CMD_BENCH_SUB : h->size;
		while (size <= i)
			size *= 2;
		h->n = xreallocarray(h->n, size, sizeof *h->n);
		memset(h->n + h->size, 0, (size - h->size) * sizeof *h->n);
		h->size = size;
	}
	h->n[i]++;
	h->total++;
}

/*
 * The latencies of one second's messages, for its line: from store (the
 * broker's clock) and from birth (the producer's clock) to the moment the
 * poll returned them, in milliseconds.  RocketMQ's consumer benchmark
 * prints the same two.
 */
struct cmd_bench_consume_second {
	uint64_t	n;
	uint64_t	store_sum;
	uint64_t	store_max;
	uint64_t	born_sum;
	uint64_t	born_max;
};

/* Count one message polled at wall ms into second t. */
static void
cmd_bench_consume_second_add(struct cmd_bench_consume_second *t,
    uint64_t wall, uint64_t store_ms, uint64_t born_ms)
{
	uint64_t	s2c = wall > store_ms ? wall - store_ms : 0;
	uint64_t	b2c = wall > born_ms ? wall - born_ms : 0;

	t->n++;
	t->store_sum += s2c;
	t->born_sum += b2c;
	if (s2c > t->store_max)
		t->store_max = s2c;
	if (b2c > t->born_max)
		t->born_max = b2c;
}

/* Print second sec's line (rate over us microseconds) and start anew. */
static void
cmd_bench_consume_second_print(struct cmd_bench_consume_second *t,
    uint64_t sec, uint64_t us, uint64_t seen, uint64_t count)
{
	double	n = t->n > 0 ? (double)t->n : 1;

	printf("%" PRIu64 "s: %.0f msgs/s, store to consume mean %.1f ms max "
	    "%" PRIu64 " ms, born to consume mean %.1f ms max %" PRIu64
	    " ms, %" PRIu64 " of %" PRIu64 "\n", sec, (double)t->n * 1e6 /
	    (double)us, (double)t->store_sum / n, t->store_max,
	    (double)t->born_sum / n, t->born_max, seen, count);
	fflush(stdout);
	memset(t, 0, sizeof *t);
}

/*
 * The q-th quantile in microseconds: the latency of rank q * (total - 1),
 * rounded, among all counted in order.
 */
static uint64_t
cmd_bench_consume_at(const struct cmd_bench_consume_hist *h, double q)
{
	uint64_t	rank, seen = 0;
	size_t		i;

	if (h->total == 0)
		return (0);
	rank = (uint64_t)(q * (double)(h->total - 1) + 0.5);
	for (i = 0; i < h->size; i++) {
		seen += h->n[i];
		if (seen > rank)
			return (cmd_bench_consume_value(i) * 1000);
	}
	return (0);
}

static int
cmd_bench_consume_exec(struct cli *cli, struct cmd_args *args)
{
	struct petrel_consumer_options	 o;
	struct petrel_client		*c;
	struct petrel_consumer		*pc;
	struct petrel_error		 err;
	struct petrel_msg		*msgs[256];
	struct cmd_bench_consume_hist	 h;
	struct cmd_bench_consume_second	 sec;
	struct cli_progress		 pr;
	struct json			*j;
	const char			*why, *topic;
	uint64_t			 count, seen = 0, errors = 0;
	uint64_t			 start, last, now, wall, st, nsec = 0;
	uint64_t			 got;		/* the last message */
	long				 n64, idle;
	double				 secs, rate;
	int				 n, i, rc, stalled;

	topic = cmd_get(args, "topic");
	n64 = cmd_get_number(args, "count", 0, 1, 100000000);
	if (topic == NULL || n64 == 0)
		return (cli_bad_args(cli, args, "--topic and --count are "
		    "required"));
	if (n64 == -1)
		return (cli_bad_args(cli, args, "--count: 1-100000000"));
	count = (uint64_t)n64;
	if ((idle = cmd_get_number(args, "idle", 10, 0, 86400)) == -1)
		return (cli_bad_args(cli, args, "--idle: 0-86400 seconds"));
	if ((why = cmd_consume_options_parse(args, &o)) != NULL)
		return (cli_bad_args(cli, args, "%s", why));
	if (cmd_get(args, "from") == NULL)
		o.from = PETREL_FROM_FIRST;
	o.pull_batch = 256;
	o.max_unprocessed = 4096;
	if ((rc = cmd_consume_open(cli, args, topic, "*", &o, &c, &pc)) !=
	    EX_OK)
		return (rc);
	memset(&h, 0, sizeof h);
	memset(&sec, 0, sizeof sec);
	cli_progress_init(&pr);
	start = last = got = clock_mono_us();
	while (seen < count) {
		n = petrel_consumer_poll(pc, msgs, nitems(msgs), 1000, &err);
		if (n < 0) {
			errors++;
			break;
		}
		now = clock_mono_us();
		if (n > 0)
			got = now;
		else if (idle != 0 && now - got >= (uint64_t)idle * 1000000)
			break;
		wall = clock_wall_ms();
		for (i = 0; i < n; i++) {
			st = petrel_msg_store_ms(msgs[i]);
			if (seen < count) {
				cmd_bench_consume_add(&h, wall > st ?
				    wall - st : 0);
				cmd_bench_consume_second_add(&sec, wall, st,
				    petrel_msg_born_ms(msgs[i]));
				seen++;
			}
			petrel_consumer_done(pc, msgs[i],
			    PETREL_CONSUME_SUCCESS);
		}
		/* Text prints a line a second; JSON waits for the end. */
		if (cli->json)
			cli_progress(&pr, "%" PRIu64 " of %" PRIu64 " messages",
			    seen, count);
		if (now - last >= 1000000) {
			if (!cli->json)
				cmd_bench_consume_second_print(&sec, ++nsec,
				    now - last, seen, count);
			last = now;
		}
	}
	cli_progress_done(&pr);
	/* Stopped for want of messages: the rate up to the last. */
	stalled = seen < count && errors == 0;
	secs = (double)((stalled ? got : clock_mono_us()) - start) / 1e6;
	rate = secs > 0 ? (double)seen / secs : 0;
	petrel_consumer_free(pc);
	petrel_client_free(c);
	if (cli->json) {
		j = cli_json_new(cli);
		json_object_open(j, NULL);
		json_uint(j, "messages", seen);
		json_double(j, "seconds", secs);
		json_double(j, "msgs_per_sec", rate);
		json_uint(j, "p50_us", cmd_bench_consume_at(&h, 0.5));
		json_uint(j, "p99_us", cmd_bench_consume_at(&h, 0.99));
		json_uint(j, "p999_us", cmd_bench_consume_at(&h, 0.999));
		json_uint(j, "errors", errors);
		json_bool(j, "stalled", stalled);
		json_object_close(j);
		rc = cli_json_print(cli, j);
	} else {
		printf("%" PRIu64 " messages in %.3f s: %.0f msgs/s; store to "
		    "delivery p50 %" PRIu64 " us, p99 %" PRIu64 " us, p99.9 %"
		    PRIu64 " us; %" PRIu64 " errors\n", seen, secs, rate,
		    cmd_bench_consume_at(&h, 0.5),
		    cmd_bench_consume_at(&h, 0.99),
		    cmd_bench_consume_at(&h, 0.999), errors);
		rc = errors == 0 ? EX_OK : EX_SOFTWARE;
	}
	free(h.n);
	if (stalled && rc == EX_OK)
		rc = cli_error(cli, EX_TEMPFAIL, "stalled", "%" PRIu64 " of %"
		    PRIu64 " messages: none came for %ld s", seen, count, idle);
	return (rc);
}
