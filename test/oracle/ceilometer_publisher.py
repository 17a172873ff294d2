#!/usr/bin/python3
"""Ceilometer's gnocchi publisher run against a real Gnocchi: samples in, resources out.

stdin:  {"gnocchi_url": URL, "user": "admin",
         "resources_yaml": PATH,                        # gnocchi_resources.yaml
         "samples": [[SAMPLE, ...] or null, per notification],
         "notifications": [MESSAGE per notification],   # optional: events
         "event_definitions_yaml": PATH,                # with "notifications"
         "refresh": true}                               # optional, default true
        SAMPLE is a Sample.as_dict() as ceilometer_meters.py prints it (its
        extra "message_id" is dropped). MESSAGE is the bus body the samples
        came from; the event pipeline turns it into an event for the
        publisher before the notification's samples go (see 3.). null samples:
        the message is a polling agent's telemetry.polling notification, whose
        samples TelemetryIpc.build_sample makes (Ceilometer's endpoint for it).
stdout: [{"errors": [LINE, ...], "warnings": [LINE, ...]} per notification]:
        what Ceilometer logged at ERROR / WARNING while handling it.

Everything is Debian python3-ceilometer code talking to the Gnocchi at URL:
1. ceilometer.gnocchi_client.upgrade_resource_types(conf), what
   ceilometer-upgrade does: Ceilometer's resource types.
2. The notification agent's two pipeline managers, SamplePipelineManager and
   EventPipelineManager, from pipeline files like the defaults (source "*",
   one sink) whose one publisher is
   gnocchi://?filter_project=&resources_definition_file=PATH (no project to
   filter out, so no Keystone lookup). Ceilometer's default event pipeline
   publishes to notifier://; gnocchi:// there is the deployment where events
   end resources (tally always does).
3. Per notification, as the agent does with its default batch_size of 1, its
   endpoints in the agent's order: the listener gets the pipeline managers'
   endpoints in the order stevedore loads the managers (entry-point order:
   "event" before "meter"), so first the message goes through
   EventEndpoint.info/error (event_definitions.yaml, then publish_events),
   then its samples through the sample pipeline (`with publisher() as p:
   p(samples)`, which drops samples without a numeric volume, then
   publish_samples, as SampleEndpoint.process_notifications does).
   With "refresh", every metric the notification's samples name is then read
   with refresh=true, so each notification is one batch of Gnocchi's
   aggregation whatever metricd's timing (see CEILOMETER.md).

The Gnocchi client is gnocchiclient's own with its basic-auth plugin (what
test/gnocchi/up.sh serves); ceilometer.gnocchi_client.get_gnocchiclient and
keystone_client.get_client are patched to hand it out, as Ceilometer's unit
tests patch them.
"""
import json
import logging
import os
import shutil
import sys
import tempfile
import traceback
from unittest import mock
from urllib import parse as urlparse

from gnocchiclient import auth as gnocchi_auth
from gnocchiclient import client as gnocchi_client_lib
from keystoneauth1 import session as ka_session
from stevedore import named
import yaml

from ceilometer import gnocchi_client
from ceilometer.pipeline import event as event_pipeline
from ceilometer.pipeline import sample as sample_pipeline
from ceilometer import sample as ceilometer_sample
from ceilometer import service
from ceilometer.telemetry import notifications as telemetry_notifications

from ceilometer_meters import to_user_message


class Collect(logging.Handler):
    """Ceilometer's ERROR and WARNING lines, per notification."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.errors, self.warnings = [], []

    def emit(self, record):
        line = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            e = record.exc_info[1]
            line += " [%s: %s]" % (type(e).__name__, e)
        (self.errors if record.levelno >= logging.ERROR else self.warnings).append(line)


def client_factory(url, user):
    def get_gnocchiclient(conf, request_timeout=None):
        session = ka_session.Session(auth=gnocchi_auth.GnocchiBasicPlugin(user=user, endpoint=url),
                                     timeout=request_timeout)
        return gnocchi_client_lib.Client('1', session, adapter_options={'connect_retries': 3})
    return get_gnocchiclient


def write_pipeline(path, kind, publisher_url):
    source = {"name": kind + "_source", ("meters" if kind == "meter" else "events"): ["*"],
              "sinks": [kind + "_sink"]}
    with open(path, "w") as f:
        yaml.safe_dump({"sources": [source],
                        "sinks": [{"name": kind + "_sink", "publishers": [publisher_url]}]}, f)


def main():
    out_stream, sys.stdout = sys.stdout, sys.stderr
    case = json.load(sys.stdin)
    per_notification = case["samples"]
    messages = case.get("notifications")
    if messages is not None and len(messages) != len(per_notification):
        raise SystemExit("notifications and samples differ in length")

    tmp = tempfile.mkdtemp(prefix="ceilo-publisher-")
    try:
        conf = service.prepare_service(["ceilometer-oracle"], config_files=[])
        logging.getLogger("ceilometer.declarative").setLevel(logging.WARNING)
        publisher_url = ("gnocchi://?filter_project=&resources_definition_file="
                         + urlparse.quote(os.path.abspath(case["resources_yaml"])))
        write_pipeline(os.path.join(tmp, "pipeline.yaml"), "meter", publisher_url)
        write_pipeline(os.path.join(tmp, "event_pipeline.yaml"), "event", publisher_url)
        conf.set_override("pipeline_cfg_file", os.path.join(tmp, "pipeline.yaml"))
        conf.set_override("event_pipeline_cfg_file", os.path.join(tmp, "event_pipeline.yaml"))
        if messages is not None:
            conf.set_override("definitions_cfg_file", os.path.abspath(case["event_definitions_yaml"]), group="event")

        get_client = client_factory(case["gnocchi_url"], case.get("user", "admin"))
        with mock.patch.object(gnocchi_client, "get_gnocchiclient", get_client), \
                mock.patch("ceilometer.keystone_client.get_client", return_value=mock.Mock()):
            gnocchi_client.upgrade_resource_types(conf)
            samples_manager = sample_pipeline.SamplePipelineManager(conf)
            events_endpoint = None
            if messages is not None:
                events_endpoint = event_pipeline.EventEndpoint(
                    conf, event_pipeline.EventPipelineManager(conf).publisher())
            polling_endpoint = telemetry_notifications.TelemetryIpc(conf, samples_manager.publisher())
            publisher = samples_manager.pipelines[0].sink.publishers[0]
            gnocchi = get_client(conf)

            collect = Collect()
            ceilometer_log = logging.getLogger("ceilometer")
            ceilometer_log.addHandler(collect)
            ceilometer_log.propagate = False
            # The agent's listener calls its endpoints in the order of its pipeline
            # managers, which stevedore loads in entry-point order: "event" before
            # "meter" in Ceilometer 19 (so a message's event comes before its samples).
            order = [e.name for e in named.NamedExtensionManager(
                namespace="ceilometer.notification.pipeline", names=conf.notification.pipelines)]
            out = []
            for n, dicts in enumerate(per_notification):
                collect.errors, collect.warnings = [], []
                priority, message = to_user_message(messages[n]) if messages is not None else ("sample", None)
                if dicts is None:
                    # SampleEndpoint has info() and sample()
                    samples = list(polling_endpoint.build_sample(message)) if priority in ("info", "sample") else []
                else:
                    samples = [ceilometer_sample.Sample(**{k: v for k, v in d.items() if k != "message_id"})
                               for d in dicts]
                for pipeline in order:
                    if pipeline == "event" and events_endpoint is not None:
                        # EventEndpoint has info() and error()
                        getattr(events_endpoint, priority, lambda _msgs: None)([message])
                    elif pipeline == "meter":
                        # SampleEndpoint.process_notifications, with the samples already built
                        try:
                            with samples_manager.publisher() as p:
                                p(samples)
                        except Exception:
                            collect.errors.append("Fail to process notification [%s]"
                                                  % traceback.format_exc().strip().splitlines()[-1])
                if case.get("refresh", True):
                    for s in samples:
                        if s.name not in publisher.metric_map or not isinstance(s.resource_id, str):
                            continue
                        try:
                            gnocchi.metric.get_measures(s.name, resource_id=s.resource_id.replace("/", "_"),
                                                        refresh=True)
                        except Exception:
                            pass  # never created: Ceilometer logged why
                out.append({"errors": collect.errors, "warnings": collect.warnings})
        json.dump(out, out_stream, indent=1)
        out_stream.write("\n")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
