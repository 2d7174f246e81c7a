/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/* Shared by the state*.c files only: the handle and the SQLite helpers. */
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "state.h"

struct state_stmt_entry {
	const char *sql; /* identity: the static string the statement was made from */
	sqlite3_stmt *stmt;
};

struct state {
	sqlite3 *db;
	char *path;
	unsigned depth; /* open transactions: 1 = BEGIN, more = savepoints inside it */
	bool relaxed;   /* the open transaction commits without fsync */
	struct state_stmt_entry *stmts;
	size_t n_stmts;
};

/* Fill `err` from the database's last error, prefixed by `what`. Returns the
 * negative errno to return (-EBUSY, -EEXIST for a constraint, -ENOSPC...). */
int state_fail(struct state *s, struct ecs_err *err, const char *what);

/* A prepared statement for `sql`, which must have static lifetime (it is
 * cached by address). It comes back reset with its bindings cleared and
 * stays owned by the handle. */
int state_stmt(struct state *s, const char *sql, sqlite3_stmt **out, struct ecs_err *err);

/* Step a statement whose rows, if any, are not wanted, then reset it. */
int state_step_done(struct state *s, sqlite3_stmt *st, struct ecs_err *err, const char *what);

/* Binding parameters in order (1, 2, ...), remembering the first failure
 * so a run of binds is checked once with state_bind_check(). Text is bound
 * without a copy: it must live until the statement is stepped. NULL text
 * binds SQL NULL. */
struct state_binder {
	sqlite3_stmt *st;
	int i;  /* last parameter bound */
	int rc; /* first SQLite error, SQLITE_OK if none */
};
void state_bind_text(struct state_binder *b, const char *v);
void state_bind_int(struct state_binder *b, int64_t v);
int state_bind_check(struct state_binder *b, struct ecs_err *err);

/* Reading the current row's columns in order. Text is copied (NULL stays
 * NULL); a failed copy sets `oom`. */
struct state_reader {
	sqlite3_stmt *st;
	int col;
	bool oom;
};
char *state_col_text(struct state_reader *r);
int64_t state_col_int(struct state_reader *r);

/* Add context to an error when one was stored; evaluates to the code. */
#define STATE_WRAP(err, r, ...) ((err) && (err)->code ? err_wrap((err), __VA_ARGS__) : (r))

/* state-schema.c: migration i brings the schema to version i+1. */
extern const char *const state_migrations[];
extern const size_t state_n_migrations;
