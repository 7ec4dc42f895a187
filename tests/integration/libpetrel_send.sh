#!/bin/sh
# libpetrel's producer against a real name server and broker: sync sends
# read back from the broker, async and one-way sends all answered, a
# batch in one queue, ordered sends in one queue per key, a large body
# stored compressed, unique ids of 32 upper-case hex digits.
. "$top_srcdir/tests/integration/broker_lib.sh"
TOOL=$top_builddir/tests/petrel_tool
bk_one

bk_topic Lib 4

# Sync: 20 sends, answered in order, read back byte for byte.
"$TOOL" "$NS" sync Lib 20 >"$T/sync.out" 2>&1 ||
    bk_fail "sync sends failed: $(cat "$T/sync.out")"
[ "$(grep -c '^ok 0 broker-a ' "$T/sync.out")" -eq 20 ] ||
    bk_fail "not 20 results: $(cat "$T/sync.out")"
awk '/^ok/ { print $6 }' "$T/sync.out" | grep -Eqv '^[0-9A-F]{32}$' &&
    bk_fail "a msg_id is not 32 hex digits"
awk '/^ok/ { print $7 }' "$T/sync.out" | grep -Eqv '^[0-9A-F]{32}$' &&
    bk_fail "a unique id is not 32 hex digits"
[ "$(awk '/^ok/ { print $7 }' "$T/sync.out" | sort -u | wc -l)" -eq 20 ] ||
    bk_fail "unique ids repeat"
[ "$(awk '/^ok/ { print $4 }' "$T/sync.out" | sort -u | wc -l)" -eq 4 ] ||
    bk_fail "sends did not go round the 4 queues"
bk_py dump Lib 4 >"$T/dump1" || bk_fail "dump failed"
for i in 0 5 19; do
	u=$(awk -v n=$((i + 1)) '/^ok/ && ++k == n { print $7 }' "$T/sync.out")
	grep -q " $u 0 [0-9]* msg-$i\$" "$T/dump1" ||
	    bk_fail "msg-$i ($u) not stored as sent: $(cat "$T/dump1")"
done

# Async and one-way: every send answered, all stored.
"$TOOL" "$NS" async Lib 3000 >"$T/async.out" ||
    bk_fail "async: $(tail -3 "$T/async.out")"
grep -q '^answered 3000$' "$T/async.out" || bk_fail "not all answered"
# A burst leaves in batches (consecutive sends, consecutive offsets of one
# queue), yet each send is answered with where its own message went.
awk '/^ok/ { sub("msg-", "", $8); print $8, $4, $5 }' "$T/async.out" |
    sort -n | awk 'NR > 1 && $2 == q && $3 == o + 1 { n++ }
    { q = $2; o = $3 } END { exit n > 0 ? 0 : 1 }' ||
    bk_fail "a burst of async sends was not batched"
bk_py dump Lib 4 >"$T/dump0" || bk_fail "dump failed"
awk '/^ok/ { print $4, $5, $7, $8 }' "$T/async.out" | sort >"$T/async.res"
awk '$6 ~ /^msg-/ { print $1, $2, $3, $6 }' "$T/dump0" | sort >"$T/async.db"
[ "$(comm -23 "$T/async.res" "$T/async.db" | wc -l)" -eq 0 ] ||
    bk_fail "async results do not match what is stored: \
$(comm -23 "$T/async.res" "$T/async.db" | head -3)"
[ "$(wc -l <"$T/async.res")" -eq 3000 ] || bk_fail "not 3000 async results"
"$TOOL" "$NS" oneway Lib 500 >"$T/oneway.out" || bk_fail "oneway failed"
ns_wait 10 sh -c "[ \$(PYTHONPATH=$top_srcdir/tests/integration \
    '$PYTHON3' '$top_srcdir/tests/integration/libpetrel_broker.py' \
    $BK_PORT dump Lib 4 | wc -l) -eq 3520 ]" ||
    bk_fail "not 3520 messages stored"

# A batch: one queue, consecutive offsets.
"$TOOL" "$NS" batch Lib 10 >"$T/batch.out" || bk_fail "batch failed"
[ "$(awk '/^ok/ { print $4 }' "$T/batch.out" | sort -u | wc -l)" -eq 1 ] ||
    bk_fail "batch spread over queues"
[ "$(grep -c '^ok 0 ' "$T/batch.out")" -eq 10 ] || bk_fail "batch results"

# Ordered: each key in one queue.
"$TOOL" "$NS" ordered Lib 40 5 >"$T/ord.out" || bk_fail "ordered failed"
[ "$(awk '/^ok/ { print $8, $4 }' "$T/ord.out" | sort -u | wc -l)" -eq 5 ] ||
    bk_fail "a key went to two queues: $(cat "$T/ord.out")"

# A large body is stored compressed (flag 1) and smaller.
"$TOOL" "$NS" big Lib 100000 >"$T/big.out" || bk_fail "big send failed"
u=$(awk '/^ok/ { print $7 }' "$T/big.out")
bk_py dump Lib 4 >"$T/dump2" || bk_fail "dump failed"
grep -q " $u 1 " "$T/dump2" || bk_fail "big body not compressed"

bk_stop "$BK_PID"
ns_stop 0
exit 0
