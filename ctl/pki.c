/* pki.c - `shrinkwatchctl pki init|issue` (see pki.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pki.h"
#include "shrinkwatch/banned.h"

#define PKI_DEFAULT_DIR "/etc/shrinkwatch/pki"
#define PKI_MAX_SANS 16

static void ossl_fail(const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[256] = "";

	if (e)
		ERR_error_string_n(e, buf, sizeof buf);
	fprintf(stderr, "shrinkwatchctl: pki: %s%s%s\n", what, buf[0] ? ": " : "", buf);
}

/* Opens path for writing only if it does not exist yet. */
static FILE *create_new(const char *path, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	FILE *f;

	if (fd < 0) {
		fprintf(stderr, "shrinkwatchctl: pki: cannot create '%s': %s%s\n", path,
			strerror(errno), errno == EEXIST ? " (refusing to overwrite)" : "");
		return NULL;
	}
	f = fdopen(fd, "w");
	if (!f)
		close(fd);
	return f;
}

static int write_key(const char *path, EVP_PKEY *key)
{
	FILE *f = create_new(path, 0600);
	int ok;

	if (!f)
		return -1;
	ok = PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
	if (fclose(f) || !ok) {
		ossl_fail("cannot write the key");
		unlink(path);
		return -1;
	}
	return 0;
}

static int write_cert(const char *path, X509 *x)
{
	FILE *f = create_new(path, 0644);
	int ok;

	if (!f)
		return -1;
	ok = PEM_write_X509(f, x);
	if (fclose(f) || !ok) {
		ossl_fail("cannot write the certificate");
		unlink(path);
		return -1;
	}
	return 0;
}

static int add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *e;
	int ok;

	X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (!e)
		return -1;
	ok = X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	return ok ? 0 : -1;
}

/* An unsigned certificate for key named cn, valid for days, issued by ca
 * (by itself if ca is NULL); the caller adds extensions and signs it. */
static X509 *make_cert(EVP_PKEY *key, const char *cn, long days, X509 *ca)
{
	X509 *x = X509_new();
	X509_NAME *name;
	unsigned char serial[16];
	BIGNUM *bn = NULL;

	if (!x || RAND_bytes(serial, sizeof serial) != 1)
		goto fail;
	serial[0] &= 0x7f; /* a positive serial */
	bn = BN_bin2bn(serial, sizeof serial, NULL);
	if (!bn || !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)))
		goto fail;
	X509_set_version(x, 2);
	/* an hour of slack for clocks slightly behind */
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), days * 86400L);
	name = X509_get_subject_name(x);
	if (!X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, (const unsigned char *)"shrinkwatch",
					-1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1,
					-1, 0))
		goto fail;
	if (!X509_set_issuer_name(x, ca ? X509_get_subject_name(ca) : name) ||
	    !X509_set_pubkey(x, key))
		goto fail;
	if (add_ext(x, ca, NID_subject_key_identifier, "hash"))
		goto fail;
	if (ca && add_ext(x, ca, NID_authority_key_identifier, "keyid:always"))
		goto fail;
	BN_free(bn);
	return x;
fail:
	BN_free(bn);
	X509_free(x);
	return NULL;
}

static int cmd_init(const char *dir)
{
	char kpath[PATH_MAX], cpath[PATH_MAX];
	EVP_PKEY *key = NULL;
	X509 *x = NULL;
	int rc = 1;

	if (mkdir(dir, 0750) && errno != EEXIST) {
		fprintf(stderr, "shrinkwatchctl: pki: cannot create '%s': %s\n", dir, strerror(errno));
		return 1;
	}
	snprintf(kpath, sizeof kpath, "%s/ca.key", dir);
	snprintf(cpath, sizeof cpath, "%s/ca.crt", dir);
	if (access(kpath, F_OK) == 0 || access(cpath, F_OK) == 0) {
		fprintf(stderr, "shrinkwatchctl: pki: '%s' already holds a CA; refusing to "
				"overwrite it\n", dir);
		return 1;
	}
	key = EVP_EC_gen("P-256");
	if (!key) {
		ossl_fail("cannot generate a key");
		goto out;
	}
	x = make_cert(key, "shrinkwatch CA", 3650, NULL);
	if (!x || add_ext(x, NULL, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") ||
	    add_ext(x, NULL, NID_key_usage, "critical,keyCertSign,cRLSign") ||
	    !X509_sign(x, key, EVP_sha256())) {
		ossl_fail("cannot make the CA certificate");
		goto out;
	}
	if (write_key(kpath, key) || write_cert(cpath, x))
		goto out;
	printf("CA created: %s (keep ca.key offline or at least private), %s\n", kpath, cpath);
	rc = 0;
out:
	EVP_PKEY_free(key);
	X509_free(x);
	return rc;
}

/* Opens the PEM file path for reading, or says why it cannot. */
static FILE *open_pem(const char *path)
{
	FILE *f = fopen(path, "r");

	if (!f)
		fprintf(stderr, "shrinkwatchctl: pki: cannot open '%s': %s\n", path, strerror(errno));
	return f;
}

/* Says which file held no readable PEM object, with OpenSSL's reason. */
static void pem_fail(const char *path)
{
	char what[PATH_MAX + 32];

	snprintf(what, sizeof what, "cannot read '%s'", path);
	ossl_fail(what);
}

static EVP_PKEY *load_key(const char *path)
{
	FILE *f = open_pem(path);
	EVP_PKEY *k;

	if (!f)
		return NULL;
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (!k)
		pem_fail(path);
	return k;
}

static X509 *load_cert(const char *path)
{
	FILE *f = open_pem(path);
	X509 *x;

	if (!f)
		return NULL;
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (!x)
		pem_fail(path);
	return x;
}

/* Loads the CA of dir (DIR/ca.key, then DIR/ca.crt) into *key and *cert,
 * which issuing and revoking both sign with.  Returns 0, or -1 with both
 * NULL once stderr says which file could not be read; the caller frees
 * both. */
static int load_ca(const char *dir, EVP_PKEY **key, X509 **cert)
{
	char path[PATH_MAX];

	snprintf(path, sizeof path, "%s/ca.key", dir);
	*key = load_key(path);
	snprintf(path, sizeof path, "%s/ca.crt", dir);
	*cert = *key ? load_cert(path) : NULL;
	if (!*cert) {
		EVP_PKEY_free(*key);
		*key = NULL;
		return -1;
	}
	return 0;
}

static int is_ip(const char *s)
{
	unsigned char b[16];

	return inet_pton(AF_INET, s, b) == 1 || inet_pton(AF_INET6, s, b) == 1;
}

/* Names fit for a file and a certificate: the agent-name alphabet plus ':'
 * for IPv6 addresses. */
static int name_ok(const char *s)
{
	if (!s[0] || strlen(s) > 64 || s[0] == '.' || s[0] == '-')
		return 0;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-:") ==
	       strlen(s);
}

static int cmd_issue(const char *dir, const char *name, int server, long days, char **sans,
		     size_t nsans)
{
	char kpath[PATH_MAX], cpath[PATH_MAX], san[2048];
	EVP_PKEY *ca_key = NULL, *key = NULL;
	X509 *ca = NULL, *x = NULL;
	size_t used;
	int rc = 1;

	if (!name_ok(name)) {
		fprintf(stderr, "shrinkwatchctl: pki: '%s' is not a valid name\n", name);
		return 2;
	}
	if (load_ca(dir, &ca_key, &ca))
		goto out;
	used = (size_t)snprintf(san, sizeof san, "%s:%s", is_ip(name) ? "IP" : "DNS", name);
	for (size_t i = 0; i < nsans && used < sizeof san; i++)
		used += (size_t)snprintf(san + used, sizeof san - used, ",%s", sans[i]);
	if (used >= sizeof san) {
		fprintf(stderr, "shrinkwatchctl: pki: too many names\n");
		goto out;
	}
	key = EVP_EC_gen("P-256");
	if (!key) {
		ossl_fail("cannot generate a key");
		goto out;
	}
	x = make_cert(key, name, days, ca);
	if (!x || add_ext(x, ca, NID_basic_constraints, "critical,CA:FALSE") ||
	    add_ext(x, ca, NID_key_usage, "critical,digitalSignature") ||
	    add_ext(x, ca, NID_ext_key_usage, server ? "serverAuth" : "clientAuth") ||
	    add_ext(x, ca, NID_subject_alt_name, san) || !X509_sign(x, ca_key, EVP_sha256())) {
		ossl_fail("cannot make the certificate (is every --ip/--dns valid?)");
		goto out;
	}
	snprintf(kpath, sizeof kpath, "%s/%s.key", dir, name);
	snprintf(cpath, sizeof cpath, "%s/%s.crt", dir, name);
	if (write_key(kpath, key))
		goto out;
	if (write_cert(cpath, x)) {
		unlink(kpath);
		goto out;
	}
	printf("%s certificate for '%s' (%s): %s, key %s, valid %ld days\n",
	       server ? "collector" : "agent", name, san, cpath, kpath, days);
	rc = 0;
out:
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(key);
	X509_free(ca);
	X509_free(x);
	return rc;
}

/* Adds the certificate DIR/NAME.crt to DIR/crl.pem (made if absent) and
 * signs the list again.  The list is valid ten years, as long as the CA: an
 * expired list would make every peer fail verification. */
static int cmd_revoke(const char *dir, const char *name)
{
	char cpath[PATH_MAX], crlpath[PATH_MAX], tmp[PATH_MAX + 8];
	EVP_PKEY *ca_key = NULL;
	X509 *ca = NULL, *victim = NULL;
	X509_CRL *crl = NULL;
	X509_REVOKED *rev = NULL;
	ASN1_TIME *t = NULL;
	FILE *f;
	int rc = 1;

	if (!name_ok(name)) {
		fprintf(stderr, "shrinkwatchctl: pki: '%s' is not a valid name\n", name);
		return 2;
	}
	snprintf(crlpath, sizeof crlpath, "%s/crl.pem", dir);
	if (load_ca(dir, &ca_key, &ca))
		goto out;
	snprintf(cpath, sizeof cpath, "%s/%s.crt", dir, name);
	victim = load_cert(cpath);
	if (!victim)
		goto out;
	f = fopen(crlpath, "r");
	if (f) {
		crl = PEM_read_X509_CRL(f, NULL, NULL, NULL);
		fclose(f);
		if (!crl) {
			pem_fail(crlpath);
			goto out;
		}
	} else {
		crl = X509_CRL_new();
		if (!crl || !X509_CRL_set_version(crl, 1) ||
		    !X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca)))
			goto fail;
	}
	t = X509_gmtime_adj(NULL, 0);
	rev = X509_REVOKED_new();
	if (!t || !rev || !X509_REVOKED_set_serialNumber(rev, X509_get_serialNumber(victim)) ||
	    !X509_REVOKED_set_revocationDate(rev, t) || !X509_CRL_add0_revoked(crl, rev))
		goto fail;
	rev = NULL; /* the list owns it */
	if (!X509_CRL_set1_lastUpdate(crl, t) || !X509_gmtime_adj(t, 3650L * 86400) ||
	    !X509_CRL_set1_nextUpdate(crl, t) || !X509_CRL_sort(crl) ||
	    !X509_CRL_sign(crl, ca_key, EVP_sha256()))
		goto fail;
	snprintf(tmp, sizeof tmp, "%s.tmp", crlpath);
	unlink(tmp);
	f = create_new(tmp, 0644);
	if (!f)
		goto out;
	if (!PEM_write_X509_CRL(f, crl) || fclose(f) || rename(tmp, crlpath)) {
		ossl_fail("cannot write crl.pem");
		unlink(tmp);
		goto out;
	}
	printf("revoked '%s' (%s) in %s; copy it to every collector (tls_crl) and reload "
	       "them\n", name, cpath, crlpath);
	rc = 0;
	goto out;
fail:
	ossl_fail("cannot make the revocation list");
out:
	X509_REVOKED_free(rev);
	ASN1_TIME_free(t);
	X509_CRL_free(crl);
	EVP_PKEY_free(ca_key);
	X509_free(ca);
	X509_free(victim);
	return rc;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: shrinkwatchctl pki init DIR\n"
		   "       shrinkwatchctl pki issue NAME [--server] [--dir DIR] [--days N]\n"
		   "                              [--ip ADDR]... [--dns NAME]...\n"
		   "       shrinkwatchctl pki revoke NAME [--dir DIR]\n\n"
		   "init makes a CA in DIR (ca.key, ca.crt).  issue makes NAME.key and NAME.crt\n"
		   "in DIR (default %s), signed by its CA: for an agent, NAME is\n"
		   "the agent's name; with --server, NAME is the collector's address as agents\n"
		   "dial it (--ip/--dns add more).  Keys are EC P-256; nothing is overwritten.\n"
		   "revoke adds NAME.crt to DIR/crl.pem, for the daemons' tls_crl.\n",
		PKI_DEFAULT_DIR);
}

int ctl_pki_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "server", no_argument, NULL, 's' }, { "dir", required_argument, NULL, 'd' },
		{ "days", required_argument, NULL, 'D' }, { "ip", required_argument, NULL, 'i' },
		{ "dns", required_argument, NULL, 'n' }, { "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	char *sans[PKI_MAX_SANS], sanbuf[PKI_MAX_SANS][300];
	const char *dir = getenv("SHRINKWATCH_PKI") ? getenv("SHRINKWATCH_PKI") : PKI_DEFAULT_DIR;
	size_t nsans = 0;
	long days = 825;
	int c, server = 0, rc;
	char *end;

	while ((c = getopt_long(argc, argv, "sd:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			server = 1;
			break;
		case 'd':
			dir = optarg;
			break;
		case 'D':
			days = strtol(optarg, &end, 10);
			if (*end || days < 1 || days > 36500) {
				fprintf(stderr, "shrinkwatchctl: pki: --days wants 1..36500\n");
				return 2;
			}
			break;
		case 'i':
		case 'n':
			if (nsans == PKI_MAX_SANS || strlen(optarg) > 250) {
				fprintf(stderr, "shrinkwatchctl: pki: too many or too long names\n");
				return 2;
			}
			snprintf(sanbuf[nsans], sizeof sanbuf[nsans], "%s:%s", c == 'i' ? "IP" : "DNS",
				 optarg);
			sans[nsans] = sanbuf[nsans];
			nsans++;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (argc - optind == 2 && !strcmp(argv[optind], "init"))
		rc = cmd_init(argv[optind + 1]);
	else if (argc - optind == 2 && !strcmp(argv[optind], "revoke"))
		rc = cmd_revoke(dir, argv[optind + 1]);
	else if (argc - optind == 2 && !strcmp(argv[optind], "issue"))
		rc = cmd_issue(dir, argv[optind + 1], server, days, sans, nsans);
	else {
		usage(stderr);
		rc = 2;
	}
	return rc;
}
