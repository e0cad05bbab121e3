"""train() and reproduce() on a tiny dataset: the records, and the configuration that actually ran. No MNIST needed."""

from __future__ import annotations

import dataclasses

import keras
import numpy as np
import pytest

from rnncheck.config import CLASSIC, GATE, for_backend
from rnncheck.data import to_float
from rnncheck.train import reproduce, train, versions
from tests.files import tiny_arrays


@pytest.fixture(scope="module")
def tiny_data():
    a = tiny_arrays(train=32, test=8)
    return (to_float(a["x_train"]), a["y_train"]), (to_float(a["x_test"]), a["y_test"])


# The gate preset, made tiny: what a run records, and what ran (unroll, steps_per_execution, cosine decay).
TINY_GATE = dataclasses.replace(GATE, units=3, epochs=2, batch_size=8)


@pytest.fixture(scope="module")
def tiny_gate_run(tiny_data):
    return train(TINY_GATE, tiny_data, verbose=0)


def test_result_record_holds_counts_metrics_and_history(tiny_gate_run):
    result = tiny_gate_run
    assert result.params == 3 * (28 + 3 + 1) + (3 + 1) * 10
    assert [sorted(epoch) for epoch in result.history] == [["accuracy", "loss"]] * 2
    assert np.isfinite(result.test_loss) and 0.0 <= result.test_accuracy <= 1.0
    assert 0 < result.fit_seconds < result.seconds


def test_the_gate_preset_runs_on_the_active_backend(tiny_gate_run):
    assert tiny_gate_run.config == for_backend(TINY_GATE, keras.backend.backend())  # what ran, as it ran


def test_reproduce_counts_each_size_by_formula_and_by_keras(tiny_data):
    (row,) = reproduce(tiny_data, units=[2], config=dataclasses.replace(CLASSIC, epochs=1))
    assert (row.units, row.rnn_params, row.formula_params, row.keras_params) == (2, 62, 92, 92)  # + Dense's 30
    assert np.isfinite(row.test_loss) and 0.0 <= row.test_accuracy <= 1.0 and row.seconds > 0


def test_versions_name_the_active_backend_and_its_library():
    found = versions()
    backend = keras.backend.backend()
    assert found["backend"] == backend and found[backend]  # e.g. "jax": "0.10.2"
    assert found["cpu_count"] >= 1
