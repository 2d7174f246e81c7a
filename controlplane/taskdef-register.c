/* SPDX-License-Identifier: Apache-2.0 */
/* A RegisterTaskDefinition request made into the stored TaskDefinition:
 * registration members, compatibilities and ECS's defaults. */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "taskdef-register.h"

static int strv_push(struct td_strv *v, const char *s)
{
	char **items = realloc(v->items, (v->count + 1) * sizeof(*items));
	if (!items)
		return -ENOMEM;
	v->items = items;
	if (!(items[v->count] = strdup(s)))
		return -ENOMEM;
	v->count++;
	v->set = true;
	return 0;
}

static int set_string(char **dst, const char *s)
{
	char *copy = strdup(s);
	if (!copy)
		return -ENOMEM;
	free(*dst);
	*dst = copy;
	return 0;
}

static void set_int(struct td_int *v, int64_t value)
{
	if (!v->set)
		*v = (struct td_int){ .value = value, .set = true };
}

/* Whether the definition also meets the FARGATE rules: run the shared
 * validator once more as if it required FARGATE. */
static int fargate_valid(struct taskdef *td, bool *valid)
{
	*valid = taskdef_requires(td, "FARGATE");
	if (*valid || taskdef_network_mode(td) != TD_NET_AWSVPC)
		return 0;
	struct td_strv saved = td->requires_compatibilities;
	struct td_strv trial = { 0 };
	for (size_t i = 0; i < saved.count; i++)
		if (strv_push(&trial, saved.items[i]) < 0)
			goto oom;
	if (strv_push(&trial, "FARGATE") < 0)
		goto oom;
	td->requires_compatibilities = trial;
	struct td_problems problems = { 0 };
	int r = taskdef_validate(td, &problems);
	td->requires_compatibilities = saved;
	td_problems_free(&problems);
	for (size_t i = 0; i < trial.count; i++)
		free(trial.items[i]);
	free(trial.items);
	if (r == -ENOMEM)
		return r;
	*valid = r == 0;
	return 0;
oom:
	for (size_t i = 0; i < trial.count; i++)
		free(trial.items[i]);
	free(trial.items);
	return -ENOMEM;
}

int tdreg_compatibilities(struct taskdef *td)
{
	bool fargate;
	int r = fargate_valid(td, &fargate);
	if (r < 0)
		return r;
	/* ECS Anywhere (EXTERNAL) runs bridge, host and none tasks; awsvpc
	 * needs an ENI, which only EC2 and Fargate have. */
	bool external = taskdef_network_mode(td) != TD_NET_AWSVPC;
	struct td_strv *v = &td->compatibilities;
	for (size_t i = 0; i < v->count; i++)
		free(v->items[i]);
	free(v->items);
	*v = (struct td_strv){ .set = true };
	if ((external && strv_push(v, "EXTERNAL") < 0) || strv_push(v, "EC2") < 0 ||
	    (fargate && strv_push(v, "FARGATE") < 0))
		return -ENOMEM;
	return 0;
}

static int fill_container(struct td_container *c, enum td_network_mode mode)
{
	set_int(&c->cpu, 0);
	if (!c->essential.set)
		c->essential = (struct td_bool){ .value = true, .set = true };
	c->port_mappings.set = true;
	c->environment.set = true;
	c->mount_points.set = true;
	c->volumes_from.set = true;
	c->system_controls.set = true;

	for (size_t i = 0; i < c->port_mappings.count; i++) {
		struct td_port_mapping *pm = &c->port_mappings.items[i];
		if (!pm->protocol && set_string(&pm->protocol, "tcp") < 0)
			return -ENOMEM;
		/* host and awsvpc tasks use the container port on the host;
		 * bridge maps it to 0, a dynamic host port. */
		if (pm->container_port.set && !pm->host_port.set)
			set_int(&pm->host_port,
				mode == TD_NET_BRIDGE ? 0 : pm->container_port.value);
	}
	if (c->health_check) {
		set_int(&c->health_check->interval, 30);
		set_int(&c->health_check->timeout, 5);
		set_int(&c->health_check->retries, 3);
	}
	return 0;
}

int tdreg_fill_defaults(struct taskdef *td)
{
	enum td_network_mode mode = taskdef_network_mode(td);
	td->volumes.set = true;
	td->placement_constraints.set = true;
	for (size_t i = 0; i < td->containers.count; i++)
		if (fill_container(&td->containers.items[i], mode) < 0)
			return -ENOMEM;
	/* A volume with no configuration is a host volume whose directory
	 * Docker chooses; ECS shows it as "host": {}. */
	for (size_t i = 0; i < td->volumes.count; i++) {
		struct td_volume *v = &td->volumes.items[i];
		if (!v->host && !v->docker_volume_configuration && !v->efs_volume_configuration &&
		    !v->fsx_windows_file_server_volume_configuration &&
		    !(v->host = calloc(1, sizeof(*v->host))))
			return -ENOMEM;
	}
	return 0;
}

static void drop_tags(struct taskdef *td)
{
	for (size_t i = 0; i < td->tags.count; i++) {
		free(td->tags.items[i].key);
		free(td->tags.items[i].value);
	}
	free(td->tags.items);
	memset(&td->tags, 0, sizeof(td->tags));
}

int tdreg_complete(struct taskdef *td, const struct tdreg_info *info, struct ecs_err *err)
{
	if (taskdef_requires(td, "EXTERNAL") && taskdef_network_mode(td) == TD_NET_AWSVPC)
		return err_set(err, EINVAL,
			       "requiresCompatibilities: EXTERNAL does not support networkMode awsvpc");

	/* Compatibilities look at the definition as the user wrote it. */
	if (tdreg_compatibilities(td) < 0)
		return err_set(err, ENOMEM, "out of memory");

	drop_tags(td);
	if (set_string(&td->task_definition_arn, info->arn) < 0 ||
	    set_string(&td->status, "ACTIVE") < 0 ||
	    set_string(&td->registered_by, info->registered_by) < 0)
		return err_set(err, ENOMEM, "out of memory");
	td->revision = (struct td_int){ .value = info->revision, .set = true };
	td->registered_at = (struct td_time){ .value = (double)info->registered_ms / 1000.0,
					      .set = true };
	td->deregistered_at = (struct td_time){ 0 };

	if (tdreg_requires_attributes(td) < 0 || tdreg_fill_defaults(td) < 0)
		return err_set(err, ENOMEM, "out of memory");
	return 0;
}
