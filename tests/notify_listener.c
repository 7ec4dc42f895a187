/*
 * A stand-in for systemd's side of $NOTIFY_SOCKET, for integration tests.
 *
 *	notify_listener [-w TEXT] [-t MS] PATH
 *
 * Binds a datagram socket at PATH and prints every datagram it receives
 * on one line of stdout (newlines inside a datagram become spaces),
 * flushed at once.  With -w it exits 0 as soon as a datagram contains
 * TEXT; it exits 1 when -t milliseconds (default 30000) pass first.
 * Without -w it runs until the deadline or SIGTERM and exits 0.  The
 * socket is removed on exit.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t	notify_stop;

/* SIGTERM, SIGINT: leave the loop. */
static void
notify_onsignal(int sig)
{
	notify_stop = 1;
}

/* Milliseconds on the monotonic clock. */
static long long
notify_now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* Listen, print, and stop on the wanted text or the deadline. */
int
main(int argc, char **argv)
{
	struct sockaddr_un	 sun;
	struct sigaction	 sa;
	struct pollfd		 pfd;
	const char		*want = NULL, *path;
	char			 buf[4096];
	long long		 deadline, left;
	ssize_t			 n, i;
	int			 ch, fd, rc = 0, timeout = 30000;

	while ((ch = getopt(argc, argv, "t:w:")) != -1) {
		switch (ch) {
		case 't':
			timeout = atoi(optarg);
			break;
		case 'w':
			want = optarg;
			break;
		default:
			fprintf(stderr, "usage: notify_listener [-w text] "
			    "[-t ms] path\n");
			return (2);
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "usage: notify_listener [-w text] [-t ms] "
		    "path\n");
		return (2);
	}
	path = argv[optind];
	if (strlen(path) >= sizeof sun.sun_path) {
		fprintf(stderr, "notify_listener: path too long\n");
		return (2);
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = notify_onsignal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1) {
		perror("notify_listener: socket");
		return (2);
	}
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, path);
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sun, sizeof sun) == -1) {
		perror("notify_listener: bind");
		return (2);
	}

	deadline = notify_now_ms() + timeout;
	rc = want != NULL ? 1 : 0;
	while (!notify_stop && (left = deadline - notify_now_ms()) > 0) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		if ((n = recv(fd, buf, sizeof buf - 1, 0)) <= 0)
			continue;
		buf[n] = '\0';
		for (i = 0; i < n; i++) {
			if (buf[i] == '\n' || buf[i] == '\0')
				buf[i] = ' ';
		}
		printf("%s\n", buf);
		fflush(stdout);
		if (want != NULL && strstr(buf, want) != NULL) {
			rc = 0;
			break;
		}
	}
	close(fd);
	unlink(path);
	return (rc);
}
