/*
 * The request codes of proto/frame.proto and the messages each takes and
 * answers.  The listener decodes a request body with the request
 * descriptor and checks an actor's answer against the response one; the
 * client decodes answers with the response descriptor.  A new code is one
 * line here plus its enum value; tests/check_codes.c checks that every
 * value of RequestCode has a line.
 */
#include "config.h"

#include <stddef.h>

#include "codes.h"
#include "proto/broker.pb-c.h"
#include "proto/frame.pb-c.h"
#include "proto/namesrv.pb-c.h"

/* A broker code CODE_FOO takes FooRequest and answers FooResponse. */
#define BCODE(c, m) \
	{ PETREL__REQUEST_CODE__CODE_##c, "CODE_" #c, \
	    &petrel__##m##_request__descriptor, \
	    &petrel__##m##_response__descriptor }

#define CODE(c, req, resp) \
	{ PETREL__REQUEST_CODE__##c, #c, &req##__descriptor, \
	    &resp##__descriptor }

/* Sorted by code. */
static const struct code_info codes_table[] = {
	CODE(CODE_PING, petrel__ping, petrel__pong),

	CODE(CODE_REGISTER_BROKER, petrel__register_broker_request,
	    petrel__register_broker_response),
	CODE(CODE_UNREGISTER_BROKER, petrel__unregister_broker_request,
	    petrel__unregister_broker_response),
	CODE(CODE_GET_ROUTE, petrel__get_route_request,
	    petrel__get_route_response),
	CODE(CODE_GET_CLUSTER_INFO, petrel__get_cluster_info_request,
	    petrel__get_cluster_info_response),
	CODE(CODE_GET_TOPIC_LIST, petrel__get_topic_list_request,
	    petrel__get_topic_list_response),
	CODE(CODE_DELETE_TOPIC, petrel__delete_topic_request,
	    petrel__delete_topic_response),
	CODE(CODE_KV_PUT, petrel__kv_put_request, petrel__kv_put_response),
	CODE(CODE_KV_GET, petrel__kv_get_request, petrel__kv_get_response),
	CODE(CODE_KV_DELETE, petrel__kv_delete_request,
	    petrel__kv_delete_response),
	CODE(CODE_KV_LIST, petrel__kv_list_request, petrel__kv_list_response),

	BCODE(SEND_MESSAGE, send_message),
	BCODE(SEND_BATCH, send_batch),
	BCODE(CONSUMER_SEND_BACK, consumer_send_back),
	BCODE(PULL_MESSAGE, pull_message),
	BCODE(CREATE_OR_UPDATE_TOPIC, create_or_update_topic),
	BCODE(DELETE_TOPIC_IN_BROKER, delete_topic_in_broker),
	BCODE(GET_TOPIC_CONFIG, get_topic_config),
	BCODE(GET_ALL_TOPIC_CONFIG, get_all_topic_config),
	BCODE(QUERY_CONSUMER_OFFSET, query_consumer_offset),
	BCODE(UPDATE_CONSUMER_OFFSET, update_consumer_offset),
	BCODE(COMMIT_CONSUMER_OFFSETS, commit_consumer_offsets),
	BCODE(GET_CONSUMER_OFFSETS, get_consumer_offsets),
	BCODE(RESET_CONSUMER_OFFSET, reset_consumer_offset),
	BCODE(GET_MIN_OFFSET, get_min_offset),
	BCODE(GET_MAX_OFFSET, get_max_offset),
	BCODE(SEARCH_OFFSET_BY_TIME, search_offset_by_time),
	BCODE(HEARTBEAT, heartbeat),
	BCODE(UNREGISTER_CLIENT, unregister_client),
	BCODE(GET_CONSUMER_LIST, get_consumer_list),
	BCODE(NOTIFY_CONSUMER_IDS_CHANGED, notify_consumer_ids_changed),
	BCODE(LOCK_BATCH_MQ, lock_batch),
	BCODE(UNLOCK_BATCH_MQ, unlock_batch),
	BCODE(QUERY_MESSAGE_BY_ID, query_message_by_id),
	BCODE(QUERY_MESSAGE_BY_KEY, query_message_by_key),
	BCODE(VIEW_MESSAGE_BY_OFFSET, view_message_by_offset),
	BCODE(GET_BROKER_RUNTIME_INFO, get_broker_runtime_info),
	BCODE(GET_CONSUMER_GROUPS, get_consumer_groups),

	{ 0, NULL, NULL, NULL }
};

#define CODES_COUNT	(sizeof codes_table / sizeof codes_table[0] - 1)

/* The entry of a code, or NULL if this release does not know it. */
const struct code_info *
codes_lookup(uint32_t code)
{
	size_t	lo = 0, hi = CODES_COUNT, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (codes_table[mid].code == code)
			return (&codes_table[mid]);
		if (codes_table[mid].code < code)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (NULL);
}

/* The entry whose request is a message of type desc, or NULL. */
const struct code_info *
codes_by_request(const ProtobufCMessageDescriptor *desc)
{
	const struct code_info	*ci;

	for (ci = codes_table; ci->code != 0; ci++) {
		if (ci->request == desc)
			return (ci);
	}
	return (NULL);
}

/* Every entry, in code order, ending with one whose code is 0. */
const struct code_info *
codes_all(void)
{
	return (codes_table);
}
