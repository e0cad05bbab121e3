"""train() on a tiny dataset: the result record, and what it refuses. No MNIST needed."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from rnncheck.config import CLASSIC
from rnncheck.data import to_float
from rnncheck.train import train
from tests.files import tiny_arrays


@pytest.fixture(scope="module")
def tiny_data():
    a = tiny_arrays(train=32, test=8)
    return (to_float(a["x_train"]), a["y_train"]), (to_float(a["x_test"]), a["y_test"])


def test_result_record_holds_counts_metrics_and_history(tiny_data):
    config = dataclasses.replace(CLASSIC, units=3, epochs=2, batch_size=16)
    result = train(config, tiny_data, verbose=0)
    assert result.config == config
    assert result.params == 3 * (28 + 3 + 1) + (3 + 1) * 10
    assert [sorted(epoch) for epoch in result.history] == [["accuracy", "loss"]] * 2
    assert np.isfinite(result.test_loss) and 0.0 <= result.test_accuracy <= 1.0
    assert 0 < result.fit_seconds < result.seconds


@pytest.mark.parametrize("seed", [-1, 1.5, True, "0"])
def test_bad_seed_raises_naming_it(tiny_data, seed):
    with pytest.raises(ValueError, match="seed must be a non-negative integer"):
        train(dataclasses.replace(CLASSIC, seed=seed), tiny_data, verbose=0)


@pytest.mark.parametrize("option", ["batch_size", "epochs", "units"])
def test_bad_sizes_raise_naming_them(tiny_data, option):
    with pytest.raises(ValueError, match=option):
        train(dataclasses.replace(CLASSIC, **{option: 0}), tiny_data, verbose=0)
