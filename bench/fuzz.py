"""Fuzz throughput of the parameter-formula properties against Keras.

    python bench/fuzz.py [--workers 2] [--runs 3] [--rootdir DIR]

Runs rnncheck/conformance/test_params.py's Keras properties under the `fuzz` profile with pytest-xdist (from DIR,
default the repository root), and prints how many examples Hypothesis ran and how many per second:
of the whole run's wall time (start-up included), and of the properties' own run time (pytest's call
duration; with 2 workers the two properties run side by side, so the longer one is the wall time).
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

PROPERTIES = [
    "rnncheck/conformance/test_params.py::test_recurrent_params_match_keras",
    "rnncheck/conformance/test_params.py::test_stacked_params_match_keras",
]
ROOT = Path(__file__).resolve().parent.parent


def run_once(workers: int, rootdir: Path) -> tuple[int, float, dict[str, float]]:
    """One pytest run: examples that passed, wall seconds, and each property's call duration."""
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", str(workers), "--dist", "load",
               "--hypothesis-profile=fuzz", "--hypothesis-show-statistics", "--durations=0", *PROPERTIES]  # fmt: skip
    start = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, text=True, cwd=rootdir)
    seconds = time.perf_counter() - start
    if completed.returncode != 0:
        sys.exit(f"the fuzz run failed:\n{completed.stdout[-3000:]}")
    examples = sum(int(n) for n in re.findall(r"(\d+) passing", completed.stdout))
    calls = {name: float(s) for s, name in re.findall(r"([\d.]+)s call\s+\S+::(\w+)", completed.stdout)}
    return examples, seconds, calls


def library_versions() -> str:
    names = ("keras", os.environ.get("KERAS_BACKEND", "tensorflow"), "numpy", "hypothesis", "pytest-xdist")
    return ", ".join(f"{name} {importlib.metadata.version(name)}" for name in names)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--runs", type=int, default=1, help="repeat the run and print the range")
    parser.add_argument("--rootdir", type=Path, default=ROOT, help="where to run pytest (default: this repository)")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores; {library_versions()}")
    print(f"pytest -n {args.workers} --hypothesis-profile=fuzz in {args.rootdir}")
    overall, own = [], []
    for run in range(1, args.runs + 1):
        examples, seconds, calls = run_once(args.workers, args.rootdir)
        longest = max(calls.values())
        overall.append(examples / seconds)
        own.append(examples / longest)
        per_property = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in calls.items())
        print(
            f"run {run}: {examples} examples against Keras in {seconds:.1f} s wall: {overall[-1]:.0f} examples/s "
            f"(start-up included); {own[-1]:.0f} examples/s of the properties' own time ({per_property})"
        )
    if args.runs > 1:
        print(
            f"over {args.runs} runs: {min(overall):.0f}-{max(overall):.0f} examples/s start-up included, "
            f"{min(own):.0f}-{max(own):.0f} of the properties' own time"
        )


if __name__ == "__main__":
    main()
