# Sourced by tests/integration/cli_*.sh: paths, a temp dir and every process
# started here removed on exit, a real petrel-namesrv on a loopback port,
# stand-in brokers, and assertions.  Waits are for conditions, with
# deadlines.  Never end a test with a bare "petrel ..." (77 means SKIP).

set -u
: "${top_builddir:?}" "${top_srcdir:?}"

PETREL=$top_builddir/cli/petrel
NAMESRV=$top_builddir/daemons/petrel-namesrv
PYTHON3=${PYTHON3:-python3}
PROTOC=${PROTOC:-protoc}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/petrel-cli.XXXXXX") || exit 99
pids=

cli_cleanup()
{
	for pid in $pids; do
		kill "$pid" 2>/dev/null
	done
	for pid in $pids; do
		wait "$pid" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cli_cleanup EXIT
trap 'exit 1' HUP INT TERM

fail()
{
	echo "FAIL: $*" >&2
	exit 1
}

skip()
{
	echo "SKIP: $*" >&2
	exit 77
}

# expect RC CMD...: run CMD with stdout in $tmp/out and stderr in
# $tmp/err, and fail unless it exits RC.
expect()
{
	want=$1
	shift
	"$@" >"$tmp/out" 2>"$tmp/err"
	got=$?
	if [ "$got" -ne "$want" ]; then
		echo "--- stdout:" >&2
		cat "$tmp/out" >&2
		echo "--- stderr:" >&2
		cat "$tmp/err" >&2
		fail "\"$*\" exited $got, wanted $want"
	fi
}

# expect_out TEXT: fail unless the last stdout is exactly the lines of
# TEXT ("" for no output at all).
expect_out()
{
	if [ -n "$1" ]; then
		printf '%s\n' "$1" >"$tmp/want"
	else
		: >"$tmp/want"
	fi
	if ! cmp -s "$tmp/want" "$tmp/out"; then
		diff -u "$tmp/want" "$tmp/out" >&2
		fail "unexpected output"
	fi
}

# expect_grep FILE PATTERN: fail unless the last FILE (out or err)
# has a line matching the extended regular expression PATTERN.
expect_grep()
{
	grep -Eq -- "$2" "$tmp/$1" || {
		cat "$tmp/$1" >&2
		fail "no line of std$1 matches /$2/"
	}
}

# expect_jq FILE FILTER: fail unless FILE (out or err) is one JSON
# document for which the jq FILTER is true.
expect_jq()
{
	command -v jq >/dev/null || skip "jq is not installed"
	[ "$(jq -s length "$tmp/$1")" = 1 ] || {
		cat "$tmp/$1" >&2
		fail "std$1 is not exactly one JSON document"
	}
	jq -e "$2" "$tmp/$1" >/dev/null || {
		cat "$tmp/$1" >&2
		fail "std$1 fails jq filter: $2"
	}
}

# A TCP port on 127.0.0.1 that was free a moment ago.
free_port()
{
	"$PYTHON3" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# wait_for SECONDS CMD...: run CMD until it succeeds; fail at the deadline.
wait_for()
{
	deadline=$(($(date +%s) + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -lt "$deadline" ] ||
		    fail "timed out waiting for: $*"
		sleep 0.05
	done
}

# start_namesrv: start a name server on 127.0.0.1, port 0, with its data
# in $tmp; read the port it bound from its READY=1 notification (through
# tests/notify_listener) and set $ns to its host:port.
start_namesrv()
{
	[ -x "$NAMESRV" ] || skip "petrel-namesrv is not built"
	listener=$top_builddir/tests/notify_listener
	[ -x "$listener" ] || skip "tests/notify_listener is not built"
	n=$((${n:-0} + 1))
	dir=$tmp/namesrv$n
	mkdir -p "$dir"
	cat >"$dir/namesrv.conf" <<CONF
listenAddress = 127.0.0.1
listenPort = 0
kvConfigPath = $dir/kvConfig
CONF
	"$listener" -w READY=1 -t 10000 "$dir/notify" >"$dir/notify.out" &
	nl=$!
	wait_for 10 test -S "$dir/notify"
	NOTIFY_SOCKET=$dir/notify "$NAMESRV" -d -f "$dir/namesrv.conf" \
	    >"$dir/log" 2>&1 &
	pids="$pids $!"
	wait "$nl" || { cat "$dir/log" >&2; fail "petrel-namesrv never ready"; }
	port=$(sed -n 's/.*STATUS=listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' \
	    "$dir/notify.out")
	[ -n "$port" ] || { cat "$dir/notify.out" >&2; fail "no port"; }
	ns=127.0.0.1:$port
}

# start_broker CLUSTER BROKER ID ADDRESS [TOPIC:READ:WRITE:PERM ...]:
# register a stand-in broker with $ns and wait until the name server took
# it; it stays registered until the test ends.
start_broker()
{
	if [ ! -f "$tmp/py/namesrv_pb2.py" ]; then
		# configure's python3 may be one without Debian's protobuf.
		for py in "$PYTHON3" python3 /usr/bin/python3 ""; do
			[ -n "$py" ] || skip "no python3 with python3-protobuf"
			"$py" -c 'import google.protobuf' 2>/dev/null && break
		done
		PYPROTO=$py
		mkdir -p "$tmp/py"
		"$PROTOC" --proto_path="$top_srcdir/proto" \
		    --python_out="$tmp/py" frame.proto namesrv.proto ||
		    fail "protoc --python_out failed"
	fi
	ready=$tmp/broker.$$.$(date +%s%N)
	"$PYPROTO" "$top_srcdir/tests/integration/cli_fakebroker.py" \
	    "$tmp/py" "$ready" "$ns" "$@" &
	pids="$pids $!"
	wait_for 10 test -f "$ready"
}
