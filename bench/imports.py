"""What a fresh Python pays before its first Keras call, on each backend: the floor of every process the suite starts.

    python bench/imports.py [--runs 5] [--backends tensorflow jax torch]
    python bench/imports.py --repro [--runs 3]
    python bench/imports.py --ml-dtypes [FOLDER ...]

The suite starts many Pythons that import Keras: test_repro.py alone runs 35 repro scripts, each on its own as a
reporter would; the CLI's, conform's and the reports' tests start more. For each backend this prints the wall time
of `python -c "import keras"` (the median of --runs fresh processes), the largest libraries in it (`-X importtime`:
each one's cumulative time, median over the runs, where its own import is first), and, on jax and torch, what
Keras's first serialization of a layer costs (`Dense(1).get_config()`, which a Bidirectional, `model.save` and
`clone_model` all make) and whether it imported TensorFlow: keras/src/saving/serialization_lib.py asks
`tf.available` to see whether an object is a `tf.TensorShape`, and that imports TensorFlow where it is installed
(docs/upstream/performance/keras-serialize-imports-tensorflow.md). Last, `import ml_dtypes` alone (after NumPy),
which every backend's Keras imports. --repro runs each repro script of rnncheck.repro on jax and torch, as
test_repro.py does, as it is and with the fix suggested upstream applied first (`ImportedOnly` below, in a wrapper
that then runs the script), and prints the time of those whose first run imported TensorFlow, both ways.
--ml-dtypes times `import ml_dtypes` and counts, with gdb breakpoints, the ufunc loops, promoters and casts it
registers with NumPy: the installed one, and the one in each FOLDER given (an unpacked wheel of another release,
put first on sys.path), in one run.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import re
import statistics
import subprocess
import sys

# Each one's cumulative time in -X importtime's output (what it imported first included), and the module that
# imported it first.
LIBRARIES = ["numpy", "ml_dtypes", "tensorflow", "jax", "torch", "torch._dynamo", "matplotlib.pyplot", "requests"]
LINE = re.compile(r"^import time:\s+\d+ \|\s+(\d+) \|(\s*)(\S+)$")

SERIALIZE = """
import sys, time
import keras
layer = keras.layers.Dense(1)
start = time.perf_counter()
layer.get_config()
first = time.perf_counter() - start
start = time.perf_counter()
layer.get_config()
print(first, time.perf_counter() - start, "tensorflow" in sys.modules)
"""

ML_DTYPES = """
import sys, time
sys.path[:0] = sys.argv[1:]
import numpy
start = time.perf_counter()
import ml_dtypes
print(time.perf_counter() - start, ml_dtypes.__version__)
"""


def python(code: str, backend: str, *options: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run([sys.executable, *options, "-c", code], env=env, capture_output=True, text=True, check=True)


def wall(backend: str) -> float:
    result = python("import time; start = time.perf_counter(); import keras; print(time.perf_counter() - start)",
                    backend)  # fmt: skip
    return float(result.stdout.split()[-1])


def parts(backend: str) -> dict[str, tuple[float, str]]:
    """{library: (seconds, cumulative; the module that imported it)} for LIBRARIES, in one `import keras` under
    -X importtime, which prints a module after what it imports, indented one deeper."""
    printed = python("import keras", backend, "-X", "importtime").stderr.splitlines()
    lines = [match.groups() for match in map(LINE.match, printed) if match]
    found = {}
    for i, (micros, indent, name) in enumerate(lines):
        if name in LIBRARIES and name not in found:
            parent, depth = "-c", len(indent)
            for _, deeper, other in lines[i + 1 :]:  # up the tree, past the library's own submodules
                if len(deeper) < depth:
                    parent, depth = other, len(deeper)
                    if not other.startswith(name + "."):
                        break
            found[name] = (int(micros) / 1e6, parent)
    return found


# Run a script as its own __main__; say at exit whether TensorFlow was imported.
AS_IT_IS = """
import atexit, runpy, sys
atexit.register(lambda: print("TENSORFLOW", "tensorflow" in sys.modules))
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""
# The same, with the fix suggested upstream applied first, from outside.
FIXED = (
    """
import sys
from keras.src.saving import serialization_lib


class ImportedOnly:
    def __init__(self, lazy):
        self.lazy = lazy

    @property
    def available(self):
        return "tensorflow" in sys.modules and self.lazy.available

    def __getattr__(self, name):
        return getattr(self.lazy, name)


serialization_lib.tf = ImportedOnly(serialization_lib.tf)
"""
    + AS_IT_IS
)


def repro_scripts(runs: int) -> None:
    """The repro scripts that import TensorFlow on jax or torch: their medians as they are and with the fix."""
    import tempfile
    import time
    from pathlib import Path

    from rnncheck import repro

    env = dict(os.environ)
    total = {"as it is": 0.0, "fixed": 0.0}
    with tempfile.TemporaryDirectory() as folder:
        for cause_id in repro.CAUSE_IDS:
            path = Path(folder) / repro.filename(cause_id)
            path.write_text(repro.script(cause_id), encoding="utf-8")
            for backend in repro.BACKENDS[cause_id]:
                if backend == "tensorflow":
                    continue
                argv = [str(path)] + ([backend] if len(repro.BACKENDS[cause_id]) > 1 else [])
                seconds, imported = {}, {}
                for how, wrapper in (("as it is", AS_IT_IS), ("fixed", FIXED)):
                    times = []
                    for _ in range(runs):
                        start = time.perf_counter()
                        # KERAS_BACKEND set: FIXED imports Keras before the script would choose its backend
                        result = subprocess.run([sys.executable, "-c", wrapper, *argv], cwd=folder, text=True,
                                                env={**env, "KERAS_BACKEND": backend}, capture_output=True)  # fmt: skip
                        if f"backend {backend}" not in (result.stdout.splitlines() or [""])[0]:
                            raise SystemExit(f"{cause_id} did not run on {backend}: {result.stdout}{result.stderr}")
                        times.append(time.perf_counter() - start)
                    seconds[how] = statistics.median(times)
                    imported[how] = "TENSORFLOW True" in result.stdout
                    if not imported["as it is"]:
                        break
                if len(seconds) == 2:
                    print(f"  {cause_id} on {backend}: {seconds['as it is']:.2f} s; fixed {seconds['fixed']:.2f} s, "
                          f"tensorflow imported: {imported['fixed']}")  # fmt: skip
                    for how in total:
                        total[how] += seconds[how]
    print(f"  those scripts: {total['as it is']:.2f} s as they are, {total['fixed']:.2f} s with the fix")


# NumPy's C functions an extension dtype registers its ufunc loops, promoters and casts through.
REGISTRATIONS = ["PyUFunc_AddLoop", "PyUFunc_AddLoopFromSpec", "PyUFunc_AddPromoter",
                 "PyArray_AddCastingImplementation_FromSpec"]  # fmt: skip


def registrations(folders: list[str]) -> dict[str, int]:
    """How often `import ml_dtypes` calls each of REGISTRATIONS (gdb, a breakpoint each, never stopping)."""
    commands = ["set pagination off", "set breakpoint pending on"]
    for i, name in enumerate(REGISTRATIONS, start=1):
        commands += [f"break {name}", f"ignore {i} 100000000"]
    commands += ["run", "info breakpoints"]
    argv = ["gdb", "-q", "-batch", *(f"-ex={c}" for c in commands), "--args", sys.executable, "-c", ML_DTYPES]
    printed = subprocess.run([*argv, *folders], capture_output=True, text=True, check=True).stdout
    counts = dict.fromkeys(REGISTRATIONS, 0)
    for name, hits in re.findall(r"<(\w+)\+?\d*>\s*\n\s*breakpoint already hit (\d+) time", printed):
        counts[name] = int(hits)
    return counts


def ml_dtypes_imports(folders: list[str], runs: int) -> None:
    """`import ml_dtypes` after NumPy: the installed release's, then each folder's; its time and registrations."""
    import shutil

    for folder in [None, *folders]:
        extra = [folder] if folder else []
        results = [subprocess.run([sys.executable, "-c", ML_DTYPES, *extra], capture_output=True, text=True,
                                  check=True).stdout.split() for _ in range(runs)]  # fmt: skip
        seconds = statistics.median(float(r[0]) for r in results)
        where = f"from {folder}" if folder else "installed"
        print(f"import ml_dtypes {results[0][1]} ({where}), after numpy: {seconds * 1e3:.0f} ms")
        if shutil.which("gdb"):
            counts = registrations(extra)
            print("  registered: " + ", ".join(f"{name} {count}" for name, count in counts.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="fresh processes per figure (default 5)")
    parser.add_argument("--backends", nargs="+", default=["tensorflow", "jax", "torch"])
    parser.add_argument("--repro", action="store_true", help="the repro scripts that import TensorFlow, and fixed")
    parser.add_argument("--ml-dtypes", nargs="*", metavar="FOLDER", help="ml_dtypes' import: time, registrations")
    args = parser.parse_args()
    versions = ", ".join(f"{name} {importlib.metadata.version(name)}" for name in ("keras", "numpy", "ml_dtypes"))
    print(f"machine: {os.cpu_count()} cores; python {sys.version.split()[0]}, {versions}; "
          f"medians of {args.runs} fresh processes")  # fmt: skip
    if args.ml_dtypes is not None:
        ml_dtypes_imports(args.ml_dtypes, args.runs)
        return
    if args.repro:
        print("repro scripts on jax and torch whose process imports tensorflow (rnncheck.repro):")
        repro_scripts(args.runs)
        return
    for backend in args.backends:
        total = statistics.median(wall(backend) for _ in range(args.runs))
        runs = [parts(backend) for _ in range(args.runs)]
        print(f"{backend}: import keras {total:.2f} s; of it (s, each with what it imported first; by whom):")
        for name in LIBRARIES:
            if name in runs[0]:
                seconds = statistics.median(run[name][0] for run in runs)
                print(f"  {name:<18} {seconds:5.2f}  by {runs[0][name][1]}")
        if backend == "tensorflow":
            continue
        results = [python(SERIALIZE, backend).stdout.split() for _ in range(args.runs)]
        first = statistics.median(float(r[0]) for r in results)
        again = statistics.median(float(r[1]) for r in results)
        imported = {r[2] for r in results}
        print(f"  first Dense(1).get_config() {first:.2f} s (imported tensorflow: {', '.join(sorted(imported))}), "
              f"the next {again * 1e3:.2f} ms")  # fmt: skip
    ml_dtypes_imports([], args.runs)


if __name__ == "__main__":
    main()
