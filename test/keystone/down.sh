#!/usr/bin/env bash
# Stops the Keystone that up.sh started for KS_PORT / KS_DIR (same defaults).
# PostgreSQL keeps running; --purge also drops the database and the state dir.
set -euo pipefail
. "$(dirname "$0")/env.sh"
ks_stop
if [ "${1:-}" = --purge ]; then
    runuser -u postgres -- psql -qtA -c "DROP DATABASE IF EXISTS $KS_DB WITH (FORCE)" >/dev/null
    runuser -u postgres -- psql -qtA -c "DROP ROLE IF EXISTS $KS_DB" >/dev/null
    rm -rf "$KS_DIR"
fi
ks_log "stopped (port $KS_PORT)"
