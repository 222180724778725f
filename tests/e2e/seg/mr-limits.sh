#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# mr-limits.sh -- measures the largest memory region the RDMA device registers, pinned (on a
# devdax device) and with On-Demand Paging (on an fs-DAX file), by registering the first N bytes
# for a list of N with `daxmr-bench reg` and printing one line per attempt. A measurement, not a
# test: docs/reliability.md quotes its output. Run in the guest (tests/vm/run.sh --pmem-gib 6,3):
#   DAXMR_BENCH=build/client/daxmr-bench tests/e2e/seg/mr-limits.sh [DEVDAX] [FSDAX-FILE]
set -uo pipefail
: "${DAXMR_BENCH:?DAXMR_BENCH must name the daxmr-bench binary}"
dev=${1:-/dev/dax1.0}
file=${2:-/mnt/pmem/daxmr-mr-limits}
rdma=$(ls /sys/class/infiniband | head -n1)

# try MODE PATH KIB...: one registration (and deregistration) of each length.
try() {
	local mode=$1 path=$2 kib out
	shift 2
	for kib in "$@"; do
		if out=$("$DAXMR_BENCH" reg "$path" --length "${kib}K" --iterations 1 -d "$rdma" \
			${mode:+--odp} 2>&1); then
			echo "mr-limits: $rdma ${mode:-pinned} ${kib} KiB: ok ($(grep -o 'reg_ms first=[0-9.]*' <<<"$out"))"
		else
			echo "mr-limits: $rdma ${mode:-pinned} ${kib} KiB: refused: $(tail -n1 <<<"$out")"
		fi
	done
}
G=$((1 << 20)) # KiB

uname -r | sed 's/^/mr-limits: kernel /'
[ -c "$dev" ] && try "" "$dev" $G $((G + 4)) $((G + 2048)) $((2 * G))
if ibv_devinfo -v -d "$rdma" | grep -q ODP_SUPPORT; then
	xfs_io -f -c "pwrite -q -b 8m 0 2100m" -c fsync "$file" >/dev/null &&
		try odp "$file" $G $((1984 << 10)) $((2046 << 10)) $((2 * G - 4)) $((2 * G))
	rm -f "$file"
else
	echo "mr-limits: $rdma has no ODP"
fi
