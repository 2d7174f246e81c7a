/* SPDX-License-Identifier: Apache-2.0 */
#include "fileio.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"

int file_read_all(const char *path, size_t max_size, char **out, size_t *len, struct ecs_err *err)
{
	_cleanup_close_ int owned = -1;
	int fd;

	if (strcmp(path, "-") == 0) {
		fd = STDIN_FILENO;
	} else {
		owned = open(path, O_RDONLY | O_CLOEXEC);
		if (owned < 0)
			return err_set_errno(err, errno, "%s", path);
		fd = owned;
	}

	size_t cap = 4096, used = 0;
	_cleanup_free_ char *buf = malloc(cap);
	if (!buf)
		return err_set(err, ENOMEM, "%s: out of memory", path);

	for (;;) {
		if (used + 1 >= cap) {
			/* Never grow past the limit. Written as cap - 1 because
			 * max_size + 1 wraps to 0 for SIZE_MAX ("no limit"). */
			if (cap - 1 > max_size)
				return err_set(err, EFBIG, "%s: larger than %zu bytes", path, max_size);
			char *bigger = realloc(buf, cap * 2);
			if (!bigger)
				return err_set(err, ENOMEM, "%s: out of memory", path);
			buf = bigger;
			cap *= 2;
		}
		ssize_t n = read(fd, buf + used, cap - used - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return err_set_errno(err, errno, "reading %s", path);
		}
		if (n == 0)
			break;
		used += (size_t)n;
		if (used > max_size)
			return err_set(err, EFBIG, "%s: larger than %zu bytes", path, max_size);
	}
	buf[used] = '\0';
	*out = TAKE_PTR(buf);
	if (len)
		*len = used;
	return 0;
}
