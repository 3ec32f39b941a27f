/*
 * sqlerr.c - SQLite result codes as the ledger's errnos (see sqlerr.h).
 */
#include <errno.h>
#include <sqlite3.h>

#include "sqlerr.h"
#include "shrinkwatch/log.h"
#include "shrinkwatch/banned.h"

int ledger_sqlite_errno(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return 0;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_CONSTRAINT:
		return -EEXIST;
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	default:
		return -EIO;
	}
}

int ledger_sqlite_fail(struct sqlite3 *db, int rc, const char *what)
{
	log_err("ledger: cannot %s: %s", what, sqlite3_errmsg(db));
	return ledger_sqlite_errno(rc);
}
