/* SPDX-License-Identifier: Apache-2.0 */
/*
 * config.json: the document skeleton, "process", "root", "hostname" and
 * "annotations"; mounts and the "linux" section live in spec-mounts.c and
 * spec-linux.c. Writing the bundle file is here too.
 */
#include "autoconf.h"

#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "runtime/spec-internal.h"

#define ANNOTATION_TASK_ARN "com.amazonaws.ecs.task-arn"
#define ANNOTATION_CONTAINER "com.amazonaws.ecs.container-name"

/* ECS ulimit names (the Docker ones) to the OCI rlimit types. */
static const struct {
	const char *ecs;
	const char *oci;
} rlimit_names[] = {
	{ "core", "RLIMIT_CORE" },         { "cpu", "RLIMIT_CPU" },
	{ "data", "RLIMIT_DATA" },         { "fsize", "RLIMIT_FSIZE" },
	{ "locks", "RLIMIT_LOCKS" },       { "memlock", "RLIMIT_MEMLOCK" },
	{ "msgqueue", "RLIMIT_MSGQUEUE" }, { "nice", "RLIMIT_NICE" },
	{ "nofile", "RLIMIT_NOFILE" },     { "nproc", "RLIMIT_NPROC" },
	{ "rss", "RLIMIT_RSS" },           { "rtprio", "RLIMIT_RTPRIO" },
	{ "rttime", "RLIMIT_RTTIME" },     { "sigpending", "RLIMIT_SIGPENDING" },
	{ "stack", "RLIMIT_STACK" },
};

bool spec_privileged(const struct container_spec *s)
{
	return s->td && s->td->privileged.value;
}

/* dockerSecurityOptions: "no-new-privileges" (optionally ":true"/"=true"
 * or false) is honoured. The explicit opt-outs of confinement the agent
 * never applies (AppArmor, SELinux labels, seccomp) are accepted as the
 * no-ops they are; anything else would be a promise we cannot keep. */
static int security_options(const struct td_container *td, bool *nnp, struct ecs_err *err)
{
	static const char *const noops[] = { "apparmor", "label", "seccomp" };

	*nnp = false;
	if (!td)
		return 0;
	for (size_t i = 0; i < td->docker_security_options.count; i++) {
		const char *o = td->docker_security_options.items[i];
		size_t klen = strcspn(o, ":=");
		const char *val = o[klen] ? o + klen + 1 : NULL;

		if (klen == strlen("no-new-privileges") && strncmp(o, "no-new-privileges", klen) == 0) {
			if (!val || strcmp(val, "true") == 0) {
				*nnp = true;
				continue;
			}
			if (strcmp(val, "false") == 0) {
				*nnp = false;
				continue;
			}
		}
		for (size_t j = 0; val && j < ARRAY_SIZE(noops); j++)
			if (klen == strlen(noops[j]) && strncmp(o, noops[j], klen) == 0 &&
			    (strcmp(val, "unconfined") == 0 || strcmp(val, "disable") == 0))
				goto next;
		return err_set(err, EINVAL, "dockerSecurityOptions: \"%s\" is not supported", o);
next:;
	}
	return 0;
}

static int write_rlimits(struct json_writer *w, const struct td_container *td,
			 struct ecs_err *err)
{
	json_w_key(w, "rlimits");
	json_w_array_begin(w);
	for (size_t i = 0; td && i < td->ulimits.count; i++) {
		const struct td_ulimit *u = &td->ulimits.items[i];
		const char *oci = NULL;

		for (size_t j = 0; u->name && j < ARRAY_SIZE(rlimit_names); j++)
			if (strcmp(u->name, rlimit_names[j].ecs) == 0)
				oci = rlimit_names[j].oci;
		if (!oci)
			return err_set(err, EINVAL, "ulimits[%zu]: unknown ulimit \"%s\"", i,
				       u->name ? u->name : "");
		/* OCI limits are unsigned; Docker's -1 (unlimited) has no
		 * exact spelling in a signed JSON writer, so it is refused
		 * rather than mistranslated. */
		if (u->soft_limit.value < 0 || u->hard_limit.value < 0)
			return err_set(err, EINVAL, "ulimits[%zu] (%s): negative limits are not supported",
				       i, u->name);
		if (u->soft_limit.value > u->hard_limit.value)
			return err_set(err, EINVAL,
				       "ulimits[%zu] (%s): softLimit %" PRId64 " exceeds hardLimit %" PRId64,
				       i, u->name, u->soft_limit.value, u->hard_limit.value);
		json_w_object_begin(w);
		json_w_key(w, "type");
		json_w_string(w, oci);
		json_w_key(w, "hard");
		json_w_int(w, u->hard_limit.value);
		json_w_key(w, "soft");
		json_w_int(w, u->soft_limit.value);
		json_w_object_end(w);
	}
	json_w_array_end(w);
	return 0;
}

static void write_strv(struct json_writer *w, const char *key, char *const *v)
{
	json_w_key(w, key);
	json_w_array_begin(w);
	for (size_t i = 0; v && v[i]; i++)
		json_w_string(w, v[i]);
	json_w_array_end(w);
}

static bool init_enabled(const struct container_spec *s)
{
	return s->td && s->td->linux_parameters &&
	       s->td->linux_parameters->init_process_enabled.value;
}

static int write_process(struct json_writer *w, const struct container_spec *s,
			 struct ecs_err *err)
{
	uint64_t caps;
	bool nnp;
	int r;

	if (!s->args || !s->args[0])
		return err_set(err, EINVAL, "no command to run (entryPoint, command and the image "
					    "config are all empty)");
	if (s->cwd && s->cwd[0] != '/')
		return err_set(err, EINVAL, "workingDirectory \"%s\" is not an absolute path", s->cwd);
	if ((r = spec_caps_compute(s->td, &caps, err)) < 0 ||
	    (r = security_options(s->td, &nnp, err)) < 0)
		return r;

	json_w_key(w, "process");
	json_w_object_begin(w);
	json_w_key(w, "terminal");
	json_w_bool(w, false);

	json_w_key(w, "user");
	json_w_object_begin(w);
	json_w_key(w, "uid");
	json_w_int(w, s->uid);
	json_w_key(w, "gid");
	json_w_int(w, s->gid);
	if (s->n_gids) {
		json_w_key(w, "additionalGids");
		json_w_array_begin(w);
		for (size_t i = 0; i < s->n_gids; i++)
			json_w_int(w, s->gids[i]);
		json_w_array_end(w);
	}
	json_w_object_end(w);

	/* The init is bound at /dev/init (spec-mounts.c) and runs the
	 * command as its child, as `docker run --init` does. */
	json_w_key(w, "args");
	json_w_array_begin(w);
	if (init_enabled(s)) {
		if (!s->init_path)
			return err_set(err, EINVAL, "initProcessEnabled: no init binary configured");
		json_w_string(w, "/dev/init");
		json_w_string(w, "--");
	}
	for (size_t i = 0; s->args[i]; i++)
		json_w_string(w, s->args[i]);
	json_w_array_end(w);

	write_strv(w, "env", s->env);
	json_w_key(w, "cwd");
	json_w_string(w, s->cwd ? s->cwd : "/");

	json_w_key(w, "capabilities");
	json_w_object_begin(w);
	json_w_key(w, "bounding");
	spec_write_cap_array(w, caps);
	json_w_key(w, "effective");
	spec_write_cap_array(w, caps);
	json_w_key(w, "inheritable");
	spec_write_cap_array(w, 0);
	json_w_key(w, "permitted");
	spec_write_cap_array(w, caps);
	json_w_key(w, "ambient");
	spec_write_cap_array(w, 0);
	json_w_object_end(w);

	if ((r = write_rlimits(w, s->td, err)) < 0)
		return r;
	json_w_key(w, "noNewPrivileges");
	json_w_bool(w, nnp);
	json_w_key(w, "oomScoreAdj");
	json_w_int(w, 0);
	json_w_object_end(w);
	return 0;
}

static void write_annotations(struct json_writer *w, const struct container_spec *s)
{
	json_w_key(w, "annotations");
	json_w_object_begin(w);
	for (size_t i = 0; s->td && i < s->td->docker_labels.count; i++) {
		const struct td_map_entry *e = &s->td->docker_labels.items[i];
		/* The agent's own keys win over a label of the same name. */
		if ((s->task_arn && strcmp(e->key, ANNOTATION_TASK_ARN) == 0) ||
		    (s->container_name && strcmp(e->key, ANNOTATION_CONTAINER) == 0))
			continue;
		json_w_key(w, e->key);
		json_w_string(w, e->value ? e->value : "");
	}
	if (s->task_arn) {
		json_w_key(w, ANNOTATION_TASK_ARN);
		json_w_string(w, s->task_arn);
	}
	if (s->container_name) {
		json_w_key(w, ANNOTATION_CONTAINER);
		json_w_string(w, s->container_name);
	}
	json_w_object_end(w);
}

char *spec_to_json(const struct container_spec *s, struct ecs_err *err)
{
	_cleanup_(json_writer_freep) struct json_writer *w = json_writer_new(true);
	if (!w) {
		err_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	if (!s->rootfs || s->rootfs[0] != '/') {
		err_set(err, EINVAL, "rootfs must be an absolute path");
		return NULL;
	}

	json_w_object_begin(w);
	json_w_key(w, "ociVersion");
	json_w_string(w, "1.0.2");
	if (write_process(w, s, err) < 0)
		return NULL;

	json_w_key(w, "root");
	json_w_object_begin(w);
	json_w_key(w, "path");
	json_w_string(w, s->rootfs);
	json_w_key(w, "readonly");
	json_w_bool(w, s->td && s->td->readonly_root_filesystem.value);
	json_w_object_end(w);

	/* In the host's network the container sees the host's name (its UTS
	 * namespace starts as a copy), as with Docker's --net=host. */
	if (s->hostname && s->net != SPEC_NET_HOST) {
		json_w_key(w, "hostname");
		json_w_string(w, s->hostname);
	}
	if (spec_write_mounts(w, s, err) < 0)
		return NULL;
	write_annotations(w, s);
	if (spec_write_linux(w, s, err) < 0)
		return NULL;
	json_w_object_end(w);
	return json_writer_finish(w, NULL, err);
}

int spec_write_file_atomic(const char *path, const char *data, size_t len, mode_t mode,
			   struct ecs_err *err)
{
	char tmp[PATH_MAX];
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return err_set(err, ENAMETOOLONG, "%s: path too long", path);

	_cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return err_set_errno(err, errno, "creating %s", tmp);
	for (size_t off = 0; off < len;) {
		ssize_t n = write(fd, data + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int r = err_set_errno(err, errno, "writing %s", tmp);
			unlink(tmp);
			return r;
		}
		off += (size_t)n;
	}
	/* No fsync: a bundle and its /etc files matter only while the machine
	 * is up (after a power loss the container is gone and its files are
	 * written again), and the rename alone keeps the runtime from ever
	 * reading half a file. Eight fsyncs were a fifth of a start. */
	if (close(TAKE_FD(fd)) < 0) {
		int r = err_set_errno(err, errno, "closing %s", tmp);
		unlink(tmp);
		return r;
	}
	if (rename(tmp, path) < 0) {
		int r = err_set_errno(err, errno, "renaming %s", tmp);
		unlink(tmp);
		return r;
	}
	return 0;
}

int spec_write_bundle(const struct container_spec *s, const char *bundle_dir,
		      struct ecs_err *err)
{
	struct ecs_err local;
	if (!err)
		err = &local; /* spec_to_json()'s code travels in it */

	_cleanup_free_ char *json = spec_to_json(s, err);
	if (!json)
		return err_wrap(err, "generating config.json");

	char path[PATH_MAX];
	if ((size_t)snprintf(path, sizeof(path), "%s/config.json", bundle_dir) >= sizeof(path))
		return err_set(err, ENAMETOOLONG, "%s: path too long", bundle_dir);
	/* 0600: the environment may carry secrets. */
	return spec_write_file_atomic(path, json, strlen(json), 0600, err);
}
