/* deletion_reports.c - deletion reports and alert attribution (see deletion_reports.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deletion_reports.h"
#include "collector/store/registry.h"
#include "shrinkwatch/bytes.h"
#include "shrinkwatch/log.h"
#include "shrinkwatch/banned.h"

void deletions_init(struct deletions *d, struct ledger *l, struct registry *reg, int64_t keep)
{
	memset(d, 0, sizeof *d);
	d->ledger = l;
	d->reg = reg;
	d->keep = keep;
}

/* Reports of one (process, directory), added up. */
struct group {
	uint32_t pid;
	int64_t uid;
	char exe[LEDGER_TEXT_MAX];
	char dir[LEDGER_TEXT_MAX];
	uint64_t files, dirs;
};

struct gather {
	struct group *g;
	size_t n, max;
	uint64_t files; /* every report's files, grouped or not */
};

static int gather_one(void *ctx, const struct ledger_deletion *d)
{
	struct gather *ga = ctx;
	size_t i;

	ga->files += d->files;
	for (i = 0; i < ga->n; i++)
		if (ga->g[i].pid == d->pid && ga->g[i].uid == d->uid &&
		    !strcmp(ga->g[i].exe, d->exe) && !strcmp(ga->g[i].dir, d->dir))
			break;
	if (i == ga->n) {
		if (ga->n == ga->max)
			return 0; /* counted in no group: the limit keeps memory bounded */
		memset(&ga->g[i], 0, sizeof ga->g[i]);
		ga->g[i].pid = d->pid;
		ga->g[i].uid = d->uid;
		snprintf(ga->g[i].exe, sizeof ga->g[i].exe, "%s", d->exe);
		snprintf(ga->g[i].dir, sizeof ga->g[i].dir, "%s", d->dir);
		ga->n++;
	}
	ga->g[i].files += d->files;
	ga->g[i].dirs += d->dirs;
	return 0;
}

static int by_files_desc(const void *x, const void *y)
{
	const struct group *a = x, *b = y;

	return a->files < b->files ? 1 : a->files > b->files ? -1 : 0;
}

/* "uid 0", or "uid ?" for a process that had gone. */
static void fmt_uid(int64_t uid, char *out, size_t len)
{
	if (uid >= 0)
		snprintf(out, len, "%" PRId64, uid);
	else
		snprintf(out, len, "?");
}

/* One group: "40 files, 800.0 KiB deleted under DIR by pid ..."; count, if
 * given, replaces the group's file count ("40 of 65"). */
static int put_group(char *out, size_t len, size_t *o, const struct group *g, const char *count,
		     const char *bytes)
{
	char uid[32], files[32];
	int w;

	fmt_uid(g->uid, uid, sizeof uid);
	snprintf(files, sizeof files, "%" PRIu64, g->files);
	if (!count)
		count = files;
	if (g->pid == 0)
		w = snprintf(out + *o, len - *o, "%s files%s%s deleted by several processes",
			     count, bytes ? ", " : "", bytes ? bytes : "");
	else
		w = snprintf(out + *o, len - *o,
			     "%s files%s%s deleted under %s by pid %" PRIu32 " %s uid %s",
			     count, bytes ? ", " : "", bytes ? bytes : "",
			     g->dir[0] ? g->dir : "./", g->pid, g->exe, uid);
	if (w < 0)
		return -EINVAL;
	*o += (size_t)w < len - *o ? (size_t)w : len - *o - 1;
	return 0;
}

/*
 * How much of the loss the reports cover, appended when they cover less than
 * the files the scans saw go: "; 25 of 65 files lost without a deletion
 * report".  Reports cover at most what they name, so a process is never
 * made the culprit of files nobody reported.
 */
static void put_uncovered(char *out, size_t len, size_t *o, uint64_t reported, uint64_t lost)
{
	int w;

	if (reported >= lost || *o + 1 >= len)
		return;
	w = snprintf(out + *o, len - *o, "; %" PRIu64 " of %" PRIu64 " files lost without a "
		     "deletion report", lost - reported, lost);
	if (w > 0)
		*o += (size_t)w < len - *o ? (size_t)w : len - *o - 1;
}

int deletions_attribution(struct ledger *l, const char *agent, const char *store, int64_t from,
			  int64_t to, double lost_bytes, double lost_objects, char *out,
			  size_t len)
{
	struct gather ga = { .max = 64 };
	char bytes[BYTES_FMT_MAX], of[48];
	uint64_t lost = lost_objects > 0 ? (uint64_t)(lost_objects + 0.5) : 0;
	bool partial;
	size_t o = 0, i;
	int err;

	out[0] = '\0';
	if (len < 2)
		return -EINVAL;
	ga.g = calloc(ga.max, sizeof *ga.g);
	if (!ga.g)
		return -ENOMEM;
	err = ledger_deletion_range(l, agent, store, from, to, DELETIONS_ATTRIB_ROWS, gather_one,
				    &ga);
	if (err || ga.n == 0)
		goto out;
	qsort(ga.g, ga.n, sizeof *ga.g, by_files_desc);
	bytes_format(lost_bytes, bytes, sizeof bytes);
	/* reports of fewer files than the scans saw go cover only part of the
	 * loss: then no process is given the scans' bytes, each says "N of M
	 * files" and the rest is named as unreported */
	partial = ga.files < lost;
	for (i = 0; i < ga.n && i < DELETIONS_ATTRIB_GROUPS && !err; i++) {
		if (i && o + 3 < len) {
			memcpy(out + o, "; ", 3);
			o += 2;
		}
		if (partial)
			snprintf(of, sizeof of, "%" PRIu64 " of %" PRIu64, ga.g[i].files, lost);
		/* the scans' bytes belong to the whole alert: named with the
		 * only process that covers it all, or once at the end */
		err = put_group(out, len, &o, &ga.g[i], partial ? of : NULL,
				ga.n == 1 && !partial && lost_bytes > 0 ? bytes : NULL);
	}
	if (!err && ga.n > DELETIONS_ATTRIB_GROUPS && o + 1 < len) {
		int w = snprintf(out + o, len - o, "; and %zu more", ga.n - DELETIONS_ATTRIB_GROUPS);

		if (w > 0)
			o += (size_t)w < len - o ? (size_t)w : len - o - 1;
	}
	if (!err)
		put_uncovered(out, len, &o, ga.files, lost);
	if (!err && (ga.n > 1 || partial) && lost_bytes > 0 && o + 1 < len)
		snprintf(out + o, len - o, " (%s gone in all)", bytes);
out:
	free(ga.g);
	return err;
}

static uint32_t interval_of(struct registry *reg, const char *agent)
{
	struct agent_rec *a = reg ? registry_agent(reg, agent, 0) : NULL;

	return a && a->interval ? a->interval : DELETIONS_DEFAULT_INTERVAL;
}

int deletions_attribute_alert(struct ledger *l, struct registry *reg, struct ledger_alert *a,
			      int64_t now)
{
	char text[LEDGER_TEXT_MAX];
	int64_t from = a->since - 2 * (int64_t)interval_of(reg, a->agent);
	int64_t to = a->closed_at ? a->closed_at : now;
	int err = deletions_attribution(l, a->agent, a->store, from, to, a->lost_bytes,
					a->lost_objects, text, sizeof text);

	if (err)
		return err;
	if (!strcmp(text, a->attribution))
		return 0;
	err = ledger_alert_set_attribution(l, a->id, text);
	if (err)
		return err;
	snprintf(a->attribution, sizeof a->attribution, "%s", text);
	return 1;
}

struct refresh {
	struct deletions *d;
	int64_t now;
	int err;
};

static int refresh_one(void *ctx, const struct ledger_alert *a)
{
	struct refresh *rf = ctx;
	struct ledger_alert copy = *a;
	int rc;

	rc = deletions_attribute_alert(rf->d->ledger, rf->d->reg, &copy, rf->now);
	if (rc < 0) {
		rf->err = rc;
		return 0;
	}
	if (rc > 0) {
		log_notice("deletions: alert %lld ('%s/%s') attributed: %s", (long long)a->id,
			   a->agent, a->store, copy.attribution);
		rc = ledger_event_add(rf->d->ledger, a->id, rf->now, ALERT_EVENT_ATTRIBUTED,
				      copy.attribution);
		if (rc)
			rf->err = rc;
	}
	return 0;
}

void deletions_prune(struct deletions *d, int64_t now)
{
	long n = DELETIONS_PRUNE_CHUNK, total = 0;

	if (d->keep <= 0 || now - d->pruned_at < DELETIONS_PRUNE_EVERY)
		return;
	d->pruned_at = now;
	for (int i = 0; i < DELETIONS_PRUNE_CHUNKS && n == DELETIONS_PRUNE_CHUNK; i++) {
		n = ledger_deletion_prune(d->ledger, now - d->keep, DELETIONS_PRUNE_CHUNK);
		if (n < 0) {
			log_warn("deletions: cannot prune old reports: %s", strerror((int)-n));
			return;
		}
		total += n;
	}
	d->pruned += (uint64_t)total;
	if (total)
		log_info("deletions: pruned %ld reports older than %lld days", total,
			 (long long)(d->keep / 86400));
}

int deletions_store(struct deletions *d, const char *agent, const struct sw_deletion *r,
		    size_t n, int64_t now)
{
	struct ledger_deletion *row = malloc(sizeof *row);
	struct refresh rf = { .d = d, .now = now };
	size_t fresh = 0, i;
	int err;

	if (!row)
		return -ENOMEM;
	err = ledger_begin(d->ledger);
	for (i = 0; i < n && !err; i++) {
		int rc;

		memset(row, 0, sizeof *row);
		row->report_id = r[i].id;
		snprintf(row->store, sizeof row->store, "%s", r[i].store);
		row->first = r[i].first;
		row->last = r[i].last;
		row->files = r[i].files;
		row->dirs = r[i].dirs;
		snprintf(row->dir, sizeof row->dir, "%s", r[i].dir);
		row->pid = r[i].pid;
		row->uid = r[i].uid;
		snprintf(row->exe, sizeof row->exe, "%s", r[i].exe);
		rc = ledger_deletion_add(d->ledger, agent, row, now);
		if (rc < 0)
			err = rc;
		else
			fresh += (size_t)rc;
	}
	/* reports for a store with an open alert: that alert learns who */
	for (i = 0; i < n && !err && fresh; i++) {
		size_t j;

		for (j = 0; j < i && strcmp(r[j].store, r[i].store); j++)
			; /* each store once */
		if (j == i)
			err = ledger_alert_each_open_of(d->ledger, agent, r[i].store, refresh_one,
							&rf);
		err = err ? err : rf.err;
	}
	if (err) {
		ledger_rollback(d->ledger);
	} else {
		err = ledger_commit(d->ledger);
	}
	free(row);
	if (err)
		return err;
	d->stored += fresh;
	d->duplicates += n - fresh;
	deletions_prune(d, now);
	log_debug("deletions: agent '%s': %zu reports, %zu new", agent, n, fresh);
	return 0;
}

int deletions_format(const struct ledger_deletion *d, char *out, size_t len)
{
	struct group g = { .pid = d->pid, .uid = d->uid, .files = d->files, .dirs = d->dirs };
	size_t o = 0;

	snprintf(g.exe, sizeof g.exe, "%s", d->exe);
	snprintf(g.dir, sizeof g.dir, "%s", d->dir);
	return put_group(out, len, &o, &g, NULL, NULL);
}
