#!/usr/bin/python3
"""jsonpath-rw-ext oracle: the matches Ceilometer's JSONPath parser finds.

stdin:  {"cases": [{"expr": TEXT, "doc": JSON}, ...]}
stdout: [{"values": [...], "paths": [...]} or {"error": TEXT}, ...]
        paths are what Ceilometer's Definition._get_path joins with dots.
Runs Debian python3-jsonpath-rw-ext (Ceilometer's dependency) with the parser
class Ceilometer uses (declarative.Definition.JSONPATH_RW_PARSER).
"""
import json
import sys

from ceilometer import declarative


def path_of(match):
    # Definition._get_path, which only uses self to recurse
    steps = []
    while match.context is not None:
        steps.append(str(match.path))
        match = match.context
    return '.'.join(reversed(steps))


def main():
    # jsonpath-rw-ext's `sub` prints itself: keep stdout for the JSON
    out_stream, sys.stdout = sys.stdout, sys.stderr
    parser = declarative.Definition.JSONPATH_RW_PARSER
    parsed = {}  # PLY builds its tables on every parse: once per expression
    out = []
    for case in json.load(sys.stdin)["cases"]:
        try:
            expr = case["expr"]
            if expr not in parsed:
                try:
                    parsed[expr] = parser.parse(expr)
                except Exception as e:
                    parsed[expr] = e
            if isinstance(parsed[expr], Exception):
                raise parsed[expr]
            matches = parsed[expr].find(case["doc"])
            out.append({"values": [m.value for m in matches],
                        "paths": [path_of(m) for m in matches]})
        except Exception as e:  # parse errors and Python exceptions alike
            out.append({"error": "%s: %s" % (type(e).__name__, e)})
    json.dump(out, out_stream)


if __name__ == "__main__":
    main()
