#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# check.sh -- the manual pages: groff (man --warnings) and mandoc -T lint find nothing in any
# page, and every option a binary's --help lists (its subcommands' too) is in the binary's page.
# Usage: man/check.sh [BINARY...]   (the pages are the man/*.[1-8] next to this script)
set -euo pipefail
dir=$(cd "$(dirname "$0")" && pwd)
rc=0
say() { printf 'man: %s\n' "$*"; }
bad() { say "FAIL: $*" >&2; rc=1; }

pages=("$dir"/*.[1-8])
for p in "${pages[@]}"; do
	w=$(MANWIDTH=100 man --warnings=all -E UTF-8 -l "$p" 2>&1 >/dev/null) || bad "$(basename "$p"): man -l failed"
	[ -z "$w" ] || bad "$(basename "$p"): groff warns: $w"
	if command -v mandoc >/dev/null; then
		w=$(mandoc -T lint -W warning "$p" 2>&1) || true
		[ -z "$w" ] || bad "$(basename "$p"): mandoc -T lint: $w"
	fi
done
say "${#pages[@]} pages formatted: $([ "$rc" = 0 ] && echo 'no warnings' || echo 'warnings above')"

# page_text PAGE: the page as a reader sees it (hyphens are real hyphens there).
page_text() { MANWIDTH=200 man -E ascii -l "$1" 2>/dev/null | col -b; }
# options_of HELP_TEXT: every --long and -x option the text lists (-x only as "-x," or "-x ").
options_of() {
	grep -oE -- '(^|[[ ,|(])--[a-z][a-z0-9_-]*' <<<"$1" | grep -oE -- '--[a-z][a-z0-9_-]*'
	grep -oE -- '^ +-[a-zA-Z],' <<<"$1" | grep -oE -- '-[a-zA-Z]'
}
# missing PAGE_TEXT HELP_TEXT: the options of the help the page does not mention.
missing() {
	local o
	for o in $(options_of "$2" | sort -u); do
		grep -qE -- "(^|[^a-zA-Z0-9-])$o([^a-zA-Z0-9_-]|$)" <<<"$1" || echo "$o"
	done
}

# The check must be able to fail: an empty page lacks the options of a help text.
[ -n "$(missing "" "  -x, --example-option  text")" ] || bad "self-check: missing options go unnoticed"

for bin in "$@"; do
	name=$(basename "$bin")
	page=
	for s in 1 8; do [ -e "$dir/$name.$s" ] && page=$dir/$name.$s; done
	[ -n "$page" ] || { bad "$name: no page $name.1 or $name.8"; continue; }
	text=$(page_text "$page")
	help=$("$bin" --help 2>&1) || bad "$name --help exits non-zero"
	# subcommands: the words opening the lines of a "commands:" block
	for cmd in $(awk '/^commands:/ {on = 1; next} on && /^$/ {on = 0} on && /^  [a-z]/ {print $1}' <<<"$help"); do
		help+=$'\n'$("$bin" "$cmd" --help 2>&1) || bad "$name $cmd --help exits non-zero"
	done
	m=$(missing "$text" "$help" | tr '\n' ' ')
	[ -z "$m" ] || bad "$(basename "$page") lacks what $name --help lists: $m"
	if grep -q -- '--version' <<<"$help"; then
		"$bin" --version >/dev/null 2>&1 || bad "$name --version fails"
	else
		say "note: $name --help lists no --version"
	fi
	n=$(options_of "$help" | sort -u | wc -l)
	[ -n "$m" ] || say "ok: $(basename "$page") has all $n options of $name --help"
done
exit "$rc"
