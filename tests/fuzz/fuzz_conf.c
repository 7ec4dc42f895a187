/*
 * libFuzzer target for the configuration files (lib/conf.c): the input is
 * a file given to petrel-broker and to petrel-namesrv with -f.  Each
 * daemon loads it with its own loader, broker_conf_load() and
 * namesrv_conf_load() (daemons/broker_conf.c, daemons/namesrv_conf.c):
 * defaults, conf_load() against the daemon's table of keys, then the
 * checks that span keys.
 *
 * A refused file must say why, naming the file on every line.  An
 * accepted one must hold only values its keys allow, with addresses the
 * listener and the registrar will take whole; must print as a file that
 * reads back the same; and must load the same again, so that a SIGHUP
 * with the file unchanged changes nothing.  Built with libFuzzer by
 * --enable-fuzzing and tests/integration/fuzz_conf.sh, and with
 * tests/fuzz/replay.c into a program that replays the seed corpus.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker_conf.h"
#include "conf.h"
#include "daemon.h"
#include "log.h"
#include "name.h"
#include "namesrv_conf.h"
#include "rpc.h"
#include "xmalloc.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* A daemon: its keys and its loader, given the input with -f. */
struct fuzz_daemon {
	const char		*name;
	const struct conf_key	*keys;
	size_t			 size;		/* of its configuration */
	int			(*load)(void *, char **);
	void			(*check)(const void *);	/* accepted */
};

static char	*fuzz_path;		/* the file the input is written to */

/* Remove the input's file, at exit. */
static void
fuzz_unlink(void)
{
	unlink(fuzz_path);
}

/* Log warnings only, keep the environment out of the defaults. */
static void
fuzz_init(void)
{
	log_init("fuzz_conf", LOG_LEVEL_WARN);
	unsetenv("STATE_DIRECTORY");	/* the default data roots */
	xasprintf(&fuzz_path, "%s/petrel-fuzz-conf.%ld",
	    access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp",
	    (long)getpid());
	atexit(fuzz_unlink);
}

/* Write the input as the configuration file. */
static void
fuzz_write(const uint8_t *data, size_t size)
{
	FILE	*f;

	if ((f = fopen(fuzz_path, "wb")) == NULL)
		fatal("%s", fuzz_path);
	if ((size != 0 && fwrite(data, 1, size, f) != size) || fclose(f) != 0)
		fatal("%s", fuzz_path);
}

/*
 * A refused file: both loads say the same, and each line of it is
 * "file: message" or "file:line: message", no more than conf_parse() gives.
 */
static void
fuzz_refused(const char *who, char *cause, char *again)
{
	const char	*line, *nl;
	size_t		 plen = strlen(fuzz_path);
	int		 n = 0;

	if (cause == NULL || *cause == '\0')
		fatalx("%s: a refused file without a reason", who);
	if (again == NULL || strcmp(cause, again) != 0)
		fatalx("%s: the same file refused for another reason: %s / %s",
		    who, cause, again != NULL ? again : "(none)");
	for (line = cause; line != NULL; line = nl != NULL ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		if (strncmp(line, fuzz_path, plen) != 0 || line[plen] != ':' ||
		    line + plen + 1 == (nl != NULL ? nl : line + strlen(line)))
			fatalx("%s: an error line without its file: %s", who,
			    cause);
		n++;
	}
	if (n > CONF_MAX_ERRORS + 1)
		fatalx("%s: %d error lines", who, n);
	free(cause);
	free(again);
}

/* The field of key k in conf. */
static const void *
fuzz_field(const struct conf_key *k, const void *conf)
{
	return ((const char *)conf + k->offset);
}

/* A string value: its length in range, no control character, trimmed. */
static void
fuzz_string(const struct conf_key *k, const char *s)
{
	size_t	len = strlen(s), i;

	if ((int64_t)len < k->min || (k->max > 0 && (int64_t)len > k->max))
		fatalx("%s: length %zu out of range", k->name, len);
	for (i = 0; i < len; i++) {
		if ((s[i] != '\t' && (u_char)s[i] < 0x20) || s[i] == 0x7f)
			fatalx("%s: control character at %zu", k->name, i);
	}
	if (len != 0 && (s[0] == ' ' || s[0] == '\t' || s[len - 1] == ' ' ||
	    s[len - 1] == '\t'))
		fatalx("%s: \"%s\" is not trimmed", k->name, s);
	for (i = 0; (k->flags & CONF_NODE) && i < len; i++) {
		if (!name_node_char_ok(s[i]))
			fatalx("%s: \"%s\" is no cluster or broker name",
			    k->name, s);
	}
}

/* Every value of an accepted configuration is one its key allows. */
static void
fuzz_limits(const struct conf_key *keys, const void *conf)
{
	const struct conf_key	*k;
	int64_t			 v;
	int			 i, n;

	for (k = keys; k->name != NULL; k++) {
		switch (k->type) {
		case CONF_STRING:
			fuzz_string(k, *(char *const *)fuzz_field(k, conf));
			break;
		case CONF_BOOL:
			i = *(const int *)fuzz_field(k, conf);
			if (i != 0 && i != 1)
				fatalx("%s: boolean %d", k->name, i);
			break;
		case CONF_ENUM:
			i = *(const int *)fuzz_field(k, conf);
			for (n = 0; k->choices[n] != NULL; n++)
				;
			if (i < 0 || i >= n)
				fatalx("%s: choice %d of %d", k->name, i, n);
			break;
		default:
			v = *(const int64_t *)fuzz_field(k, conf);
			if (v < k->min || v > k->max)
				fatalx("%s: %lld out of range", k->name,
				    (long long)v);
			break;
		}
	}
}

/* Fail unless configurations a and b agree on every key. */
static void
fuzz_same(const char *what, const struct conf_key *keys, const void *a,
    const void *b)
{
	const struct conf_key	*k;

	for (k = keys; k->name != NULL; k++) {
		if (conf_changed(k, a, b))
			fatalx("%s: %s differs", what, k->name);
	}
}

/* conf as conf_print() writes it; caller frees. */
static char *
fuzz_print(const struct conf_key *keys, const void *conf, size_t *len)
{
	FILE	*f;
	char	*text;

	if ((f = open_memstream(&text, len)) == NULL)
		fatal("open_memstream");
	conf_print(keys, conf, f);
	if (fclose(f) != 0)
		fatal("open_memstream");
	return (text);
}

/*
 * An accepted configuration conf of d, loaded again as again: values in
 * range, the same twice (so a reload merges nothing), and its printed
 * form reads back to the same values and prints the same.
 */
static void
fuzz_accepted(const struct fuzz_daemon *d, void *conf, void *again)
{
	void	*reread;
	char	*text, *text2, *cause = NULL;
	size_t	 len, len2;

	fuzz_limits(d->keys, conf);
	fuzz_same(d->name, d->keys, conf, again);
	if (conf_merge(d->keys, conf, again) != 0)
		fatalx("%s: reloading the same file changed keys", d->name);

	text = fuzz_print(d->keys, conf, &len);
	reread = xcalloc(1, d->size);
	conf_defaults(d->keys, reread);
	if (conf_parse(d->keys, reread, "printed", text, len, &cause) != 0)
		fatalx("%s: printed configuration refused: %s\n%s", d->name,
		    cause, text);
	fuzz_same(d->name, d->keys, conf, reread);
	text2 = fuzz_print(d->keys, reread, &len2);
	if (len != len2 || memcmp(text, text2, len) != 0)
		fatalx("%s: printed twice differently:\n%s\n%s", d->name,
		    text, text2);
	free(text);
	free(text2);
	conf_free(d->keys, reread);
	free(reread);
}

/* listenAddress: a host the listener binds (actors/listener.c). */
static void
fuzz_host(const char *host)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	char			*cause = NULL;

	if (rpc_resolve(host, 0, &ss, &sslen, &cause) != 0)
		fatalx("listenAddress accepted, the listener refuses it: %s",
		    cause);
}

/*
 * namesrvAddr: every character of the list but blanks and empty entries
 * reaches the registrar, in order, in addresses rpc_new() takes.
 */
static void
fuzz_addrs(const char *list)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	const char		*p;
	char			*addrs[BROKER_ADDRS], *want, *got, *next;
	char			*host, *cause = NULL;
	size_t			 len = 0;
	uint16_t		 port;
	int			 n, i;

	if ((n = broker_split_addrs(list, addrs, BROKER_ADDRS, &cause)) < 1)
		fatalx("namesrvAddr \"%s\" accepted, then split fails: %s",
		    list, cause);
	want = xmalloc(strlen(list) + 1);
	for (p = list; *p != '\0'; p++) {
		if (*p == ' ' || *p == '\t' ||
		    (*p == ';' && (len == 0 || want[len - 1] == ';')))
			continue;
		want[len++] = *p;
	}
	if (len != 0 && want[len - 1] == ';')
		len--;
	want[len] = '\0';
	got = xstrdup("");
	for (i = 0; i < n; i++) {
		if (rpc_parse_address(addrs[i], &host, &port, &cause) != 0 ||
		    rpc_resolve(host, port, &ss, &sslen, &cause) != 0 ||
		    port == 0)
			fatalx("namesrvAddr \"%s\" accepted, the registrar "
			    "refuses \"%s\": %s", list, addrs[i],
			    cause != NULL ? cause : "port 0");
		free(host);
		xasprintf(&next, "%s%s%s", got, i == 0 ? "" : ";", addrs[i]);
		free(got);
		got = next;
		free(addrs[i]);
	}
	if (strcmp(want, got) != 0)
		fatalx("namesrvAddr \"%s\" is used as \"%s\"", list, got);
	free(want);
	free(got);
}

/* The command line of a daemon given the input with -f. */
static void
fuzz_args(struct daemon_args *args)
{
	memset(args, 0, sizeof *args);
	args->conf = fuzz_path;
	args->conf_given = 1;
	args->port = -1;
}

/* Load the input as petrel-broker does. */
static int
fuzz_broker_load(void *conf, char **cause)
{
	struct daemon_args	args;

	fuzz_args(&args);
	return (broker_conf_load(conf, &args, cause));
}

/* What an accepted broker configuration must also hold. */
static void
fuzz_broker_check(const void *conf)
{
	const struct broker_conf	*c = conf;

	if (c->segment_size % (64 * 1024) != 0 ||
	    c->max_msg_size > c->segment_size / 2 ||
	    c->refuse_ratio <= c->clean_ratio)
		fatalx("broker: keys that do not go together accepted");
	fuzz_host(c->listen_address);
	fuzz_addrs(c->namesrv_addr);
}

/* Load the input as petrel-namesrv does. */
static int
fuzz_namesrv_load(void *conf, char **cause)
{
	struct daemon_args	args;

	fuzz_args(&args);
	return (namesrv_conf_load(conf, &args, cause));
}

/* What an accepted name server configuration must also hold. */
static void
fuzz_namesrv_check(const void *conf)
{
	const struct namesrv_conf	*c = conf;

	fuzz_host(c->listen_address);
}

static const struct fuzz_daemon fuzz_daemons[] = {
	{ "broker", broker_keys, sizeof (struct broker_conf),
	  fuzz_broker_load, fuzz_broker_check },
	{ "namesrv", namesrv_keys, sizeof (struct namesrv_conf),
	  fuzz_namesrv_load, fuzz_namesrv_check }
};

/* The input as daemon d loads it, twice. */
static void
fuzz_daemon(const struct fuzz_daemon *d)
{
	void	*conf, *again;
	char	*cause = NULL, *cause2 = NULL;
	int	 rc;

	conf = xcalloc(1, d->size);
	again = xcalloc(1, d->size);
	rc = d->load(conf, &cause);
	if (d->load(again, &cause2) != rc)
		fatalx("%s: the same file loads once only", d->name);
	if (rc != 0)
		fuzz_refused(d->name, cause, cause2);
	else {
		fuzz_accepted(d, conf, again);
		d->check(conf);
		conf_free(d->keys, conf);
		conf_free(d->keys, again);
	}
	free(conf);
	free(again);
}

/* One input: the whole text of a configuration file. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t	i;

	if (fuzz_path == NULL)
		fuzz_init();
	fuzz_write(data, size);
	for (i = 0; i < nitems(fuzz_daemons); i++)
		fuzz_daemon(&fuzz_daemons[i]);
	return (0);
}
