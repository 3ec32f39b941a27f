/*
 * notaloss.h - operator feedback: an alert was not a loss.
 *
 * `shrinkwatchctl ack ID --not-a-loss --comment TEXT` says that what an
 * alert reported was a normal event (a known surge of deletions, a new purge
 * job, an intended retention change).  The alert closes in state
 * "not-a-loss" (who, when and the comment in ack_by, ack_at, ack_comment; an
 * audit row "not-a-loss"; a notification of the new state), and the store's
 * detector learns the event through detect_not_a_loss() so the same event
 * again raises nothing for a while (docs/detection.md, "Not a loss").
 *
 * An open alert (firing or acknowledged) or one the detector resolved as
 * quiet or recovered may be called not a loss; an explained alert, a
 * silence alert (no loss: the next sample resolves it) and one already
 * called not a loss may not.  As with declared deletions, the detector's
 * state is changed on a copy and replaces the live one only after the
 * ledger committed, so the two never disagree.
 */
#ifndef SHRINKWATCH_COLLECTOR_NOTALOSS_H
#define SHRINKWATCH_COLLECTOR_NOTALOSS_H

#include <stddef.h>
#include <stdint.h>

struct watch;

/*
 * Closes alert id as not a loss, said by who with comment (required), and
 * teaches the store's detector.  0, or -ENOENT (no such alert), -EALREADY
 * (explained or not a loss already), -EINVAL (silence, or no comment),
 * -EIO (the ledger), with a message for the operator in err.
 */
int alert_not_a_loss(struct watch *w, int64_t id, const char *who, const char *comment,
		     int64_t now, char *err, size_t errlen);

#endif
