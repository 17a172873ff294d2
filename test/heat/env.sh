# Settings and helpers shared by up.sh and down.sh (source it, do not run it).
# One instance per API port, with its own directory, database and RabbitMQ vhost.
HEAT_HOST=127.0.0.1                                     # loopback only, always
HEAT_PORT=${HEAT_PORT:-28004}                           # heat-api (the stock service's is 8004)
HEAT_CFN_PORT=${HEAT_CFN_PORT:-28000}                   # heat-api-cfn (stock: 8000), for pre-signed alarm_url signals
HEAT_DIR=${HEAT_DIR:-/tmp/tally-heat-$HEAT_PORT}        # heat.conf, wsgi files, logs, pid files
HEAT_DB=${HEAT_DB:-tally_heat_$HEAT_PORT}               # PostgreSQL database and role
HEAT_VHOST=${HEAT_VHOST:-tally_heat_$HEAT_PORT}         # RabbitMQ vhost of Heat's RPC (the broker on 127.0.0.1:5672, guest)
HEAT_AMQP=${HEAT_AMQP:-127.0.0.1:5672}
# Heat's users in the shared Keystone (test/keystone/up.sh): its service user, and the
# admin of the domain where Heat creates the users of its stacks (signals, EC2 keys)
HEAT_PASSWORD=${HEAT_PASSWORD:-heat-secret}
HEAT_DOMAIN=${HEAT_DOMAIN:-heat}
HEAT_DOMAIN_ADMIN_PASSWORD=${HEAT_DOMAIN_ADMIN_PASSWORD:-heat-domain-secret}
HEAT_URL="http://$HEAT_HOST:$HEAT_PORT/v1"
HEAT_CFN_URL="http://$HEAT_HOST:$HEAT_CFN_PORT/v1"

. "$(dirname "${BASH_SOURCE[0]}")/../lib/service-process.sh"
heat_log() { echo "[heat $(date +%H:%M:%S)] $*" >&2; }

# Stops what up.sh started for this HEAT_DIR, each by its recorded pid: setsid made
# each the leader of its own process group (uwsgi and its workers, the engine).
heat_stop() {
    local p
    for p in api cfn engine; do stop_process_group "$HEAT_DIR/$p.pid" || true; done
    wait_port_free "$HEAT_PORT"
    wait_port_free "$HEAT_CFN_PORT"
}
