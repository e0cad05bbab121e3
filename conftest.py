"""Suite-wide set-up: Hypothesis profiles, pytest options for the training gate, shared fixtures.

Profiles (pick one with Hypothesis's own --hypothesis-profile=NAME):
    dev   the default on a workstation: quick, randomized
    ci    Hypothesis's built-in one (derandomized, no deadline, no database), loaded where Hypothesis detects CI
    fuzz  thousands of random examples per property; run it in parallel with pytest -n auto
"""

from __future__ import annotations

import gc
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # before TensorFlow is first imported

import pytest  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402
from hypothesis.database import (  # noqa: E402
    DirectoryBasedExampleDatabase,
    GitHubArtifactDatabase,
    MultiplexedDatabase,
    ReadOnlyDatabase,
)

# Hypothesis has already loaded its built-in "ci" profile if it detected a CI system (CI,
# GITHUB_ACTIONS, TF_BUILD, ...): follow its detection, with the example count registered below.
in_ci = settings.get_current_profile_name() == "ci"


def example_database():
    """Where failing examples are kept: .hypothesis/examples, and on a developer's machine (RNNCHECK_SHARED_DB set
    to owner/repo, GITHUB_TOKEN set) also, read-only, the nightly fuzz job's for this backend."""
    local = DirectoryBasedExampleDatabase(".hypothesis/examples")
    shared = os.environ.get("RNNCHECK_SHARED_DB")
    if in_ci or not shared:  # CI writes its own; the fuzz workflow uploads it
        return local
    owner, _, repo = shared.partition("/")
    backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    name = f"hypothesis-example-db-{backend}"
    nightly = GitHubArtifactDatabase(owner, repo, artifact_name=name, path=f".hypothesis/github-artifacts/{name}")
    return MultiplexedDatabase(local, ReadOnlyDatabase(nightly))


settings.register_profile("dev", max_examples=30, deadline=None, database=example_database())
settings.register_profile("ci", parent=settings.get_profile("ci"), max_examples=50)
settings.register_profile(
    "fuzz",
    max_examples=2_000,
    deadline=None,
    database=example_database(),
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("ci" if in_ci else "dev")


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """-n auto: a worker per core, at most 4 (each imports TensorFlow, ~4 s, and the gate's file alone takes
    ~10 s on its worker); one core runs in-process."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return min(cores, 4) if cores > 1 else 0


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # The files that need the real MNIST (the gate above all) are the longest: run them first, so that the
    # other xdist workers fill in around them rather than wait for them at the end (with --no-loadscope-reorder).
    items.sort(key=lambda item: item.get_closest_marker("mnist") is None)


@pytest.hookimpl(wrapper=True)
def pytest_collection(session: pytest.Session):
    # Collecting imports TensorFlow and Keras (the test modules do): with Hypothesis, ~400,000 objects that live
    # as long as the process. Each full garbage collection walked them all, 0.1-0.2 s each: seven times while
    # they were being imported, and 8.8 s of a serial run in all before they were frozen. So no collection until
    # they are in, then out of the collector's sight. The tests then build up as many again (torch, fitted
    # graphs): full collections a tenth as often as Python's default (after 100 collections of the middle
    # generation, not 10), 2 in a serial run, not 20.
    gc.disable()
    try:
        return (yield)
    finally:
        gc.freeze()
        gc.set_threshold(*gc.get_threshold()[:2], 100)
        gc.enable()


def pytest_unconfigure(config: pytest.Config) -> None:
    # At exit the interpreter's last garbage collection walks and tears down every object not frozen: with torch
    # imported by a test beside TensorFlow, 1.5-2 s that each xdist worker spent ending. Frozen, they are left to
    # the process's end (a process that runs pytest in-process and goes on keeps them).
    gc.freeze()
    gc.set_threshold(*gc.get_threshold()[:2], 10)  # Python's default


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("rnncheck", "rnncheck training gate")
    group.addoption("--min-accuracy", type=float, default=0.93, help="test accuracy the gate must reach (default 0.93)")
    group.addoption("--train-seed", type=int, default=0, help="seed of the gate's training run (default 0)")
    group.addoption("--metrics-json", metavar="PATH", default=None, help="write the gate's metrics to PATH")


@pytest.fixture(autouse=True)
def fresh_keras_session():
    """Each test starts from a clean Keras session: no seeds or layer-name counters left by the one before
    (the layers tests/layers.py shares outlive it, built once, given their weights at each use)."""
    import keras

    keras.utils.clear_session(free_memory=False)


@pytest.fixture(scope="session")
def mnist():
    """The real MNIST, loaded and verified once per session; fails (never skips) when it is missing."""
    from rnncheck.data import DatasetError, load_mnist

    try:
        return load_mnist()
    except DatasetError as error:
        pytest.fail(f"this test needs the real MNIST: {error}", pytrace=False)
