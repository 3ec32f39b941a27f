/*
 * ops.h - shrinkwatchctl's operator commands, through the control socket:
 * status, alerts, ack, explain, explanations, revoke, audit.
 * Each takes (argc, argv) with argv[0] its own name (see main.c).
 */
#ifndef SHRINKWATCH_CTL_OPS_H
#define SHRINKWATCH_CTL_OPS_H

int ctl_status_main(int argc, char **argv);
int ctl_alerts_main(int argc, char **argv);
int ctl_ack_main(int argc, char **argv);
int ctl_explain_main(int argc, char **argv);
int ctl_explanations_main(int argc, char **argv);
/* deletions [AGENT [STORE]]: the agents' deletion reports (collector/alerts/deletion_reports.h). */
int ctl_deletions_main(int argc, char **argv);
int ctl_revoke_main(int argc, char **argv);
int ctl_audit_main(int argc, char **argv);

#endif
