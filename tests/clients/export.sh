#!/bin/sh
# --export-name: the name is served, any other (the default "" too) is
# refused; the banner's URI carries it, percent-encoded. Then --ip with
# --port, --threads, and options after -- reaching nbdkit (its nozero
# filter takes write-zeroes away).
. "$(dirname "$0")/lib.sh"
need nbdinfo

status=0
serve "$work/log" --export-name "my disk" --disk "$work/disk.img" --size 1M --run '
	exec >"'"$work/out"'" 2>&1
	echo "uri=$uri"
	nbdinfo --size "$uri" && echo named=ok
	base=${uri%%\?*}; query=${uri#*\?}
	nbdinfo --size "nbd+unix:///other?$query" && echo other=served
	nbdinfo --size "nbd+unix:///?$query" && echo default=served
	true
' || status=$?
cat "$work/out"
[ "$status" -eq 0 ] || fail "copro serve failed (status $status)"
grep -q "^uri=nbd+unix:///my%20disk?socket=" "$work/out" || fail "the URI is not encoded"
grep -qx named=ok "$work/out" || fail "the named export was not served"
! grep -qx other=served "$work/out" || fail "another export name was served"
! grep -qx default=served "$work/out" || fail "the default export name was served"

port=$((20000 + ($$ + 7) % 20000))
status=0
serve "$work/log" --ip 127.0.0.1 --port "$port" --threads 2 --disk "$work/disk.img" \
	--run '
	exec >"'"$work/out"'" 2>&1
	echo "uri=$uri"
	nbdinfo --can zero "$uri" && echo zero=yes
	true
' -- --filter=nozero || status=$?
cat "$work/out"
[ "$status" -eq 0 ] || fail "copro serve with nbdkit options failed (status $status)"
grep -qx "uri=nbd://127.0.0.1:$port/" "$work/out" || fail "the URI is not the address given"
! grep -qx zero=yes "$work/out" || fail "the options after -- did not reach nbdkit"
echo PASS
