"""Messages and offsets for tests/integration/cli_admin.sh, sent straight
to two real brokers over the wire (no libpetrel).
Usage: cli_admin.py PORT_A PORT_B TOPIC
Prints the offset id of each message sent, one a line, in this order:
on broker A, queue 0: "text-a0" (key k1, tag TagA, unique id UNIQ-A0),
then the bytes ff fe (key bin); on broker A, queue 1: "text-a1" (key k1);
on broker B, queue 0: "text-b0" (key k1, unique id UNIQ-B0).  Group G1
commits offset 1 on A's queue 0 and 0 on B's queue 0."""

import sys

from broker_client import BrokerClient

OK = 0


def main():
    a = BrokerClient(int(sys.argv[1]))
    b = BrokerClient(int(sys.argv[2]))
    topic = sys.argv[3]
    sends = [
        (a, dict(body=b"text-a0", keys=["k1"], tags="TagA", queue_id=0,
                 unique_id="UNIQ-A0")),
        (a, dict(body=b"\xff\xfe", keys=["bin"], queue_id=0)),
        (a, dict(body=b"text-a1", keys=["k1"], queue_id=1)),
        (b, dict(body=b"text-b0", keys=["k1"], queue_id=0,
                 unique_id="UNIQ-B0")),
    ]
    for c, kw in sends:
        status, result = c.send(topic, kw.pop("body"), **kw)
        assert status == OK, status
        print(result.msg_id)
    a.update_offset("G1", topic, 0, 1)
    b.update_offset("G1", topic, 0, 0)
    a.close()
    b.close()


if __name__ == "__main__":
    main()
