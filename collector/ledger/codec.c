/* codec.c - the ledger's row decoders (see codec.h). */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "codec.h"
#include "shrinkwatch/banned.h"

const char *const ledger__alert_col_names[LEDGER__AC_COUNT] = {
	"id", LEDGER__ALERT_WRITTEN(LEDGER__AC_NAME_STR) "attribution",
};

void ledger__col_text(sqlite3_stmt *s, int i, char *out, size_t len)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	snprintf(out, len, "%s", t ? (const char *)t : "");
}

static const char *text_or_null(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	return t ? (const char *)t : "NULL";
}

int ledger__alert_decode(sqlite3_stmt *s, struct ledger_alert *a, char *why, size_t whylen)
{
	int err = 0;

	memset(a, 0, sizeof *a);
	a->id = sqlite3_column_int64(s, LEDGER__AC_ID);
	ledger__col_text(s, LEDGER__AC_AGENT, a->agent, sizeof a->agent);
	ledger__col_text(s, LEDGER__AC_STORE, a->store, sizeof a->store);
	ledger__col_text(s, LEDGER__AC_KIND, a->kind, sizeof a->kind);
	a->episode = (uint32_t)sqlite3_column_int64(s, LEDGER__AC_EPISODE);
	ledger__col_text(s, LEDGER__AC_SEVERITY, a->severity, sizeof a->severity);
	if (alert_state_parse((const char *)sqlite3_column_text(s, LEDGER__AC_STATE),
			      &a->state)) {
		snprintf(why, whylen, "alert %lld has the unknown state '%.32s'", (long long)a->id,
			 text_or_null(s, LEDGER__AC_STATE));
		err = -EPROTO;
	}
	a->since = sqlite3_column_int64(s, LEDGER__AC_SINCE);
	a->fired_at = sqlite3_column_int64(s, LEDGER__AC_FIRED_AT);
	a->updated_at = sqlite3_column_int64(s, LEDGER__AC_UPDATED_AT);
	a->closed_at = sqlite3_column_int64(s, LEDGER__AC_CLOSED_AT);
	a->lost_bytes = sqlite3_column_double(s, LEDGER__AC_LOST_BYTES);
	a->lost_objects = sqlite3_column_double(s, LEDGER__AC_LOST_OBJECTS);
	a->have_expected = sqlite3_column_type(s, LEDGER__AC_EXPECTED_BYTES) != SQLITE_NULL &&
			   sqlite3_column_type(s, LEDGER__AC_OBSERVED_BYTES) != SQLITE_NULL;
	a->expected_bytes = sqlite3_column_double(s, LEDGER__AC_EXPECTED_BYTES);
	a->observed_bytes = sqlite3_column_double(s, LEDGER__AC_OBSERVED_BYTES);
	a->expected_objects = sqlite3_column_double(s, LEDGER__AC_EXPECTED_OBJECTS);
	a->observed_objects = sqlite3_column_double(s, LEDGER__AC_OBSERVED_OBJECTS);
	ledger__col_text(s, LEDGER__AC_SUMMARY, a->summary, sizeof a->summary);
	ledger__col_text(s, LEDGER__AC_ACK_BY, a->ack_by, sizeof a->ack_by);
	a->ack_at = sqlite3_column_int64(s, LEDGER__AC_ACK_AT);
	ledger__col_text(s, LEDGER__AC_ACK_COMMENT, a->ack_comment, sizeof a->ack_comment);
	a->explanation_id = sqlite3_column_int64(s, LEDGER__AC_EXPLANATION_ID);
	a->last_notified_at = sqlite3_column_int64(s, LEDGER__AC_LAST_NOTIFIED_AT);
	ledger__col_text(s, LEDGER__AC_ATTRIBUTION, a->attribution, sizeof a->attribution);
	return err;
}

void ledger__explain_decode(sqlite3_stmt *s, struct ledger_explain *e)
{
	memset(e, 0, sizeof *e);
	e->id = sqlite3_column_int64(s, 0);
	ledger__col_text(s, 1, e->agent, sizeof e->agent);
	ledger__col_text(s, 2, e->store, sizeof e->store);
	e->start = sqlite3_column_int64(s, 3);
	e->end = sqlite3_column_int64(s, 4);
	e->bytes = sqlite3_column_type(s, 5) == SQLITE_NULL ? -1 : sqlite3_column_int64(s, 5);
	e->objects = sqlite3_column_type(s, 6) == SQLITE_NULL ? -1 : sqlite3_column_int64(s, 6);
	ledger__col_text(s, 7, e->reason, sizeof e->reason);
	ledger__col_text(s, 8, e->who, sizeof e->who);
	e->created_at = sqlite3_column_int64(s, 9);
	e->alert_id = sqlite3_column_int64(s, 10);
	e->revoked_at = sqlite3_column_int64(s, 11);
	ledger__col_text(s, 12, e->revoked_by, sizeof e->revoked_by);
	ledger__col_text(s, 13, e->revoke_reason, sizeof e->revoke_reason);
	ledger__col_text(s, 14, e->prefix, sizeof e->prefix);
}

int ledger__event_decode(sqlite3_stmt *s, struct ledger_event *e, char *why, size_t whylen)
{
	memset(e, 0, sizeof *e);
	e->id = sqlite3_column_int64(s, 0);
	e->alert_id = sqlite3_column_int64(s, 1);
	e->time = sqlite3_column_int64(s, 2);
	ledger__col_text(s, 4, e->detail, sizeof e->detail);
	if (alert_event_parse((const char *)sqlite3_column_text(s, 3), &e->kind)) {
		snprintf(why, whylen, "event %lld of alert %lld has the unknown kind '%.32s'",
			 (long long)e->id, (long long)e->alert_id, text_or_null(s, 3));
		return -EPROTO;
	}
	return 0;
}

void ledger__audit_decode(sqlite3_stmt *s, struct ledger_audit *a)
{
	memset(a, 0, sizeof *a);
	a->id = sqlite3_column_int64(s, 0);
	a->time = sqlite3_column_int64(s, 1);
	ledger__col_text(s, 2, a->who, sizeof a->who);
	ledger__col_text(s, 3, a->action, sizeof a->action);
	ledger__col_text(s, 4, a->target, sizeof a->target);
	ledger__col_text(s, 5, a->detail, sizeof a->detail);
}
