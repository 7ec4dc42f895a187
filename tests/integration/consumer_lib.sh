# Shared by the consumer's integration tests (sourced, not run): a name
# server and one broker (broker-c) from broker_lib.sh, the protocol-only
# helper consumer_tool.py and the test consumer tests/consumer_driver.
. "$top_srcdir/tests/integration/broker_lib.sh"

DRIVER=$top_builddir/tests/consumer_driver
CN_PIDS=

cn_cleanup() {
	for _p in $CN_PIDS; do
		kill -KILL "$_p" 2>/dev/null
		wait "$_p" 2>/dev/null
	done
	bk_cleanup
}

# A name server and a broker; BK_PORT and NSADDR are set.
cn_setup() {
	[ -x "$DRIVER" ] || { echo "no $DRIVER"; exit 77; }
	bk_setup
	ns_need_python
	trap cn_cleanup EXIT
	ns_start
	bk_conf broker-c "$@"
	bk_start broker-c
	NSADDR=127.0.0.1:$NS_PORT
}

# consumer_tool.py against the broker.
cn_tool() {
	PYTHONPATH=$top_srcdir/tests/integration "$PYTHON3" \
	    "$top_srcdir/tests/integration/consumer_tool.py" "$BK_PORT" "$@"
}

# Start a consumer NAME (output in NAME.out): GROUP TOPIC [name=value...].
cn_start() {
	_n=$1
	shift
	"$DRIVER" "$NSADDR" "$@" >"$NS_TMP/$_n.out" 2>"$NS_TMP/$_n.err" &
	CN_PIDS="$CN_PIDS $!"
	eval "CN_$_n=$!"
}

# Stop consumer NAME with SIGTERM and wait for it to end cleanly.
cn_stop() {
	eval "_p=\$CN_$1"
	kill -TERM "$_p"
	wait "$_p" || cn_fail "consumer $1 exited $?"
	grep -q '^END' "$NS_TMP/$1.out" || cn_fail "consumer $1 did not end"
}

# Messages seen by the consumers named, one body a line, sorted.
cn_bodies() {
	for _n in "$@"; do
		awk '$1 == "M" { print $8 }' "$NS_TMP/$_n.out"
	done | sort
}

# Wait up to SECS for consumer NAME to have N messages, else fail with WHY.
cn_wait_seen() {
	ns_wait "$1" sh -c '[ "$(grep -c "^M " "$0/$1.out")" -ge "$2" ]' \
	    "$NS_TMP" "$2" "$3" || cn_fail "$4"
}

# The latest owned queues of consumer NAME ("broker:qid" lines).
cn_queues() {
	grep '^Q ' "$NS_TMP/$1.out" | tail -n 1 | cut -d' ' -f3- | tr ' ' '\n' |
	    sed '/^$/d'
}

cn_fail() {
	for _f in "$NS_TMP"/*.err "$NS_TMP"/*.out; do
		[ -f "$_f" ] || continue
		echo "--- $_f" >&2
		tail -n 15 "$_f" >&2
	done
	bk_fail "$@"
}

# Wait up to $1 s until the consumers named after it own every one of
# $CN_QUEUES queues of broker-c exactly once between them, each some,
# for 1.6 s (more than a rebalance period of the driver).
cn_wait_owned() {
	_secs=$1
	shift
	_want=$(i=0; while [ $i -lt "$CN_QUEUES" ]; do
		echo "broker-c:$i"; i=$((i + 1)); done | sort)
	_end=$(($(date +%s) + _secs))
	_stable=0
	while :; do
		_got=$(for _n in "$@"; do cn_queues "$_n"; done | sort)
		_idle=$(for _n in "$@"; do [ -n "$(cn_queues "$_n")" ] ||
		    echo "$_n"; done)
		if [ "$_got" = "$_want" ] && [ -z "$_idle" ]; then
			# Settled: the same after more than a rebalance period.
			_stable=$((_stable + 1))
			[ "$_stable" -ge 8 ] && return 0
		else
			_stable=0
		fi
		[ "$(date +%s)" -ge "$_end" ] && return 1
		sleep 0.2
	done
}
