/*
 * objstore_config.h - the [store NAME] keys of an object store (type = s3
 * or azure), kept apart from config.c so that file stays about directories.
 *
 *   type = dir | s3 | azure
 *   endpoint = https://HOST[:PORT][/PATH]   (s3: required; azure: default
 *              https://ACCOUNT.blob.core.windows.net)
 *   bucket = NAME (s3) | container = NAME (azure), account = NAME (azure)
 *   prefix, region (s3, default us-east-1), credentials = FILE,
 *   profile (s3, default "default"), list_interval (default 15m),
 *   requests_per_second (default 10), versions = yes|no (default no)
 *
 * https is required unless the endpoint's host is a loopback address: a
 * listing carries credentials (a signature, a SAS token) and the answers
 * are the evidence we judge a store by.
 */
#ifndef SHRINKWATCH_AGENT_OBJSTORE_CONFIG_H
#define SHRINKWATCH_AGENT_OBJSTORE_CONFIG_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

/* What a store is: a directory tree (path) or an object store listing. */
enum agent_store_type {
	AGENT_STORE_DIR = 0,
	AGENT_STORE_S3,
	AGENT_STORE_AZURE,
};

#define AGENT_DEFAULT_LIST_INTERVAL 900 /* seconds: a full listing at most this often */
#define AGENT_DEFAULT_LIST_RPS 10       /* listing requests per second */

/* An S3 bucket or Azure container (type != AGENT_STORE_DIR).  No secret is
 * held here: credentials names the file, read at each listing
 * (objstore_cred.h), so a rotated key needs no reload. */
struct agent_objstore_config {
	char endpoint[512];   /* scheme://host[:port][/path], no trailing '/' */
	char bucket[256];     /* S3 bucket, or Azure container */
	char account[64];     /* Azure storage account */
	char prefix[1024];    /* only keys under it ("" = all) */
	char region[64];      /* S3 signing region */
	char profile[128];    /* S3: the credentials file's section */
	char credentials[PATH_MAX];
	uint32_t list_interval;       /* seconds */
	uint32_t requests_per_second; /* cap on listing requests */
	int versions;                 /* 1: list versions (noncurrent, delete markers) */
	uint32_t seen;                /* keys given (the parser's: a key given twice is an error) */
};


/*
 * One key of a [store NAME] section: type sets *type, the others o.
 * Returns 1 when the key was an object store key and is now set, 0 when it
 * is not one of ours (the caller goes on), -1 with a message in err (a bad
 * value, a key given twice).
 */
int objstore_config_key(enum agent_store_type *type, struct agent_objstore_config *o,
			const char *key, const char *v, char *err, size_t errlen);

/*
 * After the whole file: fills in o's defaults and checks that store (its
 * name, for messages) is complete and consistent: endpoint scheme, the
 * credentials file's mode and content.  A directory store passes if no
 * object store key was given.  0, or -1 with a message in err that names
 * the store.
 */
int objstore_config_check(const char *store, enum agent_store_type type,
			  struct agent_objstore_config *o, char *err, size_t errlen);

/* 1 if host (as in a URL, IPv6 in brackets) is a loopback address. */
int objstore_host_is_loopback(const char *host);

#endif
