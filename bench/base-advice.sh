#!/usr/bin/env bash
# Base images: time to index a repository of 50 tags (first run, then the conditional re-run),
# and `advise` with 5 candidates, first run (every candidate's layers pulled) versus second
# (layers from the cache). Peak RSS from GNU time.
#
# usage: bench/base-advice.sh IMAGES_DIR [RUNS]
# IMAGES_DIR holds the shared builder's images and the base example (IMAGES_DIR/base, built by
# examples/base/build.sh). Starts Debian's docker-registry on 127.0.0.1 with a temporary
# storage dir, pushes with skopeo, measures, and stops the registry by PID.
set -euo pipefail
IMAGES="$(cd "$1" && pwd)"
RUNS="${2:-3}"
HERE="$(cd "$(dirname "$0")/.." && pwd)"
cargo build --release -q --manifest-path "$HERE/Cargo.toml"
D="$HERE/target/release/drydock"
B="$IMAGES/base/oci"
TMP="$(mktemp -d)"
. "$HERE/bench/registry.sh"
trap 'kill $REG 2>/dev/null; rm -rf "$TMP"' EXIT
H="127.0.0.1:$PORT"
push() { skopeo copy -q --dest-tls-verify=false "$1" "docker://$H/$2"; }

# 50 tags over four images, as a real repository's tags share few digests.
images=("oci:$B:12-v1" "oci:$B:12-v2" "oci:$B:12-full" "oci:$B:13")
for i in $(seq 0 49); do push "${images[$((i % 4))]}" "base:1.$i"; done
push "oci:$IMAGES/oci/deb-multi" cand:multi
push "oci:$IMAGES/oci/deb-extras" cand:extras

seconds() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>&1; e=$(date +%s.%N); echo "$e - $s" | bc; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
rss() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }

echo "== index 50 tags (manifests and configs only)"
first=(); again=()
for _ in $(seq "$RUNS"); do
  C="$TMP/cache-index"; rm -rf "$C"
  first+=("$(seconds "$D" base index "$H/base" --insecure --cache-dir "$C")")
  again+=("$(seconds "$D" base index "$H/base" --insecure --cache-dir "$C")")
done
printf 'first run:  %s s\n' "$(printf '%s\n' "${first[@]}" | median)"
printf 'second run: %s s (conditional requests, nothing moved)\n' "$(printf '%s\n' "${again[@]}" | median)"

echo "== advise with 5 candidates"
ADV="$TMP/advisories"; mkdir -p "$ADV"
cp "$HERE"/examples/advisories/*.json "$ADV/"
CANDS=("docker://$H/base:1.1" "docker://$H/base:1.2" "docker://$H/base:1.3" "docker://$H/cand:multi" "docker://$H/cand:extras")
advise() { "$D" advise "oci:$B:app-plain" --insecure -q --advisories "$ADV" --max-candidates 0 --candidates "${CANDS[@]}" --cache-dir "$1"; }
cold=(); warm=()
for _ in $(seq "$RUNS"); do
  C="$TMP/cache-advise"; rm -rf "$C"
  cold+=("$(seconds advise "$C")")
  warm+=("$(seconds advise "$C")")
done
printf 'first run (layers pulled):  %s s\n' "$(printf '%s\n' "${cold[@]}" | median)"
printf 'second run (layers cached): %s s\n' "$(printf '%s\n' "${warm[@]}" | median)"
C="$TMP/cache-rss"; rm -rf "$C"
printf 'peak RSS first run: %s KB\n' "$(rss "$D" advise "oci:$B:app-plain" --insecure -q --advisories "$ADV" --max-candidates 0 --candidates "${CANDS[@]}" --cache-dir "$C")"
printf 'peak RSS second run: %s KB\n' "$(rss "$D" advise "oci:$B:app-plain" --insecure -q --advisories "$ADV" --max-candidates 0 --candidates "${CANDS[@]}" --cache-dir "$C")"
