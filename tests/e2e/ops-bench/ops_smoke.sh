#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# ops_smoke.sh -- bench/ops.sh --smoke where the RDMA device is (the guest): 10 lease breaks with
# 2 acking clients and with a silent one, the floor, one export against raw registration, 2
# clients and 2 exports for scale; then every line of revoke/floor/export/scale.jsonl has every
# field, each samples file exists with one line per break, and no revocation missed its deadline.
set -euo pipefail
TEST=ops_smoke
say() { echo "$TEST: $*"; }
fail() { say "FAIL: $*"; exit 1; }
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
[ -n "$(ls /sys/class/infiniband 2>/dev/null)" ] || { say "SKIP: no RDMA device"; exit 77; }
[ "$(id -u)" = 0 ] || { say "SKIP: not root (leases on the exported files, devdax)"; exit 77; }
out=$(mktemp -d /dev/shm/daxmr-e2e-ops.XXXXXX)
trap 'rm -rf "$out"' EXIT
"$ROOT/bench/ops.sh" --smoke --inside --out "$out" || fail "bench/ops.sh --smoke exited $?"
python3 "$ROOT/bench/ops.py" check "$out" revoke floor export scale || fail "fields missing (above)"
for f in "$out"/revoke-*.txt "$out/floor.txt"; do
	[ "$(wc -l <"$f")" = 10 ] || fail "$f has $(wc -l <"$f") samples, expected 10"
done
[ "$(wc -l <"$out/revoke.jsonl")" = 2 ] || fail "revoke.jsonl: $(wc -l <"$out/revoke.jsonl") lines, expected 2"
python3 - "$out/revoke.jsonl" <<'PY' || fail "revoke.jsonl does not say what the runs were"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
acking, silent = lines
# every break revoked every holder; the silent one's revocations ended at the ack budget
assert acking["causes"] == {"all acked": 10}, acking["causes"]
assert acking["holders"] == 2 and silent["holders"] == 3, (acking["holders"], silent["holders"])
assert silent["causes"] == {"ack budget": 10}, silent["causes"]
assert silent["release_us"]["p50"] >= silent["ack_budget_ms"] * 1000, silent["release_us"]
PY
say "ok: every file, every field, 0 deadline misses"
say "PASS"
