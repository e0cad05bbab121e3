"""rnncheck.custom_cell.check_custom_cell: it passes a correct custom cell, and fails a subtly wrong one clearly,
naming the smallest case where Keras and the author's step function differ."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from keras import ops

from rnncheck.conformance import divergences
from rnncheck.custom_cell import CustomCellCase, CustomCellMismatch, check_custom_cell, reference_loop


class MinimalRNNCell(keras.layers.Layer):
    """keras.layers.RNN's docstring example: h_t = h_{t-1} U + x_t W, no activation."""

    def __init__(self, units, transpose_recurrence=False, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units
        self.transpose_recurrence = transpose_recurrence  # the subtle bug: h U^T, which only a square U allows

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), initializer="zeros", name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(self.units, self.units), initializer="zeros",
                                                name="recurrent_kernel")  # fmt: skip

    def call(self, inputs, states):
        recurrent = ops.transpose(self.recurrent_kernel) if self.transpose_recurrence else self.recurrent_kernel
        output = ops.matmul(inputs, self.kernel) + ops.matmul(states[0], recurrent)
        return output, [output]


def minimal_step(x_t, states, weights):
    h = x_t @ weights["kernel"] + states[0] @ weights["recurrent_kernel"]
    return h, [h]


# Few distinct shapes: jax compiles the layer's loop once per shape.
SMALL = dict(input_size_range=(1, 2), units_range=(1, 3), batch_range=(1, 2), time_range=(1, 4))




def test_a_subtly_wrong_cell_fails_on_the_smallest_case():
    # U^T == U for one unit, and h_0 U^T == 0 for a first step from zeros: it takes 2 units and a state to show.
    # Small ranges keep the shrinking short; no mask, so that on jax the case is the cell's bug and not
    # jax-scan-masked-output-h0 (which test_a_correct_cell_passes meets there, named in its message).
    wrong = lambda units: MinimalRNNCell(units, transpose_recurrence=True)  # noqa: E731
    bounds = dict(input_size_range=(1, 1), units_range=(1, 2), batch_range=(1, 1), time_range=(1, 2))
    with pytest.raises(CustomCellMismatch, match=r"(output|state 0) differs .*\ncase: CustomCellCase\(") as caught:
        check_custom_cell(wrong, minimal_step, options=("return_sequences", "go_backwards", "initial_state"),
                          max_examples=100, seed=0, **bounds)  # fmt: skip
    case = caught.value.case
    assert isinstance(case, CustomCellCase)
    assert case.units == 2 and (case.x.shape[1] >= 2 or case.initial_state is not None)
    assert "units=2" in str(caught.value)


class ScaledOutputCell(keras.layers.Layer):
    """Two states, and an output that is neither: h_t = tanh(x_t W + h_{t-1} U), n_t = n_{t-1} + 1, output 2 h_t."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = [units, 1]
        self.output_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), initializer="zeros", name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(self.units, self.units), initializer="zeros",
                                                name="recurrent_kernel")  # fmt: skip

    def call(self, inputs, states):
        h = ops.tanh(ops.matmul(inputs, self.kernel) + ops.matmul(states[0], self.recurrent_kernel))
        return 2.0 * h, [h, states[1] + 1.0]


def scaled_output_step(x_t, states, weights):
    h = np.tanh(x_t @ weights["kernel"] + states[0] @ weights["recurrent_kernel"])
    return 2.0 * h, (h, states[1] + 1.0)


CORRECT_CELLS = {"minimal": (MinimalRNNCell, minimal_step), "scaled-output": (ScaledOutputCell, scaled_output_step)}


@pytest.mark.parametrize(
    "cell", divergences.marked("test_a_correct_cell_passes", list(CORRECT_CELLS), list(CORRECT_CELLS), name="cell")
)
def test_a_correct_cell_passes(cell):
    # scaled-output: a masked step repeats the previous *output* (keras.backend.rnn's docstring), whatever the first
    # state holds.
    make_cell, step = CORRECT_CELLS[cell]
    assert check_custom_cell(make_cell, step, max_examples=30, seed=0, **SMALL) == 30


def test_reference_loop_as_jax_outputs_the_carried_state_at_masked_steps():
    # ScaledOutputCell with W = 1, U = 0 on x = 1 then a masked step: h = tanh(1), output 2 tanh(1), then the
    # masked step repeats 2 tanh(1) as documented, where jax's scan outputs the carried h = tanh(1).
    x = np.ones((1, 2, 1))
    weights = {"kernel": np.ones((1, 1)), "recurrent_kernel": np.zeros((1, 1))}
    states = [np.zeros((1, 1)), np.zeros((1, 1))]
    mask = np.array([[True, False]])
    documented = reference_loop(scaled_output_step, x, weights, states, mask=mask, return_sequences=True)
    as_jax = reference_loop(scaled_output_step, x, weights, states, mask=mask, return_sequences=True,
                            masked_output="state")  # fmt: skip
    np.testing.assert_allclose(documented[0][0, :, 0], [2 * np.tanh(1.0)] * 2)
    np.testing.assert_allclose(as_jax[0][0, :, 0], [2 * np.tanh(1.0), np.tanh(1.0)])


def test_a_step_that_returns_the_wrong_number_of_states_is_named():
    def one_state(x_t, states, weights):
        output, _ = scaled_output_step(x_t, states, weights)
        return output, (states[0],)

    with pytest.raises(ValueError, match=r"the step returned 1 state\(s\) at time step 0; the cell has 2"):
        check_custom_cell(ScaledOutputCell, one_state, max_examples=5, seed=0)


def test_reference_loop_repeats_the_last_output_at_masked_steps():
    # One unit, W = 1, U = 0: outputs x_t; masked step 1 repeats step 0's, masked step 0 of row 1 outputs zero.
    x = np.array([[[1.0], [2.0], [3.0]], [[4.0], [5.0], [6.0]]])
    mask = np.array([[True, False, True], [False, True, True]])
    weights = {"kernel": np.ones((1, 1)), "recurrent_kernel": np.zeros((1, 1))}
    output, h = reference_loop(minimal_step, x, weights, [np.zeros((2, 1))], mask=mask, return_sequences=True)
    np.testing.assert_array_equal(output[..., 0], [[1.0, 1.0, 3.0], [0.0, 5.0, 6.0]])
    np.testing.assert_array_equal(h, [[3.0], [6.0]])


@pytest.mark.parametrize(
    "arguments, error, message",
    [
        (dict(units_range=(3, 2)), ValueError, "units_range must have min <= max"),
        (dict(input_size_range=(0, 2)), ValueError, r"input_size_range\[0\] must be"),
        (dict(options=("mask", "stateful")), ValueError, "options must be a collection of"),
        (dict(options="mask"), ValueError, "options must be a collection of"),
        (dict(max_examples=0), ValueError, "max_examples must be"),
    ],
)
def test_bad_arguments_are_refused_before_any_case(arguments, error, message):
    with pytest.raises(error, match=message):
        check_custom_cell(MinimalRNNCell, minimal_step, **arguments)


def test_a_cell_that_is_not_a_layer_is_refused():
    with pytest.raises(TypeError, match="must return a keras.layers.Layer"):
        check_custom_cell(lambda units: object(), minimal_step)
