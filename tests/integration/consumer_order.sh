#!/bin/sh
# Orderly consumption: three consumers of a group lock the queues they own
# and consume each one batch at a time in offset order; one of them leaves
# while messages of 16 sharding keys (each key on one queue, sent with
# petrel_send_ordered) are sent.  Every message is consumed, every queue's
# messages come in offset order across the consumers (a redelivery after
# the move restarts at the committed offset, it never skips ahead), so
# each key's messages are first seen in the order they were sent.
# LATER in orderly mode: the same member retries the same message after a
# pause before the next of its queue, then sends it to the DLQ.
. "$top_srcdir/tests/integration/consumer_lib.sh"
TOOL=$top_builddir/tests/petrel_tool
[ -x "$TOOL" ] || { echo "no $TOOL"; exit 77; }
cn_setup
CN_QUEUES=8
cn_tool create Ordered 8 || cn_fail "create"
LOG=$NS_TMP/all.log
: >"$LOG"
for _c in c1 c2 c3; do
	cn_start $_c G Ordered from=first orderly=1 push=1 threads=4 \
	    log="$LOG"
done
cn_wait_owned 20 c1 c2 c3 || cn_fail "queues not shared by c1 c2 c3"
"$TOOL" "$NSADDR" ordered Ordered 300 16 >"$NS_TMP/send1.out" ||
    cn_fail "send"
ns_wait 20 sh -c '[ "$(grep -c "^M " "$0")" -ge 300 ]' "$LOG" ||
    cn_fail "the first 300 not consumed"
# c2 leaves while the second half is sent.
"$TOOL" "$NSADDR" ordered Ordered 300 16 >"$NS_TMP/send2.out" &
_send=$!
cn_stop c2
wait $_send || cn_fail "send"
cn_wait_owned 20 c1 c3 || cn_fail "queues not shared by c1 c3"
_distinct() { awk '$1 == "M" { print $3, $4, $5 }' "$LOG" | sort -u |
    wc -l; }
ns_wait 30 sh -c '[ "$(awk '\''$1 == "M" { print $3, $4, $5 }'\'' "$0" |
    sort -u | wc -l)" -ge 600 ]' "$LOG" ||
    cn_fail "$(_distinct) distinct messages consumed, not 600"
cn_stop c1
cn_stop c3

# Per queue: never ahead of the highest offset seen plus one.
awk '$1 == "M" { q = $3 ":" $4; o = $5 + 0
	if (q in max && o > max[q] + 1) {
		print "queue " q " skipped from " max[q] " to " o; bad = 1 }
	if (!(q in max) || o > max[q]) max[q] = o }
    END { exit bad }' "$LOG" || cn_fail "a queue was consumed out of order"
# Per key (body msg-N, key N % 16): first seen in the order sent (two
# runs of the tool, so once back to a low N).
awk '$1 == "M" { n = substr($8, 5) + 0; k = n % 16
	id = $3 ":" $4 ":" $5; if (id in seen) next; seen[id] = 1
	run = (k in last && n < last[k]) ? "again" : "ok"
	if (run == "again" && (k in wrapped)) {
		print "key " k ": " n " after " last[k]; bad = 1 }
	if (run == "again") wrapped[k] = 1
	last[k] = n }
    END { exit bad }' "$LOG" || cn_fail "a key was consumed out of order"
_all=$(grep -c '^M ' "$LOG")
[ "$_all" -le 700 ] || cn_fail "$_all deliveries for 600 messages"
echo "$_all deliveries of 600 messages"

# LATER twice, then consumed: 0 0 0 1 1 1 2 2 2 tries-wise in order, all
# from the queue itself (same offsets), nothing through %RETRY%.
cn_tool create OrdFails 4 || cn_fail "create OrdFails"
"$TOOL" "$NSADDR" ordered OrdFails 3 1 >"$NS_TMP/send3.out" || cn_fail "send"
cn_start o1 GO OrdFails from=first orderly=1 later=2 max_reconsume=5
ns_wait 20 sh -c '[ "$(grep -c "^M " "$0"/o1.out)" -ge 9 ]' "$NS_TMP" ||
    cn_fail "o1 did not retry every message"
cn_stop o1
_seq=$(awk '$1 == "M" { printf "%s/%s/%s ", $2, $6, $8 }' "$NS_TMP/o1.out")
[ "$_seq" = "OrdFails/0/msg-0 OrdFails/1/msg-0 OrdFails/2/msg-0 \
OrdFails/0/msg-1 OrdFails/1/msg-1 OrdFails/2/msg-1 OrdFails/0/msg-2 \
OrdFails/1/msg-2 OrdFails/2/msg-2 " ] || cn_fail "orderly retries: $_seq"
[ "$(awk '$1 == "M" { print $5 }' "$NS_TMP/o1.out" | uniq | wc -l)" -eq 3 ] ||
    cn_fail "orderly retries did not come from the queue itself"
# Always LATER, one retry allowed: each message tried twice, then the DLQ.
cn_start o2 GO2 OrdFails from=first orderly=1 later=9 max_reconsume=1
ns_wait 20 sh -c '[ "$(PYTHONPATH=$1/tests/integration "$2" \
    "$1/tests/integration/consumer_tool.py" "$3" count %DLQ%GO2 1 \
    2>/dev/null)" = 3 ]' sh "$top_srcdir" "$PYTHON3" "$BK_PORT" ||
    cn_fail "not 3 in %DLQ%GO2"
cn_stop o2
[ "$(grep -c '^M ' "$NS_TMP/o2.out")" -eq 6 ] ||
    cn_fail "$(grep -c '^M ' "$NS_TMP/o2.out") tries, not 6"
exit 0
