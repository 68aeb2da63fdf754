#!/usr/bin/env bash
# System calls per request: Sluice against HAProxy under the same wrk load
# (keep-alive, 50 connections), by default on 64 KiB responses (the bulk64
# scenario of bench/run.sh).
#
#   bash bench/syscalls.sh                  # GET /64k, 5 s per proxy
#   bash bench/syscalls.sh --path /         # the 13-byte answer (ka50)
#   bash bench/syscalls.sh --baseline REV   # + Sluice built from git revision REV
#   bash bench/syscalls.sh --duration 8
#   bash bench/syscalls.sh --path / --close # a connection per request (close50)
#   bash bench/syscalls.sh --h2             # HTTP/2 over TLS: h2load -c10 -m10 GET /
#                                           # (the h2 scenario of bench/https.sh)
#
# Per proxy, three loaded runs of --duration seconds, each after a 2 s
# warm-up:
#   1. perf stat counts the proxy's system calls by kernel tracepoint
#      (syscalls:sys_enter_*; the proxy runs under perf stat, its counters
#      on for this run only), which costs the proxy little, so its batching
#      and its wake-ups stay as they are without a tracer: calls per request
#      by name, the figures to compare; and the wake-ups the proxy's calls
#      cause (sched:sched_wakeup: mostly wrk, h2load or the origin woken by
#      a write to them), which cost the proxy and the load side.
#   2. strace -c -f: the kernel time per call (strace slows the proxy
#      several times, so its counts are not per request).
#   3. strace -f on the data calls for 1 s: the sizes the reads and writes
#      returned (a histogram of bytes per call).
# Layout as bench/run.sh: the proxies on CPU 0 (HAProxy nbthread 1, Sluice
# GOMAXPROCS=1), wrk and the nginx origin on CPU 1. Everything listens on
# 127.0.0.1; files go to a temp dir (printed); all started is stopped on exit.
set -euo pipefail

DURATION=5
URLPATH=/64k
CONNS=50
BASE_PORT=18480
BASELINE=""
CLOSE=0
H2=0
while [[ $# -gt 0 ]]; do
	case "$1" in
	--duration) DURATION="$2"; shift 2 ;;
	--path) URLPATH="$2"; shift 2 ;;
	--conns) CONNS="$2"; shift 2 ;;
	--baseline) BASELINE="$2"; shift 2 ;;
	--base-port) BASE_PORT="$2"; shift 2 ;;
	--close) CLOSE=1; shift ;;
	--h2) H2=1; URLPATH=/; shift ;;
	-h|--help) sed -n '2,13p' "$0"; exit 0 ;;
	*) echo "unknown argument: $1" >&2; exit 2 ;;
	esac
done
[[ "$DURATION" =~ ^[1-9][0-9]*$ && "$CONNS" =~ ^[1-9][0-9]*$ ]] || { echo "--duration and --conns want positive integers" >&2; exit 2; }
[[ "$URLPATH" == / || "$URLPATH" == /64k ]] || { echo "--path is / or /64k" >&2; exit 2; }

# wrk's extra arguments: every request with Connection: close under --close.
WRKH=()
((CLOSE)) && WRKH=(-H "Connection: close")

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=bench/lib.sh
source "$REPO/bench/lib.sh"
(( $(nproc) >= 2 )) || die "needs at least 2 CPUs"
need_packages haproxy nginx wrk curl util-linux strace
((H2)) && need_packages openssl nghttp2-client
command -v perf >/dev/null || die "perf is not installed (linux-perf)"
BASE_COMMIT=""
[[ -z "$BASELINE" ]] || BASE_COMMIT=$(baseline_commit "$REPO" "$BASELINE")

TMP="$(mktemp -d /tmp/sluice-syscalls.XXXXXX)"
mkdir -p "$TMP/bin" "$TMP/logs" "$TMP/www"
head -c 65536 /dev/urandom >"$TMP/www/64k"
chmod 711 "$TMP" && chmod 755 "$TMP/www" && chmod 644 "$TMP/www/64k"
BG=()
cleanup() {
	local rc=$? p
	set +e
	for p in "${BG[@]}"; do kill -TERM "$p" 2>/dev/null; done
	sleep 0.5
	for p in "${BG[@]}"; do kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "${TMP:?}/bin/sluice-base.src"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# --conns 500 needs 1000+ descriptors per proxy (clients and backend connections).
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

log "building cmd/sluice"
(cd "$REPO" && go build -o "$TMP/bin/" ./cmd/sluice)
PROXIES=(haproxy sluice)
if [[ -n "$BASELINE" ]]; then
	build_baseline "$REPO" "$BASE_COMMIT" "$TMP/bin/sluice-base"
	PROXIES+=(sluice-base)
fi
cd "$TMP"
# --h2: the proxies terminate TLS (ECDSA P-256, as bench/https.sh) and
# speak HTTP/2 to h2load; HTTP/1.1 to the origin as always.
SCHEME=http
HAPROXY_BIND=""
SLUICE_LISTENER='protocol = "http"'
if ((H2)); then
	SCHEME=https
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj "/CN=localhost" \
		-addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -keyout key.pem -out cert.pem 2>/dev/null
	cat cert.pem key.pem >haproxy.pem
	HAPROXY_BIND="ssl crt $TMP/haproxy.pem alpn h2,http/1.1"
	SLUICE_LISTENER='protocol = "https"
certificate = "cert.pem"
key = "key.pem"'
fi
ORIGIN_PORT=$BASE_PORT
declare -A PORT=([haproxy]=$((BASE_PORT + 1)) [sluice]=$((BASE_PORT + 2)) [sluice-base]=$((BASE_PORT + 3)))
for p in $ORIGIN_PORT "${PORT[@]}"; do port_free "$p" || die "127.0.0.1:$p is in use (try --base-port)"; done

mkdir -p "$TMP/origin"
cat >"$TMP/origin/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $TMP/origin/nginx.pid;
error_log $TMP/origin/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $TMP/origin/cb; proxy_temp_path $TMP/origin/p;
    fastcgi_temp_path $TMP/origin/f; uwsgi_temp_path $TMP/origin/u; scgi_temp_path $TMP/origin/s;
    keepalive_timeout 60s;
    keepalive_requests 100000000;
    server {
        listen 127.0.0.1:$ORIGIN_PORT backlog=4096;
        location / { default_type text/plain; return 200 "hello, world\n"; }
        location = /64k { default_type application/octet-stream; root $TMP/www; }
    }
}
EOF
cat >"$TMP/haproxy.cfg" <<EOF
global
    nbthread 1
    # As bench/run.sh: a bound of 1000 made HAProxy dial the origin for
    # every request at --conns 500 (its clients and server connections).
    maxconn 20000
    no strict-limits
defaults
    mode http
    option http-keep-alive
    http-reuse always
    timeout connect 5s
    timeout client 60s
    timeout server 60s
frontend fe
    bind 127.0.0.1:${PORT[haproxy]} $HAPROXY_BIND
    default_backend be
backend be
    server origin 127.0.0.1:$ORIGIN_PORT
EOF
for s in sluice sluice-base; do
	cat >"$TMP/$s.toml" <<EOF
command_socket = "$TMP/$s.sock"
log_level      = "warn"
access_log     = "off"
[metrics]
enabled = false
[[listeners]]
$SLUICE_LISTENER
address  = "127.0.0.1:${PORT[$s]}"
[clusters.bench]
frontends = [ { address = "127.0.0.1:${PORT[$s]}", hostname = "*" } ]
backends  = [ { id = "origin", address = "127.0.0.1:$ORIGIN_PORT" } ]
EOF
done

declare -A PID=()
wait_http() { # port name
	local i
	for i in $(seq 1 100); do
		curl -kfsS -m 2 -o /dev/null "$SCHEME://127.0.0.1:$1$URLPATH" 2>/dev/null && return
		sleep 0.1
	done
	die "$2 does not answer on 127.0.0.1:$1$URLPATH; see $TMP/logs/$2.log"
}
taskset -c 1 nginx -p "$TMP/origin" -c "$TMP/origin/nginx.conf" -e stderr >"$TMP/logs/origin.log" 2>&1 &
BG+=("$!")
SCHEME=http wait_http "$ORIGIN_PORT" origin
# The calls counted by perf: those of a proxy's data path and its waits.
CALLS=(read write readv writev recvfrom sendto recvmsg sendmsg splice pipe2 epoll_wait epoll_pwait
	epoll_ctl futex nanosleep sched_yield getsockopt setsockopt accept4 accept close shutdown socket connect
	getsockname getpeername fcntl ioctl tgkill rt_sigreturn madvise mmap)
EVENTS=$(printf 'syscalls:sys_enter_%s,' "${CALLS[@]}")
EVENTS="${EVENTS}sched:sched_wakeup"

# Each proxy runs under perf stat with its counters off (-D -1); they are
# switched on for the measured run only, through a control FIFO, so that
# every thread of the proxy counts, those it starts later included.
declare -A PERF=()
start_counted() { # name command...
	local name=$1
	shift
	mkfifo "$TMP/$name.ctl" "$TMP/$name.ack"
	perf stat -x, -e "$EVENTS" -D -1 --control "fifo:$TMP/$name.ctl,$TMP/$name.ack" \
		-o "$TMP/logs/perf-$name.csv" -- "$@" >"$TMP/logs/$name.log" 2>&1 &
	PERF[$name]=$!
	BG+=("$!")
	local i
	for i in $(seq 1 50); do
		PID[$name]=$(pgrep -P "${PERF[$name]}" | head -1) && [[ -n "${PID[$name]}" ]] && break
		sleep 0.1
	done
	[[ -n "${PID[$name]:-}" ]] || die "$name did not start under perf; see $TMP/logs/$name.log"
	BG+=("${PID[$name]}")
}
counting() { # name enable|disable
	echo "$2" >"$TMP/$1.ctl"
	read -r _ <"$TMP/$1.ack"
}
start_counted haproxy taskset -c 0 haproxy -db -f "$TMP/haproxy.cfg"
for s in "${PROXIES[@]:1}"; do
	start_counted "$s" env GOMAXPROCS=1 taskset -c 0 "$TMP/bin/$s" start -c "$TMP/$s.toml"
done
for p in "${PROXIES[@]}"; do wait_http "${PORT[$p]}" "$p"; done

# load NAME SECONDS OUT: wrk (or h2load under --h2) against proxy NAME.
load() {
	if ((H2)); then
		taskset -c 1 h2load -t1 -c10 -m10 "-D$2" "https://127.0.0.1:${PORT[$1]}/" >"$3" 2>&1
	else
		taskset -c 1 wrk -t1 "-c$CONNS" "-d$2s" "${WRKH[@]}" "http://127.0.0.1:${PORT[$1]}$URLPATH" >"$3" 2>&1
	fi
}
# requests FILE, rate FILE: the request count and the rate of a wrk or
# h2load output.
requests() { awk '/ requests in / { print $1 } /^requests: / { print $8 }' "$1"; }
rate() { awk '/^Requests\/sec:/ { printf "%.0f", $2 } /^finished in / { gsub(",", "", $4); printf "%.0f", $4 }' "$1"; }

for p in "${PROXIES[@]}"; do
	pid=${PID[$p]}
	log "$p: warm-up"
	load "$p" 2 /dev/null
	log "$p: perf stat over a ${DURATION}s run"
	counting "$p" enable
	load "$p" "$DURATION" "$TMP/logs/wrk-$p-perf.txt"
	counting "$p" disable
	log "$p: strace -c over a ${DURATION}s run"
	load "$p" "$DURATION" "$TMP/logs/wrk-$p-strace.txt" &
	w=$!
	sleep 0.3
	timeout -s INT $((DURATION - 1)) strace -c -f -o "$TMP/logs/strace-c-$p.txt" -p "$pid" 2>/dev/null || true
	wait "$w"
	log "$p: strace of the data calls for 1 s"
	load "$p" 3 /dev/null &
	w=$!
	sleep 0.5
	timeout -s INT 1 strace -f -e trace=read,write,readv,writev,recvfrom,sendto,recvmsg,sendmsg,splice \
		-e abbrev=all -e signal=none -s 0 -o "$TMP/logs/strace-$p.txt" -p "$pid" 2>/dev/null || true
	wait "$w"
done
# perf writes its counts when its proxy exits.
for p in "${PROXIES[@]}"; do kill -TERM "${PID[$p]}" 2>/dev/null || true; done
for p in "${PROXIES[@]}"; do
	for i in $(seq 1 100); do kill -0 "${PERF[$p]}" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "${PID[$p]}" 2>/dev/null || true
	wait "${PERF[$p]}" 2>/dev/null || true
done

echo
if ((H2)); then
	echo "System calls per request — $(date -u '+%Y-%m-%d %H:%M UTC'), h2load -t1 -c10 -m10 GET / (HTTP/2 over TLS), proxies alone on CPU 0"
else
	echo "System calls per request — $(date -u '+%Y-%m-%d %H:%M UTC'), wrk -t1 -c$CONNS GET $URLPATH ($( ((CLOSE)) && echo 'Connection: close' || echo keep-alive)), proxies alone on CPU 0"
fi
echo "Sluice at $(git -C "$REPO" rev-parse --short HEAD)$(git -C "$REPO" diff --quiet HEAD -- . 2>/dev/null || echo ' + uncommitted changes')${BASELINE:+; sluice-base at ${BASE_COMMIT:0:7} ($BASELINE)}; HAProxy $(haproxy -v 2>/dev/null | awk 'NR == 1 { print $3 }')"
echo
echo "1. perf stat (tracepoints; the proxy runs at its speed): calls per request"
{
	printf '%-14s' call
	for p in "${PROXIES[@]}"; do printf ' %12s' "$p"; done
	printf '\n'
	for c in "${CALLS[@]}" TOTAL wake-ups; do
		line=$(printf '%-14s' "$c")
		any=0
		ev="syscalls:sys_enter_$c"
		[[ $c == wake-ups ]] && ev=sched:sched_wakeup
		for p in "${PROXIES[@]}"; do
			n=$(requests "$TMP/logs/wrk-$p-perf.txt")
			# perf counted during exactly that load run
			v=$(awk -F, -v c="$ev" -v n="$n" '
				$3 == c { x = $1 } $3 ~ /^syscalls:sys_enter_/ { t += $1 }
				END { if (c == "syscalls:sys_enter_TOTAL") x = t; printf "%.3f", n ? x / n : 0 }' "$TMP/logs/perf-$p.csv")
			[[ $v == 0.000 ]] || any=1
			line+=$(printf ' %12s' "$v")
		done
		((any)) && printf '%s\n' "$line"
	done
	printf '%-14s' "req/s (load)"
	for p in "${PROXIES[@]}"; do printf ' %12s' "$(rate "$TMP/logs/wrk-$p-perf.txt")"; done
	printf '\n'
}
echo
echo "2. strace -c -f (the proxy slowed by the tracer): kernel µs per call, and calls while attached"
echo "   (not per request: wrk's count covers the whole run, the tracer only part of it; use 1. for counts)"
for p in "${PROXIES[@]}"; do
	echo "  $p:"
	awk '$1 ~ /^[0-9.]+$/ && NF >= 5 { printf "    %-14s %9d calls  %7s µs/call\n", $NF, $4, $3 }' "$TMP/logs/strace-c-$p.txt" | head -12
done
echo
echo "3. bytes per data call over 1 s (strace -f): calls by size"
for p in "${PROXIES[@]}"; do
	echo "  $p:"
	awk '
		match($0, /^[0-9]+ +([a-z]+)\(/) {
			split($0, a, "("); split(a[1], b, " "); name = b[2]
			r = $NF
			if (r !~ /^-?[0-9]+$/) next
			if (r < 0) { bucket = "EAGAIN/err" } else if (r < 1024) { bucket = "<1K" } else if (r < 16384) { bucket = "1K-16K" }
			else if (r == 16384) { bucket = "16K" } else if (r < 65536) { bucket = "16K-64K" } else { bucket = ">=64K" }
			cnt[name " " bucket]++; bytes[name] += (r > 0 ? r : 0); calls[name]++
		}
		END { for (k in cnt) { split(k, x, " "); printf "    %-10s %-11s %7d calls\n", x[1], x[2], cnt[k] }
			for (n in calls) printf "    %-10s total      %7d calls, %.0f bytes/call\n", n, calls[n], bytes[n] / calls[n] }' \
		"$TMP/logs/strace-$p.txt" | sort
done
echo
echo "files: $TMP/logs (perf-*.csv, strace-c-*.txt, strace-*.txt, wrk outputs)"
