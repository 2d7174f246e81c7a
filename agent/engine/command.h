/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/* Docker's merge of an image config with a container definition. */
#include "error.h"
#include "taskdef.h"

/* argv (NULL-terminated, malloc'd): entryPoint or the image's Entrypoint,
 * then command or (when entryPoint was not overridden) the image's Cmd.
 * -EINVAL when nothing is left to run. */
int command_args(char *const *img_entrypoint, char *const *img_cmd, const struct td_strv *entry,
		 const struct td_strv *cmd, char ***out, struct ecs_err *err);
/* Environment: the image's, then `environment` (a name given twice: the
 * later wins), plus PATH and HOSTNAME when missing. */
int command_env(char *const *img_env, const struct td_container *td, const char *hostname,
		char ***out, struct ecs_err *err);
void command_strv_free(char **v);
