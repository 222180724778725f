#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# ops.py -- bench/ops.sh's figures: joins daxmrd's log with the benchmark programs' output and
# appends one JSON line per configuration to DIR/<kind>.jsonl, printing a human line on stdout.
"""Usage:
  ops.py revoke DIR DAEMON_LOG DETAIL SAMPLES N E SILENT LEASE_BREAK_S ACK_BUDGET_MS PROCS
  ops.py floor DIR FLOOR_OUTPUT SAMPLES
  ops.py export DIR SIZE MODE SEGMENTS RAW_US,... LOG,...
  ops.py scale DIR N E RSS0_KIB RSS_KIB FDS DAEMON_LOG BREAK_EXPORT CONNECT_MS [ERROR]
  ops.py check DIR KIND...   (every field of every line present; revoke misses == 0)

revoke: DETAIL has 'EXPORT GENERATION UNBLOCK_US' per break (daxmr-bench-revoke --detail);
each break is matched with daxmrd's NOTICE lines of that export and generation ("revoked export
... released R ms after the break" and "revocation timings of export ...").
"""
import json
import os
import re
import statistics
import sys

REVOKED = re.compile(
    r"revoked export (\S+) generation (\d+): reason (\S+), holders (\d+), acked (\d+) "
    r"\(([^)]*)\); REVOKE sent ([0-9.]+) ms, last ack (\S+)(?: ms)?, released ([0-9.]+) ms "
    r"after the break")
TIMINGS = re.compile(
    r"revocation timings of export (\S+) generation (\d+): sent (\d+) us, last ack (\d+) us, "
    r"fence start (\d+) us, fenced (\d+) us, released (\d+) us; dereg (\d+) us, munmap (\d+) "
    r"us, unlock (\d+) us")
STEPS = re.compile(
    r"export (\S+): generation (\d+) established in ([0-9.]+) ms: lease ([0-9.]+), seal "
    r"([0-9.]+), map ([0-9.]+), register ([0-9.]+) \((\w+), (\d+) MRs?\), datacheck ([0-9.]+), "
    r"windows ([0-9.]+) ms")

FIELDS = {
    "revoke": ["kind", "clients", "exports", "silent", "breaks", "unblock_us", "release_us",
               "misses", "lease_break_time_s", "samples", "breakdown_us"],
    "floor": ["kind", "us", "samples"],
    "export": ["kind", "size", "mode", "segments", "daxmr_ms", "raw_ms", "ratio", "steps_ms"],
    "scale": ["kind", "clients", "exports", "rss_kib", "fds", "revoke_ms", "kib_per_client"],
}
DIST = ["p50", "p90", "p99", "max"]


def pct(vals, p):
    """Nearest-rank percentile (the programs' own definition)."""
    v = sorted(vals)
    k = max(0, -(-len(v) * p // 100) - 1)
    return v[int(k)]


def dist(vals):
    return {"p50": pct(vals, 50), "p90": pct(vals, 90), "p99": pct(vals, 99), "max": max(vals)}


def append(d, kind, obj):
    with open(os.path.join(d, kind + ".jsonl"), "a") as f:
        f.write(json.dumps(obj, sort_keys=False) + "\n")


def revoke(a):
    d, log, detail, samples = a[0], a[1], a[2], a[3]
    n, e, silent, lbt_s, budget, procs = int(a[4]), int(a[5]), int(a[6]), int(a[7]), \
        int(a[8]), int(a[9])
    rev, tim = {}, {}
    with open(log, errors="replace") as f:
        for line in f:
            m = REVOKED.search(line)
            if m:
                rev[(m.group(1), int(m.group(2)))] = m
            m = TIMINGS.search(line)
            if m:
                tim[(m.group(1), int(m.group(2)))] = [int(x) for x in m.groups()[2:]]
    unblock, release, holders, causes, missing = [], [], [], {}, 0
    parts = {k: [] for k in ("fanout", "last_ack", "ack_wait", "fence", "dereg", "munmap",
                             "unlock", "release")}
    with open(detail) as f:
        for line in f:
            exp, gen, us = line.split()
            key = (exp, int(gen))
            unblock.append(int(us))
            if key not in rev or key not in tim:
                missing += 1
                continue
            m = rev[key]
            release.append(float(m.group(9)) * 1000)
            holders.append(int(m.group(4)))
            causes[m.group(6)] = causes.get(m.group(6), 0) + 1
            sent, last, fstart, fenced, rel, dereg, unmap, unlock = tim[key]
            parts["fanout"].append(sent)
            parts["last_ack"].append(last)
            parts["ack_wait"].append(fstart - sent)  # REVOKE sent -> last ack or budget
            parts["fence"].append(fenced - fstart)
            parts["dereg"].append(dereg)
            parts["munmap"].append(unmap)
            parts["unlock"].append(unlock)
            parts["release"].append(rel - fenced)  # dereg + munmap + unlock + close
    lbt_us = lbt_s * 1e6
    misses = sum(1 for r in release if r >= lbt_us) + missing
    obj = {"kind": "revoke", "clients": n, "exports": e, "silent": silent,
           "breaks": len(unblock), "unblock_us": dist(unblock),
           "release_us": dist(release) if release else None, "misses": misses,
           "lease_break_time_s": lbt_s, "samples": os.path.basename(samples),
           "breakdown_us": {k: statistics.median(v) for k, v in parts.items() if v},
           "breakdown_p99_us": {k: pct(v, 99) for k, v in parts.items() if v},
           "ack_budget_ms": budget, "procs": procs,
           "connections": (n + silent) * -(-e // 16),
           "holders": max(holders) if holders else 0, "causes": causes,
           "unmatched": missing}
    append(d, "revoke", obj)
    u, r, b = obj["unblock_us"], obj["release_us"] or {}, obj["breakdown_us"]
    print("revoke clients=%d exports=%d silent=%d breaks=%d: unblock us p50 %d p90 %d p99 %d "
          "max %d; release us p50 %s p99 %s max %s; misses %d (lease-break-time %d s); "
          "median us: fan-out %s, last ack %s, fence %s, dereg %s, munmap %s, unlock %s; "
          "causes %s" % (n, e, silent, len(unblock), u["p50"], u["p90"], u["p99"], u["max"],
                         r.get("p50"), r.get("p99"), r.get("max"), misses, lbt_s,
                         b.get("fanout"), b.get("last_ack"), b.get("fence"), b.get("dereg"),
                         b.get("munmap"), b.get("unlock"), causes))
    return 0 if missing == 0 else 1


def floor(a):
    d, out, samples = a[0], a[1], a[2]
    with open(samples) as f:
        us = [int(x) for x in f if x.strip()]
    with open(out) as f:
        text = f.read()
    m = re.search(r"release_us p50=(\d+) p90=(\d+) p99=(\d+) max=(\d+)", text)
    obj = {"kind": "floor", "us": dist(us), "samples": os.path.basename(samples),
           "count": len(us)}
    if m:
        obj["holder_release_us"] = dict(zip(DIST, [int(x) for x in m.groups()]))
    append(d, "floor", obj)
    print("floor (signal + ibv_dereg_mr + munmap + F_UNLCK, no clients) count=%d: breaker us "
          "p50 %d p90 %d p99 %d max %d" % (len(us), obj["us"]["p50"], obj["us"]["p90"],
                                           obj["us"]["p99"], obj["us"]["max"]))
    return 0


def export(a):
    d, size, mode, segs = a[0], int(a[1]), a[2], int(a[3])
    raw = [int(x) / 1000 for x in a[4].split(",") if x]
    steps = {k: [] for k in ("lease", "seal", "map", "register", "datacheck", "windows")}
    total = []
    for log in a[5].split(","):
        with open(log, errors="replace") as f:
            m = next((m for m in (STEPS.search(l) for l in f) if m), None)
        if not m:
            print("export: no 'established in' line in %s" % log, file=sys.stderr)
            return 1
        total.append(float(m.group(3)))
        for k, g in zip(steps, (4, 5, 6, 7, 10, 11)):
            steps[k].append(float(m.group(g)))
    med = statistics.median(total)
    rmed = statistics.median(raw)
    obj = {"kind": "export", "size": size, "mode": mode, "segments": segs, "daxmr_ms": med,
           "raw_ms": rmed, "ratio": round(med / rmed, 3) if rmed > 0 else None,
           "steps_ms": {k: statistics.median(v) for k, v in steps.items()},
           "register_ratio": round(statistics.median(steps["register"]) / rmed, 3)
           if rmed > 0 else None,
           # the data-path check runs once per registration mode and daemon, not per export
           "ratio_no_datacheck": round(statistics.median(
               [t - c for t, c in zip(total, steps["datacheck"])]) / rmed, 3) if rmed > 0 else None, "runs": len(total), "daxmr_runs_ms": total, "raw_runs_ms": raw}
    append(d, "export", obj)
    s = obj["steps_ms"]
    print("export %d MiB %s %d segment(s): daxmrd %.2f ms, raw ibv_reg_mr %.2f ms, ratio %s "
          "(without the once-per-daemon data-path check %s, register alone %s); daxmrd steps ms: lease %.2f seal %.2f map %.2f register %.2f "
          "datacheck %.2f windows %.3f (medians of %d)" % (
              size >> 20, mode, segs, med, rmed, obj["ratio"], obj["ratio_no_datacheck"],
              obj["register_ratio"],
              s["lease"], s["seal"], s["map"], s["register"], s["datacheck"], s["windows"],
              len(total)))
    return 0


def scale(a):
    d, n, e, rss0, rss, fds, log, brk, conn_ms = a[0], int(a[1]), int(a[2]), int(a[3]), \
        int(a[4]), int(a[5]), a[6], a[7], int(a[8])
    err = a[9] if len(a) > 9 else ""
    rel = None
    if os.path.exists(log):
        with open(log, errors="replace") as f:
            for line in f:
                m = REVOKED.search(line)
                if m and m.group(1) == brk:
                    rel = float(m.group(9))
    obj = {"kind": "scale", "clients": n, "exports": e, "rss_kib": rss, "fds": fds,
           "revoke_ms": rel, "kib_per_client": round((rss - rss0) / n, 1) if n else None,
           "rss0_kib": rss0, "connect_ms": conn_ms}
    if err:
        obj["error"] = err
    append(d, "scale", obj)
    print("scale clients=%d exports=%d: daxmrd VmRSS %d KiB (%d without clients), %d fds, "
          "revocation of %s %s ms, %s KiB per client%s" % (
              n, e, rss, rss0, fds, brk, rel, obj["kib_per_client"],
              "; STOPPED: " + err if err else ""))
    return 0


def check(a):
    d, ok = a[0], True
    for kind in a[1:]:
        path = os.path.join(d, kind + ".jsonl")
        if not os.path.exists(path):
            print("check: no %s" % path)
            ok = False
            continue
        with open(path) as f:
            lines = [json.loads(l) for l in f if l.strip()]
        if not lines:
            print("check: %s is empty" % path)
            ok = False
        for obj in lines:
            for k in FIELDS[kind]:
                if k not in obj or obj[k] is None:
                    print("check: %s: a line without %s: %s" % (path, k, obj))
                    ok = False
            for k in ("unblock_us", "release_us", "us"):
                if k in FIELDS[kind] and isinstance(obj.get(k), dict) and \
                        set(obj[k]) != set(DIST):
                    print("check: %s: %s lacks a percentile: %s" % (path, k, obj[k]))
                    ok = False
            if kind == "revoke" and obj.get("misses") != 0:
                print("check: %s: %s deadline misses" % (path, obj.get("misses")))
                ok = False
            if "samples" in obj and not os.path.exists(os.path.join(d, obj["samples"])):
                print("check: %s: no samples file %s" % (path, obj["samples"]))
                ok = False
            if kind == "scale" and obj.get("error"):
                print("check: %s: %s" % (path, obj["error"]))
                ok = False
    print("check: %s" % ("every field present" if ok else "FAILED"))
    return 0 if ok else 1


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in ("revoke", "floor", "export", "scale", "check"):
        sys.exit(__doc__)
    return globals()[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
