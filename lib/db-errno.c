/* SPDX-License-Identifier: Apache-2.0 */
#include "autoconf.h"

#include <errno.h>
#include <sqlite3.h>

#include "db-errno.h"

int db_errno(int sqlite_rc)
{
	switch (sqlite_rc & 0xff) {
	case SQLITE_NOMEM: return ENOMEM;
	case SQLITE_BUSY:
	case SQLITE_LOCKED: return EBUSY;
	case SQLITE_CONSTRAINT: return EEXIST;
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_AUTH: return EACCES;
	case SQLITE_FULL: return ENOSPC;
	case SQLITE_CANTOPEN: return ENOENT;
	default: return EIO;
	}
}
