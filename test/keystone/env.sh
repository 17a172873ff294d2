# Settings and helpers shared by up.sh and down.sh (source it, do not run it).
# One instance per port, with its own database and directory.
KS_HOST=127.0.0.1                                   # loopback only, always
KS_PORT=${KS_PORT:-35357}
KS_DIR=${KS_DIR:-/tmp/tally-keystone-$KS_PORT}      # config, fernet keys, logs, pid file
KS_DB=${KS_DB:-tally_keystone_$KS_PORT}             # PostgreSQL database and role
KS_URL="http://$KS_HOST:$KS_PORT/v3"
# Passwords of this throw-away, loopback-only instance; tests read them from up.sh's output.
KS_ADMIN_PASSWORD=${KS_ADMIN_PASSWORD:-admin-secret}
KS_TALLY_PASSWORD=${KS_TALLY_PASSWORD:-tally-secret}
KS_ALICE_PASSWORD=${KS_ALICE_PASSWORD:-alice-secret}
KS_BOB_PASSWORD=${KS_BOB_PASSWORD:-bob-secret}

. "$(dirname "${BASH_SOURCE[0]}")/../lib/service-process.sh"
ks_log() { echo "[keystone $(date +%H:%M:%S)] $*" >&2; }

# Stops the uwsgi that up.sh started for this KS_DIR, by its recorded pid: setsid
# made it the leader of its own process group, so the group is its workers and
# nothing else.
ks_stop() {
    stop_process_group "$KS_DIR/uwsgi.pid" || return 0
    wait_port_free "$KS_PORT"
}

# True when our uwsgi is alive and Keystone answers on KS_URL.
ks_running() {
    [ -f "$KS_DIR/uwsgi.pid" ] && kill -0 "$(cat "$KS_DIR/uwsgi.pid")" 2>/dev/null \
        && curl -sf -o /dev/null --max-time 5 "$KS_URL"
}
