#!/bin/sh
# A topic created on a real broker over the wire (a Python client, no
# libpetrel) shows in "petrel route TOPIC" through the name server; group
# members, the notice when one leaves, offsets and queue locks answer.
. "$top_srcdir/tests/integration/broker_lib.sh"
bk_setup
ns_need_python
command -v jq >/dev/null 2>&1 || { echo "no jq"; exit 77; }
ns_start
bk_conf broker-t
bk_start broker-t
ns_wait 20 bk_listed broker-t "$BK_PORT" || bk_fail "broker-t is not listed"
bk_petrel route Wired >/dev/null 2>&1 && bk_fail "Wired routed before it exists"

PYTHONPATH=$top_srcdir/tests/integration "$PYTHON3" \
    "$top_srcdir/tests/integration/broker_topics.py" "$BK_PORT" broker-t \
    Wired || bk_fail "broker_topics.py"

routed() {
	bk_petrel route Wired >"$NS_TMP/route.out" 2>&1 &&
	    grep -q "broker-t" "$NS_TMP/route.out" &&
	    grep -q "127.0.0.1:$BK_PORT" "$NS_TMP/route.out"
}
ns_wait 20 routed || bk_fail "Wired never routed: $(cat "$NS_TMP/route.out")"

# The topic and the offset are on disk: a restart keeps them.
bk_stop "$BK_PID"
bk_start broker-t
PYTHONPATH=$top_srcdir/tests/integration "$PYTHON3" -c "
import sys
from broker_client import BrokerClient
c = BrokerClient(int(sys.argv[1]))
assert c.topic('Wired').read_queues == 4
assert c.query_offset('G1', 'Wired', 2) == 42
" "$BK_PORT" || bk_fail "topic or offset lost in a restart"
ns_wait 20 routed || bk_fail "Wired not routed after the restart"
bk_stop "$BK_PID"
ns_stop 0
exit 0
