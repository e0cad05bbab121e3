"""Fuzz throughput of each forward-value property, per framework: examples per second, start-up shown apart.

    python bench/fuzz_forward.py [--examples 200] [--backends tensorflow jax torch] [--floors-only]

For each Keras backend, one pytest process (-n 0, the `fuzz` profile with RNNCHECK_FUZZ_EXAMPLES examples) runs
every property below; Hypothesis's statistics give the examples each ran and pytest's durations each one's call
time. Start-up (imports, collection) is the process's wall time less the calls. The PyTorch and ONNX properties
do not depend on the Keras backend: they run in the first backend's process only.

Then the floor: one call of a layer as the layer property makes it (`layers.keras_layer`, `compiled.call`, its
outputs read as NumPy arrays), for a case of the strategy's middle sizes, warm, median of repeated calls. No
example of the property can run faster than its Keras call, so 1 / floor is the most examples a second it could
reach on that backend.
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


# pytest, with Keras and TensorFlow imported first. Keras imports TensorFlow lazily under every backend, the first
# time it serializes a layer (serialization_lib asks whether tf is available): 5.4 s of torch's first Bidirectional
# example, which the rates below would otherwise count as that property's. Imported here, it is start-up. Keras
# first: under torch it imports torch, and torch imported after TensorFlow ends the process in a segmentation fault
# (libtriton, as backends.keep_triton_out says; the suite's conftest, which keeps triton out, is not loaded yet).
WARM_PYTEST = "import sys, keras, tensorflow, pytest; sys.exit(pytest.main(sys.argv[1:]))"


def run(backend: str, properties: list[str], examples: int) -> tuple[float, dict[str, tuple[int, float]]]:
    folder = ROOT / "rnncheck" / "conformance"
    env = {**os.environ, "KERAS_BACKEND": backend, "RNNCHECK_FUZZ_EXAMPLES": str(examples)}
    command = [sys.executable, "-c", WARM_PYTEST, "-q", "-n", "0", "-p", "no:cacheprovider",
               "--hypothesis-profile=fuzz", "--hypothesis-show-statistics", "--durations=0",
               *(str(folder / p) for p in properties)]  # fmt: skip
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


FLOOR_CASE = {"batch": 2, "time": 4, "input_size": 3, "units": 3}  # the middle of sequence_cases' sizes


def floor(calls: int = 50) -> None:
    """In this process's backend: the median seconds of one layer call, per cell and unroll, printed."""
    import numpy as np

    from rnncheck import compiled
    from rnncheck.conformance.layers import as_numpy, keras_layer

    b, t, d, u = FLOOR_CASE.values()
    x = np.random.default_rng(0).standard_normal((b, t, d)).astype(np.float32)
    for cell in ("simple", "gru", "lstm"):
        for unroll in (False, True):
            layer = keras_layer(cell, units=u, input_size=d, return_state=True, return_sequences=True, unroll=unroll)
            for _ in range(3):
                as_numpy(compiled.call(layer, x))  # jax: compiled here
            seconds = []
            for _ in range(calls):
                start = time.perf_counter()
                as_numpy(compiled.call(layer, x))  # the outputs as the property reads them (jax: computed)
                seconds.append(time.perf_counter() - start)
            median = sorted(seconds)[calls // 2]
            print(f"  floor {cell:<6} {'unroll' if unroll else 'loop':<6} {median * 1e3:6.2f} ms a call: "
                  f"at most {1 / median:6.0f} examples/s")  # fmt: skip


def run_floor(backend: str) -> str:
    env = {**os.environ, "KERAS_BACKEND": backend}
    completed = subprocess.run([sys.executable, __file__, "--floor"], capture_output=True, text=True, cwd=ROOT,
                               env=env)  # fmt: skip
    if completed.returncode != 0:
        sys.exit(f"{backend}: the floor failed:\n{completed.stderr[-3000:]}")
    return completed.stdout.rstrip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=200, help="examples per property (default 200)")
    parser.add_argument("--backends", nargs="+", default=["tensorflow", "jax", "torch"])
    parser.add_argument("--floors-only", action="store_true", help="print each backend's floor, run no property")
    parser.add_argument("--floor", action="store_true", help=argparse.SUPPRESS)  # one backend's floor (KERAS_BACKEND)
    args = parser.parse_args()
    if args.floor:
        floor()
        return
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    examples = "no property" if args.floors_only else f"{args.examples} examples per property"
    print(f"machine: {cores} cores; {examples}, one process per backend (-n 0)")
    for index, backend in enumerate(args.backends):
        if args.floors_only:
            print(f"{backend}: the layer property's floor, one Keras call of a {FLOOR_CASE} layer")
            print(run_floor(backend))
            continue
        properties = KERAS + (OTHERS if index == 0 else [])
        wall, results = run(backend, properties, args.examples)
        own = sum(seconds for _, seconds in results.values())
        print(f"{backend}: {wall:.1f} s wall, of which start-up and collection {wall - own:.1f} s")
        for node, (examples, seconds) in results.items():
            rate = examples / seconds if seconds else float("nan")
            print(f"  {node:<90} {examples:>5} examples  {seconds:7.1f} s  {rate:7.1f} examples/s")
        print(f"{backend}: the layer property's floor, one Keras call of a {FLOOR_CASE} layer")
        print(run_floor(backend))


if __name__ == "__main__":
    main()
