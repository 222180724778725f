#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# ops.sh -- the benchmarks of what only daxmr does: revocation latency (next to its floor),
# export cost (next to a raw ibv_reg_mr of the same mapping) and scale (daxmrd's RSS, fds and
# revocation time against clients and exports). Writes DIR/{revoke,floor,export,scale}.jsonl.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD

usage() {
	cat <<'USAGE'
Usage: bench/ops.sh --out DIR [--quick | --smoke] [--parts LIST] [--revoke LIST] [--breaks N]
                    [--kernel new|6.1] [--pmem F,D] [--guest] [--timeout S]

Runs, on one daxmrd at a time on the RDMA device (in the qemu guest of tests/vm when this
machine has none), and writes JSON lines files into DIR (samples beside them):
  revoke   daxmr-bench-revoke: N libdaxmr clients (in up to 16 processes) hold E tmpfs exports
           of 1 MiB and acknowledge; B lease breaks, each an open(O_RDWR) timed from call to
           return (the breaker unblocked), with daxmrd's own timings of each revocation (REVOKE
           fan-out, last ack, fence, dereg, munmap, F_UNLCK). Configurations NxE, NxEs with one
           more client that never acknowledges (ack budget 300 ms then).     -> revoke.jsonl
  floor    daxmr-bench-floor: the same breaker against a holder that only does signal +
           ibv_dereg_mr + munmap + F_UNLCK, no clients, same file kind.      -> floor.jsonl
  export   daxmrd's own step timings of establishing one export (fs-DAX files of 64 MiB,
           256 MiB, 1 GiB: ODP; the devdax device: pinned; with --pmem 6,3 a 4 GiB file and
           the 3 GiB devdax: several MRs) against daxmr-bench-regmr, a raw ibv_reg_mr of the
           same mapping: raw, daxmrd, raw, daxmrd, ... 3 times after a warm-up. -> export.jsonl
  scale    one daxmrd with 10 exports and 1, 10, 100, 300, 1000 idle clients each holding one,
           then 1, 100, 1000, 10000 exports of 4 KiB with one client: VmRSS, fds, the time to
           revoke one export; the first point that fails stops the curve, and its error is
           recorded.                                                          -> scale.jsonl
Options:
  --out DIR     where the files go (created; existing .jsonl files there are replaced)
  --quick       fewer breaks (200) and configurations (16x64, 16x64s), fs-DAX 64 MiB and
                devdax only, scale to 100 clients / 1000 exports: about 4 minutes in the guest
  --smoke       a few seconds' worth (the e2e test): 10 breaks with 2 clients, a 4 MiB tmpfs
                export, 2 clients / 2 exports for scale
  --parts LIST  comma-separated subset of revoke,floor,export,scale (default: all four)
  --revoke LIST the revocation configurations, e.g. 1x1,16x64,16x64s (default: 1x1,16x1,64x1,
                1x64,16x64,64x64 and 16x1s,16x64s)
  --breaks N    breaks per configuration (default 1000; --quick 200; --smoke 10)
  --kernel K    guest kernel (new: default; 6.1 has no ODP: fs-DAX exports are skipped)
  --pmem F,D    guest NVDIMM sizes in GiB (default 2,1; 6,3 adds the multi-segment exports)
  --guest       use the guest even if this machine has an RDMA device
  --timeout S   the guest's time limit (default 600)
Needs a build (DAXMR_BUILD_DIR, default ./build), python3, root (leases on any file, devdax).
Only one guest may run at a time on a shared machine: run this under that machine's guest lock.
Under TCG absolute times are not hardware figures: compare ratios and shapes measured in one run.
USAGE
}

OUT=
MODE=full
PARTS=revoke,floor,export,scale
REVOKE_CFGS=
BREAKS=
KERNEL=${DAXMR_VM_KERNEL:-new}
PMEM=
GUEST=0
INSIDE=0
TIMEOUT=600
log() { printf '[ops] %s\n' "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}

while [ $# -gt 0 ]; do
	case "$1" in
	--out) OUT=${2:?}; shift 2 ;;
	--quick) MODE=quick; shift ;;
	--smoke) MODE=smoke; shift ;;
	--parts) PARTS=${2:?}; shift 2 ;;
	--revoke) REVOKE_CFGS=${2:?}; shift 2 ;;
	--breaks) BREAKS=${2:?}; shift 2 ;;
	--kernel) KERNEL=${2:?}; shift 2 ;;
	--pmem) PMEM=${2:?}; shift 2 ;;
	--guest) GUEST=1; shift ;;
	--timeout) TIMEOUT=${2:?}; shift 2 ;;
	--inside) INSIDE=1; shift ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
[ -n "$OUT" ] || { usage >&2; exit 2; }
case "$MODE" in
quick) : "${BREAKS:=200}" "${REVOKE_CFGS:=16x64,16x64s}" ;;
smoke) : "${BREAKS:=10}" "${REVOKE_CFGS:=2x1,2x2s}" "${SILENT_BUDGET:=100}" ;;
*) : "${BREAKS:=1000}" "${REVOKE_CFGS:=1x1,16x1,64x1,1x64,16x64,64x64,16x1s,16x64s}" ;;
esac
case "$BREAKS" in '' | *[!0-9]* | 0) die "--breaks $BREAKS: want a number >= 1" ;; esac

B=${DAXMR_BUILD_DIR:-$ROOT/build}
: "${SILENT_BUDGET:=300}" # ms: the ack budget of the runs with a silent client
RC=0
pids=()
work=
# Stops what inside() started (TERM first: daxmrd then deregisters and unmaps by itself).
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	local p
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do
		for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null || true
	done
	[ -n "$work" ] && rm -rf "$work" /mnt/pmem/ops-*.img
	return 0
}

status_kib() { awk -v f="$2:" '$1 == f {print $2}' "/proc/$1/status"; }
nfds() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 | wc -l; }

# daxmrd_start LOG ARGS...: daxmrd on a fresh port, waits for 'listening on' (up to 10 min:
# 10,000 registrations under TCG). Sets DPID and SERVER.
daxmrd_start() {
	local logf=$1
	shift
	PORT=$((PORT + 1))
	SERVER=$ADDR:$PORT
	"$B/server/daxmrd" --listen "$SERVER" --no-ctl "$@" >"$logf" 2>&1 &
	DPID=$!
	pids+=("$DPID")
	for _ in $(seq 6000); do
		grep -q 'listening on' "$logf" && return 0
		kill -0 "$DPID" 2>/dev/null || { tail -n 20 "$logf" >&2; die "daxmrd exited during start-up"; }
		sleep 0.1
	done
	die "daxmrd did not listen within 10 min ($logf)"
}

# daxmrd_stop: SIGTERM, wait for the exit (it releases every export first).
daxmrd_stop() {
	kill -TERM "$DPID" 2>/dev/null || true
	wait "$DPID" 2>/dev/null || true
}

# make_files DIR N BYTES: N fully written files DIR/e0.. (daxmrd refuses holes).
make_files() {
	mkdir -p "$1"
	python3 - "$1" "$2" "$3" <<'PY'
import os, sys
d, n, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
block = os.urandom(size)
for i in range(n):
    p = os.path.join(d, "e%d" % i)
    if not os.path.exists(p) or os.path.getsize(p) != size:
        with open(p, "wb") as f:
            f.write(block)
PY
}

# One revocation configuration: N clients x E exports, S = 1 with a silent client.
run_revoke() {
	local n=$1 e=$2 s=$3 tag=revoke-$1-$2-$3 dir=$work/rv$2 procs budget args=()
	make_files "$dir" "$e" $((1 << 20))
	procs=$((n < 16 ? n : 16))
	budget=$(((LBT * 1000 / 4) < 1000 ? LBT * 1000 / 4 : 1000))
	if [ "$s" = 1 ]; then
		# every break waits for it: above the acking clients' p99 under TCG, below the default
		budget=$SILENT_BUDGET
		args+=(--silent)
	fi
	local exports=()
	for ((i = 0; i < e; i++)); do exports+=(--export "e$i=$dir/e$i"); done
	daxmrd_start "$work/$tag.log" --allow-non-dax --ack-budget-ms "$budget" "${exports[@]}"
	log "$tag: $n clients x $e exports$([ "$s" = 1 ] && echo ' + 1 silent'), $BREAKS breaks, ack budget $budget ms"
	if ! "$B/bench/daxmr-bench-revoke" --server "$SERVER" --dir "$dir" --exports "$e" \
		--clients "$n" --procs "$procs" --breaks "$BREAKS" "${args[@]}" \
		--samples "$OUT/$tag.txt" --detail "$work/$tag.detail" >"$work/$tag.out"; then
		cat "$work/$tag.out" >&2
		grep -E 'warning: connection|error' "$work/$tag.log" | head -n 20 >&2
		tail -n 5 "$work/$tag.log" >&2
		cp "$work/$tag.log" "$OUT/$tag.failed.log"
		daxmrd_stop
		log "$tag failed: daxmrd's log in $OUT/$tag.failed.log"
		return 1
	fi
	daxmrd_stop
	python3 "$ROOT/bench/ops.py" revoke "$OUT" "$work/$tag.log" "$work/$tag.detail" \
		"$OUT/$tag.txt" "$n" "$e" "$s" "$LBT" "$budget" "$procs" || die "$tag: breaks without daxmrd's lines"
}

run_floor() {
	local count=$BREAKS
	make_files "$work/floor" 1 $((1 << 20))
	"$B/bench/daxmr-bench-floor" "$work/floor/e0" "$count" "$OUT/floor.txt" >"$work/floor.out" ||
		die "daxmr-bench-floor failed"
	python3 "$ROOT/bench/ops.py" floor "$OUT" "$work/floor.out" "$OUT/floor.txt"
}

# export_point PATH MODE: warm-up, then raw, daxmrd, raw, daxmrd, ... (REPS each).
export_point() {
	local path=$1 mode=$2 k line len segs seglen raw=() logs=() l
	# --odp-check=warn: the stock rxe's ODP data path fails daxmrd's check (docs/rxe-fix.md);
	# the check still runs and is timed, and registration is what is compared here
	local xargs=(--allow-non-dax --odp-check=warn -v --export "x=$path")
	l=$work/export-0.log
	daxmrd_start "$l" "${xargs[@]}"
	daxmrd_stop
	line=$(grep -E "export x: path .* bytes in [0-9]+ segments? of [0-9]+ bytes" "$l" | head -n1) || {
		log "export $path ($mode): daxmrd did not export it: $(grep -E 'refused|unavailable' "$l" | head -n1)"
		return 0
	}
	grep -q ", $mode, " <<<"$line" || { log "export $path: daxmrd registered it other than $mode: $line"; return 0; }
	len=$(sed -nE 's/.* ([0-9]+) bytes in [0-9]+ segments? of .*/\1/p' <<<"$line")
	segs=$(sed -nE 's/.* bytes in ([0-9]+) segments? of .*/\1/p' <<<"$line")
	seglen=$(sed -nE 's/.* segments? of ([0-9]+) bytes.*/\1/p' <<<"$line")
	"$B/bench/daxmr-bench-regmr" "$path" "$len" "$mode" "$seglen" >/dev/null || true # warm-up
	for ((k = 1; k <= REPS; k++)); do
		line=$("$B/bench/daxmr-bench-regmr" "$path" "$len" "$mode" "$seglen") || die "daxmr-bench-regmr $path failed"
		raw+=("$(sed -nE 's/.* reg_us=([0-9]+).*/\1/p' <<<"$line")")
		l=$work/export-$k.log
		daxmrd_start "$l" "${xargs[@]}"
		daxmrd_stop
		logs+=("$l")
	done
	python3 "$ROOT/bench/ops.py" export "$OUT" "$len" "$mode" "$segs" "$(IFS=,; echo "${raw[*]}")" \
		"$(IFS=,; echo "${logs[*]}")"
	for l in "${logs[@]}"; do cp "$l" "$OUT/export-$(basename "$path")-$(basename "$l")"; done
}

# pmem_file NAME BYTES: a fully written file on the fs-DAX mount (no holes, no unwritten extents).
pmem_file() {
	rm -f /mnt/pmem/ops-*.img
	xfs_io -f -c "pwrite -q -b 8m 0 $2" -c fsync "/mnt/pmem/$1" || return 1
}

run_export() {
	local sizes dd=/dev/dax1.0 fsdax=1 s
	REPS=3
	[ "$MODE" = smoke ] && REPS=1
	mountpoint -q /mnt/pmem || { log "no fs-DAX mount: the fs-DAX exports are skipped"; fsdax=0; }
	case $MODE in
	smoke) sizes="4m" ;;
	quick) sizes="64m" ;;
	*) sizes="64m 256m 1g" ;;
	esac
	local fs_kib
	fs_kib=$(df -k --output=avail /mnt/pmem 2>/dev/null | tail -n1 || echo 0)
	[ "$MODE" = full ] && [ "${fs_kib:-0}" -gt $((4400 * 1024)) ] && sizes+=" 4g"
	if [ "$fsdax" = 1 ]; then
		for s in $sizes; do
			pmem_file "ops-$s.img" "$s" || { log "cannot write a $s file on /mnt/pmem: skipped"; continue; }
			export_point "/mnt/pmem/ops-$s.img" odp
			rm -f "/mnt/pmem/ops-$s.img"
		done
	fi
	if [ "$MODE" = smoke ]; then
		make_files "$work/tmpx" 1 $((4 << 20))
		export_point "$work/tmpx/e0" pinned
	fi
	[ -c "$dd" ] && [ "$MODE" != smoke ] && export_point "$dd" pinned
	return 0
}

# scale_point N E HOLD: daxmrd with E exports of 4 KiB, N idle clients each holding one.
scale_point() {
	local n=$1 e=$2 dir=$work/sc$2 cfg=$work/sc$2.exports tag=scale-$1-$2 rss0 rss fds cms err=
	make_files "$dir" "$e" 4096
	[ -e "$cfg" ] || for ((i = 0; i < e; i++)); do echo "e$i $dir/e$i"; done >"$cfg"
	daxmrd_start "$work/$tag.log" --allow-non-dax --config "$cfg"
	sleep 1
	rss0=$(status_kib "$DPID" VmRSS)
	rm -f "$work/go"
	"$B/bench/daxmr-bench-revoke" --server "$SERVER" --dir "$dir" --exports "$e" --clients "$n" \
		--hold one --procs $((n < 4 ? n : 4)) --breaks 1 --pause "$work/go" \
		--samples "$work/$tag.txt" >"$work/$tag.out" 2>"$work/$tag.err" &
	local cpid=$!
	pids+=("$cpid")
	for _ in $(seq 6000); do
		grep -q '^holding' "$work/$tag.out" && break
		kill -0 "$cpid" 2>/dev/null || break
		sleep 0.1
	done
	if grep -q '^holding' "$work/$tag.out"; then
		sleep 1
		rss=$(status_kib "$DPID" VmRSS)
		fds=$(nfds "$DPID")
		cms=$(sed -nE 's/.*connect_ms=([0-9]+).*/\1/p' "$work/$tag.out")
		touch "$work/go"
		wait "$cpid" || err="the break failed: $(tail -n1 "$work/$tag.err")"
	else
		rss=$(status_kib "$DPID" VmRSS)
		fds=$(nfds "$DPID")
		cms=0
		kill "$cpid" 2>/dev/null || true
		wait "$cpid" 2>/dev/null || true
		err="$n clients did not all connect and hold: $(grep -v '^$' "$work/$tag.err" | head -n1)"
	fi
	daxmrd_stop
	python3 "$ROOT/bench/ops.py" scale "$OUT" "$n" "$e" "$rss0" "$rss" "$fds" "$work/$tag.log" e0 \
		"$cms" "$err"
	[ -z "$err" ]
}

run_scale() {
	local clients exports n e
	case $MODE in
	smoke) clients="2" exports="2" ;;
	quick) clients="1 10 100" exports="1 100 1000" ;;
	*) clients="1 10 100 300 1000" exports="1 100 1000 10000" ;;
	esac
	log "limits: RLIMIT_NOFILE soft $(ulimit -Sn) hard $(ulimit -Hn); $DEV: $(ibv_devinfo -v -d "$DEV" |
		grep -E '^\s*max_(qp|cq|mr|mw|pd):' | tr -s '\t ' ' ' | tr '\n' ';')" | tee "$OUT/limits.txt" >&2
	for n in $clients; do scale_point "$n" 10 || { log "scale: stopped at $n clients"; break; }; done
	for e in $exports; do scale_point 1 "$e" || { log "scale: stopped at $e exports"; break; }; done
}

# ship: with DAXMR_OPS_SHIP set (the guest, booted by this script), print everything in OUT so
# far on stdout as a base64 tar between markers; the host keeps the last whole one, so a guest
# stopped by its time limit still hands back the configurations it finished.
ship() {
	[ -n "${DAXMR_OPS_SHIP:-}" ] || return 0
	echo "=== ops files begin"
	tar -C "$OUT" -cz . | base64 -w 100 | sed "s/^/OPS:/"
	echo "=== ops files end"
}

inside() {
	local part c
	[ -x "$B/bench/daxmr-bench-revoke" ] || die "no $B/bench/daxmr-bench-revoke: build first (or set DAXMR_BUILD_DIR)"
	DEV=$(find /sys/class/infiniband -mindepth 1 -maxdepth 1 -printf "%f\n" | sort | head -n1)
	[ -n "$DEV" ] || die "no RDMA device"
	ADDR=$(ip -4 -o addr show dev "$(cat "/sys/class/infiniband/$DEV/ports/1/gid_attrs/ndevs/0")" |
		awk '{print $4}' | cut -d/ -f1 | head -n1)
	[ -n "$ADDR" ] || die "no IPv4 address on $DEV's netdev"
	PORT=$((20000 + RANDOM % 20000))
	LBT=$(cat /proc/sys/fs/lease-break-time)
	# 10,000 exports and 1,000 clients need more fds than the usual soft limit (root may raise
	# the hard one too)
	ulimit -Hn 1048576 2>/dev/null || true
	ulimit -Sn "$(ulimit -Hn)"
	work=$(mktemp -d /dev/shm/daxmr-ops.XXXXXX)
	trap cleanup EXIT
	mkdir -p "$OUT"
	log "Linux $(uname -r), $DEV ($(ibv_devinfo -d "$DEV" | awk '/active_mtu/ {print $2; exit}')), $(nproc) CPUs, lease-break-time $LBT s, mode $MODE, breaks $BREAKS"
	for part in ${PARTS//,/ }; do
		rm -f "$OUT/$part.jsonl"
		case $part in
		revoke)
			for c in ${REVOKE_CFGS//,/ }; do
				[[ "$c" =~ ^([0-9]+)x([0-9]+)(s?)$ ]] || die "--revoke: '$c' is not NxE or NxEs"
				run_revoke "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}" \
					"$([ -n "${BASH_REMATCH[3]}" ] && echo 1 || echo 0)" || RC=1
				ship
			done
			;;
		floor) run_floor ;;
		export) run_export ;;
		scale) run_scale || true ;;
		*) die "--parts: unknown part '$part'" ;;
		esac
		ship
	done
	{
		echo "mode $MODE, $(date -u +%Y-%m-%dT%H:%MZ), Linux $(uname -r), $DEV, $(nproc) CPUs, lease-break-time $LBT s"
		[ -n "${DAXMR_VM_KERNEL:-}" ] && echo "qemu guest (TCG), rdma_rxe ${DAXMR_VM_RXE:-stock}, NIC MTU ${DAXMR_VM_MTU:-}"
	} >"$OUT/run.txt"
	ship
	return "$RC"
}

if [ "$INSIDE" = 1 ] || { [ "$GUEST" = 0 ] && [ -n "$(ls /sys/class/infiniband 2>/dev/null)" ]; }; then
	inside
	exit
fi

# Outside: boot the guest; it runs this script with --inside, writing into its own tmpfs, and
# hands the files back on the console as a base64 tar (the guest's / is read-only).
[ -x "$B/bench/daxmr-bench-revoke" ] || die "no $B/bench/daxmr-bench-revoke: build first (or set DAXMR_BUILD_DIR)"
args=(--inside --out /dev/shm/daxmr-ops-out --parts "$PARTS" --revoke "$REVOKE_CFGS" --breaks "$BREAKS")
[ "$MODE" != full ] && args+=("--$MODE")
vmargs=(--kernel "$KERNEL" -t "$TIMEOUT")
[ -n "$PMEM" ] && vmargs+=(-p "$PMEM")
console=$(mktemp /tmp/daxmr-ops-console.XXXXXX)
log "booting the test guest (kernel $KERNEL${PMEM:+, pmem $PMEM GiB}) for: ${args[*]}"
set +e
# shellcheck disable=SC2016 # expanded by the guest's bash
tests/vm/run.sh "${vmargs[@]}" -e "DAXMR_BUILD_DIR=$B" -e DAXMR_OPS_SHIP=1 -- bash -c '
	dmesg -n 1 # keep kernel messages off the console the files travel through
	exec "$0" "$@"' "$ROOT/bench/ops.sh" "${args[@]}" | tee "$console" | grep -v '^OPS:'
rc=${PIPESTATUS[0]}
set -e
mkdir -p "$OUT"
# the last whole block
sed 's/\r$//' "$console" | awk '/^=== ops files begin/ {b = ""; on = 1; next}
	/^=== ops files end/ {if (on) last = b; on = 0; next}
	on && /^OPS:/ {b = b substr($0, 5) "\n"}
	END {printf "%s", last}' | base64 -d | tar -C "$OUT" -xz ||
	die "no files came back from the guest (exit $rc; console in $console)"
rm -f "$console"
log "files in $OUT: $(find "$OUT" -maxdepth 1 -type f -printf '%f ')"
exit "$rc"
