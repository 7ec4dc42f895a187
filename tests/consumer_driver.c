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
 * max_reconsume, offset_file, count, idle_ms, threads, orderly, batch and
 * log (a file every process appends its message lines to with one write
 * each, so their order across consumers can be checked).
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

static volatile sig_atomic_t	 stop;
static pthread_mutex_t		 out_lock = PTHREAD_MUTEX_INITIALIZER;
static long			 seen, later = -1;
static int			 log_fd = -1;

static void
on_signal(int sig)
{
	(void)sig;
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

static enum petrel_consume_status
listener(struct petrel_msg *const *msgs, size_t n, void *arg)
{
	enum petrel_consume_status	st = PETREL_CONSUME_SUCCESS;
	size_t				i;

	(void)arg;
	for (i = 0; i < n; i++) {
		if (print_msg(msgs[i]) == PETREL_CONSUME_LATER)
			st = PETREL_CONSUME_LATER;
	}
	return (st);
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
	struct petrel_msg		*msgs[64];
	const char			*tag = "*", *v;
	char				 last[8192] = "";
	long				 count = -1, idle = -1;
	int				 push = 0, i, n;
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
		for (i = 0; i < n; i++)
			petrel_consumer_done(pc, msgs[i], print_msg(msgs[i]));
		if (count >= 0 && seen >= count)
			break;
		if (idle >= 0 && now_ms() - lastmsg >= (uint64_t)idle)
			break;
	}
	petrel_consumer_free(pc);
	petrel_client_free(c);
	printf("END %ld\n", seen);
	return (0);
}
