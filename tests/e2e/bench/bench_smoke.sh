#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# bench_smoke.sh -- daxmr-bench against daxmrd's devdax export: a 1 s read run and a 1 s write
# run each print a result line with ops > 0; the written blocks are on the device (read through
# mmap, not RDMA); daxmr-bench reg prints its line. No figure is checked.
. "$(dirname "$0")/../service/lib.sh"
: "${DAXMR_BENCH:?DAXMR_BENCH must name the daxmr-bench binary}"

[ -c "$DEVDAX" ] || skip "no devdax device $DEVDAX"
start_daxmrd d --export "dev=$DEVDAX"

# result_ops FILE OP: the ops= of FILE's result line for OP (empty if there is none)
result_ops() {
	sed -n "s/^daxmr export=dev op=$2 size=4096 ops=\([0-9]*\) seconds=[0-9.]* MiB\/s=[0-9.]* ops\/s=[0-9]* lat_us p50=[0-9.]* p99=[0-9.]* max=[0-9.]*$/\1/p" "$1"
}

"$DAXMR_BENCH" -s "$SERVER" dev --op read --size 4K --seconds 1 >"$WORK/read.out" 2>"$WORK/read.log" ||
	fail "daxmr-bench read exited $?"
cat "$WORK/read.out"
ops=$(result_ops "$WORK/read.out" read)
[ "${ops:-0}" -gt 0 ] || fail "no read result line with ops > 0"
grep -Eq '^daxmr connect_ms=[0-9.]+ open_ms=[0-9.]+ flush_ms=0\.00$' "$WORK/read.out" ||
	fail "no connect/open line for the read run"
say "ok: read: $ops operations in 1 s"

# Overwrite the span with random bytes first, so that stale blocks of an earlier run cannot pass.
span=$((64 << 10))
random_file "$WORK/junk" $span
"$DAXMR" -s "$SERVER" put dev -i "$WORK/junk" || fail "daxmr put of the random span failed"
"$DAXMR_BENCH" -s "$SERVER" dev --op write --size 4K --span 64K --seconds 1 >"$WORK/write.out" 2>"$WORK/write.log" ||
	fail "daxmr-bench write exited $?"
cat "$WORK/write.out"
ops=$(result_ops "$WORK/write.out" write)
[ "${ops:-0}" -gt 0 ] || fail "no write result line with ops > 0"
grep -Eq '^daxmr connect_ms=[0-9.]+ open_ms=[0-9.]+ flush_ms=[0-9.]+$' "$WORK/write.out" ||
	fail "no connect/open/flush line for the write run"
say "ok: write: $ops operations in 1 s"
[ "$ops" -ge 16 ] || fail "the write run did $ops operations, fewer than the 16 blocks of the span"

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

# usage errors are exit 2 and say what is wrong
rc=0
"$DAXMR_BENCH" -s "$SERVER" dev --op frobnicate 2>"$WORK/usage.log" || rc=$?
[ "$rc" = 2 ] || fail "a bad --op exited $rc, not 2 (usage)"
grep -q frobnicate "$WORK/usage.log" || fail "the usage error does not name the bad --op"
say "ok: a bad --op is exit 2, named"
say "PASS"
