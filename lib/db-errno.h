/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/* SQLite result codes as the project's negative-errno convention, shared by
 * the two SQLite stores (the control plane's and the agent's state). */

/* The positive errno for an SQLite (extended) result code: ENOMEM, EBUSY
 * (busy or locked), EEXIST (constraint), EACCES (read-only, permission,
 * auth), ENOSPC (full), ENOENT (cannot open), else EIO. */
int db_errno(int sqlite_rc);
