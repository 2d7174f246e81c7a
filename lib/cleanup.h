/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * Scope-bound cleanup. A variable declared with one of these attributes is
 * released when it goes out of scope; hand ownership away with TAKE_PTR() /
 * TAKE_FD(), which return the value and reset the variable to NULL / -1.
 * Every destructor used here accepts the "none" value (NULL, -1).
 *
 * Modules that wrap a library declare their own handle cleanups next to the
 * wrapper with DEFINE_CLEANUP(type, destructor).
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))

static inline void cleanup_freep(void *p)
{
	free(*(void **)p);
}
#define _cleanup_free_ _cleanup_(cleanup_freep)

static inline void cleanup_closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}
#define _cleanup_close_ _cleanup_(cleanup_closep)

static inline void cleanup_fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}
#define _cleanup_fclose_ _cleanup_(cleanup_fclosep)

/* DEFINE_CLEANUP(struct foo, foo_free) defines foo_freep(struct foo **). */
#define DEFINE_CLEANUP(type, func)                 \
	static inline void func##p(type **p)       \
	{                                          \
		if (*p)                            \
			func(*p);                  \
	}

#define TAKE_PTR(p)                          \
	({                                   \
		__typeof__(p) _taken_ = (p); \
		(p) = NULL;                  \
		_taken_;                     \
	})

#define TAKE_FD(fd)                  \
	({                           \
		int _taken_ = (fd);  \
		(fd) = -1;           \
		_taken_;             \
	})

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
