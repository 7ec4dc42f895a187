#!/bin/sh
# libpetrel's producer against a fake name server and broker
# (libpetrel_fake.py) that fails sends on purpose and counts requests:
# a retryable failure is tried 1 + retries times (2 by default), another
# failure once; a send never answered fails with TIMEOUT after the
# producer's timeout (3 s by default).  With short client intervals
# (poll_namesrv_ms, heartbeat_ms) a route that gains queues or a broker
# is used without a failure, and heartbeats come periodically; a failed send
# makes the client ask for the route again at once.
. "$top_srcdir/tests/integration/namesrv_lib.sh"
TOOL=$top_builddir/tests/petrel_tool
FAKE_PID=

fk_cleanup() {
	if [ -n "$FAKE_PID" ]; then
		kill "$FAKE_PID" 2>/dev/null
		wait "$FAKE_PID" 2>/dev/null
	fi
	ns_cleanup
}

fk_fail() {
	echo "--- fake.log" >&2
	tail -n 40 "$NS_TMP/fake.log" >&2
	tail -n 20 "$NS_TMP/fake.err" >&2
	ns_fail "$@"
}

# Set the fake's control lines (libpetrel_fake.py) and empty its log.
fk_control() {
	printf '%s\n' "$@" >"$NS_TMP/ctl"
	: >"$NS_TMP/fake.log"
}

# How many lines of the fake's log start with $1.
fk_count() {
	grep -c "^$1" "$NS_TMP/fake.log"
}

# The milliseconds the first sync send of $1 took.
fk_took() {
	awk '/^took/ { print $2; exit }' "$1"
}

ns_setup
trap fk_cleanup EXIT
ns_need_python
T=$NS_TMP
fk_control send=ok
PYTHONPATH=$top_srcdir/tests/integration "$PYTHON3" \
    "$top_srcdir/tests/integration/libpetrel_fake.py" "$T/port" \
    "$T/fake.log" "$T/ctl" 2>"$T/fake.err" &
FAKE_PID=$!
ns_wait 20 test -s "$T/port" || fk_fail "the fake never listened"
NS=127.0.0.1:$(cat "$T/port")

# The fake answers.
"$TOOL" "$NS" sync Fk 2 >"$T/ok.out" || fk_fail "sends: $(cat "$T/ok.out")"
[ "$(fk_count send)" -eq 2 ] || fk_fail "not 2 sends"

# Retries: SYSTEM_BUSY is tried 3 times by default, then as many times as
# the option says; MESSAGE_ILLEGAL is never retried.
fk_control send=busy
"$TOOL" "$NS" sync Fk 1 >"$T/busy.out" && fk_fail "a busy send succeeded"
grep -q '^error 2 ' "$T/busy.out" ||
    fk_fail "not SYSTEM_BUSY: $(cat "$T/busy.out")"
[ "$(fk_count send)" -eq 3 ] || fk_fail "$(fk_count send) tries, not 3"
for r in 0 1 4; do
	fk_control send=busy
	"$TOOL" -r $r "$NS" sync Fk 1 >"$T/busy$r.out" &&
	    fk_fail "a busy send succeeded"
	[ "$(fk_count send)" -eq $((r + 1)) ] ||
	    fk_fail "retries $r: $(fk_count send) tries"
done
fk_control send=illegal
"$TOOL" "$NS" sync Fk 1 >"$T/ill.out" && fk_fail "an illegal send succeeded"
grep -q '^error 203 ' "$T/ill.out" || fk_fail "not MESSAGE_ILLEGAL"
[ "$(fk_count send)" -eq 1 ] || fk_fail "illegal: $(fk_count send) tries"

# Timeout: never answered, the send fails with TIMEOUT after 3 s (2.8-5 s
# allowed), or after the timeout set.
fk_control send=silent
"$TOOL" "$NS" sync Fk 1 >"$T/silent.out" && fk_fail "a silent send succeeded"
grep -q '^error 900 ' "$T/silent.out" ||
    fk_fail "not TIMEOUT: $(cat "$T/silent.out")"
ms=$(fk_took "$T/silent.out")
[ "$ms" -ge 2800 ] && [ "$ms" -le 5000 ] || fk_fail "timed out after $ms ms"
fk_control send=silent
"$TOOL" -t 1000 "$NS" sync Fk 1 >"$T/silent1.out" &&
    fk_fail "a silent send succeeded"
grep -q '^error 900 ' "$T/silent1.out" || fk_fail "not TIMEOUT at 1 s"
ms=$(fk_took "$T/silent1.out")
[ "$ms" -ge 900 ] && [ "$ms" -le 2500 ] || fk_fail "1 s timeout after $ms ms"

# Route refresh: sends every 50 ms with routes polled every 300 ms, into
# $T/$1.out; once they go, the fake's route becomes $2 (its control lines).
# Nothing in file $3 matches $4 before, something matches $5 within 5 s
# after (what $6 names), and no send fails.
fk_grow() {
	fk_control send=ok queues=2
	"$TOOL" -P 300 "$NS" sync Fk 120 50 >"$T/$1.out" &
	TOOL_PID=$!
	ns_wait 20 sh -c "[ \$(grep -c '^ok' '$T/$1.out') -ge 10 ]" ||
	    fk_fail "sends never got going: $(cat "$T/$1.out")"
	grep -q "$4" "$3" && fk_fail "$6 used before"
	printf '%b' "$2" >"$T/ctl"
	ns_wait 5 grep -q "$5" "$3" ||
	    fk_fail "$6 not used within 5 s: $(tail -n 3 "$T/$1.out")"
	wait "$TOOL_PID" ||
	    fk_fail "sends failed: $(grep -v '^ok' "$T/$1.out")"
	grep -q '^sent 120 failed 0$' "$T/$1.out" || fk_fail "not all sent"
}
# The topic grows from 2 to 4 queues, then gains a broker, fake-b.
fk_grow grow 'send=ok\nqueues=4\n' "$T/fake.log" '^send Fk [23] ' \
    '^send Fk 3 ' "queue 3"
fk_grow growb 'send=ok\nqueues=2\nbrokers=2\n' "$T/growb.out" \
    '^ok 0 fake-b ' '^ok 0 fake-b ' fake-b

# A failed send asks for the route again at once (routes polled every
# hour): between the failed send and the next one, 500 ms later.  Sends
# that succeed ask once.
fk_control send=ok
"$TOOL" -P 3600000 -r 0 "$NS" sync Fk 2 500 >"$T/once.out" ||
    fk_fail "sends failed: $(cat "$T/once.out")"
[ "$(fk_count route)" -eq 1 ] || fk_fail "$(fk_count route) route questions"
fk_control send=busy
"$TOOL" -P 3600000 -r 0 "$NS" sync Fk 2 500 >"$T/again.out" &&
    fk_fail "busy sends succeeded"
[ "$(grep -v heartbeat "$T/fake.log" | tr '\n' ' ')" = \
    "route Fk send Fk 0 msg-0 route Fk send Fk 1 msg-1 route Fk " ] ||
    fk_fail "no route question after a failure: $(cat "$T/fake.log")"

# Heartbeats: every 200 ms, at least 5 come in 3 s; by default only the
# first one does.
fk_control send=ok
"$TOOL" -H 200 "$NS" sync Fk 1 3000 >"$T/hb.out" ||
    fk_fail "send failed: $(cat "$T/hb.out")"
[ "$(fk_count heartbeat)" -ge 5 ] ||
    fk_fail "$(fk_count heartbeat) heartbeats in 3 s"
fk_control send=ok
"$TOOL" "$NS" sync Fk 1 3000 >"$T/hb1.out" ||
    fk_fail "send failed: $(cat "$T/hb1.out")"
[ "$(fk_count heartbeat)" -eq 1 ] ||
    fk_fail "$(fk_count heartbeat) heartbeats in 3 s by default"

exit 0
