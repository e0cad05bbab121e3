"""The divergence causes across Keras releases: the shipped conformance suite on each backend, one env per release.

rnncheck/conformance/causes.py records four Keras bugs, each observed on one release (3.15.1). This script builds one
virtual environment per Keras release, runs `rnncheck conform --backends B --json` in it for every backend B, and
prints, for each cause, whether it holds on each release, plus every failure the table of divergences does not
explain (a failure that shows on some releases only is a change between them).

Usage (with the project's venv, whose TensorFlow, jax, torch and rnncheck every environment reuses):

    /work/venv/bin/python bench/history.py                            # the default series below, every backend
    /work/venv/bin/python bench/history.py --releases 3.8.0 nightly --backends jax
    /work/venv/bin/python bench/history.py --json > history.json      # the same, as JSON on stdout
    /work/venv/bin/python bench/history.py --save history.json        # Markdown on stdout, JSON to a file
    /work/venv/bin/python bench/history.py --cache ~/.cache/rnncheck-history   # where the environments live
    /work/venv/bin/python bench/history.py --report history.json      # a saved run's report again, nothing run

A release is a Keras version (`3.8.0`), `nightly` (the newest keras-nightly on the registry) or `nightly==VERSION`.

Each environment is `python -m venv DIR` with `pip install --no-deps keras==X` (or keras-nightly), then a .pth
that calls site.addsitedir() on the running interpreter's site-packages: DIR's own site-packages come first on
sys.path, so its keras shadows the venv's, and the venv's TensorFlow, jax, torch, hypothesis, pytest and editable
rnncheck (whose .pth files addsitedir runs) are used as they are. A requirement of that Keras release which the
venv does not satisfy (dm-tree for 3.0.x) is installed into DIR, constrained to the venv's own versions: one
that would replace a venv package makes the release "not tested". Environments are cached (default: a folder under
the system's temp dir, printed at the start); a rerun reuses them and only runs the suite.

Each run: `DIR/bin/python -m rnncheck conform --backends B --json -- -q`, with CI=true (Hypothesis's derandomized
"ci" profile, 50 examples) from an empty temp working directory. The runs go one after another (each uses every
core through pytest-xdist); a run past --timeout is killed with its workers and reported as an error. The rnncheck
that runs is a copy of the checkout's last commit, taken at the start (--suite head; --suite tree copies the files
as they are, work in progress included; --suite live uses the tree itself), so that every release runs the same
suite while the tree is edited; DIR/conform-B.json keeps each environment's last run as conform printed it. The
jax runs share a persistent compilation cache (CACHE/jax-compilation-cache; --no-jax-cache for none).

A cause's cells for a release are one per backend it holds on (causes.py's `backends`), each over its occurrences
on that backend (divergences.py): "holds" when every occurrence's replay (or case marked with its cause) is still a
known divergence (a strict xfail that failed), "gone" when every one XPASSes (the bug was fixed: conform reports it
as a failure `[XPASS(strict)]`), "mixed" otherwise (e.g. "mixed: 2 holds, 1 gone"), "not run" when none of its
occurrences ran, "not tested" when the backend was not run, "error" when the run gave no report. Every other
failure is "new", listed per release and backend with its first line; a new failure of the same property as a
cause that is gone on that run is marked as such (the property's check still expects the cause's behaviour in its
region).

Findings of the run that chose the default series (Keras 3.0.0-3.15.1 and keras-nightly on TensorFlow 2.21,
jax 0.10.2, torch 2.14.1, Python 3.11): see OLDEST below.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

BACKENDS = ("tensorflow", "jax", "torch")
# Keras 3.0.0-3.2.1 import with TensorFlow 2.21, jax and torch (3.0.x with dm-tree installed), but the suite cannot run
# there: its autouse fixture calls keras.utils.clear_session(free_memory=False), and free_memory came in Keras 3.3,
# so every test errors in setup ("clear_session() got an unexpected keyword argument 'free_memory'").
OLDEST = "3.3.0"
# Between them every 6 minor versions. On this 2-core machine, shared, a release took 5 (tensorflow, torch) to 40 min
# (jax, the first time; later releases reuse jax's compilation cache).
DEFAULT_RELEASES = (OLDEST, "3.9.2", "3.15.1", "nightly")
NIGHTLY = "nightly"
MARKER = "rnncheck-history.json"  # in each environment: what it holds, written once it is complete
RUN_TIMEOUT = 3600  # seconds for one backend's run of the suite (jax's is the longest: ~7x tensorflow's)
# jax compiles each operation for each new shape (op by op: most of a jax run's time); the examples are the same on
# every release (derandomized), so a persistent compilation cache shared by the runs makes the later ones faster.
JAX_CACHE = {
    "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0",
    "JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES": "-1",
}


@dataclass(frozen=True)
class Release:
    spec: str  # as given: 3.8.0, nightly, nightly==3.16.0.dev2026102704
    dist: str  # keras or keras-nightly
    version: str

    @property
    def label(self) -> str:
        return self.version if self.dist == "keras" else f"nightly {self.version}"

    @property
    def folder(self) -> str:
        return f"{self.dist}-{self.version}"


@dataclass
class Env:
    release: Release
    path: Path
    ok: bool = False
    reason: str = ""  # why it is not usable: "not tested: ..."
    keras: str = ""  # keras.__version__ as the environment imports it
    keras_file: str = ""
    extra: list = field(default_factory=list)  # requirements installed into the environment besides Keras
    seconds: float = 0.0

    @property
    def python(self) -> Path:
        return self.path / "bin" / "python"


# ------------------------------------------------------------------ environments


def sh(command: list, *, timeout: float = 900, env: dict | None = None, cwd=None) -> subprocess.CompletedProcess:
    """Run command in a session of its own; past timeout, kill the whole session (pytest's workers too), then raise
    subprocess.TimeoutExpired."""
    process = subprocess.Popen(
        [str(c) for c in command], stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
        text=True, env=env, cwd=cwd, start_new_session=True,
    )  # fmt: skip
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def tail(text: str, lines: int = 1) -> str:
    kept = [line for line in text.strip().splitlines() if line.strip() and not line.startswith("WARNING: Location")]
    return " | ".join(kept[-lines:]) if kept else ""


def error_line(text: str) -> str:
    """The most telling line of a failed command: its last ERROR/Error line, else its last line."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    errors = [line for line in lines if re.match(r"(ERROR|\w*Error\b|\w*Exception\b)", line)]
    return (errors or lines or [""])[-1]


def registry_versions(dist: str, *, pre: bool = False) -> list[str]:
    """What `pip index versions` lists for dist, newest first."""
    command = [sys.executable, "-m", "pip", "index", "versions", dist] + (["--pre"] if pre else [])
    done = sh(command, timeout=300)
    match = re.search(r"Available versions: (.*)", done.stdout)
    if done.returncode or not match:
        raise SystemExit(f"pip index versions {dist} failed: {error_line(done.stdout + done.stderr)}")
    return [v.strip() for v in match.group(1).split(",")]


def resolve(spec: str) -> Release:
    if spec == NIGHTLY:
        return Release(spec, "keras-nightly", registry_versions("keras-nightly", pre=True)[0])
    if spec.startswith(NIGHTLY + "=="):
        return Release(spec, "keras-nightly", spec.split("==", 1)[1])
    return Release(spec, "keras", spec.removeprefix("keras=="))


def base_site() -> str:
    """The running interpreter's site-packages: TensorFlow, jax, torch, pytest, hypothesis, rnncheck (editable)."""
    return sysconfig.get_paths()["purelib"]


def base_constraints(folder: Path) -> Path:
    """The venv's own versions as pip constraints: an environment may add packages, never replace the venv's."""
    done = sh([sys.executable, "-m", "pip", "freeze", "--exclude-editable"], timeout=300)
    keep = [line for line in done.stdout.splitlines() if "==" in line and not re.match(r"(keras|rnncheck)\b", line)]
    path = folder / "base-constraints.txt"
    path.write_text("\n".join(keep) + "\n")
    return path


# Run inside an environment: the requirements of its Keras distribution that are not satisfied there.
MISSING_CODE = """
import json, sys
from importlib import metadata
from packaging.requirements import Requirement
missing = []
for line in metadata.requires(sys.argv[1]) or []:
    req = Requirement(line)
    if req.marker is not None and not req.marker.evaluate({"extra": ""}):
        continue
    try:
        version = metadata.version(req.name)
    except metadata.PackageNotFoundError:
        missing.append([str(req), None]); continue
    if req.specifier and not req.specifier.contains(version, prereleases=True):
        missing.append([str(req), version])
print(json.dumps(missing))
"""

CHECK_CODE = "import json, keras; print(json.dumps([keras.__version__, keras.__file__]))"


def prepare(release: Release, cache: Path, constraints: Path) -> Env:
    """The release's environment, built once (or read back from its marker)."""
    env = Env(release, cache / release.folder)
    marker = env.path / MARKER
    if marker.is_file():
        saved = json.loads(marker.read_text())
        return Env(release, env.path, saved["ok"], saved["reason"], saved["keras"], saved["keras_file"], saved["extra"])
    start = time.perf_counter()
    try:
        build(env, constraints)
    except subprocess.TimeoutExpired as timeout:
        env.ok, env.reason = False, f"error: timed out after {timeout.timeout:.0f} s building the environment"
    env.seconds = time.perf_counter() - start
    if env.ok or env.reason.startswith("not tested"):  # a definite answer: keep it; an error is retried next time
        keep = {k: getattr(env, k) for k in ("ok", "reason", "keras", "keras_file", "extra")}
        marker.write_text(json.dumps(keep, indent=2) + "\n")
    return env


def build(env: Env, constraints: Path) -> None:
    release = env.release
    if not env.python.exists():
        done = sh([sys.executable, "-m", "venv", env.path], timeout=600)
        if done.returncode:
            env.reason = f"error: python -m venv failed: {error_line(done.stderr)}"
            return
    site = Path(sh([env.python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip())
    pth = site / "zz_rnncheck_history_base.pth"
    pth.unlink(missing_ok=True)  # Keras goes in alone, as the only distribution pip sees there
    pip = [env.python, "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    done = sh(pip + ["--no-deps", f"{release.dist}=={release.version}"])
    if done.returncode:
        env.reason = f"not tested: pip install {release.dist}=={release.version}: {error_line(done.stderr)}"
        return
    # After Keras, the venv's site-packages (and its .pth files: the editable rnncheck) join sys.path behind DIR's own.
    pth.write_text(f"import site; site.addsitedir({base_site()!r})\n")
    done = sh([env.python, "-c", MISSING_CODE, release.dist])
    if done.returncode:
        env.reason = f"error: reading {release.dist}'s requirements: {error_line(done.stderr)}"
        return
    missing = json.loads(done.stdout)
    conflicts = [f"{req} (the venv has {have})" for req, have in missing if have is not None]
    if conflicts:
        env.reason = f"not tested: {release.dist} {release.version} requires " + ", ".join(conflicts)
        return
    if missing:
        names = [req for req, _ in missing]
        done = sh(pip + ["-c", constraints, *names])
        if done.returncode:
            env.reason = f"not tested: pip install {' '.join(names)}: {error_line(done.stderr)}"
            return
        env.extra = names
    done = sh([env.python, "-c", CHECK_CODE], env={**os.environ, "KERAS_BACKEND": "tensorflow"})
    if done.returncode:
        env.reason = f"not tested: import keras fails: {error_line(done.stderr)}"
        return
    env.keras, env.keras_file = json.loads(done.stdout.strip().splitlines()[-1])
    if not Path(env.keras_file).resolve().is_relative_to(env.path.resolve()):
        env.reason = f"error: keras imports from {env.keras_file}, not from the environment"
        return
    env.ok = True


# ------------------------------------------------------------------ runs


def snapshot(cache: Path, which: str) -> tuple[Path, str]:
    """A copy of the rnncheck package, so that every release runs the same suite while others edit the tree: "head"
    (or a commit) of the checkout (git archive: the suite as committed, without work in progress), "tree" the
    files as they are now. The runs put its folder first on PYTHONPATH, ahead of the editable install's finder."""
    import rnncheck

    source = Path(rnncheck.__file__).resolve().parent
    if which == "tree":
        folder = cache / f"suite-tree-{time.strftime('%Y%m%d-%H%M%S')}"
        skip = shutil.ignore_patterns("__pycache__", "*.pyc", ".hypothesis")
        shutil.copytree(source, folder / "rnncheck", ignore=skip)
        return folder, f"the tree at {source}"
    commit = sh(["git", "-C", source, "rev-parse", "--verify", f"{'HEAD' if which == 'head' else which}^{{commit}}"])
    if commit.returncode:
        raise SystemExit(f"--suite {which}: no such commit in {source}'s checkout: {error_line(commit.stderr)}")
    commit = commit.stdout.strip()
    folder = cache / f"suite-{commit[:12]}"
    if not (folder / "rnncheck" / "conformance").is_dir():  # one copy per commit, kept like the environments
        folder.mkdir(parents=True, exist_ok=True)
        archive = folder / "rnncheck.tar"
        done = sh(["git", "-C", source.parent, "archive", "-o", archive, commit, "rnncheck"], timeout=300)
        if done.returncode:
            raise SystemExit(f"git archive failed: {error_line(done.stderr)}")
        with tarfile.open(archive) as tar:
            tar.extractall(folder, filter="data")
        archive.unlink()
    return folder, f"commit {commit[:12]} of {source.parent}"


def conform(
    env: Env, backend: str, timeout: float, *, suite: Path | None, pytest_args: list[str], jax_cache: Path | None
) -> dict:
    """One backend's run of the shipped suite in the environment: conform's JSON for it, or {"error": ...}."""
    variables = {**os.environ, "CI": "true", "KERAS_BACKEND": backend}
    if jax_cache is not None and backend == "jax" and "JAX_COMPILATION_CACHE_DIR" not in os.environ:
        variables |= {"JAX_COMPILATION_CACHE_DIR": str(jax_cache), **JAX_CACHE}
    variables.pop("PYTHONPATH", None)
    if suite is not None:
        variables["PYTHONPATH"] = str(suite)
    command = [env.python, "-m", "rnncheck", "conform", "--backends", backend, "--json", "--", *pytest_args]
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="rnncheck-history-") as folder:
        try:
            done = sh(command, timeout=timeout, env=variables, cwd=folder)
        except subprocess.TimeoutExpired:
            return {"error": f"timed out after {timeout:.0f} s", "wall": time.perf_counter() - start}
    wall = time.perf_counter() - start
    try:
        run = json.loads(done.stdout)["backends"][backend]
    except (ValueError, KeyError):
        return {"error": f"no JSON (exit {done.returncode}): {error_line(done.stdout + done.stderr)}", "wall": wall}
    run["wall"] = wall
    if not run.get("installed", True):
        return {"error": f"{backend} not installed", "wall": wall}
    if not run["divergences"] and not run["failures"] and not run["passed"]:
        return {"error": f"no tests ran (exit {done.returncode})", "wall": wall}
    return run


def table_of_divergences(suite: Path | None) -> dict:
    """causes.py and divergences.py (of the suite that runs), read once in a process of the running venv."""
    code = """
import json
from rnncheck.conformance.causes import CAUSES
from rnncheck.conformance.divergences import DIVERGENCES
print(json.dumps({
    "causes": {c.id: {"backend": c.backend, "backends": list(c.backends), "summary": c.summary,
                      "releases": list(c.releases)}
               for c in CAUSES.values()},
    "occurrences": [{"id": r.id, "test": r.test, "cause": r.cause, "backends": list(r.backends)} for r in DIVERGENCES],
}))
"""
    variables = {**os.environ, "KERAS_BACKEND": "numpy", "TF_CPP_MIN_LOG_LEVEL": "3"}
    variables.pop("PYTHONPATH", None)
    if suite is not None:
        variables["PYTHONPATH"] = str(suite)
    done = sh([sys.executable, "-c", code], env=variables)
    if done.returncode:
        raise SystemExit(f"cannot read rnncheck's table of divergences: {error_line(done.stderr)}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def replay_suffix(occurrence: dict) -> str:
    return f"::{occurrence['test']}_on_recorded_examples[{occurrence['id']}]"


def classify(run: dict, backend: str, table: dict) -> dict:
    """Each cause of this backend: its occurrences' states and its verdict; and the failures no occurrence explains."""
    divergences = {d["test"]: d.get("reason", "") for d in run["divergences"]}
    failures = {f["test"]: f["message"] for f in run["failures"]}

    def of(occurrence: dict, outcomes: dict) -> list[str]:
        """The outcomes that are this occurrence: its replay, or a case of its own (plain parametrized) property
        that the suite marked with its cause (divergences.marked: the reason ends with the cause's id)."""
        suffix, tag = replay_suffix(occurrence), f"[{occurrence['cause']}]"
        return [t for t, text in outcomes.items() if t.endswith(suffix)
                or (t.split("::")[-1].split("[")[0] == occurrence["test"] and text.rstrip().endswith(tag))]  # fmt: skip

    causes, explained = {}, set()
    for cause, facts in table["causes"].items():
        if backend not in cause_backends(facts):
            continue
        states = {}
        for occurrence in (o for o in table["occurrences"] if o["cause"] == cause and backend in o["backends"]):
            key = f"{occurrence['test']}[{occurrence['id']}]"
            known, failed = of(occurrence, divergences), of(occurrence, failures)
            explained.update(known + failed)
            if known:
                states[key] = "holds"
            elif failed and "XPASS" in failures[failed[0]]:
                states[key] = "gone"
            elif failed:
                states[key] = f"fails otherwise: {failures[failed[0]]}"
            else:
                states[key] = "not run"  # skipped, deselected, or not collected
        causes[cause] = {"verdict": verdict(states), "occurrences": states}
        if cause in run.get("causes", {}):  # conform's own verdict, where its JSON has one (holds/gone/not tested)
            causes[cause]["conform"] = run["causes"][cause]
    gone_tests = {
        o["test"] for o in table["occurrences"] if o["cause"] in causes and causes[o["cause"]]["verdict"] == "gone"
    }
    new = []
    for test, message in failures.items():
        if test in explained:
            continue
        prop = test.split("::")[-1].split("[")[0]
        note = next((o["cause"] for o in table["occurrences"] if o["test"] == prop and prop in gone_tests), "")
        new.append({"test": test, "message": message, **({"gone_cause": note} if note else {})})
    return {"causes": causes, "new": new}


def cause_backends(facts: dict) -> list[str]:
    """The backends a cause holds on (a cause may hold on several; "backend" is them as one string)."""
    return facts.get("backends") or facts["backend"].split(", ")


def verdict(states: dict) -> str:
    values = list(states.values())
    if values and all(v == "not run" for v in values):
        return "not run"
    if values and all(v == "holds" for v in values):
        return "holds"
    if values and all(v == "gone" for v in values):
        return "gone"
    counts: dict = {}
    for v in values:
        short = v.split(":")[0]
        counts[short] = counts.get(short, 0) + 1
    return "mixed: " + ", ".join(f"{n} {state}" for state, n in counts.items()) if counts else "no occurrence"


# ------------------------------------------------------------------ report


def cause_cell(results: dict, label: str, cause: str, backend: str) -> str:
    entry = results.get(label, {})
    if "env" in entry and not entry["env"]["ok"]:
        return entry["env"]["reason"].split(":")[0]  # not tested / error
    run = entry.get("runs", {}).get(backend)
    if run is None:
        return "not tested"
    if "error" in run or not run["passed"]:
        return "error"  # no report, or not one test passed: the suite does not run there
    return run["classified"]["causes"][cause]["verdict"]


def markdown(report: dict) -> str:
    labels = [r["label"] for r in report["releases"]]
    results = report["results"]
    lines = ["| cause (backend) | " + " | ".join(labels) + " |", "| --- |" + " --- |" * len(labels)]
    for cause, facts in report["table"]["causes"].items():
        for backend in (b for b in cause_backends(facts) if b in report["backends"]):  # a row per backend it holds on
            cells = [cause_cell(results, label, cause, backend) for label in labels]
            lines.append(f"| {cause} ({backend}) | " + " | ".join(cells) + " |")
    lines += ["", "Runs (passed / known divergences / failed, seconds):", ""]
    lines += ["| backend | " + " | ".join(labels) + " |", "| --- |" + " --- |" * len(labels)]
    for backend in report["backends"]:
        cells = []
        for label in labels:
            entry = results[label]
            run = entry.get("runs", {}).get(backend)
            if not entry["env"]["ok"]:
                cells.append(entry["env"]["reason"].split(":")[0])
            elif run is None:
                cells.append("not tested")
            elif "error" in run:
                cells.append(f"error ({run['wall']:.0f} s)")
            else:
                cells.append(f"{run['passed']} / {len(run['divergences'])} / {run['failed']}, {run['wall']:.0f} s")
        lines.append(f"| {backend} | " + " | ".join(cells) + " |")
    notes = []
    for label in labels:
        entry = results[label]
        env = entry["env"]
        if not env["ok"]:
            notes.append(f"- {label}: {env['reason']}")
            continue
        extra = f", with {', '.join(env['extra'])}" if env["extra"] else ""
        notes.append(f"- {label}: keras {env['keras']} from {env['keras_file']}{extra}")
        for backend, run in entry["runs"].items():
            if "error" in run:
                notes.append(f"  - {backend}: error: {run['error']}")
            elif not run["passed"]:
                notes.append(f"  - {backend}: the suite does not run: no test passed, {run['failed']} failed")
                continue
            for cause, c in run.get("classified", {}).get("causes", {}).items():
                if c["verdict"].startswith("mixed"):
                    for occurrence, state in c["occurrences"].items():
                        notes.append(f"  - {backend}: {cause}: {occurrence}: {state}")
    lines += ["", "Environments:", "", *notes]
    lines += ["", "New failures (not a recorded divergence):", ""]
    seen: dict = {}
    for label in labels:
        for backend, run in results[label].get("runs", {}).items():
            for f in run.get("classified", {}).get("new", []):
                seen.setdefault((backend, f["test"]), []).append(label)
    tested = {
        backend: [label for label in labels if "classified" in results[label].get("runs", {}).get(backend, {})]
        for backend in report["backends"]
    }
    count = 0
    for label in labels:
        for backend, run in results[label].get("runs", {}).items():
            new = run.get("classified", {}).get("new", [])
            count += len(new)
            by_message: dict = {}
            for f in new:
                by_message.setdefault(f["message"], []).append(f)
            for message, group in by_message.items():
                if len(group) > 3:  # one cause, many tests (the suite failing in setup, say): once
                    lines.append(f"- {label} / {backend}: {len(group)} tests, e.g. {group[0]['test']}\n    {message}")
                    continue
                for f in group:
                    where = seen[(backend, f["test"])]
                    only = "" if len(where) == len(tested[backend]) else f" [only on {', '.join(where)}]"
                    gone = f" (the property of {f['gone_cause']}, gone here)" if "gone_cause" in f else ""
                    lines.append(f"- {label} / {backend}: {f['test']}{gone}{only}\n    {message}")
    if not count:
        lines.append("- none")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    top = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    top.add_argument("--releases", nargs="+", default=list(DEFAULT_RELEASES),
                     help=f"Keras versions, 'nightly' or 'nightly==VERSION' (default: {' '.join(DEFAULT_RELEASES)})")
    top.add_argument("--backends", nargs="+", choices=BACKENDS, default=list(BACKENDS))
    top.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "rnncheck-history",
                     help="where the environments are kept (default: %(default)s)")
    top.add_argument("--timeout", type=float, default=RUN_TIMEOUT,
                     help="seconds for one backend's run (default %(default)s)")
    top.add_argument("--json", action="store_true", help="print the report as JSON instead of Markdown")
    top.add_argument("--save", type=Path, metavar="FILE", help="also write the JSON report to FILE")
    top.add_argument("--suite", default="head", metavar="head|COMMIT|tree|live",
                     help="the rnncheck that runs: a copy of the checkout's HEAD (default) or of a commit, or of the "
                          "tree taken at the start, or the tree live (edits during the run reach the later runs)")
    top.add_argument("--reuse", action="store_true",
                     help="reuse a run kept in its environment (DIR/conform-B.json) when the same suite commit, "
                          "pytest arguments and Keras ran it: a run that was stopped goes on where it was")
    top.add_argument("--no-jax-cache", action="store_true",
                     help="no persistent jax compilation cache (default: CACHE/jax-compilation-cache, for every run)")
    top.add_argument("--pytest-args", default="-q", help="passed on to pytest by conform (default: %(default)s)")
    top.add_argument("--report", type=Path, metavar="FILE",
                     help="run nothing: print the report of a run saved with --save, classified anew (this script's "
                          "classification, that run's table of divergences)")
    args = top.parse_args(argv)  # fmt: skip
    if args.report:
        return reprint(args.report, as_json=args.json)

    start = time.perf_counter()
    args.cache.mkdir(parents=True, exist_ok=True)
    log = lambda text: print(text, file=sys.stderr, flush=True)  # noqa: E731
    log(f"environments under {args.cache}")
    suite, origin = (None, "the tree, live") if args.suite == "live" else snapshot(args.cache, args.suite)
    log(f"suite: {origin}" + (f", copied to {suite}" if suite else ""))
    table = table_of_divergences(suite)
    constraints = base_constraints(args.cache)
    releases = [resolve(spec) for spec in args.releases]
    results: dict = {}
    for release in releases:
        env = prepare(release, args.cache, constraints)
        built = f" (built in {env.seconds:.0f} s)" if env.seconds else " (cached)"
        log(f"{release.label}: {'keras ' + env.keras if env.ok else env.reason} at {env.path}{built}")
        entry = {"env": {k: getattr(env, k) for k in ("ok", "reason", "keras", "keras_file", "extra")}, "runs": {}}
        entry["env"]["path"] = str(env.path)
        results[release.label] = entry
        if not env.ok:
            continue
        for backend in args.backends:
            kept = env.path / f"conform-{backend}.json"
            key = {"suite": origin, "pytest_args": args.pytest_args, "keras": env.keras}
            old = json.loads(kept.read_text()) if kept.is_file() else {}
            if args.reuse and old.get("history_key") == key and "error" not in old and origin.startswith("commit"):
                run = old
                log(f"  {backend}: reusing the run kept in {kept}")
            else:
                run = conform(env, backend, args.timeout, suite=suite, pytest_args=args.pytest_args.split(),
                              jax_cache=None if args.no_jax_cache else args.cache / "jax-compilation-cache")
                run["history_key"] = key
                kept.write_text(json.dumps(run, indent=2) + "\n")  # the environment's last run
            if "error" not in run:
                run["classified"] = classify(run, backend, table)
                mine = run["classified"]["causes"]
                summary = ", ".join(f"{c} {v['verdict']}" for c, v in mine.items()) or "no cause on this backend"
                summary += f"; {run['passed']} passed, {len(run['divergences'])} known, {run['failed']} failed"
                summary += f", {len(run['classified']['new'])} new"
            else:
                summary = f"error: {run['error']}"
            log(f"  {backend}: {run['wall']:.0f} s: {summary}")
            entry["runs"][backend] = run
    report = {
        "releases": [{"spec": r.spec, "dist": r.dist, "version": r.version, "label": r.label} for r in releases],
        "backends": args.backends,
        "cache": str(args.cache),
        "suite": origin,
        "pytest_args": args.pytest_args,
        "table": table,
        "results": results,
        "seconds": round(time.perf_counter() - start, 1),
    }
    if args.save:
        args.save.write_text(json.dumps(report, indent=2) + "\n")
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(markdown(report))
        print(f"\nwall time: {report['seconds']:.0f} s; environments under {args.cache}")
    return 0


def reprint(path: Path, *, as_json: bool) -> int:
    """The saved report at path, each run classified again against the table it ran with."""
    try:
        report = json.loads(path.read_text())
        table = report["table"]
        for entry in report["results"].values():
            for backend, run in entry.get("runs", {}).items():
                if "error" not in run:
                    run["classified"] = classify(run, backend, table)
    except (OSError, ValueError, KeyError) as error:
        raise SystemExit(f"--report {path}: not a report this script saved ({type(error).__name__}: {error})") from None
    print(json.dumps(report, indent=2) if as_json else markdown(report))
    if not as_json:
        print(f"\nwall time: {report['seconds']:.0f} s; environments under {report['cache']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
