"""Prices usage points with CloudKitty's own hashmap module (HashMap.process), over the
rules in the database of a CloudKitty from test/cloudkitty/up.sh, for tally's pricing
differential test (test/diff/cloudkitty-hashmap-pricing.test.ts).

    /usr/bin/python3 test/cloudkitty/price.py CLOUDKITTY_CONF POINTS_JSON

points.json: a list of {"tenant": project id or null, "service", "qty" (a decimal
string), "groupby": {..}, "metadata": {..}}. Prints a JSON list: for each point, the
price as str(Decimal), or {"error": exception class} when CloudKitty fails on it.
One HashMap per project, as the processor has one per scope.
"""
import datetime
import json
import sys

from oslo_config import cfg

from cloudkitty import config  # noqa: registers the options


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    cfg.CONF(['--config-file', sys.argv[1]], project='cloudkitty')
    # imported once the configuration is loaded: the module opens the database on import
    from cloudkitty import dataframe
    from cloudkitty.rating.hash import HashMap

    start = datetime.datetime(2026, 11, 2, tzinfo=datetime.timezone.utc)
    end = start + datetime.timedelta(hours=1)
    modules = {}
    out = []
    with open(sys.argv[2]) as f:
        cases = json.load(f)
    for case in cases:
        tenant = case["tenant"]
        if tenant not in modules:
            modules[tenant] = HashMap(tenant_id=tenant)
        point = dataframe.DataPoint("undef", case["qty"], 0, case["groupby"], case["metadata"])
        frame = dataframe.DataFrame(start=start, end=end, usage={case["service"]: [point]})
        try:
            rated = modules[tenant].process(frame)
            out.append(str([p for _, p in rated.iterpoints()][0].price))
        except Exception as e:  # noqa: the failure is part of the answer
            out.append({"error": type(e).__name__})
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
