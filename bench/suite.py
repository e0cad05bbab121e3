"""The default test suite's wall time, run as a developer runs it: plain `pytest` from the repository root.

    python bench/suite.py [--runs 3] [--serial] [-- PYTEST_ARGS...]

`pytest` there means pyproject.toml's options: pytest-xdist workers (-n auto, a worker per core), whole
files per worker. --serial also times one run in a single process (-n 0) in the same session, for the
ratio. The Hypothesis profile is the one pytest would load here: `dev` (30 examples), or `ci` (50) where
Hypothesis detects CI (CI=true and the like). The real MNIST must be findable (RNNCHECK_MNIST).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_suite(extra: list[str]) -> tuple[float, str]:
    """Wall seconds of one `pytest` run from the root, and pytest's summary line; exits if the suite fails."""
    start = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *extra],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - start
    lines = completed.stdout.strip().splitlines()
    summary = re.sub(r"=+", "", lines[-1]).strip() if lines else "(no output)"
    if completed.returncode != 0:
        sys.exit(f"the suite failed ({summary}):\n{completed.stdout[-3000:]}\n{completed.stderr[-2000:]}")
    return seconds, summary


def library_versions() -> str:
    backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    names = ("keras", backend, "numpy", "hypothesis", "pytest", "pytest-xdist")
    return ", ".join(f"{name} {importlib.metadata.version(name)}" for name in names)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="timed runs of the default suite (default 3)")
    parser.add_argument("--serial", action="store_true", help="also one run with -n 0, for the ratio")
    parser.add_argument("pytest_args", nargs="*", help="after --: passed to every pytest run")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error(f"--runs must be at least 1, got {args.runs}")
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"machine: {cores} cores; {library_versions()}")
    print(f"pytest {' '.join(args.pytest_args)} in {ROOT}".replace("  ", " "))
    walls = []
    for run in range(1, args.runs + 1):
        seconds, summary = run_suite(args.pytest_args)
        walls.append(seconds)
        print(f"run {run}: {seconds:.1f} s wall ({summary})")
    if args.runs > 1:
        print(f"over {args.runs} runs: {min(walls):.1f}-{max(walls):.1f} s")
    if args.serial:
        seconds, summary = run_suite([*args.pytest_args, "-n", "0"])
        ratio = seconds / min(walls)
        print(f"one process (-n 0): {seconds:.1f} s wall ({summary}); the default is {ratio:.2f}x faster")


if __name__ == "__main__":
    main()
