/*
 * objstore_s3.c - one S3 listing request: ListObjectsV2, or ListObjectVersions
 * with versions = yes, path-style (ENDPOINT/BUCKET), signed by libcurl's
 * CURLOPT_AWS_SIGV4.  The query parameters are written in the sorted order
 * SigV4's canonical request needs.
 */
#include <stdio.h>
#include <string.h>

#include "objstore.h"
#include "objstore_cred.h"
#include "shrinkwatch/banned.h"

#define URL_MAX 8192
/* SHA-256 of an empty body: what a GET signs as its payload */
#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* Appends "&name=escaped(value)" (without '&' when first). */
static int add_param(CURL *easy, char *url, size_t len, int *first, const char *name,
		     const char *value)
{
	char *esc = curl_easy_escape(easy, value, 0);
	size_t have = strlen(url);
	int n;

	if (!esc)
		return -1;
	n = snprintf(url + have, len - have, "%s%s=%s", *first ? "?" : "&", name, esc);
	curl_free(esc);
	*first = 0;
	return n < 0 || (size_t)n >= len - have ? -1 : 0;
}

int objstore__s3_request(const struct agent_store_config *sc, const struct objstore_cred *cred,
			 const char *next, const char *next_version, CURL *easy,
			 struct curl_slist **hdrs, char *err, size_t errlen)
{
	const struct agent_objstore_config *o = &sc->os;
	char url[URL_MAX], sigv4[128], tok[4200];
	struct curl_slist *h;
	int first = 1, bad = 0;

	if ((size_t)snprintf(url, sizeof url, "%s/%s", o->endpoint, o->bucket) >= sizeof url)
		goto toolong;
	if (o->versions) {
		bad |= add_param(easy, url, sizeof url, &first, "encoding-type", "url");
		if (next)
			bad |= add_param(easy, url, sizeof url, &first, "key-marker", next);
		bad |= add_param(easy, url, sizeof url, &first, "max-keys", "1000");
		if (o->prefix[0])
			bad |= add_param(easy, url, sizeof url, &first, "prefix", o->prefix);
		if (next_version)
			bad |= add_param(easy, url, sizeof url, &first, "version-id-marker",
					 next_version);
		bad |= add_param(easy, url, sizeof url, &first, "versions", "");
	} else {
		if (next)
			bad |= add_param(easy, url, sizeof url, &first, "continuation-token", next);
		bad |= add_param(easy, url, sizeof url, &first, "encoding-type", "url");
		bad |= add_param(easy, url, sizeof url, &first, "list-type", "2");
		bad |= add_param(easy, url, sizeof url, &first, "max-keys", "1000");
		if (o->prefix[0])
			bad |= add_param(easy, url, sizeof url, &first, "prefix", o->prefix);
	}
	if (bad)
		goto toolong;
	snprintf(sigv4, sizeof sigv4, "aws:amz:%s:s3", o->region);
	h = curl_slist_append(NULL, "x-amz-content-sha256: " EMPTY_SHA256);
	if (h && cred->token[0]) {
		struct curl_slist *h2;

		snprintf(tok, sizeof tok, "x-amz-security-token: %s", cred->token);
		h2 = curl_slist_append(h, tok);
		explicit_bzero(tok, sizeof tok);
		if (!h2) {
			curl_slist_free_all(h);
			h = NULL;
		}
	}
	if (!h) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	*hdrs = h;
	curl_easy_setopt(easy, CURLOPT_URL, url);
	curl_easy_setopt(easy, CURLOPT_AWS_SIGV4, sigv4);
	curl_easy_setopt(easy, CURLOPT_USERNAME, cred->id);
	curl_easy_setopt(easy, CURLOPT_PASSWORD, cred->secret);
	return 0;
toolong:
	snprintf(err, errlen, "the listing URL is longer than %d bytes (prefix or marker too long)",
		 URL_MAX);
	return -1;
}
