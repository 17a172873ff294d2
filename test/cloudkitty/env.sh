# Settings and helpers shared by up.sh and down.sh (source it, do not run it).
# One instance per API port, with its own database and directory, so several
# can rate side by side (e.g. one reading tally, one reading the real Gnocchi).
CK_HOST=127.0.0.1                                   # loopback only, always
CK_PORT=${CK_PORT:-28889}
CK_DIR=${CK_DIR:-/tmp/tally-cloudkitty-$CK_PORT}    # config, metrics.yml, locks, logs, pid file
CK_DB=${CK_DB:-tally_cloudkitty_$CK_PORT}           # PostgreSQL database and role
CK_URL="http://$CK_HOST:$CK_PORT"

ck_log() { echo "[cloudkitty $(date +%H:%M:%S)] $*" >&2; }

# Stops the API that up.sh started for this CK_DIR, by its recorded pid: setsid
# made it the leader of its own process group, so the group is its workers and
# nothing else.
ck_stop() {
    [ -f "$CK_DIR/api.pid" ] || return 0
    local pid
    pid=$(cat "$CK_DIR/api.pid")
    kill -TERM -- "-$pid" 2>/dev/null || true
    for _ in $(seq 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -KILL -- "-$pid" 2>/dev/null || true
    rm -f "$CK_DIR/api.pid"
    for _ in $(seq 40); do   # the next up.sh needs the port
        ss -Hltn "sport = :$CK_PORT" | grep -q . || break
        sleep 0.25
    done
}
