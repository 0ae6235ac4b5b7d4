#!/bin/sh
# Runs a command that prints JSON and checks its exit status and what the
# JSON says:
#   cli_json.sh STATUS FILTER COMMAND [ARGS...]
# stdout must be exactly one JSON value (stderr is shown, not parsed), and
# the jq FILTER applied to it must yield true (jq -e).
status=$1 filter=$2
shift 2
out=$(mktemp) || exit 1
trap 'rm -f "$out"' EXIT
"$@" >"$out"
rc=$?
cat "$out"
if [ "$rc" -ne "$status" ]; then
	echo "cli_json: exit status $rc, expected $status: $*" >&2
	exit 1
fi
if ! jq -e -s 'length == 1' "$out" >/dev/null; then
	echo "cli_json: stdout is not one JSON value: $*" >&2
	exit 1
fi
if ! jq -e "$filter" "$out" >/dev/null; then
	echo "cli_json: the JSON fails the check { $filter }: $*" >&2
	exit 1
fi
