#!/usr/bin/env bash
# Builds the base-image example: a Debian base tagged 12 at two digests (without and
# with the security suite), a "full" variant, a trixie base tagged 13 (mmdebstrap),
# and an application built with buildah on the first digest of 12, into one OCI
# layout OUTDIR/oci (tags 12-v1, 12-v2, 12-full, 13, app, app-plain):
#   build.sh IMAGES_DIR OUTDIR
# Needs root, buildah, skopeo, mmdebstrap, the images of the shared image builder in
# IMAGES_DIR, and IMAGES_DIR/attribution/facts.env (examples/attribution/build.sh),
# whose REBUILD_PKG has a newer build in the security suite than in the release.
# Writes OUTDIR/facts.env with the package, its versions and buildah's base digest.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
IMAGES="${1:?usage: build.sh IMAGES_DIR OUTDIR}"
OUT="${2:?usage: build.sh IMAGES_DIR OUTDIR}"
FACTS="$IMAGES/attribution/facts.env"
[ -f "$FACTS" ] || { echo "$FACTS missing: run examples/attribution/build.sh first" >&2; exit 1; }
. "$FACTS"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
BH=(buildah --storage-driver vfs --root "$WORK/root" --runroot "$WORK/run")
STORE="containers-storage:[vfs@$WORK/root+$WORK/run]"
skopeo copy -q "oci:$IMAGES/oci/deb-base" "${STORE}localhost/test/deb-base:latest"

bud() { "${BH[@]}" bud --isolation chroot --layers --pull=false "$@"; }
bud --build-arg "PKG=$REBUILD_PKG" --build-arg SECURITY=off -f "$HERE/base.Dockerfile" -t localhost/base:12 "$HERE/context"
bud --build-arg "PKG=$REBUILD_PKG" --build-arg SECURITY=on -f "$HERE/base.Dockerfile" -t localhost/base:12-v2 "$HERE/context"
bud -f "$HERE/full.Dockerfile" -t localhost/base:12-full "$HERE/context"
bud -f "$HERE/app.Dockerfile" -t localhost/app:latest "$HERE/context"

# Debian 13, minimal, from the same mirror.
SUITE_MIRROR="${DEBIAN_MIRROR:?}"
mmdebstrap --quiet --mode=root --variant=minbase --format=tar trixie "$WORK/trixie.tar" \
  "deb $SUITE_MIRROR trixie main" "deb ${DEBIAN_SECURITY_MIRROR:?} trixie-security main"
c="$("${BH[@]}" from scratch)"
"${BH[@]}" add "$c" "$WORK/trixie.tar" /
"${BH[@]}" config --cmd bash --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$c"
"${BH[@]}" commit -q "$c" localhost/base:13 >/dev/null

rm -rf "$OUT/oci"
for pair in 12:12-v1 12-v2:12-v2 12-full:12-full 13:13; do
  "${BH[@]}" push -q "localhost/base:${pair%%:*}" "oci:$OUT/oci:${pair##*:}"
done
"${BH[@]}" push -q localhost/app:latest "oci:$OUT/oci:app"
# The same application without the base annotations buildah writes (its manifest
# rewritten without them, layers and config untouched): only its layers tell.
L="$OUT/oci"
APP="$(jq -r '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == "app") | .digest' "$L/index.json")"
jq -c 'del(.annotations)' "$L/blobs/sha256/${APP#sha256:}" >"$WORK/plain.json"
PLAIN="$(sha256sum "$WORK/plain.json" | cut -d' ' -f1)"
cp "$WORK/plain.json" "$L/blobs/sha256/$PLAIN"
jq --arg d "sha256:$PLAIN" --argjson s "$(stat -c %s "$WORK/plain.json")" \
  '.manifests += [{mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $d, size: $s,
    annotations: {"org.opencontainers.image.ref.name": "app-plain"}}]' "$L/index.json" >"$WORK/index.json"
cp "$WORK/index.json" "$L/index.json"
{
  echo "APP_BASE_ANNOTATION=$(jq -r '.annotations["org.opencontainers.image.base.name"]' "$L/blobs/sha256/${APP#sha256:}")"
  echo "BASE_PKG=$REBUILD_PKG"
  echo "BASE_SOURCE=$REBUILD_SOURCE"
  echo "BASE_PKG_MAIN_VERSION=$REBUILD_MAIN_VERSION"
  echo "BASE_PKG_SECURITY_VERSION=$REBUILD_SECURITY_VERSION"
  echo "BASE_SOURCE_SECURITY_VERSION=$REBUILD_SECURITY_SOURCE_VERSION"
} >"$OUT/facts.env"
"${BH[@]}" rmi -a -f >/dev/null || true
echo "built $OUT/oci (12-v1, 12-v2, 12-full, 13, app, app-plain)"
