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
	return err ? err : json_put_raw(b, "}");
}
