#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# bench.sh -- daxmr-bench next to perftest in one boot: ib_read_bw / ib_write_bw with the same
# size and tx depth, ib_read_lat / ib_write_lat with the same size, READ and WRITE, on a devdax,
# a tmpfs and an fs-DAX export, interleaved (perftest, daxmr on each export, perftest, ...)
# several times per point; prints the medians and their ratios as the tables of
# docs/benchmarks.md and keeps every run's figures for scripts/report.sh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD

usage() {
	cat <<'USAGE'
Usage: scripts/bench.sh [--quick] [--reps N] [--kernel new|6.1] [--rxe stock|fixed] [--out FILE]
                        [--data DIR] [--only KIND:OP:SIZE] [--guest]

Measures daxmr-bench against perftest on the same RDMA device in one run, and prints the tables
that docs/benchmarks.md shows (markdown, on stdout and into --out):
  bandwidth  ib_read_bw / ib_write_bw -s SIZE -t 128 -D S   vs  daxmr-bench -s SIZE -t 128 -D S
  latency    ib_read_lat / ib_write_lat -s SIZE -n N        vs  daxmr-bench --lat -s SIZE -n N
for READ and WRITE at 8 B, 4 KiB, 64 KiB and 1 MiB on three exports of one daxmrd: "dev"
(/dev/dax1.0: devdax, pinned), "tmp" (a 64 MiB tmpfs file: page cache, pinned) and "fsdax"
(a 64 MiB file on the fs-DAX XFS /mnt/pmem: ODP). perftest uses its own buffers (anonymous
memory): it is the link's figure, the same anchor for the three exports. So each point (kind,
op, size) runs perftest, daxmr on each export, perftest, daxmr on each export, ... (--reps
rounds, default 3) and reports the median of each and daxmr/perftest.

perftest's out-of-band exchange goes over TCP (no -R): its server then sleeps in a socket read
during the test, as daxmrd sleeps in epoll. With -R (rdma_cm) perftest's server busy-polls a CQ
for the whole test, which under TCG takes one of the two vCPUs from rxe's kernel work (see
docs/benchmarks.md); the full mode measures that variant too ("perftest-R") at a few points.
Bandwidth compares perftest's "BW average[MB/sec]" with daxmr's MiB_s (the same unit, 2^20
bytes/s); latency compares t_typical (the median) with daxmr's lat_us.p50, t_min, p99 and t_max
alongside.

  --quick       fewer points: bandwidth at 4 KiB and 1 MiB on every export, at 8 B and 64 KiB
                on dev only; latency at 8 B and 4 KiB on dev only; half the latency runs'
                operations; no perftest -R. About 4 minutes in the TCG guest of an idle 2-core
                host (plus the boot). Default: every point, perftest -R too at 8 B and 4 KiB
                (latency) and 4 KiB (bandwidth): about 7 minutes there
  --reps N      rounds per point (default 3; at least 3 for a median)
  --kernel K    guest kernel: new (default) or 6.1 (no ODP: the fsdax export is skipped)
  --rxe M       the guest's rdma_rxe: fixed (default: daxmr's fix of rxe's ODP placement bug,
                so fs-DAX is measured at every size) or stock (fs-DAX then only at page-multiple
                sizes: the stock module misplaces other ODP transfers; see docs/benchmarks.md)
  --out FILE    also write the tables there (default build/bench-tables.md)
  --data DIR    keep every run's raw figures there (results.tsv, daxmr.jsonl, perftest.log,
                ls.out, env.txt; default build/bench-data)
  --only K:O:S[,...]  only these points (e.g. lat:read:8,bw:write:4096), for trying it out
  --guest       use the guest even if this machine has an RDMA device
Without a local RDMA device (or with --guest) it boots the qemu guest of tests/vm (NIC MTU 9000:
rxe path MTU 4096) and runs itself inside (--inside DIR). Needs perftest and python3 (the guest
runs the host's), a build (DAXMR_BUILD_DIR, default ./build, built first when unset) and root.
Only one guest may run at a time on a shared machine: run it under that machine's guest lock.
USAGE
}

QUICK=0
REPS=3
KERNEL=${DAXMR_VM_KERNEL:-new}
RXE=fixed
OUT=
DATA=
ONLY=
GUEST=0
INSIDE=
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

# The part that runs where the RDMA device is (inside the guest, or on this machine); the raw
# figures go to directory $1.
inside() {
	local data=$1 b=${DAXMR_BUILD_DIR:-$ROOT/build} devdax=${DAXMR_BENCH_DEVDAX:-/dev/dax1.0}
	local dev addr mtu gid dport=$((20000 + RANDOM % 20000)) port=18600 depth=128 ndev g
	command -v ib_read_bw >/dev/null || die "perftest is not installed (apt-get install perftest)"
	command -v python3 >/dev/null || die "python3 is needed for the medians"
	[ -x "$b/client/daxmr-bench" ] || die "no $b/client/daxmr-bench: build first (or set DAXMR_BUILD_DIR)"
	[ -c "$devdax" ] || die "no devdax device $devdax (set DAXMR_BENCH_DEVDAX)"
	dev=$(find /sys/class/infiniband -mindepth 1 -maxdepth 1 -printf "%f\n" | sort | head -n1)
	[ -n "$dev" ] || die "no RDMA device"
	ndev=$(cat "/sys/class/infiniband/$dev/ports/1/gid_attrs/ndevs/0")
	addr=$(ip -4 -o addr show dev "$ndev" | awk '{print $4}' | cut -d/ -f1 | head -n1)
	[ -n "$addr" ] || die "no IPv4 address on $dev's netdev"
	mtu=$(ibv_devinfo -d "$dev" | awk '/active_mtu/ {print $2; exit}')
	# perftest without rdma_cm needs the GID index: the RoCE v2 GID of our IPv4 address
	local o1 o2 o3 o4
	IFS=. read -r o1 o2 o3 o4 <<<"$addr"
	gid=
	for g in /sys/class/infiniband/"$dev"/ports/1/gids/*; do
		g=${g##*/}
		if grep -qi "$(printf '0000:0000:0000:0000:0000:ffff:%02x%02x:%02x%02x' "$o1" "$o2" "$o3" "$o4")" \
			"/sys/class/infiniband/$dev/ports/1/gids/$g" 2>/dev/null &&
			grep -q 'v2' "/sys/class/infiniband/$dev/ports/1/gid_attrs/types/$g" 2>/dev/null; then
			gid=$g
			break
		fi
	done
	[ -n "$gid" ] || die "no RoCE v2 GID of $addr on $dev"
	mkdir -p "$data"
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
	"$b/client/daxmr" -s "$addr:$dport" ls >"$data/ls.out" || die "daxmr ls failed"
	cat "$data/ls.out" >&2
	# an export daxmrd could not bring up (6.1: no ODP for fs-DAX) is left out
	local n present=()
	for n in "${names[@]}"; do
		if awk -v n="$n" '$1 == n' "$data/ls.out" | grep -q .; then present+=("$n"); else log "export $n is not up: skipped"; fi
	done

	# perftest_run KIND OP SIZE AMOUNT CM: one perftest client against its server on a fresh
	# port (CM 1: -R, rdma_cm; else TCP); sets RES to "BW average[MB/sec] - - -" (bw) or
	# "t_typical t_min p99 t_max" (lat), or "-" if it failed
	perftest_run() {
		local kind=$1 op=$2 size=$3 amount=$4 cm=$5 sp args try out=$work/perftest.out
		RES=
		for try in 1 2; do
			port=$((port + 1))
			args=(-d "$dev" -s "$size" -F -p "$port")
			if [ "$cm" = 1 ]; then args+=(-R); else args+=(-x "$gid"); fi
			if [ "$kind" = bw ]; then args+=(-t "$depth" -D "$amount" -f 0); else args+=(-n "$amount"); fi
			"ib_${op}_${kind}" "${args[@]}" >"$work/perftest-server.out" 2>&1 &
			sp=$!
			pids+=("$sp")
			# the TCP server is up once it listens; rdma_cm's listener shows nowhere: wait
			if [ "$cm" = 1 ]; then
				sleep $((try * 2 - 1))
			else
				for _ in $(seq 100); do
					ss -Hltn "sport = :$port" | grep -q . && break
					sleep 0.05
				done
			fi
			if timeout 120 "ib_${op}_${kind}" "${args[@]}" "$addr" >"$out" 2>&1; then
				# the server ends with its client; one that does not is stopped
				for _ in $(seq 100); do kill -0 "$sp" 2>/dev/null || break; sleep 0.1; done
				kill -KILL "$sp" 2>/dev/null || true
				wait "$sp" 2>/dev/null || true
				{ echo "### ib_${op}_${kind} ${args[*]} $addr"; cat "$out"; } >>"$data/perftest.log"
				if [ "$kind" = bw ]; then
					RES=$(awk -v s="$size" '$1 == s && NF >= 4 {print $4, "-", "-", "-"; exit}' "$out")
				else
					RES=$(awk -v s="$size" '$1 == s && NF >= 8 {print $5, $3, $8, $4; exit}' "$out")
				fi
			else
				kill -KILL "$sp" 2>/dev/null || true
				wait "$sp" 2>/dev/null || true
			fi
			[ -n "$RES" ] && break
		done
		[ -n "$RES" ] || { log "ib_${op}_${kind} -s $size failed: $(tail -n2 "$out" | tr '\n' ' ')"; RES="- - - -"; }
	}
	# daxmr_run KIND EXPORT OP SIZE AMOUNT: one daxmr-bench run; sets RES as perftest_run does
	# and appends its JSON to $data/daxmr.jsonl
	daxmr_run() {
		local kind=$1 name=$2 op=$3 size=$4 amount=$5 args out=$work/daxmr.out
		args=(--server "$addr:$dport" "$name" --op "$op" -s "$size" --json)
		if [ "$kind" = bw ]; then args+=(-t "$depth" -D "$amount"); else args+=(--lat -n "$amount"); fi
		if timeout 120 "$b/client/daxmr-bench" "${args[@]}" >"$out" 2>"$work/daxmr.err"; then
			tee -a "$data/daxmr.jsonl" <"$out" | stream daxmr.jsonl
			RES=$(python3 -c 'import json,sys
o = json.loads(sys.stdin.readline())
l = o["lat_us"]
print(o["MiB_s"], "- - -") if sys.argv[1] == "bw" else print(l["p50"], l["min"], l["p99"], l["max"])' "$kind" <"$out")
		else
			log "daxmr-bench ${args[*]} failed: $(tail -n2 "$work/daxmr.err" | tr '\n' ' ')"
			RES="- - - -"
		fi
	}
	# amount KIND SIZE: bandwidth runs take -D seconds; latency runs -n operations (perftest's
	# latency tests report t_typical only by iterations), about a second each under TCG
	amount() {
		if [ "$1" = bw ]; then
			echo 1
			return
		fi
		local q=1
		[ "$QUICK" = 1 ] && q=2
		case $2 in
		1048576) echo $((40 / q)) ;;
		65536) echo $((400 / q)) ;;
		*) echo $((1000 / q)) ;;
		esac
	}

	# the points: KIND OP SIZE ANCHORS EXPORTS...
	local points=$work/points kind op size p
	: >"$points"
	for kind in bw lat; do
		for op in read write; do
			for size in 8 4096 65536 1048576; do
				if [ "$QUICK" = 1 ]; then
					case $kind:$size in
					bw:4096 | bw:1048576) echo "$kind $op $size perftest ${present[*]}" ;;
					bw:* | lat:8 | lat:4096) echo "$kind $op $size perftest dev" ;;
					esac
				else
					# perftest -R beside perftest where it tells most: small operations
					case $kind:$size in
					lat:8 | lat:4096 | bw:4096) p=perftest,perftest-R ;;
					*) p=perftest ;;
					esac
					echo "$kind $op $size $p ${present[*]}"
				fi
			done
		done
	done >"$points"
	if [ -n "$ONLY" ]; then
		for p in ${ONLY//,/ }; do
			awk -v p="$p" '{split(p, f, ":")} $1 == f[1] && $2 == f[2] && $3 == f[3]' "$points"
		done >"$points.only"
		mv "$points.only" "$points"
		[ -s "$points" ] || die "--only $ONLY: no such point (KIND:OP:SIZE, KIND bw|lat, OP read|write, SIZE 8|4096|65536|1048576)"
	fi

	{
		echo "kernel=$(uname -r)"
		echo "cpus=$(nproc)"
		echo "device=$dev"
		echo "mtu=$mtu"
		echo "rxe=${DAXMR_BENCH_RXE:-stock}"
		echo "cpu_model=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
		echo "clocksource=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource 2>/dev/null)"
		echo "quick=$QUICK"
		echo "reps=$REPS"
		echo "depth=$depth"
		echo "bw_seconds=$(amount bw 0)"
		echo "loadavg_start=$(cut -d' ' -f1-3 /proc/loadavg)"
		echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
	} >"$data/env.txt"
	stream env.txt <"$data/env.txt"
	stream ls.out <"$data/ls.out"
	log "device $dev on $addr (GID $gid), path MTU $mtu, kernel $(uname -r), $(nproc) CPUs, rxe ${DAXMR_BENCH_RXE:-?}, $(wc -l <"$points") points"

	local results=$data/results.tsv anchors exps a e np=0 total t0=$SECONDS
	total=$(wc -l <"$points")
	: >"$results"
	while read -r kind op size anchors exps; do
		np=$((np + 1))
		local run=()
		for a in ${anchors//,/ }; do run+=("$a:-"); done
		for e in $exps; do
			if [ "$e" = fsdax ] && [ "${DAXMR_BENCH_RXE:-stock}" = stock ] &&
				{ [ $((size % 4096)) != 0 ] || [ "$mtu" != 4096 ]; }; then
				log "fsdax $op $size: skipped (stock rxe misplaces ODP transfers that are not page multiples at path MTU 4096)"
				continue
			fi
			run+=("daxmr:$e")
		done
		for _ in $(seq "$REPS"); do
			for p in "${run[@]}"; do
				case $p in
				perftest:*) perftest_run "$kind" "$op" "$size" "$(amount "$kind" "$size")" 0 ;;
				perftest-R:*) perftest_run "$kind" "$op" "$size" "$(amount "$kind" "$size")" 1 ;;
				daxmr:*) daxmr_run "$kind" "${p#daxmr:}" "$op" "$size" "$(amount "$kind" "$size")" ;;
				esac
				# shellcheck disable=SC2086 # RES: four words
				printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$kind" "$op" "$size" "${p%%:*}" "${p#*:}" $RES |
					tee -a "$results" | stream results.tsv
			done
		done
		log "[$np/$total, $((SECONDS - t0)) s] $kind $op $size: $(awk -F'\t' -v k="$kind" -v o="$op" -v s="$size" \
			'$1 == k && $2 == o && $3 == s {printf "%s%s=%s ", $4, ($5 == "-" ? "" : "/" $5), $6}' "$results")"
	done <"$points"
	{
		echo "loadavg_end=$(cut -d' ' -f1-3 /proc/loadavg)"
		echo "seconds=$((SECONDS - t0))"
	} | tee -a "$data/env.txt" | stream env.txt
}

# stream FILE: stdin's lines onto stdout as "@@bench FILE LINE" as well, so that a guest stopped
# half-way (its time limit) still leaves every figure measured so far in its console
stream() {
	local line
	while IFS= read -r line; do printf '@@bench %s %s\n' "$1" "$line"; done
}

# Prints directory $1 as base64 of a tar.gz between two marker lines naming $2 (default bench):
# the guest's way out, its console. data_take reads the one named $4 back from a console log $1
# into directory $2/$3; without it (a guest stopped half-way), bench.sh's streamed lines.
data_emit() {
	echo "=== daxmr ${2:-bench} data begin"
	tar -C "$1" -czf - . | base64 -w 76
	echo "=== daxmr ${2:-bench} data end"
}
data_take() {
	local f d=$2/${3:-.} tag=${4:-bench}
	mkdir -p "$d"
	if grep -q "^=== daxmr $tag data end" "$1"; then
		sed -n "/^=== daxmr $tag data begin/,/^=== daxmr $tag data end/p" "$1" |
			sed -e '1d' -e '$d' -e 's/\r$//' | base64 -d | tar -C "$d" -xzf -
		return
	fi
	[ "$tag" = bench ] && grep -q '^@@bench ' "$1" || return 1
	log "no archive in $1: rebuilding $d from the streamed lines"
	for f in results.tsv daxmr.jsonl env.txt ls.out; do
		sed -n "s/\r\$//; s/^@@bench $f //p" "$1" >"$d/$f"
	done
}

while [ $# -gt 0 ]; do
	case "$1" in
	--inside) INSIDE=${2:?}; shift 2 ;;
	--quick) QUICK=1; shift ;;
	--reps) REPS=${2:?}; shift 2 ;;
	--kernel) KERNEL=${2:?}; shift 2 ;;
	--rxe) RXE=${2:?}; shift 2 ;;
	--out) OUT=${2:?}; shift 2 ;;
	--data) DATA=${2:?}; shift 2 ;;
	--only) ONLY=${2:?}; shift 2 ;;
	--guest) GUEST=1; shift ;;
	--emit) data_emit "${2:?}" "${3:-bench}"; exit 0 ;;
	--take) data_take "${2:?}" "${3:?}" "${4:-.}" "${5:-bench}"; exit $? ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
case "$REPS" in '' | *[!0-9]*) die "--reps $REPS: want a number >= 1" ;; esac
[ "$REPS" -ge 1 ] || die "--reps $REPS: want a number >= 1"
case "$RXE" in stock | fixed) ;; *) die "--rxe $RXE: want stock or fixed" ;; esac
if [ -n "$INSIDE" ]; then
	inside "$INSIDE"
	exit 0
fi

if [ -z "${DAXMR_BUILD_DIR:-}" ]; then
	log "building $ROOT/build"
	cmake -S . -B build -G Ninja >/dev/null
	cmake --build build -- -j2 | tail -n1
fi
BUILD=${DAXMR_BUILD_DIR:-$ROOT/build}
OUT=${OUT:-$BUILD/bench-tables.md}
DATA=${DATA:-$BUILD/bench-data}
args=(--reps "$REPS")
[ "$QUICK" = 1 ] && args+=(--quick)
[ -n "$ONLY" ] && args+=(--only "$ONLY")
console=$BUILD/bench-console.log
rm -rf "$DATA"
set +e # the figures of a run that failed half-way are still worth extracting
if [ "$GUEST" = 0 ] && [ -n "$(ls /sys/class/infiniband 2>/dev/null)" ]; then
	log "this machine has an RDMA device: benchmarking on it"
	DAXMR_BENCH_RXE=host "$ROOT/scripts/bench.sh" --inside "$DATA" "${args[@]}"
	rc=$?
else
	log "no RDMA device here: booting the test guest (kernel $KERNEL, NIC MTU 9000, rxe $RXE)"
	g=/tmp/daxmr-bench-data
	# shellcheck disable=SC2016 # expanded by the guest's bash
	tests/vm/run.sh --kernel "$KERNEL" --mtu 9000 --rxe "$RXE" -t "${DAXMR_BENCH_TIMEOUT:-600}" -l "$BUILD/bench-guest.log" \
		-e "DAXMR_BUILD_DIR=$BUILD" -e "DAXMR_BENCH_RXE=$RXE" \
		-- bash -c '"$1" --inside "$2" "${@:4}"; rc=$?; "$1" --emit "$2"; exit $rc' \
		_ "$ROOT/scripts/bench.sh" "$g" _ "${args[@]}" >"$console"
	rc=$?
	data_take "$console" "$DATA" || die "no figures in the guest's output (exit $rc; $console)"
fi
[ -s "$DATA/results.tsv" ] || die "no figures in $DATA (exit $rc)"
python3 "$ROOT/scripts/bench_report.py" tables "$DATA" | tee "$OUT"
log "tables written to $OUT, every run's figures in $DATA"
exit "$rc"
