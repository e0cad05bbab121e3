"""Writing a file whole or not at all (pure Python)."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def atomic_write(path: str | os.PathLike, write: Callable[[Path], object]) -> Path:
    """Call write(temporary) on a file beside `path`, then rename it over `path`.

    A reader sees the old file or the new one, never half of one; if `write` fails, `path` is untouched.
    The file gets the permissions a plain open() would give: those of the file it replaces, else 0o666 & ~umask.
    """
    path = Path(path)
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    temporary = Path(name)
    try:
        write(temporary)
        os.chmod(temporary, path.stat().st_mode & 0o7777 if path.exists() else 0o666 & ~_umask())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path


def write_json(path: str | os.PathLike, content) -> Path:
    """`content` as indented JSON in `path`, written atomically."""
    return atomic_write(path, lambda temporary: temporary.write_text(json.dumps(content, indent=2) + "\n"))


def _umask() -> int:
    mask = os.umask(0o022)  # the only way to read it is to set it; put it straight back
    os.umask(mask)
    return mask
