"""The suite's scheduling depends on `xdist_group` marks being honoured under `--dist loadgroup`.

They keep the IAM recording on one worker (recorded once, not once per worker) and the heavy e2e
stacks one after the other (tests/e2e/conftest.py). pytest-xdist marks a grouped test by appending
`@group` to its node id; pytest 9.2 moved the id to another attribute and the marks were silently
ignored (every group split across both workers). This fails if that happens again.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.xdist_group("xdist-groups-check")


def test_a_grouped_test_carries_its_group_under_loadgroup(request):
    if not getattr(request.config.option, "loadgroup", False):  # set on each worker by pytest-xdist
        pytest.skip("only meaningful under `pytest -n N --dist loadgroup` (bin/test); this run is not distributed")
    assert request.node.nodeid.endswith("@xdist-groups-check"), request.node.nodeid
