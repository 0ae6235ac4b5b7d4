#!/bin/sh
# --tls require with certificates made by certtool: a client that
# verifies the server against the CA connects; a plain client and a
# client trusting another CA are refused. Over TCP, where libnbd checks
# the server's certificate against the host it connects to.
. "$(dirname "$0")/lib.sh"
need nbdinfo certtool

# make_ca DIR : a CA and a server certificate for localhost/127.0.0.1.
make_pki() {
	d=$1
	mkdir -p "$d"
	certtool --generate-privkey --outfile "$d/ca-key.pem" 2>/dev/null
	printf 'cn = copro test CA\nca\ncert_signing_key\nexpiration_days = 30\n' >"$d/ca.info"
	certtool --generate-self-signed --load-privkey "$d/ca-key.pem" \
		--template "$d/ca.info" --outfile "$d/ca-cert.pem" 2>/dev/null
	certtool --generate-privkey --outfile "$d/server-key.pem" 2>/dev/null
	printf 'organization = copro\ncn = localhost\ndns_name = localhost\nip_address = 127.0.0.1\ntls_www_server\nencryption_key\nsigning_key\nexpiration_days = 30\n' >"$d/server.info"
	certtool --generate-certificate --load-ca-certificate "$d/ca-cert.pem" \
		--load-ca-privkey "$d/ca-key.pem" --load-privkey "$d/server-key.pem" \
		--template "$d/server.info" --outfile "$d/server-cert.pem" 2>/dev/null
	chmod 600 "$d"/*-key.pem
}
make_pki "$work/pki"
make_pki "$work/other"
rm "$work/other/server-key.pem" "$work/other/server-cert.pem"
[ -s "$work/pki/server-cert.pem" ] || fail "certtool made no certificate"

status=0
serve "$work/log" --tls require --tls-certificates "$work/pki" \
	--port $((20000 + $$ % 20000)) --disk "$work/disk.img" --size 1M --run '
	exec >"'"$work/out"'" 2>&1
	echo "uri=$uri"
	nbdinfo --size "$uri" && echo tls=ok
	nbdinfo --size "nbd://127.0.0.1:$port/" && echo plain=served
	nbdinfo --size "nbds://127.0.0.1:$port/?tls-certificates='"$work/other"'" &&
		echo wrong_ca=served
	true
' || status=$?
cat "$work/out"
[ "$status" -eq 0 ] || fail "copro serve --tls failed (status $status)"
grep -q "^uri=nbds://127.0.0.1:[0-9]*/?tls-certificates=" "$work/out" ||
	fail "the URI does not ask for TLS with the certificates"
grep -qx tls=ok "$work/out" || fail "the verifying TLS client was refused"
! grep -qx plain=served "$work/out" || fail "a client without TLS was served"
! grep -qx wrong_ca=served "$work/out" || fail "a client trusting another CA was served"
echo PASS
