#!/usr/bin/env bash
# Brings up a throw-away single-node Ceph (Debian 12's Pacific 16.2) in DIR, on
# loopback only, for tests: 1 mon, 1 mgr (prometheus module on), 1 OSD on a
# sparse-file bluestore, pools of size 1, and optionally radosgw. Everything
# lives in DIR: its own ceph.conf and fsid, cephx keyrings, data, logs, pid
# files. Daemons run as root, started directly (no systemd, no /etc/ceph).
#   up.sh DIR            (DIR is created; it must not hold a running cluster)
# env: CEPH_RGW=0 skips radosgw; CEPH_SEED=0 skips the pools, images and
#      buckets below.
# Then, unless CEPH_SEED=0: pools `volumes` and `vms` (application rbd), an
# image volume-<uuid> in volumes with some data written, an image
# <uuid>_disk in vms, and in radosgw two users (one plain, uid = a project id;
# one under a tenant, `<project>$<project>` as Keystone's implicit tenants
# make them), each with a bucket and a few objects, and an admin user for the
# admin API (caps buckets/users/usage/metadata read).
# Also a client `tally-agent` with the read-only caps the Ceph sampler needs.
# Writes DIR/cluster.env (shell assignments: CEPH_CONF, ports, ids, keys) and
# prints its path on stdout; progress goes to stderr. Stop with down.sh DIR.
# Exits 77 when this machine cannot run Ceph at all (no packages to install).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/down.sh"    # helpers only, when sourced
[ "$(id -u)" = 0 ] || { echo "up.sh: needs root (runs the daemons, installs packages)" >&2; exit 77; }
dir=${1:?usage: up.sh DIR}
want_rgw=${CEPH_RGW:-1}
seed=${CEPH_SEED:-1}
t0=${EPOCHREALTIME/./}
step() { local us=$(( ${EPOCHREALTIME/./} - t0 )); ceph_log "$(printf '%3d.%01ds' $(( us / 1000000 )) $(( us / 100000 % 10 ))) $*"; }

# 1. Packages, only those missing, without letting their stock units start.
. "$here/../lib/install-packages.sh"
pkgs="ceph-mon ceph-mgr ceph-osd ceph-common curl iproute2 openssl"
[ "$want_rgw" = 0 ] || pkgs="$pkgs radosgw"
if ! install_packages /tmp/tally-ceph-apt.log $pkgs; then
    tail -20 /tmp/tally-ceph-apt.log >&2
    apt-cache show ceph-mon >/dev/null 2>&1 || { echo "up.sh: no package ceph-mon in this machine's apt sources" >&2; exit 77; }
    exit 1
fi

# 2. DIR: new or empty, or an earlier cluster's whose daemons all stopped (then wiped).
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
running=$(ceph_running_pids "$dir")
if [ -n "$running" ]; then
    echo "up.sh: $dir already runs a cluster (pids $(echo $running)); stop it with down.sh $dir" >&2; exit 1
fi
if [ -n "$(ls -A "$dir")" ] && [ ! -f "$dir/ceph.conf" ]; then
    echo "up.sh: $dir is neither empty nor an earlier cluster's directory: not wiping it" >&2; exit 1
fi
# unix sockets (admin sockets) are limited to 107 bytes
[ ${#dir} -le 60 ] || { echo "up.sh: DIR=$dir is too long for the admin sockets (60 characters at most)" >&2; exit 1; }
find "$dir" -mindepth 1 -delete
mkdir -p "$dir"/{run,log,crash,mon.a,mgr.x,osd.0,rgw}
# from here on, a failure stops whatever this run started
up=0
trap 'echo "up.sh: line $LINENO: $BASH_COMMAND: failed" >&2' ERR
trap '[ "$up" = 1 ] || { ceph_log "failed: stopping the daemons started in $dir (logs in $dir/log)"; ceph_stop "$dir"; }' EXIT
trap 'exit 143' TERM INT HUP   # so that the EXIT trap runs when up.sh is killed too

# free_port VAR: a loopback port nobody listens on, not handed out twice here
# (no command substitution: the list of ports taken must outlive the call).
taken=" "
free_port() {
    local p
    for _ in $(seq 200); do
        p=$(( 20000 + RANDOM % 20000 ))
        case "$taken" in *" $p "*) continue ;; esac
        ss -Hltn "sport = :$p" | grep -q . && continue
        taken="$taken$p "; printf -v "$1" %s "$p"; return 0
    done
    echo "up.sh: no free port found" >&2; return 1
}
free_port mon_port; free_port prom_port; free_port rgw_port
fsid=$(cat /proc/sys/kernel/random/uuid)
conf="$dir/ceph.conf"

# 3. Configuration: loopback, size-1 pools, small caches and few threads (this
# is a test bed on a 2-core machine), no warnings a single node always raises.
cat > "$conf" <<CONF
[global]
fsid = $fsid
mon_host = [v2:127.0.0.1:$mon_port]
public_addr = 127.0.0.1
cluster_addr = 127.0.0.1
ms_bind_msgr1 = false
auth_cluster_required = cephx
auth_service_required = cephx
auth_client_required = cephx
auth_allow_insecure_global_id_reclaim = false
keyring = $dir/keyring.\$name
run_dir = $dir/run
pid_file = $dir/run/\$name.pid
admin_socket = $dir/run/\$name.asok
log_file = $dir/log/\$name.log
crash_dir = $dir/crash
log_to_stderr = false
err_to_stderr = false
mon_data = $dir/mon.\$id
mgr_data = $dir/mgr.\$id
osd_data = $dir/osd.\$id
osd_pool_default_size = 1
osd_pool_default_min_size = 1
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
osd_pool_default_pg_autoscale_mode = off
osd_crush_chooseleaf_type = 0
mon_allow_pool_size_one = true
mon_allow_pool_delete = true
mon_warn_on_pool_no_redundancy = false
mon_data_avail_warn = 2
mon_data_avail_crit = 1
ms_async_op_threads = 1

[mon]
mon_cluster_log_file = $dir/log/cluster.log
# enabled at creation, so the module's options below apply from its start
mgr_initial_modules = prometheus

[osd]
osd_objectstore = bluestore
bluestore_block_create = true
bluestore_block_size = 10737418240
bluestore_fsck_on_mkfs = false
# a fixed 64 MiB cache rather than one grown towards osd_memory_target (4 GiB)
bluestore_cache_autotune = false
bluestore_cache_size = 67108864
osd_op_num_shards = 1
osd_op_num_threads_per_shard = 2

[client.rgw.0]
rgw_frontends = beast endpoint=127.0.0.1:$rgw_port
rgw_data = $dir/rgw
rgw_enable_usage_log = true
rgw_usage_log_flush_threshold = 1
rgw_usage_log_tick_interval = 1
rgw_thread_pool_size = 16
CONF
cl() { ceph -c "$conf" "$@"; }

# 4. Keys: the mon's, the admin's (every client command below is the admin).
ceph-authtool --create-keyring "$dir/keyring.mon.a" --gen-key -n mon. --cap mon 'allow *' >/dev/null
ceph-authtool --create-keyring "$dir/keyring.client.admin" --gen-key -n client.admin \
    --cap mon 'allow *' --cap osd 'allow *' --cap mgr 'allow *' --cap mds 'allow *' >/dev/null
ceph-authtool "$dir/keyring.mon.a" --import-keyring "$dir/keyring.client.admin" >/dev/null

# 5. Monitor.
monmaptool --create --enable-all-features --fsid "$fsid" --addv a "[v2:127.0.0.1:$mon_port]" "$dir/monmap" >/dev/null
ceph-mon -c "$conf" --mkfs -i a --monmap "$dir/monmap" --keyring "$dir/keyring.mon.a" 2>>"$dir/log/mkfs.log"
ceph-mon -c "$conf" -i a </dev/null >>"$dir/log/daemons.out" 2>&1
step "mon.a on 127.0.0.1:$mon_port"
for _ in $(seq 60); do timeout 10 ceph -c "$conf" --connect-timeout 5 mon stat >/dev/null 2>&1 && break; sleep 0.5; done
cl mon stat >/dev/null

# 6. Manager, with the prometheus module on a loopback port of its own.
cl config set mgr mgr/prometheus/server_addr 127.0.0.1 --force
cl config set mgr mgr/prometheus/server_port "$prom_port" --force
cl auth get-or-create mgr.x mon 'allow profile mgr' osd 'allow *' mds 'allow *' -o "$dir/keyring.mgr.x"
ceph-mgr -c "$conf" -i x </dev/null >>"$dir/log/daemons.out" 2>&1
step "mgr.x started"

# 7. OSD: registered with its own secret, then its store made and started.
osd_uuid=$(cat /proc/sys/kernel/random/uuid)
osd_secret=$(ceph-authtool --gen-print-key)
osd_id=$(echo "{\"cephx_secret\": \"$osd_secret\"}" | cl osd new "$osd_uuid" -i -)
[ "$osd_id" = 0 ] || { echo "up.sh: expected osd id 0, got $osd_id" >&2; exit 1; }
ceph-authtool --create-keyring "$dir/keyring.osd.0" --name osd.0 --add-key "$osd_secret" >/dev/null
ceph-osd -c "$conf" -i 0 --mkfs --osd-uuid "$osd_uuid" >>"$dir/log/mkfs.log" 2>&1
step "osd.0 store made"
ceph-osd -c "$conf" -i 0 </dev/null >>"$dir/log/daemons.out" 2>&1
for _ in $(seq 120); do
    [ "$(cl osd stat -f json 2>/dev/null | sed -n 's/.*"num_up_osds":\([0-9]*\).*/\1/p')" = 1 ] && break
    sleep 0.5
done
[ "$(cl osd stat -f json | sed -n 's/.*"num_up_osds":\([0-9]*\).*/\1/p')" = 1 ] || { echo "up.sh: osd.0 did not come up; see $dir/log/osd.0.log" >&2; exit 1; }
step "osd.0 up"

# Waits until every placement group is active+clean (pools just made).
wait_clean() {
    local s
    for _ in $(seq 240); do
        s=$(cl pg stat 2>/dev/null || true)
        # "N pgs: N active+clean; ..." and nothing else before the ';'
        if echo "$s" | grep -Eq '^[0-9]+ pgs: [0-9]+ active\+clean;'; then return 0; fi
        sleep 0.5
    done
    echo "up.sh: placement groups not clean: $s" >&2; return 1
}

# A client with the least rights the Ceph sampler needs (see agents/ceph/README.md);
# its keyring is where the conf's keyring = …/keyring.$name finds it.
cl auth get-or-create client.tally-agent mon 'profile rbd, allow r' osd 'profile rbd-read-only' mgr 'allow r' \
    -o "$dir/keyring.client.tally-agent"

# 8. Seed: pools and RBD images as Cinder and Nova name them.
volume_id=""; instance_id=""
if [ "$seed" != 0 ]; then
    for pool in volumes vms; do
        cl osd pool create "$pool" 8 8 replicated >/dev/null 2>&1
        rbd -c "$conf" pool init "$pool"
    done
    volume_id=$(cat /proc/sys/kernel/random/uuid); instance_id=$(cat /proc/sys/kernel/random/uuid)
    rbd -c "$conf" create --size 64M "volumes/volume-$volume_id"
    rbd -c "$conf" create --size 128M "vms/${instance_id}_disk"
    # 4 MiB written at the start of the volume: one 4 MiB object used, not 0
    rbd -c "$conf" bench --io-type write --io-size 1M --io-threads 1 --io-total 4M --io-pattern seq "volumes/volume-$volume_id" >/dev/null
    wait_clean
    step "pools volumes, vms; images volume-$volume_id, ${instance_id}_disk"
fi

# 9. radosgw, its users, buckets and objects.
rgw_url=""; admin_access=""; admin_secret=""; project_a=""; project_b=""
if [ "$want_rgw" != 0 ]; then
    cl auth get-or-create client.rgw.0 mon 'allow rw' osd 'allow rwx' mgr 'allow rw' -o "$dir/keyring.client.rgw.0"
    radosgw -c "$conf" -n client.rgw.0 </dev/null >>"$dir/log/daemons.out" 2>&1
    rgw_url="http://127.0.0.1:$rgw_port"
    for _ in $(seq 240); do curl -fsS -o /dev/null "$rgw_url/" 2>/dev/null && break; sleep 0.5; done
    curl -fsS -o /dev/null "$rgw_url/" || { echo "up.sh: radosgw did not answer on $rgw_url; see $dir/log/client.rgw.0.log" >&2; exit 1; }
    step "radosgw on $rgw_url"
    rgwa() { radosgw-admin -c "$conf" "$@"; }
    key_of() { sed -n 's/.*"'"$1"'": "\([^"]*\)".*/\1/p' | head -1; }
    admin_json=$(rgwa user create --uid tally-admin --display-name "usage reader" \
        --caps "buckets=read;users=read;usage=read;metadata=read")
    admin_access=$(echo "$admin_json" | key_of access_key); admin_secret=$(echo "$admin_json" | key_of secret_key)
    if [ "$seed" != 0 ]; then
        # Keystone project ids: 32 hex digits
        project_a=$(cat /proc/sys/kernel/random/uuid | tr -d -); project_b=$(cat /proc/sys/kernel/random/uuid | tr -d -)
        s3put() { # ACCESS SECRET PATH [FILE]: an S3 PUT signed as AWS signature v2 does
            local d sig args
            d=$(LC_ALL=C date -u '+%a, %d %b %Y %H:%M:%S GMT')
            sig=$(printf 'PUT\n\napplication/octet-stream\n%s\n/%s' "$d" "$3" | openssl dgst -sha1 -hmac "$2" -binary | base64)
            args=(-fsS -o /dev/null -X PUT -H "Date: $d" -H "Content-Type: application/octet-stream" -H "Authorization: AWS $1:$sig")
            if [ -n "${4:-}" ]; then args+=(--data-binary "@$4"); else args+=(--data-binary ''); fi
            curl "${args[@]}" "$rgw_url/$3"
        }
        head -c 300000 /dev/urandom > "$dir/obj.bin"
        a_json=$(rgwa user create --uid "$project_a" --display-name "project a")
        a_access=$(echo "$a_json" | key_of access_key); a_secret=$(echo "$a_json" | key_of secret_key)
        s3put "$a_access" "$a_secret" bucket-a
        for i in 1 2 3; do s3put "$a_access" "$a_secret" "bucket-a/object-$i" "$dir/obj.bin"; done
        b_json=$(rgwa user create --tenant "$project_b" --uid "$project_b" --display-name "project b")
        b_access=$(echo "$b_json" | key_of access_key); b_secret=$(echo "$b_json" | key_of secret_key)
        s3put "$b_access" "$b_secret" bucket-b
        s3put "$b_access" "$b_secret" bucket-b/object-1 "$conf"
        s3put "$b_access" "$b_secret" bucket-b/object-2 "$dir/obj.bin"
        wait_clean
        step "radosgw users $project_a, $project_b\$$project_b with buckets and objects"
    fi
fi

cat > "$dir/cluster.env" <<ENV
CEPH_CONF=$conf
CEPH_FSID=$fsid
CEPH_AGENT_ID=tally-agent
CEPH_MON_PORT=$mon_port
CEPH_PROMETHEUS_URL=http://127.0.0.1:$prom_port/metrics
CEPH_RGW_URL=$rgw_url
CEPH_RGW_ACCESS_KEY=$admin_access
CEPH_RGW_SECRET_KEY=$admin_secret
CEPH_VOLUME_ID=$volume_id
CEPH_INSTANCE_ID=$instance_id
CEPH_PROJECT_A=$project_a
CEPH_PROJECT_B=$project_b
ENV
step "up: $(cl health)"
up=1
echo "$dir/cluster.env"
