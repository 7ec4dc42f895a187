"""Acknowledged messages survive a broker's death.
Usage: broker_durable.py produce PORT TOPIC FILE
         sends until the connection dies, writing a line per
         acknowledged message ("queue offset body") to FILE as it goes;
       broker_durable.py verify PORT TOPIC FILE
         every message of FILE is read back at its queue and offset, and
         the queues hold nothing torn: offsets are dense from 0."""

import sys

from broker_client import BrokerClient
from petrel_client import PetrelError, Status

OK = Status.Value("STATUS_OK")


def produce(port, topic, path):
    c = BrokerClient(port)
    c.create_topic(topic, queues=4)
    i = 0
    with open(path, "w") as out:
        while True:
            # Up to 3 KB: 300 of them cross segments of 256 KiB.
            body = b"durable-%d-" % i + b"x" * ((i * 37) % 3000)
            try:
                status, r = c.send(topic, body)
            except (ConnectionError, OSError, PetrelError):
                # The broker died or is stopping: what was answered OK
                # before is what must survive.
                return
            # Stored in every case, but only OK is an acknowledgement of
            # a message on disk with sync flush.
            if status == OK:
                out.write("%d %d %s\n" % (r.queue_id, r.queue_offset,
                                          body.decode()))
                out.flush()
            i += 1


def verify(port, topic, path):
    c = BrokerClient(port)
    want = {}
    with open(path) as f:
        for line in f:
            q, off, body = line.split()
            want[(int(q), int(off))] = body.encode()
    assert want, "nothing was acknowledged"
    got = {}
    for q in range(4):
        off = 0
        while True:
            resp = c.pull("V", topic, q, off, max_messages=256)
            if resp.status != OK:
                break
            for m in resp.messages:
                assert m.queue_offset == off, (q, m.queue_offset, off)
                assert m.body.startswith(b"durable-"), m.body[:32]
                got[(q, off)] = m.body
                off += 1
    lost = [k for k in want if got.get(k) != want[k]]
    assert not lost, "%d acknowledged messages lost or changed, e.g. %s" % (
        len(lost), lost[:3])
    print("durable: %d acknowledged, %d stored, none lost" % (len(want),
                                                              len(got)))


if __name__ == "__main__":
    mode, port, topic, path = sys.argv[1], int(sys.argv[2]), sys.argv[3], \
        sys.argv[4]
    (produce if mode == "produce" else verify)(port, topic, path)
