#!/bin/sh
# petrel send and petrel bench produce against a real name server and
# broker: one message, lines of stdin in order, JSON Lines, bad arguments
# (exit 64), an unknown topic, and the bench's JSON totals.
. "$top_srcdir/tests/integration/broker_lib.sh"
bk_one
bk_topic Cli 2

# One message, as text.
bk_petrel send --tag A --key k1 Cli hello >"$T/one.out" ||
    bk_fail "send failed: $(cat "$T/one.out")"
grep -Eq '^[0-9A-F]{32} ok queue [01] offset 0$' "$T/one.out" ||
    bk_fail "bad output: $(cat "$T/one.out")"

# Lines of stdin, in order, as JSON Lines.
printf 'l1\nl2\nl3\n' | bk_petrel send --json Cli - >"$T/lines.out" ||
    bk_fail "send - failed"
[ "$(wc -l <"$T/lines.out")" -eq 3 ] || bk_fail "not 3 lines"
jq -e -s 'length == 3 and all(.[]; .status == "ok" and
    (.msg_id | test("^[0-9A-F]{32}$")) and (.queue_id | type) == "number"
    and (.queue_offset | type) == "number")' "$T/lines.out" >/dev/null ||
    bk_fail "bad JSON Lines: $(cat "$T/lines.out")"
bk_py dump Cli 2 >"$T/dump" || bk_fail "dump failed"
for b in hello l1 l2 l3; do
	grep -q " $b\$" "$T/dump" || bk_fail "$b not stored"
done

# Bad arguments: usage errors.
for args in "send" "send Cli a b" "send --delay 19 Cli x" \
    "send --delay x Cli x" "send bad/topic x" "send a|b x" \
    "send %RETRY%g x" "send --tag a||b Cli x" \
    "send --bogus Cli x" "bench produce" "bench produce --topic Cli \
    --window 0" "bench produce --topic Cli --count 5 --duration 5"; do
	# shellcheck disable=SC2086
	bk_petrel $args >/dev/null 2>&1 </dev/null
	rc=$?
	[ "$rc" -eq 64 ] || bk_fail "petrel $args: exit $rc, not 64"
done

# A topic no broker has.
bk_petrel send Nowhere x >/dev/null 2>"$T/nowhere.err"
rc=$?
[ "$rc" -ne 0 ] || bk_fail "send to a missing topic succeeded"
grep -q 'Nowhere' "$T/nowhere.err" || bk_fail "no reason given"

# The bench: 2000 messages, 4 in flight.
bk_petrel bench produce --topic Cli --size 256 --window 4 --count 2000 \
    --json >"$T/bench.out" || bk_fail "bench failed: $(cat "$T/bench.out")"
jq -e '.messages == 2000 and .errors == 0 and .msgs_per_sec > 0 and
    (.p50_us | type) == "number" and .p99_us >= .p50_us and
    .p999_us >= .p99_us' "$T/bench.out" >/dev/null ||
    bk_fail "bad bench JSON: $(cat "$T/bench.out")"

bk_stop "$BK_PID"
ns_stop 0
exit 0
