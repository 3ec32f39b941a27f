/*
 * copies.h - shrinkwatchctl copies and copy-check.
 *
 * `copies` lists every copy relation the collector checks, with its state
 * (complete / N missing / N differing / unknown, since when).  `copy-check`
 * asks the collector to compare a relation now with names (an audited
 * administrator's request with a required --reason: paths leave the
 * evidence server only so), waits for it and prints the items that are
 * missing or differ at the destination; with --source/--destination it
 * checks a pair that has no [copy] section (a migration in progress).
 */
#ifndef SHRINKWATCH_CTL_COPIES_H
#define SHRINKWATCH_CTL_COPIES_H

int ctl_copies_main(int argc, char **argv);
int ctl_copy_check_main(int argc, char **argv);

#endif
