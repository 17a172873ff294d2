#!/usr/bin/env bash
# Brings up a real OpenStack Keystone (Debian 12's `keystone`, 22.0 "Zed") on
# loopback, idempotently: installs the packages if missing (without starting the
# stock service), PostgreSQL database, db_sync, fernet and credential keys,
# `keystone-manage bootstrap` (user admin), keystone's WSGI app under uwsgi on
# 127.0.0.1:$KS_PORT, then seed.py (proj-a, proj-b, service; alice, bob, tally).
# A running instance is kept as it is: several test files share one (seeded
# once; seeding again would reset the passwords and with them every token the
# others hold); concurrent calls wait for each other. Prints KEY=VALUE lines on stdout
# (progress on stderr): URL, passwords, ids, and KEYSTONE_STARTED=1 when this run
# started Keystone (0 when it was already up). Needs root; exits 77 when this machine cannot run
# Keystone at all. env: KS_PORT (35357), KS_DIR, KS_DB, KS_*_PASSWORD (env.sh).
# Stop: down.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/env.sh"
[ "$(id -u)" = 0 ] || { echo "up.sh: needs root (apt-get, PostgreSQL admin, uwsgi as user keystone)" >&2; exit 77; }

# 1. Packages, only those missing (see test/lib/install-packages.sh).
. "$here/../lib/install-packages.sh"
. "$here/../lib/postgres-cluster.sh"
if ! install_packages /tmp/tally-keystone-apt.log keystone uwsgi-core uwsgi-plugin-python3 python3-psycopg2 python3-keystoneclient postgresql curl iproute2; then
    tail -20 /tmp/tally-keystone-apt.log >&2
    if ! apt-cache show keystone >/dev/null 2>&1; then
        echo "up.sh: no package keystone in this machine's apt sources (Debian 12 has it)" >&2; exit 77
    fi
    exit 1
fi
# Never leave the stock service enabled: boot would start it on 0.0.0.0:5000.
if [ -x /etc/init.d/keystone ] && ls /etc/rc*.d/S*keystone >/dev/null 2>&1; then
    /etc/init.d/keystone stop >/dev/null 2>&1 || true
    update-rc.d keystone disable >/dev/null 2>&1 || true
fi
if [ -d /run/systemd/system ]; then systemctl disable --now keystone >/dev/null 2>&1 || true; fi
# one caller at a time for this instance, until it is up and seeded
exec 8> "/tmp/tally-keystone-$KS_PORT.lock"
flock 8
# 2. PostgreSQL: the first cluster Debian created, started if it is down.
postgres_cluster_up ks_log

# Prints the KEY=VALUE lines only once seeding worked, and keeps them in
# $KS_DIR/seeded.env for the callers that find this instance running.
seeded="$KS_DIR/seeded.env"
seed() {
    ks_log "seeding projects and users"
    local ids
    ids=$(KS_URL=$KS_URL KS_ADMIN_PASSWORD=$KS_ADMIN_PASSWORD KS_TALLY_PASSWORD=$KS_TALLY_PASSWORD \
        KS_ALICE_PASSWORD=$KS_ALICE_PASSWORD KS_BOB_PASSWORD=$KS_BOB_PASSWORD \
        /usr/bin/python3 "$here/seed.py")
    {
        echo "KEYSTONE_URL=$KS_URL"
        echo "KEYSTONE_ADMIN_PASSWORD=$KS_ADMIN_PASSWORD"
        echo "KEYSTONE_TALLY_PASSWORD=$KS_TALLY_PASSWORD"
        echo "KEYSTONE_ALICE_PASSWORD=$KS_ALICE_PASSWORD"
        echo "KEYSTONE_BOB_PASSWORD=$KS_BOB_PASSWORD"
        echo "$ids"
    } > "$seeded.new"
    mv "$seeded.new" "$seeded"
    cat "$seeded"
}
# what a running instance was seeded with, if these are still the passwords asked for
seeded_as_asked() {
    [ -f "$seeded" ] && grep -qx "KEYSTONE_ADMIN_PASSWORD=$KS_ADMIN_PASSWORD" "$seeded" \
        && grep -qx "KEYSTONE_TALLY_PASSWORD=$KS_TALLY_PASSWORD" "$seeded" \
        && grep -qx "KEYSTONE_ALICE_PASSWORD=$KS_ALICE_PASSWORD" "$seeded" \
        && grep -qx "KEYSTONE_BOB_PASSWORD=$KS_BOB_PASSWORD" "$seeded"
}

if ks_running; then
    ks_log "already running on $KS_URL (uwsgi pid $(cat "$KS_DIR/uwsgi.pid"))"
    if seeded_as_asked; then cat "$seeded"; else seed; fi
    echo "KEYSTONE_STARTED=0"
    exit 0
fi
rm -f "$seeded"
ks_stop
if ss -Hltn "sport = :$KS_PORT" | grep -q .; then
    echo "up.sh: port $KS_PORT is taken by another process" >&2; exit 1
fi

# 3. Database (kept between runs: db_sync and bootstrap are idempotent) and config.
psql_admin() { PGOPTIONS="-c client_min_messages=warning" runuser -u postgres -- psql -p "$pg_port" -v ON_ERROR_STOP=1 -qtA "$@"; }
psql_admin -c "DO \$\$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname='$KS_DB')
               THEN CREATE ROLE $KS_DB LOGIN PASSWORD '$KS_DB'; END IF; END\$\$;" >/dev/null
if [ -z "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname='$KS_DB'")" ]; then
    psql_admin -c "CREATE DATABASE $KS_DB OWNER $KS_DB" >/dev/null
fi
case "$KS_DIR" in /?*/?*) ;; *) echo "up.sh: KS_DIR=$KS_DIR is too close to /" >&2; exit 1 ;; esac
mkdir -p "$KS_DIR/log"
conf="$KS_DIR/keystone.conf"
cat > "$conf" <<CONF
[DEFAULT]
log_file = $KS_DIR/log/keystone.log
[database]
connection = postgresql+psycopg2://$KS_DB:$KS_DB@127.0.0.1:$pg_port/$KS_DB
[token]
provider = fernet
expiration = 3600
[fernet_tokens]
key_repository = $KS_DIR/fernet-keys
[credential]
key_repository = $KS_DIR/credential-keys
[cache]
# in-process: one uwsgi process, so a revocation invalidates the only cache there is.
# memory_pickle, not memory: Keystone changes some of the dicts its cache hands out
# (an EC2 credential loses its encrypted_blob when decrypted), and the plain memory
# backend hands out the cached dict itself, so the next read of that credential fails
# (KeyError, and heat-api-cfn's pre-signed signals with it)
enabled = true
backend = dogpile.cache.memory_pickle
CONF
chown -R keystone:keystone "$KS_DIR"; chmod 750 "$KS_DIR"
# keystone-manage's output goes to a log (eventlet prints harmless tracebacks at exit)
as_keystone() {
    runuser -u keystone -- "$@" >> "$KS_DIR/log/manage.out" 2>&1 \
        || { tail -20 "$KS_DIR/log/manage.out" >&2; return 1; }
}

ks_log "db_sync on database $KS_DB"
as_keystone keystone-manage --config-file "$conf" db_sync
[ -e "$KS_DIR/fernet-keys/0" ] || as_keystone keystone-manage --config-file "$conf" fernet_setup --keystone-user keystone --keystone-group keystone
[ -e "$KS_DIR/credential-keys/0" ] || as_keystone keystone-manage --config-file "$conf" credential_setup --keystone-user keystone --keystone-group keystone
ks_log "bootstrap (admin user, admin/member/reader roles, identity endpoint $KS_URL)"
as_keystone keystone-manage --config-file "$conf" bootstrap \
    --bootstrap-username admin --bootstrap-password "$KS_ADMIN_PASSWORD" \
    --bootstrap-project-name admin --bootstrap-role-name admin \
    --bootstrap-service-name keystone --bootstrap-region-id RegionOne \
    --bootstrap-admin-url "$KS_URL" --bootstrap-public-url "$KS_URL" --bootstrap-internal-url "$KS_URL"

# 4. uwsgi in its own session (down.sh ends its group), loopback only, small:
# one process and a few threads (a 2-core machine, shared). uwsgi's http-socket
# closes every connection after its response: "Connection: close" tells clients
# so, else they reuse it and get ECONNRESET (what Debian's own ini works around
# by removing Content-Length).
cd "$KS_DIR"
setsid /usr/bin/uwsgi --plugins python3 --http-socket "$KS_HOST:$KS_PORT" \
    --wsgi-file /usr/bin/keystone-wsgi-public --env "OS_KEYSTONE_CONFIG_FILES=$conf" \
    --uid keystone --gid keystone --master --processes 1 --threads 4 --lazy-apps \
    --need-app --die-on-term --no-orphans --buffer-size 65535 \
    --add-header "Connection: close" \
    > "$KS_DIR/log/uwsgi.out" 2>&1 < /dev/null 8>&- &
echo $! > "$KS_DIR/uwsgi.pid"
if await_service "$KS_DIR/uwsgi.pid" "$KS_URL"; then
    ks_log "ready on $KS_URL (uwsgi pid $(cat "$KS_DIR/uwsgi.pid"))"
    seed
    echo "KEYSTONE_STARTED=1"
    exit 0
fi
ks_log "Keystone did not come up; see $KS_DIR/log/"; tail -20 "$KS_DIR/log/uwsgi.out" >&2
ks_stop
exit 1
