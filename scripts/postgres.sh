#!/usr/bin/env bash
# Sourced after toolchain.sh. Throwaway PostgreSQL servers for tests and the
# rehearsal: never a system service, always 127.0.0.1 on a port the caller
# picks, data in a directory the caller owns.
#
#   pm_ensure_postgres        find (or apt-install) the server binaries; exports PM_PG_BIN
#   pm_pg_start DIR PORT      initdb DIR/data if needed, start, wait until it accepts connections
#                             (DIR must be reachable by the `postgres` user when run as root)
#   pm_pg_stop DIR            fast shutdown; a no-op when nothing runs there
#
# The superuser is `postgres` with password $PM_PG_PASSWORD (scram-sha-256 over
# TCP), so tests exercise real password authentication:
#   postgresql://postgres:$PM_PG_PASSWORD@127.0.0.1:PORT/postgres

PM_PG_PASSWORD="${PM_PG_PASSWORD:-pm-test-secret}"

pm_pg_find_bin() {
  local dir
  if command -v pg_ctl >/dev/null 2>&1 && command -v initdb >/dev/null 2>&1; then
    dirname "$(readlink -f "$(command -v pg_ctl)")"
    return 0
  fi
  # Debian keeps the server binaries off PATH, one directory per major version.
  dir="$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
  if [ -n "$dir" ] && [ -x "$dir/pg_ctl" ] && [ -x "$dir/initdb" ]; then
    echo "$dir"
    return 0
  fi
  return 1
}

pm_ensure_postgres() {
  if [ -n "${PM_PG_BIN:-}" ] && [ -x "$PM_PG_BIN/pg_ctl" ]; then return 0; fi
  if ! PM_PG_BIN="$(pm_pg_find_bin)"; then
    if [ "$(id -u)" != 0 ]; then
      pm_log "PostgreSQL server binaries (initdb, pg_ctl) not found; install the 'postgresql' package"
      return 1
    fi
    pm_log "installing PostgreSQL server binaries (apt-get install postgresql)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
    PM_PG_BIN="$(pm_pg_find_bin)" || { pm_log "postgresql installed but pg_ctl not found"; return 1; }
  fi
  export PM_PG_BIN
}

# initdb refuses to run as root: as root, every server command runs as `postgres`.
pm_pg_as_owner() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

pm_pg_start() {
  local dir="${1:?usage: pm_pg_start DIR PORT}" port="${2:?usage: pm_pg_start DIR PORT}"
  pm_ensure_postgres || return 1
  mkdir -p "$dir"
  dir="$(cd "$dir" && pwd)"
  if [ "$(id -u)" = 0 ]; then
    if ! id postgres >/dev/null 2>&1; then
      pm_log "no 'postgres' user to run the server as (initdb refuses root)"
      return 1
    fi
    chown postgres "$dir"
    if ! runuser -u postgres -- test -w "$dir"; then
      pm_log "user postgres cannot write $dir: put it under a directory everyone may traverse (e.g. /tmp)"
      return 1
    fi
  fi
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    # shellcheck disable=SC2016 # expanded by the inner sh, from its arguments
    pm_pg_as_owner sh -c 'umask 077 && printf "%s\n" "$1" > "$2"' sh "$PM_PG_PASSWORD" "$dir/pwfile"
    pm_pg_as_owner "$PM_PG_BIN/initdb" --pgdata="$dir/data" --username=postgres \
      --pwfile="$dir/pwfile" --auth-local=trust --auth-host=scram-sha-256 \
      --encoding=UTF8 --locale=C --no-sync >"$dir/initdb.log" 2>&1 \
      || { pm_log "initdb failed; see $dir/initdb.log"; tail -n 20 "$dir/initdb.log" >&2; return 1; }
    rm -f "$dir/pwfile"
  fi
  pm_pg_as_owner mkdir -p "$dir/sock"
  if pm_pg_as_owner "$PM_PG_BIN/pg_ctl" --pgdata="$dir/data" status >/dev/null 2>&1; then
    return 0  # already running (on the port it was started with)
  fi
  # Durability off: the data dies with the test run anyway. The socket lives in
  # DIR so no system directory (/var/run/postgresql) is needed.
  pm_pg_as_owner "$PM_PG_BIN/pg_ctl" --pgdata="$dir/data" --log="$dir/server.log" --wait \
    --timeout=60 -o "-c listen_addresses=127.0.0.1 -p $port -k $dir/sock -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >/dev/null \
    || { pm_log "postgres did not start on 127.0.0.1:$port; see $dir/server.log"; tail -n 20 "$dir/server.log" >&2; return 1; }
}

pm_pg_stop() {
  local dir="${1:?usage: pm_pg_stop DIR}"
  [ -f "$dir/data/postmaster.pid" ] || return 0
  pm_ensure_postgres || return 1
  pm_pg_as_owner "$PM_PG_BIN/pg_ctl" --pgdata="$dir/data" --mode=fast --wait stop >/dev/null
}
