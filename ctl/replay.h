/*
 * replay.h - `shrinkwatchctl replay`: a trace through the live detector.
 *
 *   shrinkwatchctl replay [--config FILE] [--explain FILE] TRACE.csv
 *
 * Feeds every row to the same detector code the collector runs (libdetect),
 * and prints each alert transition as one JSON object per line on stdout, in
 * time order and causally: an event's "time" is the sample (or, for silence,
 * the moment the dead man's switch expired) that justified it.  Formats are
 * in trace.h.  Exit status: 0, 1 on a bad trace/config (with FILE:LINE),
 * 2 on a usage error.
 */
#ifndef SHRINKWATCH_CTL_REPLAY_H
#define SHRINKWATCH_CTL_REPLAY_H

int ctl_replay_main(int argc, char **argv);

#endif
