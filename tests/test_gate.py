"""The regression gate: a short run on all of MNIST must reach --min-accuracy, the same way every time."""

from __future__ import annotations

import dataclasses
import math

import keras
import numpy as np
import pytest

from rnncheck.config import CLASSIC, GATE
from rnncheck.files import write_json
from rnncheck.params import model_params
from rnncheck.train import reproduce, train, versions

# One xdist worker runs this whole file (--dist loadfile): the gate trains once and --metrics-json is written once.
pytestmark = [pytest.mark.mnist, pytest.mark.training]


@pytest.fixture(scope="session")
def gate_config(request):
    return dataclasses.replace(GATE, seed=request.config.getoption("--train-seed"))


class FirstCall(keras.callbacks.Callback):
    """The weights and loss after fit's first call into the compiled train function (steps_per_execution
    steps); with stop=True, training stops there."""

    def __init__(self, *, stop: bool = False):
        super().__init__()
        self.stop, self.weights, self.loss = stop, None, None

    def on_train_batch_end(self, batch, logs=None):
        if self.weights is None:
            self.weights, self.loss = self.model.get_weights(), float(logs["loss"])
            self.model.stop_training = self.stop


@pytest.fixture(scope="session")
def gate_first_call():
    return FirstCall()


@pytest.fixture(scope="session")
def gate_result(mnist, gate_config, gate_first_call, request):
    result = train(gate_config, mnist, verbose=0, callbacks=[gate_first_call])
    metrics_path = request.config.getoption("--metrics-json")
    if metrics_path:  # written before any assertion, so CI keeps the numbers of a failing run too
        minimum = request.config.getoption("--min-accuracy")
        write_json(metrics_path, {**result.to_dict(), "min_accuracy": minimum, "versions": versions()})
    return result


def test_gate_reaches_min_accuracy(gate_result, request):
    minimum = request.config.getoption("--min-accuracy")
    assert gate_result.test_accuracy >= minimum, f"test accuracy {gate_result.test_accuracy:.4f} < {minimum}"


def test_gate_training_is_deterministic(gate_result, gate_first_call, gate_config, mnist):
    # The gate run again through its own code path (configuration, seeding, model, optimizer, shuffle, fit),
    # stopped after fit's first call into the compiled function (steps_per_execution steps, 16 on TensorFlow):
    # its weights there must be the gate run's, bit for bit. A second full run would call the same function
    # 56 more times, on shuffles drawn from the same seeded generator: 1 s instead of 6.
    again = FirstCall(stop=True)
    train(gate_config, mnist, verbose=0, callbacks=[again])
    assert gate_first_call.loss == again.loss
    assert len(again.weights) == len(gate_first_call.weights) == 5  # SimpleRNN's 3 (kernels, bias), Dense's 2
    for repeated, original in zip(again.weights, gate_first_call.weights, strict=True):
        np.testing.assert_array_equal(repeated, original)


def test_gate_result_record_is_complete(gate_result, gate_config):
    assert gate_result.config.units == gate_config.units and gate_result.config.seed == gate_config.seed
    assert gate_result.params == model_params(units=gate_config.units).total
    assert len(gate_result.history) == gate_config.epochs
    assert all(math.isfinite(epoch["loss"]) for epoch in gate_result.history)
    assert 0 < gate_result.fit_seconds < gate_result.seconds


@pytest.mark.slow
def test_reproduce_classic_experiment_on_a_subset(mnist):
    (x_train, y_train), (x_test, y_test) = mnist
    subset = ((x_train[:600], y_train[:600]), (x_test[:200], y_test[:200]))
    rows = list(reproduce(subset, config=dataclasses.replace(CLASSIC, epochs=1)))  # the rows, not the accuracy
    assert [(r.units, r.rnn_params, r.formula_params, r.keras_params) for r in rows] == [
        (10, 390, 500, 500),
        (20, 980, 1190, 1190),
        (30, 1770, 2080, 2080),
    ]
    assert all(np.isfinite(r.test_loss) and 0.0 <= r.test_accuracy <= 1.0 for r in rows)
