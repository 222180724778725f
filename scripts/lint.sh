#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# lint.sh -- static checks of the product code (common, proto, server, client): clang-format
# (.clang-format), cppcheck and clang-tidy (.clang-tidy). Usage: scripts/lint.sh [BUILD_DIR]
# BUILD_DIR must hold compile_commands.json (default: build). Exits non-zero on any finding.
set -euo pipefail
case "${1:-}" in
-h | --help)
	cat <<'EOF'
Usage: scripts/lint.sh [BUILD_DIR]
Static checks of common/, proto/, server/ and client/: clang-format against .clang-format,
cppcheck, and clang-tidy (.clang-tidy) with BUILD_DIR's compile_commands.json (default:
build; configure it first). Prints each finding; exit status 0 clean, 1 findings, 2 usage.
EOF
	exit 0
	;;
-*) echo "lint: unknown option $1 (--help)" >&2; exit 2 ;;
esac
cd "$(dirname "${BASH_SOURCE[0]}")/.."
build=${1:-build}
[ -e "$build/compile_commands.json" ] || { echo "lint: no $build/compile_commands.json: configure first" >&2; exit 2; }
mapfile -t files < <(git ls-files 'common/*.[ch]' 'proto/*.[ch]' 'server/*.[ch]' 'client/*.[ch]')
rc=0

echo "[lint] clang-format: ${#files[@]} files"
for f in "${files[@]}"; do
	if ! clang-format "$f" | cmp -s - "$f"; then
		echo "[lint] $f is not formatted: run clang-format -i $f"
		rc=1
	fi
done

echo "[lint] cppcheck"
# cppcheck skips system headers (missingIncludeSystem), so it would not know TAILQ_*: feed it
# <sys/queue.h>, which is only macros.
queue_h() { echo '#include <sys/queue.h>' | cpp -H -o /dev/null 2>&1 | awk '/queue\.h$/ {print $2; exit}'; }
mapfile -t sources < <(printf '%s\n' "${files[@]}" | grep '\.c$')
cppcheck --std=c11 -D_GNU_SOURCE --include="$(queue_h)" -Icommon -Iproto -Iserver -Iclient -Iclient/include \
	--enable=warning,portability,performance --inline-suppr --suppress=missingIncludeSystem \
	--error-exitcode=1 -q "${sources[@]}" || rc=1

echo "[lint] clang-tidy"
run-clang-tidy -quiet -p "$build" "$PWD/(common|proto|server|client)/.*\.c$" >"$build/clang-tidy.log" 2>&1 || {
	grep -E 'error:|warning:' "$build/clang-tidy.log" | sort -u
	rc=1
}
[ "$rc" = 0 ] && echo "[lint] clean"
exit "$rc"
