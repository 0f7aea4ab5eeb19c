"""The surety company's branches: where applications go and whose code starts a number."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Branch:
    branch_id: str
    name: str
    code: str  # 3 digits: the first part of a 保証契約番号
    address: str
    phone: str


BRANCHES: dict[str, Branch] = {
    "ibaraki": Branch("ibaraki", "茨城支店", "300", "茨城県水戸市三の丸1丁目5番38号", "029-221-3800"),
}


def branch(branch_id: str) -> Branch | None:
    return BRANCHES.get(branch_id)
