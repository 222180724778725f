#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# no_ack.sh -- a client that never answers REVOKE (`daxmr watch --ignore-revoke`) next to a normal
# watcher, lease-break-time 45 s: the breaker is let through once the ack budget runs out (default
# min(1 s, T/4) = 1000 ms; then --ack-budget-ms 200), within a small margin, never near the kernel
# deadline; daxmrd logs the missing ack; the normal watcher is revoked and sees the export back.
. "$(dirname "$0")/faults.sh"

f=$WORK/t.img
random_file "$f" $((4 << 20))

# round LOGNAME BUDGET_MS [DAEMON ARGS...]: one daemon, one break, the checks above.
round() {
	local d=$1 budget=$2 margin=500 ms line ha rel ipid wpid
	shift 2
	start_daxmrd "$d" --allow-non-dax --export "t=$f" "$@"
	start_watch "$d-ignore" t --ignore-revoke
	ipid=$WATCH_PID
	start_watch "$d-watch" t
	wpid=$WATCH_PID
	say "ok: [$d] a normal watcher and one that ignores REVOKE hold t generation 1"

	ms=$(breaker "$f") || fail "[$d] breaker failed"
	say "[$d] breaker blocked $ms ms (ack budget $budget ms, lease-break-time ${LEASE_BREAK_S} s)"
	ms_lt "$ms" $((budget + margin)) ||
		fail "[$d] breaker blocked $ms ms: more than the ack budget $budget ms + $margin ms"
	ms_lt $((budget * 9 / 10)) "$ms" ||
		fail "[$d] breaker blocked only $ms ms: the silent client's ack budget ($budget ms) was not waited for"
	say "ok: [$d] breaker returned after $ms ms: ack budget $budget ms + <$margin ms"

	line=$(revoke_line "$d" t 1)
	say "[$d] daxmrd: ${line#*NOTICE: }"
	ha=$(holders_acked "$line")
	[ "$ha" = "2 1 ack budget" ] ||
		fail "[$d] revocation: holders/acked/cause '$ha', expected 2 holders, 1 acked, released by the ack budget"
	rel=$(released_ms "$line")
	ms_lt "$rel" $((budget + margin)) || fail "[$d] released $rel ms after the break"
	say "ok: [$d] released $rel ms after the break: 2 holders, 1 acked, cause 'ack budget'"
	expect_log "$d" "1 of 2 holders did not acknowledge REVOKE within $budget ms" \
		"[$d] daxmrd names the silent holder count and the budget"

	wait_for "$WORK/$d-watch.log" '^revoked export=t generation=1 reason=lease-break' 5 "[$d] watcher"
	wait_for "$WORK/$d-watch.log" '^available export=t generation=2$' 10 "[$d] watcher"
	wait_for "$WORK/$d-watch.log" '^opened export=t generation=2 ' 10 "[$d] watcher"
	say "ok: [$d] the normal watcher was revoked, saw generation 2 available and holds it"
	wait_for "$WORK/$d-ignore.log" '^revoked export=t generation=1 ' 5 "[$d] silent watcher"
	say "[$d] the silent watcher printed: $(tr '\n' '|' <"$WORK/$d-ignore.log")"
	"$DAXMR" -s "$SERVER" get t --length 4096 -o /dev/null || fail "[$d] get after the break failed"
	say "ok: [$d] export t serves generation 2"
	kill -0 "$ipid" "$wpid" 2>/dev/null || fail "[$d] a watcher died"
	stop_daxmrd TERM
}

round d 1000
round d200 200 --ack-budget-ms 200
say "PASS"
