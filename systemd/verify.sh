#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# verify.sh -- systemd-analyze verify of daxmrd.service: no finding at all. Usage:
#   verify.sh UNIT DAXMRD [MANPATH]
# UNIT's ExecStart names the installed daxmrd; it is pointed at DAXMRD (the one built) so that
# verify can check the binary exists. With MANPATH (an installed tree) the Documentation= man
# pages are checked too. A copy with an unknown key must be reported: the check can fail.
set -euo pipefail
unit=$1 daxmrd=$2 manpath=${3:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
grep -q '^ExecStart=/.*/daxmrd ' "$unit" || { echo "verify: $unit: no ExecStart=.../daxmrd" >&2; exit 1; }
sed "s|^ExecStart=/[^ ]*/daxmrd |ExecStart=$daxmrd |" "$unit" >"$work/daxmrd.service"
man=(--man=no)
[ -n "$manpath" ] && man=(--man=yes) && export MANPATH=$manpath
check() {
	local out rc=0
	out=$(systemd-analyze verify "${man[@]}" "$1" 2>&1) || rc=$?
	printf '%s' "$out"
	[ "$rc" = 0 ] && [ -z "$out" ]
}
check "$work/daxmrd.service" || { echo "verify: FAIL: systemd-analyze verify has findings on $unit" >&2; exit 1; }
echo "verify: ok: systemd-analyze verify ${man[*]}: no findings on $(basename "$unit")"
sed 's/^\[Service\]$/[Service]\nNoSuchDirective=1/' "$work/daxmrd.service" >"$work/broken.service"
if check "$work/broken.service" >/dev/null; then
	echo "verify: FAIL: an unknown directive went unreported: the check proves nothing" >&2
	exit 1
fi
echo "verify: ok: an unknown directive is reported"
