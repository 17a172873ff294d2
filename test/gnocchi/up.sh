#!/usr/bin/env bash
# Brings up the real Gnocchi 4.4 (Debian 12 packages) on loopback, empty:
#   installs the packages if missing, starts PostgreSQL if needed, recreates
#   the indexer database and the file storage, starts gnocchi-metricd (1 s
#   processing delay) and the uwsgi API with basic auth (admin = admin).
# Prints the URL on stdout (progress on stderr). Re-running resets to empty.
# Needs root. env: GN_PORT (8041), GN_DIR, GN_DB (see env.sh). Stop: down.sh.
# GN_AUTH_MODE=keystone: Keystone tokens instead (keystonemiddleware, as a deployment
# runs Gnocchi), validated as the service user GN_KEYSTONE_USER / GN_KEYSTONE_PASSWORD
# of project GN_KEYSTONE_PROJECT (service) at GN_KEYSTONE_URL (a v3 endpoint).
set -euo pipefail
. "$(dirname "$0")/env.sh"
GN_AUTH_MODE=${GN_AUTH_MODE:-basic}
case "$GN_AUTH_MODE" in
    basic) ;;
    keystone)
        : "${GN_KEYSTONE_URL:?GN_AUTH_MODE=keystone needs GN_KEYSTONE_URL}" "${GN_KEYSTONE_USER:?needs GN_KEYSTONE_USER}" \
          "${GN_KEYSTONE_PASSWORD:?needs GN_KEYSTONE_PASSWORD}"
        GN_KEYSTONE_PROJECT=${GN_KEYSTONE_PROJECT:-service} ;;
    *) echo "up.sh: GN_AUTH_MODE must be basic or keystone" >&2; exit 1 ;;
esac
[ "$(id -u)" = 0 ] || { echo "up.sh: needs root (apt-get, PostgreSQL admin)" >&2; exit 1; }

# 1. Packages, only those missing (see test/lib/install-packages.sh).
. "$(dirname "$0")/../lib/install-packages.sh"
. "$(dirname "$0")/../lib/postgres-cluster.sh"
install_packages /tmp/tally-gnocchi-apt.log gnocchi-api gnocchi-metricd postgresql curl iproute2 \
    || { tail -20 /tmp/tally-gnocchi-apt.log >&2; exit 1; }
# 2. PostgreSQL: the first cluster Debian created, started if it is down.
postgres_cluster_up gn_log
psql_admin() { PGOPTIONS="-c client_min_messages=warning" runuser -u postgres -- psql -p "$pg_port" -v ON_ERROR_STOP=1 -qtA "$@" >/dev/null; }

# 3. Empty state: stop a previous instance, new database, new storage, schema.
gn_stop
if ss -Hltn "sport = :$GN_PORT" | grep -q .; then
    echo "up.sh: port $GN_PORT is taken by another process" >&2; exit 1
fi
case "$GN_DIR" in /?*/?*) ;; *) echo "up.sh: GN_DIR=$GN_DIR is too close to / to be wiped" >&2; exit 1 ;; esac
rm -rf "$GN_DIR"; mkdir -p "$GN_DIR/storage" "$GN_DIR/locks" "$GN_DIR/log"
psql_admin -c "DO \$\$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname='$GN_DB')
               THEN CREATE ROLE $GN_DB LOGIN PASSWORD '$GN_DB'; END IF; END\$\$;"
psql_admin -c "DROP DATABASE IF EXISTS $GN_DB WITH (FORCE)"
psql_admin -c "CREATE DATABASE $GN_DB OWNER $GN_DB"
cat > "$GN_DIR/gnocchi.conf" <<CONF
[DEFAULT]
debug = false
# file locks: the default (locks through the PostgreSQL indexer) costs metricd
# ~45% of a core per worker at a 1 s delay
coordination_url = file://$GN_DIR/locks
[api]
auth_mode = $GN_AUTH_MODE
host = $GN_HOST
port = $GN_PORT
paste_config = $GN_PKG/rest/api-paste.ini
[oslo_policy]
policy_file = $GN_PKG/rest/policy.yaml
[indexer]
url = postgresql+psycopg2://$GN_DB:$GN_DB@127.0.0.1:$pg_port/$GN_DB
[storage]
driver = file
file_basepath = $GN_DIR/storage
[incoming]
driver = file
file_basepath = $GN_DIR/storage
[metricd]
# upstream default 60 s; 1 s makes "processed" a matter of seconds
metric_processing_delay = 1
CONF
if [ "$GN_AUTH_MODE" = keystone ]; then
    # Gnocchi's paste filter has keystonemiddleware read its settings from project
    # gnocchi's default files (/etc/gnocchi/gnocchi.conf): this copy names ours
    sed "s#^oslo_config_project = gnocchi\$#&\noslo_config_file = $GN_DIR/gnocchi.conf#" \
        "$GN_PKG/rest/api-paste.ini" > "$GN_DIR/api-paste.ini"
    sed -i "s#^paste_config = .*#paste_config = $GN_DIR/api-paste.ini#" "$GN_DIR/gnocchi.conf"
    cat >> "$GN_DIR/gnocchi.conf" <<CONF
[keystone_authtoken]
www_authenticate_uri = $GN_KEYSTONE_URL
auth_url = $GN_KEYSTONE_URL
auth_type = password
username = $GN_KEYSTONE_USER
password = $GN_KEYSTONE_PASSWORD
project_name = $GN_KEYSTONE_PROJECT
user_domain_name = Default
project_domain_name = Default
CONF
fi
gn_log "resetting database $GN_DB and storage $GN_DIR"
/usr/bin/gnocchi-upgrade --config-file "$GN_DIR/gnocchi.conf" > "$GN_DIR/log/upgrade.out" 2>&1 \
    || { cat "$GN_DIR/log/upgrade.out" >&2; exit 1; }

# 4. Start both daemons, each in its own session so down.sh can end its group.
# (absolute paths: uwsgi chdirs to /)
cd "$GN_DIR"
conf="$GN_DIR/gnocchi.conf" logs="$GN_DIR/log"
setsid /usr/bin/gnocchi-metricd --config-file "$conf" --log-file "$logs/metricd.log" \
    > log/metricd.out 2>&1 < /dev/null &
echo $! > metricd.pid
# gnocchi-api execs uwsgi --http; Debian's uwsgi knows --http only with its
# http plugin loaded (else "option '--http' is ambiguous").
UWSGI_PLUGIN=http setsid /usr/bin/gnocchi-api --config-file "$conf" --log-file "$logs/api.log" \
    > log/api.out 2>&1 < /dev/null &
echo $! > api.pid

url="http://$GN_HOST:$GN_PORT"
for _ in $(seq 240); do
    # basic: a request that reaches the indexer; keystone: the versions (no token needed)
    probe="$url/v1/archive_policy"; [ "$GN_AUTH_MODE" = keystone ] && probe="$url/"
    if curl -sf -o /dev/null -u admin: "$probe"; then
        gn_log "ready on $url (metricd pid $(cat metricd.pid), api pid $(cat api.pid))"
        echo "$url"
        exit 0
    fi
    kill -0 "$(cat api.pid)" 2>/dev/null || break
    ! grep -q 'no app loaded' log/api.out || break    # uwsgi stays up without the app
    sleep 0.5
done
gn_log "the API did not come up; see $GN_DIR/log/"; tail -20 log/api.out >&2
gn_stop
exit 1
