#!/usr/bin/env bash
# TCP benchmark: Sluice against HAProxy in `mode tcp`, each alone on CPU 0,
# in front of the same Go origins, loaded by bench/tcpload on CPU 1.
#
#   bash bench/tcp.sh                 # 3 rounds of 10 s runs
#   bash bench/tcp.sh --rounds 5      # more rounds
#   bash bench/tcp.sh --quick         # 1 round of 5 s runs
#   bash bench/tcp.sh --duration 8    # seconds per measured run
#   bash bench/tcp.sh --no-strace     # skip the splice proof
#   bash bench/tcp.sh --access-log    # Sluice writes an access log line per
#                                     # connection (to a file in the temp dir)
#   bash bench/tcp.sh --baseline REV  # + Sluice built from git revision REV
#                                     # ("sluice-base"), ratios to it per round
#
# Three scenarios per proxy and round:
#   stream  one connection, the client writes 1 MiB blocks for the whole run
#           into a sink origin: throughput in Gbit/s
#   conns   50 workers, each: connect, write 4 bytes, read the echo and the
#           end of stream (the origin closes first), close: short
#           connections per second
#   msgs    50 connections to an echo origin, each writing a 64-byte message
#           and reading it back, again and again: messages per second (the
#           case where splicing small exchanges costs more than copying)
# CPU layout (as bench/run.sh): CPU 0 the proxy under test (HAProxy
# nbthread 1, Sluice GOMAXPROCS=1, both pinned with taskset and started
# once; only the one measured gets traffic); CPU 1 tcpload and the origins
# (GOMAXPROCS=1 each). Ratios are Sluice's median divided by HAProxy's.
# With --baseline REV, Sluice built from REV (git archive, nothing checked
# out) runs too, on its own ports, pinned to CPU 0 like the others; in each
# round the two Sluices run next to each other (which first alternating),
# and a second table gives the working tree's figures divided by the
# baseline's, per round: the median and the spread over rounds.
# After the rounds, unless --no-strace, strace counts Sluice's system calls
# during a 3 s stream: splice calls moving the bytes, no read/write of them.
# Everything listens on 127.0.0.1; files go to a temp dir (printed); all
# started processes are stopped on exit.
set -euo pipefail

ROUNDS=3
DURATION=10
STRACE=1
BASE_PORT=19080
ACCESS_LOG=0
BASELINE="" # a git revision: also measure Sluice built from it ("sluice-base")
while [[ $# -gt 0 ]]; do
	case "$1" in
	--quick) ROUNDS=1; DURATION=5; shift ;;
	--rounds) ROUNDS="$2"; shift 2 ;;
	--duration) DURATION="$2"; shift 2 ;;
	--no-strace) STRACE=0; shift ;;
	--access-log) ACCESS_LOG=1; shift ;;
	--base-port) BASE_PORT="$2"; shift 2 ;;
	--baseline) BASELINE="$2"; shift 2 ;;
	-h|--help) sed -n '2,13p' "$0"; exit 0 ;;
	*) echo "unknown argument: $1" >&2; exit 2 ;;
	esac
done
[[ "$ROUNDS" =~ ^[1-9][0-9]*$ && "$DURATION" =~ ^[1-9][0-9]*$ ]] || { echo "--rounds and --duration want positive integers" >&2; exit 2; }

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=bench/lib.sh
source "$REPO/bench/lib.sh"
(( $(nproc) >= 2 )) || die "needs at least 2 CPUs"
BASE_COMMIT=""
[[ -z "$BASELINE" ]] || BASE_COMMIT=$(baseline_commit "$REPO" "$BASELINE")

pkgs=(haproxy util-linux)
((STRACE)) && pkgs+=(strace)
need_packages "${pkgs[@]}"

TMP="$(mktemp -d /tmp/sluice-tcpbench.XXXXXX)"
mkdir -p "$TMP/bin" "$TMP/logs"
BG=()
cleanup() {
	local rc=$? p
	set +e
	for p in "${BG[@]}"; do kill -TERM "$p" 2>/dev/null; done
	sleep 0.3
	for p in "${BG[@]}"; do kill -KILL "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "${TMP:?}/bin/sluice-base.src"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

SINK=$BASE_PORT ECHO=$((BASE_PORT + 1)) ECHOKEEP=$((BASE_PORT + 6))
declare -A STREAM_PORT=([haproxy]=$((BASE_PORT + 2)) [sluice]=$((BASE_PORT + 3)) [sluice-base]=$((BASE_PORT + 9)))
declare -A CONNS_PORT=([haproxy]=$((BASE_PORT + 4)) [sluice]=$((BASE_PORT + 5)) [sluice-base]=$((BASE_PORT + 10)))
declare -A MSGS_PORT=([haproxy]=$((BASE_PORT + 7)) [sluice]=$((BASE_PORT + 8)) [sluice-base]=$((BASE_PORT + 11)))
declare -A PID=()
PROXIES=(haproxy sluice)
[[ -z "$BASELINE" ]] || PROXIES+=(sluice-base)

log "building sluice and tcpload"
(cd "$REPO" && go build -o "$TMP/bin/" ./cmd/sluice ./bench/tcpload)
if [[ -n "$BASELINE" ]]; then
	log "building sluice-base: cmd/sluice at $BASELINE (${BASE_COMMIT:0:12})"
	build_baseline "$REPO" "$BASE_COMMIT" "$TMP/bin/sluice-base"
fi
cd "$TMP"

wait_port() { # port name pid
	local i
	for i in $(seq 1 100); do
		kill -0 "$3" 2>/dev/null || die "$2 exited at start; see $TMP/logs/$2.log"
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return
		sleep 0.1
	done
	die "$2 does not listen on 127.0.0.1:$1"
}

GOMAXPROCS=1 taskset -c 1 "$TMP/bin/tcpload" -mode sink -listen "127.0.0.1:$SINK" >"$TMP/logs/sink.log" 2>&1 &
BG+=($!); wait_port "$SINK" sink $!
GOMAXPROCS=1 taskset -c 1 "$TMP/bin/tcpload" -mode echo -once -listen "127.0.0.1:$ECHO" >"$TMP/logs/echo.log" 2>&1 &
BG+=($!); wait_port "$ECHO" echo $!
GOMAXPROCS=1 taskset -c 1 "$TMP/bin/tcpload" -mode echo -listen "127.0.0.1:$ECHOKEEP" >"$TMP/logs/echokeep.log" 2>&1 &
BG+=($!); wait_port "$ECHOKEEP" echokeep $!

# HAProxy wants 2 x maxconn descriptors; give it what the limit allows.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
MAXCONN=$(( $(ulimit -n) / 2 - 100 ))
((MAXCONN > 20000)) && MAXCONN=20000
cat >"$TMP/haproxy.cfg" <<CFG
global
    nbthread 1
    maxconn $MAXCONN
defaults
    mode tcp
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    maxconn $MAXCONN
frontend stream
    bind 127.0.0.1:${STREAM_PORT[haproxy]}
    default_backend sink
frontend conns
    bind 127.0.0.1:${CONNS_PORT[haproxy]}
    default_backend echo
frontend msgs
    bind 127.0.0.1:${MSGS_PORT[haproxy]}
    default_backend echokeep
backend sink
    server sink 127.0.0.1:$SINK
backend echo
    server echo 127.0.0.1:$ECHO
backend echokeep
    server echokeep 127.0.0.1:$ECHOKEEP
CFG
sluice_conf() { # name
	local access=off
	((ACCESS_LOG)) && access="$TMP/logs/$1-access.log"
	cat >"$TMP/$1.toml" <<CFG
command_socket = "$TMP/$1.sock"
log_level = "warn"
access_log = "$access"
max_connections = 20000
[[listeners]]
protocol = "tcp"
address = "127.0.0.1:${STREAM_PORT[$1]}"
[[listeners]]
protocol = "tcp"
address = "127.0.0.1:${CONNS_PORT[$1]}"
[[listeners]]
protocol = "tcp"
address = "127.0.0.1:${MSGS_PORT[$1]}"
[clusters.sink]
protocol = "tcp"
frontends = [ { address = "127.0.0.1:${STREAM_PORT[$1]}" } ]
backends = [ { id = "sink", address = "127.0.0.1:$SINK" } ]
[clusters.echo]
protocol = "tcp"
frontends = [ { address = "127.0.0.1:${CONNS_PORT[$1]}" } ]
backends = [ { id = "echo", address = "127.0.0.1:$ECHO" } ]
[clusters.echokeep]
protocol = "tcp"
frontends = [ { address = "127.0.0.1:${MSGS_PORT[$1]}" } ]
backends = [ { id = "echokeep", address = "127.0.0.1:$ECHOKEEP" } ]
CFG
}
sluice_conf sluice
[[ -z "$BASELINE" ]] || sluice_conf sluice-base

taskset -c 0 haproxy -db -f "$TMP/haproxy.cfg" >"$TMP/logs/haproxy.log" 2>&1 &
PID[haproxy]=$!; BG+=($!); wait_port "${STREAM_PORT[haproxy]}" haproxy "${PID[haproxy]}"
GOMAXPROCS=1 taskset -c 0 "$TMP/bin/sluice" start -c "$TMP/sluice.toml" >"$TMP/logs/sluice.log" 2>&1 &
PID[sluice]=$!; BG+=($!); wait_port "${STREAM_PORT[sluice]}" sluice "${PID[sluice]}"
if [[ -n "$BASELINE" ]]; then
	GOMAXPROCS=1 taskset -c 0 "$TMP/bin/sluice-base" start -c "$TMP/sluice-base.toml" >"$TMP/logs/sluice-base.log" 2>&1 &
	PID[sluice-base]=$!; BG+=($!); wait_port "${STREAM_PORT[sluice-base]}" sluice-base "${PID[sluice-base]}"
fi

RAW="$TMP/results.tsv"
printf 'round\tproxy\tscenario\tvalue\tunit\tproxy_cpu_pct\n' >"$RAW"
CLK_TCK=$(getconf CLK_TCK)


# wait_quiet: waits (at most 15 s) for a 1 s window in which both CPUs are
# under 10% busy, since nothing of ours is loaded while it samples; other
# processes on a shared machine disturb the figures.
wait_quiet() {
	local i a0 t0 a1 t1 b0 u0 b1 u1 busy
	for ((i = 0; i < 15; i++)); do
		read -r a0 t0 < <(cpu_stat cpu0); read -r a1 t1 < <(cpu_stat cpu1)
		sleep 1
		read -r b0 u0 < <(cpu_stat cpu0); read -r b1 u1 < <(cpu_stat cpu1)
		busy=$(awk -v x=$((b0 - a0)) -v dx=$((u0 - t0)) -v y=$((b1 - a1)) -v dy=$((u1 - t1)) \
			'BEGIN { p = dx ? 100 * x / dx : 0; q = dy ? 100 * y / dy : 0; printf "%d", (p > q ? p : q) }')
		((busy <= 10)) && return 0
		((i == 0)) && log "  other processes keep a CPU ${busy}% busy; waiting up to 15 s"
	done
	log "  still busy (${busy}%); measuring anyway"
}

run() { # round proxy scenario
	local out t0 t1 v unit
	wait_quiet
	t0=$(cpu_ticks "${PID[$2]}")
	if [[ $3 == stream ]]; then
		out=$(taskset -c 1 timeout $((DURATION + 30)) "$TMP/bin/tcpload" -mode stream -addr "127.0.0.1:${STREAM_PORT[$2]}" -d "${DURATION}s")
		v=$(sed -n 's/.*gbit_per_s=\([0-9.]*\).*/\1/p' <<<"$out"); unit=Gbit/s
	elif [[ $3 == msgs ]]; then
		out=$(GOMAXPROCS=1 taskset -c 1 timeout $((DURATION + 30)) "$TMP/bin/tcpload" -mode msgs -c 50 -size 64 -addr "127.0.0.1:${MSGS_PORT[$2]}" -d "${DURATION}s")
		v=$(sed -n 's/.*msgs_per_s=\([0-9]*\).*/\1/p' <<<"$out"); unit=msg/s
		grep -q 'errors=0 ' <<<"$out" || log "  $2 msgs: $out"
		printf '%s\t%s\tmsgs_p99\t%s\tus\t0\n' "$1" "$2" "$(sed -n 's/.*p99_us=\([0-9]*\).*/\1/p' <<<"$out")" >>"$RAW"
	else
		out=$(GOMAXPROCS=1 taskset -c 1 timeout $((DURATION + 30)) "$TMP/bin/tcpload" -mode conns -c 50 -addr "127.0.0.1:${CONNS_PORT[$2]}" -d "${DURATION}s")
		v=$(sed -n 's/.*conns_per_s=\([0-9]*\).*/\1/p' <<<"$out"); unit=conn/s
		grep -q 'errors=0 ' <<<"$out" || log "  $2 conns: $out"
	fi
	t1=$(cpu_ticks "${PID[$2]}")
	local pct
	pct=$(awk -v t=$((t1 - t0)) -v hz="$CLK_TCK" -v d="$DURATION" 'BEGIN { printf "%.0f", 100 * t / hz / d }')
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$v" "$unit" "$pct" >>"$RAW"
	log "round $1 $2 $3: $v $unit (proxy CPU ${pct}%)"
}

for ((r = 1; r <= ROUNDS; r++)); do
	order=("${PROXIES[@]}")
	if ((r % 2 == 0)); then
		for ((i = 0; i < ${#PROXIES[@]}; i++)); do order[i]=${PROXIES[${#PROXIES[@]} - 1 - i]}; done
	fi
	for p in "${order[@]}"; do
		taskset -c 1 "$TMP/bin/tcpload" -mode stream -addr "127.0.0.1:${STREAM_PORT[$p]}" -d 1s >/dev/null # warm-up
		run "$r" "$p" stream
		run "$r" "$p" conns
		run "$r" "$p" msgs
	done
done

echo
echo "Sluice TCP benchmark — $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, $ROUNDS round(s) of ${DURATION}s, median over rounds"
echo "Sluice at $(cd "$REPO" && git rev-parse --short HEAD 2>/dev/null || echo '?'), $(haproxy -v 2>&1 | head -1), $(go version | awk '{ print $3 }')"
[[ -z "$BASELINE" ]] || echo "sluice-base at $(git -C "$REPO" rev-parse --short "$BASE_COMMIT") (--baseline $BASELINE; built from git archive of it), the same configuration as sluice on its own ports"
awk -F'\t' -v d="$DURATION" -v proxies="${PROXIES[*]}" '
function median(k,   n, i, j, t, a) {
	n = cnt[k]; for (i = 1; i <= n; i++) a[i] = v[k, i]
	for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function add(k, x) { cnt[k]++; v[k, cnt[k]] = x }
NR == 1 { next }
{
	k = $2 SUBSEP $3; add(k, $4); add(k SUBSEP "cpu", $6); unit[$3] = $5
	# CPU cost: µs of proxy CPU per connection, or CPU seconds per GB streamed.
	if ($3 == "conns" || $3 == "msgs") add(k SUBSEP "cost", $4 > 0 ? $6 / 100 * 1e6 / $4 : 0)
	else add(k SUBSEP "cost", $4 > 0 ? $6 / 100 / ($4 / 8) : 0)
}
END {
	printf "%-8s %-11s %10s %8s %7s %7s %12s %7s\n", "scenario", "proxy", "median", "unit", "×HAP", "proxy%", "CPU cost", "×HAP"
	split("stream conns msgs", sc, " "); cu["stream"] = "s/GB"; cu["conns"] = "µs/conn"; cu["msgs"] = "µs/msg"
	np = split(proxies, px, " ")
	for (s = 1; s <= 3; s++) {
		hk = "haproxy" SUBSEP sc[s]; h = median(hk); hc = median(hk SUBSEP "cost")
		printf "%-8s %-11s %10.2f %8s %7s %7.0f %7.2f %-4s %7s\n", sc[s], "haproxy", h, unit[sc[s]], "1.00x", median(hk SUBSEP "cpu"), hc, cu[sc[s]], "1.00x"
		for (p = 2; p <= np; p++) {
			sk = px[p] SUBSEP sc[s]; m = median(sk); mc = median(sk SUBSEP "cost")
			printf "%-8s %-11s %10.2f %8s %6.2fx %7.0f %7.2f %-4s %6.2fx\n", "", px[p], m, unit[sc[s]], (h > 0 ? m / h : 0), median(sk SUBSEP "cpu"), mc, cu[sc[s]], (hc > 0 ? mc / hc : 0)
		}
	}
	hp = median("haproxy" SUBSEP "msgs_p99")
	printf "msgs p99 round trip: haproxy %d µs", hp
	for (p = 2; p <= np; p++) { sp = median(px[p] SUBSEP "msgs_p99"); printf ", %s %d µs (%.2fx)", px[p], sp, (hp > 0 ? sp / hp : 0) }
	printf "\n"
}' "$RAW"
echo "proxy% = the proxy's share of CPU 0 during the run. Below ~95% the load side on CPU 1"
echo "(tcpload and the origins) capped the rate: compare the CPU cost, which holds at any load."
echo "Goals: stream ≥ 0.90x, conns ≥ 0.80x. Raw results: $RAW"
if [[ -n "$BASELINE" ]]; then
	echo
	echo "Sluice ÷ sluice-base: the working tree ÷ $BASELINE ($(git -C "$REPO" rev-parse --short "$BASE_COMMIT")). Per round, sluice's figure / sluice-base's"
	echo "in the same round (the two run next to each other, which first alternating); median over rounds, (lowest..highest) round:"
	awk -F'	' "$AWK_RATIOS"'
	NR == 1 || ($2 != "sluice" && $2 != "sluice-base") { next }
	{
		v[$2, $3, $1] = $4; seen[$1] = 1
		# the CPU cost, as in the table above
		if ($3 == "conns" || $3 == "msgs") c[$2, $3, $1] = $4 > 0 ? $6 / 100 * 1e6 / $4 : 0
		else if ($3 == "stream") c[$2, $3, $1] = $4 > 0 ? $6 / 100 / ($4 / 8) : 0
	}
	END {
		split("stream conns msgs", sc, " ")
		for (s = 1; s <= 3; s++) for (r in seen) {
			a = "sluice" SUBSEP sc[s] SUBSEP r; b = "sluice-base" SUBSEP sc[s] SUBSEP r
			if ((a in v) && (b in v) && v[b] > 0) add(sc[s] SUBSEP "v", v[a] / v[b])
			if ((a in c) && (b in c) && c[b] > 0) add(sc[s] SUBSEP "c", c[a] / c[b])
		}
		a = "sluice" SUBSEP "msgs_p99"; b = "sluice-base" SUBSEP "msgs_p99"
		for (r in seen) if (((a, r) in v) && ((b, r) in v) && v[b, r] > 0) add("p99", v[a, r] / v[b, r])
		printf "%-8s %-24s %-24s %s\n", "scenario", "rate", "CPU cost", "rounds"
		for (s = 1; s <= 3; s++) printf "%-8s %-24s %-24s %d\n", sc[s], cell(sc[s] SUBSEP "v"), cell(sc[s] SUBSEP "c"), cnt[sc[s] SUBSEP "v"]
		printf "msgs p99 round trip: %s\n", cell("p99")
	}' "$RAW"
	echo "Above 1: a higher rate (better), a higher CPU cost or p99 (worse) than the baseline."
fi

if ((STRACE)); then
	echo
	echo "Splice proof: system calls of Sluice (all threads) during a 3 s stream:"
	# -p attaches to every thread of the process; -f follows new ones.
	strace -f -c -e trace=splice,read,write,readv,writev,sendfile -o "$TMP/strace.txt" -p "${PID[sluice]}" &
	SP=$!
	sleep 1
	taskset -c 1 "$TMP/bin/tcpload" -mode stream -addr "127.0.0.1:${STREAM_PORT[sluice]}" -d 3s
	sleep 0.5
	kill -INT "$SP" 2>/dev/null || true
	wait "$SP" 2>/dev/null || true
	cat "$TMP/strace.txt"
fi
