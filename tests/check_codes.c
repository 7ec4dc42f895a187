/*
 * Tests of lib/codes.c: the table agrees with the RequestCode enum of
 * proto/frame.proto, both ways, and the lookups find every entry.
 */
#include "config.h"

#include <check.h>
#include <string.h>

#include "codes.h"
#include "proto/frame.pb-c.h"
#include "proto/namesrv.pb-c.h"

START_TEST(test_every_enum_value)
{
	const ProtobufCEnumDescriptor	*ed = &petrel__request_code__descriptor;
	const struct code_info		*ci;
	unsigned int			 i;

	for (i = 0; i < ed->n_values; i++) {
		if (ed->values[i].value == 0)
			continue;
		ci = codes_lookup((uint32_t)ed->values[i].value);
		ck_assert_msg(ci != NULL, "%s has no entry",
		    ed->values[i].name);
		ck_assert_str_eq(ci->name, ed->values[i].name);
		ck_assert_ptr_nonnull(ci->request);
		ck_assert_ptr_nonnull(ci->response);
		ck_assert_uint_eq(ci->request->magic,
		    PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC);
		ck_assert_uint_eq(ci->response->magic,
		    PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC);
	}
}
END_TEST

START_TEST(test_every_entry)
{
	const struct code_info	*ci, *all = codes_all();
	uint32_t		 last = 0;
	size_t			 n = 0;

	for (ci = all; ci->code != 0; ci++, n++) {
		ck_assert_msg(ci->code > last, "%s out of order", ci->name);
		last = ci->code;
		ck_assert_ptr_nonnull(protobuf_c_enum_descriptor_get_value(
		    &petrel__request_code__descriptor, (int)ci->code));
		ck_assert_ptr_eq(codes_lookup(ci->code), ci);
		ck_assert_ptr_eq(codes_by_request(ci->request), ci);
	}
	ck_assert_ptr_null(ci->name);
	ck_assert_ptr_null(ci->request);
	ck_assert_uint_eq(n, petrel__request_code__descriptor.n_values - 1);
}
END_TEST

START_TEST(test_lookups)
{
	const struct code_info	*ci;

	ci = codes_lookup(PETREL__REQUEST_CODE__CODE_PING);
	ck_assert_ptr_nonnull(ci);
	ck_assert_ptr_eq(ci->request, &petrel__ping__descriptor);
	ck_assert_ptr_eq(ci->response, &petrel__pong__descriptor);
	ci = codes_by_request(&petrel__get_route_request__descriptor);
	ck_assert_ptr_nonnull(ci);
	ck_assert_uint_eq(ci->code, PETREL__REQUEST_CODE__CODE_GET_ROUTE);
	ck_assert_ptr_eq(ci->response, &petrel__get_route_response__descriptor);

	ck_assert_ptr_null(codes_lookup(0));
	ck_assert_ptr_null(codes_lookup(2));
	ck_assert_ptr_null(codes_lookup(99999));
	ck_assert_ptr_null(codes_lookup(0xffffffffU));
	ck_assert_ptr_null(codes_by_request(&petrel__frame__descriptor));
}
END_TEST

Suite *
codes_suite(void)
{
	Suite	*s = suite_create("codes");
	TCase	*tc;

	tc = tcase_create("codes");
	tcase_add_test(tc, test_every_enum_value);
	tcase_add_test(tc, test_every_entry);
	tcase_add_test(tc, test_lookups);
	suite_add_tcase(s, tc);
	return (s);
}
