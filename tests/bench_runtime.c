/*
 * Benchmark of the actor runtime: messages per second through one
 * mailbox.  Sender threads build a Petrel__Tick each (msg_new) and send it
 * to one counting actor on a loop of its own, which frees it after its
 * handler, so each message costs what it costs in the daemons: an
 * allocation, a push, a dispatch and a free.
 *
 * usage: bench_runtime [--json] [-n messages]
 */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "actor.h"
#include "log.h"
#include "msg.h"
#include "runtime.pb-c.h"

struct bench_counter {
	uint64_t	 seen;
	uint64_t	 want;
	uint64_t	 bad;
	uint32_t	 last[64];
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
		t = msg_new(&petrel__tick__descriptor);
		t->id = (s->index << 26) | (uint32_t)(i & 0x3ffffff);
		actor_send(s->to, t);
	}
	return (NULL);
}

/* Seconds on the monotonic clock. */
static double
bench_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

/* Push total messages from nsenders threads; messages per second. */
static double
bench_run(int nsenders, uint64_t total, uint64_t *bad)
{
	struct bench_sender	 senders[16];
	struct bench_counter	*c;
	struct loop		*l;
	struct actor		*a;
	double			 start, end;
	uint64_t		 want;
	int			 i;

	l = loop_new("bench");
	a = actor_spawn(l, &bench_actor, "counter");
	c = actor_state(a);
	want = (total / (uint64_t)nsenders) * (uint64_t)nsenders;
	c->want = want;
	bench_done = 0;
	loop_start(l);
	start = bench_now();
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
	end = bench_now();
	for (i = 0; i < nsenders; i++)
		pthread_join(senders[i].thread, NULL);
	*bad = c->bad;
	loop_exit(l);
	loop_join(l);
	actor_free(a);
	loop_free(l);
	return ((double)want / (end - start));
}

int
main(int argc, char **argv)
{
	uint64_t	 total = 10000000, bad1, bad4;
	double		 one, four;
	int		 json = 0, i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
			total = strtoull(argv[++i], NULL, 10);
		else {
			fprintf(stderr, "usage: %s [--json] [-n messages]\n",
			    argv[0]);
			return (1);
		}
	}
	if (total < 4)
		total = 4;
	log_init("bench_runtime", LOG_LEVEL_WARN);
	one = bench_run(1, total, &bad1);
	four = bench_run(4, total, &bad4);
	if (json)
		printf("{\"messages\": %llu, \"senders_1_msgs_per_s\": %.0f, "
		    "\"senders_4_msgs_per_s\": %.0f, \"out_of_order\": %llu}\n",
		    (unsigned long long)total, one, four,
		    (unsigned long long)(bad1 + bad4));
	else {
		printf("1 sender:  %.0f msgs/s\n", one);
		printf("4 senders: %.0f msgs/s\n", four);
		if (bad1 + bad4 != 0)
			printf("out of order: %llu\n",
			    (unsigned long long)(bad1 + bad4));
	}
	return (bad1 + bad4 == 0 ? 0 : 1);
}
