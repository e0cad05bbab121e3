"""rnncheck conform: the conformance suite once per Keras backend, each in its own process, as a matrix.

Each backend runs `pytest` on the suite shipped in the package (rnncheck/conformance, the same files in a checkout
and in an installed wheel) with KERAS_BACKEND set, writing JUnit XML; every test ends as passed, a known
divergence (a strict xfail from rnncheck/conformance/divergences.py) or FAILED (a failure, an error, or a strict
xfail that passed: a divergence fixed upstream). The run names its plugins and options itself, so a checkout's
configuration and an empty folder give the same run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from rnncheck.frameworks import CLAIMED, FRAMEWORKS, INSTALL, KERAS_BACKENDS  # noqa: F401  (INSTALL: backends.py)

REQUIRE_ENV = "RNNCHECK_REQUIRE_BACKENDS"  # set: a test whose library is missing fails instead of skipping
VERSIONS_ENV = "RNNCHECK_VERSIONS_JSON"  # where the suite's run writes the versions that ran (its conftest.py)
MISSING = "not installed"  # what the skip reason of such a test says (tests/backends.py)
STATUSES = ("passed", "divergence", "failed", "skipped")
CAUSE_STATUSES = ("holds", "gone", "not tested")  # what a recorded cause did on the Keras release that ran


@dataclass(frozen=True)
class Outcome:
    """How one test ended on one backend."""

    test: str  # pytest's node id: conformance/test_params.py::test_recurrent_params_match_keras
    status: str  # one of STATUSES
    message: str = ""  # the divergence's reason, the failure's first line, the skip's reason

    @property
    def group(self) -> str:
        """The matrix row: the test file without its folder, test_ and .py."""
        return Path(self.test.split("::")[0]).stem.removeprefix("test_")


@dataclass(frozen=True)
class BackendRun:
    """One backend's run of the suite."""

    backend: str
    installed: bool
    outcomes: tuple[Outcome, ...] = ()
    seconds: float = 0.0
    versions: dict = field(default_factory=dict)
    returncode: int = 0
    output: str = ""  # the end of pytest's output when it ended without a report

    def count(self, status: str) -> int:
        return sum(outcome.status == status for outcome in self.outcomes)

    @property
    def keras_release(self) -> str:
        return str(self.versions.get("keras", ""))

    def cause_status(self, cause) -> str:
        """holds: its occurrences ran and Keras still diverged; gone: one XPASSed (fixed); not tested: none ran."""
        tag = f"[{cause.id}]"
        if self.backend not in cause.backends or not self.installed:
            return "not tested"
        mine = [o for o in self.outcomes if o.message.endswith(tag)]
        if any(o.status == "failed" and "XPASS" in o.message for o in mine):
            return "gone"
        return "holds" if any(o.status == "divergence" for o in mine) else "not tested"

    @property
    def recorded_release(self) -> bool:
        """The Keras that ran is one the causes were observed on, by running it (rnncheck.conformance.causes)."""
        return all(self.keras_release in cause.releases for cause in causes_of(self.backend))

    @property
    def unexpected(self) -> list[Outcome]:
        """The failures that fail the run: all of them on a recorded release; elsewhere, a cause gone is news."""
        if self.recorded_release:
            return [o for o in self.outcomes if o.status == "failed"]
        gone = {f"[{c.id}]" for c in causes_of(self.backend) if self.cause_status(c) == "gone"}
        return [o for o in self.outcomes if o.status == "failed" and not any(o.message.endswith(t) for t in gone)]

    @property
    def missing_library_skips(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "skipped" and MISSING in o.message]

    @property
    def ok(self) -> bool:
        """No unexpected failure: every test passed, was skipped, or diverged as recorded."""
        return self.installed and not self.unexpected and (bool(self.outcomes) or self.returncode == 0)

    def to_dict(self) -> dict:
        return {
            "installed": self.installed,
            **({} if self.installed else {"install": FRAMEWORKS[self.backend].install}),
            "passed": self.count("passed"),
            "failed": self.count("failed"),
            "skipped": self.count("skipped"),
            "divergences": [
                {"test": o.test, "example": example_of(o.test), "reason": o.message}
                for o in self.outcomes
                if o.status == "divergence"
            ],
            "failures": [{"test": o.test, "message": o.message} for o in self.outcomes if o.status == "failed"],
            "causes": {c.id: self.cause_status(c) for c in causes_of(self.backend)},
            "recorded_release": self.recorded_release,
            "seconds": round(self.seconds, 1),
            "versions": self.versions,
        }


def causes_of(backend: str) -> list:
    """The recorded divergence causes of `backend` (rnncheck.conformance.causes needs NumPy only)."""
    from rnncheck.conformance.causes import CAUSES

    return [cause for cause in CAUSES.values() if backend in cause.backends]


def example_of(test: str) -> str:
    """The parametrization of a node id, which for a recorded divergence is its minimal example's id."""
    return test[test.index("[") + 1 : -1] if test.endswith("]") and "[" in test else ""


def installed(backend: str) -> bool:
    return FRAMEWORKS[backend].installed()


def suite_folder() -> Path:
    """The conformance suite shipped in this package."""
    from rnncheck.conformance import FOLDER

    return FOLDER


def workers() -> int:
    """pytest-xdist workers for a run: one per core, at most 4 (each imports TensorFlow, ~4 s); 0 on one core."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return min(cores, 4) if cores > 1 else 0


# Named, not autoloaded: the same plugins in a checkout and an installed environment. Whole files per worker.
PLUGINS = ["--disable-plugin-autoload", "-p", "xdist", "-p", "hypothesispytest", "-p", "rnncheck.conformance.plugin"]


def selection(framework: str, tests: Path) -> list[str]:
    """What pytest runs for `framework`'s column: a Keras backend every file no other framework claims (the
    whole folder for another suite), another framework its own files."""
    facts = FRAMEWORKS[framework]
    if facts.suite:
        return [str(tests / file) for file in facts.suite]
    return [str(tests)] + [f"--ignore={tests / file}" for file in CLAIMED if (tests / file).is_file()]


def run_backend(backend: str, *, tests: Path, pytest_args: list[str], require_installed: bool = False) -> BackendRun:
    """Run the suite in a fresh process for one framework (KERAS_BACKEND=backend for a Keras backend, the default
    backend for another framework); a missing library is reported, not run."""
    if not installed(backend):
        return BackendRun(backend, installed=False)
    keras_backend = backend if FRAMEWORKS[backend].keras_backend else os.environ.get("KERAS_BACKEND", "tensorflow")
    env = {**os.environ, "KERAS_BACKEND": keras_backend}
    if require_installed:
        env[REQUIRE_ENV] = "1"
    with tempfile.TemporaryDirectory() as folder:
        junit, written = Path(folder) / "junit.xml", Path(folder) / "versions.json"
        env[VERSIONS_ENV] = str(written)
        command = [sys.executable, "-m", "pytest", *selection(backend, tests), "-q", "-p", "no:cacheprovider"]
        command += [f"--junitxml={junit}"]
        command += PLUGINS + [f"--rootdir={tests.parent}", "-n", str(workers()), "--dist", "loadfile"]
        start = time.perf_counter()
        completed = subprocess.run(
            command + pytest_args, cwd=tests.parent, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL
        )
        seconds = time.perf_counter() - start
        outcomes = read_junit(junit) if junit.is_file() else ()
        versions = json.loads(written.read_text(encoding="utf-8")) if written.is_file() else None
    output = "" if outcomes else (completed.stdout + completed.stderr)[-2000:]
    versions = versions or backend_versions(env)  # another suite, or a run that never imported Keras
    return BackendRun(backend, True, outcomes, seconds, versions, completed.returncode, output)


def backend_versions(env: dict) -> dict:
    """rnncheck.train.versions() as a process with this environment's KERAS_BACKEND reports them."""
    code = "import json; from rnncheck.train import versions; print(json.dumps(versions()))"
    completed = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    return json.loads(completed.stdout) if completed.returncode == 0 else {"error": first_line(completed.stderr)}


def read_junit(path: Path) -> tuple[Outcome, ...]:
    """The outcome of every test case in a JUnit XML report."""
    root = ElementTree.parse(path).getroot()
    outcomes = []
    for case in root.iter("testcase"):
        test = node_id(case)
        failure = case.find("failure") if case.find("failure") is not None else case.find("error")
        skipped = case.find("skipped")
        if failure is not None:
            outcomes.append(Outcome(test, "failed", first_line(failure.get("message") or failure.text or "")))
        elif skipped is not None and skipped.get("type") == "pytest.xfail":
            outcomes.append(Outcome(test, "divergence", skipped.get("message", "").removeprefix("reason: ")))
        elif skipped is not None:
            outcomes.append(Outcome(test, "skipped", first_line(skipped.get("message") or "")))
        else:
            outcomes.append(Outcome(test, "passed"))
    return tuple(outcomes)


def node_id(case) -> str:
    """conformance.test_params + test_x[a] -> conformance/test_params.py::test_x[a] (JUnit keeps classes in
    classname)."""
    parts = case.get("classname", "").split(".")
    module = next((i for i in range(len(parts), 0, -1) if parts[i - 1].startswith("test_")), len(parts))
    path = "/".join(parts[:module]) + ".py"
    return "::".join([path, *parts[module:], case.get("name", "")])


def first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def matrix(runs: list[BackendRun]) -> str:
    """One row per test file, one column per backend: passed / N known divergence(s) / FAILED (N)."""
    groups = sorted({o.group for run in runs for o in run.outcomes})
    header = ["", *(run.backend for run in runs)]
    rows = [header]
    for group in groups:
        rows.append([group] + [cell([o for o in run.outcomes if o.group == group], run) for run in runs])
    rows.append(["all"] + [cell(list(run.outcomes), run) for run in runs])
    rows.append(["seconds"] + [f"{run.seconds:.1f}" if run.installed else "" for run in runs])
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    for run in runs:
        if not run.installed:
            lines.append(f"{run.backend}: not installed ({FRAMEWORKS[run.backend].install})")
        elif not run.outcomes:
            lines.append(f"{run.backend}: pytest ended with status {run.returncode} and no report:\n{run.output}")
    divergences = [(run.backend, o) for run in runs for o in run.outcomes if o.status == "divergence"]
    if divergences:
        lines += ["", "known divergences:"] + [f"  {b}: {o.test}\n      {o.message}" for b, o in divergences]
    failures = [(run.backend, o) for run in runs for o in run.unexpected]
    if failures:
        lines += ["", "FAILED:"] + [f"  {b}: {o.test}\n      {o.message}" for b, o in failures]
    for run in runs:
        if run.installed and run.outcomes and not run.recorded_release:
            release = run.keras_release or "?"
            lines += ["", f"{run.backend}: Keras {release} is not a release the causes were observed on"]
            for cause in causes_of(run.backend):
                status = run.cause_status(cause)
                news = " (news: fixed in this release?)" if status == "gone" else ""
                lines.append(f"  {cause.id}: {status}{news}; observed on {', '.join(cause.releases)}")
    return "\n".join(lines)


def cell(outcomes: list[Outcome], run: BackendRun) -> str:
    if not run.installed:
        return "not installed"
    if not outcomes:
        return "-"
    counts = Counter(o.status for o in outcomes)
    unexpected = [o for o in run.unexpected if o in outcomes]
    if unexpected:
        return f"FAILED ({len(unexpected)})"
    counts["gone"] = counts["failed"]  # failures left are causes gone on a release outside the recorded ones
    text = f"{counts['passed']} passed"
    if counts["divergence"]:
        text += f", {counts['divergence']} known"
    if counts["skipped"]:
        text += f", {counts['skipped']} skipped"
    if counts["gone"]:
        text += f", {counts['gone']} gone"
    return text


def conform(
    backends: list[str], *, tests: Path | None = None, pytest_args: list[str] = (), require_installed: bool = False
) -> list[BackendRun]:
    """Run the suite once per backend, one after the other (each backend uses the machine's cores)."""
    folder = tests or suite_folder()
    return [
        run_backend(b, tests=folder, pytest_args=list(pytest_args), require_installed=require_installed)
        for b in backends
    ]


def passed(runs: list[BackendRun], *, require_installed: bool = False) -> bool:
    """True when no backend failed unexpectedly (and, with require_installed, none was missing or skipped for it)."""
    if not all(run.ok or not run.installed for run in runs):
        return False
    return not require_installed or all(run.installed and not run.missing_library_skips for run in runs)
