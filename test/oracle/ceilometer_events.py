#!/usr/bin/python3
"""Ceilometer event-definition oracle: bus notifications in, Ceilometer's events out.

stdin:  {"event_definitions_yaml": PATH, "notifications": [MESSAGE, ...] or PATH}
stdout: [EVENT or null per notification], EVENT being Ceilometer's
        Event.serialize(): {message_id, event_type, generated, traits: [[name,
        dtype, value]], raw}. null: no event (a priority the event endpoint
        does not take, or the conversion raised: stderr gets {"index", "error"}).

The conversion is ceilometer.event.converter (Debian python3-ceilometer) with
its defaults (drop_unmatched_notifications false, store_raw empty); the
message is unwrapped as in ceilometer_meters.py.
"""
import json
import logging
import sys
import traceback

import yaml
from stevedore import extension

from ceilometer.event import converter
from ceilometer import service

from ceilometer_meters import to_user_message


def main():
    out_stream, sys.stdout = sys.stdout, sys.stderr
    case = json.load(sys.stdin)
    if isinstance(case["notifications"], str):
        with open(case["notifications"]) as f:
            case["notifications"] = json.load(f)
    conf = service.prepare_service(["ceilometer-oracle"], config_files=[])
    logging.getLogger("ceilometer").setLevel(logging.CRITICAL)
    with open(case["event_definitions_yaml"]) as f:
        definitions = yaml.safe_load(f)
    conv = converter.NotificationEventsConverter(
        conf, definitions,
        extension.ExtensionManager(namespace='ceilometer.event.trait_plugin'))
    out = []
    for n, raw in enumerate(case["notifications"]):
        priority, message = to_user_message(raw)
        event = None
        # EventEndpoint has info() and error() only
        if priority in ("info", "error"):
            try:
                e = conv.to_event(priority, message)
                event = e.serialize() if e is not None else None
            except Exception:
                sys.stderr.write(json.dumps({"index": n, "error": traceback.format_exc().strip().splitlines()[-1]}) + "\n")
        out.append(event)
    json.dump(out, out_stream, indent=1, sort_keys=True, default=str)
    out_stream.write("\n")


if __name__ == "__main__":
    main()
