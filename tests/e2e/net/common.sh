# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash disable=SC2034 # sourced: the scripts use what it defines
# common.sh -- shared by the e2e tests across a link: the two-host topology of tests/vm/topo.sh
# (daxmrd in the server namespace, clients in the client namespace) on top of the fault tests'
# faults.sh (and so service/lib.sh). Sourced, not run.
HERE_NET=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/vm/topo.sh
. "$HERE_NET/../../vm/topo.sh"
export DAXMR_TEST_ADDR=$TOPO_SRV_ADDR DAXMR_TEST_DEVICE=$TOPO_CLI_DEV
[ "$(id -u)" = 0 ] || { echo "$(basename "$0" .sh): SKIP: needs root (network namespaces)"; exit 77; }
[ -d /sys/module/rdma_rxe ] || { echo "$(basename "$0" .sh): SKIP: no rdma_rxe loaded"; exit 77; }
# service/lib.sh, lease-break-time 45 s, timed breakers and the revocation line's figures
# shellcheck source=tests/e2e/faults/faults.sh
. "$HERE_NET/../faults/faults.sh"
trap 'cleanup; topo_down' EXIT
topo_up || fail "the two-host topology could not be set up (see above)"
# daxmrd runs in the server's namespace (start_daxmrd prefixes RUN_AS)
RUN_AS="ip netns exec $TOPO_SRV_NS"
say "topology: $(topo_show | tr '\n' ';')"

# cli CMD...: a client command across the link; srv CMD...: one next to daxmrd (rxe loopback).
# In the background use "${CLI[@]}" CMD &: $! is then the command's own pid (ip netns exec
# execs it), where a function would leave a subshell's.
CLI=(ip netns exec "$TOPO_CLI_NS")
SRV=(ip netns exec "$TOPO_SRV_NS")
cli() { "${CLI[@]}" "$@"; }
srv() { "${SRV[@]}" "$@"; }

# watch_in cli|srv LOGNAME EXPORT [ARGS...]: `daxmr watch` in the background from the client's or
# the server's side, output in $WORK/LOGNAME.log, pid in WATCH_PID; waits for "opened".
watch_in() {
	local ns=$1 log=$WORK/$2.log name=$3 pre
	shift 3
	if [ "$ns" = cli ]; then pre=("${CLI[@]}"); else pre=("${SRV[@]}"); fi
	"${pre[@]}" "$DAXMR" -s "$SERVER" watch "$name" "$@" >"$log" 2>&1 &
	WATCH_PID=$!
	BACKGROUND+=("$WATCH_PID")
	wait_for "$log" "^opened export=$name " 20 "watch $name ($ns side)"
}

# daemon_status PID: "VmRSS_kB fds" of a process.
daemon_status() {
	echo "$(awk '/^VmRSS/ {print $2}' "/proc/$1/status") $(find "/proc/$1/fd" -mindepth 1 -maxdepth 1 | wc -l)"
}

# rxe_counters DEV: rxe's counters of DEV port 1 that tell what the link did to RDMA
# (retransmissions, NAKs, RNR, retries exhausted), one "name value" per line.
rxe_counters() {
	local d=/sys/class/infiniband/$1/ports/1/hw_counters c
	for c in sent_pkts rcvd_pkts duplicate_request out_of_seq_request rcvd_rnr_err send_rnr_err \
		rcvd_seq_err retry_exceeded_err retry_rnr_exceeded_err completer_retry_err send_err; do
		[ -e "$d/$c" ] && echo "$c $(cat "$d/$c")"
	done
}
