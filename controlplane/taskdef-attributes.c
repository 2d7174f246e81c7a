/* SPDX-License-Identifier: Apache-2.0 */
/*
 * requiresAttributes: the container-instance attributes a task definition
 * needs, under the names the ECS agent advertises. The rules follow the ECS
 * model's own notes ("This parameter requires version 1.18 of the Docker
 * Remote API...") and the capabilities the agent reports for each feature;
 * docs/controlplane.md has the table. Placement matches these names against
 * the instance's attributes, so a rule here is a promise the agent side
 * must keep by advertising the attribute when it has the feature.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "taskdef-register.h"

#define ATTR_DOCKER(v) "com.amazonaws.ecs.capability.docker-remote-api." v
#define ATTR_CAP(n) "com.amazonaws.ecs.capability." n
#define ATTR_ECS(n) "ecs.capability." n

struct attr_set {
	struct taskdef *td;
	int rc; /* -ENOMEM once an append failed */
};

static void add(struct attr_set *a, const char *name)
{
	if (a->rc < 0)
		return;
	struct taskdef *td = a->td;
	for (size_t i = 0; i < td->requires_attributes.count; i++)
		if (strcmp(td->requires_attributes.items[i].name, name) == 0)
			return;
	struct td_attribute *items = realloc(td->requires_attributes.items,
					     (td->requires_attributes.count + 1) * sizeof(*items));
	if (!items) {
		a->rc = -ENOMEM;
		return;
	}
	td->requires_attributes.items = items;
	items[td->requires_attributes.count] = (struct td_attribute){ .name = strdup(name) };
	if (!items[td->requires_attributes.count].name) {
		a->rc = -ENOMEM;
		return;
	}
	td->requires_attributes.count++;
}

/* prefix + suffix, for attribute names that carry a driver or type. */
static void add2(struct attr_set *a, const char *prefix, const char *suffix)
{
	char name[512];
	if (!suffix || !suffix[0])
		return;
	snprintf(name, sizeof(name), "%s%s", prefix, suffix);
	add(a, name);
}

static bool flag(const struct td_bool *b)
{
	return b->set && b->value;
}

/* Secrets come from Secrets Manager (an ARN of that service) or from SSM
 * Parameter Store (an SSM ARN or a bare parameter name). */
static bool from_secrets_manager(const char *value_from)
{
	return value_from && strstr(value_from, ":secretsmanager:") != NULL;
}

static void add_secrets(struct attr_set *a, const struct td_secret *items, size_t n,
			const char *kind)
{
	char name[128];
	for (size_t i = 0; i < n; i++) {
		snprintf(name, sizeof(name), ATTR_ECS("secrets.%s.%s"),
			 from_secrets_manager(items[i].value_from) ? "asm" : "ssm", kind);
		add(a, name);
	}
}

/* "123456789012.dkr.ecr.us-east-1.amazonaws.com/repo:tag" */
static bool ecr_image(const char *image)
{
	const char *slash = image ? strchr(image, '/') : NULL;
	if (!slash)
		return false;
	const char *ecr = strstr(image, ".dkr.ecr.");
	const char *aws = strstr(image, ".amazonaws.com");
	return ecr && aws && ecr < slash && aws < slash;
}

static void add_logging(struct attr_set *a, const struct taskdef *td,
			const struct td_log_configuration *log)
{
	if (!log)
		return;
	add(a, ATTR_DOCKER("1.18"));
	add2(a, ATTR_CAP("logging-driver."), log->log_driver);
	if (log->options.count > 0)
		add(a, ATTR_DOCKER("1.19"));
	if (log->log_driver && strcmp(log->log_driver, "awslogs") == 0 && td->execution_role_arn)
		add(a, ATTR_ECS("execution-role-awslogs"));
	add_secrets(a, log->secret_options.items, log->secret_options.count, "bootstrap.log-driver");
}

static void add_container(struct attr_set *a, const struct taskdef *td,
			  const struct td_container *c)
{
	if (flag(&c->privileged))
		add(a, ATTR_CAP("privileged-container"));
	if (c->docker_labels.count > 0 || c->ulimits.count > 0)
		add(a, ATTR_DOCKER("1.18"));
	add_logging(a, td, c->log_configuration);
	if (c->memory_reservation.set)
		add(a, ATTR_DOCKER("1.21"));
	if (c->linux_parameters && flag(&c->linux_parameters->init_process_enabled))
		add(a, ATTR_DOCKER("1.25"));
	if (c->health_check)
		add(a, ATTR_ECS("container-health-check"));
	if (c->depends_on.count > 0)
		add(a, ATTR_ECS("container-ordering"));
	add_secrets(a, c->secrets.items, c->secrets.count, "environment-variables");
	if (c->repository_credentials)
		add(a, ATTR_ECS("private-registry-authentication.secretsmanager"));
	if (ecr_image(c->image)) {
		add(a, ATTR_CAP("ecr-auth"));
		if (td->execution_role_arn)
			add(a, ATTR_ECS("execution-role-ecr-pull"));
	}
	if (c->environment_files.count > 0)
		add(a, ATTR_ECS("env-files.s3"));
	if (c->firelens_configuration) {
		const struct td_firelens_configuration *f = c->firelens_configuration;
		add2(a, ATTR_ECS("firelens."), f->type);
		add2(a, ATTR_ECS("firelens.options.config."),
		     td_map_get(&f->options, "config-file-type"));
	}
	for (size_t i = 0; i < c->docker_security_options.count; i++) {
		const char *opt = c->docker_security_options.items[i];
		if (strncmp(opt, "label:", 6) == 0 || strncmp(opt, "label=", 6) == 0)
			add(a, ATTR_CAP("selinux"));
		else if (strncmp(opt, "apparmor:", 9) == 0 || strncmp(opt, "apparmor=", 9) == 0)
			add(a, ATTR_CAP("apparmor"));
	}
	for (size_t i = 0; i < c->port_mappings.count; i++)
		if (c->port_mappings.items[i].container_port_range)
			add(a, ATTR_ECS("container-port-range"));
}

static void add_volume(struct attr_set *a, const struct td_volume *v)
{
	const struct td_docker_volume *dv = v->docker_volume_configuration;
	const struct td_efs_volume *efs = v->efs_volume_configuration;

	/* "local" is built into Docker; any other driver is a plugin the
	 * agent must have found. */
	if (dv && dv->driver && strcmp(dv->driver, "local") != 0)
		add2(a, ATTR_ECS("docker-plugin."), dv->driver);
	if (efs) {
		add(a, ATTR_ECS("efs"));
		bool tls = efs->transit_encryption && strcmp(efs->transit_encryption, "ENABLED") == 0;
		if (tls || efs->authorization_config)
			add(a, ATTR_ECS("efsAuth"));
	}
	if (v->fsx_windows_file_server_volume_configuration)
		add(a, ATTR_ECS("fsxWindowsFileServer"));
}

int tdreg_requires_attributes(struct taskdef *td)
{
	struct attr_set a = { .td = td };
	enum td_network_mode mode = taskdef_network_mode(td);

	td->requires_attributes.set = true;
	if (td->task_role_arn) {
		add(&a, ATTR_CAP("task-iam-role"));
		if (mode == TD_NET_HOST)
			add(&a, ATTR_CAP("task-iam-role-network-host"));
	}
	if (mode == TD_NET_AWSVPC)
		add(&a, ATTR_ECS("task-eni"));
	if (td->cpu || td->memory)
		add(&a, ATTR_ECS("task-cpu-mem-limit"));
	if (td->pid_mode || td->ipc_mode)
		add(&a, ATTR_ECS("pid-ipc-namespace-sharing"));
	if (td->proxy_configuration)
		add(&a, ATTR_ECS("aws-appmesh"));
	for (size_t i = 0; i < td->containers.count; i++)
		add_container(&a, td, &td->containers.items[i]);
	for (size_t i = 0; i < td->volumes.count; i++)
		add_volume(&a, &td->volumes.items[i]);
	return a.rc;
}
