#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# breaks.py -- the driver of breaks.sh: N lease breaks in a row, one at a time, and their figures.
"""Usage: breaks.py DAEMON_LOG FILE N LEASE_BREAK_MS CSV|- WATCH_LOG...

Break i (1..N) is an open(O_RDWR) of FILE by this process, timed (the breaker's wait), then
closed. Before the next break it waits until daxmrd logged generation i+1 of the export
("export NAME: path ..., generation G,") and every watcher printed "opened export=NAME
generation=G", so each break meets every watcher holding the export.
Afterwards it reads daxmrd's NOTICE line of each revocation ("revoked export NAME generation G:
... holders H, acked A (CAUSE); REVOKE sent S ms, last ack L ms, released R ms after the break")
and prints count, p50/p99/max of break-to-release, last ack and breaker wait, and deadline misses.
Exit 0 if there are N revocation lines, every holder acked, and none was released at or past
LEASE_BREAK_MS; 1 otherwise. Every wait is bounded (30 s).
"""
import os
import re
import sys
import time

WAIT_S = 30
NAME = "t"
REVOKED = re.compile(
    r"revoked export (\S+) generation (\d+): reason (\S+), holders (\d+), acked (\d+) "
    r"\(([^)]*)\); REVOKE sent ([0-9.]+) ms, last ack (\S+)(?: ms)?, released ([0-9.]+) ms "
    r"after the break")


class Tail:
    """A file read incrementally: text appended since the last look, and all of it."""

    def __init__(self, path):
        self.path = path
        self.f = open(path, "r", errors="replace")
        self.buf = ""

    def grew(self):
        data = self.f.read()
        self.buf += data
        return data


def wait_all(tails, patterns, what):
    """Waits until tail k's text matches the regex patterns[k], for every k."""
    end = time.monotonic() + WAIT_S
    left = set(range(len(tails)))
    while True:
        for k in list(left):
            tails[k].grew()
            if patterns[k].search(tails[k].buf):
                left.discard(k)
        if not left:
            return
        if time.monotonic() > end:
            names = ", ".join(os.path.basename(tails[k].path) for k in sorted(left))
            sys.exit("breaks.py: %s: not seen within %d s in %s" % (what, WAIT_S, names))
        time.sleep(0.002)


def pct(sorted_vals, p):
    """Nearest-rank percentile."""
    if not sorted_vals:
        return float("nan")
    k = max(0, min(len(sorted_vals) - 1, -(-len(sorted_vals) * p // 100) - 1))
    return sorted_vals[int(k)]


def row(label, vals):
    v = sorted(vals)
    return "%-24s %8.3f %8.3f %8.3f %8.3f" % (label, pct(v, 50), pct(v, 99), v[-1] if v else
                                              float("nan"), sum(v) / len(v) if v else float("nan"))


def main():
    if len(sys.argv) < 7:
        sys.exit(__doc__)
    dlog, path, n, deadline_ms, csv = sys.argv[1], sys.argv[2], int(sys.argv[3]), \
        float(sys.argv[4]), sys.argv[5]
    daemon = Tail(dlog)
    watchers = [Tail(p) for p in sys.argv[6:]]
    waits = []
    t_start = time.monotonic()
    for i in range(1, n + 1):
        t0 = time.monotonic()
        fd = os.open(path, os.O_RDWR)  # blocks until daxmrd released its lease
        waits.append((time.monotonic() - t0) * 1000)
        os.close(fd)
        gen = i + 1
        # drop what earlier generations left in the buffers, so the searches stay short
        daemon.buf = daemon.buf[-4096:]
        for w in watchers:
            w.buf = w.buf[-512:]
        wait_all([daemon] + watchers,
                 [re.compile(r"export %s: path .*, generation %d," % (NAME, gen))] +
                 [re.compile(r"^opened export=%s generation=%d " % (NAME, gen), re.M)] *
                 len(watchers),
                 "generation %d after break %d" % (gen, i))
        if i % 100 == 0:
            print("breaks.py: %d breaks, %.1f s" % (i, time.monotonic() - t_start), flush=True)
    elapsed = time.monotonic() - t_start

    with open(dlog, errors="replace") as f:
        lines = [m for m in (REVOKED.search(l) for l in f) if m and m.group(1) == NAME]
    rel = [float(m.group(9)) for m in lines]
    sent = [float(m.group(7)) for m in lines]
    last = [float(m.group(8)) for m in lines if m.group(8) != "-"]
    holders = [int(m.group(4)) for m in lines]
    unacked = sum(1 for m in lines if m.group(4) != m.group(5))
    causes = {}
    for m in lines:
        causes[m.group(6)] = causes.get(m.group(6), 0) + 1
    misses = sum(1 for r in rel if r >= deadline_ms)
    if csv != "-":
        with open(csv, "w") as out:
            out.write("break,generation,holders,acked,cause,sent_ms,last_ack_ms,released_ms,"
                      "breaker_wait_ms\n")
            for k, m in enumerate(lines):
                out.write("%d,%s,%s,%s,%s,%s,%s,%s,%.3f\n" % (
                    k + 1, m.group(2), m.group(4), m.group(5), m.group(6), m.group(7),
                    m.group(8), m.group(9), waits[k] if k < len(waits) else float("nan")))
    print("breaks: %d in %.1f s (%.1f ms per break, re-establish and 16 reopens included)" %
          (n, elapsed, elapsed * 1000 / n))
    print("revocations logged: %d; holders per revocation: min %s max %s; not all acked: %d; "
          "causes: %s" % (len(lines), min(holders) if holders else "-",
                          max(holders) if holders else "-", unacked, causes))
    print("%-24s %8s %8s %8s %8s" % ("ms", "p50", "p99", "max", "mean"))
    print(row("REVOKE sent", sent))
    print(row("last ack", last))
    print(row("break to release", rel))
    print(row("breaker wait", waits))
    print("deadline (lease-break-time %.0f ms) misses: %d" % (deadline_ms, misses))
    ok = len(lines) == n and misses == 0 and unacked == 0 and (not rel or max(rel) < deadline_ms)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
