#!/bin/sh
# Two servers on one disk: the second is refused at once, naming the
# disk and the process holding it, and the first loses no byte. Read-only
# servers share the disk; a writer is refused while they hold it; qemu
# (which locks its images the same way) cannot open a served disk.
. "$(dirname "$0")/lib.sh"
need nbdinfo nbdcopy cmp

random_file "$work/src.img" 8
"$COPRO" serve --socket "$work/a.sock" --disk "$work/disk.img" --size 8M \
	>"$work/a.log" 2>&1 &
a=$!
cleanup_extra='kill $a 2>/dev/null'
wait_for serving "$work/a.sock" || { cat "$work/a.log"; fail "the first server did not start"; }

status=0
timeout 30 "$COPRO" serve --socket "$work/b.sock" --disk "$work/disk.img" \
	--run true >"$work/b.log" 2>&1 || status=$?
cat "$work/b.log"
[ "$status" -eq 1 ] || fail "the second server was not refused (status $status)"
grep -q "disk $work/disk.img is in use: process [0-9]* (nbdkit) holds a lock on it" \
	"$work/b.log" || fail "the refusal does not name the disk and the holder"
! grep -q "NVMe namespace on" "$work/b.log" || fail "the second server printed a banner"
if command -v qemu-io >/dev/null 2>&1; then
	! qemu-io -f raw -c "read 0 4k" "$work/disk.img" >"$work/q.log" 2>&1 ||
		fail "qemu-io opened a disk being served"
	grep -qi "lock" "$work/q.log" || { cat "$work/q.log"; fail "qemu-io did not fail on the lock"; }
fi

# The first server still has every byte it is given.
nbdcopy --flush "$work/src.img" "nbd+unix:///?socket=$work/a.sock" ||
	fail "nbdcopy into the first server failed"
kill -INT "$a"
wait "$a" || fail "the first server did not stop cleanly"
cleanup_extra=:
cmp "$work/src.img" "$work/disk.img" || fail "bytes were lost"

# Shared for readers, exclusive for writers.
"$COPRO" serve --readonly --socket "$work/r1.sock" --disk "$work/disk.img" \
	>"$work/r1.log" 2>&1 &
r1=$!
cleanup_extra='kill $r1 2>/dev/null'
wait_for serving "$work/r1.sock" || { cat "$work/r1.log"; fail "a read-only server did not start"; }
serve "$work/r2.log" --readonly --disk "$work/disk.img" --run '
	nbdcopy "$uri" "'"$work/copy.img"'"' ||
	fail "a second read-only server was refused"
cmp "$work/src.img" "$work/copy.img" || fail "the read-only copy differs"
status=0
serve "$work/w.log" --disk "$work/disk.img" --run true || status=$?
[ "$status" -eq 1 ] && grep -q "is in use" "$work/w.log" ||
	fail "a writer was let in beside a reader"
kill -INT "$r1"
wait "$r1" || fail "the read-only server did not stop cleanly"
echo PASS
