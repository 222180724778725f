#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# partition.sh MODE -- partitions of the link between daxmrd and its clients, lease-break-time 45 s.
#   break     a holder partitioned before the lease break, next to a holder on the server's side:
#             the breaker is through within the ack budget plus a margin, the other holder is
#             revoked normally, daxmrd keeps answering, its log names the silent holder and why;
#             the link heals a few seconds later (short: below the QP's retry budget and daxmrd's
#             unreachable bound): the old connection lives, the holder gets the REVOKE late, its
#             old descriptor fails -ESTALE, and it opens generation 2 and sees the breaker's write
#   long      the same, but the partition lasts past daxmrd's unreachable bound (10 s): daxmrd
#             disconnects the holder, saying why; after the heal the client learns its connection
#             is gone (a clear error) or reconnects, and a new open gets generation 2
#   transfer  the link fails during a 64 MiB put and a lease break fences the writer: after the
#             breaker's pattern no byte of the put lands (checked through the file, also after
#             the heal), and the put reports failure
#   reissue   a 64 MiB put, then a 64 MiB get, each cut by a partition longer than its request
#             timeout (-t 3000): the connection dies, libdaxmr reconnects once the link is back
#             and re-issues the unfinished range (opts.reconnect), logging it; both succeed and
#             the file holds the put's bytes (read once daxmrd let go). Then a put cut the same way with a lease break
#             while it reconnects: the re-open finds generation 2, the put fails -ESTALE (exit
#             6) and the file holds only the breaker's pattern (checked through the file)
#   flap      32 watchers across a link that goes down and up every 300 ms for
#             DAXMR_TEST_NET_FLAP_S (default 60) seconds, a lease break every 5 s: daxmrd stays
#             up, every revocation is released long before the deadline, its fds and RSS do not grow
. "$(dirname "$0")/common.sh"

MODE=${1:?usage: partition.sh break|long|transfer|reissue|flap}
BUDGET=1000  # daxmrd's default ack budget at lease-break-time 45 s
MARGIN=700   # what a breaker may wait past the budget under TCG
f=$WORK/t.img

# ls_ms: how long a LIST from the server's side takes (daxmrd's loop must never block).
ls_ms() {
	local t0
	t0=$(now_ms)
	srv "$DAXMR" -t 5000 -s "$SERVER" ls >/dev/null || fail "daxmr ls next to daxmrd failed during the partition"
	echo $(($(now_ms) - t0))
}

# opens: how many OPENs of t daxmrd logged so far.
opens() { grep -c 'OPEN t ' "$WORK/d.log" || true; }

# cut_during LOG PID WHAT N0 DELAY: partitions the link DELAY s after daxmrd logged an OPEN of t
# beyond the N0th (the transfer PID's, writing LOG), runs $CUT_HOOK, and heals it 7 s after the
# cut: past the transfer's -t 3000, so its connection dies and a reconnect attempt fails in the
# partition before one succeeds.
cut_during() {
	local i
	for i in $(seq 200); do [ "$(opens)" -gt "$4" ] && break; sleep 0.1; done
	[ "$(opens)" -gt "$4" ] || fail "no OPEN of the $3 in daxmrd's log within 20 s"
	sleep "$5"
	kill -0 "$2" 2>/dev/null || fail "the $3 finished before the partition: $(tr '\n' '|' <"$1")"
	topo_partition loss
	T_PART=$(now_ms)
	say "link partitioned during the $3"
	[ -z "${CUT_HOOK:-}" ] || $CUT_HOOK
	while [ $(($(now_ms) - T_PART)) -lt 7000 ]; do sleep 0.1; done
	topo_heal
	say "link healed $(($(now_ms) - T_PART)) ms after the partition began"
}

# reissued WHAT DELAY ARGS...: `daxmr -t 3000 ARGS` across the link (output in $WORK/WHAT.log),
# cut by cut_during DELAY s after its OPEN: it must reconnect, re-issue its range and succeed.
reissued() {
	local what=$1 delay=$2 t0 n0 pid
	shift 2
	t0=$(now_ms) n0=$(opens)
	"${CLI[@]}" "$DAXMR" -t 3000 -s "$SERVER" "$@" >"$WORK/$what.log" 2>&1 &
	pid=$!
	BACKGROUND+=("$pid")
	cut_during "$WORK/$what.log" "$pid" "$what" "$n0" "$delay"
	wait_exit "$pid" 120 "the $what after the heal"
	say "the $what exited $RC after $(($(now_ms) - t0)) ms"
	grep -E 'lost|reconnect|re-issuing' "$WORK/$what.log" | sed "s/^/$TEST: $what: /" || true
	[ "$RC" = 0 ] || fail "the $what cut by a partition exited $RC: $(tr '\n' '|' <"$WORK/$what.log")"
	grep -q 'reconnecting (attempt' "$WORK/$what.log" || fail "the $what never reconnected: the partition did not cut it"
	grep -q 're-issuing from offset' "$WORK/$what.log" || fail "the $what does not say it re-issued"
	say "ok: the $what reconnected after the heal, re-issued its range and succeeded"
}

# fence_all: a breaker through the fence writes its pattern over the whole file.
fence_all() {
	python3 - "$f" >"$WORK/breaker.out" <<'PY' || fail "breaker failed"
import os, sys, time
t0 = time.monotonic()
fd = os.open(sys.argv[1], os.O_RDWR)
dt = time.monotonic() - t0
pat = b"FENCED!!" * (1 << 17)  # 1 MiB
size = os.fstat(fd).st_size
for off in range(0, size, len(pat)):
    os.pwrite(fd, pat, off)
os.close(fd)
print(int(dt * 1000))
PY
}

# only_pattern: the file holds the breaker's pattern and nothing else.
only_pattern() {
	python3 - "$f" <<'PY'
import sys
pat = b"FENCED!!" * (1 << 17)
with open(sys.argv[1], "rb") as fh:
    off = 0
    while True:
        b = fh.read(len(pat))
        if not b:
            break
        if b != pat[:len(b)]:
            i = next(i for i in range(len(b)) if b[i] != pat[i])
            print("first foreign byte at offset %d" % (off + i))
            sys.exit(1)
        off += len(b)
print("the file holds only the breaker's pattern (%d bytes)" % off)
PY
}

# first_break: partitions the link with both holders in place, breaks the lease, checks the
# breaker's wait, the other holder, the loop and the log. Sets T_PART (ms) when the link went.
first_break() {
	local ms line
	topo_partition loss
	T_PART=$(now_ms)
	say "link partitioned (netem loss 100% on both ends)"
	ms=$(breaker "$f" BREAKER1) || fail "breaker failed"
	say "breaker blocked $ms ms with one holder partitioned (ack budget $BUDGET ms)"
	ms_lt "$ms" $((BUDGET + MARGIN)) || fail "breaker blocked $ms ms: more than the ack budget $BUDGET + $MARGIN ms"
	ms_lt $((BUDGET * 9 / 10)) "$ms" || fail "breaker blocked only $ms ms: the partitioned holder was not waited for"
	say "ok: breaker through after $ms ms (budget $BUDGET ms + < $MARGIN ms; lease-break-time 45 s)"
	# the link stays cut until after this: a loop blocked on the dead peer would not answer
	# within the LIST's own timeout (ls_ms fails then)
	ms=$(ls_ms)
	say "ok: daxmrd answers during the partition (LIST in $ms ms)"
	line=$(revoke_line d t 1)
	say "daxmrd: ${line#*NOTICE: }"
	[ "$(holders_acked "$line")" = "2 1 ack budget" ] ||
		fail "revocation: '$(holders_acked "$line")', expected 2 holders, 1 acked, released by the ack budget"
	expect_log d "holder of t generation 1 did not answer REVOKE: its RDMA device has not acknowledged our sends" \
		"daxmrd names the partitioned holder and why"
	grep 'did not answer REVOKE' "$WORK/d.log" | sed "s/^/$TEST: daxmrd: /"
	wait_for "$WORK/local.log" '^revoked export=t generation=1 ' 5 "the holder next to daxmrd"
	wait_for "$WORK/local.log" '^opened export=t generation=2 ' 20 "the holder next to daxmrd"
	say "ok: the holder next to daxmrd was revoked and holds generation 2"
}

case "$MODE" in
break)
	random_file "$f" $((4 << 20))
	start_daxmrd d --allow-non-dax --export "t=$f"
	"${CLI[@]}" "$DAXMR_HOLDER" "$SERVER" t BREAKER1 >"$WORK/holder.log" 2>&1 &
	HPID=$!
	BACKGROUND+=("$HPID")
	wait_for "$WORK/holder.log" '^holding export=t generation=1$' 20 "holder across the link"
	watch_in srv local t
	first_break
	# heal 2 s after the partition began: below the QP's retry budget and the unreachable bound
	while [ $(($(now_ms) - T_PART)) -lt 2000 ]; do sleep 0.1; done
	topo_heal
	say "link healed $(($(now_ms) - T_PART)) ms after the partition began"
	wait_exit "$HPID" 40 "the partitioned holder after the heal"
	[ "$RC" = 0 ] || fail "the partitioned holder exited $RC: $(tail -n 3 "$WORK/holder.log" | tr '\n' '|')"
	grep '^ok:' "$WORK/holder.log" | sed "s/^/$TEST: holder: /"
	say "ok: the partitioned holder got the REVOKE late, its old descriptor failed, it holds generation 2 and reads the breaker's write"
	grep -q 'unreachable for' "$WORK/d.log" && fail "daxmrd disconnected the holder after a short partition"
	say "ok: the old connection lived through the short partition"
	;;
long)
	random_file "$f" $((4 << 20))
	start_daxmrd d --allow-non-dax --export "t=$f"
	watch_in cli remote t
	RPID=$WATCH_PID
	watch_in srv local t
	first_break
	wait_for "$WORK/d.log" 'unreachable for [0-9]+ ms since it missed a REVOKE.*disconnecting' 20 \
		"daxmrd's bound on an unreachable holder"
	say "ok: daxmrd: $(grep -m1 'unreachable for' "$WORK/d.log" | sed 's/.*connection/connection/')"
	say "disconnected $(($(now_ms) - T_PART)) ms after the partition began"
	topo_heal
	say "link healed $(($(now_ms) - T_PART)) ms after the partition began"
	# the client learns it: an error naming the lost connection, or a reconnect to generation 2
	for _ in $(seq 300); do
		grep -Eq '^opened export=t generation=2 |connection lost' "$WORK/remote.log" && break
		kill -0 "$RPID" 2>/dev/null || break
		sleep 0.1
	done
	say "the partitioned watcher printed: $(tr '\n' '|' <"$WORK/remote.log")"
	grep -Eq '^opened export=t generation=2 |connection lost' "$WORK/remote.log" ||
		fail "30 s after the heal the partitioned client neither reports its lost connection nor holds generation 2"
	grep -qi 'access denied' "$WORK/remote.log" && fail "the client calls its dead connection 'access denied'"
	say "ok: the partitioned client noticed its connection is gone"
	cli "$DAXMR" -s "$SERVER" get t --length 8 -o "$WORK/head" || fail "a new get across the healed link failed"
	[ "$(cat "$WORK/head")" = BREAKER1 ] || fail "a new open across the link does not see the breaker's write"
	cli "$DAXMR" -s "$SERVER" ls | grep -Eq '^t[[:space:]].*[[:space:]]2$' || fail "ls across the link does not show generation 2"
	say "ok: a new connection across the healed link opens generation 2 and reads the breaker's write"
	;;
transfer)
	size=$((64 << 20))
	head -c $size /dev/zero >"$f"
	random_file "$WORK/in" $size
	start_daxmrd d --allow-non-dax --export "t=$f"
	"${CLI[@]}" "$DAXMR" -t 20000 -s "$SERVER" put t -i "$WORK/in" >"$WORK/put.log" 2>&1 &
	PPID_=$!
	BACKGROUND+=("$PPID_")
	wait_for "$WORK/d.log" 'OPEN t ' 20 "the put's OPEN"
	sleep 0.3 # early: an idle host writes 64 MiB in under 2 s
	kill -0 "$PPID_" 2>/dev/null || fail "the 64 MiB put finished before the partition: $(cat "$WORK/put.log")"
	topo_partition loss
	T_PART=$(now_ms)
	say "link partitioned during the put"
	# the breaker overwrites the whole file with its pattern once it is through: a byte of the
	# put found afterwards landed after the fence
	fence_all
	ms=$(cat "$WORK/breaker.out")
	ms_lt "$ms" $((BUDGET + MARGIN)) || fail "breaker blocked $ms ms: more than the ack budget $BUDGET + $MARGIN ms"
	say "ok: breaker through after $ms ms with the writer partitioned; it wrote its pattern over the file"
	sleep 2
	topo_heal
	say "link healed $(($(now_ms) - T_PART)) ms after the partition began"
	wait_exit "$PPID_" 60 "the put after the heal"
	say "the put exited $RC: $(tr '\n' '|' <"$WORK/put.log")"
	[ "$RC" != 0 ] || fail "the put reported success although it was fenced mid-transfer"
	grep -qi 'access denied' "$WORK/put.log" && fail "the put calls the fence 'access denied'"
	# revoked (the late REVOKE, or a reconnect that found generation 2), never written on
	[ "$RC" = 6 ] || fail "the fenced put exited $RC, expected 6 (revoked)"
	say "ok: the put reports its failure: revoked"
	grep -E 'reconnect|re-issuing' "$WORK/put.log" | sed "s/^/$TEST: put: /" || true
	sleep 2 # anything still retransmitted after the heal has had its chance to land
	stop_daxmrd TERM
	only_pattern || fail "bytes of the put landed after the fence"
	say "ok: no byte of the put landed after the fence (checked through the file)"
	;;
reissue)
	size=$((64 << 20))
	head -c $size /dev/zero >"$f"
	random_file "$WORK/in" $size
	start_daxmrd d --allow-non-dax --export "t=$f"
	# 1. a put cut by a partition longer than its timeout: reconnect, re-issue, success
	reissued put 1 put t -i "$WORK/in"
	# 2. a get cut the same way
	reissued get 0.3 get t -o "$WORK/back"
	same_bytes "$WORK/in" "$WORK/back" "the get returns the put's 64 MiB"
	# the file is the authority: read it once daxmrd let go, then a new daxmrd for part 3
	stop_daxmrd TERM
	same_bytes "$WORK/in" "$f" "the file holds the re-issued put's 64 MiB"
	start_daxmrd d --allow-non-dax --export "t=$f"
	# 3. a put cut the same way, and a lease break while it is away: the re-open finds the
	# next generation, and the put must neither succeed nor write into it
	random_file "$WORK/in2" $size
	n0=$(opens)
	"${CLI[@]}" "$DAXMR" -t 3000 -s "$SERVER" put t -i "$WORK/in2" >"$WORK/put2.log" 2>&1 &
	PPID_=$!
	BACKGROUND+=("$PPID_")
	CUT_HOOK=fence_all cut_during "$WORK/put2.log" "$PPID_" put "$n0" 1
	say "breaker through after $(cat "$WORK/breaker.out") ms, its pattern over the file"
	wait_exit "$PPID_" 120 "the fenced put after the heal"
	say "the fenced put exited $RC: $(grep -E 'reconnect|revoked|re-issuing|failed' "$WORK/put2.log" | tr '\n' '|')"
	[ "$RC" = 6 ] || fail "the put whose export was revoked while it reconnected exited $RC, expected 6 (revoked)"
	grep -q 'not re-issuing' "$WORK/put2.log" || fail "the put does not say why it did not re-issue"
	say "ok: the put reconnected, found generation 2 and failed -ESTALE without re-issuing"
	sleep 2
	stop_daxmrd TERM
	only_pattern || fail "bytes of the put landed in the next generation"
	say "ok: the next generation holds only the breaker's bytes (checked through the file)"
	;;
flap)
	secs=${DAXMR_TEST_NET_FLAP_S:-60}
	nclients=${DAXMR_TEST_NET_FLAP_CLIENTS:-32}
	random_file "$f" $((1 << 20))
	start_daxmrd d --allow-non-dax --export "t=$f"
	# eight at a time, with a generous connect timeout: 32 processes starting at once under TCG
	# take longer than the default 5 s to resolve an address
	for i in $(seq "$nclients"); do
		"${CLI[@]}" "$DAXMR" -t 30000 -s "$SERVER" watch t >"$WORK/w$i.log" 2>&1 &
		BACKGROUND+=("$!")
		[ $((i % 8)) != 0 ] || wait_for "$WORK/w$i.log" '^opened export=t ' 60 "watcher $i"
	done
	for i in $(seq "$nclients"); do wait_for "$WORK/w$i.log" '^opened export=t ' 60 "watcher $i"; done
	st0=$(daemon_status "$DPID")
	say "$nclients watchers hold t; daxmrd VmRSS/fds: $st0"
	end=$(($(now_ms) + secs * 1000))
	(
		while [ "$(now_ms)" -lt "$end" ]; do
			topo_partition down
			sleep 0.3
			topo_heal
			sleep 0.3
		done
	) &
	FLAP=$!
	BACKGROUND+=("$FLAP")
	n=0 worst=0
	while [ "$(now_ms)" -lt $((end - 6000)) ]; do
		sleep 5
		ms=$(breaker "$f") || fail "breaker $n failed"
		ms=${ms%.*}
		[ "$ms" -gt "$worst" ] && worst=$ms
		n=$((n + 1))
		ms_lt "$ms" $((BUDGET + MARGIN)) || fail "break $n: the breaker blocked $ms ms (budget $BUDGET ms)"
		kill -0 "$DPID" 2>/dev/null || fail "daxmrd died during the flapping"
	done
	wait "$FLAP" || true
	topo_heal
	say "ok: $n breaks during $secs s of flapping, the slowest breaker blocked $worst ms"
	sleep 15 # let the connections settle: reconnects, DISCONNECTED of those that went
	kill -0 "$DPID" 2>/dev/null || fail "daxmrd died"
	st1=$(daemon_status "$DPID")
	say "daxmrd VmRSS/fds after: $st1 (before: $st0)"
	read -r rss0 fd0 <<<"$st0"
	read -r rss1 fd1 <<<"$st1"
	[ "$fd1" -le "$fd0" ] || fail "daxmrd's fds grew from $fd0 to $fd1"
	[ "$rss1" -le $((rss0 + 4096)) ] || fail "daxmrd's RSS grew from $rss0 kB to $rss1 kB"
	say "ok: no fd or memory growth"
	late=$(grep -E 'revoked export t generation' "$WORK/d.log" | sed -nE 's/.*released ([0-9]+)\.[0-9]+ ms after the break.*/\1/p' |
		awk -v m=$((BUDGET + 500)) '$1 >= m' | wc -l)
	total=$(grep -cE 'revoked export t generation' "$WORK/d.log")
	[ "$total" -ge "$n" ] || fail "$n breaks but $total revocations logged"
	[ "$late" = 0 ] || fail "$late of $total revocations released later than the budget + 500 ms"
	say "ok: all $total revocations released within the budget + 500 ms (deadline 45 s)"
	say "watchers' states: $(for i in $(seq "$nclients"); do tail -n1 "$WORK/w$i.log" | cut -c1-40; done | sort | uniq -c | tr '\n' ';')"
	# no watcher may go on believing it holds a revoked generation: each holds the last one, or
	# has said that its connection is gone
	last=$(grep -cE 'revoked export t generation' "$WORK/d.log")
	stale=0
	for i in $(seq "$nclients"); do
		tail -n1 "$WORK/w$i.log" | grep -Eq "^opened export=t generation=$((last + 1)) |connection lost" ||
			stale=$((stale + 1))
	done
	[ "$stale" = 0 ] || fail "$stale of $nclients watchers neither hold generation $((last + 1)) nor report a lost connection"
	say "ok: every watcher holds generation $((last + 1)) or reports its lost connection"
	stop_daxmrd TERM
	;;
*) fail "unknown mode $MODE (break, long, transfer, flap)" ;;
esac
say "PASS"
