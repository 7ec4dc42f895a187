/*
 * Helpers shared by the broker's control-plane actors (actors/broker.h):
 * checks of topic, group and client names, the clocks, and where the small
 * configuration files under <root>/config/ go (their format is
 * lib/msgfile.c's).
 */
#include "config.h"

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "broker.h"
#include "msg.h"
#include "xmalloc.h"

#include "proto/brokerd.pb-c.h"


/* Add counter name to c (made if NULL) and return c. */
struct Petrel__Counters *
brokerlib_counter(struct Petrel__Counters *c, const char *name,
    uint64_t value)
{
	Petrel__Counter	*k;

	if (c == NULL)
		c = msg_new(&petrel__counters__descriptor);
	k = msg_new(&petrel__counter__descriptor);
	msg_set_string(&k->name, name);
	k->value = value;
	msg_array_add((void ***)&c->counters, &c->n_counters, k);
	return (c);
}

/*
 * Check a topic or group name called what (lib/name.h); a user topic may
 * not start with '%' (%RETRY%, %DLQ% and %DELAY% are the broker's).
 * NULL if good, else a reason in buf.
 */
const char *
brokerlib_check_name(const char *what, const char *s,
    enum brokerlib_name kind, char *buf, size_t len)
{
	size_t	i;

	if (*s == '\0') {
		snprintf(buf, len, "%s is empty", what);
		return (buf);
	}
	for (i = 0; s[i] != '\0'; i++) {
		if (i == NAME_LEN_MAX) {
			snprintf(buf, len, "%s is longer than %d bytes", what,
			    NAME_LEN_MAX);
			return (buf);
		}
		if (!name_char_ok(s[i])) {
			snprintf(buf, len, "%s \"%.*s\" has an invalid "
			    "character at byte %zu", what, NAME_LEN_MAX, s, i);
			return (buf);
		}
	}
	if (kind == BROKERLIB_USER_TOPIC && *s == '%') {
		snprintf(buf, len, "%s %s is a system topic", what, s);
		return (buf);
	}
	return (NULL);
}

/* Check a client id: 1-255 printable bytes, no spaces. */
const char *
brokerlib_check_client_id(const char *s, char *buf, size_t len)
{
	size_t	i;

	if (*s == '\0') {
		snprintf(buf, len, "client_id is empty");
		return (buf);
	}
	for (i = 0; s[i] != '\0'; i++) {
		if (i == BROKER_CLIENT_ID_MAX) {
			snprintf(buf, len, "client_id is longer than %d bytes",
			    BROKER_CLIENT_ID_MAX);
			return (buf);
		}
		if (!isgraph((u_char)s[i])) {
			snprintf(buf, len, "client_id has an invalid character "
			    "at byte %zu", i);
			return (buf);
		}
	}
	return (NULL);
}

/* <root>/config/<name>, making <root>/config if needed; NULL with cause. */
char *
brokerlib_config_path(const char *root, const char *name, char **cause)
{
	char	*dir, *path;

	if (*root == '\0') {
		xasprintf(cause, "no data root given");
		return (NULL);
	}
	xasprintf(&dir, "%s/config", root);
	if (mkdir(root, 0750) != 0 && errno != EEXIST) {
		xasprintf(cause, "%s: %s", root, strerror(errno));
		free(dir);
		return (NULL);
	}
	if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
		xasprintf(cause, "%s: %s", dir, strerror(errno));
		free(dir);
		return (NULL);
	}
	xasprintf(&path, "%s/%s", dir, name);
	free(dir);
	return (path);
}
