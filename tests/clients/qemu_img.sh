#!/bin/sh
# qemu-img writes an image into the served disk and compares the disk
# with the source; then a changed byte must make the compare fail.
. "$(dirname "$0")/lib.sh"
need qemu-img

random_file "$work/src.img" 16
serve "$work/log" --disk "$work/disk.img" --size 16M --run '
	qemu-img convert -n -f raw -O raw "'"$work/src.img"'" "$uri" &&
	qemu-img compare -f raw -F raw "'"$work/src.img"'" "$uri"
' || fail "qemu-img convert or compare failed (copro serve status $?)"
grep -q "Images are identical" "$work/log" || fail "qemu-img compare did not match"

# A compare that cannot fail proves nothing: change one byte. Its bits
# are inverted (writing a fixed value left the random source unchanged
# one time in 256, and the test failed).
old=$(dd if="$work/src.img" bs=1 skip=12288 count=1 status=none | od -An -tu1)
printf "\\$(printf %o $((255 - old)))" |
	dd of="$work/src.img" bs=1 seek=12288 conv=notrunc status=none
new=$(dd if="$work/src.img" bs=1 skip=12288 count=1 status=none | od -An -tu1)
[ "$new" -ne "$old" ] || fail "the byte at 12288 did not change ($old)"
status=0
serve "$work/log2" --disk "$work/disk.img" --run '
	qemu-img compare -f raw -F raw "'"$work/src.img"'" "$uri"
' || status=$?
[ "$status" -ne 0 ] || fail "qemu-img compare missed a changed byte"
grep -q "Content mismatch at offset 12288" "$work/log2" ||
	fail "qemu-img compare did not find the change at 12288"
echo PASS
