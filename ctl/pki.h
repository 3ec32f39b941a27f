/*
 * pki.h - `shrinkwatchctl pki`: a small certificate authority for the
 * agent <-> collector link, so mutual TLS takes minutes to set up.
 *
 *   pki init DIR                        DIR/ca.key, DIR/ca.crt
 *   pki issue NAME [--server] [--dir DIR] [--ip ADDR]... [--dns NAME]...
 *                                       DIR/NAME.key, DIR/NAME.crt
 *
 * Keys are EC P-256, written 0600 and never overwritten.  A certificate
 * names NAME in its subject CN and as a subjectAltName (an IP address if
 * NAME is one, else a DNS name): for an agent NAME is the agent's name (the
 * collector refuses a HELLO for any other), with extendedKeyUsage clientAuth;
 * with --server it is the collector's address as the agents dial it, with
 * serverAuth.  The CA lives ten years, certificates 825 days (--days N).
 */
#ifndef SHRINKWATCH_CTL_PKI_H
#define SHRINKWATCH_CTL_PKI_H

int ctl_pki_main(int argc, char **argv);

#endif
