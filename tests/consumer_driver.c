/*
 * A consumer for the integration tests (tests/integration/consumer_*.sh):
 * consumes TOPIC as GROUP through libpetrel's pull or push API and prints
 * a line per message ("M topic broker queue offset reconsume tag body") and
 * one each time the queues it owns change ("Q n broker:queue ...").  Exits
 * after count messages, after SIGTERM, or idle_ms without a message, and
 * prints "END" once the consumer is freed (offsets committed).
 *
 * usage: consumer_driver NAMESRV GROUP TOPIC [name=value ...] with names
 * tag, broadcast, from (first, last or a time in ms), push, later (answer
 * LATER to every message with reconsume times below it), rebalance_ms,
 * rebalance (average or circle), max_reconsume, offset_file, count,
 * idle_ms, threads, orderly, batch, pull_batch, max_unprocessed, lock_ms
 * and log (a file every process appends its message lines to with one
 * write each, so their order across consumers can be checked).
 *
 * hold=1 (pull API): keep every polled message undone until SIGUSR1, then
 * hand them all back and the later ones at once; prints "H queue n" each
 * time the number a queue holds changes, and "R" once they are released.
 * work_ms=N (push API): each callback takes N ms; at the end prints
 * "P all queue", the most callbacks that ran at once in all and for any
 * one queue.
 */
#include "config.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "petrel.h"

#define QUEUES_MAX	256

static volatile sig_atomic_t	 stop, release;
static pthread_mutex_t		 out_lock = PTHREAD_MUTEX_INITIALIZER;
static long			 seen, later = -1, work_ms;
static int			 log_fd = -1;
static long			 running, running_q[QUEUES_MAX];
static long			 peak, peak_q;

/* SIGTERM and SIGINT stop; SIGUSR1 releases the messages held. */
static void
on_signal(int sig)
{
	if (sig == SIGUSR1)
		release = 1;
	else
		stop = 1;
}

static uint64_t
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000);
}

/* Print one message; whether it is to be retried. */
static enum petrel_consume_status
print_msg(struct petrel_msg *m)
{
	const void	*body;
	char		 line[512];
	size_t		 len;
	int		 n;
	uint32_t	 rc = petrel_msg_reconsume_times(m);

	body = petrel_msg_body(m, &len);
	n = snprintf(line, sizeof line, "M %s %s %u %llu %u %s %.*s\n",
	    petrel_msg_topic(m), petrel_msg_broker(m), petrel_msg_queue_id(m),
	    (unsigned long long)petrel_msg_queue_offset(m), rc,
	    *petrel_msg_tag(m) != '\0' ? petrel_msg_tag(m) : "-",
	    len > 256 ? 256 : (int)len, (const char *)body);
	if (n < 0 || (size_t)n >= sizeof line)
		n = (int)sizeof line - 1;
	pthread_mutex_lock(&out_lock);
	fwrite(line, 1, (size_t)n, stdout);
	fflush(stdout);
	if (log_fd != -1 && write(log_fd, line, (size_t)n) != n)
		perror("log");
	seen++;
	pthread_mutex_unlock(&out_lock);
	if (later >= 0 && (long)rc < later)
		return (PETREL_CONSUME_LATER);
	return (PETREL_CONSUME_SUCCESS);
}

/* Count a callback of queue qid in (1) or out (-1), keeping the peaks. */
static void
count_running(uint32_t qid, long d)
{
	qid %= QUEUES_MAX;
	pthread_mutex_lock(&out_lock);
	running += d;
	running_q[qid] += d;
	if (running > peak)
		peak = running;
	if (running_q[qid] > peak_q)
		peak_q = running_q[qid];
	pthread_mutex_unlock(&out_lock);
}

/* The push callback: print each message, taking work_ms over them. */
static enum petrel_consume_status
listener(struct petrel_msg *const *msgs, size_t n, void *arg)
{
	enum petrel_consume_status	st = PETREL_CONSUME_SUCCESS;
	uint32_t			qid = petrel_msg_queue_id(msgs[0]);
	size_t				i;

	(void)arg;
	count_running(qid, 1);
	if (work_ms > 0)
		usleep((useconds_t)work_ms * 1000);
	for (i = 0; i < n; i++) {
		if (print_msg(msgs[i]) == PETREL_CONSUME_LATER)
			st = PETREL_CONSUME_LATER;
	}
	count_running(qid, -1);
	return (st);
}

/* Print how many messages of queue qid are held, n. */
static void
print_held(uint32_t qid, long n)
{
	pthread_mutex_lock(&out_lock);
	printf("H %u %ld\n", qid, n);
	fflush(stdout);
	pthread_mutex_unlock(&out_lock);
}

/* Print the queues owned if they changed since last. */
static void
print_queues(struct petrel_consumer *pc, char *last, size_t size)
{
	struct petrel_queue	qs[256];
	char			line[8192];
	size_t			n, i, off;

	n = petrel_consumer_queues(pc, qs, 256);
	off = (size_t)snprintf(line, sizeof line, "Q %zu", n);
	for (i = 0; i < n && i < 256 && off < sizeof line; i++)
		off += (size_t)snprintf(line + off, sizeof line - off,
		    " %s:%u", qs[i].broker, qs[i].queue_id);
	if (strcmp(line, last) == 0)
		return;
	snprintf(last, size, "%s", line);
	pthread_mutex_lock(&out_lock);
	printf("%s\n", line);
	fflush(stdout);
	pthread_mutex_unlock(&out_lock);
}

int
main(int argc, char **argv)
{
	struct petrel_consumer_options	 o;
	struct petrel_client		*c;
	struct petrel_consumer		*pc;
	struct petrel_error		 err;
	struct petrel_msg		*msgs[64], **held = NULL;
	const char			*tag = "*", *v;
	char				 last[8192] = "";
	long				 count = -1, idle = -1;
	long				 nheld_q[QUEUES_MAX];
	size_t				 nheld = 0, sizeheld = 0, j;
	int				 push = 0, hold = 0, i, n;
	uint32_t			 qid;
	uint64_t			 lastmsg, lastq = 0;

	if (argc < 4) {
		fprintf(stderr, "usage: consumer_driver NAMESRV GROUP TOPIC "
		    "[name=value ...]\n");
		return (64);
	}
	log_init("consumer_driver", getenv("CN_DEBUG") != NULL ?
	    LOG_LEVEL_DEBUG : LOG_LEVEL_WARN);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGUSR1, on_signal);
	memset(nheld_q, 0, sizeof nheld_q);
	petrel_consumer_options_init(&o);
	o.group = argv[2];
	o.rebalance_ms = 1000;
	for (i = 4; i < argc; i++) {
		if ((v = strchr(argv[i], '=')) == NULL)
			return (64);
		v++;
		if (strncmp(argv[i], "tag=", 4) == 0)
			tag = v;
		else if (strncmp(argv[i], "broadcast=", 10) == 0)
			o.model = atoi(v) ? PETREL_BROADCASTING :
			    PETREL_CLUSTERING;
		else if (strncmp(argv[i], "from=", 5) == 0) {
			if (strcmp(v, "first") == 0)
				o.from = PETREL_FROM_FIRST;
			else if (strcmp(v, "last") == 0)
				o.from = PETREL_FROM_LAST;
			else {
				o.from = PETREL_FROM_TIME;
				o.from_ms = strtoull(v, NULL, 10);
			}
		} else if (strncmp(argv[i], "push=", 5) == 0)
			push = atoi(v);
		else if (strncmp(argv[i], "later=", 6) == 0)
			later = atol(v);
		else if (strncmp(argv[i], "rebalance_ms=", 13) == 0)
			o.rebalance_ms = (uint32_t)atoi(v);
		else if (strncmp(argv[i], "max_reconsume=", 14) == 0)
			o.max_reconsume = (uint32_t)atoi(v);
		else if (strncmp(argv[i], "offset_file=", 12) == 0)
			o.offset_file = v;
		else if (strncmp(argv[i], "count=", 6) == 0)
			count = atol(v);
		else if (strncmp(argv[i], "idle_ms=", 8) == 0)
			idle = atol(v);
		else if (strncmp(argv[i], "threads=", 8) == 0)
			o.threads = (uint32_t)atoi(v);
		else if (strncmp(argv[i], "orderly=", 8) == 0)
			o.orderly = atoi(v);
		else if (strncmp(argv[i], "batch=", 6) == 0)
			o.batch = (uint32_t)atoi(v);
		else if (strncmp(argv[i], "pull_batch=", 11) == 0)
			o.pull_batch = (uint32_t)atoi(v);
		else if (strncmp(argv[i], "max_unprocessed=", 16) == 0)
			o.max_unprocessed = (uint32_t)atoi(v);
		else if (strncmp(argv[i], "lock_ms=", 8) == 0)
			o.lock_ms = (uint32_t)atoi(v);
		else if (strncmp(argv[i], "rebalance=", 10) == 0) {
			if (strcmp(v, "circle") == 0)
				o.rebalance = PETREL_AVERAGE_CIRCLE;
			else if (strcmp(v, "average") == 0)
				o.rebalance = PETREL_AVERAGE;
			else
				return (64);
		} else if (strncmp(argv[i], "hold=", 5) == 0)
			hold = atoi(v);
		else if (strncmp(argv[i], "work_ms=", 8) == 0)
			work_ms = atol(v);
		else if (strncmp(argv[i], "log=", 4) == 0) {
			log_fd = open(v, O_WRONLY | O_APPEND | O_CREAT, 0644);
			if (log_fd == -1) {
				perror(v);
				return (1);
			}
		}
		else
			return (64);
	}
	if (hold && push) {
		fprintf(stderr, "hold is for the pull API\n");
		return (64);
	}
	if ((c = petrel_client_new(argv[1], &err)) == NULL) {
		fprintf(stderr, "client: %s\n", err.text);
		return (1);
	}
	if ((pc = petrel_consumer_new(c, &o, &err)) == NULL ||
	    petrel_consumer_subscribe(pc, argv[3], tag, &err) != 0 ||
	    (push ? petrel_consumer_start_push(pc, listener, NULL, &err) :
	    petrel_consumer_start(pc, &err)) != 0) {
		fprintf(stderr, "consumer: %s\n", err.text);
		return (1);
	}
	lastmsg = now_ms();
	while (!stop) {
		if (now_ms() - lastq >= 200) {
			print_queues(pc, last, sizeof last);
			lastq = now_ms();
		}
		if (push) {
			usleep(50000);
			pthread_mutex_lock(&out_lock);
			n = (int)seen;
			pthread_mutex_unlock(&out_lock);
			if (count >= 0 && n >= count)
				break;
			continue;
		}
		n = petrel_consumer_poll(pc, msgs, 64, 200, &err);
		if (n < 0) {
			fprintf(stderr, "poll: %s\n", err.text);
			break;
		}
		if (n > 0)
			lastmsg = now_ms();
		if (hold && release) {
			/* Told: every message held is done, the rest at once. */
			for (j = 0; j < nheld; j++)
				petrel_consumer_done(pc, held[j],
				    PETREL_CONSUME_SUCCESS);
			nheld = 0;
			hold = 0;
			pthread_mutex_lock(&out_lock);
			printf("R\n");
			fflush(stdout);
			pthread_mutex_unlock(&out_lock);
		}
		for (i = 0; i < n; i++) {
			if (!hold) {
				petrel_consumer_done(pc, msgs[i],
				    print_msg(msgs[i]));
				continue;
			}
			print_msg(msgs[i]);
			if (nheld == sizeheld) {
				sizeheld = sizeheld == 0 ? 256 : sizeheld * 2;
				held = realloc(held, sizeheld * sizeof *held);
				if (held == NULL) {
					perror("realloc");
					return (1);
				}
			}
			held[nheld++] = msgs[i];
			qid = petrel_msg_queue_id(msgs[i]) % QUEUES_MAX;
			print_held(qid, ++nheld_q[qid]);
		}
		if (count >= 0 && seen >= count)
			break;
		if (idle >= 0 && now_ms() - lastmsg >= (uint64_t)idle)
			break;
	}
	for (j = 0; j < nheld; j++)
		petrel_consumer_done(pc, held[j], PETREL_CONSUME_LATER);
	free(held);
	petrel_consumer_free(pc);
	petrel_client_free(c);
	if (push)
		printf("P %ld %ld\n", peak, peak_q);
	printf("END %ld\n", seen);
	return (0);
}
