#!/usr/bin/env bash
# Builds the attribution and audit examples with buildah (no daemon) on top of
# the Debian image `deb-extras` that the shared image builder makes, into OCI
# layouts (OUTDIR/oci, OUTDIR/audit-oci with tags final and single):
#   build.sh IMAGES_DIR OUTDIR
# Needs root, buildah, skopeo, python3 and the Debian mirror the host's apt
# uses (for the image's own apt-get and for picking REBUILD_PKG).
#
# REBUILD_PKG is a package whose build in SUITE-security is newer than the one
# in SUITE and that installs without new dependencies: the image installs it
# with the security suite switched off, so the archive holds a fix a rebuild
# gets. It is picked from the archive's indexes today, and written with both
# versions to OUTDIR/facts.env for the tests.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
IMAGES="${1:?usage: build.sh IMAGES_DIR OUTDIR}"
OUT="${2:?usage: build.sh IMAGES_DIR OUTDIR}"
SUITE="${SUITE:-bookworm}"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

host_repo() { apt-get indextargets --format '$(RELEASE) $(REPO_URI)' 2>/dev/null \
                | awk -v r="$1" '$1 == r { sub("/$", "", $2); print $2; exit }'; }
MIRROR="${DEBIAN_MIRROR:-$(host_repo "$SUITE")}"
SEC_MIRROR="${DEBIAN_SECURITY_MIRROR:-$(host_repo "$SUITE-security")}"
[ -n "$MIRROR" ] && [ -n "$SEC_MIRROR" ] || { echo "no apt source for $SUITE and $SUITE-security" >&2; exit 1; }

curl -fsS "$MIRROR/dists/$SUITE/main/binary-amd64/Packages.xz" -o "$WORK/main.xz"
curl -fsS "$SEC_MIRROR/dists/$SUITE-security/main/binary-amd64/Packages.xz" -o "$WORK/security.xz"
python3 - "$WORK/main.xz" "$WORK/security.xz" "$IMAGES/truth/deb-extras/dpkg.tsv" >"$OUT/facts.env" <<'PY'
import lzma, subprocess, sys
def index(path):
    out = {}
    for stanza in lzma.open(path, "rt").read().split("\n\n"):
        fields = {}
        for line in stanza.splitlines():
            if line[:1] not in (" ", "\t") and ":" in line:
                k, v = line.split(":", 1)
                fields[k] = v.strip()
        if "Package" in fields:
            out[fields["Package"]] = fields
    return out
main, security = index(sys.argv[1]), index(sys.argv[2])
installed = {l.split("\t")[0] for l in open(sys.argv[3]) if l.strip()}
def newer(a, b):
    return subprocess.run(["dpkg", "--compare-versions", a, "gt", b]).returncode == 0
preferred = ["patch", "xzdec", "lrzsz", "libpcre2-posix3", "libevent-core-2.1-7", "libjbig2dec0"]
def candidates():
    yield from preferred
    yield from sorted(security, key=lambda n: int(security[n].get("Installed-Size", "0") or 0))
for name in candidates():
    s, m = security.get(name), main.get(name)
    if not s or not m or name in installed or s.get("Architecture") not in ("amd64", "all"):
        continue
    deps = [d.split()[0] for d in s.get("Depends", "").replace("|", ",").split(",") if d.strip()]
    if any(d not in installed for d in deps) or not newer(s["Version"], m["Version"]):
        continue
    source = s.get("Source", name)
    src_name = source.split()[0]
    src_version = source.split("(")[1].rstrip(")").strip() if "(" in source else s["Version"]
    print(f"REBUILD_PKG={name}")
    print(f"REBUILD_SOURCE={src_name}")
    print(f"REBUILD_MAIN_VERSION={m['Version']}")
    print(f"REBUILD_SECURITY_VERSION={s['Version']}")
    print(f"REBUILD_SECURITY_SOURCE_VERSION={src_version}")
    break
else:
    sys.exit("no package qualifies as REBUILD_PKG today")
PY
. "$OUT/facts.env"
echo "REBUILD_PKG=$REBUILD_PKG ($REBUILD_MAIN_VERSION in $SUITE, $REBUILD_SECURITY_VERSION in $SUITE-security)"
echo "DEBIAN_MIRROR=$MIRROR" >>"$OUT/facts.env"
echo "DEBIAN_SECURITY_MIRROR=$SEC_MIRROR" >>"$OUT/facts.env"

BH=(buildah --storage-driver vfs --root "$WORK/root" --runroot "$WORK/run")
skopeo copy -q "oci:$IMAGES/oci/deb-extras" \
  "containers-storage:[vfs@$WORK/root+$WORK/run]localhost/test/deb-extras:latest"
CA=()
[ -f /etc/ssl/certs/ca-certificates.crt ] && CA=(--volume /etc/ssl/certs/ca-certificates.crt:/tmp/host-ca.crt:ro --build-arg PIP_CERT=/tmp/host-ca.crt)
"${BH[@]}" bud --isolation chroot --layers --pull=false "${CA[@]}" \
  --build-arg "REBUILD_PKG=$REBUILD_PKG" \
  -f "$HERE/Dockerfile" -t localhost/test/attribution:latest "$HERE/context"
rm -rf "$OUT/oci"
"${BH[@]}" push -q localhost/test/attribution:latest "oci:$OUT/oci:latest"
echo "built $OUT/oci"

# The audit example: the multi-stage image and its single-stage `single` target.
AUDIT="$(cd "$HERE/../audit" && pwd)"
"${BH[@]}" bud --isolation chroot --layers --pull=false "${CA[@]}" \
  -f "$AUDIT/Dockerfile" -t localhost/test/audit:latest "$AUDIT/context"
"${BH[@]}" bud --isolation chroot --layers --pull=false "${CA[@]}" --target single \
  -f "$AUDIT/Dockerfile" -t localhost/test/audit-single:latest "$AUDIT/context"
rm -rf "$OUT/audit-oci"
"${BH[@]}" push -q localhost/test/audit:latest "oci:$OUT/audit-oci:final"
"${BH[@]}" push -q localhost/test/audit-single:latest "oci:$OUT/audit-oci:single"
"${BH[@]}" rmi -a -f >/dev/null || true
echo "built $OUT/audit-oci (final, single)"
