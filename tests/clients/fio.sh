#!/bin/sh
# fio's nbd engine: random 4 KiB to 64 KiB writes at queue depth 16, each
# block tagged with a crc32c, then every block read back and verified.
. "$(dirname "$0")/lib.sh"
need fio
fio --enghelp=nbd >/dev/null 2>&1 || { echo "SKIP: fio has no nbd engine"; exit 77; }

serve "$work/log" --disk "$work/disk.img" --size 32M --run '
	fio --name=verify --ioengine=nbd --uri="$uri" --size=32M \
		--rw=randwrite --bsrange=4k-64k --iodepth=16 \
		--verify=crc32c --do_verify=1 --verify_fatal=1 \
		--output-format=terse --terse-version=3
' || fail "fio failed or found corrupt data (copro serve status $?)"
grep -q '^3;fio-' "$work/log" || fail "fio produced no report"
echo PASS
