#!/bin/sh
# A clustering group of three consumers (pull API, push API) shares the
# queues of a topic: every queue owned exactly once, every message
# consumed, none lost; a member leaving and one joining end with every
# queue owned exactly once again; offsets are committed on the broker.
. "$top_srcdir/tests/integration/consumer_lib.sh"
cn_setup
CN_QUEUES=8
cn_tool create Orders 8 || cn_fail "create"
cn_tool send Orders 30 a || cn_fail "send"

# The first member takes everything, from the first message.
cn_start c1 G Orders from=first
cn_wait_owned 20 c1 || cn_fail "c1 does not own every queue"
ns_wait 20 sh -c '[ "$(grep -c "^M " "$0"/c1.out)" -ge 30 ]' "$NS_TMP" ||
    cn_fail "c1 did not consume the first messages"
cn_start c2 G Orders from=first push=1
cn_start c3 G Orders from=first
cn_wait_owned 20 c1 c2 c3 || cn_fail "queues not shared by c1 c2 c3"
cn_tool send Orders 270 a2 || cn_fail "send"
ns_wait 20 sh -c '[ "$(cat "$0"/c1.out "$0"/c2.out "$0"/c3.out |
    grep -c "^M ")" -ge 300 ]' "$NS_TMP" || cn_fail "not all consumed"

# Messages sent while the group runs reach it too.
cn_tool send Orders 200 b || cn_fail "send"
ns_wait 20 sh -c '[ "$(cat "$0"/c1.out "$0"/c2.out "$0"/c3.out |
    grep -c "^M ")" -ge 500 ]' "$NS_TMP" || cn_fail "not all consumed"

# A member leaves: the other two take its queues.
cn_stop c2
cn_wait_owned 20 c1 c3 || cn_fail "queues not shared by c1 c3"
# A member joins: three again.
cn_start c4 G Orders from=first
cn_wait_owned 20 c1 c3 c4 || cn_fail "queues not shared by c1 c3 c4"
cn_tool send Orders 100 c || cn_fail "send"
ns_wait 20 sh -c '[ "$(cat "$0"/c1.out "$0"/c2.out "$0"/c3.out \
    "$0"/c4.out | grep -c "^M ")" -ge 600 ]' "$NS_TMP" ||
    cn_fail "not all consumed after the rebalance"
cn_stop c1
cn_stop c3
cn_stop c4

# None lost; duplicates only across a rebalance, bounded.
cn_bodies c1 c2 c3 c4 | uniq >"$NS_TMP/uniq"
[ "$(wc -l <"$NS_TMP/uniq")" -eq 600 ] ||
    cn_fail "$(wc -l <"$NS_TMP/uniq") distinct messages, not 600"
_all=$(cn_bodies c1 c2 c3 c4 | wc -l)
[ "$_all" -le 660 ] || cn_fail "$_all deliveries for 600 messages"
echo "$_all deliveries of 600 messages"
# Every offset is committed: the group is at the end of every queue.
[ "$(cn_tool offset G Orders 8)" = 600 ] ||
    cn_fail "committed $(cn_tool offset G Orders 8), not 600"
exit 0
