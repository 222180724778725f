#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# fence.sh -- truncate(2) to 0 bytes of an exported file while a client holds it and ignores
# the REVOKE (libdaxmr use_revoked): the truncate returns within 1 s, and once it has, the
# client's RDMA through the old key fails (a remote access error; a reset connection where rxe
# lost the NAK). Where rxe has ODP (Linux >= 6.15) the file is on fs-DAX and registered with
# On-Demand Paging; on older kernels it is a pinned tmpfs file (fs-DAX cannot be registered
# there): the fence is the same deregistration.
. "$(dirname "$0")/lib.sh"

echo 45 >/proc/sys/fs/lease-break-time
if ibv_devinfo -v -d "$RDMA_DEV" | grep -q ODP_SUPPORT; then
	findmnt -no OPTIONS --target "$DAX_DIR" 2>/dev/null | grep -q dax || skip "$DAX_DIR is not an fs-DAX mount"
	f=$DAX_DIR/daxmr-e2e-fence.$$
	remove_on_exit "$f"
	xfs_io -f -c "pwrite -q 0 4m" -c fsync "$f" >/dev/null
	# rxe's ODP misplaces data (KERNEL-FACTS.md); this test moves none that it checks
	start_daxmrd d --export "t=$f" --odp-check=warn
	want=odp
else
	f=$WORK/t.img
	random_file "$f" $((4 << 20))
	start_daxmrd d --allow-non-dax --export "t=$f"
	want=pinned
fi

"$DAXMR_HOLDER" --fence "$WORK/go" "$SERVER" t >"$WORK/holder.log" 2>&1 &
HPID=$!
BACKGROUND+=("$HPID")
wait_for "$WORK/holder.log" "^holding export=t generation=1 registration=$want\$" 10 "holder"
say "ok: holder reads t through a $want registration"

# truncate(2) by path blocks until the lease is released (coreutils' truncate opens the file
# O_NONBLOCK and gives up with EAGAIN instead, which breaks the lease but truncates nothing).
ms=$(python3 -c 'import os, sys, time
t0 = time.monotonic(); os.truncate(sys.argv[1], 0); print(int((time.monotonic() - t0) * 1000))' "$f") ||
	fail "truncate(2) failed"
[ "$ms" -lt 1000 ] || fail "truncate blocked $ms ms (lease-break-time 45 s)"
[ "$(stat -c %s "$f")" = 0 ] || fail "the file was not truncated"
say "ok: truncate(2) to 0 bytes returned after $ms ms"
touch "$WORK/go"
rc=0
wait "$HPID" || rc=$?
[ "$rc" = 0 ] || fail "holder: $(tail -n1 "$WORK/holder.log")"
say "ok: holder: $(grep '^ok:' "$WORK/holder.log")"
expect_log d 'remote access|REM_ACCESS|revoked export t' "daxmrd revoked t"
kill -0 "$DPID" || fail "daxmrd died"
stop_daxmrd TERM
say "PASS"
