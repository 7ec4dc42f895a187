"""A small Petrel wire client for the integration tests.

The Python message classes are generated at import time from proto/ with
protoc --python_out into a temporary folder ($PROTOC, $top_srcdir), so the
tests always speak the protocol of the tree they test.  A frame is a
4-byte big-endian length and an encoded petrel.Frame whose body is the
request or response message of its code.
"""

import atexit
import importlib
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time

_top = os.environ.get("top_srcdir") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..")
_protoc = os.environ.get("PROTOC") or "protoc"
_gen = tempfile.mkdtemp(prefix="petrel-pb2.")
atexit.register(shutil.rmtree, _gen, True)
# Only the wire protocol's files (neither imports another): an actor
# message file elsewhere in proto/ never breaks the client.
_protos = ["proto/frame.proto", "proto/namesrv.proto"]
subprocess.run([_protoc, "--proto_path=" + _top, "--python_out=" + _gen]
               + _protos, check=True)
sys.path.insert(0, _gen)

frame_pb2 = importlib.import_module("proto.frame_pb2")
namesrv_pb2 = importlib.import_module("proto.namesrv_pb2")

Frame = frame_pb2.Frame
Status = frame_pb2.Status
Code = frame_pb2.RequestCode
FRAME_RESPONSE = frame_pb2.FRAME_RESPONSE
FRAME_ONEWAY = frame_pb2.FRAME_ONEWAY
VERSION = frame_pb2.PROTOCOL_VERSION_1

# Each request code's request and response message types.
MESSAGES = {
    Code.Value("CODE_PING"): (frame_pb2.Ping, frame_pb2.Pong),
}
for _name, _req, _resp in [
        ("REGISTER_BROKER", "RegisterBrokerRequest", "RegisterBrokerResponse"),
        ("UNREGISTER_BROKER", "UnregisterBrokerRequest",
         "UnregisterBrokerResponse"),
        ("GET_ROUTE", "GetRouteRequest", "GetRouteResponse"),
        ("GET_CLUSTER_INFO", "GetClusterInfoRequest",
         "GetClusterInfoResponse"),
        ("GET_TOPIC_LIST", "GetTopicListRequest", "GetTopicListResponse"),
        ("DELETE_TOPIC", "DeleteTopicRequest", "DeleteTopicResponse"),
        ("KV_PUT", "KvPutRequest", "KvPutResponse"),
        ("KV_GET", "KvGetRequest", "KvGetResponse"),
        ("KV_DELETE", "KvDeleteRequest", "KvDeleteResponse"),
        ("KV_LIST", "KvListRequest", "KvListResponse")]:
    MESSAGES[Code.Value("CODE_" + _name)] = (getattr(namesrv_pb2, _req),
                                             getattr(namesrv_pb2, _resp))


class PetrelError(Exception):
    """A response whose status is not STATUS_OK."""

    def __init__(self, status, text):
        super().__init__("%s: %s" % (Status.Name(status)
                                     if status in Status.values() else status,
                                     text))
        self.status = status
        self.text = text


def encode(frame):
    """A frame on the wire: length and encoded Frame."""
    data = frame.SerializeToString()
    return struct.pack(">I", len(data)) + data


class Client:
    """One connection to a Petrel server."""

    def __init__(self, port, host="127.0.0.1", timeout=10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.next_id = 1
        self.buf = b""

    def close(self):
        self.sock.close()

    def send_raw(self, data):
        self.sock.sendall(data)

    def read_frame(self):
        """The next frame from the server, or None at end of stream."""
        while True:
            if len(self.buf) >= 4:
                (n,) = struct.unpack(">I", self.buf[:4])
                if len(self.buf) >= 4 + n:
                    f = Frame()
                    f.ParseFromString(self.buf[4:4 + n])
                    self.buf = self.buf[4 + n:]
                    return f
            chunk = self.sock.recv(65536)
            if not chunk:
                return None
            self.buf += chunk

    def call_status(self, code, request):
        """Send a request; return (status, error text, response or None)."""
        rid = self.next_id
        self.next_id += 1
        f = Frame(version=VERSION, code=code, id=rid,
                  body=request.SerializeToString())
        self.sock.sendall(encode(f))
        while True:
            r = self.read_frame()
            if r is None:
                raise ConnectionError("connection closed by the server")
            if r.id == rid:
                break
        if not r.flags & FRAME_RESPONSE:
            raise AssertionError("answer without FRAME_RESPONSE")
        if r.status != Status.Value("STATUS_OK"):
            return r.status, r.error, None
        resp = MESSAGES[code][1]()
        resp.ParseFromString(r.body)
        return r.status, "", resp

    def call(self, code, request):
        """Send a request and return its response; PetrelError if refused."""
        status, text, resp = self.call_status(code, request)
        if status != Status.Value("STATUS_OK"):
            raise PetrelError(status, text)
        return resp

    # The name server's requests.
    def register(self, cluster, name, broker_id, address, topics=(),
                 version=1, ha_address="", heartbeat_timeout_ms=0):
        req = namesrv_pb2.RegisterBrokerRequest(
            cluster=cluster, broker_name=name, broker_id=broker_id,
            address=address, ha_address=ha_address,
            heartbeat_timeout_ms=heartbeat_timeout_ms)
        req.data_version.timestamp_ms = 1
        req.data_version.counter = version
        for t in topics:
            if isinstance(t, str):
                t = (t, 8, 8, 6)
            req.topics.add(name=t[0], read_queues=t[1], write_queues=t[2],
                           perm=t[3])
        return self.call(Code.Value("CODE_REGISTER_BROKER"), req)

    def route(self, topic):
        return self.call(Code.Value("CODE_GET_ROUTE"),
                         namesrv_pb2.GetRouteRequest(topic=topic))

    def route_status(self, topic):
        return self.call_status(Code.Value("CODE_GET_ROUTE"),
                                namesrv_pb2.GetRouteRequest(topic=topic))[0]

    def cluster_info(self):
        return self.call(Code.Value("CODE_GET_CLUSTER_INFO"),
                         namesrv_pb2.GetClusterInfoRequest())

    def topics(self, cluster=""):
        return list(self.call(Code.Value("CODE_GET_TOPIC_LIST"),
                              namesrv_pb2.GetTopicListRequest(
                                  cluster=cluster)).topics)

    def ping(self):
        return self.call(Code.Value("CODE_PING"),
                         frame_pb2.Ping(sent_ms=int(time.time() * 1000)))


def wait_for(what, fn, timeout=20.0, step=0.05):
    """Call fn until it returns true; fail after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(step)
