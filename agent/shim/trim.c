/* SPDX-License-Identifier: Apache-2.0 */
#include "trim.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

struct candidate {
	unsigned long start, end;
	bool ours;      /* a read-only mapping of our executable */
	bool private_pages;
};

static void consider(struct candidate *c, unsigned long *dropped)
{
	if (c->ours && !c->private_pages && c->end > c->start &&
	    madvise((void *)c->start, c->end - c->start, MADV_DONTNEED) == 0)
		*dropped += c->end - c->start;
	c->ours = false;
}

/* One smaps line: a mapping header "start-end perms offset dev inode path"
 * or a "Key: value kB" line of the current mapping. */
static void line(struct candidate *c, const char *l, dev_t dev, ino_t ino,
		 unsigned long *dropped)
{
	char *end;
	unsigned long start = strtoul(l, &end, 16);
	if (*end == '-') {
		consider(c, dropped);
		c->start = start;
		c->end = strtoul(end + 1, &end, 16);
		/* " perms offset major:minor inode" */
		const char *perms = end + 1;
		char *p = strchr(perms, ' ');
		if (!p || perms[1] == 'w')
			return;
		strtoul(p + 1, &p, 16); /* offset */
		unsigned long maj = strtoul(p + 1, &p, 16);
		unsigned long min = strtoul(p + 1, &p, 16);
		unsigned long inode = strtoul(p + 1, &p, 10);
		c->ours = inode == ino && maj == major(dev) && min == minor(dev);
		c->private_pages = false;
		return;
	}
	if (strncmp(l, "Anonymous:", 10) == 0 && strtoul(l + 10, NULL, 10) > 0)
		c->private_pages = true;
}

unsigned long shim_trim_mappings(void)
{
	struct stat st;
	unsigned long dropped = 0;
	struct candidate c = { 0 };
	char buf[4096];
	size_t used = 0;

	if (stat("/proc/self/exe", &st) < 0)
		return 0;
	int fd = open("/proc/self/smaps", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	for (;;) {
		ssize_t n = read(fd, buf + used, sizeof(buf) - 1 - used);
		if (n <= 0)
			break;
		used += (size_t)n;
		buf[used] = '\0';
		char *l = buf;
		for (char *nl; (nl = strchr(l, '\n')); l = nl + 1) {
			*nl = '\0';
			line(&c, l, st.st_dev, st.st_ino, &dropped);
		}
		used = (size_t)(buf + used - l);
		memmove(buf, l, used);
		if (used == sizeof(buf) - 1)
			used = 0; /* a line longer than the buffer: skip it */
	}
	close(fd);
	consider(&c, &dropped);
	return dropped;
}
