"""rnncheck's pytest plugin (entry point pytest11): `pytest --rnncheck-conformance` adds the shipped suite to a run.

A project runs the conformance suite in its own CI with KERAS_BACKEND set to the backend it ships on:

    KERAS_BACKEND=jax pytest --rnncheck-conformance -p no:cacheprovider

The plugin does nothing else: the suite's own conftest.py brings its profiles, warnings and fixtures.
"""

from __future__ import annotations

import pytest

from rnncheck.conformance import FOLDER

OPTION = "--rnncheck-conformance"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("rnncheck").addoption(
        OPTION, action="store_true", default=False, help=f"also run rnncheck's conformance suite ({FOLDER})"
    )


def pytest_load_initial_conftests(early_config: pytest.Config, parser: pytest.Parser, args: list[str]) -> None:
    # The suite's folder joins the paths to collect before they are read, so its conftest.py loads as an initial one.
    if OPTION in args and str(FOLDER) not in args:
        args.append(str(FOLDER))
