#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# bench_smoke.sh -- daxmr-bench against daxmrd's devdax export, short runs: bandwidth (depth 16)
# and latency (--lat) with --json, each object checked for its fields and for values that hang
# together (ops as asked, MiB_s and Gb_s from the same bytes and seconds, min <= p50 <= p99 <=
# max, the depth the path allows); --threads 2 sums two clients; the human table; the written
# blocks are on the device (read through mmap, not RDMA); fetch-and-add lands in the word where
# the export allows atomics; a file with a hole is UNAVAILABLE (exit 7, the server's reason); the
# reg anchor; perftest's -s is the size, never the server.
# No figure is judged: benchmarks print numbers next to anchors (scripts/bench.sh).
. "$(dirname "$0")/../service/lib.sh"
: "${DAXMR_BENCH:?DAXMR_BENCH must name the daxmr-bench binary}"

[ -c "$DEVDAX" ] || skip "no devdax device $DEVDAX"
# a file with a hole on the fs-DAX mount: daxmrd keeps it down (UNAVAILABLE, with the reason)
holed=
if mountpoint -q "$DAX_DIR"; then
	holed=$DAX_DIR/bench-smoke-holed.img
	remove_on_exit "$holed"
	rm -f "$holed"
	xfs_io -f -c "pwrite -q 0 4k" -c "truncate 1m" -c fsync "$holed" || fail "making $holed failed"
	start_daxmrd d --export "dev=$DEVDAX" --export "holed=$holed"
else
	start_daxmrd d --export "dev=$DEVDAX"
fi

# check_json FILE OP MODE SIZE DEPTH THREADS OPS: every field of daxmr-bench --json's one object
# in FILE and its consistency; prints the path (zero-copy or copy) it reports.
check_json() {
	python3 - "$@" <<'PY' || fail "daxmr-bench --json ($2 $3): $(cat "$1")"
import json, sys
path, op, mode, size, depth, threads, ops = sys.argv[1:8]
lines = [l for l in open(path).read().splitlines() if l.strip()]
if len(lines) != 1:
    sys.exit("want one JSON object, got %d lines" % len(lines))
o = json.loads(lines[0])
need = ["op", "mode", "path", "export", "memory", "registration", "size", "depth", "threads",
        "seconds", "ops", "bytes", "MiB_s", "Gb_s", "Mpps", "lat_us", "connect_ms", "open_ms",
        "flush_ms"]
missing = [k for k in need if k not in o]
missing += ["lat_us." + k for k in ("min", "p50", "p99", "max") if k not in o.get("lat_us", {})]
if missing:
    sys.exit("missing fields: %s" % missing)
def want(cond, what):
    if not cond:
        sys.exit("%s: %s" % (what, json.dumps(o)))
want(o["op"] == op and o["mode"] == mode, "op/mode")
want(o["export"] == "dev" and o["memory"] == "devdax" and o["registration"] == "pinned", "export")
want(o["size"] == int(size) and o["threads"] == int(threads), "size/threads")
want(o["ops"] == int(ops) and o["bytes"] == int(ops) * int(size), "ops/bytes")
want(o["path"] in ("zero-copy", "copy"), "path")
# the copying calls run one after the other: depth 1 whatever was asked
want(o["depth"] == (int(depth) if o["path"] == "zero-copy" else 1), "depth for the path")
s = o["seconds"]
want(0 < s < 120, "seconds")
mib = o["bytes"] / s / 1048576
want(abs(o["MiB_s"] - mib) <= 0.01 * mib + 0.01, "MiB_s is bytes / seconds")
want(abs(o["Gb_s"] - o["MiB_s"] * 1048576 * 8 / 1e9) <= 0.01 * o["Gb_s"] + 0.01, "Gb_s vs MiB_s")
want(0 < o["MiB_s"] < 1e6, "MiB_s plausible (0 .. 1 TiB/s)")
l = o["lat_us"]
want(0 < l["min"] <= l["p50"] <= l["p99"] <= l["max"] < 60e6, "lat_us ordered and plausible")
if mode == "lat":
    # one at a time: the run cannot be shorter than its operations' minimum latencies
    want(s * 1e6 >= 0.99 * o["ops"] * l["min"], "latency run longer than ops x t_min")
want(o["connect_ms"] > 0 and o["open_ms"] > 0, "connect/open times")
print(o["path"])
PY
}

"$DAXMR_BENCH" --server "$SERVER" dev --op read -s 4K -t 16 -n 2000 --json >"$WORK/bw.json" 2>"$WORK/bw.log" ||
	fail "daxmr-bench bw read exited $?: $(cat "$WORK/bw.log")"
path=$(check_json "$WORK/bw.json" read bw 4096 16 1 2000)
say "ok: bandwidth read 4K depth 16, 2000 ops, path $path: $(cat "$WORK/bw.json")"
[ "$path" = zero-copy ] || fail "daxmr-bench measured the copying calls (path $path): libdaxmr's zero-copy path is missing"

"$DAXMR_BENCH" --server "$SERVER" dev --op read -s 8 --lat -n 300 --json >"$WORK/lat.json" 2>"$WORK/lat.log" ||
	fail "daxmr-bench --lat exited $?: $(cat "$WORK/lat.log")"
check_json "$WORK/lat.json" read lat 8 1 1 300 >/dev/null
say "ok: latency read 8 B, 300 ops: $(cat "$WORK/lat.json")"

"$DAXMR_BENCH" --server "$SERVER" dev --op read -s 64K -t 8 -n 200 --threads 2 --json >"$WORK/thr.json" 2>"$WORK/thr.log" ||
	fail "daxmr-bench --threads 2 exited $?: $(cat "$WORK/thr.log")"
check_json "$WORK/thr.json" read bw 65536 8 2 400 >/dev/null
say "ok: --threads 2: 2 x 200 operations summed: $(cat "$WORK/thr.json")"

# the human table: the '#' line, perftest's latency columns, one row for the size
"$DAXMR_BENCH" --server "$SERVER" dev --lat -s 4K -n 100 >"$WORK/table.out" 2>"$WORK/table.log" ||
	fail "daxmr-bench table run exited $?"
cat "$WORK/table.out"
grep -q '^# daxmr-bench read latency: export dev (devdax, pinned' "$WORK/table.out" || fail "no '#' line"
grep -q 't_typical\[usec\]' "$WORK/table.out" || fail "no t_typical column"
grep -Eq '^ 4096 +100 +[0-9.]+ +[0-9.]+ +[0-9.]+ ' "$WORK/table.out" || fail "no row for 4096 B x 100"
say "ok: the latency table"

# fetch-and-add on word 0 (span 8): 50 adds of 1 at depth 4, then the tool reads the word with
# faa --add 0 and swaps it with cas -- only where the server and the device allow atomics
head -c 8 /dev/zero >"$WORK/zero8"
"$DAXMR" -s "$SERVER" put dev -i "$WORK/zero8" || fail "zeroing word 0 failed"
if "$DAXMR_BENCH" --server "$SERVER" dev --op faa --span 8 -t 4 -n 50 --json \
	>"$WORK/faa.json" 2>"$WORK/faa.log"; then
	check_json "$WORK/faa.json" faa bw 8 4 1 50 >/dev/null
	old=$("$DAXMR" -s "$SERVER" faa dev --offset 0 --add 0) || fail "daxmr faa exited $?"
	[ "$old" = 50 ] || fail "word 0 is $old after 50 fetch-and-adds of 1, not 50"
	old=$("$DAXMR" -s "$SERVER" cas dev --offset 0 --compare 50 --swap 0x1234) || fail "daxmr cas exited $?"
	[ "$old" = 50 ] || fail "cas found $old, not 50"
	old=$("$DAXMR" -s "$SERVER" cas dev --offset 0 --compare 50 --swap 1) || fail "daxmr cas exited $?"
	[ "$old" = $((0x1234)) ] || fail "the second cas found $old, not 0x1234 (the first one's swap)"
	say "ok: 50 fetch-and-adds made word 0 50; cas swapped it once, not twice"
else
	grep -Eq 'atomics|not supported' "$WORK/faa.log" || fail "daxmr-bench faa failed: $(cat "$WORK/faa.log")"
	say "note: no atomics on this export or device: $(tail -n1 "$WORK/faa.log")"
fi
rc=0
"$DAXMR" -s "$SERVER" cas dev --offset 4 --compare 0 --swap 1 2>"$WORK/cas.log" || rc=$?
if [ "$rc" != 2 ] || ! grep -q 'aligned' "$WORK/cas.log"; then
	fail "an unaligned cas exited $rc: $(cat "$WORK/cas.log")"
fi
say "ok: an unaligned cas is a usage error that says so"

# an export that is down for good: exit 7, and the server's reason on stderr
if [ -n "$holed" ]; then
	rc=0
	"$DAXMR" -s "$SERVER" get holed --length 8 -o "$WORK/holed.out" 2>"$WORK/holed.log" || rc=$?
	if [ "$rc" != 7 ] || ! grep -q 'hole at offset' "$WORK/holed.log"; then
		fail "get of a file with a hole exited $rc, not 7 with the reason: $(cat "$WORK/holed.log")"
	fi
	say "ok: an unavailable export is exit 7 with the reason: $(cat "$WORK/holed.log")"
fi

# Writes: overwrite the span with random bytes first, so that stale blocks of an earlier run
# cannot pass; then 64 writes of 4K at depth 4 over a 64K span (16 blocks, each written 4 times).
span=$((64 << 10))
random_file "$WORK/junk" $span
"$DAXMR" -s "$SERVER" put dev -i "$WORK/junk" || fail "daxmr put of the random span failed"
"$DAXMR_BENCH" --server "$SERVER" dev --op write -s 4K -t 4 --span 64K -n 64 --json >"$WORK/write.json" 2>"$WORK/write.log" ||
	fail "daxmr-bench write exited $?: $(cat "$WORK/write.log")"
check_json "$WORK/write.json" write bw 4096 4 1 64 >/dev/null
say "ok: write 4K depth 4, 64 ops: $(cat "$WORK/write.json")"

# What daxmr-bench --help says a write puts at offset OFF: byte i = i % 251, then the text
# "daxmr-bench offset=OFF\n" over its start.
python3 - "$span" >"$WORK/expected" <<'PY'
import sys
span, size = int(sys.argv[1]), 4096
out = bytearray()
for off in range(0, span, size):
    b = bytearray(i % 251 for i in range(size))
    h = b"daxmr-bench offset=%d\n" % off
    b[:len(h)] = h
    out += b
sys.stdout.buffer.write(out)
PY
stop_daxmrd TERM
file_range "$DEVDAX" 0 $span >"$WORK/device"
same_bytes "$WORK/expected" "$WORK/device" "the 16 written blocks are on $DEVDAX (read through mmap)"

"$DAXMR_BENCH" reg "$DEVDAX" --length 16M --iterations 2 -d "$RDMA_DEV" >"$WORK/reg.out" 2>"$WORK/reg.log" ||
	fail "daxmr-bench reg exited $?"
cat "$WORK/reg.out"
grep -Eq "^reg path=$DEVDAX device=$RDMA_DEV length=16777216 mode=pinned iterations=2 reg_ms first=[0-9.]+ p50=[0-9.]+ max=[0-9.]+ dereg_ms p50=[0-9.]+$" \
	"$WORK/reg.out" || fail "no reg line for $DEVDAX"
say "ok: reg line for $DEVDAX"

# usage errors are exit 2 and say what is wrong; -s is the size (perftest), not the server
rc=0
"$DAXMR_BENCH" --server "$SERVER" dev --op frobnicate 2>"$WORK/usage.log" || rc=$?
[ "$rc" = 2 ] || fail "a bad --op exited $rc, not 2 (usage)"
grep -q frobnicate "$WORK/usage.log" || fail "the usage error does not name the bad --op"
rc=0
"$DAXMR_BENCH" -s "$SERVER" dev 2>"$WORK/usage2.log" || rc=$?
if [ "$rc" != 2 ] || ! grep -q "^daxmr-bench: -s '$SERVER': not a size" "$WORK/usage2.log"; then
	fail "-s ADDR was not refused as a size (exit $rc): $(cat "$WORK/usage2.log")"
fi
say "ok: a bad --op and -s ADDR are exit 2, named"
say "PASS"
