#!/usr/bin/env python3
"""history.py - a month in the life of a body-worn-video evidence store.

    history.py OUT_DIR [--now T] [--days N] [--step S] [--seed N] [--no-store]

Models a store the way a police force's evidence system fills and empties
one: body-worn-video clips uploaded from the docking stations through the
day (fewer at weekends), kept for 31 days, deleted by the nightly
retention purge at 02:00 UTC (except the cases flagged as evidence, which
are kept), three cases destroyed under a court order in a window an operator
declares beforehand, and one unexplained loss: a migration job that took
five case folders with it.  Writes into OUT_DIR:

  trace-1.csv, trace-2.csv   the samples an agent scanning every S seconds
                             would have sent over the N days up to now, in
                             the format of `shrinkwatchctl replay` (time,
                             store, bytes, objects, added_bytes,
                             added_objects), split where the court order is
                             declared: the declaration needs the store to
                             be known, and is filed before the deletion
  store/                     the store as it is now: every clip still there,
                             as a sparse file of its real size (no disk
                             space), under YYYY/MM/DD/case-NNNN/clipN.mp4,
                             so the live agent's first scan continues the
                             history exactly (not with --no-store)
  events.sh                  shell assignments the demo uses: the court
                             order's window, bytes, objects and reason, the
                             lost case folders and the time of the loss

Deterministic for a given --now and --seed; runs in well under a second.
"""
import argparse, os, random, sys, time

RETENTION_DAYS = 31
PURGE_HOUR = 2  # UTC
EVIDENCE_SHARE = 0.12  # cases flagged as evidence: kept past retention
DAY = 86400


class Clip:
    __slots__ = ("day", "case", "n", "size", "up", "gone")

    def __init__(self, day, case, n, size, up):
        self.day, self.case, self.n, self.size, self.up = day, case, n, size, up
        self.gone = None  # time it was deleted

    def path(self):
        return time.strftime("%Y/%m/%d", time.gmtime(self.day)) + f"/case-{self.case:04d}/clip{self.n}.mp4"


def make_clips(rng, first_day, last_day):
    """Every clip recorded from first_day to last_day (day starts, UTC)."""
    clips, case, evidence = [], 4000, set()
    for day in range(first_day, last_day + DAY, DAY):
        weekend = time.gmtime(day).tm_wday >= 5
        for _ in range(rng.randint(10, 14) if weekend else rng.randint(22, 30)):
            case += 1
            if rng.random() < EVIDENCE_SHARE:
                evidence.add(case)
            for n in range(1, rng.randint(2, 6) + 1):
                # a clip: 2 to 40 minutes of 1080p, about 25 MB a minute
                size = int(rng.lognormvariate(19.3, 0.6)) // 4096 * 4096 + 4096
                # uploaded when the officer docks: end of shift
                up = day + rng.choice((7, 15, 23)) * 3600 + rng.randint(-1800, 5400)
                clips.append(Clip(day, case, n, size, up))
    return clips, evidence


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("out")
    ap.add_argument("--now", type=int, default=int(time.time()))
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--step", type=int, default=300)
    ap.add_argument("--seed", type=int, default=4711)
    ap.add_argument("--no-store", action="store_true", help="write no store/, only the traces")
    a = ap.parse_args(argv[1:])
    rng, step = random.Random(a.seed), a.step
    end = a.now // step * step - step  # the last sample: just before now
    start = end - a.days * DAY
    today = end // DAY * DAY
    clips, evidence = make_clips(rng, today - (a.days + RETENTION_DAYS + 1) * DAY, today)

    # the court order: every clip of three cases kept as evidence (one
    # incident), 3 days ago at 14:10, declared at 14:00 for 14:00-16:00
    court_day = today - 3 * DAY
    old = sorted({c.case for c in clips if c.case in evidence and c.day < court_day - 40 * DAY})
    court_cases = sorted(old, key=lambda k: -sum(c.size for c in clips if c.case == k))[:3]
    court = [c for c in clips if c.case in court_cases]
    decl_from, decl_to = court_day + 14 * 3600, court_day + 16 * 3600
    for k, c in enumerate(court):  # one rm -r of three folders
        c.gone = court_day + 14 * 3600 + 10 * 60 + k
    # the unexplained loss: this morning or yesterday in working hours, a
    # migration moved five case folders of ten days before to a new array
    # over ten minutes and lost them on the way
    loss_at = next(t for t in range(end - 3 * 3600, end - DAY, -3600)
                   if 8 <= time.gmtime(t).tm_hour <= 20) // 60 * 60 - 23 * 60
    lost_day = today - 10 * DAY
    lost_cases = sorted({c.case for c in clips if c.day == lost_day and c.case not in evidence})[3:8]
    lost = [c for c in clips if c.case in lost_cases]
    for k, c in enumerate(lost):
        c.gone = loss_at + k * 600 // len(lost)
    # the nightly purge: from 02:00, clips past retention, one every 10-30 s
    for night in range(today - (a.days + 1) * DAY, today + DAY, DAY):
        t = night + PURGE_HOUR * 3600 + 60
        for c in clips:
            if c.gone is None and c.case not in evidence and c.day < night - RETENTION_DAYS * DAY:
                c.gone, t = t, t + rng.randint(10, 30)

    def present(c, t):  # in the store at a scan starting at t
        return c.up < t and (c.gone is None or c.gone >= t)

    # the samples: totals at each scan, and what was born since the last one
    events = sorted([(c.up, 0, c) for c in clips] + [(c.gone, 1, c) for c in clips if c.gone],
                    key=lambda e: (e[0], e[1]))
    objects = bytes_ = 0
    i = 0
    while i < len(events) and events[i][0] < start:
        _, gone, c = events[i]
        objects += -1 if gone else 1
        bytes_ += -c.size if gone else c.size
        i += 1
    rows = []
    for t in range(start, end + 1, step):
        added_o = added_b = 0
        while i < len(events) and events[i][0] < t:
            _, gone, c = events[i]
            if gone:
                objects, bytes_ = objects - 1, bytes_ - c.size
            else:
                objects, bytes_ = objects + 1, bytes_ + c.size
                added_o, added_b = added_o + 1, added_b + c.size
            i += 1
        rows.append((t, bytes_, objects, added_b, added_o))

    os.makedirs(a.out, exist_ok=True)
    header = "time,store,bytes,objects,added_bytes,added_objects\n"
    for name, part in (("trace-1.csv", [r for r in rows if r[0] < decl_from - 600]),
                       ("trace-2.csv", [r for r in rows if r[0] >= decl_from - 600])):
        with open(os.path.join(a.out, name), "w") as f:
            f.write(header)
            for k, (t, b, o, ab, ao) in enumerate(part):
                first = name == "trace-1.csv" and k == 0  # the agent's first scan: no added_*
                f.write(f"{t},bodycam,{b},{o},{'' if first else ab},{'' if first else ao}\n")

    store = os.path.join(a.out, "store")
    now_clips = [c for c in clips if present(c, end + 1)]
    for c in now_clips if not a.no_store else ():
        p = os.path.join(store, c.path())
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.truncate(c.size)
    assert sum(c.size for c in now_clips) == rows[-1][1] and len(now_clips) == rows[-1][2]

    def q(s):
        return "'" + s.replace("'", "'\\''") + "'"
    court_bytes = sum(c.size for c in court)
    with open(os.path.join(a.out, "events.sh"), "w") as f:
        f.write(f"last_time={end}\nsamples={len(rows)}\n")
        f.write(f"decl_from={decl_from}\ndecl_to={decl_to}\n")
        f.write(f"decl_bytes={court_bytes * 11 // 10}\ndecl_objects={len(court)}\n")
        names = ", ".join(f"case-{k:04d}" for k in sorted(court_cases))
        f.write(f"decl_reason={q(f'court order 2026/117: destroy all footage of {names}')}\n")
        f.write(f"loss_time={loss_at}\nloss_objects={len(lost)}\nloss_bytes={sum(c.size for c in lost)}\n")
        f.write(f"loss_folders={q(' '.join(sorted({os.path.dirname(c.path()) for c in lost})))}\n")
        f.write(f"store_objects={rows[-1][2]}\nstore_bytes={rows[-1][1]}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
