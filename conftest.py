"""The project's set-up: the suite's Hypothesis profiles (rnncheck/conformance/profiles.py), xdist's worker count,
pytest options for the training gate, shared fixtures.
"""

from __future__ import annotations

import gc
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # before TensorFlow is first imported

from rnncheck.conformance import compilation_cache  # noqa: E402

compilation_cache.share()  # before jax is first imported

import pytest  # noqa: E402

from rnncheck.conformance import profiles  # noqa: E402
from rnncheck.conformance.fixtures import fresh_keras_session  # noqa: E402, F401  (autouse)

profiles.register()


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """-n auto: as rnncheck conform runs the suite, a worker per core, at most 4; one core runs in-process."""
    from rnncheck.conform import workers

    return workers()


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


@pytest.fixture(scope="session")
def mnist():
    """The real MNIST, loaded and verified once per session; fails (never skips) when it is missing."""
    from rnncheck.data import DatasetError, load_mnist

    try:
        return load_mnist()
    except DatasetError as error:
        pytest.fail(f"this test needs the real MNIST: {error}", pytrace=False)
