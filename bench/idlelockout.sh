#!/usr/bin/env bash
# idlelockout.sh: issue 13, defect 7. One host opens N (default 20 000)
# keep-alive connections to Sluice, each answered one request and then held
# idle, twice max_connections (default 10 000); then a new client's request
# is timed with curl. Sluice runs with every connection setting at its
# default (max_connections, keepalive_timeout, max_connections_per_ip,
# front_timeout); only the command socket, the log level and the access log
# (off, so that 20 000 lines are not written) are set.
#
#   bash bench/idlelockout.sh [-n N] [--curls K] [--keepalive-timeout D]
#
# --keepalive-timeout sets keepalive_timeout (default: the default, 10s),
# e.g. 10m to show that the new client is served by closing idle
# connections, not by their timeout. Prints the curl times and the proxy's
# status (reclaimed_connections). Needs go and curl; Linux.
#
# File descriptors: each process needs one per connection it holds. The
# script raises its soft limit to the hard one (and tries 65536); when that
# is still too low for N connections in one process, the connections are
# opened by several idleconns processes, each under the limit.
set -euo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
source "$REPO/bench/lib.sh"

N=20000
CURLS=5
KEEPALIVE=""
while (($#)); do
	case "$1" in
	-n) N="$2"; shift 2 ;;
	--curls) CURLS="$2"; shift 2 ;;
	--keepalive-timeout) KEEPALIVE="$2"; shift 2 ;;
	*) die "unknown argument $1" ;;
	esac
done
command -v go >/dev/null || die "go is not in PATH"
command -v curl >/dev/null || die "curl is not in PATH"

ulimit -Hn 65536 2>/dev/null || true
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
NOFILE=$(ulimit -n)
[[ "$NOFILE" == unlimited ]] && NOFILE=65536
PER=$((NOFILE - 200))        # connections per idleconns process
((PER >= 1000)) || die "open-file limit $NOFILE is too low"
((NOFILE >= 10000 + 1200)) || die "open-file limit $NOFILE is too low for Sluice's 10 000 connections"
PROCS=$(((N + PER - 1) / PER))
log "open-file limit $NOFILE: $N connections from $PROCS idleconns process(es)"

TMP="$(mktemp -d /tmp/sluice-idlelockout.XXXXXX)"
PIDS=()      # every process started here, stopped on exit
IDLE_PIDS=() # the idleconns processes
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$TMP"
}
trap cleanup EXIT

# free_port: a port nobody listens on, below the ephemeral range.
free_port() {
	local p
	while :; do
		p=$((10000 + RANDOM % 20000))
		port_free "$p" && { echo "$p"; return; }
	done
}

log "building into $TMP/bin"
(cd "$REPO" && go build -o "$TMP/bin/" ./cmd/sluice ./bench/origin ./bench/idleconns)

ORIGIN=$(free_port)
"$TMP/bin/origin" -listen "127.0.0.1:$ORIGIN" &
PIDS+=($!)

PORT=$(free_port)
cat >"$TMP/sluice.toml" <<EOF
command_socket = "$TMP/sluice.sock"
log_level      = "warn"
access_log     = "off"
${KEEPALIVE:+keepalive_timeout = \"$KEEPALIVE\"}

[[listeners]]
protocol = "http"
address  = "127.0.0.1:$PORT"

[clusters.bench]
frontends = [ { address = "127.0.0.1:$PORT", hostname = "*" } ]
backends  = [ { id = "origin", address = "127.0.0.1:$ORIGIN" } ]
EOF
"$TMP/bin/sluice" start -c "$TMP/sluice.toml" 2>"$TMP/sluice.log" &
PIDS+=($!)
status() { "$TMP/bin/sluice" -s "$TMP/sluice.sock" --json status; }
for _ in $(seq 100); do status >/dev/null 2>&1 && break; sleep 0.1; done
status >/dev/null || die "sluice did not start; see $TMP/sluice.log"
# field NAME: a number of the proxy's status.
field() { status | grep -o "\"$1\": *[0-9]*" | grep -o '[0-9]*$'; }

log "opening $N idle keep-alive connections"
start=$(date +%s.%N)
left=$N
for i in $(seq "$PROCS"); do
	n=$((left < PER ? left : PER))
	left=$((left - n))
	"$TMP/bin/idleconns" -addr "127.0.0.1:$PORT" -n "$n" -hold 600s >"$TMP/idle-$i.log" 2>&1 &
	PIDS+=($!)
	IDLE_PIDS+=($!)
done
for i in $(seq "$PROCS"); do
	for _ in $(seq 1200); do grep -q '^ready' "$TMP/idle-$i.log" && break; sleep 0.1; done
	grep -q '^ready' "$TMP/idle-$i.log" || die "idleconns $i did not get ready: $(cat "$TMP/idle-$i.log")"
	log "idleconns $i: $(tr '\n' ' ' <"$TMP/idle-$i.log")"
done
log "all ready after $(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s; proxy: $(field active_connections) connections open, $(field reclaimed_connections) reclaimed"

log "timing $CURLS new clients (curl, one request each)"
TIMES=()
for i in $(seq "$CURLS"); do
	out=$(curl -s -o /dev/null --max-time 60 -H 'Host: bench.local' -w '%{http_code} %{time_total}' "http://127.0.0.1:$PORT/") || true
	log "curl $i: status ${out% *}, ${out#* } s"
	TIMES+=("${out#* }")
done

for p in "${IDLE_PIDS[@]}"; do kill -USR1 "$p"; done
for i in $(seq "$PROCS"); do
	for _ in $(seq 100); do grep -q '^open:' "$TMP/idle-$i.log" && break; sleep 0.1; done
done
still=$(cat "$TMP"/idle-*.log | awk '/^open:/ { s += $2 } END { print s + 0 }')
echo
echo "idle keep-alive connections opened: $N (from one host, 127.0.0.1)"
echo "still open after the curls: $still (the others closed by the proxy)"
echo "proxy: active_connections $(field active_connections), reclaimed_connections $(field reclaimed_connections)"
echo "new client's request, curl time_total (s): ${TIMES[*]}"
printf '%s\n' "${TIMES[@]}" | sort -n | tail -1 | awk '{ printf "slowest: %s s (%s)\n", $1, ($1 < 1 ? "under 1 s" : "NOT under 1 s") }'
