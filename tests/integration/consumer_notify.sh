#!/bin/sh
# The broker's CODE_NOTIFY_CONSUMER_IDS_CHANGED makes members rebalance
# at once: with a periodic rebalance of 10 minutes, a member joining and
# one leaving are both noticed within seconds.
. "$top_srcdir/tests/integration/consumer_lib.sh"
cn_setup
CN_QUEUES=8
cn_tool create Notified 8 || cn_fail "create"
cn_start c1 G Notified rebalance_ms=600000
cn_wait_owned 20 c1 || cn_fail "c1 does not own every queue"
_t0=$(date +%s)
cn_start c2 G Notified rebalance_ms=600000
cn_wait_owned 15 c1 c2 || cn_fail "c1 did not notice c2 joining"
echo "shared $(($(date +%s) - _t0)) s after c2 started"
cn_stop c2
cn_wait_owned 15 c1 || cn_fail "c1 did not notice c2 leaving"
cn_stop c1
exit 0
