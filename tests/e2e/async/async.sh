#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# async.sh -- libdaxmr's zero-copy async path against daxmrd, with lease-break-time 45 s: a
# round trip and atomics, then a lease break while the client keeps 256 writes in flight. The
# breaker must be through fast, daxmrd must count the client's ack, every write posted before
# the REVOKE must complete without error, and the file (read through the file system once the
# daemon is gone, never over RDMA) must hold exactly the last completed write of every block;
# client/examples/async_read's zero-copy read of the whole export must equal the file, and
# client/examples/async_write's asynchronous writes and FLUSH must be in the file. Then a
# client that never acks and keeps posting: the breaker still returns within the ack budget
# and the client's writes fail once daxmrd released the export.
. "$(dirname "$0")/../service/lib.sh"
: "${DAXMR_ASYNC:?DAXMR_ASYNC must name the daxmr-e2e-async binary}"

blocks=1024 # a 4 MiB export on tmpfs: the page cache, registered pinned on every kernel
echo 45 >/proc/sys/fs/lease-break-time
f=$WORK/a.img
head -c $((blocks * 4096)) /dev/zero >"$f"
start_daxmrd d --allow-non-dax --export "a=$f"

"$DAXMR_ASYNC" "$SERVER" a "$blocks" "$WORK/map" >"$WORK/async.log" 2>&1 &
APID=$!
BACKGROUND+=("$APID")
wait_for "$WORK/async.log" '^streaming$' 120 "async client"
say "ok: $(grep '^opened' "$WORK/async.log")"

# the breaker: open(O_RDWR) blocks until daxmrd has every ack (or its budget ran out)
ms=$(python3 - "$f" <<'PY'
import os, sys, time
t0 = time.monotonic()
fd = os.open(sys.argv[1], os.O_RDWR)
print(int((time.monotonic() - t0) * 1000))
os.close(fd)
PY
) || fail "breaker failed"
[ "$ms" -lt 2000 ] || fail "breaker blocked $ms ms with writes in flight (lease-break-time 45 s)"
say "ok: breaker returned after $ms ms (kernel deadline 45000 ms)"

wait_exit "$APID" 120 "async client"
grep -E '^(ok|FAIL):' "$WORK/async.log" | sed "s/^/$TEST: client: /"
[ "$RC" = 0 ] || fail "async client exited $RC"
expect_log d 'holders 1, acked 1 ' "daxmrd released the export with the client's ack"
grep -E 'revoked export a ' "$WORK/d.log" | sed 's/^/    /'

# the example program reads the whole export (generation 2, once daxmrd re-established it)
for i in $(seq 50); do
	"$DAXMR_EXAMPLE" "$SERVER" a "$WORK/copy" >"$WORK/example.log" 2>&1 && break
	[ "$i" = 50 ] && fail "async_read failed: $(cat "$WORK/example.log")"
	sleep 0.2
done
say "ok: example: $(cat "$WORK/example.log")"
# opening the file breaks daxmrd's F_WRLCK lease: check it only once the daemon is gone
stop_daxmrd TERM

# through the file: each streamed block holds its last completed write, word for word
atomic=$(sed -n 's/^opened .* atomic=\([01]\)$/\1/p' "$WORK/async.log")
python3 - "$f" "$WORK/map" "$atomic" <<'PY' || fail "the file does not hold what the client completed"
import struct, sys
data = open(sys.argv[1], "rb").read()
bad = 0
if sys.argv[3] == "1":
    (word,) = struct.unpack_from("<Q", data, 0)
    if word != 4242:
        print(f"block 0: atomics left {word}, want 4242"); bad += 1
checked = 0
for line in open(sys.argv[2]):
    b, last = map(int, line.split())
    if last == 0:
        continue
    words = set(struct.unpack_from("<512Q", data, b * 4096))
    if words != {last}:
        bad += 1
        if bad < 10:
            print(f"block {b}: holds {sorted(words)[:4]}, want only {last}")
    checked += 1
print(f"{checked} blocks checked through the file, {bad} wrong")
sys.exit(1 if bad or checked < 100 else 0)
PY
say "ok: the file holds every block's last completed write"
same_bytes "$f" "$WORK/copy" "the example's zero-copy read of the export equals the file"

# client/examples/async_write: 1 MiB of asynchronous writes, then one asynchronous FLUSH whose
# completion says they are persistent; checked through the file once daxmrd is gone
w=$WORK/w.img
head -c $((blocks * 4096)) /dev/zero >"$w"
random_file "$WORK/in" $((1 << 20))
woff=$((64 << 10))
start_daxmrd w --allow-non-dax --export "w=$w"
"$DAXMR_EXAMPLE_WRITE" "$SERVER" w "$woff" "$WORK/in" >"$WORK/example-w.log" 2>&1 ||
	fail "async_write failed: $(cat "$WORK/example-w.log")"
say "ok: example: $(cat "$WORK/example-w.log")"
stop_daxmrd TERM
file_range "$w" "$woff" $((1 << 20)) >"$WORK/w-range"
same_bytes "$WORK/in" "$WORK/w-range" "async writes and an async FLUSH: the file holds the bytes"

# A client that never acknowledges and keeps posting through the revoked key cannot hold the
# breaker past daxmrd's ack budget (1000 ms by default): the server releases, and the client's
# writes then fail.
g=$WORK/b.img
head -c $((blocks * 4096)) /dev/zero >"$g"
start_daxmrd k --allow-non-dax --export "b=$g"
"$DAXMR_ASYNC" --keep-posting "$SERVER" b "$blocks" "$WORK/map-b" >"$WORK/keep.log" 2>&1 &
KPID=$!
BACKGROUND+=("$KPID")
wait_for "$WORK/keep.log" '^streaming$' 120 "keep-posting client"
ms=$(python3 -c 'import os, sys, time
t0 = time.monotonic(); fd = os.open(sys.argv[1], os.O_RDWR); print(int((time.monotonic() - t0) * 1000))' "$g") ||
	fail "breaker failed"
[ "$ms" -lt 2500 ] || fail "a client that keeps posting held the breaker $ms ms (ack budget 1000 ms)"
say "ok: breaker returned after $ms ms although the client kept posting and never acked"
wait_exit "$KPID" 120 "keep-posting client"
grep -E '^(ok|FAIL):' "$WORK/keep.log" | sed "s/^/$TEST: keep-posting client: /"
[ "$RC" = 0 ] || fail "keep-posting client exited $RC"
grep -q '^ok: fenced' "$WORK/keep.log" || fail "the keep-posting client's writes never failed"
expect_log k 'did not acknowledge' "daxmrd released without the ack at its budget"
stop_daxmrd TERM

# A segmented export: devdax over 2 GiB is registered in 1 GiB segments (the guest of
# tests/vm/run.sh --pmem-gib 6,3). The round trip's long write and its reads straddle the
# boundary at 1 GiB (pieces with each segment's key), the atomics sit just below it; checked
# through the device (mmap), not over RDMA.
dev=$(basename "$DEVDAX")
if [ -c "$DEVDAX" ] && [ "$(cat "/sys/bus/dax/devices/$dev/size")" -gt $((2 << 30)) ]; then
	base=$(((1 << 30) - 3 * blocks * 4096 / 4))
	start_daxmrd s --export "big=$DEVDAX"
	"$DAXMR_ASYNC" --no-stream --base "$base" "$SERVER" big "$blocks" "$WORK/map-s" >"$WORK/seg.log" 2>&1 ||
		fail "segmented: $(grep -m1 FAIL "$WORK/seg.log" || tail -n1 "$WORK/seg.log")"
	grep -E '^(opened|ok|FAIL)' "$WORK/seg.log" | sed "s/^/$TEST: segmented: /"
	grep -Eq '^opened .* protocol=3 segments=([2-9]|[1-9][0-9]+) ' "$WORK/seg.log" ||
		fail "segmented: the devdax export did not open as version 3 with segments"
	stop_daxmrd TERM
	file_range "$DEVDAX" "$base" $((blocks * 4096)) >"$WORK/dev-range"
	atomic=$(sed -n 's/^opened .* atomic=\([01]\)$/\1/p' "$WORK/seg.log")
	python3 - "$WORK/dev-range" "$atomic" <<'PY' || fail "segmented: the device does not hold what was written"
import struct, sys
data = open(sys.argv[1], "rb").read()
bad = [i for i in range(8, len(data)) if data[i] != (i * 131 + (i >> 12)) & 255]
if bad:
    print(f"{len(bad)} bytes wrong, the first at {bad[0]}"); sys.exit(1)
if sys.argv[2] == "1" and struct.unpack_from("<Q", data, 0)[0] != 4242:
    print("the atomics' word is not 4242"); sys.exit(1)
print(f"{len(data)} bytes across the segment boundary checked through the device")
PY
	say "ok: segmented devdax: the bytes across the 1 GiB boundary are right in the device"
else
	say "no devdax over 2 GiB: the segmented part not run (tests/vm/run.sh --pmem-gib 6,3)"
fi
