#!/usr/bin/env bash
# upgrade.sh: issue 15. The same load across N binary upgrades of Sluice
# (`sluice upgrade`), N reloads of HAProxy (a new process taking the
# listening sockets of the old one over its stats socket: -x with
# `expose-fd listeners`, and -sf) and N reloads of nginx (`nginx -s
# reload`), one proxy after the other, each alone in front of the same
# origins. The load is bench/steadyload's: 2 000 requests per second, half
# over 20 keep-alive connections, half over a new connection each, every
# request checked for a 2xx answer, plus one slow upload (4 MiB over 8 s),
# one WebSocket (a message every 50 ms for 8 s) and one TCP stream (1 KiB
# every 50 ms for 8 s) at a time, each started again when it ends. It
# reports, per proxy: the reloads that failed, the requests that failed,
# the tunnels that broke, and the longest gap between two new connections
# answered; it exits 1 when Sluice failed anything.
#
#   bash bench/upgrade.sh [--upgrades N] [--interval S] [--rate R] [--only sluice,haproxy,nginx]
#
# --upgrades 0 runs the load without any reload: what this machine's
# noise alone gives (the longest gap, the slowest request).
# Every process is bounded in time (the load runs max(N, 10) x S + 4 seconds, the
# last tunnel ends within 8 s after) and stopped on exit; everything
# listens on 127.0.0.1; files go to a temp dir, removed on exit unless
# --keep. HAProxy, nginx and nginx's stream module are installed with
# apt-get when missing and the script runs as root (see bench/lib.sh).
set -euo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
source "$REPO/bench/lib.sh"

UPGRADES=10
INTERVAL=3
RATE=2000
ONLY="sluice,haproxy,nginx"
KEEP=0
while (($#)); do
	case "$1" in
	--upgrades) UPGRADES="$2"; shift 2 ;;
	--interval) INTERVAL="$2"; shift 2 ;;
	--rate) RATE="$2"; shift 2 ;;
	--only) ONLY="$2"; shift 2 ;;
	--keep) KEEP=1; shift ;;
	-h | --help) sed -n '2,24p' "$0"; exit 0 ;;
	*) die "unknown argument $1" ;;
	esac
done
[[ "$UPGRADES" =~ ^[0-9]+$ && "$INTERVAL" =~ ^[1-9][0-9]*$ && "$RATE" =~ ^[1-9][0-9]*$ ]] ||
	die "--upgrades wants a count, --interval and --rate positive integers"
command -v go >/dev/null || die "go is not in PATH"
IFS=, read -r -a PROXIES <<<"$ONLY"
for p in "${PROXIES[@]}"; do
	case "$p" in sluice | haproxy | nginx) ;; *) die "--only: unknown proxy $p" ;; esac
done
[[ " ${PROXIES[*]} " == *" haproxy "* ]] && need_packages haproxy
if [[ " ${PROXIES[*]} " == *" nginx "* ]]; then
	need_packages nginx
	STREAM_MODULE=/usr/lib/nginx/modules/ngx_stream_module.so
	if [[ ! -e $STREAM_MODULE ]]; then
		[[ $EUID -eq 0 ]] || die "nginx's stream module ($STREAM_MODULE) is missing; install libnginx-mod-stream"
		log "installing libnginx-mod-stream"
		DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -q --no-install-recommends libnginx-mod-stream >&2 ||
			die "apt-get install libnginx-mod-stream failed"
	fi
fi

TMP="$(mktemp -d /tmp/sluice-upgrade.XXXXXX)"
mkdir -p "$TMP/bin" "$TMP/logs" "$TMP/nginx"
PIDS=() # every process started, to stop on exit
cleanup() {
	local p
	[[ -s "$TMP/nginx/nginx.pid" ]] && kill "$(cat "$TMP/nginx/nginx.pid")" 2>/dev/null || true
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in $(pgrep -f "$TMP/" 2>/dev/null || true); do kill -9 "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	if ((KEEP)); then log "files kept in $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT

log "building into $TMP/bin"
(cd "$REPO" && go build -o "$TMP/bin/" ./cmd/sluice ./bench/origin ./bench/steadyload ./bench/tcpload)

ORIGIN=127.0.0.1:$(free_port)
"$TMP/bin/origin" -listen "$ORIGIN" >/dev/null 2>"$TMP/logs/origin.log" &
PIDS+=($!)
ECHO=127.0.0.1:$(free_port)
"$TMP/bin/tcpload" -mode echo -listen "$ECHO" -max 30m >/dev/null 2>"$TMP/logs/echo.log" &
PIDS+=($!)
HP=$(free_port) # the http listener of the proxy under load
TP=$(free_port) # its tcp listener
TUNNEL=8
# The load lasts as long as 10 reloads at least, so that --upgrades 0 (no
# reload: the noise of this machine) runs as long as the default.
DURATION=$(((UPGRADES > 10 ? UPGRADES : 10) * INTERVAL + 4))

# --- the proxies: start_X starts it, reload_X reloads it once (exit 0 when
# the reload was accepted), stop_X stops what is left of it ---------------

start_sluice() {
	cat >"$TMP/sluice.toml" <<CONF
command_socket   = "$TMP/sluice.sock"
log_level        = "info"
access_log       = "off"
max_connections  = 20000
shutdown_timeout = "60s"    # an old process lets its tunnels finish
upgrade_timeout  = "10s"

[[listeners]]
protocol = "http"
address  = "127.0.0.1:$HP"

[[listeners]]
protocol = "tcp"
address  = "127.0.0.1:$TP"

[clusters.app]
frontends = [ { address = "127.0.0.1:$HP", hostname = "app.local" } ]
backends  = [ { id = "o1", address = "$ORIGIN" } ]

[clusters.echo]
protocol  = "tcp"
frontends = [ { address = "127.0.0.1:$TP" } ]
backends  = [ { id = "e1", address = "$ECHO" } ]
CONF
	"$TMP/bin/sluice" config check -c "$TMP/sluice.toml" >/dev/null
	"$TMP/bin/sluice" start -c "$TMP/sluice.toml" 2>>"$TMP/logs/sluice.log" &
	PIDS+=($!)
	for _ in $(seq 100); do "$TMP/bin/sluice" -s "$TMP/sluice.sock" status >/dev/null 2>&1 && return; sleep 0.1; done
	die "sluice did not start; see $TMP/logs/sluice.log"
}
reload_sluice() { "$TMP/bin/sluice" -s "$TMP/sluice.sock" upgrade >>"$TMP/logs/sluice-upgrades.log" 2>&1; }
stop_sluice() {
	"$TMP/bin/sluice" -s "$TMP/sluice.sock" shutdown >/dev/null 2>&1 || true
	for _ in $(seq 150); do pgrep -f "$TMP/bin/sluice start" >/dev/null || return 0; sleep 0.1; done
	pkill -9 -f "$TMP/bin/sluice start" || true
}

start_haproxy() {
	cat >"$TMP/haproxy.cfg" <<CONF
global
	maxconn 8000
	stats socket $TMP/haproxy.sock mode 600 level admin expose-fd listeners
defaults
	timeout connect 3s
	timeout client 60s
	timeout server 60s
	timeout tunnel 1h
	timeout http-keep-alive 10s
frontend web
	mode http
	option http-keep-alive
	bind 127.0.0.1:$HP
	default_backend origin
backend origin
	mode http
	http-reuse always
	server o1 $ORIGIN
listen tcp
	mode tcp
	bind 127.0.0.1:$TP
	server e1 $ECHO
CONF
	haproxy -c -q -f "$TMP/haproxy.cfg" || die "haproxy -c failed"
	haproxy -f "$TMP/haproxy.cfg" 2>>"$TMP/logs/haproxy.log" &
	HAPROXY_PID=$!
	PIDS+=($HAPROXY_PID)
	for _ in $(seq 100); do [[ -S "$TMP/haproxy.sock" ]] && return; sleep 0.1; done
	die "haproxy did not start; see $TMP/logs/haproxy.log"
}
reload_haproxy() {
	local old=$HAPROXY_PID
	haproxy -f "$TMP/haproxy.cfg" -x "$TMP/haproxy.sock" -sf "$old" 2>>"$TMP/logs/haproxy.log" &
	HAPROXY_PID=$!
	PIDS+=($HAPROXY_PID)
	sleep 0.5
	kill -0 "$HAPROXY_PID" 2>/dev/null
}
stop_haproxy() {
	local p
	for p in $(pgrep -x haproxy 2>/dev/null || true); do
		[[ " ${PIDS[*]} " == *" $p "* ]] && kill -USR1 "$p" 2>/dev/null || true
	done
	sleep 1
	for p in $(pgrep -x haproxy 2>/dev/null || true); do
		[[ " ${PIDS[*]} " == *" $p "* ]] && kill -9 "$p" 2>/dev/null || true
	done
}

NGINX=(nginx -c "$TMP/nginx.conf" -p "$TMP/nginx/")
start_nginx() {
	mkdir -p "$TMP/nginx/logs"
	cat >"$TMP/nginx.conf" <<CONF
load_module $STREAM_MODULE;
worker_processes 1;
pid $TMP/nginx/nginx.pid;
error_log $TMP/logs/nginx-error.log warn;
events { worker_connections 8000; }
http {
	access_log off;
	client_body_temp_path $TMP/nginx/body;
	proxy_temp_path $TMP/nginx/proxy;
	fastcgi_temp_path $TMP/nginx/fastcgi;
	uwsgi_temp_path $TMP/nginx/uwsgi;
	scgi_temp_path $TMP/nginx/scgi;
	upstream origin { server $ORIGIN; keepalive 64; }
	server {
		listen 127.0.0.1:$HP;
		client_max_body_size 0;
		proxy_request_buffering off;
		location / {
			proxy_pass http://origin;
			proxy_http_version 1.1;
			proxy_set_header Connection "";
		}
		location /ws {
			proxy_pass http://origin;
			proxy_http_version 1.1;
			proxy_set_header Upgrade \$http_upgrade;
			proxy_set_header Connection "upgrade";
			proxy_read_timeout 1h;
		}
	}
}
stream {
	server { listen 127.0.0.1:$TP; proxy_pass $ECHO; }
}
CONF
	"${NGINX[@]}" -t -q || die "nginx -t failed"
	"${NGINX[@]}"
	for _ in $(seq 100); do [[ -s "$TMP/nginx/nginx.pid" ]] && return; sleep 0.1; done
	die "nginx did not start; see $TMP/logs/nginx-error.log"
}
reload_nginx() { "${NGINX[@]}" -s reload 2>>"$TMP/logs/nginx-error.log"; }
stop_nginx() {
	"${NGINX[@]}" -s quit 2>/dev/null || true
	for _ in $(seq 150); do [[ -e "$TMP/nginx/nginx.pid" ]] || return 0; sleep 0.1; done
	kill -9 "$(cat "$TMP/nginx/nginx.pid")" 2>/dev/null || true
}

# --- the runs ------------------------------------------------------------------

RESULTS="$TMP/results.tsv"
printf 'proxy\treloads\treloads_failed\trequests\tfailed\tretried\tgap\tslowest\tuploads\twebsockets\ttcp\tbroken\n' >"$RESULTS"
SLUICE_BAD=0
for p in "${PROXIES[@]}"; do
	log "$p: start"
	"start_$p"
	sleep 1
	"$TMP/bin/steadyload" -addr "127.0.0.1:$HP" -host app.local -rate "$RATE" -duration "${DURATION}s" \
		-upload /upload -ws /ws -tcp "127.0.0.1:$TP" -tunnel "${TUNNEL}s" >"$TMP/logs/load-$p.log" 2>&1 &
	LOAD=$!
	PIDS+=($LOAD)
	t0=$(date +%s.%N)
	sleep 2
	failed=0
	at=() # when each reload began, in the load's seconds
	for ((i = 1; i <= UPGRADES; i++)); do
		at+=("$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')")
		if ! "reload_$p"; then
			failed=$((failed + 1))
			log "$p: reload $i failed"
		fi
		sleep "$INTERVAL"
	done
	((UPGRADES == 0)) || echo "reloads began at t=${at[*]}" >>"$TMP/logs/load-$p.log.at"
	wait "$LOAD" || true
	"stop_$p"
	L="$TMP/logs/load-$p.log"
	sum=$(grep '^summary' "$L" || echo "summary: none")
	num() { sed -n "s/.*$1 \([0-9][0-9]*\).*/\1/p" <<<"$sum" | head -1; }
	tun() { sed -n "s/^tunnels $1: done \([0-9]*\), broken \([0-9]*\)/\1 done, \2 broken/p" "$L"; }
	broken=$(sed -n 's/^tunnels .*broken \([0-9]*\)$/\1/p' "$L" | awk '{ s += $1 } END { print s + 0 }')
	gap=$(sed -n 's/^longest gap between new connections answered: \([^ ]*\) (ending at \(t=[^)]*\)).*/\1 at \2/p' "$L")
	slowest=$(sed -n 's/.*slowest request \([^,]*\),.*/\1/p' <<<"$sum")
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$p" "$UPGRADES" "$failed" "$(num requests)" "$(num failed)" \
		"$(num 'connection')" "$gap" "$slowest" "$(tun upload)" "$(tun websocket)" "$(tun 'tcp stream')" "$broken" >>"$RESULTS"
	[[ -e "$L.at" ]] && cat "$L.at" >>"$L"
	log "$p: $(tr '\n' ' ' < <(grep -E '^(summary|longest|gaps|reloads|tunnels)' "$L"))"
	if [[ $p == sluice ]] && { ((failed > 0)) || [[ "$(num failed)" != 0 ]] || ((broken > 0)); }; then SLUICE_BAD=1; fi
done

echo
echo "Reloads under load — $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, Sluice at $(git -C "$REPO" rev-parse --short HEAD)$(git -C "$REPO" diff --quiet HEAD -- . 2>/dev/null || echo ' + uncommitted changes')"
echo "$UPGRADES reloads $INTERVAL s apart; load $RATE req/s (half keep-alive over 20 connections, half a new connection each),"
echo "one upload, one WebSocket, one TCP stream at a time (${TUNNEL} s each, started again when done)"
echo "sluice: sluice upgrade (same binary); haproxy $(haproxy -v 2>/dev/null | awk 'NR == 1 { print $3 }'): -x stats socket (expose-fd listeners) -sf; nginx $(nginx -v 2>&1 | sed 's|.*/||'): nginx -s reload"
echo
awk -F'\t' 'NR == 1 { next } {
	printf "%-8s reloads %s (%s failed) | requests %s, failed %s, retried %s | longest gap %s, slowest request %s | upload %s | websocket %s | tcp %s\n", $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11
}' "$RESULTS"
for p in "${PROXIES[@]}"; do
	if grep -q '^  ' "$TMP/logs/load-$p.log"; then
		echo "--- $p: errors"
		grep '^  ' "$TMP/logs/load-$p.log" | head -20
	fi
done
exit $SLUICE_BAD
