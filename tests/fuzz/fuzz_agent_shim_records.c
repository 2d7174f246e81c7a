/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the strict readers of the shim's records (shim.pid, started,
 * exit). The first byte picks the reader. Whatever a reader accepts must
 * format (as the shim writes it) and read back to the same values.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shim/records.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const char *text = (const char *)data + 1;
	size_t len = size - 1;
	char out[SHIM_RECORD_MAX];
	struct ecs_err err = { 0 };
	int n;

	switch (data[0] % 3) {
	case 0: {
		pid_t a, b;
		if (shim_record_parse_pid(text, len, &a, &err) < 0)
			return 0;
		n = shim_record_format_pid(out, sizeof(out), a);
		if (n < 0 || shim_record_parse_pid(out, (size_t)n, &b, &err) < 0 || a != b)
			abort();
		break;
	}
	case 1: {
		struct shim_started a, b;
		if (shim_record_parse_started(text, len, &a, &err) < 0)
			return 0;
		n = shim_record_format_started(out, sizeof(out), &a);
		if (n < 0 || shim_record_parse_started(out, (size_t)n, &b, &err) < 0 ||
		    a.pid != b.pid || a.started_ms != b.started_ms)
			abort();
		break;
	}
	default: {
		struct shim_exit a, b;
		if (shim_record_parse_exit(text, len, &a, &err) < 0)
			return 0;
		n = shim_record_format_exit(out, sizeof(out), &a);
		if (n < 0 || shim_record_parse_exit(out, (size_t)n, &b, &err) < 0) {
			fprintf(stderr, "formatted record does not read back: %s\n", err.msg);
			abort();
		}
		if (a.exit_code != b.exit_code || a.signal != b.signal ||
		    a.oom_killed != b.oom_killed || a.finished_ms != b.finished_ms ||
		    strcmp(a.error, b.error) != 0)
			abort();
		break;
	}
	}
	return 0;
}
