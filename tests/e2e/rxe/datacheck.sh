#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# datacheck.sh stock|fixed -- which rdma_rxe is loaded, and what daxmrd's data-path check says
# about On-Demand Paging on it, asserted both ways:
#  stock  Debian's own rdma_rxe (in tree, no taint). With ODP (Linux >= 6.15) the check must FAIL
#         with rxe's signature (each packet at the start of its page), agreeing with the test's
#         own observation, and daxmrd must refuse an fs-DAX export. Without ODP: UNSUPPORTED.
#  fixed  the rdma_rxe of scripts/rxe-module.sh (kernel/rxe/*.patch; out of tree, taint O). The
#         check must PASS at this path MTU, page-aligned I/O included, agreeing with the test's
#         own observation, and daxmrd must export an fs-DAX file as ODP without --odp-check=warn.
. "$(dirname "$0")/../service/lib.sh"

want=${1:-}
case "$want" in stock | fixed) ;; *) fail "usage: datacheck.sh stock|fixed" ;; esac
: "${DAXMR_DATACHECK:?DAXMR_DATACHECK must name the daxmr-e2e-datacheck binary}"
case "$RDMA_DEV" in rxe*) ;; *) skip "$RDMA_DEV is not soft-RoCE (rxe)" ;; esac
findmnt -no OPTIONS --target "$DAX_DIR" 2>/dev/null | grep -q dax || skip "$DAX_DIR is not an fs-DAX mount"

# Debian signs its modules in tree; a module built with M= taints O (out of tree) when loaded.
taint=$(cat /sys/module/rdma_rxe/taint 2>/dev/null) || fail "rdma_rxe is not loaded as a module"
if [ "$want" = stock ]; then
	[[ "$taint" != *O* ]] ||
		fail "the loaded rdma_rxe is out of tree (taint '$taint'), not Debian's: boot the guest with --rxe stock"
else
	[[ "$taint" == *O* ]] ||
		fail "the loaded rdma_rxe is Debian's own (taint '$taint'), not the fixed one: boot the guest with --rxe fixed"
fi
say "ok: the loaded rdma_rxe is the $want one (taint '$taint'${DAXMR_VM_RXE_SHA:+, sha256 $DAXMR_VM_RXE_SHA...})"
mtu=$(ibv_devinfo -d "$RDMA_DEV" | awk '/active_mtu/ {print $2; exit}')
caps=$(ibv_devinfo -v -d "$RDMA_DEV")
odp=0
grep -q ODP_SUPPORT <<<"$caps" && grep -A3 rc_odp_caps <<<"$caps" | grep -q SUPPORT_WRITE && odp=1
say "$RDMA_DEV: path MTU $mtu, On-Demand Paging $([ $odp = 1 ] && echo yes || echo no), kernel $(uname -r)"
[ $odp = 1 ] || [ "$want" = stock ] || fail "the fixed rdma_rxe must offer On-Demand Paging"

# 1. The check as daxmrd runs it, next to the test program's own byte-by-byte observation of an
#    unaligned multi-page WRITE into an ODP MR (the program fails if the two disagree).
"$DAXMR_DATACHECK" odp >"$WORK/datacheck.log" 2>&1 || fail "daxmr-e2e-datacheck odp failed (datacheck.log)"
sed 's/^/    /' "$WORK/datacheck.log"
verdict=$(sed -n 's/^datacheck: mode ODP, path MTU [0-9]*, page [0-9]*: verdict \([A-Z]*\).*/\1/p' "$WORK/datacheck.log")
if [ $odp = 0 ]; then
	[ "$verdict" = UNSUPPORTED ] || fail "no ODP on $RDMA_DEV, yet the verdict is '$verdict'"
	say "ok: no ODP on this kernel's rxe: verdict UNSUPPORTED"
	say "PASS"
	exit 0
fi
if [ "$want" = stock ]; then
	[ "$verdict" = FAIL ] || fail "stock rdma_rxe with ODP: the check must FAIL (rxe's ODP misplaces data), verdict '$verdict'"
	grep -Eq "verdict FAIL: .*each $mtu-byte packet landed at the start of its 4 KiB page" "$WORK/datacheck.log" ||
		fail "the FAIL does not name rxe's signature (each packet at the start of its page)"
	grep -q 'MISPLACED$' "$WORK/datacheck.log" || fail "the test's own observation did not see the misplacement"
	say "ok: stock rdma_rxe: FAIL, each $mtu-byte packet at the start of its page (and seen so directly)"
else
	[ "$verdict" = PASS ] || fail "fixed rdma_rxe: the check must PASS, verdict '$verdict'"
	grep -q 'page-aligned, page-multiple WRITE+READ: placed exactly' "$WORK/datacheck.log" ||
		fail "fixed rdma_rxe: page-aligned I/O not placed exactly"
	grep -q '0 bytes in range wrong, 0 outside it overwritten -> placed exactly' "$WORK/datacheck.log" ||
		fail "fixed rdma_rxe: the test's own observation saw misplaced bytes"
	say "ok: fixed rdma_rxe: PASS at path MTU $mtu (unaligned, multi-page, page-aligned), and seen so directly"
fi

# 2. daxmrd itself, on an fs-DAX file, with the default --odp-check=enforce.
f=$DAX_DIR/daxmr-e2e-rxe-datacheck.$$
remove_on_exit "$f"
xfs_io -f -c "pwrite -q -S 0x5a 0 1m" -c fsync "$f" >/dev/null
start_daxmrd d --export "f=$f"
if [ "$want" = stock ]; then
	expect_log d "data-path check on $RDMA_DEV, registration ODP: FAIL: .*start of its 4 KiB page" \
		"daxmrd: the ODP check FAILs with rxe's signature"
	expect_log d "$f.*$RDMA_DEV, registration ODP failed the data-path check" "daxmrd refuses the fs-DAX export"
	if "$DAXMR" -s "$SERVER" get f --length 1 -o /dev/null 2>/dev/null; then fail "the refused export is readable"; fi
else
	expect_log d "data-path check on $RDMA_DEV, registration ODP: PASS" "daxmrd: the ODP check PASSes"
	if grep -Eq 'FAILED the data-path check|failed the data-path check' "$WORK/d.log"; then
		fail "daxmrd still reports a failed data-path check"
	fi
	"$DAXMR" -s "$SERVER" ls >"$WORK/ls.out" || fail "ls failed"
	grep -Eq '^f[[:space:]].*fs-dax.*odp' "$WORK/ls.out" || fail "ls: f is not fs-dax/odp: $(cat "$WORK/ls.out")"
	say "ok: daxmrd exports the fs-DAX file as ODP without --odp-check=warn"
fi
stop_daxmrd TERM
say "PASS"
