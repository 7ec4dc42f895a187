#!/bin/sh
# A libpetrel producer keeps sending while one of two brokers stops: every
# sync send succeeds (retried on the other broker) and the sends after the
# stop all go to the broker left.
. "$top_srcdir/tests/integration/broker_lib.sh"
TOOL=$top_builddir/tests/petrel_tool
bk_setup
ns_need_python
ns_start
NS=127.0.0.1:$NS_PORT
T=$NS_TMP
for b in broker-a broker-b; do
	bk_conf $b
	bk_start $b
	bk_py create Fail 2 || bk_fail "cannot create topic on $b"
done
B_PID=$BK_PID
ns_wait 10 sh -c "'$PETREL' -n $NS route Fail --json 2>/dev/null |
    grep -q broker-b" || bk_fail "topic never routed to both"

"$TOOL" "$NS" sync Fail 300 10 >"$T/fail.out" 2>&1 &
TOOL_PID=$!
ns_wait 20 sh -c "[ \$(grep -c '^ok' '$T/fail.out') -ge 40 ]" ||
    bk_fail "sends never got going: $(cat "$T/fail.out")"
bk_stop "$B_PID"
wait "$TOOL_PID" || bk_fail "sends failed: $(grep -v '^ok' "$T/fail.out")"
grep -q '^sent 300 failed 0$' "$T/fail.out" || bk_fail "not all sent"
grep -q '^ok 0 broker-b ' "$T/fail.out" || bk_fail "broker-b never used"
tail -n 101 "$T/fail.out" | grep -q '^ok 0 broker-b ' &&
    bk_fail "sends still went to the stopped broker"
ns_stop 0
exit 0
