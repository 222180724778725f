#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# install.sh -- cmake --install into a staging prefix; then, from the staged tree only: the
# binaries run (--version), the shared library has its versioned soname, the man pages format,
# the systemd unit verifies, and a client built with the staged daxmr.pc and one built with the
# staged CMake package (find_package(daxmr)) each write, flush and read back through the
# staged daxmrd; the bytes are then checked in the exported file.
. "$(dirname "$0")/../service/lib.sh"

: "${DAXMR_BUILD_DIR:?}" "${DAXMR_SOURCE_DIR:?}" "${DAXMR_VERSION:?}"
STAGE=$WORK/stage
cmake --install "$DAXMR_BUILD_DIR" --prefix "$STAGE" >"$WORK/install.log" 2>&1 || fail "cmake --install failed"
say "ok: cmake --install --prefix $STAGE: $(wc -l <"$DAXMR_BUILD_DIR/install_manifest.txt") files"
libdir=$(dirname "$(find "$STAGE" -name 'libdaxmr.so.*.*' | head -n1)")
[ -d "$libdir" ] || fail "no libdaxmr.so.X.Y.Z installed"
for f in sbin/daxmrd bin/daxmr bin/daxmr-bench include/daxmr.h lib/systemd/system/daxmrd.service \
	lib/sysusers.d/daxmr.conf share/doc/daxmr/examples/exports share/man/man8/daxmrd.8 \
	share/man/man8/daxmrctl.8 share/man/man1/daxmr.1 share/man/man1/daxmr-bench.1 \
	share/man/man3/libdaxmr.3; do
	[ -e "$STAGE/$f" ] || fail "not installed: $f"
done
[ -e "$libdir/pkgconfig/daxmr.pc" ] || fail "no daxmr.pc in $libdir/pkgconfig"
[ -e "$libdir/cmake/daxmr/daxmrConfig.cmake" ] || fail "no CMake package in $libdir/cmake/daxmr"
say "ok: daxmrd, daxmr, daxmr-bench, header, library, daxmr.pc, CMake package, man pages, unit, example installed"

# the library: a versioned soname, and the .so link a -ldaxmr needs
soname=$(readelf -d "$libdir/libdaxmr.so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = libdaxmr.so.${DAXMR_VERSION%%.*} ] || fail "soname is '$soname', expected libdaxmr.so.${DAXMR_VERSION%%.*}"
[ -e "$libdir/$soname" ] || fail "no $soname link"
say "ok: libdaxmr.so -> $(readlink "$libdir/libdaxmr.so"), soname $soname"
v=$("$STAGE/sbin/daxmrd" --version) || fail "staged daxmrd --version failed"
[ "$v" = "daxmrd $DAXMR_VERSION" ] || fail "daxmrd --version says '$v'"
say "ok: staged $v"
"$STAGE/bin/daxmr" --help >/dev/null || fail "staged daxmr does not run (its rpath to the staged library?)"
# loads_staged BIN: the libdaxmr BIN loads is the staged one (ldd's path, resolved)
loads_staged() {
	local p
	p=$(ldd "$1" | awk '$1 ~ /^libdaxmr\.so/ {print $3}')
	[ -n "$p" ] && [ "$(realpath "$p")" = "$(realpath "$libdir/$soname")" ] ||
		fail "$(basename "$1") does not load the staged libdaxmr: $(ldd "$1" | grep daxmr)"
}
loads_staged "$STAGE/bin/daxmr"
say "ok: staged daxmr runs on the staged libdaxmr"

# the installed documentation: man pages format without warnings, the unit verifies (with its
# Documentation= pages looked up in the staged tree when every one of them is installed)
for p in "$STAGE"/share/man/man*/*; do
	w=$(man --warnings -E UTF-8 -l "$p" 2>&1 >/dev/null) || fail "man -l $p failed"
	[ -z "$w" ] || fail "$(basename "$p"): $w"
done
say "ok: staged man pages format without warnings"
if command -v systemd-analyze >/dev/null; then
	manpath=
	[ -e "$STAGE/share/man/man5/daxmr.exports.5" ] && manpath=$STAGE/share/man
	bash "$DAXMR_SOURCE_DIR/systemd/verify.sh" "$STAGE/lib/systemd/system/daxmrd.service" \
		"$STAGE/sbin/daxmrd" $manpath || fail "the staged unit does not verify"
fi

# an application author's two ways in
cp "$DAXMR_SOURCE_DIR/tests/e2e/install/app/app.c" "$DAXMR_SOURCE_DIR/tests/e2e/install/app/CMakeLists.txt" "$WORK/"
export PKG_CONFIG_PATH=$libdir/pkgconfig
[ "$(pkg-config --modversion daxmr)" = "$DAXMR_VERSION" ] || fail "pkg-config --modversion daxmr: $(pkg-config --modversion daxmr 2>&1)"
# shellcheck disable=SC2046 # word splitting of the flags is the point
cc -o "$WORK/app-pc" "$WORK/app.c" $(pkg-config --cflags --libs daxmr) -Wl,-rpath,"$libdir" \
	2>"$WORK/cc.log" || fail "cc with pkg-config's flags failed: $(cat "$WORK/cc.log")"
inc=$(pkg-config --variable=includedir daxmr)
[ "$(realpath "$inc")" = "$(realpath "$STAGE/include")" ] || fail "daxmr.pc's includedir $inc is not the stage's"
say "ok: built with pkg-config ($(pkg-config --libs daxmr))"
gen=()
command -v ninja >/dev/null && gen=(-G Ninja)
cmake "${gen[@]}" -S "$WORK" -B "$WORK/app-build" -DCMAKE_PREFIX_PATH="$STAGE" >"$WORK/cmake-app.log" 2>&1 ||
	fail "cmake with find_package(daxmr) failed: $(tail -n 20 "$WORK/cmake-app.log")"
cmake --build "$WORK/app-build" >>"$WORK/cmake-app.log" 2>&1 || fail "building with daxmr::daxmr failed: $(tail -n 20 "$WORK/cmake-app.log")"
grep -q "daxmr_DIR:PATH=$libdir/cmake/daxmr" "$WORK/app-build/CMakeCache.txt" || fail "find_package found another daxmr: $(grep daxmr_DIR "$WORK/app-build/CMakeCache.txt")"
say "ok: built with find_package(daxmr) from $libdir/cmake/daxmr"
loads_staged "$WORK/app-pc"
loads_staged "$WORK/app-build/app-cmake"
say "ok: both load $libdir/$soname"

# both against the staged daxmrd
f=$WORK/t.img
random_file "$f" $((1 << 20))
DAXMRD=$STAGE/sbin/daxmrd start_daxmrd d --allow-non-dax --export "t=$f"
"$WORK/app-pc" "$SERVER" t "written by app-pc" 4096 || fail "app-pc failed"
"$WORK/app-build/app-cmake" "$SERVER" t "written by app-cmake" 8192 || fail "app-cmake failed"
stop_daxmrd TERM
[ "$(file_range "$f" 4096 17)" = "written by app-pc" ] || fail "the file does not hold app-pc's write"
[ "$(file_range "$f" 8192 20)" = "written by app-cmake" ] || fail "the file does not hold app-cmake's write"
say "ok: the exported file holds both applications' writes (read through the file)"
say "PASS"
