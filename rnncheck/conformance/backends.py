"""A library that some tests need beyond the default install (torch, jax): skipped, or failed where it is required."""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys

import pytest

from rnncheck.conform import INSTALL, MISSING, REQUIRE_ENV


def require(library: str):
    """Import `library`, or skip the calling test module saying how to install it.

    With RNNCHECK_REQUIRE_BACKENDS set (CI, `rnncheck conform --require-installed`) a missing library fails instead.
    """
    try:
        return importlib.import_module(library)
    except ImportError:
        missing(library, allow_module_level=True)


def require_findable(library: str) -> None:
    """As require(), for a library another process imports: found (importlib.util.find_spec), not imported here."""
    if importlib.util.find_spec(library) is None:
        missing(library)


def missing(library: str, *, allow_module_level: bool = False):
    """Skip, or where RNNCHECK_REQUIRE_BACKENDS is set fail, saying that `library` is missing and how to install it."""
    reason = f"{library} {MISSING}: {INSTALL.get(library, f'pip install {library}')}"
    if os.environ.get(REQUIRE_ENV):
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason, allow_module_level=allow_module_level)


def keep_triton_out() -> None:
    """torch.export probes for triton (torch.utils._triton.has_triton_package), and libtriton (3.8) crashes the
    process with a segmentation fault when it loads after TensorFlow (2.21) has, which every Keras test may import.
    Nothing this suite exports needs triton (CPU graphs), so unless it is in already, importing triton fails."""
    if "triton" not in sys.modules:
        sys.modules["triton"] = None  # import triton raises ImportError: torch takes it as not installed
