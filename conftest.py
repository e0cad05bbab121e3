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


# The files that take longest on TensorFlow after the MNIST ones, longest first (seconds of one worker in a full
# run, 2 cores: 348, 165, 62, 56 of 899 in all). In collection order test_torch_export.py started last and kept
# one worker busy a minute after the other had finished (the workers ended at 421 and 478 s); started first, the
# small files fill in around them (the next run: 384 and 377 s).
LONGEST_FILES = (
    "tests/test_repro.py",
    "rnncheck/conformance/test_convlstm.py",
    "rnncheck/conformance/test_torch_export.py",
    "rnncheck/conformance/test_models.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # The files that need the real MNIST (the gate above all) first, then the other long ones, so that the other
    # xdist workers fill in around them rather than wait for them at the end (xdist takes whole files in this
    # order, with --no-loadscope-reorder). The order changes no test's outcome.
    def start(item: pytest.Item) -> tuple[bool, int]:
        path = item.nodeid.split("::")[0]
        rank = LONGEST_FILES.index(path) if path in LONGEST_FILES else len(LONGEST_FILES)
        return item.get_closest_marker("mnist") is None, rank

    items.sort(key=start)


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
