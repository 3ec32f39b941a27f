/* sample.c - helpers for the data contract (sample.h). */
#include "shrinkwatch/sample.h"

const char *sample_status_name(unsigned status)
{
	switch (status) {
	case SW_SCAN_COMPLETE:
		return "complete";
	case SW_SCAN_PARTIAL:
		return "partial";
	case SW_SCAN_MISSING:
		return "missing";
	default:
		return "unknown";
	}
}
