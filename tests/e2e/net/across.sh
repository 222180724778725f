#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# across.sh SCRIPT -- runs one of the service e2e tests (tests/e2e/service/SCRIPT) across the link
# of tests/vm/topo.sh: daxmrd in the server namespace, the test and every client it starts in the
# client namespace, so each RDMA packet crosses the veth and the kernel's network stack.
# DAXMR_TEST_NET_SHAPE (netem arguments, e.g. "delay 5ms 2ms loss 1%") shapes the link first.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
script=$HERE/../service/${1:?usage: across.sh SCRIPT}
[ -f "$script" ] || { echo "across: no such service test $script" >&2; exit 2; }
# shellcheck source=tests/vm/topo.sh
. "$HERE/../../vm/topo.sh"
[ "$(id -u)" = 0 ] || { echo "across: SKIP: needs root (network namespaces)"; exit 77; }
[ -d /sys/module/rdma_rxe ] || { echo "across: SKIP: no rdma_rxe loaded"; exit 77; }
trap topo_down EXIT
topo_up || exit 1
if [ -n "${DAXMR_TEST_NET_SHAPE:-}" ]; then
	# shellcheck disable=SC2086 # netem's arguments
	topo_shape $DAXMR_TEST_NET_SHAPE || exit 1
fi
topo_show | sed 's/^/across: /'
before=$(topo_counters)
rc=0
DAXMR_TEST_ADDR=$TOPO_SRV_ADDR DAXMR_TEST_DEVICE=$TOPO_CLI_DEV RUN_AS="ip netns exec $TOPO_SRV_NS" \
	ip netns exec "$TOPO_CLI_NS" bash "$script" || rc=$?
after=$(topo_counters)
echo "across: the client's end sent $(($(echo "$after" | cut -d' ' -f1) - $(echo "$before" | cut -d' ' -f1))) packets," \
	"$(($(echo "$after" | cut -d' ' -f2) - $(echo "$before" | cut -d' ' -f2))) bytes over the veth"
# a test that ran must have crossed the link: rxe's loopback would leave the veth idle
if [ "$rc" = 0 ] && [ "$(echo "$after" | cut -d' ' -f1)" = "$(echo "$before" | cut -d' ' -f1)" ]; then
	echo "across: FAIL: no packet crossed the veth: the test did not run across the link" >&2
	exit 1
fi
exit "$rc"
