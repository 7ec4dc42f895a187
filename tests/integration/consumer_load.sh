#!/bin/sh
# Load: 4 producer processes (libpetrel, async sends) send 2,500 messages
# each while a group of 3 consumers consumes, and a fourth member joins
# and leaves meanwhile.  All 10,000 are consumed (each stored message,
# named by queue and offset, seen at least once); duplicates come only
# from the rebalances and are counted and bounded.
. "$top_srcdir/tests/integration/consumer_lib.sh"
TOOL=$top_builddir/tests/petrel_tool
[ -x "$TOOL" ] || { echo "no $TOOL"; exit 77; }
cn_setup
CN_QUEUES=8
cn_tool create Load 8 || cn_fail "create"
for _c in c1 c2 c3; do
	cn_start $_c G Load from=first
done
cn_wait_owned 20 c1 c2 c3 || cn_fail "queues not shared by c1 c2 c3"
_pids=
for _p in 1 2 3 4; do
	"$TOOL" "$NSADDR" async Load 2500 >"$NS_TMP/p$_p.out" 2>&1 &
	_pids="$_pids $!"
done
# A member joins and leaves while they send: two rebalances.
cn_start c4 G Load from=first
ns_wait 20 sh -c '[ -n "$(grep "^Q [1-9]" "$0"/c4.out)" ]' "$NS_TMP" ||
    cn_fail "c4 never owned a queue"
cn_stop c4
for _p in $_pids; do
	wait "$_p" || cn_fail "a producer failed"
done
for _p in 1 2 3 4; do
	grep -q '^sent 2500 failed 0' "$NS_TMP/p$_p.out" ||
	    cn_fail "producer $_p: $(tail -n 1 "$NS_TMP/p$_p.out")"
done
_ids() { for _n in c1 c2 c3 c4; do
	awk '$1 == "M" { print $3, $4, $5 }' "$NS_TMP/$_n.out"; done; }
ns_wait 60 sh -c 'for _n in c1 c2 c3 c4; do
	awk '\''$1 == "M" { print $3, $4, $5 }'\'' "$0/$_n.out"; done |
	sort -u | wc -l | grep -qx 10000' "$NS_TMP" ||
    cn_fail "$(_ids | sort -u | wc -l) of 10000 consumed"
cn_stop c1
cn_stop c2
cn_stop c3
_all=$(_ids | wc -l)
_dup=$((_all - 10000))
echo "$_dup duplicates of 10000 messages"
# Bounded: at most 10 % (seen: under 250).
[ "$_dup" -le 1000 ] || cn_fail "$_dup duplicates"
[ "$(cn_tool offset G Load 8)" = 10000 ] ||
    cn_fail "committed $(cn_tool offset G Load 8), not 10000"
exit 0
