#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# run.sh -- boot daxmr's real-kernel test guest (emulated NVDIMMs + soft-RoCE) and run one command in it.
set -euo pipefail

usage() {
	cat <<'EOF'
Usage: tests/vm/run.sh [options] [--] COMMAND [ARG...]
       tests/vm/run.sh --fetch-only [--kernel K]

Boots a stock Debian kernel under qemu with two emulated NVDIMMs and soft-RoCE, runs COMMAND
inside it and exits with COMMAND's exit status. The guest runs this machine's own binaries: the
host's / is shared read-only over 9p (with a tmpfs overlay on top), so build on the host first.

Inside the guest, before COMMAND starts:
  /mnt/pmem     XFS on /dev/pmem0 (fsdax namespace), mounted -o dax=always
  /dev/dax1.0   devdax namespace (2 MiB alignment)
                (NVDIMMs of 2 GiB and 1 GiB unless --pmem-gib says otherwise)
  eth0          10.0.2.15/24 on a restricted user-mode NIC (nothing leaves the guest)
  rxe0          soft-RoCE on eth0, port ACTIVE; RDMA peers talk to 10.0.2.15
  ulimit -l     unlimited
COMMAND runs as root, in the current directory, with every DAXMR_TEST_* variable of this
environment and those given with -e.

Options:
  -k, --kernel K    guest kernel: "new" (Debian trixie-backports, Linux >= 6.15, rxe has ODP;
                    the default) or "6.1" (Debian bookworm)              [DAXMR_VM_KERNEL]
  -m, --mtu N       guest NIC MTU: 1500 gives rxe path MTU 1024, 9000 gives 4096 [DAXMR_VM_MTU]
  -r, --rxe M       which rdma_rxe the guest loads: "stock" (the kernel's own; the default),
                    "fixed" (the kernel's rxe with daxmr's fix of its ODP data placement,
                    kernel/rxe/*.patch, built and cached by scripts/rxe-module.sh for the guest
                    kernel; the first build takes a minute or two) or the path of a .ko built
                    for the guest kernel. The guest prints which one it loaded.  [DAXMR_VM_RXE]
  -p, --pmem-gib F[,D]
                    NVDIMM sizes in GiB: F for the fsdax one (/mnt/pmem), D for the devdax
                    one (default 2,1; D defaults to F). The 1 GiB devdax registers as one
                    MR on rxe (its pinned limit is 1 GiB), so version-2 clients can open it;
                    a larger one is exported in 1 GiB segments (tests/e2e/seg: 6,3). Guest
                    RAM (4 GiB) plus both must stay within qemu's maxmem of 32 GiB. The
                    backing files are sparse; what the guest writes lands on this machine's
                    disk under TMPDIR.                                  [DAXMR_VM_PMEM_GIB]
  -e VAR=VALUE      pass a variable into the guest (repeatable)
  -l, --log FILE    keep the guest's console here (default: CACHE/console-K.log)
  -t, --timeout S   power the guest off after S seconds (default 2400)     [DAXMR_VM_TIMEOUT]
                    A kernel that dies before reaching the guest's init (a TCG hazard, not a
                    test result) is booted again, twice at most; one that has not reached it
                    after DAXMR_VM_BOOT_TIMEOUT s (default 300) is stopped.
      --fetch-only  only download the kernel and build the initramfs
  -h, --help        this text
Environment: DAXMR_VM_CACHE (default ~/.cache/daxmr/vm) holds kernels and initramfs images;
DAXMR_VM_ACCEL=auto|kvm|tcg (auto: KVM only if a short probe boot reaches userspace);
DAXMR_VM_MIRROR overrides the Debian archive (default: the one in this system's apt sources).

Exit status: COMMAND's; 124 if the guest timed out; 125 if the guest could not be set up or
died without reporting (see the console log); 2 for usage errors.
EOF
}

say() { printf '[vm] %s\n' "$*" >&2; }
die() { printf '[vm] error: %s\n' "$*" >&2; exit "${2:-125}"; }

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
KERNEL=${DAXMR_VM_KERNEL:-new}
MTU=${DAXMR_VM_MTU:-1500}
RXE=${DAXMR_VM_RXE:-stock}
PMEM_GIB=${DAXMR_VM_PMEM_GIB:-2,1}
TIMEOUT=${DAXMR_VM_TIMEOUT:-2400}
BOOT_TIMEOUT=${DAXMR_VM_BOOT_TIMEOUT:-300}
CACHE=${DAXMR_VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/daxmr/vm}
LOG=
FETCH_ONLY=0
EXTRA_ENV=()

while [ $# -gt 0 ]; do
	case "$1" in
	-k | --kernel) KERNEL=${2:?}; shift 2 ;;
	-m | --mtu) MTU=${2:?}; shift 2 ;;
	-r | --rxe) RXE=${2:?}; shift 2 ;;
	-p | --pmem-gib) PMEM_GIB=${2:?}; shift 2 ;;
	-e) EXTRA_ENV+=("${2:?}"); shift 2 ;;
	-l | --log) LOG=${2:?}; shift 2 ;;
	-t | --timeout) TIMEOUT=${2:?}; shift 2 ;;
	--fetch-only) FETCH_ONLY=1; shift ;;
	-h | --help) usage; exit 0 ;;
	--) shift; break ;;
	-*) usage >&2; die "unknown option $1" 2 ;;
	*) break ;;
	esac
done
[ "$FETCH_ONLY" = 1 ] || [ $# -gt 0 ] || { usage >&2; die "no command given" 2; }
case "$MTU" in '' | *[!0-9]*) die "--mtu takes a number, not '$MTU'" 2 ;; esac
case "$RXE" in stock | fixed | *.ko) ;; *) die "--rxe takes stock, fixed or a .ko file, not '$RXE'" 2 ;; esac
PMEM_SIZES=("${PMEM_GIB%%,*}" "${PMEM_GIB#*,}")
for g in "${PMEM_SIZES[@]}"; do
	case "$g" in '' | *[!0-9]* | 0) die "--pmem-gib takes F[,D] in whole GiB (>= 1), not '$PMEM_GIB'" 2 ;; esac
done
[ $((4 + PMEM_SIZES[0] + PMEM_SIZES[1])) -le 32 ] ||
	die "--pmem-gib $PMEM_GIB: 4 GiB of RAM plus the NVDIMMs exceed qemu's maxmem of 32 GiB" 2

for tool in qemu-system-x86_64 apt-get dpkg-deb depmod modprobe cpio gzip flock; do
	command -v "$tool" >/dev/null || die "$tool is missing (scripts/test.sh installs what the guest needs)"
done
[ -x /bin/busybox ] && /bin/busybox --list | grep -qx switch_root ||
	die "/bin/busybox (busybox-static) is missing: it is the initramfs' userland"

# --- the Debian suite that carries each guest kernel ---
# shellcheck source=tests/vm/mirror.sh
. "$HERE/mirror.sh"
case "$KERNEL" in
new | bpo | trixie-backports) KERNEL=new; SUITES=("debian trixie-backports") ;;
6.1 | bookworm) KERNEL=6.1; SUITES=("debian bookworm" "debian-security bookworm-security") ;;
*) die "unknown guest kernel '$KERNEL' (use new or 6.1)" 2 ;;
esac

mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
flock 9 # one fetch or initramfs build at a time; guests themselves run concurrently

# Downloads (never installs) the newest linux-image-amd64 of the suite with its split packages.
fetch_kernel() {
	local apt="$CACHE/apt-$KERNEL" m s o kv debs
	m=$(daxmr_debian_mirror)
	mkdir -p "$apt/lists/partial" "$apt/archives/partial"
	: >"$apt/sources.list"
	for s in "${SUITES[@]}"; do
		# shellcheck disable=SC2086
		set -- $s
		echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ${m%/debian*}/$1 $2 main" >>"$apt/sources.list"
	done
	o=(-o "Dir::Etc::SourceList=$apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
		-o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt" -o Dir::State::Status=/dev/null
		-o APT::Sandbox::User=root -o Debug::NoLocking=1 -q)
	say "looking up the $KERNEL guest kernel in ${SUITES[*]} ($m)"
	apt-get "${o[@]}" update >"$apt/update.log" 2>&1 || die "apt-get update for the guest kernel failed: $apt/update.log"
	debs=$(apt-cache "${o[@]}" depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
		--no-replaces --no-enhances --no-pre-depends linux-image-amd64 | grep -E '^linux-(image|binary|modules|base)-[0-9]' | sort -u)
	kv=$(echo "$debs" | sed -n 's/^linux-image-//p' | head -n1)
	[ -n "$kv" ] || die "no linux-image-amd64 found in ${SUITES[*]}"
	KDIR="$CACHE/kernel-$kv"
	if [ ! -e "$KDIR/.complete" ]; then
		say "downloading $(echo "$debs" | tr '\n' ' ')"
		rm -rf "$KDIR" "$apt/debs"
		mkdir -p "$KDIR/root" "$apt/debs"
		# shellcheck disable=SC2086
		(cd "$apt/debs" && apt-get "${o[@]}" download $debs >"$apt/download.log" 2>&1) ||
			die "downloading the guest kernel failed: $apt/download.log"
		for d in "$apt/debs"/*.deb; do dpkg-deb -x "$d" "$KDIR/root"; done
		# 7.x packages put modules under /usr/lib, 6.1 under /lib: keep one tree, lib/modules/KV.
		if [ -d "$KDIR/root/usr/lib/modules/$kv" ]; then
			mkdir -p "$KDIR/root/lib/modules"
			mv "$KDIR/root/usr/lib/modules/$kv" "$KDIR/root/lib/modules/"
		fi
		local vmlinuz
		vmlinuz=$(find "$KDIR/root" -name "vmlinuz*" -type f | head -n1)
		[ -n "$vmlinuz" ] || die "no vmlinuz in the $kv packages"
		cp "$vmlinuz" "$KDIR/vmlinuz"
		depmod -b "$KDIR/root" "$kv" || die "depmod for $kv failed"
		rm -rf "$KDIR/root/usr" "$KDIR/root/boot" "$apt/debs"
		echo "$kv" >"$KDIR/.complete"
	fi
	KV=$kv
}

# Builds a busybox initramfs with the modules that mounting the 9p/overlay root needs.
build_initramfs() {
	local sum stage mods line f
	sum=$(cat "$HERE/init" | sha256sum | cut -c1-12)
	INITRD="$KDIR/initramfs-$sum.cpio.gz"
	[ -e "$INITRD" ] && return
	say "building the initramfs for $KV"
	stage=$(mktemp -d)
	mkdir -p "$stage"/{bin,dev,proc,sys,modules}
	cp /bin/busybox "$stage/bin/busybox"
	cp "$HERE/init" "$stage/init"
	chmod 755 "$stage/init"
	mknod "$stage/dev/console" c 5 1
	: >"$stage/modules/order"
	for m in virtio_pci 9pnet_virtio 9p overlay; do
		mods=$(modprobe -d "$KDIR/root" -S "$KV" --show-depends "$m") || die "module $m not found for $KV"
		while read -r line; do
			case "$line" in
			insmod\ *)
				f=$(echo "$line" | awk '{print $2}')
				local base
				base=$(basename "$f" | sed 's/\.\(xz\|zst\|gz\)$//')
				grep -qx "$base" "$stage/modules/order" && continue
				case "$f" in
				*.xz) xz -dc "$f" >"$stage/modules/$base" ;;
				*.zst) zstd -qdc "$f" >"$stage/modules/$base" ;;
				*.gz) gzip -dc "$f" >"$stage/modules/$base" ;;
				*) cp "$f" "$stage/modules/$base" ;;
				esac
				echo "$base" >>"$stage/modules/order"
				;;
			esac
		done <<<"$mods"
	done
	(cd "$stage" && find . | cpio -o -H newc --quiet | gzip -1) >"$INITRD.tmp"
	mv "$INITRD.tmp" "$INITRD"
	rm -rf "$stage"
}

fetch_kernel
build_initramfs
flock -u 9

# The rdma_rxe module to load instead of the kernel's own, if any (a file on the host).
RXE_KO=
case "$RXE" in
fixed)
	RXE_KO=$("$HERE/../../scripts/rxe-module.sh" --kernel-version "$KV") ||
		die "no fixed rdma_rxe for $KV (scripts/rxe-module.sh failed; see above)"
	;;
*.ko)
	[ -f "$RXE" ] || die "--rxe $RXE: no such file" 2
	RXE_KO=$RXE
	;;
esac
if [ -n "$RXE_KO" ]; then
	[ "$(modinfo -F vermagic "$RXE_KO" | awk '{print $1}')" = "$KV" ] ||
		die "$RXE_KO is not built for $KV (vermagic: $(modinfo -F vermagic "$RXE_KO"))"
fi
if [ "$FETCH_ONLY" = 1 ]; then
	say "guest kernel $KV ready in $KDIR${RXE_KO:+; rdma_rxe: $RXE_KO}"
	exit 0
fi

RUN=$(mktemp -d "${TMPDIR:-/tmp}/daxmr-vm.XXXXXX")
cleanup() {
	pkill -f -- "$RUN/pmem0.img" 2>/dev/null || true
	rm -rf "$RUN"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$RUN/share"
# The module tree is a read-only share of the kernel's own: another rdma_rxe travels through the
# results share, with the sha256 that lets the guest say which file it loaded.
RXE_SHA=
if [ -n "$RXE_KO" ]; then
	cp "$RXE_KO" "$RUN/share/rdma_rxe.ko"
	RXE_SHA=$(sha256sum "$RXE_KO" | cut -c1-16)
	say "rdma_rxe for the guest: $RXE ($RXE_KO, sha256 $RXE_SHA...)"
fi
[ -n "$LOG" ] || LOG="$CACHE/console-$KERNEL.log"
mkdir -p "$(dirname "$LOG")"

# The command, and the environment it gets, travel through the writable results share.
{
	printf 'export DAXMR_VM_MTU=%q DAXMR_VM_CWD=%q DAXMR_VM_KERNEL=%q\n' "$MTU" "$PWD" "$KERNEL"
	# stock, fixed, or file (a .ko given by path)
	printf 'export DAXMR_VM_RXE=%q DAXMR_VM_RXE_SHA=%q\n' "$(case "$RXE" in *.ko) echo file ;; *) echo "$RXE" ;; esac)" "$RXE_SHA"
	while IFS='=' read -r k _; do
		printf 'export %s=%q\n' "$k" "${!k}"
	done < <(env | grep -E '^DAXMR_TEST_[A-Za-z0-9_]*=' || true)
	for kvp in "${EXTRA_ENV[@]}"; do
		[[ "$kvp" =~ ^[A-Za-z_][A-Za-z0-9_]*= ]] || die "-e needs VAR=VALUE, not '$kvp'" 2
		printf 'export %s=%q\n' "${kvp%%=*}" "${kvp#*=}"
	done
} >"$RUN/share/env"
printf '%q ' "$@" >"$RUN/share/cmd"
echo "$*" >"$RUN/share/cmd.txt"

# shellcheck disable=SC2054 # qemu option values are comma-separated by design
qemu_args() {
	local accel=$1
	local a=(-machine pc,nvdimm=on -m 4G,slots=4,maxmem=32G -smp "$(nproc)"
		-kernel "$KDIR/vmlinuz" -initrd "$INITRD"
		-netdev user,id=n0,restrict=on -device virtio-net-pci,netdev=n0,romfile=
		-virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap"
		-virtfs "local,path=$KDIR/root/lib/modules,mount_tag=modules,security_model=none,readonly=on,multidevs=remap"
		-virtfs "local,path=$RUN/share,mount_tag=results,security_model=none,multidevs=remap"
		-nographic -serial stdio -monitor none -no-reboot)
	if [ "$accel" = kvm ]; then a+=(-accel kvm -cpu host); else a+=(-accel tcg,thread=multi -cpu max); fi
	local i
	for i in 0 1; do
		truncate -s "${PMEM_SIZES[$i]}G" "$RUN/pmem$i.img" # sparse, fresh each boot
		a+=(-object "memory-backend-file,id=pm$i,share=on,mem-path=$RUN/pmem$i.img,size=${PMEM_SIZES[$i]}G,align=2M"
			-device "nvdimm,id=nv$i,memdev=pm$i")
	done
	printf '%s\n' "${a[@]}"
}

# KVM here may be a paravirtual nested one on which Debian kernels hang at boot: trust it only
# after a short probe boot reaches userspace. The verdict is kept per host boot.
pick_accel() {
	local want=${DAXMR_VM_ACCEL:-auto} verdict
	case "$want" in kvm | tcg) echo "$want"; return ;; auto) ;; *) die "DAXMR_VM_ACCEL must be auto, kvm or tcg" 2 ;; esac
	[ -w /dev/kvm ] || { echo tcg; return; }
	verdict="$CACHE/accel-$(cat /proc/sys/kernel/random/boot_id)-$KV"
	if [ ! -e "$verdict" ]; then
		say "probing KVM with a short boot (20 s at most)"
		local args
		mapfile -t args < <(qemu_args kvm)
		if timeout -k 5 20 qemu-system-x86_64 "${args[@]}" -append "console=ttyS0 panic=-1 quiet daxmr_probe=1" \
			</dev/null 2>&1 | grep -q daxmr-probe-ok; then
			echo kvm >"$verdict"
		else
			echo tcg >"$verdict"
		fi
	fi
	cat "$verdict"
}

ACCEL=$(pick_accel)

# One boot. Under multi-threaded TCG a Debian kernel now and then dies while patching its own
# text during boot, before any of our code runs (seen: "Oops: int3" in sched_clock_cpu on CPU 1,
# then a panic, about 2 s in). Such a boot is retried; once the guest has reached our init
# (it writes share/booted), whatever happens is the command's result and is never retried.
boot() {
	local attempt=$1 args
	rm -f "$RUN"/pmem*.img "$RUN/share/booted"
	mapfile -t args < <(qemu_args "$ACCEL")
	say "booting Linux $KV ($ACCEL, NIC MTU $MTU, rdma_rxe $RXE, NVDIMMs ${PMEM_SIZES[0]}+${PMEM_SIZES[1]} GiB)${attempt:+, attempt $attempt}; console log: $LOG"
	start=$(date +%s)
	set +e
	# If the kernel has not reached our init within BOOT_TIMEOUT s it never will: stop it early.
	(
		trap 'kill "$nap" 2>/dev/null; exit 0' TERM
		sleep "$BOOT_TIMEOUT" </dev/null >/dev/null 2>&1 &
		nap=$!
		wait "$nap"
		[ -e "$RUN/share/booted" ] || { say "no boot after $BOOT_TIMEOUT s; stopping the guest"; pkill -f -- "$RUN/pmem0.img"; }
	) &
	local watchdog=$!
	timeout -k 10 "$TIMEOUT" qemu-system-x86_64 "${args[@]}" \
		-append "console=ttyS0 panic=-1 quiet loglevel=4 daxmr_guest=$HERE/guest.sh" </dev/null 2>&1 |
		tee "$LOG" | sed -u -e 's/\x1b[[][0-9;?]*[A-Za-z]//g' -e 's/\x1bc/\n/g' -e 's/\r$//'
	qemu_rc=${PIPESTATUS[0]}
	kill "$watchdog" 2>/dev/null
	wait "$watchdog" 2>/dev/null
	set -e
	say "guest ran $(($(date +%s) - start)) s"
}

boot ""
for attempt in 2 3; do
	[ ! -e "$RUN/share/booted" ] && [ ! -e "$RUN/share/status" ] && [ "$qemu_rc" != 124 ] || break
	cp "$LOG" "$LOG.boot$((attempt - 1))"
	say "the guest kernel died before it reached our init (console kept in $LOG.boot$((attempt - 1)):" \
		"$(grep -m1 -E 'Oops|panic|BUG' "$LOG.boot$((attempt - 1))" | tr -d '\r' || echo 'no panic line')); booting again"
	boot "$attempt"
done
if [ -e "$RUN/share/status" ]; then
	rc=$(cat "$RUN/share/status")
	[ "$rc" != 125 ] || [ ! -e "$RUN/share/setup-error" ] ||
		die "guest setup failed: $(cat "$RUN/share/setup-error") (console log: $LOG)"
	exit "$rc"
fi
[ "$qemu_rc" != 124 ] || die "guest timed out after $TIMEOUT s (console log: $LOG)" 124
die "guest died without reporting a status (qemu exit $qemu_rc; console log: $LOG)"
