"""Output and state shapes of Keras recurrent layers follow the rules in rnncheck.shapes."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from rnncheck.cells import SEQUENCE_CELLS
from rnncheck.conformance.layers import as_numpy, keras_layer
from rnncheck.conformance.strategies import ShapeCase, shape_cases
from rnncheck.shapes import output_shapes


@given(case=shape_cases())
@example(case=ShapeCase("lstm", 2, 3, 4, 5, return_sequences=True, return_state=True, bidirectional=True))
def test_output_and_state_shapes_match_keras(case):
    layer = keras_layer(case.cell, units=case.units, input_size=case.input_size, **case.layer_options)
    returned = as_numpy(layer(np.zeros((case.batch, case.time, case.input_size), np.float32)))
    expected = output_shapes(case.cell, batch=case.batch, time=case.time, units=case.units, **case.layer_options)
    assert [r.shape for r in returned] == expected


def test_lstm_returns_two_states_and_the_others_one():
    returned = {cell: output_shapes(cell, batch=1, time=1, units=1, return_state=True) for cell in SEQUENCE_CELLS}
    counts = {cell: len(shapes) - 1 for cell, shapes in returned.items()}
    assert counts == {"simple": 1, "gru": 1, "lstm": 2}


@pytest.fixture(scope="module")
def any_length_model():
    """SimpleRNN(5) -> Dense(10) on keras.Input((None, 3)): the time axis is left open."""
    keras.utils.set_random_seed(0)
    inputs = keras.Input((None, 3))
    outputs = keras.layers.Dense(10)(keras.layers.SimpleRNN(5)(inputs))
    return keras.Model(inputs, outputs)


@given(batch=st.integers(1, 4), time=st.integers(1, 60))
@example(batch=1, time=28)
def test_model_on_open_time_axis_accepts_any_length(any_length_model, batch, time):
    assert tuple(any_length_model(np.zeros((batch, time, 3), np.float32)).shape) == (batch, 10)


@pytest.mark.parametrize("cell", SEQUENCE_CELLS)
def test_stacking_needs_return_sequences_below_the_top(cell):
    x = np.zeros((2, 7, 3), np.float32)
    below = keras_layer(cell, units=4, input_size=3, return_sequences=True)
    assert tuple(keras_layer(cell, units=6, input_size=4)(below(x)).shape) == (2, 6)
    flat = keras_layer(cell, units=4, input_size=3)(x)  # (batch, units): no time axis left
    with pytest.raises(ValueError, match="expected ndim=3, found ndim=2"):
        keras_layer(cell, units=6, input_size=4)(flat)
