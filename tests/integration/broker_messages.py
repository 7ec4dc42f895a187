"""Produce and consume over the wire against a real broker, with a client
written from proto/ and petrel-protocol(7) alone (no libpetrel): a topic,
sends with tags, keys and properties, pulls back byte for byte, tag
filtering, offsets committed by a pull, queries, queue offsets, batches,
long polling, a delayed message, retries and the dead letter queue, queue
locks and the broker's runtime information.
Usage: broker_messages.py BROKER_PORT BROKER_NAME TOPIC"""

import sys
import threading
import time

from broker_client import BrokerClient
from petrel_client import PetrelError, Status, wait_for

OK = Status.Value("STATUS_OK")
NOT_FOUND = Status.Value("STATUS_PULL_NOT_FOUND")


def refused(status, fn, *args, **kw):
    """Expect fn to be refused with status; returns the error text."""
    try:
        fn(*args, **kw)
    except PetrelError as e:
        assert e.status == Status.Value(status), e
        return e.text
    raise AssertionError("%s not refused" % fn.__name__)


def tag_of(i):
    return "TagA" if (i // 2) % 2 == 0 else "TagB"


def produce(c, topic, n):
    """n messages over queues 0 and 1; their SendResults."""
    sent = []
    for i in range(n):
        status, r = c.send(topic, b"body-%d" % i, tags=tag_of(i),
                           keys=["k%d" % i, "all"], queue_id=i % 2,
                           props={"n": str(i)}, unique_id="U%030d" % i)
        assert status == OK, status
        assert (r.queue_id, r.queue_offset) == (i % 2, i // 2), r
        assert r.unique_id == "U%030d" % i
        assert len(r.msg_id) == 32, r.msg_id
        sent.append(r)
    return sent


def consume(c, topic, n, sent):
    """Pull both queues back and compare every field."""
    for q in (0, 1):
        resp = c.pull("G", topic, q, 0, max_messages=64)
        assert resp.status == OK, resp.status
        want = list(range(q, n, 2))
        assert [m.body for m in resp.messages] == \
            [b"body-%d" % i for i in want]
        for i, m in zip(want, resp.messages):
            assert (m.topic, m.queue_id, m.queue_offset) == \
                (topic, q, i // 2), m
            assert m.msg_id == sent[i].msg_id
            assert m.commit_log_offset == sent[i].commit_log_offset
            assert m.tags == tag_of(i)
            assert list(m.keys) == ["k%d" % i, "all"], m.keys
            assert [(p.name, p.value) for p in m.properties] == \
                [("n", str(i))], m.properties
            assert m.unique_id == "U%030d" % i
            assert m.born_host == "127.0.0.1:1", m.born_host
            assert m.store_host.startswith("127.0.0.1:"), m.store_host
            assert m.store_timestamp_ms > 0 and m.body_crc != 0
        assert (resp.next_offset, resp.min_offset, resp.max_offset) == \
            (n // 2, 0, n // 2), resp
        empty = c.pull("G", topic, q, n // 2)
        assert empty.status == NOT_FOUND and not empty.messages, empty

    # The broker filters by tag hash.
    resp = c.pull("G", topic, 0, 0, max_messages=64, tags=["TagB"])
    assert resp.status == OK
    assert [m.body for m in resp.messages] == \
        [b"body-%d" % i for i in range(0, n, 2) if tag_of(i) == "TagB"]


def offsets_and_queries(c, topic, n, sent):
    # A pull commits the group's offset first.
    c.pull("G", topic, 0, 3, commit=3)
    wait_for("the committed offset",
             lambda: c.query_offset("G", topic, 0) == 3)
    # Reset to a time: to the first message stored since, or the end.
    future = int(time.time() * 1000) + 3600000
    assert c.reset_offset("G", topic, future) == [(0, n // 2), (1, n // 2)]
    assert c.query_offset("G", topic, 1) == n // 2
    assert c.reset_offset("G", topic, 1) == [(0, 0), (1, 0)]
    assert c.query_offset("G", topic, 0) == 0
    assert c.min_offset(topic, 0) == 0
    assert c.max_offset(topic, 0) == n // 2
    assert c.offset_by_time(topic, 0, 0) == 0
    assert c.offset_by_time(topic, 0, int(time.time() * 1000) + 3600000) \
        == n // 2

    assert c.by_id(sent[3].msg_id).body == b"body-3"
    assert c.by_id("U%030d" % 5, topic).body == b"body-5"
    assert [m.body for m in c.by_key(topic, "k7")] == [b"body-7"]
    assert len(c.by_key(topic, "all")) == n
    assert c.view(sent[4].commit_log_offset).body == b"body-4"
    refused("STATUS_NOT_FOUND", c.by_key, topic, "nokey")
    refused("STATUS_NOT_FOUND", c.by_id, "U-unknown", topic)


def batch(c, topic):
    r = c.send_batch(topic, [b"b1", b"b2", b"b3"], queue_id=1)
    assert r.status == OK and len(r.results) == 3
    first = r.results[0].queue_offset
    assert [x.queue_offset for x in r.results] == [first, first + 1,
                                                    first + 2]
    got = c.pull("G", topic, 1, first, max_messages=3)
    assert [m.body for m in got.messages] == [b"b1", b"b2", b"b3"]
    return first + 3


def long_poll(port, c, topic, end):
    """A held pull is answered within 100 ms of a message landing."""
    answer = {}

    def held():
        p = BrokerClient(port)
        answer["resp"] = p.pull("G", topic, 1, end, suspend_ms=10000)
        answer["at"] = time.monotonic()
        p.close()

    t = threading.Thread(target=held)
    started = time.monotonic()
    t.start()
    # Give the pull time to be held; if it were not yet, it would find
    # the message at once, which the check below would catch.
    time.sleep(0.3)
    status, _ = c.send(topic, b"wake", queue_id=1)
    landed = time.monotonic()
    t.join(10)
    assert "resp" in answer, "the held pull was never answered"
    resp = answer["resp"]
    assert resp.status == OK and resp.messages[0].body == b"wake", resp
    assert answer["at"] - started >= 0.25, "the pull was not held"
    lag = answer["at"] - landed
    assert lag < 0.1, "held pull answered %.0f ms after the send" % (
        lag * 1000)
    # A held pull that sees nothing is answered when its time is up.
    t0 = time.monotonic()
    resp = c.pull("G", topic, 1, end + 1, suspend_ms=300)
    waited = time.monotonic() - t0
    assert resp.status == NOT_FOUND and 0.25 <= waited < 5, (resp, waited)
    print("long polling: answered %.1f ms after the message landed" % (
        lag * 1000))


def delayed(c, topic):
    """A delay level 1 message shows up in its queue after about 1 s."""
    end = c.max_offset(topic, 0)
    t0 = time.monotonic()
    status, r = c.send(topic, b"later", queue_id=0, delay_level=1)
    assert status == OK and r.queue_id == 0
    assert c.pull("G", topic, 0, end).status == NOT_FOUND

    def arrived():
        resp = c.pull("G", topic, 0, end)
        return resp.messages[0] if resp.status == OK else None
    m = wait_for("the delayed message", arrived, timeout=15)
    assert m.body == b"later"
    assert time.monotonic() - t0 >= 0.9, "delivered too soon"


def retries(c, topic):
    """Failed consumption goes to %RETRY%<group>, then to %DLQ%<group>."""
    m = c.pull("GR", topic, 0, 0).messages[0]
    retry, dlq = "%RETRY%GR", "%DLQ%GR"
    for times in (1, 2):
        assert c.send_back("GR", m, delay_level=1, max_reconsume=2) == retry

        def back():
            resp = c.pull("GR", retry, 0, times - 1)
            return resp.messages[0] if resp.status == OK else None
        m = wait_for("retry %d" % times, back, timeout=15)
        assert m.body == b"body-0" and m.reconsume_times == times, m
        props = dict((p.name, p.value) for p in m.properties)
        assert props["RETRY_TOPIC"] == topic, props
    assert c.send_back("GR", m, delay_level=1, max_reconsume=2) == dlq
    d = c.pull("GR", dlq, 0, 0)
    assert d.status == OK and d.messages[0].body == b"body-0", d
    assert d.messages[0].reconsume_times == 3


def locks(c, topic, broker):
    """A queue lock keeps a second client out until it expires (1 s)."""
    t0 = time.monotonic()
    assert c.lock("GL", "client-a", topic, broker, [0, 1]) == [0, 1]
    assert c.lock("GL", "client-b", topic, broker, [0, 1]) == []
    assert c.lock("GL", "client-a", topic, broker, [0]) == [0]
    got = wait_for("the lock to expire",
                   lambda: c.lock("GL", "client-b", topic, broker, [1]))
    assert got == [1] and time.monotonic() - t0 >= 0.9


def bad_input(c, topic):
    refused("STATUS_TOPIC_NOT_EXIST", c.send, "NoSuchTopic", b"x")
    refused("STATUS_BAD_REQUEST", c.send, "%DELAY%", b"x")
    refused("STATUS_BAD_REQUEST", c.send, topic, b"x", queue_id=99)
    refused("STATUS_BAD_REQUEST", c.send, topic, b"x", delay_level=19)
    refused("STATUS_MESSAGE_ILLEGAL", c.send, topic, b"x", tags="a||b")
    refused("STATUS_BAD_REQUEST", c.pull, "G", topic, 0, 0, max_messages=0)
    refused("STATUS_TOPIC_NOT_EXIST", c.pull, "G", "NoSuchTopic", 0, 0)


def main():
    port, broker, topic = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    c = BrokerClient(port)
    assert c.create_topic(topic, queues=2).created
    n = 20
    sent = produce(c, topic, n)
    consume(c, topic, n, sent)
    offsets_and_queries(c, topic, n, sent)
    end = batch(c, topic)
    long_poll(port, c, topic, end)
    delayed(c, topic)
    retries(c, topic)
    locks(c, topic, broker)
    bad_input(c, topic)
    info = c.runtime_info()
    assert info.version.startswith("petrel-broker"), info
    assert info.messages_put >= n + 4 and info.topics >= 1, info
    assert info.commit_log_max_offset > 0 and info.disk_total_bytes > 0
    c.close()
    print("messages: ok")


if __name__ == "__main__":
    main()
