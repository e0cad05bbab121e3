"""Files are written whole or not at all, with the permissions a plain write would give."""

from __future__ import annotations

import json
import os
import stat

import pytest

from rnncheck.files import atomic_write, write_json


@pytest.fixture
def umask_027():
    previous = os.umask(0o027)
    yield 0o027
    os.umask(previous)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_new_file_gets_the_permissions_of_a_plain_write(tmp_path, umask_027):
    plain = tmp_path / "plain.json"
    plain.write_text("{}")
    written = write_json(tmp_path / "atomic.json", {"a": 1})
    assert mode(written) == mode(plain) == 0o640  # 0o666 & ~0o027, not mkstemp's 0o600


def test_replaced_file_keeps_its_permissions(tmp_path):
    target = tmp_path / "metrics.json"
    target.write_text("old")
    os.chmod(target, 0o604)
    write_json(target, [1, 2])
    assert mode(target) == 0o604 and json.loads(target.read_text()) == [1, 2]


def test_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "plot.png"
    target.write_bytes(b"old picture")

    def half_then_fail(temporary):
        temporary.write_bytes(b"half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        atomic_write(target, half_then_fail)
    assert target.read_bytes() == b"old picture"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plot.png"]


def test_unwritable_folder_raises_os_error(tmp_path):
    with pytest.raises(OSError):
        write_json(tmp_path / "no" / "such" / "folder.json", {})
