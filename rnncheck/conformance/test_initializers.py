"""A layer's initial weights are the documented defaults: kernel_initializer="glorot_uniform",
recurrent_initializer="orthogonal", bias_initializer="zeros", and LSTM's unit_forget_bias, which "add[s] 1 to the
bias of the forget gate at initialization" and "will also force bias_initializer="zeros"" (keras/src/layers/rnn/
lstm.py's docstrings). Kernel blocks are Keras's gate order (rnncheck.cells); drawn sizes, seeds and options."""

from __future__ import annotations

import keras
import numpy as np
from hypothesis import given

from rnncheck.cells import cell as cell_facts
from rnncheck.conformance import divergences
from rnncheck.conformance.harness import assert_outputs_close, framework_name
from rnncheck.conformance.model_strategies import BIAS_INITIALIZERS, InitializerCase, initializer_cases


def initial_weights(case: InitializerCase) -> dict[str, np.ndarray]:
    """The layer's weights by name as Keras initializes them, built for case.input_size features."""
    keras.utils.set_random_seed(case.seed)
    layer = getattr(keras.layers, cell_facts(case.cell).keras_class)(**case.layer_options)
    layer.build((None, None, case.input_size))
    names = ("kernel", "recurrent_kernel", "bias")
    return {name: np.asarray(value) for name, value in zip(names, layer.get_weights(), strict=False)}


def documented_bias(case: InitializerCase) -> np.ndarray:
    """Zeros of Keras's bias shape, with LSTM's forget-gate block (gate 1 of i, f, c, o) at 1 under unit_forget_bias."""
    facts = cell_facts(case.cell)
    bias = np.zeros(facts.bias_shape(case.units, reset_after=case.reset_after), np.float32)
    if case.cell == "lstm" and case.unit_forget_bias:
        bias[case.units : 2 * case.units] = 1.0
    return bias


@given(case=initializer_cases())
def test_kernel_is_glorot_uniform(case):
    kernel = initial_weights(case)["kernel"]  # (d, G*u)
    fan_in, fan_out = kernel.shape
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    where = f"{framework_name()}: kernel of {case}"
    assert np.all(np.abs(kernel) <= limit * (1 + 1e-6)), f"{where}: |values| up to {np.abs(kernel).max()} > {limit}"
    if kernel.size >= 32:  # a uniform draw on [-limit, limit] stays inside half of it with probability 2^-size
        assert np.abs(kernel).max() >= limit / 2, f"{where}: every |value| <= {np.abs(kernel).max()}, limit {limit}"


@given(case=initializer_cases())
def test_recurrent_kernel_has_orthonormal_rows(case):
    # Orthogonal on (u, G*u), fewer rows than columns: "the output will have orthogonal rows", gain 1.
    recurrent_kernel = initial_weights(case)["recurrent_kernel"]  # (u, G*u)
    gram = recurrent_kernel.astype(np.float64) @ recurrent_kernel.T.astype(np.float64)  # (u, u)
    assert_outputs_close([gram], [np.eye(case.units)], names=["recurrent_kernel @ recurrent_kernel.T"], case=case)


@given(case=initializer_cases())
def test_bias_is_zeros_but_lstm_forget_gate(case):
    assert_outputs_close([initial_weights(case)["bias"]], [documented_bias(case)], names=["bias"], case=case)


def assert_bias_is(actual, expected, arguments) -> None:
    assert_outputs_close(actual, expected, names=["bias"], case=arguments)


UNIT_FORGET_BIAS = divergences.Property(
    "test_unit_forget_bias_forces_zero_biases",
    actual=lambda case: [initial_weights(case)["bias"]],
    expected=lambda loop, case: [documented_bias(case)],
    compare=assert_bias_is,
)


@given(case=initializer_cases(cell="lstm", bias_initializers=BIAS_INITIALIZERS, unit_forget_bias=True))
def test_unit_forget_bias_forces_zero_biases(case):
    UNIT_FORGET_BIAS.check(case=case)


test_unit_forget_bias_forces_zero_biases_on_recorded_examples = UNIT_FORGET_BIAS.replay_test()
