#!/usr/bin/python3
"""Ceilometer meter-definition oracle: bus notifications in, Ceilometer's samples out.

stdin:  {"meters_yaml": PATH, "notifications": [MESSAGE, ...] or PATH of a JSON list}
        MESSAGE is what arrives on the bus: either the oslo.messaging envelope
        {"oslo.version": "2.0", "oslo.message": "<json>"} or the inner message
        {event_type, payload, publisher_id, timestamp, message_id, priority,
         _context_* ...}.
stdout: [[SAMPLE, ...] per notification]  (see CEILOMETER.md); a notification whose
        processing raised (Ceilometer logs it and publishes nothing for it) gets [] here
        and a JSON line {"index", "error"} on stderr.

Everything between the raw message and the samples is Debian python3-ceilometer /
python3-oslo.messaging code; this file only feeds it and serialises the result.
"""
import json
import logging
import os
import shutil
import sys
import tempfile
import traceback
import uuid
from unittest import mock

from oslo_messaging._drivers import amqp as rpc_amqp
from oslo_messaging._drivers import common as rpc_common
from oslo_messaging.notify import dispatcher as notify_dispatcher
from oslo_messaging import serializer as msg_serializer

from ceilometer.meter import notifications
from ceilometer.pipeline import sample as sample_endpoint
from ceilometer import service


class CapturingPublisher(object):
    """Stands in for the pipeline publisher context (`with self.publisher as p`)."""

    def __init__(self):
        self.samples = []

    def __enter__(self):
        return self.samples.extend

    def __exit__(self, *exc):
        return False


def to_user_message(raw):
    """The broker body -> the dict oslo's notification dispatcher hands to endpoints.

    Same steps as the AMQP driver + NotificationDispatcher: unwrap the envelope,
    pop `_context_*` keys into the context, pick priority/metadata out.
    """
    msg = rpc_common.deserialize_msg(json.loads(json.dumps(raw)))
    # The AMQP listener passes ctxt.to_dict(): the `_context_*` values plus
    # client_timeout (msg_id/reply_q are attributes, not in the dict).
    ctxt = rpc_amqp.unpack_context(msg).to_dict()
    incoming = mock.Mock(ctxt=ctxt, message=msg)
    disp = notify_dispatcher.NotificationDispatcher([], msg_serializer.NoOpSerializer())
    priority, _, message = disp._extract_user_message(incoming)
    return priority, message


def main():
    # oslo.log writes to stdout by default: point it at stderr, keep stdout for the JSON.
    out_stream, sys.stdout = sys.stdout, sys.stderr
    case = json.load(sys.stdin)
    if isinstance(case["notifications"], str):  # a corpus file (test/fixtures/notifications/*.json)
        with open(case["notifications"]) as f:
            case["notifications"] = json.load(f)
    # Ceilometer loads every *.yaml in meter_definitions_dirs: give it a dir holding only this file.
    tmp = tempfile.mkdtemp(prefix="ceilo-meters-")
    try:
        shutil.copy(case["meters_yaml"], os.path.join(tmp, "meters.yaml"))
        # config_files=[]: never read /etc/ceilometer; defaults are Ceilometer's own.
        conf = service.prepare_service(["ceilometer-oracle"], config_files=[])
        conf.set_override("meter_definitions_dirs", [tmp], group="meter")
        # declarative logs the whole file at INFO; keep stderr for warnings/errors.
        logging.getLogger("ceilometer.declarative").setLevel(logging.WARNING)
        publisher = CapturingPublisher()
        handler = notifications.ProcessMeterNotifications(conf, publisher)
        out = []
        for n, raw in enumerate(case["notifications"]):
            priority, message = to_user_message(raw)
            publisher.samples = []
            # The notification agent only turns `info` and `sample` into samples;
            # other priorities hit NotificationEndpoint._consume_and_drop.
            errors = []
            with mock.patch.object(sample_endpoint, "LOG") as log:
                # LOG.error runs inside the except block: keep the exception text.
                log.error.side_effect = lambda *a, **k: errors.append(
                    traceback.format_exc().strip().splitlines()[-1])
                getattr(handler, priority, lambda _msgs: None)([message])
            samples = []
            for i, s in enumerate(publisher.samples):
                d = s.as_dict()
                # Sample.id is uuid.uuid1() (random); replace it with a stable value.
                d["id"] = str(uuid.uuid5(uuid.NAMESPACE_URL,
                                         "%s/%d" % (message["metadata"]["message_id"], i)))
                d["message_id"] = message["metadata"]["message_id"]
                samples.append(d)
            for e in errors:
                sys.stderr.write(json.dumps({"index": n, "error": e}) + "\n")
            out.append(samples)
        json.dump(out, out_stream, indent=1, sort_keys=True, default=str)
        out_stream.write("\n")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
