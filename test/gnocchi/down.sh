#!/usr/bin/env bash
# Stops the Gnocchi that up.sh started for GN_PORT / GN_DIR (same defaults).
# PostgreSQL keeps running; --purge also drops the database and the state dir.
set -euo pipefail
. "$(dirname "$0")/env.sh"
gn_stop
if [ "${1:-}" = --purge ]; then
    runuser -u postgres -- psql -qtA -c "DROP DATABASE IF EXISTS $GN_DB WITH (FORCE)" >/dev/null
    rm -rf "$GN_DIR"
fi
gn_log "stopped (port $GN_PORT)"
