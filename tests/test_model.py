"""The MNIST RNN model: layer shapes and parameter counts for the classic sizes, on Keras 3."""

from __future__ import annotations

import dataclasses
import warnings

import keras
import pytest

from rnncheck.config import CLASSIC, GATE, TrainConfig
from rnncheck.model import build_model, make_optimizer
from rnncheck.params import model_params

CLASSIC_ROWS = [(10, 390, 110), (20, 980, 210), (30, 1770, 310)]  # units, SimpleRNN, Dense(10)


@pytest.mark.parametrize("units, rnn_params, dense_params", CLASSIC_ROWS, ids=["10-units", "20-units", "30-units"])
def test_classic_model_counts_and_shapes(units, rnn_params, dense_params):
    model = build_model(dataclasses.replace(CLASSIC, units=units), train_size=60_000)
    rnn, dense = model.layers
    assert (rnn.count_params(), dense.count_params()) == (rnn_params, dense_params)
    assert model.count_params() == model_params(units=units).total
    assert tuple(model.input_shape) == (None, 28, 28)  # (batch, time, pixels)
    assert tuple(rnn.output.shape) == (None, units)  # (batch, units): the last step only
    assert tuple(model.output_shape) == (None, 10)  # (batch, classes)


def test_defaults_are_the_classic_script():
    model = build_model(train_size=60_000)
    assert model.layers[0].units == 10
    assert float(model.optimizer.learning_rate) == pytest.approx(1e-4)
    assert model.layers[1].activation is keras.activations.softmax


def test_gate_builds_without_any_warning():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        build_model(GATE, train_size=60_000)
    assert [str(w.message) for w in caught] == []


def test_cosine_decay_falls_to_zero_over_the_run():
    config = TrainConfig(learning_rate=1e-2, batch_size=10, epochs=2, cosine_decay=True)
    optimizer = make_optimizer(config, train_size=50)  # 2 epochs of 5 steps: decays over 10 steps
    rates = []
    for step in (0, 5, 10):
        optimizer.iterations.assign(step)
        rates.append(float(optimizer.learning_rate))
    assert rates == pytest.approx([1e-2, 0.5e-2, 0.0], abs=1e-9)  # 1e-2 * (1 + cos(pi * step / 10)) / 2


def test_keras3_rejects_the_classic_lr_keyword():
    # Why make_optimizer says learning_rate=: the classic script's Adam(lr=1e-4) no longer runs.
    with pytest.raises(ValueError, match="not recognized"):
        keras.optimizers.Adam(lr=1e-4)


@pytest.mark.parametrize("option", ["time_steps", "input_size", "num_classes", "train_size"])
@pytest.mark.parametrize("value", [0, -1, 2.5, True])
def test_bad_sizes_raise_naming_the_option(option, value):
    sizes = {"train_size": 100, option: value}
    with pytest.raises((TypeError, ValueError), match=option):
        build_model(dataclasses.replace(CLASSIC, cosine_decay=True), **sizes)
