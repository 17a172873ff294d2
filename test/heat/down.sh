#!/usr/bin/env bash
# Stops the Heat that up.sh started for HEAT_PORT / HEAT_DIR (same defaults): the
# engine and both APIs. Keystone, PostgreSQL and RabbitMQ keep running; --purge
# also drops the database, its role, the RabbitMQ vhost and $HEAT_DIR (Heat's users,
# domain and endpoints stay in Keystone: up.sh updates them).
set -euo pipefail
. "$(dirname "$0")/env.sh"
heat_stop
if [ "${1:-}" = --purge ]; then
    runuser -u postgres -- psql -qtA -c "DROP DATABASE IF EXISTS $HEAT_DB WITH (FORCE)" >/dev/null
    runuser -u postgres -- psql -qtA -c "DROP ROLE IF EXISTS $HEAT_DB" >/dev/null
    rabbitmqctl -q delete_vhost "$HEAT_VHOST" >/dev/null 2>&1 || true
    case "$HEAT_DIR" in /?*/?*) rm -rf "$HEAT_DIR" ;; esac
fi
heat_log "stopped (port $HEAT_PORT)"
