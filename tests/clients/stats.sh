#!/bin/sh
# --stats: once a second while a client is connected, IOPS, MiB/s, queue
# depth and latency; a summary at exit.
. "$(dirname "$0")/lib.sh"
need fio
fio --enghelp=nbd >/dev/null 2>&1 || { echo "SKIP: fio has no nbd engine"; exit 77; }

serve "$work/log" --stats --disk "$work/disk.img" --size 16M --run '
	fio --name=s --ioengine=nbd --uri="$uri" --size=16M --rw=randrw \
		--bs=4k --iodepth=8 --time_based --runtime=3 >/dev/null 2>&1
' || fail "copro serve --stats failed (status $?)"
grep -Eq "^copro serve: [0-9]+ IOPS, [0-9.]+ MiB/s \(read [0-9.]+, write [0-9.]+\), queue depth [0-9.]+, latency [0-9]+ us, 1 client$" \
	"$work/log" || fail "no per-second statistics"
grep -Eq "^copro serve: in all, [0-9]+ requests: [0-9]+ reads \(.*\), [0-9]+ writes \(.*\), .* mean latency [0-9]+ us$" \
	"$work/log" || fail "no summary"
# Without --stats, none.
serve "$work/log2" --disk "$work/disk.img" --run 'nbdinfo --size "$uri"' >/dev/null ||
	fail "copro serve failed"
! grep -q "IOPS" "$work/log2" || fail "statistics without --stats"
echo PASS
