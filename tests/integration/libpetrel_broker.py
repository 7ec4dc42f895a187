"""What the libpetrel integration tests ask a broker directly, with the
Python client written from the protocol (broker_client.py).
Usage: libpetrel_broker.py PORT create TOPIC QUEUES
       libpetrel_broker.py PORT dump TOPIC QUEUES
dump prints a line per stored message: QUEUE OFFSET UNIQUE_ID FLAGS LEN
BODY (BODY only when it is short text)."""

import sys

from broker_client import BrokerClient
from petrel_client import Status

OK = Status.Value("STATUS_OK")


def main():
    port, cmd, topic, queues = sys.argv[1:5]
    c = BrokerClient(int(port))
    if cmd == "create":
        c.create_topic(topic, queues=int(queues))
        return 0
    for q in range(int(queues)):
        offset = 0
        while True:
            r = c.pull("libpetrel_dump", topic, q, offset, max_messages=256)
            if r.status != OK or not r.messages:
                break
            for m in r.messages:
                body = m.body.decode() if len(m.body) <= 64 else "-"
                print(q, m.queue_offset, m.unique_id, m.flags, len(m.body),
                      body)
            offset = r.next_offset
    return 0


sys.exit(main())
