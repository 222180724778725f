#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# disconnect.sh -- a client that leaves during a revocation instead of acknowledging it, next to a
# normal watcher: daxmrd counts the disconnect as the acknowledgement and releases as soon as the
# client is gone, well inside the ack budget (1000 ms). Three ways to leave: _exit() on REVOKE
# (the kernel tears the connection down), rdma_disconnect() without an ack, and SIGKILL of a
# `daxmr watch --ignore-revoke` right after it printed "revoked".
. "$(dirname "$0")/faults.sh"
: "${DAXMR_QUITTER:?DAXMR_QUITTER must name the daxmr-e2e-quitter binary}"

budget=1000
f=$WORK/t.img
random_file "$f" $((4 << 20))
start_daxmrd d --allow-non-dax --export "t=$f"
start_watch watch t
wpid=$WATCH_PID

# check GEN HOW: the revocation of generation GEN released early, with every holder accounted.
check() {
	local gen=$1 how=$2 ms=$3 line ha rel
	line=$(revoke_line d t "$gen")
	say "[$how] daxmrd: ${line#*NOTICE: }"
	ha=$(holders_acked "$line")
	[ "$ha" = "2 2 all acked" ] ||
		fail "[$how] holders/acked/cause '$ha': expected 2 holders, both counted as acked (the leaver by its disconnect)"
	rel=$(released_ms "$line")
	ms_lt "$rel" "$budget" || fail "[$how] released $rel ms after the break: not before the ack budget ($budget ms)"
	ms_lt "$ms" "$budget" || fail "[$how] breaker blocked $ms ms: not before the ack budget ($budget ms)"
	say "ok: [$how] breaker returned after $ms ms, released $rel ms after the break (ack budget $budget ms)"
	wait_for "$WORK/watch.log" "^opened export=t generation=$((gen + 1)) " 10 "[$how] watcher"
	say "ok: [$how] the watcher holds generation $((gen + 1))"
}

# quitter MODE GEN: daxmr-e2e-quitter leaves on REVOKE of generation GEN.
quitter() {
	local mode=$1 gen=$2 qpid ms
	"$DAXMR_QUITTER" "$mode" "$SERVER" t >"$WORK/quit-$mode.log" 2>&1 &
	qpid=$!
	BACKGROUND+=("$qpid")
	wait_for "$WORK/quit-$mode.log" "^holding export=t generation=$gen$" 10 "quitter $mode"
	ms=$(breaker "$f") || fail "breaker failed"
	wait_exit "$qpid" 10
	[ "$RC" = 0 ] || fail "quitter $mode exited $RC: $(tail -n1 "$WORK/quit-$mode.log")"
	grep -q "^revoked export=t generation=$gen$" "$WORK/quit-$mode.log" || fail "quitter $mode saw no REVOKE"
	check "$gen" "$mode" "$ms"
}

quitter exit 1
quitter disconnect 2

# A watch that ignores REVOKE, killed as soon as it printed "revoked".
start_watch ignore t --ignore-revoke
ipid=$WATCH_PID
f_ms=$WORK/kill.ms
breaker "$f" >"$f_ms" &
BPID=$!
BACKGROUND+=("$BPID")
wait_for "$WORK/ignore.log" '^revoked export=t generation=3 ' 5 "silent watcher"
kill -KILL "$ipid"
t_kill=$(now_ms)
wait_exit "$BPID" 10
[ "$RC" = 0 ] || fail "breaker failed"
say "[kill] breaker returned $(($(now_ms) - t_kill)) ms after the SIGKILL (at most; polled)"
check 3 kill "$(cat "$f_ms")"

kill -0 "$wpid" || fail "watcher died"
stop_daxmrd TERM
say "PASS"
