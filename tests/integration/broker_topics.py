"""The broker's control plane over the wire, against a real broker:
topics, heartbeats and group members (with the one-way notice when a
member leaves), consumer offsets and queue locks.
Usage: broker_topics.py BROKER_PORT BROKER_NAME TOPIC"""

import sys

from broker_client import BrokerClient, broker_pb2
from petrel_client import Code, FRAME_ONEWAY, PetrelError, Status


def main():
    port, broker, topic = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    c = BrokerClient(port)
    assert c.ping().server.startswith("petrel-broker")

    # Topics.
    assert c.create_topic(topic, queues=4).created
    t = c.topic(topic)
    assert (t.name, t.read_queues, t.write_queues, t.perm) == \
        (topic, 4, 4, 6), t
    assert c.create_topic("Gone", queues=2).created
    c.delete_topic("Gone")
    try:
        c.topic("Gone")
        raise AssertionError("a deleted topic is still there")
    except PetrelError as e:
        assert e.status == Status.Value("STATUS_TOPIC_NOT_EXIST"), e

    # Two members of a group; when one leaves the other is told.
    a = BrokerClient(port)
    b = BrokerClient(port)
    a.heartbeat("client-a", "G1", topic)
    b.heartbeat("client-b", "G1", topic)
    assert c.consumers("G1") == ["client-a", "client-b"], c.consumers("G1")
    # Each join was noticed to the members before the heartbeat was
    # answered; a ping on a reads (and drops) those notices.
    a.ping()
    b.close()
    # The broker drops b before it tells a, so once the notice is here the
    # member list has changed.
    while True:
        f = a.read_frame()
        assert f is not None, "no notice before the end of the stream"
        if f.code == Code.Value("CODE_NOTIFY_CONSUMER_IDS_CHANGED"):
            break
    assert f.flags & FRAME_ONEWAY
    notice = broker_pb2.NotifyConsumerIdsChangedRequest()
    notice.ParseFromString(f.body)
    assert notice.group == "G1", notice
    assert c.consumers("G1") == ["client-a"], c.consumers("G1")

    # Offsets.
    c.update_offset("G1", topic, 2, 42)
    assert c.query_offset("G1", topic, 2) == 42

    # Queue locks: the second client gets only what the first did not.
    assert a.lock("G1", "client-a", topic, broker, [0, 1]) == [0, 1]
    assert c.lock("G1", "client-c", topic, broker, [1, 2]) == [2]

    # An empty send names nothing: refused, with the reason.
    status, text, _ = c.call_status(Code.Value("CODE_SEND_MESSAGE"),
                                    broker_pb2.SendMessageRequest())
    assert status == Status.Value("STATUS_BAD_REQUEST"), (status, text)
    assert text, "no reason given"
    a.close()
    c.close()
    print("topics: ok")


if __name__ == "__main__":
    main()
