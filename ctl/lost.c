/*
 * lost.c - shrinkwatchctl lost (see lost.h).
 *
 * Every name printed here came from an evidence server and is hostile:
 * the terminal form goes through term_escape() (control characters, C1,
 * invalid UTF-8 and backslashes escaped), CSV through csv_put_field(), and
 * --json passes on the collector's JSON, which escaped it already.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client.h"
#include "lost.h"
#include "shrinkwatch/bytes.h"
#include "shrinkwatch/csv.h"
#include "shrinkwatch/html.h"
#include "shrinkwatch/json.h"
#include "shrinkwatch/termesc.h"
#include "shrinkwatch/banned.h"

#define USAGE                                                                           \
	"lost ALERT_ID --reason TEXT [--all] [--refresh] [--json | --csv] [--socket PATH]\n" \
	"       shrinkwatchctl lost --from T --to T AGENT/STORE --reason TEXT [--json | --csv]"
/* How long the collector may take to fetch an inventory from the agent
 * (its own timeout is 60 s). */
#define WAIT_S 75
#define NAME_MAX_BYTES 4097

enum { O_SOCKET = 1000, O_JSON, O_CSV, O_ALL, O_REFRESH, O_REASON, O_FROM, O_TO };

struct lost_opts {
	const char *socket, *reason, *from, *to, *target;
	bool json, csv, all, refresh;
};

/*
 * Writes s to f for a terminal through term_escape() (lib/termesc.c, the one
 * escaper every shrinkwatchctl printer uses), so a file name can neither
 * forge lines nor send escape sequences.  Names from the wire are at most a
 * 4 KB path; text past 8 KB ends in "..." rather than overflowing.
 */
static int parse(int argc, char **argv, struct lost_opts *o)
{
	static const struct option lo[] = {
		{ "socket", required_argument, NULL, O_SOCKET },
		{ "json", no_argument, NULL, O_JSON },
		{ "csv", no_argument, NULL, O_CSV },
		{ "all", no_argument, NULL, O_ALL },
		{ "refresh", no_argument, NULL, O_REFRESH },
		{ "reason", required_argument, NULL, O_REASON },
		{ "from", required_argument, NULL, O_FROM },
		{ "to", required_argument, NULL, O_TO },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case O_SOCKET: o->socket = optarg; break;
		case O_JSON: o->json = true; break;
		case O_CSV: o->csv = true; break;
		case O_ALL: o->all = true; break;
		case O_REFRESH: o->refresh = true; break;
		case O_REASON: o->reason = optarg; break;
		case O_FROM: o->from = optarg; break;
		case O_TO: o->to = optarg; break;
		case 'h':
			printf("usage: shrinkwatchctl " USAGE "\n"
			       "  --reason TEXT  why you need the names (required; audited)\n"
			       "  --all          an alert's every removed item, not only those\n"
			       "                 younger than the retention\n"
			       "  --refresh      ask the agent again, even if the collector has it\n"
			       "  --json, --csv  machine-readable output\n");
			return 1;
		default:
			return -EINVAL;
		}
	}
	if (optind + 1 != argc)
		return -EINVAL;
	o->target = argv[optind];
	return 0;
}

static int usage_error(const char *why)
{
	fprintf(stderr, "shrinkwatchctl lost: %s\nusage: shrinkwatchctl " USAGE "\n", why);
	return 2;
}

static int64_t inv_int(const struct ctl_response *r, int inv, const char *key)
{
	int64_t v = 0;

	jsonparse_get_i64(r->text, r->toks, inv, key, &v);
	return v;
}

/* A name member of an item, with its exact bytes (from key_hex when the
 * collector sent them), into out. */
static const char *name_of(const struct ctl_response *r, int obj, const char *key, char *out,
			   size_t len)
{
	char hk[32], hex[2 * NAME_MAX_BYTES + 1];
	size_t i;

	snprintf(hk, sizeof hk, "%s_hex", key);
	if (jsonparse_get_str(r->text, r->toks, obj, hk, hex, sizeof hex) == 0) {
		for (i = 0; hex[2 * i] && hex[2 * i + 1] && i + 1 < len; i++) {
			unsigned v;

			if (sscanf(hex + 2 * i, "%2x", &v) != 1)
				break;
			out[i] = (char)v;
		}
		out[i] = '\0';
		return out;
	}
	if (jsonparse_get_str(r->text, r->toks, obj, key, out, len))
		out[0] = '\0';
	return out;
}

static const char *when(int64_t t, char *buf, size_t len)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (!t || !gmtime_r(&tt, &tm))
		snprintf(buf, len, "-");
	else
		strftime(buf, len, "%Y-%m-%d %H:%M:%SZ", &tm);
	return buf;
}

struct printer {
	const struct lost_opts *o;
	char dir[NAME_MAX_BYTES];
	bool any_dir, first_json;
	uint64_t items, bytes, dirs;
	struct buf csv;
};

static void print_item(struct printer *p, const struct ctl_response *r, int it)
{
	static char path[NAME_MAX_BYTES], dir[NAME_MAX_BYTES], exe[NAME_MAX_BYTES];
	char b1[BYTES_FMT_MAX], t1[40], t2[40], t3[40];
	int64_t size = inv_int(r, it, "size"), pid = inv_int(r, it, "pid"), uid = -1;
	bool cut = false;

	jsonparse_get_i64(r->text, r->toks, it, "uid", &uid);
	jsonparse_get_bool(r->text, r->toks, it, "cut", &cut);
	name_of(r, it, "path", path, sizeof path);
	name_of(r, it, "dir", dir, sizeof dir);
	name_of(r, it, "exe", exe, sizeof exe);
	p->items++;
	p->bytes += (uint64_t)size;
	if (!p->any_dir || strcmp(dir, p->dir)) {
		p->any_dir = true;
		p->dirs++;
		snprintf(p->dir, sizeof p->dir, "%s", dir);
		if (!p->o->csv) {
			putchar('\n');
			term_fputs(dir[0] ? dir : ".", stdout);
			printf("/  %lld item%s, %s\n", (long long)inv_int(r, it, "dir_items"),
			       inv_int(r, it, "dir_items") == 1 ? "" : "s",
			       bytes_format((double)inv_int(r, it, "dir_bytes"), b1, sizeof b1));
		}
	}
	if (p->o->csv) {
		p->csv.len = 0;
		csv_put_field(&p->csv, dir);
		buf_put_u8(&p->csv, ',');
		csv_put_field(&p->csv, path);
		buf_put_u8(&p->csv, ',');
		csv_put_i64(&p->csv, size);
		buf_put_u8(&p->csv, ',');
		csv_put_i64(&p->csv, inv_int(r, it, "birth"));
		buf_put_u8(&p->csv, ',');
		csv_put_i64(&p->csv, inv_int(r, it, "removed_after"));
		buf_put_u8(&p->csv, ',');
		csv_put_i64(&p->csv, inv_int(r, it, "removed_before"));
		buf_put_u8(&p->csv, ',');
		csv_put_i64(&p->csv, pid);
		buf_put_u8(&p->csv, ',');
		if (uid >= 0)
			csv_put_i64(&p->csv, uid);
		buf_put_u8(&p->csv, ',');
		csv_put_field(&p->csv, exe);
		buf_put_u8(&p->csv, ',');
		csv_put_i64(&p->csv, cut);
		buf_append(&p->csv, "\r\n", 2);
		fwrite(p->csv.data, 1, p->csv.len, stdout);
		return;
	}
	printf("  %10s  born %s  removed %s..%s  ", bytes_format((double)size, b1, sizeof b1),
	       when(inv_int(r, it, "birth"), t1, sizeof t1),
	       when(inv_int(r, it, "removed_after"), t2, sizeof t2),
	       when(inv_int(r, it, "removed_before"), t3, sizeof t3));
	if (pid) {
		printf("pid %lld uid %lld ", (long long)pid, (long long)uid);
		term_fputs(exe, stdout);
		fputs("  ", stdout);
	}
	term_fputs(path, stdout);
	fputs(cut ? "  (cut to inventory_depth)\n" : "\n", stdout);
}

/* --json: the collector's item objects as they are (escaped there). */
static void print_json_items(struct printer *p, const struct ctl_response *r, int a)
{
	uint32_t n = r->toks[a].size;
	int it = a + 1;

	for (uint32_t i = 0; i < n; i++, it = (int)r->toks[it].next) {
		fputs(p->first_json ? "" : ",", stdout);
		fwrite(r->text + r->toks[it].start, 1, r->toks[it].end - r->toks[it].start, stdout);
		p->first_json = false;
		p->items++;
	}
}

static void print_header(const struct lost_opts *o, const struct ctl_response *r, int inv)
{
	char agent[80], store[80], reason[1024], t1[40], t2[40];
	int64_t alert = inv_int(r, inv, "alert_id"), young = inv_int(r, inv, "young_below");

	if (o->json) {
		fputs("{\"inventory\":", stdout);
		fwrite(r->text + r->toks[inv].start, 1, r->toks[inv].end - r->toks[inv].start,
		       stdout);
		fputs(",\"items\":[", stdout);
		return;
	}
	if (o->csv) {
		fputs("dir,path,size,birth,removed_after,removed_before,pid,uid,exe,cut\r\n",
		      stdout);
		return;
	}
	name_of(r, inv, "agent", agent, sizeof agent);
	name_of(r, inv, "store", store, sizeof store);
	name_of(r, inv, "reason", reason, sizeof reason);
	printf("Loss inventory %lld of ", (long long)inv_int(r, inv, "id"));
	term_fputs(agent, stdout);
	putchar('/');
	term_fputs(store, stdout);
	if (alert)
		printf(" (alert %lld)", (long long)alert);
	printf(": removed between %s and %s\n", when(inv_int(r, inv, "from"), t1, sizeof t1),
	       when(inv_int(r, inv, "to"), t2, sizeof t2));
	if (young)
		printf("Only items younger than the retention (%llds) at their removal: "
		       "--all for every item\n", (long long)young);
	fputs("Reason: ", stdout);
	term_fputs(reason, stdout);
	putchar('\n');
}

static void print_footer(const struct printer *p, const struct ctl_response *r, int inv)
{
	char b1[BYTES_FMT_MAX];
	int64_t truncated = inv_int(r, inv, "truncated"), dropped = inv_int(r, inv, "journal_dropped");

	if (p->o->json) {
		fputs("]}\n", stdout);
		return;
	}
	if (p->o->csv)
		return;
	printf("\n%llu items, %s, in %llu director%s (the agent's journal matched %lld)\n",
	       (unsigned long long)p->items, bytes_format((double)p->bytes, b1, sizeof b1),
	       (unsigned long long)p->dirs, p->dirs == 1 ? "y" : "ies",
	       (long long)inv_int(r, inv, "matched"));
	if (truncated)
		printf("Incomplete: %lld items are not listed (the agent's limit, or entries its "
		       "removal journal no longer holds: dropped for space or past "
		       "removal_journal_keep)\n", (long long)truncated);
	if (dropped)
		printf("The agent's removal journal dropped %lld entries for space: items may be "
		       "missing\n", (long long)dropped);
}

/* Waits for the fetch, then pages through the items. */
static int fetch_and_print(const struct lost_opts *o, int64_t id)
{
	struct printer p = { .o = o, .first_json = true };
	struct ctl_response r;
	struct buf req;
	char state[16], err[1024];
	int64_t offset = 0, next;
	time_t deadline = time(NULL) + WAIT_S;
	int inv, rc = 0;
	bool first = true;

	buf_init(&req, 256);
	buf_init(&p.csv, 4 * NAME_MAX_BYTES * 2);
	for (;;) { /* until the collector has the whole answer */
		req.len = 0;
		buf_printf(&req, "{\"cmd\":\"lost_status\",\"id\":%lld}", (long long)id);
		if ((rc = ctl_call(o->socket, "lost", &req, &r)))
			goto out;
		inv = jsonparse_get(r.text, r.toks, 0, "inventory");
		if (inv < 0 || jsonparse_get_str(r.text, r.toks, inv, "state", state, sizeof state))
			snprintf(state, sizeof state, "?");
		if (strcmp(state, "pending")) {
			if (strcmp(state, "complete")) {
				name_of(&r, inv, "error", err, sizeof err);
				fputs("shrinkwatchctl lost: the inventory could not be fetched: ", stderr);
				term_fputs(err[0] ? err : state, stderr);
				fputc('\n', stderr);
				rc = 1;
			}
			ctl_response_release(&r);
			if (rc)
				goto out;
			break;
		}
		ctl_response_release(&r);
		if (time(NULL) > deadline) {
			fprintf(stderr, "shrinkwatchctl lost: the collector is still waiting for the "
					"agent after %d s; try again with the same command later\n",
				WAIT_S);
			rc = 1;
			goto out;
		}
		nanosleep(&(struct timespec){ .tv_nsec = 20 * 1000 * 1000 }, NULL);
	}
	do { /* the pages */
		int a;

		req.len = 0;
		buf_printf(&req, "{\"cmd\":\"lost_items\",\"id\":%lld,\"offset\":%lld}",
			   (long long)id, (long long)offset);
		if ((rc = ctl_call(o->socket, "lost", &req, &r)))
			goto out;
		inv = jsonparse_get(r.text, r.toks, 0, "inventory");
		a = jsonparse_get(r.text, r.toks, 0, "items");
		if (inv < 0 || a < 0 || r.toks[a].type != JSONPARSE_ARRAY) {
			fprintf(stderr, "shrinkwatchctl lost: the collector's answer has no items\n");
			ctl_response_release(&r);
			rc = 1;
			goto out;
		}
		if (first)
			print_header(o, &r, inv);
		first = false;
		if (o->json) {
			print_json_items(&p, &r, a);
		} else {
			int it = a + 1;

			for (uint32_t i = 0; i < r.toks[a].size; i++, it = (int)r.toks[it].next)
				print_item(&p, &r, it);
		}
		next = -1;
		jsonparse_get_i64(r.text, r.toks, 0, "next", &next);
		if (next < 0)
			print_footer(&p, &r, inv);
		ctl_response_release(&r);
		offset = next;
	} while (offset >= 0);
out:
	buf_release(&req);
	buf_release(&p.csv);
	return rc;
}

int ctl_lost_main(int argc, char **argv)
{
	struct lost_opts o = { 0 };
	struct ctl_response r;
	struct buf req;
	int64_t id = 0, alert = 0, from, to, now = (int64_t)time(NULL);
	int e, rc;
	char *end;

	e = parse(argc, argv, &o);
	if (e)
		return e > 0 ? 0 : usage_error("one ALERT_ID, or --from/--to and AGENT/STORE");
	if (!o.reason || !*o.reason)
		return usage_error("--reason is required: names leave the evidence server only "
				   "for a stated purpose, which goes into the audit trail");
	if (o.json && o.csv)
		return usage_error("--json or --csv, not both");
	buf_init(&req, 64 * 1024);
	json_put_raw(&req, "{\"cmd\":\"lost\",\"reason\":");
	json_put_str(&req, o.reason);
	if (o.from || o.to) {
		if (!o.from || !o.to || ctl_parse_time(o.from, now, &from) ||
		    ctl_parse_time(o.to, now, &to)) {
			buf_release(&req);
			return usage_error("--from and --to go together: unix seconds, ISO-8601 or "
					   "relative like -2h");
		}
		json_put_raw(&req, ",\"store\":");
		json_put_str(&req, o.target);
		buf_printf(&req, ",\"from\":%lld,\"to\":%lld", (long long)from, (long long)to);
	} else {
		alert = strtoll(o.target, &end, 10);
		if (*end || alert <= 0) {
			buf_release(&req);
			return usage_error("ALERT_ID must be a number (or give --from/--to with "
					   "AGENT/STORE)");
		}
		buf_printf(&req, ",\"alert\":%lld", (long long)alert);
	}
	if (o.all)
		json_put_raw(&req, ",\"all\":true");
	if (o.refresh)
		json_put_raw(&req, ",\"refresh\":true");
	json_put_raw(&req, "}");
	rc = ctl_call(o.socket, "lost", &req, &r);
	buf_release(&req);
	if (rc)
		return rc;
	e = jsonparse_get(r.text, r.toks, 0, "inventory");
	if (e >= 0)
		jsonparse_get_i64(r.text, r.toks, e, "id", &id);
	ctl_response_release(&r);
	if (!id) {
		fprintf(stderr, "shrinkwatchctl lost: the collector's answer has no inventory\n");
		return 1;
	}
	return fetch_and_print(&o, id);
}
