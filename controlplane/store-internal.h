/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/* Shared by the store-*.c files only. */
#include <sqlite3.h>

#include "store.h"

struct store_stmt_cache_entry {
	const char *sql; /* identity: the static string the statement was made from */
	sqlite3_stmt *stmt;
};

struct store {
	sqlite3 *db;
	bool in_txn;
	bool relaxed; /* synchronous=NORMAL until the transaction ends */
	struct store_stmt_cache_entry *stmts;
	size_t n_stmts;
};

/* A prepared statement for `sql`, which must be a string with static
 * lifetime (it is cached by address). The statement comes back reset with
 * its bindings cleared; it stays owned by the store. */
sqlite3_stmt *store_stmt(struct store *s, const char *sql, struct ecs_err *err);

/* Fill `err` from the database's last error, prefixed by `what`. Returns the
 * negative errno the caller should return (-EIO, -EBUSY, -ENOMEM...). */
int store_fail(struct store *s, struct ecs_err *err, const char *what);

/* Run a statement that returns no rows to completion. */
int store_step_done(struct store *s, sqlite3_stmt *st, struct ecs_err *err, const char *what);

/* strdup of a text column; NULL for SQL NULL. *oom is set on allocation
 * failure (left untouched otherwise). */
char *store_column_text(sqlite3_stmt *st, int col, bool *oom);

/* Read column 0 of the statement's rows into `out` (which the caller has
 * zeroed), at most `limit` of them (0: all). A paged query asks for
 * limit + 1 rows: the extra one sets *more, telling that a next page
 * follows. The statement is reset; on failure `out` is cleared and `what`
 * names the step in the error. */
int store_collect_strv(struct store *s, sqlite3_stmt *st, size_t limit, struct store_strv *out,
		       bool *more, struct ecs_err *err, const char *what);

/* Read (key, value) rows from columns 0 and 1 into `out` (which the caller
 * has zeroed), all of them. The statement is reset; on failure `out` is cleared. */
int store_collect_kv(struct store *s, sqlite3_stmt *st, struct store_kv_list *out,
		     struct ecs_err *err, const char *what);

/* The migrations, oldest first: migration i brings the schema to version i+1. */
extern const char *const store_migrations[];
extern const size_t store_n_migrations;
