#!/bin/sh
# A recorded `copro boot` read back by `copro trace`:
#   boot.sh COPRO CHECK_CHROME_TRACE
# - the RTKit messages `copro trace` rebuilds from the mailbox registers
#   are the ones `copro boot --trace` printed, in the same order each way
#   (threaded and polled);
# - the Chrome trace is valid Trace Event Format (check_chrome_trace);
# - a truncated or corrupted recording is refused with a clear error.
set -eu
COPRO=$1
CHECK=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/copro-trace.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# msgs FILE DIRECTION: the message lines of one direction, from the
# direction on (times, threads and devices differ between the two).
msgs() {
	grep -E "$2 " "$1" | sed -E 's/^.*((AP -> IOP|IOP -> AP) .*)$/\1/' | sed -E 's/ +$//'
}

for mode in threaded polled; do
	opt=
	[ "$mode" = polled ] && opt=--polled
	rec="$work/$mode.trace"
	"$COPRO" boot --trace $opt --record "$rec" >"$work/boot.out" ||
		fail "copro boot $opt --record failed"
	grep -q "recorded to $rec" "$work/boot.out" || fail "boot did not say where it recorded"
	"$COPRO" trace --messages "$rec" >"$work/trace.out" ||
		fail "copro trace could not read $rec"
	for dir in "AP -> IOP" "IOP -> AP"; do
		msgs "$work/boot.out" "$dir" >"$work/a"
		msgs "$work/trace.out" "$dir" >"$work/b"
		n=$(wc -l <"$work/a")
		[ "$n" -ge 10 ] || fail "$mode: copro boot --trace showed only $n '$dir' messages"
		# The recording runs until the board is gone: boot's are a prefix.
		head -n "$n" "$work/b" | diff "$work/a" - ||
			fail "$mode: copro trace decodes other '$dir' messages than copro boot --trace"
		echo "$mode: $n '$dir' messages, the same in both"
	done
	grep -q "mgmt HELLO min=11 max=12" "$work/trace.out" || fail "no HELLO decoded"
	grep -q "coprocessor CPU run" "$work/trace.out" || fail "no CPU start decoded"
done

# The whole listing names registers and interrupt lines.
"$COPRO" trace "$work/threaded.trace" >"$work/all.out"
for want in "write A2I_SEND0" "read  I2A_RECV1" "write CPU_CONTROL" \
	"line 586 (recv-not-empty) asserted" "handler 'mbox@277408000:recv-not-empty'" \
	"power domain 0 on" "dma-alloc" "read  CONFIG0"; do
	grep -qF "$want" "$work/all.out" || fail "copro trace does not show '$want'"
done

"$COPRO" trace --chrome-trace "$work/boot.json" "$work/threaded.trace" ||
	fail "copro trace --chrome-trace failed"
"$CHECK" "$work/boot.json" --cat rtkit --cat mmio --cat irq --cat asc --min-events 100 ||
	fail "the Chrome trace is not valid Trace Event Format"

# Cut short: refused, saying so.
size=$(stat -c %s "$work/threaded.trace")
head -c $((size - 5)) "$work/threaded.trace" >"$work/cut.trace"
if "$COPRO" trace "$work/cut.trace" >"$work/out" 2>&1; then
	fail "a truncated recording was accepted"
fi
grep -q "the file is truncated" "$work/out" || { cat "$work/out"; fail "no clear error for a truncated file"; }

# One byte changed in the middle: refused, saying where.
cp "$work/threaded.trace" "$work/bad.trace"
printf '\377' | dd of="$work/bad.trace" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
if "$COPRO" trace "$work/bad.trace" >"$work/out" 2>&1; then
	fail "a corrupted recording was accepted"
fi
grep -Eq "trace .*bad.trace: offset 0x[0-9a-f]+: " "$work/out" || { cat "$work/out"; fail "no clear error for a corrupt file"; }
cat "$work/out"
echo PASS
