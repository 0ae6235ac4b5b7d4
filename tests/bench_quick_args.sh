#!/bin/sh
# Every `copro bench` line of the Makefile's bench-quick recipe parses:
# each runs with --help appended, which exits 0 once the options before
# it are accepted (a refused one exits 2 first), so nothing is measured.
#   bench_quick_args.sh MAKEFILE COPRO
mk=$1 copro=$2
lines=$(sed -n '/^bench-quick:/,/^$/p' "$mk" | grep 'copro bench' |
	sed 's|.*/copro ||')
if [ -z "$lines" ]; then
	echo "bench_quick_args: no 'copro bench' lines in $mk's bench-quick" >&2
	exit 1
fi
printf '%s\n' "$lines" | while read -r args; do
	# Word splitting of $args is wanted: it is an argument list.
	# shellcheck disable=SC2086
	out=$("$copro" $args --help 2>&1)
	rc=$?
	if [ "$rc" -ne 0 ]; then
		printf '%s\n' "$out" >&2
		echo "bench_quick_args: $mk: 'copro $args' refused (exit $rc)" >&2
		exit 1
	fi
	echo "ok: copro $args"
done
