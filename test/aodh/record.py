"""Records what the real Aodh API answers to a fixed list of requests, for tally's
differential tests: test/fixtures/aodh/recorded.json.

    /usr/bin/python3 test/aodh/record.py AODH_URL GNOCCHI_URL [OUT]

AODH_URL is an empty Aodh from test/aodh/up.sh whose AODH_GNOCCHI_URL is GNOCCHI_URL
(a Gnocchi from test/gnocchi/up.sh: basic auth, user admin). The script first creates
in Gnocchi what the alarms refer to (a generic resource with a cpu_util metric, one
more metric), then sends the requests in order and writes, for each: method, path,
identity and content headers, request body, status, Content-Type and Location,
response body (parsed when it is JSON).

Paths and bodies are stored as templates: "{{name}}" stands for a value known only at
run time (the Gnocchi resource and metric ids, the ids of the alarms created before);
"values" maps each name to what it was in this recording. A replay substitutes its
own values, and normalises ids and timestamps on both sides before it compares.
Run with Debian's /usr/bin/python3 (python3-requests).
"""
import datetime
import json
import os
import re
import subprocess
import sys

import requests

TIMEOUT = 30

# Identities sent as X-User-Id / X-Project-Id / X-Roles (auth_mode noauth).
# Keystone-like ids (32 hex digits), fixed so that a replay sends the same.
IDENTITIES = {
    "admin": {"X-User-Id": "ad0000000000400080000000000000e1",
              "X-Project-Id": "ad0000000000400080000000000000f1", "X-Roles": "admin"},
    "alice": {"X-User-Id": "a11ce000000040008000000000000001",
              "X-Project-Id": "a11ce0000000400080000000000000a1", "X-Roles": "member,reader"},
    "bob": {"X-User-Id": "b0b00000000040008000000000000002",
            "X-Project-Id": "b0b000000000400080000000000000b2", "X-Roles": "member,reader"},
}
RESOURCE_ID = "6868da77-fa82-4e67-aba9-270c5ae8cbca"


def substitute(template, values):
    """Replaces {{name}} in every string of a JSON-like template."""
    if isinstance(template, str):
        return re.sub(r"\{\{([^{}]+)\}\}", lambda m: values[m.group(1)], template)
    if isinstance(template, list):
        return [substitute(t, values) for t in template]
    if isinstance(template, dict):
        return {k: substitute(v, values) for k, v in template.items()}
    return template


class Recorder:
    def __init__(self, aodh_url):
        self.url = aodh_url.rstrip("/")
        self.values = {}
        self.exchanges = []

    def __call__(self, name, method, path, who="admin", body=None, raw_body=None,
                 save=None, oracle_issue=None):
        headers = dict(IDENTITIES[who]) if who else {}
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(substitute(body, self.values))
        elif raw_body is not None:
            headers["Content-Type"] = "application/json"
            data = raw_body
        r = requests.request(method, self.url + substitute(path, self.values),
                             headers=headers, data=data, timeout=TIMEOUT)
        try:
            response = r.json()
        except ValueError:
            response = r.text
        entry = {"name": name, "method": method, "path": path, "headers": headers}
        if body is not None:
            entry["body"] = body
        elif raw_body is not None:
            entry["raw_body"] = raw_body
        entry["status"] = r.status_code
        entry["response_headers"] = {k: r.headers[k] for k in ("Content-Type", "Location")
                                     if k in r.headers}
        entry["response"] = response
        if oracle_issue:
            entry["oracle_issue"] = oracle_issue
        self.exchanges.append(entry)
        print("%3d %-6s %-40s %s" % (r.status_code, method, path[:40], name), file=sys.stderr)
        if save:
            if r.status_code != 201:
                sys.exit("record.py: %s was expected to create an alarm: %d %s"
                         % (name, r.status_code, r.text))
            self.values[save] = response["alarm_id"]
        return response


def gnocchi_setup(gnocchi_url):
    """The Gnocchi side: a generic resource (alice's project) with a cpu_util metric,
    and a metric of its own. Reuses the resource when it exists already."""
    g = requests.Session()
    g.auth = ("admin", "")
    g.headers["Accept"] = "application/json"
    base = gnocchi_url.rstrip("/")
    r = g.post(base + "/v1/resource/generic", timeout=TIMEOUT, json={
        "id": RESOURCE_ID,
        "project_id": IDENTITIES["alice"]["X-Project-Id"],
        "user_id": IDENTITIES["alice"]["X-User-Id"],
        "metrics": {"cpu_util": {"archive_policy_name": "low"}}})
    if r.status_code == 409:
        r = g.get(base + "/v1/resource/generic/" + RESOURCE_ID, timeout=TIMEOUT)
    r.raise_for_status()
    cpu = r.json()["metrics"]["cpu_util"]
    r = g.post(base + "/v1/metric", timeout=TIMEOUT,
               json={"archive_policy_name": "low", "name": "disk.usage"})
    r.raise_for_status()
    return {"resource_id": RESOURCE_ID, "metric_id": cpu, "metric_id_2": r.json()["id"]}


def package_version(name):
    try:
        return subprocess.run(["dpkg-query", "-W", "-f=${Version}", name], capture_output=True,
                              text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None


def threshold_rule(**extra):
    rule = {"metric": "cpu_util", "resource_id": "{{resource_id}}", "resource_type": "generic",
            "threshold": 80, "aggregation_method": "mean"}
    rule.update(extra)
    return rule


def res_alarm(name="bad", **rule):
    return {"name": name, "type": "gnocchi_resources_threshold",
            "gnocchi_resources_threshold_rule": threshold_rule(**rule)}


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    aodh_url, gnocchi_url = sys.argv[1], sys.argv[2]
    out = sys.argv[3] if len(sys.argv) == 4 else os.path.normpath(os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "aodh", "recorded.json"))
    rec = Recorder(aodh_url)
    existing = requests.get(rec.url + "/v2/alarms?q.field=all_projects&q.value=true",
                            headers=IDENTITIES["admin"], timeout=TIMEOUT)
    existing.raise_for_status()
    if existing.json():
        sys.exit("record.py: %s has alarms already; it needs an empty Aodh (re-run test/aodh/up.sh)"
                 % aodh_url)
    rec.values.update(gnocchi_setup(gnocchi_url))
    alice_project = IDENTITIES["alice"]["X-Project-Id"]

    # -- discovery, capabilities, quotas
    rec("versions", "GET", "/", who=None)
    rec("capabilities", "GET", "/v2/capabilities")
    # A project's first GET /v2/quotas stores the default (project_alarm_quota, -1), and
    # Aodh 15 then compares the user's alarm count with that -1: the project can create
    # no alarm any more. So: bob reads his quotas, admin gives alice's project a limit.
    rec("quotas of own project (bob; none set: the default is stored)", "GET", "/v2/quotas", who="bob")
    rec("bob creates an alarm after reading his quotas", "POST", "/v2/alarms", who="bob",
        body={"name": "bob-event", "type": "event", "event_rule": {}},
        oracle_issue="Aodh 15 bug: the stored default limit -1 counts as exceeded (alarms >= -1)")
    rec("admin reads alice's project quotas", "GET", "/v2/quotas?project_id=" + alice_project)
    rec("admin sets alice's project quota", "POST", "/v2/quotas",
        body={"project_id": alice_project, "quotas": [{"resource": "alarms", "limit": 20}]})
    rec("alice reads her quotas", "GET", "/v2/quotas", who="alice")
    rec("alice reads another project's quotas", "GET", "/v2/quotas?project_id=" + IDENTITIES["bob"]["X-Project-Id"],
        who="alice")
    rec("quota for an unknown resource", "POST", "/v2/quotas",
        body={"project_id": alice_project, "quotas": [{"resource": "instances", "limit": 1}]})
    rec("alice sets quotas", "POST", "/v2/quotas", who="alice",
        body={"project_id": alice_project, "quotas": [{"resource": "alarms", "limit": 100}]})

    # -- gnocchi_resources_threshold: full life cycle
    rec("create gnocchi_resources_threshold (every field)", "POST", "/v2/alarms", save="alarm:res",
        body={
            "name": "cpu-high", "description": "cpu above 80% for 3 minutes",
            "type": "gnocchi_resources_threshold", "severity": "moderate", "enabled": True,
            "repeat_actions": True,
            "alarm_actions": ["http://127.0.0.1:9/alarm", "log://"],
            "ok_actions": ["https://127.0.0.1:9/ok"],
            "insufficient_data_actions": ["log:"],
            "time_constraints": [{"name": "office", "start": "0 9 * * 1-5", "duration": 36000,
                                  "timezone": "Europe/Paris"},
                                 {"name": "night", "description": "nightly", "start": "0 23 * * *",
                                  "duration": 3600}],
            "gnocchi_resources_threshold_rule": threshold_rule(
                comparison_operator="gt", threshold=80.5, evaluation_periods=3, granularity=300),
        })
    rec("show", "GET", "/v2/alarms/{{alarm:res}}")
    rec("list (admin, own project)", "GET", "/v2/alarms")
    rec("update (PUT, whole alarm)", "PUT", "/v2/alarms/{{alarm:res}}", body={
        "name": "cpu-high", "type": "gnocchi_resources_threshold", "severity": "critical",
        "enabled": False, "state": "ok", "alarm_actions": ["http://127.0.0.1:9/alarm2"],
        "gnocchi_resources_threshold_rule": threshold_rule(threshold=90, aggregation_method="max",
                                                           comparison_operator="ge")})
    rec("show after update", "GET", "/v2/alarms/{{alarm:res}}")
    rec("set state", "PUT", "/v2/alarms/{{alarm:res}}/state", body="alarm")
    rec("get state", "GET", "/v2/alarms/{{alarm:res}}/state")
    rec("set the same state again", "PUT", "/v2/alarms/{{alarm:res}}/state", body="alarm")
    rec("set state: invalid", "PUT", "/v2/alarms/{{alarm:res}}/state", body="bogus")
    rec("history", "GET", "/v2/alarms/{{alarm:res}}/history")
    rec("history, filtered by type", "GET",
        "/v2/alarms/{{alarm:res}}/history?q.field=type&q.op=eq&q.value=state%20transition")
    rec("history, limit 1", "GET", "/v2/alarms/{{alarm:res}}/history?limit=1")

    # -- the other rule types
    rec("create gnocchi_aggregation_by_metrics_threshold", "POST", "/v2/alarms", save="alarm:metrics",
        body={"name": "metrics-max", "type": "gnocchi_aggregation_by_metrics_threshold",
              "gnocchi_aggregation_by_metrics_threshold_rule": {
                  "metrics": ["{{metric_id}}", "{{metric_id_2}}"], "threshold": 5,
                  "aggregation_method": "max", "comparison_operator": "lt"}})
    rec("create gnocchi_aggregation_by_resources_threshold (admin: query kept as is)", "POST", "/v2/alarms",
        save="alarm:resources-admin",
        body={"name": "resources-admin", "type": "gnocchi_aggregation_by_resources_threshold",
              "gnocchi_aggregation_by_resources_threshold_rule": {
                  "metric": "cpu_util", "resource_type": "generic", "threshold": 50,
                  "aggregation_method": "rate:mean",
                  "query": json.dumps({"=": {"project_id": alice_project}})}})
    rec("create gnocchi_aggregation_by_resources_threshold (member: query scoped to the project)",
        "POST", "/v2/alarms", who="alice", save="alarm:resources-alice",
        body={"name": "resources-alice", "type": "gnocchi_aggregation_by_resources_threshold",
              "gnocchi_aggregation_by_resources_threshold_rule": {
                  "metric": "cpu_util", "resource_type": "generic", "threshold": 50,
                  "aggregation_method": "mean", "granularity": 3600,
                  "query": json.dumps({"=": {"id": "{{resource_id}}"}})}})
    rec("create gnocchi_aggregation_by_resources_threshold (admin on behalf of alice's project)",
        "POST", "/v2/alarms", save="alarm:resources-behalf",
        body={"name": "resources-behalf", "type": "gnocchi_aggregation_by_resources_threshold",
              "project_id": alice_project, "user_id": IDENTITIES["alice"]["X-User-Id"],
              "gnocchi_aggregation_by_resources_threshold_rule": {
                  "metric": "cpu_util", "resource_type": "generic", "threshold": 50,
                  "aggregation_method": "mean", "query": json.dumps({"=": {"ended_at": None}})}})
    rec("create composite", "POST", "/v2/alarms", save="alarm:composite", body={
        "name": "composite", "type": "composite", "severity": "critical",
        "composite_rule": {"or": [
            {"type": "gnocchi_resources_threshold", "metric": "cpu_util",
             "resource_id": "{{resource_id}}", "resource_type": "generic", "threshold": 0.8,
             "aggregation_method": "last"},
            {"and": [
                {"type": "gnocchi_aggregation_by_metrics_threshold", "metrics": ["{{metric_id}}"],
                 "threshold": 1, "aggregation_method": "mean", "comparison_operator": "gt"},
                {"type": "gnocchi_aggregation_by_resources_threshold", "metric": "cpu_util",
                 "resource_type": "generic", "query": "{\"=\": {\"ended_at\": null}}",
                 "threshold": 2, "aggregation_method": "sum", "evaluation_periods": 2}]}]}})
    rec("create event (alice)", "POST", "/v2/alarms", who="alice", save="alarm:event", body={
        "name": "instance-deleted", "type": "event",
        "alarm_actions": ["http://127.0.0.1:9/event"],
        "event_rule": {"event_type": "compute.instance.delete.end",
                       "query": [{"field": "traits.instance_id", "op": "eq", "type": "string",
                                  "value": "{{resource_id}}"},
                                 {"field": "traits.state", "type": "", "value": "deleted"}]}})
    rec("create event with defaults (no rule fields)", "POST", "/v2/alarms", save="alarm:event-default",
        body={"name": "any-event", "type": "event", "event_rule": {}})
    rec("create with user_id/project_id/state given (admin)", "POST", "/v2/alarms", save="alarm:explicit",
        body={"name": "explicit", "type": "gnocchi_aggregation_by_metrics_threshold",
              "user_id": "someone", "project_id": "elsewhere", "state": "alarm",
              "state_reason": "ignored", "timestamp": "2020-01-01T00:00:00", "alarm_id": "ignored",
              "gnocchi_aggregation_by_metrics_threshold_rule": {
                  "metrics": ["{{metric_id}}"], "threshold": 1, "aggregation_method": "mean"}})

    # -- listing and querying
    rec("list (alice)", "GET", "/v2/alarms", who="alice")
    rec("list, all projects (admin)", "GET", "/v2/alarms?q.field=all_projects&q.op=eq&q.value=true")
    rec("list, filtered by type", "GET", "/v2/alarms?q.field=type&q.op=eq&q.value=composite")
    rec("list, filtered by project_id (admin)", "GET",
        "/v2/alarms?q.field=project_id&q.op=eq&q.value=" + alice_project)
    rec("list, sorted by name, limit 2", "GET", "/v2/alarms?sort=name:asc&limit=2")
    rec("list: field not allowed", "GET", "/v2/alarms?q.field=threshold&q.op=eq&q.value=1")
    rec("list: op not allowed", "GET", "/v2/alarms?q.field=name&q.op=gt&q.value=a")
    rec("list: other project (member)", "GET",
        "/v2/alarms?q.field=project_id&q.op=eq&q.value=" + IDENTITIES["bob"]["X-Project-Id"], who="alice")
    rec("list: all projects (member)", "GET", "/v2/alarms?q.field=all_projects&q.value=true", who="alice")
    rec("list: bad sort key", "GET", "/v2/alarms?sort=nope:asc")
    rec("list: limit 0 (no limit)", "GET", "/v2/alarms?limit=0")
    rec("list without identity headers", "GET", "/v2/alarms", who=None)
    rec("query alarms", "POST", "/v2/query/alarms", body={
        "filter": json.dumps({"or": [{"=": {"type": "composite"}},
                                     {"and": [{"=": {"severity": "critical"}}, {"!=": {"state": "ok"}}]}]}),
        "orderby": json.dumps([{"name": "desc"}]), "limit": 10})
    rec("query alarms, no body fields", "POST", "/v2/query/alarms", body={})
    rec("query alarms (alice)", "POST", "/v2/query/alarms", who="alice",
        body={"filter": json.dumps({"in": {"state": ["insufficient data", "alarm"]}})})
    rec("query alarms: unknown field", "POST", "/v2/query/alarms",
        body={"filter": json.dumps({"=": {"nope": 1}})})
    rec("query alarms: filter not JSON", "POST", "/v2/query/alarms", body={"filter": "{nope"})
    rec("query alarms: limit 0", "POST", "/v2/query/alarms", body={"limit": 0})
    rec("query alarms: bad orderby", "POST", "/v2/query/alarms", body={"orderby": json.dumps([{"name": "up"}])})
    rec("query alarm history", "POST", "/v2/query/alarms/history", body={
        "filter": json.dumps({"=": {"alarm_id": "{{alarm:res}}"}}), "orderby": json.dumps([{"timestamp": "asc"}])})

    # -- access control and missing alarms
    rec("show another project's alarm (member)", "GET", "/v2/alarms/{{alarm:res}}", who="bob")
    rec("show a missing alarm", "GET", "/v2/alarms/00000000-0000-4000-8000-000000000000")
    rec("member creates for another project", "POST", "/v2/alarms", who="alice",
        body=dict(res_alarm("for-bob"), project_id=IDENTITIES["bob"]["X-Project-Id"]))
    rec("member uses a log:// action", "POST", "/v2/alarms", who="alice",
        body=dict(res_alarm("log-action"), alarm_actions=["log://"]))

    # -- invalid inputs (POST /v2/alarms as admin)
    rec("invalid: comparison operator", "POST", "/v2/alarms", body=res_alarm(comparison_operator="gte"))
    missing = res_alarm()
    del missing["gnocchi_resources_threshold_rule"]["threshold"]
    rec("invalid: missing threshold", "POST", "/v2/alarms", body=missing)
    rec("invalid: threshold not a number", "POST", "/v2/alarms", body=res_alarm(threshold="high"))
    rec("invalid: severity", "POST", "/v2/alarms", body=dict(res_alarm(), severity="urgent"))
    rec("invalid: state", "POST", "/v2/alarms", body=dict(res_alarm(), state="broken"))
    rec("invalid: unknown type", "POST", "/v2/alarms", body={"name": "bad", "type": "nonexistent"})
    rec("invalid: type threshold (removed in Aodh 15)", "POST", "/v2/alarms", body={
        "name": "bad", "type": "threshold",
        "threshold_rule": {"meter_name": "cpu_util", "threshold": 1}})
    rec("invalid: no type", "POST", "/v2/alarms", body={"name": "bad"})
    rec("invalid: no name", "POST", "/v2/alarms",
        body={"type": "gnocchi_resources_threshold", "gnocchi_resources_threshold_rule": threshold_rule()})
    rec("invalid: rule missing", "POST", "/v2/alarms", body={"name": "bad", "type": "gnocchi_resources_threshold"})
    rec("invalid: two rules", "POST", "/v2/alarms", body=dict(res_alarm(), event_rule={"event_type": "x"}))
    rec("invalid: time constraint timezone", "POST", "/v2/alarms", body=dict(res_alarm(), time_constraints=[
        {"name": "tc", "start": "0 11 * * *", "duration": 300, "timezone": "Mars/Olympus_Mons"}]))
    rec("invalid: time constraint start (cron)", "POST", "/v2/alarms", body=dict(res_alarm(), time_constraints=[
        {"name": "tc", "start": "every day", "duration": 300}]))
    rec("invalid: time constraint names not unique", "POST", "/v2/alarms", body=dict(res_alarm(), time_constraints=[
        {"name": "tc", "start": "0 11 * * *", "duration": 300},
        {"name": "tc", "start": "0 12 * * *", "duration": 300}]))
    rec("invalid: time constraint negative duration", "POST", "/v2/alarms", body=dict(res_alarm(), time_constraints=[
        {"name": "tc", "start": "0 11 * * *", "duration": -1}]))
    rec("invalid: trust URL with a trust id", "POST", "/v2/alarms",
        body=dict(res_alarm(), alarm_actions=["trust+http://6b4e7a53b0e84bb7a1c2f2b4d9e0c111:delete@127.0.0.1:9/"]))
    rec("trust URL without a trust id (Aodh would create a Keystone trust)", "POST", "/v2/alarms",
        body=dict(res_alarm("trust"), alarm_actions=["trust+http://127.0.0.1:9/hook"]),
        oracle_issue="noauth: Aodh creates the trust with the caller's token from keystonemiddleware, "
                     "which noauth does not have: 500 instead of 201")
    rec("invalid: unsupported action scheme", "POST", "/v2/alarms",
        body=dict(res_alarm(), ok_actions=["ftp://127.0.0.1/upload"]))
    rec("invalid: aggregation method unknown to Gnocchi", "POST", "/v2/alarms", body=res_alarm(aggregation_method="avg"))
    rec("invalid: evaluation_periods 0", "POST", "/v2/alarms", body=res_alarm(evaluation_periods=0))
    rec("invalid: granularity 0", "POST", "/v2/alarms", body=res_alarm(granularity=0))
    rec("invalid: by_resources query not JSON", "POST", "/v2/alarms", body={
        "name": "bad", "type": "gnocchi_aggregation_by_resources_threshold",
        "gnocchi_aggregation_by_resources_threshold_rule": {
            "metric": "cpu_util", "resource_type": "generic", "threshold": 1,
            "aggregation_method": "mean", "query": "{not json"}})
    rec("invalid: by_resources query on an unknown attribute", "POST", "/v2/alarms", body={
        "name": "bad", "type": "gnocchi_aggregation_by_resources_threshold",
        "gnocchi_aggregation_by_resources_threshold_rule": {
            "metric": "cpu_util", "resource_type": "generic", "threshold": 1,
            "aggregation_method": "mean", "query": json.dumps({"=": {"flavor_id": "1"}})}},
        oracle_issue="Aodh 15 bug: Gnocchi 4.4 answers 400 with a string description, which Aodh "
             "indexes as a dict (TypeError): 500 instead of Gnocchi's 400")
    rec("invalid: by_metrics without metrics", "POST", "/v2/alarms", body={
        "name": "bad", "type": "gnocchi_aggregation_by_metrics_threshold",
        "gnocchi_aggregation_by_metrics_threshold_rule": {"threshold": 1, "aggregation_method": "mean"}})
    rec("invalid: composite with a bad key", "POST", "/v2/alarms", body={
        "name": "bad", "type": "composite", "composite_rule": {"xor": [threshold_rule(type="gnocchi_resources_threshold")]}})
    rec("invalid: composite sub-rule without type", "POST", "/v2/alarms", body={
        "name": "bad", "type": "composite", "composite_rule": {"or": [threshold_rule()]}})
    rec("invalid: composite sub-rule of type event", "POST", "/v2/alarms", body={
        "name": "bad", "type": "composite", "composite_rule": {"or": [{"type": "event", "event_type": "x"}]}})
    rec("invalid: event query op", "POST", "/v2/alarms", body={
        "name": "bad", "type": "event", "event_rule": {"query": [{"field": "traits.x", "op": "like", "value": "y"}]}})
    rec("invalid: event query type", "POST", "/v2/alarms", body={
        "name": "bad", "type": "event",
        "event_rule": {"query": [{"field": "traits.x", "op": "eq", "type": "blob", "value": "y"}]}})
    rec("invalid: event query without type", "POST", "/v2/alarms", body={
        "name": "bad", "type": "event", "event_rule": {"query": [{"field": "traits.x", "value": "y"}]}})
    rec("invalid: unknown attribute", "POST", "/v2/alarms", body=dict(res_alarm(), colour="red"))
    rec("invalid: body not JSON", "POST", "/v2/alarms", raw_body="{not json")
    rec("invalid: PUT without type", "PUT", "/v2/alarms/{{alarm:metrics}}", body={"name": "renamed"})
    rec("invalid: PUT with a bad severity", "PUT", "/v2/alarms/{{alarm:metrics}}", body={
        "name": "metrics-max", "type": "gnocchi_aggregation_by_metrics_threshold", "severity": "huge",
        "gnocchi_aggregation_by_metrics_threshold_rule": {
            "metrics": ["{{metric_id}}"], "threshold": 5, "aggregation_method": "max"}})

    # -- deletion
    rec("delete", "DELETE", "/v2/alarms/{{alarm:res}}")
    rec("show after delete", "GET", "/v2/alarms/{{alarm:res}}")
    rec("delete again", "DELETE", "/v2/alarms/{{alarm:res}}")
    rec("history after delete (admin)", "GET", "/v2/alarms/{{alarm:res}}/history")
    rec("query history of the deleted alarm", "POST", "/v2/query/alarms/history",
        body={"filter": json.dumps({"=": {"alarm_id": "{{alarm:res}}"}})})
    rec("delete (alice, her event alarm)", "DELETE", "/v2/alarms/{{alarm:event}}", who="alice")
    rec("list, all projects, at the end", "GET", "/v2/alarms?q.field=all_projects&q.op=eq&q.value=true")

    doc = {
        "about": "What the real Aodh API answered, recorded by test/aodh/record.py against "
                 "test/aodh/up.sh (auth_mode noauth, PostgreSQL, record_history) validating "
                 "gnocchi_* rules against test/gnocchi/up.sh. Paths and bodies are templates: "
                 "{{name}} stands for values[name].",
        "recorded_at": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "versions": {"python3-aodh": package_version("python3-aodh"),
                     "python3-gnocchi": package_version("python3-gnocchi")},
        "identities": IDENTITIES,
        "values": rec.values,
        "exchanges": rec.exchanges,
    }
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w") as f:
        json.dump(doc, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print("record.py: %d exchanges written to %s" % (len(rec.exchanges), out), file=sys.stderr)


if __name__ == "__main__":
    main()
