#!/usr/bin/python3
"""An OpenMetrics exporter built with the Prometheus Python client (Debian
python3-prometheus-client): serves /metrics on 127.0.0.1:PORT, in OpenMetrics
when asked for it (Accept: application/openmetrics-text), else in 0.0.4.
Its series: a counter with a unit and exemplars, a labelled gauge, a histogram
with exemplars, a summary, an info and an enum (stateset). Each second the
counter grows by 1 and the histogram observes 0.25. Prints "ready PORT".
Usage: openmetrics-exporter.py PORT"""
import sys
import time

from prometheus_client import CollectorRegistry, Counter, Enum, Gauge, Histogram, Info, Summary, start_http_server

port = int(sys.argv[1])
registry = CollectorRegistry()
requests = Counter('demo_requests', 'Requests handled, with "quotes" and a \\ backslash.', ['path'], unit='bytes', registry=registry)
temperature = Gauge('demo_temperature_celsius', 'Temperature\nper room.', ['room'], registry=registry)
latency = Histogram('demo_latency_seconds', 'Request latency.', buckets=(0.1, 0.5, 1.0), registry=registry)
sizes = Summary('demo_size_bytes', 'Payload sizes.', registry=registry)
build = Info('demo_build', 'Build information.', registry=registry)
state = Enum('demo_state', 'Service state.', states=['starting', 'running', 'stopped'], registry=registry)

build.info({'version': '1.2.3', 'revision': 'abc"def'})
state.state('running')
temperature.labels(room='kitchen "main"').set(21.5)
temperature.labels(room='cellar\\north').set(-3.25)
temperature.labels(room='attic').set(float('nan'))
sizes.observe(512)
requests.labels(path='/api').inc(10, exemplar={'trace_id': 'abc123'})
latency.observe(0.25, exemplar={'trace_id': 'def456'})

start_http_server(port, addr='127.0.0.1', registry=registry)
print(f'ready {port}', flush=True)
while True:
    time.sleep(1)
    requests.labels(path='/api').inc(1)
    latency.observe(0.25)
