#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# breaks.sh -- DAXMR_TEST_BREAKS (default 1000) lease breaks in a row on one tmpfs export held by
# 16 `daxmr watch` clients, lease-break-time 45 s. Each break is an open(O_RDWR) (breaks.py); the
# next one waits until the export is back and all 16 hold the new generation. Asserts one
# revocation per break, every holder acked, none released at or past lease-break-time; prints
# count, p50/p99/max of break-to-release and breaker wait, and daxmrd's VmRSS and fd count before
# the clients, with them, and after the breaks. DAXMR_TEST_BREAKS_CSV=FILE keeps every break's
# figures.
. "$(dirname "$0")/faults.sh"

n=${DAXMR_TEST_BREAKS:-1000}
watchers=16
f=$WORK/t.img
random_file "$f" $((1 << 20))
start_daxmrd d --allow-non-dax --export "t=$f"
wait_for "$WORK/d.log" 'export t: path .*generation 1,' 10 "export t"

# mem WHEN: daxmrd's resident memory and open fds, one line.
mem() {
	say "daxmrd $1: $(grep -E '^VmRSS' "/proc/$DPID/status" | tr -s '\t ' ' '), $(ls "/proc/$DPID/fd" | wc -l) fds"
}
mem "before any client"
logs=()
for i in $(seq "$watchers"); do
	start_watch "w$i" t
	logs+=("$WORK/w$i.log")
done
say "ok: $watchers watchers hold t generation 1"
mem "with $watchers clients"

t0=$(now_ms)
python3 "$(dirname "$0")/breaks.py" "$WORK/d.log" "$f" "$n" $((LEASE_BREAK_S * 1000)) \
	"${DAXMR_TEST_BREAKS_CSV:--}" "${logs[@]}" >"$WORK/breaks.out" 2>&1 || rc=$?
sed "s/^/$TEST: /" "$WORK/breaks.out"
[ "${rc:-0}" = 0 ] || fail "the breaks' figures fail (see above)"
say "ok: $n breaks with $watchers watchers in $(($(now_ms) - t0)) ms: every one released before lease-break-time, all acked"
mem "after $n breaks, $watchers clients"
for i in $(seq "$watchers"); do
	grep -q "^revoked export=t generation=$n " "$WORK/w$i.log" || fail "watcher $i did not see revocation $n"
done
say "ok: every watcher saw all $n revocations"
stop_daxmrd TERM
say "PASS"
