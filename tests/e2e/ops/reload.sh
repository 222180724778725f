#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# reload.sh -- the exports file reloaded (SIGHUP and daxmrctl reload) while clients hold
# regions: an unchanged export keeps its generation and its holders their keys, a removed one is
# revoked with reason admin, a changed one is revoked and exported again, an added one appears;
# a file with an error changes nothing and says FILE:LINE:COL.
. "$(dirname "$0")/ops_lib.sh"

for n in keep gone chg new; do random_file "$WORK/$n.img" $((1 << 20)); done
# what new.img holds, to compare with: reading an exported file itself would break daxmrd's lease
cp "$WORK/new.img" "$WORK/new.orig"
# chg changes from read-only to read-write; where read-only exports are rw (ops_lib.sh), from
# another ack budget to the default
chg_before=ro
[ "$RO" = ro ] || chg_before=rw,ack-budget-ms=500
cat >"$EXPORTS" <<EOT
set allow-non-dax yes
keep "$WORK/keep.img"
gone "$WORK/gone.img"
chg  "$WORK/chg.img"  $chg_before
EOT
start_daxmrd d --config "$EXPORTS" --ctl-socket "$CTL_SOCK"

# holders: a watch on each export (chg is read-only), and an application on keep
for n in keep gone chg; do
	ro=
	[ "$n" = chg ] && ro=--ro
	# shellcheck disable=SC2086 # $ro: no option or one
	"$DAXMR" -s "$SERVER" watch "$n" $ro >"$WORK/watch-$n.log" 2>&1 &
	BACKGROUND+=("$!")
	wait_for "$WORK/watch-$n.log" "^opened export=$n generation=1( |$)" 10 "watch $n"
done
say "ok: keep, gone and chg are held"
ctl_ok --json exports
before=$OUT
ctl_ok --json clients
clients_before=$OUT
keep_regions_before=$(json_get "[h for c in r['clients'] for h in c['regions'] if h['export']=='keep']" "$clients_before")
json_ok "[e['generation'] for e in r['exports'] if e['name']=='keep']==[1]" "$before" "keep is generation 1"

cat >"$EXPORTS" <<EOT
set allow-non-dax yes
# gone is gone, chg turns rw, new is new, keep is the same (moved and commented)
new  "$WORK/new.img"
chg  "$WORK/chg.img"  rw
keep "$WORK/keep.img"   # unchanged
EOT
kill -HUP "$DPID"
wait_for "$WORK/watch-gone.log" '^revoked export=gone generation=1 reason=admin' 10 "watch gone after the reload"
say "ok: the removed export was revoked with reason admin"
wait_for "$WORK/watch-chg.log" '^revoked export=chg generation=1 reason=admin' 10 "watch chg after the reload"
say "ok: the changed export was revoked with reason admin"
wait_for "$WORK/d.log" 'export gone: unexported' 10 "daxmrd log"
wait_for "$WORK/d.log" 'export chg: unexported' 10 "daxmrd log"
wait_for "$WORK/d.log" 'reload: 1 added, 1 removed, 1 changed, 1 unchanged' 10 "daxmrd log"
say "ok: daxmrd says: $(grep -o 'reload: 1 added.*' "$WORK/d.log")"
grep -q '^revoked' "$WORK/watch-keep.log" && fail "the unchanged export was revoked: $(cat "$WORK/watch-keep.log")"
say "ok: the unchanged export's holder saw nothing"

ctl_ok --json exports
after=$OUT
json_ok "sorted(e['name'] for e in r['exports'])==['chg','keep','new']" "$after" "exports are chg, keep, new"
json_ok "[(e['generation'],e['state']) for e in r['exports'] if e['name']=='keep']==[(1,'available')]" \
	"$after" "keep is still generation 1, available"
json_ok "[(e['access'],e['state'],e['generation']) for e in r['exports'] if e['name']=='chg']==[('rw','available',1)]" \
	"$after" "chg is back, rw, a new export (generation 1)"
ctl_ok --json clients
clients_after=$OUT
keep_regions_after=$(json_get "[h for c in r['clients'] for h in c['regions'] if h['export']=='keep']" "$clients_after")
[ "$keep_regions_after" = "$keep_regions_before" ] ||
	fail "keep's holder's regions changed: $keep_regions_before -> $keep_regions_after"
say "ok: keep's holder keeps its region and key: $keep_regions_after"
"$DAXMR" -s "$SERVER" get new --length 16 -o "$WORK/new.head" || fail "get new failed"
head -c 16 "$WORK/new.orig" | cmp -s - "$WORK/new.head" ||
	fail "new reads other bytes: $(od -An -tx1 "$WORK/new.head" | head -n1) (a $(stat -c %s "$WORK/new.head")-byte read)"
say "ok: the added export reads back"
"$DAXMR" -s "$SERVER" get keep --length 16 -o "$WORK/keep.head" || fail "get keep failed"
"$DAXMR" -s "$SERVER" get gone --length 1 -o /dev/null 2>/dev/null && fail "the removed export is still readable"
say "ok: the removed export is gone for clients"

# a file with an error: daxmrctl reload says where, SIGHUP logs it, and nothing changes
printf 'keep "%s"\nnew %s rw,bogus\n' "$WORK/keep.img" "$WORK/new.img" >"$EXPORTS"
ctl reload
out=$OUT
[ "$CTL_RC" = 1 ] || fail "reload of a bad file exited $CTL_RC: $out"
grep -q "$EXPORTS:2:.*unknown option 'bogus'" <<<"$out" || fail "reload does not name FILE:LINE:COL: $out"
say "ok: daxmrctl reload: $out"
kill -HUP "$DPID"
wait_for "$WORK/d.log" "reload refused, nothing changed: $EXPORTS:2:" 10 "daxmrd log after SIGHUP"
ctl_ok --json exports
same=$OUT
json_ok "sorted((e['name'],e['generation']) for e in r['exports'])==[('chg',1),('keep',1),('new',1)]" \
	"$same" "a bad file changed nothing"

# back to a good file: daxmrctl reload reports the counts
printf 'set allow-non-dax yes\nkeep "%s"\nnew "%s"\nchg "%s" rw\n' "$WORK/keep.img" "$WORK/new.img" "$WORK/chg.img" >"$EXPORTS"
ctl_ok reload
out=$OUT
[ "$out" = "reloaded: 0 added, 0 removed, 0 changed, 3 unchanged" ] || fail "reload said: $out"
say "ok: daxmrctl reload: $out"
grep -q '^revoked' "$WORK/watch-keep.log" && fail "keep was revoked at some point"
stop_daxmrd TERM
say "PASS"
