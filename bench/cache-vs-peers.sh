#!/usr/bin/env bash
# The speed issue's table in one run: cold and warm `sbom`/`scan` of drydock against Trivy and
# Syft on the same real images, a second image sharing the base layers, peak memory, and
# matching 10,000 packages against 500,000 generated OSV records.
#
# usage: bench/cache-vs-peers.sh IMAGES_DIR PEERS_DIR [RUNS]
#   IMAGES_DIR  output of shared/tools/build-images.sh (oci/<name>, <name>.docker.tar, ...)
#   PEERS_DIR   output of shared/tools/install-peers.sh (peers.env)
set -euo pipefail
IMAGES="$(cd "$1" && pwd)"
. "$2/peers.env"
RUNS="${3:-7}"
HERE="$(cd "$(dirname "$0")/.." && pwd)"
cargo build --release -q --manifest-path "$HERE/Cargo.toml"
cargo build --release -q --manifest-path "$HERE/Cargo.toml" -p drydock-matcher --example match_bench
D="$HERE/target/release/drydock"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
export DRYDOCK_CACHE_DIR="$TMP/drydock-cache"
TRIVY_WARM="$TMP/trivy-cache"

OCI="$IMAGES/oci/deb-extras"
ARCHIVE="$IMAGES/deb-extras.docker.tar"
PYPA="$HERE/../shared/testdata/vulndb/osv-pypi-pypa"

median() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['results'][0]['median'])" "$1"; }
rss_mb() { /usr/bin/time -f %M "$@" >/dev/null 2>"$TMP/rss" || true; python3 -c "print(round(int(open('$TMP/rss').read().split()[-1])/1024, 1))"; }
bench() { # name prepare-command command
  hyperfine -N --warmup 1 --runs "$RUNS" ${2:+--prepare "$2"} --export-json "$TMP/$1.json" "$3" >/dev/null 2>&1
  median "$TMP/$1.json"
}
row() { # case drydock trivy syft drydock_rss
  python3 - "$@" <<'PY'
import sys
case, d, t, s, rss = sys.argv[1:6]
d, t = float(d), float(t)
sy = float(s) if s != "-" else None
print(f"| {case} | {d:.3f} s | {t:.3f} s | {sy:.2f} s |" if sy else f"| {case} | {d:.3f} s | {t:.3f} s | - |", end="")
print(f" **{t/d:.1f}×** | {(sy/d if sy else 0):.1f}× | {rss} MB |" if sy else f" **{t/d:.1f}×** | - | {rss} MB |")
PY
}

echo "| case | drydock | Trivy | Syft | vs Trivy | vs Syft | drydock peak RSS |"
echo "|---|---|---|---|---|---|---|"

# Cold: nothing cached (drydock --no-cache, Trivy's memory cache backend).
d=$(bench d_cold_oci "" "$D sbom oci:$OCI -q -f cyclonedx -o /dev/null --no-cache")
t=$(bench t_cold_oci "" "$TRIVY image --input $OCI --format cyclonedx --cache-backend memory --quiet --output /dev/null")
s=$(bench s_cold_oci "" "$SYFT scan oci-dir:$OCI -o cyclonedx-json=/dev/null -q")
row "cold sbom, OCI layout" "$d" "$t" "$s" "$(rss_mb "$D" sbom "oci:$OCI" -q -f cyclonedx -o /dev/null --no-cache)"
d=$(bench d_cold_arc "" "$D sbom docker-archive:$ARCHIVE -q -f cyclonedx -o /dev/null --no-cache")
t=$(bench t_cold_arc "" "$TRIVY image --input $ARCHIVE --format cyclonedx --cache-backend memory --quiet --output /dev/null")
s=$(bench s_cold_arc "" "$SYFT scan docker-archive:$ARCHIVE -o cyclonedx-json=/dev/null -q")
row "cold sbom, docker archive" "$d" "$t" "$s" "$(rss_mb "$D" sbom "docker-archive:$ARCHIVE" -q -f cyclonedx -o /dev/null --no-cache)"
# The opt-in ISA-L build (needs libisal-dev).
if cargo build --release -q --manifest-path "$HERE/Cargo.toml" -p drydock --features isal --target-dir "$HERE/target/isal" 2>/dev/null; then
  DI="$HERE/target/isal/release/drydock"
  d=$(bench d_cold_isal "" "$DI sbom oci:$OCI -q -f cyclonedx -o /dev/null --no-cache")
  row "cold sbom, OCI layout, built with --features isal" "$d" "$(median "$TMP/t_cold_oci.json")" "$(median "$TMP/s_cold_oci.json")" "$(rss_mb "$DI" sbom "oci:$OCI" -q -f cyclonedx -o /dev/null --no-cache)"
fi

# Warm: the same image again, each tool with its default on-disk cache already filled.
"$D" sbom "oci:$OCI" -q -f cyclonedx -o /dev/null
"$TRIVY" image --input "$OCI" --cache-dir "$TRIVY_WARM" --format cyclonedx --quiet --output /dev/null
d=$(bench d_warm_oci "" "$D sbom oci:$OCI -q -f cyclonedx -o /dev/null")
t=$(bench t_warm_oci "" "$TRIVY image --input $OCI --cache-dir $TRIVY_WARM --format cyclonedx --quiet --output /dev/null")
row "warm sbom, OCI layout" "$d" "$t" "$s" "$(rss_mb "$D" sbom "oci:$OCI" -q -f cyclonedx -o /dev/null)"
# Trivy has no vulnerability database offline: its warm sbom stands in as the floor of its scan.
"$D" db import "$PYPA" >/dev/null
d=$(bench d_warm_scan "" "$D scan oci:$OCI -q -f json -o /dev/null")
row "warm scan (PyPA database), OCI layout; Trivy: warm sbom" "$d" "$t" "-" "$(rss_mb "$D" scan "oci:$OCI" -q -f json -o /dev/null)"
"$D" sbom "docker-archive:$ARCHIVE" -q -f cyclonedx -o /dev/null
"$TRIVY" image --input "$ARCHIVE" --cache-dir "$TRIVY_WARM" --format cyclonedx --quiet --output /dev/null
d=$(bench d_warm_arc "" "$D sbom docker-archive:$ARCHIVE -q -f cyclonedx -o /dev/null")
t=$(bench t_warm_arc "" "$TRIVY image --input $ARCHIVE --cache-dir $TRIVY_WARM --format cyclonedx --quiet --output /dev/null")
row "warm sbom, docker archive" "$d" "$t" "$s" "$(rss_mb "$D" sbom "docker-archive:$ARCHIVE" -q -f cyclonedx -o /dev/null)"

# A second image sharing the base: only its own layers are read.
"$D" cache clean >/dev/null
"$D" sbom "oci:$IMAGES/oci/deb-base" -q -f json -o /dev/null
before=$("$D" cache status | awk '/layers:/ {print $2}')
start=$(date +%s.%N)
"$D" sbom "oci:$OCI" -q -f json -o /dev/null
end=$(date +%s.%N)
after=$("$D" cache status | awk '/layers:/ {print $2}')
layers=$(python3 -c "import json; print(len(json.load(open('$OCI/index.json'))['manifests']))" >/dev/null; "$D" sbom "oci:$OCI" -q -f json | python3 -c "import json,sys; print(len(json.load(sys.stdin)['image']['layers']))")
echo
echo "Second image sharing the base: deb-extras after deb-base read $(( (after - before) / 2 )) of $layers layers (each layer is stored under its blob digest and its diff_id) in $(python3 -c "print(f'{$end - $start:.3f}')") s."

# Matching at scale.
echo
"$HERE/target/release/examples/match_bench" 500000 10000
