"""Output and state shapes of Keras recurrent layers follow the rules in rnncheck.shapes."""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from rnncheck.model import recurrent_layer
from rnncheck.params import CELLS
from rnncheck.shapes import output_shapes
from tests.strategies import cells, merge_modes


@dataclass(frozen=True)
class ShapeCase:
    cell: str
    batch: int
    time: int
    input_size: int
    units: int
    return_sequences: bool
    return_state: bool
    bidirectional: bool
    merge_mode: str


@st.composite
def shape_cases(draw) -> ShapeCase:
    small = st.integers(1, 8)
    return ShapeCase(
        cell=draw(cells),
        batch=draw(small),
        time=draw(small),
        input_size=draw(small),
        units=draw(small),
        return_sequences=draw(st.booleans()),
        return_state=draw(st.booleans()),
        bidirectional=draw(st.booleans()),
        merge_mode=draw(merge_modes),
    )


@given(case=shape_cases())
@example(
    case=ShapeCase(
        "lstm", 2, 3, 4, 5, return_sequences=True, return_state=True, bidirectional=True, merge_mode="concat"
    )
)
def test_output_and_state_shapes_match_keras(case):
    keras.utils.clear_session(free_memory=False)
    layer = recurrent_layer(
        case.cell,
        units=case.units,
        zeros=True,
        return_sequences=case.return_sequences,
        return_state=case.return_state,
        bidirectional=case.bidirectional,
        merge_mode=case.merge_mode,
    )
    result = layer(np.zeros((case.batch, case.time, case.input_size), np.float32))
    returned = result if case.return_state else [result]
    expected = output_shapes(
        case.cell,
        batch=case.batch,
        time=case.time,
        units=case.units,
        return_sequences=case.return_sequences,
        return_state=case.return_state,
        bidirectional=case.bidirectional,
        merge_mode=case.merge_mode,
    )
    assert [tuple(t.shape) for t in returned] == expected


def test_lstm_returns_two_states_and_the_others_one():
    counts = {cell: len(output_shapes(cell, batch=1, time=1, units=1, return_state=True)) - 1 for cell in CELLS}
    assert counts == {"simple": 1, "gru": 1, "lstm": 2}


@pytest.fixture(scope="module")
def any_length_model():
    """SimpleRNN(5) -> Dense(10) on keras.Input((None, 3)): the time axis is left open."""
    keras.utils.clear_session()
    keras.utils.set_random_seed(0)
    inputs = keras.Input((None, 3))
    outputs = keras.layers.Dense(10)(keras.layers.SimpleRNN(5)(inputs))
    return keras.Model(inputs, outputs)


@given(batch=st.integers(1, 4), time=st.integers(1, 60))
@example(batch=1, time=28)
def test_model_on_open_time_axis_accepts_any_length(any_length_model, batch, time):
    assert tuple(any_length_model(np.zeros((batch, time, 3), np.float32)).shape) == (batch, 10)


@pytest.mark.parametrize("cell", CELLS)
def test_stacking_needs_return_sequences_below_the_top(cell):
    keras.utils.clear_session()
    x = np.zeros((2, 7, 3), np.float32)
    below = recurrent_layer(cell, units=4, return_sequences=True)
    assert tuple(recurrent_layer(cell, units=6)(below(x)).shape) == (2, 6)
    flat = recurrent_layer(cell, units=4)(x)  # (batch, units): no time axis left
    with pytest.raises(ValueError, match="expected ndim=3, found ndim=2"):
        recurrent_layer(cell, units=6)(flat)
