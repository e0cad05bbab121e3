"""The NumPy reference reproduces Keras, and proves the "unrolled network" view of a SimpleRNN."""

from __future__ import annotations

import dataclasses

import keras
import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from rnncheck import reference
from rnncheck.model import recurrent_layer
from rnncheck.params import recurrent_params
from tests.strategies import SequenceCase, float32_arrays, sequence_cases

# Keras computes in float32, the reference in float64; sizes here are at most 6 units over 6 steps.
FLOAT32_TOLERANCE = dict(rtol=1e-5, atol=1e-5)
REFERENCE = {"simple": reference.simple_rnn, "gru": reference.gru, "lstm": reference.lstm}


def keras_outputs(case: SequenceCase, *, unroll: bool) -> list[np.ndarray]:
    """[output, *final_states] of a Keras layer holding case's weights."""
    keras.utils.clear_session(free_memory=False)
    layer = recurrent_layer(
        case.cell,
        units=case.units,
        use_bias=case.bias is not None,
        reset_after=case.reset_after,
        return_sequences=case.return_sequences,
        return_state=True,
        go_backwards=case.go_backwards,
        unroll=unroll,
    )
    layer.build((None, None, case.x.shape[2]))
    layer.set_weights(case.weights)
    return [keras.ops.convert_to_numpy(t) for t in layer(case.x, **case.call_options)]


def reference_outputs(case: SequenceCase) -> list[np.ndarray]:
    options = {"reset_after": case.reset_after} if case.cell == "gru" else {}
    return REFERENCE[case.cell](
        case.x,
        case.kernel,
        case.recurrent_kernel,
        case.bias,
        return_sequences=case.return_sequences,
        return_state=True,
        go_backwards=case.go_backwards,
        initial_state=case.initial_state,
        mask=case.mask,
        **options,
    )


def assert_all_close(actual: list[np.ndarray], expected: list[np.ndarray]) -> None:
    for a, e in zip(actual, expected, strict=True):
        assert a.shape == e.shape
        np.testing.assert_allclose(a, e, **FLOAT32_TOLERANCE)


@given(case=sequence_cases())
def test_reference_matches_keras(case):
    assert_all_close(reference_outputs(case), keras_outputs(case, unroll=False))


@given(case=sequence_cases())
def test_keras_unroll_true_and_false_agree_with_reference(case):
    unrolled, looped = keras_outputs(case, unroll=True), keras_outputs(case, unroll=False)
    assert_all_close(unrolled, looped)
    assert_all_close(unrolled, reference_outputs(case))


def test_masked_first_step_outputs_zeros_but_keeps_the_initial_state():
    # Checkable by hand: with every step masked nothing is computed, as in Keras.
    x, h0 = np.ones((1, 2, 1)), np.full((1, 1), 0.5)
    output, state = reference.simple_rnn(
        x, np.ones((1, 1)), np.ones((1, 1)), return_state=True, initial_state=[h0], mask=np.zeros((1, 2), bool)
    )
    np.testing.assert_array_equal(output, [[0.0]])
    np.testing.assert_array_equal(state, h0)


def test_simple_rnn_golden_by_hand():
    # One unit, W = U = 1, b = 0: h1 = tanh(1), h2 = tanh(2 + tanh(1)).
    h = reference.simple_rnn(np.array([[[1.0], [2.0]]]), np.ones((1, 1)), np.ones((1, 1)), return_sequences=True)
    np.testing.assert_allclose(h[0, :, 0], [np.tanh(1.0), np.tanh(2.0 + np.tanh(1.0))])


# The unrolled view: a SimpleRNN over T steps is T dense layers sharing one weight matrix.


@given(case=sequence_cases(cell="simple", options=False))
def test_unrolled_dense_stack_equals_simple_rnn(case):
    keras_case = dataclasses.replace(case, return_sequences=True)
    unrolled = reference.unrolled_simple_rnn(case.x, case.kernel, case.recurrent_kernel, case.bias)
    np.testing.assert_allclose(unrolled, keras_outputs(keras_case, unroll=False)[0], **FLOAT32_TOLERANCE)


def shared_dense_unrolled_model(*, time: int, input_size: int, units: int) -> tuple[keras.Model, keras.layers.Dense]:
    """A Keras model of T applications of ONE Dense(units, tanh) to [x_t, h_{t-1}]: the unrolled network."""
    x = keras.Input((time, input_size))
    dense = keras.layers.Dense(units, activation="tanh")  # the only weights: (d + u, u) and (u,)
    h = keras.ops.repeat(keras.ops.zeros_like(x[:, 0, :1]), units, axis=-1)  # h_0 = 0, (batch, units)
    for t in range(time):
        h = dense(keras.layers.Concatenate()([x[:, t], h]))  # (batch, d + u) -> (batch, u)
    return keras.Model(x, h), dense


@given(case=sequence_cases(cell="simple", options=False))
@example(
    case=SequenceCase(
        cell="simple",
        x=np.ones((1, 28, 28), np.float32),
        kernel=np.full((28, 10), 0.01, np.float32),
        recurrent_kernel=np.eye(10, dtype=np.float32),
        bias=np.zeros(10, np.float32),
    )
)
def test_shared_dense_layers_have_simple_rnn_params_and_outputs(case):
    keras.utils.clear_session(free_memory=False)
    (_, time, d), u = case.x.shape, case.units
    model, dense = shared_dense_unrolled_model(time=time, input_size=d, units=u)
    assert model.count_params() == recurrent_params("simple", input_size=d, units=u).total == u * (d + u + 1)
    dense.set_weights([np.concatenate([case.kernel, case.recurrent_kernel]), case.bias])
    expected = keras_outputs(dataclasses.replace(case, return_sequences=False), unroll=False)[0]  # (batch, u)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(model(case.x)), expected, **FLOAT32_TOLERANCE)


def simple_rnn_last_output(kernel, recurrent_kernel, bias, x) -> np.ndarray:
    keras.utils.clear_session(free_memory=False)
    layer = keras.layers.SimpleRNN(kernel.shape[1])
    layer.build((None, None, kernel.shape[0]))
    layer.set_weights([kernel, recurrent_kernel, bias])
    return keras.ops.convert_to_numpy(layer(x))


@st.composite
def past_changes(draw):
    """Inputs x (batch, T >= 2, d) and a copy whose steps before the last differ."""
    batch, time, d = draw(st.integers(1, 3)), draw(st.integers(2, 8)), draw(st.integers(1, 4))
    x = draw(float32_arrays((batch, time, d)))
    changed = x.copy()
    changed[:, :-1] += np.float32(1.0)
    return x, changed


@given(x_pair=past_changes(), units=st.integers(1, 6))
def test_zero_recurrent_kernel_sees_only_the_last_step(x_pair, units):
    x, changed = x_pair
    d = x.shape[2]
    kernel, bias = np.full((d, units), 0.3, np.float32), np.full(units, 0.1, np.float32)
    no_recurrence = np.zeros((units, units), np.float32)
    np.testing.assert_array_equal(
        simple_rnn_last_output(kernel, no_recurrence, bias, x),
        simple_rnn_last_output(kernel, no_recurrence, bias, changed),
    )


@given(x_pair=past_changes(), units=st.integers(1, 6))
def test_recurrent_kernel_carries_the_past(x_pair, units):
    x, changed = x_pair
    d = x.shape[2]
    kernel, bias = np.full((d, units), 0.3, np.float32), np.zeros(units, np.float32)
    recurrence = np.eye(units, dtype=np.float32)  # each unit feeds itself: h_t = tanh(x_t W + h_{t-1})
    difference = simple_rnn_last_output(kernel, recurrence, bias, x) - simple_rnn_last_output(
        kernel, recurrence, bias, changed
    )
    assert np.abs(difference).max() > 1e-4


# Bad input names the mismatch.

X = np.zeros((2, 3, 4))
BAD_INPUTS = [
    ("x must be", reference.simple_rnn, (np.zeros((3, 4)), np.zeros((4, 5)), np.zeros((5, 5))), {}),
    ("kernel must be", reference.simple_rnn, (X, np.zeros((3, 5)), np.zeros((5, 5))), {}),
    ("recurrent_kernel must be", reference.simple_rnn, (X, np.zeros((4, 5)), np.zeros((5, 4))), {}),
    ("recurrent_kernel must be", reference.lstm, (X, np.zeros((4, 20)), np.zeros((5, 15))), {}),
    ("bias must be", reference.simple_rnn, (X, np.zeros((4, 5)), np.zeros((5, 5)), np.zeros(4)), {}),
    ("bias must be", reference.gru, (X, np.zeros((4, 15)), np.zeros((5, 15)), np.zeros(15)), {"reset_after": True}),
    ("mask must be", reference.simple_rnn, (X, np.zeros((4, 5)), np.zeros((5, 5))), {"mask": np.ones((2, 4), bool)}),
    (
        "initial_state must be",
        reference.lstm,
        (X, np.zeros((4, 20)), np.zeros((5, 20))),
        {"initial_state": [np.zeros((2, 5))]},
    ),
]


@pytest.mark.parametrize("message, function, args, options", BAD_INPUTS)
def test_reference_rejects_mismatched_shapes(message, function, args, options):
    with pytest.raises(ValueError, match=message):
        function(*args, **options)
