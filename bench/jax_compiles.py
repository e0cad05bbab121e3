"""Where conform's jax column spends its time: tracing, lowering to HLO and XLA's compiles, by file and by caller.

    python bench/jax_compiles.py [--cache DIR] [--top 15] [-- PYTEST_ARGS...]   (-- -k test_reference: one file)

Runs `rnncheck conform --backends jax` (CI=true: the derandomized `ci` profile, as CI runs it) with the
jax_compile_log plugin beside this script, against a new, empty jax compilation cache unless --cache names one
(then a compile that the cache holds is a hit: its read, not XLA's work). Prints the tests' own time against the
time in each phase; how many compiles of compiled.call one jitted call shared by equal layers would leave; then
the compiles by file and by the rnncheck frame that asked for them: a jitted layer call (rnncheck/compiled.py), a
jitted gradient (rnncheck/autodiff.py), or eager operations called from elsewhere, each of which jax compiles for
every new shape. A failing column ends the script with exit 1: its figures are no figures.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import jax
from columns import conform  # this folder's: conform's JSON for a pass, exit 1 on a failing suite


def run(cache: str, pytest_args: list[str], log: Path) -> tuple[float, dict]:
    """conform's jax column with the plugin loaded, timed: (wall seconds, its JSON report of jax)."""
    here = str(Path(__file__).resolve().parent)
    os.environ["RNNCHECK_JAX_COMPILE_LOG"] = str(log)  # conform's pytest, and its workers, inherit both
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [here, os.environ.get("PYTHONPATH")]))
    start = time.perf_counter()
    report = conform(["jax"], ["-p", "jax_compile_log", *pytest_args], cache)["jax"]
    return time.perf_counter() - start, report


def table(title: str, rows: dict, total: float, top: int) -> None:
    print(f"{title:<70}{'compiles':>9}{'seconds':>9}{'share':>7}")
    for name, (count, seconds) in sorted(rows.items(), key=lambda row: -row[1][1])[:top]:
        print(f"  {name[:68]:<68}{count:>9}{seconds:>9.1f}{seconds / total:>7.0%}")


def kind(caller: str) -> str:
    if caller.startswith("compiled.py"):
        return "a jitted layer call (compiled.call)"
    if caller.startswith("autodiff.py"):
        return "a jitted gradient (autodiff)"
    return "eager operations (and other jits)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache", help="the jax compilation cache folder (default: a new, empty one)")
    parser.add_argument("--top", type=int, default=15, help="callers listed (default %(default)s)")
    parser.add_argument("pytest_args", nargs="*", help="after --: passed on to pytest by conform")
    args = parser.parse_args(argv)
    cache = args.cache or tempfile.mkdtemp(prefix="rnncheck-bench-jax-cache-")
    entries = sum(1 for p in Path(cache).rglob("*") if p.is_file()) if Path(cache).is_dir() else 0
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "compiles.jsonl"
        log.touch()
        wall, report = run(cache, args.pytest_args, log)
        records = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    print(f"machine: {os.cpu_count()} cores; jax {jax.__version__}; compilation cache: {cache} ({entries} entries)")
    known = len(report["divergences"])
    print(
        f"conform jax: {wall:.1f} s wall ({report['seconds']} s its pytest), {report['passed']} passed, {known} known"
    )
    tests = sum(r["seconds"] for r in records if r["phase"] == "test")
    compiles = [r for r in records if r["phase"] == "compile"]
    print(f"the tests' own time: {tests:.1f} s (summed over the workers)")
    for phase in ("trace", "lower", "compile"):
        these = [r for r in records if r["phase"] == phase]
        seconds = sum(r["seconds"] for r in these)
        print(f"  {phase:<8}{len(these):>6} times, {seconds:7.1f} s ({seconds / tests:.0%} of it)")
    hits = [r for r in compiles if r["hit"]]
    print(f"  of the compiles, {len(hits)} read from the cache in {sum(r['seconds'] for r in hits):.1f} s")
    calls = [r for r in records if r["phase"] == "layer call"]
    jitted = {(r["layer"], r["structure"]) for r in calls}  # each layer's jitted call compiles once per structure
    print(f"compiled.call: {len(calls)} calls; {len(jitted)} compiled for a layer and its shapes, "
          f"{len({s for _, s in jitted})} different structures (one jitted call shared by equal layers)")  # fmt: skip
    total = sum(r["seconds"] for r in compiles) or 1.0
    for title, key in (
        ("compiles by file", lambda r: r["test"].split("::")[0].rsplit("/", 1)[-1]),
        ("compiles by what asked for them", lambda r: kind(r["caller"])),
        ("compiles by caller", lambda r: r["caller"]),
    ):
        rows = collections.defaultdict(lambda: [0, 0.0])
        for r in compiles:
            rows[key(r)][0] += 1
            rows[key(r)][1] += r["seconds"]
        table(title, rows, total, args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
