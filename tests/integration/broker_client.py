"""The broker's requests for the integration tests, on top of
petrel_client.py: proto/broker.proto is generated at import time into the
same folder, and every broker code of proto/frame.proto whose messages are
FooRequest/FooResponse is added to petrel_client.MESSAGES."""

import importlib
import os
import subprocess

import petrel_client
from petrel_client import Code, MESSAGES

subprocess.run([petrel_client._protoc, "--proto_path=" + petrel_client._top,
                "--python_out=" + petrel_client._gen, "proto/broker.proto"],
               check=True)
broker_pb2 = importlib.import_module("proto.broker_pb2")
namesrv_pb2 = petrel_client.namesrv_pb2

# CODE_FOO_BAR takes FooBarRequest and answers FooBarResponse, except the
# lock codes, named after LockBatch and UnlockBatch.
_RENAMED = {"LOCK_BATCH_MQ": "LockBatch", "UNLOCK_BATCH_MQ": "UnlockBatch"}
for _name, _value in Code.items():
    if _value < 200:
        continue
    _short = _name[len("CODE_"):]
    _base = _RENAMED.get(_short) or "".join(
        w.capitalize() for w in _short.split("_"))
    _req = getattr(broker_pb2, _base + "Request", None)
    _resp = getattr(broker_pb2, _base + "Response", None)
    if _req is not None and _resp is not None:
        MESSAGES[_value] = (_req, _resp)


class BrokerClient(petrel_client.Client):
    """One connection to a broker."""

    def create_topic(self, name, queues=4, perm=6, order=False):
        req = broker_pb2.CreateOrUpdateTopicRequest()
        req.config.name = name
        req.config.read_queues = queues
        req.config.write_queues = queues
        req.config.perm = perm
        req.config.order = order
        return self.call(Code.Value("CODE_CREATE_OR_UPDATE_TOPIC"), req)

    def topic(self, name):
        return self.call(Code.Value("CODE_GET_TOPIC_CONFIG"),
                         broker_pb2.GetTopicConfigRequest(topic=name)).config

    def delete_topic(self, name):
        return self.call(Code.Value("CODE_DELETE_TOPIC_IN_BROKER"),
                         broker_pb2.DeleteTopicInBrokerRequest(topic=name))

    def heartbeat(self, client_id, group, topic):
        req = broker_pb2.HeartbeatRequest(client_id=client_id)
        c = req.consumers.add(group=group)
        c.subscriptions.add(topic=topic, sub_expression="*")
        return self.call(Code.Value("CODE_HEARTBEAT"), req)

    def consumers(self, group):
        return list(self.call(Code.Value("CODE_GET_CONSUMER_LIST"),
                              broker_pb2.GetConsumerListRequest(
                                  group=group)).client_ids)

    def update_offset(self, group, topic, queue_id, offset):
        return self.call(Code.Value("CODE_UPDATE_CONSUMER_OFFSET"),
                         broker_pb2.UpdateConsumerOffsetRequest(
                             group=group, topic=topic, queue_id=queue_id,
                             offset=offset))

    def query_offset(self, group, topic, queue_id):
        return self.call(Code.Value("CODE_QUERY_CONSUMER_OFFSET"),
                         broker_pb2.QueryConsumerOffsetRequest(
                             group=group, topic=topic,
                             queue_id=queue_id)).offset

    def lock(self, group, client_id, topic, broker, queue_ids):
        req = broker_pb2.LockBatchRequest(group=group, client_id=client_id)
        for q in queue_ids:
            req.queues.add(topic=topic, broker_name=broker, queue_id=q)
        return sorted(q.queue_id for q in self.call(
            Code.Value("CODE_LOCK_BATCH_MQ"), req).locked)
