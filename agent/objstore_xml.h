/*
 * objstore_xml.h - the listing parser: one page of an S3 ListObjectsV2,
 * S3 ListObjectVersions or Azure List Blobs answer (or an error document)
 * into object records.
 *
 * The answer comes from a server we do not control, over a network, and
 * object names are hostile input (newlines, invalid UTF-8 once decoded,
 * kilobyte-long keys), so it is parsed by libxml2's SAX2 push parser, fed
 * as the body arrives, never by hand: no DOCTYPE is accepted (no entity can
 * expand), no network access, every text capped at OBJSTORE_TEXT_MAX bytes,
 * nesting at 32 levels and one page at OBJSTORE_PAGE_RECORDS records.
 *
 * Records are held until the page ends, because S3 says whether its keys
 * are URL-encoded (EncodingType, requested with encoding-type=url so that
 * any key survives XML) in an element that may come after them; then every
 * record goes, decoded, through the one callback.  That callback is where
 * everything downstream consumes a listing: the totals today, an object
 * manifest (key, size, ETag, last-modified) tomorrow.
 */
#ifndef SHRINKWATCH_AGENT_OBJSTORE_XML_H
#define SHRINKWATCH_AGENT_OBJSTORE_XML_H

#include <stddef.h>
#include <stdint.h>

#define OBJSTORE_TEXT_MAX 4096     /* longest text of one element, bytes */
#define OBJSTORE_PAGE_RECORDS 10000 /* most records in one page */
#define OBJSTORE_TOKEN_MAX 2048     /* longest continuation token or marker */

enum objstore_kind {
	OBJSTORE_CURRENT = 0,    /* the object as it is (unversioned, or latest version) */
	OBJSTORE_NONCURRENT = 1, /* an older version, kept by versioning */
	OBJSTORE_DELETE_MARKER = 2, /* S3 delete marker, or an Azure soft-deleted blob */
};

/* One object (or version) of a listing, valid during the callback only. */
struct objstore_record {
	const char *key; /* key_len bytes, decoded; never NUL-terminated, may hold any byte */
	size_t key_len;
	uint64_t size;
	const char *etag; /* NUL-terminated as the server sent it (quotes kept); "" if none */
	int64_t last_modified; /* unix seconds */
	enum objstore_kind kind;
};

/* Called once per record, in listing order.  A non-zero return stops the
 * page and objstore_xml_finish() returns it. */
typedef int (*objstore_record_fn)(void *ctx, const struct objstore_record *r);

/* What a page says besides its records. */
struct objstore_page {
	int truncated;  /* more pages follow (S3 IsTruncated, Azure a non-empty NextMarker) */
	char next[OBJSTORE_TOKEN_MAX + 1];         /* NextContinuationToken, NextMarker or NextKeyMarker */
	char next_version[OBJSTORE_TOKEN_MAX + 1]; /* NextVersionIdMarker (S3 versions) */
	int is_error;   /* the document was <Error> */
	char error_code[128];     /* its Code, printable */
	char error_message[256];  /* its Message, printable */
	uint64_t records;         /* records delivered */
};

struct objstore_xml;

/*
 * A parser for one page; records go to fn(ctx).  NULL when out of memory.
 * Caller frees with objstore_xml_free().
 */
struct objstore_xml *objstore_xml_new(objstore_record_fn fn, void *ctx);

/*
 * Feeds the next len bytes of the body.  0, or -EBADMSG once the document
 * is malformed or breaks a limit (the reason comes from finish), -ENOMEM.
 * Feeding after an error is harmless and does nothing.
 */
int objstore_xml_feed(struct objstore_xml *x, const char *data, size_t len);

/*
 * Ends the document, fills page and delivers the records.  0; -EBADMSG with
 * a printable reason in err for a malformed, truncated or over-limit page
 * (then no record was delivered); or the callback's non-zero return.
 */
int objstore_xml_finish(struct objstore_xml *x, struct objstore_page *page, char *err,
			size_t errlen);

void objstore_xml_free(struct objstore_xml *x);

/*
 * Decodes %XX and '+' (the encoding S3's encoding-type=url uses) from in
 * into out, at most outlen bytes.  Returns the decoded length, or -1 for a
 * malformed escape or when out is too small.  Exposed for the tests.
 */
long objstore_url_decode(const char *in, size_t len, char *out, size_t outlen);

/* Parses S3's "2024-01-02T03:04:05.000Z" or Azure's "Tue, 02 Jan 2024
 * 03:04:05 GMT" into unix seconds.  0 or -1. */
int objstore_parse_time(const char *s, int64_t *out);

#endif
