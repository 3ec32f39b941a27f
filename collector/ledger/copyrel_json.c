/* copyrel_json.c - a copy relation's state as JSON (see copyrel_json.h). */
#include "copyrel_json.h"
#include "shrinkwatch/json.h"
#include "shrinkwatch/banned.h"

static void key(struct buf *b, const char *k)
{
	json_put_raw(b, ",");
	json_put_key(b, k);
}

int copyrel_rec_json(struct buf *b, const struct copyrel_rec *r)
{
	json_put_raw(b, "{");
	json_put_key(b, "name"); json_put_str(b, r->name);
	key(b, "source"); json_put_str(b, r->source);
	key(b, "destination"); json_put_str(b, r->destination);
	key(b, "state"); json_put_str(b, copyrel_state_name(r->state));
	key(b, "missing"); json_put_u64(b, r->missing);
	key(b, "differs"); json_put_u64(b, r->differs);
	key(b, "lost"); json_put_u64(b, r->lost);
	key(b, "in_transit"); json_put_u64(b, r->young);
	key(b, "unknown_dirs"); json_put_u64(b, r->unknown_dirs);
	key(b, "source_files"); json_put_u64(b, r->src_files);
	key(b, "source_bytes"); json_put_u64(b, r->src_bytes);
	key(b, "destination_files"); json_put_u64(b, r->dst_files);
	key(b, "destination_bytes"); json_put_u64(b, r->dst_bytes);
	key(b, "since"); json_put_i64(b, r->since);
	key(b, "checked_at"); json_put_i64(b, r->checked_at);
	key(b, "complete_at"); json_put_i64(b, r->complete_at);
	return json_put_raw(b, "}");
}
