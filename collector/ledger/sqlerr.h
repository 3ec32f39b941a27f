/*
 * sqlerr.h - what a failed SQLite call means to the ledger's callers.
 *
 * The ledger and the stores beside it in the same database (copy relations,
 * loss inventories) map SQLite's result codes to the same negative errnos,
 * so that a caller decides the same way whichever table refused: -ENOSPC
 * (the disk is full: keep the event in memory and retry), -EBUSY, -ENOMEM,
 * -EEXIST (a constraint), -EACCES (read-only or no permission), else -EIO.
 */
#ifndef SHRINKWATCH_LEDGER_SQLERR_H
#define SHRINKWATCH_LEDGER_SQLERR_H

struct sqlite3;

/* The negative errno for an SQLite result code (extended codes too); 0 for
 * SQLITE_OK, SQLITE_DONE and SQLITE_ROW. */
int ledger_sqlite_errno(int rc);

/* Logs "ledger: cannot WHAT: <SQLite's message>" and returns
 * ledger_sqlite_errno(rc). */
int ledger_sqlite_fail(struct sqlite3 *db, int rc, const char *what);

#endif
