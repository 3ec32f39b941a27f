/*
 * tls.h - mutual TLS for the agent <-> collector link (OpenSSL 3).
 *
 * Both daemons verify the peer's certificate against a configured CA; the
 * collector then checks that the agent's certificate names the agent that
 * says HELLO (tls_conn_peer_is()), and the agent checks that the collector's
 * certificate names the address it dialled.  TLS 1.3 only, unless a config
 * explicitly allows 1.2.
 *
 * TLS runs over libuv without blocking the loop through memory BIOs: bytes
 * read from the socket go in with tls_conn_feed(), plaintext comes out of
 * tls_conn_read(), plaintext to send goes in with tls_conn_write(), and the
 * ciphertext for the socket comes out of tls_conn_output().  Nothing here
 * touches a socket, so the same code serves the agent's shipper and the
 * collector's sessions, and the tests can pair two ends in memory.
 *
 * The config keys, the same in both daemons' [collector] sections:
 *   tls_ca, tls_cert, tls_key   PEM files
 *   tls_crl                     revoked certificates (PEM CRL from the CA,
 *                               `shrinkwatchctl pki revoke`); optional
 *   tls_min_version             1.3 (default) or 1.2
 *   insecure = yes              plaintext; only allowed on a loopback address
 */
#ifndef SHRINKWATCH_TLS_H
#define SHRINKWATCH_TLS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shrinkwatch/buf.h"

struct tls_config {
	char ca[PATH_MAX];
	char cert[PATH_MAX];
	char key[PATH_MAX];
	char crl[PATH_MAX]; /* "" for none */
	int min_version; /* 12 or 13 */
	bool insecure;
	unsigned seen; /* keys given, so a repeated key is an error */
};

/* Defaults: no files, TLS 1.3, not insecure. */
void tls_config_init(struct tls_config *c);
/*
 * Offers one config key.  Returns 1 if it is a TLS key and was valid, 0 if it
 * is not a TLS key, -1 with a message in err if it is one but invalid or
 * given twice.
 */
int tls_config_key(struct tls_config *c, const char *key, const char *value, char *err,
		   size_t errlen);
/*
 * Checks the combination for a daemon whose peer-facing address is host:
 * TLS needs all three files; insecure = yes is refused unless host is a
 * loopback address.  0, or -1 with a message in err.
 */
int tls_config_check(const struct tls_config *c, const char *host, char *err, size_t errlen);
/* 127.0.0.0/8 (also IPv4-mapped), ::1 or "localhost". */
bool tls_host_is_loopback(const char *host);
/*
 * Whether the private key file at path can be read by other users (its group
 * or everyone): whoever reads it can act as this daemon, so both daemons warn
 * at start-up (tls_ctx_new() logs it).  1 with the warning, saying what to
 * run, in why; 0 when only its owner can read it; a negative errno when it
 * cannot be examined.
 */
int tls_key_file_exposed(const char *path, char *why, size_t len);

struct tls_ctx;

/* Loads the CA, certificate and key (checked against each other) for a
 * server (collector) or client (agent), and logs a warning if the key file is
 * readable by other users (tls_key_file_exposed()).  0, or -1 with a message
 * in err. */
int tls_ctx_new(struct tls_ctx **out, const struct tls_config *cfg, bool server, char *err,
		size_t errlen);
void tls_ctx_free(struct tls_ctx *t);

struct tls_conn {
	void *ssl; /* SSL * */
	void *rbio, *wbio;
	bool established;
	char error[768]; /* why the last call failed (with what to do, if known) */
};

/* Starts a connection.  peer_host: for a client, the name or address its
 * peer's certificate must carry (NULL for a server).  0 or -ENOMEM/-EINVAL. */
int tls_conn_init(struct tls_conn *c, struct tls_ctx *t, const char *peer_host);
void tls_conn_release(struct tls_conn *c);
/* Bytes read from the socket.  0 or -ENOMEM. */
int tls_conn_feed(struct tls_conn *c, const uint8_t *p, size_t n);
/* Advances the handshake: 1 established, 0 needs more bytes from the peer
 * (send tls_conn_output() first), -EPROTO failed (reason in c->error). */
int tls_conn_handshake(struct tls_conn *c);
/* Decrypted bytes into p (at most n): the count, 0 when no more are
 * available now, -EPIPE when the peer closed, -EPROTO on error. */
long tls_conn_read(struct tls_conn *c, uint8_t *p, size_t n);
/* Encrypts n bytes (after the handshake).  0 or -EPROTO. */
int tls_conn_write(struct tls_conn *c, const void *p, size_t n);
/* Moves the ciphertext waiting for the socket to the end of out.  0 or a
 * negative errno. */
int tls_conn_output(struct tls_conn *c, struct buf *out);
/* Whether the peer's (verified) certificate names name: its subject CN or
 * one of its DNS subject alternative names, exactly. */
bool tls_conn_peer_is(const struct tls_conn *c, const char *name);
/* Verifies the established peer's certificate again, against t's CA and
 * revocation list: after a reload, a connection made under the old ones must
 * still pass the new ones.  0, or -EACCES (reason in c->error) or -ENOMEM. */
int tls_conn_recheck(struct tls_conn *c, struct tls_ctx *t);
/* The peer certificate's subject CN (or "" if none) into out. */
void tls_conn_peer_cn(const struct tls_conn *c, char *out, size_t len);

#endif
