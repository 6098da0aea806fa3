#!/usr/bin/env bash
# `drydock audit` (every check, secrets over every layer, dive's size figures) against
# `dive --ci` (size figures only) on the same docker archives, in one run; peak memory of both.
#
# usage: bench/audit-vs-dive.sh IMAGES_DIR PEERS_DIR [RUNS]
#   IMAGES_DIR  output of shared/tools/build-images.sh (<name>.docker.tar)
#   PEERS_DIR   output of shared/tools/install-peers.sh (peers.env names $DIVE)
set -euo pipefail
IMAGES="$(cd "$1" && pwd)"
. "$2/peers.env"
RUNS="${3:-7}"
HERE="$(cd "$(dirname "$0")/.." && pwd)"
cargo build --release -q --manifest-path "$HERE/Cargo.toml"
D="$HERE/target/release/drydock"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
export DRYDOCK_CACHE_DIR="$TMP/drydock-cache"
median() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['results'][0]['median'])" "$1"; }
rss_mb() { /usr/bin/time -f %M "$@" >/dev/null 2>"$TMP/rss" || true; python3 -c "print(round(int(open('$TMP/rss').read().split()[-1])/1024, 1))"; }
echo "| image | drydock audit (cold) | dive --ci | dive ÷ drydock | drydock peak RSS | dive peak RSS |"
echo "|---|---|---|---|---|---|"
for name in deb-multi deb-extras; do
  A="$IMAGES/$name.docker.tar"
  hyperfine -N --warmup 1 --runs "$RUNS" --export-json "$TMP/d.json" \
    "$D audit docker-archive:$A -q -f json -o /dev/null --no-cache" >/dev/null 2>&1
  hyperfine -N --warmup 1 --runs "$RUNS" --export-json "$TMP/v.json" \
    "$DIVE --ci --source docker-archive $A --lowestEfficiency 0 --highestUserWastedPercent 1" >/dev/null 2>&1
  d=$(median "$TMP/d.json"); v=$(median "$TMP/v.json")
  drss=$(rss_mb "$D" audit "docker-archive:$A" -q -f json -o /dev/null --no-cache)
  vrss=$(rss_mb "$DIVE" --ci --source docker-archive "$A" --lowestEfficiency 0 --highestUserWastedPercent 1)
  python3 -c "import sys; d,v=float(sys.argv[1]),float(sys.argv[2]); print(f'| $name | {d:.3f} s | {v:.3f} s | **{v/d:.1f}×** | $drss MB | $vrss MB |')" "$d" "$v"
done
