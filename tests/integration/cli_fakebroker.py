#!/usr/bin/env python3
"""A stand-in broker for the CLI tests: registers with a name server over
the real wire protocol and keeps the connection open, because a name server
drops a broker whose connection closes.  It writes "registered" to the
ready file once the name server said yes, then waits until it is killed.

usage: cli_fakebroker.py PYDIR READY HOST:PORT CLUSTER BROKER ID ADDRESS
                         [TOPIC:READ:WRITE:PERM ...]
PYDIR holds frame_pb2.py and namesrv_pb2.py (protoc --python_out).
"""
import os
import signal
import socket
import struct
import sys


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError("name server closed the connection")
        buf += chunk
    return buf


def main():
    pydir, ready, server, cluster, name, broker_id, address = sys.argv[1:8]
    sys.path.insert(0, pydir)
    import frame_pb2
    import namesrv_pb2

    req = namesrv_pb2.RegisterBrokerRequest(
        cluster=cluster, broker_name=name, broker_id=int(broker_id),
        address=address, ha_address="")
    for spec in sys.argv[8:]:
        topic, read, write, perm = spec.split(":")
        req.topics.add(name=topic, read_queues=int(read),
                       write_queues=int(write), perm=int(perm))
    frame = frame_pb2.Frame(version=1,
                            code=frame_pb2.CODE_REGISTER_BROKER, id=1,
                            body=req.SerializeToString())
    data = frame.SerializeToString()

    host, port = server.rsplit(":", 1)
    sock = socket.create_connection((host, int(port)), timeout=10)
    sock.sendall(struct.pack(">I", len(data)) + data)
    (length,) = struct.unpack(">I", recv_exact(sock, 4))
    answer = frame_pb2.Frame()
    answer.ParseFromString(recv_exact(sock, length))
    if answer.status != frame_pb2.STATUS_OK:
        sys.exit("register failed: status %d: %s" %
                 (answer.status, answer.error))
    with open(ready + ".tmp", "w") as f:
        f.write("registered\n")
    os.rename(ready + ".tmp", ready)
    while True:
        signal.pause()


if __name__ == "__main__":
    main()
