# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash disable=SC2034 # sourced: the scripts use what it defines
# ops_lib.sh -- shared by the ops e2e scripts, on top of ../service/lib.sh: daxmrctl and the
# exports file. Sourced, not run. Needs DAXMRCTL besides what lib.sh needs.
. "$(dirname "${BASH_SOURCE[0]}")/../service/lib.sh"
: "${DAXMRCTL:?DAXMRCTL must name the daxmrctl binary}"

CTL_SOCK=$WORK/ctl.sock
EXPORTS=$WORK/exports

# The access of the scripts' read-only exports: ro, except where rxe pins no read-only mapping
# and has no On-Demand Paging (Linux before 6.15: daxmrd refuses such an export, as
# ../service/roundtrip.sh checks); there they export rw and say so.
RO=ro
if ! uname -r | awk -F'[.-]' '{ exit !($1 > 6 || ($1 == 6 && $2 >= 15)) }'; then
	RO=rw
	say "Linux $(uname -r): rxe pins no read-only mapping here, so the read-only exports are rw"
fi

# ctl ARGS...: daxmrctl on this test's socket; its output (stdout and stderr) in OUT, its exit
# status in CTL_RC. Not in $(...): a subshell would lose both.
ctl() {
	CTL_RC=0
	OUT=$("$DAXMRCTL" --socket "$CTL_SOCK" "$@" 2>&1) || CTL_RC=$?
}

# ctl_ok ARGS...: as ctl, and daxmrctl must exit 0.
ctl_ok() {
	ctl "$@"
	[ "$CTL_RC" = 0 ] || fail "daxmrctl $* exited $CTL_RC: $OUT"
}

# json_ok EXPR JSON WHAT: the JSON (a daxmrctl --json reply) must satisfy EXPR, a Python
# expression over r (the reply).
json_ok() {
	python3 -c 'import json,sys; r=json.loads(sys.argv[2]); sys.exit(0 if eval(sys.argv[1]) else 1)' \
		"$1" "$2" || fail "$3: not so in $2"
	say "ok: $3"
}

# json_get EXPR JSON: prints the Python expression over r.
json_get() {
	python3 -c 'import json,sys; r=json.loads(sys.argv[2]); print(eval(sys.argv[1]))' "$1" "$2"
}
