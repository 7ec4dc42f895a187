#!/bin/sh
# The push API's thread pool, 4 threads, callbacks of 50 ms, 4 busy
# queues: concurrently, callbacks run at once (more than one at a time);
# orderly, never two at once for one queue, while callbacks of different
# queues still overlap.  Each consumer takes all 80 messages.
. "$top_srcdir/tests/integration/consumer_lib.sh"
cn_setup
cn_tool create Busy 4 && cn_tool create Turns 4 || cn_fail "create"
cn_tool send Busy 80 b && cn_tool send Turns 80 t || cn_fail "send"

# Consumer $1 (waited for) took all 80 and printed its peaks.
_check() {
	grep -q '^END 80$' "$NS_TMP/$1.out" ||
	    cn_fail "$1: $(grep '^END' "$NS_TMP/$1.out")"
	[ "$(cn_bodies "$1" | uniq | wc -l)" -eq 80 ] ||
	    cn_fail "$1: $(cn_bodies "$1" | uniq | wc -l) of 80"
	grep -q '^P [0-9]* [0-9]*$' "$NS_TMP/$1.out" || cn_fail "$1: no peaks"
}
cn_start p1 GP Busy from=first push=1 threads=4 work_ms=50 count=80
cn_start p2 GO Turns from=first push=1 threads=4 work_ms=50 count=80 \
    orderly=1
ns_wait 40 sh -c 'grep -q "^END" "$0"/p1.out && grep -q "^END" "$0"/p2.out' \
    "$NS_TMP" || cn_fail "p1 or p2 did not take 80"
wait "$CN_p1" || cn_fail "p1 failed"
wait "$CN_p2" || cn_fail "p2 failed"
_check p1
_check p2
_p1=$(grep '^P ' "$NS_TMP/p1.out")
_p2=$(grep '^P ' "$NS_TMP/p2.out")
echo "concurrent: $_p1; orderly: $_p2 (P all queue)"
set -- $_p1
[ "$2" -gt 1 ] || cn_fail "concurrent: callbacks never overlapped ($_p1)"
set -- $_p2
[ "$3" -eq 1 ] || cn_fail "orderly: $3 callbacks of a queue at once"
[ "$2" -gt 1 ] || cn_fail "orderly: queues never overlapped ($_p2)"
exit 0
