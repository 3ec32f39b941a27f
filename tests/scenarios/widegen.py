#!/usr/bin/env python3
"""widegen.py - an independent, wide generator of labelled evidence-store traces.

    widegen.py SEED OUTPREFIX [--contract net|added|exact]

Written apart from simulate.c (different model code, different random
numbers) so that the detector is evaluated on stores it was never tuned on.
Every physical parameter is drawn per trace (SEED alone decides the trace;
the output is byte-identical for a given seed):

  store size 1-500 TB (log-uniform); daily ingest 0.5-3% of the store (capped
  so that R days of ingest fit in the store) with a weekly rhythm, upload
  peaks after shift changes and 2-5x incident surges; 5-40% of each purged
  cohort kept as evidence; retention 7-180 days; purge hour anywhere, jittered
  by up to 30 minutes, lasting 10 minutes to 3 hours; missed nights and
  double runs; temp-file churn; sampling every 60 s to 15 minutes with jitter,
  missed samples, gaps and partial scans; the added_* columns present or not.

The data contract (what the agent sends) is the seed's draw (totals only for
about 30%, else with added_*) unless --contract forces it; the physics is the
same whatever the contract, so one seed under the three contracts is one
store seen by three agents:
  net    totals only (bytes, objects)
  added  totals and the gross creation counters added_*
  exact  added_* and the exact removal figures of a protocol-3 agent
         (docs/protocol.md, "Version 3"): flags, removed_*, the young split
         against the retention, removed_min_age, retention.  Every item
         carries its birth time (hourly cohorts), so the generator knows
         which removal deleted what a purge must keep: the purge removes
         items at or over retention age (an overpurge: younger ones too); an
         anomaly's victims have physical ages -- a case folder across all
         ages, an insider deleting recent footage, an old archive folder
         (drawn per anomaly); temp files (aborted partial uploads) are young.
         Objects leave whole (fractions carried to the next sample).  The
         young split needs the retention: a configured store has it from the
         start; otherwise the agent has it from the day after the third
         purge night on (the collector learns it from three nights'
         removed_min_age, detect/exact.c, and sends it in POLICY), and sends
         exact figures without the split before.  Every exact row also
         carries the agent's fresh split (flags 128, docs/protocol.md "The
         fresh split"): the part of the removal younger than fresh_age (two
         hours: temp files, and the newest footage an anomaly deletes) and
         the youngest age of the rest.

The family (normal, declared, drop, leak, overpurge, truncate, object_loss)
and the contract follow from the seed; the anomaly is placed before, inside
or right after a purge, or anywhere.  A declared deletion's window (1 hour to
3 days) straddles purge nights and its allowance is the deleted volume plus
0-10%.

Writes OUTPREFIX.csv (the trace, `shrinkwatchctl replay` format),
OUTPREFIX.explain.csv (declared deletions), OUTPREFIX.conf (retention and
purge hour for about half the traces, else empty: the detector learns them)
and OUTPREFIX.json (the label: family, contract, onset, end, size, ...).
Standard library only.
"""
import json
import math
import random
import sys

FAMILIES = ["normal", "declared", "drop", "leak", "overpurge", "truncate", "object_loss"]
POSITIONS = ["before", "inside", "after", "anywhere"]
T0 = 1767225600  # 2026-01-01 00:00 UTC, a Thursday
FRESH = 7200  # the agent's settle age (agent/manifest.h; retention/8 is longer here)


def main():
    args = sys.argv[1:]
    force = None
    if len(args) == 4 and args[2] == "--contract" and args[3] in ("net", "added", "exact"):
        force = args[3]
    elif len(args) != 2:
        sys.stderr.write("usage: widegen.py SEED OUTPREFIX [--contract net|added|exact]\n")
        return 2
    seed = int(args[0])
    out = args[1]
    rng = random.Random(seed * 7919 + 17)
    # draws added after the first round come from their own stream, so that
    # every earlier draw (and the totals of a trace) stays as it was
    rng2 = random.Random(seed * 104729 + 3)
    family = FAMILIES[seed % len(FAMILIES)]
    net = rng.random() < 0.3
    contract = force or ("net" if net else "added")
    net = contract == "net"
    exact = contract == "exact"
    position = rng.choice(POSITIONS)

    size0 = math.exp(rng.uniform(math.log(1e12), math.log(500e12)))
    R = int(math.exp(rng.uniform(math.log(7), math.log(180))))
    d_hi = min(0.03, 0.9 / R)
    dfrac = rng.uniform(0.005, max(0.005, d_hi))
    keep = rng.uniform(0.05, 0.40)
    clip = rng.uniform(20e6, 2e9)  # average file size
    V = dfrac * size0  # bytes per day
    weekend = rng.uniform(0.4, 0.9)
    shifts = sorted(rng.sample(range(24), 3))
    purge_at = rng.randrange(0, 86400, 60)
    purge_len = rng.uniform(600, 3 * 3600)
    interval = rng.choice([60, 60, 120, 300, 300, 600, 900])
    days = 36
    configured = rng.random() < 0.5 and R < 95
    tmp_scale = min(clip, size0 * rng.uniform(1e-6, 5e-5))  # a partial upload

    # hourly cohorts: [bytes, objects]; prefilled for R days so that the
    # purge runs from the first night; the evidence pool holds the rest
    hour_w = [0.3] * 24
    for s in shifts:
        for k in range(3):
            hour_w[(s + k) % 24] += 2.0 / (k + 1)
    wsum = sum(hour_w)
    cohorts = {}
    # the first night then deletes one day of footage, as every night does
    first_h = purge_at // 3600 - R * 24 - 24
    for h in range(first_h, 0):
        b = V * hour_w[h % 24] / wsum
        cohorts[h] = [b, b / clip * 2]  # a video and its sidecar
    pre = sum(c[0] for c in cohorts.values())
    pool_b = max(size0 - pre, 0.1 * size0)
    pool_o = pool_b / clip * 2
    next_purge_h = first_h  # oldest cohort not purged yet

    # ages (the exact contract): a cohort is young while its items' birth
    # (the hour's middle) is less than the retention before the scan
    RS = R * 86400

    def young_from(t):
        return math.floor((t - RS - 1800) / 3600) + 1  # the oldest young hour

    yptr = young_from(0.0)
    young_raw = [sum(c[0] for h, c in cohorts.items() if h >= yptr),
                 sum(c[1] for h, c in cohorts.items() if h >= yptr)]

    # the anomaly
    onset = end = -1
    size = 0.0
    label = {"family": family, "seed": seed, "contract": contract,
             "interval": interval, "days": days, "retention": R, "configured": configured,
             "purge_at": purge_at, "purge_len": round(purge_len), "position": position,
             "store_tb": round(size0 / 1e12, 3), "ingest_pct_day": round(100 * dfrac, 3)}
    anomaly_day = rng.randint(12, 20)
    night = anomaly_day * 86400 + purge_at
    if position == "before":
        onset = night - rng.uniform(600, 6 * 3600)
    elif position == "inside":
        onset = night + rng.uniform(0, purge_len)
    elif position == "after":
        onset = night + purge_len + rng.uniform(0, 1800)
    else:
        onset = anomaly_day * 86400 + rng.uniform(0, 86400)
    inj_len = 0.0
    declared = None
    over_nights = set()
    over_mult = 1.0
    if family == "normal":
        onset = -1
    elif family in ("drop", "truncate", "object_loss"):
        size = math.exp(rng.uniform(math.log(0.002), math.log(0.05)))
        inj_len = rng.uniform(0, 3) * interval + rng.uniform(0, 600)
    elif family == "leak":
        size = rng.uniform(0.0003, 0.0015)  # fraction of the store per day
        inj_len = rng.uniform(7, 14) * 86400
        onset = anomaly_day * 86400 + rng.uniform(0, 86400) - 10 * 86400
        onset = max(onset, 8 * 86400)
    elif family == "overpurge":
        over_mult = rng.uniform(2.0, 3.0)
        nights = rng.randint(1, 3)
        over_nights = set(range(anomaly_day, anomaly_day + nights))
        onset = night
        inj_len = (nights - 1) * 86400 + purge_len
        size = over_mult
    elif family == "declared":
        wlen = math.exp(rng.uniform(math.log(3600), math.log(3 * 86400)))
        # the window straddles a purge night: it starts up to wlen before it
        wstart = night - rng.uniform(0.1, 0.9) * wlen
        size = math.exp(rng.uniform(math.log(0.002), math.log(0.05)))
        onset = wstart + rng.uniform(0, 0.1) * wlen
        inj_len = rng.uniform(0.3, 0.85) * (wstart + wlen - onset)
        declared = [wstart, wstart + wlen, rng.uniform(1.0, 1.10)]
    if onset >= 0:
        onset = float(int(onset))
        end = onset + inj_len
    # whose files an anomaly deletes: a case folder spans every age; an
    # insider deletes recent footage; an old archive folder holds evidence
    # kept past retention; a court order destroys closed (old) cases or a
    # case's whole folder; a leak loses random files
    victims = "mixed"
    if family == "drop":
        victims = rng2.choice(["mixed", "recent", "old"])
    elif family == "declared":
        victims = rng2.choice(["mixed", "old"])
    label["victims"] = victims

    csv = open(out + ".csv", "w")
    csv.write("time,store,bytes,objects,status,mount_id\n" if net else
              "time,store,bytes,objects,added_bytes,added_objects,status,mount_id\n" if not exact
              else "time,store,bytes,objects,added_bytes,added_objects,status,mount_id,flags,"
              "removed_bytes,removed_objects,removed_young_bytes,removed_young_objects,"
              "removed_min_age,retention,fresh_age,removed_fresh_bytes,removed_fresh_objects,"
              "removed_min_settled_age\n")
    store = "w%d" % seed
    t = 0.0
    acc_b = acc_o = 0.0
    raw = [pre, sum(c[1] for c in cohorts.values())]  # cohorts, unscaled
    sc_b = sc_o = 1.0  # what random deletions left of every cohort
    purge_left_b = purge_left_o = 0.0
    purge_rate = 0.0
    purge_run_end = 0.0
    second_run = None
    day_factor = 1.0
    surge_until = -1.0
    surge = 1.0
    last_day = -1
    temp_b = temp_o = 0.0
    temp_until = -1.0
    declared_b = declared_o = 0.0
    inj_started = False
    inj_target_b = inj_target_o = 0.0
    inj_done_b = inj_done_o = 0.0
    gap_until = -1.0
    size_at_onset = size0
    pl_young = [0.0, 0.0]  # the young part of purge_left_* (an overpurge)
    pl_newest = None  # birth of the newest item queued for the purge
    # removal not reported yet: fresh (younger than FRESH, so young too),
    # settled young, old
    rm = {"fresh": [0.0, 0.0], "young": [0.0, 0.0], "old": [0.0, 0.0]}
    rm_min_age = None  # the youngest removed since the last report
    rm_min_settled = None  # the youngest at or over FRESH since the last report
    nights = 0  # purge runs so far (the collector learns the retention)
    split_from = 0.0 if configured else None  # when the agent has the retention
    exact_ok = False  # the previous delivered scan was complete

    def removed(b, o, young_b, young_o, age, fresh_b=0.0, fresh_o=0.0, settled=None):
        """Books a removal of whole files (o objects, b bytes), young_* of it
        younger than the retention, fresh_* of that younger than FRESH, the
        youngest age at removal and the youngest at or over FRESH (settled;
        None: the removal is all fresh)."""
        nonlocal rm_min_age, rm_min_settled
        if o <= 0:
            return  # bytes without files: shrinkage in place, not removal
        young_b = min(max(young_b, 0.0), b)
        young_o = min(max(young_o, 0.0), o)
        fresh_b = min(max(fresh_b, 0.0), young_b)
        fresh_o = min(max(fresh_o, 0.0), young_o)
        rm["fresh"][0] += fresh_b
        rm["fresh"][1] += fresh_o
        rm["young"][0] += young_b - fresh_b
        rm["young"][1] += young_o - fresh_o
        rm["old"][0] += b - young_b
        rm["old"][1] += o - young_o
        age = max(0.0, age)
        rm_min_age = age if rm_min_age is None else min(rm_min_age, age)
        if settled is not None and o - fresh_o > 0:
            settled = max(float(FRESH), settled)
            rm_min_settled = settled if rm_min_settled is None else min(rm_min_settled, settled)

    def report():
        """Whole files removed since the last report: (bytes, objects) for
        all, young and fresh, the youngest age and the youngest settled
        age; fractions wait."""
        nonlocal rm_min_age, rm_min_settled
        outv = {}
        for k, v in rm.items():
            n = math.floor(v[1] + 1e-6)
            b = v[0] * n / v[1] if v[1] > 0 else 0.0
            if n == 0:
                b = 0.0
            outv[k] = (b, n)
            v[0] -= b
            v[1] -= n
        n_all = outv["fresh"][1] + outv["young"][1] + outv["old"][1]
        age = rm_min_age if n_all > 0 else None
        if age is not None:
            rm_min_age = None
        settled = rm_min_settled if outv["young"][1] + outv["old"][1] > 0 else None
        if settled is not None:
            rm_min_settled = None
        yb = outv["fresh"][0] + outv["young"][0]
        return (yb + outv["old"][0], n_all, yb, outv["fresh"][1] + outv["young"][1], age,
                outv["fresh"][0], outv["fresh"][1], settled)

    def newest_age(t):
        return t - (max(cohorts) * 3600 + 1800) if cohorts else RS

    def fresh_split(t):
        """The cohorts younger than FRESH at t (bytes, objects, unscaled)
        and the age of the youngest older one (RS: only the pool)."""
        fb_ = fo_ = 0.0
        settled = None
        for h, c in cohorts.items():
            a = t - (h * 3600 + 1800)
            if a < FRESH:
                fb_ += c[0]
                fo_ += c[1]
            elif settled is None or a < settled:
                settled = a
        return fb_, fo_, RS if settled is None else settled

    def take_fraction(fb, fo):
        """Deletes fractions of every cohort and the pool (random files)."""
        nonlocal pool_b, pool_o, sc_b, sc_o
        rb = raw[0] * sc_b * fb + pool_b * fb
        ro = raw[1] * sc_o * fo + pool_o * fo
        sc_b *= 1 - fb
        sc_o *= 1 - fo
        pool_b -= pool_b * fb
        pool_o -= pool_o * fo
        return rb, ro

    def live_total():
        return raw[0] * sc_b + pool_b

    def live_objs():
        return raw[1] * sc_o + pool_o

    while t < days * 86400:
        dt = interval * rng.uniform(0.9, 1.1)
        t_next = t + dt
        day = int(t // 86400)
        if day != last_day:
            last_day = day
            day_factor = math.exp(rng.gauss(0, 0.2))
            jitter = rng.uniform(-1800, 1800)
            if rng.random() < 0.1:
                s0 = day * 86400 + rng.uniform(8, 18) * 3600
                surge_until = s0 + rng.uniform(2, 8) * 3600
                surge = rng.uniform(2, 5)
                surge_from = s0
            else:
                surge_from = surge_until = -1
        # cohorts that reach the retention age by this scan are old now
        ny = young_from(t_next)
        while yptr < ny:
            cy = cohorts.get(yptr)
            if cy is not None:
                young_raw[0] -= cy[0]
                young_raw[1] -= cy[1]
            yptr += 1
        # ingest over (t, t_next]
        h = int(t // 3600)
        dow = (T0 // 86400 + day + 4) % 7
        w = weekend if dow in (0, 6) else 1.0
        b = V * w * day_factor * hour_w[h % 24] / wsum * dt / 3600 * rng.uniform(0.5, 1.5)
        if surge_from <= t < surge_until:
            b *= surge
        o = math.floor(b / clip + rng.random())
        b = o * clip * rng.uniform(0.8, 1.2)
        o *= 2
        c = cohorts.setdefault(h, [0.0, 0.0])
        c[0] += b / sc_b
        c[1] += o / sc_o
        raw[0] += b / sc_b
        raw[1] += o / sc_o
        if h >= yptr:
            young_raw[0] += b / sc_b
            young_raw[1] += o / sc_o
        acc_b += b
        acc_o += o

        # the nightly purge (jittered start; missed nights; double runs)
        pstart = day * 86400 + purge_at + jitter
        if t < pstart <= t_next:
            r = rng.random()
            if r < 0.03 and day not in over_nights:
                pass  # missed night: tomorrow deletes both
            else:
                cut_h = int((pstart - R * 86400) // 3600)
                if day == anomaly_day and family == "overpurge":
                    onset = pstart  # the label follows the jittered start
                    end = onset + inj_len
                if day in over_nights:  # retention misconfigured: over_mult nights' worth
                    cut_h += int((day - anomaly_day + 1) * (over_mult - 1) * 24)
                pb = po = pyb = pyo = 0.0
                nights += 1
                if split_from is None and nights == 3:
                    split_from = (day + 1) * 86400.0
                while next_purge_h < cut_h:
                    ch = next_purge_h
                    cc = cohorts.pop(next_purge_h, None)
                    next_purge_h += 1
                    if cc is None:
                        continue
                    raw[0] -= cc[0]
                    raw[1] -= cc[1]
                    if ch >= yptr:
                        young_raw[0] -= cc[0]
                        young_raw[1] -= cc[1]
                    cc = [cc[0] * sc_b, cc[1] * sc_o]
                    kb, ko = cc[0] * keep, cc[1] * keep
                    pool_b += kb
                    pool_o += ko
                    pb += cc[0] - kb
                    po += cc[1] - ko
                    if ch >= yptr:
                        pyb += cc[0] - kb
                        pyo += cc[1] - ko
                    born = ch * 3600 + 1800
                    pl_newest = born if pl_newest is None else max(pl_newest, born)
                length = purge_len * rng.uniform(0.8, 1.25)
                if rng.random() < 0.04:  # a double run: half now, half hours later
                    second_run = (pstart + rng.uniform(1, 4) * 3600, pb / 2, po / 2, length / 2,
                                  pyb / 2, pyo / 2)
                    pb /= 2
                    po /= 2
                    pyb /= 2
                    pyo /= 2
                    length /= 2
                purge_left_b += pb
                purge_left_o += po
                pl_young[0] += pyb
                pl_young[1] += pyo
                purge_rate = (purge_left_b / length, purge_left_o / length)
                purge_run_end = t_next + length
        if second_run and t_next >= second_run[0]:
            purge_left_b += second_run[1]
            purge_left_o += second_run[2]
            pl_young[0] += second_run[4]
            pl_young[1] += second_run[5]
            purge_rate = (purge_left_b / second_run[3], purge_left_o / second_run[3])
            purge_run_end = t_next + second_run[3]
            second_run = None
        if purge_left_b > 0:
            # whole files: a video and its sidecar at a time, bytes with them
            fr = min(1.0, dt / max(purge_run_end - t, dt))
            do = purge_left_o * fr
            do = min(purge_left_o, 2 * math.floor(do / 2 + rng.random())) if fr < 1 else purge_left_o
            db = purge_left_b * (do / purge_left_o) if purge_left_o > 0 else purge_left_b * fr
            yb = pl_young[0] * db / purge_left_b
            yo = pl_young[1] * do / purge_left_o if purge_left_o > 0 else 0.0
            pa = t_next - (pl_newest if pl_newest is not None else 0)
            removed(db, do, yb, yo, pa, settled=pa)
            pl_young[0] -= yb
            pl_young[1] -= yo
            purge_left_b -= db
            purge_left_o -= do
            if purge_left_b < 1:
                purge_left_b = purge_left_o = 0.0
                pl_young = [0.0, 0.0]
                if second_run is None:
                    pl_newest = None

        # injected losses over (onset, end]
        if onset >= 0 and family not in ("overpurge", "normal") and t_next > onset and (
                t < end or not inj_started):
            if not inj_started:
                inj_started = True
                size_at_onset = live_total() + purge_left_b
                if family == "object_loss":
                    inj_target_o = size * (live_objs() + purge_left_o)
                    inj_target_b = inj_target_o / 2 * 8192
                elif family != "leak":
                    inj_target_b = size * size_at_onset
                    if family != "truncate":
                        inj_target_o = size * (live_objs() + purge_left_o)
                if family == "declared":
                    declared_b = inj_target_b * declared[2]
                    declared_o = inj_target_o * declared[2]
            if family == "leak":
                f = size * dt / 86400
                fb, fo = f, f
            else:
                span = max(end - onset, 1.0)
                frac = 1.0 if end <= t_next else max(0.0, min(1.0, (t_next - onset) / span))
                want_b = inj_target_b * frac - inj_done_b
                want_o = inj_target_o * frac - inj_done_o
                tb = live_total()
                to = live_objs()
                fb = max(0.0, want_b / tb) if tb > 0 else 0.0
                fo = max(0.0, want_o / to) if to > 0 else 0.0
                if family == "object_loss":
                    fb = 0.0  # sidecars: the bytes are booked below
                if family == "truncate":
                    fo = 0.0
            if victims == "old" and pool_b > 0 and pool_o > 0:
                # an archive folder: evidence kept past retention
                tb, to = live_total(), live_objs()
                rb = min(fb * tb, 0.9 * pool_b)
                ro = min(fo * to, 0.9 * pool_o)
                pool_b -= rb
                pool_o -= ro
                oa = max(RS + 86400, t_next - next_purge_h * 3600)
                removed(rb, ro, 0, 0, oa, settled=oa)
            elif victims == "recent":
                # an insider: the newest footage first
                tb = live_total()
                want = fb * tb
                rb = ro = 0.0
                for ch in sorted(cohorts, reverse=True):
                    if want - rb <= 0:
                        break
                    cc = cohorts[ch]
                    have = cc[0] * sc_b
                    if have <= 0:
                        continue
                    x = min(have, want - rb) / have  # the fraction of this hour
                    db_, do_ = cc[0] * x, cc[1] * x
                    cc[0] -= db_
                    cc[1] -= do_
                    raw[0] -= db_
                    raw[1] -= do_
                    yb_ = yo_ = 0.0
                    if ch >= yptr:
                        young_raw[0] -= db_
                        young_raw[1] -= do_
                        yb_, yo_ = db_ * sc_b, do_ * sc_o
                    rb += db_ * sc_b
                    ro += do_ * sc_o
                    ca = t_next - (ch * 3600 + 1800)
                    if ca < FRESH:
                        removed(db_ * sc_b, do_ * sc_o, yb_, yo_, ca, yb_, yo_)
                    else:
                        removed(db_ * sc_b, do_ * sc_o, yb_, yo_, ca, settled=ca)
            else:
                yb, yo = young_raw[0] * sc_b * fb, young_raw[1] * sc_o * fo
                age = newest_age(t_next)
                frb, fro, sa = fresh_split(t_next)
                frb, fro = frb * sc_b * fb, fro * sc_o * fo
                rb, ro = take_fraction(fb, fo)
                if family == "object_loss":
                    ob = min(want_b, pool_b)
                    pool_b -= ob
                    rb += ob
                    # sidecars: the bytes go with the objects, young as they are
                    yb = ob * yo / ro if ro > 0 else 0.0
                    frb = ob * fro / ro if ro > 0 else 0.0
                removed(rb, ro, yb, yo, age, frb, fro, sa)
            inj_done_b += rb
            inj_done_o += ro

        # temp files: born and gone within a few samples
        if temp_until >= 0 and t_next >= temp_until:
            ta = t_next - temp_born
            if ta < FRESH:
                removed(temp_b, temp_o, temp_b, temp_o, ta, temp_b, temp_o)
            else:
                removed(temp_b, temp_o, temp_b, temp_o, ta, settled=ta)
            temp_b = temp_o = 0.0
            temp_until = -1
        if temp_until < 0 and rng.random() < 0.05:
            temp_b = tmp_scale * rng.uniform(0.1, 1.0)
            temp_o = rng.randint(1, 5)
            temp_born = t_next
            acc_b += temp_b
            acc_o += temp_o
            temp_until = t_next + rng.uniform(1, 4) * dt

        t = t_next
        # a double run's second half is still on disk until it runs
        tot_b = live_total() + purge_left_b + temp_b + (second_run[1] if second_run else 0.0)
        tot_o = live_objs() + purge_left_o + temp_o + (second_run[2] if second_run else 0.0)
        ts = T0 + int(t)
        if t < gap_until:
            continue
        if rng.random() < 0.001:  # a missed sample, rarely an outage of up to 2 hours
            gap_until = t + (rng.uniform(0, 7200) if rng.random() < 0.03 else dt)
            continue
        if rng.random() < 0.002:
            csv.write("%d,%s,,,%spartial,7%s\n" % (ts, store, "" if net else ",,",
                                                    ",0,,,,,,,,,," if exact else ""))
            exact_ok = False  # the next scan has no complete one to diff against
            continue
        if exact:
            # what the manifest diff since the previous delivered scan says
            rb_, ro_, yb_, yo_, age, fb_, fo_, sage = report()
            fcols = ",%d,%.0f,%d,%s" % (FRESH, fb_, fo_, "" if sage is None else "%d" % sage)
            if not exact_ok:
                xcols = ",0,,,,,,,,,,"
            elif split_from is not None and t >= split_from:
                xcols = ",152,%.0f,%d,%.0f,%d,%s,%d" % (rb_, ro_, yb_, yo_,
                                                        "" if age is None else "%d" % age,
                                                        RS) + fcols
            else:
                xcols = ",136,%.0f,%d,,,%s," % (rb_, ro_,
                                                "" if age is None else "%d" % age) + fcols
            exact_ok = True
            csv.write("%d,%s,%.0f,%.0f,%.0f,%.0f,complete,7%s\n" %
                      (ts, store, tot_b, tot_o, acc_b, acc_o, xcols))
        elif net:
            csv.write("%d,%s,%.0f,%.0f,complete,7\n" % (ts, store, tot_b, tot_o))
        else:
            csv.write("%d,%s,%.0f,%.0f,%.0f,%.0f,complete,7\n" %
                      (ts, store, tot_b, tot_o, acc_b, acc_o))
        acc_b = acc_o = 0.0
    csv.close()

    with open(out + ".explain.csv", "w") as f:
        f.write("start,end,store,bytes,objects,reason\n")
        if declared:
            f.write("%d,%d,%s,%.0f,%.0f,court order %d\n" %
                    (T0 + int(declared[0]), T0 + int(declared[1]), store, declared_b,
                     declared_o, seed))
    with open(out + ".conf", "w") as f:
        if configured:
            f.write("[store %s]\nretention = %dd\npurge_at = %02d:%02d\n" %
                    (store, R, purge_at // 3600, purge_at // 60 % 60))
    label["onset"] = T0 + int(onset) if onset >= 0 else -1
    label["end"] = T0 + int(end) if onset >= 0 else -1
    # the loss's size: fraction of the store (drops), per day (leaks),
    # the multiple of the due purge (overpurge)
    label["size"] = size
    if declared:
        label["window"] = [T0 + int(declared[0]), T0 + int(declared[1])]
    with open(out + ".json", "w") as f:
        json.dump(label, f, sort_keys=True)
        f.write("\n")
    return 0



if __name__ == "__main__":
    sys.exit(main())
