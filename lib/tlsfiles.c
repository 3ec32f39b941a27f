/* tlsfiles.c - can a TLS configuration's files be used (see tlsfiles.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shrinkwatch/tlsfiles.h"
#include "shrinkwatch/banned.h"

/* One file: 0, or -1 with "KEY 'PATH': reason: what to do". */
static int readable(const char *key, const char *path, const char *fix, char *err,
		    size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct stat st;
	int e;

	if (fd < 0) {
		e = errno;
		snprintf(err, errlen, "%s '%s': %s: %s", key, path, strerror(e),
			 e == ENOENT ? fix
				     : "the daemon's user must be able to read it (check its owner "
				       "and mode)");
		return -1;
	}
	e = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
	close(fd);
	if (!e) {
		snprintf(err, errlen, "%s '%s': not a regular file: %s", key, path, fix);
		return -1;
	}
	return 0;
}

int tls_config_check_files(const struct tls_config *c, bool server, char *err, size_t errlen)
{
	const char *issue = server ? "make it with 'shrinkwatchctl pki issue ADDRESS --server "
				     "--dir DIR' or correct the path"
				   : "make it with 'shrinkwatchctl pki issue AGENT --dir DIR' or "
				     "correct the path";
	struct tls_ctx *t = NULL;

	if (c->insecure || !c->ca[0] || !c->cert[0] || !c->key[0])
		return 0;
	if (readable("tls_ca", c->ca, "make a CA with 'shrinkwatchctl pki init DIR' or "
				      "correct the path", err, errlen) ||
	    readable("tls_cert", c->cert, issue, err, errlen) ||
	    readable("tls_key", c->key, issue, err, errlen) ||
	    (c->crl[0] && readable("tls_crl", c->crl, "'shrinkwatchctl pki revoke' writes it "
							"in the CA's directory; or correct the path",
				   err, errlen)))
		return -1;
	if (tls_ctx_new(&t, c, server, err, errlen))
		return -1;
	tls_ctx_free(t);
	return 0;
}
