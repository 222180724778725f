#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# fsdax.sh -- an fs-DAX file export: it cannot be pinned, so it needs On-Demand Paging.
#  - device without ODP (rxe before Linux 6.15): refused with the ODP message;
#  - device with ODP: daxmrd's data-path check runs first. Where it fails (rxe's ODP on Debian's
#    7.x kernels puts each packet at the start of its page), the export is refused naming device,
#    mode and symptom, and --odp-check=warn accepts it with a warning. Where it passes, the export
#    is accepted and a round trip is checked through the file.
. "$(dirname "$0")/lib.sh"

findmnt -no OPTIONS --target "$DAX_DIR" 2>/dev/null | grep -q dax || skip "$DAX_DIR is not an fs-DAX mount"
f=$DAX_DIR/daxmr-e2e-fsdax.$$
remove_on_exit "$f"
xfs_io -f -c "pwrite -q -S 0x5a 0 4m" -c fsync "$f" >/dev/null

caps=$(ibv_devinfo -v -d "$RDMA_DEV")
has_odp=0
if grep -q 'ODP_SUPPORT' <<<"$caps" && grep -A3 'rc_odp_caps' <<<"$caps" | grep -q SUPPORT_WRITE; then
	has_odp=1
fi
say "$RDMA_DEV: On-Demand Paging $([ $has_odp = 1 ] && echo supported || echo not supported)"

start_daxmrd e --export "f=$f"
if [ $has_odp = 0 ]; then
	expect_log e "$f.*(On-Demand Paging|ODP).*devdax" "fs-DAX refused: needs ODP or a devdax export"
	if "$DAXMR" -s "$SERVER" get f --length 1 -o /dev/null 2>/dev/null; then fail "refused export readable"; fi
	stop_daxmrd TERM
	say "PASS"
	exit 0
fi

# ("refuses to pin it" is logged either way: fs-DAX cannot be pinned, so ODP is tried)
if grep -q "registration ODP failed the data-path check" "$WORK/e.log"; then
	expect_log e "$RDMA_DEV.*(odp|ODP).*(misplac|page|offset)" \
		"refusal names the device ($RDMA_DEV), the mode (ODP) and the symptom"
	if "$DAXMR" -s "$SERVER" get f --length 1 -o /dev/null 2>/dev/null; then fail "refused export readable"; fi
	stop_daxmrd TERM

	start_daxmrd w --export "f=$f" --odp-check=warn
	expect_log w "(warn|WARN).*$RDMA_DEV.*(odp|ODP)|(odp|ODP).*$RDMA_DEV.*(warn|WARN)" \
		"--odp-check=warn: accepted with a warning naming the device"
	"$DAXMR" -s "$SERVER" ls >"$WORK/ls.out" || fail "ls failed"
	grep -Eq '^f[[:space:]].*fs-dax.*odp' "$WORK/ls.out" || fail "ls: f is not fs-dax/odp: $(cat "$WORK/ls.out")"
	say "ok: ls lists f as fs-dax, odp"
	stop_daxmrd TERM
	say "PASS"
	exit 0
fi

# The data-path check passed on this device: then data must land exactly.
"$DAXMR" -s "$SERVER" ls >"$WORK/ls.out" || fail "ls failed"
grep -Eq '^f[[:space:]].*fs-dax.*odp' "$WORK/ls.out" || fail "ls: f is not fs-dax/odp: $(cat "$WORK/ls.out")"
off=5000 len=70001
random_file "$WORK/in" $len
"$DAXMR" -s "$SERVER" put f --offset $off -i "$WORK/in" || fail "put failed"
stop_daxmrd TERM
file_range "$f" $off $len >"$WORK/file"
same_bytes "$WORK/in" "$WORK/file" "the fs-DAX file holds the put bytes (data-path check passed)"
say "PASS"
