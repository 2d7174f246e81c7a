/* SPDX-License-Identifier: Apache-2.0 */
#include "autoconf.h"

#include <stdarg.h>
#include <stdio.h>

#include "cleanup.h"
#include "procfs.h"

bool procfs_field(const char *path, const char *fmt, ...)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	char line[256];
	bool found = false;
	va_list ap;
	va_start(ap, fmt);
	while (!found && f && fgets(line, sizeof(line), f)) {
		va_list aq;
		va_copy(aq, ap);
		found = vsscanf(line, fmt, aq) == 1;
		va_end(aq);
	}
	va_end(ap);
	return found;
}
