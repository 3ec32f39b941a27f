/* objstore.c - object store listings on the loop: pacing, retries, counting (see objstore.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "objstore.h"
#include "objstore_cred.h"
#include "shrinkwatch/backoff.h"
#include "shrinkwatch/curl_uv.h"
#include "shrinkwatch/log.h"
#include "shrinkwatch/names.h"
#include "shrinkwatch/banned.h"

#define BODY_MAX (64u << 20) /* one page's answer */

struct objstore {
	uv_loop_t *loop;
	struct curl_uv *cu;
	struct agent_store_config sc;
	struct objstore_tuning tune;
	uv_timer_t timer; /* pacing and retries */
	int closing;

	/* the listing in progress */
	int running;
	void (*done)(void *ctx, const struct objstore_result *r);
	void *done_ctx;
	struct objstore_cred cred;
	CURL *easy;
	struct curl_slist *hdrs;
	struct objstore_xml *xml;
	uint64_t body_len;
	int64_t server_date;  /* this response's Date, 0 if none */
	char next[OBJSTORE_TOKEN_MAX + 1], next_version[OBJSTORE_TOKEN_MAX + 1];
	unsigned attempt;     /* retries of the current page */
	uint64_t last_request; /* uv_now() of the last request sent */
	uint64_t t0;
	char spool_dir[OBJSTORE_SPILL_PATH_MAX]; /* "": no listing files */
	FILE *spill;          /* the listing in progress, as a listing file */
	char spill_part[OBJSTORE_SPILL_PATH_MAX];
	int spill_failed;
	int64_t prev_start;   /* unix seconds of the last complete listing's start, 0 = none */
	int prev_known;
	struct objstore_result cur;

	/* what the rounds see */
	int have;
	int fresh;
	struct objstore_result last;
	uint64_t next_due; /* uv_now() when the next listing may start */
};

static void send_page(struct objstore *os);

static int64_t now_unix(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (int64_t)t.tv_sec;
}

uint64_t objstore__hash64(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ull;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return h;
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

/* Appends a current object to the listing file (objstore.h "listing
 * file"); a failure makes the listing's file unusable, not the listing. */
static void spill_record(struct objstore *os, const struct objstore_record *r)
{
	uint8_t head[2], tail[24];

	if (!os->spill || os->spill_failed)
		return;
	if (r->key_len == 0 || r->key_len > OBJSTORE_KEY_MAX || memchr(r->key, 0, r->key_len)) {
		log_warn("objstore: store '%s': a key of %zu bytes the manifest cannot hold; this "
			 "listing carries totals only", os->sc.name, r->key_len);
		os->spill_failed = 1;
		return;
	}
	head[0] = (uint8_t)(r->key_len >> 8);
	head[1] = (uint8_t)r->key_len;
	put64(tail, r->size);
	put64(tail + 8, objstore__hash64(r->etag, strlen(r->etag)));
	put64(tail + 16, (uint64_t)r->last_modified);
	if (fwrite(head, 1, 2, os->spill) != 2 || fwrite(r->key, 1, r->key_len, os->spill) !=
	    r->key_len || fwrite(tail, 1, sizeof tail, os->spill) != sizeof tail) {
		log_warn("objstore: store '%s': cannot write the listing file '%s': %s; this "
			 "listing carries totals only", os->sc.name, os->spill_part,
			 strerror(errno));
		os->spill_failed = 1;
	}
}

/* Opens the listing file of the listing that starts (objstore.h). */
static void spill_open(struct objstore *os)
{
	static uint64_t ids; /* loop thread only: unique among this process's listings */
	int fd;

	os->spill_failed = 0;
	os->spill_part[0] = 0;
	if (!os->spool_dir[0])
		return;
	if (mkdir(os->spool_dir, 0700) < 0 && errno != EEXIST)
		goto fail;
	if (snprintf(os->spill_part, sizeof os->spill_part, "%s/%s.%llu", os->spool_dir,
		     os->sc.name, (unsigned long long)++ids) >= (int)sizeof os->spill_part) {
		errno = ENAMETOOLONG;
		goto fail;
	}
	fd = open(os->spill_part, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		goto fail;
	os->spill = fdopen(fd, "w");
	if (!os->spill) {
		close(fd);
		unlink(os->spill_part);
		goto fail;
	}
	return;
fail:
	log_warn("objstore: store '%s': cannot write a listing file in '%s': %s; this listing "
		 "carries totals only", os->sc.name, os->spool_dir, strerror(errno));
	os->spill_part[0] = 0;
}

/* Closes the listing file: kept (its path in c->listing) for a complete
 * listing, else removed. */
static void spill_close(struct objstore *os, struct objstore_result *c)
{
	int bad;

	c->listing[0] = 0;
	if (!os->spill)
		return;
	bad = fclose(os->spill) != 0 || os->spill_failed;
	os->spill = NULL;
	if (c->status == SW_SCAN_COMPLETE && !bad)
		memcpy(c->listing, os->spill_part, sizeof c->listing);
	else
		unlink(os->spill_part);
}

/* The one place every record of a listing goes through: counted, and a
 * current object written to the listing file for the manifest. */
static int on_record(void *ctx, const struct objstore_record *r)
{
	struct objstore *os = ctx;
	struct objstore_result *c = &os->cur;

	switch (r->kind) {
	case OBJSTORE_CURRENT:
		spill_record(os, r);
		if (r->last_modified < c->start) {
			c->objects++;
			c->bytes += r->size;
			if (c->has_added && r->last_modified >= os->prev_start) {
				c->added_objects++;
				c->added_bytes += r->size;
			}
		}
		break;
	case OBJSTORE_NONCURRENT:
		c->noncurrent_objects++;
		c->noncurrent_bytes += r->size;
		break;
	case OBJSTORE_DELETE_MARKER:
		c->delete_markers++;
		break;
	}
	return 0;
}

static void release_request(struct objstore *os)
{
	if (os->easy) {
		curl_easy_cleanup(os->easy);
		os->easy = NULL;
	}
	curl_slist_free_all(os->hdrs);
	os->hdrs = NULL;
	objstore_xml_free(os->xml);
	os->xml = NULL;
}

static void finish(struct objstore *os, uint8_t status, const char *error)
{
	struct objstore_result *c = &os->cur;
	const char *kind = os->sc.type == AGENT_STORE_AZURE ? "container" : "bucket";

	release_request(os);
	objstore_cred_wipe(&os->cred);
	os->running = 0;
	c->status = status;
	if (error) {
		c->error_count = 1;
		snprintf(c->first_error, sizeof c->first_error, "%s", error);
	}
	c->ms = (uint32_t)(uv_now(os->loop) - os->t0);
	spill_close(os, c);
	if (status == SW_SCAN_COMPLETE) {
		os->prev_start = c->start;
		os->prev_known = 1;
		os->next_due = os->t0 + (uint64_t)os->sc.os.list_interval * 1000;
		log_info("objstore: store '%s': listed %s '%s': %llu objects, %llu bytes, +%llu "
			 "objects, in %llu requests (%llu retries), %u ms", os->sc.name, kind,
			 os->sc.os.bucket, (unsigned long long)c->objects,
			 (unsigned long long)c->bytes, (unsigned long long)c->added_objects,
			 (unsigned long long)c->requests, (unsigned long long)c->retries, c->ms);
		if (c->versioned)
			log_info("objstore: store '%s': %llu noncurrent versions (%llu bytes) and "
				 "%llu delete markers: deletions that can still be undone",
				 os->sc.name, (unsigned long long)c->noncurrent_objects,
				 (unsigned long long)c->noncurrent_bytes,
				 (unsigned long long)c->delete_markers);
	} else {
		/* try again sooner than a full interval, never in a tight loop */
		uint64_t again = (uint64_t)os->sc.os.list_interval * 250;

		os->next_due = os->t0 + (again > 1000 ? again : 1000);
		log_warn("objstore: store '%s': listing of %s '%s' is %s after %llu requests "
			 "(%llu retries): %s", os->sc.name, kind, os->sc.os.bucket,
			 status == SW_SCAN_MISSING ? "MISSING" : "PARTIAL (totals unknown)",
			 (unsigned long long)c->requests, (unsigned long long)c->retries,
			 c->first_error);
	}
	if (os->have && os->fresh && os->last.listing[0])
		unlink(os->last.listing); /* a listing no round took: superseded */
	os->last = *c;
	os->have = 1;
	os->fresh = 1;
	if (os->done)
		os->done(os->done_ctx, &os->last);
}

static void on_timer(uv_timer_t *t)
{
	send_page(t->data);
}

/* A page failed in a way worth another try: wait, then send it again; or
 * give up with a partial listing. */
static void retry_or_fail(struct objstore *os, const char *why, int retryable)
{
	char msg[SW_ERRTEXT_MAX + 1];
	struct backoff_policy p = { os->tune.backoff_min_ms, os->tune.backoff_max_ms, 20, 20 };

	release_request(os);
	if (retryable && os->attempt < os->tune.retries) {
		uint64_t ms = backoff_delay(&p, ++os->attempt, NULL);

		os->cur.retries++;
		log_debug("objstore: store '%s': page %llu: %s; retry %u in %llu ms", os->sc.name,
			  (unsigned long long)os->cur.pages + 1, why, os->attempt,
			  (unsigned long long)ms);
		uv_timer_start(&os->timer, on_timer, ms, 0);
		return;
	}
	if (os->attempt)
		snprintf(msg, sizeof msg, "listing page %llu: %s (after %u tries)",
			 (unsigned long long)os->cur.pages + 1, why, os->attempt + 1);
	else
		snprintf(msg, sizeof msg, "listing page %llu: %s",
			 (unsigned long long)os->cur.pages + 1, why);
	finish(os, SW_SCAN_PARTIAL, msg);
}

static size_t on_body(char *p, size_t size, size_t n, void *u)
{
	struct objstore *os = u;
	size_t len = size * n;

	if (len > BODY_MAX - os->body_len)
		return 0; /* curl reports CURLE_WRITE_ERROR */
	os->body_len += len;
	if (objstore_xml_feed(os->xml, p, len) == -ENOMEM)
		return 0;
	return len; /* a malformed document is reported by finish, after the body */
}

static size_t on_header(char *p, size_t size, size_t n, void *u)
{
	struct objstore *os = u;
	size_t len = size * n;
	char line[128];

	if (len > 5 && len < sizeof line && !strncasecmp(p, "date:", 5)) {
		time_t t;

		memcpy(line, p + 5, len - 5);
		line[len - 5] = 0;
		t = curl_getdate(line, NULL);
		if (t > 0)
			os->server_date = (int64_t)t;
	}
	return len;
}

static int retryable_status(long code, const char *err_code)
{
	return code == 429 || code == 500 || code == 502 || code == 503 || code == 504 ||
	       !strcmp(err_code, "SlowDown") || !strcmp(err_code, "ServerBusy") ||
	       !strcmp(err_code, "InternalError");
}

static int retryable_curl(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_SSL_CONNECT_ERROR:
		return 1;
	default:
		return 0;
	}
}

static void on_done(void *ctx, CURL *easy, CURLcode rc)
{
	struct objstore *os = ctx;
	struct objstore_page page;
	char why[800], perr[300];
	long code = 0;
	int prc;

	(void)easy;
	if (rc != CURLE_OK) {
		snprintf(why, sizeof why, "%s", rc == CURLE_WRITE_ERROR
						 ? "an answer larger than 64 MiB"
						 : curl_easy_strerror(rc));
		retry_or_fail(os, why, rc != CURLE_ABORTED_BY_CALLBACK && retryable_curl(rc));
		return;
	}
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
	if (os->cur.pages == 0 && code == 200)
		os->cur.start = os->server_date ? os->server_date : os->cur.start;
	prc = objstore_xml_finish(os->xml, &page, perr, sizeof perr);
	if (code != 200) {
		const char *c = prc == 0 && page.is_error ? page.error_code : "";
		const char *m = prc == 0 && page.is_error ? page.error_message : "";

		if (code == 404 && (!strcmp(c, "NoSuchBucket") || !strcmp(c, "ContainerNotFound"))) {
			snprintf(why, sizeof why, "%s '%s' does not exist (%s)",
				 os->sc.type == AGENT_STORE_AZURE ? "container" : "bucket",
				 os->sc.os.bucket, c);
			finish(os, SW_SCAN_MISSING, why);
			return;
		}
		snprintf(why, sizeof why, "HTTP %ld%s%s%s%s", code, *c ? " " : "", c, *m ? ": " : "",
			 m);
		if (code == 401 || code == 403) {
			char msg[1000];

			log_err("objstore: store '%s': the server refuses the credentials in '%s'",
				os->sc.name, os->sc.os.credentials);
			snprintf(msg, sizeof msg, "access denied (check the store's credentials "
				 "file): %s", why);
			finish(os, SW_SCAN_PARTIAL, msg);
			return;
		}
		retry_or_fail(os, why, retryable_status(code, c));
		return;
	}
	if (prc) {
		/* a malformed page is not a smaller one: the listing is partial */
		retry_or_fail(os, perr, 0);
		return;
	}
	if (page.is_error) {
		retry_or_fail(os, "an error document with HTTP 200", 0);
		return;
	}
	os->cur.pages++;
	os->attempt = 0;
	release_request(os);
	if (!page.truncated) {
		finish(os, SW_SCAN_COMPLETE, NULL);
		return;
	}
	if (!page.next[0] ||
	    (!strcmp(page.next, os->next) && !strcmp(page.next_version, os->next_version))) {
		finish(os, SW_SCAN_PARTIAL, "the listing says it is truncated but gives no new "
					    "continuation marker");
		return;
	}
	memcpy(os->next, page.next, sizeof os->next);
	memcpy(os->next_version, page.next_version, sizeof os->next_version);
	send_page(os);
}

/* Sends the current page's request, or waits until the rate cap allows it. */
static void send_page(struct objstore *os)
{
	uint64_t gap = 1000 / os->sc.os.requests_per_second, now = uv_now(os->loop);
	char why[SW_ERRTEXT_MAX + 1];
	int r;

	if (os->cur.requests && now < os->last_request + gap) {
		uv_timer_start(&os->timer, on_timer, os->last_request + gap - now, 0);
		return;
	}
	os->easy = curl_easy_init();
	os->xml = objstore_xml_new(on_record, os);
	if (!os->easy || !os->xml) {
		release_request(os);
		finish(os, SW_SCAN_PARTIAL, "out of memory");
		return;
	}
	os->body_len = 0;
	os->server_date = 0;
	if (os->sc.type == AGENT_STORE_AZURE)
		r = objstore__azure_request(&os->sc, &os->cred, os->next[0] ? os->next : NULL,
					    os->easy, &os->hdrs, why, sizeof why);
	else
		r = objstore__s3_request(&os->sc, &os->cred, os->next[0] ? os->next : NULL,
					 os->next_version[0] ? os->next_version : NULL, os->easy,
					 &os->hdrs, why, sizeof why);
	if (r) {
		finish(os, SW_SCAN_PARTIAL, why);
		return;
	}
	curl_easy_setopt(os->easy, CURLOPT_HTTPHEADER, os->hdrs);
	curl_easy_setopt(os->easy, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(os->easy, CURLOPT_WRITEDATA, os);
	curl_easy_setopt(os->easy, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(os->easy, CURLOPT_HEADERDATA, os);
	curl_easy_setopt(os->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(os->easy, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(os->easy, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(os->easy, CURLOPT_LOW_SPEED_TIME, os->tune.stall_s);
	curl_easy_setopt(os->easy, CURLOPT_TIMEOUT, os->tune.page_timeout_s);
	curl_easy_setopt(os->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(os->easy, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(os->easy, CURLOPT_USERAGENT, "shrinkwatch-agent");
	os->last_request = now;
	os->cur.requests++;
	if (curl_uv_add(os->cu, os->easy, on_done, os)) {
		release_request(os);
		finish(os, SW_SCAN_PARTIAL, "cannot start a transfer");
	}
}

int objstore_new(uv_loop_t *loop, struct curl_uv *cu, const struct agent_store_config *sc,
		 const char *spool_dir, struct objstore **out)
{
	struct objstore *os = calloc(1, sizeof *os);

	if (!os)
		return -ENOMEM;
	if (spool_dir && snprintf(os->spool_dir, sizeof os->spool_dir, "%s", spool_dir) >=
				 (int)sizeof os->spool_dir) {
		free(os);
		return -ENAMETOOLONG;
	}
	os->loop = loop;
	os->cu = cu;
	os->sc = *sc;
	os->tune = (struct objstore_tuning){ 4, 250, 8000, 30, 300 };
	uv_timer_init(loop, &os->timer);
	os->timer.data = os;
	*out = os;
	return 0;
}

void objstore_set_tuning(struct objstore *os, const struct objstore_tuning *t)
{
	os->tune = *t;
}

int objstore_tick(struct objstore *os, int64_t prev_start,
		  void (*done)(void *ctx, const struct objstore_result *r), void *ctx)
{
	char why[1200];

	if (os->running || os->closing || (os->have && uv_now(os->loop) < os->next_due))
		return 0;
	if (!os->prev_known && prev_start > 0) {
		os->prev_start = prev_start;
		os->prev_known = 1;
	}
	memset(&os->cur, 0, sizeof os->cur);
	os->next[0] = os->next_version[0] = 0;
	os->attempt = 0;
	os->done = done;
	os->done_ctx = ctx;
	os->t0 = uv_now(os->loop);
	os->cur.start = now_unix(); /* until the server's Date says otherwise */
	os->cur.has_added = os->prev_known;
	os->cur.versioned = os->sc.os.versions != 0;
	os->running = 1;
	spill_open(os);
	if (objstore_cred_load(os->sc.os.credentials, os->sc.type == AGENT_STORE_AZURE,
			       os->sc.os.profile, &os->cred, why, sizeof why)) {
		finish(os, SW_SCAN_PARTIAL, why);
		return 1;
	}
	send_page(os);
	return 1;
}

int objstore_take(struct objstore *os, struct objstore_result *out, int *fresh)
{
	if (!os->have)
		return 0;
	*out = os->last;
	*fresh = os->fresh;
	os->fresh = 0;
	return 1;
}

void objstore_fill_sample(const struct objstore_result *r, int fresh, struct sw_sample *s)
{
	s->status = r->status;
	s->error_count = r->error_count;
	snprintf(s->first_error, sizeof s->first_error, "%s", r->first_error);
	s->scan_ms = r->ms;
	/* what this listing cost, once: the rounds that repeat it cost nothing */
	s->flags |= SW_SAMPLE_LISTING;
	s->requests = fresh ? r->requests : 0;
	if (r->status != SW_SCAN_COMPLETE)
		return; /* totals unknown */
	if (r->versioned) {
		s->flags |= SW_SAMPLE_VERSIONED;
		s->noncurrent_objects = r->noncurrent_objects;
		s->noncurrent_bytes = r->noncurrent_bytes;
		s->delete_markers = r->delete_markers;
	}
	s->objects = r->objects;
	s->bytes = r->bytes;
	if (r->has_added || !fresh) {
		s->flags |= SW_SAMPLE_HAS_ADDED;
		s->added_objects = fresh ? r->added_objects : 0;
		s->added_bytes = fresh ? r->added_bytes : 0;
	}
}

int objstore_running(const struct objstore *os)
{
	return os->running;
}

static void timer_closed(uv_handle_t *h)
{
	free(h->data);
}

void objstore_free(struct objstore *os)
{
	if (!os)
		return;
	os->closing = 1;
	if (os->spill) {
		fclose(os->spill);
		unlink(os->spill_part);
	}
	if (os->have && os->fresh && os->last.listing[0])
		unlink(os->last.listing);
	if (os->easy)
		curl_uv_remove(os->cu, os->easy);
	release_request(os);
	objstore_cred_wipe(&os->cred);
	uv_timer_stop(&os->timer);
	uv_close((uv_handle_t *)&os->timer, timer_closed);
}
