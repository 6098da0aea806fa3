# Sourced by the benchmarks that need a registry: starts Debian's docker-registry on
# 127.0.0.1 (a free port, storage under $TMP, which the caller made) and sets PORT and REG;
# the caller's EXIT trap stops it by PID.
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$TMP/config.yml" <<YAML
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $TMP/data
http:
  addr: 127.0.0.1:$PORT
YAML
docker-registry serve "$TMP/config.yml" >/dev/null 2>&1 &
REG=$!
for _ in $(seq 100); do (echo >/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break; sleep 0.1; done
