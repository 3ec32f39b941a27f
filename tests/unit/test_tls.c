/* test_tls.c - mutual TLS over memory BIOs, with certificates made by
 * `shrinkwatchctl pki`: two ends paired in memory complete a handshake and
 * carry data; the agent's name is checked against its certificate; another
 * CA's certificate, a revoked one and a collector certificate for another
 * address fail;
 * insecure = yes is only accepted on loopback. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <getopt.h>
#include <sys/stat.h>

#include "shrinkwatch/log.h"
#include "shrinkwatch/tls.h"
#include "pki_testutil.h"
#include "testutil.h"

static char dir[128];

static int setup(void **state)
{
	char sub[200];
	(void)state;

	tu_mkdtemp(dir, sizeof dir);
	snprintf(sub, sizeof sub, "%s/pki", dir);
	if (tu_pki_two_cas(dir))
		return -1;
	/* nothing is overwritten */
	return tu_pki("issue", "it01", "--dir", sub, NULL) == 0 ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	tu_rmrf(dir);
	return 0;
}

/* Moves bytes both ways until both ends are established or one fails.
 * Returns 0, or -1 with the failing end's error in why. */
static int pair(struct tls_conn *cl, struct tls_conn *sv, char *why, size_t len)
{
	for (int round = 0; round < 20; round++) {
		struct buf b;
		int rc = tls_conn_handshake(cl), rs;

		buf_init(&b, 1 << 20);
		assert_int_equal(tls_conn_output(cl, &b), 0);
		assert_int_equal(tls_conn_feed(sv, b.data, b.len), 0);
		b.len = 0;
		rs = tls_conn_handshake(sv);
		assert_int_equal(tls_conn_output(sv, &b), 0);
		assert_int_equal(tls_conn_feed(cl, b.data, b.len), 0);
		buf_release(&b);
		if (rc < 0 || rs < 0) {
			snprintf(why, len, "%s", rc < 0 ? cl->error : sv->error);
			return -1;
		}
		if (rc == 1 && rs == 1) {
			/* with TLS 1.3 the client finishes first; a server that
			 * refused the client's certificate says so on its next
			 * read, as it does in the collector */
			uint8_t x[1];
			if (tls_conn_read(sv, x, 1) < 0) {
				snprintf(why, len, "%s", sv->error);
				return -1;
			}
			return 0;
		}
	}
	snprintf(why, len, "no progress");
	return -1;
}

static void test_handshake_and_names(void **state)
{
	struct tls_ctx *s = tu_tls_ctx(dir, "pki", "127.0.0.1", true),
		       *c = tu_tls_ctx(dir, "pki", "it01", false);
	struct tls_conn cl, sv;
	uint8_t got[64];
	struct buf b;
	char why[800], cn[64];
	(void)state;

	assert_int_equal(tls_conn_init(&cl, c, "127.0.0.1"), 0);
	assert_int_equal(tls_conn_init(&sv, s, NULL), 0);
	if (pair(&cl, &sv, why, sizeof why))
		fail_msg("handshake: %s", why);
	assert_true(tls_conn_peer_is(&sv, "it01"));
	assert_false(tls_conn_peer_is(&sv, "it02"));
	assert_false(tls_conn_peer_is(&sv, "it0"));
	tls_conn_peer_cn(&sv, cn, sizeof cn);
	assert_string_equal(cn, "it01");
	/* data both ways */
	assert_int_equal(tls_conn_write(&cl, "hello, collector", 16), 0);
	buf_init(&b, 1 << 20);
	assert_int_equal(tls_conn_output(&cl, &b), 0);
	assert_true(b.len > 16);
	assert_null(memmem(b.data, b.len, "hello", 5)); /* not in the clear */
	assert_int_equal(tls_conn_feed(&sv, b.data, b.len), 0);
	buf_release(&b);
	assert_int_equal(tls_conn_read(&sv, got, sizeof got), 16);
	assert_memory_equal(got, "hello, collector", 16);
	assert_int_equal(tls_conn_read(&sv, got, sizeof got), 0);
	tls_conn_release(&cl);
	tls_conn_release(&sv);
	tls_ctx_free(s);
	tls_ctx_free(c);
}

static void test_other_ca_refused(void **state)
{
	struct tls_ctx *s = tu_tls_ctx(dir, "pki", "127.0.0.1", true),
		       *c = tu_tls_ctx(dir, "other", "it01", false);
	struct tls_conn cl, sv;
	char why[800];
	(void)state;

	assert_int_equal(tls_conn_init(&cl, c, "127.0.0.1"), 0);
	assert_int_equal(tls_conn_init(&sv, s, NULL), 0);
	assert_int_equal(pair(&cl, &sv, why, sizeof why), -1);
	assert_non_null(strstr(sv.error, "certificate verify failed"));
	assert_false(tls_conn_peer_is(&sv, "it01"));
	tls_conn_release(&cl);
	tls_conn_release(&sv);
	tls_ctx_free(s);
	tls_ctx_free(c);
}

static void test_collector_name_checked(void **state)
{
	struct tls_ctx *s = tu_tls_ctx(dir, "pki", "127.0.0.1", true),
		       *c = tu_tls_ctx(dir, "pki", "it01", false);
	struct tls_conn cl, sv;
	char why[800];
	(void)state;

	/* the agent dialled 127.0.0.2: a certificate for 127.0.0.1 will not do */
	assert_int_equal(tls_conn_init(&cl, c, "127.0.0.2"), 0);
	assert_int_equal(tls_conn_init(&sv, s, NULL), 0);
	assert_int_equal(pair(&cl, &sv, why, sizeof why), -1);
	assert_non_null(strstr(cl.error, "certificate verify failed"));
	/* the agent names the address it dialled and the command that fixes it */
	assert_non_null(strstr(cl.error, "IP address mismatch"));
	assert_non_null(strstr(cl.error, "does not name '127.0.0.2'"));
	assert_non_null(strstr(cl.error, "shrinkwatchctl pki issue 127.0.0.2 --server"));
	/* the collector got the agent's alert in the same round (pair()) and
	 * says what it means */
	assert_non_null(strstr(sv.error, "the agent rejected the collector's certificate"));
	assert_non_null(strstr(sv.error, "shrinkwatchctl pki issue ADDRESS --server"));
	tls_conn_release(&cl);
	tls_conn_release(&sv);
	tls_ctx_free(s);
	tls_ctx_free(c);
}

static void test_revoked_refused(void **state)
{
	struct tls_config cfg;
	struct tls_ctx *s, *c_rev, *c_ok;
	struct tls_conn cl, sv;
	char why[800], sub[200], err[512];
	(void)state;

	snprintf(sub, sizeof sub, "%s/pki", dir);
	assert_int_equal(tu_pki("issue", "it02", "--dir", sub, NULL), 0);
	assert_int_equal(tu_pki("issue", "it03", "--dir", sub, NULL), 0);
	assert_int_equal(tu_pki("revoke", "it02", "--dir", sub, NULL), 0);
	tls_config_init(&cfg);
	snprintf(cfg.ca, sizeof cfg.ca, "%s/ca.crt", sub);
	snprintf(cfg.cert, sizeof cfg.cert, "%s/127.0.0.1.crt", sub);
	snprintf(cfg.key, sizeof cfg.key, "%s/127.0.0.1.key", sub);
	snprintf(cfg.crl, sizeof cfg.crl, "%s/crl.pem", sub);
	if (tls_ctx_new(&s, &cfg, true, err, sizeof err))
		fail_msg("server with a CRL: %s", err);
	c_rev = tu_tls_ctx(dir, "pki", "it02", false);
	c_ok = tu_tls_ctx(dir, "pki", "it03", false);

	assert_int_equal(tls_conn_init(&cl, c_rev, "127.0.0.1"), 0);
	assert_int_equal(tls_conn_init(&sv, s, NULL), 0);
	assert_int_equal(pair(&cl, &sv, why, sizeof why), -1);
	assert_non_null(strstr(sv.error, "certificate revoked"));
	tls_conn_release(&cl);
	tls_conn_release(&sv);

	assert_int_equal(tls_conn_init(&cl, c_ok, "127.0.0.1"), 0);
	assert_int_equal(tls_conn_init(&sv, s, NULL), 0);
	if (pair(&cl, &sv, why, sizeof why))
		fail_msg("a certificate not on the list: %s", why);
	assert_true(tls_conn_peer_is(&sv, "it03"));
	tls_conn_release(&cl);
	tls_conn_release(&sv);
	tls_ctx_free(s);
	tls_ctx_free(c_rev);
	tls_ctx_free(c_ok);
}

static void test_config_rules(void **state)
{
	struct tls_config c;
	char err[400];
	(void)state;

	tls_config_init(&c);
	assert_int_equal(tls_config_check(&c, "127.0.0.1", err, sizeof err), -1);
	assert_non_null(strstr(err, "tls_ca"));
	assert_int_equal(tls_config_key(&c, "insecure", "yes", err, sizeof err), 1);
	assert_int_equal(tls_config_check(&c, "127.0.0.1", err, sizeof err), 0);
	assert_int_equal(tls_config_check(&c, "::1", err, sizeof err), 0);
	assert_true(tls_host_is_loopback("::ffff:127.0.0.1"));
	assert_false(tls_host_is_loopback("::ffff:10.0.0.1"));
	assert_false(tls_host_is_loopback("128.0.0.1"));
	assert_int_equal(tls_config_check(&c, "10.1.2.3", err, sizeof err), -1);
	assert_non_null(strstr(err, "loopback"));
	assert_int_equal(tls_config_check(&c, "0.0.0.0", err, sizeof err), -1);
	assert_int_equal(tls_config_key(&c, "insecure", "yes", err, sizeof err), -1);
	assert_int_equal(tls_config_key(&c, "tls_min_version", "1.1", err, sizeof err), -1);
	assert_int_equal(tls_config_key(&c, "tls_ca", "relative.crt", err, sizeof err), -1);
	assert_int_equal(tls_config_key(&c, "listen", "x", err, sizeof err), 0);
}

/* A private key others can read is named, with the command that fixes it;
 * pki's own 0600 key is not. */
static void test_exposed_key_warned(void **state)
{
	char key[300], why[1024];
	(void)state;

	snprintf(key, sizeof key, "%s/pki/it01.key", dir);
	why[0] = '\0';
	assert_int_equal(tls_key_file_exposed(key, why, sizeof why), 0);
	assert_int_equal(chmod(key, 0644), 0);
	assert_int_equal(tls_key_file_exposed(key, why, sizeof why), 1);
	assert_non_null(strstr(why, "readable by every user"));
	assert_non_null(strstr(why, "chmod 600"));
	assert_non_null(strstr(why, key));
	assert_int_equal(chmod(key, 0640), 0);
	assert_int_equal(tls_key_file_exposed(key, why, sizeof why), 1);
	assert_non_null(strstr(why, "readable by group"));
	assert_int_equal(chmod(key, 0600), 0);
	assert_int_equal(tls_key_file_exposed(key, why, sizeof why), 0);
	snprintf(key, sizeof key, "%s/pki/none.key", dir);
	assert_int_equal(tls_key_file_exposed(key, why, sizeof why), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handshake_and_names),
		cmocka_unit_test(test_other_ca_refused),
		cmocka_unit_test(test_collector_name_checked),
		cmocka_unit_test(test_revoked_refused),
		cmocka_unit_test(test_config_rules),
		cmocka_unit_test(test_exposed_key_warned),
	};

	log_init("test_tls", LOG_WARNING);
	log_force_stderr(true);
	return cmocka_run_group_tests(tests, setup, teardown);
}
