/* SPDX-License-Identifier: Apache-2.0 */
/* Crash-safe agent state: the outbox of state changes waiting for the
 * control plane's acknowledgement. */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "state-internal.h"

int state_outbox_add(struct state *s, const char *task_arn, uint64_t sequence,
		     const uint8_t *payload, size_t len, struct ecs_err *err)
{
	static const char sql[] = "INSERT INTO outbox (task_arn, sequence, payload) VALUES (?, ?, ?)";
	if (!task_arn)
		return err_set(err, EINVAL, "queueing state change: no task ARN");
	if (len > INT32_MAX)
		return err_set(err, EFBIG, "queueing state change: payload of %zu bytes", len);
	sqlite3_stmt *st;
	int r = state_stmt(s, sql, &st, err);
	if (r < 0)
		return r;
	struct state_binder b = { .st = st };
	state_bind_text(&b, task_arn);
	state_bind_int(&b, (int64_t)sequence);
	/* A NULL pointer would bind SQL NULL; an empty payload is a blob. */
	int rc = len ? sqlite3_bind_blob(st, ++b.i, payload, (int)len, SQLITE_STATIC)
		     : sqlite3_bind_zeroblob(st, ++b.i, 0);
	if (b.rc == SQLITE_OK)
		b.rc = rc;
	r = state_bind_check(&b, err);
	if (r >= 0)
		r = state_step_done(s, st, err, "queueing state change");
	return r < 0 ? STATE_WRAP(err, r, "task %s", task_arn) : 0;
}

void state_outbox_items_free(struct state_outbox_item *items, size_t n)
{
	for (size_t i = 0; items && i < n; i++) {
		free(items[i].task_arn);
		free(items[i].payload);
	}
	free(items);
}

int state_outbox_peek(struct state *s, size_t max, struct state_outbox_item **out, size_t *n,
		      struct ecs_err *err)
{
	static const char sql[] =
		"SELECT id, task_arn, sequence, payload FROM outbox ORDER BY id LIMIT ?";
	*out = NULL;
	*n = 0;
	if (max == 0)
		return 0;
	sqlite3_stmt *st;
	int r = state_stmt(s, sql, &st, err);
	if (r < 0)
		return r;
	struct state_binder b = { .st = st };
	state_bind_int(&b, max > INT64_MAX ? INT64_MAX : (int64_t)max);
	r = state_bind_check(&b, err);
	if (r < 0)
		return r;

	struct state_outbox_item *items = NULL;
	size_t count = 0, cap = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (count == cap) {
			cap = cap ? cap * 2 : (max < 16 ? max : 16);
			struct state_outbox_item *grown = realloc(items, cap * sizeof(*grown));
			if (!grown) {
				r = err_set(err, ENOMEM, "out of memory");
				break;
			}
			items = grown;
		}
		struct state_outbox_item *it = &items[count++];
		struct state_reader rd = { .st = st };
		memset(it, 0, sizeof(*it));
		it->id = state_col_int(&rd);
		it->task_arn = state_col_text(&rd);
		it->sequence = (uint64_t)state_col_int(&rd);
		const void *blob = sqlite3_column_blob(st, 3);
		it->len = (size_t)sqlite3_column_bytes(st, 3);
		/* Never NULL, so callers need not tell "empty" from "failed". */
		it->payload = malloc(it->len ? it->len : 1);
		if (rd.oom || !it->task_arn || !it->payload) {
			r = err_set(err, ENOMEM, "out of memory");
			break;
		}
		if (it->len)
			memcpy(it->payload, blob, it->len);
	}
	if (r >= 0 && rc != SQLITE_DONE)
		r = state_fail(s, err, "reading outbox");
	sqlite3_reset(st);
	if (r < 0) {
		state_outbox_items_free(items, count);
		return r;
	}
	*out = items;
	*n = count;
	return 0;
}

int state_outbox_ack(struct state *s, const char *task_arn, uint64_t sequence,
		     struct ecs_err *err)
{
	static const char sql[] = "DELETE FROM outbox WHERE task_arn = ? AND sequence <= ?";
	sqlite3_stmt *st;
	int r = state_stmt(s, sql, &st, err);
	if (r < 0)
		return r;
	struct state_binder b = { .st = st };
	state_bind_text(&b, task_arn);
	state_bind_int(&b, (int64_t)sequence);
	r = state_bind_check(&b, err);
	if (r >= 0)
		r = state_begin_relaxed(s, err);
	if (r >= 0) {
		r = state_step_done(s, st, err, "acknowledging state changes");
		if (r >= 0)
			r = state_commit(s, err);
		else
			state_rollback(s);
	}
	return r < 0 ? STATE_WRAP(err, r, "task %s", task_arn) : 0;
}

int state_outbox_count(struct state *s, size_t *n, struct ecs_err *err)
{
	static const char sql[] = "SELECT count(*) FROM outbox";
	*n = 0;
	sqlite3_stmt *st;
	int r = state_stmt(s, sql, &st, err);
	if (r < 0)
		return r;
	int rc = sqlite3_step(st);
	r = 0;
	if (rc == SQLITE_ROW)
		*n = (size_t)sqlite3_column_int64(st, 0);
	else
		r = state_fail(s, err, "counting outbox");
	sqlite3_reset(st);
	return r;
}
