#!/usr/bin/env bash
# Whole-proxy benchmark: Sluice against HAProxy and nginx, each alone on one
# CPU, in front of the same origin, loaded by wrk.
#
#   bash bench/run.sh                 # 3 rounds of 10 s runs
#   bash bench/run.sh --rounds 5      # more rounds
#   bash bench/run.sh --quick         # 1 round of 5 s runs, a fast check
#   bash bench/run.sh --duration 8    # seconds per measured run
#   bash bench/run.sh --origin go     # bench/origin instead of nginx as origin
#   bash bench/run.sh --retries 0     # never redo a run disturbed by other load
#   bash bench/run.sh --only observe  # only the cost of metrics and access log
#   bash bench/run.sh --only route    # only the cost of routing and rewrites configured
#   bash bench/run.sh --only trace    # only the cost of tracing at 1% (OTLP to bench/otlpsink)
#   bash bench/run.sh --only trace --trace-ratio 0.1  # ... at another ratio
#   bash bench/run.sh --only ka50,close50            # only these scenarios
#   bash bench/run.sh --baseline REV --only ka50,close50
#                                     # + Sluice built from git revision REV
#   SLUICE_BASE_GO=/path/to/go bash bench/run.sh --baseline HEAD --only ka50
#                                     # the baseline built by another Go toolchain
#   bash bench/run.sh --only bulk64   # keep-alive, 64 KiB responses
#   bash bench/run.sh --profile DIR   # + a CPU profile of Sluice per run, in DIR
#   bash bench/run.sh --same-headers  # HAProxy and nginx add the fields Sluice
#                                     # adds (X-Forwarded-*, Forwarded, a request
#                                     # id both ways): the same work per request
#
# CPU layout (needs at least 2 CPUs):
#   CPU 0  the proxy under test, one at a time under load: HAProxy
#          (nbthread 1), nginx (worker_processes 1), Sluice (GOMAXPROCS=1).
#          The three stay started, pinned to CPU 0, but only the one being
#          measured gets traffic.
#   CPU 1  wrk (-t1) and the origin (nginx, `return 200 "hello, world\n"`,
#          1 worker; or bench/origin with GOMAXPROCS=1 under --origin go).
# The proxy is the only busy thing on CPU 0, so its CPU time per request and
# its req/s at 100% of one core compare proxies directly. wrk and the origin
# share CPU 1: the table shows CPU 1's busy share, and if it nears 100% the
# load side, not the proxy, bounds req/s (CPU µs/request stays valid).
# nginx is the default origin because it costs about a third of the CPU per
# request of a Go net/http origin on this kind of machine (measured ~11 vs
# ~30 µs), which leaves CPU 1 headroom for wrk.
#
# Other load on the machine (anything not ours running on CPU 0) shows in the
# "cpu0 o%" column; results with much of it are noisy. Before each run the
# script waits (up to 10 s) for both CPUs to be under 10% busy; a run during
# which other processes still took more than 10% of CPU 0 is done again once
# (--retries) and the attempt with the least such load is kept.
#
# Everything listens on 127.0.0.1 only; configs, binaries, logs and raw
# results go to a temp dir (printed at the end); everything started is
# stopped on exit.
set -euo pipefail

ROUNDS=3
DURATION=10
WARMUP=2
ORIGIN_KIND=nginx
BASE_PORT=18080
IDLE_CONNS=10000
ONLY=""     # comma-separated parts to run: ka50 ka500 close50 bulk64 observe route trace idle; "" = all (trace only when named)
TRACE_RATIO=0.01 # --trace-ratio: the sampling ratio of sluice-trace
PROFILE_DIR="" # --profile: where CPU profiles of Sluice's measured runs go
BASELINE="" # a git revision: also measure Sluice built from it ("sluice-base")
SAME_HEADERS=0 # --same-headers: HAProxy and nginx add the fields Sluice adds
RETRIES=1    # extra attempts of a run disturbed by other processes on CPU 0
NOISE_MAX=10 # % of CPU 0 used by other processes beyond which a run is redone
QUIET_WAIT=10 # seconds to wait, before each run, for other processes to quiet down
while [[ $# -gt 0 ]]; do
	case "$1" in
	--quick) ROUNDS=1; DURATION=5; shift ;;
	--rounds) ROUNDS="$2"; shift 2 ;;
	--duration) DURATION="$2"; shift 2 ;;
	--origin) ORIGIN_KIND="$2"; shift 2 ;;
	--base-port) BASE_PORT="$2"; shift 2 ;;
	--idle-conns) IDLE_CONNS="$2"; shift 2 ;;
	--retries) RETRIES="$2"; shift 2 ;;
	--only) ONLY="$2"; shift 2 ;;
	--baseline) BASELINE="$2"; shift 2 ;;
	--profile) PROFILE_DIR="$2"; shift 2 ;;
	--trace-ratio) TRACE_RATIO="$2"; shift 2 ;;
	--same-headers) SAME_HEADERS=1; shift ;;
	-h|--help) sed -n '2,21p' "$0"; exit 0 ;;
	*) echo "unknown argument: $1" >&2; exit 2 ;;
	esac
done
[[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || { echo "--rounds wants a positive integer" >&2; exit 2; }
# --only: the main table's scenarios given (all when none is), the cost of
# watching ("observe") and the idle memory ("idle") only when named.
RUN_SCENARIOS=()
RUN_OBSERVE=1
RUN_ROUTE=1
RUN_IDLE=1
RUN_TRACE=0
if [[ -n "$ONLY" ]]; then
	RUN_OBSERVE=0 RUN_IDLE=0 RUN_ROUTE=0
	IFS=, read -r -a only_parts <<<"$ONLY"
	for part in "${only_parts[@]}"; do
		case "$part" in
		ka50|ka500|close50|bulk64) RUN_SCENARIOS+=("$part") ;;
		observe) RUN_OBSERVE=1 ;;
		route) RUN_ROUTE=1 ;;
		trace) RUN_TRACE=1 ;;
		idle) RUN_IDLE=1 ;;
		*) echo "--only takes a comma-separated list of ka50, ka500, close50, bulk64, observe, route, trace, idle" >&2; exit 2 ;;
		esac
	done
fi
[[ "$TRACE_RATIO" =~ ^(0|1|0?\.[0-9]+)$ ]] || { echo "--trace-ratio wants a number from 0 to 1" >&2; exit 2; }
[[ "$RETRIES" =~ ^[0-9]+$ ]] || { echo "--retries wants a whole number" >&2; exit 2; }
[[ "$DURATION" =~ ^[1-9][0-9]*$ ]] || { echo "--duration wants whole seconds" >&2; exit 2; }
[[ "$ORIGIN_KIND" == nginx || "$ORIGIN_KIND" == go ]] || { echo "--origin is nginx or go" >&2; exit 2; }
if [[ -n "$PROFILE_DIR" ]]; then
	mkdir -p "$PROFILE_DIR" || { echo "--profile: cannot create $PROFILE_DIR" >&2; exit 2; }
	PROFILE_DIR="$(cd "$PROFILE_DIR" && pwd)"
fi

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=bench/lib.sh
source "$REPO/bench/lib.sh"
BASE_COMMIT=""
[[ -z "$BASELINE" ]] || BASE_COMMIT=$(baseline_commit "$REPO" "$BASELINE")
ORIGIN_PORT=$BASE_PORT
declare -A PORT=([haproxy]=$((BASE_PORT + 1)) [nginx]=$((BASE_PORT + 2)) [sluice]=$((BASE_PORT + 3))
	[sluice-off]=$((BASE_PORT + 4)) [sluice-log]=$((BASE_PORT + 5)) [sluice-route]=$((BASE_PORT + 10))
	[sluice-trace]=$((BASE_PORT + 14)))
declare -A PROM_PORT=([sluice]=$((BASE_PORT + 6)) [sluice-log]=$((BASE_PORT + 7)) [sluice-route]=$((BASE_PORT + 11))
	[sluice-trace]=$((BASE_PORT + 15)))
SINK_PORT=$((BASE_PORT + 16)) # bench/otlpsink, the collector of sluice-trace
# --profile: the Go profiling endpoints (SLUICE_PPROF) of the Sluices of the
# main table; a baseline too old to know SLUICE_PPROF serves none.
declare -A PPROF_PORT=()
[[ -z "$PROFILE_DIR" ]] || PPROF_PORT=([sluice]=$((BASE_PORT + 12)) [sluice-base]=$((BASE_PORT + 13)))
PROXIES=(haproxy nginx sluice)
# The cost of watching: Sluice with metrics off, on (the default, with its
# Prometheus endpoint scraped every second), and on with an access log file.
OBSERVE=(sluice-off sluice sluice-log)
SCENARIOS=(ka50 ka500 close50 bulk64)
if [[ -n "$BASELINE" ]]; then
	# The baseline: the same configuration as sluice, its own ports.
	PORT[sluice-base]=$((BASE_PORT + 8))
	PROM_PORT[sluice-base]=$((BASE_PORT + 9))
	PROXIES+=(sluice-base)
fi
PW=8 # width of the proxy column
[[ -z "$BASELINE" ]] || PW=11
declare -A SCEN_DESC=([ka50]="keep-alive -c50" [ka500]="keep-alive -c500" [close50]="Connection: close -c50"
	[bulk64]="keep-alive -c50, 64 KiB bodies")
declare -A SCEN_ARGS=([ka50]="-c50" [ka500]="-c500" [close50]="-c50" [bulk64]="-c50")
# The path asked: bulk64's answer is 65 536 bytes, the others' 13.
declare -A SCEN_PATH=([ka50]="/" [ka500]="/" [close50]="/" [bulk64]="/64k")
STEP_SLACK=30 # seconds a step may take beyond its nominal length

(( $(nproc) >= 2 )) || die "needs at least 2 CPUs (proxies on CPU 0, wrk and origin on CPU 1)"

# --- tools -----------------------------------------------------------------

need_packages haproxy nginx wrk curl util-linux
command -v go >/dev/null || die "go is not in PATH"

# File descriptors: 10 000 idle connections need 10 000+ per proxy.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
NOFILE=$(ulimit -n)
[[ "$NOFILE" == unlimited ]] && NOFILE=65536
((NOFILE >= IDLE_CONNS + 200)) || die "open-file limit $NOFILE is too low for $IDLE_CONNS idle connections"

TMP="$(mktemp -d /tmp/sluice-bench.XXXXXX)"
RAW="$TMP/results.tsv"
mkdir -p "$TMP/bin" "$TMP/logs" "$TMP/www"
head -c 65536 /dev/urandom >"$TMP/www/64k" # bulk64's answer
# nginx's worker (another user) reads it: the temp dir may be crossed, not listed.
chmod 711 "$TMP" && chmod 755 "$TMP/www" && chmod 644 "$TMP/www/64k"
CLK_TCK=$(getconf CLK_TCK)

# --- process bookkeeping -----------------------------------------------------

declare -A PID=()
BG_PIDS=()


cleanup() {
	local rc=$?
	set +e
	local p
	for p in "${BG_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	sleep 0.5
	for p in "${BG_PIDS[@]}"; do
		kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null
	done
	wait 2>/dev/null
	rm -rf "${TMP:?}/bin/sluice-base.src"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM


wait_http() { # port name pid
	local i
	for i in $(seq 1 100); do
		kill -0 "$3" 2>/dev/null || die "$2 exited at start; see $TMP/logs/$2.log"
		if curl -fsS -m 2 -o /dev/null "http://127.0.0.1:$1/" 2>/dev/null; then return; fi
		sleep 0.1
	done
	die "$2 does not answer on 127.0.0.1:$1; see $TMP/logs/$2.log"
}

# --- build and configure ---------------------------------------------------

log "building the Go programs"
(cd "$REPO" && go build -o "$TMP/bin/" ./cmd/sluice ./bench/origin ./bench/idleconns ./bench/otlpsink)
if [[ -n "$BASELINE" ]]; then
	log "building sluice-base: cmd/sluice at $BASELINE (${BASE_COMMIT:0:12})"
	build_baseline "$REPO" "$BASE_COMMIT" "$TMP/bin/sluice-base"
fi
cd "$TMP" # nothing the script does may leave a file in the repository

for p in $ORIGIN_PORT $SINK_PORT "${PORT[@]}" "${PPROF_PORT[@]}"; do port_free "$p" || die "127.0.0.1:$p is in use (try --base-port)"; done

# HAProxy wants 2 x maxconn descriptors and by default refuses to start
# without them; under a lower hard limit (e.g. 20000 in a container) let it
# start anyway: the idle test needs ~10 000 client + a few server sockets.
HAPROXY_LIMITS=""
((NOFILE >= 40100)) || HAPROXY_LIMITS="no strict-limits"
# --same-headers: HAProxy and nginx add what Sluice adds (see same_headers
# in lib.sh).
HAPROXY_HEADERS=""
NGINX_HEADERS=""
((SAME_HEADERS)) && same_headers http
cat >"$TMP/haproxy.cfg" <<EOF
global
    nbthread 1
    maxconn 20000
    $HAPROXY_LIMITS
    # no log lines: nothing is logged
defaults
    mode http
    option http-keep-alive
    http-reuse always
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    timeout http-request 10s
    timeout http-keep-alive 60s
    maxconn 20000
frontend fe
    bind 127.0.0.1:${PORT[haproxy]}
    maxconn 20000
    $HAPROXY_HEADERS
    default_backend be
backend be
    server origin 127.0.0.1:$ORIGIN_PORT
EOF

# Sluice runs as users run it: the daemon with a configuration file.
# sluice_conf NAME METRICS-TABLE ACCESS-LOG: one Sluice configuration.
sluice_conf() {
	cat >"$TMP/$1.toml" <<EOF
command_socket  = "$TMP/$1.sock"
log_level       = "warn"
access_log      = "$3"
max_connections = 20000
# As HAProxy's timeout http-keep-alive and nginx's keepalive_timeout here:
# the idle-memory step holds its connections for longer than the default.
keepalive_timeout = "60s"

[metrics]
$2

[[listeners]]
protocol = "http"
address  = "127.0.0.1:${PORT[$1]}"

[clusters.bench]
frontends = [ { address = "127.0.0.1:${PORT[$1]}", hostname = "*" } ]
backends  = [ { id = "origin", address = "127.0.0.1:$ORIGIN_PORT" } ]
EOF
}
sluice_conf sluice "prometheus_address = \"127.0.0.1:${PROM_PORT[sluice]}\"" off
sluice_conf sluice-off "enabled = false" off
sluice_conf sluice-log "prometheus_address = \"127.0.0.1:${PROM_PORT[sluice-log]}\"" "$TMP/logs/access.log"
# sluice-route: sluice with the routing and rewrites of issue 16 configured
# on the path of every request: a pre rule with a header condition that
# does not hold, then the frontend with a path rewrite using a capture,
# request and response header edits of the frontend and the cluster,
# X-Real-IP and a request id header of its own.
sluice_conf sluice-route "prometheus_address = \"127.0.0.1:${PROM_PORT[sluice-route]}\"" off
sed -i -e '/^address  = /a x_real_ip = true\nrequest_id_header = "X-Request-Id"' \
	-e 's|^frontends = \[ { address = "\([^"]*\)", hostname = "\*" } \]|headers = [ { position = "request", action = "add", name = "X-Cluster", value = "bench" } ]\nfrontends = [\n  { address = "\1", hostname = "*", position = "pre", deny = true, match_headers = [ { name = "X-Maintenance", match = "present" } ] },\n  { address = "\1", hostname = "*", path = "/", rewrite_path = "/$PATH[1]", headers = [\n    { position = "request", action = "set", name = "X-Env", value = "bench" },\n    { position = "request", action = "delete", name = "X-Debug" },\n    { position = "response", action = "set", name = "X-Frame-Options", value = "DENY" },\n    { position = "response", action = "delete", name = "Server" } ] },\n]|' \
	"$TMP/sluice-route.toml"
# sluice-trace: sluice with tracing at TRACE_RATIO (wrk sends no
# traceparent: that share of requests starts a sampled trace), spans sent
# over OTLP/HTTP to bench/otlpsink on CPU 1.
sluice_conf sluice-trace "prometheus_address = \"127.0.0.1:${PROM_PORT[sluice-trace]}\"" off
cat >>"$TMP/sluice-trace.toml" <<EOF

[tracing]
endpoint = "http://127.0.0.1:$SINK_PORT"
ratio    = $TRACE_RATIO
EOF
for c in sluice sluice-off sluice-log sluice-route sluice-trace; do
	"$TMP/bin/sluice" config check -c "$TMP/$c.toml" >"$TMP/logs/config-check-$c.log" 2>&1 ||
		die "sluice config check -c $TMP/$c.toml: $(cat "$TMP/logs/config-check-$c.log")"
done
BASE_CONF_NOTE=""
if [[ -n "$BASELINE" ]]; then
	sluice_conf sluice-base "prometheus_address = \"127.0.0.1:${PROM_PORT[sluice-base]}\"" off
	cp "$TMP/sluice-base.toml" "$TMP/sluice-base.as-written.toml"
	BASE_CONF_NOTE=$(fit_conf "$TMP/bin/sluice-base" "$TMP/sluice-base.toml")
	[[ -z "$BASE_CONF_NOTE" ]] || log "sluice-base's parser does not know, so its configuration goes without: $(tr '\n' ' ' <<<"$BASE_CONF_NOTE")"
fi

nginx_conf() { # dir http-block-body worker_connections
	mkdir -p "$1"
	cat >"$1/nginx.conf" <<EOF
worker_processes 1;
worker_rlimit_nofile $NOFILE;
daemon off;
master_process on;
pid $1/nginx.pid;
error_log $1/error.log warn;
events { worker_connections $3; }
http {
    access_log off;
    client_body_temp_path $1/client_body;
    proxy_temp_path $1/proxy;
    fastcgi_temp_path $1/fastcgi;
    uwsgi_temp_path $1/uwsgi;
    scgi_temp_path $1/scgi;
    keepalive_timeout 60s;
    keepalive_requests 100000000;
$2
}
EOF
}

nginx_conf "$TMP/nginx-origin" "
    server {
        listen 127.0.0.1:$ORIGIN_PORT backlog=4096;
        location / { default_type text/plain; return 200 \"hello, world\n\"; }
        location = /64k { default_type application/octet-stream; root $TMP/www; }
    }" 4096

nginx_conf "$TMP/nginx-proxy" "
    upstream origin {
        server 127.0.0.1:$ORIGIN_PORT;
        keepalive 1024;
        keepalive_requests 100000000;
        keepalive_timeout 60s;
    }
    server {
        listen 127.0.0.1:${PORT[nginx]} backlog=4096;
        location / {
            proxy_pass http://origin;
            proxy_http_version 1.1;
            proxy_set_header Connection \"\";
            $NGINX_HEADERS
        }
    }" 20000

# --- start -----------------------------------------------------------------

start_origin() {
	if [[ $ORIGIN_KIND == nginx ]]; then
		taskset -c 1 nginx -p "$TMP/nginx-origin" -c "$TMP/nginx-origin/nginx.conf" -e stderr \
			>"$TMP/logs/origin.log" 2>&1 &
	else
		GOMAXPROCS=1 taskset -c 1 "$TMP/bin/origin" -listen "127.0.0.1:$ORIGIN_PORT" \
			>"$TMP/logs/origin.log" 2>&1 &
	fi
	PID[origin]=$!
	BG_PIDS+=("$!")
	wait_http "$ORIGIN_PORT" origin "${PID[origin]}"
}

start_proxy() { # name
	case "$1" in
	haproxy)
		taskset -c 0 haproxy -db -f "$TMP/haproxy.cfg" >"$TMP/logs/haproxy.log" 2>&1 &
		;;
	nginx)
		taskset -c 0 nginx -p "$TMP/nginx-proxy" -c "$TMP/nginx-proxy/nginx.conf" -e stderr \
			>"$TMP/logs/nginx.log" 2>&1 &
		;;
	sluice-base)
		SLUICE_PPROF=${PPROF_PORT[$1]:+127.0.0.1:${PPROF_PORT[$1]}} \
		GOMAXPROCS=1 taskset -c 0 "$TMP/bin/sluice-base" start -c "$TMP/$1.toml" >"$TMP/logs/$1.log" 2>&1 &
		;;
	sluice*)
		SLUICE_PPROF=${PPROF_PORT[$1]:+127.0.0.1:${PPROF_PORT[$1]}} \
		GOMAXPROCS=1 taskset -c 0 "$TMP/bin/sluice" start -c "$TMP/$1.toml" >"$TMP/logs/$1.log" 2>&1 &
		;;
	esac
	PID[$1]=$!
	BG_PIDS+=("$!")
	wait_http "${PORT[$1]}" "$1" "${PID[$1]}"
}

stop_proxy() { # name
	local p=${PID[$1]}
	kill -TERM "$p" 2>/dev/null || true
	local i
	for i in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$p" 2>/dev/null || true
	wait "$p" 2>/dev/null || true
}

alive() { kill -0 "${PID[$1]}" 2>/dev/null || die "$1 (pid ${PID[$1]}) died; see $TMP/logs/$1.log"; }

# --- measurement helpers -----------------------------------------------------




wrk_args() { # scenario duration
	local a=(-t1 ${SCEN_ARGS[$1]} "-d${2}s" --latency)
	[[ $1 == close50 ]] && a+=(-H "Connection: close")
	printf '%s\n' "${a[@]}"
}

printf 'round\tproxy\tscenario\treq_per_s\tp99_ms\trequests\tproxy_cpu_ticks\tcpu_us_per_req\tproxy_cpu_pct\tcpu0_other_pct\tcpu1_busy_pct\tnon_2xx_3xx\tsocket_errors\tattempt\tload_us_per_req\n' >"$RAW"

WARNINGS=()

# wait_quiet: waits (at most QUIET_WAIT seconds) for a 1 s window in which
# other processes keep CPU 0 and CPU 1 under NOISE_MAX % busy; nothing of ours
# is loaded while it samples.
wait_quiet() {
	local i a0 t0 a1 t1 b0 u0 b1 u1 busy
	for ((i = 0; i <= QUIET_WAIT; i++)); do
		read -r a0 t0 < <(cpu_stat cpu0); read -r a1 t1 < <(cpu_stat cpu1)
		sleep 1
		read -r b0 u0 < <(cpu_stat cpu0); read -r b1 u1 < <(cpu_stat cpu1)
		busy=$(awk -v x="$((b0 - a0))" -v dx="$((u0 - t0))" -v y="$((b1 - a1))" -v dy="$((u1 - t1))" \
			'BEGIN { p = dx ? 100 * x / dx : 0; q = dy ? 100 * y / dy : 0; m = (p > q) ? p : q; printf "%d", m }')
		((busy <= NOISE_MAX)) && { ((i == 0)) || log "  machine quiet again after ${i}s"; return 0; }
		((i == 0)) && log "  other processes keep a CPU ${busy}% busy; waiting up to ${QUIET_WAIT}s for quiet"
	done
	log "  still busy (${busy}%); measuring anyway"
}

# measure_once round proxy scenario attempt: one warm-up and one measured wrk
# run; sets LINE (the raw-results line) and OTHER (other processes' share of
# CPU 0, in whole %).
measure_once() {
	local round=$1 proxy=$2 scen=$3 attempt=$4 port=${PORT[$2]} pid=${PID[$2]}
	local -a args
	wait_quiet
	mapfile -t args < <(wrk_args "$scen" "$WARMUP")
	local url="http://127.0.0.1:$port${SCEN_PATH[$scen]}"
	taskset -c 1 timeout $((WARMUP + STEP_SLACK)) wrk "${args[@]}" "$url" >/dev/null 2>&1 || true
	alive "$proxy"
	mapfile -t args < <(wrk_args "$scen" "$DURATION")
	local t0 c0 c1 out
	# --profile: a CPU profile of the measured run, fetched from CPU 1
	local prof="" profpid=""
	if [[ -n "${PPROF_PORT[$proxy]:-}" ]]; then
		prof="$PROFILE_DIR/r$round-$proxy-$scen-a$attempt.pprof"
		taskset -c 1 curl -fsS -m $((DURATION + STEP_SLACK)) -o "$prof" \
			"http://127.0.0.1:${PPROF_PORT[$proxy]}/debug/pprof/profile?seconds=$DURATION" 2>"$TMP/logs/pprof.err" &
		profpid=$!
	fi
	t0=$(cpu_ticks "$pid"); read -r c0b c0t < <(cpu_stat cpu0); read -r c1b c1t < <(cpu_stat cpu1)
	out=$(taskset -c 1 timeout $((DURATION + STEP_SLACK)) wrk "${args[@]}" "$url" 2>&1) ||
		die "wrk failed on $proxy/$scen: $out"
	local t1 c0b2 c0t2 c1b2 c1t2
	t1=$(cpu_ticks "$pid"); read -r c0b2 c0t2 < <(cpu_stat cpu0); read -r c1b2 c1t2 < <(cpu_stat cpu1)
	alive "$proxy"
	if [[ -n "$profpid" ]] && ! wait "$profpid"; then
		WARNINGS+=("round $round $proxy $scen: no CPU profile: $(tr '\n' ' ' <"$TMP/logs/pprof.err")")
		rm -f "$prof"
	fi
	printf '%s\n' "$out" >"$TMP/logs/wrk-r$round-$proxy-$scen-a$attempt.txt"

	local rps reqs p99raw p99 non2xx sockerr
	rps=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
	reqs=$(awk '/ requests in / { print $1 }' <<<"$out")
	p99raw=$(awk '$1 == "99%" { print $2 }' <<<"$out")
	p99=$(to_ms "$p99raw")
	non2xx=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' <<<"$out")
	sockerr=$(sed -n 's/^ *Socket errors: *//p' <<<"$out")
	[[ -n "$rps" && -n "$reqs" && "$reqs" -gt 0 ]] || die "cannot read wrk's output for $proxy/$scen: $out"
	local dt=$((t1 - t0)) d0=$((c0t2 - c0t)) d1=$((c1t2 - c1t))
	local cpu_us cpu_pct other_pct cpu1_pct load_us
	cpu_us=$(awk -v t="$dt" -v hz="$CLK_TCK" -v n="$reqs" 'BEGIN { printf "%.2f", t / hz * 1e6 / n }')
	cpu_pct=$(awk -v t="$dt" -v d="$d0" 'BEGIN { printf "%.1f", d ? 100 * t / d : 0 }')
	other_pct=$(awk -v b="$((c0b2 - c0b))" -v t="$dt" -v d="$d0" 'BEGIN { o = d ? 100 * (b - t) / d : 0; if (o < 0) o = 0; printf "%.1f", o }')
	cpu1_pct=$(awk -v b="$((c1b2 - c1b))" -v d="$d1" 'BEGIN { printf "%.1f", d ? 100 * b / d : 0 }')
	# load_us: CPU 1's busy time (wrk, the origin, their kernel work) per
	# request. With cpu1% near 100 it caps req/s at 1e6 / load_us: a proxy
	# whose requests make wrk and the origin work more gets a lower cap.
	load_us=$(awk -v b="$((c1b2 - c1b))" -v hz="$CLK_TCK" -v n="$reqs" 'BEGIN { printf "%.2f", b / hz * 1e6 / n }')
	LINE=$(printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s' "$round" "$proxy" "$scen" "$rps" "$p99" \
		"$reqs" "$dt" "$cpu_us" "$cpu_pct" "$other_pct" "$cpu1_pct" "${non2xx:-0}" "${sockerr:-none}" "$attempt" "$load_us")
	OTHER=${other_pct%.*}
	log "round $round (attempt $attempt) $proxy ${SCEN_DESC[$scen]}: $rps req/s, p99 ${p99} ms, $cpu_us CPU µs/req, proxy CPU ${cpu_pct}%, cpu0 other ${other_pct}%, cpu1 ${cpu1_pct}%${non2xx:+, NON-2XX/3XX: $non2xx}${sockerr:+, socket errors: $sockerr}"
	if [[ -n "$non2xx" ]]; then WARNINGS+=("round $round $proxy $scen: Non-2xx or 3xx responses: $non2xx"); fi
	if [[ -n "$sockerr" ]]; then WARNINGS+=("round $round $proxy $scen: Socket errors: $sockerr"); fi
}

# run_one round proxy scenario: measures, and measures again (up to RETRIES
# times) while other processes took more than NOISE_MAX % of CPU 0; records
# the attempt with the least of that noise.
run_one() {
	local attempt best_line="" best_other=1000
	for ((attempt = 1; attempt <= RETRIES + 1; attempt++)); do
		measure_once "$1" "$2" "$3" "$attempt"
		if ((OTHER < best_other)); then best_other=$OTHER; best_line=$LINE; fi
		((OTHER > NOISE_MAX)) || break
		((attempt <= RETRIES)) && log "  other processes used ${OTHER}% of CPU 0; measuring again"
	done
	printf '%s\n' "$best_line" >>"$RAW"
}

# --- load rounds -------------------------------------------------------------

# background_load: busy % of CPU 0 and CPU 1 over 2 s, before anything of ours runs.
background_load() {
	local a0 t0 a1 t1 b0 u0 b1 u1
	read -r a0 t0 < <(cpu_stat cpu0); read -r a1 t1 < <(cpu_stat cpu1)
	sleep 2
	read -r b0 u0 < <(cpu_stat cpu0); read -r b1 u1 < <(cpu_stat cpu1)
	awk -v x="$((b0 - a0))" -v dx="$((u0 - t0))" -v y="$((b1 - a1))" -v dy="$((u1 - t1))" \
		'BEGIN { printf "CPU 0 %.0f%% busy, CPU 1 %.0f%% busy", dx ? 100 * x / dx : 0, dy ? 100 * y / dy : 0 }'
}
BACKGROUND=$(background_load)
log "background load before the run: $BACKGROUND"
log "temp dir $TMP; open-file limit $NOFILE; $ROUNDS round(s) of ${DURATION}s runs (+${WARMUP}s warm-up each)"
start_origin
for p in "${PROXIES[@]}"; do start_proxy "$p"; done
log "started: origin pid ${PID[origin]} ($ORIGIN_KIND, CPU 1); haproxy ${PID[haproxy]}, nginx ${PID[nginx]}, sluice ${PID[sluice]}${BASELINE:+, sluice-base ${PID[sluice-base]:-}} (CPU 0)"

for ((r = 1; r <= ROUNDS; r++)); do
	[[ -z "$ONLY" || ${#RUN_SCENARIOS[@]} -gt 0 ]] || break
	# With a baseline, sluice and sluice-base run next to each other, which
	# of the two first alternating with the rounds.
	order=("${PROXIES[@]}")
	if ! ((r % 2)); then
		for ((i = 0; i < ${#PROXIES[@]}; i++)); do order[i]=${PROXIES[${#PROXIES[@]} - 1 - i]}; done
	fi
	# Scenario by scenario, the proxies back to back: what is compared is
	# measured close in time, so a slow spell of the machine weighs on all.
	for s in "${SCENARIOS[@]}"; do
		[[ -z "$ONLY" || " ${RUN_SCENARIOS[*]} " == *" $s "* ]] || continue
		for p in "${order[@]}"; do run_one "$r" "$p" "$s"; done
	done
done

# --- the cost of metrics and of the access log ------------------------------

# scrape NAME: fetches the Prometheus endpoint of NAME every second (from
# CPU 1) until killed; prints its pid.
scrape() {
	[[ -n "${PROM_PORT[$1]:-}" ]] || return 0
	taskset -c 1 bash -c "while sleep 1; do curl -fsS -m 2 -o /dev/null http://127.0.0.1:${PROM_PORT[$1]}/metrics || true; done" &
	BG_PIDS+=("$!")
	SCRAPER=$!
}

if ((RUN_OBSERVE)); then
	log "the cost of watching: ${OBSERVE[*]} (keep-alive -c50)"
	for p in sluice-off sluice-log; do start_proxy "$p"; done
fi
for ((r = 1; r <= ROUNDS; r++)); do
	((RUN_OBSERVE)) || break
	if ((r % 2)); then order=("${OBSERVE[@]}"); else order=(sluice-log sluice sluice-off); fi
	for p in "${order[@]}"; do
		SCRAPER=""
		scrape "$p"
		run_one "o$r" "$p" ka50 # rounds "o1"...: apart from the main table's
		[[ -n "$SCRAPER" ]] && { kill "$SCRAPER" 2>/dev/null; wait "$SCRAPER" 2>/dev/null; } || true
	done
done
# --- the cost of routing and rewrites configured ------------------------------

if ((RUN_ROUTE)); then
	log "the cost of routing and rewrites configured: sluice against sluice-route (keep-alive -c50)"
	start_proxy sluice-route
	curl -fsS -m 2 -D - -o /dev/null "http://127.0.0.1:${PORT[sluice-route]}/x" | grep -qi '^x-frame-options: DENY' ||
		die "sluice-route does not edit its responses; see $TMP/sluice-route.toml"
fi
for ((r = 1; r <= ROUNDS; r++)); do
	((RUN_ROUTE)) || break
	if ((r % 2)); then order=(sluice sluice-route); else order=(sluice-route sluice); fi
	for p in "${order[@]}"; do run_one "t$r" "$p" ka50; done # rounds "t1"...: apart from the main table's
done
((RUN_ROUTE)) && stop_proxy sluice-route

# --- the cost of tracing ---------------------------------------------------------

SINK_REPORT=""
if ((RUN_TRACE)); then
	log "the cost of tracing at ratio $TRACE_RATIO: sluice against sluice-trace (keep-alive -c50), spans to otlpsink"
	taskset -c 1 "$TMP/bin/otlpsink" -listen "127.0.0.1:$SINK_PORT" >"$TMP/logs/otlpsink.log" 2>&1 &
	PID[otlpsink]=$!
	BG_PIDS+=("$!")
	start_proxy sluice-trace
fi
for ((r = 1; r <= ROUNDS; r++)); do
	((RUN_TRACE)) || break
	if ((r % 2)); then order=(sluice sluice-trace); else order=(sluice-trace sluice); fi
	for p in "${order[@]}"; do run_one "x$r" "$p" ka50; done # rounds "x1"...: apart from the main table's
done
if ((RUN_TRACE)); then
	SPAN_COUNTS=$(curl -fsS -m 2 "http://127.0.0.1:${PROM_PORT[sluice-trace]}/metrics" | grep '^sluice_tracing_spans_total' | tr '\n' ' ' || true)
	stop_proxy sluice-trace # flushes its queue
	kill -TERM "${PID[otlpsink]}" 2>/dev/null || true
	wait "${PID[otlpsink]}" 2>/dev/null || true
	SINK_REPORT="sluice-trace's counts before its stop: ${SPAN_COUNTS:-none}; otlpsink received: $(cat "$TMP/logs/otlpsink.log")"
fi

ACCESS_LINES=0
if ((RUN_OBSERVE)); then
	ACCESS_LINES=$(wc -l <"$TMP/logs/access.log" 2>/dev/null || echo 0)
	for p in sluice-off sluice-log; do stop_proxy "$p"; done
fi

# --- idle keep-alive connection memory (fresh proxies) ------------------------

MEM="$TMP/idle-memory.tsv"
printf 'proxy\tconns\trss_before_kib\trss_after_kib\tkib_per_conn\n' >"$MEM"
for p in "${PROXIES[@]}"; do
	((RUN_IDLE)) || break
	stop_proxy "$p"
	start_proxy "$p"
	# A few requests so the first-request allocations are not counted.
	for i in 1 2 3 4 5; do curl -fsS -m 2 -o /dev/null "http://127.0.0.1:${PORT[$p]}/" || true; done
	sleep 1
	before=$(rss_kib "${PID[$p]}")
	taskset -c 1 "$TMP/bin/idleconns" -addr "127.0.0.1:${PORT[$p]}" -n "$IDLE_CONNS" -hold 60s \
		>"$TMP/logs/idleconns-$p.log" 2>&1 &
	ic=$!
	BG_PIDS+=("$ic")
	ready=0
	for i in $(seq 1 600); do # 60 s at most
		if grep -q '^ready' "$TMP/logs/idleconns-$p.log"; then ready=1; break; fi
		kill -0 "$ic" 2>/dev/null || break
		sleep 0.1
	done
	((ready)) || die "idleconns did not get ready against $p; see $TMP/logs/idleconns-$p.log"
	if ! grep -q '^ready: [0-9]* open, 0 failed' "$TMP/logs/idleconns-$p.log"; then
		WARNINGS+=("idle $p: $(tr '\n' ' ' <"$TMP/logs/idleconns-$p.log")")
	fi
	sleep 3
	alive "$p"
	after=$(rss_kib "${PID[$p]}")
	opened=$(awk '/^ready/ { print $2 }' "$TMP/logs/idleconns-$p.log")
	kill -TERM "$ic" 2>/dev/null || true
	wait "$ic" 2>/dev/null || true
	per=$(awk -v a="$after" -v b="$before" -v n="$IDLE_CONNS" 'BEGIN { printf "%.2f", (a - b) / n }')
	printf '%s\t%s\t%s\t%s\t%s\n' "$p" "$opened" "$before" "$after" "$per" >>"$MEM"
	log "idle $p: $opened connections open, RSS $before -> $after KiB, $per KiB/connection"
done

# --- report --------------------------------------------------------------------

echo
echo "Sluice whole-proxy benchmark — $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs ($(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo))"
echo "$ROUNDS round(s), wrk -t1 -d${DURATION}s --latency after a ${WARMUP}s warm-up; median over rounds"
echo "×HAP = the median over rounds of (value / HAProxy's in the same round): proxies run back to back within a round, so a drift of the machine's speed between rounds cancels out"
echo "CPU 0: the proxy under test alone. CPU 1: wrk and the origin ($ORIGIN_KIND) share it."
echo "Background load before the run (other processes): $BACKGROUND; after: $(background_load)"
echo "Sluice at $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$REPO" diff --quiet HEAD -- . 2>/dev/null || echo ' + uncommitted changes') (built from the working tree)"
if [[ -n "$BASELINE" ]]; then
	echo "sluice-base at $(git -C "$REPO" rev-parse --short "$BASE_COMMIT") (--baseline $BASELINE; built from git archive of it$([[ -z "${SLUICE_BASE_GO:-}" ]] || echo " with $SLUICE_BASE_GO, $("$SLUICE_BASE_GO" version)")), the same configuration as sluice on its own ports$([[ -z "$BASE_CONF_NOTE" ]] || echo ", without what its parser does not know: $(tr '\n' ' ' <<<"$BASE_CONF_NOTE")")"
fi
echo "HAProxy $(haproxy -v 2>/dev/null | awk 'NR == 1 { print $3 }'), nginx $(nginx -v 2>&1 | sed 's|.*/||'), $(go version | awk '{ print $3 }')"
echo
awk -F'\t' -v rounds="$ROUNDS" -v proxies="${PROXIES[*]}" -v pw="$PW" '
function median(key,   n, i, j, t, a) {
	n = cnt[key]
	for (i = 1; i <= n; i++) a[i] = vals[key, i]
	for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function add(key, v) { cnt[key]++; vals[key, cnt[key]] = v }
# rratio: the median over rounds of the value of k divided by that of HAProxy
# (hk) in the same round, for metric m (no quote mark here: bash quotes this program).
function rratio(k, hk, m,   r, key) {
	key = "ratio" SUBSEP k SUBSEP m
	delete cnt[key]
	for (r in seen) if ((k, m, r) in byr && (hk, m, r) in byr && byr[hk, m, r] > 0) add(key, byr[k, m, r] / byr[hk, m, r])
	return cnt[key] ? sprintf("%.2fx", median(key)) : "-"
}
NR == 1 || $1 !~ /^[0-9]+$/ { next }
{
	k = $2 SUBSEP $3
	seen[$1] = 1
	byr[k, "rps", $1] = $4; byr[k, "p99", $1] = $5; byr[k, "cpu", $1] = $8
	add(k SUBSEP "rps", $4); add(k SUBSEP "p99", $5); add(k SUBSEP "cpu", $8)
	add(k SUBSEP "pct", $9); add(k SUBSEP "other", $10); add(k SUBSEP "cpu1", $11); add(k SUBSEP "load", $15)
	if ($12 + 0 > 0) bad[k] += $12
}
END {
	split("ka50 ka500 close50 bulk64", sc, " ")
	desc["ka50"] = "keep-alive, 50 conns"; desc["ka500"] = "keep-alive, 500 conns"; desc["close50"] = "Connection: close, 50 conns"; desc["bulk64"] = "keep-alive 50, 64 KiB bodies"
	np = split(proxies, px, " ")
	printf "%-28s %-" pw "s %10s %7s %9s %7s %11s %7s %7s %7s %7s %8s\n", "scenario", "proxy", "req/s", "×HAP", "p99 ms", "×HAP", "CPU µs/req", "×HAP", "proxy%", "cpu0 o%", "cpu1%", "load µs"
	for (s = 1; s <= 4; s++) {
		hk = "haproxy" SUBSEP sc[s]
		for (p = 1; p <= np; p++) {
			k = px[p] SUBSEP sc[s]
			if (!cnt[k SUBSEP "rps"]) continue
			r = median(k SUBSEP "rps"); l = median(k SUBSEP "p99"); c = median(k SUBSEP "cpu")
			printf "%-28s %-" pw "s %10.0f %7s %9.2f %7s %11.2f %7s %7.1f %7.1f %7.1f %8.2f%s\n", (p == 1 ? desc[sc[s]] : ""), px[p], r, rratio(k, hk, "rps"), l, rratio(k, hk, "p99"), c, rratio(k, hk, "cpu"), median(k SUBSEP "pct"), median(k SUBSEP "other"), median(k SUBSEP "cpu1"), median(k SUBSEP "load"), (bad[k] ? "  (non-2xx/3xx: " bad[k] ")" : "")
		}
	}
}' "$RAW"
if [[ -n "$BASELINE" ]]; then
	echo
	echo "Sluice ÷ sluice-base: the working tree ÷ $BASELINE ($(git -C "$REPO" rev-parse --short "$BASE_COMMIT")). Per round, sluice's figure / sluice-base's"
	echo "in the same round (the two run next to each other, which first alternating); median over rounds, (lowest..highest) round:"
	awk -F'	' "$AWK_RATIOS"'
	NR == 1 || $1 !~ /^[0-9]+$/ || ($2 != "sluice" && $2 != "sluice-base") { next }
	{ v[$2, $3, $1, "rps"] = $4; v[$2, $3, $1, "p99"] = $5; v[$2, $3, $1, "cpu"] = $8; seen[$1] = 1 }
	END {
		split("ka50 ka500 close50 bulk64", sc, " "); split("rps p99 cpu", m, " ")
		desc["ka50"] = "keep-alive, 50 conns"; desc["ka500"] = "keep-alive, 500 conns"; desc["close50"] = "Connection: close, 50 conns"; desc["bulk64"] = "keep-alive 50, 64 KiB bodies"
		for (s = 1; s <= 4; s++) for (r in seen) for (i = 1; i <= 3; i++) {
			a = "sluice" SUBSEP sc[s] SUBSEP r SUBSEP m[i]; b = "sluice-base" SUBSEP sc[s] SUBSEP r SUBSEP m[i]
			if ((a in v) && (b in v) && v[b] > 0) add(sc[s] SUBSEP m[i], v[a] / v[b])
		}
		printf "%-28s %-24s %-24s %-24s %s\n", "scenario", "req/s", "p99", "CPU us/req", "rounds"
		for (s = 1; s <= 4; s++) {
			if (!cnt[sc[s] SUBSEP "rps"]) continue
			printf "%-28s %-24s %-24s %-24s %d\n", desc[sc[s]], cell(sc[s] SUBSEP "rps"), cell(sc[s] SUBSEP "p99"), cell(sc[s] SUBSEP "cpu"), cnt[sc[s] SUBSEP "rps"]
		}
	}' "$RAW"
	echo "Above 1: more req/s (better), more p99 latency or CPU per request (worse) than the baseline."
fi
if ((RUN_OBSERVE)); then
echo
echo "The cost of watching (keep-alive, 50 conns; median over rounds; ×off = value / metrics off):"
awk -F'\t' -v lines="$ACCESS_LINES" '
function median(key,   n, i, j, t, a) {
	n = cnt[key]
	for (i = 1; i <= n; i++) a[i] = vals[key, i]
	for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function add(key, v) { cnt[key]++; vals[key, cnt[key]] = v }
function ratio(v, base) { return base > 0 ? sprintf("%.3fx", v / base) : "-" }
NR == 1 || $3 != "ka50" || ($2 != "sluice-off" && $2 != "sluice-log" && !($2 == "sluice" && $1 ~ /^o/)) { next }
{ add($2 SUBSEP "rps", $4); add($2 SUBSEP "cpu", $8) }
END {
	split("sluice-off sluice sluice-log", px, " ")
	d["sluice-off"] = "metrics off"; d["sluice"] = "metrics on, scraped every 1 s"; d["sluice-log"] = "metrics on + access log file"
	br = median("sluice-off" SUBSEP "rps"); bc = median("sluice-off" SUBSEP "cpu")
	printf "%-32s %10s %8s %11s %8s\n", "Sluice with", "req/s", "×off", "CPU µs/req", "×off"
	for (p = 1; p <= 3; p++) {
		if (!cnt[px[p] SUBSEP "rps"]) continue
		r = median(px[p] SUBSEP "rps"); c = median(px[p] SUBSEP "cpu")
		printf "%-32s %10.0f %8s %11.2f %8s\n", d[px[p]], r, ratio(r, br), c, ratio(c, bc)
	}
	printf "(access log lines written during the runs: %d)\n", lines
}' "$RAW"
fi
if ((RUN_ROUTE)); then
echo
echo "The cost of routing and rewrites configured (keep-alive, 50 conns; medians of $ROUNDS rounds, each round's ratio in brackets):"
awk -F'\t' '
function median(key,   n, i, j, t, a) {
	n = cnt[key]
	for (i = 1; i <= n; i++) a[i] = vals[key, i]
	for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function add(key, v) { cnt[key]++; vals[key, cnt[key]] = v }
NR == 1 || $3 != "ka50" || $1 !~ /^t/ || ($2 != "sluice" && $2 != "sluice-route") { next }
{ add($2 SUBSEP "rps", $4); add($2 SUBSEP "cpu", $8); per[$1, $2] = $4; rounds[$1] = 1 }
END {
	br = median("sluice" SUBSEP "rps"); bc = median("sluice" SUBSEP "cpu")
	rr = median("sluice-route" SUBSEP "rps"); rc = median("sluice-route" SUBSEP "cpu")
	printf "%-40s %10s %11s\n", "Sluice with", "req/s", "CPU µs/req"
	printf "%-40s %10.0f %11.2f\n", "no routing or rewrite settings", br, bc
	printf "%-40s %10.0f %11.2f\n", "conditions, rewrite, edits, X-Real-IP", rr, rc
	s = ""
	for (r in rounds) if (per[r, "sluice"] > 0) s = s sprintf(" %.3f", per[r, "sluice-route"] / per[r, "sluice"])
	printf "req/s ratio route/none: %.3fx (rounds:%s)\n", (br > 0 ? rr / br : 0), s
}' "$RAW"
fi
if ((RUN_TRACE)); then
echo
echo "The cost of tracing at ratio $TRACE_RATIO (keep-alive, 50 conns; medians of $ROUNDS rounds, each round's ratio in brackets):"
awk -F'\t' '
function median(key,   n, i, j, t, a) {
	n = cnt[key]
	for (i = 1; i <= n; i++) a[i] = vals[key, i]
	for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function add(key, v) { cnt[key]++; vals[key, cnt[key]] = v }
NR == 1 || $3 != "ka50" || $1 !~ /^x/ || ($2 != "sluice" && $2 != "sluice-trace") { next }
{ add($2 SUBSEP "rps", $4); add($2 SUBSEP "cpu", $8); per[$1, $2] = $4; cpu[$1, $2] = $8; rounds[$1] = 1 }
END {
	br = median("sluice" SUBSEP "rps"); bc = median("sluice" SUBSEP "cpu")
	tr = median("sluice-trace" SUBSEP "rps"); tc = median("sluice-trace" SUBSEP "cpu")
	printf "%-40s %10s %11s\n", "Sluice with", "req/s", "CPU µs/req"
	printf "%-40s %10.0f %11.2f\n", "tracing off", br, bc
	printf "%-40s %10.0f %11.2f\n", "tracing on, OTLP/HTTP to otlpsink", tr, tc
	s = ""; c = ""
	for (r in rounds) if (per[r, "sluice"] > 0 && cpu[r, "sluice"] > 0) {
		s = s sprintf(" %.3f", per[r, "sluice-trace"] / per[r, "sluice"])
		c = c sprintf(" %.3f", cpu[r, "sluice-trace"] / cpu[r, "sluice"])
	}
	printf "req/s ratio trace/off: %.3fx (rounds:%s)\n", (br > 0 ? tr / br : 0), s
	printf "CPU µs/req ratio trace/off: %.3fx (rounds:%s)\n", (bc > 0 ? tc / bc : 0), c
}' "$RAW"
echo "$SINK_REPORT"
fi
if ((RUN_IDLE)); then
echo
echo "Memory per idle keep-alive client connection ($IDLE_CONNS connections, RSS after − before, 3 s after the last opened):"
awk -F'\t' -v pw="$PW" '
function ratio(v, base) { return base > 0 ? sprintf("%.2fx", v / base) : "-" }
NR == 1 { next }
{ n++; name[n] = $1; conns[n] = $2; b[n] = $3; a[n] = $4; per[n] = $5; if ($1 == "haproxy") base = $5 }
END {
	printf "%-" pw "s %8s %14s %14s %10s %7s\n", "proxy", "conns", "RSS before KiB", "RSS after KiB", "KiB/conn", "×HAP"
	for (i = 1; i <= n; i++)
		printf "%-" pw "s %8s %14d %14d %10.2f %7s\n", name[i], conns[i], b[i], a[i], per[i], ratio(per[i], base)
}' "$MEM"
fi
echo
echo "×HAP: above 1 is more req/s (better) or more latency/CPU/memory (worse) than HAProxy."
echo "proxy% = the proxy's share of CPU 0 during the run; cpu0 o% = other processes' share of CPU 0 (noise);"
echo "cpu1% = how busy CPU 1 (wrk + origin) was: near 100 means the load side, not the proxy, capped req/s."
echo "load µs = CPU 1's busy time per request (wrk and the origin, with their kernel work): with cpu1% near 100,"
echo "  req/s cannot pass 1e6 / load µs; a proxy that sends the origin and wrk more bytes (Sluice's added fields) costs CPU 1 more."
if ((${#WARNINGS[@]})); then
	echo
	echo "WARNINGS:"
	printf '  %s\n' "${WARNINGS[@]}"
fi
echo
echo "raw results: $RAW"
[[ -z "$PROFILE_DIR" ]] || echo "CPU profiles of Sluice (go tool pprof -top FILE): $PROFILE_DIR/r<round>-<proxy>-<scenario>-a<attempt>.pprof"
echo "idle memory: $MEM"
echo "logs and wrk outputs: $TMP/logs"
for p in "${PROXIES[@]}"; do
	if [[ -s "$TMP/logs/$p.log" ]]; then
		echo "--- $p stderr/stdout ($TMP/logs/$p.log), last lines:"
		tail -n 5 "$TMP/logs/$p.log"
	fi
done
