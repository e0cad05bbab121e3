"""A library that some tests need beyond the default install (torch, jax): skipped, or failed where it is required."""

from __future__ import annotations

import importlib
import os

import pytest

from rnncheck.conform import INSTALL, MISSING, REQUIRE_ENV


def require(library: str):
    """Import `library`, or skip the calling test module saying how to install it.

    With RNNCHECK_REQUIRE_BACKENDS set (CI, `rnncheck conform --require-installed`) a missing library fails instead.
    """
    try:
        return importlib.import_module(library)
    except ImportError:
        reason = f"{library} {MISSING}: {INSTALL.get(library, f'pip install {library}')}"
        if os.environ.get(REQUIRE_ENV):
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason, allow_module_level=True)
