# Shared by the broker's integration tests (sourced, not run).
#
# bk_setup makes a temporary folder (through ns_setup) whose trap stops
# the name server and every broker started here.  bk_start NAME starts
# petrel-broker on port 0 with the config file NAME.conf, its own
# NOTIFY_SOCKET listener, waits for READY=1 and sets BK_PORT from its
# STATUS= line and BK_PID to its pid.
. "$top_srcdir/tests/integration/namesrv_lib.sh"

BROKER=$top_builddir/daemons/petrel-broker
PETREL=$top_builddir/cli/petrel
BK_PIDS=

bk_cleanup() {
	for _p in $BK_PIDS; do
		kill -KILL "$_p" 2>/dev/null
		wait "$_p" 2>/dev/null
	done
	ns_cleanup
}

# The broker logs next to the name server's when a test fails.
bk_fail() {
	for _l in "$NS_TMP"/*.blog; do
		[ -f "$_l" ] || continue
		echo "--- $_l" >&2
		tail -n 40 "$_l" >&2
	done
	ns_fail "$@"
}

bk_setup() {
	[ -x "$BROKER" ] || { echo "no $BROKER"; exit 77; }
	[ -x "$PETREL" ] || { echo "no $PETREL"; exit 77; }
	ns_setup
	trap bk_cleanup EXIT
}

# Write NAME.conf for a broker called NAME registering with our name
# server, data under NAME.data; extra lines from the arguments.
bk_conf() {
	_name=$1
	shift
	{
		printf 'listenAddress = 127.0.0.1\n'
		printf 'brokerName = %s\n' "$_name"
		printf 'namesrvAddr = 127.0.0.1:%s\n' "$NS_PORT"
		printf 'storePathRootDir = %s/%s.data\n' "$NS_TMP" "$_name"
		for _line in "$@"; do
			printf '%s\n' "$_line"
		done
	} >"$NS_TMP/$_name.conf"
}

# Start the broker of NAME.conf; BK_PORT and BK_PID are set.
bk_start() {
	_name=$1
	shift
	rm -f "$NS_TMP/$_name.notify" "$NS_TMP/$_name.nout"
	"$NOTIFY_LISTENER" -t 600000 "$NS_TMP/$_name.notify" \
	    >"$NS_TMP/$_name.nout" &
	BK_PIDS="$BK_PIDS $!"
	ns_wait 10 test -S "$NS_TMP/$_name.notify" ||
	    bk_fail "no notify socket for $_name"
	NOTIFY_SOCKET=$NS_TMP/$_name.notify "$BROKER" -d -p 0 \
	    -f "$NS_TMP/$_name.conf" "$@" >>"$NS_TMP/$_name.blog" 2>&1 &
	BK_PID=$!
	BK_PIDS="$BK_PIDS $BK_PID"
	ns_wait 20 grep -q READY=1 "$NS_TMP/$_name.nout" ||
	    bk_fail "$_name never READY"
	BK_PORT=$(sed -n \
	    's/.*STATUS=listening on .*:\([0-9][0-9]*\).*/\1/p' \
	    "$NS_TMP/$_name.nout" | head -n 1)
	[ -n "$BK_PORT" ] && [ "$BK_PORT" -gt 0 ] || bk_fail "no port"
}

# Stop the broker with pid $1 by SIGTERM; expect exit 0.
bk_stop() {
	kill -TERM "$1" || bk_fail "broker $1 not running at SIGTERM"
	wait "$1"
	_rc=$?
	[ "$_rc" -eq 0 ] || bk_fail "broker $1 exited $_rc, not 0"
}

# petrel against our name server.
bk_petrel() {
	"$PETREL" -n "127.0.0.1:$NS_PORT" "$@"
}

# Whether "petrel cluster list --json" shows broker NAME at 127.0.0.1:PORT.
bk_listed() {
	bk_petrel cluster list --json 2>/dev/null | jq -e --arg n "$1" \
	    --arg a "127.0.0.1:$2" '[.. | objects | select(.broker_name? == $n)
	    | .addresses[]?.address] | index($a) != null' >/dev/null
}

# A name server and broker-a for a test: NS is the name server's address
# and T its folder.
bk_one() {
	bk_setup
	ns_need_python
	ns_start
	bk_conf broker-a
	bk_start broker-a
	NS=127.0.0.1:$NS_PORT
	T=$NS_TMP
}

# libpetrel_broker.py against the broker started last: create TOPIC N,
# dump TOPIC N and the others it knows.
bk_py() {
	PYTHONPATH=$top_srcdir/tests/integration "$PYTHON3" \
	    "$top_srcdir/tests/integration/libpetrel_broker.py" "$BK_PORT" "$@"
}

# Create topic $1 with $2 queues on the broker started last and wait until
# the name server routes it.
bk_topic() {
	bk_py create "$1" "$2" || bk_fail "cannot create topic $1"
	ns_wait 10 sh -c "'$PETREL' -n 127.0.0.1:$NS_PORT route $1 \
	    >/dev/null 2>&1" ||
	    bk_fail "topic $1 never routed"
}
