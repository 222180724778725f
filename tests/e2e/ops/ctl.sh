#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# ctl.sh -- every daxmrctl command, human and --json, against a daxmrd whose exports are held:
# status, exports, clients, revoke, disconnect, reload, run-time export/unexport (the held
# export is not disturbed), the reason an unavailable export is down, and the errors: daxmrd
# not running, permission denied, bad usage.
. "$(dirname "$0")/ops_lib.sh"

ctl status

out=$OUT
[ "$CTL_RC" = 3 ] && grep -q 'daxmrd is not running' <<<"$out" || fail "no daxmrd: exit $CTL_RC: $out"
say "ok: $out"
"$DAXMRCTL" --help | grep -q 'unexport NAME' || fail "--help does not list unexport"
ctl bogus
out=$OUT
[ "$CTL_RC" = 2 ] && grep -q "unknown command 'bogus'" <<<"$out" || fail "bad command: exit $CTL_RC: $out"
ctl revoke
out=$OUT
[ "$CTL_RC" = 2 ] || fail "revoke without a name: exit $CTL_RC"
say "ok: usage errors exit 2"

for n in a b c; do random_file "$WORK/$n.img" $((1 << 20)); done
# what c.img holds, to compare with: reading an exported file itself would break daxmrd's lease
cp "$WORK/c.img" "$WORK/c.orig"
start_daxmrd d --allow-non-dax --export "a=$WORK/a.img" --export "b=$WORK/b.img,$RO" --ctl-socket "$CTL_SOCK"
[ "$(stat -c %a "$CTL_SOCK")" = 660 ] || fail "socket mode $(stat -c %a "$CTL_SOCK"), expected 660"
say "ok: the socket is mode 0660"
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$DAXMRCTL" --socket "$CTL_SOCK" status 2>&1) && fail "nobody may use daxmrctl"
grep -q 'permission denied' <<<"$out" || fail "nobody: $out"
say "ok: nobody: $out"

"$DAXMR" -s "$SERVER" watch a >"$WORK/watch.log" 2>&1 &
WPID=$!
BACKGROUND+=("$WPID")
wait_for "$WORK/watch.log" '^opened export=a generation=1( |$)' 10 "watch a"

ctl_ok status

out=$OUT
grep -Eq "^listen +$SERVER$" <<<"$out" && grep -Eq '^exports +2$' <<<"$out" || fail "status: $out"
say "ok: status (human):"; sed 's/^/    /' <<<"$out"
ctl_ok --json status
js=$OUT
json_ok "r['ok'] and r['listen']=='$SERVER' and r['exports']==2 and r['available']==2 and r['clients']>=1" "$js" "status --json"

ctl_ok exports

out=$OUT
grep -Eq '^a +available +1 +rw +page-cache' <<<"$out" && grep -Eq "^b +available +1 +$RO " <<<"$out" || fail "exports: $out"
say "ok: exports (human):"; sed 's/^/    /' <<<"$out"
ctl_ok --json exports
js=$OUT
json_ok "[(e['name'],e['holders'],e['length'],e['memory']) for e in r['exports']]==[('a',1,1048576,'page-cache'),('b',0,1048576,'page-cache')]" \
	"$js" "exports --json: holders, length, memory"

ctl_ok clients

out=$OUT
grep -Eq "^$ADDR:[0-9]+ " <<<"$out" && grep -Eq '^ +a +g1 +rw +held' <<<"$out" || fail "clients: $out"
say "ok: clients (human):"; sed 's/^/    /' <<<"$out"
ctl_ok --json clients
js=$OUT
json_ok "len(r['clients'])==1 and r['clients'][0]['authenticated']=='not required' and [h['export'] for h in r['clients'][0]['regions']]==['a']" \
	"$js" "clients --json: the holder and its region"
client=$(json_get "r['clients'][0]['address']" "$js")

# run-time export and unexport while a is held
ctl_ok export c "$WORK/c.img" "$RO"
out=$OUT
say "ok: export: $out"
"$DAXMR" -s "$SERVER" get c --length 16 -o "$WORK/c.head" || fail "get c failed"
head -c 16 "$WORK/c.orig" | cmp -s - "$WORK/c.head" ||
	fail "c reads other bytes: $(od -An -tx1 "$WORK/c.head" | head -n1) (a $(stat -c %s "$WORK/c.head")-byte read)"
say "ok: the run-time export reads back"
ctl export c "$WORK/c.img"
out=$OUT
[ "$CTL_RC" = 1 ] && grep -q 'exported already' <<<"$out" || fail "export c twice: exit $CTL_RC: $out"
ctl export d "$WORK/c.img" rw,bogus
out=$OUT
[ "$CTL_RC" = 1 ] && grep -q "daxmrctl export:1:.*unknown option 'bogus'" <<<"$out" || fail "bad option: $out"
ctl export d relative/path
out=$OUT
[ "$CTL_RC" = 1 ] && grep -q "not absolute" <<<"$out" || fail "relative path: $out"
say "ok: bad run-time exports are refused: $out"
# an export that cannot come up says why
ctl_ok --json export gone /nonexistent/file allow-non-dax
ctl_ok --json exports
js=$OUT
json_ok "[(e['state'],'No such file' in e['reason']) for e in r['exports'] if e['name']=='gone']==[('unavailable',True)]" \
	"$js" "an unavailable export says why it is down"
ctl_ok exports
grep -Eq '^gone +unavailable .*No such file or directory' <<<"$OUT" || fail "exports (human) hides the reason: $OUT"
ctl_ok unexport gone
ctl_ok --json unexport c
out=$OUT
json_ok "r['ok']" "$out" "unexport --json"
"$DAXMR" -s "$SERVER" get c --length 1 -o /dev/null 2>/dev/null && fail "c still readable after unexport"
ctl unexport c
out=$OUT
[ "$CTL_RC" = 1 ] && grep -q 'no such export' <<<"$out" || fail "unexport twice: $out"
grep -q '^revoked' "$WORK/watch.log" && fail "the held export was disturbed: $(cat "$WORK/watch.log")"
say "ok: run-time export/unexport left the held export alone"

# revoke: the holder is told (reason admin), the export comes back as generation 2
ctl_ok revoke a
out=$OUT
wait_for "$WORK/watch.log" '^revoked export=a generation=1 reason=admin' 10 "watch after revoke"
wait_for "$WORK/watch.log" '^available export=a generation=2' 15 "watch after revoke"
say "ok: revoke a: the holder saw reason admin and generation 2"
ctl_ok --json exports
js=$OUT
json_ok "[(e['generation'],e['last_revocation']['reason'],e['last_revocation']['holders']) for e in r['exports'] if e['name']=='a']==[(2,'admin',1)]" \
	"$js" "exports --json: the last revocation (reason admin, 1 holder)"
ctl_ok exports
grep -Eq '^a +available +2 .*admin g1 1/1 acked' <<<"$OUT" || fail "exports (human): no last revocation: $OUT"
ctl revoke nope
out=$OUT
[ "$CTL_RC" = 1 ] && grep -q 'no such export' <<<"$out" || fail "revoke nope: $out"

# reload (exports from the command line only): nothing changes
ctl_ok --json reload
js=$OUT
json_ok "r['ok'] and r['unchanged']==2 and r['added']==0" "$js" "reload --json"
ctl_ok reload
out=$OUT
[ "$out" = "reloaded: 0 added, 0 removed, 0 changed, 2 unchanged" ] || fail "reload: $out"

# disconnect the holder by its address
ctl_ok --json disconnect "$client"
js=$OUT
json_ok "r['ok'] and r['disconnected']==1" "$js" "disconnect --json $client"
for _ in $(seq 50); do
	ctl_ok --json clients
	[ "$(json_get "len(r['clients'])" "$OUT")" = 0 ] && break
	sleep 0.1
done
[ "$(json_get "len(r['clients'])" "$OUT")" = 0 ] || fail "the client is still connected: $OUT"
say "ok: the client is gone"
ctl disconnect "$client"
out=$OUT
[ "$CTL_RC" = 1 ] && grep -q 'no such client' <<<"$out" || fail "disconnect twice: $out"
stop_daxmrd TERM
[ -e "$CTL_SOCK" ] && fail "the socket is left after the shutdown"
say "PASS"
