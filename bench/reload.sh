#!/usr/bin/env bash
# reload.sh: issue 14. Sluice reloads its configuration file N times (default
# 100) while steadyload sends 2 000 requests per second to it, half over
# keep-alive connections, half over a new connection each; every reload adds
# or removes clusters, frontends and backends, or changes weights. It reports
# the requests that were not answered 2xx: the goal is none.
#
#   bash bench/reload.sh [--reloads N] [--rate R] [--signal]
#
# --signal reloads with SIGHUP instead of `sluice reload`. Each reload is
# checked (`sluice reload` exits 0; with --signal, the log says the reload
# was applied). Everything listens on 127.0.0.1; files go to a temp dir,
# removed on exit; every process started is stopped.
set -euo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
source "$REPO/bench/lib.sh"

RELOADS=100
RATE=2000
SIGNAL=0
while (($#)); do
	case "$1" in
	--reloads) RELOADS="$2"; shift 2 ;;
	--rate) RATE="$2"; shift 2 ;;
	--signal) SIGNAL=1; shift ;;
	*) die "unknown argument $1" ;;
	esac
done
command -v go >/dev/null || die "go is not in PATH"

TMP="$(mktemp -d /tmp/sluice-reload.XXXXXX)"
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$TMP"
}
trap cleanup EXIT

log "building into $TMP/bin"
(cd "$REPO" && go build -o "$TMP/bin/" ./cmd/sluice ./bench/origin ./bench/steadyload)

ORIGINS=()
for _ in 1 2 3 4; do
	p=$(free_port)
	"$TMP/bin/origin" -listen "127.0.0.1:$p" &
	PIDS+=($!)
	ORIGINS+=("127.0.0.1:$p")
done
PORT=$(free_port)

# conf I: the configuration of reload I. The cluster "app" (the load's
# Host) always keeps two backends; around it, by I: a third backend comes
# and goes, weights change, and clusters with their frontends and backends
# are added and removed (up to four at once).
conf() {
	local i=$1 w=$((50 + ($1 % 5) * 20)) c
	cat <<CONF
command_socket = "$TMP/sluice.sock"
saved_state    = "$TMP/state.json"
log_level      = "info"
access_log     = "off"

[[listeners]]
protocol = "http"
address  = "127.0.0.1:$PORT"

[clusters.app]
frontends = [ { address = "127.0.0.1:$PORT", hostname = "app.local" } ]
backends  = [
  { id = "a1", address = "${ORIGINS[0]}", weight = $w },
  { id = "a2", address = "${ORIGINS[1]}" },
CONF
	((i % 2 == 1)) && echo "  { id = \"a3\", address = \"${ORIGINS[2]}\" },"
	echo "]"
	for c in 1 2 3 4; do
		(((i + c) % 3 == 0)) && continue
		cat <<CONF

[clusters.extra$c]
frontends = [ { address = "127.0.0.1:$PORT", hostname = "extra$c.local", path = "/p$((i % 7))" } ]
backends  = [ { id = "e$c", address = "${ORIGINS[3]}", weight = $((10 + i % 90)) } ]
CONF
	done
}

conf 0 >"$TMP/sluice.toml"
"$TMP/bin/sluice" start -c "$TMP/sluice.toml" 2>"$TMP/sluice.log" &
SLUICE=$!
PIDS+=($SLUICE)
ctl() { "$TMP/bin/sluice" -s "$TMP/sluice.sock" "$@"; }
for _ in $(seq 100); do ctl status >/dev/null 2>&1 && break; sleep 0.1; done
ctl status >/dev/null || die "sluice did not start; see $TMP/sluice.log"

# The load runs for the reloads and a margin on each side.
DURATION=$((RELOADS * 3 / 10 + 6))
log "load: $RATE requests/s for ${DURATION}s; $RELOADS reloads"
"$TMP/bin/steadyload" -addr "127.0.0.1:$PORT" -host app.local -rate "$RATE" -duration "${DURATION}s" >"$TMP/load.log" 2>&1 &
LOAD=$!
PIDS+=($LOAD)
sleep 2
start=$(date +%s.%N)
failed_reloads=0
orders=0 # the orders the reloads applied, in all
for i in $(seq "$RELOADS"); do
	conf "$i" >"$TMP/sluice.toml"
	if ((SIGNAL)); then
		before=$(grep -c 'reload applied' "$TMP/sluice.log" || true)
		kill -HUP "$SLUICE"
		for _ in $(seq 100); do
			(($(grep -c 'reload applied' "$TMP/sluice.log" || true) > before)) && break
			sleep 0.02
		done
		(($(grep -c 'reload applied' "$TMP/sluice.log" || true) > before)) || { failed_reloads=$((failed_reloads + 1)); log "reload $i: not applied"; }
	elif ! out=$("$TMP/bin/sluice" -c "$TMP/sluice.toml" reload 2>&1); then
		failed_reloads=$((failed_reloads + 1))
		log "reload $i failed: $out"
	else
		n=$(sed -n 's/^applied \([0-9]*\) order.*/\1/p' <<<"$out" | head -1)
		orders=$((orders + ${n:-0}))
	fi
	sleep 0.2
done
took=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
rc=0
wait "$LOAD" || rc=$?
PIDS=("${PIDS[@]/$LOAD/}")
echo
echo "Sluice reload under load — $(date -u '+%Y-%m-%d %H:%M UTC'), Sluice at $(git -C "$REPO" rev-parse --short HEAD)"
echo "$RELOADS reloads in ${took}s ($( ((SIGNAL)) && echo SIGHUP || echo 'sluice reload')), $failed_reloads failed$( ((SIGNAL)) || echo ", $orders orders applied in all (adds, updates and removes of clusters, frontends and backends)")"
grep '^summary' "$TMP/load.log" || true
sed -n '/^summary/,$p' "$TMP/load.log" | tail -n +2
echo "the proxy's last word on the state: $(ctl status --json 2>/dev/null | grep -o '"clusters": *[0-9]*' || true)"
((rc == 0 && failed_reloads == 0)) || exit 1
