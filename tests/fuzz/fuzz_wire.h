/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * Shared body of the wire fuzz targets. The first input byte picks one of
 * the target's message types, the rest is the body. A body that decodes must
 * re-encode, and the re-encoding must decode again to something that
 * encodes to the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "wire.h"

/* Input byte 0 indexes these (modulo their size). */
static const enum wire_msg fuzz_wire_agent_types[] = {
	WIRE_REGISTER_RESPONSE, WIRE_POLL_RESPONSE,  WIRE_STATE_RESPONSE,
	WIRE_TELEMETRY_RESPONSE, WIRE_ERROR_RESPONSE,
};
static const enum wire_msg fuzz_wire_controlplane_types[] = {
	WIRE_REGISTER_REQUEST, WIRE_POLL_REQUEST, WIRE_STATE_REQUEST, WIRE_TELEMETRY_REQUEST,
};

static inline void fuzz_wire_one(const enum wire_msg *types, size_t ntypes, const uint8_t *data,
				 size_t size)
{
	if (size < 1)
		return;
	enum wire_msg type = types[data[0] % ntypes];
	struct ecs_err err;
	_cleanup_wire_ ProtobufCMessage *msg = wire_decode(type, data + 1, size - 1, &err);
	if (!msg)
		return;

	size_t len1, len2;
	_cleanup_free_ uint8_t *enc1 = wire_encode(msg, &len1, &err);
	if (!enc1)
		abort(); /* a decoded message must always encode */
	_cleanup_wire_ ProtobufCMessage *again = wire_decode(type, enc1, len1, &err);
	if (!again)
		abort();
	_cleanup_free_ uint8_t *enc2 = wire_encode(again, &len2, &err);
	if (!enc2 || len1 != len2 || memcmp(enc1, enc2, len1) != 0)
		abort();
}
