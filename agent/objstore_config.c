/* objstore_config.c - object store keys of [store NAME] (see objstore_config.h). */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "objstore_config.h"
#include "objstore_cred.h"
#include "shrinkwatch/parse.h"
#include "shrinkwatch/banned.h"

enum {
	K_TYPE = 1u << 0, K_ENDPOINT = 1u << 1, K_BUCKET = 1u << 2, K_CONTAINER = 1u << 3,
	K_ACCOUNT = 1u << 4, K_PREFIX = 1u << 5, K_REGION = 1u << 6, K_PROFILE = 1u << 7,
	K_CRED = 1u << 8, K_LISTINT = 1u << 9, K_RPS = 1u << 10, K_VERSIONS = 1u << 11,
};

static const struct {
	const char *key;
	unsigned bit;
} keys[] = {
	{ "type", K_TYPE }, { "endpoint", K_ENDPOINT }, { "bucket", K_BUCKET },
	{ "container", K_CONTAINER }, { "account", K_ACCOUNT }, { "prefix", K_PREFIX },
	{ "region", K_REGION }, { "profile", K_PROFILE }, { "credentials", K_CRED },
	{ "list_interval", K_LISTINT }, { "requests_per_second", K_RPS },
	{ "versions", K_VERSIONS },
};

static int set_str(char *dst, size_t len, const char *v, char *err, size_t errlen)
{
	if (strlen(v) >= len) {
		snprintf(err, errlen, "value is too long (at most %zu bytes)", len - 1);
		return -1;
	}
	memcpy(dst, v, strlen(v) + 1);
	return 1;
}

/* Bucket, container and account names: what every provider allows and no
 * more, so a name can go into a URL path unescaped. */
static int plain_name(const char *v, char *err, size_t errlen)
{
	if (!*v || strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789.-_") != strlen(v)) {
		snprintf(err, errlen, "'%s' is not a valid name (lower-case letters, digits, . - _)",
			 v);
		return -1;
	}
	return 0;
}

int objstore_config_key(enum agent_store_type *type, struct agent_objstore_config *o,
			const char *key, const char *v, char *err, size_t errlen)
{
	unsigned bit = 0;
	uint64_t n;
	bool b;

	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (!strcmp(keys[i].key, key))
			bit = keys[i].bit;
	if (!bit)
		return 0;
	if (o->seen & bit) {
		snprintf(err, errlen, "key given twice");
		return -1;
	}
	o->seen |= bit;
	switch (bit) {
	case K_TYPE:
		if (!strcmp(v, "dir"))
			*type = AGENT_STORE_DIR;
		else if (!strcmp(v, "s3"))
			*type = AGENT_STORE_S3;
		else if (!strcmp(v, "azure"))
			*type = AGENT_STORE_AZURE;
		else {
			snprintf(err, errlen, "'%s' is not dir, s3 or azure", v);
			return -1;
		}
		return 1;
	case K_ENDPOINT: {
		size_t len = strlen(v);

		while (len && v[len - 1] == '/')
			len--;
		if (len >= sizeof o->endpoint) {
			snprintf(err, errlen, "value is too long");
			return -1;
		}
		memcpy(o->endpoint, v, len);
		o->endpoint[len] = 0;
		return 1;
	}
	case K_BUCKET:
	case K_CONTAINER:
		if (plain_name(v, err, errlen))
			return -1;
		if (strlen(v) < 3 || strlen(v) > 63) {
			snprintf(err, errlen, "'%s' is not 3 to 63 characters long", v);
			return -1;
		}
		return set_str(o->bucket, sizeof o->bucket, v, err, errlen);
	case K_ACCOUNT:
		if (plain_name(v, err, errlen))
			return -1;
		return set_str(o->account, sizeof o->account, v, err, errlen);
	case K_PREFIX:
		return set_str(o->prefix, sizeof o->prefix, v, err, errlen);
	case K_REGION:
		if (plain_name(v, err, errlen))
			return -1;
		return set_str(o->region, sizeof o->region, v, err, errlen);
	case K_PROFILE:
		return set_str(o->profile, sizeof o->profile, v, err, errlen);
	case K_CRED:
		if (v[0] != '/') {
			snprintf(err, errlen, "'%s' is not an absolute path", v);
			return -1;
		}
		return set_str(o->credentials, sizeof o->credentials, v, err, errlen);
	case K_LISTINT:
		if (parse_duration(v, &n) || n < 1 || n > 7 * 86400) {
			snprintf(err, errlen, "'%s' is not a duration between 1s and 7d (e.g. 15m)", v);
			return -1;
		}
		o->list_interval = (uint32_t)n;
		return 1;
	case K_RPS:
		if (parse_u64(v, &n) || n < 1 || n > 10000) {
			snprintf(err, errlen, "'%s' is not a number of requests from 1 to 10000", v);
			return -1;
		}
		o->requests_per_second = (uint32_t)n;
		return 1;
	case K_VERSIONS:
		if (parse_bool(v, &b)) {
			snprintf(err, errlen, "'%s' is not yes or no", v);
			return -1;
		}
		o->versions = b;
		return 1;
	}
	return 0;
}

int objstore_host_is_loopback(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;
	char h[64];
	size_t n = strlen(host);

	if (!strcmp(host, "localhost"))
		return 1;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (n >= 2 && n < sizeof h && host[0] == '[' && host[n - 1] == ']') {
		memcpy(h, host + 1, n - 2);
		h[n - 2] = 0;
		return inet_pton(AF_INET6, h, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
	}
	return 0;
}

/* https://HOST[:PORT][/PATH], or http:// for a loopback HOST. */
static int check_endpoint(const char *url, char *err, size_t errlen)
{
	const char *h, *end;
	char host[256];
	bool https = !strncmp(url, "https://", 8);

	if (!https && strncmp(url, "http://", 7)) {
		snprintf(err, errlen, "endpoint '%s' is not an https:// URL", url);
		return -1;
	}
	h = url + (https ? 8 : 7);
	if (strpbrk(url, "?#@ \t")) {
		snprintf(err, errlen, "endpoint '%s' must not hold a query, a fragment, "
			 "user information or spaces", url);
		return -1;
	}
	if (*h == '[')
		end = strchr(h, ']') ? strchr(h, ']') + 1 : h + strlen(h);
	else
		end = h + strcspn(h, ":/");
	if (end == h || (size_t)(end - h) >= sizeof host) {
		snprintf(err, errlen, "endpoint '%s' has no host", url);
		return -1;
	}
	memcpy(host, h, (size_t)(end - h));
	host[end - h] = 0;
	if (!https && !objstore_host_is_loopback(host)) {
		snprintf(err, errlen, "endpoint '%s': http is allowed only on a loopback address; "
			 "use https (credentials and listings cross the network)", url);
		return -1;
	}
	return 0;
}

int objstore_config_check(const char *store, enum agent_store_type type,
			  struct agent_objstore_config *o, char *err, size_t errlen)
{
	struct objstore_cred cred;
	char why[1200];
	bool azure = type == AGENT_STORE_AZURE;

	if (type == AGENT_STORE_DIR) {
		if (o->seen & ~(unsigned)K_TYPE) {
			snprintf(err, errlen, "[store %s]: object store keys without type = s3 or "
				 "azure", store);
			return -1;
		}
		return 0;
	}
	if (azure ? (o->seen & (K_BUCKET | K_REGION | K_PROFILE)) : (o->seen & (K_CONTAINER | K_ACCOUNT))) {
		snprintf(err, errlen, "[store %s]: %s", store,
			 azure ? "bucket, region and profile are S3 keys (Azure has container and "
				 "account)"
			       : "container and account are Azure keys (S3 has bucket)");
		return -1;
	}
	if (azure && !o->account[0]) {
		snprintf(err, errlen, "[store %s] account: missing (the storage account)", store);
		return -1;
	}
	if (azure && !o->endpoint[0])
		snprintf(o->endpoint, sizeof o->endpoint, "https://%s.blob.core.windows.net",
			 o->account);
	if (!o->endpoint[0]) {
		snprintf(err, errlen, "[store %s] endpoint: missing (e.g. https://s3.example.org)",
			 store);
		return -1;
	}
	if (check_endpoint(o->endpoint, why, sizeof why)) {
		snprintf(err, errlen, "[store %s] %s", store, why);
		return -1;
	}
	if (!o->bucket[0]) {
		snprintf(err, errlen, "[store %s] %s: missing", store,
			 azure ? "container" : "bucket");
		return -1;
	}
	if (!o->credentials[0]) {
		snprintf(err, errlen, "[store %s] credentials: missing (a file, mode 0600)", store);
		return -1;
	}
	if (!azure && !o->region[0])
		snprintf(o->region, sizeof o->region, "us-east-1");
	if (!o->list_interval)
		o->list_interval = AGENT_DEFAULT_LIST_INTERVAL;
	if (!o->requests_per_second)
		o->requests_per_second = AGENT_DEFAULT_LIST_RPS;
	if (objstore_cred_load(o->credentials, azure, o->profile, &cred, why, sizeof why)) {
		snprintf(err, errlen, "[store %s] %s", store, why);
		return -1;
	}
	objstore_cred_wipe(&cred);
	return 0;
}
