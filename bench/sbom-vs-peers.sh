#!/usr/bin/env bash
# Cold `sbom` runs of drydock, Trivy and Syft on the same real images, as ratios in one run.
#
# usage: bench/sbom-vs-peers.sh IMAGES_DIR PEERS_DIR [RUNS]
#   IMAGES_DIR  output of shared/tools/build-images.sh (oci/<name>, <name>.docker.tar, ...)
#   PEERS_DIR   output of shared/tools/install-peers.sh (peers.env)
# Prints wall-clock medians (hyperfine) and peak RSS (GNU time) per tool and source format,
# and drydock's speed-up over each peer. Nothing is cached between runs: Trivy runs with
# --cache-backend memory, drydock has no cache for images.
set -euo pipefail
IMAGES="$(cd "$1" && pwd)"
. "$2/peers.env"
RUNS="${3:-5}"
HERE="$(cd "$(dirname "$0")/.." && pwd)"
cargo build --release -q --manifest-path "$HERE/Cargo.toml"
D="$HERE/target/release/drydock"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

median() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['results'][0]['median'])" "$1"; }
rss() { /usr/bin/time -f %M "$@" >/dev/null 2>"$TMP/rss" || true; tail -1 "$TMP/rss"; }

printf "%-12s %-8s %-8s %10s %10s %10s\n" image format tool median_s rss_MB speedup
for name in ${BENCH_IMAGES:-deb-extras}; do
  for format in oci docker; do
    if [ "$format" = oci ]; then
      dsrc="oci:$IMAGES/oci/$name"; tsrc=(--input "$IMAGES/oci/$name"); ssrc="oci-dir:$IMAGES/oci/$name"
    else
      dsrc="docker-archive:$IMAGES/$name.docker.tar"; tsrc=(--input "$IMAGES/$name.docker.tar"); ssrc="docker-archive:$IMAGES/$name.docker.tar"
    fi
    dcmd="$D sbom $dsrc -q -f cyclonedx -o /dev/null"
    tcmd="$TRIVY image ${tsrc[*]} --format cyclonedx --cache-backend memory --quiet --output /dev/null"
    scmd="$SYFT scan $ssrc -o cyclonedx-json=/dev/null -q"
    for tool in drydock trivy syft; do
      case $tool in drydock) cmd=$dcmd;; trivy) cmd=$tcmd;; syft) cmd=$scmd;; esac
      hyperfine -N --warmup 1 --runs "$RUNS" --export-json "$TMP/$tool.json" "$cmd" >/dev/null 2>&1
      # shellcheck disable=SC2086
      peak=$(rss $cmd)
      m=$(median "$TMP/$tool.json")
      eval "m_$tool=$m"
      speed=$(python3 -c "print(f'{$m / $m_drydock:.1f}x')")
      printf '%-12s %-8s %-8s %10.3f %10.1f %10s\n' "$name" "$format" "$tool" "$m" "$(python3 -c "print($peak/1024)")" "$speed"
    done
  done
done
