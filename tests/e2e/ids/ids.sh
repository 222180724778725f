#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# ids.sh -- identities end to end: a keys directory with tenant-a's and tenant-b's keys, an export
# for each (identity=), one for both and the anonymous secret. A client holding A's key neither
# sees (LIST) nor opens (OPEN) B's export; a wrong key and an unknown identity are refused alike;
# the N+1th connection from one address is rejected with its reason; withdrawing A's key by a
# reload cuts A's connections at once while B's watch, B's puts and B's data (checked through the
# file) are untouched, and adding a key disturbs nobody; the old single --secret-file setup works.
. "$(dirname "$0")/../service/lib.sh"
: "${DAXMRCTL:?DAXMRCTL must name the daxmrctl binary}"

random_file "$WORK/a.img" $((1 << 20))
random_file "$WORK/b.img" $((1 << 20))
random_file "$WORK/p.img" $((1 << 20))
cp "$WORK/b.img" "$WORK/b.want"
cp "$WORK/a.img" "$WORK/a.want"
K=$WORK/keys
(umask 077 && mkdir "$K" && head -c 32 /dev/urandom >"$K/tenant-a" &&
	head -c 32 /dev/urandom >"$K/tenant-b" && head -c 32 /dev/urandom >"$WORK/anon" &&
	cp "$K/tenant-a" "$WORK/key-a" && cp "$K/tenant-b" "$WORK/key-b" &&
	head -c 32 /dev/urandom >"$WORK/key-c")

# run_tool OUT ARGS...: RC, $WORK/OUT.out and $WORK/OUT.err.
run_tool() {
	local out=$1
	shift
	RC=0
	"$DAXMR" -s "$SERVER" "$@" >"$WORK/$out.out" 2>"$WORK/$out.err" || RC=$?
}
# as_a/as_b OUT ARGS...: the tool as tenant A or B.
as_a() { run_tool "$1" -k "$WORK/key-a" -I tenant-a "${@:2}"; }
as_b() { run_tool "$1" -k "$WORK/key-b" -I tenant-b "${@:2}"; }
ctl() { "$DAXMRCTL" -s "$WORK/ctl.sock" "$@"; }

LIMIT=3
start_daxmrd d --allow-non-dax --keys-dir "$K" --secret-file "$WORK/anon" \
	--max-conns-per-addr "$LIMIT" --ctl-socket "$WORK/ctl.sock" \
	--export "ea=$WORK/a.img,identity=tenant-a" --export "eb=$WORK/b.img,identity=tenant-b" \
	--export "both=$WORK/p.img,identity=tenant-a+tenant-b"
expect_log d "clients must authenticate as one of 2 identities, or anonymously" \
	"daxmrd names its identities"

# ---- A neither sees nor opens B's export ---------------------------------------------------
as_a lsa -v ls
[ "$RC" = 0 ] || fail "ls as tenant-a failed (exit $RC): $(cat "$WORK/lsa.err")"
grep -Eq '^ea[[:space:]]' "$WORK/lsa.out" || fail "tenant-a does not see ea"
grep -Eq '^both[[:space:]]' "$WORK/lsa.out" || fail "tenant-a does not see both"
grep -Eq '^eb[[:space:]]' "$WORK/lsa.out" && fail "tenant-a sees tenant-b's export eb"
grep -q "authenticated to .* as identity tenant-a, and it to us" "$WORK/lsa.err" ||
	fail "the client does not report its identity: $(cat "$WORK/lsa.err")"
expect_log d "authenticated as identity tenant-a" "daxmrd logs the identity"
say "ok: tenant-a's LIST shows ea and both, omits eb"
as_a geta get eb --length 4096 -o "$WORK/eb.stolen"
[ "$RC" = 5 ] || fail "get eb as tenant-a: exit $RC, want 5 (access denied): $(cat "$WORK/geta.err")"
expect_log d "OPEN eb denied: identity tenant-a is not on the export's identity list" \
	"OPEN of eb by tenant-a denied, logged with the reason"
as_b lsb ls
grep -Eq '^eb[[:space:]]' "$WORK/lsb.out" || fail "tenant-b does not see eb"
grep -Eq '^ea[[:space:]]' "$WORK/lsb.out" && fail "tenant-b sees tenant-a's export ea"
say "ok: tenant-a's OPEN of eb is denied; tenant-b sees eb, not ea"

# ---- wrong key, unknown identity, anonymous, no identity for an old setup --------------------
run_tool wrong -k "$WORK/key-b" -I tenant-a ls
[ "$RC" = 5 ] || fail "tenant-a with B's key: exit $RC, want 5: $(cat "$WORK/wrong.err")"
run_tool unknown -k "$WORK/key-c" -I tenant-c ls
[ "$RC" = 5 ] || fail "unknown identity tenant-c: exit $RC, want 5: $(cat "$WORK/unknown.err")"
grep -q "server says ACCESS_DENIED" "$WORK/wrong.err" || fail "wrong key: not explained"
grep -q "server says ACCESS_DENIED" "$WORK/unknown.err" || fail "unknown identity: not explained"
expect_log d "AUTH failed: the client's proof does not match our secret of identity tenant-a" \
	"daxmrd logs the wrong key as such"
expect_log d "AUTH failed: identity 'tenant-c' is an identity daxmrd has no key for" \
	"daxmrd logs the unknown identity as such"
say "ok: a wrong key and an unknown identity get the same ACCESS_DENIED; the log tells them apart"
run_tool anon -k "$WORK/anon" ls
[ "$RC" = 0 ] || fail "the anonymous secret failed (exit $RC): $(cat "$WORK/anon.err")"
grep -Eq '^(ea|eb|both)[[:space:]]' "$WORK/anon.out" && fail "the anonymous identity sees an identity-listed export"
say "ok: the anonymous secret authenticates and sees no identity-listed export"

# ---- B writes; A and B hold their exports ---------------------------------------------------
random_file "$WORK/b.put1" 65536
as_b put1 put eb --offset 4096 -i "$WORK/b.put1"
[ "$RC" = 0 ] || fail "put to eb as tenant-b failed (exit $RC): $(cat "$WORK/put1.err")"
dd if="$WORK/b.put1" of="$WORK/b.want" bs=4096 seek=1 conv=notrunc status=none
"$DAXMR" -s "$SERVER" -k "$WORK/key-a" -I tenant-a watch ea >"$WORK/wa.log" 2>&1 &
WA=$!
BACKGROUND+=("$WA")
"$DAXMR" -s "$SERVER" -k "$WORK/key-b" -I tenant-b watch eb >"$WORK/wb.log" 2>&1 &
WB=$!
BACKGROUND+=("$WB")
wait_for "$WORK/wa.log" '^opened export=ea generation=1( |$)' 15 "tenant-a's watch"
wait_for "$WORK/wb.log" '^opened export=eb generation=1( |$)' 15 "tenant-b's watch"
ctl clients >"$WORK/clients1.txt" || fail "daxmrctl clients failed"
grep -Eq 'tenant-a +[0-9]' "$WORK/clients1.txt" || fail "daxmrctl clients does not show tenant-a: $(cat "$WORK/clients1.txt")"
grep -Eq 'tenant-b +[0-9]' "$WORK/clients1.txt" || fail "daxmrctl clients does not show tenant-b"
say "ok: daxmrctl clients shows both identities"

# ---- the connection limit: the N+1th connection from this address is rejected -------------------
"$DAXMR" -s "$SERVER" -k "$WORK/key-a" -I tenant-a watch both >"$WORK/w3.log" 2>&1 &
W3=$!
BACKGROUND+=("$W3")
wait_for "$WORK/w3.log" '^opened export=both generation=1( |$)' 15 "the third watch"
as_b over ls
[ "$RC" != 0 ] || fail "connection $((LIMIT + 1)) from one address was accepted (limit $LIMIT)"
grep -q "daxmrd says why: this address has $LIMIT connections, the most daxmrd allows" "$WORK/over.err" ||
	fail "the rejected client does not print the reason: $(cat "$WORK/over.err")"
expect_log d "rejected \(BUSY\): this address has $LIMIT connections" "daxmrd logs the limit's reject"
say "ok: connection $((LIMIT + 1)) rejected BUSY: $(grep -m1 'says why' "$WORK/over.err" | sed 's/.*says why: //')"
kill -INT "$W3"
wait_exit "$W3" 10 "the third watch"
for _ in $(seq 50); do
	as_b lsb2 ls
	[ "$RC" = 0 ] && break
	sleep 0.2
done
[ "$RC" = 0 ] || fail "below the limit again, ls as tenant-b still fails: $(cat "$WORK/lsb2.err")"
say "ok: below the limit again, a new connection is accepted"

# ---- adding a key by reload disturbs nobody; withdrawing A's cuts A at once --------------------
(umask 077 && cp "$WORK/key-c" "$K/tenant-c")
ctl reload >"$WORK/reload1.txt" 2>&1 || fail "daxmrctl reload failed: $(cat "$WORK/reload1.txt")"
expect_log d "reload: 3 identities in force, 0 connections of withdrawn or changed ones cut" \
	"a reload adding tenant-c cuts nobody"
run_tool c -k "$WORK/key-c" -I tenant-c ls
[ "$RC" = 0 ] || fail "tenant-c, added by reload, cannot connect: $(cat "$WORK/c.err")"
kill -0 "$WA" 2>/dev/null || fail "tenant-a's watch ended at a reload that only added a key"
kill -0 "$WB" 2>/dev/null || fail "tenant-b's watch ended at a reload that only added a key"
say "ok: tenant-c added by reload works; the watches are untouched"

rm "$K/tenant-a"
t0=$(now_ms)
kill -HUP "$DPID"
wait_exit "$WA" 10 "tenant-a's watch after its key was withdrawn"
t1=$(now_ms)
[ "$RC" != 0 ] || fail "tenant-a's watch exited 0 after its key was withdrawn"
expect_log d "identity tenant-a was withdrawn: disconnecting it, its keys invalidated now" \
	"daxmrd cuts tenant-a's connection at the reload"
expect_log d "reload: 2 identities in force, 1 connections of withdrawn or changed ones cut" \
	"the reload cut exactly one connection"
say "ok: tenant-a's watch ended $((t1 - t0)) ms after the reload: $(tail -n1 "$WORK/wa.log")"
kill -0 "$WB" 2>/dev/null || fail "tenant-b's watch ended when tenant-a's key was withdrawn"
grep -Eq '^(revoked|available)' "$WORK/wb.log" && fail "tenant-b's watch saw a revocation: $(cat "$WORK/wb.log")"
ctl clients >"$WORK/clients2.txt" || fail "daxmrctl clients failed"
grep -q 'tenant-a' "$WORK/clients2.txt" && fail "a tenant-a connection is left: $(cat "$WORK/clients2.txt")"
grep -Eq 'tenant-b +[0-9]' "$WORK/clients2.txt" || fail "tenant-b's connection is gone"
as_a gone ls
[ "$RC" = 5 ] || fail "tenant-a connects after its key was withdrawn (exit $RC)"
say "ok: tenant-a is refused from now on; tenant-b's connection and descriptor are untouched"
random_file "$WORK/b.put2" 65536
as_b put2 put eb --offset 131072 -i "$WORK/b.put2"
[ "$RC" = 0 ] || fail "put to eb as tenant-b after the withdrawal failed: $(cat "$WORK/put2.err")"
dd if="$WORK/b.put2" of="$WORK/b.want" bs=4096 seek=32 conv=notrunc status=none
as_b get2 get eb --offset 0 --length $((1 << 20)) -o "$WORK/b.back"
[ "$RC" = 0 ] || fail "get eb as tenant-b failed: $(cat "$WORK/get2.err")"
same_bytes "$WORK/b.want" "$WORK/b.back" "tenant-b reads back over RDMA what it wrote"
kill -INT "$WB"
wait_exit "$WB" 10 "tenant-b's watch"
stop_daxmrd TERM
# through the files, with daxmrd gone: B's writes landed, A's export is as it was
same_bytes "$WORK/b.want" "$WORK/b.img" "eb's file holds tenant-b's writes (checked through the file)"
same_bytes "$WORK/a.want" "$WORK/a.img" "ea's file is unchanged"

# ---- the old single-secret setup: one anonymous identity --------------------------------------
start_daxmrd s --allow-non-dax --secret-file "$WORK/anon" --export "pc=$WORK/p.img"
run_tool old -k "$WORK/anon" -v get pc --length 65536 -o "$WORK/pc.back"
[ "$RC" = 0 ] || fail "the single-secret setup failed (exit $RC): $(cat "$WORK/old.err")"
head -c 65536 "$WORK/p.img" | cmp -s - "$WORK/pc.back" || fail "get pc returned other bytes"
grep -q "authenticated to .* as identity anonymous, and it to us" "$WORK/old.err" ||
	fail "the single-secret client does not say it is anonymous: $(cat "$WORK/old.err")"
run_tool named -k "$WORK/anon" -I tenant-a ls
[ "$RC" = 5 ] || fail "an identity against a server without identities: exit $RC, want 5"
say "ok: --secret-file alone works as the anonymous identity; a named identity is refused there"
stop_daxmrd TERM
say "PASS"
