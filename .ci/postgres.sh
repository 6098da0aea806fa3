#!/usr/bin/env bash
# Starts a throw-away PostgreSQL cluster on 127.0.0.1 as the unprivileged `postgres` user, in
# a temporary directory, and prints `URL PID-FILE-DIR`. Stop it with `pg_ctl -D DIR stop`.
set -euo pipefail
BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
DIR="$(mktemp -d /tmp/drydock-pg.XXXXXX)"
chown postgres "$DIR"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
PASSWORD="$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
as_pg() { runuser -u postgres -- "$@"; }
as_pg "$BIN/initdb" -D "$DIR/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 -E UTF8 >/dev/null
as_pg "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/log" -w \
  -o "-c listen_addresses=127.0.0.1 -c port=$PORT -c unix_socket_directories=$DIR -c fsync=off" start >/dev/null
as_pg "$BIN/psql" -h "$DIR" -p "$PORT" -U postgres -q -c "CREATE ROLE drydock LOGIN CREATEDB PASSWORD '$PASSWORD'" -c "CREATE DATABASE drydock OWNER drydock"
echo "postgres://drydock:$PASSWORD@127.0.0.1:$PORT/drydock $DIR"
