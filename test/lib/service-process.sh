# Sourced by the real services' env.sh / up.sh: a service started with setsid
# leads its own process group (its workers and nothing else), its pid kept in
# a file.
#
#   stop_process_group PIDFILE     TERM to the group, KILL after 10 s; 1 if there is no PIDFILE
#   wait_port_free PORT            until nothing listens on 127.0.0.1:PORT (at most 10 s)
#   await_service PIDFILE CURL_ARG…  until curl succeeds (0), or the process died or 2 min passed (1)
stop_process_group() {
    [ -f "$1" ] || return 1
    local pid
    pid=$(cat "$1")
    kill -TERM -- "-$pid" 2>/dev/null || true
    for _ in $(seq 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -KILL -- "-$pid" 2>/dev/null || true
    rm -f "$1"
}

wait_port_free() {
    for _ in $(seq 40); do   # the next up.sh needs the port
        ss -Hltn "sport = :$1" | grep -q . || return 0
        sleep 0.25
    done
}

await_service() {
    local pidfile=$1; shift
    for _ in $(seq 240); do
        curl -sf -o /dev/null --max-time 5 "$@" && return 0
        kill -0 "$(cat "$pidfile")" 2>/dev/null || return 1
        sleep 0.5
    done
    return 1
}
