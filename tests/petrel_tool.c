/*
 * A program using only petrel.h and libpetrel.so, driven by the
 * integration tests (tests/integration/libpetrel_*.sh):
 *
 *   petrel_tool NAMESRV sync TOPIC N [PAUSE_MS]  N sends, a line each
 *   petrel_tool NAMESRV async TOPIC N            N async sends, then flush
 *                                                (lines end with the body)
 *   petrel_tool NAMESRV oneway TOPIC N           N one-way sends, flush
 *   petrel_tool NAMESRV batch TOPIC N            one batch of N
 *   petrel_tool NAMESRV ordered TOPIC N KEYS     N sends over KEYS keys
 *   petrel_tool NAMESRV big TOPIC BYTES          one compressible body
 *   petrel_tool NAMESRV select TOPIC N COOKIE    N sends through a selector
 *                                                whose arg holds COOKIE
 *   petrel_tool NAMESRV props TOPIC DELAY        one send with a tag, keys,
 *                                                properties, delay level
 *   petrel_tool NAMESRV threads TOPIC N          8 threads sharing the
 *                                                producer, N sends each
 *   petrel_tool NAMESRV athreads TOPIC N         the same with async sends,
 *                                                then flush (bodies msg-K)
 *
 * Options before NAMESRV: -r RETRIES and -t TIMEOUT_MS of the producer,
 * -P POLL_NAMESRV_MS and -H HEARTBEAT_MS of the client.
 *
 * A result line is "ok STATUS BROKER QUEUE OFFSET MSG_ID UNIQUE_ID
 * [KEY]" or "error CODE TEXT"; sync sends add "took MS" after each line,
 * the selector prints "select NQUEUES CALL PICK COOKIE BODY" each call;
 * the last line counts "sent N failed N".  Exit 0 if nothing failed, 1
 * otherwise, 2 for bad usage.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "petrel.h"

static pthread_mutex_t	tool_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned		tool_answered;
static unsigned		tool_failed;

/* Print a result line. */
static void
tool_line(const struct petrel_send_result *r, const char *key)
{
	printf("ok %d %s %u %llu %s %s%s%s\n", r->status, r->broker,
	    r->queue_id, (unsigned long long)r->queue_offset, r->msg_id,
	    r->unique_id, key != NULL ? " " : "", key != NULL ? key : "");
}

/* Print a sync send's outcome and count it in *sent or *failed. */
static void
tool_outcome(int rc, const struct petrel_send_result *r,
    const struct petrel_error *err, const char *key, unsigned long *sent,
    unsigned long *failed)
{
	if (rc == 0) {
		(*sent)++;
		tool_line(r, key);
	} else {
		(*failed)++;
		printf("error %d %s\n", err->code, err->text);
	}
}

/* An async send's answer: its line, with the body it sent. */
static void
tool_cb(const struct petrel_send_result *r, const struct petrel_error *e,
    void *arg)
{
	char	body[64];

	snprintf(body, sizeof body, "msg-%lu", (unsigned long)(uintptr_t)arg);
	pthread_mutex_lock(&tool_lock);
	tool_answered++;
	if (e != NULL) {
		tool_failed++;
		printf("error %d %s\n", e->code, e->text);
	} else
		tool_line(r, body);
	pthread_mutex_unlock(&tool_lock);
}

/* What the selector of the select command is given as its arg. */
struct tool_select {
	const char	*cookie;
	unsigned	 calls;
};

/* What each thread of the threads command sends on the shared producer. */
struct tool_thread {
	struct petrel_producer	*p;
	const char		*topic;
	unsigned long		 n;
	int			 no;
	int			 async;
	unsigned long		 sent;
	unsigned long		 failed;
};

/* The monotonic clock in milliseconds. */
static long long
tool_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* The select command's selector: queue 3k+1 mod n on the kth call. */
static uint32_t
tool_selector(uint32_t n, const struct petrel_msg *m, void *arg)
{
	struct tool_select	*ts = arg;
	const char		*body;
	size_t			 len;
	uint32_t		 pick;

	pick = (ts->calls * 3 + 1) % n;
	body = petrel_msg_body(m, &len);
	printf("select %u %u %u %s %.*s\n", n, ts->calls, pick, ts->cookie,
	    (int)len, body);
	ts->calls++;
	return (pick);
}

/*
 * One thread of the threads command: n sync sends, a line each; or of
 * athreads: n async sends, numbered after the other threads'.
 */
static void *
tool_thread(void *arg)
{
	struct tool_thread		*tt = arg;
	struct petrel_send_result	 r;
	struct petrel_error		 err;
	struct petrel_msg		*m;
	char				 body[64];
	unsigned long			 i;
	int				 rc;

	for (i = 0; i < tt->n; i++) {
		if (tt->async) {
			snprintf(body, sizeof body, "msg-%lu",
			    tt->no * tt->n + i);
			m = petrel_msg_new(tt->topic, body, strlen(body));
			rc = petrel_send_async(tt->p, m, tool_cb,
			    (void *)(uintptr_t)(tt->no * tt->n + i), &err);
			petrel_msg_free(m);
			if (rc != 0) {
				pthread_mutex_lock(&tool_lock);
				tt->failed++;
				printf("error %d %s\n", err.code, err.text);
				pthread_mutex_unlock(&tool_lock);
			}
			continue;
		}
		snprintf(body, sizeof body, "t%d-%lu", tt->no, i);
		m = petrel_msg_new(tt->topic, body, strlen(body));
		rc = petrel_send(tt->p, m, &r, &err);
		petrel_msg_free(m);
		pthread_mutex_lock(&tool_lock);
		tool_outcome(rc, &r, &err, body, &tt->sent, &tt->failed);
		pthread_mutex_unlock(&tool_lock);
	}
	return (NULL);
}

/* Sleep ms milliseconds. */
static void
tool_pause(long ms)
{
	struct timespec	ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000;
	nanosleep(&ts, NULL);
}

int
main(int argc, char **argv)
{
	struct petrel_client		*c;
	struct petrel_producer		*p;
	struct petrel_producer_options	 o;
	struct petrel_client_options	 co;
	struct petrel_send_result	 r, *rs;
	struct petrel_error		 err;
	struct petrel_msg		**ms;
	const char			*cmd, *topic;
	char				 body[64], key[32], *big;
	unsigned long			 n, i, sent = 0, failed = 0, keys;
	long				 retries = -1, timeout = -1;
	long long			 start;
	int				 rc, ch;

	petrel_client_options_init(&co);
	while ((ch = getopt(argc, argv, "H:P:r:t:")) != -1) {
		switch (ch) {
		case 'H':
			co.heartbeat_ms = (uint32_t)atol(optarg);
			break;
		case 'P':
			co.poll_namesrv_ms = (uint32_t)atol(optarg);
			break;
		case 'r':
			retries = atol(optarg);
			break;
		case 't':
			timeout = atol(optarg);
			break;
		default:
			return (2);
		}
	}
	argc -= optind - 1;
	argv += optind - 1;
	if (argc < 5)
		return (2);
	cmd = argv[2];
	topic = argv[3];
	n = strtoul(argv[4], NULL, 10);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if ((c = petrel_client_new_opts(argv[1], &co, &err)) == NULL) {
		printf("error %d %s\n", err.code, err.text);
		return (1);
	}
	petrel_producer_options_init(&o);
	o.group = "petrel_tool";
	if (retries != -1)
		o.retries = (uint32_t)retries;
	if (timeout != -1)
		o.timeout_ms = (uint32_t)timeout;
	if ((p = petrel_producer_new(c, &o, &err)) == NULL) {
		printf("error %d %s\n", err.code, err.text);
		return (1);
	}
	if (strcmp(cmd, "sync") == 0 || strcmp(cmd, "ordered") == 0) {
		keys = argc > 5 ? strtoul(argv[5], NULL, 10) : 1;
		for (i = 0; i < n; i++) {
			struct petrel_msg *m;

			snprintf(body, sizeof body, "msg-%lu", i);
			snprintf(key, sizeof key, "key%lu", i % keys);
			m = petrel_msg_new(topic, body, strlen(body));
			petrel_msg_add_key(m, key);
			petrel_msg_set_tag(m, "T");
			start = tool_ms();
			if (*cmd == 's')
				rc = petrel_send(p, m, &r, &err);
			else
				rc = petrel_send_ordered(p, m, key, &r, &err);
			petrel_msg_free(m);
			tool_outcome(rc, &r, &err, *cmd == 'o' ? key : NULL,
			    &sent, &failed);
			printf("took %lld\n", tool_ms() - start);
			if (*cmd == 's' && argc > 5)
				tool_pause(atol(argv[5]));
		}
	} else if (strcmp(cmd, "async") == 0 || strcmp(cmd, "oneway") == 0) {
		for (i = 0; i < n; i++) {
			struct petrel_msg *m;

			snprintf(body, sizeof body, "msg-%lu", i);
			m = petrel_msg_new(topic, body, strlen(body));
			if (*cmd == 'a')
				rc = petrel_send_async(p, m, tool_cb,
				    (void *)(uintptr_t)i, &err);
			else
				rc = petrel_send_oneway(p, m, &err);
			petrel_msg_free(m);
			if (rc != 0) {
				failed++;
				printf("error %d %s\n", err.code, err.text);
			}
		}
		if (petrel_producer_flush(p, 10000, &err) != 0) {
			printf("error %d %s\n", err.code, err.text);
			failed++;
		}
		if (*cmd == 'a') {
			printf("answered %u\n", tool_answered);
			failed += tool_failed;
			sent = tool_answered - tool_failed;
		} else
			sent = n - failed;
	} else if (strcmp(cmd, "batch") == 0) {
		ms = calloc(n, sizeof *ms);
		rs = calloc(n, sizeof *rs);
		for (i = 0; i < n; i++) {
			snprintf(body, sizeof body, "batch-%lu", i);
			ms[i] = petrel_msg_new(topic, body, strlen(body));
		}
		if (petrel_send_batch(p, (const struct petrel_msg *const *)ms,
		    n, rs, &err) == 0) {
			for (i = 0; i < n; i++)
				tool_line(&rs[i], NULL);
			sent = n;
		} else {
			printf("error %d %s\n", err.code, err.text);
			failed = n;
		}
		for (i = 0; i < n; i++)
			petrel_msg_free(ms[i]);
		free(ms);
		free(rs);
	} else if (strcmp(cmd, "big") == 0) {
		struct petrel_msg *m;

		big = malloc(n);
		for (i = 0; i < n; i++)
			big[i] = 'a' + (char)(i % 7);
		m = petrel_msg_new(topic, big, n);
		rc = petrel_send(p, m, &r, &err);
		tool_outcome(rc, &r, &err, NULL, &sent, &failed);
		petrel_msg_free(m);
		free(big);
	} else if (strcmp(cmd, "select") == 0 && argc > 5) {
		struct tool_select	 ts = { argv[5], 0 };
		struct petrel_msg	*m;

		for (i = 0; i < n; i++) {
			snprintf(body, sizeof body, "sel-%lu", i);
			m = petrel_msg_new(topic, body, strlen(body));
			rc = petrel_send_select(p, m, tool_selector, &ts, &r,
			    &err);
			petrel_msg_free(m);
			tool_outcome(rc, &r, &err, body, &sent, &failed);
		}
	} else if (strcmp(cmd, "props") == 0 && argc > 4) {
		struct petrel_msg *m;

		m = petrel_msg_new(topic, "props", 5);
		if (petrel_msg_set_tag(m, "TagP") != 0 ||
		    petrel_msg_add_key(m, "kA") != 0 ||
		    petrel_msg_add_key(m, "kB") != 0 ||
		    petrel_msg_set_property(m, "color", "blue") != 0 ||
		    petrel_msg_set_property(m, "size", "9") != 0 ||
		    petrel_msg_set_delay_level(m, (int)n) != 0) {
			petrel_msg_free(m);
			printf("error 4 cannot set the message's fields\n");
			return (1);
		}
		rc = petrel_send(p, m, &r, &err);
		tool_outcome(rc, &r, &err, NULL, &sent, &failed);
		petrel_msg_free(m);
	} else if (strcmp(cmd, "threads") == 0 ||
	    strcmp(cmd, "athreads") == 0) {
		struct tool_thread	tt[8];
		pthread_t		tid[8];
		int			j;

		for (j = 0; j < 8; j++) {
			memset(&tt[j], 0, sizeof tt[j]);
			tt[j].p = p;
			tt[j].topic = topic;
			tt[j].n = n;
			tt[j].no = j;
			tt[j].async = *cmd == 'a';
			if (pthread_create(&tid[j], NULL, tool_thread,
			    &tt[j]) != 0)
				return (1);
		}
		for (j = 0; j < 8; j++) {
			pthread_join(tid[j], NULL);
			sent += tt[j].sent;
			failed += tt[j].failed;
		}
		if (*cmd == 'a') {
			if (petrel_producer_flush(p, 10000, &err) != 0) {
				printf("error %d %s\n", err.code, err.text);
				failed++;
			}
			printf("answered %u\n", tool_answered);
			failed += tool_failed;
			sent = tool_answered - tool_failed;
		}
	} else
		return (2);
	printf("sent %lu failed %lu\n", sent, failed);
	petrel_producer_free(p);
	petrel_client_free(c);
	return (failed != 0);
}
