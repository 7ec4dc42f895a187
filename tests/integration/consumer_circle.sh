#!/bin/sh
# Average-by-circle with real consumers: three members of a group with
# PETREL_AVERAGE_CIRCLE own the 8 queues of a topic exactly once between
# them, and in the circle layout (queue i to member i mod 3): one member
# has 0 3 6, one 1 4 7, one 2 5, where averaging would give runs (0 1 2,
# 3 4 5, 6 7).  One leaves: 0 2 4 6 and 1 3 5 7.  Every message arrives.
. "$top_srcdir/tests/integration/consumer_lib.sh"
cn_setup
CN_QUEUES=8
cn_tool create Circle 8 || cn_fail "create"

# Each member's queue ids on one line ("0 3 6"), the lines sorted.
_layout() {
	for _n in "$@"; do
		cn_queues "$_n" | sed 's/.*://' | sort -n | tr '\n' ' ' |
		    sed 's/ $//'
		echo
	done | sort
}
for _c in c1 c2 c3; do
	cn_start $_c GC Circle from=first rebalance=circle
done
cn_wait_owned 20 c1 c2 c3 || cn_fail "queues not shared by c1 c2 c3"
_got=$(_layout c1 c2 c3)
[ "$_got" = "0 3 6
1 4 7
2 5" ] || cn_fail "3 members: layout $(echo "$_got" | tr '\n' '/')"
cn_tool send Circle 80 m || cn_fail "send"
ns_wait 20 sh -c '[ "$(cat "$0"/c1.out "$0"/c2.out "$0"/c3.out |
    grep -c "^M ")" -ge 80 ]' "$NS_TMP" || cn_fail "not all consumed"

cn_stop c2
cn_wait_owned 20 c1 c3 || cn_fail "queues not shared by c1 c3"
_got=$(_layout c1 c3)
[ "$_got" = "0 2 4 6
1 3 5 7" ] || cn_fail "2 members: layout $(echo "$_got" | tr '\n' '/')"
cn_stop c1
cn_stop c3
[ "$(cn_bodies c1 c2 c3 | uniq | wc -l)" -eq 80 ] ||
    cn_fail "$(cn_bodies c1 c2 c3 | uniq | wc -l) of 80 consumed"
exit 0
