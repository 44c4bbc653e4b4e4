#!/bin/bash
# mkcerts.sh OUTDIR: the test certificates, made fresh with the openssl CLI (EC
# P-256, quick): a CA and a second, untrusted CA; server certificates for
# localhost / 127.0.0.1 / ::1 (good), expired, for another host, self-signed,
# signed by the untrusted CA, for the SNI name sni.test; and a client certificate.
# Every .pem has its .key. Used as the ctest fixture "tls-certs".
set -eu -o pipefail
out=${1:?usage: mkcerts.sh OUTDIR}
command -v openssl >/dev/null || { echo "mkcerts: the openssl CLI is missing (contrib/deps.sh)"; exit 1; }
mkdir -p "$out"
cd "$out"
rm -rf ca-db && mkdir -p ca-db/new
: > ca-db/index.txt
echo 1000 > ca-db/serial
cat > ca.cnf <<CNF
[ ca ]
default_ca = loomca
[ loomca ]
dir = ca-db
database = \$dir/index.txt
new_certs_dir = \$dir/new
serial = \$dir/serial
default_md = sha256
policy = anything
copy_extensions = copy
unique_subject = no
[ anything ]
commonName = supplied
[ server ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
[ client ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
CNF

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key" 2>/dev/null; }

# mkca NAME CN
mkca() {
	key "$1"
	openssl req -x509 -new -key "$1.key" -subj "/CN=$2" -days 30 -sha256 \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" -out "$1.pem"
}

# leaf NAME CN SAN CA EXT [openssl ca date options...]
leaf() {
	local name=$1 cn=$2 san=$3 ca=$4 ext=$5
	shift 5
	key "$name"
	openssl req -new -key "$name.key" -subj "/CN=$cn" ${san:+-addext "subjectAltName=$san"} \
		-out "$name.csr"
	openssl ca -batch -notext -config ca.cnf -cert "$ca.pem" -keyfile "$ca.key" \
		-extensions "$ext" -in "$name.csr" -out "$name.pem" "$@" 2>/dev/null
	rm -f "$name.csr"
}

mkca ca "Loom Test CA"
mkca ca2 "Loom Untrusted CA"
leaf server localhost "DNS:localhost,IP:127.0.0.1,IP:::1" ca server -days 30
leaf expired localhost "DNS:localhost,IP:127.0.0.1,IP:::1" ca server \
	-startdate 20200101000000Z -enddate 20200201000000Z
leaf wronghost other.example "DNS:other.example" ca server -days 30
leaf unknownca localhost "DNS:localhost,IP:127.0.0.1,IP:::1" ca2 server -days 30
leaf sni sni.test "DNS:sni.test" ca server -days 30
leaf client loom-client "" ca client -days 30
leaf client2 loom-client "" ca2 client -days 30
key selfsigned
openssl req -x509 -new -key selfsigned.key -subj "/CN=localhost" -days 30 -sha256 \
	-addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -out selfsigned.pem
# a chain file: leaf then CA (servers may send it whole)
cat server.pem ca.pem > server-chain.pem
echo "mkcerts: certificates in $out"
