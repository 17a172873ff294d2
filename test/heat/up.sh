#!/usr/bin/env bash
# Brings up a real OpenStack Heat 19 ("Zed", Debian 12's heat-api and heat-engine) on
# loopback, registered in the shared real Keystone (test/keystone/up.sh, started here if
# it is not running), idempotently:
#   installs the packages if missing (their stock services are not started), its own
#   PostgreSQL database (heat-manage db_sync, kept between runs), its own RabbitMQ vhost
#   for the engine's RPC, seed.py (service user heat, roles heat_stack_owner and
#   heat_stack_user, domain $HEAT_DOMAIN and heat_domain_admin, the orchestration and
#   cloudformation endpoints), then heat-api and heat-api-cfn under uwsgi on
#   127.0.0.1:$HEAT_PORT and :$HEAT_CFN_PORT, and one heat-engine.
# A running instance is kept as it is. Prints KEY=VALUE lines on stdout (Keystone's,
# then Heat's; progress on stderr), HEAT_STARTED=1 when this run started Heat. Needs
# root; exits 77 when this machine cannot run Heat at all. env: see env.sh; TALLY_URL also
# registers a tally as the metric and alarming services. Stop: down.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/env.sh"
[ "$(id -u)" = 0 ] || { echo "up.sh: needs root (apt-get, PostgreSQL and RabbitMQ admin, services as user heat)" >&2; exit 77; }
HEAT_DEBUG=${HEAT_DEBUG:-false}

# 1. Packages, only those missing (see test/lib/install-packages.sh). heat-api and
# heat-engine bring heat-common (user heat, /etc/heat) and stock services, which the
# install does not start and which are disabled below.
. "$here/../lib/install-packages.sh"
. "$here/../lib/postgres-cluster.sh"
if ! install_packages /tmp/tally-heat-apt.log heat-api heat-engine python3-heatclient python3-openstackclient \
        uwsgi-core uwsgi-plugin-python3 python3-psycopg2 postgresql rabbitmq-server curl iproute2; then
    tail -20 /tmp/tally-heat-apt.log >&2
    if ! apt-cache show heat-engine >/dev/null 2>&1; then
        echo "up.sh: no package heat-engine in this machine's apt sources (Debian 12 has it)" >&2; exit 77
    fi
    exit 1
fi
for svc in heat-api heat-engine; do
    if [ -x "/etc/init.d/$svc" ] && ls /etc/rc*.d/S*"$svc" >/dev/null 2>&1; then
        "/etc/init.d/$svc" stop >/dev/null 2>&1 || true
        update-rc.d "$svc" disable >/dev/null 2>&1 || true
    fi
    if [ -d /run/systemd/system ]; then systemctl disable --now "$svc" >/dev/null 2>&1 || true; fi
done

# 2. Keystone (shared: up.sh keeps a running one as it is) and its settings.
ks_out=$("$here/../keystone/up.sh")
echo "$ks_out"
eval "$(echo "$ks_out" | grep -E '^KEYSTONE_(URL|ADMIN_PASSWORD)=')"
KS_BASE=${KEYSTONE_URL%/v3}

# one caller at a time for this instance, until it is up
exec 8> "/tmp/tally-heat-$HEAT_PORT.lock"
flock 8

heat_running() {
    local p
    for p in api cfn engine; do
        [ -f "$HEAT_DIR/$p.pid" ] && kill -0 "$(cat "$HEAT_DIR/$p.pid")" 2>/dev/null || return 1
    done
    curl -sf -o /dev/null --max-time 5 "http://$HEAT_HOST:$HEAT_PORT/" && [ -f "$HEAT_DIR/seeded.env" ]
}
if heat_running; then
    heat_log "already running on $HEAT_URL"
    if [ -n "${TALLY_URL:-}" ]; then
        heat_log "registering $TALLY_URL as metric and alarming"
        KS_URL=$KEYSTONE_URL KS_ADMIN_PASSWORD=$KEYSTONE_ADMIN_PASSWORD TALLY_URL=$TALLY_URL \
            /usr/bin/python3 "$here/seed.py" --catalog-only
    fi
    cat "$HEAT_DIR/seeded.env"
    echo "HEAT_STARTED=0"
    exit 0
fi
heat_stop
for port in "$HEAT_PORT" "$HEAT_CFN_PORT"; do
    if ss -Hltn "sport = :$port" | grep -q .; then
        echo "up.sh: port $port is taken by another process" >&2; exit 1
    fi
done

# 3. Keystone registration (seed.py resets the service users' passwords: only when starting)
heat_log "registering Heat in Keystone ($KEYSTONE_URL)"
ids=$(KS_URL=$KEYSTONE_URL KS_ADMIN_PASSWORD=$KEYSTONE_ADMIN_PASSWORD HEAT_PASSWORD=$HEAT_PASSWORD TALLY_URL=${TALLY_URL:-} \
      HEAT_DOMAIN=$HEAT_DOMAIN HEAT_DOMAIN_ADMIN_PASSWORD=$HEAT_DOMAIN_ADMIN_PASSWORD \
      HEAT_URL=$HEAT_URL HEAT_CFN_URL=$HEAT_CFN_URL /usr/bin/python3 "$here/seed.py")

# 4. PostgreSQL database (kept: db_sync is idempotent) and RabbitMQ vhost.
postgres_cluster_up heat_log
psql_admin() { PGOPTIONS="-c client_min_messages=warning" runuser -u postgres -- psql -p "$pg_port" -v ON_ERROR_STOP=1 -qtA "$@"; }
psql_admin -c "DO \$\$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname='$HEAT_DB')
               THEN CREATE ROLE $HEAT_DB LOGIN PASSWORD '$HEAT_DB'; END IF; END\$\$;" >/dev/null
if [ -z "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname='$HEAT_DB'")" ]; then
    psql_admin -c "CREATE DATABASE $HEAT_DB OWNER $HEAT_DB" >/dev/null
fi
if ! rabbitmqctl -q list_vhosts 2>/dev/null | grep -qx "$HEAT_VHOST"; then
    rabbitmqctl -q add_vhost "$HEAT_VHOST" >/dev/null
fi
rabbitmqctl -q set_permissions -p "$HEAT_VHOST" guest '.*' '.*' '.*' >/dev/null

case "$HEAT_DIR" in /?*/?*) ;; *) echo "up.sh: HEAT_DIR=$HEAT_DIR is too close to /" >&2; exit 1 ;; esac
mkdir -p "$HEAT_DIR/log" "$HEAT_DIR/lock"
conf="$HEAT_DIR/heat.conf"
cat > "$conf" <<CONF
[DEFAULT]
debug = $HEAT_DEBUG
host = tally-heat-$HEAT_PORT
transport_url = rabbit://guest:guest@$HEAT_AMQP/$HEAT_VHOST
# one engine process: a 2-core machine, shared
num_engine_workers = 1
region_name_for_services = RegionOne
# the users Heat creates for its stacks' signals live in their own domain
stack_user_domain_name = $HEAT_DOMAIN
stack_domain_admin = heat_domain_admin
stack_domain_admin_password = $HEAT_DOMAIN_ADMIN_PASSWORD
# Heat acts for the stack owner through a trust; redelegation lets the services it
# calls with that trust (Aodh, tally) take a trust of their own from the same token,
# for trust+http alarm actions
deferred_auth_method = trusts
reauthentication_auth_method = trusts
allow_trusts_redelegation = true
# pre-signed (EC2) alarm_url signals go to heat-api-cfn
heat_metadata_server_url = http://$HEAT_HOST:$HEAT_CFN_PORT
heat_waitcondition_server_url = $HEAT_CFN_URL/waitcondition
[database]
connection = postgresql+psycopg2://$HEAT_DB:$HEAT_DB@127.0.0.1:$pg_port/$HEAT_DB
[keystone_authtoken]
www_authenticate_uri = $KEYSTONE_URL
auth_url = $KEYSTONE_URL
auth_type = password
username = heat
password = $HEAT_PASSWORD
project_name = service
user_domain_name = Default
project_domain_name = Default
service_token_roles_required = true
[trustee]
auth_type = password
auth_url = $KEYSTONE_URL
username = heat
password = $HEAT_PASSWORD
user_domain_name = Default
[clients_keystone]
auth_uri = $KS_BASE
[clients_heat]
url = $HEAT_URL/%(tenant_id)s
[ec2authtoken]
auth_uri = $KEYSTONE_URL
[paste_deploy]
api_paste_config = /etc/heat/api-paste.ini
[oslo_messaging_notifications]
# Heat's orchestration.* notifications would reach any collector on the broker: none
driver = noop
[oslo_concurrency]
lock_path = $HEAT_DIR/lock
CONF
# Heat's WSGI entry points parse sys.argv: this instance's configuration and log.
# heat-api-cfn with corrections.py's EC2 signature check (a service token).
for app in api cfn; do
    mod=heat_api correction=""
    [ $app = cfn ] && mod=heat_api_cfn correction="corrections.ec2tokens_with_service_token()"
    cat > "$HEAT_DIR/heat-$app.wsgi" <<WSGI
import sys

sys.argv = ["heat-$app", "--config-file", "$conf", "--log-file", "$HEAT_DIR/log/heat-$app.log"]
sys.path.insert(0, "$here")
import corrections
$correction
from heat.httpd.$mod import init_application

application = init_application()
WSGI
done
chown -R heat:heat "$HEAT_DIR"; chmod 750 "$HEAT_DIR"
as_heat() { setpriv --reuid heat --regid heat --init-groups "$@"; }

heat_log "db_sync on database $HEAT_DB"
as_heat /usr/bin/heat-manage --config-file "$conf" db_sync > "$HEAT_DIR/log/db_sync.out" 2>&1 \
    || { tail -20 "$HEAT_DIR/log/db_sync.out" >&2; exit 1; }

# 5. The engine and the two APIs, each in its own session (down.sh ends its group),
# loopback only, small. uwsgi's http-socket closes every connection after its
# response: "Connection: close" tells clients so (else ECONNRESET on reuse).
cd "$HEAT_DIR"
# heat-engine.py: /usr/bin/heat-engine with the correction it needs on Debian 12 (see the file)
setsid setpriv --reuid heat --regid heat --init-groups /usr/bin/python3 "$here/heat-engine.py" --config-file "$conf" \
    --log-file "$HEAT_DIR/log/heat-engine.log" > log/engine.out 2>&1 < /dev/null 8>&- &
echo $! > engine.pid
for app in api cfn; do
    port=$HEAT_PORT; [ $app = cfn ] && port=$HEAT_CFN_PORT
    setsid /usr/bin/uwsgi --plugins python3 --http-socket "$HEAT_HOST:$port" \
        --wsgi-file "$HEAT_DIR/heat-$app.wsgi" --uid heat --gid heat \
        --master --processes 1 --threads 4 --lazy-apps \
        --need-app --die-on-term --no-orphans --skip-atexit-teardown --buffer-size 65535 \
        --add-header "Connection: close" \
        > "log/uwsgi-$app.out" 2>&1 < /dev/null 8>&- &
    echo $! > "$app.pid"
done

fail() {
    heat_log "Heat did not come up ($1); see $HEAT_DIR/log/"
    tail -20 "$HEAT_DIR/log/$2" >&2
    heat_stop
    exit 1
}
await_service api.pid "http://$HEAT_HOST:$HEAT_PORT/" || fail "heat-api" uwsgi-api.out
await_service cfn.pid "http://$HEAT_HOST:$HEAT_CFN_PORT/" || fail "heat-api-cfn" uwsgi-cfn.out
# the engine is ready when it consumes its RPC topic
for _ in $(seq 120); do
    rabbitmqctl -q list_queues -p "$HEAT_VHOST" name consumers 2>/dev/null | grep -qE '^engine[[:space:]]+[1-9]' && break
    kill -0 "$(cat engine.pid)" 2>/dev/null || fail "heat-engine exited" engine.out
    sleep 1
done
rabbitmqctl -q list_queues -p "$HEAT_VHOST" name consumers 2>/dev/null | grep -qE '^engine[[:space:]]+[1-9]' \
    || fail "heat-engine does not consume its queue" heat-engine.log
{
    echo "HEAT_URL=$HEAT_URL"
    echo "HEAT_CFN_URL=$HEAT_CFN_URL"
    echo "HEAT_PASSWORD=$HEAT_PASSWORD"
    echo "HEAT_DOMAIN=$HEAT_DOMAIN"
    echo "$ids"
} > "$HEAT_DIR/seeded.env"
heat_log "ready on $HEAT_URL (engine pid $(cat engine.pid), api $(cat api.pid), cfn $(cat cfn.pid))"
cat "$HEAT_DIR/seeded.env"
echo "HEAT_STARTED=1"
