/*
 * codec.h - the ledger's row codecs, shared by ledger.c (the writer) and
 * read.c (the dashboard's read-only API); nothing outside collector/ledger/
 * includes it.
 *
 * A table read by both sides has one column list here and one decoder in
 * codec.c, which reads a row of a statement selecting that list into the
 * struct of rows.h.  The alerts table's list is an X-macro, because the
 * writer's INSERT and UPDATE name the same columns in the same order and bind
 * column i of enum ledger__alert_col as parameter i.
 */
#ifndef SHRINKWATCH_COLLECTOR_LEDGER_CODEC_H
#define SHRINKWATCH_COLLECTOR_LEDGER_CODEC_H

#include <stddef.h>

#include "rows.h"

struct sqlite3_stmt;

/*
 * The alert columns ledger_alert_insert() and ledger_alert_update() write, in
 * order.  A select list is id, these, then attribution (written only by
 * ledger_alert_set_attribution()).
 */
#define LEDGER__ALERT_WRITTEN(X)                                                            \
	X(AGENT, agent) X(STORE, store) X(KIND, kind) X(EPISODE, episode)                   \
	X(SEVERITY, severity) X(STATE, state) X(SINCE, since) X(FIRED_AT, fired_at)         \
	X(UPDATED_AT, updated_at) X(CLOSED_AT, closed_at) X(LOST_BYTES, lost_bytes)         \
	X(LOST_OBJECTS, lost_objects) X(EXPECTED_BYTES, expected_bytes)                     \
	X(OBSERVED_BYTES, observed_bytes) X(EXPECTED_OBJECTS, expected_objects)             \
	X(OBSERVED_OBJECTS, observed_objects) X(SUMMARY, summary) X(ACK_BY, ack_by)         \
	X(ACK_AT, ack_at) X(ACK_COMMENT, ack_comment) X(EXPLANATION_ID, explanation_id)     \
	X(LAST_NOTIFIED_AT, last_notified_at)

#define LEDGER__AC_ENUM(E, name) LEDGER__AC_##E,
#define LEDGER__AC_NAME_COMMA(E, name) #name ", "
#define LEDGER__AC_NAME_STR(E, name) #name,
#define LEDGER__AC_PARAM(E, name) "?, "
#define LEDGER__AC_SET(E, name) #name " = ?, "

/* Result column i of LEDGER__ALERT_COLS; also bind parameter i of
 * LEDGER__ALERT_INSERT and LEDGER__ALERT_UPDATE (whose id is parameter
 * LEDGER__AC_ATTRIBUTION). */
enum ledger__alert_col {
	LEDGER__AC_ID,
	LEDGER__ALERT_WRITTEN(LEDGER__AC_ENUM)
	LEDGER__AC_ATTRIBUTION,
	LEDGER__AC_COUNT
};

#define LEDGER__ALERT_COLS "id, " LEDGER__ALERT_WRITTEN(LEDGER__AC_NAME_COMMA) "attribution"
#define LEDGER__ALERT_INSERT                                                                \
	"INSERT INTO alerts (" LEDGER__ALERT_WRITTEN(LEDGER__AC_NAME_COMMA) "id) VALUES ("  \
	LEDGER__ALERT_WRITTEN(LEDGER__AC_PARAM) "NULL)"
#define LEDGER__ALERT_UPDATE                                                                \
	"UPDATE alerts SET " LEDGER__ALERT_WRITTEN(LEDGER__AC_SET) "id = id WHERE id = ?"

/* The names of LEDGER__ALERT_COLS, by enum ledger__alert_col. */
extern const char *const ledger__alert_col_names[LEDGER__AC_COUNT];

#define LEDGER__EXPL_COLS                                                                   \
	"id, agent, store, start, end, bytes, objects, reason, who, created_at, alert_id, " \
	"revoked_at, revoked_by, revoke_reason, prefix"
#define LEDGER__EVENT_COLS "id, alert_id, time, state, detail"
#define LEDGER__AUDIT_COLS "id, time, who, action, target, detail"

/* Copies text column i of the current row into out (len bytes, cut there);
 * NULL reads as "". */
void ledger__col_text(struct sqlite3_stmt *s, int i, char *out, size_t len);

/*
 * Decoders of the current row of a statement selecting the table's column
 * list above.  They overwrite the whole struct.  The ones that return int
 * answer 0, or -EPROTO for a row this program cannot represent (a state or
 * event name it does not know: a corrupt ledger, or a newer one), with a
 * sentence naming the row in why (whylen bytes); the rest of the struct is
 * then filled as far as it could be.
 */
int ledger__alert_decode(struct sqlite3_stmt *s, struct ledger_alert *a, char *why,
			 size_t whylen);
void ledger__explain_decode(struct sqlite3_stmt *s, struct ledger_explain *e);
int ledger__event_decode(struct sqlite3_stmt *s, struct ledger_event *e, char *why,
			 size_t whylen);
void ledger__audit_decode(struct sqlite3_stmt *s, struct ledger_audit *a);

#endif
