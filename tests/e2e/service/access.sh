#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# access.sh -- access control end to end: per-export address allowlists (LIST hides, OPEN denies,
# connect rejects a client no export admits) and the pre-shared secret's challenge-response (the
# right secret works and the data is right; no secret, a wrong secret, a secret the server does
# not ask for, and a secret file readable by others are each refused with a reason). daxmrd
# stays up through all of it. (That the secret itself never crosses the wire is the protocol's
# design, pinned by the golden vectors of tests/unit/proto: rxe loops a same-host connection back
# inside the driver, so there is no traffic to capture here.)
. "$(dirname "$0")/lib.sh"

exp=$WORK/open.img
random_file "$exp" $((1 << 20))
random_file "$WORK/walled.img" $((1 << 20))
cp "$exp" "$WORK/open.orig"

# What the tool prints when it fails: exit status and stderr, for the checks below.
# run_tool OUT ARGS...: RC and $WORK/OUT.err.
run_tool() {
	local out=$1
	shift
	RC=0
	"$DAXMR" -s "$SERVER" "$@" >"$WORK/$out.out" 2>"$WORK/$out.err" || RC=$?
}

# ---- allowlists -----------------------------------------------------------------------------
# The guest's client reaches daxmrd from $ADDR itself: one export admits that address, one a
# network it is not in (TEST-NET-1), one everybody.
start_daxmrd a --allow-non-dax \
	--export "mine=$exp,allow=$ADDR/32" \
	--export "walled=$WORK/walled.img,allow=192.0.2.0/24,allow=2001:db8::/32" \
	--export "public=$WORK/open.orig"
expect_log a "export walled: only clients from 192.0.2.0/24, 2001:db8::/32" "daxmrd logs the allowlists"
run_tool ls ls
[ "$RC" = 0 ] || fail "ls failed (exit $RC): $(cat "$WORK/ls.err")"
grep -Eq '^mine[[:space:]]' "$WORK/ls.out" || fail "ls does not show 'mine', whose allowlist holds $ADDR"
grep -Eq '^public[[:space:]]' "$WORK/ls.out" || fail "ls does not show 'public' (no allowlist)"
grep -Eq '^walled[[:space:]]' "$WORK/ls.out" && fail "ls shows 'walled' to $ADDR, outside its allowlist"
say "ok: ls shows mine and public, hides walled"
run_tool get get walled --length 4096 -o "$WORK/walled.back"
[ "$RC" = 5 ] || fail "get walled: exit $RC, want 5 (access denied): $(cat "$WORK/get.err")"
expect_log a "OPEN walled denied: the export's allowlist does not hold the client's address" \
	"OPEN of walled denied, logged with the reason"
run_tool get get mine --length 65536 -o "$WORK/mine.back"
[ "$RC" = 0 ] || fail "get mine failed (exit $RC): $(cat "$WORK/get.err")"
head -c 65536 "$exp" | cmp -s - "$WORK/mine.back" || fail "get mine returned other bytes"
say "ok: get mine returns the file's bytes"
stop_daxmrd TERM

# No export admits this client: the connect itself is rejected, and says why.
start_daxmrd r --allow-non-dax --export "walled=$WORK/walled.img,allow=192.0.2.0/24"
run_tool ls ls
[ "$RC" = 5 ] || fail "ls with no export for us: exit $RC, want 5: $(cat "$WORK/ls.err")"
grep -q "no export there admits this client's address" "$WORK/ls.err" ||
	fail "the client does not say why it was rejected: $(cat "$WORK/ls.err")"
expect_log r "rejected \(ACCESS_DENIED\): no export's allowlist holds its address" \
	"connect from an address no export admits rejected ACCESS_DENIED"
kill -0 "$DPID" || fail "daxmrd died"
stop_daxmrd TERM

# A malformed allowlist stops daxmrd before it serves anything, naming the option.
"$DAXMRD" --listen "$ADDR:1" --export "x=$exp,allow=10.0.2.1/24" >"$WORK/bad.log" 2>&1 && RC=0 || RC=$?
[ "$RC" = 2 ] || fail "a bad allow= gave exit $RC, want 2"
grep -q "allow=10.0.2.1/24: host bits set" "$WORK/bad.log" || fail "bad allow= not explained: $(cat "$WORK/bad.log")"
say "ok: allow=10.0.2.1/24 refused at start: $(head -n1 "$WORK/bad.log")"

# ---- the same over IPv6 (rdma_cm hands daxmrd a sockaddr_in6) --------------------------------
# A unique-local address on the RDMA netdev, removed again at exit; rxe adds its GID.
nd=$(cat "/sys/class/infiniband/$RDMA_DEV/ports/1/gid_attrs/ndevs/0")
V6=fd00:da::15
if ip -6 addr add "$V6/64" dev "$nd" nodad 2>"$WORK/ip6.err"; then
	trap 'ip -6 addr del "$V6/64" dev "$nd" 2>/dev/null; cleanup' EXIT
	for _ in $(seq 50); do
		grep -qx 'fd00:00da:0000:0000:0000:0000:0000:0015' /sys/class/infiniband/"$RDMA_DEV"/ports/1/gids/* 2>/dev/null && break
		sleep 0.1
	done
	ADDR4=$ADDR
	ADDR="[$V6]" start_daxmrd v6 --allow-non-dax \
		--export "six=$exp,allow=fd00:da::/64" --export "four=$WORK/walled.img,allow=$ADDR4/32"
	run_tool ls6 ls
	[ "$RC" = 0 ] || fail "ls over IPv6 failed (exit $RC): $(cat "$WORK/ls6.err")"
	grep -Eq '^six[[:space:]]' "$WORK/ls6.out" || fail "ls over IPv6 does not show 'six' (allow=fd00:da::/64)"
	grep -Eq '^four[[:space:]]' "$WORK/ls6.out" && fail "ls over IPv6 shows 'four', admitted for $ADDR4 only"
	run_tool get6 get four --length 4096 -o /dev/null
	[ "$RC" = 5 ] || fail "get four over IPv6: exit $RC, want 5: $(cat "$WORK/get6.err")"
	run_tool get6 get six --length 65536 -o "$WORK/six.back"
	[ "$RC" = 0 ] || fail "get six over IPv6 failed (exit $RC): $(cat "$WORK/get6.err")"
	head -c 65536 "$exp" | cmp -s - "$WORK/six.back" || fail "get six over IPv6 returned other bytes"
	expect_log v6 "connection \[fd00:da::15\]:[0-9]+ .*OPEN four denied" "over IPv6: four denied, the peer logged as [ADDR]:PORT"
	say "ok: over IPv6 ls shows six, hides four; get four denied, get six returns the file's bytes"
	stop_daxmrd TERM
	ADDR=$ADDR4
else
	say "note: cannot add $V6 to $nd ($(cat "$WORK/ip6.err")): the IPv6 part is skipped"
fi

# ---- pre-shared secret -----------------------------------------------------------------------
(umask 077 && head -c 32 /dev/urandom >"$WORK/secret" && cp "$WORK/secret" "$WORK/secret.client" &&
	head -c 32 /dev/urandom >"$WORK/wrong")
start_daxmrd s --allow-non-dax --secret-file "$WORK/secret" --export "pc=$exp"
expect_log s "clients must authenticate" "daxmrd says clients must authenticate"
run_tool good -k "$WORK/secret.client" -v get pc --length 1048576 -o "$WORK/pc.back"
[ "$RC" = 0 ] || fail "get with the right secret failed (exit $RC): $(cat "$WORK/good.err")"
cmp -s "$exp" "$WORK/pc.back" || fail "get with the right secret returned other bytes"
grep -q "authenticated to .*, and it to us" "$WORK/good.err" || fail "the client does not report mutual authentication"
expect_log s "authenticated" "daxmrd logs the client as authenticated"
DAXMR_SECRET_FILE=$WORK/secret.client run_tool env ls
[ "$RC" = 0 ] || fail "ls with DAXMR_SECRET_FILE failed (exit $RC): $(cat "$WORK/env.err")"
say "ok: the right secret (-k FILE or DAXMR_SECRET_FILE) gets the file's bytes, both sides authenticated"

run_tool none ls
[ "$RC" = 5 ] || fail "no secret: exit $RC, want 5: $(cat "$WORK/none.err")"
grep -q "the server requires authentication" "$WORK/none.err" || fail "no secret: not explained: $(cat "$WORK/none.err")"
say "ok: no secret: refused ($(grep -m1 requires "$WORK/none.err"))"

run_tool wrong -k "$WORK/wrong" ls
[ "$RC" = 5 ] || fail "wrong secret: exit $RC, want 5: $(cat "$WORK/wrong.err")"
grep -q "our secret is not the server's" "$WORK/wrong.err" || fail "wrong secret: not explained: $(cat "$WORK/wrong.err")"
expect_log s "AUTH failed: the client's proof does not match our secret" "daxmrd logs the failed AUTH"
say "ok: wrong secret: refused with ACCESS_DENIED"

chmod 644 "$WORK/secret.client"
run_tool mode -k "$WORK/secret.client" ls
[ "$RC" != 0 ] || fail "a secret file readable by others was used"
grep -q "chmod" "$WORK/mode.err" || fail "mode 0644: not explained: $(cat "$WORK/mode.err")"
say "ok: the client refuses a secret file readable by others: $(grep -m1 chmod "$WORK/mode.err")"
chmod 600 "$WORK/secret.client"
kill -0 "$DPID" || fail "daxmrd died during the authentication failures"
run_tool again -k "$WORK/secret.client" get pc --length 4096 -o /dev/null
[ "$RC" = 0 ] || fail "the right secret fails after the failures (exit $RC)"
stop_daxmrd TERM

# A client given a secret refuses a server that does not ask for one (an impostor would not).
start_daxmrd n --allow-non-dax --export "pc=$exp"
run_tool impostor -k "$WORK/secret.client" ls
[ "$RC" = 5 ] || fail "secret vs server without one: exit $RC, want 5: $(cat "$WORK/impostor.err")"
grep -q "did not ask us to authenticate" "$WORK/impostor.err" || fail "not explained: $(cat "$WORK/impostor.err")"
say "ok: a client with a secret refuses a server that does not ask for it"
stop_daxmrd TERM

# daxmrd refuses a secret file others may read, before serving.
chmod 640 "$WORK/secret"
"$DAXMRD" --listen "$ADDR:1" --secret-file "$WORK/secret" --export "x=$exp" >"$WORK/mode.log" 2>&1 && RC=0 || RC=$?
[ "$RC" = 2 ] || fail "daxmrd with a group-readable secret: exit $RC, want 2 (a configuration error)"
grep -q "chmod" "$WORK/mode.log" || fail "not explained: $(cat "$WORK/mode.log")"
say "ok: daxmrd refuses a group-readable secret file: $(head -n1 "$WORK/mode.log")"
say "PASS"
