"""Smoke checks on the real MNIST: the loader's verification, both formats, and a model that learns."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from rnncheck.config import TrainConfig
from rnncheck.data import IDX_NAMES, load_mnist
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
    """The four original IDX files (the published ones where shared/ has them) verify like mnist.npz."""
    (x_train, y_train), (x_test, y_test) = mnist
    original = {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}
    for key, name in IDX_NAMES.items():
        published = SHARED_IDX / f"{name}.gz"
        if published.is_file():
            shutil.copy(published, tmp_path / published.name)
        else:  # shared/ lacks the training images: write them, uncompressed, from the verified arrays
            as_stored = np.rint(original[key] * 255).astype(np.uint8) if key.startswith("x") else original[key]
            (tmp_path / name).write_bytes(idx_bytes(as_stored))
    (x_train_idx, y_train_idx), (x_test_idx, y_test_idx) = load_mnist(tmp_path, verify=True)
    loaded = {"x_train": x_train_idx, "y_train": y_train_idx, "x_test": x_test_idx, "y_test": y_test_idx}
    for key in original:  # not assert_array_equal: its NaN and infinity passes take 1 s over 55 million pixels
        assert loaded[key].dtype == original[key].dtype and np.array_equal(loaded[key], original[key]), key


@pytest.mark.training
def test_a_short_run_learns_well_above_chance(mnist):
    (x_train, y_train), test = mnist
    result = train(
        TrainConfig(units=32, learning_rate=3e-3, batch_size=128, epochs=1),
        ((x_train[:10000], y_train[:10000]), test),
        verbose=0,
    )
    assert result.params == 32 * (28 + 32 + 1) + 33 * 10
    assert result.test_accuracy > 0.5  # chance is 0.1
