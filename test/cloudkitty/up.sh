#!/usr/bin/env bash
# Brings up a real CloudKitty 17 (Debian 12 packages) on loopback, empty:
#   installs the packages if missing (their stock services are not started),
#   starts PostgreSQL if needed, a new database for CloudKitty's state, its
#   hashmap rules and its rated dataframes (storage v1, sqlalchemy), then
#   cloudkitty.conf (collector, metrics.yml, scopes from the environment),
#   cloudkitty-dbsync and cloudkitty-storage-init, the hashmap rating module
#   enabled, and cloudkitty-api (noauth) under uwsgi on 127.0.0.1:$CK_PORT.
# Nothing rates by itself: rate.py rates given periods with CloudKitty's own
# worker (or run `cloudkitty-processor --config-file $CK_DIR/cloudkitty.conf`).
# Prints the API's URL on stdout (progress on stderr). Re-running resets to
# empty. Needs root. Stop: down.sh (--purge drops the database too).
#
# env (defaults in brackets):
#   CK_PORT [28889], CK_DIR, CK_DB       instance, as env.sh says
#   CK_COLLECTOR [gnocchi]               gnocchi | prometheus
#   CK_GNOCCHI_URL [http://127.0.0.1:8041]
#   CK_GNOCCHI_AUTH [basic]              basic (user CK_GNOCCHI_USER [admin]) |
#                                        noauth (gnocchiclient's gnocchi-noauth plugin:
#                                        user CK_GNOCCHI_USER, project CK_GNOCCHI_PROJECT
#                                        [admin], roles admin)
#   CK_PROMETHEUS_URL [CK_GNOCCHI_URL/api/v1]  the Prometheus HTTP API, /api/v1 included
#   CK_PROMETHEUS_USER, CK_PROMETHEUS_PASSWORD   basic auth, both or neither
#   CK_METRICS [/etc/cloudkitty/metrics.yml]     copied into CK_DIR
#   CK_PERIOD [3600]                     the rating period, seconds
#   CK_FETCHER [gnocchi]                 how the processor finds its scopes: gnocchi (the
#                                        project ids of the resources at CK_GNOCCHI_URL,
#                                        with the collector's credentials) or source
#   CK_SCOPES                            comma-separated project ids (fetcher source)
#   CK_POLICY [off]                      off: noauth, every caller may do anything (CloudKitty
#                                        checks no policy without Keystone); enforce: the
#                                        identity comes from the X-Roles / X-Project-Id headers,
#                                        unchecked (no Keystone), and CloudKitty's policies
#                                        apply (what a Keystone deployment does with a token)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/env.sh"
[ "$(id -u)" = 0 ] || { echo "up.sh: needs root (apt-get, PostgreSQL admin, uwsgi as user cloudkitty)" >&2; exit 1; }
CK_COLLECTOR=${CK_COLLECTOR:-gnocchi}
CK_GNOCCHI_URL=${CK_GNOCCHI_URL:-http://127.0.0.1:8041}
CK_GNOCCHI_AUTH=${CK_GNOCCHI_AUTH:-basic}
CK_GNOCCHI_USER=${CK_GNOCCHI_USER:-admin}
CK_GNOCCHI_PROJECT=${CK_GNOCCHI_PROJECT:-admin}
CK_PROMETHEUS_URL=${CK_PROMETHEUS_URL:-$CK_GNOCCHI_URL/api/v1}
CK_METRICS=${CK_METRICS:-/etc/cloudkitty/metrics.yml}
CK_PERIOD=${CK_PERIOD:-3600}
CK_FETCHER=${CK_FETCHER:-gnocchi}
CK_POLICY=${CK_POLICY:-off}
CK_STORAGE=${CK_STORAGE:-sqlalchemy}
CK_INFLUX_PORT=${CK_INFLUX_PORT:-$((CK_PORT + 100))}
case "$CK_STORAGE" in sqlalchemy|influxdb) ;; *) echo "up.sh: CK_STORAGE must be sqlalchemy or influxdb" >&2; exit 1 ;; esac
case "$CK_POLICY" in off|enforce) ;; *) echo "up.sh: CK_POLICY must be off or enforce" >&2; exit 1 ;; esac
case "$CK_COLLECTOR" in gnocchi|prometheus) ;; *) echo "up.sh: CK_COLLECTOR must be gnocchi or prometheus" >&2; exit 1 ;; esac
case "$CK_GNOCCHI_AUTH" in basic|noauth) ;; *) echo "up.sh: CK_GNOCCHI_AUTH must be basic or noauth" >&2; exit 1 ;; esac
for url in "$CK_GNOCCHI_URL" "$CK_PROMETHEUS_URL"; do
    case "$url" in http://127.0.0.1:*|http://localhost:*) ;; *) echo "up.sh: $url is not on loopback" >&2; exit 1 ;; esac
done

# 1. Packages, only those missing (see test/lib/install-packages.sh).
. "$here/../lib/install-packages.sh"
. "$here/../lib/postgres-cluster.sh"
install_packages /tmp/tally-cloudkitty-apt.log cloudkitty-processor cloudkitty-api python3-cloudkittyclient \
        uwsgi-core uwsgi-plugin-python3 python3-psycopg2 postgresql curl iproute2 \
        $([ "$CK_STORAGE" = influxdb ] && echo influxdb python3-influxdb) \
    || { tail -20 /tmp/tally-cloudkitty-apt.log >&2; exit 1; }
# Never leave the stock services enabled: boot would start them (the API on 0.0.0.0:8889, InfluxDB on 0.0.0.0:8086).
for svc in cloudkitty-api cloudkitty-processor influxdb; do
    if [ -x "/etc/init.d/$svc" ] && ls /etc/rc*.d/S*"$svc" >/dev/null 2>&1; then
        "/etc/init.d/$svc" stop >/dev/null 2>&1 || true
        update-rc.d "$svc" disable >/dev/null 2>&1 || true
    fi
    if [ -d /run/systemd/system ]; then systemctl disable --now "$svc" >/dev/null 2>&1 || true; fi
done
[ -r "$CK_METRICS" ] || { echo "up.sh: no metrics file $CK_METRICS" >&2; exit 1; }
# 2. PostgreSQL: the first cluster Debian created, started if it is down.
postgres_cluster_up ck_log
psql_admin() { PGOPTIONS="-c client_min_messages=warning" runuser -u postgres -- psql -p "$pg_port" -v ON_ERROR_STOP=1 -qtA "$@" >/dev/null; }

# 3. Empty state: stop a previous instance, new database, new directory, config.
ck_stop
if ss -Hltn "sport = :$CK_PORT" | grep -q .; then
    echo "up.sh: port $CK_PORT is taken by another process" >&2; exit 1
fi
case "$CK_DIR" in /?*/?*) ;; *) echo "up.sh: CK_DIR=$CK_DIR is too close to / to be wiped" >&2; exit 1 ;; esac
rm -rf "$CK_DIR"; mkdir -p "$CK_DIR/locks" "$CK_DIR/log"
psql_admin -c "DO \$\$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname='$CK_DB')
               THEN CREATE ROLE $CK_DB LOGIN PASSWORD '$CK_DB'; END IF; END\$\$;"
psql_admin -c "DROP DATABASE IF EXISTS $CK_DB WITH (FORCE)"
psql_admin -c "CREATE DATABASE $CK_DB OWNER $CK_DB"
cp "$CK_METRICS" "$CK_DIR/metrics.yml"

storage="version = 1
backend = sqlalchemy"
if [ "$CK_STORAGE" = influxdb ]; then
    # storage v2 (what /v2/summary and /v2/dataframes read): a throw-away InfluxDB 1.6 on loopback
    mkdir -p "$CK_DIR/influx"
    cat > "$CK_DIR/influxdb.conf" <<INFLUX
reporting-disabled = true
bind-address = "127.0.0.1:$((CK_INFLUX_PORT + 1))"
[meta]
  dir = "$CK_DIR/influx/meta"
[data]
  dir = "$CK_DIR/influx/data"
  wal-dir = "$CK_DIR/influx/wal"
  query-log-enabled = false
[http]
  bind-address = "127.0.0.1:$CK_INFLUX_PORT"
  log-enabled = false
INFLUX
    setsid /usr/bin/influxd -config "$CK_DIR/influxdb.conf" > "$CK_DIR/log/influxd.out" 2>&1 < /dev/null &
    echo $! > "$CK_DIR/influxd.pid"
    await_service "$CK_DIR/influxd.pid" "http://127.0.0.1:$CK_INFLUX_PORT/ping" \
        || { tail -20 "$CK_DIR/log/influxd.out" >&2; exit 1; }
    curl -sf -XPOST "http://127.0.0.1:$CK_INFLUX_PORT/query" --data-urlencode 'q=CREATE DATABASE cloudkitty' >/dev/null
    storage="version = 2
backend = influxdb
[storage_influxdb]
host = 127.0.0.1
port = $CK_INFLUX_PORT
database = cloudkitty"
fi

if [ "$CK_GNOCCHI_AUTH" = basic ]; then
    gnocchi_auth="gnocchi_auth_type = basic
gnocchi_user = $CK_GNOCCHI_USER
gnocchi_endpoint = $CK_GNOCCHI_URL"
else
    # "keystone" is CloudKitty's name for any keystoneauth plugin loaded from this section
    gnocchi_auth="gnocchi_auth_type = keystone
auth_type = gnocchi-noauth
user_id = $CK_GNOCCHI_USER
project_id = $CK_GNOCCHI_PROJECT
roles = admin
endpoint = $CK_GNOCCHI_URL"
fi
prometheus_auth=
if [ -n "${CK_PROMETHEUS_USER:-}" ]; then
    prometheus_auth="prometheus_user = $CK_PROMETHEUS_USER
prometheus_password = ${CK_PROMETHEUS_PASSWORD:?CK_PROMETHEUS_USER needs CK_PROMETHEUS_PASSWORD}"
fi
auth_strategy=noauth paste=/etc/cloudkitty/api_paste.ini
if [ "$CK_POLICY" = enforce ]; then
    # CloudKitty checks its policies only with auth_strategy keystone; its pipeline of that
    # name, without keystonemiddleware, takes the identity from the headers the client sends
    auth_strategy=keystone paste=$CK_DIR/api_paste.ini
    sed '/^\[pipeline:cloudkitty+keystone\]/,/^$/ s/ authtoken / /' /etc/cloudkitty/api_paste.ini > "$paste"
fi
cat > "$CK_DIR/cloudkitty.conf" <<CONF
[DEFAULT]
auth_strategy = $auth_strategy
api_paste_config = $paste
# no message bus: the API's casts to the processor (module reloads) go nowhere
transport_url = fake://
log_dir = $CK_DIR/log
[database]
connection = postgresql+psycopg2://$CK_DB:$CK_DB@127.0.0.1:$pg_port/$CK_DB
[storage]
# v1 keeps dataframes in the database; v2's backends are InfluxDB (CK_STORAGE=influxdb) and Elasticsearch
$storage
[collect]
collector = $CK_COLLECTOR
period = $CK_PERIOD
wait_periods = 0
metrics_conf = $CK_DIR/metrics.yml
scope_key = project_id
[collector_gnocchi]
$gnocchi_auth
region_name = RegionOne
[fetcher_gnocchi]
$gnocchi_auth
region_name = RegionOne
[collector_prometheus]
prometheus_url = $CK_PROMETHEUS_URL
$prometheus_auth
[fetcher]
backend = $CK_FETCHER
[fetcher_source]
sources = ${CK_SCOPES:-}
[orchestrator]
coordination_url = file://$CK_DIR/locks
max_workers = 1
max_workers_reprocessing = 0
max_threads = 4
[oslo_concurrency]
lock_path = $CK_DIR/locks
CONF
chown -R cloudkitty:cloudkitty "$CK_DIR"; chmod 750 "$CK_DIR"
conf="$CK_DIR/cloudkitty.conf"
as_cloudkitty() {
    runuser -u cloudkitty -- "$@" >> "$CK_DIR/log/manage.out" 2>&1 \
        || { tail -20 "$CK_DIR/log/manage.out" >&2; return 1; }
}
ck_log "dbsync and storage init on database $CK_DB"
as_cloudkitty /usr/bin/cloudkitty-dbsync --config-file "$conf" upgrade
as_cloudkitty /usr/bin/cloudkitty-storage-init --config-file "$conf"
# the rating modules' enabled flags live in the database: hashmap on, the others off
as_cloudkitty /usr/bin/python3 -c "
import sys
from oslo_config import cfg
from cloudkitty import config  # noqa: registers the options
from cloudkitty.db import api
cfg.CONF(['--config-file', sys.argv[1]], project='cloudkitty')
info = api.get_instance().get_module_info()
info.set_state('hashmap', True)
info.set_state('noop', False)
info.set_state('pyscripts', False)
" "$conf"

# 4. The API: uwsgi in its own session (down.sh ends its group), loopback only,
# one process with a few threads. uwsgi's http-socket closes every connection
# after its response: "Connection: close" tells clients so.
cd "$CK_DIR"
setsid /usr/bin/uwsgi --plugins python3 --http-socket "$CK_HOST:$CK_PORT" \
    --wsgi-file /usr/bin/cloudkitty-api --pyargv "--config-file $conf" \
    --uid cloudkitty --gid cloudkitty --master --processes 1 --threads 4 --lazy-apps \
    --need-app --die-on-term --no-orphans --buffer-size 65535 \
    --add-header "Connection: close" \
    > "$CK_DIR/log/uwsgi.out" 2>&1 < /dev/null &
echo $! > "$CK_DIR/api.pid"
# an admin's headers: with CK_POLICY=enforce, listing the modules is admin-only
if await_service "$CK_DIR/api.pid" -H "X-Roles: admin" "$CK_URL/v1/rating/modules"; then
    ck_log "ready on $CK_URL (uwsgi pid $(cat "$CK_DIR/api.pid")), config $conf"
    echo "$CK_URL"
    exit 0
fi
ck_log "the API did not come up; see $CK_DIR/log/"; tail -20 "$CK_DIR/log/uwsgi.out" >&2
ck_stop
exit 1
