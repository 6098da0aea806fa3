#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each over a seed corpus taken from the real-data corpus
# (`../shared/testdata`, copied to a temporary folder, never into the repository). A crash, a
# timeout or a memory blow-up fails the run and leaves its input under fuzz/artifacts/.
#
# usage: fuzz/run.sh SECONDS [TARGET...]      (CI: a short fixed budget; longer by hand)
# FUZZ_SEED fixes libFuzzer's random seed (CI passes 1, so a short run explores a prefix of what
# a longer run with the same seed explores, and a red run can be replayed); unset, it is random.
# needs: cargo-fuzz (cargo install cargo-fuzz); RUSTC_BOOTSTRAP lets the stable toolchain build
# the instrumented targets.
set -euo pipefail
SECS="${1:?usage: fuzz/run.sh SECONDS [TARGET...]}"
shift
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
DATA="${DRYDOCK_TESTDATA:-$ROOT/../shared/testdata}"
[ -f "$DATA/README.md" ] || { echo "no real-data corpus at $DATA" >&2; exit 1; }
export RUSTC_BOOTSTRAP=1
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(layer dpkg_status apk_installed rpm_database osv_record secdb dockerfile_lint image_manifest archive_index java_archive)
cd "$HERE"
cargo fuzz build -s none -O >/dev/null
SEEDS="$(mktemp -d)"
trap 'rm -rf "$SEEDS"' EXIT

seed() { # target files...
  local t="$1"; shift
  mkdir -p "$SEEDS/$t"
  local f
  for f in "$@"; do
    [ -f "$f" ] && [ "$(stat -c %s "$f")" -le 1048576 ] && cp "$f" "$SEEDS/$t/$(echo "$f" | md5sum | cut -c1-16)" || true
  done
}
seed layer $(find "$DATA/images/ggcr-layers" "$DATA/images/claircore-whiteout" "$DATA/images/claircore-tar-edge-cases" -type f 2>/dev/null | head -40) \
     $(find "$ROOT/examples/debian-mini/blobs" -type f)
seed java_archive $(find "$DATA/pkgdb/java" -type f \( -name '*.jar' -o -name '*.par' \) | head -10)
seed dpkg_status $(find "$DATA/pkgdb/dpkg" -path '*dpkg/status' -type f | head -20) $(find "$DATA/pkgdb/dpkg" -path '*status.d/*' -type f | head -10)
seed apk_installed $(find "$DATA/pkgdb/apk" -name installed -type f | head -20)
seed rpm_database $(find "$DATA/pkgdb/rpm" -type f \( -name Packages -o -name Packages.db -o -name rpmdb.sqlite \) | head -10)
seed osv_record $(find "$DATA/vulndb/osv-samples-osv-scanner" "$DATA/vulndb/osv-debian12-dsa" -type f | head -40) \
     $(find "$DATA/vulndb/osv-pypi-pypa" -name '*.yaml' | head -20)
seed secdb $(find "$DATA/vulndb/alpine-secdb" -type f | head -10)
seed dockerfile_lint $(find "$DATA/dockerfile/buildkit-parser" -type f | head -60) $(find "$ROOT/examples" -name Dockerfile)
seed image_manifest $(find "$ROOT/examples/debian-mini" -name '*.json') $(find "$ROOT/examples/debian-mini/blobs" -type f -size -64k)
mkdir -p "$SEEDS/archive_index"
printf 'Origin: Debian\nSuite: stable\nCodename: bookworm\nDate: Sat, 11 Jul 2026 10:16:37 UTC\nComponents: main\n' >"$SEEDS/archive_index/release"
printf 'Package: a\nSource: b (1.0-1)\nVersion: 1.0-1+b1\n\nPackage: c\nVersion: 2\n' >"$SEEDS/archive_index/packages"
printf 'deb [arch=amd64] http://deb.example/debian bookworm main\n' >"$SEEDS/archive_index/sources"

status=0
printf '| target | seconds | executions | result |\n|---|---|---|---|\n'
for t in "${TARGETS[@]}"; do
  mkdir -p "$SEEDS/$t" "$HERE/artifacts/$t"
  log="$SEEDS/$t.log"
  seed_flag=()
  [ -n "${FUZZ_SEED:-}" ] && seed_flag=(-seed="$FUZZ_SEED")
  if cargo fuzz run -s none -O "$t" "$SEEDS/$t" -- -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 \
       "${seed_flag[@]}" -artifact_prefix="$HERE/artifacts/$t/" >"$log" 2>&1; then
    result=clean
  else
    result="FAILED (see fuzz/artifacts/$t/)"; status=1
    # What went wrong and the input itself, so a failure on a machine that is gone can be replayed.
    grep -m1 'Seed:' "$log" >&2 || true
    grep -E -A12 '^==[0-9]+== ERROR|panicked at|^thread .* panicked|deadly signal|out-of-memory|timeout after' "$log" | head -60 >&2 || true
    for a in "$HERE/artifacts/$t/"*; do
      [ -f "$a" ] || continue
      echo "input $(basename "$a") ($(stat -c %s "$a") bytes), base64:" >&2
      head -c 65536 "$a" | base64 -w 0 >&2; echo >&2
    done
  fi
  runs=$(grep -o 'Done [0-9]* runs' "$log" | awk '{print $2}' | tail -1)
  printf '| %s | %s | %s | %s |\n' "$t" "$SECS" "${runs:-?}" "$result"
done
exit $status
