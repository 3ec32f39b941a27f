/* objstore_xml.c - listing pages through libxml2's SAX2 push parser (see objstore_xml.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <libxml/parser.h>

#include "objstore_xml.h"
#include "shrinkwatch/buf.h"
#include "shrinkwatch/names.h"
#include "shrinkwatch/banned.h"

#define MAX_DEPTH 32
#define ARENA_MAX (16u << 20) /* keys and ETags of one page */

enum root { ROOT_NONE, ROOT_S3, ROOT_AZURE, ROOT_ERROR };

/* Elements whose text we keep. */
enum field {
	F_NONE,
	F_KEY, F_SIZE, F_ETAG, F_LM, F_ISLATEST, F_ISCURRENT, F_DELETED, F_VERSIONID,
	F_TRUNC, F_NEXT, F_NEXTKEY, F_NEXTVER, F_ENCTYPE, F_CODE, F_MESSAGE,
};

struct rec {
	size_t key_off, key_len, etag_off, etag_len;
	uint64_t size;
	int64_t lm;
	unsigned char kind, has_key, has_size, has_lm, key_encoded;
	/* Azure: IsCurrentVersion seen, and its value; VersionId seen */
	unsigned char has_current, current, has_version, deleted, latest_false;
};

struct objstore_xml {
	xmlParserCtxtPtr ctxt;
	objstore_record_fn fn;
	void *ctx;
	int failed;
	char why[256];
	enum root root;
	int depth;
	unsigned char props[MAX_DEPTH + 1]; /* 1: this level is an Azure <Properties> */
	int rec_depth; /* depth of the open record element, 0 = none */
	enum field field;
	int field_encoded; /* Azure <Name Encoded="true"> */
	char text[OBJSTORE_TEXT_MAX + 1];
	size_t text_len;
	struct rec cur;
	struct rec *recs;
	size_t nrecs, recs_alloc;
	struct buf arena;
	int s3_url_encoded;
	int next_is_key; /* page.next is a NextKeyMarker (URL-encoded like keys) */
	uint64_t fed;    /* bytes fed */
	int saw_trunc_true;
	struct objstore_page page;
};

static void fail(struct objstore_xml *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct objstore_xml *x, const char *fmt, ...)
{
	va_list ap;

	if (x->failed)
		return;
	x->failed = 1;
	va_start(ap, fmt);
	vsnprintf(x->why, sizeof x->why, fmt, ap);
	va_end(ap);
	if (x->ctxt)
		xmlStopParser(x->ctxt);
}

static int is(const xmlChar *name, const char *s)
{
	return !strcmp((const char *)name, s);
}

static enum field record_field(struct objstore_xml *x, const xmlChar *n)
{
	int rel = x->depth - x->rec_depth; /* 1 = a child of the record */

	if (x->root == ROOT_AZURE) {
		if (rel == 1) {
			if (is(n, "Name"))
				return F_KEY;
			if (is(n, "VersionId"))
				return F_VERSIONID;
			if (is(n, "IsCurrentVersion"))
				return F_ISCURRENT;
			if (is(n, "Deleted"))
				return F_DELETED;
		}
		if (rel == 2 && x->props[x->depth - 1]) {
			if (is(n, "Content-Length"))
				return F_SIZE;
			if (is(n, "Etag"))
				return F_ETAG;
			if (is(n, "Last-Modified"))
				return F_LM;
		}
		return F_NONE;
	}
	if (rel != 1)
		return F_NONE;
	if (is(n, "Key"))
		return F_KEY;
	if (is(n, "Size"))
		return F_SIZE;
	if (is(n, "ETag"))
		return F_ETAG;
	if (is(n, "LastModified"))
		return F_LM;
	if (is(n, "IsLatest"))
		return F_ISLATEST;
	return F_NONE;
}

static enum field top_field(struct objstore_xml *x, const xmlChar *n)
{
	if (x->root == ROOT_ERROR)
		return is(n, "Code") ? F_CODE : is(n, "Message") ? F_MESSAGE : F_NONE;
	if (is(n, "IsTruncated"))
		return F_TRUNC;
	if (is(n, "NextContinuationToken") || is(n, "NextMarker"))
		return F_NEXT;
	if (is(n, "NextKeyMarker"))
		return F_NEXTKEY;
	if (is(n, "NextVersionIdMarker"))
		return F_NEXTVER;
	if (is(n, "EncodingType"))
		return F_ENCTYPE;
	return F_NONE;
}

static void on_start(void *u, const xmlChar *local, const xmlChar *prefix, const xmlChar *uri,
		     int nns, const xmlChar **ns, int nattrs, int ndef, const xmlChar **attrs)
{
	struct objstore_xml *x = u;
	(void)prefix, (void)uri, (void)nns, (void)ns, (void)ndef;

	if (x->failed)
		return;
	if (++x->depth > MAX_DEPTH) {
		fail(x, "elements nested deeper than %d", MAX_DEPTH);
		return;
	}
	x->props[x->depth] = 0;
	if (x->field != F_NONE) {
		fail(x, "an element inside a value");
		return;
	}
	if (x->depth == 1) {
		if (is(local, "ListBucketResult") || is(local, "ListVersionsResult"))
			x->root = ROOT_S3;
		else if (is(local, "EnumerationResults"))
			x->root = ROOT_AZURE;
		else if (is(local, "Error"))
			x->root = ROOT_ERROR;
		else {
			char n[64];

			name_printable((const char *)local, n, sizeof n);
			fail(x, "unexpected document <%s>", n);
		}
		return;
	}
	if (x->rec_depth) {
		if (x->root == ROOT_AZURE && x->depth == x->rec_depth + 1 && is(local, "Properties"))
			x->props[x->depth] = 1;
		x->field = record_field(x, local);
	} else if ((x->root == ROOT_S3 && x->depth == 2 &&
		    (is(local, "Contents") || is(local, "Version") || is(local, "DeleteMarker"))) ||
		   (x->root == ROOT_AZURE && x->depth == 3 && is(local, "Blob"))) {
		if (x->nrecs >= OBJSTORE_PAGE_RECORDS) {
			fail(x, "more than %d records in one page", OBJSTORE_PAGE_RECORDS);
			return;
		}
		memset(&x->cur, 0, sizeof x->cur);
		x->cur.kind = is(local, "DeleteMarker") ? OBJSTORE_DELETE_MARKER : OBJSTORE_CURRENT;
		x->rec_depth = x->depth;
	} else if (x->depth == 2) {
		x->field = top_field(x, local);
	}
	x->field_encoded = 0;
	if (x->field == F_KEY)
		for (int i = 0; i < nattrs; i++) {
			/* attrs: localname, prefix, URI, value, end */
			const xmlChar **a = attrs + 5 * i;

			if (is(a[0], "Encoded") && a[4] - a[3] == 4 && !memcmp(a[3], "true", 4))
				x->field_encoded = 1;
		}
	x->text_len = 0;
}

static void on_chars(void *u, const xmlChar *ch, int len)
{
	struct objstore_xml *x = u;

	if (x->failed || x->field == F_NONE || len <= 0)
		return;
	if ((size_t)len > OBJSTORE_TEXT_MAX - x->text_len) {
		fail(x, "a value longer than %d bytes", OBJSTORE_TEXT_MAX);
		return;
	}
	memcpy(x->text + x->text_len, ch, (size_t)len);
	x->text_len += (size_t)len;
}

static int parse_u64_text(const char *s, uint64_t *v)
{
	uint64_t n = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || n > (UINT64_MAX - 9) / 10)
			return -1;
		n = n * 10 + (uint64_t)(*s - '0');
	}
	*v = n;
	return 0;
}

static int arena_put(struct objstore_xml *x, const char *p, size_t n, size_t *off)
{
	*off = x->arena.len;
	if (buf_append(&x->arena, p, n)) {
		fail(x, "a page's names take more than %u bytes", ARENA_MAX);
		return -1;
	}
	return 0;
}

static void copy_token(struct objstore_xml *x, char *dst, const char *what)
{
	if (x->text_len > OBJSTORE_TOKEN_MAX) {
		fail(x, "%s longer than %d bytes", what, OBJSTORE_TOKEN_MAX);
		return;
	}
	memcpy(dst, x->text, x->text_len + 1);
}

static void end_field(struct objstore_xml *x)
{
	struct rec *r = &x->cur;

	x->text[x->text_len] = 0;
	switch (x->field) {
	case F_KEY:
		if (arena_put(x, x->text, x->text_len, &r->key_off))
			return;
		r->key_len = x->text_len;
		r->has_key = 1;
		r->key_encoded = (unsigned char)x->field_encoded;
		break;
	case F_SIZE:
		if (parse_u64_text(x->text, &r->size))
			fail(x, "an object size that is not a number");
		r->has_size = 1;
		break;
	case F_ETAG:
		if (arena_put(x, x->text, x->text_len + 1, &r->etag_off))
			return;
		r->etag_len = x->text_len;
		break;
	case F_LM:
		if (objstore_parse_time(x->text, &r->lm))
			fail(x, "a last-modified time that is not a date");
		r->has_lm = 1;
		break;
	case F_ISLATEST:
		r->latest_false = !strcmp(x->text, "false");
		break;
	case F_ISCURRENT:
		r->has_current = 1;
		r->current = !strcmp(x->text, "true");
		break;
	case F_DELETED:
		r->deleted = !strcmp(x->text, "true");
		break;
	case F_VERSIONID:
		r->has_version = 1;
		break;
	case F_TRUNC:
		x->saw_trunc_true = !strcmp(x->text, "true");
		break;
	case F_NEXT:
		copy_token(x, x->page.next, "a continuation token");
		break;
	case F_NEXTKEY:
		copy_token(x, x->page.next, "a key marker");
		x->next_is_key = 1;
		break;
	case F_NEXTVER:
		copy_token(x, x->page.next_version, "a version marker");
		break;
	case F_ENCTYPE:
		x->s3_url_encoded = !strcmp(x->text, "url");
		break;
	case F_CODE:
		name_printable(x->text, x->page.error_code, sizeof x->page.error_code);
		break;
	case F_MESSAGE:
		name_printable(x->text, x->page.error_message, sizeof x->page.error_message);
		break;
	case F_NONE:
		break;
	}
}

static void end_record(struct objstore_xml *x)
{
	struct rec *r = &x->cur;

	if (!r->has_key) {
		fail(x, "an object without a name");
		return;
	}
	if (!r->has_lm) {
		fail(x, "an object without a last-modified time");
		return;
	}
	if (r->kind != OBJSTORE_DELETE_MARKER && !r->has_size) {
		fail(x, "an object without a size");
		return;
	}
	if (x->root == ROOT_AZURE) {
		if (r->deleted)
			r->kind = OBJSTORE_DELETE_MARKER;
		else if (r->has_version && !(r->has_current && r->current))
			r->kind = OBJSTORE_NONCURRENT;
	} else if (r->latest_false) {
		r->kind = r->kind == OBJSTORE_DELETE_MARKER ? OBJSTORE_DELETE_MARKER
							    : OBJSTORE_NONCURRENT;
	}
	if (x->nrecs == x->recs_alloc) {
		size_t n = x->recs_alloc ? x->recs_alloc * 2 : 256;
		struct rec *p = realloc(x->recs, n * sizeof *p);

		if (!p) {
			fail(x, "out of memory");
			return;
		}
		x->recs = p;
		x->recs_alloc = n;
	}
	x->recs[x->nrecs++] = *r;
}

static void on_end(void *u, const xmlChar *local, const xmlChar *prefix, const xmlChar *uri)
{
	struct objstore_xml *x = u;
	(void)local, (void)prefix, (void)uri;

	if (x->failed)
		return;
	if (x->field != F_NONE) {
		end_field(x);
		x->field = F_NONE;
	} else if (x->rec_depth && x->depth == x->rec_depth) {
		end_record(x);
		x->rec_depth = 0;
	}
	x->depth--;
}

static void on_dtd(void *u, const xmlChar *name, const xmlChar *ext, const xmlChar *sys)
{
	(void)name, (void)ext, (void)sys;
	fail(u, "a DOCTYPE (refused: a listing has none)");
}

static void on_error(void *u, const xmlError *e)
{
	struct objstore_xml *x = u;
	char msg[160];

	name_printable(e && e->message ? e->message : "?", msg, sizeof msg);
	/* libxml2's messages end in a newline, which name_printable escaped */
	fail(x, "malformed XML at line %d: %s", e ? e->line : 0, msg);
}

struct objstore_xml *objstore_xml_new(objstore_record_fn fn, void *ctx)
{
	xmlSAXHandler sax;
	struct objstore_xml *x = calloc(1, sizeof *x);

	if (!x)
		return NULL;
	memset(&sax, 0, sizeof sax);
	sax.initialized = XML_SAX2_MAGIC;
	sax.startElementNs = on_start;
	sax.endElementNs = on_end;
	sax.characters = on_chars;
	sax.cdataBlock = on_chars;
	sax.internalSubset = on_dtd;
	sax.serror = (xmlStructuredErrorFunc)on_error;
	x->fn = fn;
	x->ctx = ctx;
	buf_init(&x->arena, ARENA_MAX);
	x->ctxt = xmlCreatePushParserCtxt(&sax, x, NULL, 0, NULL);
	if (!x->ctxt) {
		free(x);
		return NULL;
	}
	xmlCtxtUseOptions(x->ctxt, XML_PARSE_NONET | XML_PARSE_NOWARNING | XML_PARSE_NOERROR);
	return x;
}

int objstore_xml_feed(struct objstore_xml *x, const char *data, size_t len)
{
	x->fed += len;
	while (len && !x->failed) {
		int n = len > (1u << 20) ? 1 << 20 : (int)len;

		if (xmlParseChunk(x->ctxt, data, n, 0) != XML_ERR_OK)
			fail(x, "malformed XML");
		data += n;
		len -= (size_t)n;
	}
	return x->failed ? -EBADMSG : 0;
}

int objstore_xml_finish(struct objstore_xml *x, struct objstore_page *page, char *err,
			size_t errlen)
{
	char *dec = NULL;
	int rc = 0;

	if (!x->fed)
		fail(x, "an empty document");
	if (!x->failed && xmlParseChunk(x->ctxt, NULL, 0, 1) != XML_ERR_OK)
		fail(x, "malformed XML");
	if (!x->failed && x->root == ROOT_NONE)
		fail(x, "an empty document");
	if (x->failed) {
		snprintf(err, errlen, "listing: %s", x->why);
		memset(page, 0, sizeof *page);
		return -EBADMSG;
	}
	x->page.is_error = x->root == ROOT_ERROR;
	x->page.truncated = x->saw_trunc_true || (x->root == ROOT_AZURE && x->page.next[0]);
	if (x->s3_url_encoded && x->next_is_key && x->page.next[0] && x->root == ROOT_S3 &&
	    strlen(x->page.next) < sizeof x->text) {
		/* NextKeyMarker (versions) comes encoded; a V2 continuation
		 * token is opaque and is passed back as it came */
		long n = objstore_url_decode(x->page.next, strlen(x->page.next), x->text,
					     sizeof x->text - 1);

		if (n >= 0 && memchr(x->text, 0, (size_t)n) == NULL) {
			x->text[n] = 0;
			memcpy(x->page.next, x->text, (size_t)n + 1);
		}
	}
	dec = malloc(OBJSTORE_TEXT_MAX);
	if (!dec) {
		snprintf(err, errlen, "listing: out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < x->nrecs; i++) {
		const struct rec *r = &x->recs[i];
		struct objstore_record o = {
			.key = (const char *)x->arena.data + r->key_off,
			.key_len = r->key_len,
			.size = r->size,
			.etag = r->etag_len ? (const char *)x->arena.data + r->etag_off : "",
			.last_modified = r->lm,
			.kind = (enum objstore_kind)r->kind,
		};

		if (r->key_encoded || (x->root == ROOT_S3 && x->s3_url_encoded)) {
			long n = objstore_url_decode(o.key, o.key_len, dec, OBJSTORE_TEXT_MAX);

			if (n < 0) {
				snprintf(err, errlen, "listing: a malformed URL-encoded object name");
				rc = -EBADMSG;
				goto out;
			}
			o.key = dec;
			o.key_len = (size_t)n;
		}
		rc = x->fn(x->ctx, &o);
		if (rc)
			goto out;
		x->page.records++;
	}
out:
	free(dec);
	*page = x->page;
	return rc;
}

void objstore_xml_free(struct objstore_xml *x)
{
	if (!x)
		return;
	if (x->ctxt) {
		if (x->ctxt->myDoc)
			xmlFreeDoc(x->ctxt->myDoc);
		xmlFreeParserCtxt(x->ctxt);
	}
	buf_release(&x->arena);
	free(x->recs);
	free(x);
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

long objstore_url_decode(const char *in, size_t len, char *out, size_t outlen)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		int c = (unsigned char)in[i];

		if (c == '%') {
			int hi, lo;

			if (len - i < 3)
				return -1;
			hi = hexval((unsigned char)in[i + 1]);
			lo = hexval((unsigned char)in[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			c = hi * 16 + lo;
			i += 2;
		} else if (c == '+') {
			c = ' ';
		}
		if (o >= outlen)
			return -1;
		out[o++] = (char)c;
	}
	return (long)o;
}

static int digits(const char *s, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}

int objstore_parse_time(const char *s, int64_t *out)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	struct tm tm;
	size_t len = strlen(s);
	int y, mo, d, h, mi, se;

	memset(&tm, 0, sizeof tm);
	if (len >= 19 && s[4] == '-' && s[7] == '-' && s[10] == 'T' && s[13] == ':' &&
	    s[16] == ':') {
		/* 2024-01-02T03:04:05[.fff]Z */
		if (digits(s, 4, &y) || digits(s + 5, 2, &mo) || digits(s + 8, 2, &d) ||
		    digits(s + 11, 2, &h) || digits(s + 14, 2, &mi) || digits(s + 17, 2, &se))
			return -1;
	} else if (len == 29 && s[3] == ',' && s[4] == ' ' && s[7] == ' ' && s[11] == ' ' &&
		   s[16] == ' ' && s[19] == ':' && s[22] == ':' && !strcmp(s + 25, " GMT")) {
		/* Tue, 02 Jan 2024 03:04:05 GMT */
		const char *m = NULL;

		for (int i = 0; i < 12; i++)
			if (!memcmp(s + 8, months + 3 * i, 3))
				m = months + 3 * i;
		if (!m || digits(s + 5, 2, &d) || digits(s + 12, 4, &y) || digits(s + 17, 2, &h) ||
		    digits(s + 20, 2, &mi) || digits(s + 23, 2, &se))
			return -1;
		mo = (int)((m - months) / 3) + 1;
	} else {
		return -1;
	}
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60 || y < 1970)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	*out = (int64_t)timegm(&tm);
	return 0;
}
