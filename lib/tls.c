/* tls.c - OpenSSL 3 over memory BIOs (see tls.h). */
#include <errno.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "shrinkwatch/log.h"
#include "shrinkwatch/tls.h"
#include "shrinkwatch/banned.h"

struct tls_ctx {
	SSL_CTX *ssl;
	bool server;
};

/* The most useful words OpenSSL has for what just failed. */
static void ssl_reason(char *out, size_t len, const char *what)
{
	unsigned long e = ERR_peek_last_error();
	char buf[200];

	if (e) {
		ERR_error_string_n(e, buf, sizeof buf);
		snprintf(out, len, "%s: %s", what, buf);
	} else {
		snprintf(out, len, "%s", what);
	}
	ERR_clear_error();
}

/* Revoked certificates: a peer whose certificate is on the list fails the
 * handshake ("certificate revoked").  Only the peer's own certificate is
 * checked against it (there are no intermediate CAs). */
static int load_crl(SSL_CTX *ctx, const char *path, char *err, size_t errlen)
{
	X509_STORE *st = SSL_CTX_get_cert_store(ctx);
	FILE *f = fopen(path, "r");
	X509_CRL *crl;
	int n = 0;

	if (!f) {
		snprintf(err, errlen, "cannot open tls_crl '%s': %s", path, strerror(errno));
		return -1;
	}
	while ((crl = PEM_read_X509_CRL(f, NULL, NULL, NULL))) {
		int ok = X509_STORE_add_crl(st, crl);
		X509_CRL_free(crl);
		if (!ok) {
			fclose(f);
			ssl_reason(err, errlen, "cannot use tls_crl");
			return -1;
		}
		n++;
	}
	fclose(f);
	ERR_clear_error(); /* the end of the file reads as an error */
	if (!n) {
		snprintf(err, errlen, "tls_crl '%s' holds no revocation list", path);
		return -1;
	}
	X509_STORE_set_flags(st, X509_V_FLAG_CRL_CHECK);
	return 0;
}

int tls_ctx_new(struct tls_ctx **out, const struct tls_config *cfg, bool server, char *err,
		size_t errlen)
{
	struct tls_ctx *t = calloc(1, sizeof *t);
	SSL_CTX *ctx = NULL;

	*out = NULL;
	if (!t) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	ERR_clear_error();
	ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
	if (!ctx) {
		ssl_reason(err, errlen, "cannot create a TLS context");
		goto fail;
	}
	SSL_CTX_set_min_proto_version(ctx, cfg->min_version == 12 ? TLS1_2_VERSION : TLS1_3_VERSION);
	/* no renegotiation, no compression, no session tickets to store */
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
					 SSL_OP_NO_TICKET);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	if (SSL_CTX_load_verify_locations(ctx, cfg->ca, NULL) != 1) {
		ssl_reason(err, errlen, "cannot load tls_ca");
		snprintf(err + strlen(err), errlen - strlen(err), " ('%s')", cfg->ca);
		goto fail;
	}
	if (SSL_CTX_use_certificate_chain_file(ctx, cfg->cert) != 1) {
		ssl_reason(err, errlen, "cannot load tls_cert");
		snprintf(err + strlen(err), errlen - strlen(err), " ('%s')", cfg->cert);
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, cfg->key, SSL_FILETYPE_PEM) != 1) {
		ssl_reason(err, errlen, "cannot load tls_key");
		snprintf(err + strlen(err), errlen - strlen(err), " ('%s')", cfg->key);
		goto fail;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		ssl_reason(err, errlen, "tls_key does not match tls_cert");
		goto fail;
	}
	{
		char why[PATH_MAX * 2 + 256];

		if (tls_key_file_exposed(cfg->key, why, sizeof why) == 1)
			log_warn("%s", why);
	}
	if (cfg->crl[0] && load_crl(ctx, cfg->crl, err, errlen))
		goto fail;
	/* both sides must show a certificate from the CA */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	SSL_CTX_set_verify_depth(ctx, 4);
	if (server) {
		STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(cfg->ca);
		if (names)
			SSL_CTX_set_client_CA_list(ctx, names);
		SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	}
	t->ssl = ctx;
	t->server = server;
	*out = t;
	return 0;
fail:
	SSL_CTX_free(ctx);
	free(t);
	return -1;
}

void tls_ctx_free(struct tls_ctx *t)
{
	if (!t)
		return;
	SSL_CTX_free(t->ssl);
	free(t);
}

int tls_conn_init(struct tls_conn *c, struct tls_ctx *t, const char *peer_host)
{
	SSL *ssl;
	BIO *rb, *wb;

	memset(c, 0, sizeof *c);
	ssl = SSL_new(t->ssl);
	rb = BIO_new(BIO_s_mem());
	wb = BIO_new(BIO_s_mem());
	if (!ssl || !rb || !wb) {
		SSL_free(ssl);
		BIO_free(rb);
		BIO_free(wb);
		return -ENOMEM;
	}
	/* an empty read BIO means "try again", not end of file */
	BIO_set_mem_eof_return(rb, -1);
	SSL_set_bio(ssl, rb, wb);
	if (t->server) {
		SSL_set_accept_state(ssl);
	} else {
		X509_VERIFY_PARAM *vp = SSL_get0_param(ssl);
		int ok;

		if (!peer_host) {
			SSL_free(ssl);
			return -EINVAL;
		}
		/* the collector's certificate must name the address we dialled */
		if (X509_VERIFY_PARAM_set1_ip_asc(vp, peer_host) != 1) {
			ERR_clear_error();
			ok = X509_VERIFY_PARAM_set1_host(vp, peer_host, 0);
			if (ok == 1 && SSL_set_tlsext_host_name(ssl, peer_host) != 1)
				ok = 0;
			if (ok != 1) {
				SSL_free(ssl);
				return -EINVAL;
			}
		}
		SSL_set_connect_state(ssl);
	}
	c->ssl = ssl;
	c->rbio = rb;
	c->wbio = wb;
	return 0;
}

void tls_conn_release(struct tls_conn *c)
{
	SSL_free(c->ssl); /* frees both BIOs */
	c->ssl = c->rbio = c->wbio = NULL;
}

int tls_conn_feed(struct tls_conn *c, const uint8_t *p, size_t n)
{
	while (n) {
		int w = BIO_write(c->rbio, p, n > INT32_MAX ? INT32_MAX : (int)n);
		if (w <= 0)
			return -ENOMEM;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* The address or name a client's peer certificate had to carry, into out
 * ("" when unknown). */
static void expected_peer(SSL *ssl, char *out, size_t len)
{
	X509_VERIFY_PARAM *vp = SSL_get0_param(ssl);
	char *ip = X509_VERIFY_PARAM_get1_ip_asc(vp);
	const char *host = X509_VERIFY_PARAM_get0_host(vp, 0);

	snprintf(out, len, "%s", ip ? ip : host ? host : "");
	OPENSSL_free(ip);
}

/* Describes a failed handshake, naming the certificate check if it was one,
 * and, when the collector's certificate does not carry the address the
 * agent dialled, what to do about it: both ends of that failure say the same
 * thing, since the operator may be reading either log. */
static void handshake_reason(struct tls_conn *c)
{
	long vr = SSL_get_verify_result(c->ssl);
	unsigned long e = ERR_peek_last_error();
	char want[256];

	if (vr == X509_V_ERR_IP_ADDRESS_MISMATCH || vr == X509_V_ERR_HOSTNAME_MISMATCH) {
		expected_peer(c->ssl, want, sizeof want);
		snprintf(c->error, sizeof c->error,
			 "certificate verify failed: %s: the collector's certificate does not "
			 "name '%s', the address this agent connects to; on the CA's machine run "
			 "'shrinkwatchctl pki issue %s --server' and install that certificate and "
			 "key as the collector's tls_cert and tls_key",
			 X509_verify_cert_error_string(vr), want, want);
		ERR_clear_error();
		return;
	}
	if (vr != X509_V_OK) {
		snprintf(c->error, sizeof c->error, "certificate verify failed: %s",
			 X509_verify_cert_error_string(vr));
		ERR_clear_error();
		return;
	}
	if (SSL_is_server(c->ssl) && ERR_GET_LIB(e) == ERR_LIB_SSL &&
	    ERR_GET_REASON(e) == SSL_R_SSLV3_ALERT_BAD_CERTIFICATE) {
		/* the alert a client sends when the server's certificate is
		 * from its CA but does not name the address it dialled */
		snprintf(c->error, sizeof c->error,
			 "the agent rejected the collector's certificate (bad certificate): most "
			 "likely it does not name the address the agent connects to ('address =' "
			 "in the agent's [collector] section; its log names it); on the CA's "
			 "machine run "
			 "'shrinkwatchctl pki issue ADDRESS --server' for that address and install "
			 "the certificate and key as this collector's tls_cert and tls_key");
		ERR_clear_error();
		return;
	}
	ssl_reason(c->error, sizeof c->error, "TLS handshake failed");
}

int tls_conn_handshake(struct tls_conn *c)
{
	int r, e;

	if (c->established)
		return 1;
	ERR_clear_error();
	r = SSL_do_handshake(c->ssl);
	if (r == 1) {
		c->established = true;
		return 1;
	}
	e = SSL_get_error(c->ssl, r);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
		return 0;
	handshake_reason(c);
	return -EPROTO;
}

long tls_conn_read(struct tls_conn *c, uint8_t *p, size_t n)
{
	int r, e;

	if (n == 0)
		return 0;
	ERR_clear_error();
	r = SSL_read(c->ssl, p, n > INT32_MAX ? INT32_MAX : (int)n);
	if (r > 0)
		return r;
	e = SSL_get_error(c->ssl, r);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
		return 0;
	if (e == SSL_ERROR_ZERO_RETURN) {
		snprintf(c->error, sizeof c->error, "peer closed the TLS session");
		return -EPIPE;
	}
	ssl_reason(c->error, sizeof c->error, "TLS read failed");
	return -EPROTO;
}

int tls_conn_write(struct tls_conn *c, const void *p, size_t n)
{
	size_t done = 0;

	ERR_clear_error();
	while (done < n) {
		size_t chunk = n - done > INT32_MAX ? INT32_MAX : n - done;
		int r = SSL_write(c->ssl, (const uint8_t *)p + done, (int)chunk);
		if (r <= 0) {
			ssl_reason(c->error, sizeof c->error, "TLS write failed");
			return -EPROTO;
		}
		done += (size_t)r;
	}
	return 0;
}

int tls_conn_output(struct tls_conn *c, struct buf *out)
{
	size_t pending = BIO_ctrl_pending(c->wbio);
	int err;

	if (!pending)
		return 0;
	err = buf_reserve(out, pending);
	if (err)
		return err;
	if (BIO_read(c->wbio, out->data + out->len, (int)pending) != (int)pending)
		return -EIO;
	out->len += pending;
	return 0;
}

bool tls_conn_peer_is(const struct tls_conn *c, const char *name)
{
	X509 *cert = SSL_get0_peer_certificate(c->ssl);
	GENERAL_NAMES *sans;
	char cn[256];
	bool found = false;

	if (!cert || SSL_get_verify_result(c->ssl) != X509_V_OK)
		return false;
	sans = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	for (int i = 0; sans && i < sk_GENERAL_NAME_num(sans) && !found; i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(sans, i);
		const unsigned char *d;
		int len;

		if (g->type != GEN_DNS)
			continue;
		d = ASN1_STRING_get0_data(g->d.dNSName);
		len = ASN1_STRING_length(g->d.dNSName);
		found = len == (int)strlen(name) && !strncasecmp((const char *)d, name, (size_t)len);
	}
	GENERAL_NAMES_free(sans);
	if (found)
		return true;
	tls_conn_peer_cn(c, cn, sizeof cn);
	return cn[0] && !strcmp(cn, name);
}

int tls_conn_recheck(struct tls_conn *c, struct tls_ctx *t)
{
	X509 *cert = c->established ? SSL_get0_peer_certificate(c->ssl) : NULL;
	X509_STORE_CTX *vc;
	int ok;

	if (!cert) {
		snprintf(c->error, sizeof c->error, "no verified peer certificate");
		return -EACCES;
	}
	vc = X509_STORE_CTX_new();
	if (!vc || !X509_STORE_CTX_init(vc, SSL_CTX_get_cert_store(t->ssl), cert,
					 SSL_get_peer_cert_chain(c->ssl))) {
		X509_STORE_CTX_free(vc);
		ERR_clear_error();
		return -ENOMEM;
	}
	/* the same purpose the handshake checked: the peer's role */
	X509_STORE_CTX_set_purpose(vc, t->server ? X509_PURPOSE_SSL_CLIENT : X509_PURPOSE_SSL_SERVER);
	X509_STORE_CTX_set_depth(vc, SSL_CTX_get_verify_depth(t->ssl));
	ok = X509_verify_cert(vc);
	if (ok != 1)
		snprintf(c->error, sizeof c->error, "%s",
			 X509_verify_cert_error_string(X509_STORE_CTX_get_error(vc)));
	X509_STORE_CTX_free(vc);
	ERR_clear_error();
	return ok == 1 ? 0 : -EACCES;
}

void tls_conn_peer_cn(const struct tls_conn *c, char *out, size_t len)
{
	X509 *cert = SSL_get0_peer_certificate(c->ssl);
	int n;

	out[0] = '\0';
	if (!cert)
		return;
	n = X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, out, (int)len);
	if (n < 0 || (size_t)n != strlen(out))
		out[0] = '\0'; /* absent, or with an embedded NUL: no name */
}
