/*
 * explanations.h - declared deletions: operators explain a loss, ahead or after.
 *
 * An explanation is stored in the ledger first, then given to the store's
 * detector state, so what the detector consumes always has a ledger row (and
 * an audit row) behind it.  Ahead of time, it is a window with optional byte
 * and object allowances that the detector consumes as the deletion happens.
 * After the fact, it is filed for one open alert: it must cover the alert's
 * loss (detect_explain_covers()), and the alert closes as explained.
 * Revoking stops the detector from using what is left of an allowance; an
 * alert it explained stays explained (the audit trail says who revoked).
 *
 * Every function returns 0 or a negative errno with a message for the
 * operator in err.
 */
#ifndef SHRINKWATCH_COLLECTOR_EXPLAIN_H
#define SHRINKWATCH_COLLECTOR_EXPLAIN_H

#include <stddef.h>
#include <stdint.h>

struct watch;

/*
 * Files a window for agent/store; bytes, objects < 0 = unlimited.  With a
 * non-empty prefix (relative to the store, "2021/case4411/") the declaration
 * covers only removals under that prefix, item for item: it takes no
 * allowance (bytes and objects must be < 0) and gives the detector none;
 * the collector asks the agent which young items of a sample were under the
 * prefix (pathhold.h) and the detector counts exactly those as explained.
 * prefix may be NULL (= "").  The prefix and who filed it go into the audit
 * trail with the window.
 */
int explain_ahead(struct watch *w, const char *agent, const char *store, int64_t start,
		  int64_t end, int64_t bytes, int64_t objects, const char *prefix,
		  const char *who, const char *reason, int64_t now, int64_t *id, char *err,
		  size_t errlen);
/* Explains open alert alert_id (allowances as above; unlimited by default). */
int explain_alert(struct watch *w, int64_t alert_id, int64_t bytes, int64_t objects,
		  const char *who, const char *reason, int64_t now, int64_t *id, char *err,
		  size_t errlen);
int explain_revoke(struct watch *w, int64_t id, const char *who, const char *reason,
		   int64_t now, char *err, size_t errlen);

#endif
