"""A safe, verified MNIST loader (NumPy only; Keras is imported only to download).

Where the data comes from, first match wins: the `path` argument, the RNNCHECK_MNIST
environment variable, the Keras cache ($KERAS_HOME/datasets/mnist.npz, default ~/.keras),
then a download of Keras's mnist.npz checked against its published sha256.

Two formats: Keras's mnist.npz (x_train, y_train, x_test, y_test), or a directory of the
four original IDX files (raw or .gz). Every problem raises DatasetError naming the file.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import math
import os
import sys
import zipfile
import zlib
from pathlib import Path

import numpy as np

ENV_VAR = "RNNCHECK_MNIST"
MNIST_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
MNIST_FILE_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"

# sha256 of each official array's raw bytes (uint8, C order): the file bytes of an .npz
# vary with how it was zipped, the arrays do not.
MNIST_ARRAY_SHA256 = {
    "x_train": "741c988805d008ac6e4c904b69001ba184c24b2c540a4ef403f4c71b676cf757",
    "y_train": "1feba77c54802fa5339a11837ea4b2866434b83314ec45192930f1df69120c13",
    "x_test": "6d87418db22cc8025d05968bec9bd5c3932904b23485740db143a061a2c9d161",
    "y_test": "ddeff807876a9661a1110d45c266c86239a3a1b7d37da0c3716a7a683c852ff5",
}
KEYS = ("x_train", "y_train", "x_test", "y_test")
IDX_NAMES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}
IMAGE_SHAPE = (28, 28)
NUM_CLASSES = 10
HOW_TO_PROVIDE = (
    f"Pass its path (load_mnist(path), --data on the command line) or set {ENV_VAR} to Keras's mnist.npz "
    "or to a folder of the four IDX files, "
    "or place mnist.npz in the Keras cache ($KERAS_HOME/datasets/mnist.npz, default ~/.keras/datasets/mnist.npz)."
)


class DatasetError(ValueError):
    """The dataset is missing, malformed, or not the one asked for."""


def keras_cache_path() -> Path:
    """Where Keras keeps mnist.npz: $KERAS_HOME/datasets/mnist.npz (default ~/.keras)."""
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return Path(home) / "datasets" / "mnist.npz"


def load_mnist(path: str | os.PathLike | None = None, *, verify: bool = True):
    """Return (x_train, y_train), (x_test, y_test): images float32 in [0, 1] (N, 28, 28), labels uint8 0-9.

    verify=True also checks each array's sha256 against the official MNIST.
    """
    source = find_mnist(path)
    arrays = read_idx_dir(source) if source.is_dir() else read_npz(source)
    check_arrays(arrays, source)
    if verify:
        verify_arrays(arrays, source)
    return (
        (to_float(arrays["x_train"]), arrays["y_train"].astype(np.uint8)),
        (to_float(arrays["x_test"]), arrays["y_test"].astype(np.uint8)),
    )


def find_mnist(path: str | os.PathLike | None = None) -> Path:
    """The first of: `path`, $RNNCHECK_MNIST, the Keras cache, a fresh download."""
    for given, origin in ((path, "path"), (os.environ.get(ENV_VAR) or None, ENV_VAR)):
        if given is not None:
            found = Path(given).expanduser()
            if not found.exists():
                raise DatasetError(f"MNIST not found: {found} (given by {origin}) does not exist. {HOW_TO_PROVIDE}")
            return found
    cached = keras_cache_path()
    return cached if cached.is_file() else download_mnist(cached)


def download_mnist(target: Path) -> Path:
    """Download Keras's mnist.npz into `target`'s folder, checked against its published sha256."""
    import keras  # only here: everything else in this module is NumPy

    target.parent.mkdir(parents=True, exist_ok=True)  # else get_file falls back to /tmp/.keras
    try:
        with contextlib.redirect_stdout(sys.stderr):  # keep stdout clean for --json
            fetched = keras.utils.get_file(
                fname=target.name,
                origin=MNIST_URL,
                file_hash=MNIST_FILE_SHA256,
                cache_dir=str(target.parent.parent),
                cache_subdir=target.parent.name,
            )
    except Exception as error:  # get_file raises bare Exception on network failures
        target.unlink(missing_ok=True)  # get_file keeps a file that failed its hash check
        raise DatasetError(
            f"MNIST is not on this machine and could not be downloaded from {MNIST_URL} ({error}). {HOW_TO_PROVIDE}"
        ) from None
    return Path(fetched)


def read_npz(path: Path) -> dict[str, np.ndarray]:
    """The four arrays of a Keras-style .npz, never unpickling anything."""
    try:
        with open(path, "rb") as stream:  # ours to close, whatever np.load raises
            archive = np.load(stream, allow_pickle=False)
            if not isinstance(archive, np.lib.npyio.NpzFile):
                raise DatasetError(f"{path}: a single .npy array, not an .npz archive with {', '.join(KEYS)}")
            with archive:
                missing = [key for key in KEYS if key not in archive.files]
                if missing:
                    found = ", ".join(archive.files) or "none"
                    raise DatasetError(f"{path}: missing key(s) {', '.join(missing)}; found {found}")
                return {key: archive[key] for key in KEYS}
    except DatasetError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as error:
        raise DatasetError(f"{path}: not a readable .npz archive ({error})") from None


def read_idx_dir(folder: Path) -> dict[str, np.ndarray]:
    """The four arrays from the original IDX files in `folder`, each raw or gzipped."""
    arrays = {}
    for key, name in IDX_NAMES.items():
        candidates = [folder / name, folder / f"{name}.gz"]
        found = next((c for c in candidates if c.is_file()), None)
        if found is None:
            raise DatasetError(
                f"{folder}: neither {name} nor {name}.gz is there (an MNIST folder needs all four IDX files)"
            )
        arrays[key] = read_idx(found)
    return arrays


def read_idx(path: Path) -> np.ndarray:
    """One IDX file of unsigned bytes: magic 0x0000 08 <ndim>, ndim big-endian sizes, then the data."""
    try:
        with gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb") as stream:
            raw = stream.read()
    except (OSError, EOFError, zlib.error) as error:
        raise DatasetError(f"{path}: cannot be read ({error})") from None
    if len(raw) < 4 or raw[0:2] != b"\0\0" or raw[2] != 0x08 or raw[3] not in (1, 3):
        raise DatasetError(
            f"{path}: bad IDX magic number {raw[:4].hex() or '(empty file)'}; "
            "expected 00000801 or 00000803 (unsigned bytes)"
        )
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DatasetError(f"{path}: truncated IDX header ({len(raw)} bytes)")
    shape = tuple(int(n) for n in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    expected = math.prod(shape)
    if len(raw) - header != expected:
        raise DatasetError(f"{path}: IDX body has {len(raw) - header} bytes, its header {shape} says {expected}")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def check_arrays(arrays: dict[str, np.ndarray], source: Path) -> None:
    """Structure every MNIST-like dataset must have: uint8 images (N, 28, 28), labels (N,) in 0-9."""
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if x.dtype != np.uint8 or x.ndim != 3 or x.shape[1:] != IMAGE_SHAPE or len(x) == 0:
            raise DatasetError(
                f"{source}: x_{split} must be uint8 images of shape (N, 28, 28), got {x.dtype} {x.shape}"
            )
        if y.dtype.kind not in "iu" or y.shape != (len(x),):
            raise DatasetError(f"{source}: y_{split} must be {len(x)} integer labels, got {y.dtype} {y.shape}")
        if y.min() < 0 or y.max() >= NUM_CLASSES:
            raise DatasetError(f"{source}: y_{split} has labels outside 0-9 (min {y.min()}, max {y.max()})")


def verify_arrays(arrays: dict[str, np.ndarray], source: Path) -> None:
    """Check each array's sha256 against the official MNIST's."""
    for key, expected in MNIST_ARRAY_SHA256.items():
        if array_sha256(arrays[key]) != expected:
            raise DatasetError(
                f"{source}: {key} is not the official MNIST (sha256 mismatch); "
                "to use another dataset in the same format, pass verify=False (--no-verify on the command line)"
            )


def array_sha256(array: np.ndarray) -> str:
    """sha256 of the array's raw bytes in C order."""
    return hashlib.sha256(np.ascontiguousarray(array)).hexdigest()


def to_float(images: np.ndarray) -> np.ndarray:
    """uint8 -> float32 in [0, 1], with no float64 copy on the way."""
    out = images.astype(np.float32)
    out /= np.float32(255)
    return out


def one_hot(labels: np.ndarray, num_classes: int = NUM_CLASSES) -> np.ndarray:
    """Integer labels (N,) -> float32 one-hot rows (N, num_classes)."""
    labels = np.asarray(labels)
    if labels.dtype.kind not in "iu" or labels.ndim != 1:
        raise ValueError(f"labels must be a 1-D integer array, got {labels.dtype} {labels.shape}")
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"labels must lie in 0..{num_classes - 1}, got {labels.min()}..{labels.max()}")
    return np.eye(num_classes, dtype=np.float32)[labels]
