#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# bench.sh -- daxmr's figures next to anchors measured in the same run: daxmr-bench reads and
# writes against perftest's ib_read_bw/ib_write_bw/ib_read_lat on the same device and sizes, and
# a raw ibv_reg_mr of the devdax next to daxmrd's start-up with that export. Uses this machine's
# RDMA device if it has one; otherwise boots the test guest (tests/vm) and runs inside it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD

usage() {
	cat <<'USAGE'
Usage: scripts/bench.sh [--quick] [--kernel new|6.1] [--guest]

Prints daxmr's throughput and latency next to anchors measured in the same run on the same RDMA
device (see docs/benchmarks.md): for each size (4K, 64K, 1M; --quick: 4K and 1M) and operation
(read, write), daxmr-bench against daxmrd's devdax export, ib_read_bw / ib_write_bw (rdma_cm,
same address, same size and duration) and ib_read_lat; then daxmr-bench reg (a raw ibv_reg_mr of
the devdax) next to daxmrd's start-up time with that export. Without a local RDMA device (or
with --guest) it runs inside the qemu guest of tests/vm (soft-RoCE rxe0, NIC MTU 9000).
  --quick     4K and 1M, 1 s per run (default: 4K, 64K, 1M, 3 s per run)
  --kernel K  guest kernel: new (default) or 6.1
  --guest     use the guest even if this machine has an RDMA device
Environment: DAXMR_BUILD_DIR (default ./build; built first when not set), DAXMR_BENCH_DEVDAX
(default /dev/dax1.0). Needs perftest (apt-get install perftest) and root (devdax).
USAGE
}

QUICK=0
pids=() # every process started, for cleanup (globals: the EXIT trap runs after inside() returns)
work=
log() { printf '[bench] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Stops what inside() started (TERM first: daxmrd then deregisters and unmaps by itself).
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	local p alive
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for _ in $(seq 100); do
		alive=0
		for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
		[ "$alive" = 0 ] && break
		sleep 0.1
	done
	for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
	[ -n "$work" ] && rm -rf "$work" /dev/shm/bench.img
	return 0
}

# The part that runs where the RDMA device is (this machine, or inside the guest).
inside() {
	local b=${DAXMR_BUILD_DIR:-$ROOT/build} devdax=${DAXMR_BENCH_DEVDAX:-/dev/dax1.0}
	local dev addr secs sizes port=18600 dport=$((20000 + RANDOM % 20000))
	command -v ib_read_bw >/dev/null || die "perftest is not installed (apt-get install perftest)"
	[ -x "$b/client/daxmr-bench" ] || die "no $b/client/daxmr-bench: build first (or set DAXMR_BUILD_DIR)"
	[ -c "$devdax" ] || die "no devdax device $devdax (set DAXMR_BENCH_DEVDAX)"
	dev=$(find /sys/class/infiniband -mindepth 1 -maxdepth 1 -printf "%f\n" | sort | head -n1)
	addr=$(ip -4 -o addr show dev "$(cat "/sys/class/infiniband/$dev/ports/1/gid_attrs/ndevs/0")" |
		awk '{print $4}' | cut -d/ -f1 | head -n1)
	[ -n "$addr" ] || die "no IPv4 address on $dev's netdev"
	work=$(mktemp -d /tmp/daxmr-bench.XXXXXX)
	trap cleanup EXIT
	if [ "$QUICK" = 1 ]; then secs=1 sizes="4K 1M"; else secs=3 sizes="4K 64K 1M"; fi

	log "device $dev on $addr, path MTU $(ibv_devinfo -d "$dev" | awk '/active_mtu/ {print $2; exit}'), kernel $(uname -r), $(nproc) CPUs"
	xfs_io -f -c "pwrite -q 0 64m" /dev/shm/bench.img 2>/dev/null || head -c 64M /dev/zero >/dev/shm/bench.img

	# daxmrd's start-up, to the 'listening on' line, with only a small tmpfs export (the
	# baseline: device, listener, data-path check) and with only the devdax export. daxmrd logs
	# no registration time, so the difference is the closest figure to its map + registration.
	# startup_ms NAME EXPORT...: sets MS to the time from exec to 'listening on'. Not run in
	# $(...): the pids it starts must reach the cleanup trap.
	startup_ms() {
		local name=$1 t0 t1 p
		shift
		t0=$(date +%s%N)
		"$b/server/daxmrd" --listen "$addr:$dport" --allow-non-dax "$@" -v >"$work/$name.log" 2>&1 &
		p=$!
		pids+=("$p")
		for _ in $(seq 3000); do
			grep -q 'listening on' "$work/$name.log" && break
			kill -0 "$p" 2>/dev/null || { cat "$work/$name.log" >&2; die "daxmrd ($name) exited during start-up"; }
			sleep 0.01
		done
		t1=$(date +%s%N)
		grep -q 'listening on' "$work/$name.log" || die "daxmrd ($name) did not listen within 30 s"
		kill -TERM "$p"
		wait "$p" || true
		MS=$(((t1 - t0) / 1000000))
	}
	head -c 2M /dev/zero >"$work/small.img"
	local base_ms dev_ms MS RES
	startup_ms base --export "small=$work/small.img"
	base_ms=$MS
	startup_ms devonly --export "dev=$devdax"
	dev_ms=$MS

	"$b/server/daxmrd" --listen "$addr:$dport" --export "dev=$devdax" --export tmp=/dev/shm/bench.img \
		--allow-non-dax -v >"$work/daxmrd.log" 2>&1 &
	pids+=($!)
	for _ in $(seq 300); do grep -q 'listening on' "$work/daxmrd.log" && break; sleep 0.1; done
	grep -q 'listening on' "$work/daxmrd.log" || { cat "$work/daxmrd.log" >&2; die "daxmrd did not start"; }
	grep -E 'notice|warning' "$work/daxmrd.log" | cut -c1-200 | sed 's/^/    /' >&2
	local len
	len=$("$b/client/daxmr" -s "$addr:$dport" ls | awk '$1 == "dev" {print $2}')
	[ -n "$len" ] || die "daxmrd does not list 'dev'"

	# perftest_bw TOOL SIZE: sets RES to the client's BW average[MB/sec] (perftest's MB: 2^20)
	perftest_bw() {
		local tool=$1 size=$2 out=$work/$1-$2.out sp try
		for try in 1 2 3; do
			port=$((port + 1))
			timeout $((secs + 60)) "$tool" -R -d "$dev" -s "$size" -D "$secs" -F -p "$port" >"$work/$tool-server.out" 2>&1 &
			sp=$!
			pids+=("$sp")
			sleep 1
			if timeout $((secs + 60)) "$tool" -R -d "$dev" -s "$size" -D "$secs" -F -p "$port" "$addr" >"$out" 2>&1; then
				wait "$sp" || true
				RES=$(awk -v s="$size" '$1 == s && NF >= 4 {print $4; exit}' "$out")
				return 0
			fi
			kill -KILL "$sp" 2>/dev/null || true
			wait "$sp" 2>/dev/null || true
			log "$tool -s $size: attempt $try failed: $(tail -n1 "$out")"
		done
		RES=-
	}
	# perftest_lat SIZE: sets RES to ib_read_lat's t_typical[usec]
	perftest_lat() {
		local size=$1 out=$work/lat-$1.out sp
		port=$((port + 1))
		timeout 300 ib_read_lat -R -d "$dev" -s "$size" -n 1000 -F -p "$port" >"$work/lat-server.out" 2>&1 &
		sp=$!
		pids+=("$sp")
		sleep 1
		if timeout 300 ib_read_lat -R -d "$dev" -s "$size" -n 1000 -F -p "$port" "$addr" >"$out" 2>&1; then
			wait "$sp" || true
			RES=$(awk -v s="$size" '$1 == s && NF >= 5 {print $5; exit}' "$out")
		else
			kill -KILL "$sp" 2>/dev/null || true
			wait "$sp" 2>/dev/null || true
			log "ib_read_lat -s $size failed: $(tail -n1 "$out")"
			RES=-
		fi
	}
	# field KEY LINE: the value of KEY=VALUE in a daxmr-bench result line
	field() { awk -v k="$1" '{ for (i = 1; i <= NF; i++) if (index($i, k "=") == 1) { print substr($i, length(k) + 2); exit } }' <<<"$2"; }

	local rows=() size bytes op line mib p50 pbw lat pct
	for size in $sizes; do
		bytes=$(numfmt --from=iec "$size")
		perftest_lat "$bytes"
		lat=$RES
		for op in read write; do
			line=$("$b/client/daxmr-bench" -s "$addr:$dport" dev --op "$op" --size "$size" --seconds "$secs" |
				head -n1) || die "daxmr-bench $op $size failed"
			echo "    $line" >&2
			mib=$(field 'MiB/s' "$line")
			p50=$(field p50 "$line")
			perftest_bw "ib_${op}_bw" "$bytes"
			pbw=$RES
			pct=$(awk -v a="$mib" -v b="$pbw" 'BEGIN { if (b + 0 > 0) printf "%.1f", 100 * a / b; else print "-" }')
			rows+=("$(printf '%-5s %6s %12s %14s %16s %12s %16s' "$op" "$size" "$mib" "$pbw" "$pct" "$p50" "$lat")")
		done
	done

	local reg
	reg=$("$b/client/daxmr-bench" reg "$devdax" --length "$len" -d "$dev") || die "daxmr-bench reg failed"

	echo
	echo "daxmr vs perftest on $dev ($addr), $(uname -r), ${secs} s per run, export dev = $devdax ($len bytes, devdax, pinned)"
	printf '%-5s %6s %12s %14s %16s %12s %16s\n' op size "daxmr MiB/s" "perftest MiB/s" "daxmr/perftest %" "daxmr p50 us" "ib_read_lat us"
	printf '%s\n' "${rows[@]}"
	echo
	echo "registration of $devdax, $len bytes:"
	echo "  raw anchor:  $reg"
	echo "  daxmrd:      start-up to 'listening on' with only dev=$devdax: $dev_ms ms;" \
		"with only a 2 MiB tmpfs export: $base_ms ms; difference $((dev_ms - base_ms)) ms"
	echo "               (daxmrd logs no registration time: the difference covers its seal checks," \
		"map and registration of the devdax)"
}

KERNEL=${DAXMR_VM_KERNEL:-new}
GUEST=0
INSIDE=0
while [ $# -gt 0 ]; do
	case "$1" in
	--inside) INSIDE=1; shift ;;
	--quick) QUICK=1; shift ;;
	--kernel) KERNEL=${2:?}; shift 2 ;;
	--guest) GUEST=1; shift ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
if [ "$INSIDE" = 1 ]; then
	inside
	exit 0
fi

if [ -z "${DAXMR_BUILD_DIR:-}" ]; then
	log "building $ROOT/build"
	cmake -S . -B build -G Ninja >/dev/null
	cmake --build build -- -j"$(nproc)" | tail -n1
fi
if [ "$GUEST" = 0 ] && [ -n "$(ls /sys/class/infiniband 2>/dev/null)" ]; then
	log "this machine has an RDMA device: benchmarking on it"
	inside
	exit 0
fi
log "no RDMA device here: booting the test guest (kernel $KERNEL, NIC MTU 9000)"
args=()
[ "$QUICK" = 1 ] && args+=(--quick)
exec tests/vm/run.sh --kernel "$KERNEL" --mtu 9000 -t 1200 -e "DAXMR_BUILD_DIR=${DAXMR_BUILD_DIR:-$ROOT/build}" \
	-- "$ROOT/scripts/bench.sh" --inside "${args[@]}"
