/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Writes the seed corpora of the wire fuzz targets:
 *   tests/fuzz/wire_corpus_gen DIR   (DIR is usually $(srcdir)/tests/fuzz/corpus)
 * creates DIR/wire_agent/ and DIR/wire_controlplane/ with a few bodies per
 * message type, each prefixed with the selector byte the target expects.
 * Run it again after changing proto/agent.proto and commit the result.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "../unit/wire_samples.h"
#include "fuzz_wire.h"

static int write_seed(const char *dir, const char *name, uint8_t selector, const uint8_t *body,
		      size_t len)
{
	char path[4096];
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path)) {
		fprintf(stderr, "%s/%s: path too long\n", dir, name);
		return -1;
	}
	FILE *f = fopen(path, "wb");
	if (!f) {
		perror(path);
		return -1;
	}
	int ok = fputc(selector, f) != EOF && fwrite(body, 1, len, f) == len;
	if (fclose(f) != 0 || !ok) {
		perror(path);
		return -1;
	}
	return 0;
}

/* Encode `msg` and write it to whichever corpus decodes its type. */
static int seed(const char *root, const ProtobufCMessage *msg, enum wire_msg type,
		const char *variant, const uint8_t *extra, size_t extra_len)
{
	struct {
		const char *dir;
		const enum wire_msg *types;
		size_t n;
	} targets[] = {
		{ "wire_agent", fuzz_wire_agent_types, ARRAY_SIZE(fuzz_wire_agent_types) },
		{ "wire_controlplane", fuzz_wire_controlplane_types,
		  ARRAY_SIZE(fuzz_wire_controlplane_types) },
	};
	struct ecs_err err;
	size_t len;
	_cleanup_free_ uint8_t *body = wire_encode(msg, &len, &err);
	if (!body) {
		fprintf(stderr, "%s: %s\n", wire_msg_name(type), err_msg(&err));
		return -1;
	}
	_cleanup_free_ uint8_t *all = malloc(len + extra_len + 1);
	if (!all)
		return -1;
	memcpy(all, body, len);
	if (extra_len)
		memcpy(all + len, extra, extra_len);

	for (size_t t = 0; t < ARRAY_SIZE(targets); t++)
		for (size_t i = 0; i < targets[t].n; i++) {
			if (targets[t].types[i] != type)
				continue;
			char dir[4096], name[256];
			if ((size_t)snprintf(dir, sizeof(dir), "%s/%s", root, targets[t].dir) >=
			    sizeof(dir))
				return -1;
			if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
				perror(dir);
				return -1;
			}
			snprintf(name, sizeof(name), "%s-%s", wire_msg_name(type), variant);
			if (write_seed(dir, name, (uint8_t)i, all, len + extra_len) < 0)
				return -1;
		}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS-DIR\n", argv[0]);
		return 2;
	}
	const char *root = argv[1];
	if (mkdir(root, 0755) < 0 && errno != EEXIST) {
		perror(root);
		return 1;
	}
	/* Fields from a future minor version: varint 99, string 100. */
	static const uint8_t unknown[] = { 0x98, 0x06, 0x2a, 0xa2, 0x06, 0x02, 'h', 'i' };
	struct wire_samples s;
	int rc = 0;

	for (enum wire_msg t = 0; t < WIRE_MSG_COUNT; t++) {
		wire_samples_init(&s);
		ProtobufCMessage *full = wire_sample(&s, t);
		rc |= seed(root, full, t, "full", NULL, 0);
		rc |= seed(root, full, t, "unknown-fields", unknown, sizeof(unknown));

		/* Only the version header: the smallest valid body. */
		_cleanup_free_ ProtobufCMessage *empty = calloc(1, full->descriptor->sizeof_message);
		if (!empty)
			return 1;
		full->descriptor->message_init(empty);
		rc |= seed(root, empty, t, "empty", NULL, 0);
	}

	/* A few shapes that matter to the protocol. */
	wire_samples_init(&s);
	Ecsagent__PollResponse unchanged = ECSAGENT__POLL_RESPONSE__INIT;
	unchanged.version = 42;
	unchanged.unchanged = 1;
	unchanged.instance_status = ECSAGENT__INSTANCE_STATUS__ACTIVE;
	rc |= seed(root, &unchanged.base, WIRE_POLL_RESPONSE, "unchanged", NULL, 0);
	s.poll_response.n_tasks = 1;
	s.poll_response.tasks = &s.tasks[1];
	s.poll_response.unchanged = 0;
	rc |= seed(root, &s.poll_response.base, WIRE_POLL_RESPONSE, "one-stopped-task", NULL, 0);

	wire_samples_init(&s);
	wire_set_exit_code(&s.container, 0);
	rc |= seed(root, &s.state_request.base, WIRE_STATE_REQUEST, "exit-zero", NULL, 0);

	wire_samples_init(&s);
	s.error_response.protocol_major = WIRE_PROTOCOL_MAJOR + 1;
	rc |= seed(root, &s.error_response.base, WIRE_ERROR_RESPONSE, "future-major", NULL, 0);
	s.register_request.protocol_major = WIRE_PROTOCOL_MAJOR + 1;
	rc |= seed(root, &s.register_request.base, WIRE_REGISTER_REQUEST, "future-major", NULL, 0);

	return rc ? 1 : 0;
}
