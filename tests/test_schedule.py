"""The files conftest.py starts first are files of the suite: a renamed one would silently fall back to its place."""

from __future__ import annotations

import pytest

from conftest import LONGEST_FILES  # the project root's conftest.py, on sys.path as pytest imports it


@pytest.mark.parametrize("path", LONGEST_FILES)
def test_each_long_file_started_first_exists(path, pytestconfig):
    assert (pytestconfig.rootpath / path).is_file(), f"conftest.LONGEST_FILES names {path}, which is not a file"
