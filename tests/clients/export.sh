#!/bin/sh
# --export-name: the name is served, any other (the default "" too) is
# refused; the banner's URI carries it, percent-encoded.
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
echo PASS
