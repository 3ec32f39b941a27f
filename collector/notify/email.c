/* email.c - type = email (see email.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "email.h"
#include "notify_int.h"
#include "spawn.h"
#include "shrinkwatch/bytes.h"
#include "shrinkwatch/html.h"
#include "shrinkwatch/banned.h"

#define EMAIL_MAX_TO 32
#define EMAIL_ADDR_MAX 254
#define EMAIL_DEFAULT_TIMEOUT_MS 30000
#define EMAIL_DEFAULT_SENDMAIL "/usr/sbin/sendmail"
#define EMAIL_MESSAGE_MAX (64 * 1024)

struct email_priv {
	char *to[EMAIL_MAX_TO];
	size_t nto;
	char from[EMAIL_ADDR_MAX + 270]; /* room for shrinkwatch@<any hostname> */
	char sendmail[256];
	char host[256];
	uint64_t timeout_ms;
	struct notify_children children;
};

/* A header value: control characters (CR and LF above all) become spaces. */
static int put_header(struct buf *b, const char *name, const char *value)
{
	int e = buf_printf(b, "%s: ", name);

	for (const char *p = value; !e && *p; p++) {
		char c = (unsigned char)*p < 0x20 || *p == 0x7f ? ' ' : *p;
		e = buf_append(b, &c, 1);
	}
	return e ? e : buf_append(b, "\n", 1);
}

/* Body text: CR dropped (sendmail adds the CRLFs), everything else kept. */
static int put_body(struct buf *b, const uint8_t *text, size_t len)
{
	int e = 0;

	for (size_t i = 0; !e && i < len; i++)
		if (text[i] != '\r')
			e = buf_append(b, text + i, 1);
	return e;
}

int notify_email_build(const struct notify_message *m, const char *from, char *const *to,
		       size_t nto, int64_t now, const char *host, struct buf *out)
{
	char line[1024], lost[BYTES_FMT_MAX], date[64], since[32], when[32];
	time_t t = (time_t)now;
	struct buf body;
	struct tm tm;
	int e = 0;

	bytes_format(m->lost_bytes, lost, sizeof lost);
	notify__rfc3339(m->since, since, sizeof since);
	notify__rfc3339(m->time, when, sizeof when);
	gmtime_r(&t, &tm);
	strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);

	e = e ? e : put_header(out, "From", from);
	line[0] = '\0';
	for (size_t i = 0; i < nto; i++) {
		size_t l = strlen(line);
		snprintf(line + l, sizeof line - l, "%s%s", i ? ", " : "", to[i]);
	}
	e = e ? e : put_header(out, "To", line);
	if (m->state == ALERT_FIRING)
		snprintf(line, sizeof line, "[shrinkwatch] %s %s on %s/%s: %s lost%s",
			 notify__severity_upper(m->severity), m->kind, m->agent, m->store, lost,
			 m->repeat ? " (still firing)" : "");
	else
		snprintf(line, sizeof line, "[shrinkwatch] %s: %s %s on %s/%s: %s lost",
			 alert_state_name(m->state), notify__severity_upper(m->severity), m->kind,
			 m->agent,
			 m->store, lost);
	e = e ? e : put_header(out, "Subject", line);
	e = e ? e : put_header(out, "Date", date);
	snprintf(line, sizeof line, "<shrinkwatch.%" PRIu64 ".%s.%" PRId64 ".%ld@%s>", m->alert_id,
		 alert_state_name(m->state), m->time, (long)getpid(), host);
	e = e ? e : put_header(out, "Message-ID", line);
	snprintf(line, sizeof line, "%" PRIu64, m->alert_id);
	e = e ? e : put_header(out, "X-Shrinkwatch-Alert-Id", line);
	e = e ? e : put_header(out, "X-Shrinkwatch-State", alert_state_name(m->state));
	e = e ? e : put_header(out, "MIME-Version", "1.0");
	e = e ? e : put_header(out, "Content-Type", "text/plain; charset=utf-8");
	e = e ? e : put_header(out, "Content-Transfer-Encoding", "8bit");
	e = e ? e : put_header(out, "Auto-Submitted", "auto-generated");
	e = e ? e : buf_append(out, "\n", 1);

	/* The body is built apart, then copied without CRs: names and texts in it
	 * come from the network. */
	buf_init(&body, out->cap);
	e = e ? e : buf_printf(&body,
				   "%s\n\n"
				   "Alert:         %" PRIu64 " (%s)\n"
				   "State:         %s%s\n"
				   "Severity:      %s\n"
				   "Store:         %s/%s\n"
				   "Lost:          %s (%.0f bytes), %.0f objects\n"
				   "Since:         %s\n"
				   "This change:   %s\n",
				   m->summary, m->alert_id, m->kind, alert_state_name(m->state),
				   m->repeat ? " (repeat)" : "", notify_severity_name(m->severity),
				   m->agent, m->store, lost, m->lost_bytes, m->lost_objects, since,
				   when);
	if (!e && m->dashboard_url && m->dashboard_url[0])
		e = buf_printf(&body, "Dashboard:     %s\n", m->dashboard_url);
	if (!e && !alert_state_closed(m->state))
		e = buf_printf(&body,
				   "\nAcknowledge:   shrinkwatchctl ack %" PRIu64 " --comment TEXT\n"
				   "Explain:       shrinkwatchctl explain --alert %" PRIu64
				   " --reason TEXT\n",
				   m->alert_id, m->alert_id);
	e = e ? e : buf_printf(&body, "\n-- \nshrinkwatch-collector on %s\n", host);
	e = e ? e : put_body(out, body.data, body.len);
	buf_release(&body);
	return e;
}

static int email_create(struct notifier *n)
{
	struct email_priv *p = calloc(1, sizeof *p);

	if (!p)
		return -ENOMEM;
	p->timeout_ms = EMAIL_DEFAULT_TIMEOUT_MS;
	snprintf(p->sendmail, sizeof p->sendmail, "%s", EMAIL_DEFAULT_SENDMAIL);
	if (gethostname(p->host, sizeof p->host - 1) || !p->host[0])
		snprintf(p->host, sizeof p->host, "localhost");
	snprintf(p->from, sizeof p->from, "shrinkwatch@%s", p->host);
	n->priv = p;
	return 0;
}

/* A plain addr-spec: local@domain, printable ASCII, no blanks, quotes,
 * angle brackets, commas or control characters. */
static int address_valid(const char *a)
{
	const char *at = strchr(a, '@');
	size_t n = strlen(a);

	if (!at || at == a || !at[1] || strchr(at + 1, '@') || n > EMAIL_ADDR_MAX)
		return 0;
	for (const char *p = a; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f || strchr("\"<>,;()\\", *p))
			return 0;
	return 1;
}

static int parse_to(struct email_priv *p, const char *value, char *err, size_t errlen)
{
	char *copy = strdup(value), *rest = copy, *a;
	int rc = -1;

	if (!copy) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	while ((a = strsep(&rest, ", \t"))) {
		if (!*a)
			continue; /* a run of separators is one */
		if (!address_valid(a)) {
			snprintf(err, errlen, "'%s' is not a plain mail address (user@host)", a);
			goto out;
		}
		if (p->nto == EMAIL_MAX_TO) {
			snprintf(err, errlen, "more than %d recipients", EMAIL_MAX_TO);
			goto out;
		}
		p->to[p->nto] = strdup(a);
		if (!p->to[p->nto]) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
		p->nto++;
	}
	rc = 0;
out:
	free(copy);
	return rc;
}

static int email_parse(struct notifier *n, const char *key, const char *value, char *err,
		       size_t errlen)
{
	struct email_priv *p = n->priv;
	struct stat st;

	if (!strcmp(key, "to"))
		return parse_to(p, value, err, errlen) ? -1 : 1;
	if (!strcmp(key, "from")) {
		if (!address_valid(value)) {
			snprintf(err, errlen, "'%s' is not a plain mail address (user@host)", value);
			return -1;
		}
		snprintf(p->from, sizeof p->from, "%s", value);
		return 1;
	}
	if (!strcmp(key, "sendmail")) {
		if (value[0] != '/' || strlen(value) >= sizeof p->sendmail || strpbrk(value, " \t")) {
			snprintf(err, errlen, "'%s' is not an absolute path", value);
			return -1;
		}
		if (stat(value, &st) || !S_ISREG(st.st_mode)) {
			snprintf(err, errlen, "'%s' is not an executable file", value);
			return -1;
		}
		snprintf(p->sendmail, sizeof p->sendmail, "%s", value);
		return 1;
	}
	if (!strcmp(key, "timeout"))
		return notify__parse_timeout(value, &p->timeout_ms, err, errlen) ? -1 : 1;
	return 0;
}

static int email_validate(struct notifier *n, char *err, size_t errlen)
{
	struct email_priv *p = n->priv;

	if (!p->nto) {
		snprintf(err, errlen, "to: missing (one or more mail addresses)");
		return -1;
	}
	return 0;
}

static int email_send(struct notifier *n, const struct notify_message *m, notify_done_fn done,
		      void *ctx)
{
	struct email_priv *p = n->priv;
	char *argv[] = { p->sendmail, "-t", "-oi", NULL };
	char label[NOTIFY_NAME_MAX + 16];
	struct buf msg;
	int e;

	buf_init(&msg, EMAIL_MESSAGE_MAX);
	e = notify_email_build(m, p->from, p->to, p->nto, time(NULL), p->host, &msg);
	if (!e) {
		snprintf(label, sizeof label, "email '%s'", n->name);
		e = notify__spawn(n->loop, &p->children, label, argv, NULL, (const char *)msg.data,
				  msg.len, p->timeout_ms, done, ctx);
	}
	buf_release(&msg);
	return e;
}

static void email_destroy(struct notifier *n)
{
	struct email_priv *p = n->priv;

	if (!p)
		return;
	notify__children_stop(&p->children);
	for (size_t i = 0; i < p->nto; i++)
		free(p->to[i]);
	free(p);
	n->priv = NULL;
}

const struct notify_type notify_email_type = {
	.name = "email",
	.create = email_create,
	.parse = email_parse,
	.validate = email_validate,
	.send = email_send,
	.destroy = email_destroy,
};
