/*
 * tlsfiles.h - whether a TLS configuration's files can be used, before a
 * daemon starts: --check-config (and each daemon's start) call it so that a
 * missing or unreadable certificate is named with what to do about it, not
 * reported later as an OpenSSL error code.
 */
#ifndef SHRINKWATCH_TLSFILES_H
#define SHRINKWATCH_TLSFILES_H

#include <stdbool.h>
#include <stddef.h>

#include "shrinkwatch/tls.h"

/*
 * Checks that tls_ca, tls_cert, tls_key (and tls_crl when set) of c can be
 * opened for reading by this process, then loads them as the daemon would
 * (tls_ctx_new(), server or client) so that a file that is not PEM or a key
 * that does not match its certificate is caught too.  Nothing to check when
 * c is insecure or names no files (tls_config_check() says what is missing).
 * 0, or -1 with a message naming the key, the file and what to do in err.
 */
int tls_config_check_files(const struct tls_config *c, bool server, char *err, size_t errlen);

#endif
