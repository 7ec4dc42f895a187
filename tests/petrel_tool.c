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
 *
 * A result line is "ok STATUS BROKER QUEUE OFFSET MSG_ID UNIQUE_ID
 * [KEY]" or "error CODE TEXT"; the last line counts "sent N failed N".
 * Exit 0 if nothing failed, 1 otherwise, 2 for bad usage.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
	struct petrel_send_result	 r, *rs;
	struct petrel_error		 err;
	struct petrel_msg		**ms;
	const char			*cmd, *topic;
	char				 body[64], key[32], *big;
	unsigned long			 n, i, sent = 0, failed = 0, keys;
	int				 rc;

	if (argc < 5)
		return (2);
	cmd = argv[2];
	topic = argv[3];
	n = strtoul(argv[4], NULL, 10);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if ((c = petrel_client_new(argv[1], &err)) == NULL) {
		printf("error %d %s\n", err.code, err.text);
		return (1);
	}
	petrel_producer_options_init(&o);
	o.group = "petrel_tool";
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
			if (*cmd == 's')
				rc = petrel_send(p, m, &r, &err);
			else
				rc = petrel_send_ordered(p, m, key, &r, &err);
			petrel_msg_free(m);
			if (rc == 0) {
				sent++;
				tool_line(&r, *cmd == 'o' ? key : NULL);
			} else {
				failed++;
				printf("error %d %s\n", err.code, err.text);
			}
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
		if (petrel_send(p, m, &r, &err) == 0) {
			tool_line(&r, NULL);
			sent = 1;
		} else {
			printf("error %d %s\n", err.code, err.text);
			failed = 1;
		}
		petrel_msg_free(m);
		free(big);
	} else
		return (2);
	printf("sent %lu failed %lu\n", sent, failed);
	petrel_producer_free(p);
	petrel_client_free(c);
	return (failed != 0);
}
