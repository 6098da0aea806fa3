#!/usr/bin/env bash
# Mutation testing of the crates that decide results: how many deliberately broken versions of
# the code their tests catch. Slow on two cores (every mutant is a rebuild and a test run), so
# not part of CI: run it per crate and write the figures in bench/README.md.
#
# usage: bench/mutants.sh CRATE [FILE]    e.g. bench/mutants.sh drydock-matcher
#        MUTANTS_TIMEOUT=SECS bounds each test run (default 300; a mutant that loops forever
#        costs that much)
#        (FILE limits the run to one source file, e.g. crates/version/src/dpkg.rs)
# needs: cargo-mutants (cargo install cargo-mutants); the real-data corpus beside the repository
# for the tier-2 tests, given by absolute path because cargo-mutants copies the tree.
set -euo pipefail
CRATE="${1:?usage: bench/mutants.sh CRATE [FILE]}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
export DRYDOCK_TESTDATA="${DRYDOCK_TESTDATA:-$(cd "$ROOT/../shared/testdata" && pwd)}"
OUT="${MUTANTS_OUT:-$ROOT/target/mutants-$CRATE}"
cd "$ROOT"
args=(-p "$CRATE" --timeout "${MUTANTS_TIMEOUT:-300}" -j 1 --output "$OUT")
[ -n "${2:-}" ] && args+=(--file "$2")
cargo mutants "${args[@]}" || true   # missed mutants make it exit non-zero: the figures are the point
M="$OUT/mutants.out"
for kind in caught missed timeout unviable; do
  printf '%-9s %s\n' "$kind" "$(wc -l <"$M/$kind.txt")"
done
echo "missed:"
cat "$M/missed.txt"
