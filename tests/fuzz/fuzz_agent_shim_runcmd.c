/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: what the shim reads from the runtime and the kernel (shim/
 * runcmd.h): the runtime's stderr, cut to the one line worth recording,
 * and our children list. Neither may read past its input; the line must be
 * NUL-terminated, printable and fit; a pid found must be positive.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "shim/runcmd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_free_ char *text = malloc(size ? size : 1);
	if (!text)
		abort();
	memcpy(text, data, size);

	char line[128];
	runcmd_error_line(text, size, line, sizeof(line));
	size_t n = strnlen(line, sizeof(line));
	if (n == sizeof(line))
		abort();
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			abort();

	pid_t pid = 0;
	if (runcmd_parse_one_pid(text, size, &pid) == 0 && pid <= 0)
		abort();
	return 0;
}
