#!/usr/bin/env bash
# Stops the CloudKitty API that up.sh started for CK_PORT / CK_DIR (same
# defaults). PostgreSQL keeps running; --purge (or CK_PURGE=1) also drops the
# database, its role and the state dir.
set -euo pipefail
. "$(dirname "$0")/env.sh"
ck_stop
if [ "${1:-}" = --purge ] || [ "${CK_PURGE:-0}" = 1 ]; then
    runuser -u postgres -- psql -qtA -c "DROP DATABASE IF EXISTS $CK_DB WITH (FORCE)" >/dev/null
    runuser -u postgres -- psql -qtA -c "DROP ROLE IF EXISTS $CK_DB" >/dev/null
    case "$CK_DIR" in /?*/?*) rm -rf "$CK_DIR" ;; esac
fi
ck_log "stopped (port $CK_PORT)"
