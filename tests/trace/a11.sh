#!/bin/sh
# Recordings on the A11 (t8015) board read back by `copro trace`:
#   a11.sh COPRO [boot-only]
# - its mailbox's registers are named in the A11 layout (A2I_CONTROL at
#   0x108), and the RTKit messages rebuilt from them are the ones
#   `copro boot --trace` printed;
# - a served disk's NVMe submissions appear as ring tail doorbells
#   (ASQ_DB, IOSQ_DB), not linear tag doorbells (needs nbdkit and
#   nbdcopy; skipped without them, and with boot-only: the ThreadSanitizer
#   build's plugin cannot be loaded by an uninstrumented nbdkit).
set -eu
COPRO=$1
MODE=${2:-full}
work=$(mktemp -d "${TMPDIR:-/tmp}/copro-trace-a11.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

msgs() {
	grep -E "$2 " "$1" | sed -E 's/^.*((AP -> IOP|IOP -> AP) .*)$/\1/' | sed -E 's/ +$//'
}

rec="$work/boot.trace"
"$COPRO" boot --board t8015 --trace --record "$rec" >"$work/boot.out" ||
	fail "copro boot --board t8015 --record failed"
"$COPRO" trace --messages "$rec" >"$work/trace.out" ||
	fail "copro trace could not read $rec"
for dir in "AP -> IOP" "IOP -> AP"; do
	msgs "$work/boot.out" "$dir" >"$work/a"
	msgs "$work/trace.out" "$dir" | head -n "$(wc -l <"$work/a")" >"$work/b"
	n=$(wc -l <"$work/a")
	[ "$n" -ge 10 ] || fail "copro boot --trace showed only $n '$dir' messages"
	cmp -s "$work/a" "$work/b" ||
		fail "'$dir' messages decoded from the A11 mailbox differ: $(diff "$work/a" "$work/b" | head -5)"
done
"$COPRO" trace "$rec" >"$work/all.out" || fail "copro trace failed"
grep -Eq "mbox@257008000 +read +A2I_CONTROL" "$work/all.out" ||
	fail "the A11 mailbox's A2I_CONTROL (0x108) is not named"

if [ "$MODE" = boot-only ]; then
	echo "PASS (boot only, as asked)"
	exit 0
fi
if ! command -v nbdkit >/dev/null 2>&1 || ! command -v nbdcopy >/dev/null 2>&1; then
	echo "PASS (boot only: nbdkit or nbdcopy is not installed)"
	exit 0
fi
rec="$work/serve.trace"
timeout -k 10 120 "$COPRO" serve --board t8015 --disk "$work/disk.img" \
	--size 16M -U "$work/sock" --record "$rec" \
	--run 'nbdcopy "$uri" '"$work/copy.img" >"$work/serve.out" 2>&1 ||
	{ cat "$work/serve.out"; fail "copro serve --board t8015 --record failed"; }
"$COPRO" trace --messages "$rec" >"$work/serve.msgs" || fail "copro trace could not read $rec"
grep -q "NVMe admin submit, SQ tail" "$work/serve.msgs" || fail "no admin ring submissions decoded"
grep -q "NVMe I/O submit, SQ tail" "$work/serve.msgs" || fail "no I/O ring submissions decoded"
if grep -q "LINEAR_\|TCB" "$work/serve.msgs"; then
	fail "the A11 controller's trace shows linear doorbells or TCBs"
fi
echo PASS
