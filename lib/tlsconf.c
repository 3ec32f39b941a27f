/* tlsconf.c - the TLS keys shared by both daemons' configs (see tls.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "shrinkwatch/parse.h"
#include "shrinkwatch/tls.h"
#include "shrinkwatch/banned.h"

enum { SEEN_CA = 1, SEEN_CERT = 2, SEEN_KEY = 4, SEEN_INSECURE = 8, SEEN_MINVER = 16, SEEN_CRL = 32 };

void tls_config_init(struct tls_config *c)
{
	memset(c, 0, sizeof *c);
	c->min_version = 13;
}

static int path_key(struct tls_config *c, unsigned bit, char *dst, const char *v, char *err,
		    size_t errlen)
{
	if (c->seen & bit) {
		snprintf(err, errlen, "key given twice");
		return -1;
	}
	c->seen |= bit;
	if (v[0] != '/' || strlen(v) >= PATH_MAX) {
		snprintf(err, errlen, "'%s' is not an absolute path", v);
		return -1;
	}
	snprintf(dst, PATH_MAX, "%s", v);
	return 1;
}

int tls_config_key(struct tls_config *c, const char *key, const char *v, char *err,
		   size_t errlen)
{
	bool b;

	if (!strcmp(key, "tls_ca"))
		return path_key(c, SEEN_CA, c->ca, v, err, errlen);
	if (!strcmp(key, "tls_cert"))
		return path_key(c, SEEN_CERT, c->cert, v, err, errlen);
	if (!strcmp(key, "tls_key"))
		return path_key(c, SEEN_KEY, c->key, v, err, errlen);
	if (!strcmp(key, "tls_crl"))
		return path_key(c, SEEN_CRL, c->crl, v, err, errlen);
	if (!strcmp(key, "insecure")) {
		if (c->seen & SEEN_INSECURE) {
			snprintf(err, errlen, "key given twice");
			return -1;
		}
		c->seen |= SEEN_INSECURE;
		if (parse_bool(v, &b)) {
			snprintf(err, errlen, "'%s' is not yes or no", v);
			return -1;
		}
		c->insecure = b;
		return 1;
	}
	if (!strcmp(key, "tls_min_version")) {
		if (c->seen & SEEN_MINVER) {
			snprintf(err, errlen, "key given twice");
			return -1;
		}
		c->seen |= SEEN_MINVER;
		if (!strcmp(v, "1.3"))
			c->min_version = 13;
		else if (!strcmp(v, "1.2"))
			c->min_version = 12;
		else {
			snprintf(err, errlen, "'%s' is not 1.3 or 1.2", v);
			return -1;
		}
		return 1;
	}
	return 0;
}

bool tls_host_is_loopback(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (!strcasecmp(host, "localhost"))
		return true;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, host, &a6) == 1)
		/* ::1, or 127.x.y.z as a dual-stack socket reports it */
		return IN6_IS_ADDR_LOOPBACK(&a6) || (IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
	return false;
}

int tls_config_check(const struct tls_config *c, const char *host, char *err, size_t errlen)
{
	if (c->insecure) {
		if (!tls_host_is_loopback(host)) {
			snprintf(err, errlen, "insecure = yes is only allowed on a loopback address, "
					      "not '%s': configure tls_ca, tls_cert and tls_key", host);
			return -1;
		}
		return 0;
	}
	if (!c->ca[0] || !c->cert[0] || !c->key[0]) {
		snprintf(err, errlen, "TLS needs tls_ca, tls_cert and tls_key in [collector] "
				      "(see 'shrinkwatchctl pki'), or insecure = yes on a loopback "
				      "address");
		return -1;
	}
	return 0;
}

int tls_key_file_exposed(const char *path, char *why, size_t len)
{
	struct stat st;
	struct group *g;

	if (stat(path, &st))
		return -errno;
	if (st.st_mode & S_IROTH) {
		snprintf(why, len, "tls: private key '%s' is readable by every user (mode %04o): "
				   "anyone on this machine can act as this daemon; run 'chmod 600 %s' "
				   "(owned by the daemon's user)",
			 path, (unsigned)(st.st_mode & 07777), path);
		return 1;
	}
	if (st.st_mode & S_IRGRP) {
		g = getgrgid(st.st_gid);
		snprintf(why, len, "tls: private key '%s' is readable by group '%s' (mode %04o): "
				   "every member can act as this daemon; run 'chmod 600 %s' unless "
				   "that group holds only the daemon's user",
			 path, g ? g->gr_name : "?", (unsigned)(st.st_mode & 07777), path);
		return 1;
	}
	return 0;
}
