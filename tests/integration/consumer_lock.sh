#!/bin/sh
# Orderly consumption holds the broker's queue locks: while an orderly
# consumer owns the queues of a topic the broker refuses their locks to
# another client of the group, for 5 s, well past the broker's lock expiry
# (rebalanceLockMaxLiveTime, 2 s here), because the consumer renews them
# (lock_ms, 500 ms here); it keeps consuming meanwhile, and once it leaves
# the other client gets them.  Bad lock_ms values are refused.
. "$top_srcdir/tests/integration/consumer_lib.sh"
cn_setup "rebalanceLockMaxLiveTime = 2s"
CN_QUEUES=4
cn_tool create Locked 4 || cn_fail "create"
cn_tool send Locked 40 a || cn_fail "send"

# Out of range: a clear error, no consumer.
for _ms in 50 30000; do
	"$DRIVER" "$NSADDR" GL Locked orderly=1 lock_ms=$_ms \
	    >"$NS_TMP/bad.out" 2>"$NS_TMP/bad.err" && cn_fail "lock_ms=$_ms taken"
	grep -q "lock_ms $_ms: from 100 to 29999" "$NS_TMP/bad.err" ||
	    cn_fail "lock_ms=$_ms: $(cat "$NS_TMP/bad.err")"
done

cn_start o1 GL Locked from=first orderly=1 push=1 lock_ms=500
cn_wait_owned 20 o1 || cn_fail "o1 does not own every queue"
cn_wait_seen 20 o1 40 "o1 did not consume the first 40"
# Consumed means locked.  Asked for by another client, again and again
# for more than twice the broker's expiry: never given.
_end=$(($(date +%s) + 5))
_asks=0
while [ "$(date +%s)" -lt "$_end" ]; do
	_got=$(cn_tool lock GL intruder Locked broker-c 0 1 2 3) ||
	    cn_fail "lock request failed"
	[ -z "$_got" ] || cn_fail "the broker gave queues $(echo $_got) away"
	_asks=$((_asks + 1))
	sleep 0.2
done
echo "refused $_asks times in 5 s"
cn_tool send Locked 40 b || cn_fail "send"
cn_wait_seen 20 o1 80 "o1 stopped consuming while holding its locks"
# Gone (its queues unlocked): the other client gets every one.
cn_stop o1
_got=$(cn_tool lock GL intruder Locked broker-c 0 1 2 3 | tr '\n' ' ')
[ "$_got" = "0 1 2 3 " ] || cn_fail "after o1 left: locked '$_got'"
exit 0
