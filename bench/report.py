"""Rows of the benchmark table, their statistics, the machine they ran on, and the table itself.

Each benchmark group returns `Row`s as JSON (it runs in its own interpreter, so
one group's imports and caches never flatter another's); `bench.__main__` joins
them into the one table that BENCHMARKS.md keeps.
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
from dataclasses import asdict, dataclass, field
from typing import Any


def summary(samples: list[float], unit: str = "ms") -> str:
    """median / p95 / min–max of timing samples, e.g. `12.3 ms (p95 15.1, 11.0–19.4, n=40)`."""
    if not samples:
        return "—"
    s = sorted(samples)
    p95 = s[min(len(s) - 1, round(0.95 * (len(s) - 1)))]
    return f"{statistics.median(s):.1f} {unit} (p95 {p95:.1f}, {s[0]:.1f}–{s[-1]:.1f}, n={len(s)})"


def median(samples: list[float]) -> float:
    return statistics.median(samples) if samples else float("nan")


@dataclass
class Row:
    figure: str
    goal: str
    value: str
    baseline: str = ""
    met: bool | None = None  # None: a figure with no goal of its own (context)
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Row:
        return cls(**data)


def machine() -> str:
    """One line naming the machine: CPU model, cores, load, Python — the figures mean nothing without it."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return (
        f"{cpu}; {os.cpu_count()} cores; load average {load} at the start; "
        f"Python {platform.python_version()} on {platform.system()} {platform.release()}"
    )


def git_revision() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True)
        dirty = subprocess.run(["git", "status", "--porcelain"], capture_output=True, text=True, check=True).stdout
        return out.stdout.strip() + (" (with uncommitted changes)" if dirty.strip() else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _mark(met: bool | None) -> str:
    return {True: "met", False: "**not met**", None: ""}[met]


def table(rows: list[Row]) -> str:
    """A Markdown table: readable in a terminal and in BENCHMARKS.md alike."""
    lines = ["| figure | goal | measured | baseline (same run) | | note |", "| --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        cells = [r.figure, r.goal, r.value, r.baseline, _mark(r.met), r.note]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines)
