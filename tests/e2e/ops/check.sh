#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# check.sh -- daxmrd --check in the guest: an fs-DAX file is ok, a file with a hole fails naming
# the rule and the offset, a page-cache file fails 'dax' unless allow-non-dax; exit 0 or 1.
# A configuration error exits 2 naming FILE:LINE:COL, before any device is touched.
. "$(dirname "$0")/ops_lib.sh"

findmnt -no OPTIONS --target "$DAX_DIR" 2>/dev/null | grep -q dax || skip "$DAX_DIR is not an fs-DAX mount"
good=$DAX_DIR/daxmr-e2e-check-good.$$
holey=$DAX_DIR/daxmr-e2e-check-holey.$$
remove_on_exit "$good" "$holey"
xfs_io -f -c "pwrite -q -S 0x5a 0 2m" -c fsync "$good" >/dev/null
# 4 MiB long, the first 2 MiB written: a hole from 2 MiB (sized first, so that the write does
# not extend the file and XFS preallocates nothing past it)
xfs_io -f -c "truncate 4m" -c "pwrite -q -S 0x5a 0 2m" -c fsync "$holey" >/dev/null
random_file "$WORK/pc.img" 65536

cat >"$EXPORTS" <<EOT
# the guest's fs-DAX mount
good  $good  rw
holey $holey ro
pc    $WORK/pc.img
pcok  $WORK/pc.img allow-non-dax
EOT
rc=0
"$DAXMRD" --check --config "$EXPORTS" >"$WORK/check.out" 2>"$WORK/check.log" || rc=$?
sed 's/^/    /' "$WORK/check.out"
[ "$rc" = 1 ] || fail "--check exited $rc with failing exports, expected 1"
say "ok: --check exits 1 when an export fails"
grep -Eq "^good $good: ok: fs-dax, 2097152 bytes" "$WORK/check.out" || fail "the fs-DAX file is not ok"
say "ok: the fs-DAX file passes"
grep -Eq "^holey $holey: FAIL extents: hole at offset 2097152" "$WORK/check.out" ||
	fail "the holey file does not fail 'extents' at offset 2097152"
say "ok: the holey file fails the extents rule at offset 2097152"
grep -Eq "^pc $WORK/pc.img: FAIL dax: not DAX" "$WORK/check.out" || fail "the page-cache file does not fail 'dax'"
grep -Eq "^pcok $WORK/pc.img: ok: page-cache" "$WORK/check.out" || fail "allow-non-dax does not pass"
say "ok: a page-cache file fails 'dax', and passes with allow-non-dax"
[ "$(wc -l <"$WORK/check.out")" = 4 ] || fail "not one line per export"

rc=0
"$DAXMRD" --check --export "good=$good" >"$WORK/check1.out" 2>&1 || rc=$?
[ "$rc" = 0 ] || fail "--check of a good export exited $rc: $(cat "$WORK/check1.out")"
say "ok: --check exits 0 when every export is ok"

# configuration errors: exit 2, FILE:LINE:COL, nothing opened (no RDMA needed: --listen is checked
# before the device, and the holey file is never looked at)
printf 'good %s\nholey %s ro,bogus\n' "$good" "$holey" >"$WORK/bad"
rc=0
"$DAXMRD" --listen "$ADDR" --config "$WORK/bad" >"$WORK/bad.out" 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "a bad exports file exited $rc, expected 2"
grep -q "$WORK/bad:2:" "$WORK/bad.out" || fail "no FILE:LINE:COL: $(cat "$WORK/bad.out")"
grep -q "unknown option 'bogus'" "$WORK/bad.out" || fail "the cause is not named"
say "ok: bad line: $(head -n1 "$WORK/bad.out")"
grep -q 'listening on' "$WORK/bad.out" && fail "daxmrd started with a bad file"
printf 'a %s\na %s\n' "$good" "$good" >"$WORK/dup"
rc=0
"$DAXMRD" --listen "$ADDR" --config "$WORK/dup" >"$WORK/dup.out" 2>&1 || rc=$?
[ "$rc" = 2 ] && grep -q "$WORK/dup:2:1: export a is defined twice (first at $WORK/dup:1)" "$WORK/dup.out" ||
	fail "duplicate name: exit $rc: $(cat "$WORK/dup.out")"
say "ok: duplicate: $(head -n1 "$WORK/dup.out")"
rc=0
"$DAXMRD" --listen "$ADDR:99999" --export "a=$good" >"$WORK/port.out" 2>&1 || rc=$?
[ "$rc" = 2 ] && grep -q "port '99999': expected a number from 1 to 65535" "$WORK/port.out" ||
	fail "--listen ADDR:99999: exit $rc: $(cat "$WORK/port.out")"
say "ok: $(head -n1 "$WORK/port.out")"
rc=0
"$DAXMRD" --listen "$ADDR" --export "a=rel/path" >"$WORK/rel.out" 2>&1 || rc=$?
[ "$rc" = 2 ] && grep -q "path 'rel/path' is not absolute" "$WORK/rel.out" || fail "relative path: exit $rc"
say "ok: $(head -n1 "$WORK/rel.out")"
say "PASS"
