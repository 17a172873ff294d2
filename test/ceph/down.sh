#!/usr/bin/env bash
# Stops the throw-away Ceph cluster that up.sh started in DIR: every daemon by
# the pid file it wrote there (radosgw, osd, mgr, mon; TERM, then KILL after
# 15 s), and waits until none of them runs. The data stays; --purge also
# removes DIR. Nothing outside DIR is touched.
#   down.sh DIR [--purge]
#
# Sourced by up.sh, it only defines the helpers and stops nothing.

ceph_log() { echo "[ceph $(date +%H:%M:%S)] $*" >&2; }

# The pids of the daemons of DIR that still run (a pid file whose process is
# gone, or is now some other program, does not count).
ceph_running_pids() {
    local dir=$1 f pid
    for f in "$dir"/run/*.pid; do
        [ -f "$f" ] || continue
        pid=$(cat "$f" 2>/dev/null) || continue
        [ -n "$pid" ] || continue
        # a recycled pid that is not a Ceph daemon is not ours
        case "$(cat "/proc/$pid/comm" 2>/dev/null)" in ceph-*|radosgw) echo "$pid" ;; esac
    done
}

ceph_stop() {
    local dir=$1 pids pid
    # radosgw first: it is a client of the osd and would spin reconnecting
    for name in client.rgw.0 osd.0 mgr.x mon.a; do
        [ -f "$dir/run/$name.pid" ] || continue
        pid=$(cat "$dir/run/$name.pid")
        case "$(cat "/proc/$pid/comm" 2>/dev/null)" in ceph-*|radosgw) kill -TERM "$pid" 2>/dev/null || true ;; esac
    done
    for pid in $(ceph_running_pids "$dir"); do kill -TERM "$pid" 2>/dev/null || true; done
    for _ in $(seq 60); do
        pids=$(ceph_running_pids "$dir")
        [ -n "$pids" ] || break
        sleep 0.25
    done
    pids=$(ceph_running_pids "$dir")
    if [ -n "$pids" ]; then
        ceph_log "still running after TERM, killing: $(echo $pids)"
        kill -KILL $pids 2>/dev/null || true
        for _ in $(seq 20); do [ -n "$(ceph_running_pids "$dir")" ] || break; sleep 0.25; done
    fi
    rm -f "$dir"/run/*.pid
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -euo pipefail
    dir=${1:?usage: down.sh DIR [--purge]}
    [ -d "$dir" ] || { ceph_log "no such directory: $dir"; exit 0; }
    dir=$(cd "$dir" && pwd)
    ceph_stop "$dir"
    left=$(ceph_running_pids "$dir")
    if [ -n "$left" ]; then ceph_log "could not stop: $left"; exit 1; fi
    if [ "${2:-}" = --purge ]; then
        case "$dir" in /?*/?*) rm -rf "$dir" ;; *) ceph_log "not removing $dir: too close to /" ;; esac
    fi
    ceph_log "stopped ($dir)"
fi
