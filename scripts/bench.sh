#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# bench.sh -- daxmr-bench next to perftest in one boot: ib_read_bw / ib_write_bw with the same
# size and tx depth, ib_read_lat / ib_write_lat with the same size, READ and WRITE, on a devdax,
# a tmpfs and an fs-DAX export, interleaved (perftest, daxmr, perftest, daxmr, ...) several times
# per point; prints the medians and their ratios as the tables of docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD

usage() {
	cat <<'USAGE'
Usage: scripts/bench.sh [--quick] [--reps N] [--kernel new|6.1] [--rxe stock|fixed] [--out FILE]
                        [--guest]

Measures daxmr-bench against perftest on the same RDMA device in one run, and prints the tables
that docs/benchmarks.md shows (markdown, on stdout and into --out):
  bandwidth  ib_read_bw / ib_write_bw -s SIZE -t 128 -n N   vs  daxmr-bench -s SIZE -t 128 -n N
  latency    ib_read_lat / ib_write_lat -s SIZE -n N        vs  daxmr-bench --lat -s SIZE -n N
for READ and WRITE at 8 B, 4 KiB, 64 KiB and 1 MiB on three exports of one daxmrd: "dev"
(/dev/dax1.0: devdax, pinned), "tmp" (a 64 MiB tmpfs file: page cache, pinned) and "fsdax"
(a 64 MiB file on the fs-DAX XFS /mnt/pmem: ODP). Each point runs perftest, daxmr, perftest,
daxmr, ... (--reps times each, default 3) and reports the median of each and daxmr/perftest.
perftest uses its own buffers (anonymous memory): it is the link's figure, the same anchor for
the three exports. Bandwidth compares perftest's "BW average[MB/sec]" with daxmr's MiB_s (the
same unit, 2^20 bytes/s); latency compares t_typical (the median) with daxmr's lat_us.p50.

  --quick       fewer points (dev: 8 B, 4 KiB, 1 MiB; fsdax: 4 KiB, 1 MiB; tmp: 4 KiB) and a
                quarter of the iterations: about 6 minutes in the TCG guest of an idle 2-core
                host. Default: every point (about 20 minutes there)
  --reps N      runs of each program per point (default 3; at least 3 for a median)
  --kernel K    guest kernel: new (default) or 6.1 (no ODP: the fsdax export is skipped)
  --rxe M       the guest's rdma_rxe: fixed (default: daxmr's fix of rxe's ODP placement bug,
                so fs-DAX is measured at every size) or stock (fs-DAX then only at page-multiple
                sizes: the stock module misplaces other ODP transfers; see docs/benchmarks.md)
  --out FILE    also write the tables there (default build/bench-tables.md)
  --guest       use the guest even if this machine has an RDMA device
Without a local RDMA device (or with --guest) it boots the qemu guest of tests/vm (NIC MTU 9000:
rxe path MTU 4096) and runs itself inside (--inside). Needs perftest and python3 (the guest
runs the host's), a build (DAXMR_BUILD_DIR, default ./build, built first when unset) and root.
Only one guest may run at a time on a shared machine: run it under that machine's guest lock.
USAGE
}

QUICK=0
REPS=3
KERNEL=${DAXMR_VM_KERNEL:-new}
RXE=fixed
OUT=
GUEST=0
INSIDE=0
log() { printf '[bench] %s\n' "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}

pids=() # every process started, for cleanup (global: the EXIT trap runs after inside() returns)
work=
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
	[ -n "$work" ] && rm -rf "$work" /dev/shm/bench-tmp.img /mnt/pmem/bench-fsdax.img
	return 0
}

# The part that runs where the RDMA device is (inside the guest, or on this machine).
inside() {
	local b=${DAXMR_BUILD_DIR:-$ROOT/build} devdax=${DAXMR_BENCH_DEVDAX:-/dev/dax1.0}
	local dev addr mtu dport=$((20000 + RANDOM % 20000)) port=18600 depth=128
	command -v ib_read_bw >/dev/null || die "perftest is not installed (apt-get install perftest)"
	command -v python3 >/dev/null || die "python3 is needed for the medians"
	[ -x "$b/client/daxmr-bench" ] || die "no $b/client/daxmr-bench: build first (or set DAXMR_BUILD_DIR)"
	[ -c "$devdax" ] || die "no devdax device $devdax (set DAXMR_BENCH_DEVDAX)"
	dev=$(find /sys/class/infiniband -mindepth 1 -maxdepth 1 -printf "%f\n" | sort | head -n1)
	[ -n "$dev" ] || die "no RDMA device"
	addr=$(ip -4 -o addr show dev "$(cat "/sys/class/infiniband/$dev/ports/1/gid_attrs/ndevs/0")" |
		awk '{print $4}' | cut -d/ -f1 | head -n1)
	[ -n "$addr" ] || die "no IPv4 address on $dev's netdev"
	mtu=$(ibv_devinfo -d "$dev" | awk '/active_mtu/ {print $2; exit}')
	work=$(mktemp -d /tmp/daxmr-bench.XXXXXX)
	trap cleanup EXIT

	# the exports: devdax as it is; a tmpfs file and an fs-DAX file, 64 MiB each, fully
	# written (no holes, no unwritten extents: daxmrd refuses those)
	local exports=(--export "dev=$devdax") names=(dev)
	xfs_io -f -c "pwrite -q 0 64m" /dev/shm/bench-tmp.img 2>/dev/null || head -c 64M /dev/zero >/dev/shm/bench-tmp.img
	exports+=(--export tmp=/dev/shm/bench-tmp.img)
	names+=(tmp)
	if mountpoint -q /mnt/pmem && xfs_io -f -c "pwrite -q 0 64m" -c fsync /mnt/pmem/bench-fsdax.img; then
		exports+=(--export fsdax=/mnt/pmem/bench-fsdax.img)
		names+=(fsdax)
	else
		log "no fs-DAX mount at /mnt/pmem: the fsdax export is skipped"
	fi
	"$b/server/daxmrd" --listen "$addr:$dport" --allow-non-dax "${exports[@]}" -v >"$work/daxmrd.log" 2>&1 &
	pids+=("$!")
	for _ in $(seq 600); do
		grep -q 'listening on' "$work/daxmrd.log" && break
		kill -0 "${pids[0]}" 2>/dev/null || { cat "$work/daxmrd.log" >&2; die "daxmrd exited during start-up"; }
		sleep 0.1
	done
	grep -q 'listening on' "$work/daxmrd.log" || die "daxmrd did not listen within 60 s"
	"$b/client/daxmr" -s "$addr:$dport" ls >"$work/ls.out" || die "daxmr ls failed"
	cat "$work/ls.out" >&2
	# an export daxmrd could not bring up (6.1: no ODP for fs-DAX) is left out
	local n present=()
	for n in "${names[@]}"; do
		if awk -v n="$n" '$1 == n' "$work/ls.out" | grep -q .; then present+=("$n"); else log "export $n is not up: skipped"; fi
	done

	# perftest_run KIND OP SIZE ITERS: one perftest client against its server on a fresh port;
	# sets RES to BW average[MB/sec] (bw) or t_typical[usec] (lat), or "-" if it failed
	perftest_run() {
		local kind=$1 op=$2 size=$3 iters=$4 sp col args wait_s out=$work/perftest.out
		port=$((port + 1))
		args=(-R -d "$dev" -s "$size" -n "$iters" -F -p "$port")
		if [ "$kind" = bw ]; then args+=(-t "$depth"); col=4; else col=5; fi
		RES=
		# a server slow to listen (TCG) refuses the first client: one more try, waiting longer
		for wait_s in 1 3; do
			"ib_${op}_${kind}" "${args[@]}" >"$work/perftest-server.out" 2>&1 &
			sp=$!
			pids+=("$sp")
			sleep "$wait_s"
			if timeout 300 "ib_${op}_${kind}" "${args[@]}" "$addr" >"$out" 2>&1; then
				wait "$sp" || true
				RES=$(awk -v s="$size" -v c="$col" '$1 == s && NF >= c {print $c; exit}' "$out")
			else
				kill -KILL "$sp" 2>/dev/null || true
				wait "$sp" 2>/dev/null || true
			fi
			[ -n "$RES" ] && break
			port=$((port + 1))
			args=(-R -d "$dev" -s "$size" -n "$iters" -F -p "$port")
			[ "$kind" = bw ] && args+=(-t "$depth")
		done
		[ -n "$RES" ] || { log "ib_${op}_${kind} -s $size failed: $(tail -n2 "$out" | tr '\n' ' ')"; RES=-; }
	}
	# daxmr_run KIND EXPORT OP SIZE ITERS: one daxmr-bench run; sets RES to MiB_s (bw) or
	# lat_us.p50 (lat), or "-", and appends its JSON to $work/daxmr.json
	daxmr_run() {
		local kind=$1 name=$2 op=$3 size=$4 iters=$5 args out=$work/daxmr.out
		args=(--server "$addr:$dport" "$name" --op "$op" -s "$size" -n "$iters" --json)
		if [ "$kind" = bw ]; then args+=(-t "$depth"); else args+=(--lat); fi
		if timeout 300 "$b/client/daxmr-bench" "${args[@]}" >"$out" 2>"$work/daxmr.err"; then
			cat "$out" >>"$work/daxmr.json"
			RES=$(python3 -c 'import json,sys; o=json.loads(sys.stdin.readline()); print(o["MiB_s"] if sys.argv[1] == "bw" else o["lat_us"]["p50"])' "$kind" <"$out")
		else
			log "daxmr-bench ${args[*]} failed: $(tail -n2 "$work/daxmr.err" | tr '\n' ' ')"
			RES=-
		fi
	}
	# iters KIND SIZE: iterations per run, so that one run takes about a second under TCG
	iters() {
		local q=1
		[ "$QUICK" = 1 ] && q=4
		# perftest's bandwidth tests want at least as many iterations as the tx depth
		case "$1:$2" in
		bw:1048576) echo $((512 / q)) ;;
		bw:65536) echo $((2000 / q)) ;;
		bw:*) echo $((10000 / q)) ;;
		lat:1048576) echo $((100 / q)) ;;
		lat:*) echo $((1000 / q)) ;;
		esac
	}

	log "device $dev on $addr, path MTU $mtu, kernel $(uname -r), $(nproc) CPUs, rxe ${DAXMR_BENCH_RXE:-?}"
	local name op size kind i q=
	local results=$work/results.tsv
	: >"$results"
	for name in "${present[@]}"; do
		local sizes="8 4096 65536 1048576"
		if [ "$QUICK" = 1 ]; then
			case $name in
			dev) sizes="8 4096 1048576" ;;
			fsdax) sizes="4096 1048576" ;;
			*) sizes=4096 ;;
			esac
		fi
		for op in read write; do
			for size in $sizes; do
				if [ "$name" = fsdax ] && [ "${DAXMR_BENCH_RXE:-stock}" = stock ] &&
					{ [ $((size % 4096)) != 0 ] || [ "$mtu" != 4096 ]; }; then
					log "fsdax $op $size: skipped (stock rxe misplaces ODP transfers that are not page multiples at path MTU 4096)"
					continue
				fi
				for kind in bw lat; do
					i=$(iters "$kind" "$size")
					for _ in $(seq "$REPS"); do
						perftest_run "$kind" "$op" "$size" "$i"
						printf '%s\t%s\t%s\t%s\tperftest\t%s\n' "$name" "$op" "$size" "$kind" "$RES" >>"$results"
						daxmr_run "$kind" "$name" "$op" "$size" "$i"
						printf '%s\t%s\t%s\t%s\tdaxmr\t%s\n' "$name" "$op" "$size" "$kind" "$RES" >>"$results"
					done
					log "$name $op $size $kind: $(awk -F'\t' -v n="$name" -v o="$op" -v s="$size" -v k="$kind" \
						'$1 == n && $2 == o && $3 == s && $4 == k {printf "%s=%s ", $5, $6}' "$results")"
				done
			done
		done
	done

	local header
	[ "$QUICK" = 1 ] && q=" --quick"
	header="Run: \`scripts/bench.sh$q\` on $(date -u +%Y-%m-%d), Linux $(uname -r),"
	header+=" rdma_rxe ${DAXMR_BENCH_RXE:-stock}, $dev path MTU $mtu, $(nproc) vCPUs, $REPS runs of each program per point"
	echo "=== daxmr bench tables begin"
	python3 "$ROOT/scripts/bench_tables.py" --header "$header" --depth "$depth" "$results" "$work/daxmr.json" "$work/ls.out"
	echo "=== daxmr bench tables end"
}

while [ $# -gt 0 ]; do
	case "$1" in
	--inside) INSIDE=1; shift ;;
	--quick) QUICK=1; shift ;;
	--reps) REPS=${2:?}; shift 2 ;;
	--kernel) KERNEL=${2:?}; shift 2 ;;
	--rxe) RXE=${2:?}; shift 2 ;;
	--out) OUT=${2:?}; shift 2 ;;
	--guest) GUEST=1; shift ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
case "$REPS" in '' | *[!0-9]*) die "--reps $REPS: want a number >= 1" ;; esac
[ "$REPS" -ge 1 ] || die "--reps $REPS: want a number >= 1"
case "$RXE" in stock | fixed) ;; *) die "--rxe $RXE: want stock or fixed" ;; esac
if [ "$INSIDE" = 1 ]; then
	inside
	exit 0
fi

if [ -z "${DAXMR_BUILD_DIR:-}" ]; then
	log "building $ROOT/build"
	cmake -S . -B build -G Ninja >/dev/null
	cmake --build build -- -j2 | tail -n1
fi
OUT=${OUT:-${DAXMR_BUILD_DIR:-$ROOT/build}/bench-tables.md}
args=(--reps "$REPS")
[ "$QUICK" = 1 ] && args+=(--quick)
console=$(mktemp /tmp/daxmr-bench-console.XXXXXX)
set +e # the tables of a run that failed half-way are still worth extracting
if [ "$GUEST" = 0 ] && [ -n "$(ls /sys/class/infiniband 2>/dev/null)" ]; then
	log "this machine has an RDMA device: benchmarking on it"
	DAXMR_BENCH_RXE=host "$ROOT/scripts/bench.sh" --inside "${args[@]}" | tee "$console"
else
	log "no RDMA device here: booting the test guest (kernel $KERNEL, NIC MTU 9000, rxe $RXE)"
	tests/vm/run.sh --kernel "$KERNEL" --mtu 9000 --rxe "$RXE" -t 1800 \
		-e "DAXMR_BUILD_DIR=${DAXMR_BUILD_DIR:-$ROOT/build}" -e "DAXMR_BENCH_RXE=$RXE" \
		-- "$ROOT/scripts/bench.sh" --inside "${args[@]}" | tee "$console"
fi
rc=${PIPESTATUS[0]}
sed -n '/^=== daxmr bench tables begin/,/^=== daxmr bench tables end/p' "$console" |
	sed -e '1d' -e '$d' -e 's/\r$//' >"$OUT"
rm -f "$console"
[ -s "$OUT" ] || die "no tables in the output (exit $rc)"
log "tables written to $OUT"
exit "$rc"
