/* test_objstore.c - object stores: the listing parser (S3, S3 versions, Azure,
 * errors, hostile and malformed pages), the sample rules, the SharedKey
 * signature, and the config keys with their credentials file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "agent/config.h"
#include "agent/objstore.h"
#include "agent/objstore_cred.h"
#include "agent/objstore_xml.h"
#include "testutil.h"

#define MAXREC 64

struct seen {
	size_t n;
	struct {
		char key[OBJSTORE_TEXT_MAX + 1];
		size_t key_len;
		uint64_t size;
		char etag[80];
		int64_t lm;
		enum objstore_kind kind;
	} r[MAXREC];
};

static int collect(void *ctx, const struct objstore_record *r)
{
	struct seen *s = ctx;

	if (s->n >= MAXREC)
		return -1;
	memcpy(s->r[s->n].key, r->key, r->key_len);
	s->r[s->n].key_len = r->key_len;
	s->r[s->n].size = r->size;
	snprintf(s->r[s->n].etag, sizeof s->r[s->n].etag, "%s", r->etag);
	s->r[s->n].lm = r->last_modified;
	s->r[s->n].kind = r->kind;
	s->n++;
	return 0;
}

/* Parses text fed in chunks of chunk bytes (0 = whole). */
static int parse(const char *text, size_t len, size_t chunk, struct seen *s,
		 struct objstore_page *page, char *err, size_t errlen)
{
	struct objstore_xml *x = objstore_xml_new(collect, s);
	int rc;

	assert_non_null(x);
	memset(s, 0, sizeof *s);
	err[0] = 0;
	for (size_t off = 0; off < len;) {
		size_t n = chunk && len - off > chunk ? chunk : len - off;

		objstore_xml_feed(x, text + off, n);
		off += n;
	}
	rc = objstore_xml_finish(x, page, err, errlen);
	objstore_xml_free(x);
	return rc;
}

static const char s3_page[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
	"<Name>b</Name><Prefix></Prefix><KeyCount>2</KeyCount><MaxKeys>1000</MaxKeys>"
	"<IsTruncated>true</IsTruncated>"
	"<Contents><Key>a/one</Key><LastModified>2024-01-02T03:04:05.000Z</LastModified>"
	"<ETag>&quot;abc&quot;</ETag><Size>10</Size><StorageClass>STANDARD</StorageClass></Contents>"
	"<Contents><Key>a/line%0Abreak+%FF%FE</Key><LastModified>2024-01-02T03:04:06Z</LastModified>"
	"<ETag>\"d-2\"</ETag><Size>20</Size><Owner><ID>x</ID><DisplayName>y</DisplayName></Owner></Contents>"
	"<NextContinuationToken>tok/+=</NextContinuationToken>"
	"<EncodingType>url</EncodingType>"
	"</ListBucketResult>";

static void test_s3_page(void **state)
{
	struct seen s;
	struct objstore_page page;
	char err[300];
	(void)state;

	/* whole, and byte by byte: the same records */
	for (size_t chunk = 0; chunk <= 1; chunk++) {
		assert_int_equal(parse(s3_page, strlen(s3_page), chunk, &s, &page, err, sizeof err), 0);
		assert_int_equal(s.n, 2);
		assert_int_equal(page.records, 2);
		assert_true(page.truncated);
		assert_string_equal(page.next, "tok/+=");
		assert_int_equal(s.r[0].key_len, 5);
		assert_memory_equal(s.r[0].key, "a/one", 5);
		assert_int_equal(s.r[0].size, 10);
		assert_string_equal(s.r[0].etag, "\"abc\"");
		assert_int_equal(s.r[0].lm, 1704164645);
		/* EncodingType came after the records: they are still decoded,
		 * newline and invalid UTF-8 included */
		assert_int_equal(s.r[1].key_len, 15);
		assert_memory_equal(s.r[1].key, "a/line\nbreak \xff\xfe", 15);
		assert_int_equal(s.r[1].lm, 1704164646);
		assert_int_equal(s.r[1].kind, OBJSTORE_CURRENT);
	}
}

static void test_s3_versions(void **state)
{
	static const char page_xml[] =
		"<ListVersionsResult><IsTruncated>false</IsTruncated>"
		"<Version><Key>k</Key><VersionId>2</VersionId><IsLatest>true</IsLatest>"
		"<LastModified>2024-01-02T03:04:05Z</LastModified><Size>5</Size></Version>"
		"<Version><Key>k</Key><VersionId>1</VersionId><IsLatest>false</IsLatest>"
		"<LastModified>2024-01-01T03:04:05Z</LastModified><Size>7</Size></Version>"
		"<DeleteMarker><Key>gone</Key><VersionId>3</VersionId><IsLatest>true</IsLatest>"
		"<LastModified>2024-01-02T03:04:05Z</LastModified></DeleteMarker>"
		"</ListVersionsResult>";
	struct seen s;
	struct objstore_page page;
	char err[300];
	(void)state;

	assert_int_equal(parse(page_xml, strlen(page_xml), 0, &s, &page, err, sizeof err), 0);
	assert_int_equal(s.n, 3);
	assert_false(page.truncated);
	assert_int_equal(s.r[0].kind, OBJSTORE_CURRENT);
	assert_int_equal(s.r[1].kind, OBJSTORE_NONCURRENT);
	assert_int_equal(s.r[1].size, 7);
	assert_int_equal(s.r[2].kind, OBJSTORE_DELETE_MARKER);
}

static void test_azure_page(void **state)
{
	static const char page_xml[] =
		"\xef\xbb\xbf<?xml version=\"1.0\" encoding=\"utf-8\"?>"
		"<EnumerationResults ServiceEndpoint=\"http://x/\" ContainerName=\"c\">"
		"<MaxResults>5000</MaxResults><Blobs>"
		"<Blob><Name>v/one.mp4</Name><Properties>"
		"<Last-Modified>Tue, 02 Jan 2024 03:04:05 GMT</Last-Modified>"
		"<Etag>0x8D</Etag><Content-Length>123</Content-Length></Properties></Blob>"
		"<Blob><Name Encoded=\"true\">v%2Fbad%0D%0Aname</Name><Properties>"
		"<Last-Modified>Tue, 02 Jan 2024 03:04:06 GMT</Last-Modified>"
		"<Content-Length>1</Content-Length></Properties><Metadata><Name>trap</Name></Metadata></Blob>"
		"<Blob><Name>old</Name><VersionId>2024</VersionId><Properties>"
		"<Last-Modified>Tue, 02 Jan 2024 03:04:06 GMT</Last-Modified>"
		"<Content-Length>9</Content-Length></Properties></Blob>"
		"<Blob><Name>del</Name><Deleted>true</Deleted><Properties>"
		"<Last-Modified>Tue, 02 Jan 2024 03:04:06 GMT</Last-Modified>"
		"<Content-Length>9</Content-Length></Properties></Blob>"
		"</Blobs><NextMarker>2!96!MDAw</NextMarker></EnumerationResults>";
	struct seen s;
	struct objstore_page page;
	char err[300];
	(void)state;

	assert_int_equal(parse(page_xml, strlen(page_xml), 7, &s, &page, err, sizeof err), 0);
	assert_int_equal(s.n, 4);
	assert_true(page.truncated);
	assert_string_equal(page.next, "2!96!MDAw");
	assert_int_equal(s.r[0].size, 123);
	assert_int_equal(s.r[0].lm, 1704164645);
	assert_string_equal(s.r[0].etag, "0x8D");
	assert_int_equal(s.r[1].key_len, 11);
	assert_memory_equal(s.r[1].key, "v/bad\r\nname", 11);
	assert_int_equal(s.r[2].kind, OBJSTORE_NONCURRENT);
	assert_int_equal(s.r[3].kind, OBJSTORE_DELETE_MARKER);
	/* the last page: no NextMarker, not truncated */
	static const char last[] = "<EnumerationResults><Blobs/><NextMarker/></EnumerationResults>";
	assert_int_equal(parse(last, strlen(last), 0, &s, &page, err, sizeof err), 0);
	assert_false(page.truncated);
}

static void test_error_document(void **state)
{
	static const char doc[] = "<?xml version=\"1.0\"?><Error><Code>SlowDown</Code>"
				  "<Message>Please reduce\nyour rate</Message></Error>";
	struct seen s;
	struct objstore_page page;
	char err[300];
	(void)state;

	assert_int_equal(parse(doc, strlen(doc), 0, &s, &page, err, sizeof err), 0);
	assert_true(page.is_error);
	assert_string_equal(page.error_code, "SlowDown");
	/* printable: the newline is escaped, not passed on to a log line */
	assert_null(strchr(page.error_message, '\n'));
	assert_non_null(strstr(page.error_message, "Please reduce"));
}

static void expect_bad(const char *doc, size_t len, const char *words)
{
	struct seen s;
	struct objstore_page page;
	char err[300];

	assert_int_equal(parse(doc, len, 0, &s, &page, err, sizeof err), -EBADMSG);
	assert_int_equal(s.n, 0); /* nothing of a bad page is counted */
	if (!strstr(err, words))
		fail_msg("expected '%s' in '%s'", words, err);
}

static void test_malformed(void **state)
{
	char big[8000], key[1100];
	(void)state;

	/* truncated in the middle of a record */
	expect_bad(s3_page, 300, "malformed");
	expect_bad(s3_page, strlen(s3_page) - 5, "malformed");
	expect_bad("", 0, "empty");
	expect_bad("<html><body>proxy error</body></html>", 37, "unexpected document <html>");
	expect_bad("<!DOCTYPE x [<!ENTITY a \"aaaa\">]><ListBucketResult>&a;</ListBucketResult>", 73,
		   "DOCTYPE");
	expect_bad("<ListBucketResult><Contents><Key>k</Key><Size>1x</Size>"
		   "<LastModified>2024-01-02T03:04:05Z</LastModified></Contents></ListBucketResult>",
		   134, "size that is not a number");
	expect_bad("<ListBucketResult><Contents><Key>k</Key><Size>1</Size>"
		   "</Contents></ListBucketResult>", 84, "without a last-modified");
	expect_bad("<ListBucketResult><Contents><Size>1</Size><LastModified>2024-01-02T03:04:05Z"
		   "</LastModified></Contents></ListBucketResult>", 119, "without a name");
	expect_bad("<ListBucketResult><Contents><Key>k</Key><Size>1</Size><LastModified>yesterday"
		   "</LastModified></Contents></ListBucketResult>", 119, "not a date");
	/* a key over the cap is refused, not cut */
	memset(key, 'k', sizeof key);
	snprintf(big, sizeof big, "<ListBucketResult><Contents><Key>%.*s%.*s%.*s%.*s</Key>"
		 "</Contents></ListBucketResult>", 1100, key, 1100, key, 1100, key, 1100, key);
	expect_bad(big, strlen(big), "longer than 4096");
	/* a bad %-escape in an encoded key */
	static const char esc[] = "<ListBucketResult><EncodingType>url</EncodingType><Contents>"
				  "<Key>bad%G1</Key><Size>1</Size><LastModified>2024-01-02T03:04:05Z"
				  "</LastModified></Contents></ListBucketResult>";
	expect_bad(esc, strlen(esc), "URL-encoded");
}

static void test_kilobyte_key(void **state)
{
	char doc[2000], key[1025];
	struct seen s;
	struct objstore_page page;
	char err[300];
	(void)state;

	memset(key, 'x', 1024);
	key[1024] = 0;
	snprintf(doc, sizeof doc, "<ListBucketResult><Contents><Key>%s</Key><Size>3</Size>"
		 "<LastModified>2024-01-02T03:04:05Z</LastModified></Contents></ListBucketResult>",
		 key);
	assert_int_equal(parse(doc, strlen(doc), 100, &s, &page, err, sizeof err), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.r[0].key_len, 1024);
}

static void test_decode_and_time(void **state)
{
	char out[16];
	int64_t t;
	(void)state;

	assert_int_equal(objstore_url_decode("a%20b+c", 7, out, sizeof out), 5);
	assert_memory_equal(out, "a b c", 5);
	assert_int_equal(objstore_url_decode("%2", 2, out, sizeof out), -1);
	assert_int_equal(objstore_url_decode("%", 1, out, sizeof out), -1);
	assert_int_equal(objstore_url_decode("abc", 3, out, 2), -1);
	assert_int_equal(objstore_parse_time("2024-01-02T03:04:05.123Z", &t), 0);
	assert_int_equal(t, 1704164645);
	assert_int_equal(objstore_parse_time("Tue, 02 Jan 2024 03:04:05 GMT", &t), 0);
	assert_int_equal(t, 1704164645);
	assert_int_equal(objstore_parse_time("Tue, 02 Foo 2024 03:04:05 GMT", &t), -1);
	assert_int_equal(objstore_parse_time("2024-13-02T03:04:05Z", &t), -1);
}

static void test_azure_signature(void **state)
{
	char sig[64];
	(void)state;

	/* computed independently (Python hmac) for Azurite's published key */
	assert_int_equal(objstore__azure_sign(
				 "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/"
				 "K1SZFPTOtr/KBHBeksoGMGw==",
				 "GET\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:Tue, 02 Jan 2024 03:04:05 GMT\n"
				 "x-ms-version:2021-08-06\n/devstoreaccount1/devstoreaccount1/c\n"
				 "comp:list\nrestype:container",
				 sig, sizeof sig),
			 0);
	assert_string_equal(sig, "fG8RE+CNFoFY0RtbIQUwI7IO5AzYY9Dyj/Su376agfA=");
	assert_int_equal(objstore__azure_sign("not base64!", "x", sig, sizeof sig), -1);
}

static void test_fill_sample(void **state)
{
	struct objstore_result r = { .start = 100, .has_added = 1, .objects = 5, .bytes = 50,
				     .added_objects = 2, .added_bytes = 20, .ms = 7 };
	struct sw_sample s;
	(void)state;

	memset(&s, 0, sizeof s);
	objstore_fill_sample(&r, 1, &s);
	assert_int_equal(s.objects, 5);
	assert_int_equal(s.added_objects, 2);
	assert_true(s.flags & SW_SAMPLE_HAS_ADDED);
	/* the same listing again (a round between listings): added is 0 */
	memset(&s, 0, sizeof s);
	objstore_fill_sample(&r, 0, &s);
	assert_int_equal(s.objects, 5);
	assert_int_equal(s.added_objects, 0);
	assert_true(s.flags & SW_SAMPLE_HAS_ADDED);
	/* a partial listing carries no totals */
	r.status = SW_SCAN_PARTIAL;
	snprintf(r.first_error, sizeof r.first_error, "HTTP 503 SlowDown");
	r.error_count = 1;
	memset(&s, 0, sizeof s);
	objstore_fill_sample(&r, 1, &s);
	assert_int_equal(s.status, SW_SCAN_PARTIAL);
	assert_int_equal(s.objects, 0);
	assert_string_equal(s.first_error, "HTTP 503 SlowDown");
}

/* ---- config and credentials ---- */

static int load(const char *text, struct agent_config *cfg, char *err, size_t errlen)
{
	char path[256];

	tu_write(tu_dir, "agent.conf", text, path, sizeof path);
	err[0] = '\0';
	return agent_config_load(path, cfg, err, errlen);
}

static void cred(const char *name, const char *text, mode_t mode)
{
	char path[256];

	tu_write(tu_dir, name, text, path, sizeof path);
	assert_int_equal(chmod(path, mode), 0);
}

#define HEAD "[agent]\nname=a\n[collector]\naddress=127.0.0.1:9\n"

static void test_config_s3(void **state)
{
	struct agent_config cfg;
	char err[1024], text[2048];
	(void)state;

	cred("s3.cred", "# tools' file\n[default]\naws_access_key_id = AKIDEFAULT\n"
			"aws_secret_access_key = SECRETDEFAULT\n[profile grid]\nregion = x\n"
			"aws_access_key_id=AKGRID\naws_secret_access_key=SECRETGRID\n", 0600);
	snprintf(text, sizeof text, HEAD "[store footage]\ntype = s3\n"
		 "endpoint = https://grid.example.org:8082/\nbucket = bwv-footage\nprefix = 2024/\n"
		 "credentials = %s/s3.cred\nprofile = grid\nlist_interval = 1h\n"
		 "requests_per_second = 50\nversions = yes\n[store disk]\npath = /srv/x\n", tu_dir);
	assert_int_equal(load(text, &cfg, err, sizeof err), 0);
	assert_int_equal(cfg.nstores, 2);
	assert_int_equal(cfg.stores[0].type, AGENT_STORE_S3);
	assert_string_equal(cfg.stores[0].os.endpoint, "https://grid.example.org:8082");
	assert_string_equal(cfg.stores[0].os.bucket, "bwv-footage");
	assert_string_equal(cfg.stores[0].os.prefix, "2024/");
	assert_string_equal(cfg.stores[0].os.region, "us-east-1");
	assert_int_equal(cfg.stores[0].os.list_interval, 3600);
	assert_int_equal(cfg.stores[0].os.requests_per_second, 50);
	assert_int_equal(cfg.stores[0].os.versions, 1);
	assert_int_equal(cfg.stores[0].deletion_watch, AGENT_DELWATCH_NO);
	assert_int_equal(cfg.stores[1].type, AGENT_STORE_DIR);
	agent_config_release(&cfg);

	/* defaults; http on loopback is fine */
	snprintf(text, sizeof text, HEAD "[agent]\n[store f]\ntype=s3\nendpoint=http://127.0.0.1:9000\n"
		 "bucket=bkt\ncredentials=%s/s3.cred\n", tu_dir);
	assert_int_equal(load(text, &cfg, err, sizeof err), 0);
	assert_int_equal(cfg.stores[0].os.list_interval, AGENT_DEFAULT_LIST_INTERVAL);
	assert_int_equal(cfg.stores[0].os.requests_per_second, AGENT_DEFAULT_LIST_RPS);
	agent_config_release(&cfg);
}

static void expect_error(const char *body, const char *words)
{
	struct agent_config cfg;
	char err[1024], text[2048];

	snprintf(text, sizeof text, HEAD "%s", body);
	assert_int_equal(load(text, &cfg, err, sizeof err), -1);
	if (!strstr(err, words))
		fail_msg("expected '%s' in '%s'", words, err);
	/* no secret of any credentials file in any message */
	assert_null(strstr(err, "SECRET"));
	assert_null(strstr(err, "c2VjcmV0"));
}

static void test_config_errors(void **state)
{
	char b[1024];
	(void)state;

	cred("good.cred", "[default]\naws_access_key_id=AK\naws_secret_access_key=SECRETX\n", 0600);
	cred("open.cred", "[default]\naws_access_key_id=AK\naws_secret_access_key=SECRETY\n", 0644);
	cred("noprof.cred", "[other]\naws_access_key_id=AK\naws_secret_access_key=SECRETZ\n", 0600);
	cred("az.cred", "shared_key = c2VjcmV0\n", 0600);
	cred("az2.cred", "shared_key = c2VjcmV0\nsas_token = sv=1&sig=SECRETS\n", 0600);

#define S3 "[store f]\ntype=s3\nbucket=bkt\n"
	snprintf(b, sizeof b, S3 "endpoint=http://grid.example.org\ncredentials=%s/good.cred\n", tu_dir);
	expect_error(b, "http is allowed only on a loopback address");
	snprintf(b, sizeof b, S3 "endpoint=ftp://127.0.0.1\ncredentials=%s/good.cred\n", tu_dir);
	expect_error(b, "not an https:// URL");
	snprintf(b, sizeof b, S3 "endpoint=https://u:p@h\ncredentials=%s/good.cred\n", tu_dir);
	expect_error(b, "must not hold");
	snprintf(b, sizeof b, S3 "endpoint=https://h\ncredentials=%s/open.cred\n", tu_dir);
	expect_error(b, "has mode 0644");
	snprintf(b, sizeof b, S3 "endpoint=https://h\ncredentials=%s/noprof.cred\n", tu_dir);
	expect_error(b, "[store f] credentials file");
	expect_error(b, "no [default] section");
	snprintf(b, sizeof b, S3 "endpoint=https://h\ncredentials=%s/missing.cred\n", tu_dir);
	expect_error(b, "No such file");
	snprintf(b, sizeof b, S3 "endpoint=https://h\n");
	expect_error(b, "[store f] credentials: missing");
	snprintf(b, sizeof b, S3 "credentials=%s/good.cred\n", tu_dir);
	expect_error(b, "[store f] endpoint: missing");
	snprintf(b, sizeof b, S3 "endpoint=https://h\ncredentials=%s/good.cred\npath=/x\n", tu_dir);
	expect_error(b, "path is for directory stores");
	snprintf(b, sizeof b, S3 "endpoint=https://h\ncredentials=%s/good.cred\ndeletion_watch=yes\n",
		 tu_dir);
	expect_error(b, "deletion_watch = yes is for directory stores");
	snprintf(b, sizeof b, S3 "endpoint=https://h\ncredentials=%s/good.cred\nhash_contents=yes\n",
		 tu_dir);
	expect_error(b, "hash_contents = yes is for directory stores");
	snprintf(b, sizeof b, S3 "endpoint=https://h\ncredentials=%s/good.cred\ncontainer=ccc\n", tu_dir);
	expect_error(b, "Azure keys");
	expect_error("[store f]\ntype=gcs\n", "not dir, s3 or azure");
	expect_error("[store f]\nbucket=bkt\npath=/x\n", "object store keys without type");
	expect_error("[store f]\ntype=s3\nbucket=B/x\n", "not a valid name");
	expect_error("[store f]\ntype=azure\ncontainer=c\n", "not 3 to 63 characters long");
	expect_error("[store f]\ntype=s3\nlist_interval=0\n", "between 1s and 7d");
	expect_error("[store f]\ntype=s3\nrequests_per_second=0\n", "from 1 to 10000");
	expect_error("[store f]\ntype=s3\ntype=s3\n", "given twice");
	expect_error("[store f]\nflavour=s3\n", "unknown key");
	/* Azure */
	snprintf(b, sizeof b, "[store a]\ntype=azure\ncontainer=ccc\ncredentials=%s/az.cred\n", tu_dir);
	expect_error(b, "[store a] account: missing");
	snprintf(b, sizeof b, "[store a]\ntype=azure\ncontainer=ccc\naccount=acct\nregion=x\n"
		 "credentials=%s/az.cred\n", tu_dir);
	expect_error(b, "S3 keys");
	snprintf(b, sizeof b, "[store a]\ntype=azure\ncontainer=ccc\naccount=acct\n"
		 "credentials=%s/az2.cred\n", tu_dir);
	expect_error(b, "keep one");
}

static void test_config_azure(void **state)
{
	struct agent_config cfg;
	struct objstore_cred c;
	char err[1024], text[1024], path[256];
	(void)state;

	cred("sas.cred", "sas_token = ?sv=2021&sig=abc%2B\n[ignored]\nshared_key=zzz\n", 0400);
	snprintf(text, sizeof text, HEAD "[store a]\ntype=azure\naccount=evidence\ncontainer=bwv\n"
		 "credentials=%s/sas.cred\n", tu_dir);
	assert_int_equal(load(text, &cfg, err, sizeof err), 0);
	assert_int_equal(cfg.stores[0].type, AGENT_STORE_AZURE);
	assert_string_equal(cfg.stores[0].os.endpoint, "https://evidence.blob.core.windows.net");
	agent_config_release(&cfg);
	snprintf(path, sizeof path, "%s/sas.cred", tu_dir);
	assert_int_equal(objstore_cred_load(path, 1, NULL, &c, err, sizeof err), 0);
	assert_int_equal(c.kind, OBJSTORE_CRED_AZURE_SAS);
	assert_string_equal(c.token, "sv=2021&sig=abc%2B"); /* the leading '?' dropped */
	objstore_cred_wipe(&c);
	assert_int_equal(c.token[0], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_s3_page),
		cmocka_unit_test(test_s3_versions),
		cmocka_unit_test(test_azure_page),
		cmocka_unit_test(test_error_document),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_kilobyte_key),
		cmocka_unit_test(test_decode_and_time),
		cmocka_unit_test(test_azure_signature),
		cmocka_unit_test(test_fill_sample),
		cmocka_unit_test(test_config_s3),
		cmocka_unit_test(test_config_errors),
		cmocka_unit_test(test_config_azure),
	};
	return cmocka_run_group_tests_name("objstore", tests, tu_setup_dir, tu_teardown_dir);
}
