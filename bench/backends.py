"""The gate on every installed Keras backend, one after the other, each in its own process.

    python bench/backends.py [--seed 0]

Prints each backend's test accuracy and fit time for the gate preset (as that backend runs it:
config.for_backend), with the library versions.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

from rnncheck.conform import installed
from rnncheck.frameworks import KERAS_BACKENDS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores")
    for backend in KERAS_BACKENDS:
        if not installed(backend):
            print(f"{backend}: not installed")
            continue
        command = [sys.executable, "-m", "rnncheck", "train", "--preset", "gate", "--seed", str(args.seed), "--json"]
        completed = subprocess.run(
            command, env={**os.environ, "KERAS_BACKEND": backend}, capture_output=True, text=True, check=True
        )
        result = json.loads(completed.stdout)
        print(
            f"{backend}: test accuracy {result['test_accuracy']:.4f}, fit {result['fit_seconds']:.1f} s "
            f"(steps_per_execution {result['config']['steps_per_execution']})"
        )


if __name__ == "__main__":
    main()
