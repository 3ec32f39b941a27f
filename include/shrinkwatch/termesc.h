/*
 * termesc.h - text from the wire, made safe for an operator's terminal.
 *
 * A deleting program's path, a store name in an answer, an audit comment:
 * anything a collector answers with may have been chosen by whoever controls
 * an agent or a file name on an evidence server.  Printed raw, an ESC
 * sequence in it could move the cursor, recolour or rewrite the lines the
 * operator reads (for example the culprit of an alert).  Every string
 * shrinkwatchctl prints for people goes through term_escape(), the way ls(1)
 * and systemctl(1) show such names: C0 controls, DEL, C1 controls
 * (U+0080-U+009F) and bytes that are not valid UTF-8 are written as
 * backslash escapes, and a backslash itself as "\\", so the output is
 * unambiguous.  Printable UTF-8 (accents, CJK) is kept as it is.
 */
#ifndef SHRINKWATCH_TERMESC_H
#define SHRINKWATCH_TERMESC_H

#include <stddef.h>
#include <stdio.h>

/*
 * Writes in (len bytes, NULs included, which are escaped too) into out
 * (outlen bytes, NUL-terminated) with every control character and invalid
 * byte escaped: \a \b \t \n \v \f \r, \e for ESC, \\ for a backslash,
 * \xHH for any other C0 byte, DEL and each byte of an invalid UTF-8
 * sequence, and \u0080..\u009f for a C1 control.  An escape that does not
 * fit is left out whole (never half an escape), and the output then ends
 * in "..." when there is room for it.  Returns out.
 */
char *term_escape_n(const char *in, size_t len, char *out, size_t outlen);

/* term_escape_n() of a NUL-terminated string. */
char *term_escape(const char *in, char *out, size_t outlen);

/* Writes s to f through term_escape(), whatever its length (the escaped
 * copy is allocated and freed here).  Returns what fputs() does. */
int term_fputs(const char *s, FILE *f);

/* Bytes term_escape() may need for n input bytes (each may become \xHH),
 * terminating NUL included. */
#define TERM_ESCAPE_MAX(n) (4 * (n) + 1)

#endif
