#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# memlock.sh -- pinned registration hitting RLIMIT_MEMLOCK: daxmrd as an unprivileged user (uid
# 65534, no capabilities, so no CAP_IPC_LOCK) under a small memlock limit, exporting an 8 MiB
# tmpfs file (pinned: page cache) that does not fit and a small one that does. The refusal names
# the limit and its value, daxmrd stays up, keeps answering LIST and serves the small export.
# With a limit below even one connection's buffers (64 KiB), a client is refused cleanly and the
# log names the limit there too.
. "$(dirname "$0")/faults.sh"

big=$WORK/big.img
small=$WORK/small.img
random_file "$big" $((8 << 20))
random_file "$small" $((256 << 10))
cp "$small" "$WORK/small.orig" # compare with this: opening an exported file breaks its lease
chmod 755 "$WORK"
chown 65534:65534 "$big" "$small"
user="setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all"

# refused LOGNAME LIMIT: the 8 MiB export was refused naming RLIMIT_MEMLOCK and its value.
refused() {
	wait_for "$WORK/$1.log" "$big.*RLIMIT_MEMLOCK \\(now $2 bytes\\)" 10 "the 8 MiB export's refusal"
	say "ok: [$1] $(grep -E "$big.*RLIMIT_MEMLOCK" "$WORK/$1.log" | head -n1 | cut -c1-300)"
	sleep 1
	kill -0 "$DPID" 2>/dev/null || fail "[$1] daxmrd died after the refusal"
	say "ok: [$1] daxmrd is up"
}

# 4 MiB: the data-path check, a few connections' buffers (224 KiB each) and 256 KiB fit, 8 MiB not.
limit=$((4 << 20))
RUN_AS="prlimit --memlock=$limit:$limit $user" start_daxmrd m4 --allow-non-dax \
	--export "big=$big" --export "small=$small"
refused m4 "$limit"
"$DAXMR" -s "$SERVER" ls >"$WORK/ls.out" 2>"$WORK/ls.err" || fail "[m4] ls failed: $(cat "$WORK/ls.err")"
grep -q '^small ' "$WORK/ls.out" || fail "[m4] ls does not list the export that fits: $(cat "$WORK/ls.out")"
grep -q '^big ' "$WORK/ls.out" && fail "[m4] ls lists the refused export: $(cat "$WORK/ls.out")"
say "ok: [m4] LIST answers: $(grep '^small ' "$WORK/ls.out" | tr -s ' ')"
"$DAXMR" -s "$SERVER" get small -o "$WORK/small.got" || fail "[m4] get small failed"
same_bytes "$WORK/small.got" "$WORK/small.orig" "[m4] the small export serves its bytes"
rc=0
"$DAXMR" -s "$SERVER" get big --length 1 -o /dev/null 2>"$WORK/big.err" || rc=$?
[ "$rc" != 0 ] || fail "[m4] get from the refused export succeeded"
say "ok: [m4] get big exits $rc: $(tail -n1 "$WORK/big.err")"
grep -E "VmLck|VmPin" "/proc/$DPID/status" | tr -s '\t ' ' ' | sed "s/^/$TEST: [m4] daxmrd /"
stop_daxmrd TERM

# 64 KiB (a classic default): not even one connection's buffers fit.
limit=65536
RUN_AS="prlimit --memlock=$limit:$limit $user" start_daxmrd m64 --allow-non-dax \
	--export "big=$big" --export "small=$small"
refused m64 "$limit"
rc=0
"$DAXMR" -s "$SERVER" ls >"$WORK/ls.out" 2>"$WORK/ls.err" || rc=$?
say "[m64] ls exits $rc: $(tr '\n' '|' <"$WORK/ls.err")"
kill -0 "$DPID" 2>/dev/null || fail "[m64] daxmrd died on a connection it could not register"
say "ok: [m64] daxmrd is up after the connection attempt"
if [ "$rc" != 0 ]; then
	grep -Ei 'connection.*(ibv_reg_mr|buffers)' "$WORK/m64.log" | head -n2 | sed "s/^/$TEST: [m64] daxmrd: /"
	expect_log m64 'connection.*RLIMIT_MEMLOCK' "[m64] the refused connection's log line names RLIMIT_MEMLOCK"
	[ "$rc" = 3 ] || fail "[m64] ls exited $rc when the server refused the connection, expected 3"
fi
stop_daxmrd TERM
say "PASS"
