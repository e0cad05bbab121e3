"""Each framework column of `rnncheck conform` against tensorflow's, in one run: seconds and the ratio to tensorflow.

    python bench/columns.py [--backends tensorflow jax torch pytorch onnxruntime] [--passes 2] [-- PYTEST_ARGS...]

Runs `rnncheck conform --backends B... --json` (CI=true: Hypothesis's derandomized `ci` profile, the same examples
every pass) `--passes` times, one after the other, all passes sharing one new, empty jax compilation cache
(JAX_COMPILATION_CACHE_DIR; --cache DIR to keep one): the first pass is a cold start, as on a fresh machine, the
later ones what CI costs on a machine that keeps the cache (.ci/run keeps it under ~/.cache/rnncheck). Prints, per
pass, each column's seconds (conform's own timing of its pytest process) and its ratio to tensorflow's in that pass.
A pass whose suite fails is reported and ends the script with exit 1: a figure of a failing suite is no figure.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

DEFAULT = ("tensorflow", "jax", "torch", "pytorch", "onnxruntime")


def conform(backends: list[str], pytest_args: list[str], cache: str) -> dict:
    """conform's JSON for one pass over `backends`, or SystemExit naming what went wrong."""
    env = {**os.environ, "CI": "true", "JAX_COMPILATION_CACHE_DIR": cache}
    command = [sys.executable, "-m", "rnncheck", "conform", "--require-installed", "--backends", *backends, "--json"]
    done = subprocess.run(command + (["--", *pytest_args] if pytest_args else []), env=env, capture_output=True,
                          text=True)  # fmt: skip
    try:
        report = json.loads(done.stdout)["backends"]
    except (ValueError, KeyError):
        sys.exit(f"conform printed no JSON (exit {done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    if done.returncode:
        failed = {name: run.get("failures") for name, run in report.items() if run.get("failed")}
        ran = any(run.get("passed") or run.get("failed") or run.get("divergences") for run in report.values())
        reason = f"failures {failed}" if failed else "no test failed" if ran else "no test ran (pytest arguments?)"
        sys.exit(f"conform failed (exit {done.returncode}): {reason}")
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backends", nargs="+", default=list(DEFAULT), help="columns (default: %(default)s)")
    parser.add_argument("--passes", type=int, default=2, help="passes over the columns (default 2: cold, warm)")
    parser.add_argument("--cache", help="the jax compilation cache folder (default: a new empty one)")
    parser.add_argument("pytest_args", nargs="*", help="after --: passed on to pytest by conform")
    args = parser.parse_args(argv)
    if "tensorflow" not in args.backends:
        parser.error("--backends: the ratios are to tensorflow, which must be one of them")
    if args.passes < 1:
        parser.error(f"--passes: at least 1, not {args.passes}")
    cache = args.cache or tempfile.mkdtemp(prefix="rnncheck-bench-jax-cache-")
    print(f"machine: {os.cpu_count()} cores; jax compilation cache: {cache}")
    print(f"{'pass':<6}" + "".join(f"{name:>22}" for name in args.backends) + f"{'wall':>9}")
    for number in range(1, args.passes + 1):
        start = time.perf_counter()
        report = conform(args.backends, args.pytest_args, cache)
        wall = time.perf_counter() - start
        base = report["tensorflow"]["seconds"]
        cells = [f"{report[name]['seconds']:7.1f} s ({report[name]['seconds'] / base:4.2f}x)" for name in args.backends]
        label = f"{number}" if args.cache else ("cold" if number == 1 else "warm")
        print(f"{label:<6}" + "".join(f"{cell:>22}" for cell in cells) + f"{wall:8.0f}s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
