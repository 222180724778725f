#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# sigterm.sh -- SIGTERM while clients move data: daxmrd revokes every export (reason shutdown),
# exits 0 promptly, and the clients fail cleanly (an error, no hang).
. "$(dirname "$0")/lib.sh"

[ -c "$DEVDAX" ] || skip "no devdax device $DEVDAX"
f=$WORK/t.img
random_file "$f" $((8 << 20))
start_daxmrd s --allow-non-dax --export "dax=$DEVDAX" --export "t=$f"
"$DAXMR" -s "$SERVER" watch t >"$WORK/watch.log" 2>&1 &
WPID=$!
BACKGROUND+=("$WPID")
wait_for "$WORK/watch.log" '^opened export=t generation=1' 10 "watch"

# Two clients in loops of 1 MiB transfers until the daemon goes away.
traffic() {
	for _ in $(seq 1000); do
		"$DAXMR" -s "$SERVER" get "$1" --length 1M -o /dev/null 2>>"$WORK/traffic.err" || return 0
	done
	echo "traffic on $1 never failed" >>"$WORK/traffic.err"
}
traffic dax &
BACKGROUND+=($!)
traffic t &
BACKGROUND+=($!)
sleep 3
t0=$(now_ms)
stop_daxmrd TERM
say "ok: daxmrd exited 0 $(($(now_ms) - t0)) ms after SIGTERM, with traffic running"
expect_log s 'revok.*(shutdown|SHUTDOWN)' "shutdown revoked the exports"
wait_for "$WORK/watch.log" '^revoked export=t generation=1 reason=shutdown' 5 "watch on shutdown"
wait_exit "$WPID" 10 "watch (after the server went away)"
rc=$RC
[ "$rc" != 0 ] || fail "watch exited 0 after losing its server; expected an error"
say "ok: watch reported the lost server and exited $rc: $(tail -n1 "$WORK/watch.log")"
wait
grep -q 'never failed' "$WORK/traffic.err" && fail "a traffic loop did not notice the shutdown"
say "ok: traffic loops stopped with errors: $(sort -u "$WORK/traffic.err" | head -n1)"
say "PASS"
