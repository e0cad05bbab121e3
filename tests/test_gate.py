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
from rnncheck.train import reproduce, train, train_model, versions

# One xdist worker runs this whole file (--dist loadfile): the gate trains once and --metrics-json is written once.
pytestmark = [pytest.mark.mnist, pytest.mark.training]


@pytest.fixture(scope="session")
def gate_config(request):
    return dataclasses.replace(GATE, seed=request.config.getoption("--train-seed"))


class FirstEpochWeights(keras.callbacks.Callback):
    """The model's weights at the end of fit's first epoch; with stop=True, fit ends there."""

    def __init__(self, *, stop: bool = False):
        super().__init__()
        self.stop, self.weights = stop, None

    def on_epoch_end(self, epoch, logs=None):
        if epoch == 0:
            self.weights = self.model.get_weights()
            self.model.stop_training = self.stop


@pytest.fixture(scope="session")
def gate_first_epoch():
    return FirstEpochWeights()


@pytest.fixture(scope="session")
def gate_result(mnist, gate_config, gate_first_epoch, request):
    result = train(gate_config, mnist, verbose=0, callbacks=[gate_first_epoch])
    metrics_path = request.config.getoption("--metrics-json")
    if metrics_path:  # written before any assertion, so CI keeps the numbers of a failing run too
        minimum = request.config.getoption("--min-accuracy")
        write_json(metrics_path, {**result.to_dict(), "min_accuracy": minimum, "versions": versions()})
    return result


def test_gate_reaches_min_accuracy(gate_result, request):
    minimum = request.config.getoption("--min-accuracy")
    assert gate_result.test_accuracy >= minimum, f"test accuracy {gate_result.test_accuracy:.4f} < {minimum}"


def test_gate_training_is_deterministic(gate_result, gate_first_epoch, gate_config, mnist):
    # The gate run again through its own code path (configuration, seeding, model, optimizer, shuffle, fit) and
    # stopped after its first epoch, a third of the run: the weights there, and the epoch's loss and accuracy,
    # must be the gate run's bit for bit; evaluating the model again must give the same test loss and accuracy.
    # Not run again: epochs 2 and 3, the same compiled steps on new shuffles from the same seeded generator.
    again = FirstEpochWeights(stop=True)
    model, rerun = train_model(gate_config, mnist, verbose=0, callbacks=[again])
    assert rerun.history == gate_result.history[:1]
    assert len(again.weights) == len(gate_first_epoch.weights) == 5  # SimpleRNN's 3 (kernels, bias), Dense's 2
    for repeated, original in zip(again.weights, gate_first_epoch.weights, strict=True):
        np.testing.assert_array_equal(repeated, original)
    _, (x_test, y_test) = mnist
    assert model.evaluate(x_test, y_test, batch_size=1024, verbose=0) == [rerun.test_loss, rerun.test_accuracy]


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
