"""Small MNIST-shaped files that the tests write themselves (Keras .npz and IDX)."""

from __future__ import annotations

import gzip
import io
import struct
from pathlib import Path

import numpy as np

from rnncheck.data import IDX_NAMES


def tiny_arrays(train: int = 6, test: int = 4, seed: int = 0) -> dict[str, np.ndarray]:
    """Random uint8 images (N, 28, 28) with labels 0-9: the layout of mnist.npz, not its content."""
    rng = np.random.default_rng(seed)
    return {
        "x_train": rng.integers(0, 256, (train, 28, 28), dtype=np.uint8),
        "y_train": np.arange(train, dtype=np.uint8) % 10,
        "x_test": rng.integers(0, 256, (test, 28, 28), dtype=np.uint8),
        "y_test": (np.arange(test, dtype=np.uint8) + 3) % 10,
    }


def write_npz(path: Path, arrays: dict, **changes) -> Path:
    """arrays with `changes` applied (None drops a key), saved like Keras's mnist.npz."""
    merged = {**arrays, **changes}
    np.savez_compressed(path, **{k: v for k, v in merged.items() if v is not None})
    return path


def npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def idx_bytes(array: np.ndarray) -> bytes:
    """The IDX encoding: 0x0000, type 0x08 (unsigned byte), ndim, big-endian sizes, then the data."""
    return bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()


def write_idx_dir(folder: Path, arrays: dict, *, gz: bool) -> Path:
    folder.mkdir(exist_ok=True)
    for key, name in IDX_NAMES.items():
        raw = idx_bytes(arrays[key])
        (folder / f"{name}.gz").write_bytes(gzip.compress(raw)) if gz else (folder / name).write_bytes(raw)
    return folder
