#!/bin/sh
# --daemon with --pidfile: copro serve returns once serving, the pidfile
# names the server, clients work, SIGTERM to that PID stops it cleanly
# (the data is flushed, the pidfile and socket removed).
. "$(dirname "$0")/lib.sh"
need nbdinfo nbdcopy cmp

random_file "$work/src.img" 4
status=0
timeout 30 "$COPRO" serve --daemon --pidfile "$work/serve.pid" \
	--socket "$work/s.sock" --disk "$work/disk.img" --size 4M \
	>"$work/log" 2>&1 || status=$?
cat "$work/log"
[ "$status" -eq 0 ] || fail "copro serve --daemon failed (status $status)"
[ -s "$work/serve.pid" ] || fail "no pidfile"
pid=$(cat "$work/serve.pid")
cleanup_extra='kill $pid 2>/dev/null'
kill -0 "$pid" || fail "the pidfile names no running process"
grep -q "serving nbd+unix:///?socket=$work/s.sock" "$work/log" || fail "no banner"
nbdcopy "$work/src.img" "nbd+unix:///?socket=$work/s.sock" || fail "nbdcopy failed"
kill -TERM "$pid"
wait_for sh -c "! kill -0 $pid" || fail "the daemon did not stop"
cleanup_extra=:
[ ! -e "$work/serve.pid" ] || fail "the pidfile was left behind"
[ ! -e "$work/s.sock" ] || fail "the socket was left behind"
cmp "$work/src.img" "$work/disk.img" || fail "the data is not on the disk"
echo PASS
