#!/usr/bin/env bash
# HTTPS benchmark: Sluice against HAProxy and nginx terminating TLS, each
# alone on one CPU, in front of the same origin, loaded by wrk (HTTP/1.1)
# and h2load (HTTP/2) over loopback. Standalone; the same CPU layout as
# bench/run.sh.
#
#   bash bench/https.sh                # 3 rounds of 10 s runs
#   bash bench/https.sh --quick        # 1 round of 5 s runs
#   bash bench/https.sh --rounds 5 --duration 8
#   bash bench/https.sh --only keepalive                # only this scenario
#   bash bench/https.sh --only h2,h2c50                 # the HTTP/2 ones
#   bash bench/https.sh --baseline REV --only keepalive # + Sluice built from git revision REV
#   bash bench/https.sh --only idle --idle-conns 10000  # memory per idle TLS connection
#   bash bench/https.sh --profile DIR                   # + a CPU profile of Sluice per measured run
#   bash bench/https.sh --backend-tls --only keepalive  # every proxy speaks TLS to the origin
#   bash bench/https.sh --backend-tls --backend-no-reuse --only keepalive  # + a full TLS handshake to the origin per request
#   bash bench/https.sh --backend-tls --backend-h2 --only keepalive,h2     # + HTTP/2 to the origin (HAProxy and Sluice)
#   bash bench/https.sh --same-headers --only h2    # HAProxy and nginx add the fields Sluice adds
#                                                   # (X-Forwarded-*, Forwarded, a request id both
#                                                   # ways): the same work per request for the load side
#
# Scenarios (ECDSA P-256 certificate):
#   keepalive    wrk -t1 -c50, HTTP/1.1: requests on 50 kept-alive TLS
#                connections: req/s
#   handshakes   wrk -t1 -c50, HTTP/1.1, "Connection: close": every request
#                opens a new TCP connection with a full TLS handshake (wrk
#                resumes no session), so req/s = full handshakes per second
#   h2           h2load -t1 -c10 -m10, HTTP/2 (ALPN h2): 10 connections, 10
#                streams in flight on each: req/s
#   h2c50        h2load -t1 -c50 -m1, HTTP/2: 50 connections, one stream in
#                flight on each (a browser's page load, spread): req/s
#   idle         (only when named) memory per idle TLS connection: each
#                proxy restarted fresh, bench/idleconns opens --idle-conns
#                connections (10 000) that make one request each and then
#                idle, HTTP/1.1 (-tls) then HTTP/2 (-h2, no stream open),
#                each on a fresh proxy: RSS 3 s after the last opened −
#                RSS before, per connection, in KiB
# CPU layout (needs 2 CPUs):
#   CPU 0  the proxy under test (HAProxy nbthread 1, nginx worker_processes 1,
#          Sluice GOMAXPROCS=1); only the one measured gets traffic
#   CPU 1  wrk and the origin (nginx, 1 worker, return 200 "hello, world\n")
# --backend-tls: the origin listens with TLS (the same certificate), and each
# proxy speaks TLS to it, verifying it against that certificate, its
# connections kept alive and its sessions resumed: HAProxy "ssl verify
# required ca-file", nginx "proxy_ssl_verify on" with session reuse,
# Sluice "tls = true, tls_ca". Compare with a run without it for the cost.
# --backend-no-reuse (with --backend-tls: a full handshake each time): no
# backend connection is reused, every request opens one: HAProxy
# "http-reuse never" and "option http-server-close", nginx without
# "keepalive" in its upstream, Sluice "max_idle_per_backend = 0"; the origin
# resumes no session (ssl_session_cache off, ssl_session_tickets off).
# --backend-h2 (with --backend-tls): the origin offers ALPN h2 and the proxies
# speak HTTP/2 to it, requests multiplexed on pooled connections: HAProxy
# "alpn h2", Sluice backend_protocol = "h2"; nginx cannot (its proxy module
# speaks HTTP/1.x) and is left out.
# Everything listens on 127.0.0.1; files go to a temp dir (printed); all it
# starts is stopped on exit.
set -euo pipefail

ROUNDS=3
DURATION=10
WARMUP=2
BASE_PORT=19080
ONLY=""     # comma-separated scenarios to run (keepalive, handshakes, h2, h2c50, idle); "" = all but idle
IDLE_CONNS=10000
BASELINE="" # a git revision: also measure Sluice built from it ("sluice-base")
PROFILE_DIR="" # --profile: where CPU profiles of Sluice's measured runs go
BACKEND_TLS=0
BACKEND_NO_REUSE=0
BACKEND_H2=0
SAME_HEADERS=0 # --same-headers: HAProxy and nginx add the fields Sluice adds
while [[ $# -gt 0 ]]; do
	case "$1" in
	--quick) ROUNDS=1; DURATION=5; shift ;;
	--rounds) ROUNDS="$2"; shift 2 ;;
	--duration) DURATION="$2"; shift 2 ;;
	--base-port) BASE_PORT="$2"; shift 2 ;;
	--only) ONLY="$2"; shift 2 ;;
	--baseline) BASELINE="$2"; shift 2 ;;
	--idle-conns) IDLE_CONNS="$2"; shift 2 ;;
	--profile) PROFILE_DIR="$2"; shift 2 ;;
	--backend-tls) BACKEND_TLS=1; shift ;;
	--backend-no-reuse) BACKEND_NO_REUSE=1; shift ;;
	--backend-h2) BACKEND_H2=1; shift ;;
	--same-headers) SAME_HEADERS=1; shift ;;
	-h|--help) sed -n '2,57p' "$0"; exit 0 ;;
	*) echo "unknown argument: $1" >&2; exit 2 ;;
	esac
done
ALL_SCENARIOS=(keepalive handshakes h2 h2c50)
if (( BACKEND_H2 )) && ! (( BACKEND_TLS )); then echo "--backend-h2 needs --backend-tls" >&2; exit 2; fi
if (( BACKEND_H2 && BACKEND_NO_REUSE )); then echo "--backend-h2 and --backend-no-reuse: one at a time" >&2; exit 2; fi
if [[ -n "$PROFILE_DIR" ]]; then
	mkdir -p "$PROFILE_DIR" || { echo "--profile: cannot create $PROFILE_DIR" >&2; exit 2; }
	PROFILE_DIR="$(cd "$PROFILE_DIR" && pwd)"
fi
SCENARIOS=("${ALL_SCENARIOS[@]}")
RUN_IDLE=0
if [[ -n "$ONLY" ]]; then
	IFS=, read -r -a only_parts <<<"$ONLY"
	SCENARIOS=()
	for s in "${ALL_SCENARIOS[@]}"; do
		for part in "${only_parts[@]}"; do [[ $part == "$s" ]] && SCENARIOS+=("$s"); done
	done
	for part in "${only_parts[@]}"; do
		[[ $part == idle ]] && { RUN_IDLE=1; continue; }
		[[ " ${ALL_SCENARIOS[*]} " == *" $part "* ]] ||
			{ echo "--only takes a comma-separated list of ${ALL_SCENARIOS[*]} idle" >&2; exit 2; }
	done
fi

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=bench/lib.sh
source "$REPO/bench/lib.sh"
(( $(nproc) >= 2 )) || die "needs at least 2 CPUs"
BASE_COMMIT=""
[[ -z "$BASELINE" ]] || BASE_COMMIT=$(baseline_commit "$REPO" "$BASELINE")

need_packages haproxy nginx wrk curl openssl util-linux nghttp2-client
ulimit -n 65536 2>/dev/null || true

TMP="$(mktemp -d /tmp/sluice-https-bench.XXXXXX)"
ORIGIN=$BASE_PORT
declare -A PORT=([haproxy]=$((BASE_PORT + 1)) [nginx]=$((BASE_PORT + 2)) [sluice]=$((BASE_PORT + 3)))
PROXIES=(haproxy nginx sluice)
if (( BACKEND_H2 )); then PROXIES=(haproxy sluice); fi # nginx speaks HTTP/1.x to upstreams
PW=8 # width of the proxy column
if [[ -n "$BASELINE" ]]; then
	PORT[sluice-base]=$((BASE_PORT + 4))
	PROXIES+=(sluice-base)
	PW=11
fi
declare -A PID=()
PIDS=()
cleanup() {
	local rc=$? p
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "${TMP:?}/sluice-base.src"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for p in $ORIGIN "${PORT[@]}"; do port_free "$p" || die "127.0.0.1:$p is in use (try --base-port)"; done

log "building sluice into $TMP"
(cd "$REPO" && go build -o "$TMP/" ./cmd/sluice ./bench/idleconns)
if [[ -n "$BASELINE" ]]; then
	log "building sluice-base: cmd/sluice at $BASELINE (${BASE_COMMIT:0:12})"
	build_baseline "$REPO" "$BASE_COMMIT" "$TMP/sluice-base"
fi
cd "$TMP"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj "/CN=localhost" \
	-addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -keyout key.pem -out cert.pem 2>/dev/null
cat cert.pem key.pem >haproxy.pem

nginx_conf() { # dir body
	mkdir -p "$1"
	cat >"$1/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $1/nginx.pid;
error_log $1/error.log warn;
events { worker_connections 20000; }
http {
    access_log off;
    client_body_temp_path $1/cb; proxy_temp_path $1/p; fastcgi_temp_path $1/f; uwsgi_temp_path $1/u; scgi_temp_path $1/s;
    keepalive_timeout 60s;
    keepalive_requests 100000000;
$2
}
CONF
}
ORIGIN_SSL="" ORIGIN_SCHEME=http NGINX_UPSTREAM_TLS="" HAPROXY_SERVER_TLS="" SLUICE_CLUSTER_TLS=""
if (( BACKEND_TLS )); then
	ORIGIN_SSL="ssl; ssl_certificate $TMP/cert.pem; ssl_certificate_key $TMP/key.pem; ssl_protocols TLSv1.2 TLSv1.3"
	ORIGIN_SCHEME=https
	NGINX_UPSTREAM_TLS="proxy_ssl_verify on; proxy_ssl_trusted_certificate $TMP/cert.pem; proxy_ssl_name localhost; proxy_ssl_session_reuse on;"
	HAPROXY_SERVER_TLS="ssl verify required ca-file $TMP/cert.pem"
	SLUICE_CLUSTER_TLS='tls = true
tls_ca = "cert.pem"'
fi
NGINX_KEEPALIVE="keepalive 1024;" HAPROXY_REUSE="http-reuse always" SLUICE_GLOBAL=""
if (( BACKEND_NO_REUSE )); then
	NGINX_KEEPALIVE=""
	NGINX_UPSTREAM_TLS="${NGINX_UPSTREAM_TLS/proxy_ssl_session_reuse on;/proxy_ssl_session_reuse off;}"
	HAPROXY_REUSE="http-reuse never
    option http-server-close"
	SLUICE_GLOBAL="max_idle_per_backend = 0"
	if (( BACKEND_TLS )); then ORIGIN_SSL="$ORIGIN_SSL; ssl_session_cache off; ssl_session_tickets off"; fi
fi
if (( BACKEND_H2 )); then
	ORIGIN_SSL="${ORIGIN_SSL/ssl;/ssl http2;}"
	HAPROXY_SERVER_TLS="$HAPROXY_SERVER_TLS alpn h2"
	SLUICE_CLUSTER_TLS="$SLUICE_CLUSTER_TLS
backend_protocol = \"h2\""
fi
nginx_conf "$TMP/origin" "server { listen 127.0.0.1:$ORIGIN backlog=4096 ${ORIGIN_SSL:+$ORIGIN_SSL}; location / { default_type text/plain; return 200 \"hello, world\n\"; } }"
# --same-headers: HAProxy and nginx add what Sluice adds (see same_headers
# in lib.sh).
HAPROXY_HEADERS=""
NGINX_HEADERS=""
((SAME_HEADERS)) && same_headers https
nginx_conf "$TMP/nginx" "
    upstream origin { server 127.0.0.1:$ORIGIN; $NGINX_KEEPALIVE }
    server {
        listen 127.0.0.1:${PORT[nginx]} ssl http2 backlog=4096;
        ssl_certificate $TMP/cert.pem;
        ssl_certificate_key $TMP/key.pem;
        ssl_protocols TLSv1.2 TLSv1.3;
        location / { proxy_pass $ORIGIN_SCHEME://origin; proxy_http_version 1.1; proxy_set_header Connection \"\"; $NGINX_UPSTREAM_TLS
            $NGINX_HEADERS }
    }"
# HAProxy wants 2 × maxconn descriptors; under a lower hard limit let it
# start anyway, as bench/run.sh does.
HAPROXY_LIMITS=""
(( $(ulimit -n) >= 40100 )) || HAPROXY_LIMITS="no strict-limits"
cat >haproxy.cfg <<CONF
global
    nbthread 1
    maxconn 20000
    $HAPROXY_LIMITS
    ssl-default-bind-options ssl-min-ver TLSv1.2
defaults
    mode http
    option http-keep-alive
    $HAPROXY_REUSE
    timeout connect 5s
    timeout client 60s
    timeout server 60s
frontend fe
    bind 127.0.0.1:${PORT[haproxy]} ssl crt $TMP/haproxy.pem alpn h2,http/1.1
    $HAPROXY_HEADERS
    default_backend be
backend be
    server origin 127.0.0.1:$ORIGIN $HAPROXY_SERVER_TLS
CONF
sluice_conf() { # name: the configuration of that Sluice, on its port
	cat >"$1.toml" <<CONF
command_socket = "$TMP/$1.sock"
log_level = "warn"
# No access log, as HAProxy (no log line configured) and nginx (access_log
# off) here; before 2026-12-03 evening Sluice wrote one line per request
# to its log file in this script (about 6% of its CPU under h2load).
access_log = "off"
max_connections = 20000
keepalive_timeout = "60s"
$SLUICE_GLOBAL
[[listeners]]
protocol = "https"
address = "127.0.0.1:${PORT[$1]}"
certificate = "cert.pem"
key = "key.pem"
[clusters.origin]
$SLUICE_CLUSTER_TLS
frontends = [ { address = "127.0.0.1:${PORT[$1]}", hostname = "*" } ]
backends = [ { id = "o1", address = "127.0.0.1:$ORIGIN" } ]
CONF
}
sluice_conf sluice
"$TMP/sluice" config check -c "$TMP/sluice.toml" >"$TMP/config-check-sluice.log" 2>&1 ||
	die "sluice config check -c $TMP/sluice.toml: $(cat "$TMP/config-check-sluice.log")"
BASE_CONF_NOTE=""
if [[ -n "$BASELINE" ]]; then
	sluice_conf sluice-base
	cp sluice-base.toml sluice-base.as-written.toml
	BASE_CONF_NOTE=$(fit_conf "$TMP/sluice-base" "$TMP/sluice-base.toml")
	[[ -z "$BASE_CONF_NOTE" ]] || log "sluice-base's parser does not know, so its configuration goes without: $(tr '\n' ' ' <<<"$BASE_CONF_NOTE")"
fi

start() { # name cpu command...
	local name=$1 cpu=$2; shift 2
	taskset -c "$cpu" "$@" >"$TMP/$name.log" 2>&1 &
	PID[$name]=$!
	PIDS+=($!)
}
# --profile: the Go profiling endpoints (SLUICE_PPROF) of the Sluices; a
# baseline too old to know SLUICE_PPROF serves none.
declare -A PPROF_PORT=()
[[ -z "$PROFILE_DIR" ]] || PPROF_PORT=([sluice]=$((BASE_PORT + 10)) [sluice-base]=$((BASE_PORT + 11)))
launch() { # proxy: start it on CPU 0 and wait until it answers
	case $1 in
	haproxy) start haproxy 0 haproxy -db -f "$TMP/haproxy.cfg" ;;
	nginx) start nginx 0 nginx -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" -e stderr ;;
	*) SLUICE_PPROF=${PPROF_PORT[$1]:+127.0.0.1:${PPROF_PORT[$1]}} GOMAXPROCS=1 start "$1" 0 "$TMP/$1" start -c "$TMP/$1.toml" ;;
	esac
	for _ in $(seq 1 100); do curl -fsSk -m 2 -o /dev/null "https://127.0.0.1:${PORT[$1]}/" 2>/dev/null && break; sleep 0.1; done
	curl -fsSk -m 2 -o /dev/null "https://127.0.0.1:${PORT[$1]}/" || die "$1 does not answer; see $TMP/$1.log"
}
stop() { # proxy
	kill -TERM "${PID[$1]}" 2>/dev/null || true
	wait "${PID[$1]}" 2>/dev/null || true
	for _ in $(seq 1 100); do port_free "${PORT[$1]}" && break; sleep 0.1; done
}
start origin 1 nginx -p "$TMP/origin" -c "$TMP/origin/nginx.conf" -e stderr
for p in "${PROXIES[@]}"; do launch "$p"; done

HZ=$(getconf CLK_TCK)
RAW="$TMP/results.tsv"
: >"$RAW"
STEP_SLACK=30 # seconds a wrk run may take beyond its nominal length
# prof_start round proxy scenario: with --profile, fetches a CPU profile of
# the measured run in the background (from CPU 1); prof_end waits for it.
PROF_PID="" PROF_FILE=""
prof_start() {
	PROF_PID="" PROF_FILE=""
	[[ -n "${PPROF_PORT[$2]:-}" ]] || return 0
	PROF_FILE="$PROFILE_DIR/r$1-$2-$3.pprof"
	taskset -c 1 curl -fsS -m $((DURATION + STEP_SLACK)) -o "$PROF_FILE" \
		"http://127.0.0.1:${PPROF_PORT[$2]}/debug/pprof/profile?seconds=$DURATION" 2>"$TMP/pprof.err" &
	PROF_PID=$!
}
prof_end() {
	[[ -n "$PROF_PID" ]] || return 0
	wait "$PROF_PID" || { log "no CPU profile for $PROF_FILE: $(tr '\n' ' ' <"$TMP/pprof.err")"; rm -f "$PROF_FILE"; }
}
# load_cols requests cpu1-busy-jiffies cpu1-total-jiffies: the 9th and
# 10th columns, how busy CPU 1 (the load generator and the origin) was, in
# %, and its busy time per request in µs. With CPU 1 near 100% the load
# side caps req/s at 1e6 / load µs, whatever the proxy does.
load_cols() {
	awk -v n="$1" -v b="$2" -v d="$3" -v hz="$HZ" 'BEGIN { printf "%.1f\t%.2f", d ? 100 * b / d : 0, n ? b / hz * 1e6 / n : 0 }'
}
run() { # round proxy scenario
	case $3 in h2 | h2c50) run_h2 "$@"; return ;; esac
	local url="https://127.0.0.1:${PORT[$2]}/" args=(-t1 -c50)
	[[ $3 == handshakes ]] && args+=(-H "Connection: close")
	# With a baseline, p99 too (--latency only adds the percentiles to wrk's output).
	[[ -z "$BASELINE" ]] || args+=(--latency)
	taskset -c 1 timeout $((WARMUP + STEP_SLACK)) wrk "${args[@]}" -d"${WARMUP}s" "$url" >/dev/null 2>&1 || true
	local t0 t1 c1b c1t c1b2 c1t2 out rps reqs p99=""
	prof_start "$@"
	t0=$(cpu_ticks "${PID[$2]}"); read -r c1b c1t < <(cpu_stat cpu1)
	out=$(taskset -c 1 timeout $((DURATION + STEP_SLACK)) wrk "${args[@]}" -d"${DURATION}s" "$url" 2>&1) || die "wrk failed: $out"
	t1=$(cpu_ticks "${PID[$2]}"); read -r c1b2 c1t2 < <(cpu_stat cpu1)
	prof_end
	echo "$out" >"$TMP/wrk-$1-$2-$3.txt"
	rps=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
	reqs=$(awk '/ requests in / { print $1 }' <<<"$out")
	local cpu=$(awk -v t=$((t1 - t0)) -v hz="$HZ" -v n="$reqs" 'BEGIN { printf "%.1f", t / hz * 1e6 / n }')
	local pct=$(awk -v t=$((t1 - t0)) -v hz="$HZ" -v d="$DURATION" 'BEGIN { printf "%.0f", 100 * t / hz / d }')
	local errs=$(sed -n 's/^ *\(Socket errors\|Non-2xx or 3xx responses\): *//p' <<<"$out" | tr '\n' ' ')
	# p99 in ms (the 8th column), with a baseline only
	[[ -z "$BASELINE" ]] || p99=$(to_ms "$(awk '$1 == "99%" { print $2 }' <<<"$out")")
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$rps" "$cpu" "${errs:-}" "$pct" "$p99" \
		"$(load_cols "$reqs" $((c1b2 - c1b)) $((c1t2 - c1t)))" >>"$RAW"
	log "round $1 $2 $3: $rps req/s, $cpu CPU µs/req, proxy CPU $pct%${p99:+, p99 $p99 ms} ${errs:+(errors: $errs)}"
}
# run_h2: the HTTP/2 scenarios, with h2load: a warm-up run of WARMUP
# seconds, then a measured one of DURATION. p99 is not measured (h2load
# gives no percentiles of request times).
run_h2() { # round proxy scenario
	local url="https://127.0.0.1:${PORT[$2]}/" args=(-t1 -c10 -m10)
	[[ $3 == h2c50 ]] && args=(-t1 -c50 -m1)
	taskset -c 1 timeout $((WARMUP + STEP_SLACK)) h2load "${args[@]}" -D "${WARMUP}s" "$url" >/dev/null 2>&1 || true
	local t0 t1 c1b c1t c1b2 c1t2 out rps reqs errs
	prof_start "$@"
	t0=$(cpu_ticks "${PID[$2]}"); read -r c1b c1t < <(cpu_stat cpu1)
	out=$(taskset -c 1 timeout $((DURATION + STEP_SLACK)) h2load "${args[@]}" -D "${DURATION}s" "$url" 2>&1) ||
		die "h2load failed: $out"
	t1=$(cpu_ticks "${PID[$2]}"); read -r c1b2 c1t2 < <(cpu_stat cpu1)
	prof_end
	echo "$out" >"$TMP/h2load-$1-$2-$3.txt"
	grep -q 'Application protocol: h2' <<<"$out" || die "$2 did not negotiate h2: $(head -20 <<<"$out")"
	rps=$(awk '/^finished in/ { for (i = 1; i < NF; i++) if ($(i + 1) ~ /^req\/s/) { v = $i; gsub(",", "", v); print v } }' <<<"$out")
	reqs=$(awk '/^requests:/ { print $8 }' <<<"$out")
	errs=$(awk '/^requests:/ && ($10 + $12 + $14) > 0 { printf "failed %d errored %d timeout %d", $10, $12, $14 }
		/^status codes:/ { gsub(",", ""); if ($5 + $7 + $9 > 0) printf " non-2xx %d", $5 + $7 + $9 }' <<<"$out")
	local cpu=$(awk -v t=$((t1 - t0)) -v hz="$HZ" -v n="$reqs" 'BEGIN { printf "%.1f", t / hz * 1e6 / n }')
	local pct=$(awk -v t=$((t1 - t0)) -v hz="$HZ" -v d="$DURATION" 'BEGIN { printf "%.0f", 100 * t / hz / d }')
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t\t%s\n' "$1" "$2" "$3" "$rps" "$cpu" "${errs:-}" "$pct" \
		"$(load_cols "$reqs" $((c1b2 - c1b)) $((c1t2 - c1t)))" >>"$RAW"
	log "round $1 $2 $3: $rps req/s, $cpu CPU µs/req, proxy CPU $pct% ${errs:+(errors: $errs)}"
}
for ((r = 1; r <= ROUNDS; r++)); do
	# With a baseline, sluice and sluice-base run next to each other, which
	# of the two first alternating with the rounds.
	order=("${PROXIES[@]}")
	if ! ((r % 2)); then
		for ((i = 0; i < ${#PROXIES[@]}; i++)); do order[i]=${PROXIES[${#PROXIES[@]} - 1 - i]}; done
	fi
	for p in "${order[@]}"; do for s in "${SCENARIOS[@]}"; do run "$r" "$p" "$s"; done; done
done

# --- idle TLS connection memory (fresh proxies) --------------------------------
MEM="$TMP/idle-memory.tsv"
: >"$MEM"
idle_run() { # proxy mode(tls|h2)
	local p=$1 mode=$2 before after opened ic ready=0
	stop "$p"
	launch "$p"
	# A few requests so the first-request allocations are not counted.
	for _ in 1 2 3 4 5; do curl -fsSk -m 2 -o /dev/null "https://127.0.0.1:${PORT[$p]}/" || true; done
	[[ $mode == h2 ]] && for _ in 1 2 3; do curl -fsSk --http2 -m 2 -o /dev/null "https://127.0.0.1:${PORT[$p]}/" || true; done
	sleep 1
	before=$(rss_kib "${PID[$p]}")
	taskset -c 1 "$TMP/idleconns" -addr "127.0.0.1:${PORT[$p]}" -host localhost -n "$IDLE_CONNS" -hold 120s "-$mode" \
		>"$TMP/idleconns-$p-$mode.log" 2>&1 &
	ic=$!
	PIDS+=("$ic")
	for _ in $(seq 1 1200); do # 120 s at most
		if grep -q '^ready' "$TMP/idleconns-$p-$mode.log"; then ready=1; break; fi
		kill -0 "$ic" 2>/dev/null || break
		sleep 0.1
	done
	((ready)) || die "idleconns -$mode did not get ready against $p; see $TMP/idleconns-$p-$mode.log"
	grep -q '^ready: [0-9]* open, 0 failed' "$TMP/idleconns-$p-$mode.log" ||
		log "warning: idle $p $mode: $(tr '\n' ' ' <"$TMP/idleconns-$p-$mode.log")"
	sleep 3
	after=$(rss_kib "${PID[$p]}")
	opened=$(awk '/^ready/ { print $2 }' "$TMP/idleconns-$p-$mode.log")
	kill -TERM "$ic" 2>/dev/null || true
	wait "$ic" 2>/dev/null || true
	local per=$(awk -v a="$after" -v b="$before" -v n="$opened" 'BEGIN { printf "%.2f", n ? (a - b) / n : 0 }')
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$p" "$mode" "$opened" "$before" "$after" "$per" >>"$MEM"
	log "idle $p $mode: $opened connections open, RSS $before -> $after KiB, $per KiB/connection"
}
if ((RUN_IDLE)); then
	for p in "${PROXIES[@]}"; do for mode in tls h2; do idle_run "$p" "$mode"; done; done
fi

echo
echo "Sluice HTTPS benchmark — $(date -u '+%Y-%m-%d %H:%M UTC'), $ROUNDS round(s) of ${DURATION}s runs (wrk -t1 -c50; h2load -t1 -c10 -m10 and -c50 -m1), median over rounds"
echo "Sluice at $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?'); HAProxy $(haproxy -v | awk 'NR == 1 { print $3 }'), nginx $(nginx -v 2>&1 | sed 's|.*/||'), $(wrk -v 2>&1 | head -1 | awk '{ print $1, $2 }'), $(h2load --version 2>&1 | head -1), $(go version | awk '{ print $3 }')"
BACKEND_NOTE="HTTP/1.1 to the origin, kept alive"
(( BACKEND_TLS )) && BACKEND_NOTE="TLS to the origin (verified), kept alive, sessions resumed"
(( BACKEND_NO_REUSE )) && BACKEND_NOTE="${BACKEND_NOTE%%, kept*}, a new connection per request$( ((BACKEND_TLS)) && echo ' (a full TLS handshake: the origin resumes no session)')"
(( BACKEND_H2 )) && BACKEND_NOTE="HTTP/2 over TLS to the origin (ALPN h2), streams multiplexed on pooled connections; nginx left out"
echo "Backend side: $BACKEND_NOTE"
if [[ -n "$BASELINE" ]]; then
	echo "sluice-base at $(git -C "$REPO" rev-parse --short "$BASE_COMMIT") (--baseline $BASELINE; built from git archive of it), the same configuration as sluice on its own port$([[ -z "$BASE_CONF_NOTE" ]] || echo ", without what its parser does not know: $(tr '\n' ' ' <<<"$BASE_CONF_NOTE")")"
fi
awk -F'\t' -v proxies="${PROXIES[*]}" -v pw="$PW" '
function median(k,   n, i, j, t, a) { n = cnt[k]; for (i = 1; i <= n; i++) a[i] = v[k, i]
	for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
{ k = $2 SUBSEP $3; cnt[k]++; v[k, cnt[k]] = $4; cc[k] += $5; pc[k] += $7; c1[k] += $9; lu[k] += $10; if ($6 != "") err[k] = err[k] " " $6 }
END {
	printf "%-12s %-" pw "s %10s %7s %12s %7s %7s %7s %8s\n", "scenario", "proxy", "req/s", "×HAP", "CPU µs/req", "×HAP", "proxy%", "cpu1%", "load µs"
	nsc = split("keepalive handshakes h2 h2c50", sc, " "); np = split(proxies, px, " ")
	for (s = 1; s <= nsc; s++) { hk = "haproxy" SUBSEP sc[s]; if (!cnt[hk]) continue; base = median(hk); cbase = cc[hk] / cnt[hk]
		for (p = 1; p <= np; p++) { k = px[p] SUBSEP sc[s]; if (!cnt[k]) continue; m = median(k); c = cc[k] / cnt[k]
			printf "%-12s %-" pw "s %10.0f %6.2fx %12.1f %6.2fx %7.0f %7.1f %8.2f%s\n", (p == 1 ? sc[s] : ""), px[p], m, base ? m / base : 0, c, cbase ? c / cbase : 0, pc[k] / cnt[k], c1[k] / cnt[k], lu[k] / cnt[k], (err[k] ? "  errors:" err[k] : "") } }
}' "$RAW"
echo "req/s: median; CPU µs/req and proxy% (the proxy's share of CPU 0): mean over rounds."
echo "When proxy% is well under 100 the load side (wrk's own handshakes, on CPU 1) bounded req/s: compare CPU µs/req."
echo "cpu1% and load µs (means): how busy CPU 1 (wrk or h2load, and the origin) was, and its busy time per request;"
echo "  with cpu1% near 100, req/s cannot pass 1e6 / load µs (Sluice's added fields cost the origin and the client more)."
if [[ -n "$BASELINE" ]]; then
	echo
	echo "Sluice ÷ sluice-base: the working tree ÷ $BASELINE ($(git -C "$REPO" rev-parse --short "$BASE_COMMIT")). Per round, sluice's figure / sluice-base's"
	echo "in the same round (the two run next to each other, which first alternating); median over rounds, (lowest..highest) round:"
	awk -F'	' "$AWK_RATIOS"'
	$2 != "sluice" && $2 != "sluice-base" { next }
	{ v[$2, $3, $1, "rps"] = $4; v[$2, $3, $1, "cpu"] = $5; v[$2, $3, $1, "p99"] = $8; seen[$1] = 1 }
	END {
		nsc = split("keepalive handshakes h2 h2c50", sc, " "); split("rps p99 cpu", m, " ")
		for (s = 1; s <= nsc; s++) for (r in seen) for (i = 1; i <= 3; i++) {
			a = "sluice" SUBSEP sc[s] SUBSEP r SUBSEP m[i]; b = "sluice-base" SUBSEP sc[s] SUBSEP r SUBSEP m[i]
			if ((a in v) && (b in v) && v[b] > 0) add(sc[s] SUBSEP m[i], v[a] / v[b])
		}
		printf "%-12s %-24s %-24s %-24s %s\n", "scenario", "req/s", "p99", "CPU us/req", "rounds"
		for (s = 1; s <= nsc; s++) {
			if (!cnt[sc[s] SUBSEP "rps"]) continue
			printf "%-12s %-24s %-24s %-24s %d\n", sc[s], cell(sc[s] SUBSEP "rps"), cell(sc[s] SUBSEP "p99"), cell(sc[s] SUBSEP "cpu"), cnt[sc[s] SUBSEP "rps"]
		}
	}' "$RAW"
	echo "Above 1: more req/s (better), more p99 latency or CPU per request (worse) than the baseline."
fi
if ((RUN_IDLE)); then
	echo
	echo "Memory per idle TLS connection ($IDLE_CONNS connections, bench/idleconns: one request each, then idle; a fresh proxy for each line; RSS 3 s after the last opened − RSS before):"
	awk -F'\t' '
	{ k[$1, $2] = $6; open_[$1, $2] = $3; if (!($1 in seen)) { seen[$1] = 1; order[++n] = $1 } }
	END {
		printf "%-12s %-8s %12s %7s %s\n", "proxy", "protocol", "KiB/conn", "×HAP", "open"
		split("tls h2", modes, " ")
		for (m = 1; m <= 2; m++) for (i = 1; i <= n; i++) {
			p = order[i]; if (!((p, modes[m]) in k)) continue
			h = k["haproxy", modes[m]]
			printf "%-12s %-8s %12.2f %6.2fx %s\n", p, (modes[m] == "tls" ? "http/1.1" : "h2"), k[p, modes[m]], (h > 0 ? k[p, modes[m]] / h : 0), open_[p, modes[m]]
		}
	}' "$MEM"
fi
echo "raw results and wrk outputs: $TMP"
