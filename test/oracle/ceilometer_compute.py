#!/usr/bin/python3
"""Ceilometer compute-pollster oracle: a libvirt URI in, Ceilometer 19's samples out.

argv:   LIBVIRT_URI HOST
stdout: {"samples": [SAMPLE, ...], "errors": [TEXT, ...]} where SAMPLE is
        Ceilometer's Sample.as_dict() (name, type, unit, volume, user_id,
        project_id, resource_id, timestamp, resource_metadata, ...).

Everything between libvirt and the samples is Debian python3-ceilometer code:
its libvirt discovery (instances from Nova's metadata in the domain XML), its
libvirt inspector and every pollster of the `ceilometer.poll.compute`
namespace, run as the polling manager runs them (one shared cache per poll).
One thing stands in: the flavor id, which Ceilometer asks Nova's API for
(Nova does not run here); it answers the flavor's name, as tally's agent does.
"""
import json
import sys
import traceback

from stevedore import extension

from ceilometer.compute import discovery
from ceilometer import service


def main():
    uri, host = sys.argv[1], sys.argv[2]
    # Ceilometer's log goes where it likes; the answer alone goes to stdout
    out, sys.stdout = sys.stdout, sys.stderr
    conf = service.prepare_service(argv=[], config_files=[])
    conf.set_override('libvirt_uri', uri)
    conf.set_override('host', host)
    conf.set_override('instance_discovery_method', 'libvirt_metadata', group='compute')

    disco = discovery.InstanceDiscovery(conf)
    disco.get_flavor_id = lambda name: name
    instances = disco.discover(manager=None)

    mgr = extension.ExtensionManager(namespace='ceilometer.poll.compute', invoke_on_load=True, invoke_args=(conf,))
    cache = {}
    samples, errors = [], []
    for ext in sorted(mgr, key=lambda e: e.name):
        try:
            for s in ext.obj.get_samples(manager=None, cache=cache, resources=instances) or []:
                samples.append(s.as_dict())
        except Exception as err:  # a pollster the inspector does not implement, as the manager logs it
            errors.append('%s: %s' % (ext.name, ''.join(traceback.format_exception_only(type(err), err)).strip()))
    json.dump({'samples': samples, 'errors': errors}, out, default=str)


if __name__ == '__main__':
    main()
