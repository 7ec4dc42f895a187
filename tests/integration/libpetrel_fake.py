"""A fake name server and broker in one, on one loopback port, for the
libpetrel tests that need a server misbehaving on purpose or counting what
the library asks (tests/integration/libpetrel_fake.sh).

usage: libpetrel_fake.py PORTFILE LOG CONTROL

It listens on 127.0.0.1 port 0 and writes the port to PORTFILE once it
accepts.  As a name server it answers CODE_GET_ROUTE for any topic with
brokers fake-a (and fake-b, ...), all at its own address; as each broker
it answers
CODE_SEND_MESSAGE, CODE_SEND_BATCH and CODE_HEARTBEAT.  CONTROL holds
"key=value" lines read again at every request:

  queues=N      write and read queues of every broker (default 4)
  brokers=N     brokers in every route (default 1)
  send=HOW      ok (stored in the queue asked for), busy (SYSTEM_BUSY),
                illegal (MESSAGE_ILLEGAL) or silent (never answered)

Every request is a line in LOG, written at once: "route TOPIC",
"send TOPIC QUEUE BODY", "batch TOPIC QUEUE COUNT", "heartbeat CLIENT_ID",
"other CODE".
"""

import os
import socket
import socketserver
import struct
import sys
import threading

import broker_client
from petrel_client import Code, Frame, Status, FRAME_RESPONSE, VERSION, \
    encode

broker_pb2 = broker_client.broker_pb2
namesrv_pb2 = broker_client.namesrv_pb2

LOCK = threading.Lock()
STATE = {"offset": 0}


def control(path):
    """The CONTROL file's settings, with defaults."""
    conf = {"queues": "4", "brokers": "1", "send": "ok"}
    try:
        with open(path) as f:
            for line in f:
                if "=" in line:
                    k, v = line.strip().split("=", 1)
                    conf[k] = v
    except FileNotFoundError:
        pass
    return conf


def log(path, line):
    """Append a line to LOG at once."""
    with LOCK:
        with open(path, "a") as f:
            f.write(line + "\n")


class Handler(socketserver.BaseRequestHandler):
    """One connection: frames in, answers out (or none when silent)."""

    def answer(self, req, status=0, error="", body=b""):
        f = Frame(version=VERSION, code=req.code, id=req.id,
                  flags=FRAME_RESPONSE, status=status, error=error,
                  body=body)
        self.request.sendall(encode(f))

    def stored(self, queue_id, unique_id):
        """A SendResult for a message stored now."""
        with LOCK:
            STATE["offset"] += 1
            off = STATE["offset"]
        return broker_pb2.SendResult(msg_id="%032X" % off,
                                     unique_id=unique_id, queue_id=queue_id,
                                     queue_offset=off,
                                     commit_log_offset=off)

    def send(self, req, conf, how):
        """Answer a send as CONTROL says."""
        if how == "silent":
            return
        if how == "busy":
            self.answer(req, Status.Value("STATUS_SYSTEM_BUSY"), "busy")
        elif how == "illegal":
            self.answer(req, Status.Value("STATUS_MESSAGE_ILLEGAL"),
                        "illegal")
        elif req.code == Code.Value("CODE_SEND_MESSAGE"):
            m = broker_pb2.SendMessageRequest()
            m.ParseFromString(req.body)
            r = broker_pb2.SendMessageResponse(
                status=0, result=self.stored(m.queue_id,
                                             m.message.unique_id))
            self.answer(req, body=r.SerializeToString())
        else:
            m = broker_pb2.SendBatchRequest()
            m.ParseFromString(req.body)
            r = broker_pb2.SendBatchResponse(status=0)
            for om in m.messages:
                r.results.append(self.stored(m.queue_id, om.unique_id))
            self.answer(req, body=r.SerializeToString())

    def handle(self):
        srv = self.server
        buf = b""
        while True:
            while len(buf) < 4 or len(buf) < 4 + struct.unpack(
                    ">I", buf[:4])[0]:
                chunk = self.request.recv(65536)
                if not chunk:
                    return
                buf += chunk
            (n,) = struct.unpack(">I", buf[:4])
            req = Frame()
            req.ParseFromString(buf[4:4 + n])
            buf = buf[4 + n:]
            conf = control(srv.control)
            if req.code == Code.Value("CODE_GET_ROUTE"):
                q = namesrv_pb2.GetRouteRequest()
                q.ParseFromString(req.body)
                log(srv.log, "route " + q.topic)
                nq = int(conf["queues"])
                r = namesrv_pb2.GetRouteResponse()
                for i in range(int(conf["brokers"])):
                    name = "fake-" + chr(ord("a") + i)
                    r.queues.add(broker_name=name, read_queues=nq,
                                 write_queues=nq, perm=6)
                    b = r.brokers.add(cluster="fake", broker_name=name)
                    b.addresses.add(broker_id=0, address=srv.address)
                self.answer(req, body=r.SerializeToString())
            elif req.code == Code.Value("CODE_SEND_MESSAGE"):
                m = broker_pb2.SendMessageRequest()
                m.ParseFromString(req.body)
                log(srv.log, "send %s %d %s" % (m.topic, m.queue_id,
                                                m.message.body.decode()))
                self.send(req, conf, conf["send"])
            elif req.code == Code.Value("CODE_SEND_BATCH"):
                m = broker_pb2.SendBatchRequest()
                m.ParseFromString(req.body)
                log(srv.log, "batch %s %d %d" % (m.topic, m.queue_id,
                                                 len(m.messages)))
                self.send(req, conf, conf["send"])
            elif req.code == Code.Value("CODE_HEARTBEAT"):
                m = broker_pb2.HeartbeatRequest()
                m.ParseFromString(req.body)
                log(srv.log, "heartbeat " + m.client_id)
                self.answer(req, body=broker_pb2.HeartbeatResponse()
                            .SerializeToString())
            else:
                log(srv.log, "other %d" % req.code)
                self.answer(req, Status.Value(
                    "STATUS_REQUEST_CODE_NOT_SUPPORTED"), "not here")


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    portfile, logfile, ctl = sys.argv[1:4]
    srv = Server(("127.0.0.1", 0), Handler)
    srv.log = logfile
    srv.control = ctl
    port = srv.server_address[1]
    srv.address = "127.0.0.1:%d" % port
    with open(portfile + ".tmp", "w") as f:
        f.write("%d\n" % port)
    os.rename(portfile + ".tmp", portfile)
    srv.serve_forever()


if __name__ == "__main__":
    main()
