/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Wire codec: protobuf-c behind size limits, a decode memory budget and the
 * protocol version check. See wire.h for the contract.
 */
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "wire.h"

struct wire_type {
	const char *name;
	const ProtobufCMessageDescriptor *desc;
	size_t max_size;
};

static const struct wire_type wire_types[WIRE_MSG_COUNT] = {
	[WIRE_REGISTER_REQUEST] = { "RegisterRequest", &ecsagent__register_request__descriptor,
				    WIRE_MAX_REGISTER_REQUEST },
	[WIRE_REGISTER_RESPONSE] = { "RegisterResponse", &ecsagent__register_response__descriptor,
				     WIRE_MAX_REGISTER_RESPONSE },
	[WIRE_POLL_REQUEST] = { "PollRequest", &ecsagent__poll_request__descriptor,
				WIRE_MAX_POLL_REQUEST },
	[WIRE_POLL_RESPONSE] = { "PollResponse", &ecsagent__poll_response__descriptor,
				 WIRE_MAX_POLL_RESPONSE },
	[WIRE_STATE_REQUEST] = { "StateChangeRequest", &ecsagent__state_change_request__descriptor,
				 WIRE_MAX_STATE_REQUEST },
	[WIRE_STATE_RESPONSE] = { "StateChangeResponse",
				  &ecsagent__state_change_response__descriptor,
				  WIRE_MAX_STATE_RESPONSE },
	[WIRE_TELEMETRY_REQUEST] = { "TelemetryRequest", &ecsagent__telemetry_request__descriptor,
				     WIRE_MAX_TELEMETRY_REQUEST },
	[WIRE_TELEMETRY_RESPONSE] = { "TelemetryResponse",
				      &ecsagent__telemetry_response__descriptor,
				      WIRE_MAX_TELEMETRY_RESPONSE },
	[WIRE_ERROR_RESPONSE] = { "ErrorResponse", &ecsagent__error_response__descriptor,
				  WIRE_MAX_ERROR_RESPONSE },
};

/* Field numbers every top-level message reserves for the version. */
enum { WIRE_FIELD_MAJOR = 1, WIRE_FIELD_MINOR = 2 };

const char *wire_msg_name(enum wire_msg type)
{
	return (unsigned)type < WIRE_MSG_COUNT ? wire_types[type].name : "unknown";
}

size_t wire_msg_max_size(enum wire_msg type)
{
	return (unsigned)type < WIRE_MSG_COUNT ? wire_types[type].max_size : 0;
}

static const struct wire_type *wire_type_of(const ProtobufCMessageDescriptor *desc)
{
	for (size_t i = 0; i < ARRAY_SIZE(wire_types); i++)
		if (wire_types[i].desc == desc)
			return &wire_types[i];
	return NULL;
}

/* The uint32 version field `id` of a top-level message, located through the
 * descriptor so no code depends on struct layout. */
static uint32_t *version_field(ProtobufCMessage *msg, unsigned id)
{
	const ProtobufCFieldDescriptor *f =
		protobuf_c_message_descriptor_get_field(msg->descriptor, id);
	if (!f || f->type != PROTOBUF_C_TYPE_UINT32 || f->label != PROTOBUF_C_LABEL_NONE)
		return NULL;
	return (uint32_t *)((char *)msg + f->offset);
}

uint8_t *wire_encode(const ProtobufCMessage *msg, size_t *len, struct ecs_err *err)
{
	if (!msg || !msg->descriptor) {
		err_set(err, EINVAL, "encoding: no message");
		return NULL;
	}
	const struct wire_type *t = wire_type_of(msg->descriptor);
	if (!t) {
		err_set(err, EINVAL, "encoding %s: not a top-level wire message",
			msg->descriptor->name ? msg->descriptor->name : "message");
		return NULL;
	}
	if (!protobuf_c_message_check(msg)) {
		err_set(err, EINVAL, "encoding %s: malformed message (NULL element in a repeated field?)",
			t->name);
		return NULL;
	}

	/* Stamp the version on a shallow copy: packing only reads, and the
	 * caller's message stays untouched (it may be const or shared). */
	_cleanup_free_ ProtobufCMessage *copy = malloc(t->desc->sizeof_message);
	if (!copy) {
		err_set_errno(err, ENOMEM, "encoding %s", t->name);
		return NULL;
	}
	memcpy(copy, msg, t->desc->sizeof_message);
	uint32_t *major = version_field(copy, WIRE_FIELD_MAJOR);
	uint32_t *minor = version_field(copy, WIRE_FIELD_MINOR);
	if (!major || !minor) {
		err_set(err, EINVAL, "encoding %s: message has no protocol version fields", t->name);
		return NULL;
	}
	if (*major == 0) {
		*major = WIRE_PROTOCOL_MAJOR;
		*minor = WIRE_PROTOCOL_MINOR;
	}

	size_t size = protobuf_c_message_get_packed_size(copy);
	if (size > t->max_size) {
		err_set(err, EMSGSIZE, "encoding %s: %zu bytes exceed the limit of %zu",
			t->name, size, t->max_size);
		return NULL;
	}
	uint8_t *buf = malloc(size ? size : 1);
	if (!buf) {
		err_set_errno(err, ENOMEM, "encoding %s", t->name);
		return NULL;
	}
	size_t packed = protobuf_c_message_pack(copy, buf);
	if (packed != size) {
		free(buf);
		err_set(err, EIO, "encoding %s: packed %zu bytes, expected %zu", t->name, packed,
			size);
		return NULL;
	}
	if (len)
		*len = size;
	return buf;
}

/* Allocation budget for one decode: see WIRE_DECODE_MEM_FACTOR. */
struct budget {
	size_t left;
	bool exceeded;
};

static void *budget_alloc(void *data, size_t size)
{
	struct budget *b = data;
	/* Count malloc's own bookkeeping too, so many tiny blocks add up. */
	size_t cost = size + 2 * sizeof(void *);
	if (cost < size || cost > b->left) {
		b->exceeded = true;
		return NULL;
	}
	b->left -= cost;
	return malloc(size ? size : 1);
}

static void budget_free(void *data, void *ptr)
{
	free(ptr);
}

/*
 * protobuf-c 1.4 accepts field number 0 when the tag is spelled with more
 * than one byte (and keeps it as an unknown field), but refuses it in the
 * one-byte form its own encoder then writes. Field 0 is invalid protobuf;
 * refuse it everywhere so that what we decode we can always re-encode and
 * decode again. The schema has no recursive messages, so depth is bounded.
 */
/* proto3 strings must be UTF-8; protobuf-c does not check, and a peer's
 * bytes end up in JSON replies (which must be UTF-8) and logs. Strict:
 * no overlong forms, no surrogates, nothing above U+10FFFF. */
static bool utf8_valid(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	while (*s) {
		unsigned c = *s, n;
		unsigned cp;
		if (c < 0x80) {
			s++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		for (unsigned i = 1; i <= n; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		s += n + 1;
	}
	return true;
}

static bool strings_valid(const ProtobufCFieldDescriptor *f, const char *member, size_t n)
{
	if (f->label != PROTOBUF_C_LABEL_REPEATED) {
		const char *str = *(const char *const *)member;
		return !str || utf8_valid(str);
	}
	const char *const *items = *(const char *const *const *)member;
	for (size_t j = 0; j < n; j++)
		if (items[j] && !utf8_valid(items[j]))
			return false;
	return true;
}

static bool message_valid(const ProtobufCMessage *msg)
{
	for (unsigned i = 0; i < msg->n_unknown_fields; i++)
		if (msg->unknown_fields[i].tag == 0)
			return false;

	const ProtobufCMessageDescriptor *d = msg->descriptor;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		if (f->type != PROTOBUF_C_TYPE_MESSAGE && f->type != PROTOBUF_C_TYPE_STRING)
			continue;
		/* A oneof member's storage is shared: read it only when set. */
		if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
		    *(const uint32_t *)((const char *)msg + f->quantifier_offset) != f->id)
			continue;
		const char *member = (const char *)msg + f->offset;
		if (f->type == PROTOBUF_C_TYPE_STRING) {
			size_t n = f->label == PROTOBUF_C_LABEL_REPEATED
					   ? *(const size_t *)((const char *)msg + f->quantifier_offset)
					   : 1;
			if (!strings_valid(f, member, n))
				return false;
			continue;
		}
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(const size_t *)((const char *)msg + f->quantifier_offset);
			ProtobufCMessage *const *items = *(ProtobufCMessage *const *const *)member;
			for (size_t j = 0; j < n; j++)
				if (!message_valid(items[j]))
					return false;
		} else {
			const ProtobufCMessage *sub = *(const ProtobufCMessage *const *)member;
			if (sub && !message_valid(sub))
				return false;
		}
	}
	return true;
}

ProtobufCMessage *wire_decode(enum wire_msg type, const void *buf, size_t len,
			      struct ecs_err *err)
{
	static const uint8_t empty[1];

	if ((unsigned)type >= WIRE_MSG_COUNT) {
		err_set(err, EINVAL, "decoding: unknown message type %d", (int)type);
		return NULL;
	}
	const struct wire_type *t = &wire_types[type];
	if (len > t->max_size) {
		err_set(err, EMSGSIZE, "%s of %zu bytes exceeds the limit of %zu", t->name, len,
			t->max_size);
		return NULL;
	}
	if (!buf && len > 0) {
		err_set(err, EINVAL, "decoding %s: no buffer for %zu bytes", t->name, len);
		return NULL;
	}
	if (!buf)
		buf = empty;

	struct budget b = {
		.left = len * WIRE_DECODE_MEM_FACTOR + WIRE_DECODE_MEM_SLACK,
	};
	ProtobufCAllocator alloc = {
		.alloc = budget_alloc,
		.free = budget_free,
		.allocator_data = &b,
	};
	/* The budget allocator is malloc underneath, so the result is freed
	 * with the default allocator in wire_free(). */
	ProtobufCMessage *msg = protobuf_c_message_unpack(t->desc, &alloc, len, buf);
	if (!msg) {
		if (b.exceeded)
			err_set(err, EMSGSIZE, "%s of %zu bytes needs more than %zu bytes of memory",
				t->name, len, len * WIRE_DECODE_MEM_FACTOR + WIRE_DECODE_MEM_SLACK);
		else
			err_set(err, EBADMSG, "%s of %zu bytes is not a valid encoding", t->name,
				len);
		return NULL;
	}
	if (!message_valid(msg)) {
		wire_free(msg);
		err_set(err, EBADMSG,
			"%s of %zu bytes is not a valid encoding (field number 0 or a string that "
			"is not UTF-8)", t->name, len);
		return NULL;
	}

	uint32_t *major = version_field(msg, WIRE_FIELD_MAJOR);
	if (!major || *major == 0) {
		wire_free(msg);
		err_set(err, EPROTO, "%s carries no protocol version", t->name);
		return NULL;
	}
	if (*major > WIRE_PROTOCOL_MAJOR) {
		unsigned got = *major;
		wire_free(msg);
		err_set(err, EPROTONOSUPPORT,
			"%s uses protocol version %u; this build speaks version %u", t->name, got,
			WIRE_PROTOCOL_MAJOR);
		return NULL;
	}
	return msg;
}

void wire_free(void *msg)
{
	if (msg)
		protobuf_c_message_free_unpacked(msg, NULL);
}

Ecsagent__RegisterRequest *wire_decode_register_request(const void *buf, size_t len,
							 struct ecs_err *err)
{
	return (Ecsagent__RegisterRequest *)wire_decode(WIRE_REGISTER_REQUEST, buf, len, err);
}

Ecsagent__RegisterResponse *wire_decode_register_response(const void *buf, size_t len,
							   struct ecs_err *err)
{
	return (Ecsagent__RegisterResponse *)wire_decode(WIRE_REGISTER_RESPONSE, buf, len, err);
}

Ecsagent__PollRequest *wire_decode_poll_request(const void *buf, size_t len,
						 struct ecs_err *err)
{
	return (Ecsagent__PollRequest *)wire_decode(WIRE_POLL_REQUEST, buf, len, err);
}

Ecsagent__PollResponse *wire_decode_poll_response(const void *buf, size_t len,
						   struct ecs_err *err)
{
	return (Ecsagent__PollResponse *)wire_decode(WIRE_POLL_RESPONSE, buf, len, err);
}

Ecsagent__StateChangeRequest *wire_decode_state_request(const void *buf, size_t len,
							 struct ecs_err *err)
{
	return (Ecsagent__StateChangeRequest *)wire_decode(WIRE_STATE_REQUEST, buf, len, err);
}

Ecsagent__StateChangeResponse *wire_decode_state_response(const void *buf, size_t len,
							   struct ecs_err *err)
{
	return (Ecsagent__StateChangeResponse *)wire_decode(WIRE_STATE_RESPONSE, buf, len, err);
}

Ecsagent__TelemetryRequest *wire_decode_telemetry_request(const void *buf, size_t len,
							   struct ecs_err *err)
{
	return (Ecsagent__TelemetryRequest *)wire_decode(WIRE_TELEMETRY_REQUEST, buf, len, err);
}

Ecsagent__TelemetryResponse *wire_decode_telemetry_response(const void *buf, size_t len,
							     struct ecs_err *err)
{
	return (Ecsagent__TelemetryResponse *)wire_decode(WIRE_TELEMETRY_RESPONSE, buf, len,
							  err);
}

Ecsagent__ErrorResponse *wire_decode_error_response(const void *buf, size_t len,
						     struct ecs_err *err)
{
	return (Ecsagent__ErrorResponse *)wire_decode(WIRE_ERROR_RESPONSE, buf, len, err);
}

uint8_t *wire_encode_error(Ecsagent__ErrorCode code, const char *message,
			   uint32_t retry_after_ms, size_t *len, struct ecs_err *err)
{
	Ecsagent__ErrorResponse e = ECSAGENT__ERROR_RESPONSE__INIT;
	e.code = code;
	e.message = (char *)(message ? message : "");
	e.retry_after_ms = retry_after_ms;
	return wire_encode(&e.base, len, err);
}

int wire_error_http_status(Ecsagent__ErrorCode code)
{
	switch (code) {
	case ECSAGENT__ERROR_CODE__BAD_REQUEST:
	case ECSAGENT__ERROR_CODE__VERSION_NOT_SUPPORTED:
		return 400;
	case ECSAGENT__ERROR_CODE__UNAUTHENTICATED:
		return 401;
	case ECSAGENT__ERROR_CODE__FORBIDDEN:
		return 403;
	case ECSAGENT__ERROR_CODE__NOT_FOUND:
		return 404;
	case ECSAGENT__ERROR_CODE__INSTANCE_INACTIVE:
		return 410;
	case ECSAGENT__ERROR_CODE__TOO_LARGE:
		return 413;
	case ECSAGENT__ERROR_CODE__THROTTLED:
		return 429;
	case ECSAGENT__ERROR_CODE__UNAVAILABLE:
		return 503;
	default:
		return 500;
	}
}

void wire_set_exit_code(Ecsagent__ContainerStateChange *c, int32_t code)
{
	c->exit_case = ECSAGENT__CONTAINER_STATE_CHANGE__EXIT_EXIT_CODE;
	c->exit_code = code;
}

bool wire_get_exit_code(const Ecsagent__ContainerStateChange *c, int32_t *code)
{
	if (c->exit_case != ECSAGENT__CONTAINER_STATE_CHANGE__EXIT_EXIT_CODE)
		return false;
	if (code)
		*code = c->exit_code;
	return true;
}

/* The .proto's own value name, or NULL for 0 and unknown values. */
static const char *enum_name(const ProtobufCEnumDescriptor *desc, int value)
{
	if (value == 0)
		return NULL;
	const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(desc, value);
	return v ? v->name : NULL;
}

const char *wire_status_name(Ecsagent__Status s)
{
	/* The .proto uses ECS's status names verbatim. */
	return enum_name(&ecsagent__status__descriptor, s);
}

int wire_status_parse(const char *name, Ecsagent__Status *out)
{
	const ProtobufCEnumValue *v =
		name ? protobuf_c_enum_descriptor_get_value_by_name(&ecsagent__status__descriptor, name)
		     : NULL;
	if (!v || v->value == 0)
		return -EINVAL;
	*out = (Ecsagent__Status)v->value;
	return 0;
}

const char *wire_health_status_name(Ecsagent__HealthStatus h)
{
	switch (h) {
	case ECSAGENT__HEALTH_STATUS__HEALTHY:
		return "HEALTHY";
	case ECSAGENT__HEALTH_STATUS__UNHEALTHY:
		return "UNHEALTHY";
	case ECSAGENT__HEALTH_STATUS__HEALTH_UNKNOWN:
		return "UNKNOWN";
	default:
		return NULL; /* a newer peer's value: as wire.h says, not "UNKNOWN" */
	}
}

const char *wire_stop_code_name(Ecsagent__StopCode c)
{
	switch (c) {
	case ECSAGENT__STOP_CODE__TASK_FAILED_TO_START:
		return "TaskFailedToStart";
	case ECSAGENT__STOP_CODE__ESSENTIAL_CONTAINER_EXITED:
		return "EssentialContainerExited";
	case ECSAGENT__STOP_CODE__USER_INITIATED:
		return "UserInitiated";
	case ECSAGENT__STOP_CODE__SERVICE_SCHEDULER_INITIATED:
		return "ServiceSchedulerInitiated";
	case ECSAGENT__STOP_CODE__SPOT_INTERRUPTION:
		return "SpotInterruption";
	case ECSAGENT__STOP_CODE__TERMINATION_NOTICE:
		return "TerminationNotice";
	default:
		return NULL;
	}
}

const char *wire_error_code_name(Ecsagent__ErrorCode c)
{
	return enum_name(&ecsagent__error_code__descriptor, c);
}
