/*
 * objstore_azure.c - one Azure List Blobs request
 * (ENDPOINT/CONTAINER?restype=container&comp=list), authorised by a SAS
 * token appended to the query or by SharedKey: HMAC-SHA256 (OpenSSL) of the
 * canonical request with the account key.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "objstore.h"
#include "objstore_cred.h"
#include "shrinkwatch/banned.h"

#define URL_MAX 12288
#define AZURE_VERSION "2021-08-06"
#define PAGE_SIZE "5000"

int objstore__azure_sign(const char *key_b64, const char *string_to_sign, char *out,
			 size_t outlen)
{
	unsigned char key[128], mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	size_t klen = strlen(key_b64), pad = 0;
	int n, rc = -1;

	if (klen == 0 || klen % 4 || klen / 4 * 3 > sizeof key || outlen < 45)
		goto out;
	n = EVP_DecodeBlock(key, (const unsigned char *)key_b64, (int)klen);
	if (n < 0)
		goto out;
	pad = (key_b64[klen - 1] == '=') + (klen > 1 && key_b64[klen - 2] == '=');
	if (!HMAC(EVP_sha256(), key, n - (int)pad, (const unsigned char *)string_to_sign,
		  strlen(string_to_sign), mac, &maclen))
		goto out;
	EVP_EncodeBlock((unsigned char *)out, mac, (int)maclen);
	rc = 0;
out:
	explicit_bzero(key, sizeof key);
	return rc;
}

struct param {
	const char *name, *value;
};

int objstore__azure_request(const struct agent_store_config *sc,
			    const struct objstore_cred *cred, const char *next, CURL *easy,
			    struct curl_slist **hdrs, char *err, size_t errlen)
{
	const struct agent_objstore_config *o = &sc->os;
	/* sorted by name, as the canonical resource lists them */
	struct param p[6];
	size_t np = 0, have;
	char url[URL_MAX], sts[URL_MAX], date[64], sig[64], hdr[300];
	const char *path;
	struct curl_slist *h = NULL, *h2;
	time_t now = time(NULL);
	struct tm tm;
	int rc = -1;

	p[np++] = (struct param){ "comp", "list" };
	if (o->versions)
		p[np++] = (struct param){ "include", "deleted,versions" };
	if (next)
		p[np++] = (struct param){ "marker", next };
	p[np++] = (struct param){ "maxresults", PAGE_SIZE };
	if (o->prefix[0])
		p[np++] = (struct param){ "prefix", o->prefix };
	p[np++] = (struct param){ "restype", "container" };

	have = (size_t)snprintf(url, sizeof url, "%s/%s", o->endpoint, o->bucket);
	for (size_t i = 0; i < np && have < sizeof url; i++) {
		char *esc = curl_easy_escape(easy, p[i].value, 0);

		if (!esc)
			goto nomem;
		have += (size_t)snprintf(url + have, sizeof url - have, "%s%s=%s", i ? "&" : "?",
					 p[i].name, esc);
		curl_free(esc);
	}
	if (cred->kind == OBJSTORE_CRED_AZURE_SAS && have < sizeof url)
		have += (size_t)snprintf(url + have, sizeof url - have, "&%s", cred->token);
	if (have >= sizeof url)
		goto toolong;
	gmtime_r(&now, &tm);
	strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	snprintf(hdr, sizeof hdr, "x-ms-date: %s", date);
	h = curl_slist_append(NULL, hdr);
	if (!h || !(h2 = curl_slist_append(h, "x-ms-version: " AZURE_VERSION)))
		goto nomem;
	h = h2;
	if (cred->kind == OBJSTORE_CRED_AZURE_KEY) {
		/* the URL path after the host: "/devstoreaccount1/c" on an emulator,
		 * "/c" on Azure itself */
		path = strstr(o->endpoint, "://");
		path = strchr(path ? path + 3 : o->endpoint, '/');
		have = (size_t)snprintf(sts, sizeof sts,
					"GET\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:%s\nx-ms-version:%s\n"
					"/%s%s/%s", date, AZURE_VERSION, o->account,
					path ? path : "", o->bucket);
		for (size_t i = 0; i < np && have < sizeof sts; i++)
			have += (size_t)snprintf(sts + have, sizeof sts - have, "\n%s:%s", p[i].name,
						 p[i].value);
		if (have >= sizeof sts)
			goto toolong;
		if (objstore__azure_sign(cred->secret, sts, sig, sizeof sig)) {
			snprintf(err, errlen, "the shared_key in '%s' is not a base64 account key",
				 o->credentials);
			goto out;
		}
		snprintf(hdr, sizeof hdr, "Authorization: SharedKey %s:%s", o->account, sig);
		if (!(h2 = curl_slist_append(h, hdr)))
			goto nomem;
		h = h2;
	}
	curl_easy_setopt(easy, CURLOPT_URL, url);
	*hdrs = h;
	h = NULL;
	rc = 0;
	goto out;
nomem:
	snprintf(err, errlen, "out of memory");
	goto out;
toolong:
	snprintf(err, errlen, "the listing URL is longer than %d bytes (prefix or marker too long)",
		 URL_MAX);
out:
	curl_slist_free_all(h);
	explicit_bzero(url, sizeof url);
	return rc;
}
