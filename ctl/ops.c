/*
 * ops.c - shrinkwatchctl's operator commands (see ops.h).
 *
 * Every command builds one request, sends it, and prints the answer: a table
 * for people by default, the collector's JSON unchanged with --json.  Exit
 * status: 0 done, 1 the collector refused or failed (message on stderr), 2
 * bad usage.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client.h"
#include "ops.h"
#include "shrinkwatch/bytes.h"
#include "shrinkwatch/isotime.h"
#include "shrinkwatch/json.h"
#include "shrinkwatch/parse.h"
#include "shrinkwatch/sample.h"
#include "shrinkwatch/termesc.h"
#include "shrinkwatch/banned.h"

#define REQ_MAX (64 * 1024)

struct opts {
	const char *socket;
	bool json, all, help, not_a_loss;
	const char *comment, *reason, *from, *to, *since, *bytes, *objects, *alert, *path;
	const char *usage;
};

/* A declared path prefix as the collector keeps it (SW_TEXT_MAX + 1). */
#define CTL_PATH_PREFIX_MAX 257

enum { O_SOCKET = 1000, O_JSON, O_ALL, O_COMMENT, O_REASON, O_FROM, O_TO, O_SINCE, O_BYTES,
       O_OBJECTS, O_ALERT, O_PATH, O_NOT_A_LOSS };

/* Parses the options every command shares plus its own; argv[optind..] left. */
static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "socket", required_argument, NULL, O_SOCKET },
		{ "json", no_argument, NULL, O_JSON },
		{ "all", no_argument, NULL, O_ALL },
		{ "comment", required_argument, NULL, O_COMMENT },
		{ "reason", required_argument, NULL, O_REASON },
		{ "from", required_argument, NULL, O_FROM },
		{ "to", required_argument, NULL, O_TO },
		{ "since", required_argument, NULL, O_SINCE },
		{ "bytes", required_argument, NULL, O_BYTES },
		{ "objects", required_argument, NULL, O_OBJECTS },
		{ "alert", required_argument, NULL, O_ALERT },
		{ "path", required_argument, NULL, O_PATH },
		{ "not-a-loss", no_argument, NULL, O_NOT_A_LOSS },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	optind = 1;
	opterr = 1;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case O_SOCKET: o->socket = optarg; break;
		case O_JSON: o->json = true; break;
		case O_ALL: o->all = true; break;
		case O_COMMENT: o->comment = optarg; break;
		case O_REASON: o->reason = optarg; break;
		case O_FROM: o->from = optarg; break;
		case O_TO: o->to = optarg; break;
		case O_SINCE: o->since = optarg; break;
		case O_BYTES: o->bytes = optarg; break;
		case O_OBJECTS: o->objects = optarg; break;
		case O_ALERT: o->alert = optarg; break;
		case O_PATH: o->path = optarg; break;
		case O_NOT_A_LOSS: o->not_a_loss = true; break;
		case 'h': o->help = true; break;
		default:
			fprintf(stderr, "usage: shrinkwatchctl %s\n", o->usage);
			return -EINVAL;
		}
	}
	if (o->help) {
		printf("usage: shrinkwatchctl %s\n  --socket PATH  the collector's control socket\n"
		       "  --json         print the collector's JSON answer\n",
		       o->usage);
		return 1;
	}
	return 0;
}

static int usage_error(const struct opts *o, const char *why)
{
	fprintf(stderr, "shrinkwatchctl: %s\nusage: shrinkwatchctl %s\n", why, o->usage);
	return 2;
}

/* Sends req; prints JSON or returns the parsed answer for a table.  Returns
 * -1 when the command is finished (printed JSON or an error). */
static int call(const struct opts *o, struct buf *req, struct ctl_response *resp, int *rc)
{
	char err[1024], shown[TERM_ESCAPE_MAX(1024)];
	bool ok = false;

	if (buf_append(req, "", 1)) {
		fprintf(stderr, "shrinkwatchctl: request too long\n");
		*rc = 2;
		return -1;
	}
	if (ctl_request(ctl_socket_path(o->socket), (const char *)req->data, resp)) {
		*rc = 1;
		return -1;
	}
	jsonparse_get_bool(resp->text, resp->toks, 0, "ok", &ok);
	if (!ok) {
		if (jsonparse_get_str(resp->text, resp->toks, 0, "error", err, sizeof err))
			snprintf(err, sizeof err, "the collector refused the request");
		fprintf(stderr, "shrinkwatchctl: %s\n", term_escape(err, shown, sizeof shown));
		if (o->json)
			printf("%s\n", resp->text);
		ctl_response_release(resp);
		*rc = 1;
		return -1;
	}
	if (o->json) {
		printf("%s\n", resp->text);
		ctl_response_release(resp);
		*rc = 0;
		return -1;
	}
	return 0;
}

/* ---- field access for tables ------------------------------------------- */

/* Member key of obj as text for the terminal, escaped (termesc.h): every
 * string a table shows passes here, since any of them (a store name, a
 * deleting program's path, a comment) may come from a hostile agent or file
 * name.  "-" when absent or longer than a table can hold. */
static const char *fstr(const struct ctl_response *r, int obj, const char *key, char *buf,
			size_t len)
{
	char raw[4096];

	if (jsonparse_get_str(r->text, r->toks, obj, key, raw, sizeof raw))
		snprintf(buf, len, "-");
	else
		term_escape(raw, buf, len);
	return buf;
}

static double fnum(const struct ctl_response *r, int obj, const char *key)
{
	double v = 0;

	jsonparse_get_double(r->text, r->toks, obj, key, &v);
	return v;
}

static int64_t fint(const struct ctl_response *r, int obj, const char *key)
{
	int64_t v = 0;

	jsonparse_get_i64(r->text, r->toks, obj, key, &v);
	return v;
}

/* The AGENT/STORE column of the element obj into buf, as every table that
 * lists stores writes it ("-" for a part the answer lacks). */
static const char *store_name(const struct ctl_response *r, int obj, char *buf, size_t len)
{
	char a[80], s[80];

	snprintf(buf, len, "%s/%s", fstr(r, obj, "agent", a, sizeof a),
		 fstr(r, obj, "store", s, sizeof s));
	return buf;
}

/* A time for the tables: ISO 8601 in UTC (isotime.h), "-" for none. */
static const char *when(int64_t t, char *buf, size_t len)
{
	if (!t)
		snprintf(buf, len, "-");
	else
		iso_time(t, buf, len);
	return buf;
}

/* The array member key of the answer: its first element's token, or -1. */
static int array_first(const struct ctl_response *r, const char *key, uint32_t *count)
{
	int a = jsonparse_get(r->text, r->toks, 0, key);

	if (a < 0 || r->toks[a].type != JSONPARSE_ARRAY) {
		*count = 0;
		return -1;
	}
	*count = r->toks[a].size;
	return a + 1;
}

/* ---- commands ----------------------------------------------------------- */

/*
 * The commands that only read: no arguments, maybe --all (and --since for
 * audit), one request {"cmd":NAME,...}.  Returns 0 with the answer in r for
 * a table; otherwise the command is done and *rc is its exit status.
 */
static int read_call(int argc, char **argv, struct opts *o, struct ctl_response *r, int *rc)
{
	struct buf req;
	char why[64];
	int64_t since = 0;
	int e;

	if ((e = parse_opts(argc, argv, o))) {
		*rc = e < 0 ? 2 : 0;
		return -1;
	}
	snprintf(why, sizeof why, "%s takes no arguments", argv[0]);
	if (optind != argc) {
		*rc = usage_error(o, why);
		return -1;
	}
	if (o->since && (strcmp(argv[0], "audit") ||
			 ctl_parse_time(o->since, (int64_t)time(NULL), &since))) {
		*rc = usage_error(o, strcmp(argv[0], "audit") ? "--since is an option of audit only" : "--since must be unix seconds, ISO-8601 or relative like -1d");
		return -1;
	}
	buf_init(&req, REQ_MAX);
	json_put_raw(&req, "{\"cmd\":");
	json_put_str(&req, argv[0]);
	if (o->all)
		json_put_raw(&req, ",\"all\":true");
	if (o->since) {
		json_put_raw(&req, ",\"since\":");
		json_put_i64(&req, since);
	}
	json_put_raw(&req, "}");
	e = call(o, &req, r, rc);
	buf_release(&req);
	return e;
}

/*
 * Below the table: per store, whether the detector is calibrated and the
 * floors in force, so that an operator whose test deletion raised nothing
 * can see why (a loss must exceed the larger of the absolute floor and the
 * store's fraction), and what "uncalibrated" means.
 */
static void print_floors(const struct ctl_response *r)
{
	char name[170], b1[BYTES_FMT_MAX], b2[BYTES_FMT_MAX];
	bool any_uncalibrated = false;
	uint32_t n;
	int e, i;

	e = array_first(r, "stores", &n);
	if (e < 0 || !n)
		return;
	printf("\nAlert floors: a loss alerts only when the part without explanation reaches the "
	       "larger of\ndrop_min_bytes / drop_min_objects and drop_threshold (a fraction of "
	       "the store):\n");
	for (i = 0; e >= 0 && (uint32_t)i < n; i++, e = (int)r->toks[e].next) {
		bool cal = false;
		double mb = fnum(r, e, "drop_min_bytes"), mo = fnum(r, e, "drop_min_objects");
		double rel = fnum(r, e, "drop_threshold");
		double nb = rel * fnum(r, e, "bytes"), no = rel * fnum(r, e, "objects");

		store_name(r, e, name, sizeof name);
		jsonparse_get_bool(r->text, r->toks, e, "calibrated", &cal);
		any_uncalibrated |= !cal;
		if (mb <= 0 && mo <= 0) {
			printf("  %-32s %-13s floors not known yet (no sample since the collector "
			       "started)\n", name, cal ? "calibrated" : "uncalibrated");
			continue;
		}
		printf("  %-32s %-13s now %s or %.0f objects (floors %s / %.0f objects, "
		       "threshold %.2f%%)\n",
		       name, cal ? "calibrated" : "uncalibrated",
		       bytes_format(nb > mb ? nb : mb, b1, sizeof b1), no > mo ? no : mo,
		       bytes_format(mb, b2, sizeof b2), mo, 100.0 * rel);
	}
	if (any_uncalibrated)
		printf("uncalibrated: the detector is still learning the store (a day of samples "
		       "and its purge hour;\n'purge_at' in [store AGENT/STORE] gives the hour at "
		       "once).  Until then a day's removal that\nlooks like the nightly purge (up "
		       "to warmup_purge_cap, 10%% by default) is taken for it, not alerted.\n");
}

/* The stores of the status answer's agent element e that the collector
 * refuses now (admit.h "refused_stores"): not watched, so each is named
 * with why. */
static void print_refused_stores(const struct ctl_response *r, int e)
{
	int a = jsonparse_get(r->text, r->toks, e, "refused_stores");
	char store[TERM_ESCAPE_MAX(SW_NAME_MAX)], why[TERM_ESCAPE_MAX(300)], t[40];

	if (a < 0 || r->toks[a].type != JSONPARSE_ARRAY)
		return;
	for (uint32_t i = 0, x = (uint32_t)a + 1; i < r->toks[a].size; i++, x = r->toks[x].next) {
		int o = (int)x;

		printf("  store %s NOT WATCHED: refused since %s (%.0f samples dropped): %s\n",
		       fstr(r, o, "store", store, sizeof store), when(fint(r, o, "since"), t, sizeof t),
		       fnum(r, o, "samples"), fstr(r, o, "reason", why, sizeof why));
	}
}

/* The status answer's "agents": history an agent lost, and what the
 * collector refused of it (collector/net/admit.h), one line per agent. */
static void print_agent_health(const struct ctl_response *r)
{
	uint32_t n;
	int e, i;

	for (e = array_first(r, "agents", &n), i = 0; e >= 0 && (uint32_t)i < n;
	     i++, e = (int)r->toks[e].next) {
		char agent[TERM_ESCAPE_MAX(SW_NAME_MAX)];
		const char *sep = "";

		if (i == 0)
			printf("\n");
		printf("agent %s:", fstr(r, e, "agent", agent, sizeof agent));
		if (fnum(r, e, "samples_lost") || fnum(r, e, "gaps")) {
			printf(" %.0f samples lost on the agent (%.0f gaps): that history is "
			       "missing", fnum(r, e, "samples_lost"), fnum(r, e, "gaps"));
			sep = ";";
		}
		if (fnum(r, e, "samples_refused")) {
			printf("%s %.0f samples of %.0f stores refused (max_stores_per_agent, "
			       "max_new_stores_per_hour)", sep, fnum(r, e, "samples_refused"),
			       fnum(r, e, "stores_refused"));
			sep = ";";
		}
		if (fnum(r, e, "frames_refused")) {
			printf("%s %.0f frames refused (max_seq_jump)", sep,
			       fnum(r, e, "frames_refused"));
			sep = ";";
		}
		if (fnum(r, e, "hellos_refused"))
			printf("%s %.0f connections refused (min_interval)", sep,
			       fnum(r, e, "hellos_refused"));
		printf("\n");
		print_refused_stores(r, e);
	}
}

/* The end of a status line: the retention exact accounting uses
 * ("retention 31d", "retention 30d learned") for stores whose agent keeps
 * exact accounts (protocol version 3). */
static void print_retention(const struct ctl_response *r, int e)
{
	bool exact = false, learned = false;
	int64_t ret = fint(r, e, "retention");

	jsonparse_get_bool(r->text, r->toks, e, "exact", &exact);
	jsonparse_get_bool(r->text, r->toks, e, "retention_learned", &learned);
	if (!exact)
		putchar('\n');
	else if (!ret)
		printf("  exact, retention unknown\n");
	else if (ret % 86400 == 0)
		printf("  exact, retention %lldd%s\n", (long long)(ret / 86400), learned ? " learned" : "");
	else
		printf("  exact, retention %llds%s\n", (long long)ret, learned ? " learned" : "");
}

/* Under an object store's line: its listing cost, and for a versioned
 * bucket the deletions that can still be undone. */
static void print_listing(const struct ctl_response *r, int e)
{
	bool versioned = false;
	char b1[BYTES_FMT_MAX];

	if (jsonparse_get(r->text, r->toks, e, "list_requests") < 0)
		return;
	jsonparse_get_bool(r->text, r->toks, e, "versioned", &versioned);
	printf("  %.0f listing requests", fnum(r, e, "list_requests"));
	if (versioned)
		printf("; versioned: %.0f delete markers, %.0f noncurrent versions (%s) can be "
		       "restored", fnum(r, e, "delete_markers"), fnum(r, e, "noncurrent_objects"),
		       bytes_format(fnum(r, e, "noncurrent_bytes"), b1, sizeof b1));
	printf("\n");
}

int ctl_status_main(int argc, char **argv)
{
	struct opts o = { .usage = "status [--socket PATH] [--json]" };
	struct ctl_response r;
	char st[32], scan[32], b1[BYTES_FMT_MAX], b2[BYTES_FMT_MAX], tbuf[40];
	uint32_t n;
	int rc = 0, e, i;
	int64_t now;

	if (read_call(argc, argv, &o, &r, &rc))
		return rc;
	now = fint(&r, 0, "now");
	printf("%-32s %-13s %-5s %-9s %-9s %10s %12s %s\n", "AGENT/STORE", "STATE", "AGENT",
	       "SCAN", "AGE", "OBJECTS", "BYTES", "ALERTS");
	for (e = array_first(&r, "stores", &n), i = 0; e >= 0 && (uint32_t)i < n;
	     i++, e = (int)r.toks[e].next) {
		int64_t last = fint(&r, e, "last_time");
		char name[170];

		store_name(&r, e, name, sizeof name);
		if (last)
			snprintf(tbuf, sizeof tbuf, "%llds", (long long)(now - last));
		else
			snprintf(tbuf, sizeof tbuf, "never");
		bool up = false;

		jsonparse_get_bool(r.text, r.toks, e, "connected", &up);
		printf("%-32s %-13s %-5s %-9s %-9s %10.0f %12s %.0f%s%s", name,
		       fstr(&r, e, "state", st, sizeof st), up ? "up" : "down",
		       fstr(&r, e, "scan", scan, sizeof scan),
		       tbuf, fnum(&r, e, "objects"),
		       bytes_format(fnum(&r, e, "bytes"), b1, sizeof b1),
		       fnum(&r, e, "open_alerts"),
		       fnum(&r, e, "open_alerts") > 0 ? " " : "",
		       fnum(&r, e, "open_alerts") > 0 ? fstr(&r, e, "worst_kind", st, sizeof st)
						       : "");
		print_retention(&r, e);
		print_listing(&r, e);
	}
	e = jsonparse_get(r.text, r.toks, 0, "totals");
	if (e >= 0)
		printf("\n%.0f agents (%.0f connected), %.0f stores, %.0f objects, %s; %.0f open "
		       "alerts; %.0f notifications queued\n",
		       fnum(&r, e, "agents"), fnum(&r, e, "agents_connected"),
		       fnum(&r, e, "stores"), fnum(&r, e, "objects"),
		       bytes_format(fnum(&r, e, "bytes"), b2, sizeof b2),
		       fnum(&r, e, "open_alerts"), fnum(&r, e, "outbox"));
	print_agent_health(&r);
	print_floors(&r);
	ctl_response_release(&r);
	return 0;
}

int ctl_alerts_main(int argc, char **argv)
{
	struct opts o = { .usage = "alerts [--all] [--socket PATH] [--json]" };
	struct ctl_response r;
	char st[24], sev[16], kind[24], sum[1024], t1[40], b1[BYTES_FMT_MAX], name[170];
	uint32_t n;
	int rc = 0, e, i;

	if (read_call(argc, argv, &o, &r, &rc))
		return rc;
	e = array_first(&r, "alerts", &n);
	if (!n) {
		printf(o.all ? "no alerts\n" : "no open alerts\n");
	} else {
		printf("%-5s %-12s %-8s %-11s %-28s %-20s %11s %8s  %s\n", "ID", "STATE",
		       "SEVERITY", "KIND", "AGENT/STORE", "SINCE", "LOST", "OBJECTS", "SUMMARY");
	}
	for (i = 0; e >= 0 && (uint32_t)i < n; i++, e = (int)r.toks[e].next) {
		store_name(&r, e, name, sizeof name);
		printf("%-5" PRId64 " %-12s %-8s %-11s %-28s %-20s %11s %8.0f  %s\n",
		       fint(&r, e, "id"), fstr(&r, e, "state", st, sizeof st),
		       fstr(&r, e, "severity", sev, sizeof sev),
		       fstr(&r, e, "kind", kind, sizeof kind), name,
		       when(fint(&r, e, "since"), t1, sizeof t1),
		       bytes_format(fnum(&r, e, "lost_bytes"), b1, sizeof b1),
		       fnum(&r, e, "lost_objects"), fstr(&r, e, "summary", sum, sizeof sum));
		if (*fstr(&r, e, "attribution", sum, sizeof sum))
			printf("%-5s deleted: %s\n", "", sum);
		if (!strcmp(st, "not-a-loss")) {
			char who[256];

			printf("%-5s not a loss, said %s at %s: %s\n", "",
			       fstr(&r, e, "ack_by", who, sizeof who),
			       when(fint(&r, e, "ack_at"), t1, sizeof t1),
			       fstr(&r, e, "ack_comment", sum, sizeof sum));
		}
	}
	ctl_response_release(&r);
	return 0;
}

static int parse_id(const char *s, int64_t *id)
{
	uint64_t v;

	if (!s || parse_u64(s, &v) || v == 0 || v > INT64_MAX)
		return -EINVAL;
	*id = (int64_t)v;
	return 0;
}

/* Sends a changing request and prints "what N". */
static int run_change(const struct opts *o, struct buf *req, const char *what)
{
	struct ctl_response r;
	int rc = 0;

	if (call(o, req, &r, &rc) < 0)
		return rc;
	printf("%s %" PRId64 "\n", what, fint(&r, 0, "id"));
	ctl_response_release(&r);
	return 0;
}

/*
 * A change of one object by id that needs a text: `ack ID --comment TEXT`,
 * `revoke ID --reason TEXT`.  key is the request's text member ("comment",
 * "reason"); done is what to print before the id.
 */
static int id_and_text_main(int argc, char **argv, const char *usage, const char *key,
			    const char *done)
{
	struct opts o = { .usage = usage };
	const char *text;
	struct buf req;
	char why[64];
	int64_t id;
	int rc;

	if ((rc = parse_opts(argc, argv, &o)))
		return rc < 0 ? 2 : 0;
	if (o.not_a_loss && strcmp(argv[0], "ack"))
		return usage_error(&o, "--not-a-loss belongs to ack");
	text = !strcmp(key, "comment") ? o.comment : o.reason;
	snprintf(why, sizeof why, "%s needs one ID", argv[0]);
	if (optind != argc - 1 || parse_id(argv[optind], &id))
		return usage_error(&o, why);
	snprintf(why, sizeof why, "%s needs --%s TEXT", argv[0], key);
	if (!text || !*text)
		return usage_error(&o, why);
	buf_init(&req, REQ_MAX);
	json_put_raw(&req, "{\"cmd\":");
	json_put_str(&req, argv[0]);
	json_put_raw(&req, ",\"id\":");
	json_put_i64(&req, id);
	json_put_raw(&req, ",");
	json_put_key(&req, key);
	json_put_str(&req, text);
	if (o.not_a_loss)
		json_put_raw(&req, ",\"not_a_loss\":true");
	json_put_raw(&req, "}");
	rc = run_change(&o, &req, o.not_a_loss ? "not a loss: closed alert" : done);
	buf_release(&req);
	return rc;
}

int ctl_ack_main(int argc, char **argv)
{
	return id_and_text_main(argc, argv,
				"ack ID [--not-a-loss] --comment TEXT [--socket PATH] [--json]",
				"comment", "acknowledged alert");
}

static int put_size(struct buf *req, const char *key, const char *v, const struct opts *o,
		    int *rc)
{
	uint64_t n;

	if (!v)
		return 0;
	if (parse_size(v, &n) || n > INT64_MAX) {
		char why[96];

		snprintf(why, sizeof why, "--%s must be a count or size like 1024, 64M", key);
		*rc = usage_error(o, why);
		return -1;
	}
	json_put_raw(req, ",");
	json_put_key(req, key);
	return json_put_u64(req, n);
}

int ctl_explain_main(int argc, char **argv)
{
	struct opts o = { .usage = "explain AGENT/STORE --from T --to T [--bytes N] "
				   "[--objects N] --reason TEXT\n"
				   "       shrinkwatchctl explain AGENT/STORE --from T --to T "
				   "--path PREFIX --reason TEXT\n"
				   "       shrinkwatchctl explain --alert ID [--bytes N] "
				   "[--objects N] --reason TEXT" };
	int64_t now = (int64_t)time(NULL), from, to, id;
	struct buf req;
	int rc;

	if ((rc = parse_opts(argc, argv, &o)))
		return rc < 0 ? 2 : 0;
	if (!o.reason || !*o.reason)
		return usage_error(&o, "explain needs --reason TEXT");
	buf_init(&req, REQ_MAX);
	json_put_raw(&req, "{\"cmd\":\"explain\",\"reason\":");
	json_put_str(&req, o.reason);
	if (o.alert) {
		if (optind != argc || parse_id(o.alert, &id) || o.from || o.to || o.path) {
			rc = usage_error(&o, "explain --alert ID takes no store, no window and no "
					     "--path");
			goto out;
		}
		json_put_raw(&req, ",\"alert\":");
		json_put_i64(&req, id);
	} else {
		if (optind != argc - 1 || !strchr(argv[optind], '/')) {
			rc = usage_error(&o, "explain needs AGENT/STORE (or --alert ID)");
			goto out;
		}
		if (!o.from || !o.to || ctl_parse_time(o.from, now, &from) ||
		    ctl_parse_time(o.to, now, &to)) {
			rc = usage_error(&o, "explain needs --from T and --to T (unix seconds, "
					     "ISO-8601 like 2026-11-23T02:00Z, or relative like "
					     "-2h)");
			goto out;
		}
		json_put_raw(&req, ",\"store\":");
		json_put_str(&req, argv[optind]);
		json_put_raw(&req, ",\"from\":");
		json_put_i64(&req, from);
		json_put_raw(&req, ",\"to\":");
		json_put_i64(&req, to);
		if (o.path) {
			if (!*o.path || o.path[0] == '/' || o.bytes || o.objects) {
				rc = usage_error(&o, "--path takes a prefix relative to the store "
						     "(like 2021/case4411/) and no --bytes or "
						     "--objects: it covers the items under it one "
						     "by one");
				goto out;
			}
			json_put_raw(&req, ",\"path\":");
			json_put_str(&req, o.path);
		}
	}
	if (put_size(&req, "bytes", o.bytes, &o, &rc) || put_size(&req, "objects", o.objects, &o, &rc))
		goto out;
	json_put_raw(&req, "}");
	rc = run_change(&o, &req, "filed explanation");
out:
	buf_release(&req);
	return rc;
}

int ctl_explanations_main(int argc, char **argv)
{
	struct opts o = { .usage = "explanations [--all] [--socket PATH] [--json]" };
	struct ctl_response r;
	char who[64], reason[256], t1[40], t2[40], b[BYTES_FMT_MAX], name[170], st[64];
	uint32_t n;
	int rc = 0, e, i;

	if (read_call(argc, argv, &o, &r, &rc))
		return rc;
	e = array_first(&r, "explanations", &n);
	if (!n)
		printf(o.all ? "no explanations\n" : "no active explanations\n");
	else
		printf("%-5s %-28s %-20s %-20s %11s %8s %-10s %-10s %s\n", "ID", "AGENT/STORE",
		       "FROM", "TO", "BYTES", "OBJECTS", "WHO", "STATUS", "REASON");
	for (i = 0; e >= 0 && (uint32_t)i < n; i++, e = (int)r.toks[e].next) {
		int bi = jsonparse_get(r.text, r.toks, e, "bytes");
		int oi = jsonparse_get(r.text, r.toks, e, "objects");
		char objs[32], pathraw[CTL_PATH_PREFIX_MAX], pathshown[TERM_ESCAPE_MAX(CTL_PATH_PREFIX_MAX)] = "";

		store_name(&r, e, name, sizeof name);
		if (bi < 0 || r.toks[bi].type == JSONPARSE_NULL)
			snprintf(b, sizeof b, "any");
		else
			bytes_format(fnum(&r, e, "bytes"), b, sizeof b);
		if (oi < 0 || r.toks[oi].type == JSONPARSE_NULL)
			snprintf(objs, sizeof objs, "any");
		else
			snprintf(objs, sizeof objs, "%.0f", fnum(&r, e, "objects"));
		if (jsonparse_get_str(r.text, r.toks, e, "path", pathraw, sizeof pathraw) == 0) {
			/* item for item under a prefix: no allowance to show */
			term_escape(pathraw, pathshown, sizeof pathshown);
			snprintf(b, sizeof b, "path");
			snprintf(objs, sizeof objs, "items");
		}
		if (fint(&r, e, "revoked_at"))
			snprintf(st, sizeof st, "revoked");
		else if (fint(&r, e, "alert_id"))
			snprintf(st, sizeof st, "alert %" PRId64, fint(&r, e, "alert_id"));
		else
			snprintf(st, sizeof st, "active");
		printf("%-5" PRId64 " %-28s %-20s %-20s %11s %8s %-10s %-10s %s%s%s%s\n",
		       fint(&r, e, "id"), name, when(fint(&r, e, "start"), t1, sizeof t1),
		       when(fint(&r, e, "end"), t2, sizeof t2), b, objs,
		       fstr(&r, e, "who", who, sizeof who), st,
		       fstr(&r, e, "reason", reason, sizeof reason), pathshown[0] ? " (path " : "",
		       pathshown, pathshown[0] ? ")" : "");
	}
	ctl_response_release(&r);
	return 0;
}

/* deletions [AGENT [STORE]]: the agents' deletion reports, newest first. */
int ctl_deletions_main(int argc, char **argv)
{
	struct opts o = { .usage = "deletions [AGENT [STORE]] [--socket PATH] [--json]" };
	struct ctl_response r;
	char dir[TERM_ESCAPE_MAX(256)], exe[TERM_ESCAPE_MAX(256)], t1[40], name[170], uid[32];
	struct buf req;
	uint32_t n;
	int rc = 0, e, i;

	if ((e = parse_opts(argc, argv, &o)))
		return e < 0 ? 2 : 0;
	if (argc - optind > 2)
		return usage_error(&o, "deletions takes at most an agent and a store");
	buf_init(&req, REQ_MAX);
	json_put_raw(&req, "{\"cmd\":\"deletions\",\"limit\":1000");
	if (optind < argc) {
		json_put_raw(&req, ",\"agent\":");
		json_put_str(&req, argv[optind]);
	}
	if (optind + 1 < argc) {
		json_put_raw(&req, ",\"store\":");
		json_put_str(&req, argv[optind + 1]);
	}
	json_put_raw(&req, "}");
	e = call(&o, &req, &r, &rc);
	buf_release(&req);
	if (e)
		return rc;
	e = array_first(&r, "deletions", &n);
	if (!n)
		printf("no deletion reports\n");
	else
		printf("%-20s %-28s %8s %6s %-16s %7s %5s %s\n", "WHEN", "AGENT/STORE", "FILES",
		       "DIRS", "UNDER", "PID", "UID", "EXECUTABLE");
	for (i = 0; e >= 0 && (uint32_t)i < n; i++, e = (int)r.toks[e].next) {
		int ui = jsonparse_get(r.text, r.toks, e, "uid");

		store_name(&r, e, name, sizeof name);
		if (ui < 0 || r.toks[ui].type == JSONPARSE_NULL)
			snprintf(uid, sizeof uid, "?");
		else
			snprintf(uid, sizeof uid, "%" PRId64, fint(&r, e, "uid"));
		printf("%-20s %-28s %8" PRId64 " %6" PRId64 " %-16s %7" PRId64 " %5s %s\n",
		       when(fint(&r, e, "first"), t1, sizeof t1), name, fint(&r, e, "files"),
		       fint(&r, e, "dirs"), fstr(&r, e, "dir", dir, sizeof dir),
		       fint(&r, e, "pid"), uid, fstr(&r, e, "exe", exe, sizeof exe));
	}
	ctl_response_release(&r);
	return 0;
}

int ctl_revoke_main(int argc, char **argv)
{
	return id_and_text_main(argc, argv, "revoke ID --reason TEXT [--socket PATH] [--json]",
				"reason", "revoked explanation");
}

int ctl_audit_main(int argc, char **argv)
{
	struct opts o = { .usage = "audit [--since T] [--socket PATH] [--json]" };
	struct ctl_response r;
	char who[64], action[32], target[160], detail[1024], t1[40];
	uint32_t n;
	int rc = 0, e, i;

	if (read_call(argc, argv, &o, &r, &rc))
		return rc;
	e = array_first(&r, "audit", &n);
	if (!n)
		printf("no audit entries\n");
	else
		printf("%-20s %-12s %-16s %-24s %s\n", "TIME", "WHO", "ACTION", "TARGET", "DETAIL");
	for (i = 0; e >= 0 && (uint32_t)i < n; i++, e = (int)r.toks[e].next)
		printf("%-20s %-12s %-16s %-24s %s\n", when(fint(&r, e, "time"), t1, sizeof t1),
		       fstr(&r, e, "who", who, sizeof who),
		       fstr(&r, e, "action", action, sizeof action),
		       fstr(&r, e, "target", target, sizeof target),
		       fstr(&r, e, "detail", detail, sizeof detail));
	ctl_response_release(&r);
	return 0;
}
