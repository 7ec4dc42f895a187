"""10,000 random and truncated frames neither crash nor wedge the name
server, and it still answers afterwards.  Usage: namesrv_garbage.py PORT"""

import random
import socket
import struct
import sys

from petrel_client import (Client, Code, Frame, MESSAGES, VERSION, encode,
                           namesrv_pb2)

FRAMES = 10000
PER_CONNECTION = 50


def valid_frame(rng, rid):
    """A well-formed request of a random code, random but sane content."""
    code = rng.choice(sorted(MESSAGES))
    req = MESSAGES[code][0]()
    if code == Code.Value("CODE_REGISTER_BROKER"):
        req.cluster = "fuzz"
        req.broker_name = "fuzz-%d" % rng.randrange(4)
        req.address = "127.0.0.1:%d" % rng.randrange(1, 65535)
        req.topics.add(name="Fuzz%d" % rng.randrange(8), read_queues=4,
                       write_queues=4, perm=6)
    elif code == Code.Value("CODE_GET_ROUTE"):
        req.topic = "Fuzz%d" % rng.randrange(8)
    return Frame(version=VERSION, code=code, id=rid,
                 body=req.SerializeToString())


def garbage(rng, rid):
    """One bad frame: random bytes, a truncated frame, a lying length,
    a random body for a real code, a bad version or an unknown code."""
    kind = rng.randrange(7)
    if kind == 0:
        return bytes(rng.getrandbits(8) for _ in range(rng.randrange(1, 64)))
    if kind == 1:
        data = encode(valid_frame(rng, rid))
        return data[:rng.randrange(1, len(data))]
    if kind == 2:
        return struct.pack(">I", rng.choice([0, 1, 0xffffffff,
                                             (16 << 20) + 1, 1 << 30]))
    if kind == 3:
        f = valid_frame(rng, rid)
        f.body = bytes(rng.getrandbits(8)
                       for _ in range(rng.randrange(0, 48)))
        return encode(f)
    if kind == 4:
        f = valid_frame(rng, rid)
        f.version = rng.choice([0, 2, 99])
        return encode(f)
    if kind == 5:
        f = valid_frame(rng, rid)
        f.code = rng.choice([0, 99, 114, 5000, 0xffffffff])
        return encode(f)
    data = bytes(rng.getrandbits(8) for _ in range(rng.randrange(0, 32)))
    return struct.pack(">I", len(data)) + data


def main():
    port = int(sys.argv[1])
    rng = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 1234)
    sent = 0
    closed = 0
    while sent < FRAMES:
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            for i in range(PER_CONNECTION):
                if rng.random() < 0.3:
                    s.sendall(encode(valid_frame(rng, i + 1)))
                else:
                    s.sendall(garbage(rng, i + 1))
                sent += 1
        except (BrokenPipeError, ConnectionResetError):
            closed += 1
        # Half the connections vanish without reading their answers.
        if rng.random() < 0.5:
            try:
                s.shutdown(socket.SHUT_WR)
                while s.recv(65536):
                    pass
            except OSError:
                pass
        s.close()
    print("sent %d frames, %d connections closed on us" % (sent, closed))

    # Still answering, on a fresh connection.
    c = Client(port)
    assert c.ping().server.startswith("petrel-namesrv")
    c.register("real", "broker-real", 0, "127.0.0.1:10911", ["Real"])
    route = c.route("Real")
    assert [x.broker_name for x in route.queues] == ["broker-real"]
    c.call(Code.Value("CODE_GET_CLUSTER_INFO"),
           namesrv_pb2.GetClusterInfoRequest())
    c.close()
    print("garbage: ok")


if __name__ == "__main__":
    main()
