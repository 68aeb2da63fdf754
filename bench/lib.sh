# Shared by the bench scripts (source it): logging, installing Debian
# packages, and reading CPU time from /proc. Nothing here starts anything.

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# need_packages PKG...: installs the Debian packages not yet there (root
# only), keeping their services from starting (nginx's default site would
# listen on 0.0.0.0:80) when no policy says so already. A package is there
# when the command of the same name is; util-linux when taskset is,
# nghttp2-client when h2load is.
need_packages() {
	local missing=() p cmd
	for p in "$@"; do
		cmd=$p
		[[ $p == util-linux ]] && cmd=taskset
		[[ $p == nghttp2-client ]] && cmd=h2load
		[[ $p == testssl.sh ]] && { command -v testssl >/dev/null || command -v testssl.sh >/dev/null; } && continue
		command -v "$cmd" >/dev/null || missing+=("$p")
	done
	((${#missing[@]} == 0)) && return
	[[ $EUID -eq 0 ]] || die "missing ${missing[*]}; run as root or install them"
	log "installing ${missing[*]}"
	local policy=/usr/sbin/policy-rc.d made=0 rc=0
	if [[ ! -e $policy ]]; then
		printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && made=1
	fi
	{ timeout 300 apt-get update -q && DEBIAN_FRONTEND=noninteractive timeout 600 \
		apt-get install -y -q --no-install-recommends "${missing[@]}"; } >&2 || rc=$?
	((made)) && rm -f "$policy"
	((rc == 0)) || die "apt-get failed"
}

# port_free PORT: nothing listens on 127.0.0.1:PORT.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# free_port: a port nothing listens on at 127.0.0.1, between 10000 and 29999.
free_port() {
	local p
	while :; do
		p=$((10000 + RANDOM % 20000))
		port_free "$p" && { echo "$p"; return; }
	done
}

# tree_pids PID: the process and its children (nginx master + workers).
tree_pids() { echo "$1"; pgrep -P "$1" 2>/dev/null || true; }

# rss_kib PID: VmRSS of the process tree, KiB.
rss_kib() {
	local p sum=0 v
	for p in $(tree_pids "$1"); do
		v=$(awk '/^VmRSS:/ { print $2 }' "/proc/$p/status" 2>/dev/null) || continue
		sum=$((sum + ${v:-0}))
	done
	echo "$sum"
}

# cpu_ticks PID: utime+stime of the process tree, in clock ticks.
cpu_ticks() {
	local p sum=0 v
	for p in $(tree_pids "$1"); do
		v=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$p/stat" 2>/dev/null) || continue
		sum=$((sum + v))
	done
	echo "$sum"
}

# cpu_stat cpuN: "busy total" jiffies from /proc/stat.
cpu_stat() {
	awk -v c="$1" '$1 == c { busy = $2 + $3 + $4 + $7 + $8 + $9; total = busy + $5 + $6; print busy, total }' /proc/stat
}

# to_ms VALUE: wrk's latency ("512.00us", "1.20ms", "2.01s") in ms.
to_ms() {
	awk -v v="$1" 'BEGIN {
		if (v ~ /us$/) { sub(/us$/, "", v); printf "%.3f", v / 1000 }
		else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.3f", v }
		else if (v ~ /m$/) { sub(/m$/, "", v); printf "%.3f", v * 60000 }
		else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.3f", v * 1000 }
		else printf "nan" }'
}

# --- --baseline: a second Sluice built from another git revision -------------

# baseline_commit REPO REV: the commit REV names in REPO (full hash), or dies.
baseline_commit() {
	git -C "$1" rev-parse --verify --quiet "$2^{commit}" ||
		die "--baseline $2: not a git revision of $1"
}

# build_baseline REPO COMMIT OUT: builds ./cmd/sluice of COMMIT into the file
# OUT. The revision's files are taken with `git archive` into OUT.src (no
# checkout, no worktree: nothing in the repository changes), built there the
# way the working tree is built, and removed. With SLUICE_BASE_GO set to a go
# command, that toolchain builds it (another Go release, or a patched
# runtime: see bench/README.md), and the report's baseline line names it.
build_baseline() {
	local repo=$1 commit=$2 out=$3 src="$3.src" gocmd=${SLUICE_BASE_GO:-go}
	rm -rf "$src" && mkdir -p "$src"
	git -C "$repo" archive --format=tar "$commit" | tar -x -C "$src" ||
		die "git archive $commit failed"
	[[ -d "$src/cmd/sluice" ]] || die "$commit has no cmd/sluice to build"
	(cd "$src" && "$gocmd" build -o "$out" ./cmd/sluice) >&2 || die "building cmd/sluice of $commit with $gocmd failed"
	rm -rf "$src"
}

# AWK_RATIOS: the awk functions of the "Sluice ÷ sluice-base" tables:
# add(key, x) collects a per-round ratio, cell(key) prints its median and
# (lowest..highest) round, "-" when there is none. Used as
# awk -F'\t' "$AWK_RATIOS"' ... '.
AWK_RATIOS='
function median(key,   n, i, j, t, a) {
	n = cnt[key]
	for (i = 1; i <= n; i++) a[i] = vals[key, i]
	for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
	lo[key] = a[1]; hi[key] = a[n]
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function add(key, x) { cnt[key]++; vals[key, cnt[key]] = x }
function cell(key,   x) {
	if (!cnt[key]) return "-"
	x = median(key)
	return sprintf("%.3fx (%.3f..%.3f)", x, lo[key], hi[key])
}
'

# fit_conf BIN FILE: makes FILE, a Sluice configuration written for the
# working tree's Sluice, one BIN's parser accepts (`BIN config check -c`),
# by removing what that parser reports as an unknown key: the key's line,
# or for an unknown table its header and keys. Prints each line removed;
# dies when the check fails for any other reason (then the configuration
# needs a hand-made equivalent).
fit_conf() {
	local bin=$1 file=$2 out i n key line
	local -a bad
	for ((i = 0; i < 20; i++)); do
		out=$("$bin" config check -c "$file" 2>&1) && return 0
		# "FILE:LINE:COL: unknown key "KEY" ...", one error a line; the
		# highest line first so that removing one leaves the others in place.
		mapfile -t bad < <(sed -n 's/^.*:\([0-9][0-9]*\):[0-9][0-9]*: unknown key "\([^"]*\)".*$/\1 \2/p' <<<"$out" | sort -k1,1nr -u)
		((${#bad[@]})) || die "$bin config check -c $file: $out"
		for line in "${bad[@]}"; do
			n=${line%% *} key=${line#* }
			line=$(sed -n "${n}p" "$file")
			if [[ $line =~ ^[[:space:]]*\[+[[:space:]]*\"?${key}\"?[[:space:]]*\]+ ]]; then
				# a table: its header and its lines up to the next header
				awk -v n="$n" 'NR == n { p = 1; print; next } p && /^[[:space:]]*\[/ { exit } p && NF { print }' "$file"
				awk -v n="$n" 'NR == n { skip = 1; next } skip && /^[[:space:]]*\[/ { skip = 0 } !skip { print }' "$file" >"$file.fit"
			elif [[ $line =~ ^[[:space:]]*\"?${key}\"?[[:space:]]*= ]]; then
				printf '%s\n' "$line"
				sed "${n}d" "$file" >"$file.fit"
			else
				die "$bin config check -c $file: unknown key \"$key\" inside line $n ($line); write that configuration by hand"
			fi
			mv "$file.fit" "$file"
		done
	done
	die "$bin config check -c $file still fails: $out"
}

# same_headers PROTO: sets HAPROXY_HEADERS and NGINX_HEADERS, the
# configuration lines that make HAProxy and nginx add what Sluice adds to
# every request and response (SPEC: X-Forwarded-For and Forwarded
# appended, X-Forwarded-Proto (PROTO, http or https) and X-Forwarded-Port
# set, a request id to the backend and back to the client), so that each
# proxy sends the origin and the load generator, both on CPU 1, the same
# bytes: on this layout CPU 1 bounds keep-alive and HTTP/2 req/s, and the
# bytes it parses count (run.sh and https.sh --same-headers).
same_headers() {
	HAPROXY_HEADERS="option forwardfor
    http-request set-header X-Forwarded-Proto $1
    http-request set-header X-Forwarded-Port %[dst_port]
    http-request add-header Forwarded \"for=%[src];proto=$1;by=%[dst]\"
    unique-id-format %{+X}o%pid-%rt
    unique-id-header Sluice-Request-Id
    http-response set-header Sluice-Request-Id %[unique-id]"
	# shellcheck disable=SC2016 # nginx variables, not the shell's
	NGINX_HEADERS='proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-Port $server_port;
            proxy_set_header Forwarded "for=$remote_addr;proto=$scheme;by=$server_addr";
            proxy_set_header Sluice-Request-Id $request_id;
            add_header Sluice-Request-Id $request_id;'
}
