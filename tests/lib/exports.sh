#!/usr/bin/env bash
# What a shared library exports is exactly the API its public headers
# declare: every `nm -D --defined-only` name is a copro_* function declared
# in one of the headers, and every function those headers declare is
# exported (a declaration without COPRO_API would be a link error for
# embedders). Internal names (fw_*, ans2_*, rtk_*, mbox_*, the OS layer)
# must not leak: they could collide with an embedder's own.
#
# exports.sh LIB SONAME HEADER_DIR [INCLUDE_DIR...] [-- NOT_NEEDED...]
#   HEADER_DIR: the headers whose functions LIB must export
#   INCLUDE_DIR: -I directories those headers need
#   NOT_NEEDED: libraries LIB must not depend on (readelf -d NEEDED)
set -euo pipefail

lib=$1 soname=$2 hdrdir=$3
shift 3
incs=() not_needed=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do incs+=("-I$1"); shift; done
[ $# -gt 0 ] && shift
not_needed=("$@")

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

# The functions the headers declare, as the compiler sees them: gcc's
# -aux-info lists every prototype with the file that declared it.
for h in $(cd "$hdrdir" && find . -name '*.h' | sort); do
	echo "#include \"$hdrdir/${h#./}\""
done >"$tmp/all.c"
gcc -std=c11 -D_GNU_SOURCE -I"$hdrdir" "${incs[@]}" -fsyntax-only \
	-aux-info "$tmp/aux" "$tmp/all.c"
grep -F "/* $hdrdir/" "$tmp/aux" | grep ' extern ' |
	sed -E 's/.*[ *](copro_[A-Za-z0-9_]+) \(.*/\1/' | sort -u >"$tmp/declared"

nm -D --defined-only "$lib" | awk '{print $NF}' | sort -u >"$tmp/exported"

echo "$(basename "$lib"): $(wc -l <"$tmp/exported") exported, $(wc -l <"$tmp/declared") declared in $hdrdir"
if [ ! -s "$tmp/declared" ]; then
	echo "FAIL: found no declarations in $hdrdir" >&2
	fail=1
fi

leaked=$(comm -23 "$tmp/exported" "$tmp/declared")
if [ -n "$leaked" ]; then
	echo "FAIL: exported but not declared in a public header:" >&2
	echo "$leaked" | sed 's/^/  /' >&2
	fail=1
fi
missing=$(comm -13 "$tmp/exported" "$tmp/declared")
if [ -n "$missing" ]; then
	echo "FAIL: declared in a public header but not exported (COPRO_API missing, or no definition):" >&2
	echo "$missing" | sed 's/^/  /' >&2
	fail=1
fi
internal=$(grep -Ev '^copro_' "$tmp/exported" || true)
if [ -n "$internal" ]; then
	echo "FAIL: names outside the copro_ name space are exported:" >&2
	echo "$internal" | sed 's/^/  /' >&2
	fail=1
fi
# The OS layer is internal even though its names start with copro_.
os=$(grep -E '^copro_(mutex|rwlock|event|completion|thread|time_ns|sleep_ns|cpu_relax|deadline)' "$tmp/exported" || true)
if [ -n "$os" ]; then
	echo "FAIL: the internal OS layer is exported:" >&2
	echo "$os" | sed 's/^/  /' >&2
	fail=1
fi

readelf -d "$lib" >"$tmp/dyn"
if ! grep -q "Library soname: \[$soname\]" "$tmp/dyn"; then
	echo "FAIL: SONAME is not $soname:" >&2
	grep SONAME "$tmp/dyn" >&2 || echo "  (none)" >&2
	fail=1
fi
for n in "${not_needed[@]}"; do
	if grep NEEDED "$tmp/dyn" | grep -qF "[$n"; then
		echo "FAIL: $(basename "$lib") depends on $n:" >&2
		grep NEEDED "$tmp/dyn" >&2
		fail=1
	fi
done
exit $fail
