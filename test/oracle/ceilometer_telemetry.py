#!/usr/bin/python3
"""Ceilometer's notification agent on polling agents' samples: broker bodies in, samples out.

stdin:  [BODY, ...], each what arrives on the bus (oslo's 2.0 envelope).
stdout: [[SAMPLE, ...] per body], SAMPLE as Sample.as_dict().

The bodies go through oslo.messaging's envelope and dispatcher code (as in
ceilometer_meters.py) to Ceilometer 19's TelemetryIpc endpoint, the one its
notification agent runs for `telemetry.polling`.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ceilometer_meters import CapturingPublisher, to_user_message  # noqa: E402

from ceilometer import service  # noqa: E402
from ceilometer.telemetry import notifications  # noqa: E402


def main():
    out_stream, sys.stdout = sys.stdout, sys.stderr
    bodies = json.load(sys.stdin)
    conf = service.prepare_service(["ceilometer-oracle"], config_files=[])
    publisher = CapturingPublisher()
    endpoint = notifications.TelemetryIpc(conf, publisher)
    out = []
    for raw in bodies:
        priority, message = to_user_message(raw)
        publisher.samples = []
        getattr(endpoint, priority, lambda _msgs: None)([message])
        out.append([s.as_dict() for s in publisher.samples])
    json.dump(out, out_stream, default=str)


if __name__ == "__main__":
    main()
