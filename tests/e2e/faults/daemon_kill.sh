#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# daemon_kill.sh -- daxmrd killed with SIGKILL during traffic, while a lease breaker is blocked on
# it (a client that never acks plus a 10 s ack budget keep the revocation open): the kernel drops
# the lease with the process, so the breaker proceeds at once; the watcher and the traffic
# clients see the lost server as an error (exit status and message); a daxmrd restarted on the
# same port exports the file again (as generation 1: generations do not survive a restart)
# and serves the breaker's write.
. "$(dirname "$0")/faults.sh"

f=$WORK/t.img
u=$WORK/u.img
random_file "$f" $((8 << 20))
random_file "$u" $((64 << 20))
# what the gets are compared with: opening an exported file would break its lease
cp "$f" "$WORK/t.orig"
cp "$u" "$WORK/u.orig"
start_daxmrd d --allow-non-dax --export "t=$f" --export "u=$u" --ack-budget-ms 10000
start_watch watch t
wpid=$WATCH_PID
start_watch ignore t --ignore-revoke
ipid=$WATCH_PID

# Traffic on export EXPORT: gets of LENGTH in a loop until one fails other than with 6
# (revoking: try again). Each get's "START END RC" (ms) goes to $WORK/traffic-EXPORT.hist, the
# failing one's message to .err; a get that succeeds must have read the file's bytes.
traffic() {
	local rc t_begin
	for _ in $(seq 100000); do
		rc=0
		t_begin=$(now_ms)
		"$DAXMR" -s "$SERVER" get "$1" --length "$2" -o "$WORK/traffic-$1.got" \
			2>"$WORK/traffic-$1.err" || rc=$?
		echo "$t_begin $(now_ms) $rc" >>"$WORK/traffic-$1.hist"
		case $rc in
		0) cmp -s "$WORK/traffic-$1.got" "$WORK/$1.orig" -n "$2" ||
			echo "$t_begin $(now_ms) wrong-bytes" >>"$WORK/traffic-$1.hist" ;;
		6) sleep 0.05 ;;
		*) return 0 ;;
		esac
	done
}
traffic t 1M &
T1=$!
BACKGROUND+=("$T1")
traffic u 64M & # seconds per get under TCG: the kill lands inside one
T2=$!
BACKGROUND+=("$T2")
sleep 2

breaker "$f" BREAKER1 >"$WORK/breaker.ms" &
BPID=$!
BACKGROUND+=("$BPID")
wait_for "$WORK/watch.log" '^revoked export=t generation=1 ' 5 "watcher"
wait_for "$WORK/ignore.log" '^revoked export=t generation=1 ' 5 "silent watcher"
sleep 1
kill -0 "$BPID" 2>/dev/null || fail "the breaker was not blocked: the 10 s ack budget did not hold it"
say "ok: breaker blocked on daxmrd (revocation waits for the silent client, budget 10 s)"
kill -KILL "$DPID"
t_kill=$(now_ms)
wait_exit "$BPID" 5
[ "$RC" = 0 ] || fail "breaker failed after daxmrd's death"
dt=$(($(now_ms) - t_kill))
[ "$dt" -lt 3000 ] || fail "breaker proceeded $dt ms after daxmrd's SIGKILL"
say "ok: breaker proceeded $dt ms after daxmrd's SIGKILL (blocked $(cat "$WORK/breaker.ms") ms in all)"
wait "$DPID" 2>/dev/null || true

# Every client learns the server is gone, with an exit status and a message.
for w in watch ignore; do
	pid=$wpid
	[ "$w" = ignore ] && pid=$ipid
	wait_exit "$pid" 10
	[ "$RC" = 1 ] || fail "$w exited $RC after daxmrd's death, expected 1 (connection lost)"
	grep -q 'connection lost' "$WORK/$w.log" || fail "$w said: $(tail -n1 "$WORK/$w.log")"
	say "ok: $w exited $RC: $(grep 'connection lost' "$WORK/$w.log")"
done
# t is being revoked (its gets are answered "revoking", exit 6, and retried); u moves data. A get
# that overlapped daxmrd's death may still succeed (its READs completed before the kill), but
# then with the right bytes; the loop's first failure must be an error with a message, not a hang.
for e in t u; do
	[ "$e" = t ] && wait_exit "$T1" 30
	[ "$e" = u ] && wait_exit "$T2" 30
	say "gets of $e (start end rc, ms; kill at $t_kill): $(tail -n3 "$WORK/traffic-$e.hist" | tr '\n' '|')"
	grep -q wrong-bytes "$WORK/traffic-$e.hist" && fail "a get of $e returned wrong bytes"
	read -r t_begin t_end rc <<<"$(tail -n1 "$WORK/traffic-$e.hist")"
	case $rc in
	1 | 3) ;;
	*) fail "get of $e exited $rc after daxmrd died, expected 1 (failed) or 3 (cannot connect): $(tr '\n' '|' <"$WORK/traffic-$e.err")" ;;
	esac
	[ -s "$WORK/traffic-$e.err" ] || fail "get of $e exited $rc without a message"
	if [ "$t_begin" -le "$t_kill" ]; then
		say "ok: the get of $e running at the kill exited $rc $((t_end - t_kill)) ms after it: $(tr '\n' '|' <"$WORK/traffic-$e.err")"
	else
		say "ok: no get of $e failed at the kill (one running then ended 0 with the right bytes); the next one exited $rc: $(tr '\n' '|' <"$WORK/traffic-$e.err")"
	fi
done
rc=0
"$DAXMR" -s "$SERVER" get t --length 8 -o /dev/null 2>"$WORK/after.err" || rc=$?
[ "$rc" = 3 ] || fail "get with no server exited $rc, expected 3 (cannot connect): $(cat "$WORK/after.err")"
say "ok: a get with no server exits 3: $(tail -n1 "$WORK/after.err")"

# Restart on the same port, as a supervisor would.
log=$WORK/d2.log
"$DAXMRD" --listen "$SERVER" --allow-non-dax --export "t=$f" -v >"$log" 2>&1 &
DPID=$!
DAEMONS+=("$DPID")
wait_for "$log" 'listening on' 20 "restarted daxmrd"
wait_for "$log" 'export t: path .*generation [0-9]+' 10 "restarted daxmrd's export"
say "ok: restarted daxmrd: $(grep -Eo 'export t: path .*generation [0-9]+' "$log" | sed 's/: path [^,]*,/:/')"
"$DAXMR" -s "$SERVER" ls >"$WORK/ls.out" || fail "ls on the restarted daxmrd failed"
gen=$(awk '$1 == "t" { print $NF }' "$WORK/ls.out")
[ "$gen" = 1 ] || fail "restarted daxmrd serves t as generation '$gen', expected 1: $(cat "$WORK/ls.out")"
"$DAXMR" -s "$SERVER" get t --length 8 -o "$WORK/head" || fail "get from the restarted daxmrd failed"
[ "$(cat "$WORK/head")" = BREAKER1 ] || fail "restarted daxmrd does not serve the breaker's write: '$(cat "$WORK/head")'"
say "ok: the restarted daxmrd serves t generation $gen with the breaker's write"
stop_daxmrd TERM
say "PASS"
