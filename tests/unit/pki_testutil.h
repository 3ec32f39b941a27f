/* pki_testutil.h - certificates for the unit tests that speak TLS
 * (header-only): shrinkwatchctl pki makes them, as an operator would. */
#ifndef SHRINKWATCH_PKI_TESTUTIL_H
#define SHRINKWATCH_PKI_TESTUTIL_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "ctl/pki.h"
#include "shrinkwatch/tls.h"

/* shrinkwatchctl pki with up to five arguments (NULL ends them). */
static inline int tu_pki(const char *a, const char *b, const char *c, const char *d,
			 const char *e)
{
	char *argv[8] = { "pki", (char *)a, (char *)b, (char *)c, (char *)d, (char *)e, NULL };
	int argc = 1;

	while (argv[argc])
		argc++;
	optind = 0; /* getopt_long restarts for every call */
	return ctl_pki_main(argc, argv);
}

/* Two CAs under dir: dir/pki with a server certificate "127.0.0.1" and an
 * agent "it01", and dir/other with another "it01".  0, or non-zero. */
static inline int tu_pki_two_cas(const char *dir)
{
	char sub[200], other[200];

	snprintf(sub, sizeof sub, "%s/pki", dir);
	snprintf(other, sizeof other, "%s/other", dir);
	return tu_pki("init", sub, NULL, NULL, NULL) ||
	       tu_pki("issue", "127.0.0.1", "--server", "--dir", sub) ||
	       tu_pki("issue", "it01", "--dir", sub, NULL) || tu_pki("init", other, NULL, NULL, NULL) ||
	       tu_pki("issue", "it01", "--dir", other, NULL);
}

/* A TLS context trusting dir/pki's CA, with dir/ca_dir/name's certificate;
 * fails the test if it cannot be made.  Caller frees (tls_ctx_free()). */
static inline struct tls_ctx *tu_tls_ctx(const char *dir, const char *ca_dir, const char *name,
					 bool server)
{
	struct tls_config cfg;
	struct tls_ctx *t = NULL;
	char err[512];

	tls_config_init(&cfg);
	snprintf(cfg.ca, sizeof cfg.ca, "%s/pki/ca.crt", dir);
	snprintf(cfg.cert, sizeof cfg.cert, "%s/%s/%s.crt", dir, ca_dir, name);
	snprintf(cfg.key, sizeof cfg.key, "%s/%s/%s.key", dir, ca_dir, name);
	if (tls_ctx_new(&t, &cfg, server, err, sizeof err))
		fail_msg("tls_ctx_new: %s", err);
	return t;
}

#endif
