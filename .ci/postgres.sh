#!/usr/bin/env bash
# Starts a throw-away PostgreSQL cluster on 127.0.0.1 as the unprivileged `postgres` user, in
# a temporary directory, and prints `URL DIR`. It accepts plain and TLS connections; DIR/server.crt
# is its certificate (for 127.0.0.1), signed by the CA in DIR/ca.crt, which a client verifies it with. Stop it with
# `pg_ctl -D DIR/data stop`.
set -euo pipefail
BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
DIR="$(mktemp -d /tmp/drydock-pg.XXXXXX)"
chown postgres "$DIR"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
PASSWORD="$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
as_pg() { runuser -u postgres -- "$@"; }
as_pg "$BIN/initdb" -D "$DIR/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 -E UTF8 >/dev/null
# A CA and a server certificate it signs (rustls refuses a CA certificate as the server's).
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=drydock-test-ca \
  -keyout "$DIR/ca.key" -out "$DIR/ca.crt" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout "$DIR/server.key" -out "$DIR/server.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' > "$DIR/server.ext"
openssl x509 -req -in "$DIR/server.csr" -CA "$DIR/ca.crt" -CAkey "$DIR/ca.key" -CAcreateserial -days 2 \
  -extfile "$DIR/server.ext" -out "$DIR/server.crt" 2>/dev/null
chown postgres "$DIR/server.key" "$DIR/server.crt"
chmod 600 "$DIR/server.key"
as_pg "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/log" -w \
  -o "-c listen_addresses=127.0.0.1 -c port=$PORT -c unix_socket_directories=$DIR -c fsync=off -c ssl=on -c ssl_cert_file=$DIR/server.crt -c ssl_key_file=$DIR/server.key" start >/dev/null
as_pg "$BIN/psql" -h "$DIR" -p "$PORT" -U postgres -q -c "CREATE ROLE drydock LOGIN CREATEDB PASSWORD '$PASSWORD'" -c "CREATE DATABASE drydock OWNER drydock"
echo "postgres://drydock:$PASSWORD@127.0.0.1:$PORT/drydock $DIR"
