#!/bin/sh
# fio's nbd engine: random 4 KiB to 64 KiB writes at queue depth 16, each
# block tagged with a crc32c, then every block read back and verified.
# Then trim (sequential, half the disk) and randtrim (the rest): every
# trimmed block must read back as zeroes (verified), the untrimmed half
# must not (so the verification can fail), and the backing file must
# have given the trimmed space back.
. "$(dirname "$0")/lib.sh"
need fio
fio --enghelp=nbd >/dev/null 2>&1 || { echo "SKIP: fio has no nbd engine"; exit 77; }

# The client's output goes to a file of its own (the server logs to the other).
status=0
serve "$work/log" --disk "$work/disk.img" --size 32M --run '
	exec >"'"$work/out"'" 2>&1
	set -e
	common="--ioengine=nbd --uri=$uri --output-format=terse --terse-version=3"
	fio --name=verify $common --size=32M \
		--rw=randwrite --bsrange=4k-64k --iodepth=16 \
		--verify=crc32c --do_verify=1 --verify_fatal=1 --verify_state_save=0
	fio --name=trim $common --size=16M --rw=trim --bs=64k --iodepth=16
	fio --name=zeroes $common --size=16M --rw=read --bs=1M \
		--verify=pattern --verify_pattern=0x00 --verify_only=1 --verify_fatal=1
	if fio --name=not-zero $common --offset=16M --size=16M --rw=read \
		--bs=1M --verify=pattern --verify_pattern=0x00 --verify_only=1 \
		--verify_fatal=1 >/dev/null 2>&1
	then echo "untrimmed data read as zeroes"; exit 1; fi
	echo half-trimmed $(stat -c %b "'"$work/disk.img"'")
	fio --name=randtrim $common --offset=16M --size=16M --rw=randtrim \
		--bsrange=4k-256k --iodepth=16
	fio --name=all-zeroes $common --size=32M --rw=randread --bs=64k \
		--iodepth=8 --verify=pattern --verify_pattern=0x00 \
		--verify_only=1 --verify_fatal=1
' || status=$?
cat "$work/out"
[ "$status" -eq 0 ] || fail "fio failed or found wrong data (copro serve status $status)"
[ "$(grep -c '^3;fio-' "$work/out")" -eq 5 ] || fail "fio did not report every run"
half=$(sed -n 's/^half-trimmed //p' "$work/out")
[ "$((half * 512))" -le $((17 * 1024 * 1024)) ] ||
	fail "after trimming half the disk the file still holds $((half * 512)) bytes"
[ "$(allocated "$work/disk.img")" -le $((1024 * 1024)) ] ||
	fail "after trimming everything the file holds $(allocated "$work/disk.img") bytes"
echo PASS
