/*
 * proto.h - the agent <-> collector wire protocol (docs/protocol.md).
 *
 * Every message is a frame: an 8-byte header (magic "SW", version, type,
 * big-endian payload length) followed by the payload.  Frames are bounded by
 * SW_FRAME_MAX; the decoder checks every length before it reads, and refuses
 * rather than guesses.  TLS and the agent's spool sit on top of this framing
 * without changing it.
 */
#ifndef SHRINKWATCH_PROTO_H
#define SHRINKWATCH_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "shrinkwatch/buf.h"
#include "shrinkwatch/sample.h"

#define SW_PROTO_VERSION 1
/* Version 2 adds deletion reports (DELETIONS, DELACK).  A frame's version
 * byte is the version that defines its message (SAMPLES, ACK and ERROR stay
 * 1), except HELLO, whose byte is the highest version the agent speaks: a
 * collector that knows only 1 refuses a version-2 HELLO with ERROR 2, and the
 * agent says HELLO again in version 1 and keeps its reports to itself. */
#define SW_PROTO_VERSION_MAX 3
/* Version 3 adds exact accounts: SAMPLES frames of version 3 carry the
 * sample's removal figures, the collector says each store's retention in
 * POLICY, and asks for a loss inventory with INVREQ, answered by INVENTORY.
 * A version-1/2 collector refuses a version-3 HELLO with ERROR 2 and the
 * agent steps down one version at a time. */
#define SW_PROTO_VERSION_EXACT 3
#define SW_FRAME_HEADER 8
/* Largest payload a peer may send; a larger length prefix closes the link. */
#define SW_FRAME_MAX (1024u * 1024u)
/* Most samples one SAMPLES frame may carry. */
#define SW_SAMPLES_MAX 2048
/* Longest free text (software version, error message) on the wire. */
#define SW_TEXT_MAX 256

enum sw_msg_type {
	SW_MSG_HELLO = 1,   /* agent -> collector: who I am */
	SW_MSG_SAMPLES = 2, /* agent -> collector: a batch of samples */
	SW_MSG_ACK = 3,     /* collector -> agent: everything <= seq is stored */
	SW_MSG_ERROR = 4,   /* either way: why the link is being closed */
	SW_MSG_DELETIONS = 5, /* agent -> collector (v2): deletion reports */
	SW_MSG_DELACK = 6,    /* collector -> agent (v2): reports <= id are stored */
	SW_MSG_POLICY = 7,    /* collector -> agent (v3): each store's retention */
	SW_MSG_INVREQ = 8,    /* collector -> agent (v3): send a loss inventory */
	SW_MSG_INVENTORY = 9, /* agent -> collector (v3): removal-journal entries */
	SW_MSG_DIGREQ = 10,   /* collector -> agent (v3): a directory's digests */
	SW_MSG_DIGESTS = 11,  /* agent -> collector (v3): them */
	SW_MSG_TYPE_MAX = SW_MSG_DIGESTS,
};

enum sw_error_code {
	SW_ERR_PROTOCOL = 1,   /* malformed frame or message */
	SW_ERR_VERSION = 2,    /* unsupported protocol version */
	SW_ERR_NAME = 3,       /* an agent or store name is not acceptable */
	SW_ERR_DENIED = 4,     /* not allowed (identity, allow-list) */
	SW_ERR_OVERLOAD = 5,   /* the collector is shedding load */
	SW_ERR_INTERNAL = 6,   /* the collector cannot store samples now */
};

struct sw_frame {
	uint8_t version;
	uint8_t type;
	uint32_t len;           /* payload length */
	const uint8_t *payload; /* points into the caller's buffer */
};

struct sw_hello {
	char agent[SW_NAME_MAX + 1];
	char software[SW_TEXT_MAX + 1]; /* e.g. "shrinkwatch-agent 0.1.0" */
	uint64_t instance_id;           /* random per agent process start */
	uint32_t interval;              /* sampling interval, seconds */
	uint32_t flags;                 /* reserved, 0 */
};

/* Most reports one DELETIONS frame may carry. */
#define SW_DELETIONS_MAX 256

/* One deletion report (version 2): who deleted how much under which
 * directory of a store, from the agent's fanotify watch (agent/delwatch.h).
 * id is per agent, rising, never reused: the collector stores a report once
 * per (agent, id) however often it is sent. */
struct sw_deletion {
	uint64_t id;
	char store[SW_NAME_MAX + 1];
	int64_t first, last;           /* unix seconds of the first and last deletion */
	uint64_t files, dirs;
	char dir[SW_TEXT_MAX + 1];     /* prefix relative to the store, "*": several */
	uint32_t pid;                  /* 0: several processes */
	int64_t uid;                   /* -1: unknown (the process had gone) */
	char exe[SW_TEXT_MAX + 1];     /* "?" when unknown */
};

/* Most entries one POLICY frame may carry. */
#define SW_POLICY_MAX 2048

/* One store's policy (version 3), from the collector's configuration or what
 * it learned: the agent splits removals by age against retention.  A store
 * absent from POLICY has retention unknown (0). */
struct sw_policy {
	char store[SW_NAME_MAX + 1];
	uint64_t retention; /* seconds, 0 = unknown */
};

/* An inventory request (version 3): the removal-journal entries of one
 * store whose removal bracket overlaps [from, to], under prefix ("" = the
 * whole store), at most max_items of them (0 = as many as the agent
 * allows).  req_id is the collector's, echoed in every INVENTORY frame. */
struct sw_invreq {
	uint64_t req_id;
	char store[SW_NAME_MAX + 1];
	int64_t from, to;
	uint32_t max_items;
	char prefix[SW_TEXT_MAX + 1];
};

/* Longest path an INVENTORY item may carry, in bytes, without the NUL. */
#define SW_PATH_WIRE_MAX 4096
/* Most items one INVENTORY frame may carry (each frame also stays under
 * SW_FRAME_MAX: size batches with proto_invitem_wire_size()). */
#define SW_INVENTORY_MAX 4096

enum sw_inv_status {
	SW_INV_MORE = 0,    /* more frames follow for this req_id */
	SW_INV_LAST = 1,    /* the last frame: total_items and truncated are set */
	SW_INV_REFUSED = 2, /* unknown store, journal unavailable: why in item 0's path */
	SW_INV_STATUS_MAX = SW_INV_REFUSED,
};

/* Inventory item flags. */
enum {
	SW_INV_CUT = 1u << 0, /* path cut to the agent's inventory_depth */
	SW_INV_FLAGS_KNOWN = (1u << 1) - 1,
};

/* One removed item from the agent's removal journal (agent/journal.h).
 * The path is relative to the store and is hostile input: any bytes but
 * NUL (newlines, invalid UTF-8) travel as they are; escape it to print. */
struct sw_invitem {
	char path[SW_PATH_WIRE_MAX + 1];
	uint64_t size;
	int64_t birth;                        /* unix seconds */
	int64_t removed_after, removed_before; /* the scans bracketing the removal */
	uint32_t pid;                          /* 0: no deletion watch saw it */
	int64_t uid;                           /* -1: unknown */
	char exe[SW_TEXT_MAX + 1];             /* "?" when unknown */
	uint8_t flags;                         /* SW_INV_* */
};

/* The fixed part of an INVENTORY frame. */
struct sw_inventory {
	uint64_t req_id;
	uint8_t status;       /* enum sw_inv_status */
	uint64_t total_items; /* last frame: how many matched; else 0 */
	uint32_t truncated;   /* last frame: items left out because of max_items */
};

struct sw_error {
	uint16_t code;
	char text[SW_TEXT_MAX + 1];
};

/*
 * Looks for one frame at the start of buf.  Returns the number of bytes the
 * whole frame occupies (header + payload) and fills *f; 0 when more bytes are
 * needed; or a negative errno: -EPROTO (bad magic, unknown type),
 * -EPROTONOSUPPORT (version), -EMSGSIZE (length above SW_FRAME_MAX).  After an
 * error the stream cannot be resynchronised: close the connection.
 */
long proto_frame_parse(const uint8_t *buf, size_t len, struct sw_frame *f);

/* Message decoders: 0, -EPROTO for a malformed payload (trailing bytes,
 * short fields, counts above the limits), or -EINVAL for a well-formed
 * message whose content is unacceptable (an agent or store name outside the
 * allowed characters, a zero interval, an unknown status or flag): the
 * offending name is then left in the output so the refusal can quote it. */
int proto_decode_hello(const struct sw_frame *f, struct sw_hello *out);
int proto_decode_ack(const struct sw_frame *f, uint64_t *seq);
int proto_decode_error(const struct sw_frame *f, struct sw_error *out);
/* Decodes up to max samples into out (caller allocates); *n gets the count.
 * -EPROTO also when the frame holds more than max samples.  On -EINVAL, *n is
 * the index of the unacceptable sample (out[*n] holds what was read). */
int proto_decode_samples(const struct sw_frame *f, struct sw_sample *out,
			 size_t max, size_t *n);

/* DELETIONS: like samples; -EINVAL (with *n the index) for a report whose
 * store name, id, times or uid are unacceptable.  Ids rise within a frame. */
int proto_decode_deletions(const struct sw_frame *f, struct sw_deletion *out, size_t max,
			   size_t *n);
int proto_decode_delack(const struct sw_frame *f, uint64_t *id);

/* Version-3 decoders.  POLICY: up to max entries into out (caller
 * allocates), *n the count; -EINVAL with *n the index for a bad store name.
 * An empty POLICY (count 0) is valid: the collector knows no store yet. */
int proto_decode_policy(const struct sw_frame *f, struct sw_policy *out, size_t max,
			size_t *n);
/* INVREQ: -EINVAL for a bad store name, from > to or a zero req_id. */
int proto_decode_invreq(const struct sw_frame *f, struct sw_invreq *out);
/* INVENTORY: the fixed part into *hdr, up to max items into items (caller
 * allocates; an item is about 4.4 KB), *n the count.  -EINVAL (with *n the
 * index, or 0 for the fixed part) for an unknown status or flag, a removal
 * bracket that ends before it starts or a uid below -1. */
int proto_decode_inventory(const struct sw_frame *f, struct sw_inventory *hdr,
			   struct sw_invitem *items, size_t max, size_t *n);

/* Encoders append one whole frame to out.  0 or a negative errno. */
int proto_encode_hello(struct buf *out, const struct sw_hello *h);
int proto_encode_ack(struct buf *out, uint64_t seq);
int proto_encode_error(struct buf *out, uint16_t code, const char *text);
int proto_encode_samples(struct buf *out, const struct sw_sample *s, size_t n);
/* HELLO in a frame of the given version (1..SW_PROTO_VERSION_MAX); plain
 * proto_encode_hello() says version 1. */
int proto_encode_hello_version(struct buf *out, const struct sw_hello *h, uint8_t version);
/* Version-2 frames.  Strings longer than their limit are clipped. */
int proto_encode_deletions(struct buf *out, const struct sw_deletion *d, size_t n);
int proto_encode_delack(struct buf *out, uint64_t id);

/* SAMPLES in a frame of the given version: 1 (or 2, which is written as 1)
 * is the totals-only encoding, whose flags are cut to SW_SAMPLE_FLAGS_V1 so a
 * version-1/2 collector accepts them; 3 adds the exact accounts.  Plain
 * proto_encode_samples() says version 1. */
int proto_encode_samples_version(struct buf *out, const struct sw_sample *s, size_t n,
				 uint8_t version);
/* Version-3 frames.  POLICY may be empty (n 0).  INVENTORY: items may be
 * NULL when n is 0; a path longer than SW_PATH_WIRE_MAX or an exe longer
 * than SW_TEXT_MAX is -EINVAL (the caller cuts paths itself, on purpose);
 * -EMSGSIZE when the frame would exceed SW_FRAME_MAX (nothing appended). */
int proto_encode_policy(struct buf *out, const struct sw_policy *p, size_t n);
int proto_encode_invreq(struct buf *out, const struct sw_invreq *r);
int proto_encode_inventory(struct buf *out, const struct sw_inventory *hdr,
			   const struct sw_invitem *items, size_t n);

/* Bytes one sample takes on the wire (version 1 encoding), so a sender can
 * size its batches; a version-3 sample takes SW_SAMPLE_V3_EXTRA more, and
 * SW_SAMPLE_LISTING_EXTRA more again when it carries SW_SAMPLE_LISTING
 * (requests, noncurrent_objects, noncurrent_bytes, delete_markers), and
 * SW_SAMPLE_FRESH_EXTRA more when it carries SW_SAMPLE_FRESH_SPLIT
 * (fresh_age, removed_fresh_objects, removed_fresh_bytes,
 * removed_min_settled_age, after everything else). */
size_t proto_sample_wire_size(const struct sw_sample *s);
#define SW_SAMPLE_V3_EXTRA (10 * 8)
#define SW_SAMPLE_LISTING_EXTRA (4 * 8)
#define SW_SAMPLE_FRESH_EXTRA (4 * 8)
/* Bytes one inventory item takes on the wire; the fixed part of a frame
 * takes SW_INVENTORY_FIXED. */
size_t proto_invitem_wire_size(const struct sw_invitem *it);
#define SW_INVENTORY_FIXED (8 + 1 + 8 + 4 + 2)

const char *proto_msg_name(unsigned type);

/*
 * Copy verification (issue 13, docs/protocol.md "Digests", the contract in
 * the issue): the collector asks an agent for the digests of one directory
 * of a store's manifest with DIGREQ, and descends only into directories
 * whose digests differ between a source and a destination, so two matching
 * stores compare with a few kilobytes on the wire.  Names travel only when
 * the request says SW_DIG_NAMES (an administrator's audited copy-check);
 * otherwise entries are known by the first 16 bytes of SHA-256(name).
 */
#define SW_DIGEST_LEN 32
#define SW_NAME_HASH_LEN 16
/* Most entries one DIGESTS frame may carry; a frame also stays under
 * SW_FRAME_MAX (size batches with proto_digentry_wire_size()). */
#define SW_DIGESTS_MAX 8192

/* DIGREQ flags. */
enum {
	SW_DIG_CONTENT = 1u << 0, /* content digests (file SHA-256s) instead of sizes */
	SW_DIG_NAMES = 1u << 1,   /* entries carry their names (audited requests only) */
	SW_DIG_SELF = 1u << 2,    /* only the directory's own digest, no entries */
	SW_DIG_BYHASH = 1u << 3,  /* dir components "#" + 32 hex digits are name hashes */
	SW_DIG_FLAGS_KNOWN = (1u << 4) - 1,
};

/* A digest request: the digests of directory dir of store ("" = the root;
 * else components separated by single '/', none empty, "." or "..", no
 * leading or trailing '/').  With SW_DIG_BYHASH, a component that is '#'
 * and 32 lowercase hex digits names the subdirectory whose name_hash that
 * is, so a collector that knows only name hashes can descend; other
 * components stay literal names (a configured prefix).  req_id is the
 * collector's, echoed in every DIGESTS frame of the answer. */
struct sw_digreq {
	uint64_t req_id;
	char store[SW_NAME_MAX + 1];
	char dir[SW_PATH_WIRE_MAX + 1];
	uint8_t flags; /* SW_DIG_* */
};

enum sw_dig_status {
	SW_DIG_MORE = 0,    /* more frames follow for this req_id */
	SW_DIG_LAST = 1,    /* the last frame of the answer */
	SW_DIG_REFUSED = 2, /* no manifest, unknown store, no content hashes: why in text */
	SW_DIG_NO_DIR = 3,  /* the manifest has no such directory */
	SW_DIG_STATUS_MAX = SW_DIG_NO_DIR,
};

/* The fixed part of a DIGESTS frame.  self, files and bytes describe the
 * directory asked for (the same in every frame of one answer); scan_time is
 * the committed manifest scan the answer comes from, so a collector can tell
 * two answers about different scans apart. */
struct sw_digests {
	uint64_t req_id;
	uint8_t status; /* enum sw_dig_status */
	int64_t scan_time;
	uint8_t self[SW_DIGEST_LEN];
	uint64_t files, bytes; /* regular files under the directory, recursively */
	char text[SW_TEXT_MAX + 1];
};

/* One entry of the directory: a file ('F') or a subdirectory ('D').  Within
 * a frame entries rise strictly by name_hash.  name is "" unless the
 * request said SW_DIG_NAMES; it is one path component (no '/'), hostile
 * input like every name: escape it to print. */
struct sw_digentry {
	uint8_t name_hash[SW_NAME_HASH_LEN];
	uint8_t kind;   /* 'F' or 'D' */
	uint64_t size;  /* 'F': file size; 'D': bytes under it */
	uint64_t files; /* 'D': files under it; 'F': 0 */
	int64_t birth;  /* 'F': unix seconds; 'D': 0 */
	uint8_t digest[SW_DIGEST_LEN]; /* 'D': the child's digest; 'F': the content
					  hash with SW_DIG_CONTENT, else zeros */
	char name[SW_PATH_WIRE_MAX + 1];
};

/* DIGREQ: -EPROTO when malformed, -EINVAL for a bad store name, a zero
 * req_id, an unknown flag or a dir that is not in the canonical form above
 * (the agent looks dir up in its manifest only, but refuses rather than
 * guesses what "a//b/" or "../x" meant). */
int proto_decode_digreq(const struct sw_frame *f, struct sw_digreq *out);
/* DIGESTS: the fixed part into *hdr, up to max entries into entries (caller
 * allocates; an entry is about 4.2 KB with its name buffer), *n the count.
 * -EPROTO when malformed, when entries do not rise by name_hash or when
 * they exceed max; -EINVAL (with *n the index, or 0 for the fixed part) for
 * an unknown status, a zero req_id, a kind other than 'F'/'D' or a name
 * holding '/'. */
int proto_decode_digests(const struct sw_frame *f, struct sw_digests *hdr,
			 struct sw_digentry *entries, size_t max, size_t *n);
/* Encoders: -EINVAL for what the decoder would refuse; DIGESTS -EMSGSIZE
 * when the frame would exceed SW_FRAME_MAX (nothing appended).  entries may
 * be NULL when n is 0. */
int proto_encode_digreq(struct buf *out, const struct sw_digreq *r);
int proto_encode_digests(struct buf *out, const struct sw_digests *hdr,
			 const struct sw_digentry *entries, size_t n);
/* Bytes one entry takes on the wire; the fixed part takes SW_DIGESTS_FIXED
 * plus its text. */
size_t proto_digentry_wire_size(const struct sw_digentry *e);
#define SW_DIGENTRY_FIXED (SW_NAME_HASH_LEN + 1 + 8 + 8 + 8 + SW_DIGEST_LEN + 2)
#define SW_DIGESTS_FIXED (8 + 1 + 8 + SW_DIGEST_LEN + 8 + 8 + 2 + 4)
/* Whether dir (NUL-terminated) is a canonical store-relative directory as
 * DIGREQ requires. */
int proto_digdir_valid(const char *dir);

#endif
