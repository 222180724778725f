#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# fio_verify.sh -- fio with the daxmr engine over daxmrd's devdax export:
#  - bench/fio/verify.fio: 8 MiB of random 4 KiB writes at depth 16, then fio reads each block
#    back and checks its crc32c: exit 0, no error in the JSON, every byte written and read back;
#  - a block changed behind fio's back (daxmr put): the verify-only rerun must exit non-zero
#    with a verify error (the check can fail);
#  - bench/fio/rw.fio: write, read, randwrite, randread at depth 16, each error-free with all its
#    bytes moved.
. "$(dirname "$0")/../service/lib.sh"
: "${DAXMR_FIO_JOBS:?DAXMR_FIO_JOBS must name bench/fio}"
[ -n "${DAXMR_FIO_ENGINE:-}" ] || fail "the fio engine was not built (install fio: scripts/deps.sh fio; reconfigure)"
[ -f "$DAXMR_FIO_ENGINE" ] || fail "no fio engine at $DAXMR_FIO_ENGINE"
command -v fio >/dev/null || fail "no fio on PATH (scripts/deps.sh fio)"
[ -c "$DEVDAX" ] || skip "no devdax device $DEVDAX"

start_daxmrd d --export "dev=$DEVDAX"
export DAXMR_FIO_ENGINE DAXMR_SERVER=$SERVER DAXMR_EXPORT=dev DAXMR_FIO_SIZE=8m DAXMR_FIO_VERIFY_ONLY=0

# check_json FILE WANT_ERROR JOB:RW:BYTES...: fio's JSON: each job's error (0, or nonzero when
# WANT_ERROR is "error") and the bytes its reads and writes moved (W:<n> write, R:<n> read)
check_json() {
	python3 - "$@" <<'PY' || fail "fio's JSON ($1) is not what was wanted"
import json, sys
path, want_error = sys.argv[1], sys.argv[2]
txt = open(path).read()
# fio may print notes before the JSON object
o = json.loads(txt[txt.index("{"):])
jobs = {j["jobname"]: j for j in o["jobs"]}
for spec in sys.argv[3:]:
    name, *moves = spec.split(":")
    j = jobs.get(name)
    if j is None:
        sys.exit("no job %s in %s" % (name, sorted(jobs)))
    err = j["error"]
    if want_error == "error":
        if err == 0:
            sys.exit("job %s: error 0, want a verify error" % name)
    elif err != 0:
        sys.exit("job %s: error %d" % (name, err))
    for m in moves:
        d, n = m[0], int(m[1:])
        got = j["write" if d == "W" else "read"]["io_bytes"]
        if got != n:
            sys.exit("job %s: %s io_bytes %d, want %d" % (name, d, got, n))
    # fio counts, at each submission, how many I/Os were in flight (buckets 1, 2, 4, 8, 16, ...):
    # on the async path at iodepth 16 with batches of 8 that is 8 or more nearly always (a
    # synchronous engine would sit at 1)
    lvl = j.get("iodepth_level", {})
    deep = sum(float(lvl.get(k, 0)) for k in ("8", "16", "32", ">=64"))
    if want_error != "error" and deep < 90.0:
        sys.exit("job %s: in flight at submission %s: 8 or more only %.1f %%" % (name, lvl, deep))
    print("%s: error %d, read %d B (%.1f MiB/s), write %d B (%.1f MiB/s), depth >= 8 at %.1f %%" % (
        name, err, j["read"]["io_bytes"], j["read"]["bw"] / 1024.0,
        j["write"]["io_bytes"], j["write"]["bw"] / 1024.0, deep))
PY
}

size=$((8 << 20))
rc=0
fio --output-format=json --output="$WORK/verify.json" "$DAXMR_FIO_JOBS/verify.fio" >"$WORK/verify.log" 2>&1 || rc=$?
[ "$rc" = 0 ] || fail "fio verify.fio exited $rc: $(cat "$WORK/verify.log" "$WORK/verify.json" 2>/dev/null | tail -n 20)"
out=$(check_json "$WORK/verify.json" ok randwrite-verify:W$size:R$size) || exit 1
say "ok: $out"

# change one 4 KiB block behind fio's back: its crc32c no longer matches
head -c 4096 /dev/urandom >"$WORK/junk"
"$DAXMR" -s "$SERVER" put dev --offset $((1 << 20)) -i "$WORK/junk" || fail "daxmr put of the junk block failed"
rc=0
DAXMR_FIO_VERIFY_ONLY=1 fio --output-format=json --output="$WORK/reverify.json" \
	"$DAXMR_FIO_JOBS/verify.fio" >"$WORK/reverify.log" 2>&1 || rc=$?
[ "$rc" != 0 ] || fail "the verify-only run passed over a block changed behind fio's back"
grep -Eqi 'verify|crc32c' "$WORK/reverify.log" "$WORK/reverify.json" ||
	fail "the verify-only run failed (exit $rc) but not with a verify error: $(tail -n 20 "$WORK/reverify.log")"
out=$(check_json "$WORK/reverify.json" error randwrite-verify) || exit 1
say "ok: $out (exit $rc: the changed block was caught)"

rc=0
DAXMR_FIO_RUNTIME=60 fio --output-format=json --output="$WORK/rw.json" "$DAXMR_FIO_JOBS/rw.fio" >"$WORK/rw.log" 2>&1 || rc=$?
[ "$rc" = 0 ] || fail "fio rw.fio exited $rc: $(tail -n 20 "$WORK/rw.log")"
out=$(check_json "$WORK/rw.json" ok write-64k:W$size read-64k:R$size randwrite-4k:W$size randread-4k:R$size) ||
	exit 1
while read -r l; do say "ok: $l"; done <<<"$out"

stop_daxmrd TERM
say "PASS"
