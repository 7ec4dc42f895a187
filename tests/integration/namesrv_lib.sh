# Shared by the name server's integration tests (sourced, not run).
#
# ns_setup makes a temporary folder and a trap that stops whatever the test
# started.  ns_start starts petrel-namesrv there on port 0 with
# NOTIFY_SOCKET pointing at tests/notify_listener, waits for READY=1 and
# sets NS_PORT from its STATUS= line: no port is ever guessed.

: "${top_builddir:?}" "${top_srcdir:?}"
NAMESRV=$top_builddir/daemons/petrel-namesrv
NOTIFY_LISTENER=$top_builddir/tests/notify_listener
PYTHON3=${PYTHON3:-python3}
export top_srcdir PROTOC

NS_PID=
NS_LISTENER_PID=
NS_TMP=

ns_cleanup() {
	if [ -n "$NS_PID" ]; then
		kill -KILL "$NS_PID" 2>/dev/null
		wait "$NS_PID" 2>/dev/null
	fi
	if [ -n "$NS_LISTENER_PID" ]; then
		kill "$NS_LISTENER_PID" 2>/dev/null
		wait "$NS_LISTENER_PID" 2>/dev/null
	fi
	[ -n "$NS_TMP" ] && rm -rf "$NS_TMP"
}

ns_fail() {
	echo "FAIL: $*" >&2
	if [ -n "$NS_TMP" ] && [ -f "$NS_TMP/namesrv.log" ]; then
		echo "--- namesrv.log" >&2
		tail -n 40 "$NS_TMP/namesrv.log" >&2
	fi
	if [ -n "$NS_TMP" ] && [ -f "$NS_TMP/notify.out" ]; then
		echo "--- notify.out" >&2
		cat "$NS_TMP/notify.out" >&2
	fi
	exit 1
}

# Make the temporary folder and the trap; skip without the programs.
ns_setup() {
	[ -x "$NAMESRV" ] || { echo "no $NAMESRV"; exit 77; }
	[ -x "$NOTIFY_LISTENER" ] || { echo "no $NOTIFY_LISTENER"; exit 77; }
	NS_TMP=$(mktemp -d "${TMPDIR:-/tmp}/petrel-ns.XXXXXX") || exit 99
	trap ns_cleanup EXIT
	trap 'exit 1' INT TERM
	cd "$NS_TMP" || exit 99
	printf 'listenAddress = 127.0.0.1\n' >"$NS_TMP/namesrv.conf"
}

# Pick a python3 that has protobuf ($PYTHON3 may be a pyenv shim without
# it, while Debian's python3-protobuf is in /usr/bin/python3); PYTHON3 is
# left empty if there is none.
ns_find_python() {
	for _py in "$PYTHON3" python3 /usr/bin/python3; do
		if [ -n "$_py" ] && "$_py" -c 'import google.protobuf' \
		    >/dev/null 2>&1; then
			PYTHON3=$_py
			return 0
		fi
	done
	PYTHON3=
	return 1
}

# Skip unless python3 with protobuf and protoc are there.
ns_need_python() {
	ns_find_python || { echo "no python3 with protobuf"; exit 77; }
	command -v "${PROTOC:-protoc}" >/dev/null 2>&1 ||
	    { echo "no protoc"; exit 77; }
}

# Wait until command succeeds, at most $1 seconds.
ns_wait() {
	_secs=$1
	shift
	_end=$(($(date +%s) + _secs))
	until "$@"; do
		[ "$(date +%s)" -ge "$_end" ] && return 1
		sleep 0.05
	done
	return 0
}

# How many datagrams so far contain $1.
ns_notified() {
	grep -c -- "$1" "$NS_TMP/notify.out" 2>/dev/null || true
}

# Wait until at least $2 datagrams contain $1.
ns_wait_notify() {
	ns_wait 20 sh -c '[ "$(grep -c -- "$1" "$2" 2>/dev/null)" -ge "$3" ]' \
	    sh "$1" "$NS_TMP/notify.out" "$2"
}

# Start the name server with the config file and any extra arguments.
ns_start() {
	rm -f "$NS_TMP/notify" "$NS_TMP/notify.out"
	"$NOTIFY_LISTENER" -t 600000 "$NS_TMP/notify" >"$NS_TMP/notify.out" &
	NS_LISTENER_PID=$!
	ns_wait 10 test -S "$NS_TMP/notify" || ns_fail "no notify socket"
	NOTIFY_SOCKET=$NS_TMP/notify "$NAMESRV" -d -p 0 \
	    -f "$NS_TMP/namesrv.conf" "$@" >>"$NS_TMP/namesrv.log" 2>&1 &
	NS_PID=$!
	ns_wait_notify READY=1 1 || ns_fail "never READY"
	NS_PORT=$(sed -n 's/.*STATUS=listening on .*:\([0-9][0-9]*\).*/\1/p' \
	    "$NS_TMP/notify.out" | head -n 1)
	[ -n "$NS_PORT" ] && [ "$NS_PORT" -gt 0 ] || ns_fail "no port"
}

# Whether the name server still runs.
ns_alive() {
	kill -0 "$NS_PID" 2>/dev/null
}

# Stop it with SIGTERM and expect exit status $1 (default 0).
ns_stop() {
	kill -TERM "$NS_PID" || ns_fail "not running at SIGTERM"
	wait "$NS_PID"
	_rc=$?
	NS_PID=
	[ "$_rc" -eq "${1:-0}" ] || ns_fail "exit status $_rc, not ${1:-0}"
	ns_wait_notify STOPPING=1 1 || ns_fail "no STOPPING=1"
	kill "$NS_LISTENER_PID" 2>/dev/null
	wait "$NS_LISTENER_PID" 2>/dev/null
	NS_LISTENER_PID=
}

# Run one of the Python tests beside this file against the running server.
ns_python() {
	_script=$1
	shift
	"$PYTHON3" "$top_srcdir/tests/integration/$_script" "$NS_PORT" "$@" ||
	    ns_fail "$_script"
}
