#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# bench.sh BUILD_DIR -- figures across the veth link of tests/vm/topo.sh, run inside the test guest
# (a program that prints figures, not a test):
#   1. daxmr-bench (client namespace) against daxmrd's devdax export (server namespace), and
#      perftest's ib_read_bw / ib_write_bw (rdma_cm) between the same two rxe devices, same sizes
#      and duration, interleaved DAXMR_NET_BENCH_ROUNDS (default 3) times; medians and the ratio.
#   2. revocation timings with one holder partitioned away (and one next to daxmrd), lease-break-
#      time 45 s, DAXMR_NET_BENCH_BREAKS (default 5) breaks: the breaker's wait and daxmrd's
#      REVOKE-sent / released figures.
# From the host:
#   flock /work/.guest.lock tests/vm/run.sh -- tests/e2e/net/bench.sh $PWD/build
# DAXMR_NET_SHAPE (netem arguments) shapes the link for part 1; DAXMR_NET_BENCH_SIZES (default
# "64K 1M"; "none": part 2 only), DAXMR_NET_BENCH_SECONDS (default 3).
set -euo pipefail
B=$(cd "${1:?usage: bench.sh BUILD_DIR}" && pwd)
export DAXMRD=$B/server/daxmrd DAXMR=$B/client/daxmr DAXMR_HOLDER=$B/tests/e2e/service/daxmr-e2e-holder
BENCH=$B/client/daxmr-bench
. "$(dirname "$0")/common.sh"
command -v ib_read_bw >/dev/null || skip "perftest is not installed"
[ -c "$DEVDAX" ] || skip "no devdax $DEVDAX"
ROUNDS=${DAXMR_NET_BENCH_ROUNDS:-3}
SECS=${DAXMR_NET_BENCH_SECONDS:-3}
SIZES=${DAXMR_NET_BENCH_SIZES:-64K 1M}

f=$WORK/t.img
random_file "$f" $((4 << 20))
start_daxmrd d --export "dev=$DEVDAX" --allow-non-dax --export "t=$f"
if [ -n "${DAXMR_NET_SHAPE:-}" ]; then
	# shellcheck disable=SC2086
	topo_shape $DAXMR_NET_SHAPE
fi
say "$(date -u +%F), Linux $(uname -r), $(nproc) CPUs; path MTU $(ibv_devinfo -d "$TOPO_CLI_DEV" | awk '/active_mtu/ {print $2; exit}');" \
	"link: ${DAXMR_NET_SHAPE:-no netem}"

median() { sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
field() { awk -v k="$1" '{ for (i = 1; i <= NF; i++) if (index($i, k "=") == 1) { print substr($i, length(k) + 2); exit } }' <<<"$2"; }

# perftest TOOL BYTES: the client's BW average (MB/s, perftest's 2^20) across the link, or "-"
port=19000
perftest() {
	local tool=$1 bytes=$2 sp out=$WORK/$1-$2.out
	port=$((port + 1))
	"${SRV[@]}" timeout $((SECS + 40)) "$tool" -R -d "$TOPO_SRV_DEV" -s "$bytes" -D "$SECS" -F -p "$port" >"$WORK/$tool-server.out" 2>&1 &
	sp=$!
	sleep 1
	if cli timeout $((SECS + 40)) "$tool" -R -d "$TOPO_CLI_DEV" -s "$bytes" -D "$SECS" -F -p "$port" "$TOPO_SRV_ADDR" >"$out" 2>&1; then
		wait "$sp" || true
		awk -v s="$bytes" '$1 == s && NF >= 4 {print $4; exit}' "$out"
	else
		kill -KILL "$sp" 2>/dev/null || true
		wait "$sp" 2>/dev/null || true
		echo "-"
	fi
}

[ "$SIZES" != none ] || SIZES= # only the revocation figures
for size in $SIZES; do
	bytes=$(numfmt --from=iec "$size")
	for op in read write; do
		: >"$WORK/d-$op-$size" && : >"$WORK/p-$op-$size"
		for r in $(seq "$ROUNDS"); do
			line=$(cli "$BENCH" -t 60000 -s "$SERVER" dev --op "$op" --size "$size" --seconds "$SECS" | head -n1) ||
				line="MiB/s=-"
			field 'MiB/s' "$line" >>"$WORK/d-$op-$size"
			perftest "ib_${op}_bw" "$bytes" >>"$WORK/p-$op-$size"
			say "round $r: $op $size: daxmr $(tail -n1 "$WORK/d-$op-$size") MiB/s, ib_${op}_bw $(tail -n1 "$WORK/p-$op-$size") MB/s"
		done
	done
done
echo
echo "| op | size | daxmr-bench MiB/s (median of $ROUNDS) | ib_*_bw MB/s (median) | daxmr/perftest |"
echo "|---|---|---|---|---|"
for size in $SIZES; do
	for op in read write; do
		dm=$(grep -v -- - "$WORK/d-$op-$size" | median)
		pm=$(grep -v -- - "$WORK/p-$op-$size" | median)
		ratio=$(awk -v a="$dm" -v b="$pm" 'BEGIN { if (b + 0 > 0 && a != "-") printf "%.2f", a / b; else print "-" }')
		echo "| $op | $size | $dm ($(tr '\n' ' ' <"$WORK/d-$op-$size")) | $pm ($(tr '\n' ' ' <"$WORK/p-$op-$size")) | $ratio |"
	done
done
echo
topo_shape

# part 2: revocations with one partitioned holder
BREAKS=${DAXMR_NET_BENCH_BREAKS:-5}
watch_in cli remote t
watch_in srv local t
: >"$WORK/rv"
for i in $(seq "$BREAKS"); do
	gen=$i
	topo_partition loss
	ms=$(breaker "$f")
	line=$(revoke_line d t "$gen")
	sent=$(sed -nE 's/.*REVOKE sent ([0-9.]+) ms.*/\1/p' <<<"$line")
	rel=$(released_ms "$line")
	echo "$ms $sent $rel $(holders_acked "$line" | tr ' ' '_')" >>"$WORK/rv"
	say "break $i: breaker $ms ms, REVOKE sent $sent ms, released $rel ms, $(holders_acked "$line")"
	sleep 1
	topo_heal
	wait_for "$WORK/local.log" "^opened export=t generation=$((gen + 1)) " 20 "the local holder"
	wait_for "$WORK/remote.log" "^opened export=t generation=$((gen + 1)) " 30 "the partitioned holder after the heal"
done
echo
echo "| $BREAKS breaks, 1 of 2 holders partitioned | median | max |"
echo "|---|---|---|"
for c in "breaker blocked ms:1" "REVOKE sent ms:2" "released ms:3"; do
	col=${c##*:}
	echo "| ${c%:*} | $(awk -v c="$col" '{print $c}' "$WORK/rv" | median) | $(awk -v c="$col" '{print $c}' "$WORK/rv" | sort -g | tail -n1) |"
done
echo "causes: $(awk '{print $4}' "$WORK/rv" | sort | uniq -c | tr '\n' ' ')"
stop_daxmrd TERM
