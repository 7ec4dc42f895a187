"""Broker-side helpers of the consumer tests (tests/integration/consumer_*.sh),
through the protocol-only client broker_client.py, so the tests do not
depend on libpetrel's producer:

  consumer_tool.py PORT create TOPIC QUEUES
  consumer_tool.py PORT send TOPIC COUNT PREFIX [TAG]   bodies PREFIX-<i>
  consumer_tool.py PORT offset GROUP TOPIC QUEUES       sum of committed
  consumer_tool.py PORT count TOPIC QUEUES              messages stored
  consumer_tool.py PORT lock GROUP CLIENT TOPIC BROKER QUEUE...
                                          the queues locked, one a line
"""

import sys

from broker_client import BrokerClient


def main(argv):
    port, verb = int(argv[1]), argv[2]
    b = BrokerClient(port)
    if verb == "create":
        b.create_topic(argv[3], queues=int(argv[4]))
    elif verb == "send":
        topic, count, prefix = argv[3], int(argv[4]), argv[5]
        tag = argv[6] if len(argv) > 6 else ""
        for i in range(count):
            status, _ = b.send(topic, ("%s-%d" % (prefix, i)).encode(),
                               tags=tag)
            if status != 0:
                print("send status %d" % status, file=sys.stderr)
                return 1
    elif verb == "offset":
        total = 0
        for q in range(int(argv[5])):
            try:
                total += b.query_offset(argv[3], argv[4], q)
            except Exception:
                pass
        print(total)
    elif verb == "count":
        total = 0
        for q in range(int(argv[4])):
            total += b.max_offset(argv[3], q)
        print(total)
    elif verb == "lock":
        for q in b.lock(argv[3], argv[4], argv[5], argv[6],
                        [int(x) for x in argv[7:]]):
            print(q)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
