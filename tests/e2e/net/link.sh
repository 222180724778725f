#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# link.sh -- what rxe does across the veth link, and put/get across it under netem: path MTU and
# the QP's timeout and retry counts (as daxmrd's QP reports them), rxe's counters, then 1 MiB and
# 64 MiB (DAXMR_TEST_NET_BIG=1: the long variant) put/get under 1% loss and 5 ms +- 2 ms delay,
# and 256 KiB under reordering and under duplication, each checked through the file (never
# through RDMA read-back alone).
. "$(dirname "$0")/common.sh"

f=$WORK/t.img
size=$((64 << 20))
head -c $size /dev/zero >"$f"
start_daxmrd d --allow-non-dax --export "t=$f"
TMO=${DAXMR_TEST_NET_TIMEOUT_MS:-120000} # the caller's timeout per request

mtu=$(ibv_devinfo -d "$TOPO_CLI_DEV" | awk '/active_mtu/ {print $2; exit}')
say "rxe across the veth (MTU $TOPO_MTU): active path MTU $mtu"
[ -n "$mtu" ] || fail "ibv_devinfo shows no active_mtu for $TOPO_CLI_DEV"

# rxe's own account of a failure: its debug lines for memory windows (dynamic debug, where the
# kernel has it) and its error lines, printed when a transfer fails
mount -t debugfs none /sys/kernel/debug 2>/dev/null || true
echo 'file rxe_mw.c +p' >/sys/kernel/debug/dynamic_debug/control 2>/dev/null || true
rxe_says() { dmesg | grep -E "(rxs|rxc)$TOPO_ID" | tail -n 12 | sed "s/^/$TEST: kernel: /"; }

# put_get LABEL OFFSET BYTES: put random bytes across the link, get them back, then check both
# through the file once daxmrd let it go. Sets PUT_MS and GET_MS.
CHECKS=()
FAILED=() # every case runs; the test fails at the end if any failed
# failed WHAT RC MS ERRFILE: records a failed transfer, with rxe's side of it
failed() {
	FAILED+=("$1 failed (exit $2 after $3 ms): $(tr '\n' '|' <"$4")")
	say "${FAILED[-1]}"
	rxe_says
}
put_get() {
	local label=$1 off=$2 len=$3 t0 rc=0
	random_file "$WORK/in.$label" "$len"
	t0=$(now_ms)
	cli "$DAXMR" -t "$TMO" -s "$SERVER" put t --offset "$off" -i "$WORK/in.$label" 2>"$WORK/put.$label.err" || rc=$?
	PUT_MS=$(($(now_ms) - t0))
	[ "$rc" = 0 ] || { failed "$label: put of $len bytes" "$rc" "$PUT_MS" "$WORK/put.$label.err"; return 0; }
	t0=$(now_ms)
	cli "$DAXMR" -t "$TMO" -s "$SERVER" get t --offset "$off" --length "$len" -o "$WORK/back.$label" \
		2>"$WORK/get.$label.err" || rc=$?
	GET_MS=$(($(now_ms) - t0))
	[ "$rc" = 0 ] || { failed "$label: get of $len bytes" "$rc" "$GET_MS" "$WORK/get.$label.err"; return 0; }
	same_bytes "$WORK/in.$label" "$WORK/back.$label" "$label: get returns what put wrote ($len bytes: put $PUT_MS ms, get $GET_MS ms)"
	CHECKS+=("$label $off $len")
}

before=$(rxe_counters "$TOPO_CLI_DEV" | tr '\n' ' ')
put_get clean-1M 0 $((1 << 20))
grep -m1 'QP ACK timeout' "$WORK/d.log" | sed "s/^/$TEST: daxmrd: /" ||
	fail "daxmrd did not log its QP's timeouts"
topo_shape delay 5ms 2ms loss 1%
say "link: $(topo_show | grep 'client qdisc')"
put_get loss-1M $((1 << 20)) $((1 << 20))
# Measured (TCG): 1 MiB took 48 s to put and 11 s to get under this shape (netem's jitter also
# reorders, and each reordering costs rxe a go-back-N); 64 MiB did not finish within 10 minutes.
# The issue's 64 MiB case is the long variant: DAXMR_TEST_NET_BIG=1.
[ "${DAXMR_TEST_NET_BIG:-0}" = 0 ] || put_get loss-64M 0 $size
topo_shape delay 2ms reorder 25% 50%
put_get reorder-256K $((8 << 20)) $((256 << 10))
topo_shape duplicate 5%
put_get duplicate-256K $((16 << 20)) $((256 << 10))
topo_shape
say "rxe counters of $TOPO_CLI_DEV before: $before"
say "rxe counters of $TOPO_CLI_DEV after:  $(rxe_counters "$TOPO_CLI_DEV" | tr '\n' ' ')"
say "rxe counters of $TOPO_SRV_DEV after:  $(rxe_counters "$TOPO_SRV_DEV" | tr '\n' ' ')"

stop_daxmrd TERM
# the file is the authority; the 64 MiB put overwrote the first ones: check in order of writing
for c in "${CHECKS[@]}"; do
	read -r label off len <<<"$c"
	case "$label" in clean-1M | loss-1M) [[ " ${CHECKS[*]} " != *" loss-64M "* ]] || continue ;; esac # overwritten by loss-64M
	file_range "$f" "$off" "$len" >"$WORK/file.$label"
	if [ "$label" = loss-64M ]; then
		# later puts overwrote two 1 MiB ranges of it: compare around them
		for r in "0 $((8 << 20))" "$((9 << 20)) $((7 << 20))" "$((17 << 20)) $((47 << 20))"; do
			read -r o l <<<"$r"
			# (no process substitution: the guest has no /dev/fd)
			file_range "$WORK/in.$label" "$o" "$l" >"$WORK/a"
			file_range "$WORK/file.$label" "$o" "$l" >"$WORK/b"
			cmp -s "$WORK/a" "$WORK/b" || fail "$label: the file differs from the put in [$o, $((o + l)))"
		done
		say "ok: $label: the file holds the put bytes (outside the later 1 MiB puts)"
		continue
	fi
	same_bytes "$WORK/in.$label" "$WORK/file.$label" "$label: the file holds the put bytes at offset $off"
done
[ ${#FAILED[@]} = 0 ] || fail "$(printf '%s; ' "${FAILED[@]}")"
say "PASS"
