# Shared by the bench scripts (source it): logging, installing Debian
# packages, and reading CPU time from /proc. Nothing here starts anything.

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# need_packages PKG...: installs the Debian packages not yet there (root
# only), keeping their services from starting (nginx's default site would
# listen on 0.0.0.0:80) when no policy says so already. A package is there
# when the command of the same name is; util-linux when taskset is.
need_packages() {
	local missing=() p cmd
	for p in "$@"; do
		cmd=$p
		[[ $p == util-linux ]] && cmd=taskset
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

# tree_pids PID: the process and its children (nginx master + workers).
tree_pids() { echo "$1"; pgrep -P "$1" 2>/dev/null || true; }

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
