#!/usr/bin/python3
"""Runs Gnocchi's gabbi files against a live server: `gabbi-run URL -- FILE...`.

Gnocchi runs its gabbits in-process (gnocchi/tests/functional/test_gabbi.py);
against a running server plain gabbi-run does, but for one YAML tag that
Gnocchi's fixtures register: `!AssertNAN` (aggregates-with-metric-ids.yaml),
a value equal to any NaN. This registers it and loads the files with the
unsafe loader the tag needs; every other argument is gabbi-run's own:

    /usr/bin/python3 test/gabbi/gabbi_run.py http://127.0.0.1:8041 -- FILE.yaml
"""
import math
import sys

import yaml
from gabbi import runner


class NaNMatcher(object):
    """Compares equal to NaN, as Gnocchi's AssertNAN does."""

    def __eq__(self, other):
        return isinstance(other, float) and math.isnan(other)

    def __ne__(self, other):
        return not self == other

    def __repr__(self):
        return "NaN"


yaml.add_constructor("!AssertNAN", lambda loader, node: NaNMatcher())

if __name__ == "__main__":
    if "--unsafe-yaml" not in sys.argv:
        sys.argv.insert(1, "--unsafe-yaml")
    runner.run()
