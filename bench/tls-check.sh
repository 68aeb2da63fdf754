#!/usr/bin/env bash
# Outside checks of Sluice's HTTPS listener: h2spec (HTTP/2 conformance,
# over TLS with ALPN h2) and testssl.sh (protocols, ciphers,
# vulnerabilities).
#
#   bash bench/tls-check.sh            # both
#   bash bench/tls-check.sh --h2spec   # h2spec only
#   bash bench/tls-check.sh --testssl  # testssl.sh only
#   bash bench/tls-check.sh --testssl --mtls  # testssl.sh on a listener asking
#                                             # for client certificates (optional)
#
# It installs h2spec with `go install` (into a temp GOBIN) and testssl.sh
# with apt-get when missing, builds the sluice binary and bench/origin,
# makes an ECDSA P-256 certificate for 127.0.0.1 with openssl, starts
# `sluice start` with an https listener in front of the origin, all on
# 127.0.0.1, runs the checkers and prints a summary. It exits non-zero when
# h2spec reports a failure or testssl.sh a finding rated below OK in the
# protocol, cipher and vulnerability sections. Everything it starts is
# stopped on exit; files go to a temp dir (printed).
set -euo pipefail

RUN_H2SPEC=1
RUN_TESTSSL=1
MTLS=0
PORT=18443
ORIGIN_PORT=18090
for arg in "$@"; do
	case "$arg" in
	--h2spec) RUN_TESTSSL=0 ;;
	--testssl) RUN_H2SPEC=0 ;;
	--mtls) MTLS=1 ;;
	*) echo "usage: $0 [--h2spec|--testssl] [--mtls]" >&2; exit 2 ;;
	esac
done

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TMP="$(mktemp -d /tmp/sluice-tls-check.XXXXXX)"
# shellcheck source=bench/lib.sh
source "$REPO/bench/lib.sh"

PIDS=()
cleanup() {
	local rc=$? p
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- tools -------------------------------------------------------------------
command -v go >/dev/null || die "go is not in PATH"
command -v openssl >/dev/null || die "openssl is not installed"
H2SPEC=$(command -v h2spec || true)
if ((RUN_H2SPEC)) && [[ -z "$H2SPEC" ]]; then
	log "installing h2spec with go install"
	GOBIN="$TMP/bin" go install github.com/summerwind/h2spec/cmd/h2spec@latest >&2 ||
		die "go install github.com/summerwind/h2spec/cmd/h2spec@latest failed"
	H2SPEC="$TMP/bin/h2spec"
fi
TESTSSL=$(command -v testssl || command -v testssl.sh || true)
if ((RUN_TESTSSL)) && [[ -z "$TESTSSL" ]]; then
	need_packages testssl.sh
	TESTSSL=$(command -v testssl || command -v testssl.sh)
fi

# --- build, certificate, configuration ------------------------------------------
log "building sluice and bench/origin into $TMP"
(cd "$REPO" && go build -o "$TMP/" ./cmd/sluice ./bench/origin)
cd "$TMP"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
	-subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
	-keyout key.pem -out cert.pem 2>/dev/null
CLIENT_AUTH=""
if ((MTLS)); then
	# A CA of its own for client certificates; optional, so that the
	# checkers (which have none) still get through.
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
		-subj "/CN=clients CA" -keyout clients-ca.key -out clients-ca.pem 2>/dev/null
	CLIENT_AUTH='client_auth = "optional"
client_ca = "clients-ca.pem"'
fi
cat >sluice.toml <<CONF
command_socket = "sluice.sock"
log_level = "warn"

[[listeners]]
protocol = "https"
address = "127.0.0.1:$PORT"
certificate = "cert.pem"   # default certificate: h2spec and testssl send no SNI for an IP
key = "key.pem"
$CLIENT_AUTH

[clusters.origin]
hsts = { max_age = 31536000, include_subdomains = true }
frontends = [ { address = "127.0.0.1:$PORT", hostname = "*" } ]
backends = [ { id = "o1", address = "127.0.0.1:$ORIGIN_PORT" } ]
CONF
"$TMP/sluice" config check -c sluice.toml >&2

"$TMP/origin" -listen "127.0.0.1:$ORIGIN_PORT" >origin.log 2>&1 &
PIDS+=($!)
"$TMP/sluice" start -c sluice.toml >sluice.log 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do
	curl -fsSk -o /dev/null "https://127.0.0.1:$PORT/" 2>/dev/null && break
	sleep 0.1
done
curl -fsSk -o /dev/null "https://127.0.0.1:$PORT/" || die "sluice does not answer on https://127.0.0.1:$PORT; see $TMP/sluice.log"

RC=0
# --- h2spec ----------------------------------------------------------------------
if ((RUN_H2SPEC)); then
	# Twice: the default test cases, then strict mode (-S), which adds the
	# cases for what RFC 7540/9113 says SHOULD be done.
	for mode in default strict; do
		flags=()
		[[ $mode == strict ]] && flags=(-S)
		log "h2spec $("$H2SPEC" --version 2>/dev/null | head -1) ($mode) against https://127.0.0.1:$PORT (TLS, ALPN h2)"
		set +e
		"$H2SPEC" -h 127.0.0.1 -p "$PORT" -t -k -o 5 "${flags[@]}" -j "$TMP/h2spec-$mode.xml" >"$TMP/h2spec-$mode.txt" 2>&1
		H2RC=$?
		set -e
		tail -n 3 "$TMP/h2spec-$mode.txt"
		if ((H2RC != 0)); then
			echo "h2spec ($mode) failures:"
			grep -E '×|failed' "$TMP/h2spec-$mode.txt" | head -50
			RC=1
		fi
	done
fi

# --- testssl.sh --------------------------------------------------------------------
if ((RUN_TESTSSL)); then
	log "testssl.sh: protocols, cipher categories, forward secrecy, server preferences, vulnerabilities"
	set +e
	"$TESTSSL" --quiet --color 0 --warnings off --protocols --std --fs --server-preference --vulnerable \
		--jsonfile "$TMP/testssl.json" "127.0.0.1:$PORT" >"$TMP/testssl.txt" 2>&1
	set -e
	[[ -s "$TMP/testssl.json" ]] || die "testssl.sh wrote no results; see $TMP/testssl.txt"
	# Every finding of these sections must be rated OK or INFO.
	python3 - "$TMP/testssl.json" <<'PY' || RC=1
import json, sys, collections
findings = json.load(open(sys.argv[1]))
count = collections.Counter(f["severity"] for f in findings)
print("testssl.sh findings by severity:", dict(sorted(count.items())))
# engine_problem: the local openssl lacks GOST, a remark on the tool, not on the server
bad = [f for f in findings if f["severity"] not in ("OK", "INFO") and f["id"] not in ("scanTime", "engine_problem")]
for f in bad:
    print(f"  {f['severity']:8} {f['id']}: {f['finding']}")
vulns = [f for f in findings if f["severity"] == "OK" and f.get("cve")]
print(f"vulnerability checks rated OK: {len(vulns)}")
sys.exit(1 if bad else 0)
PY
fi
echo "files: $TMP"
exit "$RC"
