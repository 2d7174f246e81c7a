/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Capability names and the container's capability set, computed the way
 * Docker does it (TweakCapabilities): privileged gets everything; otherwise
 * "ALL" in add means everything but the drops, "ALL" in drop means only the
 * adds, and anything else adjusts Docker's default set.
 */
#include "autoconf.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cleanup.h"
#include "procfs.h"
#include "runtime/spec-internal.h"

/* Indexed by capability number (linux/capability.h). */
static const char *const cap_names[] = {
	"CHOWN",           "DAC_OVERRIDE",     "DAC_READ_SEARCH", "FOWNER",
	"FSETID",          "KILL",             "SETGID",          "SETUID",
	"SETPCAP",         "LINUX_IMMUTABLE",  "NET_BIND_SERVICE", "NET_BROADCAST",
	"NET_ADMIN",       "NET_RAW",          "IPC_LOCK",        "IPC_OWNER",
	"SYS_MODULE",      "SYS_RAWIO",        "SYS_CHROOT",      "SYS_PTRACE",
	"SYS_PACCT",       "SYS_ADMIN",        "SYS_BOOT",        "SYS_NICE",
	"SYS_RESOURCE",    "SYS_TIME",         "SYS_TTY_CONFIG",  "MKNOD",
	"LEASE",           "AUDIT_WRITE",      "AUDIT_CONTROL",   "SETFCAP",
	"MAC_OVERRIDE",    "MAC_ADMIN",        "SYSLOG",          "WAKE_ALARM",
	"BLOCK_SUSPEND",   "AUDIT_READ",       "PERFMON",         "BPF",
	"CHECKPOINT_RESTORE",
};

static const char *const docker_default_caps[] = {
	"CHOWN",  "DAC_OVERRIDE", "FSETID",  "FOWNER",           "MKNOD",      "NET_RAW", "SETGID",
	"SETUID", "SETFCAP",      "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL",    "AUDIT_WRITE",
};

#define CAP_COUNT ((int)ARRAY_SIZE(cap_names))
#define BIT(c) ((uint64_t)1 << (c))

/* "SYS_ADMIN", "CAP_SYS_ADMIN" and "sys_admin" all name the same one, as
 * Docker accepts them. */
int spec_cap_from_name(const char *name)
{
	if (strncasecmp(name, "CAP_", 4) == 0)
		name += 4;
	for (int i = 0; i < CAP_COUNT; i++)
		if (strcasecmp(name, cap_names[i]) == 0)
			return i;
	return -1;
}

const char *spec_cap_name(int cap)
{
	return cap >= 0 && cap < CAP_COUNT ? cap_names[cap] : NULL;
}

uint64_t spec_caps_default(void)
{
	uint64_t caps = 0;
	for (size_t i = 0; i < ARRAY_SIZE(docker_default_caps); i++)
		caps |= BIT(spec_cap_from_name(docker_default_caps[i]));
	return caps;
}

/* Capabilities newer than the kernel would be refused or ignored by the
 * runtime, so "all" means all the kernel has. */
/* The agent's own bounding set: a container can never hold more, and
 * asking the runtime for a capability outside it fails the start (seen on
 * hosts, and nested containers, that drop CAP_SYS_RESOURCE). */
static uint64_t bounding_set(void)
{
	unsigned long long v;
	return procfs_field("/proc/self/status", "CapBnd: %llx", &v) ? (uint64_t)v : UINT64_MAX;
}

uint64_t spec_caps_all(void)
{
	int last = CAP_COUNT - 1;
	_cleanup_fclose_ FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
	int k;
	if (f && fscanf(f, "%d", &k) == 1 && k >= 0 && k < last)
		last = k;
	uint64_t all = last >= 63 ? UINT64_MAX : BIT(last + 1) - 1;
	return all & bounding_set();
}

static bool is_all(const char *name)
{
	return strcasecmp(name, "ALL") == 0;
}

static bool list_has_all(const struct td_strv *v)
{
	for (size_t i = 0; i < v->count; i++)
		if (is_all(v->items[i]))
			return true;
	return false;
}

/* The named capabilities of `v` as bits ("ALL" skipped). */
static int list_bits(const struct td_strv *v, const char *what, uint64_t *out,
		     struct ecs_err *err)
{
	*out = 0;
	for (size_t i = 0; i < v->count; i++) {
		if (is_all(v->items[i]))
			continue;
		int c = spec_cap_from_name(v->items[i]);
		if (c < 0)
			return err_set(err, EINVAL,
				       "linuxParameters.capabilities.%s: unknown capability \"%s\"",
				       what, v->items[i]);
		*out |= BIT(c);
	}
	return 0;
}

int spec_caps_compute(const struct td_container *td, uint64_t *out, struct ecs_err *err)
{
	static const struct td_strv empty;
	const struct td_kernel_capabilities *kc =
		td && td->linux_parameters ? td->linux_parameters->capabilities : NULL;
	const struct td_strv *add = kc ? &kc->add : &empty;
	const struct td_strv *drop = kc ? &kc->drop : &empty;
	uint64_t add_bits, drop_bits;
	int r;

	/* Names are checked even when privileged makes them moot, so a typo
	 * is reported rather than silently carried along. */
	if ((r = list_bits(add, "add", &add_bits, err)) < 0 ||
	    (r = list_bits(drop, "drop", &drop_bits, err)) < 0)
		return r;

	if (td && td->privileged.value)
		*out = spec_caps_all();
	else if (list_has_all(add))
		*out = spec_caps_all() & ~drop_bits;
	else if (list_has_all(drop))
		*out = add_bits;
	else
		*out = (spec_caps_default() & ~drop_bits) | add_bits;
	return 0;
}

void spec_write_cap_array(struct json_writer *w, uint64_t caps)
{
	char name[64];

	json_w_array_begin(w);
	for (int i = 0; i < CAP_COUNT; i++) {
		if (!(caps & BIT(i)))
			continue;
		snprintf(name, sizeof(name), "CAP_%s", cap_names[i]);
		json_w_string(w, name);
	}
	json_w_array_end(w);
}
