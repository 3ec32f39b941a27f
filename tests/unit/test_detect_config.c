/*
 * test_detect_config.c - the detector's config sections and the replay CSV
 * parsers: accepted values, precise errors, precedence of [store KEY] over
 * [detect] whatever their order, and rows that must be rejected.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <errno.h>

#include "ctl/trace.h"
#include "shrinkwatch/detect_config.h"
#include "shrinkwatch/sample.h"

static void test_keys(void **unused)
{
	struct detect_config_set cs;
	struct detect_params p;
	char err[256];

	(void)unused;
	detect_config_init(&cs);
	assert_int_equal(detect_config_key(&cs, "store a/b", "retention", "31d", err, sizeof err), 1);
	assert_int_equal(detect_config_key(&cs, "store a/b", "purge_at", "02:30", err, sizeof err), 1);
	assert_int_equal(detect_config_key(&cs, "store a/b", "drop_threshold", "0.5%", err, sizeof err),
			 1);
	assert_int_equal(detect_config_key(&cs, "detect", "drop_threshold", "0.01", err, sizeof err), 1);
	assert_int_equal(detect_config_key(&cs, "detect", "silence_intervals", "5", err, sizeof err), 1);
	assert_int_equal(detect_config_key(&cs, "listen", "address", "x", err, sizeof err), 0);
	assert_int_equal(detect_config_key(&cs, "store a/b", "retention", "31x", err, sizeof err), -1);
	assert_string_equal(err, "retention must be a duration like 30d");
	/* any duration: exact accounting uses seconds, the statistical model
	 * whole days (none here: it learns the lag) */
	assert_int_equal(detect_config_key(&cs, "store c/d", "retention", "36h", err, sizeof err), 1);
	assert_int_equal(detect_config_key(&cs, "store c/d", "retention", "0s", err, sizeof err), -1);
	assert_int_equal(detect_config_key(&cs, "detect", "purge_at", "25:00", err, sizeof err), -1);
	assert_int_equal(detect_config_key(&cs, "detect", "frobnicate", "1", err, sizeof err), -1);
	assert_non_null(strstr(err, "unknown key 'frobnicate'"));

	detect_config_resolve(&cs, "c/d", &p);
	assert_int_equal(p.retention_s, 36 * 3600);
	assert_int_equal(p.retention_days, 0);
	detect_config_resolve(&cs, "a/b", &p);
	assert_int_equal(p.retention_days, 31);
	assert_int_equal(p.retention_s, 31 * 86400);
	assert_int_equal(p.purge_at, 2 * 3600 + 1800);
	assert_true(p.drop_rel > 0.00499 && p.drop_rel < 0.00501); /* store beats [detect] */
	assert_int_equal(p.silence_intervals, 5);                  /* inherited */
	detect_config_resolve(&cs, "other", &p);
	assert_int_equal(p.retention_days, 0);
	assert_int_equal(p.purge_at, -1);
	assert_true(p.drop_rel > 0.0099 && p.drop_rel < 0.0101);
	detect_config_release(&cs);
}

/* A [store KEY] section that can match no store is refused, naming the
 * section and the line; the collector wants AGENT/STORE, a replay also a
 * bare STORE (its trace may name stores without their agent). */
static void test_store_section_names(void **unused)
{
	static const char *bad[] = { "store evsrv01", "store a/b/c", "store */x", "store a/",
				     "store /b", "store ../x", "store a b/c" };
	char path[] = "/tmp/test_detect_config.XXXXXX", msg[768];
	struct detect_config_set cs;
	char err[512];
	FILE *f;
	int fd;

	(void)unused;
	detect_config_init(&cs);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = '\0';
		assert_int_equal(detect_config_hook(&cs, bad[i], "retention", "31d", err, sizeof err),
				 -1);
		assert_non_null(strstr(err, "does not name a store: write [store AGENT/STORE]"));
	}
	assert_int_equal(detect_config_hook(&cs, "store evsrv01/bwv", "retention", "31d", err,
					    sizeof err), 1);
	/* replay: "s1" is a trace's store, but a/b/c and * are nobody's */
	assert_int_equal(detect_config_key(&cs, "store s1", "retention", "31d", err, sizeof err), 1);
	assert_int_equal(detect_config_key(&cs, "store a/b/c", "retention", "31d", err, sizeof err),
			 -1);
	assert_int_equal(detect_config_key(&cs, "store */x", "retention", "31d", err, sizeof err), -1);
	detect_config_release(&cs);

	/* through a file: the line and the section are named; what the set
	 * held before the error is freed by detect_config_release() */
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs("[store ok/one]\nretention = 31d\n[store evsrv01]\nretention = 30d\n", f);
	fclose(f);
	detect_config_init(&cs);
	assert_int_equal(detect_config_load(&cs, path, msg, sizeof msg), 0); /* bare: replay */
	detect_config_release(&cs);
	f = fopen(path, "w");
	fputs("[store ok/one]\nretention = 31d\n[store a/b/c]\nretention = 30d\n", f);
	fclose(f);
	detect_config_init(&cs);
	assert_int_equal(detect_config_load(&cs, path, msg, sizeof msg), -1);
	assert_non_null(strstr(msg, ":4: [store a/b/c] retention: 'a/b/c' does not name a store"));
	detect_config_release(&cs);
	unlink(path);
}

/* The false-alarm knob: one rate per store and year, above 0. */
static void test_false_alarm_rate(void **unused)
{
	struct detect_config_set cs;
	struct detect_params p;
	char err[256];

	(void)unused;
	detect_config_init(&cs);
	detect_config_resolve(&cs, "x/y", &p);
	assert_true(p.false_alerts_year > 0.0999 && p.false_alerts_year < 0.1001);
	assert_int_equal(detect_config_key(&cs, "detect", "false_alerts_per_year", "0", err,
					   sizeof err), -1);
	assert_non_null(strstr(err, "above 0"));
	assert_int_equal(detect_config_key(&cs, "detect", "false_alerts_per_year", "5000", err,
					   sizeof err), -1);
	assert_int_equal(detect_config_key(&cs, "store a/b", "false_alerts_per_year", "0.01", err,
					   sizeof err), 1);
	detect_config_resolve(&cs, "a/b", &p);
	assert_true(p.false_alerts_year > 0.00999 && p.false_alerts_year < 0.01001);
	detect_config_release(&cs);
}

static void test_load_ignores_other_sections(void **unused)
{
	char path[] = "/tmp/test_detect_config.XXXXXX", msg[768];
	struct detect_config_set cs;
	struct detect_params p;
	int fd;
	FILE *f;

	(void)unused;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fprintf(f, "[collector]\nlisten = 127.0.0.1:1\n[store s1]\nretention = 40d\n"
		   "[detect]\nleak_rate = 0.1%%\n");
	fclose(f);
	detect_config_init(&cs);
	assert_int_equal(detect_config_load(&cs, path, msg, sizeof msg), 0);
	detect_config_resolve(&cs, "s1", &p);
	assert_int_equal(p.retention_days, 40);
	assert_true(p.leak_rate > 0.00099 && p.leak_rate < 0.00101);
	detect_config_release(&cs);

	f = fopen(path, "w");
	fprintf(f, "[store s1]\n\npurge_at = 2am\n");
	fclose(f);
	detect_config_init(&cs);
	assert_int_equal(detect_config_load(&cs, path, msg, sizeof msg), -1);
	assert_non_null(strstr(msg, ":3: [store s1] purge_at: purge_at must be a time of day"));
	detect_config_release(&cs);
	unlink(path);
}

static void test_trace_rows(void **unused)
{
	struct trace_header h;
	struct trace_row r;
	char err[256], line[256];

	(void)unused;
	snprintf(line, sizeof line, "time,store,bytes,objects,added_bytes,added_objects,note\r\n");
	assert_int_equal(trace_parse_header(&h, line, err, sizeof err), 0);
	snprintf(line, sizeof line, "1700000000,s1,1000,10,5,1,hello\n");
	assert_int_equal(trace_parse_row(&h, line, &r, err, sizeof err), 0);
	assert_string_equal(r.store, "s1");
	assert_true(r.in.time == 1700000000 && r.in.bytes == 1000 && r.in.objects == 10);
	assert_true(r.in.has_added && r.in.added_bytes == 5 && r.in.added_objects == 1);
	assert_int_equal(r.in.status, SW_SCAN_COMPLETE);
	snprintf(line, sizeof line, "1700000060,s1,,,,,\n");
	assert_int_equal(trace_parse_row(&h, line, &r, err, sizeof err), 0);
	assert_int_equal(r.in.status, SW_SCAN_PARTIAL);
	assert_false(r.in.has_added);
	snprintf(line, sizeof line, "1700000060,s1,12x,1,0,0,\n");
	assert_int_equal(trace_parse_row(&h, line, &r, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "bytes"));
	snprintf(line, sizeof line, "1700000060,s1,1,1,0\n");
	assert_int_equal(trace_parse_row(&h, line, &r, err, sizeof err), -EINVAL);
	snprintf(line, sizeof line, "1700000060,bad\"name,1,1,0,0,\n");
	assert_int_equal(trace_parse_row(&h, line, &r, err, sizeof err), -EINVAL);
	snprintf(line, sizeof line, "\n");
	assert_int_equal(trace_parse_row(&h, line, &r, err, sizeof err), 1);

	snprintf(line, sizeof line, "time,store,bytes\n");
	assert_int_equal(trace_parse_header(&h, line, err, sizeof err), -EINVAL);
	assert_string_equal(err, "header: missing column 'objects'");
	snprintf(line, sizeof line, "store,time,objects,bytes,status,mount_id\n");
	assert_int_equal(trace_parse_header(&h, line, err, sizeof err), 0);
	snprintf(line, sizeof line, "s2,5,7,9,missing,42\n");
	assert_int_equal(trace_parse_row(&h, line, &r, err, sizeof err), 0);
	assert_true(r.in.time == 5 && r.in.objects == 7 && r.in.bytes == 9);
	assert_int_equal(r.in.status, SW_SCAN_MISSING);
	assert_int_equal(r.in.mount_id, 42);
	snprintf(line, sizeof line, "s2,5,7,9,broken,42\n");
	assert_int_equal(trace_parse_row(&h, line, &r, err, sizeof err), -EINVAL);

	/* what spreadsheets and data frames write; the collector's agent/store */
	snprintf(line, sizeof line, "Time, Store ,BYTES,objects\n");
	assert_int_equal(trace_parse_header(&h, line, err, sizeof err), 0);
	snprintf(line, sizeof line, "1700000000.0, \"evsrv01/bodycam\" ,1.5e3,12.0\n");
	assert_int_equal(trace_parse_row(&h, line, &r, err, sizeof err), 0);
	assert_string_equal(r.store, "evsrv01/bodycam");
	assert_true(r.in.time == 1700000000 && r.in.bytes == 1500 && r.in.objects == 12);
	snprintf(line, sizeof line, "1,a/b/c,1,1\n");
	assert_int_equal(trace_parse_row(&h, line, &r, err, sizeof err), -EINVAL);
	snprintf(line, sizeof line, "1,s1,-5,1\n");
	assert_int_equal(trace_parse_row(&h, line, &r, err, sizeof err), -EINVAL);
	snprintf(line, sizeof line, "1,s1,nan,1\n");
	assert_int_equal(trace_parse_row(&h, line, &r, err, sizeof err), -EINVAL);
}

static void test_explain_rows(void **unused)
{
	struct trace_header h;
	struct expl_row r;
	char err[256], line[256];

	(void)unused;
	snprintf(line, sizeof line, "start,end,store,bytes,objects,reason\n");
	assert_int_equal(expl_parse_header(&h, line, err, sizeof err), 0);
	snprintf(line, sizeof line, "100,200,s1,5000,,court order, case 12\n");
	assert_int_equal(expl_parse_row(&h, line, &r, err, sizeof err), 0);
	assert_true(r.e.start == 100 && r.e.end == 200 && r.e.allow_bytes == 5000);
	assert_true(r.e.allow_objects < 0);
	assert_string_equal(r.reason, "court order, case 12");
	assert_true(r.filed == 100);
	snprintf(line, sizeof line, "300,200,s1,5000,,x\n");
	assert_int_equal(expl_parse_row(&h, line, &r, err, sizeof err), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_false_alarm_rate),
		cmocka_unit_test(test_load_ignores_other_sections),
		cmocka_unit_test(test_store_section_names),
		cmocka_unit_test(test_trace_rows),
		cmocka_unit_test(test_explain_rows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
