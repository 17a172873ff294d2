#!/usr/bin/python3
"""Ceilometer 19's compute polling, timed: set up once as its polling agent
does, then POLLS polls of every compute pollster over the libvirt URI.

argv:   LIBVIRT_URI POLLS
stdout: {"polls": [{"wall_s", "cpu_s", "samples"}, ...], "max_rss_kb": N}

Debian python3-ceilometer code; as in test/oracle/ceilometer_compute.py, the
flavor id Ceilometer asks Nova for answers the flavor's name.
"""
import json
import resource
import sys
import time

from stevedore import extension

from ceilometer.compute import discovery
from ceilometer import service


def main():
    uri, polls = sys.argv[1], int(sys.argv[2])
    out, sys.stdout = sys.stdout, sys.stderr
    conf = service.prepare_service(argv=[], config_files=[])
    conf.set_override('libvirt_uri', uri)
    conf.set_override('host', 'compute-1')
    conf.set_override('instance_discovery_method', 'libvirt_metadata', group='compute')
    conf.set_override('default_log_levels', ['ceilometer=ERROR', 'libvirt=ERROR'])
    disco = discovery.InstanceDiscovery(conf)
    disco.get_flavor_id = lambda name: name
    mgr = extension.ExtensionManager(namespace='ceilometer.poll.compute', invoke_on_load=True, invoke_args=(conf,))
    results = []
    for _ in range(polls):
        wall, cpu = time.perf_counter(), time.process_time()
        instances = disco.discover(manager=None)
        cache, n = {}, 0
        for ext in mgr:
            try:
                for _s in ext.obj.get_samples(manager=None, cache=cache, resources=instances) or []:
                    n += 1
            except Exception:
                pass
        results.append({'wall_s': time.perf_counter() - wall, 'cpu_s': time.process_time() - cpu, 'samples': n})
    json.dump({'polls': results, 'max_rss_kb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}, out)


if __name__ == '__main__':
    main()
