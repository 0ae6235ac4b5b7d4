#!/bin/sh
# A board that passes the checks but whose bring-up fails in the plugin
# (an Identify failure injected there): copro serve --run must not run
# the command against a server that is not there, must exit non-zero
# within 10 s, and must leave no process and no directory behind.
. "$(dirname "$0")/lib.sh"
need nbdinfo

# Sanitizer builds: LeakSanitizer's scan of nbdkit at exit alone takes
# seconds; the bound is for the product, not for the instrumentation.
limit=10
[ -z "${NBDKIT_PRELOAD:-}" ] || limit=60
mkdir "$work/tmp"
status=0
start=$(date +%s)
TMPDIR="$work/tmp" timeout -k 2 "$limit" "$COPRO" serve --disk "$work/disk.img" \
	--size 16M --fault-bringup --run 'echo command ran >"'"$work/ran"'"' \
	>"$work/log" 2>&1 || status=$?
cat "$work/log"
[ "$status" -ne 124 ] && [ "$status" -ne 137 ] || fail "copro serve hung"
[ "$status" -eq 1 ] || fail "status $status, expected 1"
[ ! -e "$work/ran" ] || fail "the command ran against a server that failed"
grep -q "bring-up failed" "$work/log" || fail "the failure was not said"
[ -z "$(ls -A "$work/tmp")" ] || { ls -la "$work/tmp"; fail "a temporary directory was left"; }
sleep 0.5
! pgrep -f "disk=$work/disk.img" >/dev/null || fail "a process was left behind"
[ $(($(date +%s) - start)) -le "$limit" ] || fail "it took more than $limit s"
echo PASS
