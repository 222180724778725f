#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# fetch-fio-source.sh -- unpack Debian's fio source package (the version of the installed fio)
# into DIR, for the daxmr fio engine's headers. Uses a private apt state (sources, lists, cache
# under DIR/apt): the system's apt setup is read (its archive URIs and keyrings), never changed.
# Usage: bench/fio/fetch-fio-source.sh DIR [VERSION]   (VERSION: Debian's, e.g. 3.33-3)
# Prints the unpacked source tree's path on its last line.
set -euo pipefail

if [ $# -lt 1 ] || [ "$1" = -h ] || [ "$1" = --help ]; then
	sed -n '3,7p' "$0" | sed 's/^# \{0,1\}//'
	exit 2
fi
dir=$1
ver=${2:-$(dpkg-query -W -f='${Version}' fio 2>/dev/null || true)}
[ -n "$ver" ] || { echo "fetch-fio-source: fio is not installed (scripts/deps.sh fio) and no VERSION given" >&2; exit 1; }
upstream=${ver#*:}
upstream=${upstream%-*}
tree="$dir/fio-$upstream"
if [ -f "$tree/fio.h" ] && [ "$(cat "$tree/.daxmr-debian-version" 2>/dev/null)" = "$ver" ]; then
	echo "$tree"
	exit 0
fi

state="$dir/apt"
mkdir -p "$state/sources.list.d" "$state/lists/partial" "$state/cache/archives/partial"
# deb-src entries for the archives the system already uses (deb822 and one-line formats)
: >"$state/sources.list.d/src.sources"
for f in /etc/apt/sources.list.d/*.sources; do
	[ -f "$f" ] && sed 's/^Types:.*/Types: deb-src/' "$f" >>"$state/sources.list.d/src.sources" && echo >>"$state/sources.list.d/src.sources"
done
: >"$state/sources.list.d/src.list"
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
	[ -f "$f" ] && sed -n 's/^deb \(.*\)/deb-src \1/p' "$f" >>"$state/sources.list.d/src.list"
done
apt_opts=(-o "Dir::Etc::SourceList=/dev/null" -o "Dir::Etc::SourceParts=$state/sources.list.d"
	-o "Dir::State=$state" -o "Dir::State::Lists=$state/lists" -o "Dir::Cache=$state/cache"
	-o "Dir::State::status=/var/lib/dpkg/status" -o "APT::Sandbox::User=root")
apt-get -q "${apt_opts[@]}" update >"$state/update.log" 2>&1 ||
	{ cat "$state/update.log" >&2; echo "fetch-fio-source: apt-get update of the private deb-src lists failed" >&2; exit 1; }
(cd "$dir" && apt-get -q "${apt_opts[@]}" source --download-only "fio=$ver") >"$state/source.log" 2>&1 ||
	{ cat "$state/source.log" >&2; echo "fetch-fio-source: no source package fio=$ver" >&2; exit 1; }
rm -rf "$tree"
dsc=$(ls "$dir"/fio_"${ver#*:}".dsc)
# --no-check: apt already checked the files against the signed archive's Sources index (the
# .dsc's own maintainer signature would need the Debian developer keyrings)
dpkg-source --no-check -x "$dsc" "$tree" >"$state/extract.log" 2>&1 ||
	{ cat "$state/extract.log" >&2; echo "fetch-fio-source: dpkg-source -x $dsc failed" >&2; exit 1; }
echo "$ver" >"$tree/.daxmr-debian-version"
echo "$tree"
