#!/usr/bin/env bash
# Stops the Aodh API that up.sh started for AODH_PORT / AODH_DIR (same defaults).
# PostgreSQL and Gnocchi keep running; --purge also drops the database, its role
# and the state dir.
#
# Also the settings and helpers shared with up.sh, which sources this file:
# sourced, it only defines them and stops nothing.
AODH_HOST=127.0.0.1                                   # loopback only, always
AODH_PORT=${AODH_PORT:-28042}
AODH_DIR=${AODH_DIR:-/tmp/tally-aodh-$AODH_PORT}      # config, wsgi file, logs, pid file
AODH_DB=${AODH_DB:-tally_aodh_$AODH_PORT}             # PostgreSQL database and role
# the Gnocchi that Aodh validates gnocchi_* rules against (basic auth, user admin)
AODH_GNOCCHI_URL=${AODH_GNOCCHI_URL:-http://127.0.0.1:8041}
AODH_PKG=/usr/lib/python3/dist-packages/aodh          # Debian's python3-aodh

. "$(dirname "${BASH_SOURCE[0]}")/../lib/service-process.sh"
ao_log() { echo "[aodh $(date +%H:%M:%S)] $*" >&2; }

# Stops the uwsgi of this AODH_DIR by its recorded pid: setsid made it the leader
# of its own process group, so the group is its workers and nothing else.
ao_stop() {
    stop_process_group "$AODH_DIR/uwsgi.pid" || true
    wait_port_free "$AODH_PORT"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -euo pipefail
    ao_stop
    if [ "${1:-}" = --purge ]; then
        runuser -u postgres -- psql -qtA -c "DROP DATABASE IF EXISTS $AODH_DB WITH (FORCE)" >/dev/null
        runuser -u postgres -- psql -qtA -c "DROP ROLE IF EXISTS $AODH_DB" >/dev/null
        case "$AODH_DIR" in /?*/?*) rm -rf "$AODH_DIR" ;; esac
    fi
    ao_log "stopped (port $AODH_PORT)"
fi
