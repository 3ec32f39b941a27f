#!/usr/bin/env python3
"""wide_score.py - scores `shrinkwatchctl replay` on widegen.py traces.

    wide_score.py [--assert] [--limits FILE] [--doc FILE] NAME PREFIX...

NAME names the seed set (dev, test).  For each PREFIX it reads PREFIX.json
(the label) and PREFIX.sw.jsonl (replay's events).  An anomaly is caught
when an alert fires between its onset and its end plus the grace (two hours
or six samples, whichever is longer); timely when it fires within two hours
of its end; the kind is right when the first alert names the family.  Every
other loss alert onset is a false alert (silence alerts answer the
generator's outages and are not counted) (declared deletions and normal traces have
no anomaly: any alert on them is false).

It prints per family and contract: caught, timely, right kind, false alerts,
and the detectability table: the smallest size such that every anomaly of
that size or larger in the set was caught within 1, 6 and 24 samples (sizes:
per cent of the store; per cent per day for leaks; the multiple of the due
purge for overpurge).  --doc FILE rewrites that table in FILE between the
lines "<!-- detectability:begin -->" and "<!-- detectability:end -->"
(docs/detection.md; `make eval-doc`).

The gates of issue 14 apply to the anomalies at or above the promised limits
(--limits FILE: lines "FAMILY CONTRACT SIZE", in the units above; a family
and contract without a line carries no promise): recall >= 97%, timely >= 90%,
right kind >= 95% of the caught, false alerts <= 0.02 per store-month.  With
--assert the exit status is 1 when one is missed.
"""
import json
import math
import sys

GRACE = 7200
FAMILIES = ["drop", "truncate", "object_loss", "leak", "overpurge"]
UNITS = {"leak": "%/day", "overpurge": "x due"}
CONTRACTS = {"net": "totals only", "added": "with added_*",
             "exact": "exact figures (protocol 3)"}


def load_alerts(path):
    out = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            e = json.loads(line)
            # silence is the agent's outage (the generator's gaps), not a loss
            if e.get("state") == "firing" and e.get("kind") != "silence":
                out.append((int(e["time"]), e.get("kind", "")))
    return out


def fmt_size(fam, s):
    if fam == "overpurge":
        return "%.2fx" % s
    return "%.3g%%" % (100 * s)


def main(argv):
    do_assert = False
    limits_path = None
    table_out = None
    args = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--assert":
            do_assert = True
        elif a == "--limits":
            i += 1
            limits_path = argv[i]
        elif a == "--doc":
            i += 1
            table_out = argv[i]
        else:
            args.append(a)
        i += 1
    if len(args) < 2:
        sys.stderr.write("usage: wide_score.py [--assert] [--limits F] [--doc F] NAME PREFIX...\n")
        return 2
    name, prefixes = args[0], args[1:]
    limits = {}
    if limits_path:
        with open(limits_path) as f:
            for line in f:
                line = line.split("#", 1)[0].split()
                if len(line) == 3:
                    limits[(line[0], line[1])] = float(line[2])

    rows = []
    store_days = 0.0
    false_total = 0
    false_by = {}
    for p in prefixes:
        with open(p + ".json") as f:
            lab = json.load(f)
        alerts = load_alerts(p + ".sw.jsonl")
        store_days += lab["days"]
        fam, con, iv = lab["family"], lab["contract"], lab["interval"]
        onset, end = lab["onset"], lab["end"]
        injected = fam in FAMILIES
        hit = None
        nfalse = 0
        grace = max(GRACE, 6 * iv)
        for t, k in alerts:
            if injected and onset <= t <= end + grace:
                if hit is None:
                    hit = (t, k)
                continue
            nfalse += 1
        false_total += nfalse
        false_by[(fam, con)] = false_by.get((fam, con), 0) + nfalse
        if injected:
            rows.append({
                "fam": fam, "con": con, "size": lab["size"], "seed": lab["seed"],
                "pos": lab["position"], "caught": hit is not None,
                "timely": hit is not None and hit[0] <= end + GRACE,
                "kind_ok": hit is not None and hit[1] == fam,
                # samples from the first one after the onset (as score.c
                # counts: a drop confirmed by the next sample is 1)
                "delay": math.floor(max(0, hit[0] - onset) / iv + 0.05) if hit else None,
            })

    months = store_days / 30.0
    print("## wide evaluation, %s seeds (%d traces, %.1f store-months)\n" %
          (name, len(prefixes), months))
    print("| family | contract | anomalies | caught | timely | right kind | caught above limit "
          "| limit | false alerts |")
    print("|---|---|---|---|---|---|---|---|---|")
    failed = []
    tot_above = tot_above_hit = tot_above_timely = 0
    tot_hit = tot_kind = 0
    keys = sorted(set((r["fam"], r["con"]) for r in rows) | set(false_by))
    for fam, con in keys:
        rs = [r for r in rows if r["fam"] == fam and r["con"] == con]
        lim = limits.get((fam, con))
        above = [r for r in rs if lim is not None and r["size"] >= lim]
        nh = sum(r["caught"] for r in rs)
        nt = sum(r["timely"] for r in rs)
        nk = sum(r["kind_ok"] for r in rs)
        ah = sum(r["caught"] for r in above)
        tot_above += len(above)
        tot_above_hit += ah
        tot_above_timely += sum(r["timely"] for r in above)
        tot_hit += nh
        tot_kind += nk
        print("| %s | %s | %d | %d | %d | %d | %s | %s | %d |" % (
            fam, con, len(rs), nh, nt, nk,
            "%d/%d" % (ah, len(above)) if lim is not None else "-",
            fmt_size(fam, lim) if lim is not None else "no promise", false_by.get((fam, con), 0)))
    fa = false_total / months if months else 0
    recall = tot_above_hit / tot_above if tot_above else 1.0
    timely = tot_above_timely / tot_above if tot_above else 1.0
    kind = tot_kind / tot_hit if tot_hit else 1.0
    print("\nrecall above the limits %.1f%% (%d/%d, gate 97%%), timely %.1f%% (gate 90%%), "
          "right kind %.1f%% of %d caught (gate 95%%), false alerts %.3f per store-month "
          "(%d, gate 0.02)" % (100 * recall, tot_above_hit, tot_above, 100 * timely, kind * 100,
                              tot_hit, fa, false_total))
    missed = [r for r in rows if not r["caught"]]
    if missed:
        print("missed: " + ", ".join("%s/%s seed %d %s %s" % (r["fam"], r["con"], r["seed"],
                                                               fmt_size(r["fam"], r["size"]),
                                                               r["pos"]) for r in missed))
    if recall < 0.97:
        failed.append("recall %.1f%% < 97%%" % (100 * recall))
    if timely < 0.90:
        failed.append("timely %.1f%% < 90%%" % (100 * timely))
    if kind < 0.95:
        failed.append("right kind %.1f%% < 95%%" % (100 * kind))
    if fa > 0.02:
        failed.append("false alerts %.3f > 0.02 per store-month" % fa)

    table = detectability(rows)
    print("\n" + table)
    if table_out:
        write_doc(table_out, name, len(prefixes), months, table)
    for m in failed:
        print("wide eval (%s): GAP: %s" % (name, m))
    if not failed:
        print("wide eval (%s): every gate met" % name)
    return 1 if failed and do_assert else 0


def write_doc(path, name, ntraces, months, table):
    """Replaces the table between the markers of path."""
    begin, end = "<!-- detectability:begin -->", "<!-- detectability:end -->"
    with open(path) as f:
        text = f.read()
    a, b = text.find(begin), text.find(end)
    if a < 0 or b < a:
        sys.stderr.write("wide_score: '%s' has no detectability markers\n" % path)
        sys.exit(2)
    body = ("\n*Computed by `make eval-doc` (tests/scenarios/wide_score.py) on the %s seeds: "
            "%d traces, %.1f store-months, default false-alarm rate.*\n\n%s" %
            (name, ntraces, months, table))
    with open(path, "w") as f:
        f.write(text[:a + len(begin)] + "\n" + body + text[b:])


def detectability(rows):
    """Smallest size from which every anomaly was caught within N samples."""
    lines = ["| family | contract | caught within 1 sample | within 6 | within 24 | sizes tried |",
             "|---|---|---|---|---|---|"]
    for fam in FAMILIES:
        for con in ("net", "added", "exact"):
            rs = sorted((r for r in rows if r["fam"] == fam and r["con"] == con),
                        key=lambda r: r["size"])
            if not rs:
                continue
            cells = []
            for n in (1, 6, 24):
                ok = [r["caught"] and r["delay"] is not None and r["delay"] <= n for r in rs]
                # the smallest index from which every larger one is ok
                k = len(rs)
                while k > 0 and ok[k - 1]:
                    k -= 1
                cells.append(fmt_size(fam, rs[k]["size"]) if k < len(rs) else "not reached")
            lines.append("| %s | %s | %s | %s | %s | %d, %s-%s |" % (
                fam, CONTRACTS[con], cells[0], cells[1],
                cells[2], len(rs), fmt_size(fam, rs[0]["size"]), fmt_size(fam, rs[-1]["size"])))
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
