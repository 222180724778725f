#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# bench_report.py -- the tables, plots and the whole of docs/benchmarks.md from one run's raw
# figures: scripts/bench.sh's (perftest next to daxmr-bench) and bench/ops.sh's (revocation,
# export cost, scale). Medians of the interleaved runs, their ratios, the targets' verdicts.
"""Usage:
  bench_report.py tables DATA
      the markdown tables of scripts/bench.sh's figures in DATA (results.tsv, daxmr.jsonl,
      ls.out, env.txt) on stdout
  bench_report.py report DATA --ops OPS --template FILE --doc FILE --img DIR [--meta K=V]...
      docs/benchmarks.md (--doc) from --template, with every @NAME@ replaced (tables, verdicts,
      the run's facts), and the PNG plots into --img (gnuplot); OPS: bench/ops.sh --out's
      directory (revoke.jsonl, floor.jsonl, export.jsonl, scale.jsonl, sample files), whose
      missing files are "not measured in this run".

results.tsv: one run per line: kind (bw|lat), op, size, program (perftest|perftest-R|daxmr),
export (- for perftest), value (MiB/s for bw, t_typical / p50 in us for lat), t_min, p99, t_max
(us, lat only; "-" otherwise or for a failed run)."""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys

BW_TARGET = 0.98  # issue 7: bandwidth >= 0.98x perftest
LAT_TARGET = 1.05  # issue 7: latency <= 1.05x ib_read_lat's t_typical at 8 B and 4 KiB
NOT_MEASURED = "not measured in this run"
# hand-written notes on a run, included where the template says @NAME@: docs/bench/notes-lat.md ...
NOTES = ("LAT_NOTES", "DATA_PATH_NOTES", "OPS_NOTES")


def fmt(v):
    if v is None:
        return "-"
    return "%.2f" % v if v >= 10 else "%.3f" % v


def size_text(n):
    if n < 1024:
        return "%d B" % n
    if n < 1 << 20:
        return "%d KiB" % (n >> 10)
    if n < 1 << 30:
        return "%d MiB" % (n >> 20)
    return "%g GiB" % (n / (1 << 30))


def num(x):
    try:
        return float(x)
    except ValueError:
        return None


def load_env(path):
    env = {}
    if os.path.exists(path):
        for line in open(path):
            k, _, v = line.rstrip("\n").partition("=")
            if k:
                env[k] = v
    return env


class Run:
    """One bench.sh run: its points and every program's values per point."""

    def __init__(self, data):
        self.data = data
        self.env = load_env(os.path.join(data, "env.txt"))
        self.rows = []
        for line in open(os.path.join(data, "results.tsv")):
            f = line.rstrip("\n").split("\t")
            if not line.strip():
                continue
            if len(f) != 9:
                sys.exit("bench_report.py: malformed result line in %s: %r" % (data, line))
            self.rows.append(f)
        self.mem = {}
        ls = os.path.join(data, "ls.out")
        if os.path.exists(ls):
            for line in open(ls).read().splitlines()[1:]:
                f = line.split()
                if len(f) >= 5:
                    self.mem[f[0]] = "%s, %s" % (f[3], f[4])
        self.json = []
        js = os.path.join(data, "daxmr.jsonl")
        if os.path.exists(js):
            self.json = [json.loads(l) for l in open(js) if l.strip()]

    def points(self, kind):
        """(op, size) in the order measured."""
        seen = []
        for r in self.rows:
            key = (r[1], int(r[2]))
            if r[0] == kind and key not in seen:
                seen.append(key)
        return seen

    def exports(self, kind, op, size):
        out = []
        for r in self.rows:
            if r[0] == kind and r[1] == op and int(r[2]) == size and r[3] == "daxmr" and r[4] not in out:
                out.append(r[4])
        return out

    def values(self, kind, op, size, prog, export="-", col=5):
        return [num(r[col]) for r in self.rows
                if r[0] == kind and r[1] == op and int(r[2]) == size and r[3] == prog and r[4] == export
                and num(r[col]) is not None]

    def median(self, *a, **k):
        v = self.values(*a, **k)
        return statistics.median(v) if v else None


def cell(vals):
    if not vals:
        return "failed"
    return "%s (%s)" % (fmt(statistics.median(vals)), ", ".join(fmt(x) for x in vals))


def ratio(a, b):
    return a / b if a is not None and b else None


def ratio_text(r):
    return "%.2fx" % r if r is not None else "-"


def point_table(run, kind, head, extra=None):
    """One row per (op, size, export): perftest's runs, daxmr's, their ratio, extra(op, size, e)'s
    cells, and the same against perftest -R where the run measured it."""
    with_r = any(r[3] == "perftest-R" and r[0] == kind for r in run.rows)
    cols = head.count("|") - 1
    if with_r:
        head += " %s -R | daxmr / perftest -R |" % head.split("|")[4].strip()
        cols += 2
    out = [head, "|" + "---|" * cols]
    for op, size in run.points(kind):
        pt = run.values(kind, op, size, "perftest")
        ptr = run.values(kind, op, size, "perftest-R")
        for e in run.exports(kind, op, size):
            d = run.values(kind, op, size, "daxmr", e)
            dm = statistics.median(d) if d else None
            cells = [op, size_text(size), "%s (%s)" % (e, run.mem.get(e, "?")), cell(pt), cell(d),
                     ratio_text(ratio(dm, statistics.median(pt) if pt else None))]
            cells += extra(op, size, e) if extra else []
            if with_r:
                cells += [cell(ptr) if ptr else "-",
                          ratio_text(ratio(dm, statistics.median(ptr) if ptr else None))]
            out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


def bw_table(run):
    return point_table(run, "bw", "| op | size | export | ib_*_bw MiB/s | daxmr-bench MiB/s | daxmr / perftest |")


def lat_table(run):
    def mmm(op, size, e):
        return [" / ".join(fmt(run.median("lat", op, size, prog, x, col=c)) for c in (6, 7, 8))
                for prog, x in (("perftest", "-"), ("daxmr", e))]

    return point_table(run, "lat", "| op | size | export | ib_*_lat t_typical us | daxmr-bench p50 us | "
                       "daxmr / perftest | perftest t_min / p99 / t_max | daxmr t_min / p99 / t_max |", mmm)


def run_header(run):
    e = run.env
    n = len(run.points("bw")) + len(run.points("lat"))
    if "seconds" in e:
        end = "guest load average %s at the start and %s at the end, %s s in all" % (
            e.get("loadavg_start", "?"), e.get("loadavg_end", "?"), e["seconds"])
    else:
        end = ("guest load average %s at the start; the guest's time limit stopped the run after "
               "%d points" % (e.get("loadavg_start", "?"), n))
    return ("Run: `scripts/bench.sh%s` on %s, Linux %s, rdma_rxe %s, %s path MTU %s, %s vCPUs, "
            "%s rounds per point, bandwidth runs of %s s at tx depth %s, %s." % (
                " --quick" if e.get("quick") == "1" else "", e.get("date", "?"), e.get("kernel", "?"),
                e.get("rxe", "?"), e.get("device", "?"), e.get("mtu", "?"), e.get("cpus", "?"),
                e.get("reps", "?"), e.get("bw_seconds", "?"), e.get("depth", "?"), end))


def tables(run):
    paths = sorted({"%s at depth %s" % (r["path"], r["depth"]) for r in run.json if r["mode"] == "bw"})
    out = [run_header(run), "",
           "daxmr-bench in the bandwidth runs: %s; in the latency runs: depth 1, busy polling, one "
           "client in the main thread." % ("; ".join(paths) or "no successful run"), "",
           "Bandwidth, MiB/s (2^20 bytes/s): median (each run). perftest: ib_read_bw / ib_write_bw "
           "-t %s -D S, BW average[MB/sec]; daxmr-bench -t %s -D S, MiB_s." % (
               run.env.get("depth", "128"), run.env.get("depth", "128")), "",
           bw_table(run),
           "Latency, microseconds: median (each run). perftest: ib_read_lat / ib_write_lat -n N, "
           "t_typical (its median); daxmr-bench --lat -n N, lat_us.p50. t_min / p99 / t_max: "
           "medians over the runs.", "",
           lat_table(run)]
    return "\n".join(out)


def verdicts(run):
    """The issue's targets, as this run reports them."""
    out = []
    below = []
    for op, size in run.points("bw"):
        pt = run.median("bw", op, size, "perftest")
        for e in run.exports("bw", op, size):
            r = ratio(run.median("bw", op, size, "daxmr", e), pt)
            if r is not None and r < BW_TARGET:
                below.append("%s %s %s %.2fx" % (e, op, size_text(size), r))
    n_bw = sum(1 for op, size in run.points("bw") for _ in run.exports("bw", op, size))
    out.append("- Bandwidth >= %.2fx perftest at every size and the same depth: %s of %d points "
               "below%s." % (BW_TARGET, len(below), n_bw, (" (" + ", ".join(below) + ")") if below else ""))
    lat_below = []
    n_lat = 0
    slow = 0
    for op, size in run.points("lat"):
        if size not in (8, 4096):
            continue
        pt = run.median("lat", op, size, "perftest")
        for e in run.exports("lat", op, size):
            r = ratio(run.median("lat", op, size, "daxmr", e), pt)
            if r is None:
                continue
            n_lat += 1
            if max(run.median("lat", op, size, "daxmr", e), pt) > 1000:
                slow += 1
            if r > LAT_TARGET:
                lat_below.append("%s %s %s %.2fx" % (e, op, size_text(size), r))
    out.append("- Latency <= %.2fx perftest's t_typical at 8 B and 4 KiB: %d of %d points above%s.%s" % (
        LAT_TARGET, len(lat_below), n_lat, (" (" + ", ".join(lat_below) + ")") if lat_below else "",
        " In %d of them a median is above 1 ms (the guest's millisecond mode): no verdict there." % slow
        if slow else ""))
    return "\n".join(out) + "\n"


# ---- bench/ops.sh's figures ----

def load_jsonl(ops, name):
    p = os.path.join(ops, name) if ops else None
    if not p or not os.path.exists(p):
        return None
    out = []
    for line in open(p):
        if line.strip():
            try:
                out.append(json.loads(line))
            except ValueError:
                sys.exit("bench_report.py: %s: not JSON lines: %r" % (p, line[:80]))
    return out


def q(d, k):
    v = (d or {}).get(k)
    return fmt(float(v)) if isinstance(v, (int, float)) else "-"


def revoke_table(rev, floor):
    if rev is None:
        return "Revocation: %s (no revoke.jsonl).\n" % NOT_MEASURED
    out = ["| clients | exports | silent | breaks | unblock p50 / p90 / p99 / max us | release p50 / p90 / "
           "p99 / max us | misses | lease-break-time s | p99 / floor p99 |", "|---|---|---|---|---|---|---|---|---|"]
    fp99 = (floor[0].get("us") or {}).get("p99") if floor else None
    for r in rev:
        u, rl = r.get("unblock_us"), r.get("release_us")
        rp99 = (u or {}).get("p99")
        out.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            r.get("clients"), r.get("exports"), "yes" if r.get("silent") else "no", r.get("breaks"),
            " / ".join(q(u, k) for k in ("p50", "p90", "p99", "max")),
            " / ".join(q(rl, k) for k in ("p50", "p90", "p99", "max")),
            "%s%s" % (r.get("misses"), " (%s breaks not matched to daxmrd's log)" % r["unmatched"]
                      if r.get("unmatched") else ""),
            r.get("lease_break_time_s"), ratio_text(ratio(rp99, fp99)) if fp99 else "-"))
    if floor:
        f = floor[0].get("us")
        out.append("")
        out.append("Floor (signal delivery + one ibv_dereg_mr + munmap + F_UNLCK, no clients, same boot): "
                   "p50 / p90 / p99 / max %s us." % " / ".join(q(f, k) for k in ("p50", "p90", "p99", "max")))
    else:
        out.append("")
        out.append("Floor: %s (no floor.jsonl)." % NOT_MEASURED)
    return "\n".join(out) + "\n"


def export_table(exp):
    if exp is None:
        return "Export cost: %s (no export.jsonl).\n" % NOT_MEASURED
    out = ["| size | mode | segments | daxmrd export ms | raw ibv_reg_mr ms | daxmr / raw | lease / seal / map / "
           "register / datacheck / windows ms |", "|---|---|---|---|---|---|---|"]
    for r in exp:
        s = r.get("steps_ms") or {}
        out.append("| %s | %s | %s | %s | %s | %s | %s |" % (
            size_text(int(r.get("size", 0))), r.get("mode"), r.get("segments"), q(r, "daxmr_ms"), q(r, "raw_ms"),
            ratio_text(r.get("ratio")) if isinstance(r.get("ratio"), (int, float)) else "-",
            " / ".join(q(s, k) for k in ("lease", "seal", "map", "register", "datacheck", "windows"))))
    return "\n".join(out) + "\n"


def scale_table(sc):
    if sc is None:
        return "Scale: %s (no scale.jsonl).\n" % NOT_MEASURED
    out = ["| clients | exports | daxmrd RSS KiB | fds | revocation ms | KiB per client |", "|---|---|---|---|---|---|"]
    for r in sc:
        out.append("| %s | %s | %s | %s | %s | %s |" % (r.get("clients"), r.get("exports"), r.get("rss_kib"),
                                                       r.get("fds"), q(r, "revoke_ms"), q(r, "kib_per_client")))
    return "\n".join(out) + "\n"


# ---- plots ----

def gnuplot(script, what):
    if not shutil.which("gnuplot"):
        sys.exit("bench_report.py: gnuplot is missing (scripts/deps.sh bench)")
    p = subprocess.run(["gnuplot"], input=script, text=True, capture_output=True)
    if p.returncode:
        sys.exit("bench_report.py: gnuplot failed on %s: %s" % (what, p.stderr.strip()))


TERM = "set terminal pngcairo noenhanced size 900,560 font 'sans,10'\n"
XTICS = ("set xtics (%s)\n" % ", ".join("'%s' %d" % (size_text(1 << i), 1 << i) for i in range(2, 24, 2)))


def plot_bw(run, img):
    """Bandwidth against message size: perftest and daxmr on each export, READ and WRITE."""
    made = []
    for op in ("read", "write"):
        sizes = sorted({s for o, s in run.points("bw") if o == op})
        if not sizes:
            continue
        series = [("perftest", "-", "ib_%s_bw" % op)]
        if run.values("bw", op, sizes[-1], "perftest-R") or any(run.values("bw", op, s, "perftest-R") for s in sizes):
            series.append(("perftest-R", "-", "ib_%s_bw -R" % op))
        exps = []
        for s in sizes:
            for e in run.exports("bw", op, s):
                if e not in exps:
                    exps.append(e)
        series += [("daxmr", e, "daxmr-bench %s" % e) for e in exps]
        dat = os.path.join(img, "bw-%s.dat" % op)
        with open(dat, "w") as f:
            for prog, e, title in series:
                f.write("# %s\n" % title)
                for s in sizes:
                    m = run.median("bw", op, s, prog, e)
                    if m is not None:
                        f.write("%d %g\n" % (s, m))
                f.write("\n\n")
        png = os.path.join(img, "bw-%s.png" % op)
        plots = ", ".join("'%s' index %d using 1:2 with linespoints lw 2 title '%s'" % (dat, i, t)
                          for i, (_, _, t) in enumerate(series))
        gnuplot(TERM + XTICS + ("set output '%s'\nset logscale xy 2\nset grid\n"
                "set key top left\nset xlabel 'message size'\nset ylabel 'MiB/s (median of the runs)'\n"
                "set title 'RDMA %s bandwidth against message size, tx depth %s (TCG guest: shapes and ratios only)'\n"
                "plot %s\n" % (png, op.upper(), run.env.get("depth", "128"), plots)), png)
        os.unlink(dat)
        made.append(png)
    return made


def plot_revoke_cdf(rev, floor, ops, img):
    """The revocation latency CDF of each configuration's samples, with the floor's."""
    sets = []
    for r in (rev or []) + (floor or []):
        sp = r.get("samples")
        if not sp or not os.path.exists(os.path.join(ops, sp)):
            continue
        vals = sorted(float(x) for x in open(os.path.join(ops, sp)) if x.strip())
        if not vals:
            continue
        if r.get("kind") == "floor":
            title = "floor (no clients)"
        else:
            title = "%s clients x %s exports%s" % (r.get("clients"), r.get("exports"),
                                                   ", one silent" if r.get("silent") else "")
        sets.append((title, vals))
    if not sets:
        return None
    dat = os.path.join(img, "revoke-cdf.dat")
    with open(dat, "w") as f:
        for title, vals in sets:
            f.write("# %s\n" % title)
            n = len(vals)
            for i, v in enumerate(vals):
                f.write("%g %g\n" % (max(v, 0.001), (i + 1) / n))
            f.write("\n\n")
    png = os.path.join(img, "revoke-cdf.png")
    plots = ", ".join("'%s' index %d using 1:2 with steps lw 2 title '%s'" % (dat, i, t) for i, (t, _) in enumerate(sets))
    gnuplot(TERM + "set output '%s'\nset logscale x 10\nset grid\nset key bottom right\nset yrange [0:1]\n"
            "set xlabel 'lease break to breaker unblocked (us, log scale)'\nset ylabel 'fraction of breaks'\n"
            "set title 'Revocation latency CDF (TCG guest: shapes and ratios only)'\nplot %s\n" % (png, plots), png)
    os.unlink(dat)
    return png


def plot_rss(sc, img):
    """daxmrd's RSS against connected clients (the runs with one export)."""
    pts = sorted((int(r["clients"]), float(r["rss_kib"])) for r in (sc or [])
                 if isinstance(r.get("rss_kib"), (int, float)) and int(r.get("exports", 1)) <= 1)
    if len(pts) < 2:
        return None
    dat = os.path.join(img, "rss.dat")
    with open(dat, "w") as f:
        for c, k in pts:
            f.write("%d %g\n" % (c, k / 1024))
    png = os.path.join(img, "rss-clients.png")
    gnuplot(TERM + "set output '%s'\nset grid\nset key top left\nset xlabel 'connected idle clients'\n"
            "set ylabel 'daxmrd RSS (MiB)'\nset title 'daxmrd memory against clients (one export)'\n"
            "plot '%s' using 1:2 with linespoints lw 2 title 'VmRSS'\n" % (png, dat), png)
    os.unlink(dat)
    return png


def report(a):
    run = Run(a.data)
    ops = a.ops if a.ops and os.path.isdir(a.ops) else None
    rev, floor = load_jsonl(ops, "revoke.jsonl"), load_jsonl(ops, "floor.jsonl")
    exp, sc = load_jsonl(ops, "export.jsonl"), load_jsonl(ops, "scale.jsonl")
    os.makedirs(a.img, exist_ok=True)
    rel = os.path.relpath(a.img, os.path.dirname(os.path.abspath(a.doc)))

    def pic(path, alt):
        return "![%s](%s/%s)\n" % (alt, rel, os.path.basename(path)) if path else "(%s: %s)\n" % (alt, NOT_MEASURED)

    bw_pngs = plot_bw(run, a.img)
    subs = {
        "RUN": run_header(run),
        "TABLES": tables(run),
        "VERDICTS": verdicts(run),
        "BW_PLOTS": "".join(pic(p, "bandwidth against message size, " + os.path.basename(p)[3:-4].upper())
                            for p in bw_pngs) or "(bandwidth plots: %s)\n" % NOT_MEASURED,
        "REVOKE_TABLE": revoke_table(rev, floor),
        "REVOKE_PLOT": pic(plot_revoke_cdf(rev, floor, ops, a.img) if ops else None, "revocation latency CDF"),
        "EXPORT_TABLE": export_table(exp),
        "SCALE_TABLE": scale_table(sc),
        "RSS_PLOT": pic(plot_rss(sc, a.img), "daxmrd RSS against clients"),
        "GUEST_KERNEL": run.env.get("kernel", "?"),
        "GUEST_CPUS": run.env.get("cpus", "?"),
        "CLOCKSOURCE": run.env.get("clocksource", "?"),
        "RXE": run.env.get("rxe", "?"),
        "MTU": run.env.get("mtu", "?"),
        "DATE": run.env.get("date", "?"),
    }
    for name in NOTES:
        p = os.path.join(a.notes, "notes-%s.md" % name.lower().replace("_notes", "").replace("_", "-")) if a.notes else None
        subs[name] = open(p).read() if p and os.path.exists(p) else ""
    for m in a.meta or []:
        k, _, v = m.partition("=")
        subs[k] = v
    text = open(a.template).read()
    for k, v in subs.items():
        text = text.replace("@%s@" % k, v.rstrip("\n") if "\n" not in v.rstrip("\n") else v.rstrip("\n"))
    left = [w for w in text.split("@") if w.isupper() and w.replace("_", "").isalpha()]
    if left:
        sys.exit("bench_report.py: %s: no value for @%s@" % (a.template, left[0]))
    with open(a.doc, "w") as f:
        f.write(text)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("tables")
    t.add_argument("data")
    r = sub.add_parser("report")
    r.add_argument("data")
    r.add_argument("--ops")
    r.add_argument("--template", required=True)
    r.add_argument("--doc", required=True)
    r.add_argument("--img", required=True)
    r.add_argument("--meta", action="append")
    r.add_argument("--notes", help="directory of notes-lat.md, notes-data-path.md, notes-ops.md")
    a = ap.parse_args()
    if a.cmd == "tables":
        print(tables(Run(a.data)))
    else:
        report(a)


if __name__ == "__main__":
    main()
