"""The MNIST RNN model: layer shapes and parameter counts for the classic sizes, on Keras 3."""

from __future__ import annotations

import warnings

import keras
import pytest

from rnncheck.model import build_model
from rnncheck.params import model_params

CLASSIC_ROWS = [(10, 390, 110), (20, 980, 210), (30, 1770, 310)]  # units, SimpleRNN, Dense(10)


@pytest.mark.parametrize("units, rnn_params, dense_params", CLASSIC_ROWS)
def test_classic_model_counts_and_shapes(units, rnn_params, dense_params):
    keras.utils.clear_session()
    model = build_model(units=units)
    rnn, dense = model.layers
    assert (rnn.count_params(), dense.count_params()) == (rnn_params, dense_params)
    assert model.count_params() == model_params(units=units).total
    assert tuple(model.input_shape) == (None, 28, 28)  # (batch, time, pixels)
    assert tuple(rnn.output.shape) == (None, units)  # (batch, units): the last step only
    assert tuple(model.output_shape) == (None, 10)  # (batch, classes)


def test_defaults_are_the_classic_script():
    keras.utils.clear_session()
    model = build_model()
    assert model.layers[0].units == 10
    assert model.optimizer.learning_rate.numpy() == pytest.approx(1e-4)
    assert model.layers[1].activation is keras.activations.softmax


def test_builds_without_any_warning():
    keras.utils.clear_session()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        build_model(units=20, learning_rate=1e-3, clipnorm=1.0, unroll=True, steps_per_execution=4)
    assert [str(w.message) for w in caught] == []


def test_decay_steps_make_the_learning_rate_a_cosine_to_zero():
    keras.utils.clear_session()
    optimizer = build_model(learning_rate=1e-2, decay_steps=10).optimizer
    rates = []
    for step in (0, 5, 10):
        optimizer.iterations.assign(step)
        rates.append(float(optimizer.learning_rate))
    assert rates == pytest.approx([1e-2, 0.5e-2, 0.0], abs=1e-9)  # 1e-2 * (1 + cos(pi * step / 10)) / 2


def test_keras3_rejects_the_classic_lr_keyword():
    # Why build_model says learning_rate=: the classic script's Adam(lr=1e-4) no longer runs.
    with pytest.raises(ValueError, match="not recognized"):
        keras.optimizers.Adam(lr=1e-4)


@pytest.mark.parametrize("option", ["units", "time_steps", "input_size", "num_classes", "steps_per_execution"])
@pytest.mark.parametrize("value", [0, -1, 2.5, True])
def test_bad_sizes_raise_naming_the_option(option, value):
    with pytest.raises((TypeError, ValueError), match=option):
        build_model(**{option: value})


@pytest.mark.parametrize("learning_rate", [0, -1e-3, float("nan")])
def test_bad_learning_rate_raises(learning_rate):
    with pytest.raises(ValueError, match="learning_rate"):
        build_model(learning_rate=learning_rate)
