/* SPDX-License-Identifier: Apache-2.0 */
#define _GNU_SOURCE
#include "subprocess.h"

#include <signal.h>
#include <unistd.h>

int spawn_clean(pid_t *pid, const char *path, char *const argv[],
		const posix_spawn_file_actions_t *fa)
{
	sigset_t none, all;
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_t attr;
	posix_spawnattr_init(&attr);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	int r = posix_spawn(pid, path, fa, &attr, argv, environ);
	posix_spawnattr_destroy(&attr);
	return r;
}
