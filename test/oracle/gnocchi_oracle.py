#!/usr/bin/python3
# -*- encoding: utf-8 -*-
"""Gnocchi 4.4 test oracle for tally.

Reads one JSON case (or a JSON array of cases) on stdin, feeds it through the
real Gnocchi code installed by Debian's python3-gnocchi package and prints
the results as JSON on stdout.  See README.md in this directory for the
protocol.

Run it with the system interpreter (/usr/bin/python3), which is the one the
Debian gnocchi package is installed for.

Gnocchi code paths exercised:

* ingestion: gnocchi.storage.StorageDriver.add_measures_to_metrics, with the
  file driver (gnocchi.storage.file.FileStorage) in a temporary directory;
  one call per batch, exactly like metricd processes one batch of incoming
  measures;
* reads: StorageDriver.get_aggregated_measures;
* cross-metric aggregation: gnocchi.rest.aggregates.processor.get_measures,
  with the operations tree validated by the REST layer's own
  gnocchi.rest.aggregates.api.OperationsSchema and references extracted by
  gnocchi.rest.aggregates.api.extract_references.
"""

import json
import math
import re
import shutil
import sys
import tempfile
import types
import uuid

import numpy

# The Debian build of carbonara still uses numpy.int, which was removed in
# numpy 1.24.  It must be restored before anything from gnocchi is imported.
numpy.int = int

from gnocchi import archive_policy  # noqa: E402
from gnocchi import calendar  # noqa: E402
from gnocchi import carbonara  # noqa: E402
from gnocchi import indexer  # noqa: E402
from gnocchi import storage  # noqa: E402
from gnocchi import utils  # noqa: E402
from gnocchi.rest.aggregates import processor  # noqa: E402
from gnocchi.storage import file as file_storage  # noqa: E402

# Gnocchi fans storage I/O out to a thread pool.  The computation is the
# same either way; running it sequentially is faster for small cases and
# keeps the run deterministic.
utils.parallel_map.MAX_WORKERS = 1

# gnocchi.rest.aggregates.api pulls in pecan, keystone, tooz, ... and takes
# a couple of seconds to import, so it is only imported when a case
# actually contains aggregates.
_rest = None


def _rest_modules():
    global _rest
    if _rest is None:
        from gnocchi.rest.aggregates import api as aggregates_api
        from gnocchi.rest import api as rest_api
        _rest = (aggregates_api, rest_api)
    return _rest


# Metric names from the case are mapped to deterministic UUIDs: the file
# driver builds its directory layout from metric.id.hex, and the REST layer
# only accepts UUID metric ids.  Names are mapped back on output.
_NAMESPACE = uuid.UUID("6f1c1f4e-7a5e-4c55-9d1e-7461c1a7e0ac")
_UUID_RE = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

_EPOCH_NS = numpy.datetime64(0, "ns")


# ---------------------------------------------------------------------------
# Conversions between the JSON protocol and Gnocchi's numpy types
# ---------------------------------------------------------------------------

def us_to_datetime64(value):
    """Integer microseconds since Epoch -> numpy.datetime64[ns]."""
    if value is None:
        return None
    return numpy.datetime64(int(value), "us").astype("datetime64[ns]")


def seconds_to_timespan(value):
    """Float seconds -> numpy.timedelta64[ns], the way Gnocchi's API does."""
    if isinstance(value, str) and calendar.GROUPINGS.get(value):
        return value
    return utils.to_timespan(value)


def to_float(value):
    if isinstance(value, str):
        return float(value)  # accepts "NaN", "Infinity", "-Infinity"
    return float(value)


def jsonable(value):
    """Convert Gnocchi/numpy values to JSON-safe Python values."""
    if isinstance(value, numpy.datetime64):
        ns = (value.astype("datetime64[ns]") - _EPOCH_NS).astype("int64")
        return int(ns) // 1000
    if isinstance(value, numpy.timedelta64):
        return float(utils.timespan_total_seconds(value))
    if isinstance(value, (bool, numpy.bool_)):
        return bool(value)
    if isinstance(value, (int, numpy.integer)):
        return int(value)
    if isinstance(value, (float, numpy.floating)):
        value = float(value)
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return value
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, numpy.ndarray)):
        return [jsonable(v) for v in value]
    if value is None or isinstance(value, str):
        return value
    return str(value)


def point(timestamp, granularity, value):
    return [jsonable(timestamp), jsonable(granularity), jsonable(value)]


class Case(object):
    def __init__(self, case, basepath):
        self.case = case
        conf = types.SimpleNamespace(file_basepath=basepath,
                                     file_subdir_len=2)
        self.storage = file_storage.FileStorage(conf)
        self.storage.upgrade()
        self.metrics = {}
        self.names_by_id = {}

    # -- helpers -----------------------------------------------------------

    def metric_id(self, name):
        return str(uuid.uuid5(_NAMESPACE, name))

    def denamify(self, text):
        """Replace metric UUIDs by the case's metric names in a string."""
        return _UUID_RE.sub(
            lambda m: self.names_by_id.get(m.group(0), m.group(0)), text)

    def error(self, exc):
        return {"error": "%s: %s" % (type(exc).__name__,
                                     self.denamify(str(exc)))}

    # -- building ----------------------------------------------------------

    @staticmethod
    def build_policy(name, spec):
        definition = []
        for item in spec.get("definition", []):
            kwargs = {}
            for key in ("granularity", "timespan", "points"):
                if item.get(key) is not None:
                    kwargs[key] = item[key]
            if "granularity" in kwargs:
                kwargs["granularity"] = utils.to_timespan(
                    kwargs["granularity"])
            if "timespan" in kwargs:
                kwargs["timespan"] = utils.to_timespan(kwargs["timespan"])
            definition.append(archive_policy.ArchivePolicyItem(**kwargs))
        return archive_policy.ArchivePolicy(
            name, int(spec.get("back_window", 0)), definition,
            spec.get("aggregation_methods"))

    def ingest(self):
        errors = {}
        for name, spec in self.case.get("metrics", {}).items():
            mid = self.metric_id(name)
            self.names_by_id[mid] = name
            try:
                policy = self.build_policy("policy-" + name,
                                           spec.get("policy", {}))
            except Exception as e:
                errors.setdefault(name, []).append(self.error(e)["error"])
                continue
            metric = indexer.Metric(uuid.UUID(mid), policy, name=name)
            self.metrics[name] = metric
            for batch in spec.get("batches", []):
                if not batch:
                    # metricd never processes an empty set of measures
                    continue
                try:
                    timestamps = numpy.array(
                        [int(p[0]) for p in batch], dtype="int64"
                    ).astype("datetime64[us]").astype("datetime64[ns]")
                    values = [to_float(p[1]) for p in batch]
                    measures = carbonara.make_timeseries(timestamps, values)
                    self.storage.add_measures_to_metrics({metric: measures})
                except Exception as e:
                    errors.setdefault(name, []).append(
                        self.error(e)["error"])
        return errors

    # -- reads -------------------------------------------------------------

    def read(self, spec):
        name = spec["metric"]
        if name not in self.metrics:
            raise indexer.NoSuchMetric(name)
        metric = self.metrics[name]
        method = spec.get("method", "mean")
        policy = metric.archive_policy

        granularity = spec.get("granularity")
        if granularity is None:
            granularities = [d.granularity for d in policy.definition]
        elif isinstance(granularity, list):
            granularities = [utils.to_timespan(g) for g in granularity]
        else:
            granularities = [utils.to_timespan(granularity)]

        resample = spec.get("resample")
        if resample is not None:
            resample = seconds_to_timespan(resample)

        # Same checks as gnocchi.rest.api.MetricController.get_measures
        if method not in policy.aggregation_methods:
            raise storage.AggregationDoesNotExist(
                metric, method, granularities[0])
        aggregations = []
        for g in sorted(granularities, reverse=True):
            agg = policy.get_aggregation(method, g)
            if agg is None:
                raise storage.AggregationDoesNotExist(metric, method, g)
            aggregations.append(agg)

        try:
            results = self.storage.get_aggregated_measures(
                {metric: aggregations},
                us_to_datetime64(spec.get("from")),
                us_to_datetime64(spec.get("to")),
                resample)[metric]
        except storage.MetricDoesNotExist:
            # No measure was ever processed for this metric: the REST API
            # answers with an empty list.
            return []
        return [point(timestamp, results[key].aggregation.granularity, value)
                for key in sorted(results.keys(), reverse=True)
                for timestamp, value in results[key]]

    # -- aggregates --------------------------------------------------------

    def _rename_references(self, node):
        """Replace metric names by metric ids in a validated tree."""
        if not isinstance(node, list):
            return node
        if node and node[0] == "metric":
            if isinstance(node[1], list):
                # ["metric", [NAME, AGG], [NAME, AGG], ...]
                return [node[0]] + [[self._id_for(sub[0])] + list(sub[1:])
                                    for sub in node[1:]]
            # ["metric", NAME, AGG]
            return [node[0], self._id_for(node[1])] + list(node[2:])
        return [self._rename_references(sub) for sub in node]

    def _id_for(self, name):
        if name not in self.metrics:
            raise indexer.NoSuchMetric(name)
        return str(self.metrics[name].id)

    def aggregate(self, spec):
        aggregates_api, rest_api = _rest_modules()

        # Same validation/coercion as the REST layer (POST /v1/aggregates)
        operations = aggregates_api.OperationsSchema(spec["operations"])
        operations = self._rename_references(operations)
        references = aggregates_api.extract_references(operations)
        if not references:
            raise ValueError("At least one 'metric' is required")
        metrics_by_ids = {str(m.id): m for m in self.metrics.values()}
        references = [processor.MetricReference(metrics_by_ids[m], a)
                      for (m, a) in references]

        granularities = spec.get("granularities")
        if granularities is not None:
            if not isinstance(granularities, list):
                granularities = [granularities]
            granularities = [utils.to_timespan(g) for g in granularities]

        needed_overlap = spec.get("needed_overlap", 100.0)
        needed_overlap = (100.0 if needed_overlap is None
                          else float(needed_overlap))

        fill = spec.get("fill")
        if fill is not None:
            fill = rest_api.FillSchema(fill)

        result = processor.get_measures(
            self.storage, references, operations,
            us_to_datetime64(spec.get("from")),
            us_to_datetime64(spec.get("to")),
            granularities, needed_overlap, fill)

        if "aggregated" in result:
            return {"aggregated": [point(*p) for p in result["aggregated"]]}
        return {
            self.names_by_id.get(str(name), str(name)): {
                method: [point(*p) for p in measures]
                for method, measures in methods.items()
            }
            for name, methods in result.items()
        }

    # -- driver ------------------------------------------------------------

    def run(self):
        output = {"ingest_errors": self.ingest(), "reads": [],
                  "aggregates": []}
        for spec in self.case.get("reads", []):
            try:
                output["reads"].append(self.read(spec))
            except Exception as e:
                output["reads"].append(self.error(e))
        for spec in self.case.get("aggregates", []):
            try:
                output["aggregates"].append(self.aggregate(spec))
            except Exception as e:
                output["aggregates"].append(self.error(e))
        return output


def main():
    data = json.load(sys.stdin)
    tmpdir = tempfile.mkdtemp(prefix="gnocchi-oracle-")
    try:
        if isinstance(data, list):
            out = []
            for i, case in enumerate(data):
                out.append(Case(case, "%s/case%d" % (tmpdir, i)).run())
        else:
            out = Case(data, tmpdir + "/case").run()
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
    json.dump(jsonable(out), sys.stdout, allow_nan=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
