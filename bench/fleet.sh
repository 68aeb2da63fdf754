#!/usr/bin/env bash
# Fleet mode: commit-to-served latency and an etcd outage under load, in
# one process (bench/fleetlat): an embedded etcd on loopback, 3 Sluice
# instances following it, a Go origin. Nothing to install.
#
#   flock /tmp/sluice-bench.lock bash bench/fleet.sh              # 1000 changes, a 30 s outage
#   flock /tmp/sluice-bench.lock bash bench/fleet.sh --outage 0   # latency only
#   bash bench/fleet.sh --changes 200 --outage 5s                 # quicker
#
# Goals (issue 17): p99 commit-to-served under 100 ms; 0 failed requests
# during the outage; the change written when etcd is back served within
# 1 s of etcd's start.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
bin=$(mktemp -d)/fleetlat
trap 'rm -rf "$(dirname "$bin")"' EXIT
log "building bench/fleetlat"
go build -o "$bin" ./bench/fleetlat
args=()
while [[ $# -gt 0 ]]; do
	case "$1" in
	--changes|--instances|--outage|--rate) args+=("-${1#--}" "$2"); shift 2 ;;
	*) die "unknown option $1 (--changes N, --instances N, --outage DURATION, --rate N)" ;;
	esac
done
"$bin" "${args[@]}"
