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


def tag_hash(tag):
    """The 64-bit FNV-1a of a tag, as proto/broker.proto defines it."""
    if not tag:
        return 0
    h = 0xcbf29ce484222325
    for b in tag.encode():
        h = ((h ^ b) * 0x100000001b3) & 0xffffffffffffffff
    return h or 1


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

    def reset_offset(self, group, topic, timestamp_ms):
        """The group's offsets of every queue of topic, reset to a time."""
        return sorted((o.queue_id, o.offset) for o in self.call(
            Code.Value("CODE_RESET_CONSUMER_OFFSET"),
            broker_pb2.ResetConsumerOffsetRequest(
                group=group, topic=topic,
                timestamp_ms=timestamp_ms)).offsets)

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

    # Messages.
    def send(self, topic, body, tags="", keys=(), queue_id=-1, props=None,
             unique_id="", delay_level=0, group="PG"):
        """Send one message; returns (status, SendResult)."""
        req = broker_pb2.SendMessageRequest(producer_group=group,
                                            topic=topic, queue_id=queue_id,
                                            born_host="127.0.0.1:1")
        m = req.message
        m.body = body
        m.tags = tags
        m.keys.extend(keys)
        m.unique_id = unique_id
        m.delay_level = delay_level
        for k, v in (props or {}).items():
            m.properties.add(name=k, value=v)
        r = self.call(Code.Value("CODE_SEND_MESSAGE"), req)
        return r.status, r.result

    def send_batch(self, topic, bodies, queue_id=-1, group="PG"):
        req = broker_pb2.SendBatchRequest(producer_group=group, topic=topic,
                                          queue_id=queue_id)
        for b in bodies:
            req.messages.add(body=b)
        return self.call(Code.Value("CODE_SEND_BATCH"), req)

    def pull_request(self, group, topic, queue_id, offset, max_messages=32,
                     tags=(), suspend_ms=0, commit=None):
        req = broker_pb2.PullMessageRequest(
            group=group, topic=topic, queue_id=queue_id,
            queue_offset=offset, max_messages=max_messages,
            suspend_timeout_ms=suspend_ms)
        if tags:
            req.sub_expression = " || ".join(tags)
            req.tag_hashes.extend(tag_hash(t) for t in tags)
        if commit is not None:
            req.commit_offset_set = True
            req.commit_offset = commit
        return req

    def pull(self, group, topic, queue_id, offset, **kw):
        return self.call(Code.Value("CODE_PULL_MESSAGE"),
                         self.pull_request(group, topic, queue_id, offset,
                                           **kw))

    def send_back(self, group, msg, delay_level=0, max_reconsume=0):
        return self.call(Code.Value("CODE_CONSUMER_SEND_BACK"),
                         broker_pb2.ConsumerSendBackRequest(
                             group=group,
                             commit_log_offset=msg.commit_log_offset,
                             msg_id=msg.msg_id, original_topic=msg.topic,
                             delay_level=delay_level,
                             max_reconsume_times=max_reconsume)).topic

    def min_offset(self, topic, queue_id):
        return self.call(Code.Value("CODE_GET_MIN_OFFSET"),
                         broker_pb2.GetMinOffsetRequest(
                             topic=topic, queue_id=queue_id)).offset

    def max_offset(self, topic, queue_id):
        return self.call(Code.Value("CODE_GET_MAX_OFFSET"),
                         broker_pb2.GetMaxOffsetRequest(
                             topic=topic, queue_id=queue_id)).offset

    def offset_by_time(self, topic, queue_id, ms):
        return self.call(Code.Value("CODE_SEARCH_OFFSET_BY_TIME"),
                         broker_pb2.SearchOffsetByTimeRequest(
                             topic=topic, queue_id=queue_id,
                             timestamp_ms=ms)).offset

    def by_id(self, msg_id, topic=""):
        return self.call(Code.Value("CODE_QUERY_MESSAGE_BY_ID"),
                         broker_pb2.QueryMessageByIdRequest(
                             msg_id=msg_id, topic=topic)).message

    def by_key(self, topic, key, begin_ms=0, end_ms=0):
        return list(self.call(Code.Value("CODE_QUERY_MESSAGE_BY_KEY"),
                              broker_pb2.QueryMessageByKeyRequest(
                                  topic=topic, key=key, begin_ms=begin_ms,
                                  end_ms=end_ms)).messages)

    def view(self, commit_log_offset):
        return self.call(Code.Value("CODE_VIEW_MESSAGE_BY_OFFSET"),
                         broker_pb2.ViewMessageByOffsetRequest(
                             commit_log_offset=commit_log_offset)).message

    def runtime_info(self):
        return self.call(Code.Value("CODE_GET_BROKER_RUNTIME_INFO"),
                         broker_pb2.GetBrokerRuntimeInfoRequest())
