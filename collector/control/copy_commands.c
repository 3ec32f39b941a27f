/* copy_commands.c - the control socket's copy commands (see copy_commands.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "copy_commands.h"
#include "collector/alerts/copies.h"
#include "collector/ledger/copyrel.h"
#include "collector/ledger/copyrel_json.h"
#include "collector/ledger/ledger.h"
#include "shrinkwatch/json.h"
#include "shrinkwatch/parse.h"
#include "shrinkwatch/banned.h"

static int fail(const struct copy_request *r, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(const struct copy_request *r, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->err, r->errlen, fmt, ap);
	va_end(ap);
	return code;
}

/* A string member: 0, 1 when absent, or an error. */
static int text(const struct copy_request *r, const char *key, char *out, size_t len)
{
	int e = jsonparse_get_str(r->s, r->toks, 0, key, out, len);

	if (e == -ENOENT) {
		out[0] = '\0';
		return 1;
	}
	if (e == -ENOBUFS)
		return fail(r, -EINVAL, "'%s' is too long (at most %zu bytes)", key, len - 1);
	return e ? fail(r, -EINVAL, "'%s' must be a string", key) : 0;
}

static int list_row(void *ctx, const struct copyrel_rec *rec)
{
	struct buf *out = ctx;

	if (out->len && out->data[out->len - 1] == '}')
		json_put_raw(out, ",");
	return copyrel_rec_json(out, rec);
}

int copy_cmd_copies(const struct copy_request *r)
{
	size_t mark = r->out->len;
	int err;

	json_put_raw(r->out, "{\"ok\":true,\"copies\":[");
	err = copyrel_list(r->ledger->db, list_row, r->out);
	if (err) {
		r->out->len = mark;
		return fail(r, err, "cannot read the copy relations from the ledger");
	}
	return json_put_raw(r->out, "]}");
}

/* The one-shot relation of copy_check's source/destination members. */
static int one_shot(const struct copy_request *r, struct copies_relation *rel)
{
	static struct copies_config one; /* 200 KB: not on the stack (loop thread only) */
	char v[COPIES_PREFIX_MAX + 2 * SW_NAME_MAX + 8];
	uint64_t secs;
	int e;

	memset(rel, 0, sizeof *rel);
	snprintf(rel->name, sizeof rel->name, "one-shot");
	rel->grace = COPIES_DEFAULT_GRACE;
	rel->compare = COPIES_SIZES;
	if ((e = text(r, "source", v, sizeof v)) < 0)
		return e;
	if (e || copies_end_parse(&rel->source, v, r->err, r->errlen))
		return e ? fail(r, -EINVAL, "give a relation 'name', or 'source' and "
					    "'destination' as AGENT/STORE") : -EINVAL;
	if ((e = text(r, "destination", v, sizeof v)) < 0)
		return e;
	if (e || copies_end_parse(&rel->destination, v, r->err, r->errlen))
		return e ? fail(r, -EINVAL, "'destination' (AGENT/STORE) goes with 'source'") :
			   -EINVAL;
	if ((e = text(r, "source_prefix", v, sizeof v)) < 0)
		return e;
	if (!e && copies_prefix_parse(v, rel->source.prefix, r->err, r->errlen))
		return -EINVAL;
	if ((e = text(r, "destination_prefix", v, sizeof v)) < 0)
		return e;
	if (!e && copies_prefix_parse(v, rel->destination.prefix, r->err, r->errlen))
		return -EINVAL;
	if ((e = text(r, "grace", v, sizeof v)) < 0)
		return e;
	if (!e) {
		if (parse_duration(v, &secs) || secs > 366ull * 86400)
			return fail(r, -EINVAL, "'grace' must be a duration such as 30m or 2h");
		rel->grace = (int64_t)secs;
	}
	if ((e = text(r, "compare", v, sizeof v)) < 0)
		return e;
	if (!e) {
		if (!strcmp(v, "names"))
			rel->compare = COPIES_NAMES;
		else if (!strcmp(v, "content"))
			rel->compare = COPIES_CONTENT;
		else if (strcmp(v, "sizes"))
			return fail(r, -EINVAL, "'compare' must be names, sizes or content");
	}
	/* the checks of a [copy] section: not the same directory twice */
	one.n = 1;
	one.rel[0] = *rel;
	return copies_config_finish(&one, r->err, r->errlen) ? -EINVAL : 0;
}

int copy_cmd_check(const struct copy_request *r)
{
	struct copies_relation rel;
	char name[COPIES_NAME_MAX + 1], reason[LEDGER_TEXT_MAX];
	uint64_t id;
	int e;

	if (!r->copies)
		return fail(r, -ENOTSUP, "this collector does not check copies");
	if ((e = text(r, "reason", reason, sizeof reason)) < 0)
		return e;
	if (e || !reason[0])
		return fail(r, -EINVAL, "'reason' is required: names leave the evidence server "
					"only for a stated purpose, which goes into the audit trail");
	if ((e = text(r, "name", name, sizeof name)) < 0)
		return e;
	if (!e) {
		const struct copies_relation *c = copies_config_find(&r->copies->cfg, name);

		if (!c)
			return fail(r, -ENOENT, "no copy relation '%s' in the configuration "
						"(shrinkwatchctl copies lists them)", name);
		rel = *c;
	} else if ((e = one_shot(r, &rel))) {
		return e;
	}
	e = copies_check_start(r->copies, &rel, r->who, reason, r->now, &id, r->err, r->errlen);
	if (e)
		return e;
	json_put_raw(r->out, "{\"ok\":true,\"check\":");
	json_put_u64(r->out, id);
	return json_put_raw(r->out, "}");
}

static void put_hash(struct buf *b, const uint8_t h[COPIES_HASH_LEN])
{
	static const char hex[] = "0123456789abcdef";
	char s[2 * COPIES_HASH_LEN + 1];

	for (size_t i = 0; i < COPIES_HASH_LEN; i++) {
		s[2 * i] = hex[h[i] >> 4];
		s[2 * i + 1] = hex[h[i] & 15];
	}
	s[2 * COPIES_HASH_LEN] = '\0';
	json_put_str(b, s);
}

static void put_item(struct buf *b, const struct copies_item *it)
{
	json_put_raw(b, "{\"kind\":");
	json_put_str(b, it->kind == COPIES_ITEM_MISSING ? "missing" : "differs");
	json_put_raw(b, ",\"path\":");
	if (it->path) {
		json_put_str(b, it->path);
		if (!json_valid_utf8(it->path)) {
			json_put_raw(b, ",\"path_hex\":");
			json_put_hex(b, it->path);
		}
	} else {
		json_put_raw(b, "null");
	}
	json_put_raw(b, ",\"names_withheld\":");
	json_put_raw(b, it->names_withheld ? "true" : "false");
	json_put_raw(b, ",\"name_hash\":");
	put_hash(b, it->name_hash);
	json_put_raw(b, ",\"size\":");
	json_put_u64(b, it->size);
	json_put_raw(b, ",\"destination_size\":");
	it->kind == COPIES_ITEM_DIFFERS ? json_put_u64(b, it->dst_size) : json_put_raw(b, "null");
	json_put_raw(b, ",\"birth\":");
	json_put_i64(b, it->birth);
	json_put_raw(b, "}");
}

static void put_end(struct buf *b, const char *k, const struct copies_end *e)
{
	json_put_raw(b, ",");
	json_put_key(b, k);
	json_put_raw(b, "{\"agent\":");
	json_put_str(b, e->agent);
	json_put_raw(b, ",\"store\":");
	json_put_str(b, e->store);
	json_put_raw(b, ",\"prefix\":");
	json_put_str(b, e->prefix);
	json_put_raw(b, "}");
}

int copy_cmd_check_result(const struct copy_request *r)
{
	const struct copies_check *k;
	const struct copies_result *res;
	int64_t id = 0, offset = 0, limit = COPY_PAGE_DEFAULT;
	struct buf *b = r->out;
	size_t n, start;

	if (!r->copies)
		return fail(r, -ENOTSUP, "this collector does not check copies");
	if (jsonparse_get_i64(r->s, r->toks, 0, "check", &id) || id <= 0)
		return fail(r, -EINVAL, "'check' (the id copy_check answered) is required");
	jsonparse_get_i64(r->s, r->toks, 0, "offset", &offset);
	jsonparse_get_i64(r->s, r->toks, 0, "limit", &limit);
	if (offset < 0 || limit <= 0 || limit > COPY_PAGE_MAX)
		return fail(r, -EINVAL, "'offset' must be >= 0 and 'limit' 1..%d", COPY_PAGE_MAX);
	k = copies_check_get(r->copies, (uint64_t)id);
	if (!k)
		return fail(r, -ENOENT, "no copy check %lld (the collector keeps the last %d; ask "
					"again with copy-check)", (long long)id, COPIES_CHECKS_KEEP);
	json_put_raw(b, "{\"ok\":true,\"check\":{\"id\":");
	json_put_u64(b, k->id);
	json_put_raw(b, ",\"name\":");
	json_put_str(b, k->rel.name);
	put_end(b, "source", &k->rel.source);
	put_end(b, "destination", &k->rel.destination);
	json_put_raw(b, ",\"compare\":");
	json_put_str(b, copies_compare_name(k->rel.compare));
	json_put_raw(b, ",\"grace\":");
	json_put_i64(b, k->rel.grace);
	json_put_raw(b, ",\"who\":");
	json_put_str(b, k->who);
	json_put_raw(b, ",\"reason\":");
	json_put_str(b, k->reason);
	json_put_raw(b, ",\"started\":");
	json_put_i64(b, k->started);
	json_put_raw(b, ",\"state\":");
	if (k->state == COPIES_CHECK_RUNNING)
		return json_put_raw(b, "\"running\"}}");
	res = copies_walk_result(k->walk);
	json_put_str(b, res->outcome == COPIES_COMPLETE	  ? "complete" :
			res->outcome == COPIES_INCOMPLETE ? "incomplete" :
							    "unknown");
	json_put_raw(b, ",\"finished\":");
	json_put_i64(b, k->finished);
	json_put_raw(b, ",\"missing\":");
	json_put_u64(b, res->missing);
	json_put_raw(b, ",\"differs\":");
	json_put_u64(b, res->differs);
	json_put_raw(b, ",\"in_transit\":");
	json_put_u64(b, res->young);
	json_put_raw(b, ",\"unknown_dirs\":");
	json_put_u64(b, res->unknown_dirs);
	json_put_raw(b, ",\"source_files\":");
	json_put_u64(b, res->src_files);
	json_put_raw(b, ",\"destination_files\":");
	json_put_u64(b, res->dst_files);
	json_put_raw(b, ",\"items_truncated\":");
	json_put_raw(b, res->items_truncated ? "true" : "false");
	json_put_raw(b, "},\"items\":[");
	n = 0;
	start = b->len;
	/* a page stays under COPY_PAGE_BYTES (an item is at most ~33 KB
	 * escaped), so it fits in a control response whatever the names */
	for (size_t i = (size_t)offset;
	     i < res->nitems && n < (size_t)limit && (!n || b->len - start < COPY_PAGE_BYTES);
	     i++, n++) {
		if (n)
			json_put_raw(b, ",");
		put_item(b, &res->items[i]);
	}
	json_put_raw(b, "],\"next\":");
	if ((size_t)offset + n < res->nitems)
		json_put_u64(b, (uint64_t)offset + n);
	else
		json_put_raw(b, "null");
	return json_put_raw(b, "}");
}
