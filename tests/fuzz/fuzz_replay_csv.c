/*
 * fuzz_replay_csv.c - the replay CSV parsers (ctl/trace.c) on
 * arbitrary bytes.
 *
 * The first input byte picks the format (even: trace, odd: explanations);
 * the rest is split into lines, the first being the header.  Every parsed
 * trace row is also fed to the detector, so malformed-but-accepted values
 * (huge counts, odd times, statuses) exercise detect_update() as replay
 * would.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/trace.h"
#include "shrinkwatch/detect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct detect_state st;
	struct detect_params p;
	struct trace_header h;
	struct detect_event ev[DETECT_MAX_EVENTS];
	char *buf, *line, *save = NULL, err[256];
	int expl, first = 1, ok = 1;

	if (size < 1 || size > 65536)
		return 0;
	expl = data[0] & 1;
	buf = malloc(size);
	if (!buf)
		return 0;
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = '\0';
	detect_params_default(&p);
	detect_state_init(&st);
	for (line = strtok_r(buf, "\n", &save); line && ok; line = strtok_r(NULL, "\n", &save)) {
		if (first) {
			ok = (expl ? expl_parse_header(&h, line, err, sizeof err)
				   : trace_parse_header(&h, line, err, sizeof err)) == 0;
			first = 0;
			continue;
		}
		if (expl) {
			struct expl_row r;

			if (expl_parse_row(&h, line, &r, err, sizeof err) == 0) {
				r.e.id = 1;
				detect_explain_add(&st, &r.e, ev);
				detect_explain_revoke(&st, 1);
			}
		} else {
			struct trace_row r;

			if (trace_parse_row(&h, line, &r, err, sizeof err) == 0) {
				detect_update(&st, &p, &r.in, ev);
				detect_tick(&st, &p, r.in.time + 1000, ev);
			}
		}
	}
	free(buf);
	return 0;
}
