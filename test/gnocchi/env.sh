# Settings and helpers shared by up.sh and down.sh (source it, do not run it).
# Every instance is keyed by its port, so two can run side by side (e.g. a
# bench on 8041 while the diff test uses its own port) without sharing a
# database or a storage directory.
GN_HOST=127.0.0.1                                   # loopback only, always
GN_PORT=${GN_PORT:-8041}
GN_DIR=${GN_DIR:-/tmp/tally-gnocchi-$GN_PORT}       # config, storage, logs, pid files
GN_DB=${GN_DB:-tally_gnocchi_$GN_PORT}              # PostgreSQL database and role
GN_PKG=/usr/lib/python3/dist-packages/gnocchi       # Debian's python3-gnocchi

. "$(dirname "${BASH_SOURCE[0]}")/../lib/service-process.sh"
gn_log() { echo "[gnocchi $(date +%H:%M:%S)] $*" >&2; }

# Stops the API and metricd of this GN_DIR by their recorded pids. setsid made
# each the leader of its own process group, so killing the group also ends
# the uwsgi workers and metricd's children, and nothing else.
gn_stop() {
    local name
    for name in api metricd; do stop_process_group "$GN_DIR/$name.pid" || true; done
    wait_port_free "$GN_PORT"
}
