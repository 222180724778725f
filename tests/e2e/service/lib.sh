# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash disable=SC2034 # sourced: the scripts use what it defines
# lib.sh -- shared by the service e2e scripts: the RDMA address, daxmrd start/stop, checks.
# Sourced, not run. Needs DAXMRD and DAXMR (paths of the binaries; set by CMake).
set -euo pipefail

: "${DAXMRD:?DAXMRD must name the daxmrd binary}" "${DAXMR:?DAXMR must name the daxmr tool}"
: "${DAXMR_HOLDER:?DAXMR_HOLDER must name the daxmr-e2e-holder binary}"
TEST=$(basename "$0" .sh)

say() { printf '%s: %s\n' "$TEST" "$*"; }
skip() { say "SKIP: $*"; exit 77; }
fail() {
	say "FAIL: $*" >&2
	local l
	for l in "$WORK"/*.log; do
		[ -e "$l" ] || continue
		printf '%s: --- %s (last 40 lines)\n' "$TEST" "$(basename "$l")" >&2
		tail -n 40 "$l" | sed 's/^/    /' >&2
	done
	exit 1
}

RDMA_DEV=${DAXMR_TEST_DEVICE:-$(ls /sys/class/infiniband 2>/dev/null | head -n1)}
[ -n "$RDMA_DEV" ] || skip "no RDMA device"
[ "$(id -u)" = 0 ] || skip "needs root (devdax, other users' files, lease-break-time)"
# The IPv4 address of the netdev under the RDMA device: rdma_cm finds the device from it.
rdma_addr() {
	local nd
	nd=$(cat "/sys/class/infiniband/$RDMA_DEV/ports/1/gid_attrs/ndevs/0" 2>/dev/null) || return 1
	ip -4 -o addr show dev "$nd" | awk '{print $4}' | cut -d/ -f1 | head -n1
}
ADDR=${DAXMR_TEST_ADDR:-$(rdma_addr)}
[ -n "$ADDR" ] || skip "no IPv4 address on $RDMA_DEV's netdev"
DAX_DIR=${DAXMR_TEST_DAX_DIR:-/mnt/pmem}
DEVDAX=${DAXMR_TEST_DEVDAX:-/dev/dax1.0}

WORK=$(mktemp -d /dev/shm/daxmr-e2e-$TEST.XXXXXX) # tmpfs: page-cache exports live here
DAEMONS=()
BACKGROUND=()
REMOVE=()
OLD_LEASE_BREAK=$(cat /proc/sys/fs/lease-break-time)
cleanup() {
	local p
	for p in "${BACKGROUND[@]}" "${DAEMONS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	echo "$OLD_LEASE_BREAK" >/proc/sys/fs/lease-break-time
	rm -rf "$WORK" "${REMOVE[@]}"
}
trap cleanup EXIT

# remove_on_exit PATH...: files or directories outside $WORK (e.g. on the DAX mount) to delete.
remove_on_exit() { REMOVE+=("$@"); }

# now_ms: wall clock in milliseconds.
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# start_daxmrd LOGNAME ARGS...: runs daxmrd on a fresh port until it says it listens; sets
# PORT, SERVER (ADDR:PORT) and DPID. Extra: RUN_AS="setpriv ..." prefixes the command.
start_daxmrd() {
	local log=$WORK/$1.log i
	shift
	PORT=$((20000 + RANDOM % 20000))
	SERVER=$ADDR:$PORT
	${RUN_AS:-} "$DAXMRD" --listen "$SERVER" "$@" -v >"$log" 2>&1 &
	DPID=$!
	DAEMONS+=("$DPID")
	for i in $(seq 200); do
		grep -q 'listening on' "$log" && return 0
		kill -0 "$DPID" 2>/dev/null || fail "daxmrd exited during start-up ($log)"
		sleep 0.1
	done
	fail "daxmrd did not say 'listening on' within 20 s"
}

# wait_exit PID SECONDS [WHAT]: waits for PID (a child) to exit and sets RC to its exit status;
# fails naming WHAT if it still runs SECONDS later. Not in $(...): a subshell cannot wait for it.
wait_exit() {
	for _ in $(seq $(($2 * 10))); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$1" 2>/dev/null && fail "${3:-pid $1} still running $2 s later"
	RC=0
	wait "$1" || RC=$?
}

# stop_daxmrd [SIGNAL]: stops the last daxmrd, expects exit 0 within 10 s.
stop_daxmrd() {
	local sig=${1:-TERM}
	kill "-$sig" "$DPID"
	wait_exit "$DPID" 10 "daxmrd (after SIG$sig)"
	[ "$RC" = 0 ] || fail "daxmrd exited $RC after SIG$sig, expected 0"
}

# expect_log LOGNAME REGEX [WHAT]: the daemon log must match.
expect_log() {
	grep -Eq -- "$2" "$WORK/$1.log" || fail "${3:-log} does not match /$2/ ($1.log)"
	say "ok: ${3:-log matches /$2/}"
}

# wait_for FILE REGEX SECONDS WHAT: waits until FILE has a line matching REGEX.
wait_for() {

	for _ in $(seq $(($3 * 10))); do
		grep -Eq -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	fail "$4: no line matching /$2/ in $(basename "$1") within $3 s"
}

# random_file PATH BYTES
random_file() { head -c "$2" /dev/urandom >"$1"; }

# file_range PATH OFFSET LENGTH: bytes of PATH (a file or devdax) through the CPU, not RDMA.
# Opening an exported file breaks daxmrd's lease: read files only once the daemon let go.
# devdax has no read(2): map it (offset and length rounded out to the 2 MiB alignment).
file_range() {
	if [ ! -c "$1" ]; then
		dd if="$1" bs=64K iflag=skip_bytes,count_bytes skip="$2" count="$3" status=none
		return
	fi
	python3 - "$1" "$2" "$3" <<'EOF'
import mmap, os, sys
path, off, length = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
fd = os.open(path, os.O_RDONLY)
align = 2 << 20
base = off // align * align
size = (off + length - base + align - 1) // align * align
m = mmap.mmap(fd, size, mmap.MAP_SHARED, mmap.PROT_READ, offset=base)
sys.stdout.buffer.write(m[off - base:off - base + length])
EOF
}

# same_bytes A B WHAT: the two files hold the same bytes.
same_bytes() {
	cmp -s "$1" "$2" || fail "$3: bytes differ ($(cmp "$1" "$2" 2>&1 | head -n1))"
	say "ok: $3"
}
