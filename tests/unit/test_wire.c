/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wire_samples.h"

/*
 * Every field of `msg` (and, recursively, of the first element of every
 * repeated message field) is set to a non-default value. Walks the
 * descriptors so that a field added to the .proto without a sample value
 * fails here.
 */
static void assert_all_fields_set(const ProtobufCMessage *msg)
{
	const ProtobufCMessageDescriptor *d = msg->descriptor;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		const char *p = (const char *)msg + f->offset;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(const size_t *)((const char *)msg + f->quantifier_offset);
			if (n == 0)
				fail_msg("%s.%s: repeated field empty", d->name, f->name);
			if (f->type == PROTOBUF_C_TYPE_MESSAGE)
				assert_all_fields_set(**(ProtobufCMessage *const *const *)p);
			continue;
		}
		if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
			uint32_t which = *(const uint32_t *)((const char *)msg + f->quantifier_offset);
			if (which != f->id)
				fail_msg("%s.%s: oneof member not set", d->name, f->name);
			continue;
		}
		bool set;
		switch (f->type) {
		case PROTOBUF_C_TYPE_STRING:
			set = **(const char *const *)p != '\0';
			break;
		case PROTOBUF_C_TYPE_MESSAGE:
			set = *(ProtobufCMessage *const *)p != NULL;
			if (set)
				assert_all_fields_set(*(ProtobufCMessage *const *)p);
			break;
		case PROTOBUF_C_TYPE_INT64:
		case PROTOBUF_C_TYPE_UINT64:
		case PROTOBUF_C_TYPE_DOUBLE:
			set = *(const uint64_t *)p != 0;
			break;
		default: /* 32-bit ints, enums, bools */
			set = *(const uint32_t *)p != 0;
			break;
		}
		if (!set)
			fail_msg("%s.%s: not set in the sample", d->name, f->name);
	}
}

static uint8_t *encode(const ProtobufCMessage *msg, size_t *len)
{
	struct ecs_err err;
	uint8_t *buf = wire_encode(msg, len, &err);
	if (!buf)
		fail_msg("encode: %s", err_msg(&err));
	return buf;
}

static void test_roundtrip_every_type(void **state)
{
	struct wire_samples s;
	wire_samples_init(&s);
	for (enum wire_msg t = 0; t < WIRE_MSG_COUNT; t++) {
		struct ecs_err err;
		size_t len1, len2;
		_cleanup_free_ uint8_t *a = encode(wire_sample(&s, t), &len1);
		_cleanup_wire_ ProtobufCMessage *m = wire_decode(t, a, len1, &err);
		if (!m)
			fail_msg("%s: %s", wire_msg_name(t), err_msg(&err));
		assert_ptr_equal(m->descriptor, wire_sample(&s, t)->descriptor);
		assert_all_fields_set(m);
		_cleanup_free_ uint8_t *b = encode(m, &len2);
		assert_int_equal(len1, len2);
		assert_memory_equal(a, b, len1);
	}
}

/* proto3 strings are UTF-8: a peer's invalid bytes (here in a nested
 * attribute value and in a repeated string) never get past the decoder,
 * where they would later break JSON replies. */
static void test_invalid_utf8_rejected(void **state)
{
	static const char *const bad[] = { "\xfd\x7f", "\xc0\xaf", "\xed\xa0\x80",
					   "\xf4\x90\x80\x80", "ab\xe2\x82" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct wire_samples s;
		struct ecs_err err = { 0 };
		size_t len;
		wire_samples_init(&s);
		s.register_request.attributes[0]->value = (char *)bad[i];
		_cleanup_free_ uint8_t *buf = encode(&s.register_request.base, &len);
		Ecsagent__RegisterRequest *r = wire_decode_register_request(buf, len, &err);
		assert_null(r);
		assert_int_equal(err.code, EBADMSG);
	}
	struct wire_samples s;
	struct ecs_err err = { 0 };
	size_t len;
	wire_samples_init(&s);
	s.register_request.total_resources[2]->string_set_value[1] = (char *)"\xff";
	_cleanup_free_ uint8_t *buf = encode(&s.register_request.base, &len);
	assert_null(wire_decode_register_request(buf, len, &err));
	/* Valid multi-byte text is kept. */
	wire_samples_init(&s);
	s.register_request.attributes[0]->value = (char *)"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xb3";
	_cleanup_free_ uint8_t *ok = encode(&s.register_request.base, &len);
	_cleanup_wire_ Ecsagent__RegisterRequest *r = wire_decode_register_request(ok, len, &err);
	assert_non_null(r);
	assert_string_equal(r->attributes[0]->value, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xb3");
}

static void test_register_fields(void **state)
{
	struct wire_samples s;
	struct ecs_err err;
	size_t len;
	wire_samples_init(&s);
	_cleanup_free_ uint8_t *buf = encode(&s.register_request.base, &len);
	_cleanup_wire_ Ecsagent__RegisterRequest *r = wire_decode_register_request(buf, len, &err);
	assert_non_null(r);
	assert_int_equal(r->protocol_major, 1);
	assert_int_equal(r->protocol_minor, 7);
	assert_string_equal(r->cluster, "default");
	assert_string_equal(r->join_token, "join-5ecr3t");
	assert_string_equal(r->version_info->runtime_name, "runc");
	assert_int_equal(r->n_total_resources, 5);
	assert_string_equal(r->total_resources[1]->name, "MEMORY");
	assert_int_equal(r->total_resources[1]->integer_value, 3928);
	assert_int_equal(r->total_resources[2]->type, ECSAGENT__RESOURCE_TYPE__STRINGSET);
	assert_int_equal(r->total_resources[2]->n_string_set_value, 3);
	assert_string_equal(r->total_resources[2]->string_set_value[2], "51678");
	assert_int_equal(r->total_resources[3]->long_value, 64424509440LL);
	assert_true(r->total_resources[4]->double_value == 0.75);
	assert_string_equal(r->attributes[0]->name, "ecs.capability.task-eni");
	assert_string_equal(r->previous_container_instance_arn, WS_INSTANCE_ARN);
}

static void test_poll_response_fields(void **state)
{
	struct wire_samples s;
	struct ecs_err err;
	size_t len;
	wire_samples_init(&s);
	_cleanup_free_ uint8_t *buf = encode(&s.poll_response.base, &len);
	_cleanup_wire_ Ecsagent__PollResponse *r = wire_decode_poll_response(buf, len, &err);
	assert_non_null(r);
	assert_int_equal(r->version, 42);
	assert_int_equal(r->n_tasks, 2);
	const Ecsagent__Task *t = r->tasks[0];
	assert_string_equal(t->task_definition_json, WS_TASKDEF_JSON);
	assert_int_equal(t->desired_status, ECSAGENT__STATUS__RUNNING);
	assert_int_equal(t->revision, 3);
	const Ecsagent__NetworkInterface *eni = t->network_interfaces[0];
	assert_string_equal(eni->mac_address, "0a:1b:2c:3d:4e:5f");
	assert_string_equal(eni->ipv4_addresses[0]->address, "10.0.1.23");
	assert_int_equal(eni->ipv4_addresses[0]->prefix_length, 24);
	assert_int_equal(eni->ipv6_addresses[0]->prefix_length, 64);
	assert_string_equal(eni->dns_servers[1], "10.0.0.3");
	/* Unset strings decode as "", never NULL. */
	const Ecsagent__Task *stopped = r->tasks[1];
	assert_int_equal(stopped->desired_status, ECSAGENT__STATUS__STOPPED);
	assert_non_null(stopped->overrides_json);
	assert_string_equal(stopped->overrides_json, "");
	assert_int_equal(stopped->n_network_interfaces, 0);
}

static void test_exit_code_presence(void **state)
{
	struct wire_samples s;
	struct ecs_err err;
	size_t len;
	int32_t code = -1;
	wire_samples_init(&s);
	/* Zero must survive: "exited 0" is not "still running". */
	wire_set_exit_code(&s.container, 0);
	_cleanup_free_ uint8_t *buf = encode(&s.state_request.base, &len);
	_cleanup_wire_ Ecsagent__StateChangeRequest *r = wire_decode_state_request(buf, len, &err);
	assert_non_null(r);
	const Ecsagent__TaskStateChange *tc = r->tasks[0];
	assert_int_equal(tc->sequence, 9);
	assert_true(wire_get_exit_code(tc->containers[0], &code));
	assert_int_equal(code, 0);
	assert_false(wire_get_exit_code(tc->containers[1], NULL));
	assert_int_equal(tc->containers[0]->network_bindings[0]->protocol,
			 ECSAGENT__TRANSPORT_PROTOCOL__UDP);
	assert_int_equal(tc->containers[0]->network_bindings[1]->protocol,
			 ECSAGENT__TRANSPORT_PROTOCOL__TCP);
	assert_string_equal(tc->containers[0]->network_bindings[1]->host_port_range,
			    "40000-40010");
}

static void test_telemetry_fields(void **state)
{
	struct wire_samples s;
	struct ecs_err err;
	size_t len;
	wire_samples_init(&s);
	_cleanup_free_ uint8_t *buf = encode(&s.telemetry_request.base, &len);
	_cleanup_wire_ Ecsagent__TelemetryRequest *r = wire_decode_telemetry_request(buf, len, &err);
	assert_non_null(r);
	const Ecsagent__TaskStats *ts = r->tasks[0];
	assert_int_equal(ts->cpu->usage_ns, 123456789012ULL);
	assert_true(ts->cpu->utilization_percent == 37.5);
	assert_int_equal(ts->memory->limit_bytes, 128ULL << 20);
	assert_int_equal(ts->network[0]->tx_dropped, 4);
	assert_int_equal(ts->containers[0]->block_io[0]->write_ops, 2);
	assert_int_equal(r->instance_health->disk, ECSAGENT__COMPONENT_STATUS__IMPAIRED);
}

static void test_version_stamped(void **state)
{
	struct ecs_err err;
	size_t len;
	Ecsagent__PollRequest req = ECSAGENT__POLL_REQUEST__INIT;
	req.container_instance_arn = WS_INSTANCE_ARN;
	_cleanup_free_ uint8_t *buf = encode(&req.base, &len);
	/* The caller's message is left alone. */
	assert_int_equal(req.protocol_major, 0);
	_cleanup_wire_ Ecsagent__PollRequest *r = wire_decode_poll_request(buf, len, &err);
	assert_non_null(r);
	assert_int_equal(r->protocol_major, WIRE_PROTOCOL_MAJOR);
	assert_int_equal(r->protocol_minor, WIRE_PROTOCOL_MINOR);
}

static void test_future_major_refused(void **state)
{
	struct wire_samples s;
	struct ecs_err err;
	size_t len;
	wire_samples_init(&s);
	s.poll_response.protocol_major = WIRE_PROTOCOL_MAJOR + 1;
	_cleanup_free_ uint8_t *buf = encode(&s.poll_response.base, &len);
	err_clear(&err);
	assert_null(wire_decode_poll_response(buf, len, &err));
	assert_int_equal(err.code, EPROTONOSUPPORT);
	assert_non_null(strstr(err.msg, "PollResponse uses protocol version 2"));
}

static void test_missing_version_refused(void **state)
{
	struct ecs_err err;
	static const uint8_t only_arn[] = { 0x1a, 0x01, 'x' }; /* field 3 = "x" */

	assert_null(wire_decode_poll_request(NULL, 0, &err));
	assert_int_equal(err.code, EPROTO);
	/* A NULL buffer is an empty body only; with a length it is refused
	 * rather than read past a 1-byte stand-in. */
	assert_null(wire_decode_poll_request(NULL, 16, &err));
	assert_int_equal(err.code, EINVAL);
	assert_non_null(strstr(err.msg, "no buffer"));
	assert_null(wire_decode_register_response(only_arn, sizeof(only_arn), &err));
	assert_int_equal(err.code, EPROTO);
	assert_non_null(strstr(err.msg, "no protocol version"));
}

static void test_size_limit_decode(void **state)
{
	struct ecs_err err;
	for (enum wire_msg t = 0; t < WIRE_MSG_COUNT; t++) {
		size_t max = wire_msg_max_size(t);
		/* All zero bytes would be a parse error (field number 0), so
		 * EMSGSIZE shows the limit is checked before parsing. */
		_cleanup_free_ uint8_t *big = calloc(1, max + 1);
		assert_non_null(big);
		err_clear(&err);
		assert_null(wire_decode(t, big, max + 1, &err));
		assert_int_equal(err.code, EMSGSIZE);
		assert_null(wire_decode(t, big, max, &err));
		assert_int_equal(err.code, EBADMSG);
	}
}

static void test_size_limit_encode(void **state)
{
	struct wire_samples s;
	struct ecs_err err;
	size_t len;
	wire_samples_init(&s);

	_cleanup_free_ char *huge = malloc(WIRE_MAX_POLL_RESPONSE + 1);
	assert_non_null(huge);
	memset(huge, 'x', WIRE_MAX_POLL_RESPONSE);
	huge[WIRE_MAX_POLL_RESPONSE] = '\0';
	s.task.task_definition_json = huge;
	assert_null(wire_encode(&s.poll_response.base, &len, &err));
	assert_int_equal(err.code, EMSGSIZE);

	/* Just under the limit still goes through. */
	huge[WIRE_MAX_POLL_RESPONSE - 64 * 1024] = '\0';
	_cleanup_free_ uint8_t *buf = encode(&s.poll_response.base, &len);
	assert_true(len <= WIRE_MAX_POLL_RESPONSE);
	_cleanup_wire_ Ecsagent__PollResponse *r = wire_decode_poll_response(buf, len, &err);
	assert_non_null(r);
	assert_int_equal(strlen(r->tasks[0]->task_definition_json), WIRE_MAX_POLL_RESPONSE - 64 * 1024);
}

static void test_unknown_fields_ignored(void **state)
{
	struct wire_samples s;
	struct ecs_err err;
	size_t len, len2;
	wire_samples_init(&s);
	_cleanup_free_ uint8_t *buf = encode(&s.poll_request.base, &len);

	/* What a newer peer might add: a varint (field 99), a string (100), a
	 * fixed32 (101), a fixed64 (102) and a nested message (103). */
	static const uint8_t extra[] = {
		0x98, 0x06, 0x2a,                          /* 99: varint 42 */
		0xa2, 0x06, 0x05, 'h', 'e', 'l', 'l', 'o', /* 100: "hello" */
		0xad, 0x06, 1, 2, 3, 4,                    /* 101: fixed32 */
		0xb1, 0x06, 1, 2, 3, 4, 5, 6, 7, 8,        /* 102: fixed64 */
		0xba, 0x06, 0x02, 0x08, 0x01,              /* 103: { 1: 1 } */
	};
	_cleanup_free_ uint8_t *more = malloc(len + sizeof(extra));
	assert_non_null(more);
	memcpy(more, buf, len);
	memcpy(more + len, extra, sizeof(extra));

	_cleanup_wire_ Ecsagent__PollRequest *r =
		wire_decode_poll_request(more, len + sizeof(extra), &err);
	assert_non_null(r);
	assert_string_equal(r->container_instance_arn, WS_INSTANCE_ARN);
	assert_int_equal(r->known_version, 41);
	assert_int_equal(r->wait_seconds, 20);
	/* Unknown fields are carried along, not lost, when re-encoded. */
	_cleanup_free_ uint8_t *again = encode(&r->base, &len2);
	assert_int_equal(len2, len + sizeof(extra));
	assert_memory_equal(again + len, extra, sizeof(extra));
}

static void test_truncated_rejected(void **state)
{
	struct wire_samples s;
	wire_samples_init(&s);
	for (enum wire_msg t = 0; t < WIRE_MSG_COUNT; t++) {
		size_t len;
		_cleanup_free_ uint8_t *buf = encode(wire_sample(&s, t), &len);
		for (size_t cut = 0; cut < len; cut++) {
			struct ecs_err err;
			/* An exact-size copy so ASan sees any read past the end. */
			_cleanup_free_ uint8_t *part = malloc(cut ? cut : 1);
			assert_non_null(part);
			memcpy(part, buf, cut);
			_cleanup_wire_ ProtobufCMessage *m = wire_decode(t, part, cut, &err);
			/* A cut at a field boundary is a valid shorter message. */
			if (!m && err.code != EBADMSG && err.code != EPROTO)
				fail_msg("%s cut at %zu: %s", wire_msg_name(t), cut, err_msg(&err));
		}
		struct ecs_err err;
		assert_null(wire_decode(t, buf, len - 1, &err));
		assert_int_equal(err.code, EBADMSG);
	}
}

static void test_garbage_rejected(void **state)
{
	static const uint8_t ff[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	/* Field 5 declared 100 bytes long with 1 byte present. */
	static const uint8_t overlong[] = { 0x08, 0x01, 0x2a, 0x64, 0x00 };
	/* Wire type 7 does not exist. */
	static const uint8_t badtype[] = { 0x08, 0x01, 0x0f };
	/* Field number 0 in a two-byte tag: protobuf-c would keep it as an
	 * unknown field it cannot decode again once re-encoded (fuzzer find). */
	static const uint8_t field0[] = { 0x80, 0x00, 0x2d, 0x08, 0x01 };
	struct ecs_err err;

	for (enum wire_msg t = 0; t < WIRE_MSG_COUNT; t++) {
		assert_null(wire_decode(t, field0, sizeof(field0), &err));
		assert_int_equal(err.code, EBADMSG);
		assert_null(wire_decode(t, ff, sizeof(ff), &err));
		assert_int_equal(err.code, EBADMSG);
		assert_null(wire_decode(t, overlong, sizeof(overlong), &err));
		assert_int_equal(err.code, EBADMSG);
		assert_null(wire_decode(t, badtype, sizeof(badtype), &err));
		assert_int_equal(err.code, EBADMSG);
	}

	/* Pseudo-random bytes: any outcome but a crash or a leak is fine. */
	uint32_t x = 2463534242u;
	for (int round = 0; round < 2000; round++) {
		uint8_t buf[64];
		size_t n = 1 + round % sizeof(buf);
		for (size_t i = 0; i < n; i++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			buf[i] = (uint8_t)x;
		}
		wire_free(wire_decode((enum wire_msg)(round % WIRE_MSG_COUNT), buf, n, &err));
	}
	assert_null(wire_decode(WIRE_MSG_COUNT, ff, sizeof(ff), &err));
	assert_int_equal(err.code, EINVAL);
}

static void test_memory_budget(void **state)
{
	/* 2 MiB of empty TaskStats entries (2 bytes each, ~100 bytes decoded)
	 * after a version header: within the size limit, far over the budget. */
	size_t n = 1024 * 1024, len = 2 + 2 * n;
	_cleanup_free_ uint8_t *buf = malloc(len);
	assert_non_null(buf);
	buf[0] = 0x08; /* field 1 (protocol_major), varint */
	buf[1] = 0x01;
	for (size_t i = 0; i < n; i++) {
		buf[2 + 2 * i] = 0x2a; /* field 5 (tasks), length-delimited */
		buf[3 + 2 * i] = 0x00;
	}
	struct ecs_err err;
	assert_true(len <= WIRE_MAX_TELEMETRY_REQUEST);
	assert_null(wire_decode_telemetry_request(buf, len, &err));
	assert_int_equal(err.code, EMSGSIZE);
	assert_non_null(strstr(err.msg, "memory"));

	/* A few thousand of them are fine. */
	_cleanup_wire_ Ecsagent__TelemetryRequest *r =
		wire_decode_telemetry_request(buf, 2 + 2 * 4000, &err);
	assert_non_null(r);
	assert_int_equal(r->n_tasks, 4000);
}

static void test_encode_rejects(void **state)
{
	struct wire_samples s;
	struct ecs_err err;
	size_t len;
	wire_samples_init(&s);

	assert_null(wire_encode(NULL, &len, &err));
	assert_int_equal(err.code, EINVAL);
	/* Only top-level messages are bodies. */
	assert_null(wire_encode(&s.tag.base, &len, &err));
	assert_int_equal(err.code, EINVAL);
	assert_non_null(strstr(err.msg, "not a top-level"));
	/* A NULL element in a repeated field is caught, not dereferenced. */
	s.tasks[1] = NULL;
	assert_null(wire_encode(&s.poll_response.base, &len, &err));
	assert_int_equal(err.code, EINVAL);
	/* NULL strings encode as "". */
	wire_samples_init(&s);
	s.poll_request.container_instance_arn = NULL;
	_cleanup_free_ uint8_t *buf = encode(&s.poll_request.base, &len);
	_cleanup_wire_ Ecsagent__PollRequest *r = wire_decode_poll_request(buf, len, &err);
	assert_non_null(r);
	assert_string_equal(r->container_instance_arn, "");
}

static void test_error_response(void **state)
{
	struct ecs_err err;
	size_t len;
	_cleanup_free_ uint8_t *buf =
		wire_encode_error(ECSAGENT__ERROR_CODE__UNAUTHENTICATED, "token expired", 0, &len, &err);
	assert_non_null(buf);
	_cleanup_wire_ Ecsagent__ErrorResponse *e = wire_decode_error_response(buf, len, &err);
	assert_non_null(e);
	assert_int_equal(e->code, ECSAGENT__ERROR_CODE__UNAUTHENTICATED);
	assert_string_equal(e->message, "token expired");
	_cleanup_free_ uint8_t *buf2 = wire_encode_error(ECSAGENT__ERROR_CODE__INTERNAL, NULL, 0, &len, &err);
	assert_non_null(buf2);

	assert_int_equal(wire_error_http_status(ECSAGENT__ERROR_CODE__UNAUTHENTICATED), 401);
	assert_int_equal(wire_error_http_status(ECSAGENT__ERROR_CODE__THROTTLED), 429);
	assert_int_equal(wire_error_http_status(ECSAGENT__ERROR_CODE__TOO_LARGE), 413);
	assert_int_equal(wire_error_http_status(ECSAGENT__ERROR_CODE__INSTANCE_INACTIVE), 410);
	assert_int_equal(wire_error_http_status(ECSAGENT__ERROR_CODE__ERROR_CODE_UNSPECIFIED), 500);
	assert_string_equal(wire_error_code_name(ECSAGENT__ERROR_CODE__THROTTLED), "THROTTLED");
	assert_null(wire_error_code_name(ECSAGENT__ERROR_CODE__ERROR_CODE_UNSPECIFIED));
}

static void test_names(void **state)
{
	Ecsagent__Status st;
	assert_string_equal(wire_status_name(ECSAGENT__STATUS__RUNNING), "RUNNING");
	assert_string_equal(wire_status_name(ECSAGENT__STATUS__DEPROVISIONING), "DEPROVISIONING");
	assert_null(wire_status_name(ECSAGENT__STATUS__STATUS_UNSPECIFIED));
	assert_null(wire_status_name((Ecsagent__Status)99));
	assert_int_equal(wire_status_parse("STOPPED", &st), 0);
	assert_int_equal(st, ECSAGENT__STATUS__STOPPED);
	assert_int_equal(wire_status_parse("STATUS_UNSPECIFIED", &st), -EINVAL);
	assert_int_equal(wire_status_parse("running", &st), -EINVAL);
	assert_int_equal(wire_status_parse(NULL, &st), -EINVAL);
	assert_string_equal(wire_health_status_name(ECSAGENT__HEALTH_STATUS__HEALTH_UNKNOWN), "UNKNOWN");
	assert_string_equal(wire_health_status_name(ECSAGENT__HEALTH_STATUS__UNHEALTHY), "UNHEALTHY");
	assert_null(wire_health_status_name((Ecsagent__HealthStatus)99));
	assert_string_equal(wire_stop_code_name(ECSAGENT__STOP_CODE__ESSENTIAL_CONTAINER_EXITED),
			    "EssentialContainerExited");
	assert_null(wire_stop_code_name(ECSAGENT__STOP_CODE__STOP_CODE_UNSPECIFIED));
	assert_string_equal(wire_msg_name(WIRE_STATE_REQUEST), "StateChangeRequest");
	assert_string_equal(wire_msg_name(WIRE_MSG_COUNT), "unknown");
	assert_int_equal(wire_msg_max_size(WIRE_POLL_RESPONSE), 16 * 1024 * 1024);
	assert_int_equal(wire_msg_max_size(WIRE_MSG_COUNT), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_every_type),
		cmocka_unit_test(test_register_fields),
		cmocka_unit_test(test_poll_response_fields),
		cmocka_unit_test(test_exit_code_presence),
		cmocka_unit_test(test_telemetry_fields),
		cmocka_unit_test(test_version_stamped),
		cmocka_unit_test(test_future_major_refused),
		cmocka_unit_test(test_missing_version_refused),
		cmocka_unit_test(test_size_limit_decode),
		cmocka_unit_test(test_size_limit_encode),
		cmocka_unit_test(test_unknown_fields_ignored),
		cmocka_unit_test(test_truncated_rejected),
		cmocka_unit_test(test_garbage_rejected),
		cmocka_unit_test(test_invalid_utf8_rejected),
		cmocka_unit_test(test_memory_budget),
		cmocka_unit_test(test_encode_rejects),
		cmocka_unit_test(test_error_response),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests_name("wire", tests, NULL, NULL);
}
