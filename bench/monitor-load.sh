#!/usr/bin/env bash
# The fleet server under load: 1,000 snapshots pushed over the API (4 clients at once), then an
# advisory database update of 10,000 records processed (records added, changed and withdrawn,
# only the packages they name re-matched). Reports push time, update time, the server's peak
# RSS and the store's size, for SQLite and, given DRYDOCK_POSTGRES_URL, PostgreSQL.
#
# usage: bench/monitor-load.sh [SOURCE] [SNAPSHOTS] [RECORDS]
# SOURCE defaults to the shipped example; a real image (oci:DIR) gives bigger inventories.
set -euo pipefail
HERE="$(cd "$(dirname "$0")/.." && pwd)"
SOURCE="${1:-$HERE/examples/debian-mini}"
SNAPSHOTS="${2:-1000}"
RECORDS="${3:-10000}"
cargo build --release -q --manifest-path "$HERE/Cargo.toml"
D="$HERE/target/release/drydock"
TMP="$(mktemp -d)"
SERVER=""
trap '[ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; rm -rf "$TMP"' EXIT

"$D" sbom "$SOURCE" -q -f json -o "$TMP/base.json"
# Snapshots: the inventory at SNAPSHOTS digests, each without one package (so they differ).
# Advisories: RECORDS Debian 12 records, one in twenty naming a package the images hold; the
# update changes every fixed version, withdraws a tenth and adds a tenth.
python3 - "$TMP" "$SNAPSHOTS" "$RECORDS" <<'PY'
import json, os, sys, hashlib
tmp, n, records = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
base = json.load(open(f"{tmp}/base.json"))
os.makedirs(f"{tmp}/snapshots")
pkgs = base["packages"]
for i in range(n):
    doc = dict(base)
    doc["packages"] = [p for j, p in enumerate(pkgs) if j != i % len(pkgs)]
    doc["image"] = dict(base["image"], name=f"bench/app-{i}", repo_tags=[], manifest_digest="sha256:" + hashlib.sha256(str(i).encode()).hexdigest())
    json.dump(doc, open(f"{tmp}/snapshots/{i:05}.json", "w"))
sources = sorted({p.get("source_name") or p["name"] for p in pkgs if p["ecosystem"] == "deb"})
def record(i, fixed_suffix):
    name = sources[i % len(sources)] if i % 20 == 0 else f"bench-package-{i}"
    return {"id": f"DSA-{i:05}-1", "modified": f"2026-11-0{1 + len(fixed_suffix)}T00:00:00Z",
            "affected": [{"package": {"ecosystem": "Debian:12", "name": name},
                          "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "999:1" + fixed_suffix}]}],
                          "database_specific": {"severity": "high"}}]}
for gen, ids, suffix in (("adv1", range(records), ""), ("adv2", range(records // 10, records + records // 10), "-2")):
    os.makedirs(f"{tmp}/{gen}/advisories")
    for i in ids:
        json.dump(record(i, suffix), open(f"{tmp}/{gen}/advisories/DSA-{i:05}-1.json", "w"))
PY

run() {  # run LABEL DATABASE-URL SIZE-COMMAND
  local label="$1" url="$2" size="$3" C="$TMP/cache-$1" port
  mkdir -p "$C/db"
  "$D" db import "$TMP/adv1/advisories" --cache-dir "$C" >/dev/null
  TOKEN="$("$D" serve token add bench --scope push,read,admin --database "$url" --cache-dir "$C" 2>/dev/null)"
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
  "$D" serve --listen "127.0.0.1:$port" --database "$url" --cache-dir "$C" --poll-seconds 3600 2>"$TMP/serve-$label.log" &
  SERVER=$!
  until curl -sf -o /dev/null -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$port/v1/health"; do sleep 0.2; done
  local s e
  s=$(date +%s.%N)
  ls "$TMP"/snapshots/*.json | xargs -P 4 -I{} curl -sf -o /dev/null -H "Authorization: Bearer $TOKEN" \
    -H 'Content-Type: application/json' --data-binary @{} "http://127.0.0.1:$port/v1/snapshots"
  e=$(date +%s.%N)
  printf '%-10s push %d snapshots: %.1f s\n' "$label" "$SNAPSHOTS" "$(echo "$e - $s" | bc)"
  # The update replaces the database; the server is told at once instead of waiting for its poll.
  "$D" db import "$TMP/adv2/advisories" --cache-dir "$C" >/dev/null
  s=$(date +%s.%N)
  curl -sf -X POST -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$port/v1/advisories/check" > "$TMP/outcome.json"
  e=$(date +%s.%N)
  printf '%-10s update of %d records: %.1f s (%s)\n' "$label" "$RECORDS" "$(echo "$e - $s" | bc)" \
    "$(python3 -c 'import json,sys; o=json.load(open(sys.argv[1])); print("%(added)d added, %(changed)d changed, %(withdrawn)d withdrawn, %(images_rechecked)d images re-checked, %(notifications)d notifications" % o)' "$TMP/outcome.json")"
  printf '%-10s server peak RSS: %s\n' "$label" "$(grep VmHWM /proc/$SERVER/status | awk '{print $2 " " $3}')"
  printf '%-10s store size: %s\n' "$label" "$(eval "$size")"
  kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=""
}

run sqlite "sqlite://$TMP/server.sqlite" "du -sh $TMP/server.sqlite* | awk '{print \$1}' | paste -sd+"
if [ -n "${DRYDOCK_POSTGRES_URL:-}" ]; then
  DB="bench_$$"
  psql "$DRYDOCK_POSTGRES_URL" -qc "CREATE DATABASE $DB"
  URL="${DRYDOCK_POSTGRES_URL%/*}/$DB"
  run postgres "$URL" "psql '$URL' -tAc 'SELECT pg_size_pretty(pg_database_size(current_database()))'"
  psql "$DRYDOCK_POSTGRES_URL" -qc "DROP DATABASE $DB"
fi
