#!/bin/sh
# A broker killed with SIGKILL under sync flush, or stopped with SIGTERM
# under async flush, while a producer sends: after a restart every
# acknowledged message is read back at its offset, and the consumer
# offsets committed before are still there.
. "$top_srcdir/tests/integration/broker_lib.sh"
bk_setup
ns_need_python
ns_start

durable() {
	PYTHONPATH=$top_srcdir/tests/integration "$PYTHON3" \
	    "$top_srcdir/tests/integration/broker_durable.py" "$@"
}

# lines FILE: how many lines FILE has (0 if none).
lines() {
	[ -f "$1" ] && wc -l <"$1" || echo 0
}

# acked NAME: whether 300 sends to broker NAME were acknowledged.
acked() {
	[ "$(lines "$NS_TMP/$1.acked")" -ge 300 ]
}

# run NAME SIGNAL: produce, kill the broker with SIGNAL after 300
# acknowledged sends, restart and verify.
run() {
	_n=$1
	_sig=$2
	bk_start "$_n"
	durable produce "$BK_PORT" Durable "$NS_TMP/$_n.acked" &
	_prod=$!
	ns_wait 60 acked "$_n" || bk_fail "$_n: the producer is stuck"
	kill "-$_sig" "$BK_PID"
	wait "$BK_PID"
	_rc=$?
	[ "$_sig" = KILL ] || [ "$_rc" -eq 0 ] ||
	    bk_fail "$_n: exited $_rc after SIG$_sig"
	wait "$_prod" || bk_fail "$_n: the producer failed"
	bk_start "$_n"
	durable verify "$BK_PORT" Durable "$NS_TMP/$_n.acked" ||
	    bk_fail "$_n: acknowledged messages lost after SIG$_sig"
}

bk_conf broker-k 'flushDiskType = SYNC_FLUSH' \
    'mappedFileSizeCommitLog = 256k' 'maxMessageSize = 64k'
run broker-k KILL
bk_stop "$BK_PID"

bk_conf broker-s 'mappedFileSizeCommitLog = 256k' 'maxMessageSize = 64k'
run broker-s TERM

# Offsets committed through a pull survive a restart.
PYTHONPATH=$top_srcdir/tests/integration "$PYTHON3" -c "
import sys
from broker_client import BrokerClient
from petrel_client import wait_for
c = BrokerClient(int(sys.argv[1]))
c.pull('Keep', 'Durable', 1, 5, commit=5)
wait_for('the commit', lambda: c.query_offset('Keep', 'Durable', 1) == 5)
" "$BK_PORT" || bk_fail "offset not committed"
bk_stop "$BK_PID"
bk_start broker-s
PYTHONPATH=$top_srcdir/tests/integration "$PYTHON3" -c "
import sys
from broker_client import BrokerClient
assert BrokerClient(int(sys.argv[1])).query_offset('Keep', 'Durable', 1) == 5
" "$BK_PORT" || bk_fail "the committed offset was lost in a restart"
bk_stop "$BK_PID"
ns_stop 0
exit 0
