#!/bin/sh
# More of libpetrel's producer against a real name server and broker:
# petrel_send_select() calls the selector with the queue count, the
# message and its arg, and the message lands in the queue it picks; a
# tag, keys, properties and a delay level are stored as sent (and a
# delayed message arrives no sooner than its delay); 8 threads sharing one
# producer, sync or async, all succeed with unique ids and every message
# stored once.
. "$top_srcdir/tests/integration/broker_lib.sh"
TOOL=$top_builddir/tests/petrel_tool
bk_one

bk_topic More 4

# A selector: called once a send with the 4 queues, the message and the
# arg given; each result (and the stored message) in the queue it picked,
# queue 3k+1 mod 4 on the kth call, so every queue is used.
"$TOOL" "$NS" select More 8 cookie42 >"$T/sel.out" 2>&1 ||
    bk_fail "selected sends failed: $(cat "$T/sel.out")"
awk 'BEGIN { calls = 0 }
/^select / {
	if ($2 != 4 || $3 != calls || $4 != (calls * 3 + 1) % 4 ||
	    $5 != "cookie42" || $6 != "sel-" calls)
		bad = bad " [" $0 "]"
	pick = $4; body = $6; calls++; next
}
/^ok / {
	if ($4 != pick || $8 != body)
		bad = bad " [" $0 "]"
	oks++; q[$4] = 1
}
END {
	n = 0
	for (k in q)
		n++
	if (bad != "" || calls != 8 || oks != 8 || n != 4) {
		print "calls " calls " results " oks " queues " n ":" bad
		exit 1
	}
}' "$T/sel.out" >"$T/sel.bad" || bk_fail "selector: $(cat "$T/sel.bad")"
bk_py dump More 4 >"$T/sel.db" || bk_fail "dump failed"
awk '/^ok/ { print $4, $5, $7, $8 }' "$T/sel.out" | sort >"$T/sel.res"
awk '{ print $1, $2, $3, $6 }' "$T/sel.db" | sort >"$T/sel.dbs"
[ -s "$T/sel.res" ] && cmp -s "$T/sel.res" "$T/sel.dbs" ||
    bk_fail "selected sends not stored where answered: $(cat "$T/sel.db")"

# Tag, keys, properties, delay level.
PYTHONPATH=$top_srcdir/tests/integration "$PYTHON3" \
    "$top_srcdir/tests/integration/libpetrel_props.py" "$BK_PORT" "$TOOL" \
    "$NS" More 4 >"$T/props.out" 2>&1 ||
    bk_fail "props: $(cat "$T/props.out")"
cat "$T/props.out"

# 8 threads, one producer, 50 sync sends each.
bk_topic Thr 4
timeout 60 "$TOOL" "$NS" threads Thr 50 >"$T/thr.out" 2>&1 ||
    bk_fail "threads: exit $?, $(grep -c '^ok' "$T/thr.out") results, \
$(grep -v '^ok' "$T/thr.out" | head -n 5)"
grep -q '^sent 400 failed 0$' "$T/thr.out" || bk_fail "not 400 sent"
[ "$(grep -c '^ok 0 broker-a ' "$T/thr.out")" -eq 400 ] ||
    bk_fail "not 400 results"
for f in 6 7 8; do
	[ "$(awk -v f=$f '/^ok/ { print $f }' "$T/thr.out" | sort -u |
	    wc -l)" -eq 400 ] || bk_fail "field $f of the results repeats"
done
awk '/^ok/ { print $8 }' "$T/thr.out" | sort >"$T/thr.bodies"
for t in 0 1 2 3 4 5 6 7; do
	i=0
	while [ $i -lt 50 ]; do
		echo "t$t-$i"
		i=$((i + 1))
	done
done | sort >"$T/thr.want"
cmp -s "$T/thr.bodies" "$T/thr.want" || bk_fail "bodies lost or repeated"
bk_py dump Thr 4 >"$T/thr.db" || bk_fail "dump failed"
awk '/^ok/ { print $4, $5, $7, $8 }' "$T/thr.out" | sort >"$T/thr.res"
awk '{ print $1, $2, $3, $6 }' "$T/thr.db" | sort >"$T/thr.dbs"
cmp -s "$T/thr.res" "$T/thr.dbs" ||
    bk_fail "threads: stored messages differ from the results"

# 8 threads, one producer, 2000 async sends each, then a flush: every
# send answered once, all stored.
timeout 60 "$TOOL" "$NS" athreads Thr 2000 >"$T/athr.out" 2>&1 ||
    bk_fail "athreads: exit $?, $(grep -v '^ok' "$T/athr.out" | head -n 5)"
grep -q '^sent 16000 failed 0$' "$T/athr.out" ||
    bk_fail "async: $(grep -v '^ok' "$T/athr.out" | head -n 5)"
[ "$(awk '/^ok/ { print $7 }' "$T/athr.out" | sort -u | wc -l)" -eq 16000 ] ||
    bk_fail "async unique ids repeat"
[ "$(awk '/^ok/ { print $8 }' "$T/athr.out" | sort -u | wc -l)" -eq 16000 ] ||
    bk_fail "async bodies repeat"
bk_py dump Thr 4 >"$T/athr.db" || bk_fail "dump failed"
[ "$(grep -c ' msg-' "$T/athr.db")" -eq 16000 ] ||
    bk_fail "not 16000 async messages stored"

bk_stop "$BK_PID"
ns_stop 0
exit 0
