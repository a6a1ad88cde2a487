#!/usr/bin/env bash
# Throwaway PostgreSQL server for Baton's test suite.
#
#   scripts/postgres-test-server.sh start    # start (installing PostgreSQL if needed), print URL
#   scripts/postgres-test-server.sh stop     # stop the server (data directory is kept)
#   scripts/postgres-test-server.sh url      # print the SQLAlchemy URL
#   scripts/postgres-test-server.sh status   # exit 0 if the server is running
#
# Typical use:
#   export BATON_TEST_POSTGRES_URL="$(scripts/postgres-test-server.sh start)"
#
# Only the URL goes to stdout; progress and errors go to stderr.
# The server listens on 127.0.0.1 only, trusts every loopback connection and
# runs with fsync off: it is for tests, never for data you care about.
#
# Environment:
#   BATON_PG_DIR    working directory (data, socket, log)  [/tmp/baton-pg]
#   BATON_PG_PORT   TCP port                               [54329]
#   BATON_PG_BIN    directory holding initdb/pg_ctl        [newest /usr/lib/postgresql/*/bin]
set -euo pipefail

PG_DIR="${BATON_PG_DIR:-/tmp/baton-pg}"
PG_PORT="${BATON_PG_PORT:-54329}"
PG_HOST=127.0.0.1
PG_USER=postgres
PG_DB=baton_test
DATA_DIR="$PG_DIR/data"
LOG_FILE="$PG_DIR/postgres.log"
START_TIMEOUT=60

log() { printf 'postgres-test-server: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

url() { printf 'postgresql+psycopg://%s@%s:%s/%s\n' "$PG_USER" "$PG_HOST" "$PG_PORT" "$PG_DB"; }

# initdb and postgres refuse to run as root, so as root everything that
# touches the cluster runs as the `postgres` system user.
as_pg() {
    if [ "$(id -u)" -eq 0 ]; then
        (cd / && runuser -u postgres -- "$@")
    else
        "$@"
    fi
}

find_bin_dir() {
    if [ -n "${BATON_PG_BIN:-}" ]; then
        [ -x "$BATON_PG_BIN/initdb" ] || die "no initdb in BATON_PG_BIN=$BATON_PG_BIN"
        printf '%s\n' "$BATON_PG_BIN"
        return 0
    fi
    local found=() newest
    shopt -s nullglob
    found=(/usr/lib/postgresql/*/bin/initdb)
    shopt -u nullglob
    if [ "${#found[@]}" -gt 0 ]; then
        newest="$(printf '%s\n' "${found[@]}" | sort -V | tail -n 1)"
        dirname "$newest"
        return 0
    fi
    if command -v initdb >/dev/null 2>&1; then
        dirname "$(command -v initdb)"
        return 0
    fi
    return 1
}

install_postgres() {
    command -v apt-get >/dev/null 2>&1 \
        || die "PostgreSQL is not installed and apt-get is unavailable; install it or set BATON_PG_BIN"
    [ "$(id -u)" -eq 0 ] \
        || die "PostgreSQL is not installed; run as root to install it, or: sudo apt-get install postgresql"
    log "installing PostgreSQL from apt"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends postgresql >&2
}

is_running() {
    [ -n "${BIN:-}" ] || return 1
    [ -f "$DATA_DIR/PG_VERSION" ] || return 1
    as_pg "$BIN/pg_ctl" -D "$DATA_DIR" status >/dev/null 2>&1
}

# Ask for the binaries; if `install` is given, install PostgreSQL when missing.
resolve_bin() {
    BIN="$(find_bin_dir || true)"
    if [ -z "$BIN" ] && [ "${1:-}" = install ]; then
        install_postgres
        BIN="$(find_bin_dir || true)"
        [ -n "$BIN" ] || die "PostgreSQL was installed but initdb was not found"
    fi
}

prepare_dir() {
    mkdir -p "$PG_DIR"
    if [ "$(id -u)" -eq 0 ]; then
        id postgres >/dev/null 2>&1 || die "system user 'postgres' does not exist"
        chown postgres: "$PG_DIR"
        chmod 0700 "$PG_DIR"
        as_pg test -w "$PG_DIR" \
            || die "user 'postgres' cannot reach $PG_DIR; choose another BATON_PG_DIR"
    fi
}

init_cluster() {
    local major
    major="$("$BIN/pg_ctl" --version | sed -E 's/^[^0-9]*([0-9]+).*/\1/')"
    if [ -f "$DATA_DIR/PG_VERSION" ] && [ "$(cat "$DATA_DIR/PG_VERSION")" != "$major" ]; then
        log "discarding cluster from PostgreSQL $(cat "$DATA_DIR/PG_VERSION") (binaries are $major)"
        rm -rf "$DATA_DIR"
    fi
    if [ -f "$DATA_DIR/PG_VERSION" ]; then
        return 0
    fi
    rm -rf "$DATA_DIR"
    log "initialising cluster in $DATA_DIR (PostgreSQL $major)"
    as_pg "$BIN/initdb" --pgdata="$DATA_DIR" --username="$PG_USER" \
        --auth=trust --encoding=UTF8 --no-locale --no-sync >/dev/null

    # Loopback only, no passwords.
    as_pg tee "$DATA_DIR/pg_hba.conf" >/dev/null <<'EOF'
# TYPE  DATABASE  USER  ADDRESS       METHOD
local   all       all                 trust
host    all       all   127.0.0.1/32  trust
host    all       all   ::1/128       trust
EOF
    printf "\ninclude_if_exists = 'baton-test.conf'\n" | as_pg tee -a "$DATA_DIR/postgresql.conf" >/dev/null
}

write_settings() {
    # Rewritten on every start so BATON_PG_PORT / BATON_PG_DIR changes apply.
    as_pg tee "$DATA_DIR/baton-test.conf" >/dev/null <<EOF
listen_addresses = '$PG_HOST'
port = $PG_PORT
unix_socket_directories = '$PG_DIR'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
}

wait_ready() {
    local i
    for ((i = 0; i < START_TIMEOUT * 2; i++)); do
        if "$BIN/pg_isready" -q -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres; then
            return 0
        fi
        sleep 0.5
    done
    return 1
}

show_log() {
    if [ -f "$LOG_FILE" ]; then
        log "last lines of $LOG_FILE:"
        tail -n 30 "$LOG_FILE" >&2 || true
    fi
}

create_database() {
    local psql=("$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres)
    if [ "$("${psql[@]}" -tAc "SELECT 1 FROM pg_database WHERE datname = '$PG_DB'")" != 1 ]; then
        log "creating database $PG_DB"
        "${psql[@]}" -c "CREATE DATABASE $PG_DB" >/dev/null
    fi
}

cmd_start() {
    resolve_bin install
    if is_running; then
        log "already running on $PG_HOST:$PG_PORT"
        create_database
        url
        return 0
    fi
    if "$BIN/pg_isready" -q -h "$PG_HOST" -p "$PG_PORT"; then
        die "another server already listens on $PG_HOST:$PG_PORT; set BATON_PG_PORT"
    fi

    prepare_dir
    init_cluster
    write_settings
    log "starting on $PG_HOST:$PG_PORT (log: $LOG_FILE)"
    if ! as_pg "$BIN/pg_ctl" -D "$DATA_DIR" -l "$LOG_FILE" -w -t "$START_TIMEOUT" start >/dev/null; then
        show_log
        die "server failed to start"
    fi
    if ! wait_ready; then
        show_log
        die "server did not accept connections within ${START_TIMEOUT}s"
    fi
    create_database
    url
}

cmd_stop() {
    resolve_bin
    if ! is_running; then
        log "not running"
        return 0
    fi
    log "stopping"
    as_pg "$BIN/pg_ctl" -D "$DATA_DIR" -m fast -w -t "$START_TIMEOUT" stop >/dev/null
}

cmd_status() {
    resolve_bin
    if is_running; then
        log "running on $PG_HOST:$PG_PORT"
        return 0
    fi
    log "not running"
    return 1
}

case "${1:-}" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    url) url ;;
    status) cmd_status ;;
    *)
        echo "usage: $0 start|stop|url|status" >&2
        exit 2
        ;;
esac
