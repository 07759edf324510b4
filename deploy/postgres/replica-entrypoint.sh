#!/bin/sh
# The read replica: on first start, copy the primary with pg_basebackup (-R writes
# standby.signal and primary_conninfo), then run the image's own entrypoint as a hot standby.
set -eu
run_as_postgres() {
  if command -v su-exec >/dev/null; then su-exec postgres "$@"; else gosu postgres "$@"; fi
}
mkdir -p "$PGDATA"
chown postgres:postgres "$PGDATA"
chmod 0700 "$PGDATA"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  export PGPASSWORD
  PGPASSWORD=$(cat "$REPLICATION_PASSWORD_FILE")
  until pg_isready -h "$PRIMARY_HOST" -U replicator -d postgres >/dev/null 2>&1; do sleep 1; done
  run_as_postgres pg_basebackup -h "$PRIMARY_HOST" -U replicator -D "$PGDATA" -R -X stream --checkpoint=fast
  unset PGPASSWORD
fi
exec docker-entrypoint.sh postgres -c hot_standby=on
