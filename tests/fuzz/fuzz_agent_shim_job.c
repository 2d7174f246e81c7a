/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the spare shim's job decoder. Whatever the bytes, it must
 * not read past them, and what it accepts must encode back to the same
 * bytes (one job has one encoding).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "shim/job.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_free_ char *buf = malloc(size ? size : 1);
	if (!buf)
		abort();
	memcpy(buf, data, size);
	char *argv[SHIM_JOB_MAX_ARGS];
	int argc = shim_job_decode(buf, size, argv, SHIM_JOB_MAX_ARGS);
	if (argc < 0)
		return 0;
	if (argc < 1 || argv[argc] != NULL)
		abort();
	static char again[SHIM_JOB_MAX];
	ssize_t n = shim_job_encode(argv, again, sizeof(again));
	if (n != (ssize_t)size || memcmp(again, data, size) != 0)
		abort();
	return 0;
}
