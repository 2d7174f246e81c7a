/* SPDX-License-Identifier: Apache-2.0 */
#include "job.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

ssize_t shim_job_encode(char *const argv[], char *buf, size_t cap)
{
	if (!argv || !argv[0] || !argv[0][0])
		return -EINVAL;
	if (cap > SHIM_JOB_MAX)
		cap = SHIM_JOB_MAX;
	if (cap < 4)
		return -E2BIG;
	size_t used = 4;
	for (size_t i = 0; argv[i]; i++) {
		size_t n = strlen(argv[i]) + 1;
		if (i + 1 >= SHIM_JOB_MAX_ARGS || n > cap - used)
			return -E2BIG;
		memcpy(buf + used, argv[i], n);
		used += n;
	}
	uint32_t payload = (uint32_t)(used - 4);
	for (size_t i = 0; i < 4; i++)
		buf[i] = (char)((payload >> (8 * i)) & 0xff);
	return (ssize_t)used;
}

int shim_job_decode(char *buf, size_t len, char **argv, size_t cap)
{
	if (len < 4 || len > SHIM_JOB_MAX || cap < 2)
		return -EINVAL;
	uint32_t payload = 0;
	for (size_t i = 0; i < 4; i++)
		payload |= (uint32_t)(unsigned char)buf[i] << (8 * i);
	if (payload == 0 || payload != len - 4 || buf[len - 1] != '\0' || buf[4] == '\0')
		return -EINVAL;
	size_t argc = 0;
	for (char *s = buf + 4; s < buf + len; s += strlen(s) + 1) {
		if (argc + 1 >= cap)
			return -EINVAL;
		argv[argc++] = s;
	}
	argv[argc] = NULL;
	return (int)argc;
}
