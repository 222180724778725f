#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# guest.sh -- PID 1 inside daxmr's test guest: set up fs-DAX, devdax and soft-RoCE, run the one
# command the host asked for (/daxmr-results/cmd), write its exit status, power off.
#
# What the tests can rely on afterwards (documented in docs/testing.md):
#   /dev/pmem0  fsdax namespace, XFS, mounted -o dax=always on /mnt/pmem
#   /dev/dax1.0 devdax namespace, 2 MiB aligned
#   eth0        10.0.2.15/24, MTU $DAXMR_VM_MTU (1500 -> rxe path MTU 1024; 9000 -> 4096)
#   rxe0        soft-RoCE on eth0, ACTIVE; RoCE v2 GID of 10.0.2.15
#   rdma_rxe    the kernel's own, or with DAXMR_VM_RXE=fixed|file the module in $R/rdma_rxe.ko
set -u
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root
R=/daxmr-results

step() { printf '[guest] %s\n' "$*"; }
finish() {
	echo "$1" >"$R/status"
	sync
	echo o >/proc/sysrq-trigger
	sleep 60
}
fail() {
	printf '[guest] setup failed: %s\n' "$*" >&2
	printf '%s\n' "$*" >"$R/setup-error"
	finish 125
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t tmpfs tmpfs /run
hostname daxmr-guest

# shellcheck source=/dev/null
. "$R/env"
mtu=${DAXMR_VM_MTU:-1500}
step "kernel $(uname -r), $(nproc) cpus, $(awk '/MemTotal/ {print int($2/1024)}' /proc/meminfo) MiB"

# --- network: a restricted user-mode NIC; all RDMA traffic loops back to our own address ---
modprobe virtio_net 2>/dev/null || true
for _ in $(seq 50); do [ -e /sys/class/net/eth0 ] && break; sleep 0.1; done
[ -e /sys/class/net/eth0 ] || fail "no eth0 (virtio-net missing)"
ip link set lo up
ip link set eth0 mtu "$mtu" || fail "cannot set eth0 MTU to $mtu"
ip addr add 10.0.2.15/24 dev eth0 || fail "cannot add 10.0.2.15/24 to eth0"
ip link set eth0 up || fail "cannot bring eth0 up"

# --- persistent memory: namespace0 -> fsdax (/dev/pmem0), namespace1 -> devdax (/dev/dax1.0) ---
for m in nfit nd_pmem dax_pmem device_dax; do modprobe "$m" 2>/dev/null || true; done
for _ in $(seq 50); do [ -e /sys/bus/nd/devices/namespace1.0 ] && break; sleep 0.1; done
ndctl create-namespace -f -e namespace0.0 -m fsdax >/dev/null || fail "ndctl: cannot make namespace0.0 fsdax"
ndctl create-namespace -f -e namespace1.0 -m devdax -a 2M >/dev/null || fail "ndctl: cannot make namespace1.0 devdax"
for _ in $(seq 50); do [ -b /dev/pmem0 ] && [ -c /dev/dax1.0 ] && break; sleep 0.1; done
[ -b /dev/pmem0 ] || fail "/dev/pmem0 did not appear"
[ -c /dev/dax1.0 ] || fail "/dev/dax1.0 did not appear"
mkfs.xfs -q -f /dev/pmem0 || fail "mkfs.xfs /dev/pmem0 failed"
mkdir -p /mnt/pmem
mount -o dax=always /dev/pmem0 /mnt/pmem || fail "mount -o dax=always /dev/pmem0 failed"
step "fs-DAX: /dev/pmem0 XFS on /mnt/pmem ($(findmnt -no OPTIONS /mnt/pmem)); devdax: /dev/dax1.0 ($(($(cat /sys/bus/dax/devices/dax1.0/size) >> 20)) MiB)"

# --- soft-RoCE: the kernel's rdma_rxe, or (run.sh --rxe) a module passed in the results share ---
rxe=${DAXMR_VM_RXE:-stock}
if [ "$rxe" = stock ]; then
	modprobe rdma_rxe || fail "modprobe rdma_rxe failed"
else
	[ -f "$R/rdma_rxe.ko" ] || fail "--rxe $rxe, but no rdma_rxe.ko in the results share"
	# insmod does not resolve dependencies: load those the module names (ib_core, udp_tunnel,
	# ip6_udp_tunnel) from the kernel's own tree first
	for m in $(modinfo -F depends "$R/rdma_rxe.ko" | tr ',' ' '); do
		modprobe "$m" || fail "modprobe $m (needed by the $rxe rdma_rxe) failed"
	done
	insmod "$R/rdma_rxe.ko" || fail "insmod of the $rxe rdma_rxe.ko failed (see the console)"
fi
for m in ib_uverbs rdma_ucm; do modprobe "$m" || fail "modprobe $m failed"; done
# Which rdma_rxe is loaded: Debian's is signed and in-tree (no taint); one built out of tree
# taints O (out of tree) and, unsigned, E.
rxe_taint=$(cat /sys/module/rdma_rxe/taint 2>/dev/null)
if [ "$rxe" = stock ]; then
	step "rdma_rxe: stock ($(modinfo -F filename rdma_rxe | sed 's|.*/lib/modules/[^/]*/||'), taint '${rxe_taint}')"
else
	step "rdma_rxe: $rxe (insmod rdma_rxe.ko, sha256 ${DAXMR_VM_RXE_SHA:-?}..., taint '${rxe_taint}')"
fi
rdma link add rxe0 type rxe netdev eth0 || fail "rdma link add rxe0 failed"
for _ in $(seq 100); do
	grep -q ACTIVE /sys/class/infiniband/rxe0/ports/1/state 2>/dev/null && break
	sleep 0.1
done
grep -q ACTIVE /sys/class/infiniband/rxe0/ports/1/state || fail "rxe0 port 1 is not ACTIVE"
step "RDMA: rxe0 on eth0 ($(cat /sys/class/infiniband/rxe0/ports/1/state | tr -d '\n'), eth0 MTU $mtu)"

# RDMA registration pins or maps memory: no locked-memory limit inside the test guest.
ulimit -l unlimited
cd "${DAXMR_VM_CWD:-/}" || fail "cannot cd to ${DAXMR_VM_CWD:-/}"
step "running: $(cat "$R/cmd.txt")"
bash "$R/cmd"
finish $?
