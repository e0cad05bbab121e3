"""Fuzz throughput of the parameter-formula properties against Keras.

    python bench/fuzz.py [--workers 2]

Runs tests/test_params.py's Keras properties under the `fuzz` profile with pytest-xdist, and prints
how many examples Hypothesis ran and how many per second of wall time (start-up included).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time

PROPERTIES = [
    "tests/test_params.py::test_recurrent_params_match_keras",
    "tests/test_params.py::test_stacked_params_match_keras",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", str(args.workers),
               "--hypothesis-profile=fuzz", "--hypothesis-show-statistics", *PROPERTIES]  # fmt: skip
    start = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if completed.returncode != 0:
        sys.exit(f"the fuzz run failed:\n{completed.stdout[-3000:]}")
    examples = sum(int(n) for n in re.findall(r"(\d+) passing", completed.stdout))
    print(f"machine: {os.cpu_count()} cores, pytest -n {args.workers} --hypothesis-profile=fuzz")
    print(f"{examples} examples against Keras in {seconds:.1f} s wall: {examples / seconds:.0f} examples/s")


if __name__ == "__main__":
    main()
