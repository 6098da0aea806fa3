#!/usr/bin/env bash
# `drydock lint` against Hadolint on the same Dockerfiles, as ratios in one run.
#
# usage: bench/lint-vs-hadolint.sh TESTDATA_DIR PEERS_DIR [RUNS]
#   TESTDATA_DIR  the shared corpus (its dockerfile/ folder supplies the Dockerfiles)
#   PEERS_DIR     output of shared/tools/install-peers.sh (peers.env with $HADOLINT)
# The corpus: every snippet of hadolint-cases.json, the BuildKit parser fixtures and the
# BuildKit check examples, one file each. Three workloads: the whole corpus in one call, one
# call per file (how a pre-commit hook runs), and one large Dockerfile.
set -euo pipefail
DATA="$(cd "$1" && pwd)"
. "$2/peers.env"
RUNS="${3:-10}"
HERE="$(cd "$(dirname "$0")/.." && pwd)"
cargo build --release -q --manifest-path "$HERE/Cargo.toml"
D="$HERE/target/release/drydock"
TMP="$(mktemp -d)"
trap '[ -n "${KEEP:-}" ] || rm -rf "$TMP"' EXIT

python3 - "$DATA" "$TMP/corpus" <<'PY'
import json, os, sys, glob
data, out = sys.argv[1], sys.argv[2]
os.makedirs(out)
seen, n = set(), 0
def put(text):
    global n
    if text in seen: return
    seen.add(text); n += 1
    open(os.path.join(out, f"{n:04d}.Dockerfile"), "w").write(text)
cases = json.load(open(os.path.join(data, "dockerfile/hadolint-cases.json")))["cases"]
for items in cases.values():
    for c in items: put(c["dockerfile"] + "\n")
for p in sorted(glob.glob(os.path.join(data, "dockerfile/buildkit-parser/testfiles/*/Dockerfile"))):
    put(open(p).read())
checks = json.load(open(os.path.join(data, "dockerfile/buildkit-lint-rules.json")))
for rule in checks.values():
    for ex in rule.get("examples", []): put(ex["dockerfile"])
PY
# Keep the files both tools can parse, so both do the same work.
: > "$TMP/list"
for f in "$TMP"/corpus/*; do
  if "$HADOLINT" --no-fail "$f" >/dev/null 2>&1 && "$D" dockerfile dump "$f" >/dev/null 2>&1; then
    echo "$f" >> "$TMP/list"
  fi
done
mapfile -t FILES < "$TMP/list"
# One large file: the corpus files one after another, each kept only if both tools still parse
# the whole (a fixture may end inside a continuation or a heredoc).
python3 - "$D" "$HADOLINT" "$TMP/large.Dockerfile" "${FILES[@]}" <<'PY'
import subprocess, sys
drydock, hadolint, out, files = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
text = ""
for f in files:
    candidate = text + open(f).read().rstrip("\n") + "\n\n"
    open(out, "w").write(candidate)
    ok = subprocess.run([drydock, "dockerfile", "dump", out], capture_output=True).returncode == 0
    ok = ok and b"DL1000" not in subprocess.run([hadolint, "--no-fail", "-f", "json", out], capture_output=True).stdout
    if ok:
        text = candidate
open(out, "w").write(text)
PY
median() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['results'][0]['median'])" "$1"; }
echo "corpus: ${#FILES[@]} Dockerfiles both tools parse; large file: $(wc -l < "$TMP/large.Dockerfile") lines"
printf "%-14s %12s %12s %9s\n" workload drydock_s hadolint_s speedup
run_pair() {
  local name=$1 dcmd=$2 hcmd=$3
  hyperfine -N --warmup 2 --runs "$RUNS" --export-json "$TMP/d.json" "$dcmd" >/dev/null 2>&1
  hyperfine -N --warmup 2 --runs "$RUNS" --export-json "$TMP/h.json" "$hcmd" >/dev/null 2>&1
  local md mh
  md=$(median "$TMP/d.json"); mh=$(median "$TMP/h.json")
  printf "%-14s %12.4f %12.4f %8.1fx\n" "$name" "$md" "$mh" "$(python3 -c "print($mh/$md)")"
}
run_pair batch "$D lint -t none -f json ${FILES[*]}" "$HADOLINT --no-fail -f json ${FILES[*]}"
printf '%s\n' "${FILES[@]}" > "$TMP/files"
cat > "$TMP/each.sh" <<SH
#!/bin/sh
while read -r f; do "\$1" \$2 "\$f" >/dev/null; done < "$TMP/files"
SH
run_pair per-file "sh $TMP/each.sh $D lint\ -t\ none" "sh $TMP/each.sh $HADOLINT --no-fail"
run_pair large-file "$D lint -t none -f json $TMP/large.Dockerfile" "$HADOLINT --no-fail -f json $TMP/large.Dockerfile"
