#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# rxe-module.sh -- build rdma_rxe.ko for a Debian kernel with daxmr's fix of rxe's ODP data
# placement (kernel/rxe/*.patch), from Debian's own packages, and cache it. Prints the module's
# path on stdout; progress goes to stderr.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD

usage() {
	cat <<'USAGE'
Usage: scripts/rxe-module.sh [--kernel-version KV] [--force] [--print-path] [--sign KEY CERT]

Builds a fixed rdma_rxe.ko for Debian kernel KV: the kernel's own rxe sources (Debian's
linux-source-X.Y of exactly KV's version, only drivers/infiniband/sw/rxe is unpacked) with the
patches in kernel/rxe/ applied, compiled against Debian's linux-headers-KV. Debian's 7.x kernels
are built with gcc 14 and their kbuild tools need glibc >= 2.38, so the build runs in a Debian
trixie root (made once with mmdebstrap from Debian's packages, trixie + trixie-backports, cached)
rather than on this bookworm host. Nothing is installed on the host but mmdebstrap.

Prints the path of the module, CACHE/kernel-KV/rxe-fixed/rdma_rxe.ko. Its stamp records the
patches' sha256: a changed patch rebuilds, an unchanged one answers from the cache in seconds.

  -k, --kernel-version KV  Debian kernel release as uname -r prints it (e.g. 7.3.4+deb13-amd64);
                           default: the newer guest kernel of tests/vm (run.sh --kernel new)
  -f, --force              rebuild even if the cached module is up to date
  -p, --print-path         only print the cached module's path (exit 1 if it is missing or stale)
  -s, --sign KEY CERT      also sign it, for a kernel that enforces module signatures (Secure
                           Boot): KEY a PEM private key, CERT its DER certificate (e.g. a MOK
                           enrolled with mokutil --import); writes and prints rdma_rxe-signed.ko
  -h, --help               this text
Environment: DAXMR_VM_CACHE (default ~/.cache/daxmr/vm), DAXMR_VM_MIRROR (the Debian archive;
default: the one in this system's apt sources).

Refuses (exit 1, naming the version and what is missing) when trixie or trixie-backports carry
no linux-headers-KV, no linux-source-X.Y of the same version, or the patches do not apply.
Load the result on the machine running KV (see docs/rxe-fix.md):
  modprobe -a ib_core udp_tunnel ip6_udp_tunnel; modprobe -r rdma_rxe; insmod rdma_rxe.ko
USAGE
}

# progress, with the seconds since the build started (t0) once it has
say() { printf '[rxe]%s %s\n' "${t0:+ $(($(date +%s) - t0)) s:}" "$*" >&2; }
die() { printf '[rxe] error: %s\n' "$*" >&2; exit 1; }

t0=
KV=
FORCE=0
PRINT=0
SIGN_KEY=
SIGN_CERT=
while [ $# -gt 0 ]; do
	case "$1" in
	-k | --kernel-version) KV=${2:?}; shift 2 ;;
	-f | --force) FORCE=1; shift ;;
	-p | --print-path) PRINT=1; shift ;;
	-s | --sign) SIGN_KEY=${2:?--sign KEY CERT}; SIGN_CERT=${3:?--sign KEY CERT}; shift 3 ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done

CACHE=${DAXMR_VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/daxmr/vm}
BROOT=$CACHE/trixie-root # the build root, shared by every kernel version

# in_root CMD...: runs CMD in the build root with its own /proc (objtool reads it), in a
# private mount namespace, so nothing stays mounted on the host.
in_root() {
	unshare --mount --pid --fork --mount-proc="$BROOT/proc" chroot "$BROOT" "$@"
}
PATCHES=("$ROOT"/kernel/rxe/*.patch)
[ -e "${PATCHES[0]}" ] || die "no patches in $ROOT/kernel/rxe"
PATCH_SHA=$(cat "${PATCHES[@]}" | sha256sum | cut -d' ' -f1)

if [ -z "$KV" ]; then
	# The guest kernel: run.sh resolves (and caches) the newest one of trixie-backports.
	KV=$("$ROOT/tests/vm/run.sh" --fetch-only --kernel new 2>&1 | sed -n 's/^\[vm\] guest kernel \([^ ]*\) ready in .*/\1/p')
	[ -n "$KV" ] || die "could not resolve the guest kernel (tests/vm/run.sh --fetch-only --kernel new)"
fi
case "$KV" in
*-amd64) ;;
*) die "kernel $KV: only Debian's amd64 kernels (KV ending in -amd64) are supported" ;;
esac
OUT=$CACHE/kernel-$KV/rxe-fixed
KO=$OUT/rdma_rxe.ko
STAMP="kernel=$KV patches-sha256=$PATCH_SHA"

up_to_date() { [ -f "$KO" ] && [ "$(head -n1 "$OUT/stamp" 2>/dev/null)" = "$STAMP" ]; }
if [ -n "$SIGN_KEY" ]; then
	{ [ -r "$SIGN_KEY" ] && [ -r "$SIGN_CERT" ]; } || die "--sign: cannot read $SIGN_KEY or $SIGN_CERT"
fi

# finish: prints the module's path; with --sign, signs a copy with the kernel's own sign-file
# (from linux-kbuild in the build root) and prints that one's path instead.
finish() {
	local tmp
	if [ -z "$SIGN_KEY" ]; then
		echo "$KO"
		return
	fi
	[ -x "$BROOT/usr/src/linux-headers-$KV/scripts/sign-file" ] ||
		die "--sign: no sign-file for $KV in $BROOT (rebuild with --force)"
	tmp=$(mktemp -d "$BROOT/var/tmp/sign.XXXXXX") # the key stays in it only while signing
	chmod 700 "$tmp"
	cp "$SIGN_KEY" "$tmp/key"
	cp "$SIGN_CERT" "$tmp/cert"
	cp "$KO" "$tmp/rdma_rxe.ko"
	if ! in_root "/usr/src/linux-headers-$KV/scripts/sign-file" sha256 "${tmp#"$BROOT"}/key" \
		"${tmp#"$BROOT"}/cert" "${tmp#"$BROOT"}/rdma_rxe.ko"; then
		rm -rf "$tmp"
		die "sign-file failed with $SIGN_KEY and $SIGN_CERT"
	fi
	cp "$tmp/rdma_rxe.ko" "$OUT/rdma_rxe-signed.ko"
	rm -rf "$tmp"
	say "signed by '$(modinfo -F signer "$OUT/rdma_rxe-signed.ko")': $OUT/rdma_rxe-signed.ko"
	echo "$OUT/rdma_rxe-signed.ko"
}
if [ "$PRINT" = 1 ]; then
	up_to_date || die "no up-to-date fixed rdma_rxe for $KV in $OUT (run scripts/rxe-module.sh -k $KV)"
	echo "$KO"
	exit 0
fi

mkdir -p "$CACHE"
exec 8>"$CACHE/.rxe-module.lock"
flock 8 # one build at a time per cache
if [ "$FORCE" = 0 ] && up_to_date; then
	say "fixed rdma_rxe for $KV is up to date ($(sed -n 2p "$OUT/stamp"))"
	finish
	exit 0
fi

[ "$(id -u)" = 0 ] || die "building needs root (mmdebstrap's root mode, chroot, unshare): run as root or with sudo"
t0=$(date +%s)
# shellcheck source=tests/vm/mirror.sh
. "$ROOT/tests/vm/mirror.sh"
MIRROR=$(daxmr_debian_mirror)

# waits for any apt or dpkg on this host to finish (ours must not fight them for the locks)
wait_for_apt() {
	local n=0
	while pgrep -x 'apt|apt-get|dpkg|unattended-upgr' >/dev/null; do
		[ $((n % 15)) = 0 ] && say "waiting for another apt/dpkg on this host to finish"
		n=$((n + 1))
		sleep 2
	done
}

# --- 1. the trixie build root (once; then cached) ---
if [ ! -e "$BROOT/.complete" ]; then
	if ! command -v mmdebstrap >/dev/null; then
		wait_for_apt
		say "installing mmdebstrap (Debian package) on this host"
		scripts/deps.sh rxe
	fi
	for tool in mmdebstrap unshare chroot patch xz dpkg-deb modinfo; do
		command -v "$tool" >/dev/null || die "$tool is missing (scripts/deps.sh rxe installs it)"
	done
	say "making a Debian trixie build root with gcc 14 in $BROOT (mmdebstrap, $MIRROR; about a minute)"
	rm -rf "$BROOT" "$BROOT.tmp"
	mmdebstrap --variant=apt --include=make,gcc-14,binutils --skip=cleanup/apt/lists trixie "$BROOT.tmp" \
		"deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $MIRROR trixie main" \
		"deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $MIRROR trixie-backports main" \
		>"$CACHE/trixie-root.log" 2>&1 || die "mmdebstrap of the trixie build root failed: $CACHE/trixie-root.log"
	date -u +%FT%TZ >"$BROOT.tmp/.complete"
	mv "$BROOT.tmp" "$BROOT"
fi

# --- 2. linux-headers-KV in the root ---
HDR=/usr/src/linux-headers-$KV
if [ ! -e "$BROOT$HDR/Makefile" ]; then
	say "looking up linux-headers-$KV in trixie and trixie-backports, to install it into the build root"
	cp -L /etc/resolv.conf "$BROOT/etc/resolv.conf" 2>/dev/null || true
	in_root apt-get -q update >"$CACHE/trixie-root-update.log" 2>&1 ||
		die "apt-get update in the build root failed: $CACHE/trixie-root-update.log"
	if ! in_root apt-cache show "linux-headers-$KV" >/dev/null 2>&1; then
		die "kernel $KV: Debian trixie and trixie-backports ($MIRROR) have no linux-headers-$KV, so no fixed rdma_rxe can be built for it"
	fi
	DEBIAN_FRONTEND=noninteractive in_root apt-get -q -y --no-install-recommends install "linux-headers-$KV" \
		>"$CACHE/trixie-root-headers.log" 2>&1 ||
		die "kernel $KV: installing linux-headers-$KV in the build root failed: $CACHE/trixie-root-headers.log"
fi
# shellcheck disable=SC2016 # dpkg-query's format, not ours
VER=$(in_root dpkg-query -W -f='${Version}' "linux-headers-$KV")
XY=$(echo "$KV" | sed -E 's/^([0-9]+\.[0-9]+).*/\1/')
say "kernel $KV: Debian package version $VER; sources from linux-source-$XY $VER"

# --- 3. the kernel's own rxe sources, exactly KV's version (cached, pristine) ---
SRC=$CACHE/kernel-$KV/rxe-src-$VER
if [ ! -e "$SRC/.complete" ]; then
	say "downloading linux-source-$XY $VER and unpacking drivers/infiniband/sw/rxe"
	cp -L /etc/resolv.conf "$BROOT/etc/resolv.conf" 2>/dev/null || true
	rm -rf "$BROOT/var/tmp/linux-source" "$SRC"
	mkdir -p "$BROOT/var/tmp/linux-source" "$SRC"
	if ! in_root sh -c "cd /var/tmp/linux-source && apt-get -q download linux-source-$XY=$VER" \
		>"$CACHE/linux-source-download.log" 2>&1; then
		in_root apt-get -q update >/dev/null 2>&1 || true
		in_root sh -c "cd /var/tmp/linux-source && apt-get -q download linux-source-$XY=$VER" \
			>"$CACHE/linux-source-download.log" 2>&1 ||
			die "kernel $KV: no linux-source-$XY of version $VER in trixie or trixie-backports ($MIRROR): its rxe sources cannot be had ($CACHE/linux-source-download.log)"
	fi
	deb=$(ls "$BROOT"/var/tmp/linux-source/linux-source-"$XY"_*.deb)
	# The package holds one tarball; stream it and keep only the rxe directory.
	dpkg-deb --fsys-tarfile "$deb" | tar -xO "./usr/src/linux-source-$XY.tar.xz" |
		tar -xJ -C "$SRC" --strip-components=1 "linux-source-$XY/drivers/infiniband/sw/rxe" ||
		die "kernel $KV: $deb has no drivers/infiniband/sw/rxe"
	rm -rf "$BROOT/var/tmp/linux-source"
	echo "$VER" >"$SRC/.complete"
fi
[ -e "$SRC/drivers/infiniband/sw/rxe/rxe_odp.c" ] ||
	die "kernel $KV: its rxe has no rxe_odp.c (no On-Demand Paging before Linux 6.15): nothing to fix"

# --- 4. patch and build against linux-headers-KV ---
BUILD=/build/$KV
rm -rf "${BROOT:?}$BUILD"
mkdir -p "$BROOT$BUILD"
cp -a "$SRC/drivers" "$BROOT$BUILD/"
for p in "${PATCHES[@]}"; do
	say "applying $(basename "$p")"
	patch -p1 --forward --batch -s -d "$BROOT$BUILD" <"$p" >"$CACHE/rxe-patch.log" 2>&1 ||
		die "kernel $KV: $(basename "$p") does not apply to linux-source-$XY $VER ($(head -n3 "$CACHE/rxe-patch.log" | tr '\n' ' '))"
done
say "building rdma_rxe.ko (make -C $HDR M=$BUILD/drivers/infiniband/sw/rxe, gcc 14)"
M=$BUILD/drivers/infiniband/sw/rxe
in_root make -C "$HDR" M="$M" -j"$(nproc)" modules >"$BROOT$BUILD/build.log" 2>&1 ||
	die "kernel $KV: building rdma_rxe failed: $BROOT$BUILD/build.log: $(grep -m3 -E 'error|Error' "$BROOT$BUILD/build.log" | tr '\n' ' ')"
# Debian strips its modules' debug info (INSTALL_MOD_STRIP); .BTF stays.
in_root strip --strip-debug "$M/rdma_rxe.ko"
vermagic=$(modinfo -F vermagic "$BROOT$M/rdma_rxe.ko")
[ "${vermagic%% *}" = "$KV" ] || die "built module has vermagic '$vermagic', not $KV"

# --- 5. into the cache, with the stamp ---
mkdir -p "$OUT"
rm -f "$OUT/rdma_rxe-signed.ko" # signed from the module this build replaces
cp "$BROOT$M/rdma_rxe.ko" "$OUT/rdma_rxe.ko.tmp"
mv "$OUT/rdma_rxe.ko.tmp" "$KO"
cp "$BROOT$BUILD/build.log" "$OUT/build.log"
{
	echo "$STAMP"
	echo "linux-source-$XY $VER + $(for p in "${PATCHES[@]}"; do basename "$p"; done | tr '\n' ' ')built $(date -u +%FT%TZ) in $(($(date +%s) - t0)) s"
	sha256sum "$KO" | cut -d' ' -f1
} >"$OUT/stamp"
rm -rf "${BROOT:?}$BUILD"
say "built $KO in $(($(date +%s) - t0)) s (vermagic $vermagic$([ -n "$SIGN_KEY" ] || echo '; unsigned: for Secure Boot see --sign and docs/rxe-fix.md'))"
finish
