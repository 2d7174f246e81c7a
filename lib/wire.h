/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * The agent <-> control plane wire codec, the only module that calls
 * protobuf-c. docs/protocol.md is the specification; proto/agent.proto
 * defines the messages.
 *
 * Callers build messages with the generated types and initialisers
 * (Ecsagent__PollRequest req = ECSAGENT__POLL_REQUEST__INIT;) and never call
 * protobuf-c functions themselves: they encode with wire_encode() and decode
 * with the typed wire_decode_*() functions, which enforce the size limits
 * below before parsing and refuse a newer protocol major version.
 *
 * Strings in generated structs are `char *` (protobuf-c 1.4 has no const
 * option without extra imports); the codec never writes through them, so
 * assigning a cast `const char *` is safe. In decoded messages strings are
 * never NULL (an absent string is ""); in messages a caller builds, NULL is
 * accepted and encoded like "".
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent.pb-c.h"
#include "error.h"

/* Protocol version stamped on every message this build sends. A receiver
 * refuses a major version newer than its own; minor versions only add
 * fields and are informational. */
#define WIRE_PROTOCOL_MAJOR 1u
#define WIRE_PROTOCOL_MINOR 0u

#define WIRE_CONTENT_TYPE "application/x-protobuf"
#define WIRE_PATH_REGISTER  "/v1/agent/register"
#define WIRE_PATH_POLL      "/v1/agent/poll"
#define WIRE_PATH_STATE     "/v1/agent/state"
#define WIRE_PATH_TELEMETRY "/v1/agent/telemetry"

/* Largest encoded body accepted (and produced) per message type, in bytes.
 * Decoders check these before parsing; encoders refuse to exceed them so a
 * sender learns about an oversized batch before the peer rejects it. */
#define WIRE_MAX_REGISTER_REQUEST    (64u * 1024)
#define WIRE_MAX_REGISTER_RESPONSE   (64u * 1024)
#define WIRE_MAX_POLL_REQUEST        (64u * 1024)
#define WIRE_MAX_POLL_RESPONSE       (16u * 1024 * 1024)
#define WIRE_MAX_STATE_REQUEST       (1u * 1024 * 1024)
#define WIRE_MAX_STATE_RESPONSE      (1u * 1024 * 1024)
#define WIRE_MAX_TELEMETRY_REQUEST   (4u * 1024 * 1024)
#define WIRE_MAX_TELEMETRY_RESPONSE  (64u * 1024)
#define WIRE_MAX_ERROR_RESPONSE      (64u * 1024)

/* Decoding may allocate at most this many bytes per input byte (plus
 * WIRE_DECODE_MEM_SLACK): protobuf-c turns a 2-byte empty sub-message into a
 * full struct, so without a budget a small body could demand gigabytes. */
#define WIRE_DECODE_MEM_FACTOR 32u
#define WIRE_DECODE_MEM_SLACK  (1024u * 1024)

/* The top-level message types, one per body that crosses the wire. */
enum wire_msg {
	WIRE_REGISTER_REQUEST = 0,
	WIRE_REGISTER_RESPONSE,
	WIRE_POLL_REQUEST,
	WIRE_POLL_RESPONSE,
	WIRE_STATE_REQUEST,
	WIRE_STATE_RESPONSE,
	WIRE_TELEMETRY_REQUEST,
	WIRE_TELEMETRY_RESPONSE,
	WIRE_ERROR_RESPONSE,
	WIRE_MSG_COUNT,
};

/* "PollResponse" etc.; "unknown" for values out of range. */
const char *wire_msg_name(enum wire_msg type);
/* WIRE_MAX_* for the type; 0 for values out of range. */
size_t wire_msg_max_size(enum wire_msg type);

/*
 * Encode a top-level message (pass &msg.base). When protocol_major is 0 the
 * body is stamped with WIRE_PROTOCOL_MAJOR/MINOR (the message itself is not
 * modified); a non-zero value is sent as is.
 *
 * Returns a malloc'd buffer (never NULL on success, even for an empty body)
 * and its length in *len. Fails with -EINVAL for a message that is not one
 * of the top-level types or is malformed (a NULL element in a repeated
 * field), -EMSGSIZE when the body would exceed the type's limit, -ENOMEM.
 */
uint8_t *wire_encode(const ProtobufCMessage *msg, size_t *len, struct ecs_err *err);

/*
 * Decode `len` bytes at `buf` as `type` (buf may be NULL when len is 0: an
 * empty body). Returns a message to release with
 * wire_free(), or NULL:
 *   -EMSGSIZE         len exceeds the type's limit (nothing was parsed), or
 *                     decoding would exceed the memory budget
 *   -EBADMSG          not a valid encoding of the type (truncated, garbage)
 *   -EPROTO           no protocol version in the body
 *   -EPROTONOSUPPORT  protocol major version newer than WIRE_PROTOCOL_MAJOR
 *   -EINVAL           type out of range, or buf NULL with len > 0
 * Unknown fields are skipped (kept, and re-sent if the message is encoded
 * again). The result is a ProtobufCMessage of the type's generated struct.
 */
ProtobufCMessage *wire_decode(enum wire_msg type, const void *buf, size_t len,
			      struct ecs_err *err);

/* Typed forms of wire_decode(). */
Ecsagent__RegisterRequest *wire_decode_register_request(const void *buf, size_t len,
							 struct ecs_err *err);
Ecsagent__RegisterResponse *wire_decode_register_response(const void *buf, size_t len,
							   struct ecs_err *err);
Ecsagent__PollRequest *wire_decode_poll_request(const void *buf, size_t len,
						 struct ecs_err *err);
Ecsagent__PollResponse *wire_decode_poll_response(const void *buf, size_t len,
						   struct ecs_err *err);
Ecsagent__StateChangeRequest *wire_decode_state_request(const void *buf, size_t len,
							 struct ecs_err *err);
Ecsagent__StateChangeResponse *wire_decode_state_response(const void *buf, size_t len,
							   struct ecs_err *err);
Ecsagent__TelemetryRequest *wire_decode_telemetry_request(const void *buf, size_t len,
							   struct ecs_err *err);
Ecsagent__TelemetryResponse *wire_decode_telemetry_response(const void *buf, size_t len,
							     struct ecs_err *err);
Ecsagent__ErrorResponse *wire_decode_error_response(const void *buf, size_t len,
						     struct ecs_err *err);

/* Release a message returned by a wire_decode*() function; NULL is fine.
 * Not for messages the caller built itself. */
void wire_free(void *msg);

/* `_cleanup_wire_ Ecsagent__PollResponse *resp = wire_decode_poll_response(...)`
 * works for every decoded type. */
static inline void wire_freep(void *p)
{
	wire_free(*(void **)p);
}
#define _cleanup_wire_ __attribute__((cleanup(wire_freep)))

/*
 * Build and encode an ErrorResponse (the body of every non-2xx reply).
 * `message` may be NULL.
 */
uint8_t *wire_encode_error(Ecsagent__ErrorCode code, const char *message,
			   uint32_t retry_after_ms, size_t *len, struct ecs_err *err);

/* The HTTP status that carries `code` (docs/protocol.md, "Errors"). */
int wire_error_http_status(Ecsagent__ErrorCode code);

/* Exit code presence: protobuf-c models it as a one-member oneof. */
void wire_set_exit_code(Ecsagent__ContainerStateChange *c, int32_t code);
/* True (and *code set when non-NULL) when the exit code is present. */
bool wire_get_exit_code(const Ecsagent__ContainerStateChange *c, int32_t *code);

/* ECS's spelling of enum values, for the ECS API and for logs; NULL for the
 * zero ("unspecified") value and for values this build does not know,
 * except that health status 0 is ECS's "UNKNOWN". */
const char *wire_status_name(Ecsagent__Status s);              /* "RUNNING" */
const char *wire_health_status_name(Ecsagent__HealthStatus h); /* "HEALTHY" */
const char *wire_stop_code_name(Ecsagent__StopCode c);   /* "TaskFailedToStart" */
const char *wire_error_code_name(Ecsagent__ErrorCode c);       /* "THROTTLED" */

/* Parse ECS's status name ("RUNNING"); -EINVAL for anything else. */
int wire_status_parse(const char *name, Ecsagent__Status *out);
