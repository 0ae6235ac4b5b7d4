#!/bin/sh
# fio's nbd engine: random 4 KiB to 64 KiB writes at queue depth 16, each
# block tagged with a crc32c, then every block read back and verified.
. "$(dirname "$0")/lib.sh"
need fio
fio --enghelp=nbd >/dev/null 2>&1 || { echo "SKIP: fio has no nbd engine"; exit 77; }

# The client's output goes to a file of its own (the server logs to the other).
status=0
serve "$work/log" --disk "$work/disk.img" --size 32M --run '
	exec >"'"$work/out"'" 2>&1
	fio --name=verify --ioengine=nbd --uri="$uri" --size=32M \
		--rw=randwrite --bsrange=4k-64k --iodepth=16 \
		--verify=crc32c --do_verify=1 --verify_fatal=1 --verify_state_save=0 \
		--output-format=terse --terse-version=3
' || status=$?
cat "$work/out"
[ "$status" -eq 0 ] || fail "fio failed or found corrupt data (copro serve status $status)"
grep -q '^3;fio-' "$work/out" || fail "fio produced no report"
echo PASS
