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

#include <stddef.h>

struct agent_store_config;

/*
 * One key of a [store NAME] section for st.  Returns 1 when the key was an
 * object store key and is now set, 0 when it is not one of ours (the
 * caller goes on), -1 with a message in err (a bad value, a key given
 * twice).
 */
int objstore_config_key(struct agent_store_config *st, const char *key, const char *v,
			char *err, size_t errlen);

/*
 * After the whole file: fills in defaults and checks that st is complete
 * and consistent (endpoint scheme, the credentials file's mode and
 * content).  A directory store passes if no object store key was given.
 * 0, or -1 with a message in err that names the store.
 */
int objstore_config_check(struct agent_store_config *st, char *err, size_t errlen);

/* 1 if host (as in a URL, IPv6 in brackets) is a loopback address. */
int objstore_host_is_loopback(const char *host);

#endif
