"""The regression gate: a short run on all of MNIST must reach --min-accuracy, the same way every time."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import tempfile
from pathlib import Path

import numpy as np
import pytest

from rnncheck.config import GATE
from rnncheck.params import model_params
from rnncheck.train import reproduce, train, versions

pytestmark = [pytest.mark.mnist, pytest.mark.training]


@pytest.fixture(scope="session")
def gate_config(request):
    return dataclasses.replace(GATE, seed=request.config.getoption("--train-seed"))


@pytest.fixture(scope="session")
def gate_result(mnist, gate_config, request):
    result = train(gate_config, mnist, verbose=0)
    metrics_path = request.config.getoption("--metrics-json")
    if metrics_path:  # written before any assertion, so CI keeps the numbers of a failing run too
        write_json_atomically(
            Path(metrics_path),
            {**result.to_dict(), "min_accuracy": request.config.getoption("--min-accuracy"), "versions": versions()},
        )
    return result


def write_json_atomically(path: Path, content: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".json")
    with os.fdopen(handle, "w") as stream:
        json.dump(content, stream, indent=2)
    os.replace(temporary, path)


def test_gate_reaches_min_accuracy(gate_result, request):
    minimum = request.config.getoption("--min-accuracy")
    assert gate_result.test_accuracy >= minimum, f"test accuracy {gate_result.test_accuracy:.4f} < {minimum}"


def test_gate_run_is_deterministic(gate_result, gate_config, mnist):
    again = train(gate_config, mnist, verbose=0)
    assert (again.test_accuracy, again.test_loss) == (gate_result.test_accuracy, gate_result.test_loss)
    assert again.history == gate_result.history


def test_gate_result_record_is_complete(gate_result, gate_config):
    assert gate_result.config == gate_config
    assert gate_result.params == model_params(units=gate_config.units).total
    assert len(gate_result.history) == gate_config.epochs
    assert all(math.isfinite(epoch["loss"]) for epoch in gate_result.history)
    assert 0 < gate_result.fit_seconds < gate_result.seconds


@pytest.mark.slow
def test_reproduce_classic_experiment_on_a_subset(mnist):
    (x_train, y_train), (x_test, y_test) = mnist
    subset = ((x_train[:3000], y_train[:3000]), (x_test[:1000], y_test[:1000]))
    rows = list(reproduce(subset))
    assert [(r.units, r.rnn_params, r.formula_params, r.keras_params) for r in rows] == [
        (10, 390, 500, 500),
        (20, 980, 1190, 1190),
        (30, 1770, 2080, 2080),
    ]
    assert all(np.isfinite(r.test_loss) and 0.0 <= r.test_accuracy <= 1.0 for r in rows)
