#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# lease_break.sh -- with lease-break-time at 45 s, another process's open(O_RDWR), and then a
# truncate, break daxmrd's lease: the breaker returns within 1 s, the watching client prints
# `revoked`, a read through the old descriptor fails, the export comes back as the next
# generation and a new open sees the breaker's write.
. "$(dirname "$0")/lib.sh"

echo 45 >/proc/sys/fs/lease-break-time
f=$WORK/t.img
random_file "$f" $((4 << 20))
start_daxmrd d --allow-non-dax --export "t=$f"

"$DAXMR" -s "$SERVER" watch t >"$WORK/watch.log" 2>&1 &
WPID=$!
BACKGROUND+=("$WPID")
wait_for "$WORK/watch.log" '^opened export=t generation=1( |$)' 10 "watch"
say "ok: watch holds t, generation 1"

# breaker KIND: breaks the lease and prints how long its blocking call took, in ms.
breaker() {
	python3 - "$1" "$f" <<'PY'
import os, sys, time
kind, path = sys.argv[1], sys.argv[2]
t0 = time.monotonic()
if kind == "open":
    fd = os.open(path, os.O_RDWR)          # blocks until daxmrd releases its lease
    dt = time.monotonic() - t0
    os.pwrite(fd, b"BREAKER1", 0)
    os.close(fd)
else:
    os.truncate(path, os.stat(path).st_size)  # same size: the data stays, the lease breaks
    dt = time.monotonic() - t0
print(int(dt * 1000))
PY
}

# round KIND GEN: one lease break by KIND while generation GEN is out.
round() {
	local kind=$1 gen=$2 ms
	ms=$(breaker "$kind") || fail "$kind breaker failed"
	[ "$ms" -lt 1000 ] || fail "$kind breaker blocked $ms ms (lease-break-time 45 s): revocation too slow"
	say "ok: $kind breaker returned after $ms ms (kernel deadline 45000 ms)"
	wait_for "$WORK/watch.log" "^revoked export=t generation=$gen( |$)" 5 "watch after the $kind break"
	say "ok: watch printed: $(grep "^revoked export=t generation=$gen" "$WORK/watch.log")"
	wait_for "$WORK/watch.log" "^available export=t generation=$((gen + 1))( |$)" 20 "watch after the $kind break"
	say "ok: watch printed: available export=t generation=$((gen + 1))"
}

# An application holding the region through the break: its old descriptor must go stale and the
# next generation must show what the breaker wrote.
"$DAXMR_HOLDER" "$SERVER" t BREAKER1 >"$WORK/holder.log" 2>&1 &
HPID=$!
BACKGROUND+=("$HPID")
wait_for "$WORK/holder.log" '^holding export=t generation=1$' 10 "holder"

round open 1
rc=0
wait "$HPID" || rc=$?
[ "$rc" = 0 ] || fail "holder exited $rc: $(tail -n1 "$WORK/holder.log")"
grep '^ok:' "$WORK/holder.log" | sed "s/^/$TEST: holder: /"
"$DAXMR" -s "$SERVER" get t --length 8 -o "$WORK/head" || fail "get after the break failed"
[ "$(cat "$WORK/head")" = BREAKER1 ] || fail "new open does not see the breaker's write: '$(cat "$WORK/head")'"
say "ok: a new open sees the breaker's write"
"$DAXMR" -s "$SERVER" ls >"$WORK/ls.out" || fail "ls failed"
grep -Eq '^t[[:space:]].*[[:space:]]2$' "$WORK/ls.out" || fail "ls does not show generation 2: $(cat "$WORK/ls.out")"
say "ok: ls shows generation 2"

round truncate 2
"$DAXMR" -s "$SERVER" get t --length 8 -o "$WORK/head" || fail "get after the truncate failed"
[ "$(cat "$WORK/head")" = BREAKER1 ] || fail "data changed across a same-size truncate"
expect_log d 'revok.*(lease|break)' "daxmrd logged the revocations"
grep -Ei 'revok' "$WORK/d.log" | sed 's/^/    /'

kill -INT "$WPID"
rc=0
wait "$WPID" || rc=$?
[ "$rc" = 0 ] || fail "watch exited $rc on SIGINT, expected 0"
say "ok: watch exits 0 on SIGINT"
stop_daxmrd TERM
say "PASS"
