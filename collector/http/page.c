/* page.c - page frame and formatting (see page.h). */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "page.h"
#include "shrinkwatch/html.h"
#include "shrinkwatch/version.h"
#include "shrinkwatch/banned.h"

static const char css[] =
	"body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;"
	"background:#f4f5f7;color:#1d2330;font-size:15px}"
	"header{background:#1d2f4e;color:#fff;padding:.6em 1.5em;display:flex;gap:1.5em;"
	"align-items:baseline}"
	"header a{color:#fff;text-decoration:none;font-weight:600}"
	"header span{color:#b8c4d8;font-size:.85em}"
	"main{padding:1em 1.5em;max-width:1200px}"
	"h1{font-size:1.4em;margin:.4em 0 .6em}h2{font-size:1.1em;margin:1.4em 0 .5em}"
	"table{border-collapse:collapse;background:#fff;width:100%;"
	"box-shadow:0 1px 2px rgba(0,0,0,.08)}"
	"th,td{padding:.45em .7em;text-align:left;border-bottom:1px solid #e6e8ec;"
	"vertical-align:top}"
	"th{background:#eef0f4;font-weight:600;font-size:.9em}"
	"td.n{text-align:right;font-variant-numeric:tabular-nums}"
	"tr.alert td{background:#fff1f0}"
	"a{color:#1f5fbf}"
	".st{display:inline-block;padding:.1em .55em;border-radius:.8em;font-size:.85em;"
	"font-weight:600;color:#fff;background:#6b7280}"
	".st-ok{background:#2e8540}.st-alert{background:#c62828}.st-silent{background:#6b4fa0}"
	".st-partial{background:#e07b00}.st-uncalibrated{background:#4a78b5}"
	".st-firing{background:#c62828}.st-acknowledged{background:#e07b00}"
	".st-resolved{background:#2e8540}.st-explained{background:#4a78b5}"
	".st-not-a-loss{background:#4a78b5}"
	".st-unknown{background:#777}"
	".note{background:#fffbe6;border-left:4px solid #e0b000;padding:.5em .8em;margin:.8em 0}"
	".err{background:#fff1f0;border-left:4px solid #c62828;padding:.5em .8em;margin:.8em 0}"
	".tabs a{margin-right:.8em}.tabs b{margin-right:.8em}"
	".graph{background:#fff;margin:.6em 0;box-shadow:0 1px 2px rgba(0,0,0,.08);"
	"display:block;max-width:100%;height:auto}"
	"dl{display:grid;grid-template-columns:max-content 1fr;gap:.3em 1.2em;background:#fff;"
	"padding:.8em 1em;box-shadow:0 1px 2px rgba(0,0,0,.08)}"
	"dt{font-weight:600;color:#4a5263}dd{margin:0}"
	"footer{color:#8a92a3;font-size:.8em;padding:1em 1.5em}";

int http_page_begin(struct buf *b, const char *title)
{
	int err = buf_printf(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
				"<meta name=\"viewport\" content=\"width=device-width\">"
				"<title>");

	err = err ? err : html_put_text(b, title);
	err = err ? err : buf_printf(b, " - shrinkwatch</title><style>%s</style></head><body>"
					"<header><a href=\"/\">shrinkwatch</a>"
					"<a href=\"/api/v1/stores\">API</a>"
					"<a href=\"/metrics\">metrics</a>"
					"<span>evidence store shrinkage monitor</span></header>"
					"<main><h1>",
				     css);
	err = err ? err : html_put_text(b, title);
	return err ? err : buf_printf(b, "</h1>\n");
}

int http_page_end(struct buf *b)
{
	char now[64];

	http_fmt_time((int64_t)time(NULL), now, sizeof now);
	return buf_printf(b, "</main><footer>shrinkwatch-collector %s &middot; page made %s"
			     "</footer></body></html>\n",
			  SHRINKWATCH_VERSION, now);
}

void http_fmt_time(int64_t t, char *out, size_t outlen)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0 || !gmtime_r(&tt, &tm)) {
		snprintf(out, outlen, "never");
		return;
	}
	strftime(out, outlen, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

void http_fmt_age(int64_t s, char *out, size_t outlen)
{
	if (s < 0)
		s = 0;
	if (s < 120)
		snprintf(out, outlen, "%" PRId64 " s", s);
	else if (s < 7200)
		snprintf(out, outlen, "%" PRId64 " min", s / 60);
	else if (s < 172800)
		snprintf(out, outlen, "%" PRId64 " h", s / 3600);
	else
		snprintf(out, outlen, "%" PRId64 " d", s / 86400);
}

void http_fmt_count(double v, int with_sign, char *out, size_t outlen)
{
	char digits[48], *p = out;
	size_t n, o = 0;

	if (!isfinite(v)) {
		snprintf(out, outlen, "-");
		return;
	}
	snprintf(digits, sizeof digits, "%.0f", fabs(v));
	n = strlen(digits);
	if (outlen < n + n / 3 + 3) {
		snprintf(out, outlen, "%.0f", v);
		return;
	}
	if (v < 0)
		p[o++] = '-';
	else if (with_sign && v > 0)
		p[o++] = '+';
	for (size_t i = 0; i < n; i++) {
		if (i && (n - i) % 3 == 0)
			p[o++] = ',';
		p[o++] = digits[i];
	}
	p[o] = '\0';
}

int http_put_state(struct buf *b, const char *state)
{
	int err = buf_printf(b, "<span class=\"st st-");

	err = err ? err : html_put_text(b, state);
	err = err ? err : buf_printf(b, "\">");
	err = err ? err : html_put_text(b, state);
	return err ? err : buf_printf(b, "</span>");
}

int http_put_note(struct buf *b, const char *cls, const char *text)
{
	int err = buf_printf(b, "<p class=\"%s\">", cls);

	err = err ? err : html_put_text(b, text);
	return err ? err : buf_printf(b, "</p>\n");
}
