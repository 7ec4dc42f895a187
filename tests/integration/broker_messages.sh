#!/bin/sh
# Messages through a real broker with a client written from the protocol
# alone (tests/integration/broker_messages.py): send, pull, tags, keys,
# queries, offsets, batches, long polling, delays, retries and the DLQ,
# queue locks and runtime information.
. "$top_srcdir/tests/integration/broker_lib.sh"
bk_setup
ns_need_python
ns_start
bk_conf broker-m 'rebalanceLockMaxLiveTime = 1s'
bk_start broker-m
PYTHONPATH=$top_srcdir/tests/integration "$PYTHON3" \
    "$top_srcdir/tests/integration/broker_messages.py" "$BK_PORT" broker-m \
    Orders ||
    bk_fail "broker_messages.py"
bk_stop "$BK_PID"
ns_stop 0
exit 0
