#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# hostile.sh -- one daxmrd, a well-behaved `daxmr watch` connected throughout, and a raw client
# (daxmr-e2e-hostile) that sends it malformed, truncated, oversized, wrong-version,
# unknown-opcode, wrong-direction and out-of-order messages, hostile connect private data,
# floods, churn, path-like export names, and misuses keys (another connection's, a ro OPEN's,
# a revoked one). Each case checks the answer it gets (status, ERROR, disconnect, completion
# status); after each, daxmrd must be alive and answer a fresh `daxmr ls`, and the watch must
# still be running without an error line. At the end ls and get still work, and SIGTERM exits 0
# (under ASan: no leak and no error report).
# A second daxmrd with --secret-file gets the attacks on authentication (version 1 only, requests
# before AUTH, AUTH out of place, wrong, replayed, reflected and malformed proofs); after each
# case it must be alive and serve `daxmr -k SECRET ls`. A third, whose only export admits no
# address of ours, must reject the connect ACCESS_DENIED. A fourth, with identities (--keys-dir),
# gets version-3 connects, unknown identities, proofs replayed or reflected across identities and
# identity switching mid-connection; after each it must serve `daxmr -k A -I tenant-a ls`.
# shellcheck source=../service/lib.sh
. "$(dirname "$0")/../service/lib.sh"
: "${DAXMR_HOSTILE:?DAXMR_HOSTILE must name the daxmr-e2e-hostile binary}"

echo 45 >/proc/sys/fs/lease-break-time
for e in w x t ro; do random_file "$WORK/$e.img" $((1 << 20)); done
cp "$WORK/w.img" "$WORK/w.orig" # reading w itself later would break daxmrd's lease

# --odp-check=warn: where rxe cannot pin the read-only tmpfs mapping it falls back to ODP, whose
# misplaced writes (KERNEL-FACTS.md) do not matter to an export nobody may write
start_daxmrd d --allow-non-dax --odp-check=warn --export "w=$WORK/w.img" --export "x=$WORK/x.img" \
	--export "t=$WORK/t.img" --export "ro=$WORK/ro.img,ro"
"$DAXMR" -s "$SERVER" watch w >"$WORK/watch.log" 2>&1 &
WPID=$!
BACKGROUND+=("$WPID")
wait_for "$WORK/watch.log" '^opened export=w generation=1( |$)' 10 "watch"
say "ok: the well-behaved client watches w"
"$DAXMR" -s "$SERVER" ls >"$WORK/ls.out" || fail "daxmr ls failed"
# rxe before Linux 6.15 pins no read-only mapping: there the ro export is refused (roundtrip.sh)
ro_export=0
grep -Eq '^ro[[:space:]]' "$WORK/ls.out" && ro_export=1

# watch_clean WHEN: the watch runs and printed nothing but its opened line and tool info.
watch_clean() {
	kill -0 "$WPID" 2>/dev/null || fail "the watching client exited ($1)"
	if grep -Ev '^opened export=w generation=1( |$)|^daxmr: watch w: (ro|rw), ' "$WORK/watch.log" |
		grep -q .; then
		fail "the watching client printed ($1): $(grep -Ev '^opened ' "$WORK/watch.log" | head -n3)"
	fi
}

# alive CASE: daxmrd still runs and answers a fresh client; the watch is untouched.
alive() {
	kill -0 "$DPID" 2>/dev/null || fail "daxmrd died after case $1"
	timeout 30 "$DAXMR" -s "$SERVER" ls >"$WORK/ls.after" 2>&1 || fail "daxmr ls failed after case $1: $(cat "$WORK/ls.after")"
	grep -Eq '^w[[:space:]]' "$WORK/ls.after" || fail "ls after case $1 does not list w"
	watch_clean "after case $1"
}

N=0
FAILED=()
# run_case LOG SERVER ALIVE CASE ARGS...: one case of the raw client against the daxmrd at
# SERVER logging to $WORK/LOG.log; its exit status is the verdict on the answers. A failed case
# is recorded and the next one runs; the test fails at the end, listing them. A line "server log
# must say: TEXT" from the case is checked against daxmrd's log of the case. ALIVE CASE runs last.
run_case() {
	local log=$WORK/$1.log server=$2 alive_fn=$3 rc=0 from want
	shift 3
	N=$((N + 1))
	from=$(wc -l <"$log")
	timeout 120 "$DAXMR_HOSTILE" "$server" "$@" >"$WORK/case.out" 2>&1 || rc=$?
	sed 's/^/    /' "$WORK/case.out"
	tail -n +"$((from + 1))" "$log" >"$WORK/case-daxmrd.txt"
	if [ "$rc" != 0 ]; then
		say "daxmrd's log during case $1:"
		sed 's/^/    /' "$WORK/case-daxmrd.txt"
	fi
	want=$(sed -n 's/^case [^:]*: server log must say: //p' "$WORK/case.out")
	if [ "$rc" = 124 ]; then
		FAILED+=("$1 (hung: killed after 120 s)")
	elif [ "$rc" != 0 ]; then
		FAILED+=("$1 (exit $rc: $(grep -m1 'FAIL: ' "$WORK/case.out" | sed 's/.*FAIL: //'))")
	elif [ -n "$want" ] && ! grep -qF -- "$want" "$WORK/case-daxmrd.txt"; then
		FAILED+=("$1 (daxmrd's log does not say '$want')")
	else
		say "ok: case $1"
	fi
	[ "$rc" = 0 ] || say "FAILED: case $1 (going on with the next case)"
	"$alive_fn" "$1" # a dead daxmrd or a disturbed watch ends the test at once
}
# hcase CASE ARGS...: one case against the first daxmrd (no secret), which the watch uses.
hcase() { run_case d "$SERVER" alive "$@"; }

t0=$(now_ms)
for c in bad-magic bad-magic-first bad-version version-zero unknown-opcode opcode-zero \
	auth-opcode truncated truncated-first length-over length-max length-huge trailing \
	zero-length zero-length-first bad-flags request-status bad-status client-revoke \
	client-available client-error client-reply revoke-ack-reply bad-revoke-ack \
	oversized-send trailing-payload before-hello second-hello auth-opcode-last auth-opcode-v1 \
	keys-opcode-v2 auth-no-secret; do
	hcase "$c"
done
hcase unsolicited-ack x
# No paths ever come from the wire: names that are paths (even of the exported files) are no
# export; names with NUL, control, space or non-ASCII bytes are malformed.
hcase open-names ../etc/passwd /etc/passwd /dev/dax1.0 /dev/pmem0 "$WORK/w.img" ./w w/ \
	w/../w .. W "w.img" "$(basename "$WORK")/w.img"
if [ "$ro_export" = 1 ]; then
	hcase open-ro-rw ro
else
	say "note: this kernel refuses the ro export (no read-only pinning): open-ro-rw not run"
	expect_log d "export ro .*(refuses to pin|refused)" "the ro export is refused, saying why"
fi
hcase keys x
hcase flood 64
hcase flood-starve 64
for k in none short garbage bad-magic version-high version-zero version-inverted long; do
	hcase cm "$k"
done
hcase no-hello 2000
hcase churn 50
hcase key-cross x
hcase ro-key x
[ "$ro_export" = 1 ] && hcase ro-key ro

# A raw client holds t and ignores the REVOKE; once the lease breaker's open returned (daxmrd
# released t), its RDMA READ with the revoked key must fail with a remote access error.
"$DAXMR_HOSTILE" "$SERVER" revoked-key t "$WORK/go" >"$WORK/revoked.log" 2>&1 &
HPID=$!
BACKGROUND+=("$HPID")
wait_for "$WORK/revoked.log" '^case revoked-key: holding export=t generation=1$' 20 "revoked-key"
ms=$(python3 -c 'import os, sys, time
t0 = time.monotonic(); fd = os.open(sys.argv[1], os.O_RDWR); dt = time.monotonic() - t0
os.close(fd); print(int(dt * 1000))' "$WORK/t.img") || fail "lease breaker failed"
say "lease breaker's open(O_RDWR) of t returned after $ms ms (client never acked)"
[ "$ms" -lt 10000 ] || fail "daxmrd kept t $ms ms past a lease break (lease-break-time 45 s)"
wait_for "$WORK/revoked.log" '^case revoked-key: revoked generation=1' 5 "revoked-key"
touch "$WORK/go"
rc=0
wait "$HPID" || rc=$?
sed 's/^/    /' "$WORK/revoked.log"
N=$((N + 1))
if [ "$rc" = 0 ]; then say "ok: case revoked-key"; else FAILED+=("revoked-key (exit $rc)"); fi
alive revoked-key

# ---- a second daxmrd, whose clients must authenticate ----------------------------------------
(umask 077 && head -c 32 /dev/urandom >"$WORK/secret")
SECRET=$WORK/secret
random_file "$WORK/s.img" $((1 << 20))
random_file "$WORK/walled.img" $((1 << 20))
SERVER1=$SERVER DPID1=$DPID
start_daxmrd s --allow-non-dax --secret-file "$SECRET" --export "s=$WORK/s.img" \
	--export "walled=$WORK/walled.img,allow=192.0.2.0/24"
SERVER2=$SERVER DPID2=$DPID
SERVER=$SERVER1 DPID=$DPID1
expect_log s "clients must authenticate" "the second daxmrd says clients must authenticate"

# alive_as CASE PID SERVER LISTED HIDDEN TOOL-ARGS...: that daxmrd still runs and shows a client
# with TOOL-ARGS (its key, its identity) the export LISTED and not HIDDEN.
alive_as() {
	local case=$1 pid=$2 server=$3 listed=$4 hidden=$5
	shift 5
	kill -0 "$pid" 2>/dev/null || fail "the daxmrd at $server died after case $case"
	timeout 30 "$DAXMR" -s "$server" "$@" ls >"$WORK/ls.as" 2>&1 ||
		fail "daxmr $* ls failed after case $case: $(cat "$WORK/ls.as")"
	grep -Eq "^$listed[[:space:]]" "$WORK/ls.as" || fail "ls ($*) after case $case does not list $listed"
	if grep -Eq "^$hidden[[:space:]]" "$WORK/ls.as"; then
		fail "ls ($*) after case $case lists $hidden, which must be hidden from it"
	fi
}
# alive2 CASE: the second daxmrd still runs and serves a client that knows the secret.
alive2() { alive_as "$1" "$DPID2" "$SERVER2" s walled -k "$SECRET"; }
# scase CASE ARGS...: one case against the daxmrd with a secret.
scase() { run_case s "$SERVER2" alive2 "$@"; }
alive2 start
say "ok: daxmr -k SECRET ls lists s and hides walled"
scase auth-v1-only
scase auth-required "$SECRET" s
for c in auth-before-hello auth-twice auth-wrong-proof auth-replay auth-reflect auth-truncated; do
	scase "$c" "$SECRET"
done
scase auth-good "$SECRET" s walled
scase auth-good-v2 "$SECRET" s walled
DPID=$DPID2 stop_daxmrd TERM
if grep -Eq 'AddressSanitizer|LeakSanitizer|runtime error:' "$WORK/s.log"; then
	fail "sanitizer report in the log of the daxmrd with a secret"
fi

# ---- a fourth daxmrd, with identities tenant-a and tenant-b (version 4 only) --------------------
K=$WORK/keys
(umask 077 && mkdir "$K" && head -c 32 /dev/urandom >"$K/tenant-a" &&
	head -c 32 /dev/urandom >"$K/tenant-b" && cp "$K/tenant-a" "$WORK/key-a" &&
	cp "$K/tenant-b" "$WORK/key-b")
random_file "$WORK/ia.img" $((1 << 20))
random_file "$WORK/ib.img" $((1 << 20))
start_daxmrd i --allow-non-dax --keys-dir "$K" --max-handshakes-per-addr 3 \
	--export "ia=$WORK/ia.img,identity=tenant-a" --export "ib=$WORK/ib.img,identity=tenant-b"
SERVER4=$SERVER DPID4=$DPID
SERVER=$SERVER1 DPID=$DPID1
# alive4 CASE: the daxmrd with identities still runs and serves tenant-a its export only.
alive4() { alive_as "$1" "$DPID4" "$SERVER4" ia ib -k "$WORK/key-a" -I tenant-a; }
icase() { run_case i "$SERVER4" alive4 "$@"; }
alive4 start
icase id-v3-refused
icase id-unknown "$WORK/key-a"
icase id-cross "$WORK/key-a" "$WORK/key-b"
icase id-switch "$WORK/key-a" "$WORK/key-b" ib
icase id-good "$WORK/key-a" ia ib
icase handshake-limit 3
DPID=$DPID4 stop_daxmrd TERM
if grep -Eq 'AddressSanitizer|LeakSanitizer|runtime error:' "$WORK/i.log"; then
	fail "sanitizer report in the log of the daxmrd with identities"
fi

# ---- a third daxmrd, no export of which admits our address: the connect is refused -----------
random_file "$WORK/walled3.img" $((1 << 20))
start_daxmrd a --allow-non-dax --export "walled=$WORK/walled3.img,allow=192.0.2.0/24"
SERVER3=$SERVER DPID3=$DPID
SERVER=$SERVER1 DPID=$DPID1
# alive3 CASE: the third daxmrd still runs and refuses the legitimate tool too (exit 5).
alive3() {
	local rc=0
	kill -0 "$DPID3" 2>/dev/null || fail "the daxmrd with an allowlist died after case $1"
	timeout 30 "$DAXMR" -s "$SERVER3" ls >"$WORK/ls3.after" 2>&1 || rc=$?
	[ "$rc" = 5 ] || fail "daxmr ls of the walled daxmrd: exit $rc, want 5: $(cat "$WORK/ls3.after")"
}
run_case a "$SERVER3" alive3 allow-denied
DPID=$DPID3 stop_daxmrd TERM
if grep -Eq 'AddressSanitizer|LeakSanitizer|runtime error:' "$WORK/a.log"; then
	fail "sanitizer report in the log of the daxmrd with an allowlist"
fi
DPID=$DPID1
say "$N hostile cases in $(($(now_ms) - t0)) ms, ${#FAILED[@]} failed"

# The well-behaved clients: ls and get still work, the watch saw nothing.
"$DAXMR" -s "$SERVER" ls >"$WORK/ls.out" || fail "daxmr ls failed at the end"
for e in w x t; do
	grep -Eq "^${e}[[:space:]]" "$WORK/ls.out" || fail "ls at the end does not list $e"
done
say "ok: ls lists w, x, t"
"$DAXMR" -s "$SERVER" get w --length $((1 << 20)) -o "$WORK/w.back" || fail "get w failed at the end"
same_bytes "$WORK/w.orig" "$WORK/w.back" "get w returns the file's bytes"
watch_clean "at the end"
say "ok: the watching client stayed connected throughout and printed no error"
kill -TERM "$WPID"
wait "$WPID" 2>/dev/null || true
if grep -Eq 'AddressSanitizer|LeakSanitizer|runtime error:' "$WORK/d.log"; then
	fail "sanitizer report in the daxmrd log"
fi
stop_daxmrd TERM
grep -Eq 'AddressSanitizer|LeakSanitizer|runtime error:' "$WORK/d.log" &&
	fail "sanitizer report in the daxmrd log at exit"
if [ "${#FAILED[@]}" -gt 0 ]; then
	for f in "${FAILED[@]}"; do say "FAILED: case $f"; done
	fail "${#FAILED[@]} of $N cases failed (daxmrd and the watching client survived them all)"
fi
say "PASS"
