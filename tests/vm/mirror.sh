# SPDX-License-Identifier: BSD-3-Clause
# mirror.sh -- sourced by tests/vm/run.sh and scripts/rxe-module.sh: the Debian archive to fetch
# guest kernels and build roots from. DAXMR_VM_MIRROR wins; else the first .../debian URI of this
# system's own apt sources (deb822, then one-line), so no other host is ever contacted.

# Prints the archive's base URL (".../debian", no trailing slash).
daxmr_debian_mirror() {
	local m=${DAXMR_VM_MIRROR:-}
	if [ -z "$m" ]; then
		m=$(grep -hoE '^URIs:[[:space:]]*[^[:space:]]+/debian/?$' /etc/apt/sources.list.d/*.sources 2>/dev/null |
			head -n1 | awk '{print $2}') || true
	fi
	[ -n "$m" ] || m=$(grep -hoE '^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?[^[:space:]]+/debian/?[[:space:]]' \
		/etc/apt/sources.list 2>/dev/null | head -n1 | awk '{print $NF}') || true
	m=${m:-http://deb.debian.org/debian}
	echo "${m%/}"
}
