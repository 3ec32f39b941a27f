/*
 * format.c - the detector's events and inputs in the shapes the rest
 * of shrinkwatch uses: a sample from the protocol becomes a detect_input, an
 * event becomes the JSON object replay prints (and the collector can serve
 * or log), so the live and offline paths cannot drift apart.  The names of
 * kinds, transitions and resolutions live here too: the detector's own
 * summaries (detect.c, allowance.c) use the same words as the JSON.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "detect_int.h"
#include "shrinkwatch/bytes.h"
#include "shrinkwatch/detect.h"
#include "shrinkwatch/isotime.h"
#include "shrinkwatch/json.h"
#include "shrinkwatch/sample.h"
#include "shrinkwatch/banned.h"

static const char *const kind_names[DETECT_ALL_KINDS] = {
	"drop", "leak", "overpurge", "truncate", "object_loss", "vanished", "silence",
	"copy_missing", "copy_differs", "copy_lost",
};

const char *detect_kind_name(unsigned kind)
{
	return kind < DETECT_ALL_KINDS ? kind_names[kind] : "unknown";
}

const char *detect_state_name(unsigned state)
{
	static const char *const n[] = { "firing", "updated", "resolved" };

	return state < 3 ? n[state] : "unknown";
}

const char *detect_resolution_name(unsigned res)
{
	static const char *const n[] = { "", "quiet", "recovered", "explained", "sample",
					 "not-a-loss", "source-removed" };

	return res < sizeof n / sizeof n[0] ? n[res] : "unknown";
}

void detect_input_from_sample(struct detect_input *in, const struct sw_sample *s)
{
	memset(in, 0, sizeof *in);
	in->time = s->time;
	in->bytes = (double)s->bytes;
	in->objects = (double)s->objects;
	in->added_bytes = (double)s->added_bytes;
	in->added_objects = (double)s->added_objects;
	in->has_added = (s->flags & SW_SAMPLE_HAS_ADDED) != 0;
	in->status = s->status;
	in->mount_id = s->mount_id;
	detect__exact_input(in, s);
}

static int put_num(struct buf *b, const char *key, double v)
{
	int rc = json_put_raw(b, ",");

	rc |= json_put_key(b, key);
	rc |= json_put_i64(b, isfinite(v) && fabs(v) < 9e18 ? (int64_t)llround(v) : 0);
	return rc;
}

int detect_event_json(struct buf *b, const char *store, const struct detect_event *e)
{
	int rc = 0;

	rc |= json_put_raw(b, "{");
	rc |= json_put_key(b, "time");
	rc |= json_put_i64(b, e->time);
	rc |= json_put_raw(b, ",");
	rc |= json_put_key(b, "store");
	rc |= json_put_str(b, store);
	rc |= json_put_raw(b, ",");
	rc |= json_put_key(b, "kind");
	rc |= json_put_str(b, detect_kind_name(e->kind));
	rc |= json_put_raw(b, ",");
	rc |= json_put_key(b, "state");
	rc |= json_put_str(b, detect_state_name(e->state));
	rc |= json_put_raw(b, ",");
	rc |= json_put_key(b, "episode");
	rc |= json_put_u64(b, e->episode);
	rc |= json_put_raw(b, ",");
	rc |= json_put_key(b, "since");
	rc |= json_put_i64(b, e->since);
	if (e->state == DETECT_RESOLVED) {
		rc |= json_put_raw(b, ",");
		rc |= json_put_key(b, "resolution");
		rc |= json_put_str(b, detect_resolution_name(e->resolution));
	}
	rc |= put_num(b, "lost_bytes", e->lost_bytes);
	rc |= put_num(b, "lost_objects", e->lost_objects);
	rc |= put_num(b, "expected_bytes", e->expected_bytes);
	rc |= put_num(b, "observed_bytes", e->observed_bytes);
	rc |= put_num(b, "expected_objects", e->expected_objects);
	rc |= put_num(b, "observed_objects", e->observed_objects);
	rc |= json_put_raw(b, ",");
	rc |= json_put_key(b, "summary");
	rc |= json_put_str(b, e->summary);
	rc |= json_put_raw(b, "}");
	return rc ? -ENOBUFS : 0;
}

void detect__summary(struct detect_event *e, double pct, double pco)
{
	char lb[BYTES_FMT_MAX], ob[BYTES_FMT_MAX], eb[BYTES_FMT_MAX], t[ISO_TIME_MAX];

	bytes_format(e->lost_bytes, lb, sizeof lb);
	bytes_format(e->observed_bytes, ob, sizeof ob);
	bytes_format(e->expected_bytes, eb, sizeof eb);
	switch (e->kind) {
	case DETECT_SILENCE:
		snprintf(e->summary, sizeof e->summary, "silence: no sample since %s",
			 iso_time(e->since, t, sizeof t));
		break;
	case DETECT_OBJECT_LOSS:
		/* The loss is in the object count; the bytes removed with them
		 * may be too few to count as a byte loss.  Lead with the
		 * objects, so the line never reads as explained. */
		snprintf(e->summary, sizeof e->summary,
			 "%s %s: %.0f objects (%.2f%%) lost without explanation (observed "
			 "%+.0f objects, expected %+.0f); bytes changed by %s, %s of it "
			 "unexplained",
			 detect_kind_name(e->kind), detect_state_name(e->state), e->lost_objects,
			 pco, e->observed_objects, e->expected_objects, ob, lb);
		break;
	default:
		snprintf(e->summary, sizeof e->summary,
			 "%s %s: %s (%.2f%%) and %.0f objects (%.2f%%) lost without explanation; "
			 "expected %s, observed %s",
			 detect_kind_name(e->kind), detect_state_name(e->state), lb, pct,
			 e->lost_objects, pco, eb, ob);
	}
}
