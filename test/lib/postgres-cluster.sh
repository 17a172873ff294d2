# Sourced by the real services' up.sh: the local PostgreSQL those services keep
# their databases in (Debian's first cluster), started when it is down. One
# lock for every up.sh, as several may come up at once (test files run in
# parallel) and each may find the cluster down.
#
#   postgres_cluster_up LOG_FUNCTION   sets pg_ver, pg_cluster, pg_port
postgres_cluster_up() {
    exec 9> /tmp/tally-postgres-start.lock
    flock 9
    read -r pg_ver pg_cluster pg_port pg_status _ < <(pg_lsclusters -h | head -1)
    if [ "$pg_status" != online ]; then
        "$1" "starting PostgreSQL $pg_ver/$pg_cluster"
        pg_ctlcluster "$pg_ver" "$pg_cluster" start
    fi
    flock -u 9; exec 9>&-
}
