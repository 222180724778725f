#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# fsdax_unaligned.sh -- with the fixed rdma_rxe: an fs-DAX file exported with On-Demand Paging
# and the default --odp-check=enforce takes puts and gets at any alignment. Offsets 1, 4095 and
# 4097 within a page, lengths 1, 3000, 8 KiB + 17 and 64 KiB + 5 (inside one packet, across
# pages, across many packets); every get is compared with bytes written to the file through the
# CPU, and after daxmrd has let go the whole file is compared with what the puts should have made
# of it. Run at NIC MTU 1500 and 9000 (path MTU 1024 and 4096).
. "$(dirname "$0")/../service/lib.sh"

findmnt -no OPTIONS --target "$DAX_DIR" 2>/dev/null | grep -q dax || skip "$DAX_DIR is not an fs-DAX mount"
ibv_devinfo -v -d "$RDMA_DEV" | grep -q ODP_SUPPORT || fail "$RDMA_DEV has no On-Demand Paging (needs Linux >= 6.15)"
mtu=$(ibv_devinfo -d "$RDMA_DEV" | awk '/active_mtu/ {print $2; exit}')
# In the guest the NIC MTU is known: make sure the path MTU is the one this run is meant for.
case "${DAXMR_VM_MTU:-}" in
1500) [ "$mtu" = 1024 ] || fail "NIC MTU 1500 should give path MTU 1024, $RDMA_DEV has $mtu" ;;
9000) [ "$mtu" = 4096 ] || fail "NIC MTU 9000 should give path MTU 4096, $RDMA_DEV has $mtu" ;;
esac
say "$RDMA_DEV: path MTU $mtu; rdma_rxe taint '$(cat /sys/module/rdma_rxe/taint 2>/dev/null)'"

SLOT=$((128 << 10)) # each case in a 128 KiB slot of its own: no two cases overlap
offs=(1 4095 4097)
lens=(1 3000 $((8192 + 17)) $((65536 + 5)))
f=$DAX_DIR/daxmr-e2e-unaligned.$$
remove_on_exit "$f"
size=$((${#offs[@]} * ${#lens[@]} * SLOT))
random_file "$WORK/expect" $size
xfs_io -f -c "pwrite -q -i $WORK/expect 0 $size" -c fsync "$f" >/dev/null
cmp -s "$f" "$WORK/expect" || fail "the file does not hold what was written to it through the CPU"

# No --odp-check option: the default (enforce) must accept ODP on this device. For showing what
# the stock rxe does to the same I/O, DAXMR_TEST_ODP_CHECK=warn runs daxmrd with --odp-check=warn
# and the file checks below are then expected to fail.
if [ "${DAXMR_TEST_ODP_CHECK:-}" = warn ]; then
	start_daxmrd u --export "f=$f" --odp-check=warn
	say "DAXMR_TEST_ODP_CHECK=warn: daxmrd runs with --odp-check=warn"
else
	start_daxmrd u --export "f=$f"
	expect_log u "data-path check on $RDMA_DEV, registration ODP: PASS" "daxmrd: the ODP data-path check passes"
fi
"$DAXMR" -s "$SERVER" ls >"$WORK/ls.out" || fail "ls failed"
grep -Eq '^f[[:space:]].*fs-dax.*odp' "$WORK/ls.out" || fail "ls: f is not fs-dax/odp: $(cat "$WORK/ls.out")"

# case_at I J: the file offset of case (offset I, length J)
case_at() { echo $(((${1} * ${#lens[@]} + ${2}) * SLOT + ${offs[$1]})); }

# gets of bytes the CPU wrote: RDMA READ from the ODP MR at every alignment
n=0
for i in "${!offs[@]}"; do
	for j in "${!lens[@]}"; do
		at=$(case_at "$i" "$j") len=${lens[$j]}
		"$DAXMR" -s "$SERVER" get f --offset "$at" --length "$len" -o "$WORK/got" ||
			fail "get of $len bytes at $at failed"
		file_range "$WORK/expect" "$at" "$len" >"$WORK/want"
		cmp -s "$WORK/got" "$WORK/want" ||
			fail "get of $len bytes at $at (page offset $((at % 4096))): $(cmp "$WORK/got" "$WORK/want" | head -n1)"
		n=$((n + 1))
	done
done
say "ok: $n gets (page offsets ${offs[*]}; lengths ${lens[*]}) return what the file holds"

# puts of fresh random bytes: RDMA WRITE into the ODP MR at every alignment
n=0
for i in "${!offs[@]}"; do
	for j in "${!lens[@]}"; do
		at=$(case_at "$i" "$j") len=${lens[$j]}
		random_file "$WORK/in" "$len"
		"$DAXMR" -s "$SERVER" put f --offset "$at" -i "$WORK/in" || fail "put of $len bytes at $at failed"
		dd if="$WORK/in" of="$WORK/expect" bs=64K oflag=seek_bytes seek="$at" conv=notrunc status=none
		n=$((n + 1))
	done
done
say "ok: $n puts done"
stop_daxmrd TERM

# Through the file, now that daxmrd has let go of it: every put where it belongs, nothing else touched.
if ! cmp -s "$f" "$WORK/expect"; then
	bad=$(cmp "$f" "$WORK/expect" | head -n1 | sed -n 's/.* byte \([0-9]*\).*/\1/p')
	bad=$((bad - 1))
	fail "the file differs from what the puts should have made of it, first at byte $bad" \
		"(slot $((bad / SLOT)): page offset ${offs[$((bad / SLOT / ${#lens[@]}))]}," \
		"length ${lens[$((bad / SLOT % ${#lens[@]}))]}; $(cmp -l "$f" "$WORK/expect" | wc -l) bytes differ)"
fi
say "ok: the fs-DAX file holds all $n puts byte for byte, and nothing else changed ($size bytes compared)"
say "PASS"
