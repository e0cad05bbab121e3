"""Fuzz throughput of each forward-value property, per framework: examples per second, start-up shown apart.

    python bench/fuzz_forward.py [--examples 200] [--backends tensorflow jax torch]

For each Keras backend, one pytest process (-n 0, the `fuzz` profile with RNNCHECK_FUZZ_EXAMPLES examples) runs
every property below; Hypothesis's statistics give the examples each ran and pytest's durations each one's call
time. Start-up (imports, collection) is the process's wall time less the calls. The PyTorch and ONNX properties
do not depend on the Keras backend: they run in the first backend's process only.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KERAS = [
    "test_reference.py::test_reference_matches_keras",
    "test_reference.py::test_reference_matches_keras_for_every_activation",
    "test_bidirectional.py::test_bidirectional_matches_reference",
    "test_bidirectional.py::test_stack_matches_reference",
    "test_gradients.py::test_bptt_matches_backend_autodiff",
    "test_convlstm.py::test_convlstm_reference_matches_keras",
]
OTHERS = [
    "test_pytorch.py::test_pytorch_module_matches_reference",
    "test_pytorch.py::test_packed_sequence_gives_each_sequences_state_after_its_last_step",
    "test_onnx.py::test_onnxruntime_operators_match_the_reference",
]


def run(backend: str, properties: list[str], examples: int) -> tuple[float, dict[str, tuple[int, float]]]:
    folder = ROOT / "rnncheck" / "conformance"
    env = {**os.environ, "KERAS_BACKEND": backend, "RNNCHECK_FUZZ_EXAMPLES": str(examples)}
    command = [sys.executable, "-m", "pytest", "-q", "-n", "0", "-p", "no:cacheprovider", "--hypothesis-profile=fuzz",
               "--hypothesis-show-statistics", "--durations=0", *(str(folder / p) for p in properties)]  # fmt: skip
    start = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=env)
    wall = time.perf_counter() - start
    if completed.returncode != 0:
        sys.exit(f"{backend}: the run failed:\n{completed.stdout[-3000:]}")
    out = completed.stdout
    calls = {}
    for seconds, node in re.findall(r"([\d.]+)s call\s+(\S+)", out):
        calls[node.split("/")[-1]] = float(seconds)
    passing = {}
    for node, block in re.findall(r"(\S+::\S+):\n\n(.*?)(?:\n\n|\Z)", out, flags=re.S):
        match = re.search(r"(\d+) passing", block)
        if match:
            passing[node.split("/")[-1]] = int(match.group(1))
    return wall, {node: (passing.get(node, 0), seconds) for node, seconds in calls.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=200, help="examples per property (default 200)")
    parser.add_argument("--backends", nargs="+", default=["tensorflow", "jax", "torch"])
    args = parser.parse_args()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"machine: {cores} cores; {args.examples} examples per property, one process per backend (-n 0)")
    for index, backend in enumerate(args.backends):
        properties = KERAS + (OTHERS if index == 0 else [])
        wall, results = run(backend, properties, args.examples)
        own = sum(seconds for _, seconds in results.values())
        print(f"{backend}: {wall:.1f} s wall, of which start-up and collection {wall - own:.1f} s")
        for node, (examples, seconds) in results.items():
            rate = examples / seconds if seconds else float("nan")
            print(f"  {node:<90} {examples:>5} examples  {seconds:7.1f} s  {rate:7.1f} examples/s")


if __name__ == "__main__":
    main()
