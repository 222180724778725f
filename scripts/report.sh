#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# report.sh -- docs/benchmarks.md and its plots from one guest run: scripts/bench.sh (the data
# path against perftest) and bench/ops.sh (revocation, export cost, scale) in one boot, the raw
# figures brought back through the console, the page written by scripts/bench_report.py.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD

usage() {
	cat <<'USAGE'
Usage: scripts/report.sh [--quick] [--reps N] [--kernel new|6.1] [--rxe stock|fixed]
                         [--pmem-gib F,D] [--doc FILE] [--img DIR] [--data DIR] [--no-ops]
                         [--ops-args "ARGS"]
       scripts/report.sh --from DIR [--doc FILE] [--img DIR]

Boots the test guest once (tests/vm/run.sh --mtu 9000) and runs inside it, one after the other,
bench/ops.sh --out (revocation latency against its floor, export cost against a raw ibv_reg_mr,
RSS and fds against clients and exports; skipped where bench/ops.sh does not exist) and
scripts/bench.sh --inside (daxmr-bench against perftest, READ and WRITE, 8 B .. 1 MiB, on the
devdax, tmpfs and fs-DAX exports). Then, on this machine, writes docs/benchmarks.md from
docs/bench/benchmarks.md.in with the tables, the ratios, the targets' verdicts, the guest kernel,
the host CPU and its load average during the run, the date and the commit, and the PNG plots
(gnuplot) into docs/bench/: bandwidth against message size (daxmr and perftest, READ and
WRITE), the revocation latency CDF, daxmrd's RSS against clients. A figure the run did not
produce is "not measured in this run".

  --quick         both scripts' --quick: under 10 minutes in all in the TCG guest
  --reps N        scripts/bench.sh's rounds per point (default 3)
  --kernel K      guest kernel: new (default) or 6.1
  --rxe M         the guest's rdma_rxe: fixed (default) or stock
  --pmem-gib F,D  the guest's NVDIMM sizes (default: tests/vm/run.sh's)
  --doc FILE      the page to write (default docs/benchmarks.md)
  --img DIR       where the plots go (default docs/bench)
  --data DIR      where the run's raw figures go (default build/report-data; bench/ and ops/)
  --no-ops        leave bench/ops.sh out
  --ops-args A    more arguments for bench/ops.sh (e.g. "--quick" beside a full bench.sh, to
                  stay within a guest time limit)
  --from DIR      no run: write the page from the raw figures of an earlier one (its --data)
Needs a build (DAXMR_BUILD_DIR, default ./build, built first when unset), perftest, python3,
gnuplot (scripts/deps.sh bench) and root. Only one guest may run at a time on a shared machine:
run it under that machine's guest lock. The guest is powered off after DAXMR_REPORT_TIMEOUT
seconds (default 600 with --quick, else 3000).
USAGE
}

QUICK=0
REPS=3
KERNEL=${DAXMR_VM_KERNEL:-new}
RXE=fixed
PMEM=
DOC=docs/benchmarks.md
IMG=docs/bench
DATA=
OPS=1
OPS_ARGS=
FROM=
INSIDE=
log() { printf '[report] %s\n' "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}

while [ $# -gt 0 ]; do
	case "$1" in
	--inside) INSIDE=${2:?}; shift 2 ;;
	--quick) QUICK=1; shift ;;
	--reps) REPS=${2:?}; shift 2 ;;
	--kernel) KERNEL=${2:?}; shift 2 ;;
	--rxe) RXE=${2:?}; shift 2 ;;
	--pmem-gib) PMEM=${2:?}; shift 2 ;;
	--doc) DOC=${2:?}; shift 2 ;;
	--img) IMG=${2:?}; shift 2 ;;
	--data) DATA=${2:?}; shift 2 ;;
	--no-ops) OPS=0; shift ;;
	--ops-args) OPS_ARGS=${2?}; shift 2 ;;
	--from) FROM=${2:?}; shift 2 ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
qa=()
[ "$QUICK" = 1 ] && qa=(--quick)

# Inside the guest: bench/ops.sh into $INSIDE/ops, then scripts/bench.sh into $INSIDE/bench,
# each one's figures out through the console as soon as it is done (bench.sh's also line by
# line): a guest stopped at its time limit cuts only the data path's last points.
if [ -n "$INSIDE" ]; then
	rc=0
	if [ "$OPS" = 1 ] && [ -x "$ROOT/bench/ops.sh" ]; then
		t1=$SECONDS
		# shellcheck disable=SC2086 # OPS_ARGS: words for bench/ops.sh
		"$ROOT/bench/ops.sh" --out "$INSIDE/ops" "${qa[@]}" $OPS_ARGS || rc=$?
		log "bench/ops.sh: exit $rc after $((SECONDS - t1)) s"
		[ -d "$INSIDE/ops" ] && "$ROOT/scripts/bench.sh" --emit "$INSIDE/ops" ops
	else
		log "bench/ops.sh left out ($([ "$OPS" = 1 ] && echo "not in this tree" || echo "--no-ops"))"
	fi
	t0=$SECONDS
	"$ROOT/scripts/bench.sh" --inside "$INSIDE/bench" --reps "$REPS" "${qa[@]}" || rc=$?
	log "bench.sh: exit $rc after $((SECONDS - t0)) s"
	"$ROOT/scripts/bench.sh" --emit "$INSIDE/bench" bench
	exit "$rc"
fi

BUILD=${DAXMR_BUILD_DIR:-$ROOT/build}
DATA=${DATA:-$BUILD/report-data}
command -v gnuplot >/dev/null || die "gnuplot is missing (scripts/deps.sh bench)"
meta=()
if [ -z "$FROM" ]; then
	if [ -z "${DAXMR_BUILD_DIR:-}" ]; then
		log "building $BUILD"
		cmake -S . -B build -G Ninja >/dev/null
		cmake --build build -- -j2 | tail -n1
	fi
	console=$BUILD/report-console.log
	# the host's load during the run, every 30 s: the guest competes with whatever else runs
	loads=$BUILD/report-load.txt
	cut -d' ' -f1 /proc/loadavg >"$loads"
	(while sleep 30; do cut -d' ' -f1 /proc/loadavg >>"$loads"; done) &
	sampler=$!
	trap 'kill "$sampler" 2>/dev/null || true' EXIT
	t0=$SECONDS
	vm=(--kernel "$KERNEL" --mtu 9000 --rxe "$RXE")
	[ -n "$PMEM" ] && vm+=(--pmem-gib "$PMEM")
	[ "$QUICK" = 1 ] && limit=600 || limit=3000
	inner=(--reps "$REPS" "${qa[@]}")
	[ "$OPS" = 0 ] && inner+=(--no-ops)
	[ -n "$OPS_ARGS" ] && inner+=(--ops-args "$OPS_ARGS")
	log "booting the test guest (kernel $KERNEL, NIC MTU 9000, rxe $RXE): bench.sh$([ "$OPS" = 1 ] && echo " and bench/ops.sh")${qa[*]:+ ${qa[*]}}"
	set +e
	tests/vm/run.sh "${vm[@]}" -t "${DAXMR_REPORT_TIMEOUT:-$limit}" -l "$BUILD/report-guest.log" \
		-e "DAXMR_BUILD_DIR=$BUILD" -e "DAXMR_BENCH_RXE=$RXE" \
		-- "$ROOT/scripts/report.sh" --inside /tmp/daxmr-report "${inner[@]}" >"$console"
	rc=$?
	set -e
	wall=$((SECONDS - t0))
	kill "$sampler" 2>/dev/null || true
	cut -d' ' -f1 /proc/loadavg >>"$loads"
	rm -rf "$DATA"
	"$ROOT/scripts/bench.sh" --take "$console" "$DATA" bench bench || die "no data-path figures in the guest's output (exit $rc; $console)"
	"$ROOT/scripts/bench.sh" --take "$console" "$DATA" ops ops || log "no figures of bench/ops.sh in the guest's output"
	[ "$rc" = 0 ] || log "the guest's run exited $rc: writing the page from what it measured"
	load=$(sort -n "$loads" | awk '{v[NR] = $1} END {printf "%s / %s / %s", v[1], v[int((NR + 1) / 2)], v[NR]}')
	{
		echo "WALL=$((wall / 60)) min $((wall % 60)) s"
		echo "HOST_LOAD=$load"
		echo "REPORT_ARGS=${qa[*]:+ ${qa[*]}}${OPS_ARGS:+ --ops-args \"$OPS_ARGS\"}"
		echo "COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo ' (with local changes)')"
	} >"$DATA/host.txt"
else
	DATA=$FROM
	[ -f "$DATA/host.txt" ] || die "--from $DATA: no host.txt (not a report.sh --data directory)"
fi
[ -s "$DATA/bench/results.tsv" ] || die "no data-path figures in $DATA/bench"
while IFS= read -r kv; do meta+=(--meta "$kv"); done <"$DATA/host.txt"
meta+=(--meta "HOST_CPU=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)" --meta "HOST_CPUS=$(nproc)")
mkdir -p "$IMG"
python3 "$ROOT/scripts/bench_report.py" report "$DATA/bench" --ops "$DATA/ops" \
	--template docs/bench/benchmarks.md.in --notes docs/bench --doc "$DOC" --img "$IMG" "${meta[@]}"
log "wrote $DOC and its plots in $IMG from $DATA"
