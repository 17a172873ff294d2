"""Records what the real CloudKitty 17 API answers to a fixed list of requests on its
rating modules and the hashmap module's configuration, for tally's differential test
(test/diff/cloudkitty-hashmap-api.test.ts): test/fixtures/cloudkitty/recorded.json.

    /usr/bin/python3 test/cloudkitty/record.py CK_URL CK_POLICY_URL [OUT]

CK_URL is an empty CloudKitty from test/cloudkitty/up.sh (noauth: no policy is
checked); CK_POLICY_URL another one started with CK_POLICY=enforce (the identity
from the X-Roles / X-Project-Id headers, CloudKitty's policies applied), for the
answers a member gets. The script sends the requests in order and writes, for each:
the instance, method, path, identity and content headers, request body, status,
Content-Type and Location, and the response body (parsed when it is JSON).

Paths and bodies are templates: "{{name}}" stands for an id known only at run time
(the services, fields, groups, mappings and thresholds created before); "values"
maps each name to what it was in this recording. A replay substitutes its own ids.
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

IDENTITIES = {
    "admin": {"X-User-Id": "ad0000000000400080000000000000e1",
              "X-Project-Id": "ad0000000000400080000000000000f1", "X-Roles": "admin"},
    "alice": {"X-User-Id": "a11ce000000040008000000000000001",
              "X-Project-Id": "a11ce0000000400080000000000000a1", "X-Roles": "member,reader"},
}
# a project with mappings of its own
PROJECT = "7977999e2e2511e6a8b2df30b233ffcb"
UNKNOWN = "6a1b2c3d-0000-4000-8000-000000000000"
HASHMAP = "/v1/rating/module_config/hashmap"


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
    def __init__(self, urls):
        self.urls = {k: v.rstrip("/") for k, v in urls.items()}
        self.values = {}
        self.exchanges = []

    def __call__(self, name, method, path, who="admin", body=None, raw_body=None,
                 save=None, instance="noauth", accept="application/json"):
        headers = dict(IDENTITIES[who]) if who else {}
        if accept:
            headers["Accept"] = accept
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(substitute(body, self.values))
        elif raw_body is not None:
            headers["Content-Type"] = "application/json"
            data = raw_body
        r = requests.request(method, self.urls[instance] + substitute(path, self.values),
                             headers=headers, data=data, timeout=TIMEOUT, allow_redirects=False)
        try:
            response = r.json()
        except ValueError:
            response = r.text
        entry = {"name": name, "instance": instance, "method": method, "path": path,
                 "headers": headers}
        if body is not None:
            entry["body"] = body
        elif raw_body is not None:
            entry["raw_body"] = raw_body
        entry["status"] = r.status_code
        entry["response_headers"] = {k: r.headers[k] for k in ("Content-Type", "Location")
                                     if k in r.headers}
        entry["response"] = response
        self.exchanges.append(entry)
        print("%3d %-6s %-60s %s" % (r.status_code, method, path[:60], name), file=sys.stderr)
        if save:
            if r.status_code != 201:
                sys.exit("record.py: %s was expected to create something: %d %s"
                         % (name, r.status_code, r.text))
            key = save.split(":")[0] + "_id"
            self.values[save] = response[key]
        return response


def package_version(name):
    try:
        return subprocess.run(["dpkg-query", "-W", "-f=${Version}", name], capture_output=True,
                              text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    out = sys.argv[3] if len(sys.argv) == 4 else os.path.normpath(os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "cloudkitty", "recorded.json"))
    rec = Recorder({"noauth": sys.argv[1], "policy": sys.argv[2]})
    for url in rec.urls.values():
        existing = requests.get(url + HASHMAP + "/services", headers=IDENTITIES["admin"], timeout=TIMEOUT)
        existing.raise_for_status()
        if existing.json()["services"]:
            sys.exit("record.py: %s has hashmap services already; it needs an empty CloudKitty "
                     "(re-run test/cloudkitty/up.sh)" % url)
    H = HASHMAP

    # -- the rating modules
    rec("modules", "GET", "/v1/rating/modules")
    rec("module hashmap", "GET", "/v1/rating/modules/hashmap")
    rec("module noop", "GET", "/v1/rating/modules/noop")
    rec("module unknown", "GET", "/v1/rating/modules/nope")
    rec("module: set priority", "PUT", "/v1/rating/modules/hashmap",
        body={"module_id": "hashmap", "priority": 5})
    rec("module after priority", "GET", "/v1/rating/modules/hashmap")
    rec("module: disable", "PUT", "/v1/rating/modules/hashmap",
        body={"module_id": "hashmap", "enabled": False})
    rec("module after disable", "GET", "/v1/rating/modules/hashmap")
    rec("module: enable and priority", "PUT", "/v1/rating/modules/hashmap",
        body={"module_id": "hashmap", "enabled": True, "priority": 2})
    rec("modules after updates", "GET", "/v1/rating/modules")
    rec("module: PUT without module_id", "PUT", "/v1/rating/modules/hashmap", body={"priority": 3})
    rec("module: PUT with a bad priority", "PUT", "/v1/rating/modules/hashmap",
        body={"module_id": "hashmap", "priority": "high"})
    rec("module: PUT with a bad enabled", "PUT", "/v1/rating/modules/hashmap",
        body={"module_id": "hashmap", "enabled": "maybe"})
    rec("module: PUT unknown module", "PUT", "/v1/rating/modules/nope",
        body={"module_id": "nope", "enabled": True})
    rec("module: PUT with an unknown attribute", "PUT", "/v1/rating/modules/hashmap",
        body={"module_id": "hashmap", "colour": "red"})
    rec("module_config of noop", "GET", "/v1/rating/module_config/noop")
    rec("module_config of an unknown module", "GET", "/v1/rating/module_config/nope")
    rec("mapping types", "GET", H + "/types")

    # -- services
    rec("services, none yet", "GET", H + "/services")
    rec("create service compute", "POST", H + "/services", body={"name": "compute"}, save="service:compute")
    rec("create service volume", "POST", H + "/services", body={"name": "volume.size"}, save="service:volume")
    rec("create service image", "POST", H + "/services", body={"name": "image.size"}, save="service:image")
    rec("create service: duplicate", "POST", H + "/services", body={"name": "compute"})
    rec("create service: no name", "POST", H + "/services", body={})
    rec("create service: name null", "POST", H + "/services", body={"name": None})
    rec("create service: name not a string", "POST", H + "/services", body={"name": 42})
    rec("create service: unknown attribute", "POST", H + "/services", body={"name": "x", "colour": "red"})
    rec("create service: body not JSON", "POST", H + "/services", raw_body="{not json")
    rec("create service: body a list", "POST", H + "/services", raw_body="[1]")
    rec("create service: with an id", "POST", H + "/services",
        body={"name": "network", "service_id": UNKNOWN})
    rec("services", "GET", H + "/services")
    rec("service", "GET", H + "/services/{{service:compute}}")
    rec("service, trailing slash", "GET", H + "/services/{{service:compute}}/")
    rec("service unknown", "GET", H + "/services/" + UNKNOWN)
    rec("service: id not a uuid", "GET", H + "/services/123")

    # -- fields
    rec("create field flavor", "POST", H + "/fields",
        body={"service_id": "{{service:compute}}", "name": "flavor_name"}, save="field:flavor")
    rec("create field image", "POST", H + "/fields",
        body={"service_id": "{{service:compute}}", "name": "image_id"}, save="field:image")
    rec("create field volume type", "POST", H + "/fields",
        body={"service_id": "{{service:volume}}", "name": "volume_type"}, save="field:vtype")
    rec("create field: same name on another service", "POST", H + "/fields",
        body={"service_id": "{{service:image}}", "name": "flavor_name"}, save="field:imgflavor")
    rec("create field: duplicate", "POST", H + "/fields",
        body={"service_id": "{{service:compute}}", "name": "flavor_name"})
    rec("create field: unknown service", "POST", H + "/fields",
        body={"service_id": UNKNOWN, "name": "x"})
    rec("create field: no service", "POST", H + "/fields", body={"name": "x"})
    rec("create field: service id not a uuid", "POST", H + "/fields",
        body={"service_id": "compute", "name": "x"})
    rec("create field: no name", "POST", H + "/fields", body={"service_id": "{{service:compute}}"})
    rec("fields of a service", "GET", H + "/fields?service_id={{service:compute}}")
    rec("fields of a service without fields", "GET", H + "/fields?service_id={{service:image}}")
    rec("fields of an unknown service", "GET", H + "/fields?service_id=" + UNKNOWN)
    rec("fields without service_id", "GET", H + "/fields")
    rec("fields, service_id not a uuid", "GET", H + "/fields?service_id=compute")
    rec("field", "GET", H + "/fields/{{field:flavor}}")
    rec("field unknown", "GET", H + "/fields/" + UNKNOWN)
    rec("fields under the service's path", "GET", H + "/services/{{service:compute}}/fields")

    # -- groups
    rec("create group instance", "POST", H + "/groups", body={"name": "instance_rating"}, save="group:instance")
    rec("create group discount", "POST", H + "/groups", body={"name": "discount"}, save="group:discount")
    rec("create group: duplicate", "POST", H + "/groups", body={"name": "discount"})
    rec("create group: no name", "POST", H + "/groups", body={})
    rec("groups", "GET", H + "/groups")
    rec("group", "GET", H + "/groups/{{group:instance}}")
    rec("group unknown", "GET", H + "/groups/" + UNKNOWN)

    # -- mappings
    rec("service mapping, flat, cost as a string", "POST", H + "/mappings",
        body={"service_id": "{{service:volume}}", "cost": "0.002", "type": "flat"}, save="mapping:vflat")
    rec("service mapping, rate, cost as a number", "POST", H + "/mappings",
        body={"service_id": "{{service:volume}}", "cost": 0.9, "type": "rate"}, save="mapping:vrate")
    rec("service mapping, type defaults to flat", "POST", H + "/mappings",
        body={"service_id": "{{service:image}}", "cost": "0.00001"}, save="mapping:iflat")
    rec("service mapping as the client sends it (nulls)", "POST", H + "/mappings",
        body={"cost": "0.5", "value": None, "service_id": "{{service:compute}}", "group_id": None,
              "field_id": None, "tenant_id": None, "type": "flat"}, save="mapping:cflat")
    rec("service mapping of a project", "POST", H + "/mappings",
        body={"service_id": "{{service:compute}}", "cost": "0.8", "type": "rate", "tenant_id": PROJECT},
        save="mapping:cproject")
    rec("service mapping of a project: duplicate", "POST", H + "/mappings",
        body={"service_id": "{{service:compute}}", "cost": "0.7", "type": "rate", "tenant_id": PROJECT})
    rec("service mapping without project: a second one is accepted", "POST", H + "/mappings",
        body={"service_id": "{{service:image}}", "cost": "0.00002", "type": "flat"}, save="mapping:iflat2")
    rec("field mapping", "POST", H + "/mappings",
        body={"field_id": "{{field:flavor}}", "value": "m1.small", "cost": "0.25", "type": "flat"},
        save="mapping:small")
    rec("field mapping in a group", "POST", H + "/mappings",
        body={"field_id": "{{field:flavor}}", "value": "m1.large", "cost": "2", "type": "flat",
              "group_id": "{{group:instance}}"}, save="mapping:large")
    rec("field mapping, rate, of a project, in a group", "POST", H + "/mappings",
        body={"field_id": "{{field:flavor}}", "value": "m1.large", "cost": "0.5", "type": "rate",
              "group_id": "{{group:discount}}", "tenant_id": PROJECT}, save="mapping:largeproject")
    rec("field mapping of a project: duplicate value", "POST", H + "/mappings",
        body={"field_id": "{{field:flavor}}", "value": "m1.large", "cost": "0.6", "type": "rate",
              "tenant_id": PROJECT})
    rec("field mapping without project: duplicate value accepted", "POST", H + "/mappings",
        body={"field_id": "{{field:flavor}}", "value": "m1.small", "cost": "0.3"}, save="mapping:small2")
    rec("field mapping on a volume type", "POST", H + "/mappings",
        body={"field_id": "{{field:vtype}}", "value": "ssd", "cost": "2.5", "type": "rate"}, save="mapping:ssd")
    rec("field mapping, cost zero", "POST", H + "/mappings",
        body={"field_id": "{{field:vtype}}", "value": "hdd", "cost": 0, "type": "rate"}, save="mapping:hdd")
    rec("field mapping, negative cost", "POST", H + "/mappings",
        body={"field_id": "{{field:image}}", "value": "free", "cost": "-1.5"}, save="mapping:negative")
    rec("field mapping, tiny cost (exponent form)", "POST", H + "/mappings",
        body={"field_id": "{{field:image}}", "value": "tiny", "cost": "1e-7"}, save="mapping:tiny")
    rec("field mapping, cost with 30 decimals", "POST", H + "/mappings",
        body={"field_id": "{{field:image}}", "value": "long", "cost": "0.123456789012345678901234567895"},
        save="mapping:long")
    rec("field mapping, float cost 0.1", "POST", H + "/mappings",
        body={"field_id": "{{field:image}}", "value": "float", "cost": 0.1}, save="mapping:float")
    rec("field mapping, large cost", "POST", H + "/mappings",
        body={"field_id": "{{field:image}}", "value": "big", "cost": "999999999999.5"}, save="mapping:big")
    rec("mapping: cost too large for the column", "POST", H + "/mappings",
        body={"field_id": "{{field:image}}", "value": "huge", "cost": "1234567890123"})
    rec("mapping: cost not a number", "POST", H + "/mappings",
        body={"field_id": "{{field:image}}", "value": "x", "cost": "abc"})
    rec("mapping: cost a boolean", "POST", H + "/mappings",
        body={"field_id": "{{field:image}}", "value": "x", "cost": True})
    rec("mapping: no cost", "POST", H + "/mappings",
        body={"field_id": "{{field:image}}", "value": "x"})
    rec("mapping: both service and field", "POST", H + "/mappings",
        body={"service_id": "{{service:compute}}", "field_id": "{{field:flavor}}", "value": "x", "cost": "1"})
    rec("mapping: no parent", "POST", H + "/mappings", body={"cost": "1"})
    rec("mapping: value on a service", "POST", H + "/mappings",
        body={"service_id": "{{service:compute}}", "value": "x", "cost": "1"})
    rec("mapping: field mapping without value", "POST", H + "/mappings",
        body={"field_id": "{{field:flavor}}", "cost": "1"})
    rec("mapping: field mapping with an empty value", "POST", H + "/mappings",
        body={"field_id": "{{field:flavor}}", "value": "", "cost": "1"})
    rec("mapping: unknown type", "POST", H + "/mappings",
        body={"service_id": "{{service:compute}}", "cost": "1", "type": "percent"})
    rec("mapping: unknown service", "POST", H + "/mappings", body={"service_id": UNKNOWN, "cost": "1"})
    rec("mapping: unknown field", "POST", H + "/mappings", body={"field_id": UNKNOWN, "value": "x", "cost": "1"})
    rec("mapping: unknown group", "POST", H + "/mappings",
        body={"service_id": "{{service:compute}}", "cost": "1", "group_id": UNKNOWN, "tenant_id": "g"})
    rec("mapping: group id not a uuid", "POST", H + "/mappings",
        body={"service_id": "{{service:compute}}", "cost": "1", "group_id": "instance"})
    rec("mapping: value not a string", "POST", H + "/mappings",
        body={"field_id": "{{field:flavor}}", "value": 5, "cost": "1"})
    rec("mapping: unknown attribute", "POST", H + "/mappings",
        body={"service_id": "{{service:compute}}", "cost": "1", "level": 3})

    rec("mapping", "GET", H + "/mappings/{{mapping:large}}")
    rec("mapping unknown", "GET", H + "/mappings/" + UNKNOWN)
    rec("mappings without a filter", "GET", H + "/mappings")
    rec("mappings of a service", "GET", H + "/mappings?service_id={{service:compute}}")
    rec("mappings of a field", "GET", H + "/mappings?field_id={{field:flavor}}")
    rec("mappings of a group", "GET", H + "/mappings?group_id={{group:instance}}")
    rec("mappings of a field in a group", "GET", H + "/mappings?field_id={{field:flavor}}&group_id={{group:discount}}")
    rec("mappings of a field without group", "GET", H + "/mappings?field_id={{field:flavor}}&no_group=true")
    rec("mappings of a service and a field (the service wins)", "GET",
        H + "/mappings?service_id={{service:volume}}&field_id={{field:flavor}}")
    rec("mappings of a field, one project", "GET",
        H + "/mappings?field_id={{field:flavor}}&tenant_id=" + PROJECT + "&filter_tenant=true")
    rec("mappings of a field, tenant_id without filter_tenant", "GET",
        H + "/mappings?field_id={{field:flavor}}&tenant_id=" + PROJECT)
    rec("mappings of a field, no project", "GET", H + "/mappings?field_id={{field:flavor}}&filter_tenant=true")
    rec("mappings of an unknown service", "GET", H + "/mappings?service_id=" + UNKNOWN)
    rec("mappings: no_group not a boolean", "GET", H + "/mappings?field_id={{field:flavor}}&no_group=perhaps")
    rec("mappings: service_id not a uuid", "GET", H + "/mappings?service_id=compute")
    rec("mappings: unknown parameter", "GET", H + "/mappings?service_id={{service:compute}}&colour=red")
    rec("mappings under the service's path", "GET", H + "/services/{{service:volume}}/mappings")
    rec("group of a mapping", "GET", H + "/mappings/group?mapping_id={{mapping:large}}")
    rec("group of a mapping without group", "GET", H + "/mappings/group?mapping_id={{mapping:small}}")
    rec("group of a mapping, in the path", "GET", H + "/mappings/{{mapping:large}}/group")
    rec("mappings of a group (groups/mappings)", "GET", H + "/groups/mappings?group_id={{group:instance}}")
    rec("mappings of a group, in the path", "GET", H + "/groups/{{group:discount}}/mappings")
    rec("mappings of an unknown group", "GET", H + "/groups/mappings?group_id=" + UNKNOWN)

    # updates: the whole mapping, as the client sends it (a GET's answer, changed)
    rec("update mapping: cost", "PUT", H + "/mappings/{{mapping:small}}",
        body={"mapping_id": "{{mapping:small}}", "value": "m1.small", "type": "flat", "cost": "0.35",
              "service_id": None, "field_id": "{{field:flavor}}", "group_id": None, "tenant_id": None})
    rec("mapping after update", "GET", H + "/mappings/{{mapping:small}}")
    rec("mappings of a field after update (order)", "GET", H + "/mappings?field_id={{field:flavor}}")
    rec("update mapping as the client does (id in the body)", "PUT", H + "/mappings/",
        body={"mapping_id": "{{mapping:small2}}", "value": "m1.tiny", "type": "rate", "cost": "0.9",
              "service_id": None, "field_id": "{{field:flavor}}", "group_id": None, "tenant_id": None})
    rec("mapping after client update", "GET", H + "/mappings/{{mapping:small2}}")
    rec("update mapping: only the cost (type, value and project reset)", "PUT", H + "/mappings/{{mapping:cproject}}",
        body={"cost": "0.75"})
    rec("mapping after partial update", "GET", H + "/mappings/{{mapping:cproject}}")
    rec("update mapping: into a group", "PUT", H + "/mappings/{{mapping:vflat}}",
        body={"cost": "0.002", "group_id": "{{group:instance}}"})
    rec("mapping after group change", "GET", H + "/mappings/{{mapping:vflat}}")
    rec("update mapping: group null keeps the group", "PUT", H + "/mappings/{{mapping:vflat}}",
        body={"cost": "0.003", "group_id": None})
    rec("mapping after group null", "GET", H + "/mappings/{{mapping:vflat}}")
    rec("update mapping: field mapping without value", "PUT", H + "/mappings/{{mapping:large}}",
        body={"cost": "3"})
    rec("update mapping: value of another mapping of the project", "PUT", H + "/mappings/{{mapping:largeproject}}",
        body={"value": "m1.large", "cost": "0.4", "type": "rate", "tenant_id": PROJECT})
    rec("update mapping: onto an existing value of the project", "PUT", H + "/mappings/{{mapping:small}}",
        body={"value": "m1.large", "cost": "0.4", "type": "rate", "tenant_id": PROJECT})
    rec("update mapping: new service and field ignored", "PUT", H + "/mappings/{{mapping:ssd}}",
        body={"value": "ssd", "cost": "3", "type": "rate", "service_id": "{{service:compute}}",
              "field_id": "{{field:flavor}}"})
    rec("mapping after ignored parents", "GET", H + "/mappings/{{mapping:ssd}}")
    rec("update mapping: unknown group", "PUT", H + "/mappings/{{mapping:ssd}}",
        body={"value": "ssd", "cost": "3", "group_id": UNKNOWN})
    rec("update mapping: unknown", "PUT", H + "/mappings/" + UNKNOWN, body={"cost": "1"})
    rec("update mapping: no cost", "PUT", H + "/mappings/{{mapping:ssd}}", body={"value": "ssd"})
    rec("update mapping: bad type", "PUT", H + "/mappings/{{mapping:ssd}}",
        body={"value": "ssd", "cost": "1", "type": "percent"})
    rec("update mapping: empty body", "PUT", H + "/mappings/{{mapping:ssd}}", body={})
    rec("update mapping: no id", "PUT", H + "/mappings", body={"value": "ssd", "cost": "1"})

    # -- thresholds
    rec("service threshold", "POST", H + "/thresholds",
        body={"service_id": "{{service:volume}}", "level": "50", "cost": "0.9", "type": "rate"},
        save="threshold:v50")
    rec("service threshold, numbers", "POST", H + "/thresholds",
        body={"service_id": "{{service:volume}}", "level": 100, "cost": 5}, save="threshold:v100")
    rec("service threshold of a project", "POST", H + "/thresholds",
        body={"service_id": "{{service:volume}}", "level": "50", "cost": "0.8", "type": "rate",
              "tenant_id": PROJECT}, save="threshold:v50project")
    rec("service threshold of a project: duplicate level", "POST", H + "/thresholds",
        body={"service_id": "{{service:volume}}", "level": "50.0", "cost": "0.7", "type": "rate",
              "tenant_id": PROJECT})
    rec("service threshold without project: duplicate level accepted", "POST", H + "/thresholds",
        body={"service_id": "{{service:volume}}", "level": "50", "cost": "0.95", "type": "rate"},
        save="threshold:v50b")
    rec("field threshold in a group", "POST", H + "/thresholds",
        body={"field_id": "{{field:vtype}}", "level": "0.5", "cost": "1", "type": "flat",
              "group_id": "{{group:instance}}"}, save="threshold:vtype")
    rec("threshold, fractional level", "POST", H + "/thresholds",
        body={"service_id": "{{service:image}}", "level": "0.123456789", "cost": "1"}, save="threshold:frac")
    rec("threshold, negative level", "POST", H + "/thresholds",
        body={"service_id": "{{service:image}}", "level": "-3", "cost": "1"}, save="threshold:negative")
    rec("threshold: level too large", "POST", H + "/thresholds",
        body={"service_id": "{{service:image}}", "level": "1234567890123", "cost": "1"})
    rec("threshold: no level", "POST", H + "/thresholds",
        body={"service_id": "{{service:image}}", "cost": "1"})
    rec("threshold: level not a number", "POST", H + "/thresholds",
        body={"service_id": "{{service:image}}", "level": "ten", "cost": "1"})
    rec("threshold: no cost", "POST", H + "/thresholds",
        body={"service_id": "{{service:image}}", "level": "1"})
    rec("threshold: both parents", "POST", H + "/thresholds",
        body={"service_id": "{{service:image}}", "field_id": "{{field:vtype}}", "level": "1", "cost": "1"})
    rec("threshold: no parent", "POST", H + "/thresholds", body={"level": "1", "cost": "1"})
    rec("threshold: value given", "POST", H + "/thresholds",
        body={"service_id": "{{service:image}}", "level": "1", "cost": "1", "value": "x"})
    rec("threshold: unknown field", "POST", H + "/thresholds",
        body={"field_id": UNKNOWN, "level": "1", "cost": "1"})
    rec("threshold: unknown group", "POST", H + "/thresholds",
        body={"service_id": "{{service:image}}", "level": "2", "cost": "1", "group_id": UNKNOWN})
    rec("threshold: bad type", "POST", H + "/thresholds",
        body={"service_id": "{{service:image}}", "level": "2", "cost": "1", "type": "percent"})
    rec("threshold", "GET", H + "/thresholds/{{threshold:v50}}")
    rec("threshold unknown", "GET", H + "/thresholds/" + UNKNOWN)
    rec("thresholds without a filter", "GET", H + "/thresholds")
    rec("thresholds of a service", "GET", H + "/thresholds?service_id={{service:volume}}")
    rec("thresholds of a field", "GET", H + "/thresholds?field_id={{field:vtype}}")
    rec("thresholds of a group", "GET", H + "/thresholds?group_id={{group:instance}}")
    rec("thresholds of a service without group", "GET", H + "/thresholds?service_id={{service:volume}}&no_group=1")
    rec("thresholds of a service, one project", "GET",
        H + "/thresholds?service_id={{service:volume}}&tenant_id=" + PROJECT + "&filter_tenant=True")
    rec("thresholds of a service, no project", "GET", H + "/thresholds?service_id={{service:volume}}&filter_tenant=yes")
    rec("group of a threshold", "GET", H + "/thresholds/group?threshold_id={{threshold:vtype}}")
    rec("group of a threshold without group", "GET", H + "/thresholds/group?threshold_id={{threshold:v50}}")
    rec("thresholds of a group (groups/thresholds)", "GET", H + "/groups/thresholds?group_id={{group:instance}}")
    rec("update threshold", "PUT", H + "/thresholds/{{threshold:v100}}",
        body={"threshold_id": "{{threshold:v100}}", "level": "150", "type": "rate", "cost": "0.5",
              "service_id": "{{service:volume}}", "field_id": None, "group_id": "{{group:discount}}",
              "tenant_id": None})
    rec("threshold after update", "GET", H + "/thresholds/{{threshold:v100}}")
    rec("update threshold: only cost (level must be given)", "PUT", H + "/thresholds/{{threshold:v50project}}",
        body={"cost": "0.85"})
    rec("update threshold: level and cost", "PUT", H + "/thresholds/{{threshold:v50project}}",
        body={"level": "60", "cost": "0.85"})
    rec("threshold after partial update", "GET", H + "/thresholds/{{threshold:v50project}}")
    rec("update threshold: onto an existing level of the project", "PUT", H + "/thresholds/{{threshold:v50b}}",
        body={"level": "60", "cost": "1", "tenant_id": PROJECT})
    rec("update threshold: unknown", "PUT", H + "/thresholds/" + UNKNOWN, body={"level": "1", "cost": "1"})
    rec("thresholds of a service after updates", "GET", H + "/thresholds?service_id={{service:volume}}")

    # -- deletions and their cascades
    rec("delete group (mappings kept, without group)", "DELETE", H + "/groups/{{group:discount}}")
    rec("mapping of the deleted group", "GET", H + "/mappings/{{mapping:largeproject}}")
    rec("threshold of the deleted group", "GET", H + "/thresholds/{{threshold:v100}}")
    rec("groups after delete", "GET", H + "/groups")
    rec("delete group again", "DELETE", H + "/groups/{{group:discount}}")
    rec("delete group recursively", "DELETE", H + "/groups/{{group:instance}}?recursive=true")
    rec("mapping of the recursively deleted group", "GET", H + "/mappings/{{mapping:large}}")
    rec("threshold of the recursively deleted group", "GET", H + "/thresholds/{{threshold:vtype}}")
    rec("mappings of the flavor field after the group deletions", "GET", H + "/mappings?field_id={{field:flavor}}")
    rec("create group again", "POST", H + "/groups", body={"name": "discount"}, save="group:discount2")
    rec("delete group as the client does (body)", "DELETE", H + "/groups/",
        body={"group_id": "{{group:discount2}}", "recursive": False})
    rec("delete mapping", "DELETE", H + "/mappings/{{mapping:tiny}}")
    rec("delete mapping again", "DELETE", H + "/mappings/{{mapping:tiny}}")
    rec("delete mapping as the client does (body)", "DELETE", H + "/mappings/",
        body={"mapping_id": "{{mapping:float}}"})
    rec("delete threshold", "DELETE", H + "/thresholds/{{threshold:frac}}")
    rec("delete threshold again", "DELETE", H + "/thresholds/{{threshold:frac}}")
    rec("delete field (its mappings go)", "DELETE", H + "/fields/{{field:image}}")
    rec("mapping of the deleted field", "GET", H + "/mappings/{{mapping:long}}")
    rec("delete field again", "DELETE", H + "/fields/{{field:image}}")
    rec("delete field as the client does (body)", "DELETE", H + "/fields/",
        body={"field_id": "{{field:imgflavor}}"})
    rec("delete service (fields, mappings, thresholds go)", "DELETE", H + "/services/{{service:volume}}")
    rec("field of the deleted service", "GET", H + "/fields/{{field:vtype}}")
    rec("mapping of the deleted service", "GET", H + "/mappings/{{mapping:vrate}}")
    rec("threshold of the deleted service", "GET", H + "/thresholds/{{threshold:v50}}")
    rec("delete service again", "DELETE", H + "/services/{{service:volume}}")
    rec("delete service as the client does (body)", "DELETE", H + "/services/",
        body={"service_id": "{{service:image}}"})
    rec("delete service: id not a uuid", "DELETE", H + "/services/compute")
    rec("services at the end", "GET", H + "/services")
    rec("mappings of compute at the end", "GET", H + "/mappings?service_id={{service:compute}}")

    # -- who may: noauth lets anyone do anything; with the policies, a member may not
    rec("noauth: member lists services", "GET", H + "/services", who="alice")
    rec("noauth: member creates a group", "POST", H + "/groups", who="alice", body={"name": "by-alice"})
    rec("noauth: member lists modules", "GET", "/v1/rating/modules", who="alice")
    rec("policy: admin lists modules", "GET", "/v1/rating/modules", instance="policy")
    rec("policy: member lists modules", "GET", "/v1/rating/modules", who="alice", instance="policy")
    rec("policy: member gets a module", "GET", "/v1/rating/modules/hashmap", who="alice", instance="policy")
    rec("policy: member updates a module", "PUT", "/v1/rating/modules/hashmap", who="alice", instance="policy",
        body={"module_id": "hashmap", "priority": 3})
    rec("policy: member lists services", "GET", H + "/services", who="alice", instance="policy")
    rec("policy: member lists services (no Accept)", "GET", H + "/services", who="alice", instance="policy",
        accept=None)
    rec("policy: member creates a service", "POST", H + "/services", who="alice", instance="policy",
        body={"name": "x"})
    rec("policy: member gets mapping types", "GET", H + "/types", who="alice", instance="policy")
    rec("policy: admin lists services", "GET", H + "/services", instance="policy")
    rec("policy: no identity", "GET", H + "/services", who=None, instance="policy")

    doc = {
        "about": "What the real CloudKitty 17 API answered, recorded by test/cloudkitty/record.py "
                 "against two instances of test/cloudkitty/up.sh: 'noauth' (no policy checked) and "
                 "'policy' (CK_POLICY=enforce: identity from the headers, policies applied). Paths "
                 "and bodies are templates: {{name}} stands for values[name].",
        "recorded_at": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "versions": {"python3-cloudkitty": package_version("python3-cloudkitty")},
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
