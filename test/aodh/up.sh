#!/usr/bin/env bash
# Brings up the real Aodh 15 API (Debian 12's python3-aodh) on loopback, empty:
#   installs the packages if missing, starts PostgreSQL if needed, recreates the
#   database and runs Aodh's dbsync, then serves Aodh's WSGI app under uwsgi on
#   127.0.0.1:$AODH_PORT with auth_mode noauth (identity from the X-User-Id,
#   X-Project-Id and X-Roles headers). gnocchi_* rules are validated against the
#   Gnocchi at $AODH_GNOCCHI_URL (test/gnocchi/up.sh's, basic auth as admin).
#   Only the API: no evaluator, notifier or listener.
# Prints the URL on stdout (progress on stderr). Re-running resets to empty.
# Needs root; exits 77 when this machine cannot run Aodh at all. env: AODH_PORT
# (28042), AODH_DIR, AODH_DB, AODH_GNOCCHI_URL (see down.sh, which holds the
# shared settings). Stop: down.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/down.sh"    # settings and helpers only, when sourced
[ "$(id -u)" = 0 ] || { echo "up.sh: needs root (apt-get, PostgreSQL admin)" >&2; exit 77; }

# 1. Packages, only those missing (see test/lib/install-packages.sh). No aodh-api
# nor aodh-common: they would bring /etc/aodh, an aodh user and a stock service;
# the library is all the API needs.
. "$here/../lib/install-packages.sh"
. "$here/../lib/postgres-cluster.sh"
if ! install_packages /tmp/tally-aodh-apt.log python3-aodh python3-gnocchiclient python3-psycopg2 \
        uwsgi-core uwsgi-plugin-python3 postgresql curl iproute2; then
    tail -20 /tmp/tally-aodh-apt.log >&2
    if ! apt-cache show python3-aodh >/dev/null 2>&1; then
        echo "up.sh: no package python3-aodh in this machine's apt sources (Debian 12 has it)" >&2; exit 77
    fi
    exit 1
fi
# 2. PostgreSQL: the first cluster Debian created, started if it is down.
postgres_cluster_up ao_log
psql_admin() { PGOPTIONS="-c client_min_messages=warning" runuser -u postgres -- psql -p "$pg_port" -v ON_ERROR_STOP=1 -qtA "$@" >/dev/null; }

# 3. Empty state: stop a previous instance, new database, config, schema.
ao_stop
if ss -Hltn "sport = :$AODH_PORT" | grep -q .; then
    echo "up.sh: port $AODH_PORT is taken by another process" >&2; exit 1
fi
case "$AODH_DIR" in /?*/?*) ;; *) echo "up.sh: AODH_DIR=$AODH_DIR is too close to / to be wiped" >&2; exit 1 ;; esac
rm -rf "$AODH_DIR"; mkdir -p "$AODH_DIR/log"
psql_admin -c "DO \$\$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname='$AODH_DB')
               THEN CREATE ROLE $AODH_DB LOGIN PASSWORD '$AODH_DB'; END IF; END\$\$;"
psql_admin -c "DROP DATABASE IF EXISTS $AODH_DB WITH (FORCE)"
psql_admin -c "CREATE DATABASE $AODH_DB OWNER $AODH_DB"
conf="$AODH_DIR/aodh.conf"
cat > "$conf" <<CONF
[DEFAULT]
debug = false
log_file = $AODH_DIR/log/aodh.log
# the default, said explicitly: the API writes alarm history (creation, rule
# change, state transition, deletion)
record_history = true
[api]
# aodh+noauth in api-paste.ini: no authtoken filter, identity from X-* headers
auth_mode = noauth
paste_config = $AODH_PKG/api/api-paste.ini
# gnocchi_external_project_owner: left at its default, "service"
[database]
connection = postgresql://$AODH_DB:$AODH_DB@127.0.0.1:$pg_port/$AODH_DB
[service_credentials]
# the session Aodh's API validates gnocchi_* rules with: gnocchiclient's plugin,
# basic auth as Gnocchi's admin; its endpoint answers every service type
auth_type = gnocchi-basic
user = admin
endpoint = $AODH_GNOCCHI_URL
[oslo_messaging_notifications]
# the API sends alarm.* notifications on changes: to nowhere
driver = noop
CONF
# Aodh's own app.wsgi builds its config from /etc/aodh; this one from $conf.
cat > "$AODH_DIR/aodh-api.wsgi" <<WSGI
from aodh import service
from aodh.api import app

application = app.load_app(service.prepare_service(argv=[], config_files=["$conf"]))
WSGI
ao_log "resetting database $AODH_DB (dbsync)"
# aodh-dbsync's entry point (the command itself is in aodh-common)
/usr/bin/python3 -c 'import sys; from aodh.cmd.storage import dbsync; sys.exit(dbsync())' \
    --config-file "$conf" > "$AODH_DIR/log/dbsync.out" 2>&1 \
    || { cat "$AODH_DIR/log/dbsync.out" >&2; exit 1; }

if ! curl -sf -o /dev/null --max-time 5 -u admin: "$AODH_GNOCCHI_URL/v1/capabilities"; then
    ao_log "warning: no Gnocchi answers on $AODH_GNOCCHI_URL: creating gnocchi_* alarms will fail (HTTP 500)"
fi

# 4. uwsgi in its own session (down.sh ends its group), loopback only, small:
# one process, a few threads. uwsgi's http-socket closes every connection after
# its response: "Connection: close" tells clients so (else ECONNRESET on reuse).
# A fixed hash seed: the lists Aodh prints from Python sets in its messages ("Value
# should be one of: …", "only fields {…} are allowed") then keep one order from run
# to run (some order; real deployments differ, process by process).
cd "$AODH_DIR"
PYTHONHASHSEED=0 setsid /usr/bin/uwsgi --plugins python3 --http-socket "$AODH_HOST:$AODH_PORT" \
    --wsgi-file "$AODH_DIR/aodh-api.wsgi" \
    --master --processes 1 --threads 4 --lazy-apps \
    --need-app --die-on-term --no-orphans --skip-atexit-teardown --buffer-size 65535 \
    --add-header "Connection: close" \
    > "$AODH_DIR/log/uwsgi.out" 2>&1 < /dev/null &
echo $! > "$AODH_DIR/uwsgi.pid"

url="http://$AODH_HOST:$AODH_PORT"
# a request that reaches the database
if await_service "$AODH_DIR/uwsgi.pid" -H 'X-User-Id: up' -H 'X-Project-Id: up' -H 'X-Roles: admin' "$url/v2/alarms"; then
    ao_log "ready on $url (uwsgi pid $(cat "$AODH_DIR/uwsgi.pid"), Gnocchi $AODH_GNOCCHI_URL)"
    echo "$url"
    exit 0
fi
ao_log "the API did not come up; see $AODH_DIR/log/"; tail -20 "$AODH_DIR/log/uwsgi.out" >&2
ao_stop
exit 1
