# Settings and helpers shared by up.sh and down.sh (source it, do not run it).
# One instance per API port, with its own database and directory, so several
# can rate side by side (e.g. one reading tally, one reading the real Gnocchi).
CK_HOST=127.0.0.1                                   # loopback only, always
CK_PORT=${CK_PORT:-28889}
CK_DIR=${CK_DIR:-/tmp/tally-cloudkitty-$CK_PORT}    # config, metrics.yml, locks, logs, pid file
CK_DB=${CK_DB:-tally_cloudkitty_$CK_PORT}           # PostgreSQL database and role
CK_URL="http://$CK_HOST:$CK_PORT"

. "$(dirname "${BASH_SOURCE[0]}")/../lib/service-process.sh"
ck_log() { echo "[cloudkitty $(date +%H:%M:%S)] $*" >&2; }

# Stops the API that up.sh started for this CK_DIR, by its recorded pid: setsid
# made it the leader of its own process group, so the group is its workers and
# nothing else.
ck_stop() {
    # the InfluxDB of CK_STORAGE=influxdb, if one runs
    stop_process_group "$CK_DIR/influxd.pid" || true
    stop_process_group "$CK_DIR/api.pid" || return 0
    wait_port_free "$CK_PORT"
}
