/* SPDX-License-Identifier: Apache-2.0 */
/* Members of a task definition this agent cannot honour yet. A task using
 * one fails with a reason naming it rather than running without it: never
 * silently ignore a field. (The control plane only places such tasks here
 * when it does not check requiresAttributes; these are the same features
 * the registration does not advertise.) */
#include "autoconf.h"

#include <stdio.h>

#include "engine-internal.h"

static const char *container_feature(const struct td_container *c)
{
	if (c->health_check)
		return "healthCheck";
	if (c->depends_on.count)
		return "dependsOn";
	if (c->secrets.count)
		return "secrets";
	if (c->environment_files.count)
		return "environmentFiles";
	if (c->firelens_configuration)
		return "firelensConfiguration";
	if (c->resource_requirements.count)
		return "resourceRequirements";
	if (c->links.count)
		return "links";
	if (c->pseudo_terminal.set && c->pseudo_terminal.value)
		return "pseudoTerminal";
	if (c->interactive.set && c->interactive.value)
		return "interactive";
	if (c->log_configuration && c->log_configuration->secret_options.count)
		return "logConfiguration.secretOptions";
	return NULL;
}

bool features_unsupported(const struct taskdef *td, char *why, size_t size)
{
	const char *what = NULL;
	if (td->pid_mode)
		what = "pidMode";
	else if (td->ipc_mode)
		what = "ipcMode";
	else if (td->proxy_configuration)
		what = "proxyConfiguration";
	else if (td->inference_accelerators.count)
		what = "inferenceAccelerators";
	if (what) {
		snprintf(why, size, "CannotCreateContainerError: %s is not supported by this agent",
			 what);
		return true;
	}
	for (size_t i = 0; i < td->containers.count; i++) {
		const struct td_container *c = &td->containers.items[i];
		if ((what = container_feature(c))) {
			snprintf(why, size,
				 "CannotCreateContainerError: container %s: %s is not supported by "
				 "this agent", c->name, what);
			return true;
		}
	}
	return false;
}
