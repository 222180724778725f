#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# demo.sh -- set up and show daxmr's main job, narrated step by step. Uses this machine's RDMA
# device if it has one; otherwise boots the real-kernel test guest (tests/vm) and runs inside it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD

usage() {
	cat <<'USAGE'
Usage: scripts/demo.sh [--kernel new|6.1] [--guest]

Installs what it needs (apt), builds daxmr, and walks through what daxmr stands on: an RDMA
device, a file on fs-DAX pmem, a devdax device, and one-sided RDMA moving bytes that are then
checked. Without a local RDMA device (or with --guest) it all runs inside the qemu guest of
tests/vm, which has soft-RoCE (rxe0) and emulated NVDIMMs.
  --kernel K  guest kernel: new (default; Linux >= 6.15, ODP on rxe) or 6.1
  --guest     use the guest even if this machine has an RDMA device
Environment: DAXMR_TEST_DAX_DIR, a directory on an fs-DAX mount (default /mnt/pmem).
USAGE
}

n=0
say() { n=$((n + 1)); printf '\n--- step %d: %s\n' "$n" "$*"; }
note() { printf '    %s\n' "$*"; }

# The part that runs where the RDMA device is (this machine, or inside the guest).
inside() {
	local dev dax=${DAXMR_TEST_DAX_DIR:-/mnt/pmem}
	n=${DAXMR_DEMO_STEP:-$n}
	say "the RDMA device"
	dev=$(ls /sys/class/infiniband | head -n1)
	note "device $dev, port 1: $(cat /sys/class/infiniband/$dev/ports/1/state), link layer $(cat /sys/class/infiniband/$dev/ports/1/link_layer)"
	ibv_devinfo -d "$dev" | grep -E 'active_mtu|max_mtu|fw_ver' | sed 's/^[[:space:]]*/    /'
	if ibv_devinfo -v -d "$dev" | grep -q 'ODP_SUPPORT'; then
		note "On-Demand Paging: supported (fs-DAX files can be registered through ODP)"
	else
		note "On-Demand Paging: not supported by this kernel's $dev (fs-DAX needs ODP or a devdax export)"
	fi

	say "the fs-DAX mount"
	if findmnt -no OPTIONS --target "$dax" 2>/dev/null | grep -q dax; then
		note "$(findmnt -no SOURCE,FSTYPE,OPTIONS --target "$dax")"
		local f=$dax/demo-file
		xfs_io -f -c "pwrite -q 0 1m" -c fsync "$f"
		note "$f: statx attributes $(xfs_io -c 'statx -r' "$f" | sed -n 's/stat.attributes = //p') (0x200000 = STATX_ATTR_DAX)"
		note "its block map (FIEMAP):"
		xfs_io -c "fiemap -v" "$f" | sed 's/^/      /'
		rm -f "$f"
	else
		note "$dax is not on an fs-DAX mount here: skipping"
	fi

	say "the devdax device"
	if ls /dev/dax* >/dev/null 2>&1; then
		for d in /sys/bus/dax/devices/*; do
			note "/dev/$(basename "$d"): $(($(cat "$d/size") >> 20)) MiB, align $(cat "$d/align" 2>/dev/null || echo ?)"
		done
	else
		note "no devdax device here"
	fi

	say "one-sided RDMA over $dev, checked byte for byte"
	note "two RC queue pairs on $dev; SEND/RECV, then RDMA WRITE and READ at unaligned offsets"
	"$ROOT/build/tests/e2e/smoke/daxmr-e2e-smoke" 2>&1 | sed 's/^/    /'

	say "done"
	note "The daxmrd service (export, rkeys, lease-driven revocation) builds on exactly these pieces."
}

KERNEL=${DAXMR_VM_KERNEL:-new}
GUEST=0
while [ $# -gt 0 ]; do
	case "$1" in
	--inside) inside; exit 0 ;;
	--kernel) KERNEL=${2:?}; shift 2 ;;
	--guest) GUEST=1; shift ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done

say "install what daxmr needs (Debian packages) and build it"
scripts/deps.sh build guest
cmake -S . -B build -G Ninja >/dev/null
cmake --build build -- -j"$(nproc)" | tail -n1 | sed 's/^/    /'

if [ "$GUEST" = 0 ] && [ -n "$(ls /sys/class/infiniband 2>/dev/null)" ]; then
	note "this machine has an RDMA device: the demo uses it"
	inside
	exit 0
fi
say "this machine has no RDMA device: booting the test guest (Debian kernel $KERNEL, soft-RoCE, emulated NVDIMMs)"
note "under software emulation this takes about half a minute"
exec tests/vm/run.sh --kernel "$KERNEL" -e DAXMR_DEMO_STEP=$n -- "$ROOT/scripts/demo.sh" --inside
