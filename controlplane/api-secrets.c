/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A minimal Secrets Manager: CreateSecret, DescribeSecret, GetSecretValue,
 * PutSecretValue, DeleteSecret, RestoreSecret and ListSecrets over the
 * secrets table, enough for ECS's repositoryCredentials (regcreds.c reads
 * the same table). One current version per secret (stage AWSCURRENT);
 * SecretBinary, KMS keys, rotation and replication are not supported.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api-secrets.h"
#include "ids.h"
#include "paginate.h"
#include "store-secrets.h"

#define SECRET_MAX_LEN 65536
#define DAY_MS (24LL * 3600 * 1000)

/* 1..512 of ASCII letters, digits and /_+=.@- */
static bool name_ok(const char *name)
{
	size_t len = strlen(name);
	if (len < 1 || len > 512)
		return false;
	for (size_t i = 0; i < len; i++) {
		char ch = name[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || strchr("/_+=.@-", ch)))
			return false;
	}
	return true;
}

static void w_date(struct json_writer *w, const char *key, int64_t ms)
{
	/* awsJson1_1 timestamps: seconds since the epoch, as a number. */
	json_w_key(w, key);
	json_w_double(w, (double)ms / 1000.0);
}

/* Start the call's transaction with expired deletions purged, so that no
 * operation sees a secret past its deletion date. */
static int begin(struct api_call *c)
{
	struct store *s = c->api->store;
	int r = store_begin(s, &c->ierr);
	if (r >= 0)
		r = store_secret_purge(s, c->now_ms, &c->ierr);
	return r;
}

static int commit(struct api_call *c)
{
	return store_commit(c->api->store, &c->ierr);
}

static int not_found(struct api_call *c)
{
	return api_fail(c, "ResourceNotFoundException",
			"Secrets Manager can't find the specified secret.");
}

/* The secret SecretId names; fails the call when there is none, or (unless
 * `marked_ok`) when it is marked for deletion. */
static int lookup(struct api_call *c, bool marked_ok, struct store_secret *out)
{
	const char *id;
	int r = param_string(c, c->in, "SecretId", true, &id);
	if (r < 0)
		return r;
	if (strlen(id) > 2048)
		return api_fail(c, "InvalidParameterException",
				"SecretId must be at most 2048 characters");
	struct ecs_err lerr = { 0 };
	r = store_secret_find(c->api->store, id, out, &lerr);
	if (r == -ENOENT)
		return not_found(c);
	if (r < 0)
		return err_set(&c->ierr, -r, "%s", err_msg(&lerr));
	if (out->deleted_ms && !marked_ok) {
		store_secret_clear(out);
		return api_fail(c, "InvalidRequestException",
				"You can't perform this operation on the secret because it was "
				"marked for deletion.");
	}
	return 0;
}

/* SecretString (required here: SecretBinary is not supported) and the
 * version id: ClientRequestToken when the client sent one (the CLI and
 * SDKs always do), else a fresh UUID. */
static int value_params(struct api_call *c, const char **value, const char **token,
			char uuid[ID_UUID_LEN + 1])
{
	const char *binary;
	int r = param_string(c, c->in, "SecretBinary", false, &binary);
	if (r >= 0 && binary)
		return api_fail(c, "InvalidParameterException",
				"SecretBinary is not supported by this control plane");
	if (r < 0 || (r = param_string(c, c->in, "SecretString", false, value)) < 0 ||
	    (r = param_string(c, c->in, "ClientRequestToken", false, token)) < 0)
		return r;
	if (*value && strlen(*value) > SECRET_MAX_LEN)
		return api_fail(c, "InvalidParameterException",
				"SecretString must be at most %d bytes", SECRET_MAX_LEN);
	if (*token && (strlen(*token) < 32 || strlen(*token) > 64))
		return api_fail(c, "InvalidParameterException",
				"ClientRequestToken must be 32 to 64 characters");
	if (!*token) {
		id_uuid4(uuid);
		*token = uuid;
	}
	return 0;
}

int api_sm_create_secret(struct api_call *c)
{
	const char *name, *description, *value, *token;
	char uuid[ID_UUID_LEN + 1];
	int r = param_string(c, c->in, "Name", true, &name);
	if (r < 0 || (r = param_string(c, c->in, "Description", false, &description)) < 0 ||
	    (r = value_params(c, &value, &token, uuid)) < 0)
		return r;
	if (!name_ok(name))
		return api_fail(c, "InvalidParameterException",
				"Invalid name: 1 to 512 characters of letters, digits and /_+=.@-");
	if (description && strlen(description) > 2048)
		return api_fail(c, "InvalidParameterException",
				"Description must be at most 2048 characters");

	char suffix[7];
	id_random_alnum(suffix, 6);
	_cleanup_free_ char *arn = NULL;
	if (asprintf(&arn, "arn:aws:secretsmanager:%s:%s:secret:%s-%s", c->api->region,
		     c->api->account_id, name, suffix) < 0)
		return err_set(&c->ierr, ENOMEM, "out of memory");

	if ((r = begin(c)) < 0)
		return r;
	struct store_secret sec = {
		.name = (char *)name,
		.arn = arn,
		.description = (char *)description,
		.secret_string = (char *)value,
		.version_id = (char *)token,
		.created_ms = c->now_ms,
	};
	struct store_secret old;
	struct ecs_err lerr = { 0 };
	r = store_secret_find(c->api->store, name, &old, &lerr);
	if (r >= 0) {
		bool marked = old.deleted_ms != 0;
		bool same_name = strcmp(old.name, name) == 0;
		store_secret_clear(&old);
		if (marked && same_name)
			return api_fail(c, "InvalidRequestException",
					"You can't create this secret because a secret with this "
					"name is already scheduled for deletion.");
	}
	int64_t id;
	r = store_secret_insert(c->api->store, &sec, &id, &c->ierr);
	if (r == -EEXIST)
		return api_fail(c, "ResourceExistsException",
				"The operation failed because the secret %s already exists.", name);
	if (r < 0 || (r = commit(c)) < 0)
		return r;
	json_w_member(c->out, "ARN", arn);
	json_w_member(c->out, "Name", name);
	if (value)
		json_w_member(c->out, "VersionId", token);
	return 0;
}

int api_sm_get_secret_value(struct api_call *c)
{
	const char *version_id, *stage;
	int r = param_string(c, c->in, "VersionId", false, &version_id);
	if (r < 0 || (r = param_string(c, c->in, "VersionStage", false, &stage)) < 0)
		return r;
	if ((r = begin(c)) < 0)
		return r;
	struct store_secret sec;
	if ((r = lookup(c, false, &sec)) < 0 || (r = commit(c)) < 0)
		return r;
	/* Only the current version is kept. */
	if (!sec.secret_string || (version_id && strcmp(version_id, sec.version_id) != 0) ||
	    (stage && strcmp(stage, "AWSCURRENT") != 0)) {
		store_secret_clear(&sec);
		return api_fail(c, "ResourceNotFoundException",
				"Secrets Manager can't find the specified secret value for "
				"staging label: %s", stage ? stage : "AWSCURRENT");
	}
	json_w_member(c->out, "ARN", sec.arn);
	json_w_member(c->out, "Name", sec.name);
	json_w_member(c->out, "VersionId", sec.version_id);
	json_w_member(c->out, "SecretString", sec.secret_string);
	json_w_key(c->out, "VersionStages");
	json_w_array_begin(c->out);
	json_w_string(c->out, "AWSCURRENT");
	json_w_array_end(c->out);
	w_date(c->out, "CreatedDate", sec.changed_ms);
	store_secret_clear(&sec);
	return 0;
}

int api_sm_put_secret_value(struct api_call *c)
{
	const char *value, *token;
	char uuid[ID_UUID_LEN + 1];
	int r = value_params(c, &value, &token, uuid);
	if (r < 0)
		return r;
	if (!value)
		return api_fail(c, "InvalidParameterException",
				"You must provide either SecretString or SecretBinary.");
	if ((r = begin(c)) < 0)
		return r;
	struct store_secret sec;
	if ((r = lookup(c, false, &sec)) < 0)
		return r;
	r = store_secret_put_value(c->api->store, sec.id, value, token, c->now_ms, &c->ierr);
	if (r >= 0 && (r = commit(c)) >= 0) {
		json_w_member(c->out, "ARN", sec.arn);
		json_w_member(c->out, "Name", sec.name);
		json_w_member(c->out, "VersionId", token);
		json_w_key(c->out, "VersionStages");
		json_w_array_begin(c->out);
		json_w_string(c->out, "AWSCURRENT");
		json_w_array_end(c->out);
	}
	store_secret_clear(&sec);
	return r;
}

int api_sm_delete_secret(struct api_call *c)
{
	bool force = false, force_given, days_given;
	int64_t days = 30;
	int r = param_bool(c, c->in, "ForceDeleteWithoutRecovery", &force_given, &force);
	if (r < 0 || (r = param_int(c, c->in, "RecoveryWindowInDays", 7, 30, &days_given,
				    &days)) < 0)
		return r;
	if (force && days_given)
		return api_fail(c, "InvalidParameterException",
				"You can't use ForceDeleteWithoutRecovery in conjunction with "
				"RecoveryWindowInDays.");
	if (!days_given)
		days = 30;
	if ((r = begin(c)) < 0)
		return r;
	struct store_secret sec;
	if ((r = lookup(c, force, &sec)) < 0)
		return r;
	int64_t deletion = force ? c->now_ms : c->now_ms + days * DAY_MS;
	if (force)
		r = store_secret_delete(c->api->store, sec.id, &c->ierr);
	else
		r = store_secret_mark_deleted(c->api->store, sec.id, c->now_ms, deletion,
					      &c->ierr);
	if (r >= 0 && (r = commit(c)) >= 0) {
		json_w_member(c->out, "ARN", sec.arn);
		json_w_member(c->out, "Name", sec.name);
		w_date(c->out, "DeletionDate", deletion);
	}
	store_secret_clear(&sec);
	return r;
}

int api_sm_restore_secret(struct api_call *c)
{
	int r = begin(c);
	if (r < 0)
		return r;
	struct store_secret sec;
	if ((r = lookup(c, true, &sec)) < 0)
		return r;
	if (sec.deleted_ms)
		r = store_secret_restore(c->api->store, sec.id, c->now_ms, &c->ierr);
	if (r >= 0 && (r = commit(c)) >= 0) {
		json_w_member(c->out, "ARN", sec.arn);
		json_w_member(c->out, "Name", sec.name);
	}
	store_secret_clear(&sec);
	return r;
}

static void w_secret_meta(struct json_writer *w, const struct store_secret *sec)
{
	json_w_member(w, "ARN", sec->arn);
	json_w_member(w, "Name", sec->name);
	if (sec->description)
		json_w_member(w, "Description", sec->description);
	w_date(w, "CreatedDate", sec->created_ms);
	w_date(w, "LastChangedDate", sec->changed_ms);
	if (sec->deleted_ms)
		w_date(w, "DeletedDate", sec->deleted_ms);
	if (sec->secret_string) {
		json_w_key(w, "SecretVersionsToStages");
		json_w_object_begin(w);
		json_w_key(w, sec->version_id);
		json_w_array_begin(w);
		json_w_string(w, "AWSCURRENT");
		json_w_array_end(w);
		json_w_object_end(w);
	}
}

int api_sm_describe_secret(struct api_call *c)
{
	int r = begin(c);
	if (r < 0)
		return r;
	struct store_secret sec;
	if ((r = lookup(c, true, &sec)) < 0 || (r = commit(c)) < 0)
		return r;
	w_secret_meta(c->out, &sec);
	store_secret_clear(&sec);
	return 0;
}

int api_sm_list_secrets(struct api_call *c)
{
	bool given, include_deleted = false;
	int64_t limit = 100;
	const char *token;
	int r = param_int(c, c->in, "MaxResults", 1, 100, &given, &limit);
	if (r < 0 ||
	    (r = param_bool(c, c->in, "IncludePlannedDeletion", &given, &include_deleted)) < 0 ||
	    (r = param_string(c, c->in, "NextToken", false, &token)) < 0)
		return r;
	_cleanup_free_ char *after = NULL;
	if (token) {
		struct ecs_err perr = { 0 };
		r = page_token_decode(c->op, token, &after, &perr);
		if (r == -ENOMEM)
			return err_set(&c->ierr, ENOMEM, "out of memory");
		if (r < 0)
			return api_fail(c, "InvalidNextTokenException", "Invalid NextToken: %s",
					err_msg(&perr));
	}
	if ((r = begin(c)) < 0)
		return r;
	struct store_secret_list l;
	bool more;
	r = store_secret_list(c->api->store, after, (size_t)limit, include_deleted, &l, &more,
			      &c->ierr);
	if (r < 0 || (r = commit(c)) < 0)
		return r;
	json_w_key(c->out, "SecretList");
	json_w_array_begin(c->out);
	for (size_t i = 0; i < l.n; i++) {
		json_w_object_begin(c->out);
		w_secret_meta(c->out, &l.items[i]);
		json_w_object_end(c->out);
	}
	json_w_array_end(c->out);
	if (more && l.n) {
		_cleanup_free_ char *next = page_token_encode(c->op, l.items[l.n - 1].name);
		if (!next)
			r = err_set(&c->ierr, ENOMEM, "out of memory");
		else
			json_w_member(c->out, "NextToken", next);
	}
	store_secret_list_clear(&l);
	return r;
}
