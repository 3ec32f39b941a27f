/*
 * copies.c - shrinkwatchctl copies and copy-check (see copies.h).
 *
 * Every name printed here came from an evidence server and is hostile: the
 * terminal form goes through term_escape(), CSV through csv_put_field(),
 * and --json passes on the collector's JSON, which escaped it already.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client.h"
#include "copies.h"
#include "shrinkwatch/bytes.h"
#include "shrinkwatch/csv.h"
#include "shrinkwatch/html.h"
#include "shrinkwatch/json.h"
#include "shrinkwatch/termesc.h"
#include "shrinkwatch/banned.h"

#define CHECK_USAGE                                                                          \
	"copy-check NAME --reason TEXT [--json | --csv] [--socket PATH]\n"                   \
	"       shrinkwatchctl copy-check --source AGENT/STORE --destination AGENT/STORE\n"  \
	"              [--source-prefix DIR] [--destination-prefix DIR] [--grace DURATION]\n" \
	"              [--compare names|sizes|content] --reason TEXT [--json | --csv]"
/* How long a comparison may take before shrinkwatchctl gives up waiting
 * (the collector's own per-directory timeout is 120 s). */
#define WAIT_S 600
#define PATH_BYTES 8193

enum {
	O_SOCKET = 1000, O_JSON, O_CSV, O_REASON, O_SOURCE, O_DESTINATION, O_SPREFIX, O_DPREFIX,
	O_GRACE, O_COMPARE,
};

struct check_opts {
	const char *socket, *reason, *name, *source, *destination, *sprefix, *dprefix, *grace,
		*compare;
	bool json, csv;
};

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

static int64_t num(const struct ctl_response *r, int obj, const char *key)
{
	int64_t v = 0;

	jsonparse_get_i64(r->text, r->toks, obj, key, &v);
	return v;
}

static const char *str(const struct ctl_response *r, int obj, const char *key, char *out,
		       size_t len)
{
	if (jsonparse_get_str(r->text, r->toks, obj, key, out, len))
		out[0] = '\0';
	return out;
}

/* ---- copies ------------------------------------------------------------ */

static void print_relation(const struct ctl_response *r, int o)
{
	char name[128], src[2200], dst[2200], state[16], t[40];
	int64_t missing = num(r, o, "missing"), differs = num(r, o, "differs");

	str(r, o, "name", name, sizeof name);
	str(r, o, "source", src, sizeof src);
	str(r, o, "destination", dst, sizeof dst);
	str(r, o, "state", state, sizeof state);
	term_fputs(name, stdout);
	fputs(": ", stdout);
	term_fputs(src, stdout);
	fputs(" -> ", stdout);
	term_fputs(dst, stdout);
	fputs("\n  ", stdout);
	if (!strcmp(state, "incomplete")) {
		if (missing)
			printf("%lld missing", (long long)missing);
		if (differs)
			printf("%s%lld differing", missing ? ", " : "", (long long)differs);
	} else {
		fputs(state, stdout);
	}
	printf(" since %s", when(num(r, o, "since"), t, sizeof t));
	if (num(r, o, "lost"))
		printf("; %lld lost at both ends (copy_lost)", (long long)num(r, o, "lost"));
	if (num(r, o, "in_transit"))
		printf("; %lld in transit (within grace)", (long long)num(r, o, "in_transit"));
	if (num(r, o, "unknown_dirs"))
		printf("; %lld directories unknown", (long long)num(r, o, "unknown_dirs"));
	printf("\n  source %lld files, destination %lld files; checked %s", 
	       (long long)num(r, o, "source_files"), (long long)num(r, o, "destination_files"),
	       when(num(r, o, "checked_at"), t, sizeof t));
	printf(", last complete %s\n", when(num(r, o, "complete_at"), t, sizeof t));
}

int ctl_copies_main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "socket", required_argument, NULL, O_SOCKET },
		{ "json", no_argument, NULL, O_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *socket = NULL;
	bool json = false;
	struct ctl_response r;
	struct buf req;
	int c, a, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case O_SOCKET:
			socket = optarg;
			break;
		case O_JSON:
			json = true;
			break;
		case 'h':
			printf("usage: shrinkwatchctl copies [--json] [--socket PATH]\n");
			return 0;
		default:
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "shrinkwatchctl copies: no arguments expected\n");
		return 2;
	}
	buf_init(&req, 64);
	json_put_raw(&req, "{\"cmd\":\"copies\"}");
	rc = ctl_call(socket, "copies", &req, &r);
	buf_release(&req);
	if (rc)
		return rc;
	a = jsonparse_get(r.text, r.toks, 0, "copies");
	if (a < 0 || r.toks[a].type != JSONPARSE_ARRAY) {
		fprintf(stderr, "shrinkwatchctl copies: the collector's answer has no copies\n");
		ctl_response_release(&r);
		return 1;
	}
	if (json) {
		fwrite(r.text + r.toks[a].start, 1, r.toks[a].end - r.toks[a].start, stdout);
		putchar('\n');
	} else if (!r.toks[a].size) {
		printf("No copy relations: add [copy NAME] sections to the collector's "
		       "configuration (shrinkwatch-collector.conf(5)).\n");
	} else {
		int o = a + 1;

		for (uint32_t i = 0; i < r.toks[a].size; i++, o = (int)r.toks[o].next)
			print_relation(&r, o);
	}
	ctl_response_release(&r);
	return 0;
}

/* ---- copy-check -------------------------------------------------------- */

static int usage_error(const char *why)
{
	fprintf(stderr, "shrinkwatchctl copy-check: %s\nusage: shrinkwatchctl " CHECK_USAGE "\n",
		why);
	return 2;
}

static int parse(int argc, char **argv, struct check_opts *o)
{
	static const struct option lo[] = {
		{ "socket", required_argument, NULL, O_SOCKET },
		{ "json", no_argument, NULL, O_JSON },
		{ "csv", no_argument, NULL, O_CSV },
		{ "reason", required_argument, NULL, O_REASON },
		{ "source", required_argument, NULL, O_SOURCE },
		{ "destination", required_argument, NULL, O_DESTINATION },
		{ "source-prefix", required_argument, NULL, O_SPREFIX },
		{ "destination-prefix", required_argument, NULL, O_DPREFIX },
		{ "grace", required_argument, NULL, O_GRACE },
		{ "compare", required_argument, NULL, O_COMPARE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case O_SOCKET: o->socket = optarg; break;
		case O_JSON: o->json = true; break;
		case O_CSV: o->csv = true; break;
		case O_REASON: o->reason = optarg; break;
		case O_SOURCE: o->source = optarg; break;
		case O_DESTINATION: o->destination = optarg; break;
		case O_SPREFIX: o->sprefix = optarg; break;
		case O_DPREFIX: o->dprefix = optarg; break;
		case O_GRACE: o->grace = optarg; break;
		case O_COMPARE: o->compare = optarg; break;
		case 'h':
			printf("usage: shrinkwatchctl " CHECK_USAGE "\n");
			return -1;
		default:
			return 2;
		}
	}
	if (optind < argc)
		o->name = argv[optind++];
	return optind == argc ? 0 : 2;
}

/* An item's path with its exact bytes (path_hex when the collector sent
 * it, for a name that is not UTF-8); "" when the agent sent no name. */
static const char *item_path(const struct ctl_response *r, int it, char *out, size_t len)
{
	char hex[2 * PATH_BYTES + 1];
	size_t i = 0;

	if (jsonparse_get_str(r->text, r->toks, it, "path_hex", hex, sizeof hex))
		return str(r, it, "path", out, len);
	for (const char *h = hex; h[0] && h[1] && i + 1 < len; h += 2) {
		char two[3] = { h[0], h[1], '\0' };

		out[i++] = (char)strtoul(two, NULL, 16);
	}
	out[i] = '\0';
	return out;
}

static void print_item(const struct check_opts *o, const struct ctl_response *r, int it,
		       struct buf *csv)
{
	static char path[PATH_BYTES];
	char kind[16], hash[40], b1[BYTES_FMT_MAX], t[40];
	int64_t size = num(r, it, "size"), dsize = -1;
	bool withheld = false; /* path is the deepest the agent's inventory_depth allowed */

	jsonparse_get_bool(r->text, r->toks, it, "names_withheld", &withheld);
	str(r, it, "kind", kind, sizeof kind);
	str(r, it, "name_hash", hash, sizeof hash);
	item_path(r, it, path, sizeof path);
	jsonparse_get_i64(r->text, r->toks, it, "destination_size", &dsize);
	if (o->csv) {
		csv->len = 0;
		csv_put_field(csv, kind);
		buf_put_u8(csv, ',');
		csv_put_field(csv, path);
		buf_put_u8(csv, ',');
		csv_put_i64(csv, size);
		buf_put_u8(csv, ',');
		if (dsize >= 0)
			csv_put_i64(csv, dsize);
		buf_put_u8(csv, ',');
		csv_put_i64(csv, num(r, it, "birth"));
		buf_put_u8(csv, ',');
		csv_put_field(csv, hash);
		buf_append(csv, withheld ? ",1\r\n" : ",0\r\n", 4);
		fwrite(csv->data, 1, csv->len, stdout);
		return;
	}
	printf("  %-8s %10s  born %s  ", kind, bytes_format((double)size, b1, sizeof b1),
	       when(num(r, it, "birth"), t, sizeof t));
	if (path[0])
		term_fputs(path, stdout);
	if (withheld)
		printf("%s(deeper names withheld by inventory_depth; name hash %s)",
		       path[0] ? "/... " : "", hash);
	else if (!path[0])
		printf("(name hash %s)", hash);
	if (dsize >= 0)
		printf("  (destination: %s)", bytes_format((double)dsize, b1, sizeof b1));
	putchar('\n');
}

static void print_header(const struct check_opts *o, const struct ctl_response *r, int k)
{
	char name[128], reason[1024], state[16], t[40];
	int e;

	if (o->json) {
		fputs("{\"check\":", stdout);
		fwrite(r->text + r->toks[k].start, 1, r->toks[k].end - r->toks[k].start, stdout);
		fputs(",\"items\":[", stdout);
		return;
	}
	if (o->csv) {
		fputs("kind,path,size,destination_size,birth,name_hash,names_withheld\r\n", stdout);
		return;
	}
	str(r, k, "name", name, sizeof name);
	str(r, k, "state", state, sizeof state);
	str(r, k, "reason", reason, sizeof reason);
	printf("Copy check %lld of ", (long long)num(r, k, "id"));
	term_fputs(name, stdout);
	for (int s = 0; s < 2; s++) {
		char agent[80], store[80], prefix[1100];

		e = jsonparse_get(r->text, r->toks, k, s ? "destination" : "source");
		if (e < 0)
			continue;
		str(r, e, "agent", agent, sizeof agent);
		str(r, e, "store", store, sizeof store);
		str(r, e, "prefix", prefix, sizeof prefix);
		fputs(s ? " -> " : ": ", stdout);
		term_fputs(agent, stdout);
		putchar('/');
		term_fputs(store, stdout);
		if (prefix[0]) {
			putchar(':');
			term_fputs(prefix, stdout);
		}
	}
	printf("\n%s at %s: %lld missing, %lld differing, %lld in transit",
	       state, when(num(r, k, "finished"), t, sizeof t), (long long)num(r, k, "missing"),
	       (long long)num(r, k, "differs"), (long long)num(r, k, "in_transit"));
	if (num(r, k, "unknown_dirs"))
		printf(", %lld directories unknown (an agent did not answer for them)",
		       (long long)num(r, k, "unknown_dirs"));
	fputs("\nReason: ", stdout);
	term_fputs(reason, stdout);
	putchar('\n');
}

/* Waits for check id to be done, then pages through its items. */
static int fetch_and_print(const struct check_opts *o, int64_t id)
{
	struct ctl_response r;
	struct buf req, csv;
	char state[16];
	int64_t offset = 0, next;
	time_t deadline = time(NULL) + WAIT_S;
	bool first = true, first_json = true, truncated = false;
	int k, a, rc = 0;

	buf_init(&req, 256);
	buf_init(&csv, 2 * PATH_BYTES);
	for (;;) {
		req.len = 0;
		buf_printf(&req, "{\"cmd\":\"copy_check_result\",\"check\":%lld,\"offset\":%lld}",
			   (long long)id, (long long)offset);
		if ((rc = ctl_call(o->socket, "copy-check", &req, &r)))
			goto out;
		k = jsonparse_get(r.text, r.toks, 0, "check");
		if (k < 0 || jsonparse_get_str(r.text, r.toks, k, "state", state, sizeof state))
			snprintf(state, sizeof state, "?");
		if (!strcmp(state, "running")) {
			ctl_response_release(&r);
			if (time(NULL) > deadline) {
				fprintf(stderr, "shrinkwatchctl copy-check: check %lld still runs after "
						"%d s; its result stays with the collector for a while\n",
					(long long)id, WAIT_S);
				rc = 1;
				goto out;
			}
			nanosleep(&(struct timespec){ .tv_nsec = 50 * 1000 * 1000 }, NULL);
			continue;
		}
		a = jsonparse_get(r.text, r.toks, 0, "items");
		if (k < 0 || a < 0 || r.toks[a].type != JSONPARSE_ARRAY) {
			fprintf(stderr, "shrinkwatchctl copy-check: the collector's answer has no "
					"items\n");
			ctl_response_release(&r);
			rc = 1;
			goto out;
		}
		if (first)
			print_header(o, &r, k);
		first = false;
		jsonparse_get_bool(r.text, r.toks, k, "items_truncated", &truncated);
		for (uint32_t i = 0, it = (uint32_t)a + 1; i < r.toks[a].size;
		     i++, it = r.toks[it].next) {
			if (o->json) {
				fputs(first_json ? "" : ",", stdout);
				fwrite(r.text + r.toks[it].start, 1,
				       r.toks[it].end - r.toks[it].start, stdout);
				first_json = false;
			} else {
				print_item(o, &r, (int)it, &csv);
			}
		}
		next = -1;
		jsonparse_get_i64(r.text, r.toks, 0, "next", &next);
		ctl_response_release(&r);
		if (next < 0)
			break;
		offset = next;
	}
	if (o->json)
		fputs("]}\n", stdout);
	else if (truncated && !o->csv)
		printf("Only the first items are listed (the collector keeps at most 100000 a "
		       "check); the counts above are complete.\n");
	/* state "unknown": nothing could be compared; say so in the exit code */
	if (!strcmp(state, "unknown"))
		rc = 3;
	else if (!strcmp(state, "incomplete"))
		rc = 1;
out:
	buf_release(&req);
	buf_release(&csv);
	return rc;
}

int ctl_copy_check_main(int argc, char **argv)
{
	struct check_opts o = { 0 };
	struct ctl_response r;
	struct buf req;
	int64_t id = 0;
	int e;

	e = parse(argc, argv, &o);
	if (e)
		return e < 0 ? 0 : usage_error("one relation NAME, or --source and --destination");
	if (!o.reason || !*o.reason)
		return usage_error("--reason is required: names leave the evidence server only "
				   "for a stated purpose, which goes into the audit trail");
	if (o.json && o.csv)
		return usage_error("--json or --csv, not both");
	if (!o.name == !o.source || !o.source != !o.destination)
		return usage_error("give a relation NAME, or --source AGENT/STORE and "
				   "--destination AGENT/STORE (not both)");
	if (o.name && (o.sprefix || o.dprefix || o.grace || o.compare))
		return usage_error("--source-prefix, --destination-prefix, --grace and --compare "
				   "go with --source/--destination; a NAME has them in its "
				   "[copy] section");
	buf_init(&req, 4096);
	json_put_raw(&req, "{\"cmd\":\"copy_check\",\"reason\":");
	json_put_str(&req, o.reason);
	if (o.name) {
		json_put_raw(&req, ",\"name\":");
		json_put_str(&req, o.name);
	} else {
		const char *k[] = { "source", "destination", "source_prefix",
				    "destination_prefix", "grace", "compare" };
		const char *v[] = { o.source, o.destination, o.sprefix, o.dprefix, o.grace,
				    o.compare };

		for (size_t i = 0; i < 6; i++)
			if (v[i]) {
				json_put_raw(&req, ",");
				json_put_key(&req, k[i]);
				json_put_str(&req, v[i]);
			}
	}
	json_put_raw(&req, "}");
	e = ctl_call(o.socket, "copy-check", &req, &r);
	buf_release(&req);
	if (e)
		return e;
	jsonparse_get_i64(r.text, r.toks, 0, "check", &id);
	ctl_response_release(&r);
	if (id <= 0) {
		fprintf(stderr, "shrinkwatchctl copy-check: the collector's answer has no check\n");
		return 1;
	}
	return fetch_and_print(&o, id);
}
