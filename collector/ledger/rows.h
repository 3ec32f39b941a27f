/*
 * rows.h - the ledger's rows as C structs: one struct per table, shared by
 * the writer (ledger.h, the event loop thread) and the read-only API the
 * dashboard uses (read.h, the HTTP threads), so a row is modelled once.
 *
 * Every text field is a capped, NUL-terminated copy: a longer value in the
 * database is cut at the cap.  The caps are those the writer stores, so a row
 * read back and written again loses nothing.  Times are unix seconds.
 */
#ifndef SHRINKWATCH_COLLECTOR_LEDGER_ROWS_H
#define SHRINKWATCH_COLLECTOR_LEDGER_ROWS_H

#include <stdbool.h>
#include <stdint.h>

#include "collector/ledger/alert_state.h"
#include "shrinkwatch/detect.h"
#include "shrinkwatch/sample.h"

/* The schema these rows and their codecs are written for (PRAGMA
 * user_version).  2: deletion reports (deletions) and alerts.attribution. */
#define LEDGER_USER_VERSION 4
#define LEDGER_TEXT_MAX 1024 /* reasons, comments, details */
#define LEDGER_PREFIX_MAX 257 /* SW_TEXT_MAX + 1: a declared path prefix */
#define LEDGER_WHO_MAX 64

/* One row of the alerts table. */
struct ledger_alert {
	int64_t id;
	char agent[SW_NAME_MAX + 1];
	char store[SW_NAME_MAX + 1];
	char kind[24];
	uint32_t episode;
	char severity[12];
	enum alert_state state;
	int64_t since, fired_at, updated_at, closed_at; /* closed_at 0 = open */
	double lost_bytes, lost_objects;
	double expected_bytes, observed_bytes, expected_objects, observed_objects;
	/* Whether expected_bytes and observed_bytes were stored (not NULL): the
	 * API shows null otherwise.  Set when a row is read; the writer always
	 * stores the four numbers and ignores this flag. */
	bool have_expected;
	char summary[DETECT_SUMMARY_MAX];
	char ack_by[LEDGER_WHO_MAX];
	int64_t ack_at; /* 0 = not acknowledged */
	char ack_comment[LEDGER_TEXT_MAX];
	int64_t explanation_id; /* 0 = none */
	int64_t last_notified_at; /* 0 = never */
	/* Who deleted what in the alert's window, from the agents' deletion
	 * reports ("" = none known, or a ledger older than schema 2); written by
	 * ledger_alert_set_attribution() only, never by insert/update. */
	char attribution[LEDGER_TEXT_MAX];
};

/* One row of the deletions table: a deletion report as the agent sent it
 * (proto.h struct sw_deletion), stored once per (agent, report_id). */
struct ledger_deletion {
	int64_t id;
	char agent[SW_NAME_MAX + 1];
	uint64_t report_id;
	char store[SW_NAME_MAX + 1];
	int64_t first, last;
	uint64_t files, dirs;
	char dir[LEDGER_TEXT_MAX];
	uint32_t pid;
	int64_t uid; /* -1 = unknown */
	char exe[LEDGER_TEXT_MAX];
	int64_t received_at;
};

/* One row of the explanations table.  bytes/objects < 0 = unlimited (NULL). */
struct ledger_explain {
	int64_t id;
	char agent[SW_NAME_MAX + 1];
	char store[SW_NAME_MAX + 1];
	int64_t start, end;
	int64_t bytes, objects;
	char reason[LEDGER_TEXT_MAX];
	char who[LEDGER_WHO_MAX];
	int64_t created_at;
	int64_t alert_id;   /* 0 = filed ahead */
	int64_t revoked_at; /* 0 = active */
	char revoked_by[LEDGER_WHO_MAX];
	char revoke_reason[LEDGER_TEXT_MAX];
	/* A path-scoped declaration's prefix (relative to the store, compared
	 * byte for byte with the agent's removal journal); "" = a byte and
	 * object allowance.  At most LEDGER_PREFIX_MAX - 1 bytes: INVREQ's
	 * prefix (SW_TEXT_MAX). */
	char prefix[LEDGER_PREFIX_MAX];
};

/* One row of the audit table. */
struct ledger_audit {
	int64_t id, time;
	char who[LEDGER_WHO_MAX];
	char action[32];
	char target[2 * SW_NAME_MAX + 32];
	char detail[LEDGER_TEXT_MAX];
};

/* One row of the alert_events table: an entry of an alert's timeline. */
struct ledger_event {
	int64_t id, alert_id, time;
	enum alert_event kind; /* the column is called "state" */
	char detail[LEDGER_TEXT_MAX];
};

/*
 * One row of the outbox: the notification of an alert entering state, or of
 * a firing alert notified again (repeat; stored as "repeated").  payload is
 * owned by ledger_outbox_due(), valid during the callback only.
 */
struct ledger_outbox {
	int64_t id;
	char notifier[SW_NAME_MAX + 1];
	int64_t alert_id;
	enum alert_state state;
	bool repeat;
	const char *payload;
	int64_t created_at;
	int attempts;
	int64_t next_at, expires_at;
};

#endif
