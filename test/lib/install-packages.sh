# Sourced by the test runner (test/run.ts, through install-debian-packages.sh)
# and the scripts that bring up real services (test/gnocchi/up.sh, …).
# install_packages LOG PKG…: installs the Debian packages that are missing
# (dpkg-query is fast; apt-get is not), under a lock (dpkg takes one installer
# at a time and tests may start two services at once), without letting their
# stock services start: those would listen on all addresses. apt-get update
# runs only when the install fails without it (no package lists yet, or lists
# naming versions the mirror no longer has). Returns apt-get's status; its
# output goes to LOG.
install_packages() {
    local log=$1; shift
    local missing
    missing=$(for p in "$@"; do
        [ "$(dpkg-query -W -f '${db:Status-Status}' "$p" 2>/dev/null)" = installed ] || echo "$p"
    done)
    [ -n "$missing" ] || return 0
    echo "installing $(echo $missing)" >&2
    (
        flock 9
        own_policy=0
        if [ ! -e /usr/sbin/policy-rc.d ]; then
            printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; own_policy=1
        fi
        apt_install() { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing; }
        rc=0
        {
            apt_install || { echo "--- apt-get update, then again" && apt-get update -qq && apt_install; }
        } > "$log" 2>&1 || rc=$?
        if [ $own_policy = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi
        exit $rc
    ) 9> /tmp/tally-install-packages.lock
}
