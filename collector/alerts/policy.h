/*
 * policy.h - what a version-3 agent is told about its stores (POLICY).
 *
 * An agent splits each sample's removal by age against its store's
 * retention (SW_SAMPLE_YOUNG_SPLIT), so the detector can tell a purge
 * (items at or over retention age) from a loss (younger items, exact.c).
 * The retention is the collector's: the `retention` of the store's
 * [store AGENT/STORE] section or of [detect], else the one the detector
 * learned from the nightly purges (detect_retention()), else unknown (0).
 */
#ifndef SHRINKWATCH_COLLECTOR_POLICY_H
#define SHRINKWATCH_COLLECTOR_POLICY_H

#include <stddef.h>

#include "shrinkwatch/proto.h"

struct watch;
struct agent_rec;

/*
 * Fills up to max entries of out for agent a: every store the collector
 * knows of a (registry, detector) and every [store A/S] section naming a,
 * each with its retention in seconds.  Returns the count.  Its signature is
 * ingest's policy hook's (collector/net/ingest.h, ctx = the struct watch),
 * so main.c hands it over; policy knows nothing of ingest.
 */
size_t policy_of_agent(void *ctx, struct agent_rec *a, struct sw_policy *out, size_t max);

#endif
