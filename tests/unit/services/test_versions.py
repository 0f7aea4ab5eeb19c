"""services/versions.py: which fields each kind of version may change (訂正: the project name;
変更: amounts and the period end; 取消: none), and that a new project name can be printed."""

from __future__ import annotations

import pytest

from chalicelib.domain.errors import ValidationFailed
from chalicelib.services import versions


@pytest.mark.parametrize(
    ("kind", "changes", "field"),
    [
        ("change", {}, "changes"),
        ("correction", {"guarantee_amount": 1}, "changes.guarantee_amount"),
        ("correction", {"project_name": "𠮷野家改修工事"}, "changes.project_name"),
    ],
)
def test_changes_a_kind_cannot_make_are_refused_on_their_field(kind, changes, field):
    with pytest.raises(ValidationFailed) as refused:
        versions.validate_changes(kind, changes)
    assert field in [e.field for e in refused.value.errors]


@pytest.mark.parametrize(
    ("kind", "changes"),
    [
        ("correction", {"project_name": "新しい工事名"}),
        ("change", {"guarantee_amount": 18000000, "period_end": "2028-01-31"}),
        ("cancellation", {}),
    ],
)
def test_changes_a_kind_may_make_pass(kind, changes):
    versions.validate_changes(kind, changes)
