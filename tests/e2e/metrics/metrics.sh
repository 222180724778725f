#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# metrics.sh -- daxmrd --metrics on a real RDMA device: a put (FLUSH), a lease break under a
# holder that acks and one under a holder that never does, an export that cannot come up (a
# hole); scrapes that promtool checks and whose samples say what happened, and a real
# Prometheus scraping daxmrd: its API answers up == 1 and the daxmr series with the same values.
. "$(dirname "$0")/../service/lib.sh"

command -v promtool >/dev/null || fail "no promtool: scripts/deps.sh metrics"
command -v prometheus >/dev/null || fail "no prometheus: scripts/deps.sh metrics"
command -v curl >/dev/null || fail "no curl"

echo 45 >/proc/sys/fs/lease-break-time
f=$WORK/t.img
random_file "$f" $((4 << 20))
# all hole, on XFS (tmpfs has no block map to check): never establishes
findmnt -no OPTIONS --target "$DAX_DIR" 2>/dev/null | grep -q dax || skip "$DAX_DIR is not an fs-DAX mount"
hole=$DAX_DIR/daxmr-e2e-metrics-hole.$$
remove_on_exit "$hole"
xfs_io -f -c "truncate 4m" "$hole" >/dev/null
MPORT=$((40000 + RANDOM % 10000))
start_daxmrd d --allow-non-dax --export "t=$f" --export "hole=$hole" \
	--metrics "127.0.0.1:$MPORT"
expect_log d "metrics on http://127.0.0.1:$MPORT/metrics" "daxmrd serves metrics"

scrape() { curl -sf "http://127.0.0.1:$MPORT/metrics" >"$WORK/$1.prom" || fail "scrape $1 failed"; }
# sample FILE SERIES: the value of one exact series in a scrape (empty if absent).
sample() { awk -v s="$2" '$1 == s { print $2 }' "$WORK/$1.prom"; }
expect_sample() {
	local v
	v=$(sample "$1" "$2")
	[ "$v" = "$3" ] || fail "scrape $1: $2 is '${v:-absent}', expected $3"
	say "ok: scrape $1: $2 $3"
}

scrape before
promtool check metrics <"$WORK/before.prom" || fail "promtool check metrics rejects the scrape"
say "ok: promtool check metrics accepts a scrape"
expect_sample before 'daxmr_exports{state="available"}' 1
expect_sample before 'daxmr_exports{state="unavailable"}' 1
expect_sample before 'daxmr_revocations_total{reason="lease-break"}' 0
grep -Eq '^daxmr_registration_failures_total\{cause="E[A-Z]+"\} [1-9]' "$WORK/before.prom" ||
	fail "no registration failure counted for the export with a hole"
say "ok: $(grep '^daxmr_registration_failures_total' "$WORK/before.prom" | head -n1)"
grep -q '^daxmr_build_info{version="[0-9.]*"} 1$' "$WORK/before.prom" || fail "no build info"

# A put flushes what it wrote: the bytes show up in the FLUSH counter.
random_file "$WORK/in" 12345
"$DAXMR" -s "$SERVER" put t --offset 100 -i "$WORK/in" || fail "put failed"

# A holder through a lease break: one revocation (lease-break) with one holder that acks.
"$DAXMR_HOLDER" "$SERVER" t BREAKER1 >"$WORK/holder.log" 2>&1 &
HPID=$!
BACKGROUND+=("$HPID")
wait_for "$WORK/holder.log" '^holding export=t generation=1$' 10 "holder"
scrape held
expect_sample held daxmr_clients 1
python3 - "$f" <<'PY' || fail "lease breaker failed"
import os, sys
fd = os.open(sys.argv[1], os.O_RDWR)  # blocks until daxmrd released its lease
os.pwrite(fd, b"BREAKER1", 0)
os.close(fd)
PY
wait_exit "$HPID" 40 "holder"
[ "$RC" = 0 ] || fail "holder exited $RC: $(tail -n1 "$WORK/holder.log")"
wait_for "$WORK/d.log" 'export t: path .* generation 2' 20 "t back as generation 2"

scrape after
promtool check metrics <"$WORK/after.prom" || fail "promtool check metrics rejects the second scrape"
grep -E '^daxmr_(exports|clients|revocations_total|revocation_(duration|ack_wait)_seconds_(sum|count)|flushed_bytes_total|registration_failures_total)' \
	"$WORK/after.prom" | sed "s/^/$TEST:   /"
expect_sample after 'daxmr_revocations_total{reason="lease-break"}' 1
expect_sample after daxmr_revocation_duration_seconds_count 1
expect_sample after daxmr_revocation_ack_wait_seconds_count 1
expect_sample after 'daxmr_revocation_duration_seconds_bucket{le="+Inf"}' 1
expect_sample after daxmr_revocation_deadline_misses_total 0
expect_sample after 'daxmr_exports{state="available"}' 1
flushed=$(sample after daxmr_flushed_bytes_total)
[ "${flushed:-0}" -ge 12345 ] || fail "daxmr_flushed_bytes_total is '${flushed:-absent}', expected >= 12345"
say "ok: daxmr_flushed_bytes_total $flushed (at least the put's 12345 bytes)"
# the revocation's latency in the histogram agrees with daxmrd's log line within a millisecond
logged=$(grep -oE 'revoked export t generation 1: .* released [0-9.]+ ms' "$WORK/d.log" | grep -oE '[0-9.]+ ms$' | cut -d' ' -f1)
summed=$(sample after daxmr_revocation_duration_seconds_sum)
python3 -c "import sys; a=float(sys.argv[1]); b=float(sys.argv[2])*1000; sys.exit(abs(a-b) > 1)" \
	"$logged" "$summed" || fail "histogram sum ${summed}s differs from the log's ${logged} ms"
say "ok: revocation latency ${summed}s, as the log says (${logged} ms)"

# A holder that never acknowledges (daxmr watch --ignore-revoke): the ack budget releases, the
# log names the client and the export, and the scrape counts the expiry.
"$DAXMR" -s "$SERVER" watch t --ignore-revoke >"$WORK/watch.log" 2>&1 &
BACKGROUND+=("$!")
wait_for "$WORK/watch.log" '^opened export=t generation=2( |$)' 10 "watch --ignore-revoke"
python3 -c 'import os, sys; os.close(os.open(sys.argv[1], os.O_RDWR))' "$f" || fail "second lease breaker failed"
wait_for "$WORK/d.log" 'export t: path .* generation 3' 20 "t back as generation 3"
expect_log d 'connection .*: holder of t generation 2 did not answer REVOKE: the REVOKE was delivered, no REVOKE_ACK came; fenced' \
	"the log names the connection that did not acknowledge"
scrape budget
expect_sample budget 'daxmr_revocations_total{reason="lease-break"}' 2
expect_sample budget daxmr_revocation_ack_budget_expiries_total 1
expect_sample budget daxmr_revocation_ack_wait_seconds_count 2
expect_sample budget daxmr_revocation_deadline_misses_total 0

# A real Prometheus scraping daxmrd each second.
PPORT=$((MPORT + 1))
cat >"$WORK/prometheus.yml" <<YML
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: daxmrd
    static_configs:
      - targets: ['127.0.0.1:$MPORT']
YML
promtool check config "$WORK/prometheus.yml" >/dev/null || fail "promtool rejects the test's own config"
prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/tsdb" \
	--web.listen-address="127.0.0.1:$PPORT" >"$WORK/prometheus.log" 2>&1 &
BACKGROUND+=("$!")
# query EXPR: the first result's value from Prometheus' HTTP API, or nothing.
query() {
	curl -sf --get "http://127.0.0.1:$PPORT/api/v1/query" --data-urlencode "query=$1" 2>/dev/null |
		python3 -c 'import json, sys
r = json.load(sys.stdin)["data"]["result"]
print(r[0]["value"][1] if r else "")' 2>/dev/null || true
}
up=
for _ in $(seq 120); do
	up=$(query 'up{job="daxmrd"}')
	[ "$up" = 1 ] && break
	sleep 0.5
done
[ "$up" = 1 ] || fail "Prometheus does not see daxmrd up within 60 s (up='${up:-none}')"
say "ok: Prometheus: up{job=\"daxmrd\"} 1"
v=$(query 'daxmr_revocations_total{job="daxmrd",reason="lease-break"}')
[ "$v" = 2 ] || fail "Prometheus: daxmr_revocations_total{reason=\"lease-break\"} is '${v:-absent}', expected 2"
say "ok: Prometheus: daxmr_revocations_total{reason=\"lease-break\"} 2"
v=$(query 'sum(daxmr_exports{job="daxmrd"})')
[ "$v" = 2 ] || fail "Prometheus: sum(daxmr_exports) is '${v:-absent}', expected 2"
say "ok: Prometheus: sum(daxmr_exports) 2"

stop_daxmrd TERM
say "PASS"
