#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# kill_put.sh -- a client killed (SIGKILL) in the middle of 64 MiB puts: daxmrd stays up and
# drops it, the next lease break counts only the live holder and releases promptly, and a
# client of another export moves data throughout.
. "$(dirname "$0")/faults.sh"

big=$WORK/big.img
other=$WORK/other.img
random_file "$big" $((64 << 20))
random_file "$WORK/in" $((64 << 20))
random_file "$other" $((1 << 20))
cp "$other" "$WORK/other.orig" # compare with this: opening an exported file breaks its lease
start_daxmrd d --allow-non-dax --export "t=$big" --export "u=$other"
start_watch watch t
wpid=$WATCH_PID
"$DAXMR" -s "$SERVER" get u -o "$WORK/u.before" || fail "get u failed"

# The other client: 1 MiB reads of u in a loop until told to stop; every one must succeed.
(
	n=0
	while [ ! -e "$WORK/stop" ]; do
		"$DAXMR" -s "$SERVER" get u -o "$WORK/u.got" 2>>"$WORK/other.log" ||
			{ echo "get $n failed" >>"$WORK/other.log"; exit 1; }
		cmp -s "$WORK/u.got" "$WORK/other.orig" || { echo "get $n: wrong bytes" >>"$WORK/other.log"; exit 1; }
		n=$((n + 1))
	done
	echo "$n gets ok" >>"$WORK/other.log"
) &
OPID=$!
BACKGROUND+=("$OPID")

# The victim: puts of 64 MiB in a loop; killed while one is moving data.
(
	n=0
	while :; do
		"$DAXMR" -s "$SERVER" put t -i "$WORK/in" || exit 1
		n=$((n + 1))
		echo "put $n done at $(now_ms)"
	done
) >"$WORK/put.log" 2>&1 &
LPID=$!
BACKGROUND+=("$LPID")
t_start=$(now_ms)
wait_for "$WORK/put.log" '^put 1 done' 60 "first 64 MiB put"
put_ms=$(($(sed -nE 's/^put 1 done at //p' "$WORK/put.log") - t_start))
say "the first 64 MiB put took $put_ms ms; killing the second one half-way"
sleep "$(awk -v ms="$put_ms" 'BEGIN { printf "%.3f", ms / 2000 }')"
victim=
for _ in $(seq 50); do
	kill -STOP "$LPID" # no further puts
	victim=$(pgrep -P "$LPID" -x "$(basename "$DAXMR")" || true)
	[ -n "$victim" ] && break
	kill -CONT "$LPID"
	sleep 0.1
done
[ -n "$victim" ] || fail "no put process running"
kill -KILL "$victim"
t_kill=$(now_ms)
kill -KILL "$LPID"
say "ok: killed put client $victim with SIGKILL in the middle of a 64 MiB put"

# daxmrd must notice the dead connection (rdma_cm DISCONNECTED once the kernel tears the QP down).
wait_for "$WORK/d.log" "\\(daxmr@[^)]*:$victim\\): disconnected" 10 "daxmrd after the SIGKILL"
say "ok: daxmrd saw the killed client's disconnect within $(($(now_ms) - t_kill)) ms"
grep -E "daxmr@[^)]*:$victim\\)" "$WORK/d.log" | tail -n3 | sed 's/^/    /'
kill -0 "$DPID" 2>/dev/null || fail "daxmrd died after a client was killed mid-put"
say "ok: daxmrd is up"

ms=$(breaker "$big" BREAKER1) || fail "breaker failed"
line=$(revoke_line d t 1)
say "daxmrd: ${line#*NOTICE: }"
ha=$(holders_acked "$line")
[ "$ha" = "1 1 all acked" ] || fail "revocation after the kill: holders/acked/cause '$ha', expected 1 holder (the watcher), 1 acked"
ms_lt "$ms" 1000 || fail "breaker blocked $ms ms (ack budget 1000 ms): the dead client was waited for"
say "ok: breaker returned after $ms ms; 1 holder (the watcher), all acked, released $(released_ms "$line") ms after the break"
wait_for "$WORK/watch.log" '^revoked export=t generation=1 ' 5 "watcher"
wait_for "$WORK/watch.log" '^opened export=t generation=2 ' 10 "watcher"
say "ok: the watcher was revoked and reopened generation 2"

"$DAXMR" -s "$SERVER" get t --length 8 -o "$WORK/head" || fail "get t after the break failed"
[ "$(cat "$WORK/head")" = BREAKER1 ] || fail "generation 2 does not hold the breaker's write: '$(cat "$WORK/head")'"
say "ok: generation 2 serves the breaker's write"
touch "$WORK/stop"
wait_exit "$OPID" 60
[ "$RC" = 0 ] || fail "the other client failed: $(tail -n1 "$WORK/other.log")"
say "ok: the client of export u was unaffected: $(tail -n1 "$WORK/other.log")"
kill -0 "$wpid" || fail "watcher died"
stop_daxmrd TERM
say "PASS"
