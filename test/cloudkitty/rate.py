#!/usr/bin/python3
"""Rates given periods with CloudKitty's own processor worker, then stops.

usage: rate.py CONF BEGIN PERIODS [SCOPE ...] [--record FILE]
  CONF     a cloudkitty.conf (test/cloudkitty/up.sh writes one)
  BEGIN    start of the first period, ISO 8601 in UTC
  PERIODS  how many consecutive periods ([collect] period seconds each)
  SCOPE    project ids to rate; none: those the configured fetcher finds, as
           the processor does (sorted here, shuffled there)
  --record every HTTP exchange of the collector, one JSON object per line:
           {"method", "url", "body", "status", "response"}
stdout: [{"scope", "begin", "error"} per scope and period], error null when
        the period was rated (or had no data), else what CloudKitty logged.

What cloudkitty-processor does per scope, bounded to the periods asked for:
the scope's state is set to the period before BEGIN (as CloudKitty's own
reset, PUT /v2/scope, does), then cloudkitty.orchestrator.Worker for the scope
(the enabled rating modules, the collector, the storage) takes PERIODS steps of
Worker.execute_worker_processing: the next period after the state, collection
of every metric of metrics.yml through the configured collector, rating, the
dataframe pushed to the storage, the state moved on. A collection error makes
the worker exit (sys.exit(1)) without moving the state, so the processor would
retry that period on every cycle: here it is reported and the scope left.
"""
import datetime
import json
import logging
import sys
import threading
import traceback

import requests.adapters
from oslo_config import cfg
from stevedore import driver

from cloudkitty import collector
from cloudkitty import orchestrator
from cloudkitty import service
from cloudkitty import storage
from cloudkitty import storage_state


class LastError(logging.Handler):
    """The last ERROR line CloudKitty logged, with its exception."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.line = None

    def emit(self, record):
        line = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            line += " [%s: %s]" % (type(record.exc_info[1]).__name__, record.exc_info[1])
        self.line = line


def record_exchanges(path):
    """Wraps the HTTP adapter every collector goes through (keystoneauth and requests)."""
    out = open(path, "w")
    lock = threading.Lock()
    send = requests.adapters.HTTPAdapter.send

    def recording_send(self, request, *args, **kwargs):
        response = send(self, request, *args, **kwargs)
        body = request.body
        if isinstance(body, bytes):
            body = body.decode("utf-8", "replace")
        line = json.dumps({"method": request.method, "url": request.url, "body": body,
                           "status": response.status_code, "response": response.text})
        with lock:
            out.write(line + "\n")
            out.flush()
        return response

    requests.adapters.HTTPAdapter.send = recording_send


def main():
    args = sys.argv[1:]
    record = None
    if "--record" in args:
        i = args.index("--record")
        record = args[i + 1]
        del args[i:i + 2]
    if len(args) < 3:
        raise SystemExit(__doc__)
    conf_file, begin, periods, scopes = args[0], args[1], int(args[2]), args[3:]
    out, sys.stdout = sys.stdout, sys.stderr
    service.prepare_service(["rate.py", "--config-file", conf_file])
    if record:
        record_exchanges(record)
    last_error = LastError()
    logging.getLogger("cloudkitty").addHandler(last_error)

    start = datetime.datetime.fromisoformat(begin.replace("Z", "+00:00")).astimezone(datetime.timezone.utc)
    period = datetime.timedelta(seconds=cfg.CONF.collect.period)
    the_collector = collector.get_collector()
    the_storage = storage.get_storage()
    if not scopes:
        scopes = sorted(driver.DriverManager(orchestrator.FETCHERS_NAMESPACE, cfg.CONF.fetcher.backend,
                                             invoke_on_load=True).driver.get_tenants())
    state = storage_state.StateManager()
    results = []
    for scope in scopes:
        state.set_last_processed_timestamp(scope, start - period)
        worker = orchestrator.Worker(the_collector, the_storage, scope, 0)
        for k in range(periods):
            timestamp = start + k * period
            last_error.line = None
            error = None
            try:
                worker.execute_worker_processing()
            except SystemExit:
                error = last_error.line or "the worker exited"
            results.append({"scope": scope, "begin": timestamp.isoformat(), "error": error})
            if error:
                break
    json.dump(results, out, indent=1)
    out.write("\n")


if __name__ == "__main__":
    try:
        main()
    except Exception:
        # oslo.log sends it to the log file only: the caller wants it too
        traceback.print_exc(file=sys.__stderr__)
        sys.exit(1)
