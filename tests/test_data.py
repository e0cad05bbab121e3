"""The MNIST loader, on small files the tests write themselves: both formats and every bad input."""

from __future__ import annotations

import hashlib
import inspect
import tracemalloc

import numpy as np
import pytest

from rnncheck import data
from rnncheck.data import DatasetError, load_mnist, one_hot
from tests.files import npy_bytes, tiny_arrays, write_idx_dir, write_npz


@pytest.fixture
def arrays() -> dict[str, np.ndarray]:
    """6 training images labelled 0-5 and 4 test images labelled 3-6, pixels random bytes."""
    return tiny_arrays()


def assert_loaded_equals(loaded, arrays) -> None:
    (x_train, y_train), (x_test, y_test) = loaded
    for x, key in ((x_train, "x_train"), (x_test, "x_test")):
        assert x.dtype == np.float32 and x.shape == arrays[key].shape
        np.testing.assert_array_equal(x, arrays[key].astype(np.float32) / np.float32(255))
    np.testing.assert_array_equal(y_train, arrays["y_train"])
    np.testing.assert_array_equal(y_test, arrays["y_test"])


def test_npz_loads_as_float32_in_unit_range(tmp_path, arrays):
    loaded = load_mnist(write_npz(tmp_path / "mnist.npz", arrays), verify=False)
    assert_loaded_equals(loaded, arrays)
    assert 0.0 <= loaded[0][0].min() and loaded[0][0].max() <= 1.0


def test_labels_come_back_as_writable_uint8(tmp_path, arrays):
    (_, y_train), (_, y_test) = load_mnist(
        write_npz(tmp_path / "m.npz", arrays, y_test=arrays["y_test"].astype(np.int64)), verify=False
    )
    for labels in (y_train, y_test):
        assert labels.dtype == np.uint8 and labels.flags.writeable


@pytest.mark.parametrize("gz", [False, True], ids=["raw", "gzip"])
def test_idx_folder_loads_the_same_arrays(tmp_path, arrays, gz):
    assert_loaded_equals(load_mnist(write_idx_dir(tmp_path / "idx", arrays, gz=gz), verify=False), arrays)


def test_verify_rejects_data_that_is_not_official_mnist(tmp_path, arrays):
    path = write_npz(tmp_path / "fashion.npz", arrays)
    with pytest.raises(DatasetError, match=r"fashion\.npz: x_train is not the official MNIST"):
        load_mnist(path)


def test_official_fingerprints_are_sha256_of_raw_bytes(arrays):
    assert data.array_sha256(arrays["y_test"]) == hashlib.sha256(arrays["y_test"].tobytes()).hexdigest()


# Where the data comes from: path, then $RNNCHECK_MNIST, then the Keras cache, then a download.


@pytest.fixture
def clean_environment(monkeypatch, tmp_path):
    monkeypatch.delenv(data.ENV_VAR, raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))


def test_path_argument_wins_over_environment(tmp_path, arrays, monkeypatch, clean_environment):
    monkeypatch.setenv(data.ENV_VAR, str(tmp_path / "missing.npz"))
    assert data.find_mnist(write_npz(tmp_path / "given.npz", arrays)) == tmp_path / "given.npz"


def test_environment_variable_wins_over_keras_cache(tmp_path, arrays, monkeypatch, clean_environment):
    cached = data.keras_cache_path()
    cached.parent.mkdir(parents=True)
    write_npz(cached, arrays)
    monkeypatch.setenv(data.ENV_VAR, str(write_npz(tmp_path / "env.npz", arrays)))
    assert data.find_mnist() == tmp_path / "env.npz"


def test_keras_cache_is_used_before_downloading(tmp_path, arrays, clean_environment):
    cached = data.keras_cache_path()
    assert cached == tmp_path / "keras_home" / "datasets" / "mnist.npz"
    cached.parent.mkdir(parents=True)
    assert_loaded_equals(load_mnist(write_npz(cached, arrays), verify=False), arrays)
    assert data.find_mnist() == cached


def test_download_url_and_hash_are_the_ones_keras_uses():
    import keras

    source = inspect.getsource(keras.datasets.mnist.load_data)
    assert data.MNIST_FILE_SHA256 in source
    assert data.MNIST_URL.rsplit("/", 1)[0] in source


def test_download_fetches_checks_and_caches(tmp_path, arrays, monkeypatch, clean_environment):
    served = write_npz(tmp_path / "served.npz", arrays)
    monkeypatch.setattr(data, "MNIST_URL", served.as_uri())  # a real keras.utils.get_file, from a file:// URL
    monkeypatch.setattr(data, "MNIST_FILE_SHA256", hashlib.sha256(served.read_bytes()).hexdigest())
    assert_loaded_equals(load_mnist(verify=False), arrays)
    assert data.keras_cache_path().read_bytes() == served.read_bytes()


def test_download_with_wrong_hash_fails_clearly(tmp_path, arrays, monkeypatch, clean_environment):
    monkeypatch.setattr(data, "MNIST_URL", write_npz(tmp_path / "served.npz", arrays).as_uri())
    monkeypatch.setattr(data, "MNIST_FILE_SHA256", "0" * 64)
    with pytest.raises(DatasetError, match=f"could not be downloaded.*{data.ENV_VAR}"):
        load_mnist(verify=False)
    assert not data.keras_cache_path().exists()  # no unverified file left behind for next time


def test_missing_path_says_how_to_provide_mnist(tmp_path, clean_environment):
    with pytest.raises(DatasetError, match=rf"nowhere\.npz.*does not exist.*{data.ENV_VAR}.*datasets/mnist\.npz"):
        load_mnist(tmp_path / "nowhere.npz")


# Bad .npz files: (what to write, what the message says). Each error names the file.

BAD_NPZ = {
    "missing key": (lambda p, a: write_npz(p, a, y_test=None), "missing key.*y_test"),
    "float images": (lambda p, a: write_npz(p, a, x_train=a["x_train"] / 255), r"x_train must be uint8.*float64"),
    "wrong image shape": (lambda p, a: write_npz(p, a, x_test=a["x_test"][:, :27]), r"x_test must be .*\(4, 27, 28\)"),
    "labels out of range": (lambda p, a: write_npz(p, a, y_train=a["y_train"] + 5), "labels outside 0-9"),
    "label count": (lambda p, a: write_npz(p, a, y_test=a["y_test"][:3]), "y_test must be 4 integer labels"),
    "float labels": (lambda p, a: write_npz(p, a, y_test=a["y_test"].astype(float)), "y_test must be 4 integer labels"),
    "pickled objects": (
        lambda p, a: write_npz(p, a, y_train=np.array([object()] * 6)),
        "not a readable .npz.*allow_pickle",
    ),
    "not a zip": (lambda p, a: p.write_text("hello"), "not a readable .npz"),
    "empty file": (lambda p, a: p.write_bytes(b""), "not a readable .npz"),
    "single .npy": (lambda p, a: p.write_bytes(npy_bytes(a["x_train"])), "a single .npy array"),
}


@pytest.mark.parametrize("writer, message", BAD_NPZ.values(), ids=BAD_NPZ.keys())
def test_bad_npz_raises_dataset_error_naming_the_file(tmp_path, arrays, writer, message):
    path = tmp_path / "bad.npz"
    writer(path, arrays)
    before = path.read_bytes()
    with pytest.raises(DatasetError, match=rf"bad\.npz.*{message}"):
        load_mnist(path, verify=False)
    assert path.read_bytes() == before  # nothing touched


def test_truncated_npz_raises_dataset_error(tmp_path, arrays):
    whole = write_npz(tmp_path / "whole.npz", arrays).read_bytes()
    (tmp_path / "cut.npz").write_bytes(whole[: len(whole) // 2])
    with pytest.raises(DatasetError, match=r"cut\.npz: not a readable \.npz"):
        load_mnist(tmp_path / "cut.npz", verify=False)


def test_corrupt_npz_member_raises_dataset_error(tmp_path, arrays):
    raw = bytearray(write_npz(tmp_path / "bad.npz", arrays).read_bytes())
    middle = len(raw) // 3
    raw[middle : middle + 64] = bytes(64)  # inside the first member's compressed data
    (tmp_path / "bad.npz").write_bytes(bytes(raw))
    with pytest.raises(DatasetError, match=r"bad\.npz: not a readable \.npz"):
        load_mnist(tmp_path / "bad.npz", verify=False)


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda raw: b"\x00\x00\x0d\x03" + raw[4:], "bad IDX magic number 00000d03"),  # float IDX
        (lambda raw: raw[:-1], "IDX body has 3135 bytes, its header \\(4, 28, 28\\) says 3136"),  # truncated body
        (lambda raw: raw + b"\x00", "IDX body has 3137 bytes"),
        (lambda raw: raw[:10], "truncated IDX header"),
        (lambda raw: b"", "bad IDX magic number \\(empty file\\)"),
    ],
    ids=["magic", "truncated", "trailing", "header", "empty"],
)
def test_bad_idx_raises_dataset_error_naming_the_file(tmp_path, arrays, damage, message):
    folder = write_idx_dir(tmp_path / "idx", arrays, gz=False)
    target = folder / data.IDX_NAMES["x_test"]
    target.write_bytes(damage(target.read_bytes()))
    with pytest.raises(DatasetError, match=rf"t10k-images-idx3-ubyte: {message}"):
        load_mnist(folder, verify=False)


def test_idx_folder_missing_a_file_names_it(tmp_path, arrays):
    folder = write_idx_dir(tmp_path / "idx", arrays, gz=True)
    (folder / "train-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DatasetError, match="neither train-labels-idx1-ubyte nor train-labels-idx1-ubyte.gz"):
        load_mnist(folder, verify=False)


def test_corrupt_gzip_idx_raises_dataset_error(tmp_path, arrays):
    folder = write_idx_dir(tmp_path / "idx", arrays, gz=True)
    target = folder / "t10k-labels-idx1-ubyte.gz"
    target.write_bytes(target.read_bytes()[:-8] + b"garbage!")
    with pytest.raises(DatasetError, match=r"t10k-labels-idx1-ubyte\.gz: cannot be read"):
        load_mnist(folder, verify=False)


def test_dataset_error_is_a_value_error():
    assert issubclass(DatasetError, ValueError)


def test_float_conversion_holds_no_float64_copy():
    images = np.zeros((2000, 28, 28), np.uint8)
    tracemalloc.start()
    converted = data.to_float(images)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert converted.dtype == np.float32
    assert peak < 1.2 * converted.nbytes  # a float64 intermediate would be 2x


def test_one_hot_rows():
    np.testing.assert_array_equal(one_hot(np.array([2, 0]), 3), [[0, 0, 1], [1, 0, 0]])
    assert one_hot(np.array([9], np.uint8)).dtype == np.float32
    with pytest.raises(ValueError, match="0..9"):
        one_hot(np.array([10]))
