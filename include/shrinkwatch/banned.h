/*
 * banned.h - C library functions shrinkwatch does not call, as git bans them.
 *
 * Each name below is a function that overflows a buffer when a length is
 * wrong (strcpy, sprintf...), leaves a string without its NUL (strncpy),
 * returns a static buffer another thread may overwrite (gmtime, ctime...),
 * keeps hidden state between calls or merges empty fields without a word
 * (strtok), or cannot report a bad number (atoi).  A call to one of them
 * stops the build with a message that names what to use instead, so none
 * of them can come back unnoticed.
 *
 * Every .c file in lib/, agent/, detect/, ctl/ and collector/ includes this
 * header as its last #include; tests/layout/check-banned says which file
 * does not.  It must come last: the macros are function-like, so they
 * would break the system headers' own declarations of these functions if a
 * system header were read after them.  Being function-like, they match only
 * a call, "ctime(": a struct member named ctime (agent/scan_cache.h) is
 * left alone.  Taking a banned function's address is not caught, as in
 * git.
 */
#ifndef SHRINKWATCH_BANNED_H
#define SHRINKWATCH_BANNED_H

/* The build stops at the call with msg (GCC and clang both know the
 * pragma).  What is left of the call is an int that is no statement
 * without effect, so no second error, for a call in a statement or in an
 * expression, hides the first. */
#define SW_BANNED__PRAGMA(x) _Pragma(#x)
#define SW_BANNED(msg) (SW_BANNED__PRAGMA(GCC error msg) __extension__({ 0; }))

/* Strings: an unchecked copy or append. */
#undef strcpy
#define strcpy(...) \
	SW_BANNED("strcpy() is banned: use snprintf(), or memcpy() with a checked length")
#undef strcat
#define strcat(...) SW_BANNED("strcat() is banned: use snprintf() at an offset, or a struct buf")
#undef strncpy
#define strncpy(...) \
	SW_BANNED("strncpy() is banned (it may leave no NUL): use memcpy() with strnlen()")
#undef strncat
#define strncat(...) SW_BANNED("strncat() is banned: use snprintf() at an offset, or a struct buf")
#undef sprintf
#define sprintf(...) \
	SW_BANNED("sprintf() is banned: use snprintf(), or buf_printf() on a struct buf")
#undef vsprintf
#define vsprintf(...) SW_BANNED("vsprintf() is banned: use vsnprintf()")

/* Time: a static struct tm or string another thread may overwrite. */
#undef gmtime
#define gmtime(...) SW_BANNED("gmtime() is banned: use gmtime_r()")
#undef localtime
#define localtime(...) \
	SW_BANNED("localtime() is banned: use gmtime_r() (we write UTC) or localtime_r()")
#undef ctime
#define ctime(...) SW_BANNED("ctime() is banned: use strftime() on gmtime_r()")
#undef ctime_r
#define ctime_r(...) SW_BANNED("ctime_r() is banned: use strftime() on gmtime_r()")
#undef asctime
#define asctime(...) SW_BANNED("asctime() is banned: use strftime() on gmtime_r()")
#undef asctime_r
#define asctime_r(...) SW_BANNED("asctime_r() is banned: use strftime() on gmtime_r()")

/* Tokens: hidden state, and runs of separators silently taken as one. */
#undef strtok
#define strtok(...) SW_BANNED("strtok() is banned: use strsep() and say what an empty field means")
#undef strtok_r
#define strtok_r(...) \
	SW_BANNED("strtok_r() is banned: use strsep() and say what an empty field means")

/* Numbers: no way to tell "0" from garbage or an overflow. */
#undef atoi
#define atoi(...) \
	SW_BANNED("atoi() is banned: use parse_u64() or strtol() with errno and the end pointer")
#undef atol
#define atol(...) \
	SW_BANNED("atol() is banned: use parse_u64() or strtol() with errno and the end pointer")
#undef atoll
#define atoll(...) \
	SW_BANNED("atoll() is banned: use parse_u64() or strtoll() with errno and the end pointer")
#undef atof
#define atof(...) SW_BANNED("atof() is banned: use strtod() with errno and the end pointer")

/* Files: a name another process can take between the choice and the open. */
#undef mktemp
#define mktemp(...) SW_BANNED("mktemp() is banned: use mkstemp() or mkdtemp()")
#undef tmpnam
#define tmpnam(...) SW_BANNED("tmpnam() is banned: use mkstemp() or mkdtemp()")
#undef tempnam
#define tempnam(...) SW_BANNED("tempnam() is banned: use mkstemp() or mkdtemp()")

#endif
