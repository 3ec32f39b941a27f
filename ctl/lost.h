/*
 * lost.h - shrinkwatchctl lost: which items a loss removed (docs/control.md).
 *
 *   lost ALERT_ID --reason TEXT [--all] [--refresh] [--json | --csv]
 *   lost --from T --to T AGENT/STORE --reason TEXT [--json | --csv]
 *
 * Asks the collector for the inventory (administrators only, audited with
 * the reason), waits while the collector fetches it from the agent, then
 * pages through it and prints it grouped by directory, largest first.
 */
#ifndef SHRINKWATCH_CTL_LOST_H
#define SHRINKWATCH_CTL_LOST_H

int ctl_lost_main(int argc, char **argv);

#endif
