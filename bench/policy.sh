#!/usr/bin/env bash
# The cost of the traffic policy (docs/policy.md), and compression against
# nginx's gzip.
#
#   bash bench/policy.sh                      # 3 rounds of 5 s runs, both parts
#   bash bench/policy.sh --rounds 5 --duration 8
#   bash bench/policy.sh --only cost          # only the cost of each policy at ka50
#   bash bench/policy.sh --only gzip          # only compression against nginx
#   bash bench/policy.sh --baseline REV       # + Sluice built from REV, plain configuration
#
# Part "cost": one Sluice per configuration, each alone on CPU 0
# (GOMAXPROCS=1), in front of nginx returning "hello, world" on CPU 1 with
# wrk -t1 -c50 (keep-alive), every request carrying the same Authorization
# and Accept-Encoding fields: "plain" (no policy), then each policy
# configured as it is when it lets every request through: "auth" (basic
# auth, bcrypt cost 10, the credentials valid: the cached path), "limit"
# (a rate limit by client address that never refuses), "maglev" (maglev by
# client address over two backends), "retry" (a retry policy that is never
# used: the budget's counting), "compress" (compression on, the 13-byte
# answer under min_size: negotiation only) and "all" together; with
# --baseline, "base" is Sluice built from REV with the plain
# configuration: plain ÷ base is the cost of having the features at all.
# The report gives each configuration's req/s and CPU µs per request
# divided by plain's in the same round (median over rounds, lowest and
# highest round in brackets).
#
# Part "gzip": the origin serves a 64 KiB text file (the first 64 KiB of
# docs/*.md); nginx (proxy_pass, gzip on, gzip_comp_level 5) and Sluice
# (compression gzip, gzip_level 5; also zstd and br) each alone on CPU 0,
# wrk -c50 asking Accept-Encoding: gzip (or zstd, br), and both without
# compression (no Accept-Encoding) for reference. The report gives CPU µs
# per request and Sluice ÷ nginx for gzip.
#
# Everything listens on 127.0.0.1 only; files go to a temp dir (printed);
# everything started is stopped on exit.
set -euo pipefail

ROUNDS=3
DURATION=5
WARMUP=2
BASE_PORT=29080
ONLY=""
BASELINE=""
while [[ $# -gt 0 ]]; do
	case "$1" in
	--rounds) ROUNDS="$2"; shift 2 ;;
	--duration) DURATION="$2"; shift 2 ;;
	--base-port) BASE_PORT="$2"; shift 2 ;;
	--only) ONLY="$2"; shift 2 ;;
	--baseline) BASELINE="$2"; shift 2 ;;
	-h|--help) sed -n '2,9p' "$0"; exit 0 ;;
	*) echo "unknown argument: $1" >&2; exit 2 ;;
	esac
done
[[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || { echo "--rounds wants a positive integer" >&2; exit 2; }
[[ "$DURATION" =~ ^[1-9][0-9]*$ ]] || { echo "--duration wants whole seconds" >&2; exit 2; }
RUN_COST=1 RUN_GZIP=1
if [[ -n "$ONLY" ]]; then
	RUN_COST=0 RUN_GZIP=0
	IFS=, read -r -a parts <<<"$ONLY"
	for p in "${parts[@]}"; do
		case "$p" in cost) RUN_COST=1 ;; gzip) RUN_GZIP=1 ;; *) echo "--only takes cost, gzip" >&2; exit 2 ;; esac
	done
fi

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=bench/lib.sh
source "$REPO/bench/lib.sh"
(( $(nproc) >= 2 )) || die "needs at least 2 CPUs"
need_packages nginx wrk curl util-linux
command -v go >/dev/null || die "go is not in PATH"
ulimit -n 65536 2>/dev/null || true

TMP="$(mktemp -d /tmp/sluice-policy.XXXXXX)"
RAW="$TMP/results.tsv"
mkdir -p "$TMP/bin" "$TMP/logs" "$TMP/www"
CLK_TCK=$(getconf CLK_TCK)
BG_PIDS=()
cleanup() {
	local rc=$? p
	set +e
	for p in "${BG_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	sleep 0.5
	for p in "${BG_PIDS[@]}"; do kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null; done
	wait 2>/dev/null
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "building cmd/sluice"
(cd "$REPO" && go build -o "$TMP/bin/" ./cmd/sluice)
if [[ -n "$BASELINE" ]]; then
	BASE_COMMIT=$(baseline_commit "$REPO" "$BASELINE")
	log "building sluice-base: cmd/sluice at $BASELINE (${BASE_COMMIT:0:12})"
	build_baseline "$REPO" "$BASE_COMMIT" "$TMP/bin/sluice-base"
fi
cat "$REPO"/docs/*.md >"$TMP/www/big.txt"
truncate -s 65536 "$TMP/www/big.txt"
chmod 755 "$TMP" "$TMP/www" && chmod 644 "$TMP/www/big.txt" # nginx's workers run as nobody
cd "$TMP"

ORIGIN_PORT=$BASE_PORT
NGINX_PORT=$((BASE_PORT + 1))
USER_HASH='$2a$10$7d/mDPvT4eBzt7jlBgvSauobG.WCnbYIcafsnPUsespCjpU9VrYbi' # "correct horse"
AUTH="Authorization: Basic $(printf 'alice:correct horse' | base64)"

nginx_conf() { # dir http-block-body
	mkdir -p "$1"
	cat >"$1/nginx.conf" <<EOF
worker_processes 1;
daemon off;
master_process on;
pid $1/nginx.pid;
error_log $1/error.log warn;
events { worker_connections 4096; }
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
nginx_conf "$TMP/origin" "
    server {
        listen 127.0.0.1:$ORIGIN_PORT backlog=4096;
        listen 127.0.0.1:$((BASE_PORT + 50)) backlog=4096;
        location = /big.txt { root $TMP/www; default_type text/plain; }
        location / { default_type text/plain; return 200 \"hello, world\n\"; }
    }"
nginx_conf "$TMP/nginx-gzip" "
    upstream origin { server 127.0.0.1:$ORIGIN_PORT; keepalive 1024; }
    server {
        listen 127.0.0.1:$NGINX_PORT backlog=4096;
        gzip on;
        gzip_comp_level 5;
        gzip_min_length 1024;
        gzip_types text/plain;
        gzip_proxied any;
        gzip_vary on;
        location / {
            proxy_pass http://origin;
            proxy_http_version 1.1;
            proxy_set_header Connection \"\";
        }
    }"

# sluice_conf NAME PORT CLUSTER-KEYS FRONTEND-KEYS [BACKENDS]
sluice_conf() {
	local backends=${5:-"{ id = \"origin\", address = \"127.0.0.1:$ORIGIN_PORT\" }"}
	cat >"$TMP/$1.toml" <<EOF
command_socket  = "$TMP/$1.sock"
log_level       = "warn"
access_log      = "off"
max_connections = 20000
keepalive_timeout = "60s"

[[listeners]]
protocol = "http"
address  = "127.0.0.1:$2"

[clusters.bench]
$3
frontends = [ { address = "127.0.0.1:$2", hostname = "*" $4 } ]
backends  = [ $backends ]
EOF
}

declare -A PORT=() PID=()
port=$((BASE_PORT + 2))
COST=()
if ((RUN_COST)); then
	two="{ id = \"o1\", address = \"127.0.0.1:$ORIGIN_PORT\" }, { id = \"o2\", address = \"127.0.0.1:$((BASE_PORT + 50))\" }"
	auth=", basic_auth = { users = { alice = \"$USER_HASH\" } }"
	limit=", rate_limit = { rate = 1000000, burst = 1000000 }"
	sluice_conf plain $port "" ""; PORT[plain]=$port; COST+=(plain); port=$((port + 1))
	sluice_conf auth $port "" "$auth"; PORT[auth]=$port; COST+=(auth); port=$((port + 1))
	sluice_conf limit $port "" "$limit"; PORT[limit]=$port; COST+=(limit); port=$((port + 1))
	sluice_conf maglev $port 'load_balancing = "maglev"' "" "$two"; PORT[maglev]=$port; COST+=(maglev); port=$((port + 1))
	sluice_conf retry $port 'retry = { attempts = 2, on_status = [502, 503, 504] }' ""; PORT[retry]=$port; COST+=(retry); port=$((port + 1))
	sluice_conf compress $port 'compression = {}' ""; PORT[compress]=$port; COST+=(compress); port=$((port + 1))
	sluice_conf all $port 'load_balancing = "maglev"
retry = { attempts = 2, on_status = [502, 503, 504] }
compression = {}' "$auth $limit" "$two"; PORT[all]=$port; COST+=(all); port=$((port + 1))
	if [[ -n "$BASELINE" ]]; then
		sluice_conf base $port "" ""; PORT[base]=$port; COST+=(base); port=$((port + 1))
	fi
fi
GZ=()
if ((RUN_GZIP)); then
	sluice_conf sgzip $port 'compression = { algorithms = ["gzip"], gzip_level = 5 }' ""; PORT[sgzip]=$port; port=$((port + 1))
	sluice_conf szstd $port 'compression = { algorithms = ["zstd"] }' ""; PORT[szstd]=$port; port=$((port + 1))
	sluice_conf sbr $port 'compression = { algorithms = ["br"] }' ""; PORT[sbr]=$port; port=$((port + 1))
	PORT[nginx]=$NGINX_PORT
	# name:proxy:accept-encoding
	GZ=(nginx-identity:nginx: sluice-identity:sgzip: nginx-gzip:nginx:gzip sluice-gzip:sgzip:gzip
		sluice-zstd:szstd:zstd sluice-br:sbr:br)
fi
for f in "$TMP"/*.toml; do
	bin="$TMP/bin/sluice"
	[[ $(basename "$f") == base.toml ]] && bin="$TMP/bin/sluice-base"
	"$bin" config check -c "$f" >/dev/null 2>&1 || die "config check -c $f: $("$bin" config check -c "$f" 2>&1)"
done

wait_http() { # port name pid
	local i
	for i in $(seq 1 100); do
		kill -0 "$3" 2>/dev/null || die "$2 exited at start; see $TMP/logs/$2.log"
		curl -sS -m 2 -o /dev/null "http://127.0.0.1:$1/" 2>/dev/null && return
		sleep 0.1
	done
	die "$2 does not answer on 127.0.0.1:$1"
}
start() { # name
	case "$1" in
	origin) taskset -c 1 nginx -p "$TMP/origin" -c "$TMP/origin/nginx.conf" -e stderr >"$TMP/logs/origin.log" 2>&1 & ;;
	nginx) taskset -c 0 nginx -p "$TMP/nginx-gzip" -c "$TMP/nginx-gzip/nginx.conf" -e stderr >"$TMP/logs/nginx.log" 2>&1 & ;;
	base) GOMAXPROCS=1 taskset -c 0 "$TMP/bin/sluice-base" start -c "$TMP/base.toml" >"$TMP/logs/base.log" 2>&1 & ;;
	*) GOMAXPROCS=1 taskset -c 0 "$TMP/bin/sluice" start -c "$TMP/$1.toml" >"$TMP/logs/$1.log" 2>&1 & ;;
	esac
	PID[$1]=$!
	BG_PIDS+=("$!")
	local p=${PORT[$1]:-$ORIGIN_PORT}
	wait_http "$p" "$1" "${PID[$1]}"
}

# measure NAME PROXY PATH ACCEPT-ENCODING: one warm-up and one measured run;
# prints "req/s cpu_us_per_req".
measure() {
	local name=$1 proxy=$2 path=$3 ae=$4 pid=${PID[$2]} port=${PORT[$2]}
	local -a h=(-H "$AUTH")
	[[ -z "$ae" ]] || h+=(-H "Accept-Encoding: $ae")
	taskset -c 1 wrk -t1 -c50 -d${WARMUP}s "${h[@]}" "http://127.0.0.1:$port$path" >/dev/null 2>&1 || true
	local t0 t1 out
	t0=$(cpu_ticks "$pid")
	out=$(taskset -c 1 wrk -t1 -c50 -d${DURATION}s "${h[@]}" "http://127.0.0.1:$port$path" 2>&1) || die "wrk failed on $name: $out"
	t1=$(cpu_ticks "$pid")
	printf '%s\n' "$out" >"$TMP/logs/wrk-$name-$ROUND.txt"
	local rps reqs bad
	rps=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
	reqs=$(awk '/ requests in / { print $1 }' <<<"$out")
	bad=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' <<<"$out")
	[[ -z "$bad" ]] || die "$name: $bad non-2xx answers"
	awk -v r="$rps" -v t="$((t1 - t0))" -v hz="$CLK_TCK" -v n="$reqs" 'BEGIN { printf "%s %.2f\n", r, t / hz * 1e6 / n }'
}

printf 'round\tpart\tname\treq_per_s\tcpu_us_per_req\n' >"$RAW"
start origin
if ((RUN_COST)); then
	for n in "${COST[@]}"; do start "$n"; done
fi
if ((RUN_GZIP)); then
	for n in nginx sgzip szstd sbr; do start "$n"; done
	for e in gzip zstd br; do
		p=s$e
		size=$(curl -s -H "Accept-Encoding: $e" "http://127.0.0.1:${PORT[$p]}/big.txt" | wc -c)
		log "sluice $e: 65536 bytes sent as $size"
	done
	size=$(curl -s -H "Accept-Encoding: gzip" "http://127.0.0.1:$NGINX_PORT/big.txt" | wc -c)
	log "nginx gzip: 65536 bytes sent as $size"
fi
for ((ROUND = 1; ROUND <= ROUNDS; ROUND++)); do
	if ((RUN_COST)); then
		order=("${COST[@]}")
		if ! ((ROUND % 2)); then for ((i = 0; i < ${#COST[@]}; i++)); do order[i]=${COST[${#COST[@]} - 1 - i]}; done; fi
		for n in "${order[@]}"; do
			read -r rps us < <(measure "$n" "$n" / gzip)
			log "round $ROUND cost $n: $rps req/s, $us CPU µs/req"
			printf '%s\tcost\t%s\t%s\t%s\n' "$ROUND" "$n" "$rps" "$us" >>"$RAW"
		done
	fi
	if ((RUN_GZIP)); then
		for g in "${GZ[@]}"; do
			IFS=: read -r n p ae <<<"$g"
			read -r rps us < <(measure "$n" "$p" /big.txt "$ae")
			log "round $ROUND gzip $n: $rps req/s, $us CPU µs/req"
			printf '%s\tgzip\t%s\t%s\t%s\n' "$ROUND" "$n" "$rps" "$us" >>"$RAW"
		done
	fi
done

# --- report ------------------------------------------------------------------
report() { # part reference-name
	awk -F'\t' -v part="$1" -v ref="$2" '
	NR > 1 && $2 == part { rps[$1, $3] = $4; us[$1, $3] = $5; if ($1 > R) R = $1; if (!($3 in seen)) { seen[$3] = 1; order[++n] = $3 } }
	function med(a, k,   i, j, t) { for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
		return (k % 2) ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2 }
	END {
		printf "| %-16s | req/s | CPU µs/req | req/s ÷ %s | CPU ÷ %s |\n|---|---|---|---|---|\n", "", ref, ref
		for (x = 1; x <= n; x++) {
			name = order[x]; k = 0
			for (r = 1; r <= R; r++) { k++; a[k] = rps[r, name]; b[k] = us[r, name]
				c[k] = rps[r, name] / rps[r, ref]; d[k] = us[r, name] / us[r, ref] }
			lo1 = 1e9; hi1 = 0; lo2 = 1e9; hi2 = 0
			for (i = 1; i <= k; i++) { if (c[i] < lo1) lo1 = c[i]; if (c[i] > hi1) hi1 = c[i]; if (d[i] < lo2) lo2 = d[i]; if (d[i] > hi2) hi2 = d[i] }
			printf "| %-16s | %.0f | %.2f | %.3f (%.3f..%.3f) | %.3f (%.3f..%.3f) |\n", name, med(a, k), med(b, k), med(c, k), lo1, hi1, med(d, k), lo2, hi2
		}
	}' "$RAW"
}
echo
echo "$ROUNDS round(s) of ${DURATION}s (+${WARMUP}s warm-up); raw results in $RAW"
if ((RUN_COST)); then
	echo; echo "### The cost of each policy, keep-alive -c50 (ratios to plain in the same round)"; echo
	report cost plain
fi
if ((RUN_GZIP)); then
	echo; echo "### 64 KiB text body, keep-alive -c50 (ratios to nginx gzip in the same round)"; echo
	report gzip nginx-gzip
fi
