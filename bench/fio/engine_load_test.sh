#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# engine_load_test.sh -- on the host, no RDMA: the installed fio loads libdaxmr-fio.so and lists
# its options; a job without server= is refused by the engine's own setup; the same engine built
# for another fio version is refused at load time with the message that says so, and fio exits
# non-zero without running the job.
# Usage: engine_load_test.sh FIO ENGINE OTHER_VERSION_ENGINE FIO_VERSION
set -euo pipefail
fio=$1 engine=$2 other=$3 version=$4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "fio_engine_load: FAIL: $*" >&2; exit 1; }

"$fio" --enghelp="$engine" >"$work/help" 2>&1 || fail "fio --enghelp=$engine exited $?: $(cat "$work/help")"
for opt in server export secret_file daxmr_verbose; do
	grep -Eq "^$opt +:" "$work/help" || fail "fio --enghelp lists no option $opt: $(cat "$work/help")"
done
echo "ok: fio loads the engine and lists server, export, secret_file, daxmr_verbose"

rc=0
"$fio" --name=noserver --ioengine="external:$engine" --size=1m >"$work/noserver" 2>&1 || rc=$?
[ "$rc" != 0 ] || fail "a job without server= exited 0: $(cat "$work/noserver")"
grep -q 'daxmr: job noserver: server= is required' "$work/noserver" ||
	fail "a job without server= did not say why: $(cat "$work/noserver")"
echo "ok: a job without server= is refused (exit $rc) by the engine's setup"

rc=0
"$fio" --name=other --ioengine="external:$other" --server=127.0.0.1 --size=1m >"$work/other" 2>&1 || rc=$?
[ "$rc" != 0 ] || fail "the engine built for another fio version loaded: $(cat "$work/other")"
grep -q "built against fio-0.0-daxmr-test's headers but runs in $version" "$work/other" ||
	fail "the other-version engine was refused without our message: $(cat "$work/other")"
if grep -q 'Run status group' "$work/other"; then
	fail "fio ran a job with the other-version engine: $(cat "$work/other")"
fi
echo "ok: the engine built for fio-0.0-daxmr-test is refused by $version (exit $rc)"
