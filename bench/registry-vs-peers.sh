#!/usr/bin/env bash
# `sbom` from a loopback registry: drydock vs Trivy (--image-src remote) vs Syft (registry:),
# cold, as ratios in one run.
#
# usage: bench/registry-vs-peers.sh IMAGES_DIR PEERS_DIR [RUNS]
# Starts Debian's docker-registry on 127.0.0.1 with a temporary storage dir, pushes
# IMAGES_DIR/oci/deb-extras with skopeo, measures, and stops the registry by PID.
set -euo pipefail
IMAGES="$(cd "$1" && pwd)"
. "$2/peers.env"
RUNS="${3:-5}"
HERE="$(cd "$(dirname "$0")/.." && pwd)"
cargo build --release -q --manifest-path "$HERE/Cargo.toml"
D="$HERE/target/release/drydock"
TMP="$(mktemp -d)"
. "$HERE/bench/registry.sh"
trap 'kill $REG 2>/dev/null; rm -rf "$TMP"' EXIT
REF="127.0.0.1:$PORT/bench/deb-extras:latest"
skopeo copy -q --dest-tls-verify=false "oci:$IMAGES/oci/deb-extras:latest" "docker://$REF"
export SYFT_REGISTRY_INSECURE_USE_HTTP=true
median() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['results'][0]['median'])" "$1"; }
printf '%-8s %10s %10s\n' tool median_s speedup
base=""
for tool in drydock trivy syft; do
  case $tool in
    drydock) cmd="$D sbom $REF --insecure -q -f cyclonedx -o /dev/null" ;;
    trivy) cmd="$TRIVY image --image-src remote --insecure --format cyclonedx --cache-backend memory --quiet --output /dev/null $REF" ;;
    syft) cmd="$SYFT scan registry:$REF -o cyclonedx-json=/dev/null -q" ;;
  esac
  hyperfine -N --warmup 1 --runs "$RUNS" --export-json "$TMP/$tool.json" "$cmd" >/dev/null 2>&1
  m=$(median "$TMP/$tool.json")
  [ -n "$base" ] || base=$m
  printf '%-8s %10.3f %9.1fx\n' "$tool" "$m" "$(python3 -c "print($m/$base)")"
done
