/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * The shim's life after its setup: create and start the container, pump
 * its output into the log, reap its init, record how it ended, delete it.
 * Single-threaded: one poll() over a signalfd (SIGCHLD) and the two pipes.
 */
#include <stdint.h>

#include "options.h"

/* Everything up to `exit` written and the container deleted. Returns the
 * shim's exit status: 0 when the container ran (whatever its own status),
 * 1 when it could not be created or started. Expects SIGCHLD blocked and
 * fds 0-2 open. */
int shim_supervise(const struct shim_opts *o);

/* The runtime's wall clock in ms, as the records carry it. */
int64_t shim_now_ms(void);
