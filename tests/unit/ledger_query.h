/* ledger_query.h - one number from the ledger, for unit tests (header-only). */
#ifndef SHRINKWATCH_LEDGER_QUERY_H
#define SHRINKWATCH_LEDGER_QUERY_H

#include <sqlite3.h>

/* The first column of the first row of sql, or -1. */
static inline long lq_count(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s;
	long n = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return n;
}

#endif
