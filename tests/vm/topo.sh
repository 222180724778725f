#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# topo.sh -- two hosts' worth of network inside the test guest: a server and a client network
# namespace joined by a veth pair, a soft-RoCE device on each end, tc netem to shape the link.
#
# Sourced by the e2e tests of tests/e2e/net (or run by hand: `topo.sh up|shape ARGS|partition|
# heal|down|show`). RDMA between the two ends goes through the kernel's network stack (rxe only
# short-circuits traffic to its *own* address), so netem's delay, loss and partitions reach it.
#
#   netns $TOPO_SRV_NS                        netns $TOPO_CLI_NS
#   $TOPO_SRV_DEV (rxe) on $TOPO_SRV_IF  ==veth==  $TOPO_CLI_IF with $TOPO_CLI_DEV (rxe)
#   $TOPO_SRV_ADDR/24                              $TOPO_CLI_ADDR/24
#
# Names carry a suffix (TOPO_ID, default the shell's pid) so that two topologies never collide.
# `rdma system` is in shared netns mode: both rxe devices are visible in every namespace; rdma_cm
# picks the device from the route in the caller's namespace, so a process in the client namespace
# reaches the server's address through its own rxe device and the veth.
# Needs root, iproute2 (ip, tc, rdma) and rdma_rxe loaded (tests/vm/guest.sh loads it).

TOPO_ID=${TOPO_ID:-$$} # by hand: set it, the same for every call
TOPO_SRV_NS=daxmr-srv-$TOPO_ID
TOPO_CLI_NS=daxmr-cli-$TOPO_ID
TOPO_SRV_IF=vs$TOPO_ID
TOPO_CLI_IF=vc$TOPO_ID
TOPO_SRV_DEV=rxs$TOPO_ID
TOPO_CLI_DEV=rxc$TOPO_ID
TOPO_SRV_ADDR=${TOPO_SRV_ADDR:-10.77.0.1}
TOPO_CLI_ADDR=${TOPO_CLI_ADDR:-10.77.0.2}
TOPO_MTU=${TOPO_MTU:-${DAXMR_VM_MTU:-1500}}
TOPO_SHAPE= # the netem arguments in force on both ends ("" = none)

topo_err() { printf 'topo: %s\n' "$*" >&2; }

# topo_srv CMD...: runs CMD in the server's namespace; topo_cli likewise in the client's.
topo_srv() { ip netns exec "$TOPO_SRV_NS" "$@"; }
topo_cli() { ip netns exec "$TOPO_CLI_NS" "$@"; }

# topo_up: creates both namespaces, the veth pair, addresses and an rxe device on each end; waits
# until both ports are ACTIVE. 0, or 1 with a message naming the step that failed.
topo_up() {
	local i
	ip netns add "$TOPO_SRV_NS" && ip netns add "$TOPO_CLI_NS" ||
		{ topo_err "ip netns add failed"; return 1; }
	ip link add "$TOPO_SRV_IF" netns "$TOPO_SRV_NS" mtu "$TOPO_MTU" type veth \
		peer name "$TOPO_CLI_IF" netns "$TOPO_CLI_NS" mtu "$TOPO_MTU" ||
		{ topo_err "ip link add (veth pair $TOPO_SRV_IF/$TOPO_CLI_IF, MTU $TOPO_MTU) failed"; return 1; }
	topo_srv ip link set lo up && topo_cli ip link set lo up &&
		topo_srv ip addr add "$TOPO_SRV_ADDR/24" dev "$TOPO_SRV_IF" &&
		topo_cli ip addr add "$TOPO_CLI_ADDR/24" dev "$TOPO_CLI_IF" &&
		topo_srv ip link set "$TOPO_SRV_IF" up && topo_cli ip link set "$TOPO_CLI_IF" up ||
		{ topo_err "addresses or link up failed"; return 1; }
	# Permanent neighbour entries: rdma_cm's address resolution, finding no neighbour entry,
	# sends the ARP request but (measured, 7.3.4, in a network namespace) does not notice the
	# answer: it waits for its whole timeout and fails. Real hosts have warm ARP caches.
	local srv_mac cli_mac
	srv_mac=$(topo_srv cat "/sys/class/net/$TOPO_SRV_IF/address") &&
		cli_mac=$(topo_cli cat "/sys/class/net/$TOPO_CLI_IF/address") &&
		topo_srv ip neigh replace "$TOPO_CLI_ADDR" lladdr "$cli_mac" dev "$TOPO_SRV_IF" nud permanent &&
		topo_cli ip neigh replace "$TOPO_SRV_ADDR" lladdr "$srv_mac" dev "$TOPO_CLI_IF" nud permanent ||
		{ topo_err "permanent neighbour entries failed"; return 1; }
	topo_srv rdma link add "$TOPO_SRV_DEV" type rxe netdev "$TOPO_SRV_IF" ||
		{ topo_err "rdma link add $TOPO_SRV_DEV on $TOPO_SRV_IF failed"; return 1; }
	topo_cli rdma link add "$TOPO_CLI_DEV" type rxe netdev "$TOPO_CLI_IF" ||
		{ topo_err "rdma link add $TOPO_CLI_DEV on $TOPO_CLI_IF failed"; return 1; }
	for i in $(seq 100); do
		grep -q ACTIVE "/sys/class/infiniband/$TOPO_SRV_DEV/ports/1/state" 2>/dev/null &&
			grep -q ACTIVE "/sys/class/infiniband/$TOPO_CLI_DEV/ports/1/state" 2>/dev/null && break
		sleep 0.1
	done
	[ "$i" -lt 100 ] || { topo_err "rxe ports not ACTIVE after 10 s"; return 1; }
	# rdma_cm needs each address's RoCE v2 GID (::ffff:a.b.c.d) in its device's table
	for i in $(seq 100); do
		topo_has_gid "$TOPO_SRV_DEV" "$TOPO_SRV_ADDR" && topo_has_gid "$TOPO_CLI_DEV" "$TOPO_CLI_ADDR" && break
		sleep 0.1
	done
	[ "$i" -lt 100 ] || { topo_err "no GID for $TOPO_SRV_ADDR on $TOPO_SRV_DEV or $TOPO_CLI_ADDR on $TOPO_CLI_DEV"; return 1; }
}

# topo_has_gid DEV ADDR: whether DEV's GID table holds the IPv4-mapped GID of ADDR.
topo_has_gid() {
	local a b c d
	IFS=. read -r a b c d <<<"$2"
	grep -qx "$(printf '0000:0000:0000:0000:0000:ffff:%02x%02x:%02x%02x' "$a" "$b" "$c" "$d")" \
		/sys/class/infiniband/"$1"/ports/1/gids/* 2>/dev/null
}

# topo_down: removes both namespaces (the veth pair and the rxe devices on it go with them).
topo_down() {
	ip netns exec "$TOPO_SRV_NS" rdma link delete "$TOPO_SRV_DEV" 2>/dev/null || true
	ip netns exec "$TOPO_CLI_NS" rdma link delete "$TOPO_CLI_DEV" 2>/dev/null || true
	ip netns del "$TOPO_SRV_NS" 2>/dev/null || true
	ip netns del "$TOPO_CLI_NS" 2>/dev/null || true
	return 0
}

# topo_netem NETEM-ARGS...: the same netem qdisc on the egress of both ends ("delay 5ms 2ms loss
# 1%", "loss 100%", "reorder 25% delay 2ms", "duplicate 1%"); no arguments: no shaping.
topo_netem() {
	if [ $# = 0 ]; then
		# (fails where there is none: fine, also under set -e)
		topo_srv tc qdisc del dev "$TOPO_SRV_IF" root 2>/dev/null || true
		topo_cli tc qdisc del dev "$TOPO_CLI_IF" root 2>/dev/null || true
		return 0
	fi
	topo_srv tc qdisc replace dev "$TOPO_SRV_IF" root netem "$@" &&
		topo_cli tc qdisc replace dev "$TOPO_CLI_IF" root netem "$@" ||
		{ topo_err "tc qdisc replace ... netem $* failed"; return 1; }
}

# topo_shape NETEM-ARGS...: the link's standing condition (kept across partitions and heals).
topo_shape() {
	TOPO_SHAPE="$*"
	# shellcheck disable=SC2086 # the words are netem's arguments
	topo_netem $TOPO_SHAPE
}

# topo_partition [loss|down]: no packet crosses any more: 100% loss on both ends (the default;
# both ends keep their carrier, as when a switch between hosts fails), or the veth link down
# (both ends lose carrier, rxe reports its ports down).
topo_partition() {
	case "${1:-loss}" in
	loss) topo_netem loss 100% ;;
	down) topo_cli ip link set "$TOPO_CLI_IF" down ;;
	*) topo_err "topo_partition takes loss or down, not '$1'"; return 1 ;;
	esac
}

# topo_heal: the link as it was before the partition (its standing shape, the veth up).
topo_heal() {
	topo_cli ip link set "$TOPO_CLI_IF" up || return 1
	# shellcheck disable=SC2086
	topo_netem $TOPO_SHAPE
}

# topo_counters: "tx_packets tx_bytes" of the client's end (what crossed the link).
topo_counters() {
	topo_cli cat "/sys/class/net/$TOPO_CLI_IF/statistics/tx_packets" \
		"/sys/class/net/$TOPO_CLI_IF/statistics/tx_bytes" | tr '\n' ' '
}

# topo_show: both ends' addresses, qdiscs and rxe ports, for a log.
topo_show() {
	echo "server: netns $TOPO_SRV_NS, $TOPO_SRV_IF $TOPO_SRV_ADDR, $TOPO_SRV_DEV" \
		"($(cat "/sys/class/infiniband/$TOPO_SRV_DEV/ports/1/state" 2>/dev/null))"
	echo "client: netns $TOPO_CLI_NS, $TOPO_CLI_IF $TOPO_CLI_ADDR, $TOPO_CLI_DEV" \
		"($(cat "/sys/class/infiniband/$TOPO_CLI_DEV/ports/1/state" 2>/dev/null))"
	topo_srv tc qdisc show dev "$TOPO_SRV_IF" | sed 's/^/server qdisc: /'
	topo_cli tc qdisc show dev "$TOPO_CLI_IF" | sed 's/^/client qdisc: /'
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	# run by hand: TOPO_ID=1 tests/vm/topo.sh up; ...; TOPO_ID=1 tests/vm/topo.sh down
	set -u
	cmd=${1:-}
	shift || true
	case "$cmd" in
	up) topo_up && topo_show ;;
	down) topo_down ;;
	shape) topo_netem "$@" ;;
	partition) topo_partition "$@" ;;
	heal) topo_heal ;;
	show) topo_show ;;
	*)
		echo "usage: TOPO_ID=N $0 up|down|show|shape NETEM-ARGS...|partition [loss|down]|heal" >&2
		exit 2
		;;
	esac
fi
