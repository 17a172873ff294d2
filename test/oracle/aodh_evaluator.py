#!/usr/bin/python3
# -*- encoding: utf-8 -*-
"""Aodh 15 alarm-evaluator oracle for tally.

Reads a JSON list of cases on stdin and prints a JSON list of results on
stdout, one per case, computed by the real Aodh code installed by Debian's
python3-aodh (/usr/lib/python3/dist-packages/aodh).  Nothing of the
evaluation logic is reimplemented here: only Aodh's outside world is
replaced.

* Gnocchi: the evaluators' gnocchiclient is a fake that answers
  metric.get_measures / aggregates.fetch with the case's points, or raises
  the gnocchiclient exception the case names, so Aodh's own _statistics
  maps it to its reason.
* storage, keystone, the notifier and the alarm-change notifier are fakes
  that record what Aodh's own Evaluator._refresh / _record_change do with
  them.
* each evaluator is built by its real __init__; only the constructors of
  those outside clients are swapped for the fakes.

Case kinds (all timestamps are integer microseconds since the epoch, UTC):

  {"kind": "threshold", "alarm": ALARM, "statistics": STATS}
  {"kind": "composite", "alarm": ALARM, "statistics": [STATS, ...]}
      ALARM = {"type", "state", "repeat_actions", "rule"}
      STATS = {"points": [[us, granularity, value], ...]}
            | {"error": "metric-not-found" | "resource-not-found"
                        | "not-found" | "error", "message": "..."}
      values may be the string "-0.0" (JSON has no negative zero);
      a composite's STATS are given per threshold leaf, depth-first left
      to right, and routed by what Aodh asks Gnocchi for.
  {"kind": "event", "alarm": ALARM, "event": WIRE}
      WIRE = Ceilometer's serialized event: {"message_id", "event_type",
      "generated", "traits": [[name, dtype, value]], "raw"}; float traits
      are made Python floats, as Ceilometer sends them.
  {"kind": "time", "now": us, "constraints": [{"name", "description",
      "start", "duration", "timezone"}]}

Results:

  threshold / composite / event:
    {"refresh": null | {"state", "reason", "reason_data", "always_record"},
     "refresh_calls": n,    # how many times _refresh was called (0 or 1)
     "recorded": bool,      # update_alarm + alarm change written
     "notified": bool,      # notifier.notify called
     "project": ...,        # event only: project_id Aodh loads alarms of
     "errors": [...]}       # exceptions Aodh caught and logged
  time: {"within": bool} or {"error": "..."}
  any case Aodh lets an exception escape from: {"error": "Class: message"}
"""

import datetime
import json
import logging
import sys
import types

from gnocchiclient import exceptions as gnocchi_exceptions
from oslo_utils import timeutils

import aodh.keystone_client
import aodh.queue
from aodh import evaluator as aodh_evaluator
from aodh.evaluator import composite as aodh_composite
from aodh.evaluator import event as aodh_event
from aodh.evaluator import gnocchi as aodh_gnocchi
from aodh.storage import models

EPOCH = datetime.datetime(1970, 1, 1)


def to_datetime(us):
    return EPOCH + datetime.timedelta(microseconds=us)


# ---------------------------------------------------------------- logging
# Aodh catches and logs some exceptions (_refresh, evaluate_events); they
# are collected per case so that the test can tell "Aodh decided nothing"
# from "Aodh failed".

class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.ERROR)
        self.errors = []

    def emit(self, record):
        if record.exc_info and record.exc_info[1] is not None:
            e = record.exc_info[1]
            self.errors.append('%s: %s' % (type(e).__name__, e))
        else:
            self.errors.append(record.getMessage())


COLLECT = _Collect()
logging.getLogger().addHandler(COLLECT)
logging.getLogger().setLevel(logging.ERROR)
# the handler above replaces logging's last-resort stderr output
logging.lastResort = None


# ---------------------------------------------------------------- fakes

class FakeNotifier(object):
    """Stands for aodh.queue.AlarmNotifier."""

    def __init__(self, conf=None):
        self.calls = []

    def notify(self, alarm, previous, reason, reason_data):
        self.calls.append((alarm.state, previous, reason, reason_data))


class FakeStorage(object):
    def __init__(self, alarms=()):
        self.alarms = list(alarms)
        self.updated = []
        self.changes = []
        self.get_alarms_calls = []

    def update_alarm(self, alarm):
        self.updated.append(alarm.state)
        return alarm

    def record_alarm_change(self, payload):
        self.changes.append(payload)

    def get_alarms(self, **kwargs):
        self.get_alarms_calls.append(kwargs)
        return list(self.alarms)


class FakeKeystone(object):
    user_id = 'evaluator-user'
    project_id = 'evaluator-project'


class FakeChangeNotifier(object):
    def info(self, ctxt, event_type, payload):
        pass


def stats_key_of_rule(rule):
    """What Aodh will ask Gnocchi for, for one threshold rule."""
    if rule['type'] == 'gnocchi_resources_threshold':
        return ('r', rule['metric'], rule['resource_id'])
    if rule['type'] == 'gnocchi_aggregation_by_metrics_threshold':
        return ('m', tuple(rule['metrics']))
    return ('q', rule['metric'], json.dumps(json.loads(rule['query']), sort_keys=True))


def to_float(v):
    # Gnocchi's JSON carries floats; "-0.0" is how the test sends -0.0
    return float(v)


class FakeGnocchi(object):
    """The gnocchiclient.v1 client surface Aodh's evaluators use."""

    def __init__(self, by_key):
        self.by_key = by_key
        self.metric = types.SimpleNamespace(get_measures=self._get_measures)
        self.aggregates = types.SimpleNamespace(fetch=self._fetch)

    def _answer(self, key):
        stats = self.by_key[key]
        if 'error' in stats:
            kind = stats['error']
            if kind == 'metric-not-found':
                raise gnocchi_exceptions.MetricNotFound(404)
            if kind == 'resource-not-found':
                raise gnocchi_exceptions.ResourceNotFound(404)
            if kind == 'not-found':
                raise gnocchi_exceptions.NotFound(404)
            raise Exception(stats['message'])
        # gnocchiclient converts timestamps to datetimes; values are floats
        return [(to_datetime(ts), float(g), to_float(v)) for ts, g, v in stats['points']]

    def _get_measures(self, metric, granularity, start, stop, resource_id,
                      aggregation):
        return self._answer(('r', metric, resource_id))

    def _fetch(self, operations, granularity, start, stop, needed_overlap,
               search=None, resource_type='generic'):
        if search is None:
            key = ('m', tuple(op[1] for op in operations[2:]))
        else:
            key = ('q', operations[2][1], json.dumps(search, sort_keys=True))
        # the aggregates API answers {"measures": {"aggregated": [...]}}
        return {'measures': {'aggregated': self._answer(key)}}


CURRENT_GNOCCHI = [None]

# Swap the constructors of Aodh's outside clients, so that the evaluators'
# own __init__ runs and wires the fakes in.
aodh.queue.AlarmNotifier = FakeNotifier
aodh.keystone_client.get_session = lambda conf: None
aodh_gnocchi.client = types.SimpleNamespace(
    Client=lambda *args, **kwargs: CURRENT_GNOCCHI[0])

CONF = types.SimpleNamespace(
    additional_ingestion_lag=0,
    record_history=True,
    event_alarm_cache_ttl=60,
    notifier_topic='alarming',
    service_credentials=types.SimpleNamespace(interface='public',
                                              region_name=None))

THRESHOLD_EVALUATORS = {
    'gnocchi_resources_threshold':
        aodh_gnocchi.GnocchiResourceThresholdEvaluator,
    'gnocchi_aggregation_by_metrics_threshold':
        aodh_gnocchi.GnocchiAggregationMetricsThresholdEvaluator,
    'gnocchi_aggregation_by_resources_threshold':
        aodh_gnocchi.GnocchiAggregationResourcesThresholdEvaluator,
}


def wire(ev, storage):
    """Connects an evaluator to the fakes; wraps _refresh to see its arguments."""
    ev.storage_conn = storage
    ev._ks_client = FakeKeystone()
    ev._alarm_change_notifier = FakeChangeNotifier()
    calls = []
    original = ev._refresh

    def refresh(alarm, state, reason, reason_data, always_record=False):
        calls.append({'state': state, 'reason': reason,
                      'reason_data': reason_data,
                      'always_record': always_record})
        return original(alarm, state, reason, reason_data, always_record)

    ev._refresh = refresh
    return calls


def api_rule(rule):
    """A threshold rule as Aodh's API stores it: the threshold is a float."""
    if isinstance(rule, dict) and len(rule) == 1 and list(rule)[0] in ('and', 'or'):
        key = list(rule)[0]
        return {key: [api_rule(r) for r in rule[key]]}
    if 'threshold' in rule:
        return dict(rule, threshold=float(rule['threshold']))
    return rule


def make_alarm(spec):
    now = to_datetime(1700000000000000)
    return models.Alarm(
        alarm_id='a1', type=spec['type'], enabled=True, name='a1',
        description='', timestamp=now, user_id='u1',
        project_id=spec.get('project_id', 'p1'), state=spec['state'],
        state_timestamp=now, state_reason='', ok_actions=['log://'],
        alarm_actions=['log://'], insufficient_data_actions=['log://'],
        repeat_actions=spec['repeat_actions'], rule=api_rule(spec['rule']),
        time_constraints=[], severity='low', evaluate_timestamp=None)


def leaves_of(rule):
    if isinstance(rule, dict) and len(rule) == 1 and list(rule)[0] in ('and', 'or'):
        out = []
        for r in rule[list(rule)[0]]:
            out.extend(leaves_of(r))
        return out
    return [rule]


def routing(rules, stats):
    by_key = {}
    for rule, s in zip(rules, stats):
        key = stats_key_of_rule(rule)
        if key in by_key and by_key[key] != s:
            raise ValueError('two leaves read %r with different data' % (key,))
        by_key[key] = s
    return by_key


def outcome(calls, storage, notifier):
    return {'refresh': calls[0] if calls else None,
            'refresh_calls': len(calls),
            'recorded': bool(storage.updated) and bool(storage.changes),
            'notified': bool(notifier.calls)}


# ---------------------------------------------------------------- kinds

def run_threshold(case):
    spec = case['alarm']
    rule = dict(spec['rule'], type=spec['type'])
    CURRENT_GNOCCHI[0] = FakeGnocchi(routing([rule], [case['statistics']]))
    ev = THRESHOLD_EVALUATORS[spec['type']](CONF)
    storage = FakeStorage()
    calls = wire(ev, storage)
    ev.evaluate(make_alarm(spec))
    return outcome(calls, storage, ev.notifier)


def run_composite(case):
    spec = case['alarm']
    CURRENT_GNOCCHI[0] = FakeGnocchi(
        routing(leaves_of(spec['rule']), case['statistics']))
    ev = aodh_composite.CompositeEvaluator(CONF)
    ev._threshold_evaluators = dict(
        (t, types.SimpleNamespace(obj=cls(CONF)))
        for t, cls in THRESHOLD_EVALUATORS.items())
    storage = FakeStorage()
    calls = wire(ev, storage)
    ev.evaluate(make_alarm(spec))
    return outcome(calls, storage, ev.notifier)


def run_event(case):
    spec = case['alarm']
    alarm = make_alarm(spec)
    message = dict(case['event'])
    # Ceilometer publishes float traits as Python floats (3.0, not 3)
    message['traits'] = [[n, t, float(v) if t == 3 else v]
                         for n, t, v in message['traits']]
    ev = aodh_event.EventAlarmEvaluator(CONF)
    storage = FakeStorage([alarm])
    calls = wire(ev, storage)
    # the full entry point: Event wrapping, the project's alarms (from the
    # fake storage), _evaluate_alarm and its exception handling
    ev.evaluate_events([message])
    result = outcome(calls, storage, ev.notifier)
    result['project'] = (storage.get_alarms_calls[0]['project_id']
                         if storage.get_alarms_calls else None)
    return result


def run_time(case):
    timeutils.set_time_override(to_datetime(case['now']))
    try:
        alarm = types.SimpleNamespace(time_constraints=case['constraints'])
        return {'within': aodh_evaluator.Evaluator.within_time_constraint(alarm)}
    finally:
        timeutils.clear_time_override()


RUN = {'threshold': run_threshold, 'composite': run_composite,
       'event': run_event, 'time': run_time}


def main():
    cases = json.load(sys.stdin)
    results = []
    for case in cases:
        del COLLECT.errors[:]
        try:
            result = RUN[case['kind']](case)
            if 'within' not in result:
                result['errors'] = list(COLLECT.errors)
        except Exception as e:
            result = {'error': '%s: %s' % (type(e).__name__, e)}
        results.append(result)
    json.dump(results, sys.stdout, allow_nan=False)


if __name__ == '__main__':
    main()
