"""Smoke checks on the real MNIST: the loader's verification, both formats, and a model that learns."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import numpy as np
import pytest

from rnncheck.config import TrainConfig
from rnncheck.data import load_mnist
from rnncheck.train import train
from tests.files import idx_bytes

pytestmark = pytest.mark.mnist

SHARED_IDX = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "mnist-idx"


def test_real_mnist_has_the_published_shape_and_statistics(mnist):
    (x_train, y_train), (x_test, y_test) = mnist
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert x_train.dtype == np.float32 and 0.0 == x_train.min() and x_train.max() == 1.0
    assert np.bincount(y_test, minlength=10).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert float(x_train.mean()) == pytest.approx(0.1306605, abs=1e-6)  # the published mean


def test_idx_folder_of_real_mnist_passes_verification(mnist, tmp_path):
    """The four original IDX files (three as published, where present) verify like mnist.npz."""
    (x_train, y_train), (x_test, y_test) = mnist
    as_bytes = {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}
    names = {
        "x_train": "train-images-idx3-ubyte",
        "y_train": "train-labels-idx1-ubyte",
        "x_test": "t10k-images-idx3-ubyte",
        "y_test": "t10k-labels-idx1-ubyte",
    }
    for key, name in names.items():
        published = SHARED_IDX / f"{name}.gz"
        if published.is_file():
            shutil.copy(published, tmp_path / published.name)
        else:  # the training images are not in shared/: write them back from the verified arrays
            array = as_bytes[key]
            array = np.rint(array * 255).astype(np.uint8) if array.dtype == np.float32 else array
            (tmp_path / f"{name}.gz").write_bytes(gzip.compress(idx_bytes(array), compresslevel=1))
    (x2, y2), (x3, y3) = load_mnist(tmp_path, verify=True)
    np.testing.assert_array_equal(x3, x_test)
    np.testing.assert_array_equal(y2, y_train)


def test_a_short_run_learns_well_above_chance(mnist):
    (x_train, y_train), test = mnist
    result = train(
        TrainConfig(units=32, learning_rate=3e-3, batch_size=128, epochs=1),
        ((x_train[:10000], y_train[:10000]), test),
        verbose=0,
    )
    assert result.params == 32 * (28 + 32 + 1) + 33 * 10
    assert result.test_accuracy > 0.5  # chance is 0.1
