/* SPDX-License-Identifier: Apache-2.0 */
/* What a container runs: the image config merged with the container
 * definition as Docker merges them. */
#include "autoconf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "command.h"

static size_t strv_len(char *const *v)
{
	size_t n = 0;
	while (v && v[n])
		n++;
	return n;
}

void command_strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

static int push(char ***v, size_t *n, const char *s)
{
	char **grown = realloc(*v, (*n + 2) * sizeof(**v));
	if (!grown)
		return -ENOMEM;
	*v = grown;
	grown[*n] = strdup(s);
	if (!grown[*n])
		return -ENOMEM;
	grown[++*n] = NULL;
	return 0;
}

int command_args(char *const *img_entrypoint, char *const *img_cmd, const struct td_strv *entry,
		 const struct td_strv *cmd, char ***out, struct ecs_err *err)
{
	char **v = NULL;
	size_t n = 0;
	int r = 0;
	/* An entryPoint in the definition replaces the image's and, as with
	 * `docker run --entrypoint`, drops the image's Cmd too. */
	if (entry->set && entry->count > 0) {
		for (size_t i = 0; r >= 0 && i < entry->count; i++)
			r = push(&v, &n, entry->items[i]);
	} else {
		for (size_t i = 0; r >= 0 && i < strv_len(img_entrypoint); i++)
			r = push(&v, &n, img_entrypoint[i]);
	}
	if (cmd->set && cmd->count > 0) {
		for (size_t i = 0; r >= 0 && i < cmd->count; i++)
			r = push(&v, &n, cmd->items[i]);
	} else if (!(entry->set && entry->count > 0)) {
		for (size_t i = 0; r >= 0 && i < strv_len(img_cmd); i++)
			r = push(&v, &n, img_cmd[i]);
	}
	if (r < 0) {
		command_strv_free(v);
		return err_set(err, ENOMEM, "building the command line");
	}
	if (n == 0) {
		command_strv_free(v);
		return err_set(err, EINVAL,
			       "no command specified: the image has no Entrypoint or Cmd and the "
			       "container definition no entryPoint or command");
	}
	*out = v;
	return 0;
}

/* Index of "KEY=" in v, or -1. */
static long env_find(char **v, size_t n, const char *key, size_t klen)
{
	for (size_t i = 0; i < n; i++)
		if (strncmp(v[i], key, klen) == 0 && v[i][klen] == '=')
			return (long)i;
	return -1;
}

static int env_set(char ***v, size_t *n, const char *key, size_t klen, const char *value)
{
	char *kv = NULL;
	if (asprintf(&kv, "%.*s=%s", (int)klen, key, value) < 0)
		return -ENOMEM;
	long at = env_find(*v, *n, key, klen);
	if (at >= 0) {
		free((*v)[at]);
		(*v)[at] = kv;
		return 0;
	}
	int r = push(v, n, kv);
	free(kv);
	return r;
}

int command_env(char *const *img_env, const struct td_container *td, const char *hostname,
		char ***out, struct ecs_err *err)
{
	char **v = NULL;
	size_t n = 0;
	int r = 0;
	for (size_t i = 0; r >= 0 && i < strv_len(img_env); i++) {
		const char *eq = strchr(img_env[i], '=');
		if (!eq)
			continue;
		r = env_set(&v, &n, img_env[i], (size_t)(eq - img_env[i]), eq + 1);
	}
	for (size_t i = 0; r >= 0 && i < td->environment.count; i++) {
		const struct td_key_value *kv = &td->environment.items[i];
		if (!kv->name)
			continue;
		r = env_set(&v, &n, kv->name, strlen(kv->name), kv->value ? kv->value : "");
	}
	/* Docker always provides PATH and HOSTNAME. */
	if (r >= 0 && env_find(v, n, "PATH", 4) < 0)
		r = env_set(&v, &n, "PATH", 4,
			    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	if (r >= 0 && hostname && env_find(v, n, "HOSTNAME", 8) < 0)
		r = env_set(&v, &n, "HOSTNAME", 8, hostname);
	if (r < 0) {
		command_strv_free(v);
		return err_set(err, ENOMEM, "building the environment");
	}
	*out = v;
	return 0;
}
