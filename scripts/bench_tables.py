#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# bench_tables.py -- the tables of docs/benchmarks.md from scripts/bench.sh's raw results:
# medians of the interleaved runs of perftest and daxmr-bench per point, and their ratio.
"""Usage: bench_tables.py [--header TEXT] [--depth N] RESULTS.tsv DAXMR.jsonl LS.out

RESULTS.tsv: one run per line: export, op, size, kind (bw|lat), program (perftest|daxmr),
value (MiB/s for bw, microseconds for lat, "-" for a failed run). DAXMR.jsonl: daxmr-bench
--json's objects (for the path and depth used). LS.out: `daxmr ls` (memory, registration)."""
import argparse
import json
import os
import statistics
import sys


def fmt(v):
    return "%.2f" % v if v >= 10 else "%.3f" % v


def size_text(n):
    if n < 1024:
        return "%d B" % n
    if n < 1 << 20:
        return "%d KiB" % (n >> 10)
    return "%d MiB" % (n >> 20)


def table(rows, mem, kind, title, unit, anchor):
    out = [title, "", "| export | op | size | %s %s | daxmr-bench %s | daxmr / perftest |"
           % (anchor, unit, unit), "|---|---|---|---|---|---|"]
    seen = []
    for r in rows:
        key = tuple(r[:3])
        if r[3] != kind or key in seen:
            continue
        seen.append(key)
        vals, med, cell = {}, {}, {}
        for p in ("perftest", "daxmr"):
            vals[p] = [float(x[5]) for x in rows
                       if tuple(x[:3]) == key and x[3] == kind and x[4] == p and x[5] != "-"]
            med[p] = statistics.median(vals[p]) if vals[p] else None
            cell[p] = ("%s (%s)" % (fmt(med[p]), ", ".join(fmt(x) for x in vals[p]))
                       if med[p] is not None else "failed")
        ratio = "%.2fx" % (med["daxmr"] / med["perftest"]) if med["daxmr"] and med["perftest"] else "-"
        out.append("| %s (%s) | %s | %s | %s | %s | %s |" % (
            key[0], mem.get(key[0], "?"), key[1], size_text(int(key[2])), cell["perftest"],
            cell["daxmr"], ratio))
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--header", default="")
    ap.add_argument("--depth", default="128")
    ap.add_argument("results")
    ap.add_argument("daxmr_json")
    ap.add_argument("ls")
    a = ap.parse_args()
    rows = [l.rstrip("\n").split("\t") for l in open(a.results) if l.strip()]
    bad = [r for r in rows if len(r) != 6]
    if bad:
        sys.exit("bench_tables.py: malformed result lines: %s" % bad[:3])
    runs = []
    if os.path.exists(a.daxmr_json):
        runs = [json.loads(l) for l in open(a.daxmr_json) if l.strip()]
    mem = {}
    for l in open(a.ls).read().splitlines()[1:]:
        f = l.split()
        if len(f) >= 5:
            mem[f[0]] = "%s, %s" % (f[3], f[4])
    paths = sorted({"%s at depth %s" % (r["path"], r["depth"]) for r in runs if r["mode"] == "bw"})
    if a.header:
        print(a.header + ".")
    print("daxmr-bench in the bandwidth runs: %s; in the latency runs: depth 1, busy polling."
          % ("; ".join(paths) or "no successful run"))
    print()
    print(table(rows, mem, "bw", "Bandwidth, MiB/s: median (each run). perftest: ib_read_bw / "
                "ib_write_bw -t %s, BW average[MB/sec]; daxmr-bench -t %s, MiB_s." % (a.depth, a.depth),
                "MiB/s", "ib_*_bw"))
    print(table(rows, mem, "lat", "Latency, microseconds: median (each run). perftest: ib_read_lat / "
                "ib_write_lat, t_typical; daxmr-bench --lat, lat_us.p50.", "us", "ib_*_lat"))


if __name__ == "__main__":
    main()
