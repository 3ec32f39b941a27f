/*
 * copy_commands.h - the control socket's copy commands (docs/control.md).
 *
 *   copies             every relation's state from the ledger (anyone)
 *   copy_check         an administrator's check of a relation, or of a
 *                      one-shot source/destination pair, with a required
 *                      reason (audited); answers its id at once
 *   copy_check_result  the check's state and, once done, a page of its
 *                      differing items with their paths (administrators)
 *
 * commands.c keeps the one command table and the permission check; these
 * handlers get the request through struct copy_request, so they need none
 * of its internals.
 */
#ifndef SHRINKWATCH_COLLECTOR_CONTROL_COPY_COMMANDS_H
#define SHRINKWATCH_COLLECTOR_CONTROL_COPY_COMMANDS_H

#include <stddef.h>
#include <stdint.h>

#include "shrinkwatch/buf.h"
#include "shrinkwatch/jsonparse.h"

struct copies;
struct ledger;

/* Items one copy_check_result page holds at most (and by default). */
#define COPY_PAGE_MAX 5000
#define COPY_PAGE_DEFAULT 1000
/* Bytes of items one page holds at most (CONTROL_RESPONSE_MAX is 8 MB). */
#define COPY_PAGE_BYTES (4u * 1024 * 1024)

struct copy_request {
	struct copies *copies; /* NULL: copy checking not offered */
	struct ledger *ledger;
	const char *s; /* the request text and its tokens */
	const struct jsonparse_tok *toks;
	const char *who;
	int64_t now;
	struct buf *out; /* the response object is appended */
	char *err;       /* a sentence for the operator, on failure */
	size_t errlen;
};

/* Each returns 0 with {"ok":true,...} appended to out, or a negative errno
 * with a sentence in err (nothing appended). */
int copy_cmd_copies(const struct copy_request *r);
int copy_cmd_check(const struct copy_request *r);
int copy_cmd_check_result(const struct copy_request *r);

#endif
