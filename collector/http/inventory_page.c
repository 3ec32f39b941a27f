/* inventory_page.c - loss inventories on the dashboard and in the API (see
 * inventory_page.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "inventory_page.h"
#include "page.h"
#include "site.h"
#include "collector/ledger/inventory_json.h"
#include "collector/ledger/read.h"
#include "shrinkwatch/bytes.h"
#include "shrinkwatch/html.h"
#include "shrinkwatch/json.h"
#include "shrinkwatch/banned.h"

/* CSV stops a margin below the response's cap, for its closing row. */
#define CSV_MARGIN (64u * 1024)

struct group_ctx {
	struct buf *b;
	int err;
};

static int group_row(void *ctx, const struct inventory_group *g)
{
	struct group_ctx *c = ctx;
	char dir[INVENTORY_PATH_MAX + 1], sz[BYTES_FMT_MAX];
	size_t n = g->dir_len > INVENTORY_PATH_MAX ? INVENTORY_PATH_MAX : g->dir_len;

	memcpy(dir, g->dir, n);
	dir[n] = '\0';
	c->err = buf_printf(c->b, "<tr><td>");
	c->err = c->err ? c->err : html_put_text(c->b, n ? dir : ".");
	c->err = c->err ? c->err
			: buf_printf(c->b, "/</td><td class=\"num\">%" PRIu64 "</td><td "
					   "class=\"num\">%s</td></tr>\n",
				     g->items, bytes_format((double)g->bytes, sz, sizeof sz));
	return c->err;
}

int http_inventory_section(struct ledgerview *lv, int64_t id, struct buf *b)
{
	struct inventory_rec r;
	struct group_ctx c = { .b = b };
	char t[64];
	int err = buf_printf(b, "<h2>Loss inventory</h2>\n");

	if (err)
		return err;
	if (!lv->db || inventory_latest_for_alert(lv->db, id, &r))
		return http_put_note(b, "",
				     "No inventory fetched.  Which items this loss removed stays on "
				     "the evidence server until an administrator asks for it: "
				     "shrinkwatchctl lost ALERT_ID --reason TEXT (audited).");
	http_fmt_time(r.finished_at, t, sizeof t);
	err = buf_printf(b, "<p>%" PRIu64 " items, fetched %s by ", r.kept, t);
	err = err ? err : html_put_text(b, r.who);
	err = err ? err : buf_printf(b, " (reason: ");
	err = err ? err : html_put_text(b, r.reason);
	err = err ? err : buf_printf(b, ")%s. <a href=\"/alert/%" PRId64 "/inventory.csv\">"
					"Download CSV</a></p>\n",
				     r.young_below ? "; only items younger than the retention" : "",
				     id);
	if (!err && (r.truncated || r.journal_dropped))
		err = http_put_note(b, "err",
				    "Incomplete: the agent left items out (its limit), or its removal "
				    "journal no longer holds entries from the window's start (dropped "
				    "for space or past removal_journal_keep).");
	err = err ? err : buf_printf(b, "<table><tr><th>Directory</th><th>Items</th>"
					"<th>Bytes</th></tr>\n");
	if (!err)
		err = inventory_groups(lv->db, r.id, HTTP_INVENTORY_GROUPS, group_row, &c);
	if (!err && c.err)
		err = c.err;
	return err ? err : buf_printf(b, "</table>\n");
}

/* Opens the ledger and finds alert id's latest fetched inventory. */
static int find(struct http_site *site, struct ledgerview *lv, int64_t id,
		struct inventory_rec *r)
{
	int err = ledgerview_open(lv, site->data_dir);

	if (err)
		return err == -ENOENT ? -ENOENT : -EIO;
	err = inventory_latest_for_alert(lv->db, id, r);
	return err == -EPROTO ? -ENOENT : err; /* an older ledger has none */
}

struct item_ctx {
	struct buf *b;
	uint64_t n, limit;
	int err;
	bool csv;
};

static int put_item(void *ctx, const struct inventory_item *it)
{
	struct item_ctx *c = ctx;

	if (c->csv) {
		if (c->b->len + CSV_MARGIN > c->b->cap)
			return 1;
		c->n++;
		return c->err = inventory_item_csv(c->b, it);
	}
	if (c->n++)
		json_put_raw(c->b, ",");
	return c->err = inventory_item_json(c->b, it);
}

struct gjson_ctx {
	struct buf *b;
	unsigned n;
	int err;
};

static int put_group_json(void *ctx, const struct inventory_group *g)
{
	struct gjson_ctx *c = ctx;

	if (c->n++)
		json_put_raw(c->b, ",");
	json_put_raw(c->b, "{\"items\":");
	json_put_u64(c->b, g->items);
	json_put_raw(c->b, ",\"bytes\":");
	json_put_u64(c->b, g->bytes);
	json_put_raw(c->b, ",\"dir\":");
	{
		char dir[INVENTORY_PATH_MAX + 1];
		size_t n = g->dir_len > INVENTORY_PATH_MAX ? INVENTORY_PATH_MAX : g->dir_len;

		memcpy(dir, g->dir, n);
		dir[n] = '\0';
		json_put_str(c->b, dir);
		if (!json_valid_utf8(dir)) {
			json_put_raw(c->b, ",\"dir_hex\":");
			json_put_hex(c->b, dir);
		}
	}
	return c->err = json_put_raw(c->b, "}");
}

int http_api_inventory(struct http_site *site, int64_t id, uint64_t offset, struct buf *b)
{
	struct ledgerview lv;
	struct inventory_rec r;
	struct item_ctx c = { .b = b, .limit = HTTP_INVENTORY_PAGE };
	struct gjson_ctx g = { .b = b };
	int err = find(site, &lv, id, &r);

	if (err)
		goto out;
	json_put_raw(b, "{\"inventory\":");
	inventory_rec_json(b, &r);
	json_put_raw(b, ",\"groups\":[");
	err = inventory_groups(lv.db, r.id, 0, put_group_json, &g);
	json_put_raw(b, "],\"items\":[");
	err = err ? err : inventory_items(lv.db, r.id, offset, HTTP_INVENTORY_PAGE, put_item, &c);
	err = err ? err : (c.err ? c.err : g.err);
	json_put_raw(b, "],\"next\":");
	if (offset + c.n < r.kept)
		json_put_u64(b, offset + c.n);
	else
		json_put_raw(b, "null");
	err = err ? err : json_put_raw(b, "}");
out:
	ledgerview_close(&lv);
	return err;
}

int http_inventory_csv(struct http_site *site, int64_t id, struct buf *b)
{
	struct ledgerview lv;
	struct inventory_rec r;
	struct item_ctx c = { .b = b, .csv = true };
	int err = find(site, &lv, id, &r);

	if (err)
		goto out;
	err = inventory_csv_header(b);
	err = err ? err : inventory_items(lv.db, r.id, 0, 0, put_item, &c);
	if (err == 1) /* the response is full: say where the rest is */
		err = buf_printf(b, "\"(truncated after %" PRIu64 " of %" PRIu64 " items: "
				    "shrinkwatchctl lost %" PRId64 " --csv has them all)\",,,,,,,,,\r\n",
				 c.n, r.kept, id);
	err = err ? err : c.err;
out:
	ledgerview_close(&lv);
	return err;
}
