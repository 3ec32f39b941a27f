/* sample.c - helpers for the data contract (sample.h). */
#include "shrinkwatch/json.h"
#include "shrinkwatch/sample.h"
#include "shrinkwatch/banned.h"

const char *sample_status_name(unsigned status)
{
	switch (status) {
	case SW_SCAN_COMPLETE:
		return "complete";
	case SW_SCAN_PARTIAL:
		return "partial";
	case SW_SCAN_MISSING:
		return "missing";
	default:
		return "unknown";
	}
}

static int put_u64_field(struct buf *b, const char *key, uint64_t v)
{
	int err = json_put_raw(b, ",");
	err = err ? err : json_put_key(b, key);
	return err ? err : json_put_u64(b, v);
}

/* The exact accounts (protocol version 3), only when the sample has them:
 * a totals-only sample must not look like one that removed nothing.
 * removed_min_age is left out when nothing was removed (UINT64_MAX). */
static int put_exact(struct buf *b, const struct sw_sample *s)
{
	int err;

	if (!(s->flags & SW_SAMPLE_EXACT))
		return 0;
	err = json_put_raw(b, ",");
	err = err ? err : json_put_key(b, "exact");
	err = err ? err : json_put_raw(b, "true");
	err = err ? err : put_u64_field(b, "removed_objects", s->removed_objects);
	err = err ? err : put_u64_field(b, "removed_bytes", s->removed_bytes);
	if (s->flags & SW_SAMPLE_YOUNG_SPLIT) {
		err = err ? err : put_u64_field(b, "removed_young_objects",
						s->removed_young_objects);
		err = err ? err : put_u64_field(b, "removed_young_bytes", s->removed_young_bytes);
		err = err ? err : put_u64_field(b, "retention", s->retention);
	}
	if (s->removed_min_age != UINT64_MAX)
		err = err ? err : put_u64_field(b, "removed_min_age", s->removed_min_age);
	if (s->flags & SW_SAMPLE_FRESH_SPLIT) {
		err = err ? err : put_u64_field(b, "fresh_age", s->fresh_age);
		err = err ? err : put_u64_field(b, "removed_fresh_objects",
						s->removed_fresh_objects);
		err = err ? err : put_u64_field(b, "removed_fresh_bytes", s->removed_fresh_bytes);
		if (s->removed_min_settled_age != UINT64_MAX)
			err = err ? err : put_u64_field(b, "removed_min_settled_age",
							s->removed_min_settled_age);
	}
	err = err ? err : put_u64_field(b, "shrunk_bytes", s->shrunk_bytes);
	err = err ? err : put_u64_field(b, "moved_objects", s->moved_objects);
	err = err ? err : put_u64_field(b, "moved_bytes", s->moved_bytes);
	return err ? err : put_u64_field(b, "journal_dropped", s->journal_dropped);
}

/* An object store listing's cost and, for a versioned bucket, what can
 * still be undone; nothing for a directory store. */
static int put_listing(struct buf *b, const struct sw_sample *s)
{
	int err;

	if (!(s->flags & SW_SAMPLE_LISTING))
		return 0;
	err = put_u64_field(b, "list_requests", s->requests);
	if (err || !(s->flags & SW_SAMPLE_VERSIONED))
		return err;
	err = json_put_raw(b, ",");
	err = err ? err : json_put_key(b, "versioned");
	err = err ? err : json_put_raw(b, "true");
	err = err ? err : put_u64_field(b, "noncurrent_objects", s->noncurrent_objects);
	err = err ? err : put_u64_field(b, "noncurrent_bytes", s->noncurrent_bytes);
	return err ? err : put_u64_field(b, "delete_markers", s->delete_markers);
}

int sample_to_json(struct buf *b, const char *agent, const struct sw_sample *s)
{
	int err = json_put_raw(b, "{");

	if (!err && agent) {
		err = json_put_key(b, "agent");
		err = err ? err : json_put_str(b, agent);
		err = err ? err : json_put_raw(b, ",");
	}
	err = err ? err : json_put_key(b, "store");
	err = err ? err : json_put_str(b, s->store);
	err = err ? err : json_put_raw(b, ",");
	err = err ? err : json_put_key(b, "time");
	err = err ? err : json_put_i64(b, s->time);
	err = err ? err : put_u64_field(b, "seq", s->seq);
	err = err ? err : json_put_raw(b, ",");
	err = err ? err : json_put_key(b, "status");
	err = err ? err : json_put_str(b, sample_status_name(s->status));
	err = err ? err : put_u64_field(b, "objects", s->objects);
	err = err ? err : put_u64_field(b, "bytes", s->bytes);
	if (s->flags & SW_SAMPLE_HAS_ADDED) {
		err = err ? err : put_u64_field(b, "added_objects", s->added_objects);
		err = err ? err : put_u64_field(b, "added_bytes", s->added_bytes);
	}
	err = err ? err : put_u64_field(b, "fs_used", s->fs_used);
	err = err ? err : put_u64_field(b, "fs_size", s->fs_size);
	err = err ? err : put_u64_field(b, "fs_inodes", s->fs_inodes);
	err = err ? err : put_u64_field(b, "mount_id", s->mount_id);
	err = err ? err : json_put_raw(b, ",");
	err = err ? err : json_put_key(b, "birth_time");
	err = err ? err : json_put_raw(b, s->flags & SW_SAMPLE_BTIME ? "true" : "false");
	err = err ? err : put_u64_field(b, "error_count", s->error_count);
	if (s->first_error[0]) {
		err = err ? err : json_put_raw(b, ",");
		err = err ? err : json_put_key(b, "first_error");
		err = err ? err : json_put_str(b, s->first_error);
	}
	err = err ? err : put_u64_field(b, "scan_ms", s->scan_ms);
	err = err ? err : put_exact(b, s);
	err = err ? err : put_listing(b, s);
	return err ? err : json_put_raw(b, "}");
}
