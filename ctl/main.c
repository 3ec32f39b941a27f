/*
 * main.c - shrinkwatchctl, the operator tool: a table of subcommands.
 *
 * Each subcommand is a function taking (argc, argv) with argv[0] its own
 * name, so it parses its options independently.  Adding one is one line in
 * the table below and a header for its *_main().
 */
#include <stdio.h>
#include <string.h>

#include "client.h"
#include "copies.h"
#include "lost.h"
#include "ops.h"
#include "pki.h"
#include "replay.h"
#include "shrinkwatch/version.h"
#include "shrinkwatch/banned.h"

struct ctl_command {
	const char *name;
	int (*main)(int argc, char **argv);
	const char *help;
};

static const struct ctl_command commands[] = {
	{ "replay", ctl_replay_main, "feed a trace through the detector, print alerts as JSON" },
	/* operator commands, through the collector's control socket */
	{ "status", ctl_status_main, "agents, stores, last sample age, totals, state" },
	{ "alerts", ctl_alerts_main, "open alerts (--all: every alert)" },
	{ "ack", ctl_ack_main,
	  "acknowledge an alert: ack ID [--not-a-loss] --comment TEXT" },
	{ "explain", ctl_explain_main, "declare a deletion, ahead or for an alert" },
	{ "explanations", ctl_explanations_main, "active declared deletions (--all: every one)" },
	{ "revoke", ctl_revoke_main, "revoke an explanation: revoke ID --reason TEXT" },
	{ "audit", ctl_audit_main, "the audit log (--since T)" },
	{ "deletions", ctl_deletions_main, "who deleted what: deletions [AGENT [STORE]]" },
	{ "lost", ctl_lost_main, "which items a loss removed: lost ALERT_ID --reason TEXT" },
	{ "copies", ctl_copies_main, "copy relations: complete, N missing, N differing, since" },
	{ "copy-check", ctl_copy_check_main, "items not (the same) at a copy: NAME --reason TEXT" },
	{ "pki", ctl_pki_main, "make a CA and agent/collector certificates for mutual TLS" },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: shrinkwatchctl [--help] [--version] COMMAND [ARGS...]\n\ncommands:\n");
	for (i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(f, "  %-13s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\nRun 'shrinkwatchctl COMMAND --help' for a command's options.\n");
}

int main(int argc, char **argv)
{
	size_t i;

	/* operator commands: --socket/--json may precede the command (ops.c) */
	ctl_hoist_globals(argc, argv);
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("shrinkwatchctl %s\n", SHRINKWATCH_VERSION);
		return 0;
	}
	for (i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].main(argc - 1, argv + 1);
	fprintf(stderr, "shrinkwatchctl: unknown command '%s' (try --help)\n", argv[1]);
	return 2;
}
