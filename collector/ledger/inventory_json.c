/* inventory_json.c - inventories as JSON and CSV (see inventory_json.h). */
#include <stdio.h>
#include <string.h>

#include "inventory_json.h"
#include "shrinkwatch/csv.h"
#include "shrinkwatch/json.h"
#include "shrinkwatch/proto.h"
#include "shrinkwatch/banned.h"

/* A stored blob as a C string (the wire forbids NUL, so nothing is lost). */
static const char *cstr(char *out, const char *p, size_t n)
{
	if (n > INVENTORY_PATH_MAX)
		n = INVENTORY_PATH_MAX;
	memcpy(out, p, n);
	out[n] = '\0';
	return out;
}

static void key(struct buf *b, const char *k)
{
	json_put_raw(b, ",");
	json_put_key(b, k);
}

/* "name": text, and "name_hex" with the exact bytes when it is not UTF-8. */
static void put_name(struct buf *b, const char *k, const char *s)
{
	char hk[32];

	key(b, k);
	json_put_str(b, s);
	if (json_valid_utf8(s))
		return;
	snprintf(hk, sizeof hk, "%s_hex", k);
	key(b, hk);
	json_put_hex(b, s);
}

int inventory_rec_json(struct buf *b, const struct inventory_rec *r)
{
	json_put_raw(b, "{");
	json_put_key(b, "id");
	json_put_i64(b, r->id);
	key(b, "agent"); json_put_str(b, r->agent);
	key(b, "store"); json_put_str(b, r->store);
	key(b, "alert_id");
	r->alert_id ? json_put_i64(b, r->alert_id) : json_put_raw(b, "null");
	key(b, "from"); json_put_i64(b, r->from);
	key(b, "to"); json_put_i64(b, r->to);
	key(b, "young_below");
	r->young_below ? json_put_u64(b, r->young_below) : json_put_raw(b, "null");
	key(b, "who"); json_put_str(b, r->who);
	key(b, "reason"); json_put_str(b, r->reason);
	key(b, "requested_at"); json_put_i64(b, r->requested_at);
	key(b, "state"); json_put_str(b, inventory_state_name(r->state));
	key(b, "error");
	r->error[0] ? json_put_str(b, r->error) : json_put_raw(b, "null");
	key(b, "finished_at");
	r->finished_at ? json_put_i64(b, r->finished_at) : json_put_raw(b, "null");
	key(b, "matched"); json_put_u64(b, r->matched);
	key(b, "truncated"); json_put_u64(b, r->truncated);
	key(b, "kept"); json_put_u64(b, r->kept);
	key(b, "journal_dropped"); json_put_u64(b, r->journal_dropped);
	return json_put_raw(b, "}");
}

int inventory_item_json(struct buf *b, const struct inventory_item *it)
{
	char s[INVENTORY_PATH_MAX + 1];

	json_put_raw(b, "{");
	json_put_key(b, "size");
	json_put_u64(b, it->size);
	put_name(b, "path", cstr(s, it->path, it->path_len));
	put_name(b, "dir", cstr(s, it->dir, it->dir_len));
	key(b, "dir_items"); json_put_u64(b, it->dir_items);
	key(b, "dir_bytes"); json_put_u64(b, it->dir_bytes);
	key(b, "birth"); json_put_i64(b, it->birth);
	key(b, "removed_after"); json_put_i64(b, it->removed_after);
	key(b, "removed_before"); json_put_i64(b, it->removed_before);
	key(b, "pid"); json_put_u64(b, it->pid);
	key(b, "uid");
	it->uid >= 0 ? json_put_i64(b, it->uid) : json_put_raw(b, "null");
	put_name(b, "exe", cstr(s, it->exe, it->exe_len));
	key(b, "cut");
	json_put_raw(b, it->flags & SW_INV_CUT ? "true" : "false");
	return json_put_raw(b, "}");
}

int inventory_csv_header(struct buf *b)
{
	return buf_append(b, "dir,path,size,birth,removed_after,removed_before,pid,uid,exe,cut\r\n",
			  strlen("dir,path,size,birth,removed_after,removed_before,pid,uid,exe,"
				 "cut\r\n"));
}

int inventory_item_csv(struct buf *b, const struct inventory_item *it)
{
	char s[INVENTORY_PATH_MAX + 1];

	csv_put_field(b, cstr(s, it->dir, it->dir_len));
	buf_put_u8(b, ',');
	csv_put_field(b, cstr(s, it->path, it->path_len));
	buf_put_u8(b, ',');
	csv_put_i64(b, it->size > INT64_MAX ? INT64_MAX : (int64_t)it->size);
	buf_put_u8(b, ',');
	csv_put_i64(b, it->birth);
	buf_put_u8(b, ',');
	csv_put_i64(b, it->removed_after);
	buf_put_u8(b, ',');
	csv_put_i64(b, it->removed_before);
	buf_put_u8(b, ',');
	csv_put_i64(b, it->pid);
	buf_put_u8(b, ',');
	if (it->uid >= 0)
		csv_put_i64(b, it->uid);
	buf_put_u8(b, ',');
	csv_put_field(b, cstr(s, it->exe, it->exe_len));
	buf_put_u8(b, ',');
	csv_put_i64(b, it->flags & SW_INV_CUT ? 1 : 0);
	return buf_append(b, "\r\n", 2);
}
