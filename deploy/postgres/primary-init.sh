#!/bin/sh
# Runs once, when the primary's data directory is first initialised (docker-entrypoint-initdb.d):
# the role the streaming replica connects as, and the pg_hba line that lets it.
set -eu
password=$(cat "$REPLICATION_PASSWORD_FILE")
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  --set=password="$password" <<'SQL'
CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD :'password';
SQL
echo "host replication replicator all scram-sha-256" >>"$PGDATA/pg_hba.conf"
