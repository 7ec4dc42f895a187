#!/bin/sh
# libpetrel's producer against a fake name server and broker
# (libpetrel_fake.py) that fails sends on purpose and counts requests:
# a retryable failure is tried 1 + retries times (2 by default), another
# failure once; a send never answered fails with TIMEOUT after the
# producer's timeout (3 s by default).
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
grep -q '^error 2 ' "$T/busy.out" || fk_fail "not SYSTEM_BUSY: $(cat "$T/busy.out")"
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
grep -q '^error 900 ' "$T/silent.out" || fk_fail "not TIMEOUT: $(cat "$T/silent.out")"
ms=$(fk_took "$T/silent.out")
[ "$ms" -ge 2800 ] && [ "$ms" -le 5000 ] || fk_fail "timed out after $ms ms"
fk_control send=silent
"$TOOL" -t 1000 "$NS" sync Fk 1 >"$T/silent1.out" &&
    fk_fail "a silent send succeeded"
grep -q '^error 900 ' "$T/silent1.out" || fk_fail "not TIMEOUT at 1 s"
ms=$(fk_took "$T/silent1.out")
[ "$ms" -ge 900 ] && [ "$ms" -le 2500 ] || fk_fail "1 s timeout after $ms ms"

exit 0
