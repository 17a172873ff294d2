/**
 * The program one poll runs (`python3 -`, read from stdin): it connects to the cluster once
 * through librados (python3-rados and python3-rbd, which ceph-common depends
 * on) and reads every wanted part in that one process and connection: `df
 * detail` and `health` (cluster, pools), `osd dump` and `osd perf` (OSDs, and
 * which pools are RBD's), then each RBD image's provisioned and used size
 * (what `rbd du` computes: the objects that exist, through the object map when
 * the image has fast-diff). It prints one JSON document: the parts read, and
 * per failed part its error; `fatal` when it could not connect at all.
 * Kept as a string so that the compiled agent carries it without a data file.
 *
 * argv (after `-`): conf, id ('' = client.admin), keyring ('' = the conf's), comma-separated parts.
 */
export const READER_SCRIPT = String.raw`
import json, sys

def failure(e):
    return '%s: %s' % (type(e).__name__, e)

def main(conf, rados_id, keyring, parts):
    import rados
    out = {'errors': {}}
    # librados waits forever for an absent mon or OSD unless told otherwise
    options = {'rados_mon_op_timeout': '15', 'rados_osd_op_timeout': '15', 'client_mount_timeout': '15'}
    if keyring:
        options['keyring'] = keyring
    cluster = rados.Rados(conffile=conf, rados_id=rados_id or None, conf=options)
    cluster.connect(timeout=15)
    try:
        out['fsid'] = cluster.get_fsid()

        def command(prefix, **args):
            args.update(prefix=prefix, format='json')
            ret, buf, err = cluster.mon_command(json.dumps(args), b'')
            if ret != 0:
                raise RuntimeError('%s: %s (%d)' % (prefix, err.strip() or 'failed', ret))
            return json.loads(buf)

        def part(name, read, needs=None):
            if name not in parts:
                return
            if needs is not None and isinstance(needs, Exception):
                out['errors'][name] = failure(needs)
                return
            try:
                out[name] = read(needs)
            except Exception as e:
                out['errors'][name] = failure(e)

        def fetch(prefix, **args):
            try:
                return command(prefix, **args)
            except Exception as e:
                return e

        df = fetch('df', detail='detail') if parts & {'cluster', 'pools'} else None
        osd_map = fetch('osd dump') if parts & {'osds', 'rbd'} else None
        part('cluster', lambda df: {
            'total': df['stats']['total_bytes'],
            # raw use: data, replicas and the stores' own overhead; total = used + available
            'used': df['stats']['total_used_raw_bytes'],
            'available': df['stats']['total_avail_bytes'],
            'health': command('health')['status'],
        }, df)
        part('pools', lambda df: [
            dict({'name': p['name'], 'id': p['id']},
                 **{k: p['stats'][k] for k in ('stored', 'bytes_used', 'objects', 'rd', 'rd_bytes', 'wr', 'wr_bytes')})
            for p in df['pools']], df)
        part('osds', read_osds(command), osd_map)
        part('rbd', read_images(cluster, out['errors']), osd_map)
    finally:
        cluster.shutdown()
    return out

def read_osds(command):
    def read(osd_map):
        perf = command('osd perf')
        infos = perf.get('osdstats', perf).get('osd_perf_infos', [])
        latency = {i['id']: i['perf_stats'] for i in infos}
        def ms(osd, key):
            stats = latency.get(osd)
            if stats is None:
                return None
            # nanoseconds when the mgr has them: sub-millisecond latencies are not 0
            ns = stats.get(key + '_ns')
            return ns / 1e6 if ns is not None else stats.get(key + '_ms')
        return [{'id': o['osd'], 'up': o['up'], 'in': o['in'],
                 'commit_ms': ms(o['osd'], 'commit_latency'), 'apply_ms': ms(o['osd'], 'apply_latency')}
                for o in osd_map['osds']]
    return read

def read_images(cluster, errors):
    def read(osd_map):
        import rbd
        images, failures = [], []
        for pool in [p['pool_name'] for p in osd_map['pools'] if 'rbd' in p.get('application_metadata', {})]:
            try:
                ioctx = cluster.open_ioctx(pool)
            except Exception as e:
                failures.append('%s: %s' % (pool, failure(e)))
                continue
            try:
                for name in rbd.RBD().list(ioctx):
                    try:
                        images.append(dict({'pool': pool, 'name': name}, **image_sizes(rbd, ioctx, name)))
                    except rbd.ImageNotFound:
                        pass  # removed since the listing
                    except Exception as e:
                        failures.append('%s/%s: %s' % (pool, name, failure(e)))
            except Exception as e:
                failures.append('%s: %s' % (pool, failure(e)))
            finally:
                ioctx.close()
        if failures:
            more = ' (and %d more)' % (len(failures) - 5) if len(failures) > 5 else ''
            errors['rbd'] = '; '.join(failures[:5]) + more
        return images
    return read

def image_sizes(rbd, ioctx, name):
    with rbd.Image(ioctx, name, read_only=True) as image:
        size = image.size()
        used = [0]
        def extent(offset, length, exists):
            if exists:
                used[0] += length
        image.diff_iterate(0, size, None, extent, whole_object=True)
        return {'provisioned': size, 'used': used[0]}

try:
    result = main(sys.argv[1], sys.argv[2], sys.argv[3], set(sys.argv[4].split(',')))
except Exception as e:
    result = {'fatal': failure(e)}
json.dump(result, sys.stdout)
`;
