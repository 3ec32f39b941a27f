/*
 * objstore_cred.h - an object store's credentials file.
 *
 * S3 stores read the AWS shared-credentials format, so a site reuses the
 * file its tools already have: sections "[default]" or "[NAME]" (also
 * "[profile NAME]") with aws_access_key_id, aws_secret_access_key and
 * optionally aws_session_token; other keys (region, output) are ignored.
 * Azure stores read "shared_key = BASE64" (the account key) or
 * "sas_token = sv=...&sig=..." from the file's top (before any section).
 *
 * The file holds a secret, so it must be a regular file that neither group
 * nor others may read or write (0600 or 0400), checked before it is read
 * and at --check-config.  No function here logs, and no error text quotes
 * a value from the file: only the path, the line number and the key.
 * Secrets live in a struct objstore_cred for the duration of one listing
 * and are wiped with objstore_cred_wipe().
 */
#ifndef SHRINKWATCH_AGENT_OBJSTORE_CRED_H
#define SHRINKWATCH_AGENT_OBJSTORE_CRED_H

#include <stddef.h>

enum objstore_cred_kind {
	OBJSTORE_CRED_S3 = 0,   /* id + secret (+ token) */
	OBJSTORE_CRED_AZURE_KEY, /* secret = the account key, base64 */
	OBJSTORE_CRED_AZURE_SAS, /* token = the SAS query string, without '?' */
};

struct objstore_cred {
	enum objstore_cred_kind kind;
	char id[256];
	char secret[512];
	char token[4096];
};

/*
 * Reads path for an S3 store (azure = 0, using profile, "" = "default") or
 * an Azure store (azure = 1).  0, or -1 with a message in err (never a
 * secret): missing file, bad mode, no such profile, a missing key.
 */
int objstore_cred_load(const char *path, int azure, const char *profile,
		       struct objstore_cred *out, char *err, size_t errlen);

/* Overwrites every secret in c (explicit_bzero). */
void objstore_cred_wipe(struct objstore_cred *c);

#endif
