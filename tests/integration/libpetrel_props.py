"""A message's tag, keys, properties and delay level as libpetrel sends
them, read back from a real broker (tests/integration/libpetrel_more.sh).

usage: libpetrel_props.py PORT TOOL NAMESRV TOPIC QUEUES

Sends with petrel_tool props (tag TagP, keys kA kB, properties color=blue
and size=9), once with no delay, pulls the message by its unique id and
checks every field; then once with delay level 2 (5 s), polls the topic
every 50 ms and checks that the message shows up no sooner than 5 s after
it was stored and within 20 s, with the same fields.
"""

import subprocess
import sys
import time

from broker_client import BrokerClient
from petrel_client import Status

OK = Status.Value("STATUS_OK")
DELAY_MS = 5000
SENT_PROPS = {"color": "blue", "size": "9"}


def send(tool, ns, topic, delay):
    """Send with petrel_tool props; the result line's fields."""
    out = subprocess.run([tool, ns, "props", topic, str(delay)],
                         capture_output=True, text=True, check=False,
                         timeout=30)
    lines = [ln.split() for ln in out.stdout.splitlines()
             if ln.startswith("ok ")]
    if out.returncode != 0 or len(lines) != 1:
        sys.exit("props send failed: %s %s" % (out.stdout, out.stderr))
    return lines[0]


def find(c, topic, queues, unique_id):
    """The stored message with unique_id, or None."""
    for q in range(queues):
        offset = 0
        while True:
            r = c.pull("libpetrel_props", topic, q, offset,
                       max_messages=256)
            if r.status != OK or not r.messages:
                break
            for m in r.messages:
                if m.unique_id == unique_id:
                    return m
            offset = r.next_offset
    return None


def check(m, what):
    """The message's fields are what petrel_tool props set."""
    props = {p.name: p.value for p in m.properties}
    if m.body != b"props" or m.tags != "TagP" or \
            list(m.keys) != ["kA", "kB"] or props != SENT_PROPS:
        sys.exit("%s: read back body %r tag %r keys %r properties %r" %
                 (what, m.body, m.tags, list(m.keys), props))


def main():
    port, tool, ns, topic, queues = sys.argv[1:6]
    queues = int(queues)
    c = BrokerClient(int(port))

    res = send(tool, ns, topic, 0)
    m = find(c, topic, queues, res[6])
    if m is None:
        sys.exit("the message sent is not stored")
    if m.queue_id != int(res[3]) or m.queue_offset != int(res[4]):
        sys.exit("stored at %d/%d, not as answered" %
                 (m.queue_id, m.queue_offset))
    check(m, "no delay")

    res = send(tool, ns, topic, 2)
    uid = res[6]
    deadline = time.monotonic() + 20
    while True:
        m = find(c, topic, queues, uid)
        now_ms = int(time.time() * 1000)
        if m is not None:
            break
        if time.monotonic() > deadline:
            sys.exit("the delayed message never arrived")
        time.sleep(0.05)
    check(m, "delay level 2")
    # Stored no sooner than it was sent (the wall clock, as born and store
    # times are) plus the level's delay; seen no sooner either.
    if m.store_timestamp_ms < m.born_timestamp_ms + DELAY_MS or \
            now_ms < m.born_timestamp_ms + DELAY_MS:
        sys.exit("delay level 2 arrived %d ms after its birth, stored "
                 "after %d ms" % (now_ms - m.born_timestamp_ms,
                                  m.store_timestamp_ms -
                                  m.born_timestamp_ms))
    print("delayed message seen %d ms after its birth" %
          (now_ms - m.born_timestamp_ms))
    return 0


sys.exit(main())
