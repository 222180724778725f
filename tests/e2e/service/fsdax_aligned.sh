#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# fsdax_aligned.sh -- needs path MTU 4096 (NIC MTU 9000): an operator who knows their I/O is
# page-aligned and page-sized runs --odp-check=warn; such writes land exactly, checked through
# the file once daxmrd has let go of it.
. "$(dirname "$0")/lib.sh"

findmnt -no OPTIONS --target "$DAX_DIR" 2>/dev/null | grep -q dax || skip "$DAX_DIR is not an fs-DAX mount"
mtu=$(ibv_devinfo -d "$RDMA_DEV" | awk '/active_mtu/ {print $2; exit}')
[ "$mtu" = 4096 ] || fail "needs active MTU 4096 (run the guest with --mtu 9000), $RDMA_DEV has $mtu"
ibv_devinfo -v -d "$RDMA_DEV" | grep -q ODP_SUPPORT || skip "$RDMA_DEV has no On-Demand Paging"

f=$DAX_DIR/daxmr-e2e-aligned.$$
remove_on_exit "$f"
xfs_io -f -c "pwrite -q -S 0x5a 0 4m" -c fsync "$f" >/dev/null
cp "$f" "$WORK/expect"

start_daxmrd a --export "f=$f" --odp-check=warn
random_file "$WORK/p0" 4096
random_file "$WORK/p1" 8192
"$DAXMR" -s "$SERVER" put f --offset 0 -i "$WORK/p0" || fail "put 4 KiB at 0 failed"
"$DAXMR" -s "$SERVER" put f --offset 8192 -i "$WORK/p1" || fail "put 8 KiB at 8192 failed"
stop_daxmrd TERM
dd if="$WORK/p0" of="$WORK/expect" conv=notrunc status=none
dd if="$WORK/p1" of="$WORK/expect" bs=8192 seek=1 conv=notrunc status=none
same_bytes "$WORK/expect" "$f" "4 KiB at 0 and 8 KiB at 8192 landed exactly; the rest of the file is untouched"
say "PASS"
