#!/usr/bin/env bash
# Writes every secret compose.production.yml mounts into deploy/secrets/ (gitignored):
# the Ed25519 signing key, the PostgreSQL / replication / Redis / RabbitMQ passwords, METRICS_TOKEN,
# and the connection URLs and server configs built from them. Needs openssl.
#
#   deploy/generate-secrets.sh [--dir DIR] [--force] [--self-signed HOSTNAME]
#
# An existing file is kept unless --force (a new JWT key signs everyone out; a new database
# password must also be set in PostgreSQL). --self-signed writes a throwaway TLS certificate for a
# first test; use a real one (e.g. Let's Encrypt) in production.
set -euo pipefail

dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/secrets"
force=0
self_signed=""
while (($# > 0)); do
  case $1 in
    --dir) dir=$2 && shift 2 ;;
    --force) force=1 && shift ;;
    --self-signed) self_signed=$2 && shift 2 ;;
    -h | --help) sed -n '2,11p' "${BASH_SOURCE[0]}" && exit 0 ;;
    *) echo "unknown argument: $1" >&2 && exit 64 ;;
  esac
done
command -v openssl >/dev/null || { echo "openssl is required (apt-get install -y openssl)" >&2; exit 69; }

# The folder is the lock (0700: no other user of this host can reach the files). The files are
# 0644 because compose bind-mounts them as they are (its uid/mode options need swarm), and each
# container reads them as its own non-root user (API 1000, postgres 70, redis 999, …).
umask 077
mkdir -p "$dir"
chmod 0700 "$dir"

# write NAME CONTENT: keeps an existing file unless --force.
write() {
  local file="$dir/$1"
  if [[ -e $file && $force == 0 ]]; then
    echo "kept    $file"
    return
  fi
  printf '%s\n' "$2" >"$file"
  chmod 0644 "$file"
  echo "wrote   $file"
}

# read_or_new NAME: the secret already in NAME, or a new random one (hex: safe inside URLs).
read_or_new() {
  if [[ -e $dir/$1 && $force == 0 ]]; then head -n 1 "$dir/$1"; else openssl rand -hex 24; fi
}

if [[ ! -e $dir/jwt_private_key.pem || $force == 1 ]]; then
  openssl genpkey -algorithm ed25519 -out "$dir/jwt_private_key.pem"
  chmod 0644 "$dir/jwt_private_key.pem"
  echo "wrote   $dir/jwt_private_key.pem"
else
  echo "kept    $dir/jwt_private_key.pem"
fi

postgres_password=$(read_or_new postgres_password)
replication_password=$(read_or_new replication_password)
redis_password=$(read_or_new redis_password)
rabbitmq_password=$(read_or_new rabbitmq_password)
metrics_token=$(if [[ -e $dir/metrics_token && $force == 0 ]]; then head -n 1 "$dir/metrics_token"; else openssl rand -hex 32; fi)

write postgres_password "$postgres_password"
write replication_password "$replication_password"
write redis_password "$redis_password"
write rabbitmq_password "$rabbitmq_password"
write metrics_token "$metrics_token"

# The API reaches the primary through PgBouncer; migrations go straight to it; reads to the replica.
write database_url "postgres://crewdesk:$postgres_password@pgbouncer:6432/crewdesk"
write database_direct_url "postgres://crewdesk:$postgres_password@postgres:5432/crewdesk"
write database_read_url "postgres://crewdesk:$postgres_password@postgres-replica:5432/crewdesk"
write redis_url "redis://:$redis_password@redis:6379/0"
write amqp_url "amqp://crewdesk:$rabbitmq_password@rabbitmq:5672"

write pgbouncer.ini "[databases]
crewdesk = host=postgres port=5432 dbname=crewdesk

[pgbouncer]
listen_addr = 0.0.0.0
listen_port = 6432
auth_type = scram-sha-256
auth_file = /run/secrets/pgbouncer_userlist
pool_mode = transaction
max_client_conn = 1000
default_pool_size = 20
max_prepared_statements = 200
ignore_startup_parameters = extra_float_digits
query_timeout = 15
unix_socket_dir =
logfile =
pidfile ="
write pgbouncer_userlist.txt "\"crewdesk\" \"$postgres_password\""
write redis.conf "requirepass $redis_password
dir /data
appendonly yes
save 60 1000"
write rabbitmq.conf "default_user = crewdesk
default_pass = $rabbitmq_password
loopback_users.guest = true"

if [[ -n $self_signed ]]; then
  mkdir -p "$dir/tls"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
    -subj "/CN=$self_signed" -addext "subjectAltName=DNS:$self_signed" \
    -keyout "$dir/tls/privkey.pem" -out "$dir/tls/fullchain.pem" 2>/dev/null
  chmod 0644 "$dir/tls/privkey.pem" "$dir/tls/fullchain.pem"
  echo "wrote   $dir/tls/fullchain.pem (self-signed for $self_signed, 30 days)"
fi
