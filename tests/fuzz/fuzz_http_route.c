/* fuzz_http_route.c - libFuzzer target for the dashboard's URL routing and
 * the HTML escaper: the two places where request bytes and ledger text meet
 * the web interface.  Input: a path, optionally "\n" and then key=value query
 * arguments separated by '&'. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "collector/http/route.h"
#include "shrinkwatch/html.h"
#include "shrinkwatch/names.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_names(const struct http_route *r)
{
	switch (r->kind) {
	case HTTP_R_GRAPH:
		if (!name_valid(r->graph))
			abort();
		/* fall through */
	case HTTP_R_STORE:
	case HTTP_R_API_STORE:
		if (!name_valid(r->agent) || !name_valid(r->store))
			abort();
		break;
	case HTTP_R_ALERT:
		if (r->alert_id <= 0)
			abort();
		break;
	default:
		if (r->agent[0] || r->store[0])
			abort();
	}
}

/* The escaped text never holds a byte that could open markup or end an
 * attribute. */
static void check_escaped(const char *s, size_t n)
{
	struct buf b;

	buf_init(&b, 16 * n + 64);
	if (html_put_text_n(&b, s, n))
		abort();
	for (size_t i = 0; i < b.len; i++)
		if (b.data[i] == '<' || b.data[i] == '>' || b.data[i] == '"' ||
		    b.data[i] == '\'' || b.data[i] == 0)
			abort();
	buf_release(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_route r;
	char *s = malloc(size + 1), *q, *arg, *save = NULL;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	check_escaped((const char *)data, size);
	q = strchr(s, '\n');
	if (q)
		*q++ = '\0';
	http_route_parse(s, &r);
	check_names(&r);
	for (arg = q ? strtok_r(q, "&", &save) : NULL; arg; arg = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(arg, '=');

		if (eq)
			*eq++ = '\0';
		http_route_arg(&r, arg, eq);
	}
	if (r.width < HTTP_GRAPH_W_MIN || r.width > HTTP_GRAPH_W_MAX ||
	    r.height < HTTP_GRAPH_H_MIN || r.height > HTTP_GRAPH_H_MAX ||
	    (unsigned)r.range >= HTTP_NRANGES)
		abort();
	free(s);
	return 0;
}
