/* SPDX-License-Identifier: Apache-2.0 */
/* The agent's configuration: key table, loading, printing, runnable checks and
 * resolution of the runtime, shim and init binaries. */
#include "autoconf.h"

#include "agent-config.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/auth.h"
#include "log.h"

#ifndef PKGLIBEXECDIR
#error "PKGLIBEXECDIR must be defined (agent/local.mk passes it to libagent)"
#endif

#define SEC CONFIG_USEC_PER_SEC
#define MIN (60 * SEC)
#define HOUR (60 * MIN)
#define DAY (24 * HOUR)

/* The public struct comes first so the caller's pointer is ours too; the
 * config object is kept because it knows where every value came from. */
struct agent_config_full {
	struct agent_config pub;
	struct config *cfg;
	char *runtime_binary; /* NULL when ECS_RUNTIME_PATH is unset and PATH has none */
	char *shim_binary;
	char *init_binary;
	char *image_binary;
};

static struct agent_config_full *full_of(const struct agent_config *c)
{
	return (struct agent_config_full *)((char *)c - offsetof(struct agent_config_full, pub));
}

static const char *const loglevels[] = { "crit", "error", "warn", "info", "debug", NULL };
static const char *const runtimes[] = { "runc", "crun", NULL };
static const char *const auth_types[] = { "docker", "dockercfg", NULL };
static const char *const pull_behaviors[] = { "default", "always", "once", "prefer-cached", NULL };

#define OFF(field) offsetof(struct agent_config, field)

static const struct config_key keys[] = {
	{ .name = "ECS_CLUSTER", .type = CONFIG_STRING, .offset = OFF(cluster), .def = "default" },
	{ .name = "ECS_DATADIR", .type = CONFIG_STRING, .offset = OFF(datadir),
	  .def = "/var/lib/ecs-agent" },
	{ .name = "ECS_CONTROLPLANE_URL", .type = CONFIG_STRING, .offset = OFF(controlplane_url) },
	{ .name = "ECS_JOIN_TOKEN", .type = CONFIG_STRING, .offset = OFF(join_token),
	  .secret = true },
	{ .name = "ECS_RESERVED_MEMORY", .type = CONFIG_INT, .offset = OFF(reserved_memory_mib),
	  .def = "0", .min = 0, .max = INT64_MAX },
	{ .name = "ECS_RESERVED_PORTS", .type = CONFIG_PORT_LIST, .offset = OFF(reserved_ports),
	  .def = "[22, 2375, 2376, 51678, 51679]" },
	{ .name = "ECS_RESERVED_PORTS_UDP", .type = CONFIG_PORT_LIST,
	  .offset = OFF(reserved_ports_udp) },
	/* ECS has no upper bounds here; ours keep deadlines far from overflow. */
	{ .name = "ECS_CONTAINER_STOP_TIMEOUT", .type = CONFIG_DURATION,
	  .offset = OFF(container_stop_timeout), .def = "30s", .min = SEC, .max = DAY },
	{ .name = "ECS_CONTAINER_START_TIMEOUT", .type = CONFIG_DURATION,
	  .offset = OFF(container_start_timeout), .def = "3m", .min = SEC, .max = DAY },
	/* ECS's minimum is 1m; tests need stopped tasks gone within seconds. */
	{ .name = "ECS_ENGINE_TASK_CLEANUP_WAIT_DURATION", .type = CONFIG_DURATION,
	  .offset = OFF(task_cleanup_wait), .def = "3h", .min = SEC, .max = 365 * DAY },
	{ .name = "ECS_INSTANCE_ATTRIBUTES", .type = CONFIG_STRING_MAP,
	  .offset = OFF(instance_attributes) },
	{ .name = "ECS_CONTAINER_INSTANCE_TAGS", .type = CONFIG_STRING_MAP,
	  .offset = OFF(instance_tags) },
	{ .name = "ECS_AVAILABLE_LOGGING_DRIVERS", .type = CONFIG_STRING_LIST,
	  .offset = OFF(logging_drivers), .def = "[\"json-file\",\"journald\",\"none\"]" },
	{ .name = "ECS_LOGLEVEL", .type = CONFIG_ENUM, .offset = OFF(loglevel), .def = "info",
	  .choices = loglevels },
	{ .name = "ECS_RUNTIME", .type = CONFIG_ENUM, .offset = OFF(runtime), .def = "runc",
	  .choices = runtimes },
	{ .name = "ECS_RUNTIME_PATH", .type = CONFIG_STRING, .offset = OFF(runtime_path) },
	{ .name = "ECS_SHIM_PATH", .type = CONFIG_STRING, .offset = OFF(shim_path) },
	{ .name = "ECS_INIT_PATH", .type = CONFIG_STRING, .offset = OFF(init_path) },
	{ .name = "ECS_IMAGE_HELPER_PATH", .type = CONFIG_STRING, .offset = OFF(image_helper_path) },
	{ .name = "ECS_CGROUP_PARENT", .type = CONFIG_STRING, .offset = OFF(cgroup_parent),
	  .def = "/ecs" },
	{ .name = "ECS_INSTANCE_IDENTITY", .type = CONFIG_STRING, .offset = OFF(instance_identity) },
	{ .name = "ECS_ENABLE_TASK_CPU_MEM_LIMIT", .type = CONFIG_BOOL,
	  .offset = OFF(enable_task_cpu_mem_limit), .def = "true" },
	{ .name = "ECS_POLL_WAIT", .type = CONFIG_DURATION, .offset = OFF(poll_wait), .def = "20s",
	  .min = SEC, .max = 60 * SEC },
	{ .name = "ECS_RECONNECT_MAX_BACKOFF", .type = CONFIG_DURATION,
	  .offset = OFF(reconnect_max_backoff), .def = "30s", .min = SEC, .max = 10 * MIN },
	{ .name = "ECS_ENGINE_AUTH_TYPE", .type = CONFIG_ENUM, .offset = OFF(engine_auth_type),
	  .choices = auth_types },
	{ .name = "ECS_ENGINE_AUTH_DATA", .type = CONFIG_STRING, .offset = OFF(engine_auth_data),
	  .secret = true },
	{ .name = "ECS_INSECURE_REGISTRIES", .type = CONFIG_STRING_LIST,
	  .offset = OFF(insecure_registries) },
	{ .name = "ECS_REGISTRY_CA_FILE", .type = CONFIG_STRING, .offset = OFF(registry_ca_file) },
	{ .name = "ECS_IMAGE_PULL_BEHAVIOR", .type = CONFIG_ENUM, .offset = OFF(pull_behavior),
	  .def = "default", .choices = pull_behaviors },
	{ .name = "ECS_IMAGE_PULL_TIMEOUT", .type = CONFIG_DURATION, .offset = OFF(pull_timeout),
	  .def = "2h", .min = SEC, .max = DAY },
	{ .name = "ECS_IMAGE_PULL_INACTIVITY_TIMEOUT", .type = CONFIG_DURATION,
	  .offset = OFF(pull_inactivity_timeout), .def = "1m", .min = SEC, .max = DAY },
	{ .name = "ECS_DISABLE_IMAGE_CLEANUP", .type = CONFIG_BOOL,
	  .offset = OFF(disable_image_cleanup), .def = "false" },
	/* ECS's minimum is 10m; tests need a collection within seconds. */
	{ .name = "ECS_IMAGE_CLEANUP_INTERVAL", .type = CONFIG_DURATION,
	  .offset = OFF(image_cleanup_interval), .def = "30m", .min = SEC, .max = 365 * DAY },
	{ .name = "ECS_IMAGE_MINIMUM_CLEANUP_AGE", .type = CONFIG_DURATION,
	  .offset = OFF(image_min_cleanup_age), .def = "1h", .min = 0, .max = 365 * DAY },
	{ .name = "ECS_NUM_IMAGES_DELETE_PER_CYCLE", .type = CONFIG_INT,
	  .offset = OFF(images_delete_per_cycle), .def = "5", .min = 1, .max = 1000 },
};

const struct config_key *agent_config_keys(size_t *n)
{
	*n = ARRAY_SIZE(keys);
	return keys;
}

static bool is_executable_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* The first executable `name` in $PATH (or the usual system directories when
 * PATH is unset, as execvp does), malloc'd; NULL when there is none. */
static char *search_path(const char *name, bool *oom)
{
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

	for (const char *p = path; *p;) {
		size_t len = strcspn(p, ":");
		/* An empty PATH entry means the current directory, which a daemon
		 * must not trust for the binary it runs as root. */
		if (len > 0 && p[0] == '/') {
			char *candidate = NULL;
			if (asprintf(&candidate, "%.*s/%s", (int)len, p, name) < 0) {
				*oom = true;
				return NULL;
			}
			if (is_executable_file(candidate))
				return candidate;
			free(candidate);
		}
		p += len;
		if (*p == ':')
			p++;
	}
	return NULL;
}

/* `explicit` when set, else `name` next to the running binary when it is
 * there (a build tree, or an install that keeps them together), else the
 * installed location. */
static char *resolve_helper(const char *explicit, const char *name, bool *oom)
{
	char *out = NULL;

	if (explicit) {
		out = strdup(explicit);
		if (!out)
			*oom = true;
		return out;
	}

	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		char *slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			if (asprintf(&out, "%s/%s", self, name) < 0) {
				*oom = true;
				return NULL;
			}
			if (is_executable_file(out))
				return out;
			free(out);
			out = NULL;
		}
	}
	if (asprintf(&out, "%s/%s", PKGLIBEXECDIR, name) < 0) {
		*oom = true;
		return NULL;
	}
	return out;
}

static int resolve_binaries(struct agent_config_full *f, struct ecs_err *err)
{
	bool oom = false;

	f->runtime_binary = f->pub.runtime_path ? strdup(f->pub.runtime_path)
						: search_path(agent_config_runtime_name(&f->pub), &oom);
	if (f->pub.runtime_path && !f->runtime_binary)
		oom = true;
	f->shim_binary = resolve_helper(f->pub.shim_path, "ecs-agent-shim", &oom);
	f->init_binary = resolve_helper(f->pub.init_path, "ecs-agent-init", &oom);
	f->image_binary = resolve_helper(f->pub.image_helper_path, "ecs-agent-image", &oom);
	if (oom)
		return err_set(err, ENOMEM, "out of memory");
	return 0;
}

/* The combined result of every load: the first error and how many more. */
static int load_result(const struct config *cfg, struct ecs_err *err)
{
	size_t n, total;
	const char *const *errors = config_errors(cfg, &n, &total);
	if (total == 0)
		return 0;
	const char *first = n > 0 ? errors[0] : "invalid configuration";
	if (total == 1)
		return err_set(err, EINVAL, "%s", first);
	return err_set(err, EINVAL, "%s (and %zu more error%s)", first, total - 1,
		       total == 2 ? "" : "s");
}

int agent_config_load(const char *path, bool path_explicit, struct agent_config **out,
		      struct ecs_err *err)
{
	*out = NULL;
	if (!path)
		path = AGENT_DEFAULT_CONFIG_PATH;

	struct agent_config_full *f = calloc(1, sizeof(*f));
	if (!f)
		return err_set(err, ENOMEM, "out of memory");
	_cleanup_(agent_config_freep) struct agent_config *c = &f->pub;

	f->cfg = config_new(keys, ARRAY_SIZE(keys), &f->pub, err);
	if (!f->cfg)
		return err_wrap(err, "agent configuration");

	struct ecs_err why = { 0 };
	size_t n, before, after;
	config_errors(f->cfg, &n, &before);
	int r = config_load_file(f->cfg, path, &why);
	config_errors(f->cfg, &n, &after);
	/* Errors inside the file are collected by the config object and
	 * reported with the environment's; a file that cannot be read at all
	 * (missing, a directory, unreadable) stops here. */
	if (r < 0 && after == before && !(r == -ENOENT && !path_explicit))
		return err_set(err, why.code, "%s", why.msg);
	(void)config_load_env(f->cfg, NULL);

	const char *const *warnings = config_warnings(f->cfg, &n, NULL);
	for (size_t i = 0; i < n; i++)
		log_warn("%s", warnings[i]);

	r = load_result(f->cfg, err);
	if (r < 0)
		return r;
	r = resolve_binaries(f, err);
	if (r < 0)
		return r;
	*out = TAKE_PTR(c);
	return 0;
}

void agent_config_free(struct agent_config *c)
{
	if (!c)
		return;
	struct agent_config_full *f = full_of(c);
	config_free(f->cfg);
	free(f->runtime_binary);
	free(f->shim_binary);
	free(f->init_binary);
	free(f->image_binary);
	free(f);
}

int agent_config_print(const struct agent_config *c, FILE *f, struct ecs_err *err)
{
	return config_write(full_of(c)->cfg, f, CONFIG_WRITE_ORIGIN, err);
}

/* Problems accumulate in a growing "; "-joined string. */
struct problems {
	char *text;
	size_t len;
	bool oom;
};

__attribute__((format(printf, 2, 3)))
static void problem(struct problems *p, const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;

	va_start(ap, fmt);
	int n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0) {
		p->oom = true;
		return;
	}
	char *grown = realloc(p->text, p->len + (size_t)n + 3);
	if (!grown) {
		free(msg);
		p->oom = true;
		return;
	}
	p->text = grown;
	if (p->len) {
		memcpy(p->text + p->len, "; ", 2);
		p->len += 2;
	}
	memcpy(p->text + p->len, msg, (size_t)n + 1);
	p->len += (size_t)n;
	free(msg);
}

static bool has_prefix_ci(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

static void check_url(const char *url, struct problems *p)
{
	if (!url) {
		problem(p, "ECS_CONTROLPLANE_URL is not set");
		return;
	}
	const char *host;
	if (has_prefix_ci(url, "http://"))
		host = url + strlen("http://");
	else if (has_prefix_ci(url, "https://"))
		host = url + strlen("https://");
	else {
		problem(p, "ECS_CONTROLPLANE_URL \"%s\" must start with http:// or https://", url);
		return;
	}
	if (*host == '\0' || *host == '/')
		problem(p, "ECS_CONTROLPLANE_URL \"%s\" names no host", url);
}

static void check_binary(const char *what, const char *key, const char *configured,
			 const char *resolved, struct problems *p)
{
	if (is_executable_file(resolved))
		return;
	if (configured)
		problem(p, "%s %s: %s", key, resolved,
			access(resolved, F_OK) == 0 ? "not an executable file" : "not found");
	else
		problem(p, "%s %s not found (set %s)", what, resolved, key);
}

/* Registry credentials are checked here, where a typo is reported at start,
 * rather than at the first pull. */
static void check_auth(const struct agent_config *c, struct problems *p)
{
	bool has_data = c->engine_auth_data && *c->engine_auth_data;
	if (c->engine_auth_type < 0) {
		if (has_data)
			problem(p, "ECS_ENGINE_AUTH_DATA is set without ECS_ENGINE_AUTH_TYPE");
		return;
	}
	struct registry_creds creds = { 0 };
	struct ecs_err why = { 0 };
	if (registry_creds_parse(agent_config_auth_type_name(c), c->engine_auth_data, &creds,
				 &why) < 0)
		problem(p, "ECS_ENGINE_AUTH_DATA: %s", err_msg(&why));
	registry_creds_clear(&creds);
}

int agent_config_check_runnable(const struct agent_config *c, struct ecs_err *err)
{
	const struct agent_config_full *f = full_of(c);
	struct problems p = { 0 };

	check_url(c->controlplane_url, &p);
	if (!c->datadir || c->datadir[0] != '/')
		problem(&p, "ECS_DATADIR \"%s\" is not an absolute path",
			c->datadir ? c->datadir : "");
	if (!c->cgroup_parent || c->cgroup_parent[0] != '/')
		problem(&p, "ECS_CGROUP_PARENT \"%s\" is not an absolute path",
			c->cgroup_parent ? c->cgroup_parent : "");

	if (f->runtime_binary)
		check_binary("runtime", "ECS_RUNTIME_PATH", c->runtime_path, f->runtime_binary, &p);
	else
		problem(&p, "runtime %s not found in PATH (set ECS_RUNTIME_PATH)",
			agent_config_runtime_name(c));
	check_binary("shim", "ECS_SHIM_PATH", c->shim_path, f->shim_binary, &p);
	check_binary("init", "ECS_INIT_PATH", c->init_path, f->init_binary, &p);
	check_binary("image helper", "ECS_IMAGE_HELPER_PATH", c->image_helper_path, f->image_binary,
		     &p);
	check_auth(c, &p);

	_cleanup_free_ char *text = p.text;
	if (p.oom)
		return err_set(err, ENOMEM, "out of memory");
	if (text)
		return err_set(err, EINVAL, "%s", text);
	return 0;
}

const char *agent_config_runtime_binary(const struct agent_config *c)
{
	return full_of(c)->runtime_binary;
}

const char *agent_config_runtime_name(const struct agent_config *c)
{
	return c->runtime == AGENT_RUNTIME_CRUN ? "crun" : "runc";
}

const char *agent_config_auth_type_name(const struct agent_config *c)
{
	return c->engine_auth_type >= 0 ? auth_types[c->engine_auth_type] : NULL;
}

const char *agent_config_pull_behavior_name(const struct agent_config *c)
{
	return pull_behaviors[c->pull_behavior >= 0 ? c->pull_behavior : AGENT_PULL_DEFAULT];
}

const char *agent_config_shim_binary(const struct agent_config *c)
{
	return full_of(c)->shim_binary;
}

const char *agent_config_init_binary(const struct agent_config *c)
{
	return full_of(c)->init_binary;
}

const char *agent_config_image_binary(const struct agent_config *c)
{
	return full_of(c)->image_binary;
}
