# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash disable=SC2034 # sourced: the scripts use what it defines
# faults.sh -- shared by the fault e2e scripts: service/lib.sh plus timed lease breakers, the
# revocation NOTICE line's figures and background clients. Sourced, not run.
# shellcheck source=../service/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../service/lib.sh"

# The deadline the tests run against: the kernel lets a breaker through after this, whatever
# daxmrd's state. Every revocation must be released well before it.
LEASE_BREAK_S=45
echo "$LEASE_BREAK_S" >/proc/sys/fs/lease-break-time

# breaker PATH [MARK]: open(O_RDWR) of PATH (blocks until daxmrd lets go), writes MARK at offset 0
# if given, closes; prints how long the open blocked, in ms with 3 decimals.
breaker() {
	python3 - "$1" "${2:-}" <<'PY'
import os, sys, time
path, mark = sys.argv[1], sys.argv[2]
t0 = time.monotonic()
fd = os.open(path, os.O_RDWR)
dt = time.monotonic() - t0
if mark:
    os.pwrite(fd, mark.encode(), 0)
os.close(fd)
print("%.3f" % (dt * 1000))
PY
}

# ms_lt A B: true if A < B (decimal milliseconds).
ms_lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }

# start_watch LOGNAME EXPORT [ARGS...]: `daxmr watch EXPORT ARGS` in the background, stdout and
# stderr in $WORK/LOGNAME.log; its pid in WATCH_PID. Waits until it printed "opened".
start_watch() {
	local log=$WORK/$1.log name=$2
	shift 2
	"$DAXMR" -s "$SERVER" watch "$name" "$@" >"$log" 2>&1 &
	WATCH_PID=$!
	BACKGROUND+=("$WATCH_PID")
	wait_for "$log" "^opened export=$name " 10 "watch $name $*"
}

# revoke_line LOGNAME EXPORT GEN: the daemon's NOTICE line for that revocation (waits up to 5 s).
revoke_line() {
	wait_for "$WORK/$1.log" "revoked export $2 generation $3:" 5 "daxmrd's revocation line"
	grep -E "revoked export $2 generation $3:" "$WORK/$1.log" | tail -n1
}

# released_ms LINE: the "released X ms after the break" figure of a NOTICE line.
released_ms() { sed -nE 's/.*released ([0-9.]+) ms after the break.*/\1/p' <<<"$1"; }

# holders_acked LINE: "HOLDERS ACKED CAUSE" of a NOTICE line, e.g. "2 1 ack budget".
holders_acked() { sed -nE 's/.*holders ([0-9]+), acked ([0-9]+) \(([^)]*)\).*/\1 \2 \3/p' <<<"$1"; }
