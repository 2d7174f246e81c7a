/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * A spare shim's job: the command line the agent would otherwise have
 * exec'd the shim with, handed to a shim that is already running.
 *
 * The agent starts the spare as `ecs-agent-shim --spare BLANK` with the
 * read end of a pipe on fd 3; BLANK is SHIM_SPARE_TITLE - 1 spaces, room
 * in which the spare later writes the job's command line so that
 * /proc/PID/cmdline names its state directory like any shim's (the agent's
 * recovery and `ps` find shims that way). When a container starts, the
 * agent writes the job to the pipe in one write and closes it:
 *
 *   u32 payload length, little-endian | payload
 *
 * where the payload is the argument strings, argv[0] first, each followed by
 * a NUL. The spare reads to EOF: no bytes means the agent let it go (or
 * died), and it exits quietly. One place for the format, shared by the
 * writer (runtime/shim-spare.c) and the reader (shim/spare.c).
 */
#include <stddef.h>
#include <sys/types.h>

#define SHIM_SPARE_ARG "--spare"
#define SHIM_SPARE_FD 3
/* The argument area a spare can show, and so the longest payload it takes. */
#define SHIM_SPARE_TITLE 4096
#define SHIM_JOB_MAX (4 + SHIM_SPARE_TITLE)
/* More arguments than any shim command line has. */
#define SHIM_JOB_MAX_ARGS 128

/* Encode the NULL-terminated argv into buf; returns the length, or -E2BIG
 * when it does not fit in cap (or SHIM_JOB_MAX), -EINVAL without argv[0]. */
ssize_t shim_job_encode(char *const argv[], char *buf, size_t cap);

/* Decode a job in place: argv[] (cap entries, NULL-terminated) points into
 * buf. Returns argc, or -EINVAL for anything but exactly one well-formed
 * job: a length that disagrees with the bytes, an empty payload or
 * argv[0], a payload not ending in NUL, more than cap - 1 strings. */
int shim_job_decode(char *buf, size_t len, char **argv, size_t cap);

/* The payload of a job that shim_job_decode() accepted. */
static inline const char *shim_job_payload(const char *buf, size_t len, size_t *payload_len)
{
	*payload_len = len - 4;
	return buf + 4;
}
