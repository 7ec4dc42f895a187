#!/bin/sh
# "make install DESTDIR=tmp" from the build tree puts everything where the
# build's directories say (the header, the library, petrel.pc, every man
# page, the programs, the systemd units and what they start, the bash
# completion), and a program built against the installed header and
# library with "pkg-config --cflags --libs petrel" runs: it checks
# petrel_version, petrel_strerror, a message's accessors and a send to a
# name server nobody listens on.  A sanitizer or coverage build's flags
# (SAN_CFLAGS, SAN_LDFLAGS, COV_CFLAGS) go to the program too: libpetrel.so
# then needs their runtime.
set -u
: "${top_builddir:?}" "${top_srcdir:?}"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/petrel-install.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM
root=$tmp/root
rc=0

fail()
{
	echo "FAIL: $*" >&2
	rc=1
}

# Make in the build tree, alone (not as part of the make running us).
build_make()
{
	MAKEFLAGS='' MFLAGS='' ${MAKE:-make} -s --no-print-directory \
	    -C "$top_builddir" "$@"
}

# The build's variables, expanded by make, as "name=value" lines.
VARS="prefix bindir sbindir libdir includedir mandir pkgconfigdir
systemdsystemunitdir bashcompletiondir VERSION CC SAN_CFLAGS SAN_LDFLAGS COV_CFLAGS
PKG_CONFIG bin_PROGRAMS sbin_PROGRAMS dist_man_MANS man_MANS
systemdsystemunit_DATA dist_bashcompletion_DATA"
{
	echo 'petrel-print-vars:'
	for v in $VARS; do
		# shellcheck disable=SC2016 # $(v) is make's to expand
		printf '\t@echo '\''%s=$(%s)'\''\n' "$v" "$v"
	done
} >"$tmp/print.mk"
build_make -f Makefile -f "$tmp/print.mk" petrel-print-vars >"$tmp/vars" ||
    { echo "FAIL: cannot ask make for the build's variables"; exit 1; }

# The value of the build's variable $1.
var()
{
	sed -n "s/^$1=//p" "$tmp/vars"
}

PKG_CONFIG=$(var PKG_CONFIG)
[ -n "$PKG_CONFIG" ] || { echo "SKIP: no pkg-config"; exit 77; }

build_make install DESTDIR="$root" >"$tmp/install.log" 2>&1 || {
	tail -20 "$tmp/install.log"
	echo "FAIL: make install DESTDIR=$root"
	exit 1
}

# Files that must be installed, under DESTDIR.
need()
{
	[ -f "$root$1" ] || fail "$1 not installed"
}
need "$(var includedir)/petrel/petrel.h"
need "$(var libdir)/libpetrel.so"
need "$(var pkgconfigdir)/petrel.pc"
for man in $(var dist_man_MANS) $(var man_MANS); do
	page=${man##*/}
	need "$(var mandir)/man${page##*.}/$page"
done
for page in libpetrel.3 petrel_consumer.3 petrel.1 petrel-broker.8 \
    petrel-namesrv.8; do
	need "$(var mandir)/man${page##*.}/$page"
done
for prog in $(var bin_PROGRAMS); do
	need "$(var bindir)/${prog##*/}"
done
for prog in $(var sbin_PROGRAMS); do
	need "$(var sbindir)/${prog##*/}"
done
for file in $(var dist_bashcompletion_DATA); do
	need "$(var bashcompletiondir)/${file##*/}"
done
units=$(var systemdsystemunit_DATA)
for unit in petrel-namesrv.service petrel-broker@.service; do
	case " $units " in
	*/"$unit "*) ;;
	*) fail "$unit is not among the units installed ($units)" ;;
	esac
done
for unit in $units; do
	unit=$(var systemdsystemunitdir)/${unit##*/}
	need "$unit"
	[ -f "$root$unit" ] || continue
	# What the unit starts is an installed daemon.
	exe=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$root$unit")
	case $exe in
	"$(var sbindir)"/*) need "$exe" ;;
	*) fail "$unit starts $exe, not a daemon of $(var sbindir)" ;;
	esac
done

# The program, built as a user of the installed library would.
cat >"$tmp/prog.c" <<'EOF'
#define _POSIX_C_SOURCE 200809L

#include <sys/socket.h>
#include <netinet/in.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <petrel.h>

#define CHECK(e) do {							\
	if (!(e)) {							\
		printf("failed: %s\n", #e);				\
		return (1);						\
	}								\
} while (0)

/* Check what needs no daemon; print "ok" at the end. */
int
main(void)
{
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof sin;
	struct petrel_error	 err;
	struct petrel_client	*c;
	struct petrel_producer	*p;
	struct petrel_msg	*m;
	size_t			 blen;
	char			 ns[64];
	int			 fd, rc;

	printf("version %s\n", petrel_version());
	CHECK(strcmp(petrel_strerror(PETREL_E_TOPIC_NOT_EXIST),
	    "the topic does not exist") == 0);
	CHECK(strcmp(petrel_strerror(-7), "unknown error") == 0);

	/* A message made here has none of a received message's fields. */
	CHECK((m = petrel_msg_new("Lib", "hello", 5)) != NULL);
	CHECK(petrel_msg_set_tag(m, "A") == 0);
	CHECK(petrel_msg_set_tag(m, "A||B") == -1);
	CHECK(petrel_msg_add_key(m, "k1") == 0);
	CHECK(petrel_msg_set_property(m, "TAGS", "x") == -1);
	CHECK(strcmp(petrel_msg_topic(m), "Lib") == 0);
	CHECK(memcmp(petrel_msg_body(m, &blen), "hello", 5) == 0 &&
	    blen == 5);
	CHECK(strcmp(petrel_msg_tag(m), "A") == 0);
	CHECK(petrel_msg_nkeys(m) == 1 && petrel_msg_key(m, 1) == NULL);
	CHECK(strcmp(petrel_msg_id(m), "") == 0);
	CHECK(strcmp(petrel_msg_unique_id(m), "") == 0);
	CHECK(strcmp(petrel_msg_broker(m), "") == 0);
	CHECK(petrel_msg_queue_offset(m) == 0 && petrel_msg_born_ms(m) == 0);
	CHECK(petrel_msg_new(NULL, "x", 1) == NULL);

	CHECK(petrel_client_new("nonsense", &err) == NULL);
	CHECK(err.code == PETREL_E_BAD_REQUEST);

	/* A port bound, never listened on: connections are refused. */
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK((fd = socket(AF_INET, SOCK_STREAM, 0)) != -1);
	CHECK(bind(fd, (struct sockaddr *)&sin, sizeof sin) == 0);
	CHECK(getsockname(fd, (struct sockaddr *)&sin, &len) == 0);
	snprintf(ns, sizeof ns, "127.0.0.1:%u", ntohs(sin.sin_port));
	CHECK((c = petrel_client_new(ns, &err)) != NULL);
	CHECK((p = petrel_producer_new(c, NULL, &err)) != NULL);
	rc = petrel_send(p, m, NULL, &err);
	printf("send: %d %d %s: %s\n", rc, err.code,
	    petrel_strerror(err.code), err.text);
	CHECK(rc == -1 && err.code == PETREL_E_CONNECT_FAILED);
	petrel_producer_free(p);
	petrel_client_free(c);
	petrel_msg_free(m);
	close(fd);
	printf("ok\n");
	return (0);
}
EOF
PKG_CONFIG_SYSROOT_DIR=$root
PKG_CONFIG_PATH=$root$(var pkgconfigdir)
export PKG_CONFIG_SYSROOT_DIR PKG_CONFIG_PATH
flags=$("$PKG_CONFIG" --cflags --libs petrel) ||
    { echo "FAIL: pkg-config knows no installed petrel"; exit 1; }
case $flags in
*"-I$root$(var includedir)/petrel"*"-L$root$(var libdir)"*) ;;
*) fail "pkg-config gives \"$flags\", not the installed directories" ;;
esac
[ "$("$PKG_CONFIG" --modversion petrel)" = "$(var VERSION)" ] ||
    fail "petrel.pc's version is not $(var VERSION)"
# shellcheck disable=SC2046,SC2086 # the compiler and flags are word lists
$(var CC) -std=c11 -Wall -Wextra -Werror $(var SAN_CFLAGS) $(var COV_CFLAGS) \
    -o "$tmp/prog" "$tmp/prog.c" $flags $(var SAN_LDFLAGS) \
    >"$tmp/cc.log" 2>&1 || {
	cat "$tmp/cc.log"
	echo "FAIL: cannot build a program against the installed library"
	exit 1
}
LD_LIBRARY_PATH=$root$(var libdir)
export LD_LIBRARY_PATH
# The library it runs with is the one installed.
if command -v ldd >/dev/null; then
	ldd "$tmp/prog" | grep -qF "$root$(var libdir)/libpetrel.so" ||
	    fail "the program does not load $root$(var libdir)/libpetrel.so"
fi
"$tmp/prog" >"$tmp/prog.out" 2>&1 || fail "the program failed"
cat "$tmp/prog.out"
grep -qx "version $(var VERSION)" "$tmp/prog.out" ||
    fail "petrel_version is not $(var VERSION)"
grep -qx ok "$tmp/prog.out" || fail "the program did not finish"
exit $rc
