# Shared by the client tests: real NBD clients against `copro serve`.
#   COPRO    the copro binary (set by CTest)
#   BOARD    the board to serve from (default t8103; CTest runs the
#            client tests on every board)
#   SERVE_TIMEOUT  seconds one served run may take (default 120)
# Each test works in its own temporary directory, removed on exit.
set -eu

: "${COPRO:?COPRO must point at the copro binary}"
SERVE_TIMEOUT=${SERVE_TIMEOUT:-120}

BOARD=${BOARD:-t8103}
work=$(mktemp -d "${TMPDIR:-/tmp}/copro-client.XXXXXX")
cleanup_extra=:
trap 'st=$?; eval "$cleanup_extra" || true; rm -rf "$work"; exit $st' EXIT INT TERM

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# A missing client is a skip (CTest SKIP_RETURN_CODE 77), not a failure.
need() {
	for tool in "$@"; do
		if ! command -v "$tool" >/dev/null 2>&1; then
			echo "SKIP: $tool is not installed (scripts/deps.sh installs it)"
			exit 77
		fi
	done
}

# serve LOG ARGS... : `copro serve ARGS` with its output in LOG, bounded
# by SERVE_TIMEOUT; --run inside ARGS gives the client its $uri. Returns
# copro serve's status (124 on timeout).
serve() {
	log=$1
	shift
	status=0
	timeout -k 10 "$SERVE_TIMEOUT" "$COPRO" serve --board "$BOARD" "$@" \
		>"$log" 2>&1 || status=$?
	cat "$log"
	if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
		fail "copro serve $* did not finish within $SERVE_TIMEOUT s"
	fi
	# nbdkit's exit status does not carry a sanitized plugin's findings.
	if grep -Eq "ERROR: (Address|Leak|Thread)Sanitizer|runtime error:" "$log"; then
		fail "the sanitizers found an error in the server"
	fi
	return "$status"
}

# random FILE MIB : MIB MiB of random bytes.
random_file() {
	head -c "$(($2 * 1024 * 1024))" /dev/urandom >"$1"
}

# allocated FILE : bytes the file really occupies on disk.
allocated() {
	echo $(($(stat -c %b "$1") * $(stat -c %B "$1")))
}

# wait_for CMD... : retry CMD for up to 30 s.
wait_for() {
	tries=0
	until "$@" >/dev/null 2>&1; do
		tries=$((tries + 1))
		[ "$tries" -lt 300 ] || return 1
		sleep 0.1
	done
}

# serving SOCKET : a server answers on the Unix socket.
serving() {
	[ -S "$1" ] && nbdinfo --size "nbd+unix:///?socket=$1" >/dev/null 2>&1
}

# not_serving SOCKET : nothing answers on it (any more).
not_serving() {
	! serving "$1"
}
