#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# deps.sh -- install (from Debian's own packages) what building, testing and the guest need.
# Idempotent: asks apt only for what is missing; never touches the system's apt sources.
# Usage: scripts/deps.sh [build|test|guest|rxe|metrics|install|fio|bench]...
set -euo pipefail

usage() {
	cat <<'EOF'
Usage: scripts/deps.sh [SET...]
Installs the Debian packages a set needs (only those missing), with apt-get from the
system's own sources (never changed). Without a SET: build test guest.
Sets:
  build    compilers, CMake, Ninja and the libraries daxmr links (libsystemd for sd_notify)
  test     clang, libFuzzer's runtime, clang-format, clang-tidy, cppcheck, and the sets
           metrics, install and fio (scripts/test.sh runs their tests)
  guest    qemu, busybox, the kernel-package tools, and what the guest runs from the host's /
  rxe      what scripts/rxe-module.sh needs to build the fixed rdma_rxe
  metrics  Prometheus and promtool (tests/e2e/metrics scrapes daxmrd with them)
  install  systemd-analyze, man and mandoc (tests of the unit file and the man pages)
  fio      fio and what building bench/fio's engine against Debian's fio source needs
           (the engine is built when fio is installed: -DDAXMR_FIO=AUTO|ON|OFF)
  bench    what scripts/bench.sh and scripts/report.sh need besides the guest: perftest (the
           anchor), python3 (medians, the page), gnuplot-nox (the plots)
Runs apt-get through sudo when not root. Exit status: 0 done, 1 apt failed or no sudo,
2 unknown set.
EOF
}

build=(cmake ninja-build gcc pkg-config libibverbs-dev librdmacm-dev libpmem2-dev libevent-dev libcmocka-dev
	libsodium-dev libjson-c-dev libsystemd-dev)
# clang + its runtime: the libFuzzer targets and their sanitizers; the static analysers
test=(clang libclang-rt-14-dev clang-format clang-tidy cppcheck)
# the guest: qemu, the initramfs' busybox, kernel-package handling, and what the guest runs from
# the host's root (ndctl, mkfs.xfs, rdma, the verbs tools)
guest=(qemu-system-x86 busybox-static cpio xz-utils zstd kmod util-linux iproute2 ndctl xfsprogs
	rdma-core ibverbs-utils rdmacm-utils perftest ibverbs-providers debian-archive-keyring)

# bench/fio's engine: fio itself (the host's, which the guest runs too), what fio's configure must
# find to lay out thread_data and io_u as Debian's fio does (libaio, libnuma; verbs: build), and
# dpkg-source to unpack Debian's fio source package (bench/fio/fetch-fio-source.sh)
fio=(fio libaio-dev libnuma-dev dpkg-dev binutils)

# scripts/rxe-module.sh: a Debian trixie build root for the fixed rdma_rxe, and the patching
rxe=(mmdebstrap patch xz-utils util-linux kmod)
# tests/e2e/metrics: a real Prometheus scrapes daxmrd; promtool (in the same package) lints a scrape
metrics=(prometheus)
# scripts/bench.sh and scripts/report.sh: the anchor, the medians and the page, the plots
bench=(perftest python3 gnuplot-nox)
# tests of the install: the systemd unit (systemd-analyze verify), the man pages (man, mandoc)
install=(systemd man-db groff mandoc)

want=()
[ $# -gt 0 ] || set -- build test guest
for set in "$@"; do
	case "$set" in
	build) want+=("${build[@]}") ;;
	test) want+=("${test[@]}" "${metrics[@]}" "${install[@]}" "${fio[@]}") ;; # scripts/test.sh runs those tests too
	guest) want+=("${guest[@]}") ;;
	rxe) want+=("${rxe[@]}") ;;
	metrics) want+=("${metrics[@]}") ;;
	install) want+=("${install[@]}") ;;
	fio) want+=("${fio[@]}") ;;
	bench) want+=("${bench[@]}") ;;
	-h | --help) usage; exit 0 ;;
	*) echo "deps.sh: unknown set '$set' (build, test, guest, rxe, metrics, install, fio, bench; --help)" >&2; exit 2 ;;
	esac
done

missing=()
for p in "${want[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "[deps] installing: ${missing[*]}"
if [ "$(id -u)" != 0 ]; then
	command -v sudo >/dev/null || { echo "[deps] not root and no sudo: install ${missing[*]}" >&2; exit 1; }
	SUDO=sudo
else
	SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q >/dev/null
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
echo "[deps] done"
