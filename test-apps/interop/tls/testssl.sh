#!/bin/bash
# testssl.sh CERTDIR BINDIR BACKEND [SERVER]: Debian's testssl.sh against our TLS
# server (loom-test-server's --tls-port by default): protocols (-p), cipher
# categories (-s) and the vulnerability checks (-U), all offline, in about a minute
# and a half. Fails on any finding rated HIGH or CRITICAL, on SSLv2/SSLv3/TLS 1.0/
# TLS 1.1 offered, on any vulnerability check not "OK" (or INFO where testssl has
# nothing to test, as ROBOT without RSA key transport), and when a check we expect
# is missing from the report (testssl did not run it).
. "$(dirname "$0")/lib.sh"
need testssl
server=${4:-$bin/loom-test-server}

start_loom "$tmp/srv.log" "$server" -p 0 --tls-port 0 --cert "$certs/server.pem" \
	--key "$certs/server.key"
timeout 240 testssl --quiet --color 0 --warnings off --sneaky -p -s -U \
	--jsonfile "$tmp/report.json" "127.0.0.1:$port" > "$tmp/out.txt" 2>&1
rc=$?
sed -n '/Testing protocols/,$p' "$tmp/out.txt" | grep -v '^ *$'
[ -s "$tmp/report.json" ] || { echo "FAIL: testssl wrote no report (exit $rc)"; exit 1; }
/usr/bin/python3 - "$tmp/report.json" "$backend" <<'PY' || fail=1
import json, sys
rep = json.load(open(sys.argv[1]))
by_id = {r["id"]: r for r in rep}
bad = []
want_protocols = ["SSLv2", "SSLv3", "TLS1", "TLS1_1", "TLS1_2"]
want_vulns = ["heartbleed", "CCS", "ticketbleed", "ROBOT", "secure_renego",
              "secure_client_renego", "CRIME_TLS", "POODLE_SSL", "fallback_SCSV",
              "SWEET32", "FREAK", "DROWN", "LOGJAM", "BEAST", "LUCKY13", "RC4"]
for i in want_protocols + want_vulns:
    if i not in by_id:
        bad.append("%s: not in the report (check did not run)" % i)
for i in ["SSLv2", "SSLv3", "TLS1", "TLS1_1"]:
    f = by_id.get(i, {}).get("finding", "")
    if i in by_id and not f.startswith("not offered"):
        bad.append("%s: %s" % (i, f))
if not by_id.get("TLS1_2", {}).get("finding", "").startswith("offered"):
    bad.append("TLS 1.2 not offered")
for r in rep:
    if r["severity"] in ("HIGH", "CRITICAL"):
        bad.append("%s %s: %s" % (r["severity"], r["id"], r["finding"]))
    elif r["id"] in want_vulns and r["severity"] not in ("OK", "INFO"):
        bad.append("%s %s: %s" % (r["severity"], r["id"], r["finding"]))
    elif r["severity"] in ("MEDIUM", "LOW", "WARN"):
        print("note: %s %s: %s" % (r["severity"], r["id"], r["finding"]))
for b in bad:
    print("FAIL: " + b)
if not bad:
    print("ok: %s: %d findings, none HIGH/CRITICAL, nothing below TLS 1.2, "
          "every vulnerability check OK" % (sys.argv[2], len(rep)))
sys.exit(1 if bad else 0)
PY
kill -0 "${pids[0]}" 2>/dev/null && ok "server still running" || bad "server died"
exit $fail
