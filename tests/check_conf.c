/*
 * Tests of lib/conf.c: good files, every class of error with its
 * file:line, units, printing and reparsing, command-line overrides and
 * reload merging.
 */
#include "config.h"

#include <check.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "testutil.h"
#include "xmalloc.h"

struct tconf {
	char	*host;
	int64_t	 port;
	int	 flag;
	int64_t	 size;
	int64_t	 dur;
	int	 mode;
	char	*path;
	char	*note;
};

static const char *const tmodes[] = { "SYNC_MASTER", "ASYNC_MASTER", "SLAVE",
    NULL };

static const struct conf_key tkeys[] = {
	{ "listenAddress", CONF_STRING, 1, 255, "0.0.0.0",
	  offsetof(struct tconf, host), CONF_HOST, NULL },
	{ "listenPort", CONF_INT, 0, 65535, "9876",
	  offsetof(struct tconf, port), 0, NULL },
	{ "enableThing", CONF_BOOL, 0, 1, "false",
	  offsetof(struct tconf, flag), CONF_RELOAD, NULL },
	{ "maxFrameSize", CONF_SIZE, 1024, 1LL << 30, "16m",
	  offsetof(struct tconf, size), 0, NULL },
	{ "scanInterval", CONF_DURATION, 10, 3600000, "10s",
	  offsetof(struct tconf, dur), CONF_RELOAD, NULL },
	{ "brokerRole", CONF_ENUM, 0, 0, "ASYNC_MASTER",
	  offsetof(struct tconf, mode), 0, tmodes },
	{ "kvConfigPath", CONF_STRING, 0, 0, NULL,
	  offsetof(struct tconf, path), CONF_RELOAD, NULL },
	{ "note", CONF_STRING, 0, 8, "",
	  offsetof(struct tconf, note), 0, NULL },
	{ NULL, 0, 0, 0, NULL, 0, 0, NULL }
};

/* Parse s into a defaulted t; returns conf_parse's result and cause. */
static int
tparse(struct tconf *t, const char *s, char **cause)
{
	memset(t, 0, sizeof *t);
	conf_defaults(tkeys, t);
	*cause = NULL;
	return (conf_parse(tkeys, t, "t.conf", s, strlen(s), cause));
}

/* Expect s to fail with exactly the error text want. */
static void
tfail(const char *s, const char *want)
{
	struct tconf	 t;
	char		*cause;

	ck_assert_int_eq(tparse(&t, s, &cause), -1);
	ck_assert_ptr_nonnull(cause);
	ck_assert_str_eq(cause, want);
	free(cause);
	conf_free(tkeys, &t);
}

START_TEST(test_defaults)
{
	struct tconf	t;

	memset(&t, 0, sizeof t);
	conf_defaults(tkeys, &t);
	ck_assert_str_eq(t.host, "0.0.0.0");
	ck_assert_int_eq(t.port, 9876);
	ck_assert_int_eq(t.flag, 0);
	ck_assert_int_eq(t.size, 16 * 1024 * 1024);
	ck_assert_int_eq(t.dur, 10000);
	ck_assert_int_eq(t.mode, 1);
	ck_assert_str_eq(t.path, "");
	conf_free(tkeys, &t);
	ck_assert_ptr_null(t.host);
}
END_TEST

START_TEST(test_good_file)
{
	struct tconf	 t;
	char		*cause;
	const char	*s =
	    "# a comment\n"
	    "\n"
	    "   \t\n"
	    "  # indented comment = not a key\n"
	    "listenAddress=127.0.0.1\n"
	    "\tlistenPort \t=  10911  \r\n"
	    "enableThing = YES\n"
	    "maxFrameSize = 4M\n"
	    "scanInterval = 250ms\n"
	    "brokerRole = slave\n"
	    "kvConfigPath = /var/lib/a=b # not a comment";

	ck_assert_int_eq(tparse(&t, s, &cause), 0);
	ck_assert_ptr_null(cause);
	ck_assert_str_eq(t.host, "127.0.0.1");
	ck_assert_int_eq(t.port, 10911);
	ck_assert_int_eq(t.flag, 1);
	ck_assert_int_eq(t.size, 4 * 1024 * 1024);
	ck_assert_int_eq(t.dur, 250);
	ck_assert_int_eq(t.mode, 2);
	ck_assert_str_eq(t.path, "/var/lib/a=b # not a comment");
	conf_free(tkeys, &t);
}
END_TEST

START_TEST(test_empty_file)
{
	struct tconf	 t;
	char		*cause;

	ck_assert_int_eq(tparse(&t, "", &cause), 0);
	ck_assert_int_eq(t.port, 9876);
	conf_free(tkeys, &t);
	ck_assert_int_eq(tparse(&t, "\n\n#x\n", &cause), 0);
	conf_free(tkeys, &t);
}
END_TEST

START_TEST(test_long_line)
{
	struct tconf	 t;
	char		*s, *cause;
	size_t		 n = 100000, i;

	s = xmalloc(n + 32);
	strcpy(s, "kvConfigPath = ");
	for (i = strlen(s); i < n; i++)
		s[i] = 'a' + (i % 26);
	s[n] = '\0';
	ck_assert_int_eq(tparse(&t, s, &cause), 0);
	ck_assert_uint_eq(strlen(t.path), n - strlen("kvConfigPath = "));
	conf_free(tkeys, &t);
	free(s);
}
END_TEST

START_TEST(test_units)
{
	int64_t	v;
	int	b;

	ck_assert_int_eq(conf_parse_size("0", &v), 0);
	ck_assert_int_eq(v, 0);
	ck_assert_int_eq(conf_parse_size("512", &v), 0);
	ck_assert_int_eq(v, 512);
	ck_assert_int_eq(conf_parse_size("64k", &v), 0);
	ck_assert_int_eq(v, 65536);
	ck_assert_int_eq(conf_parse_size("64K", &v), 0);
	ck_assert_int_eq(v, 65536);
	ck_assert_int_eq(conf_parse_size("16m", &v), 0);
	ck_assert_int_eq(v, 16 << 20);
	ck_assert_int_eq(conf_parse_size("1g", &v), 0);
	ck_assert_int_eq(v, 1 << 30);
	ck_assert_int_eq(conf_parse_size("2t", &v), 0);
	ck_assert_int_eq(v, 2LL << 40);
	ck_assert_int_eq(conf_parse_size("1x", &v), -1);
	ck_assert_int_eq(conf_parse_size("1 k", &v), -1);
	ck_assert_int_eq(conf_parse_size("k", &v), -1);
	ck_assert_int_eq(conf_parse_size("-1", &v), -1);
	ck_assert_int_eq(conf_parse_size("1kk", &v), -1);
	ck_assert_int_eq(conf_parse_size("9223372036854775807", &v), 0);
	ck_assert_int_eq(conf_parse_size("9223372036854775808", &v), -1);
	ck_assert_int_eq(conf_parse_size("9007199254740992k", &v), -1);
	ck_assert_int_eq(conf_parse_size("99999999999999999999999", &v), -1);

	ck_assert_int_eq(conf_parse_duration("250", &v), 0);
	ck_assert_int_eq(v, 250);
	ck_assert_int_eq(conf_parse_duration("250ms", &v), 0);
	ck_assert_int_eq(v, 250);
	ck_assert_int_eq(conf_parse_duration("10s", &v), 0);
	ck_assert_int_eq(v, 10000);
	ck_assert_int_eq(conf_parse_duration("2m", &v), 0);
	ck_assert_int_eq(v, 120000);
	ck_assert_int_eq(conf_parse_duration("72h", &v), 0);
	ck_assert_int_eq(v, 72LL * 3600000);
	ck_assert_int_eq(conf_parse_duration("3d", &v), 0);
	ck_assert_int_eq(v, 3LL * 86400000);
	ck_assert_int_eq(conf_parse_duration("1MS", &v), 0);
	ck_assert_int_eq(v, 1);
	ck_assert_int_eq(conf_parse_duration("1.5s", &v), -1);
	ck_assert_int_eq(conf_parse_duration("1w", &v), -1);
	ck_assert_int_eq(conf_parse_duration("s", &v), -1);
	ck_assert_int_eq(conf_parse_duration("", &v), -1);
	ck_assert_int_eq(conf_parse_duration("9999999999999999d", &v), -1);

	ck_assert_int_eq(conf_parse_int("-5", &v), 0);
	ck_assert_int_eq(v, -5);
	ck_assert_int_eq(conf_parse_int("+5", &v), 0);
	ck_assert_int_eq(v, 5);
	ck_assert_int_eq(conf_parse_int("5x", &v), -1);
	ck_assert_int_eq(conf_parse_int(" 5", &v), -1);
	ck_assert_int_eq(conf_parse_int("-", &v), -1);
	ck_assert_int_eq(conf_parse_int("0x10", &v), -1);
	ck_assert_int_eq(conf_parse_int("99999999999999999999", &v), -1);

	ck_assert_int_eq(conf_parse_bool("true", &b), 0);
	ck_assert_int_eq(b, 1);
	ck_assert_int_eq(conf_parse_bool("On", &b), 0);
	ck_assert_int_eq(b, 1);
	ck_assert_int_eq(conf_parse_bool("no", &b), 0);
	ck_assert_int_eq(b, 0);
	ck_assert_int_eq(conf_parse_bool("FALSE", &b), 0);
	ck_assert_int_eq(b, 0);
	ck_assert_int_eq(conf_parse_bool("1", &b), -1);
	ck_assert_int_eq(conf_parse_bool("truee", &b), -1);
}
END_TEST

START_TEST(test_format)
{
	struct { enum conf_type t; int64_t v; const char *s; } c[] = {
		{ CONF_SIZE, 0, "0" },
		{ CONF_SIZE, 1000, "1000" },
		{ CONF_SIZE, 1024, "1k" },
		{ CONF_SIZE, 16 << 20, "16m" },
		{ CONF_SIZE, 3LL << 30, "3g" },
		{ CONF_SIZE, 1536LL << 30, "1536g" },
		{ CONF_DURATION, 0, "0" },
		{ CONF_DURATION, 250, "250ms" },
		{ CONF_DURATION, 10000, "10s" },
		{ CONF_DURATION, 90000, "90s" },
		{ CONF_DURATION, 120000, "2m" },
		{ CONF_DURATION, 72LL * 3600000, "72h" },
		{ CONF_INT, -3, "-3" },
	};
	char	*s;
	size_t	 i;

	for (i = 0; i < sizeof c / sizeof c[0]; i++) {
		s = conf_format(c[i].t, c[i].v);
		ck_assert_str_eq(s, c[i].s);
		free(s);
	}
}
END_TEST

START_TEST(test_bad_syntax)
{
	tfail("listenPort\n", "t.conf:1: expected \"key = value\"");
	tfail("\n = 5\n", "t.conf:2: missing key before \"=\"");
	tfail("listen Port = 5\n",
	    "t.conf:1: invalid character in key \"listen Port\"");
	tfail("li\x1bstenPort = 5\n",
	    "t.conf:1: invalid character in key \"li?stenPort\"");
	tfail("note = a\x01z\n", "t.conf:1: note: control character in value");
	tfail("note = a\x7fz\n", "t.conf:1: note: control character in value");
}
END_TEST

START_TEST(test_nul_byte)
{
	struct tconf	 t;
	char		*cause;
	const char	 s[] = "listenPort = 1\nnote = a\0b\n";

	memset(&t, 0, sizeof t);
	conf_defaults(tkeys, &t);
	ck_assert_int_eq(conf_parse(tkeys, &t, "t.conf", s, sizeof s - 1,
	    &cause), -1);
	ck_assert_str_eq(cause, "t.conf:2: NUL byte in line");
	free(cause);
	conf_free(tkeys, &t);
}
END_TEST

START_TEST(test_unknown_key)
{
	tfail("listenport = 1\n", "t.conf:1: unknown key \"listenport\" "
	    "(did you mean \"listenPort\"?)");
	tfail("#\nkvConfigPth = x\n", "t.conf:2: unknown key \"kvConfigPth\" "
	    "(did you mean \"kvConfigPath\"?)");
	tfail("clusterName = a\n", "t.conf:1: unknown key \"clusterName\"");
	tfail("zzz = a\n", "t.conf:1: unknown key \"zzz\"");
}
END_TEST

START_TEST(test_duplicate_key)
{
	tfail("listenPort = 1\n\nlistenPort = 1\n",
	    "t.conf:3: duplicate key \"listenPort\" (first set on line 1)");
	tfail("listenPort = x\nlistenPort = 2\n",
	    "t.conf:1: listenPort: expected an integer, not \"x\"\n"
	    "t.conf:2: duplicate key \"listenPort\" (first set on line 1)");
}
END_TEST

START_TEST(test_bad_values)
{
	tfail("listenPort = 65536\n",
	    "t.conf:1: listenPort: 65536 is out of range (0..65535)");
	tfail("listenPort = -1\n",
	    "t.conf:1: listenPort: -1 is out of range (0..65535)");
	tfail("listenPort =\n", "t.conf:1: listenPort: missing value");
	tfail("listenPort = 9876 # comment\n", "t.conf:1: listenPort: expected "
	    "an integer, not \"9876 # comment\"");
	tfail("maxFrameSize = 2g\n",
	    "t.conf:1: maxFrameSize: 2g is out of range (1k..1g)");
	tfail("maxFrameSize = 10q\n", "t.conf:1: maxFrameSize: expected a "
	    "size (like 512, 64k, 16m, 1g), not \"10q\"");
	tfail("scanInterval = 5ms\n",
	    "t.conf:1: scanInterval: 5ms is out of range (10ms..1h)");
	tfail("scanInterval = 2h\n",
	    "t.conf:1: scanInterval: 2h is out of range (10ms..1h)");
	tfail("scanInterval = soon\n", "t.conf:1: scanInterval: expected a "
	    "duration (like 500ms, 10s, 2m, 1h), not \"soon\"");
	tfail("enableThing = maybe\n",
	    "t.conf:1: enableThing: expected true or false, not \"maybe\"");
	tfail("brokerRole = MASTER\n", "t.conf:1: brokerRole: \"MASTER\" is "
	    "not one of SYNC_MASTER, ASYNC_MASTER, SLAVE");
	tfail("listenAddress =\n", "t.conf:1: listenAddress: missing value");
	tfail("note = 123456789\n",
	    "t.conf:1: note: length 9 is out of range (0..8)");
}
END_TEST

/*
 * A CONF_HOST key takes what the listener can bind as it is (a hostname
 * was taken by conf, then refused by the listener at start).
 */
START_TEST(test_host)
{
	static const char *const good[] = {
		"127.0.0.1", "0.0.0.0", "::", "::1", "fe80::1", "localhost",
		NULL
	};
	struct tconf	 t;
	char		*cause, *s;
	size_t		 i;

	for (i = 0; good[i] != NULL; i++) {
		xasprintf(&s, "listenAddress = %s \n", good[i]);
		ck_assert_int_eq(tparse(&t, s, &cause), 0);
		ck_assert_str_eq(t.host, good[i]);
		conf_free(tkeys, &t);
		free(s);
	}
	tfail("listenAddress = petrel.example.com\n", "t.conf:1: "
	    "listenAddress: \"petrel.example.com\" is not a numeric IPv4 or "
	    "IPv6 address");
	tfail("\nlistenAddress = [::1]\n", "t.conf:2: listenAddress: "
	    "\"[::1]\" is not a numeric IPv4 or IPv6 address");
	tfail("listenAddress = 127.0.0.1:9876\n", "t.conf:1: listenAddress: "
	    "\"127.0.0.1:9876\" is not a numeric IPv4 or IPv6 address");
	tfail("listenAddress = 1.2.3.4 5\n", "t.conf:1: listenAddress: "
	    "\"1.2.3.4 5\" is not a numeric IPv4 or IPv6 address");

	/* The command line's way in checks the same; other strings do not. */
	memset(&t, 0, sizeof t);
	conf_defaults(tkeys, &t);
	ck_assert_int_eq(conf_set(tkeys, &t, "listenAddress", "nohost",
	    &cause), -1);
	ck_assert_str_eq(cause, "listenAddress: \"nohost\" is not a numeric "
	    "IPv4 or IPv6 address");
	free(cause);
	ck_assert_str_eq(t.host, "0.0.0.0");
	ck_assert_int_eq(conf_set(tkeys, &t, "note", "a.b.c", &cause), 0);
	conf_free(tkeys, &t);
}
END_TEST

/*
 * A CONF_NODE key takes what the name server takes for a cluster or
 * broker name (a broker named "broker a" started, then never registered).
 */
START_TEST(test_node)
{
	static const struct conf_key nkeys[] = {
		{ "clusterName", CONF_STRING, 1, 127, "DefaultCluster", 0,
		  CONF_NODE, NULL },
		{ NULL, 0, 0, 0, NULL, 0, 0, NULL }
	};
	static const char *const good[] = {
		"DefaultCluster", "broker-a", "rack1.b_2", "a|b", "%x", NULL
	};
	static const struct {
		const char	*file;
		const char	*want;
	} bad[] = {
		{ "clusterName = broker a\n", "n.conf:1: clusterName: \"broker "
		  "a\" has a character a name may not hold at byte 6" },
		{ "\nclusterName = b/c\n", "n.conf:2: clusterName: \"b/c\" has "
		  "a character a name may not hold at byte 1" },
		{ "clusterName = \xc3\xa9\n", "n.conf:1: clusterName: "
		  "\"\xc3\xa9\" has a character a name may not hold at byte 0" },
	};
	const char	*rule = " (letters, digits, '_', '-', '%', '.' and '|')";
	char		*cluster, *cause, *s, *want;
	size_t		 i;

	for (i = 0; good[i] != NULL; i++) {
		cluster = NULL;
		conf_defaults(nkeys, &cluster);
		xasprintf(&s, "clusterName = %s\n", good[i]);
		ck_assert_int_eq(conf_parse(nkeys, &cluster, "n.conf", s,
		    strlen(s), &cause), 0);
		ck_assert_str_eq(cluster, good[i]);
		conf_free(nkeys, &cluster);
		free(s);
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cluster = NULL;
		conf_defaults(nkeys, &cluster);
		cause = NULL;
		ck_assert_int_eq(conf_parse(nkeys, &cluster, "n.conf",
		    bad[i].file, strlen(bad[i].file), &cause), -1);
		xasprintf(&want, "%s%s", bad[i].want, rule);
		ck_assert_str_eq(cause, want);
		free(want);
		free(cause);
		ck_assert_str_eq(cluster, "DefaultCluster");
		conf_free(nkeys, &cluster);
	}

	/* The command line's way in checks the same. */
	cluster = NULL;
	conf_defaults(nkeys, &cluster);
	ck_assert_int_eq(conf_set(nkeys, &cluster, "clusterName", "a:b",
	    &cause), -1);
	free(cause);
	ck_assert_str_eq(cluster, "DefaultCluster");
	conf_free(nkeys, &cluster);
}
END_TEST

START_TEST(test_many_errors)
{
	struct tconf	 t;
	char		*s, *cause, *p;
	size_t		 i, lines = 0;

	/* Every bad line is reported, up to the cap. */
	ck_assert_int_eq(tparse(&t, "a = 1\nlistenPort = 2\nb\nnote = x\n"
	    "listenPort = 3\n", &cause), -1);
	ck_assert_str_eq(cause, "t.conf:1: unknown key \"a\"\n"
	    "t.conf:3: expected \"key = value\"\n"
	    "t.conf:5: duplicate key \"listenPort\" (first set on line 2)");
	free(cause);
	conf_free(tkeys, &t);

	s = xcalloc(1, 100 * 4 + 1);
	for (i = 0; i < 100; i++)
		strcat(s, "xx\n\n");
	ck_assert_int_eq(tparse(&t, s, &cause), -1);
	for (p = cause; (p = strchr(p, '\n')) != NULL; p++)
		lines++;
	ck_assert_uint_eq(lines, CONF_MAX_ERRORS);
	ck_assert_ptr_nonnull(strstr(cause, "t.conf:39: expected"));
	ck_assert_ptr_nonnull(strstr(cause,
	    "t.conf: too many errors, giving up"));
	free(cause);
	free(s);
	conf_free(tkeys, &t);
}
END_TEST

START_TEST(test_print_roundtrip)
{
	struct tconf	 t, u;
	char		*buf = NULL, *cause;
	size_t		 len = 0;
	FILE		*f;
	const struct conf_key *k;

	ck_assert_int_eq(tparse(&t, "maxFrameSize = 1536k\nscanInterval = 90s\n"
	    "enableThing = on\nkvConfigPath = /tmp/x y\n", &cause), 0);
	f = open_memstream(&buf, &len);
	conf_print(tkeys, &t, f);
	fclose(f);
	ck_assert_str_eq(buf,
	    "listenAddress = 0.0.0.0\n"
	    "listenPort = 9876\n"
	    "enableThing = true\n"
	    "maxFrameSize = 1536k\n"
	    "scanInterval = 90s\n"
	    "brokerRole = ASYNC_MASTER\n"
	    "kvConfigPath = /tmp/x y\n"
	    "note =\n");
	ck_assert_int_eq(tparse(&u, buf, &cause), 0);
	for (k = tkeys; k->name != NULL; k++)
		ck_assert_int_eq(conf_changed(k, &t, &u), 0);
	free(buf);
	conf_free(tkeys, &t);
	conf_free(tkeys, &u);
}
END_TEST

START_TEST(test_set)
{
	struct tconf	 t;
	char		*cause;

	memset(&t, 0, sizeof t);
	conf_defaults(tkeys, &t);
	ck_assert_int_eq(conf_set(tkeys, &t, "listenPort", "0", &cause), 0);
	ck_assert_int_eq(t.port, 0);
	ck_assert_int_eq(conf_set(tkeys, &t, "listenPort", "x", &cause), -1);
	ck_assert_str_eq(cause, "listenPort: expected an integer, not \"x\"");
	free(cause);
	ck_assert_int_eq(conf_set(tkeys, &t, "nope", "1", &cause), -1);
	ck_assert_str_eq(cause, "unknown key \"nope\"");
	free(cause);
	ck_assert_int_eq(t.port, 0);
	ck_assert_ptr_eq(conf_find(tkeys, "brokerRole"), &tkeys[5]);
	ck_assert_ptr_null(conf_find(tkeys, "brokerrole"));
	conf_free(tkeys, &t);
}
END_TEST

START_TEST(test_load)
{
	struct tconf	 t;
	char		*dir, path[4200], *cause;
	FILE		*f;

	dir = test_tmpdir();
	ck_assert_ptr_nonnull(dir);
	memset(&t, 0, sizeof t);
	conf_defaults(tkeys, &t);

	snprintf(path, sizeof path, "%s/missing.conf", dir);
	ck_assert_int_eq(conf_load(tkeys, &t, path, &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "missing.conf: No such file"));
	free(cause);

	ck_assert_int_eq(conf_load(tkeys, &t, dir, &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, ": not a regular file"));
	free(cause);

	snprintf(path, sizeof path, "%s/good.conf", dir);
	f = fopen(path, "w");
	fputs("listenPort = 1234\n", f);
	fclose(f);
	ck_assert_int_eq(conf_load(tkeys, &t, path, &cause), 0);
	ck_assert_int_eq(t.port, 1234);

	snprintf(path, sizeof path, "%s/bad.conf", dir);
	f = fopen(path, "w");
	fputs("# x\nlistenPort = 1234\nlistenPrt = 1\n", f);
	fclose(f);
	ck_assert_int_eq(conf_load(tkeys, &t, path, &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "bad.conf:3: unknown key "
	    "\"listenPrt\" (did you mean \"listenPort\"?)"));
	ck_assert_ptr_eq(strstr(cause, path), cause);
	free(cause);

	conf_free(tkeys, &t);
	test_rmdir(dir);
}
END_TEST

START_TEST(test_merge)
{
	struct tconf	 cur, next;
	char		*cause;

	log_init("check", LOG_LEVEL_WARN);
	ck_assert_int_eq(tparse(&cur, "kvConfigPath = /a\n", &cause), 0);
	ck_assert_int_eq(tparse(&next, "kvConfigPath = /b\nlistenPort = 1\n"
	    "scanInterval = 1s\n", &cause), 0);
	ck_assert_int_eq(conf_merge(tkeys, &cur, &next), 2);
	ck_assert_str_eq(cur.path, "/b");
	ck_assert_int_eq(cur.dur, 1000);
	ck_assert_int_eq(cur.port, 9876);	/* needs a restart */
	ck_assert_int_eq(conf_merge(tkeys, &cur, &next), 0);
	conf_free(tkeys, &cur);
	conf_free(tkeys, &next);
}
END_TEST

START_TEST(test_suggest)
{
	ck_assert_str_eq(conf_suggest(tkeys, "LISTENPORT"), "listenPort");
	ck_assert_str_eq(conf_suggest(tkeys, "listenAdress"), "listenAddress");
	ck_assert_str_eq(conf_suggest(tkeys, "scanInterva"), "scanInterval");
	ck_assert_ptr_null(conf_suggest(tkeys, "completelyDifferent"));
	ck_assert_ptr_null(conf_suggest(tkeys, ""));
}
END_TEST

Suite *
conf_suite(void)
{
	Suite	*s = suite_create("conf");
	TCase	*tc;

	tc = tcase_create("parse");
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_good_file);
	tcase_add_test(tc, test_empty_file);
	tcase_add_test(tc, test_long_line);
	tcase_add_test(tc, test_units);
	tcase_add_test(tc, test_format);
	suite_add_tcase(s, tc);
	tc = tcase_create("errors");
	tcase_add_test(tc, test_bad_syntax);
	tcase_add_test(tc, test_nul_byte);
	tcase_add_test(tc, test_unknown_key);
	tcase_add_test(tc, test_duplicate_key);
	tcase_add_test(tc, test_bad_values);
	tcase_add_test(tc, test_host);
	tcase_add_test(tc, test_node);
	tcase_add_test(tc, test_many_errors);
	suite_add_tcase(s, tc);
	tc = tcase_create("use");
	tcase_add_test(tc, test_print_roundtrip);
	tcase_add_test(tc, test_set);
	tcase_add_test(tc, test_load);
	tcase_add_test(tc, test_merge);
	tcase_add_test(tc, test_suggest);
	suite_add_tcase(s, tc);
	return (s);
}
