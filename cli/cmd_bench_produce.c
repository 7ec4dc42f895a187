/*
 * petrel bench produce: messages per second and send latency of
 * libpetrel's producer against real brokers, after RocketMQ's benchmark
 * Producer.  --threads application threads share one producer; each keeps
 * --window sends in flight (1: sync sends with petrel_send(), more: async
 * sends; a thread with a full window sleeps until half of it is answered,
 * then refills it, so it wakes once per half window, not per answer).
 * Stops after --count messages or --duration seconds; prints a line a
 * second with the rate and the mean latency, then the totals with
 * percentiles, or in JSON mode one object.
 *
 * Latencies go into one histogram of 1 us buckets up to 1 s, updated with
 * relaxed atomics by whichever thread sees the answer.
 */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "cli.h"
#include "clock.h"
#include "json.h"
#include "log.h"
#include "petrel.h"
#include "xmalloc.h"

#define BENCH_BUCKETS	1000000		/* 1 us each: up to 1 s */

static int	cmd_bench_produce_exec(struct cli *, struct cmd_args *);

static const struct cmd_option cmd_bench_produce_options[] = {
	{ "topic", 0, "TOPIC", "the topic to send to (required)" },
	{ "size", 0, "BYTES", "bytes in each body (default 1024)" },
	{ "threads", 0, "N", "sending threads (default 1)" },
	{ "window", 0, "W", "sends in flight per thread; 1: sync sends "
	  "(default 1)" },
	{ "count", 0, "N", "messages to send in all" },
	{ "duration", 0, "S", "seconds to send for (default 10)" },
	{ NULL, 0, NULL, NULL }
};

const struct cmd_entry cmd_bench_produce_entry = {
	.noun = "bench",
	.verb = "produce",
	.usage = "",
	.lower = 0,
	.upper = 0,
	.options = cmd_bench_produce_options,
	.help = "time sends to a topic through libpetrel's producer",
	.exec = cmd_bench_produce_exec
};

struct bench;

/* One sending thread. */
struct bench_thread {
	struct bench		*b;
	pthread_t		 tid;
	pthread_mutex_t		 lock;
	pthread_cond_t		 cond;
	uint32_t		 inflight;
	int			 waiting;	/* for inflight <= wake_at */
	uint32_t		 wake_at;
	struct bench_slot	*free;		/* of its window's slots */
};

/* An async send: when it left. */
struct bench_slot {
	struct bench_thread	*t;
	uint64_t		 start_ns;
	struct bench_slot	*next;		/* on t->free */
};

struct bench {
	struct petrel_producer	*p;
	const char		*topic;
	char			*body;
	size_t			 size;
	uint32_t		 window;
	uint64_t		 count;		/* 0: until stop */
	_Atomic uint64_t	 issued;
	_Atomic int		 stop;
	_Atomic uint64_t	 done;
	_Atomic uint64_t	 errors;
	_Atomic uint64_t	 lat_sum_us;
	_Atomic uint64_t	 last_ns;	/* when the last answer came */
	_Atomic uint32_t	*hist;		/* BENCH_BUCKETS + 1 */
};

/* Count an answer that took from start_ns until now. */
static void
bench_record(struct bench *b, uint64_t start_ns, int failed)
{
	uint64_t	now = clock_mono_ns(), us = (now - start_ns) / 1000;

	if (failed)
		atomic_fetch_add_explicit(&b->errors, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&b->done, 1, memory_order_relaxed);
	atomic_store_explicit(&b->last_ns, now, memory_order_relaxed);
	atomic_fetch_add_explicit(&b->lat_sum_us, us, memory_order_relaxed);
	atomic_fetch_add_explicit(&b->hist[us < BENCH_BUCKETS ? us :
	    BENCH_BUCKETS], 1, memory_order_relaxed);
}

/* Whether another message may be sent; takes its number. */
static int
bench_take(struct bench *b)
{
	if (atomic_load(&b->stop))
		return (0);
	if (b->count == 0)
		return (1);
	return (atomic_fetch_add(&b->issued, 1) < b->count);
}

/* An async send's answer (on the library's thread). */
static void
bench_answered(const struct petrel_send_result *r,
    const struct petrel_error *e, void *arg)
{
	struct bench_slot	*s = arg;
	struct bench_thread	*t = s->t;

	bench_record(t->b, s->start_ns, e != NULL);
	pthread_mutex_lock(&t->lock);
	s->next = t->free;
	t->free = s;
	t->inflight--;
	if (t->waiting && t->inflight <= t->wake_at)
		pthread_cond_signal(&t->cond);
	pthread_mutex_unlock(&t->lock);
}

/* A sending thread. */
static void *
bench_main(void *arg)
{
	struct bench_thread	*t = arg;
	struct bench		*b = t->b;
	struct bench_slot	*s, *slots;
	struct petrel_msg	*m;
	struct petrel_error	 err;
	uint64_t		 start;
	uint32_t		 i;

	/* A slot a send in flight, taken and given back under t->lock. */
	slots = xcalloc(b->window, sizeof *slots);
	for (i = 0; i < b->window; i++) {
		slots[i].t = t;
		slots[i].next = t->free;
		t->free = &slots[i];
	}
	m = petrel_msg_new(b->topic, b->body, b->size);
	while (bench_take(b)) {
		if (b->window <= 1) {
			start = clock_mono_ns();
			bench_record(b, start, petrel_send(b->p, m, NULL,
			    &err) != 0);
			continue;
		}
		pthread_mutex_lock(&t->lock);
		if (t->inflight >= b->window) {
			t->waiting = 1;
			t->wake_at = b->window / 2;
			while (t->inflight > t->wake_at)
				pthread_cond_wait(&t->cond, &t->lock);
			t->waiting = 0;
		}
		t->inflight++;
		s = t->free;
		t->free = s->next;
		pthread_mutex_unlock(&t->lock);
		s->start_ns = clock_mono_ns();
		if (petrel_send_async(b->p, m, bench_answered, s, &err) != 0) {
			bench_record(b, s->start_ns, 1);
			pthread_mutex_lock(&t->lock);
			s->next = t->free;
			t->free = s;
			t->inflight--;
			pthread_mutex_unlock(&t->lock);
		}
	}
	pthread_mutex_lock(&t->lock);
	t->waiting = 1;
	t->wake_at = 0;
	while (t->inflight != 0)
		pthread_cond_wait(&t->cond, &t->lock);
	pthread_mutex_unlock(&t->lock);
	petrel_msg_free(m);
	free(slots);
	return (NULL);
}

/* The latency at fraction q of the answers, in us. */
static uint64_t
bench_percentile(struct bench *b, uint64_t total, double q)
{
	uint64_t	want = (uint64_t)(q * (double)total), seen = 0;
	size_t		i;

	if (total == 0)
		return (0);
	for (i = 0; i <= BENCH_BUCKETS; i++) {
		seen += atomic_load_explicit(&b->hist[i],
		    memory_order_relaxed);
		if (seen > want)
			return (i);
	}
	return (BENCH_BUCKETS);
}

/* petrel bench produce. */
static int
cmd_bench_produce_exec(struct cli *cli, struct cmd_args *args)
{
	struct bench			 b;
	struct bench_thread		*ts;
	struct petrel_client		*c;
	struct petrel_producer_options	 o;
	struct petrel_error		 err;
	struct json			*j;
	struct timespec			 tick = { 1, 0 };
	struct cli_progress		 pr;
	uint64_t			 t0, now, done, last = 0, lsum = 0, sum;
	long				 size, threads, window, count, duration;
	long				 i, sec;
	double				 secs, rate;
	char				*cause = NULL;
	int				 rc;

	memset(&b, 0, sizeof b);
	if ((b.topic = cmd_get(args, "topic")) == NULL)
		return (cli_bad_args(cli, args, "--topic is required"));
	size = cmd_get_number(args, "size", 1024, 1, 4 * 1024 * 1024);
	threads = cmd_get_number(args, "threads", 1, 1, 1024);
	window = cmd_get_number(args, "window", 1, 1, 65536);
	count = cmd_get_number(args, "count", 0, 1, 1L << 40);
	duration = cmd_get_number(args, "duration", 10, 1, 86400);
	if (size < 0 || threads < 0 || window < 0 || count < 0 ||
	    duration < 0)
		return (cli_bad_args(cli, args, "a number is out of range"));
	if (count != 0 && cmd_has(args, "duration"))
		return (cli_bad_args(cli, args, "--count or --duration, not "
		    "both"));

	if ((c = cmd_send_client(cli, &cause)) == NULL) {
		rc = cli_error(cli, EX_USAGE, "usage", "%s", cause);
		free(cause);
		return (rc);
	}
	petrel_producer_options_init(&o);
	o.group = "PETREL_BENCH";
	o.timeout_ms = cli->timeout_ms;
	if ((b.p = petrel_producer_new(c, &o, &err)) == NULL) {
		rc = cli_fail(cli, (uint32_t)err.code, err.text, "producer");
		petrel_client_free(c);
		return (rc);
	}
	b.size = (size_t)size;
	b.body = xmalloc(b.size);
	for (i = 0; i < size; i++)		/* incompressible */
		b.body[i] = (char)((i * 2654435761U) >> 13);
	b.window = (uint32_t)window;
	b.count = (uint64_t)count;
	b.hist = xcalloc(BENCH_BUCKETS + 1, sizeof *b.hist);

	t0 = clock_mono_ns();
	ts = xcalloc((size_t)threads, sizeof *ts);
	for (i = 0; i < threads; i++) {
		ts[i].b = &b;
		pthread_mutex_init(&ts[i].lock, NULL);
		pthread_cond_init(&ts[i].cond, NULL);
		if (pthread_create(&ts[i].tid, NULL, bench_main, &ts[i]) != 0)
			fatalx("pthread_create failed");
	}
	cli_progress_init(&pr);
	for (sec = 1;; sec++) {
		nanosleep(&tick, NULL);
		done = atomic_load(&b.done);
		sum = atomic_load(&b.lat_sum_us);
		if (!cli->json) {
			printf("%lds: %llu msgs/s, mean %.0f us, errors "
			    "%llu\n", sec, (unsigned long long)(done - last),
			    done > last ? (double)(sum - lsum) /
			    (double)(done - last) : 0.0,
			    (unsigned long long)atomic_load(&b.errors));
			fflush(stdout);
		} else		/* nothing on stdout until the end */
			cli_progress(&pr, "%lds: %llu messages", sec,
			    (unsigned long long)done);
		last = done;
		lsum = sum;
		if ((b.count != 0 && done >= b.count) ||
		    (b.count == 0 && sec >= duration))
			break;
	}
	cli_progress_done(&pr);
	atomic_store(&b.stop, 1);
	for (i = 0; i < threads; i++) {
		pthread_join(ts[i].tid, NULL);
		pthread_mutex_destroy(&ts[i].lock);
		pthread_cond_destroy(&ts[i].cond);
	}
	/* Until the last answer, not the tick that noticed it. */
	if ((now = atomic_load(&b.last_ns)) == 0)
		now = clock_mono_ns();
	done = atomic_load(&b.done);
	secs = (double)(now - t0) / 1e9;
	rate = secs > 0 ? (double)done / secs : 0;
	if (cli->json) {
		j = json_new(0);
		json_object_open(j, NULL);
		json_string(j, "topic", b.topic);
		json_uint(j, "size", b.size);
		json_uint(j, "threads", (uint64_t)threads);
		json_uint(j, "window", b.window);
		json_uint(j, "messages", done);
		json_double(j, "seconds", secs);
		json_double(j, "msgs_per_sec", rate);
		json_uint(j, "p50_us", bench_percentile(&b, done, 0.5));
		json_uint(j, "p99_us", bench_percentile(&b, done, 0.99));
		json_uint(j, "p999_us", bench_percentile(&b, done, 0.999));
		json_uint(j, "errors", atomic_load(&b.errors));
		json_object_close(j);
		rc = cli_json_print(cli, j);
	} else {
		printf("total: %llu msgs in %.2f s, %.0f msgs/s, p50 %llu us, "
		    "p99 %llu us, p999 %llu us, errors %llu\n",
		    (unsigned long long)done, secs, rate,
		    (unsigned long long)bench_percentile(&b, done, 0.5),
		    (unsigned long long)bench_percentile(&b, done, 0.99),
		    (unsigned long long)bench_percentile(&b, done, 0.999),
		    (unsigned long long)atomic_load(&b.errors));
		rc = EX_OK;
	}
	petrel_producer_free(b.p);
	petrel_client_free(c);
	free(ts);
	free(b.hist);
	free(b.body);
	if (rc == EX_OK && atomic_load(&b.errors) != 0 && done ==
	    atomic_load(&b.errors))
		rc = EX_UNAVAILABLE;
	return (rc);
}
