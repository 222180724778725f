#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# deps.sh -- install (from Debian's own packages) what building, testing and the guest need.
# Idempotent: asks apt only for what is missing. Usage: scripts/deps.sh [build|test|guest|rxe|fio]...
set -euo pipefail

build=(cmake ninja-build gcc pkg-config libibverbs-dev librdmacm-dev libpmem2-dev libevent-dev libcmocka-dev
	libsodium-dev libjson-c-dev)
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
# the engine is part of the default build (DAXMR_FIO=AUTO), so "build" brings its packages
build+=("${fio[@]}")

# scripts/rxe-module.sh: a Debian trixie build root for the fixed rdma_rxe, and the patching
rxe=(mmdebstrap patch xz-utils util-linux kmod)

want=()
[ $# -gt 0 ] || set -- build test guest
for set in "$@"; do
	case "$set" in
	build) want+=("${build[@]}") ;;
	test) want+=("${test[@]}") ;;
	guest) want+=("${guest[@]}") ;;
	rxe) want+=("${rxe[@]}") ;;
	fio) want+=("${fio[@]}") ;;
	*) echo "deps.sh: unknown set '$set' (build, test, guest, rxe, fio)" >&2; exit 2 ;;
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
