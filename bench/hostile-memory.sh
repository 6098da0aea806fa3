#!/usr/bin/env bash
# Peak memory and time of `drydock sbom` on images built to make a reader hold as much as it
# can (bench/hostile.py), against a second drydock binary when one is given.
# usage: bench/hostile-memory.sh DRYDOCK [OTHER_DRYDOCK]
set -euo pipefail
cd "$(dirname "$0")/.."
NEW=$1
OLD=${2:-}
# The SBOM format written (CycloneDX holds the most per package).
FORMAT=${FORMAT:-cyclonedx}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
python3 bench/hostile.py "$WORK"
run() {
  local bin=$1 case=$2 out
  out=$( { /usr/bin/time -f "%M %e" "$bin" sbom --no-cache -q -f "$FORMAT" -o /dev/null "oci:$WORK/$case" 2>&1 >/dev/null; echo "exit=$?"; } | tail -2 | tr '\n' ' ')
  # "<peak KB> <seconds> exit=N"
  awk '{printf "%.0f MB, %s s, %s", $1/1024, $2, $3}' <<<"$out"
}
printf '| image | compressed | drydock |%s\n' "${OLD:+ other |}"
printf '|---|---|---|%s\n' "${OLD:+---|}"
for case in million-entries symlinks long-links metadata big-status npm-packages npm-65k max-packages fat-jar zstd-window audit-data lock-file descriptor-jar file-list apt-sources status-revisions depends combined; do
  size=$(du -sh "$WORK/$case" | cut -f1)
  printf '| %s | %s | %s |' "$case" "$size" "$(run "$NEW" "$case")"
  if [ -n "$OLD" ]; then printf ' %s |' "$(run "$OLD" "$case")"; fi
  echo
done
