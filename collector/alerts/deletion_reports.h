/*
 * deletion_reports.h - the agents' deletion reports on the collector: stored once,
 * and turned into the attribution of the alerts they explain.
 *
 * An agent with a fanotify deletion watch (agent/delwatch_run.h) reports who
 * deleted how many files under which directory of a store.  The scans tell
 * how many bytes went; the reports tell by whom.  Reports are stored in the
 * ledger's deletions table once per (agent, report id), in one transaction
 * per DELETIONS frame, before the frame is acknowledged (DELACK), so a
 * resend after a reconnect or a collector restart is harmless and a report
 * the agent has seen acknowledged is on disk.
 *
 * An alert's attribution covers the reports of its store whose time meets
 * the alert's window: from two of the agent's intervals before the loss
 * started (the deletions happened between the previous scan and the one
 * that saw them gone) to its close, or now while it is open.  It is
 * computed when the alert fires, so its first notification carries it, and
 * again for every open alert of a store when reports for that store arrive
 * later (the collector was down, or the reports came after the sample).
 */
#ifndef SHRINKWATCH_COLLECTOR_DELETIONS_H
#define SHRINKWATCH_COLLECTOR_DELETIONS_H

#include <stddef.h>
#include <stdint.h>

#include "collector/ledger/ledger.h"
#include "shrinkwatch/proto.h"

struct registry;

/* Interval assumed for an agent the registry does not know (seconds). */
#define DELETIONS_DEFAULT_INTERVAL 300
/* Processes named in one attribution; the rest are counted. */
#define DELETIONS_ATTRIB_GROUPS 3
/* Reports read for one attribution. */
#define DELETIONS_ATTRIB_ROWS 1000

/* Reports are kept this long by default (deletion_reports_keep); alerts keep
 * their attribution text for good. */
#define DELETIONS_KEEP_DEFAULT (400 * 86400)
/* Pruning: at most once an hour, in chunks short enough for the loop. */
#define DELETIONS_PRUNE_EVERY 3600
#define DELETIONS_PRUNE_CHUNK 2000
#define DELETIONS_PRUNE_CHUNKS 25

struct deletions {
	struct ledger *ledger;
	struct registry *reg; /* the agents' intervals; may be NULL */
	int64_t keep;         /* seconds; 0 keeps every report */
	int64_t pruned_at;
	uint64_t stored, duplicates, pruned;
};

/* Stores reports in l and keeps them keep seconds (0 = for ever,
 * DELETIONS_KEEP_DEFAULT is the configured default); reg may be NULL. */
void deletions_init(struct deletions *d, struct ledger *l, struct registry *reg, int64_t keep);

/* Deletes reports older than d->keep, at most once every
 * DELETIONS_PRUNE_EVERY seconds (deletions_store() calls it). */
void deletions_prune(struct deletions *d, int64_t now);

/* Stores n reports of agent in one transaction, then refreshes the
 * attribution of the agent's open alerts on the stores concerned.  0 when
 * every report is stored (now or before), or a negative errno (nothing is
 * stored: do not acknowledge). */
int deletions_store(struct deletions *d, const char *agent, const struct sw_deletion *r,
		    size_t n, int64_t now);

/* Writes alert a's attribution from the reports in its window into
 * a->attribution and the ledger.  Returns 1 if it changed, 0 if not, or a
 * negative errno.  Call inside a ledger transaction. */
int deletions_attribute_alert(struct ledger *l, struct registry *reg, struct ledger_alert *a,
			      int64_t now);

/*
 * The attribution text of agent/store's reports in [from, to]: e.g. "412
 * files, 37.2 GB deleted under 2023/08/ by pid 4312 /usr/bin/rsync uid 0".
 * lost_bytes and lost_objects are the alert's loss as the scans saw it
 * (0 = not known).  An attribution never claims more than its reports
 * cover: when they name fewer files than lost_objects, each process reads
 * "40 of 65 files deleted ...", the rest is named ("; 25 of 65 files lost
 * without a deletion report") and the bytes are given for the whole loss
 * only ("(1.2 MiB gone in all)"), never as a process's.  "" when there are
 * no reports.  0 or a negative errno.
 */
int deletions_attribution(struct ledger *l, const char *agent, const char *store, int64_t from,
			  int64_t to, double lost_bytes, double lost_objects, char *out,
			  size_t len);

/* One report as one line for a listing (shrinkwatchctl deletions). */
int deletions_format(const struct ledger_deletion *d, char *out, size_t len);

#endif
