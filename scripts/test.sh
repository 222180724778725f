#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# test.sh -- install what the tests need, build, run static analysis and the unit tests on the
# host (plain, then under ASan+UBSan), fuzz every decoder and state machine for a fixed time,
# then run the end-to-end tests inside the real-kernel guest (tests/vm): with the kernel's own
# rdma_rxe, and on the newer kernel also with the fixed one (scripts/rxe-module.sh). Exits
# non-zero on any failure.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD

usage() {
	cat <<'USAGE'
Usage: scripts/test.sh [--kernel new|6.1|both] [--unit-only] [--e2e-only] [--quick]

  --kernel K   guest kernel(s) for the e2e tests: new (Debian trixie-backports, Linux >= 6.15,
               rxe has ODP), 6.1 (Debian bookworm, no ODP) or both (the default: newer first)
                                                                              [DAXMR_VM_KERNEL]
  --unit-only  host tests only (build, unit, ASan+UBSan unit, fuzz)
  --e2e-only   build, then only the e2e tests in the guest
  --quick      skip the ASan+UBSan and fuzz builds
On the newer kernel the tests labelled rxe-fixed also run, at NIC MTU 1500 and 9000, in a guest
that loads the rdma_rxe fixed by kernel/rxe/*.patch (built once by scripts/rxe-module.sh, cached).
Environment: DAXMR_FUZZ_TIME (seconds per fuzz target, default 20), DAXMR_VM_* (see tests/vm/run.sh --help).
Build trees: build/ (the one the guest runs), build-asan/, build-fuzz/.
USAGE
}

KERNELS=${DAXMR_VM_KERNEL:-both}
UNIT=1 E2E=1 SLOW=1
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) KERNELS=${2:?}; shift 2 ;;
	--unit-only) E2E=0; shift ;;
	--e2e-only) UNIT=0; shift ;;
	--quick) SLOW=0; shift ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
[ "$KERNELS" = both ] && KERNELS="new 6.1"

t0=$(date +%s)
step() { printf '\n=== %s (%d s)\n' "$*" "$(($(date +%s) - t0))"; }

step "dependencies"
scripts/deps.sh build test guest rxe

configure() { # build-dir, extra cmake args...
	local dir=$1
	shift
	mkdir -p "$dir"
	cmake -S "$ROOT" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >"$dir/configure.log" 2>&1 ||
		{ cat "$dir/configure.log"; return 1; }
	cmake --build "$dir" -- -j"$(nproc)"
}

step "build (build/)"
configure build

if [ "$UNIT" = 1 ]; then
	step "static analysis: clang-format, cppcheck, clang-tidy"
	scripts/lint.sh build
	step "unit tests on the host"
	ctest --test-dir build -L unit --no-tests=error --output-on-failure -j"$(nproc)"
	if [ "$SLOW" = 1 ]; then
		step "unit tests under ASan+UBSan (build-asan/)"
		configure build-asan -DDAXMR_SANITIZE=ON
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
			ctest --test-dir build-asan -L unit --no-tests=error --output-on-failure -j"$(nproc)"
		if [ -e tests/fuzz/CMakeLists.txt ]; then
			step "fuzzing every decoder and state machine for ${DAXMR_FUZZ_TIME:-20} s each (build-fuzz/)"
			CC=clang configure build-fuzz -DDAXMR_FUZZ=ON -DDAXMR_BUILD_TESTS=OFF \
				-DDAXMR_FUZZ_TIME="${DAXMR_FUZZ_TIME:-20}"
			# seven targets, one per core at a time: the stage stays under two minutes
			ctest --test-dir build-fuzz -L fuzz --no-tests=error --output-on-failure -j"$(nproc)"
		fi
	fi
fi

# The e2e fault matrix breaks the lease 1,000 times for its figure (docs/reliability.md); a CI
# run checks the same properties over fewer breaks.
export DAXMR_TEST_BREAKS=${DAXMR_TEST_BREAKS:-100}

# guest_ctest KERNEL MTU RXE TAG BUILD CTEST-ARGS...: runs BUILD's ctest in a fresh guest whose
# rdma_rxe is RXE (stock or fixed); fails on any failure, on any skip (inside the guest a skip
# means the guest lacks what it should have), and on no test. Sanitizer options travel along
# (harmless for a plain build).
guest_ctest() {
	local k=$1 mtu=$2 rxe=$3 tag=$4 build=$5 log rc name
	shift 5
	step "end-to-end tests in the guest ($tag: kernel $k, NIC MTU $mtu, rdma_rxe $rxe)"
	name=$k-$mtu-$(basename "$build")$([ "$rxe" = stock ] || echo "-rxe-$rxe")$([ -z "${DAXMR_VM_PMEM_GIB:-}" ] || echo "-pmem-${DAXMR_VM_PMEM_GIB/,/-}")
	log=build/vm/e2e-$name.log
	set +e
	tests/vm/run.sh --kernel "$k" --mtu "$mtu" --rxe "$rxe" --log "build/vm/console-$name.log" \
		-e ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 -e UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		-- ctest --test-dir "$ROOT/$build" --output-on-failure "$@" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	set -e
	[ "$rc" = 0 ] || { echo "e2e tests failed in the $k guest (exit $rc); console: build/vm/console-$name.log"; exit 1; }
	if grep -q '(Skipped)' "$log"; then
		echo "e2e tests were skipped in the $k guest: it lacks the RDMA device or DAX mount they need"
		exit 1
	fi
	grep -qE '^[0-9]+% tests passed, 0 tests failed out of [1-9]' "$log" ||
		{ echo "no e2e test ran in the $k guest"; exit 1; }
}

if [ "$E2E" = 1 ]; then
	mkdir -p build/vm
	for k in $KERNELS; do
		guest_ctest "$k" 1500 stock "rxe path MTU 1024" build -L e2e -LE 'mtu9000|net'
		# two hosts' worth of network (tests/vm/topo.sh): across a veth, netem, partitions
		# (docs/reliability.md, "Across a link"): one boot, about 7 minutes. Not on 6.1: its
		# rxe moves no RoCE traffic inside a network namespace (measured, same document)
		[ "$k" = 6.1 ] || guest_ctest "$k" 1500 stock "across a veth link" build -L net
		# Page-aligned ODP I/O at path MTU 4096 only means something where rxe has ODP (>= 6.15).
		if [ "$k" != 6.1 ] && ctest --test-dir build -N -L mtu9000 | grep -q 'Total Tests: [1-9]'; then
			guest_ctest "$k" 9000 stock "rxe path MTU 4096" build -L mtu9000
		fi
		# rxe's ODP with the fix of kernel/rxe/: fs-DAX at any alignment, at both path MTUs.
		if [ "$k" = new ]; then
			step "the fixed rdma_rxe for the newer guest kernel (scripts/rxe-module.sh; cached)"
			scripts/rxe-module.sh >/dev/null
			guest_ctest new 1500 fixed "fixed rxe, path MTU 1024" build -L rxe-fixed
			guest_ctest new 9000 fixed "fixed rxe, path MTU 4096" build -L rxe-fixed
		fi
		# exports of any size: NVDIMMs of 6 GiB (fs-DAX: a 4 GiB file, ODP where rxe has it)
		# and 3 GiB (devdax, pinned), registered in 1 GiB segments (tests/e2e/seg)
		if [ "$k" = new ]; then
			DAXMR_VM_PMEM_GIB=6,3 guest_ctest new 9000 fixed "exports of any size" build -L bigpmem
		else
			DAXMR_VM_PMEM_GIB=6,3 guest_ctest "$k" 1500 stock "exports of any size" build -L bigpmem
		fi
	done
	# daxmrd, libdaxmr and the tool under ASan+UBSan on the real device: no error, no leak
	# (LeakSanitizer fails a daemon's clean exit). Left to the plain runs: the break loop (time)
	# and the scale test, whose memory figures ASan's quarantine of freed memory would distort.
	if [ "$SLOW" = 1 ] && [ -e build-asan/CTestTestfile.cmake ]; then
		set -- $KERNELS
		guest_ctest "$1" 1500 stock "ASan+UBSan build" build-asan -L e2e -LE 'mtu9000|net' \
			-E 'e2e_faults_breaks|e2e_scale|e2e_install'
	fi
fi
step "all tests passed"
