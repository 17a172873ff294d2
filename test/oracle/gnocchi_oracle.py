#!/usr/bin/python3
"""Test oracle: Gnocchi 4.4's own storage and aggregation code on a JSON case.

Reads a case on stdin, feeds each batch of measures through Gnocchi's
StorageDriver.add_measures_to_metrics (the file driver, in a temporary
directory), then answers reads through get_aggregated_measures and
cross-metric aggregates through rest.aggregates.processor.get_measures.
Protocol: README.md beside this file. Run with Debian's /usr/bin/python3.
"""
import json
import math
import shutil
import sys
import tempfile
import uuid

import numpy

# Debian's carbonara still calls numpy.int, which numpy 1.24 removed.
numpy.int = int

from gnocchi import archive_policy  # noqa: E402
from gnocchi import carbonara  # noqa: E402
from gnocchi.rest.aggregates import api as aggregates_api  # noqa: E402
from gnocchi.rest.aggregates import processor  # noqa: E402
from gnocchi.storage import file as file_storage  # noqa: E402

US = numpy.timedelta64(1, 'us')


def seconds(s):
    return numpy.timedelta64(int(round(s * 1e9)), 'ns')


def to_dt(us):
    return None if us is None else numpy.datetime64(int(us), 'us').astype('datetime64[ns]')


def to_us(ts):
    return int((ts - numpy.datetime64(0, 'ns')) // US)


def num(v):
    v = float(v)
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    return v


def points(triples):
    return [[to_us(t), float(g / numpy.timedelta64(1, 's')), num(v)] for t, g, v in triples]


class Metric(object):
    """What the storage and the processor need of a metric: an id and a policy."""

    def __init__(self, name, policy):
        # the file driver names directories after id.hex: ids are UUIDs
        self.id = uuid.uuid5(uuid.NAMESPACE_URL, "tally-oracle/" + name)
        self.name = name
        self.archive_policy = policy

    def __repr__(self):
        return "<Metric %s>" % self.id


class Conf(object):
    def __init__(self, path):
        self.file_basepath = path
        self.file_subdir_len = 2


def make_policy(name, p):
    definition = []
    for d in p["definition"]:
        kwargs = {"granularity": seconds(d["granularity"])}
        if d.get("timespan") is not None:
            kwargs["timespan"] = seconds(d["timespan"])
        if d.get("points") is not None:
            kwargs["points"] = d["points"]
        definition.append(archive_policy.ArchivePolicyItem(**kwargs))
    return archive_policy.ArchivePolicy(name, p.get("back_window", 0), definition,
                                        p.get("aggregation_methods"))


def error(e):
    return {"error": "%s: %s" % (type(e).__name__, e)}


def main():
    case = json.load(sys.stdin)
    tmp = tempfile.mkdtemp(prefix="gnocchi-oracle-")
    try:
        storage = file_storage.FileStorage(Conf(tmp))
        storage.upgrade()
        metrics = {}
        for name, m in case["metrics"].items():
            metric = Metric(name, make_policy(name, m["policy"]))
            metrics[name] = metric
            for batch in m["batches"]:
                ts = carbonara.make_timeseries(
                    numpy.array([to_dt(p[0]) for p in batch], dtype='datetime64[ns]'),
                    numpy.array([p[1] for p in batch], dtype=float))
                storage.add_measures_to_metrics({metric: ts})

        reads = []
        for r in case.get("reads", []):
            try:
                metric = metrics[r["metric"]]
                agg = metric.archive_policy.get_aggregation(r["method"], seconds(r["granularity"]))
                if agg is None:
                    raise ValueError("no aggregation %s@%s" % (r["method"], r["granularity"]))
                resample = seconds(r["resample"]) if r.get("resample") else None
                ts = storage.get_aggregated_measures(
                    {metric: [agg]}, to_dt(r.get("from")), to_dt(r.get("to")), resample)[metric][agg]
                g = ts.aggregation.granularity
                reads.append(points((t, g, v) for t, v in ts))
            except Exception as e:  # noqa: B902 - the test compares errors too
                reads.append(error(e))

        aggregates = []
        for a in case.get("aggregates", []):
            try:
                refs = []
                seen = set()

                def collect(node):
                    if not isinstance(node, list) or not node:
                        return
                    if node[0] == "metric":
                        wanted = node[1:] if isinstance(node[1], list) else [node[1:]]
                        for name, method in wanted:
                            if (name, method) not in seen:
                                seen.add((name, method))
                                refs.append(processor.MetricReference(metrics[name], method))
                    else:
                        for child in node[1:]:
                            collect(child)

                collect(a["operations"])
                by_id = dict((str(m.id), n) for n, m in metrics.items())

                def rename(node):
                    # the processor names metrics by id: rewrite the tree's names
                    if not isinstance(node, list) or not node:
                        return node
                    if node[0] == "metric":
                        if isinstance(node[1], list):
                            return ["metric"] + [[str(metrics[n].id), m] for n, m in node[1:]]
                        return ["metric", str(metrics[node[1]].id), node[2]]
                    return [node[0]] + [rename(c) for c in node[1:]]
                granularities = ([seconds(g) for g in a["granularities"]]
                                 if a.get("granularities") else None)
                # validated and converted as the REST API does (timespans, floats)
                operations = aggregates_api.OperationsSchema(rename(a["operations"]))
                fill = a.get("fill")
                if isinstance(fill, (int, float)):
                    fill = float(fill)  # as the REST API's FillSchema coerces it
                result = processor.get_measures(
                    storage, refs, operations, to_dt(a.get("from")), to_dt(a.get("to")),
                    granularities, float(a.get("needed_overlap", 100.0)), fill)
                if "aggregated" in result:
                    aggregates.append({"aggregated": points(result["aggregated"])})
                else:
                    aggregates.append({
                        by_id[name]: {method: points(pts) for method, pts in by_method.items()}
                        for name, by_method in result.items()
                    })
            except Exception as e:  # noqa: B902
                aggregates.append(error(e))

        json.dump({"reads": reads, "aggregates": aggregates}, sys.stdout)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
