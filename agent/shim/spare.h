/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * The shim as a spare (job.h): started ahead of need by the agent, it waits
 * for the command line of the container it is to run. A start then costs a
 * pipe write instead of a fork and exec of the shim (about 2 ms on a VM).
 */
#include <stdbool.h>

/* `ecs-agent-shim --spare BLANK`? */
bool shim_spare_mode(int argc, char **argv);

/* Wait for the job on SHIM_SPARE_FD, show its command line in our argument
 * area, and point argc and argv at it. Returns 0 with the job, 1 when the
 * agent let the spare go (exit quietly), -1 on a bad job (said on stderr).
 * Where the argument area cannot hold the job it execs the shim anew with
 * the job as its command line, and returns -1 only if that fails. */
int shim_spare_wait(int *argc, char ***argv);
