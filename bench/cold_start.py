"""Cold start: how long `import app` takes in a fresh interpreter (median of N runs).

Run: .venv/bin/python bench/cold_start.py [runs]. Prints figures; asserts nothing.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def wall(code: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
    return (time.perf_counter() - started) * 1000


def main(runs: int) -> None:
    cases = {
        "python -c pass": "pass",
        "import app": "import app",
        "import app + first PDF import (fpdf)": "import app, fpdf",
    }
    print(f"{'case':40} {'median ms':>10} {'min ms':>8}  ({runs} runs)")
    for label, code in cases.items():
        samples = [wall(code) for _ in range(runs)]
        print(f"{label:40} {statistics.median(samples):10.1f} {min(samples):8.1f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 7)
