#!/bin/sh
# 10,000 random and truncated frames (of the name server's codes and the
# broker's) neither crash nor wedge the broker; it still answers topic
# requests afterwards and stops cleanly.
. "$top_srcdir/tests/integration/broker_lib.sh"
bk_setup
ns_need_python
ns_start
bk_conf broker-g
bk_start broker-g
PYTHONPATH=$top_srcdir/tests/integration "$PYTHON3" -c '
import sys
import broker_client
import namesrv_garbage


class Done(Exception):
    pass


def after_frames(port):
    raise Done


port = int(sys.argv[1])
# namesrv_garbage.main ends with checks only a name server passes: stop it
# when it opens its checking connection and check the broker here.
namesrv_garbage.Client = after_frames
try:
    namesrv_garbage.main()
except Done:
    pass
c = broker_client.BrokerClient(port)
assert c.ping().server.startswith("petrel-broker")
assert c.create_topic("AfterGarbage").created
assert c.topic("AfterGarbage").read_queues == 4
print("garbage: ok")
' "$BK_PORT" || bk_fail "garbage"
kill -0 "$BK_PID" || bk_fail "the broker died"
bk_stop "$BK_PID"
ns_stop 0
exit 0
