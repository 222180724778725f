#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# keys.sh -- per-connection keys (memory windows): three raw clients open one export rw; each gets
# its own window's rkey; one client's key fails (REM_ACCESS_ERR) on another's QP; a CLOSE, or a
# REVOKE_ACK, kills that client's key while another client's keeps working until its own ack.
# Exports: a pinned tmpfs file, devdax (if present) and, where rxe has ODP, an fs-DAX file
# registered with On-Demand Paging (--odp-check=warn: 64 bytes at offset 0 land exactly).
. "$(dirname "$0")/lib.sh"
: "${DAXMR_KEYS:?DAXMR_KEYS must name the daxmr-e2e-keys binary}"

echo 45 >/proc/sys/fs/lease-break-time

# run_keys WHAT MODE ARGS...: daxmrd with ARGS exporting t; daxmr-e2e-keys MODE against it.
run_keys() {
	local what=$1 mode=$2 log rc=0
	shift 2
	log=$WORK/keys-$what-$mode.log
	start_daxmrd "d-$what-$mode" --ack-budget-ms 5000 "$@"
	if [ "$mode" = close ]; then
		"$DAXMR_KEYS" close "$SERVER" t >"$log" 2>&1 || rc=$?
		[ "$rc" = 0 ] || fail "$what/close: $(grep -m1 FAIL "$log" || tail -n1 "$log")"
		stop_daxmrd TERM
	else
		"$DAXMR_KEYS" revoke "$SERVER" t >"$log" 2>&1 &
		local kpid=$!
		BACKGROUND+=("$kpid")
		wait_for "$log" '^ready$' 20 "$what/revoke"
		kill -TERM "$DPID"
		wait "$kpid" || rc=$?
		[ "$rc" = 0 ] || fail "$what/revoke: $(grep -m1 FAIL "$log" || tail -n1 "$log")"
		# the SIGTERM above is the revocation: daxmrd exits by itself once both acked
		wait_exit "$DPID" 10 "$what/revoke: daxmrd (after SIGTERM)"
		[ "$RC" = 0 ] || fail "$what/revoke: daxmrd exited $RC after SIGTERM, expected 0"
		expect_log "d-$what-$mode" 'revoked export t generation 1: reason shutdown, holders 2, acked 2 \(all acked\)' \
			"$what: both holders acked, the release waited for their windows"
	fi
	grep -q '^PASS$' "$log" || fail "$what/$mode: no PASS"
	sed 's/^/    /' "$log"
	expect_log "d-$what-$mode" 'OPEN t rw: generation 1, rkey 0x[0-9a-f]+ \(memory window\)' \
		"$what/$mode: daxmrd handed out memory windows"
	if grep -Eq 'ibv_dereg_mr|ibv_dealloc_mw|memory windows unavailable' "$WORK/d-$what-$mode.log"; then
		fail "$what/$mode: daxmrd logged a dereg/dealloc failure or the MR-key fallback"
	fi
	say "ok: $what/$mode"
}

f=$WORK/t.img
random_file "$f" $((4 << 20))
for mode in close revoke; do
	run_keys tmpfs-pinned "$mode" --allow-non-dax --export "t=$f"
done

devdax_size=$(cat "/sys/bus/dax/devices/$(basename "$DEVDAX")/size" 2>/dev/null || echo 0)
if [ -c "$DEVDAX" ] && [ "$devdax_size" -gt $((1 << 30)) ]; then
	# over rxe's 1 GiB: several segments, a window each; tests/e2e/seg covers those
	say "$DEVDAX has $devdax_size bytes: several segments: covered by tests/e2e/seg, not here"
elif [ -c "$DEVDAX" ]; then
	for mode in close revoke; do
		run_keys devdax "$mode" --export "t=$DEVDAX"
	done
else
	say "no devdax device $DEVDAX: devdax not covered"
fi

if ibv_devinfo -v -d "$RDMA_DEV" | grep -q ODP_SUPPORT &&
	findmnt -no OPTIONS --target "$DAX_DIR" 2>/dev/null | grep -q dax; then
	g=$DAX_DIR/daxmr-e2e-keys.$$
	remove_on_exit "$g"
	xfs_io -f -c "pwrite -q 0 4m" -c fsync "$g" >/dev/null
	for mode in close revoke; do
		run_keys fsdax-odp "$mode" --export "t=$g" --odp-check=warn
		expect_log "d-fsdax-odp-$mode" 'fs-dax, odp' "fs-DAX export registered with ODP"
	done
else
	say "no ODP on $RDMA_DEV or no fs-DAX mount at $DAX_DIR: ODP windows not covered"
fi
say "PASS"
