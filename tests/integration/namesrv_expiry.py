"""Brokers disappear: one that stops heartbeating after the (shortened)
expiry, one whose connection is killed at once, while one that keeps
heartbeating stays.  The server runs with brokerChannelExpiredTime = 1s
and scanNotActiveBrokerInterval = 100ms.  Usage: namesrv_expiry.py PORT"""

import sys
import time

from petrel_client import Client, Code, Status, namesrv_pb2, wait_for

NOT_FOUND = Status.Value("STATUS_NOT_FOUND")


def names(q, topic):
    """The broker names in topic's route ([] if it has none)."""
    status, text, route = q.call_status(
        Code.Value("CODE_GET_ROUTE"), namesrv_pb2.GetRouteRequest(topic=topic))
    if status == NOT_FOUND:
        return []
    assert route is not None, text
    return [x.broker_name for x in route.brokers]


def main():
    port = int(sys.argv[1])
    q = Client(port)
    silent = Client(port)
    steady = Client(port)
    doomed = Client(port)

    silent.register("c", "silent", 0, "127.0.0.1:1", ["T"])
    silent_seen = time.monotonic()      # its last heartbeat, give or take
    steady.register("c", "steady", 0, "127.0.0.1:2", ["T"])
    # Its own expiry is long: only its connection closing removes it.
    doomed.register("c", "doomed", 0, "127.0.0.1:3", ["T"],
                    heartbeat_timeout_ms=600000)
    assert names(q, "T") == ["doomed", "silent", "steady"], names(q, "T")

    # The killed connection goes at once, long before any expiry.
    t0 = time.monotonic()
    doomed.close()
    wait_for("doomed to go", lambda: "doomed" not in names(q, "T"),
             timeout=5)
    print("closed connection dropped after %.3f s" % (time.monotonic() - t0))

    # silent stops; steady keeps heartbeating every 200 ms.
    deadline = time.monotonic() + 20

    def silent_gone():
        steady.register("c", "steady", 0, "127.0.0.1:2", ["T"])
        return "silent" not in names(q, "T")
    wait_for("silent to expire", silent_gone, timeout=20, step=0.2)
    took = time.monotonic() - silent_seen
    assert took >= 0.9, "expired after %.3f s, before its expiry" % took
    assert time.monotonic() < deadline
    assert names(q, "T") == ["steady"], names(q, "T")
    print("silent broker dropped after %.3f s" % took)

    # The last broker gone, the topic goes too.
    steady.close()
    wait_for("the topic to go", lambda: names(q, "T") == [], timeout=5)
    q.close()
    print("expiry: ok")


if __name__ == "__main__":
    main()
