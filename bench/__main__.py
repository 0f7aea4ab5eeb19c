"""The one benchmark command: `bin/bench` (or `.venv/bin/python -m bench`) runs every benchmark and prints one table.

    bin/bench            # the full run (a few minutes on 2 busy cores)
    bin/bench --quick    # fewer samples, 2,000 instead of 10,000 guarantees: a smoke run
    bin/bench --write    # also put the table into BENCHMARKS.md between its markers

Each group runs in its own interpreter so one group's imports and caches never
flatter another's. Times are CPU time of the measuring thread or process unless
a row says wall: on a shared machine CPU time is what the code costs, wall time is
what the neighbours allowed. Prints figures; asserts nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
import time
from pathlib import Path

from bench.report import Row, git_revision, machine, table

ROOT = Path(__file__).resolve().parent.parent
GROUPS = (
    "bench.pdfs",
    "bench.signing",
    "bench.cold_start",
    "bench.cold_request",
    "bench.first_dynamodb_call",
    "bench.calls",
    "bench.verify_calls",
)
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"


def run_group(module: str, quick: bool) -> list[Row]:
    args = [sys.executable, "-m", module, "--json"] + (["--quick"] if quick else [])
    out = subprocess.run(args, cwd=ROOT, capture_output=True, text=True)
    if out.returncode != 0:
        tail = (out.stderr or out.stdout).strip().splitlines()[-1:] or ["no output"]
        return [Row(module, "", f"failed: {tail[0]}", met=False)]
    last = [line for line in out.stdout.splitlines() if line.startswith("[")][-1]
    return [Row.from_json(r) for r in json.loads(last)]


def report(quick: bool) -> str:
    started = time.perf_counter()
    when = dt.datetime.now(dt.UTC).astimezone().strftime("%Y-%m-%d %H:%M %Z")
    host = machine()
    rows: list[Row] = []
    for module in GROUPS:
        print(f"bench: {module} …", file=sys.stderr, flush=True)
        rows += run_group(module, quick)
    minutes = (time.perf_counter() - started) / 60
    met = sum(1 for r in rows if r.met is True)
    goals = sum(1 for r in rows if r.met is not None)
    return "\n".join(
        [
            f"Run {when}{' (--quick)' if quick else ''}, revision {git_revision()}, {minutes:.1f} min.",
            f"Machine: {host}.",
            "",
            table(rows),
            "",
            f"{met} of {goals} goals met. Times are CPU time unless marked wall; medians with p95 and min–max.",
        ]
    )


def write(text: str, path: Path = ROOT / "BENCHMARKS.md") -> None:
    doc = path.read_text(encoding="utf-8")
    block = f"{BEGIN}\n{text}\n{END}"
    pattern = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END), re.S)
    if not pattern.search(doc):
        raise SystemExit(f"bench: {path.name} has no {BEGIN} … {END} markers")
    path.write_text(pattern.sub(lambda _: block, doc), encoding="utf-8")


def main(argv: list[str]) -> int:
    text = report("--quick" in argv)
    print(text)
    if "--write" in argv:
        write(text)
        print("bench: BENCHMARKS.md updated", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
