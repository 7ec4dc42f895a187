"""Two brokers register with a running name server over the wire; routes,
cluster info, topic lists, deletion and bad input are answered as
proto/namesrv.proto says.  Usage: namesrv_routes.py PORT"""

import sys

from petrel_client import Client, Code, PetrelError, Status, namesrv_pb2

OK = Status.Value("STATUS_OK")
NOT_FOUND = Status.Value("STATUS_NOT_FOUND")
BAD_REQUEST = Status.Value("STATUS_BAD_REQUEST")


def expect_error(status, fn, *args):
    try:
        fn(*args)
    except PetrelError as e:
        assert e.status == status, "%s, want %s" % (e, Status.Name(status))
        return e.text
    raise AssertionError("no error from %s%r" % (fn.__name__, args))


def main():
    port = int(sys.argv[1])
    a = Client(port)
    b = Client(port)
    q = Client(port)

    assert q.ping().server.startswith("petrel-namesrv ")

    r = b.register("DefaultCluster", "broker-b", 0, "127.0.0.1:20911",
                   [("TopicTest", 4, 4, 6), "OnlyB"])
    assert r.master_address == "127.0.0.1:20911", r
    a.register("DefaultCluster", "broker-a", 0, "127.0.0.1:10911",
               [("TopicTest", 8, 8, 6)], ha_address="127.0.0.1:10912")
    s = a.register("DefaultCluster", "broker-a", 1, "127.0.0.1:11911",
                   ["IgnoredSlaveTopic"])
    assert s.master_address == "127.0.0.1:10911", s
    assert s.master_ha_address == "127.0.0.1:10912", s

    route = q.route("TopicTest")
    assert [x.broker_name for x in route.queues] == ["broker-a", "broker-b"]
    assert [(x.read_queues, x.write_queues, x.perm) for x in route.queues] \
        == [(8, 8, 6), (4, 4, 6)]
    assert [x.broker_name for x in route.brokers] == ["broker-a", "broker-b"]
    a_addrs = route.brokers[0].addresses
    assert [(x.broker_id, x.address) for x in a_addrs] == \
        [(0, "127.0.0.1:10911"), (1, "127.0.0.1:11911")], a_addrs
    assert a_addrs[0].ha_address == "127.0.0.1:10912"
    assert all(x.last_update_ms > 0 for x in a_addrs)
    assert route.brokers[1].cluster == "DefaultCluster"

    only = q.route("OnlyB")
    assert [x.broker_name for x in only.queues] == ["broker-b"]
    assert q.route_status("IgnoredSlaveTopic") == NOT_FOUND
    assert q.route_status("NoSuchTopic") == NOT_FOUND
    assert q.route_status("") == BAD_REQUEST
    assert q.route_status("x" * 128) == BAD_REQUEST

    info = q.cluster_info()
    assert [c.name for c in info.clusters] == ["DefaultCluster"]
    assert list(info.clusters[0].broker_names) == ["broker-a", "broker-b"]
    assert [x.broker_name for x in info.brokers] == ["broker-a", "broker-b"]

    assert q.topics() == ["OnlyB", "TopicTest"]
    assert q.topics("DefaultCluster") == ["OnlyB", "TopicTest"]
    expect_error(NOT_FOUND, q.topics, "NoCluster")

    text = expect_error(BAD_REQUEST, a.register, "", "broker-c", 0, "h:1")
    assert text == "cluster is empty", text
    text = expect_error(BAD_REQUEST, a.register, "c", "n" * 128, 0, "h:1")
    assert "longer than 127" in text, text

    # Deleting a topic; deleting it again is NOT_FOUND.
    q.call(Code.Value("CODE_DELETE_TOPIC"),
           namesrv_pb2.DeleteTopicRequest(topic="OnlyB"))
    assert q.route_status("OnlyB") == NOT_FOUND
    expect_error(NOT_FOUND, q.call, Code.Value("CODE_DELETE_TOPIC"),
                 namesrv_pb2.DeleteTopicRequest(topic="OnlyB"))

    # Unregistering broker-b leaves broker-a's queues.
    q.call(Code.Value("CODE_UNREGISTER_BROKER"),
           namesrv_pb2.UnregisterBrokerRequest(
               cluster="DefaultCluster", broker_name="broker-b",
               broker_id=0, address="127.0.0.1:20911"))
    route = q.route("TopicTest")
    assert [x.broker_name for x in route.queues] == ["broker-a"]

    # Key/value config through the same port.
    kv = namesrv_pb2
    q.call(Code.Value("CODE_KV_PUT"), kv.KvPutRequest(
        namespace="ORDER_TOPIC_CONFIG", key="TopicTest", value="broker-a:8"))
    got = q.call(Code.Value("CODE_KV_GET"), kv.KvGetRequest(
        namespace="ORDER_TOPIC_CONFIG", key="TopicTest"))
    assert got.value == "broker-a:8"
    lst = q.call(Code.Value("CODE_KV_LIST"),
                 kv.KvListRequest(namespace="ORDER_TOPIC_CONFIG"))
    assert [(e.key, e.value) for e in lst.entries] == \
        [("TopicTest", "broker-a:8")]
    expect_error(NOT_FOUND, q.call, Code.Value("CODE_KV_GET"),
                 kv.KvGetRequest(namespace="ORDER_TOPIC_CONFIG", key="x"))
    expect_error(BAD_REQUEST, q.call, Code.Value("CODE_KV_PUT"),
                 kv.KvPutRequest(namespace="", key="x", value="y"))

    for c in (a, b, q):
        c.close()
    print("routes: ok")


if __name__ == "__main__":
    main()
