#!/bin/sh
# Runs a command and checks both its exit status and its output:
#   cli_expect.sh STATUS REGEX COMMAND [ARGS...]
# REGEX is an extended regular expression matched against stdout+stderr
# as one text, so `.*` may span lines.
status=$1 regex=$2
shift 2
out=$("$@" 2>&1)
rc=$?
printf '%s\n' "$out"
if [ "$rc" -ne "$status" ]; then
	echo "cli_expect: exit status $rc, expected $status: $*" >&2
	exit 1
fi
if ! printf '%s\n' "$out" | grep -Ezq -- "$regex"; then
	echo "cli_expect: output does not match /$regex/: $*" >&2
	exit 1
fi
