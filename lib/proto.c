/*
 * proto.c - frame and message encoding for the agent <-> collector protocol.
 *
 * The decoder reads through a bounds-checked cursor: every read checks the
 * remaining length first and a short read poisons the cursor, so a malformed
 * payload can never be read past its end.  A message must be consumed
 * exactly: trailing bytes are an error, not an extension point (versions are).
 */
#include <errno.h>
#include <string.h>

#include "shrinkwatch/names.h"
#include "shrinkwatch/proto.h"
#include "shrinkwatch/banned.h"

static const uint8_t magic[2] = { 'S', 'W' };

struct cursor {
	const uint8_t *p;
	size_t left;
	int bad;
};

static const uint8_t *cur_take(struct cursor *c, size_t n)
{
	const uint8_t *p;

	if (c->bad || c->left < n) {
		c->bad = 1;
		return NULL;
	}
	p = c->p;
	c->p += n;
	c->left -= n;
	return p;
}

static uint8_t cur_u8(struct cursor *c)
{
	const uint8_t *p = cur_take(c, 1);
	return p ? p[0] : 0;
}

static uint16_t cur_u16(struct cursor *c)
{
	const uint8_t *p = cur_take(c, 2);
	return p ? (uint16_t)(p[0] << 8 | p[1]) : 0;
}

static uint32_t cur_u32(struct cursor *c)
{
	const uint8_t *p = cur_take(c, 4);
	return p ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
		 : 0;
}

static uint64_t cur_u64(struct cursor *c)
{
	uint64_t hi = cur_u32(c);
	return hi << 32 | cur_u32(c);
}

/* Copies a length-prefixed string of at most max bytes into out[max + 1].
 * NUL bytes inside are refused: they would truncate names silently. */
static void cur_str(struct cursor *c, char *out, size_t max)
{
	uint16_t n = cur_u16(c);
	const uint8_t *p;

	out[0] = '\0';
	if (n > max) {
		c->bad = 1;
		return;
	}
	p = cur_take(c, n);
	if (!p)
		return;
	if (memchr(p, '\0', n)) {
		c->bad = 1;
		return;
	}
	memcpy(out, p, n);
	out[n] = '\0';
}

static int cur_finish(const struct cursor *c)
{
	return c->bad || c->left ? -EPROTO : 0;
}

static void cur_init(struct cursor *c, const struct sw_frame *f)
{
	c->p = f->payload;
	c->left = f->len;
	c->bad = 0;
}

long proto_frame_parse(const uint8_t *buf, size_t len, struct sw_frame *f)
{
	uint32_t plen;

	/* Check the magic as soon as the bytes are there, so garbage is refused
	 * on its first bytes instead of after a long wait for a "length". */
	if (len >= 1 && buf[0] != magic[0])
		return -EPROTO;
	if (len >= 2 && buf[1] != magic[1])
		return -EPROTO;
	if (len >= 3 && (buf[2] < SW_PROTO_VERSION || buf[2] > SW_PROTO_VERSION_MAX))
		return -EPROTONOSUPPORT;
	if (len >= 4 && (buf[3] == 0 || buf[3] > SW_MSG_TYPE_MAX))
		return -EPROTO;
	/* version-2 messages never travel in a version-1 frame, nor version-3
	 * messages in an older one */
	if (len >= 4 && buf[3] >= SW_MSG_DELETIONS && buf[2] < 2)
		return -EPROTO;
	if (len >= 4 && buf[3] >= SW_MSG_POLICY && buf[2] < SW_PROTO_VERSION_EXACT)
		return -EPROTO;
	if (len < SW_FRAME_HEADER)
		return 0;
	plen = (uint32_t)buf[4] << 24 | (uint32_t)buf[5] << 16 | (uint32_t)buf[6] << 8 | buf[7];
	if (plen > SW_FRAME_MAX)
		return -EMSGSIZE;
	if (len - SW_FRAME_HEADER < plen)
		return 0;
	f->version = buf[2];
	f->type = buf[3];
	f->len = plen;
	f->payload = buf + SW_FRAME_HEADER;
	return (long)(SW_FRAME_HEADER + plen);
}

int proto_decode_hello(const struct sw_frame *f, struct sw_hello *h)
{
	struct cursor c;

	if (f->type != SW_MSG_HELLO)
		return -EPROTO;
	cur_init(&c, f);
	cur_str(&c, h->agent, SW_NAME_MAX);
	cur_str(&c, h->software, SW_TEXT_MAX);
	h->instance_id = cur_u64(&c);
	h->interval = cur_u32(&c);
	h->flags = cur_u32(&c);
	if (cur_finish(&c))
		return -EPROTO;
	if (!name_valid(h->agent) || h->interval == 0 || h->interval > 86400)
		return -EINVAL;
	return 0;
}

int proto_decode_ack(const struct sw_frame *f, uint64_t *seq)
{
	struct cursor c;

	if (f->type != SW_MSG_ACK)
		return -EPROTO;
	cur_init(&c, f);
	*seq = cur_u64(&c);
	return cur_finish(&c);
}

int proto_decode_error(const struct sw_frame *f, struct sw_error *e)
{
	struct cursor c;

	if (f->type != SW_MSG_ERROR)
		return -EPROTO;
	cur_init(&c, f);
	e->code = cur_u16(&c);
	cur_str(&c, e->text, SW_TEXT_MAX);
	return cur_finish(&c);
}

static void decode_exact(struct cursor *c, struct sw_sample *s)
{
	s->removed_objects = cur_u64(c);
	s->removed_bytes = cur_u64(c);
	s->removed_young_objects = cur_u64(c);
	s->removed_young_bytes = cur_u64(c);
	s->removed_min_age = cur_u64(c);
	s->shrunk_bytes = cur_u64(c);
	s->moved_objects = cur_u64(c);
	s->moved_bytes = cur_u64(c);
	s->retention = cur_u64(c);
	s->journal_dropped = cur_u64(c);
}

/* The object store tail of a version-3 sample, present only with
 * SW_SAMPLE_LISTING (samples spooled before it existed decode unchanged). */
static void decode_listing(struct cursor *c, struct sw_sample *s)
{
	if (!(s->flags & SW_SAMPLE_LISTING))
		return;
	s->requests = cur_u64(c);
	s->noncurrent_objects = cur_u64(c);
	s->noncurrent_bytes = cur_u64(c);
	s->delete_markers = cur_u64(c);
}

/* The fresh tail, last of a version-3 sample, present only with
 * SW_SAMPLE_FRESH_SPLIT (samples spooled before it existed decode
 * unchanged). */
static void decode_fresh(struct cursor *c, struct sw_sample *s)
{
	if (!(s->flags & SW_SAMPLE_FRESH_SPLIT))
		return;
	s->fresh_age = cur_u64(c);
	s->removed_fresh_objects = cur_u64(c);
	s->removed_fresh_bytes = cur_u64(c);
	s->removed_min_settled_age = cur_u64(c);
}

/* The fresh part within the young part when there is one (fresh_age at
 * most the retention), else within the whole; a settled age at or over
 * fresh_age; never without exact figures.  A sample without the flag has
 * no fresh figures at all. */
static int fresh_valid(const struct sw_sample *s)
{
	uint64_t in_o = s->removed_objects, in_b = s->removed_bytes;

	if (!(s->flags & SW_SAMPLE_FRESH_SPLIT))
		return !(s->fresh_age || s->removed_fresh_objects || s->removed_fresh_bytes ||
			 s->removed_min_settled_age);
	if (!(s->flags & SW_SAMPLE_EXACT) || s->fresh_age == 0)
		return 0;
	if (s->flags & SW_SAMPLE_YOUNG_SPLIT) {
		if (s->fresh_age > s->retention)
			return 0;
		in_o = s->removed_young_objects;
		in_b = s->removed_young_bytes;
	}
	if (s->removed_fresh_objects > in_o || s->removed_fresh_bytes > in_b)
		return 0;
	return s->removed_min_settled_age >= s->fresh_age;
}

/* Versioned figures only on a listing, and only from a versioned one. */
static int listing_valid(const struct sw_sample *s)
{
	if ((s->flags & SW_SAMPLE_VERSIONED) && !(s->flags & SW_SAMPLE_LISTING))
		return 0;
	return (s->flags & SW_SAMPLE_VERSIONED) ||
	       !(s->noncurrent_objects || s->noncurrent_bytes || s->delete_markers);
}

/* The exact figures must hang together: the young part within the whole,
 * the split only against a known retention, and only on an exact sample. */
static int exact_valid(const struct sw_sample *s)
{
	if (s->removed_young_objects > s->removed_objects ||
	    s->removed_young_bytes > s->removed_bytes)
		return 0;
	if ((s->flags & SW_SAMPLE_YOUNG_SPLIT) &&
	    (!(s->flags & SW_SAMPLE_EXACT) || s->retention == 0))
		return 0;
	return !((s->flags & SW_SAMPLE_EXACT) && s->status != SW_SCAN_COMPLETE);
}

static int decode_one_sample(struct cursor *c, struct sw_sample *s, uint8_t version)
{
	uint32_t known = version >= SW_PROTO_VERSION_EXACT ? SW_SAMPLE_FLAGS_KNOWN
							    : SW_SAMPLE_FLAGS_V1;

	memset(s, 0, sizeof *s); /* a version-1 frame leaves the exact figures zero */
	s->seq = cur_u64(c);
	s->time = (int64_t)cur_u64(c);
	cur_str(c, s->store, SW_NAME_MAX);
	s->objects = cur_u64(c);
	s->bytes = cur_u64(c);
	s->added_objects = cur_u64(c);
	s->added_bytes = cur_u64(c);
	s->fs_used = cur_u64(c);
	s->fs_size = cur_u64(c);
	s->fs_inodes = cur_u64(c);
	s->mount_id = cur_u64(c);
	s->flags = cur_u32(c);
	s->status = cur_u8(c);
	s->error_count = cur_u32(c);
	cur_str(c, s->first_error, SW_ERRTEXT_MAX);
	s->scan_ms = cur_u32(c);
	if (version >= SW_PROTO_VERSION_EXACT) {
		decode_exact(c, s);
		decode_listing(c, s);
		decode_fresh(c, s);
	}
	if (c->bad)
		return -EPROTO;
	if (!name_valid(s->store) || s->status > SW_SCAN_STATUS_MAX ||
	    (s->flags & ~known) || s->time <= 0 || s->seq == 0 || !exact_valid(s) ||
	    !listing_valid(s) || !fresh_valid(s))
		return -EINVAL;
	return 0;
}

int proto_decode_samples(const struct sw_frame *f, struct sw_sample *out, size_t max,
			 size_t *n)
{
	struct cursor c;
	uint16_t count;

	*n = 0;
	if (f->type != SW_MSG_SAMPLES)
		return -EPROTO;
	cur_init(&c, f);
	count = cur_u16(&c);
	if (c.bad || count == 0 || count > SW_SAMPLES_MAX || count > max)
		return -EPROTO;
	for (uint16_t i = 0; i < count; i++) {
		int err = decode_one_sample(&c, &out[i], f->version);

		if (err == -EINVAL)
			*n = i;
		if (err)
			return err;
		/* seq must rise inside a batch: the ack logic relies on it */
		if (i > 0 && out[i].seq <= out[i - 1].seq)
			return -EPROTO;
	}
	if (cur_finish(&c))
		return -EPROTO;
	*n = count;
	return 0;
}

/* Writes a frame header with a zero length and returns where it starts, so
 * the length can be patched once the payload is known. */
static int frame_begin_v(struct buf *out, uint8_t version, uint8_t type, size_t *start)
{
	uint8_t h[SW_FRAME_HEADER] = { magic[0], magic[1], version, type, 0, 0, 0, 0 };

	*start = out->len;
	return buf_append(out, h, sizeof h);
}

static int frame_begin(struct buf *out, uint8_t type, size_t *start)
{
	return frame_begin_v(out, SW_PROTO_VERSION, type, start);
}

static int frame_end(struct buf *out, size_t start, int err)
{
	size_t plen;

	if (err) {
		out->len = start; /* leave no half frame behind */
		return err;
	}
	plen = out->len - start - SW_FRAME_HEADER;
	if (plen > SW_FRAME_MAX) {
		out->len = start;
		return -EMSGSIZE;
	}
	out->data[start + 4] = (uint8_t)(plen >> 24);
	out->data[start + 5] = (uint8_t)(plen >> 16);
	out->data[start + 6] = (uint8_t)(plen >> 8);
	out->data[start + 7] = (uint8_t)plen;
	return 0;
}

int proto_encode_hello(struct buf *out, const struct sw_hello *h)
{
	return proto_encode_hello_version(out, h, SW_PROTO_VERSION);
}

int proto_encode_hello_version(struct buf *out, const struct sw_hello *h, uint8_t version)
{
	size_t start;
	int err;

	if (version < SW_PROTO_VERSION || version > SW_PROTO_VERSION_MAX)
		return -EINVAL;
	err = frame_begin_v(out, version, SW_MSG_HELLO, &start);
	if (err)
		return err;
	if (!name_valid(h->agent))
		err = -EINVAL;
	err = err ? err : buf_put_str(out, h->agent, SW_NAME_MAX);
	err = err ? err : buf_put_str(out, h->software, SW_TEXT_MAX);
	err = err ? err : buf_put_u64(out, h->instance_id);
	err = err ? err : buf_put_u32(out, h->interval);
	err = err ? err : buf_put_u32(out, h->flags);
	return frame_end(out, start, err);
}

int proto_encode_ack(struct buf *out, uint64_t seq)
{
	size_t start;
	int err = frame_begin(out, SW_MSG_ACK, &start);

	if (err)
		return err;
	return frame_end(out, start, buf_put_u64(out, seq));
}

int proto_encode_error(struct buf *out, uint16_t code, const char *text)
{
	char clipped[SW_TEXT_MAX + 1];
	size_t start, n = strnlen(text, SW_TEXT_MAX);
	int err = frame_begin(out, SW_MSG_ERROR, &start);

	if (err)
		return err;
	memcpy(clipped, text, n);
	clipped[n] = '\0';
	err = buf_put_u16(out, code);
	err = err ? err : buf_put_str(out, clipped, SW_TEXT_MAX);
	return frame_end(out, start, err);
}

size_t proto_sample_wire_size(const struct sw_sample *s)
{
	return 8 + 8 + 2 + strlen(s->store) + 8 * 8 + 4 + 1 + 4 + 2 + strlen(s->first_error) +
	       4;
}

static int encode_exact(struct buf *out, const struct sw_sample *x)
{
	int err = buf_put_u64(out, x->removed_objects);

	err = err ? err : buf_put_u64(out, x->removed_bytes);
	err = err ? err : buf_put_u64(out, x->removed_young_objects);
	err = err ? err : buf_put_u64(out, x->removed_young_bytes);
	err = err ? err : buf_put_u64(out, x->removed_min_age);
	err = err ? err : buf_put_u64(out, x->shrunk_bytes);
	err = err ? err : buf_put_u64(out, x->moved_objects);
	err = err ? err : buf_put_u64(out, x->moved_bytes);
	err = err ? err : buf_put_u64(out, x->retention);
	err = err ? err : buf_put_u64(out, x->journal_dropped);
	if (!err && (x->flags & SW_SAMPLE_LISTING)) {
		err = buf_put_u64(out, x->requests);
		err = err ? err : buf_put_u64(out, x->noncurrent_objects);
		err = err ? err : buf_put_u64(out, x->noncurrent_bytes);
		err = err ? err : buf_put_u64(out, x->delete_markers);
	}
	if (err || !(x->flags & SW_SAMPLE_FRESH_SPLIT))
		return err;
	err = buf_put_u64(out, x->fresh_age);
	err = err ? err : buf_put_u64(out, x->removed_fresh_objects);
	err = err ? err : buf_put_u64(out, x->removed_fresh_bytes);
	return err ? err : buf_put_u64(out, x->removed_min_settled_age);
}

int proto_encode_samples(struct buf *out, const struct sw_sample *s, size_t n)
{
	return proto_encode_samples_version(out, s, n, SW_PROTO_VERSION);
}

int proto_encode_samples_version(struct buf *out, const struct sw_sample *s, size_t n,
				 uint8_t version)
{
	uint32_t known;
	size_t start;
	int err;

	if (n == 0 || n > SW_SAMPLES_MAX || version < SW_PROTO_VERSION ||
	    version > SW_PROTO_VERSION_MAX)
		return -EINVAL;
	/* SAMPLES is defined in versions 1 and 3: a version-2 link gets 1 */
	if (version < SW_PROTO_VERSION_EXACT)
		version = SW_PROTO_VERSION;
	known = version >= SW_PROTO_VERSION_EXACT ? SW_SAMPLE_FLAGS_KNOWN : SW_SAMPLE_FLAGS_V1;
	err = frame_begin_v(out, version, SW_MSG_SAMPLES, &start);
	if (err)
		return err;
	err = buf_put_u16(out, (uint16_t)n);
	for (size_t i = 0; i < n && !err; i++) {
		const struct sw_sample *x = &s[i];
		if (!name_valid(x->store)) {
			err = -EINVAL;
			break;
		}
		err = buf_put_u64(out, x->seq);
		err = err ? err : buf_put_u64(out, (uint64_t)x->time);
		err = err ? err : buf_put_str(out, x->store, SW_NAME_MAX);
		err = err ? err : buf_put_u64(out, x->objects);
		err = err ? err : buf_put_u64(out, x->bytes);
		err = err ? err : buf_put_u64(out, x->added_objects);
		err = err ? err : buf_put_u64(out, x->added_bytes);
		err = err ? err : buf_put_u64(out, x->fs_used);
		err = err ? err : buf_put_u64(out, x->fs_size);
		err = err ? err : buf_put_u64(out, x->fs_inodes);
		err = err ? err : buf_put_u64(out, x->mount_id);
		err = err ? err : buf_put_u32(out, x->flags & known);
		err = err ? err : buf_put_u8(out, x->status);
		err = err ? err : buf_put_u32(out, x->error_count);
		err = err ? err : buf_put_str(out, x->first_error, SW_ERRTEXT_MAX);
		err = err ? err : buf_put_u32(out, x->scan_ms);
		if (!err && version >= SW_PROTO_VERSION_EXACT)
			err = encode_exact(out, x);
	}
	return frame_end(out, start, err);
}

static int decode_one_deletion(struct cursor *c, struct sw_deletion *d)
{
	d->id = cur_u64(c);
	cur_str(c, d->store, SW_NAME_MAX);
	d->first = (int64_t)cur_u64(c);
	d->last = (int64_t)cur_u64(c);
	d->files = cur_u64(c);
	d->dirs = cur_u64(c);
	cur_str(c, d->dir, SW_TEXT_MAX);
	d->pid = cur_u32(c);
	d->uid = (int64_t)cur_u64(c);
	cur_str(c, d->exe, SW_TEXT_MAX);
	if (c->bad)
		return -EPROTO;
	if (!name_valid(d->store) || d->id == 0 || d->first <= 0 || d->last < d->first ||
	    d->uid < -1)
		return -EINVAL;
	return 0;
}

int proto_decode_deletions(const struct sw_frame *f, struct sw_deletion *out, size_t max,
			   size_t *n)
{
	struct cursor c;
	uint16_t count;

	*n = 0;
	if (f->type != SW_MSG_DELETIONS || f->version < 2)
		return -EPROTO;
	cur_init(&c, f);
	count = cur_u16(&c);
	if (c.bad || count == 0 || count > SW_DELETIONS_MAX || count > max)
		return -EPROTO;
	for (uint16_t i = 0; i < count; i++) {
		int err = decode_one_deletion(&c, &out[i]);

		if (err == -EINVAL)
			*n = i;
		if (err)
			return err;
		/* ids rise within a frame: the DELACK of the last covers all */
		if (i > 0 && out[i].id <= out[i - 1].id)
			return -EPROTO;
	}
	if (cur_finish(&c))
		return -EPROTO;
	*n = count;
	return 0;
}

int proto_decode_delack(const struct sw_frame *f, uint64_t *id)
{
	struct cursor c;

	if (f->type != SW_MSG_DELACK || f->version < 2)
		return -EPROTO;
	cur_init(&c, f);
	*id = cur_u64(&c);
	return cur_finish(&c);
}

/* Appends a string clipped to max bytes (free text from /proc may be
 * longer than the wire allows). */
static int put_clipped(struct buf *out, const char *s, size_t max)
{
	char clipped[SW_TEXT_MAX + 1];
	size_t n = strnlen(s, max);

	memcpy(clipped, s, n);
	clipped[n] = '\0';
	return buf_put_str(out, clipped, max);
}

int proto_encode_deletions(struct buf *out, const struct sw_deletion *d, size_t n)
{
	size_t start;
	int err;

	if (n == 0 || n > SW_DELETIONS_MAX)
		return -EINVAL;
	err = frame_begin_v(out, 2, SW_MSG_DELETIONS, &start);
	if (err)
		return err;
	err = buf_put_u16(out, (uint16_t)n);
	for (size_t i = 0; i < n && !err; i++) {
		const struct sw_deletion *x = &d[i];

		if (!name_valid(x->store)) {
			err = -EINVAL;
			break;
		}
		err = buf_put_u64(out, x->id);
		err = err ? err : buf_put_str(out, x->store, SW_NAME_MAX);
		err = err ? err : buf_put_u64(out, (uint64_t)x->first);
		err = err ? err : buf_put_u64(out, (uint64_t)x->last);
		err = err ? err : buf_put_u64(out, x->files);
		err = err ? err : buf_put_u64(out, x->dirs);
		err = err ? err : put_clipped(out, x->dir, SW_TEXT_MAX);
		err = err ? err : buf_put_u32(out, x->pid);
		err = err ? err : buf_put_u64(out, (uint64_t)x->uid);
		err = err ? err : put_clipped(out, x->exe, SW_TEXT_MAX);
	}
	return frame_end(out, start, err);
}

int proto_encode_delack(struct buf *out, uint64_t id)
{
	size_t start;
	int err = frame_begin_v(out, 2, SW_MSG_DELACK, &start);

	if (err)
		return err;
	return frame_end(out, start, buf_put_u64(out, id));
}

int proto_decode_policy(const struct sw_frame *f, struct sw_policy *out, size_t max,
			size_t *n)
{
	struct cursor c;
	uint16_t count;

	*n = 0;
	if (f->type != SW_MSG_POLICY || f->version < SW_PROTO_VERSION_EXACT)
		return -EPROTO;
	cur_init(&c, f);
	count = cur_u16(&c);
	if (c.bad || count > SW_POLICY_MAX || count > max)
		return -EPROTO;
	for (uint16_t i = 0; i < count; i++) {
		cur_str(&c, out[i].store, SW_NAME_MAX);
		out[i].retention = cur_u64(&c);
		if (c.bad)
			return -EPROTO;
		if (!name_valid(out[i].store)) {
			*n = i;
			return -EINVAL;
		}
	}
	if (cur_finish(&c))
		return -EPROTO;
	*n = count;
	return 0;
}

int proto_decode_invreq(const struct sw_frame *f, struct sw_invreq *r)
{
	struct cursor c;

	if (f->type != SW_MSG_INVREQ || f->version < SW_PROTO_VERSION_EXACT)
		return -EPROTO;
	cur_init(&c, f);
	r->req_id = cur_u64(&c);
	cur_str(&c, r->store, SW_NAME_MAX);
	r->from = (int64_t)cur_u64(&c);
	r->to = (int64_t)cur_u64(&c);
	r->max_items = cur_u32(&c);
	cur_str(&c, r->prefix, SW_TEXT_MAX);
	if (cur_finish(&c))
		return -EPROTO;
	if (!name_valid(r->store) || r->from > r->to || r->req_id == 0)
		return -EINVAL;
	return 0;
}

static int decode_one_invitem(struct cursor *c, struct sw_invitem *it)
{
	cur_str(c, it->path, SW_PATH_WIRE_MAX);
	it->size = cur_u64(c);
	it->birth = (int64_t)cur_u64(c);
	it->removed_after = (int64_t)cur_u64(c);
	it->removed_before = (int64_t)cur_u64(c);
	it->pid = cur_u32(c);
	it->uid = (int64_t)cur_u64(c);
	cur_str(c, it->exe, SW_TEXT_MAX);
	it->flags = cur_u8(c);
	if (c->bad)
		return -EPROTO;
	if (it->removed_before < it->removed_after || it->uid < -1 ||
	    (it->flags & ~(unsigned)SW_INV_FLAGS_KNOWN))
		return -EINVAL;
	return 0;
}

int proto_decode_inventory(const struct sw_frame *f, struct sw_inventory *hdr,
			   struct sw_invitem *items, size_t max, size_t *n)
{
	struct cursor c;
	uint16_t count;

	*n = 0;
	if (f->type != SW_MSG_INVENTORY || f->version < SW_PROTO_VERSION_EXACT)
		return -EPROTO;
	cur_init(&c, f);
	hdr->req_id = cur_u64(&c);
	hdr->status = cur_u8(&c);
	hdr->total_items = cur_u64(&c);
	hdr->truncated = cur_u32(&c);
	count = cur_u16(&c);
	if (c.bad || count > SW_INVENTORY_MAX || count > max)
		return -EPROTO;
	if (hdr->status > SW_INV_STATUS_MAX || hdr->req_id == 0)
		return -EINVAL;
	for (uint16_t i = 0; i < count; i++) {
		int err = decode_one_invitem(&c, &items[i]);

		if (err == -EINVAL)
			*n = i;
		if (err)
			return err;
	}
	if (cur_finish(&c))
		return -EPROTO;
	*n = count;
	return 0;
}

int proto_encode_policy(struct buf *out, const struct sw_policy *p, size_t n)
{
	size_t start;
	int err;

	if (n > SW_POLICY_MAX)
		return -EINVAL;
	err = frame_begin_v(out, SW_PROTO_VERSION_EXACT, SW_MSG_POLICY, &start);
	if (err)
		return err;
	err = buf_put_u16(out, (uint16_t)n);
	for (size_t i = 0; i < n && !err; i++) {
		if (!name_valid(p[i].store)) {
			err = -EINVAL;
			break;
		}
		err = buf_put_str(out, p[i].store, SW_NAME_MAX);
		err = err ? err : buf_put_u64(out, p[i].retention);
	}
	return frame_end(out, start, err);
}

int proto_encode_invreq(struct buf *out, const struct sw_invreq *r)
{
	size_t start;
	int err;

	if (!name_valid(r->store) || r->from > r->to || r->req_id == 0)
		return -EINVAL;
	err = frame_begin_v(out, SW_PROTO_VERSION_EXACT, SW_MSG_INVREQ, &start);
	if (err)
		return err;
	err = buf_put_u64(out, r->req_id);
	err = err ? err : buf_put_str(out, r->store, SW_NAME_MAX);
	err = err ? err : buf_put_u64(out, (uint64_t)r->from);
	err = err ? err : buf_put_u64(out, (uint64_t)r->to);
	err = err ? err : buf_put_u32(out, r->max_items);
	err = err ? err : buf_put_str(out, r->prefix, SW_TEXT_MAX);
	return frame_end(out, start, err);
}

size_t proto_invitem_wire_size(const struct sw_invitem *it)
{
	return 2 + strnlen(it->path, SW_PATH_WIRE_MAX + 1) + 8 * 4 + 4 + 8 + 2 +
	       strnlen(it->exe, SW_TEXT_MAX + 1) + 1;
}

int proto_encode_inventory(struct buf *out, const struct sw_inventory *hdr,
			   const struct sw_invitem *items, size_t n)
{
	size_t start;
	int err;

	if (n > SW_INVENTORY_MAX || hdr->status > SW_INV_STATUS_MAX || hdr->req_id == 0)
		return -EINVAL;
	err = frame_begin_v(out, SW_PROTO_VERSION_EXACT, SW_MSG_INVENTORY, &start);
	if (err)
		return err;
	err = buf_put_u64(out, hdr->req_id);
	err = err ? err : buf_put_u8(out, hdr->status);
	err = err ? err : buf_put_u64(out, hdr->total_items);
	err = err ? err : buf_put_u32(out, hdr->truncated);
	err = err ? err : buf_put_u16(out, (uint16_t)n);
	for (size_t i = 0; i < n && !err; i++) {
		const struct sw_invitem *it = &items[i];

		if (it->removed_before < it->removed_after || it->uid < -1 ||
		    (it->flags & ~(unsigned)SW_INV_FLAGS_KNOWN)) {
			err = -EINVAL;
			break;
		}
		/* refuse before the frame grows past what a peer accepts */
		if (out->len - start - SW_FRAME_HEADER + proto_invitem_wire_size(it) >
		    SW_FRAME_MAX) {
			err = -EMSGSIZE;
			break;
		}
		err = buf_put_str(out, it->path, SW_PATH_WIRE_MAX);
		err = err ? err : buf_put_u64(out, it->size);
		err = err ? err : buf_put_u64(out, (uint64_t)it->birth);
		err = err ? err : buf_put_u64(out, (uint64_t)it->removed_after);
		err = err ? err : buf_put_u64(out, (uint64_t)it->removed_before);
		err = err ? err : buf_put_u32(out, it->pid);
		err = err ? err : buf_put_u64(out, (uint64_t)it->uid);
		err = err ? err : buf_put_str(out, it->exe, SW_TEXT_MAX);
		err = err ? err : buf_put_u8(out, it->flags);
	}
	return frame_end(out, start, err);
}

const char *proto_msg_name(unsigned type)
{
	switch (type) {
	case SW_MSG_HELLO:
		return "HELLO";
	case SW_MSG_SAMPLES:
		return "SAMPLES";
	case SW_MSG_ACK:
		return "ACK";
	case SW_MSG_ERROR:
		return "ERROR";
	case SW_MSG_DELETIONS:
		return "DELETIONS";
	case SW_MSG_DELACK:
		return "DELACK";
	case SW_MSG_POLICY:
		return "POLICY";
	case SW_MSG_INVREQ:
		return "INVREQ";
	case SW_MSG_INVENTORY:
		return "INVENTORY";
	case SW_MSG_DIGREQ:
		return "DIGREQ";
	case SW_MSG_DIGESTS:
		return "DIGESTS";
	default:
		return "UNKNOWN";
	}
}

/* Copy verification (issue 13): DIGREQ and DIGESTS.  Kept together here,
 * apart from the other messages, so their changes merge cleanly. */

static void cur_bytes(struct cursor *c, uint8_t *out, size_t n)
{
	const uint8_t *p = cur_take(c, n);

	if (p)
		memcpy(out, p, n);
	else
		memset(out, 0, n);
}

int proto_digdir_valid(const char *dir)
{
	const char *p = dir;

	if (strnlen(dir, SW_PATH_WIRE_MAX + 1) > SW_PATH_WIRE_MAX)
		return 0;
	if (*p == '\0')
		return 1; /* the root */
	for (;;) {
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);

		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return 0;
		if (!e)
			return 1;
		p = e + 1;
	}
}

static int digreq_valid(const struct sw_digreq *r)
{
	return name_valid(r->store) && r->req_id != 0 &&
	       !(r->flags & ~(unsigned)SW_DIG_FLAGS_KNOWN) && proto_digdir_valid(r->dir);
}

int proto_decode_digreq(const struct sw_frame *f, struct sw_digreq *r)
{
	struct cursor c;

	if (f->type != SW_MSG_DIGREQ || f->version < SW_PROTO_VERSION_EXACT)
		return -EPROTO;
	cur_init(&c, f);
	r->req_id = cur_u64(&c);
	cur_str(&c, r->store, SW_NAME_MAX);
	cur_str(&c, r->dir, SW_PATH_WIRE_MAX);
	r->flags = cur_u8(&c);
	if (cur_finish(&c))
		return -EPROTO;
	return digreq_valid(r) ? 0 : -EINVAL;
}

int proto_encode_digreq(struct buf *out, const struct sw_digreq *r)
{
	size_t start;
	int err;

	if (!digreq_valid(r))
		return -EINVAL;
	err = frame_begin_v(out, SW_PROTO_VERSION_EXACT, SW_MSG_DIGREQ, &start);
	if (err)
		return err;
	err = buf_put_u64(out, r->req_id);
	err = err ? err : buf_put_str(out, r->store, SW_NAME_MAX);
	err = err ? err : buf_put_str(out, r->dir, SW_PATH_WIRE_MAX);
	err = err ? err : buf_put_u8(out, r->flags);
	return frame_end(out, start, err);
}

static int digentry_valid(const struct sw_digentry *e)
{
	return (e->kind == 'F' || e->kind == 'D') && !strchr(e->name, '/');
}

static int digests_hdr_valid(const struct sw_digests *h)
{
	return h->status <= SW_DIG_STATUS_MAX && h->req_id != 0;
}

size_t proto_digentry_wire_size(const struct sw_digentry *e)
{
	return SW_DIGENTRY_FIXED + strnlen(e->name, SW_PATH_WIRE_MAX + 1);
}

static int decode_one_digentry(struct cursor *c, struct sw_digentry *e)
{
	cur_bytes(c, e->name_hash, sizeof e->name_hash);
	e->kind = cur_u8(c);
	e->size = cur_u64(c);
	e->files = cur_u64(c);
	e->birth = (int64_t)cur_u64(c);
	cur_bytes(c, e->digest, sizeof e->digest);
	cur_str(c, e->name, SW_PATH_WIRE_MAX);
	if (c->bad)
		return -EPROTO;
	return digentry_valid(e) ? 0 : -EINVAL;
}

int proto_decode_digests(const struct sw_frame *f, struct sw_digests *hdr,
			 struct sw_digentry *entries, size_t max, size_t *n)
{
	struct cursor c;
	uint32_t count;

	*n = 0;
	if (f->type != SW_MSG_DIGESTS || f->version < SW_PROTO_VERSION_EXACT)
		return -EPROTO;
	cur_init(&c, f);
	hdr->req_id = cur_u64(&c);
	hdr->status = cur_u8(&c);
	hdr->scan_time = (int64_t)cur_u64(&c);
	cur_bytes(&c, hdr->self, sizeof hdr->self);
	hdr->files = cur_u64(&c);
	hdr->bytes = cur_u64(&c);
	cur_str(&c, hdr->text, SW_TEXT_MAX);
	count = cur_u32(&c);
	if (c.bad || count > SW_DIGESTS_MAX || count > max)
		return -EPROTO;
	if (!digests_hdr_valid(hdr))
		return -EINVAL;
	for (uint32_t i = 0; i < count; i++) {
		int err = decode_one_digentry(&c, &entries[i]);

		if (err == -EINVAL)
			*n = i;
		if (err)
			return err;
		/* one directory's entries rise by name hash: the collector merges
		 * two listings in one pass, and a repeated entry is refused */
		if (i > 0 && memcmp(entries[i - 1].name_hash, entries[i].name_hash,
				    SW_NAME_HASH_LEN) >= 0)
			return -EPROTO;
	}
	if (cur_finish(&c))
		return -EPROTO;
	*n = count;
	return 0;
}

int proto_encode_digests(struct buf *out, const struct sw_digests *hdr,
			 const struct sw_digentry *entries, size_t n)
{
	size_t start;
	int err;

	if (n > SW_DIGESTS_MAX || !digests_hdr_valid(hdr))
		return -EINVAL;
	err = frame_begin_v(out, SW_PROTO_VERSION_EXACT, SW_MSG_DIGESTS, &start);
	if (err)
		return err;
	err = buf_put_u64(out, hdr->req_id);
	err = err ? err : buf_put_u8(out, hdr->status);
	err = err ? err : buf_put_u64(out, (uint64_t)hdr->scan_time);
	err = err ? err : buf_append(out, hdr->self, sizeof hdr->self);
	err = err ? err : buf_put_u64(out, hdr->files);
	err = err ? err : buf_put_u64(out, hdr->bytes);
	err = err ? err : buf_put_str(out, hdr->text, SW_TEXT_MAX);
	err = err ? err : buf_put_u32(out, (uint32_t)n);
	for (size_t i = 0; i < n && !err; i++) {
		const struct sw_digentry *e = &entries[i];

		if (!digentry_valid(e) ||
		    (i > 0 && memcmp(entries[i - 1].name_hash, e->name_hash,
				     SW_NAME_HASH_LEN) >= 0)) {
			err = -EINVAL;
			break;
		}
		/* refuse before the frame grows past what a peer accepts */
		if (out->len - start - SW_FRAME_HEADER + proto_digentry_wire_size(e) >
		    SW_FRAME_MAX) {
			err = -EMSGSIZE;
			break;
		}
		err = buf_append(out, e->name_hash, sizeof e->name_hash);
		err = err ? err : buf_put_u8(out, e->kind);
		err = err ? err : buf_put_u64(out, e->size);
		err = err ? err : buf_put_u64(out, e->files);
		err = err ? err : buf_put_u64(out, (uint64_t)e->birth);
		err = err ? err : buf_append(out, e->digest, sizeof e->digest);
		err = err ? err : buf_put_str(out, e->name, SW_PATH_WIRE_MAX);
	}
	return frame_end(out, start, err);
}
