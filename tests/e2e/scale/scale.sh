#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# scale.sh -- one daxmrd with 1,000 tmpfs exports and 256 clients connected from one process: all
# listed, each client opens its own export and reads the right bytes twice; daxmrd stays one
# thread, its memory per client is measured and bounded; a lease break among them revokes only
# its holder; once the clients are gone, SIGTERM releases 1,000 exports and exits 0 within 30 s.
. "$(dirname "$0")/../service/lib.sh"
: "${DAXMR_SCALE:?DAXMR_SCALE must name the daxmr-e2e-scale binary}"

NEXPORTS=${DAXMR_TEST_SCALE_EXPORTS:-1000}
NCLIENTS=${DAXMR_TEST_SCALE_CLIENTS:-256}
BREAK=$((NCLIENTS / 2))
MAX_KB_PER_CLIENT=1024

# status_kb PID FIELD: a /proc/PID/status field in kB (or the Threads count).
status_kb() { awk -v f="$2:" '$1 == f {print $2}' "/proc/$1/status"; }
nfds() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 | wc -l; }

# The exported files and, beside them, copies to compare with: once daxmrd runs, opening an
# exported file would break its lease.
mkdir "$WORK/exp" "$WORK/copy"
python3 - "$WORK" "$NEXPORTS" <<'PY'
import os, sys
work, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    data = os.urandom(64 << 10)
    for d in ("exp", "copy"):
        with open(f"{work}/{d}/e{i}", "wb") as f:
            f.write(data)
PY
args=()
for ((i = 0; i < NEXPORTS; i++)); do args+=(--export "e$i=$WORK/exp/e$i"); done
say "ok: $NEXPORTS files of 64 KiB; daxmrd's command line is $(printf '%s ' "${args[@]}" | wc -c) bytes"

# daxmrd, started by hand: lib.sh's start_daxmrd allows 20 s, 1,000 registrations under TCG need more.
PORT=$((20000 + RANDOM % 20000))
SERVER=$ADDR:$PORT
t0=$(now_ms)
"$DAXMRD" --listen "$SERVER" --allow-non-dax "${args[@]}" -v >"$WORK/d.log" 2>&1 &
DPID=$!
DAEMONS+=("$DPID")
for _ in $(seq 1200); do
	grep -q 'listening on' "$WORK/d.log" && break
	kill -0 "$DPID" 2>/dev/null || fail "daxmrd exited during start-up"
	sleep 0.1
done
grep -q 'listening on' "$WORK/d.log" || fail "daxmrd did not say 'listening on' within 120 s"
startup_ms=$(($(now_ms) - t0))
say "ok: daxmrd with $NEXPORTS exports listening after $startup_ms ms"
grep -E 'RLIMIT_NOFILE' "$WORK/d.log" | sed "s/^/$TEST:   /" || true

# every export AVAILABLE (an UNAVAILABLE one is left out of LIST)
listed=$("$DAXMR" -s "$SERVER" ls | tail -n +2 | wc -l)
[ "$listed" = "$NEXPORTS" ] || fail "daxmr ls lists $listed exports, expected $NEXPORTS"
say "ok: daxmr ls lists $NEXPORTS exports"

threads=$(status_kb "$DPID" Threads)
rss0=$(status_kb "$DPID" VmRSS)
pin0=$(status_kb "$DPID" VmPin)
fds0=$(nfds "$DPID")
say "daxmrd, no client: VmRSS $rss0 kB, VmPin $pin0 kB, fds $fds0, threads $threads"

t1=$(now_ms)
"$DAXMR_SCALE" "$SERVER" "$NCLIENTS" "$WORK/copy" "$WORK/go" "$BREAK" >"$WORK/clients.log" 2>&1 &
CPID=$!
BACKGROUND+=("$CPID")
wait_for "$WORK/clients.log" "^holding $NCLIENTS |^FAIL" 180 "clients"
grep -q '^FAIL' "$WORK/clients.log" && fail "clients: $(grep '^FAIL' "$WORK/clients.log" | head -n1)"
say "ok: $NCLIENTS clients connected, opened and read in $(($(now_ms) - t1)) ms ($(grep -o 'connect_open_read_ms=[0-9]*' "$WORK/clients.log"))"

threads=$(status_kb "$DPID" Threads)
rss1=$(status_kb "$DPID" VmRSS)
pin1=$(status_kb "$DPID" VmPin)
fds1=$(nfds "$DPID")
per=$(((rss1 - rss0) / NCLIENTS))
say "daxmrd, $NCLIENTS clients: VmRSS $rss1 kB, VmPin $pin1 kB, fds $fds1, threads $threads"
say "memory per client: $per kB RSS, $(((pin1 - pin0) / NCLIENTS)) kB pinned"
[ "$threads" = 1 ] || fail "daxmrd has $threads threads with $NCLIENTS clients, expected 1"
say "ok: daxmrd is one thread"
[ "$per" -lt "$MAX_KB_PER_CLIENT" ] || fail "daxmrd grew $per kB per client (limit $MAX_KB_PER_CLIENT)"
say "ok: per-client memory bounded (< $MAX_KB_PER_CLIENT kB)"
[ $((fds1 - fds0)) -le 4 ] || fail "daxmrd's fds went from $fds0 to $fds1 with $NCLIENTS clients"
say "ok: no fd per client ($fds0 -> $fds1)"

touch "$WORK/go"
wait_for "$WORK/clients.log" '^second read ok|^FAIL' 120 "clients"
grep -q '^FAIL' "$WORK/clients.log" && fail "clients: $(grep '^FAIL' "$WORK/clients.log" | head -n1)"
say "ok: $NCLIENTS second reads ($(grep -o 'second read ok.*' "$WORK/clients.log"))"

# Break e$BREAK's lease: only its holder is revoked, everyone else reads on.
ms=$(python3 - "$WORK/exp/e$BREAK" <<'PY'
import os, sys, time
t0 = time.monotonic()
fd = os.open(sys.argv[1], os.O_RDWR)  # blocks until daxmrd releases its lease
print(int((time.monotonic() - t0) * 1000))
os.close(fd)
PY
)
say "breaker of e$BREAK returned after $ms ms"
rc=0
wait "$CPID" || rc=$?
grep -q "^revoked export=e$BREAK " "$WORK/clients.log" || fail "no revocation of e$BREAK seen"
[ "$rc" = 0 ] || fail "clients exited $rc: $(grep '^FAIL' "$WORK/clients.log" | head -n1)"
say "ok: only e$BREAK's holder revoked; $((NCLIENTS - 1)) others read on"
expect_log d "revoked export e$BREAK generation 1: reason lease-break, holders 1, acked 1" "revocation logged"

# The clients are gone: what is left?
sleep 2
rss2=$(status_kb "$DPID" VmRSS)
pin2=$(status_kb "$DPID" VmPin)
fds2=$(nfds "$DPID")
say "daxmrd, clients gone: VmRSS $rss2 kB, VmPin $pin2 kB, fds $fds2"
[ "$pin2" = "$pin0" ] || fail "daxmrd's VmPin is $pin2 kB with no client, was $pin0 kB"
say "ok: every connection's pinned buffers released"

# More waves of $NCLIENTS: glibc keeps freed heap resident, so RSS after a wave stays above the
# start, but it must never pass the peak with $NCLIENTS connected: nothing accumulates per wave.
WAVES=${DAXMR_TEST_SCALE_WAVES:-3}
rss3=$rss2
heap() { awk '/\[heap\]/ {h=1; next} h && $1 == "Rss:" {print $2; exit}' "/proc/$1/smaps"; }
say "heap rss after wave 1: $(heap "$DPID") kB"
touch "$WORK/go2"
for ((w = 2; w <= WAVES; w++)); do
	"$DAXMR_SCALE" "$SERVER" "$NCLIENTS" "$WORK/copy" "$WORK/go2" - >"$WORK/clients$w.log" 2>&1 ||
		fail "wave $w: $(grep '^FAIL' "$WORK/clients$w.log" | head -n1)"
	sleep 2
	rss3=$(status_kb "$DPID" VmRSS)
	fds3=$(nfds "$DPID")
	say "daxmrd, after wave $w of $NCLIENTS clients: VmRSS $rss3 kB, heap rss $(heap "$DPID") kB, fds $fds3"
	[ "$rss3" -le "$rss1" ] || fail "wave $w left daxmrd at $rss3 kB, above the $rss1 kB peak"
	[ "$fds3" = "$fds0" ] || fail "wave $w left daxmrd with $fds3 fds, was $fds0"
done
say "ok: $WAVES waves: RSS stays under the peak with $NCLIENTS clients, fds unchanged"

# SIGTERM with every export to release: exit 0 within 30 s.
t2=$(now_ms)
kill -TERM "$DPID"
wait_exit "$DPID" 30 "daxmrd (after SIGTERM)"
[ "$RC" = 0 ] || fail "daxmrd exited $RC after SIGTERM, expected 0"
say "ok: SIGTERM: exit 0 after $(($(now_ms) - t2)) ms"
say "SUMMARY exports=$NEXPORTS clients=$NCLIENTS startup_ms=$startup_ms rss0_kb=$rss0 rss_clients_kb=$rss1 per_client_kb=$per rss_after_kb=$rss2 rss_after_last_wave_kb=$rss3 fds=$fds0/$fds1/$fds2/$fds3 threads=$threads pin0_kb=$pin0 pin_clients_kb=$pin1"
