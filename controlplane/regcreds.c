/* SPDX-License-Identifier: Apache-2.0 */
/* Registry credentials of a task's containers, from Secrets Manager. */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "json.h"
#include "regcreds.h"
#include "store-secrets.h"

void regcred_list_clear(struct regcred_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++) {
		struct regcred *c = &l->items[i];
		free(c->container_name);
		free(c->parameter);
		if (c->password)
			explicit_bzero(c->password, strlen(c->password));
		free(c->username);
		free(c->password);
		free(c->error);
	}
	free(l->items);
	memset(l, 0, sizeof(*l));
}

int regcred_from_taskdef(const char *taskdef_json, size_t len, struct regcred_list *out,
			 struct ecs_err *err)
{
	memset(out, 0, sizeof(*out));
	_cleanup_(json_doc_freep) struct json_doc *doc = json_parse(taskdef_json, len, err);
	if (!doc)
		return -EINVAL;
	const json_node *root = json_root(doc);
	if (json_type(root) != JSON_OBJECT)
		return err_set(err, EINVAL, "task definition is not a JSON object");
	const json_node *defs = json_get(root, "containerDefinitions");
	size_t n = json_array_size(defs);
	if (n == 0)
		return 0;
	out->items = calloc(n, sizeof(*out->items));
	if (!out->items)
		return err_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const json_node *c = json_array_get(defs, i);
		const char *name = json_string(json_get(c, "name"));
		const char *param = json_string(
			json_get(json_get(c, "repositoryCredentials"), "credentialsParameter"));
		if (!name || !param)
			continue;
		struct regcred *rc = &out->items[out->n];
		rc->container_name = strdup(name);
		rc->parameter = strdup(param);
		out->n++;
		if (!rc->container_name || !rc->parameter) {
			regcred_list_clear(out);
			return err_set(err, ENOMEM, "out of memory");
		}
	}
	return 0;
}

int regcred_parse_secret(const char *text, size_t len, char **username, char **password,
			 struct ecs_err *err)
{
	*username = *password = NULL;
	/* The parser's message could quote the secret: say only what is wrong. */
	struct ecs_err perr = { 0 };
	_cleanup_(json_doc_freep) struct json_doc *doc = json_parse(text, len, &perr);
	const json_node *root = doc ? json_root(doc) : NULL;
	if (json_type(root) != JSON_OBJECT)
		return err_set(err, EINVAL,
			       "the secret is not a JSON object with username and password");
	const char *u = json_string(json_get(root, "username"));
	const char *p = json_string(json_get(root, "password"));
	if (!u || !*u)
		return err_set(err, EINVAL, "the secret has no username string");
	if (!p || !*p)
		return err_set(err, EINVAL, "the secret has no password string");
	*username = strdup(u);
	*password = strdup(p);
	if (!*username || !*password) {
		free(*username);
		free(*password);
		*username = *password = NULL;
		return err_set(err, ENOMEM, "out of memory");
	}
	return 0;
}

static int resolve_one(struct store *s, struct regcred *c, struct ecs_err *err)
{
	struct store_secret sec;
	struct ecs_err lerr = { 0 };
	int r = store_secret_find(s, c->parameter, &sec, &lerr);
	const char *problem = NULL;
	if (r == -ENOENT)
		problem = "Secrets Manager can't find the specified secret";
	else if (r < 0)
		return err_set(err, -r, "%s", err_msg(&lerr));
	else if (sec.deleted_ms)
		problem = "the secret is marked for deletion";
	else if (!sec.secret_string)
		problem = "the secret has no SecretString";
	if (!problem) {
		r = regcred_parse_secret(sec.secret_string, strlen(sec.secret_string),
					 &c->username, &c->password, &lerr);
		if (r == -ENOMEM)
			err_set(err, ENOMEM, "out of memory");
		else if (r < 0)
			problem = err_msg(&lerr);
	}
	if (problem && !(c->error = strdup(problem)))
		r = err_set(err, ENOMEM, "out of memory");
	else if (problem)
		r = 0;
	if (sec.secret_string)
		explicit_bzero(sec.secret_string, strlen(sec.secret_string));
	store_secret_clear(&sec);
	return r;
}

int regcred_resolve(struct store *s, struct regcred_list *l, struct ecs_err *err)
{
	for (size_t i = 0; i < l->n; i++) {
		int r = resolve_one(s, &l->items[i], err);
		if (r < 0)
			return r;
	}
	return 0;
}
