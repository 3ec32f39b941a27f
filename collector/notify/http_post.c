/* http_post.c - one JSON POST through curl_uv (see http_post.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "http_post.h"
#include "notify_int.h"
#include "shrinkwatch/buf.h"
#include "shrinkwatch/log.h"
#include "shrinkwatch/version.h"
#include "shrinkwatch/banned.h"

#define RESPONSE_KEEP 1024
#define URL_MAX 2048
#define TOKEN_MAX 4096

struct post {
	struct curl_slist *headers;
	struct buf response;
	char errbuf[CURL_ERROR_SIZE];
	char label[128];
	notify_done_fn done;
	void *ctx;
};

int notify__http_url_valid(const char *url)
{
	size_t n = strlen(url);

	if (n >= URL_MAX || strpbrk(url, " \t\r\n"))
		return 0;
	return (!strncmp(url, "http://", 7) && n > 7) || (!strncmp(url, "https://", 8) && n > 8);
}

static int read_token_file(const char *path, char **out, char *err, size_t errlen)
{
	char text[TOKEN_MAX + 2];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f) {
		snprintf(err, errlen, "cannot open '%s': %s", path, strerror(errno));
		return -1;
	}
	n = fread(text, 1, sizeof text - 1, f);
	fclose(f);
	text[n] = '\0';
	text[strcspn(text, "\r\n")] = '\0';
	if (!text[0] || n > TOKEN_MAX) {
		snprintf(err, errlen, "'%s' does not hold a token on its first line", path);
		return -1;
	}
	*out = strdup(text);
	if (!*out) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

int notify__http_parse(struct notify_http_conf *c, const char *key, const char *value,
		       char *err, size_t errlen)
{
	struct stat st;

	if (!strcmp(key, "timeout"))
		return notify__parse_timeout(value, &c->timeout_ms, err, errlen) ? -1 : 1;
	if (!strcmp(key, "ca_file")) {
		if (value[0] != '/' || stat(value, &st) || !S_ISREG(st.st_mode)) {
			snprintf(err, errlen, "'%s' is not an absolute path to a readable file",
				 value);
			return -1;
		}
		c->ca_file = strdup(value);
		return c->ca_file ? 1 : -1;
	}
	if (!strcmp(key, "bearer_token") || !strcmp(key, "bearer_token_file")) {
		if (c->bearer) {
			snprintf(err, errlen, "give bearer_token or bearer_token_file, once");
			return -1;
		}
		if (!strcmp(key, "bearer_token_file"))
			return read_token_file(value, &c->bearer, err, errlen) ? -1 : 1;
		if (!value[0] || strpbrk(value, "\r\n") || strlen(value) > TOKEN_MAX) {
			snprintf(err, errlen, "not a token");
			return -1;
		}
		c->bearer = strdup(value);
		return c->bearer ? 1 : -1;
	}
	return 0;
}

void notify__http_conf_release(struct notify_http_conf *c)
{
	free(c->ca_file);
	free(c->bearer);
	c->ca_file = c->bearer = NULL;
}

enum notify_result notify__http_judge(CURLcode rc, long status)
{
	if (rc == CURLE_URL_MALFORMAT || rc == CURLE_UNSUPPORTED_PROTOCOL)
		return NOTIFY_PERMANENT;
	if (rc != CURLE_OK)
		return NOTIFY_RETRY;
	if (status >= 200 && status <= 299)
		return NOTIFY_OK;
	if (status == 408 || status == 429)
		return NOTIFY_RETRY;
	if (status >= 400 && status <= 499)
		return NOTIFY_PERMANENT;
	return NOTIFY_RETRY; /* 5xx, and 1xx/3xx we do not follow */
}

static size_t on_body(char *p, size_t size, size_t n, void *userp)
{
	struct post *po = userp;
	size_t len = size * n;
	size_t room = po->response.cap - po->response.len;

	buf_append(&po->response, p, len < room ? len : room);
	return len; /* the rest is read and dropped */
}

static void post_free(struct post *po)
{
	curl_slist_free_all(po->headers);
	buf_release(&po->response);
	free(po);
}

static void on_done(void *ctx, CURL *easy, CURLcode rc)
{
	struct post *po = ctx;
	long status = 0;
	char why[600], body[201];
	enum notify_result r;
	size_t n;

	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(easy);
	n = po->response.len < sizeof body - 1 ? po->response.len : sizeof body - 1;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = po->response.data[i];
		body[i] = ch < 0x20 || ch == 0x7f ? ' ' : (char)ch;
	}
	body[n] = '\0';
	r = notify__http_judge(rc, status);
	if (rc == CURLE_ABORTED_BY_CALLBACK)
		snprintf(why, sizeof why, "notifier stopped");
	else if (rc != CURLE_OK)
		snprintf(why, sizeof why, "%s", po->errbuf[0] ? po->errbuf : curl_easy_strerror(rc));
	else
		snprintf(why, sizeof why, "HTTP %ld%s%s", status, n ? ": " : "", body);
	if (r != NOTIFY_OK && rc != CURLE_ABORTED_BY_CALLBACK)
		log_warn("notify: %s: %s (%s)", po->label, why,
			 r == NOTIFY_PERMANENT ? "giving up" : "will retry");
	po->done(po->ctx, r, why);
	post_free(po);
}

int notify__http_post(struct curl_uv *cu, const char *url, const char *body, size_t len,
		      const struct notify_http_conf *c, const char *label, notify_done_fn done,
		      void *ctx)
{
	struct post *po = calloc(1, sizeof *po);
	CURL *easy = NULL;
	struct curl_slist *h;
	char auth[TOKEN_MAX + 32];
	int e = -ENOMEM;

	if (!po)
		return -ENOMEM;
	buf_init(&po->response, RESPONSE_KEEP);
	snprintf(po->label, sizeof po->label, "%s", label);
	po->done = done;
	po->ctx = ctx;
	easy = curl_easy_init();
	if (!easy)
		goto fail;
	h = curl_slist_append(NULL, "Content-Type: application/json");
	if (h)
		po->headers = h;
	h = h ? curl_slist_append(h, "User-Agent: shrinkwatch-collector/" SHRINKWATCH_VERSION)
	      : NULL;
	h = h ? curl_slist_append(h, "Expect:") : NULL; /* no 100-continue round trip */
	if (h && c->bearer) {
		snprintf(auth, sizeof auth, "Authorization: Bearer %s", c->bearer);
		h = curl_slist_append(h, auth);
	}
	if (!h)
		goto fail;
	curl_easy_setopt(easy, CURLOPT_URL, url);
	curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_HTTPHEADER, po->headers);
	curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(easy, CURLOPT_COPYPOSTFIELDS, body);
	curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, (long)c->timeout_ms);
	curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L);
	if (c->ca_file)
		curl_easy_setopt(easy, CURLOPT_CAINFO, c->ca_file);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(easy, CURLOPT_WRITEDATA, po);
	curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, po->errbuf);
	e = curl_uv_add(cu, easy, on_done, po);
	if (e)
		goto fail;
	return 0;
fail:
	if (easy)
		curl_easy_cleanup(easy);
	post_free(po);
	return e;
}
