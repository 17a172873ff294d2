# Sourced by the test scripts that bring up real services (test/gnocchi/up.sh,
# test/keystone/up.sh). install_packages LOG PKG…: installs the Debian packages
# that are missing (dpkg -s is fast; apt-get is not), under a lock (dpkg takes
# one installer at a time and tests may start two services at once), without
# letting their stock services start: those would listen on all addresses.
# Returns apt-get's status; its output goes to LOG.
install_packages() {
    local log=$1; shift
    local missing
    missing=$(for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || echo "$p"; done)
    [ -n "$missing" ] || return 0
    echo "installing $(echo $missing)" >&2
    (
        flock 9
        own_policy=0
        if [ ! -e /usr/sbin/policy-rc.d ]; then
            printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; own_policy=1
        fi
        rc=0
        { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing; } > "$log" 2>&1 || rc=$?
        if [ $own_policy = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi
        exit $rc
    ) 9> /tmp/tally-install-packages.lock
}
