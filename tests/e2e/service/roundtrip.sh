#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# roundtrip.sh -- put/get through daxmrd on a devdax export and a tmpfs (page-cache) export, each
# checked through the device or file; a read-only export refuses writes; SIGTERM exits cleanly.
. "$(dirname "$0")/lib.sh"

[ -c "$DEVDAX" ] || skip "no devdax device $DEVDAX"
tmpf=$WORK/pc.img
rof=$WORK/ro.img
random_file "$tmpf" $((8 << 20))
random_file "$rof" $((1 << 20))
cp "$rof" "$WORK/ro.orig"

start_daxmrd d --allow-non-dax --export "dax=$DEVDAX" --export "pc=$tmpf" --export "ro=$rof,ro"
expect_log d 'listening on' "daxmrd listens"

"$DAXMR" -s "$SERVER" ls >"$WORK/ls.out" || fail "daxmr ls failed"
cat "$WORK/ls.out"
grep -E '^dax[[:space:]].*devdax.*pinned' "$WORK/ls.out" >/dev/null || fail "ls: dax is not listed as devdax, pinned"
grep -E '^pc[[:space:]].*page-cache' "$WORK/ls.out" >/dev/null || fail "ls: pc is not listed as page-cache"
say "ok: ls lists dax (devdax, pinned), pc (page-cache)"
# rxe before Linux 6.15 pins no read-only mapping and has no ODP: there the ro export must be
# refused, saying why; elsewhere it must be listed read-only.
ro_export=1
if grep -Eq '^ro[[:space:]]' "$WORK/ls.out"; then
	grep -Eq '^ro[[:space:]]+[0-9]+[[:space:]]+ro[[:space:]]' "$WORK/ls.out" || fail "ls: ro is not listed read-only"
	say "ok: ls lists ro read-only"
else
	ro_export=0
	expect_log d "ro.*refuses to pin this read-only mapping \(EFAULT" \
		"this kernel cannot pin read-only mappings: the ro export is refused, saying why"
fi

# Unaligned offset, several packets and pages, not a multiple of anything.
off=123457 len=300001
random_file "$WORK/in" $len
for e in dax pc; do
	"$DAXMR" -s "$SERVER" put "$e" --offset $off -i "$WORK/in" || fail "put $e failed"
	"$DAXMR" -s "$SERVER" get "$e" --offset $off --length $len -o "$WORK/back.$e" || fail "get $e failed"
	same_bytes "$WORK/in" "$WORK/back.$e" "$e: get returns what put wrote"
done
# The device is the authority: RDMA read-back alone proves nothing (KERNEL-FACTS.md).
file_range "$DEVDAX" $off $len >"$WORK/dev.dax"
same_bytes "$WORK/in" "$WORK/dev.dax" "dax: $DEVDAX holds the put bytes at offset $off (read through mmap)"

# Read-only export: a write is refused (before any RDMA: the tool cannot even open it rw) and
# the file does not change.
if "$DAXMR" -s "$SERVER" put ro --offset 0 -i "$WORK/in" 2>"$WORK/ro.err"; then
	fail "put to the read-only export succeeded"
fi
say "ok: put to ro refused: $(head -n1 "$WORK/ro.err")"
grep -qw 'ro' "$WORK/ro.err" || fail "the refusal does not name the export: $(cat "$WORK/ro.err")"
if [ "$ro_export" = 1 ]; then
	"$DAXMR" -s "$SERVER" get ro --length 4096 -o "$WORK/ro.back" || fail "get ro failed"
	head -c 4096 "$WORK/ro.orig" | cmp -s - "$WORK/ro.back" || fail "get ro returned other bytes"
	say "ok: ro export readable"
fi

stop_daxmrd TERM
say "ok: SIGTERM: daxmrd exited 0"
file_range "$tmpf" $off $len >"$WORK/file.pc"
same_bytes "$WORK/in" "$WORK/file.pc" "pc: the file holds the put bytes at offset $off (read through the file)"
cmp -s "$rof" "$WORK/ro.orig" || fail "the read-only file changed"
say "ok: the read-only file is unchanged"
say "PASS"
