/*
 * Benchmark of the actor runtime: messages per second through one
 * mailbox.  Sender threads build a Petrel__Tick each (msg_new) and send it
 * to one counting actor on a loop of its own, which frees it after its
 * handler, so each message costs what it costs in the daemons: an
 * allocation, a push, a dispatch and a free.  Senders respect a high-water
 * mark as sessions do (they wait while actor_busy()), so the run measures
 * the runtime at a steady state, with what is in flight (4096 messages,
 * about 400 KiB) in the caches, rather than the kernel handing out pages
 * to an ever longer queue (-w 0).
 *
 * What `petrel bench runtime` runs, through runtimebench_main();
 * tests/bench_runtime is the same as a program.
 *
 * usage: ... runtime [--json] [-n|--messages N] [-r|--repeats N]
 *	    [-s|--senders N] [-w|--hwm N]
 * Each configuration runs repeats times (3) and the fastest run counts.
 * With -s, only that many senders are measured (for profiling).
 */
#include "config.h"

#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "actor.h"
#include "msg.h"
#include "runtime.pb-c.h"
#include "runtimebench.h"

#define BENCH_HWM	4096	/* default high-water mark (-w) */
#define BENCH_SENDERS	16

struct bench_counter {
	uint64_t	 seen;
	uint64_t	 want;
	uint64_t	 bad;
	uint32_t	 last[BENCH_SENDERS];
};

/* The best of the repeats. */
struct bench_result {
	double		 rate;		/* messages per second */
	double		 cpu_ns;	/* CPU time of all threads per message */
	double		 per_wake;	/* messages handled per wake */
	uint64_t	 bad;		/* out of order, over all repeats */
};

struct bench_sender {
	pthread_t	 thread;
	struct actor	*to;
	uint32_t	 index;
	uint64_t	 count;
};

static int	bench_on_tick(void *, ProtobufCMessage *,
		    const struct envelope *);

static const struct actor_handler bench_handlers[] = {
	{ &petrel__tick__descriptor, bench_on_tick },
	{ NULL, NULL }
};

static const struct actor_type bench_actor = {
	.name = "counter",
	.size = sizeof(struct bench_counter),
	.handlers = bench_handlers
};

static size_t		bench_hwm = BENCH_HWM;
static pthread_mutex_t	bench_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	bench_cond = PTHREAD_COND_INITIALIZER;
static int		bench_done;

/* Count a message; the sender is in the top bits, its sequence below. */
static int
bench_on_tick(void *state, ProtobufCMessage *m, const struct envelope *env)
{
	struct bench_counter	*c = state;
	Petrel__Tick		*t = (Petrel__Tick *)m;
	uint32_t		 sender = t->id >> 26, seq = t->id & 0x3ffffff;

	if (seq != ((c->last[sender] + 1) & 0x3ffffff))
		c->bad++;
	c->last[sender] = seq;
	if (++c->seen == c->want) {
		pthread_mutex_lock(&bench_lock);
		bench_done = 1;
		pthread_cond_signal(&bench_cond);
		pthread_mutex_unlock(&bench_lock);
	}
	return (0);
}

/* A sender thread. */
static void *
bench_send(void *arg)
{
	struct bench_sender	*s = arg;
	Petrel__Tick		*t;
	uint64_t		 i;

	for (i = 1; i <= s->count; i++) {
		/* Back-pressure, as a session does: memory stays bounded. */
		if (i % 64 == 0)
			while (actor_busy(s->to))
				sched_yield();
		t = msg_new(&petrel__tick__descriptor);
		t->id = (s->index << 26) | (uint32_t)(i & 0x3ffffff);
		actor_send(s->to, t);
	}
	return (NULL);
}

/* Seconds on clock id. */
static double
bench_clock(clockid_t id)
{
	struct timespec	 ts;

	clock_gettime(id, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

/* Push total messages from nsenders threads once; what it measured. */
static void
bench_once(int nsenders, uint64_t total, struct bench_result *res)
{
	struct bench_sender	 senders[BENCH_SENDERS];
	struct bench_counter	*c;
	struct loop		*l;
	struct actor		*a;
	double			 start, end, cpu;
	uint64_t		 want;
	int			 i;

	l = loop_new("bench");
	a = actor_spawn(l, &bench_actor, "counter");
	c = actor_state(a);
	actor_set_hwm(a, bench_hwm);
	want = (total / (uint64_t)nsenders) * (uint64_t)nsenders;
	c->want = want;
	bench_done = 0;
	loop_start(l);
	start = bench_clock(CLOCK_MONOTONIC);
	cpu = bench_clock(CLOCK_PROCESS_CPUTIME_ID);
	for (i = 0; i < nsenders; i++) {
		senders[i].to = a;
		senders[i].index = (uint32_t)i;
		senders[i].count = total / (uint64_t)nsenders;
		pthread_create(&senders[i].thread, NULL, bench_send,
		    &senders[i]);
	}
	pthread_mutex_lock(&bench_lock);
	while (!bench_done)
		pthread_cond_wait(&bench_cond, &bench_lock);
	pthread_mutex_unlock(&bench_lock);
	end = bench_clock(CLOCK_MONOTONIC);
	cpu = bench_clock(CLOCK_PROCESS_CPUTIME_ID) - cpu;
	for (i = 0; i < nsenders; i++)
		pthread_join(senders[i].thread, NULL);
	if ((double)want / (end - start) > res->rate) {
		res->rate = (double)want / (end - start);
		res->cpu_ns = cpu * 1e9 / (double)want;
		res->per_wake = (double)want / (double)actor_wakes(a);
	}
	res->bad += c->bad;
	loop_exit(l);
	loop_join(l);
	actor_free(a);
	loop_free(l);
}

/* Print one result as a line or as a JSON member. */
static void
bench_print(const char *label, int json, const struct bench_result *res)
{
	if (json)
		printf("\"%s\": {\"msgs_per_s\": %.0f, \"cpu_ns_per_msg\": "
		    "%.1f, \"msgs_per_wake\": %.1f}", label, res->rate,
		    res->cpu_ns, res->per_wake);
	else
		printf("%-10s %10.0f msgs/s  %6.1f ns CPU/msg  %8.1f msgs/wake"
		    "\n", label, res->rate, res->cpu_ns, res->per_wake);
}

/* Whether argv[*i] is option short or --long with a value; moves *i on. */
static int
bench_opt(int argc, char **argv, int *i, const char *shrt,
    const char *lng)
{
	if (*i + 1 >= argc || (strcmp(argv[*i], shrt) != 0 &&
	    strcmp(argv[*i], lng) != 0))
		return (0);
	(*i)++;
	return (1);
}

/*
 * Run the benchmark with argv as its options (argv[0] is the command's
 * name); returns the exit status: 0, 1 if a message came out of order, 2
 * on bad usage.
 */
int
runtimebench_main(int argc, char **argv)
{
	struct bench_result	 res[2];
	const char		*labels[2] = { "1 sender", "4 senders" };
	int			 counts[2] = { 1, 4 };
	uint64_t		 total = 5000000;
	int			 json = 0, only = 0, repeats = 3, i, r, n = 2;

	bench_hwm = BENCH_HWM;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (bench_opt(argc, argv, &i, "-n", "--messages"))
			total = strtoull(argv[i], NULL, 10);
		else if (bench_opt(argc, argv, &i, "-r", "--repeats"))
			repeats = atoi(argv[i]);
		else if (bench_opt(argc, argv, &i, "-s", "--senders"))
			only = atoi(argv[i]);
		else if (bench_opt(argc, argv, &i, "-w", "--hwm"))
			bench_hwm = strtoull(argv[i], NULL, 10);
		else {
			fprintf(stderr, "usage: %s [--json] [-n|--messages N] "
			    "[-r|--repeats N] [-s|--senders N] [-w|--hwm N]\n",
			    argv[0]);
			return (2);
		}
	}
	if (total < BENCH_SENDERS)
		total = BENCH_SENDERS;
	if (repeats < 1)
		repeats = 1;
	if (only < 0 || only > BENCH_SENDERS)
		only = 1;
	if (only != 0) {
		counts[0] = only;
		labels[0] = only == 1 ? "1 sender" : "senders";
		n = 1;
	}
	memset(res, 0, sizeof res);
	for (i = 0; i < n; i++) {
		for (r = 0; r < repeats; r++)
			bench_once(counts[i], total, &res[i]);
	}
	if (json) {
		printf("{\"messages\": %llu, \"repeats\": %d, \"hwm\": %zu, ",
		    (unsigned long long)total, repeats, bench_hwm);
		for (i = 0; i < n; i++) {
			bench_print(counts[i] == 1 ? "senders_1" :
			    counts[i] == 4 ? "senders_4" : "senders", 1,
			    &res[i]);
			printf(", ");
		}
		printf("\"out_of_order\": %llu}\n",
		    (unsigned long long)(res[0].bad + res[1].bad));
	} else {
		for (i = 0; i < n; i++)
			bench_print(labels[i], 0, &res[i]);
		if (res[0].bad + res[1].bad != 0)
			printf("out of order: %llu\n",
			    (unsigned long long)(res[0].bad + res[1].bad));
	}
	return (res[0].bad + res[1].bad == 0 ? 0 : 1);
}
