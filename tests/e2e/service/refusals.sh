#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# refusals.sh -- each MAP_DIRECT rule refuses its file with an error naming the file, the rule and
# the offending offset: reflinked blocks, a hole, an unwritten extent, non-DAX without
# --allow-non-dax, a file owned by someone else (daemon without CAP_LEASE). daxmrd stays up.
. "$(dirname "$0")/lib.sh"

findmnt -no OPTIONS --target "$DAX_DIR" 2>/dev/null | grep -q dax || skip "$DAX_DIR is not an fs-DAX mount"
d=$DAX_DIR/daxmr-e2e-refusals.$$
mkdir -p "$d"
remove_on_exit "$d"

xfs_io -f -c "pwrite -q 0 4m" -c fsync "$d/orig" >/dev/null
cp --reflink=always "$d/orig" "$d/reflinked" || fail "cp --reflink=always failed on $DAX_DIR"
xfs_io -f -c "pwrite -q 0 1m" -c "truncate 4m" -c fsync "$d/holey" >/dev/null
xfs_io -f -c "falloc 0 4m" "$d/unwritten" >/dev/null
random_file "$WORK/plain" $((1 << 20))

start_daxmrd r --export "refl=$d/reflinked" --export "hole=$d/holey" \
	--export "unw=$d/unwritten" --export "plain=$WORK/plain"
expect_log r "$d/reflinked.*reflinked \(shared\) blocks at offset 0" "reflinked file refused at offset 0"
expect_log r "$d/holey.*hole at offset 1048576" "hole refused at offset 1048576"
expect_log r "$d/unwritten.*unwritten extent at offset 0" "unwritten extent refused at offset 0"
expect_log r "$WORK/plain.*not DAX" "non-DAX file refused without --allow-non-dax"
kill -0 "$DPID" || fail "daxmrd died after refusing its exports"
for e in refl hole unw plain; do
	if "$DAXMR" -s "$SERVER" get "$e" --length 1 -o /dev/null 2>"$WORK/get.err"; then
		fail "get from refused export $e succeeded"
	fi
done
say "ok: a refused export cannot be read ($(head -n1 "$WORK/get.err"))"
stop_daxmrd TERM

# Owner rule: a daemon without CAP_LEASE may only export files whose owner is its fsuid.
random_file "$WORK/owned" $((1 << 20))
chmod 755 "$WORK"
chown 0:0 "$WORK/owned"
chmod 666 "$WORK/owned"
RUN_AS="setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all" \
	start_daxmrd o --allow-non-dax --export "owned=$WORK/owned"
# F_SETLEASE itself refuses first (EACCES), or the owner check does: either names file and rule.
expect_log o "$WORK/owned.*(owned by uid 0|neither own the file nor hold CAP_LEASE)" \
	"file of another owner refused (uid 0, daemon uid 65534 without CAP_LEASE)"
stop_daxmrd TERM
say "PASS"
