"""The NumPy reference reproduces Keras, and proves the "unrolled network" view of a SimpleRNN."""

from __future__ import annotations

import dataclasses

import keras
import numpy as np
import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from rnncheck import compiled, reference
from rnncheck.activations import ACTIVATION_NAMES, NOT_ELEMENTWISE
from rnncheck.cells import cell as cell_facts
from rnncheck.conformance import divergences
from rnncheck.conformance.harness import TOLERANCES, assert_outputs_close, output_names
from rnncheck.conformance.layers import as_numpy, keras_layer
from rnncheck.conformance.strategies import SequenceCase, past_changes, sequence_cases
from rnncheck.params import recurrent_params

FLOAT32_TOLERANCE = TOLERANCES["float32"]  # Keras in float32, the reference in float64: at most 6 units, 6 steps


def keras_outputs(case: SequenceCase, *, unroll: bool) -> list[np.ndarray]:
    """[output, *final_states] of a Keras layer holding case's weights."""
    layer = keras_layer(case.cell, **case.layer_options, return_state=True, unroll=unroll)
    return as_numpy(compiled.call(layer, case.x, **case.call_options))


def reference_outputs(case: SequenceCase, loop=divergences.as_documented) -> list[np.ndarray]:
    """[output, *final_states] by the reference (or, for a recorded divergence, by that backend's loop)."""
    return loop(reference.function(case.cell))(
        case.x, case.kernel, case.recurrent_kernel, case.bias, return_state=True, **case.reference_options
    )


def assert_layer_close(actual, expected, arguments) -> None:
    case = arguments["case"]
    names = output_names(cell_facts(case.cell).states, count=len(expected))
    assert_outputs_close(actual, expected, names=names, case=arguments)


REFERENCE_MATCHES_KERAS = divergences.Property(
    "test_reference_matches_keras",
    actual=lambda case, unroll: keras_outputs(case, unroll=unroll),
    expected=lambda loop, case, unroll: reference_outputs(case, loop),
    compare=assert_layer_close,
)


@pytest.mark.parametrize("unroll", [False, True], ids=["loop", "unroll"])
@given(case=sequence_cases())
def test_reference_matches_keras(case, unroll):
    REFERENCE_MATCHES_KERAS.check(case=case, unroll=unroll)


test_reference_matches_keras_on_recorded_examples = REFERENCE_MATCHES_KERAS.replay_test()


# Every activation Keras accepts by name, for activation and recurrent_activation, on every cell.


def keras_activations() -> list[str]:
    """The names keras.activations.get takes, as the installed Keras lists them."""
    from keras.src.activations import ALL_OBJECTS_DICT

    return sorted(ALL_OBJECTS_DICT)


def test_the_reference_has_every_elementwise_keras_activation():
    assert sorted(set(ACTIVATION_NAMES) | set(NOT_ELEMENTWISE)) == keras_activations()


# FLOAT32_TOLERANCE was set for tanh and sigmoid: slopes at most 1 and states in [-1, 1], so a step's rounding
# error neither grows nor scales with the states. Other activations grow it (selu's slope is 1.76, exponential's
# its value) and their states are unbounded, so sums cancel (a GRU's z h + (1 - z) h~ with linear gates). The
# property allows each output, on top, what rounding to float32 moves the reference by. A float32 step's sums of
# n = d + u + 1 products are exact for inputs perturbed by at most n 2^-24 each (Higham's gamma_n); its elementwise
# operations round the path from pre-activations to a new state at most STEP_ROUNDINGS times (LSTM with squareplus:
# 5 in a gate's activation, 3 in c = f c + i g, 5 in act(c), 1 in o act(c)). Both perturbations, drawn with random
# signs ROUNDING_DRAWS times, estimate the error float32 arithmetic can reach.
ROUNDING_DRAWS = 4
STEP_ROUNDINGS = 16
UNIT_ROUNDOFF = 2.0**-24  # float32's
FLOAT32_MAX = float(np.finfo(np.float32).max)


def _perturbed(array, rng, relative):
    if array is None:
        return None
    array = np.asarray(array, np.float64)
    return array * (1.0 + relative * rng.choice([-1.0, 1.0], size=array.shape))


def rounding_slack(case: SequenceCase) -> list[np.ndarray]:
    """Per output, the largest |change| of the reference over ROUNDING_DRAWS runs with x, the weights and the
    initial state perturbed by a relative +-(d + u + 1) 2^-24, each step's new states by +-STEP_ROUNDINGS 2^-24, and
    an activation that carries a float32 error (a cause's reading) by +-that error (seeded: the same case, the same
    slack)."""
    rng = np.random.default_rng(0)
    relative = (case.input_size + case.units + 1) * UNIT_ROUNDOFF
    expected = reference_outputs(case)
    slack = [np.zeros_like(e) for e in expected]
    for _ in range(ROUNDING_DRAWS):
        states = None if case.initial_state is None else tuple(_perturbed(s, rng, relative) for s in case.initial_state)
        options = {**case.reference_options, "initial_state": states}
        options.update({name: _with_its_error(value, rng) for name, value in options.items() if _carries_error(value)})
        outputs = reference.perturbed_layer(
            case.cell,
            _perturbed(case.x, rng, relative),
            _perturbed(case.kernel, rng, relative),
            _perturbed(case.recurrent_kernel, rng, relative),
            _perturbed(case.bias, rng, relative),
            relative=STEP_ROUNDINGS * UNIT_ROUNDOFF,
            rng=rng,
            return_state=True,
            **options,
        )
        slack = [np.maximum(s, np.abs(m - e)) for s, m, e in zip(slack, outputs, expected, strict=True)]
    return slack


def _carries_error(activation) -> bool:
    """An activation a cause's reading gives as (f, f') with f.float32_error: what the framework computes is f
    within that bound (causes.float32_squareplus)."""
    return isinstance(activation, tuple) and hasattr(activation[0], "float32_error")


def _with_its_error(activation, rng):
    f, df = activation

    def moved(a):
        return f(a) + f.float32_error(a) * rng.choice([-1.0, 1.0], size=np.shape(a))

    return moved, df


def within_float32(case: SequenceCase) -> bool:
    """Everything the reference computes stays 1000x inside float32's range: beyond it (exponential, which a
    few steps can take past e^88) Keras's float32 overflows where the float64 reference does not, which is about
    float32, not the layer."""
    options = case.reference_options
    magnitude = reference.largest_magnitude(case.cell, case.x, case.kernel, case.recurrent_kernel, case.bias, **options)
    return magnitude < FLOAT32_MAX / 1e3


def assert_layer_close_for_its_conditioning(actual, expected, arguments) -> None:
    case = arguments["case"]
    read = divergences.as_read(REFERENCE_MATCHES_KERAS.test, arguments)["case"]  # the computation Keras does
    names = output_names(cell_facts(case.cell).states, count=len(expected))
    assert_outputs_close(actual, expected, names=names, case=arguments, slack=rounding_slack(read))


EVERY_ACTIVATION = dataclasses.replace(REFERENCE_MATCHES_KERAS, compare=assert_layer_close_for_its_conditioning)


@pytest.mark.parametrize("unroll", [False, True], ids=["loop", "unroll"])
@given(case=sequence_cases(activations=ACTIVATION_NAMES))
@example(case=divergences.SQUAREPLUS_LSTM)  # Keras's float32 squareplus: its cause's reading
def test_reference_matches_keras_for_every_activation(case, unroll):
    # The occurrences of test_reference_matches_keras hold here: the same layer, other activations drawn.
    assume(within_float32(case))
    EVERY_ACTIVATION.check(case=case, unroll=unroll)


def test_masked_first_step_outputs_zeros_but_keeps_the_initial_state():
    # Checkable by hand: with every step masked nothing is computed, as in Keras.
    x, h0 = np.ones((1, 2, 1)), np.full((1, 1), 0.5)
    output, state = reference.simple_rnn(
        x, np.ones((1, 1)), np.ones((1, 1)), return_state=True, initial_state=[h0], mask=np.zeros((1, 2), bool)
    )
    np.testing.assert_array_equal(output, [[0.0]])
    np.testing.assert_array_equal(state, h0)


@given(case=sequence_cases(options=False).filter(lambda case: case.cell != "lstm"))
def test_single_array_initial_state_is_the_one_state(case):
    # Keras takes layer(x, initial_state=h0) for SimpleRNN and GRU; so does the reference.
    h0 = np.full((case.x.shape[0], case.units), 0.25)
    function, options = reference.function(case.cell), {"reset_after": case.reset_after} if case.cell == "gru" else {}
    single = function(case.x, case.kernel, case.recurrent_kernel, case.bias, initial_state=h0, **options)
    listed = function(case.x, case.kernel, case.recurrent_kernel, case.bias, initial_state=[h0], **options)
    np.testing.assert_array_equal(single, listed)


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
    # The only weights: (d + u, u) and (u,). Zeros: the test sets them (on jax a random kernel is one more compile).
    dense = keras.layers.Dense(units, activation="tanh", kernel_initializer="zeros")
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
    (_, time, d), u = case.x.shape, case.units
    model, dense = shared_dense_unrolled_model(time=time, input_size=d, units=u)
    assert model.count_params() == recurrent_params("simple", input_size=d, units=u).total == u * (d + u + 1)
    dense.set_weights([np.concatenate([case.kernel, case.recurrent_kernel]), case.bias])
    expected = keras_outputs(dataclasses.replace(case, return_sequences=False), unroll=False)[0]  # (batch, u)
    (output,) = as_numpy(model(case.x))
    np.testing.assert_allclose(output, expected, **FLOAT32_TOLERANCE)


def simple_rnn_last_outputs(kernel, recurrent_kernel, bias, x, changed) -> tuple[np.ndarray, np.ndarray]:
    """A Keras SimpleRNN's last output on x and on changed: one layer, one call on both as one batch."""
    (d, units), weights = kernel.shape, [kernel, recurrent_kernel, bias]
    layer = keras_layer("simple", units=units, input_size=d, weights=weights)
    (output,) = as_numpy(layer(np.concatenate([x, changed])))  # (2 * batch, units)
    return output[: len(x)], output[len(x) :]


@given(x_pair=past_changes(), units=st.integers(1, 6))
def test_zero_recurrent_kernel_sees_only_the_last_step(x_pair, units):
    x, changed = x_pair
    d = x.shape[2]
    kernel, bias = np.full((d, units), 0.3, np.float32), np.full(units, 0.1, np.float32)
    no_recurrence = np.zeros((units, units), np.float32)
    np.testing.assert_array_equal(*simple_rnn_last_outputs(kernel, no_recurrence, bias, x, changed))


@given(x_pair=past_changes(), units=st.integers(1, 6))
def test_recurrent_kernel_carries_the_past(x_pair, units):
    x, changed = x_pair
    d = x.shape[2]
    kernel, bias = np.full((d, units), 0.3, np.float32), np.zeros(units, np.float32)
    recurrence = np.eye(units, dtype=np.float32)  # each unit feeds itself: h_t = tanh(x_t W + h_{t-1})
    output, changed_output = simple_rnn_last_outputs(kernel, recurrence, bias, x, changed)
    assert np.abs(output - changed_output).max() > 1e-4


# Bad input names the mismatch.

X = np.zeros((2, 3, 4))
BAD_INPUTS = [
    ("at least one time step", reference.simple_rnn, (np.zeros((2, 0, 4)), np.zeros((4, 5)), np.zeros((5, 5))), {}),
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
    (
        r"initial_state must be a list of 2 arrays of shape \(2, 5\) \(h, c\), got a single ndarray",
        reference.lstm,
        (X, np.zeros((4, 20)), np.zeros((5, 20))),
        {"initial_state": np.zeros((2, 5))},
    ),
    (
        r"initial_state must be 1 array\(s\) of shape \(2, 5\), got 1: \[\(3, 5\)\]",
        reference.gru,
        (X, np.zeros((4, 15)), np.zeros((5, 15))),
        {"initial_state": np.zeros((3, 5))},
    ),
    # An LSTM projected to p = 2 of its 5 units (PyTorch's proj_size): U is (p, 4u), h0 (batch, p), c0 (batch, u).
    ("only an LSTM takes a projection", reference.gru, (X, np.zeros((4, 15)), np.zeros((5, 15))),
     {"projection": np.zeros((5, 2))}),
    (r"projection must be \(units, p\) with 0 < p < units", reference.lstm, (X, np.zeros((4, 20)), np.zeros((5, 20))),
     {"projection": np.zeros((5, 5))}),
    (r"with a \(5, 2\) projection recurrent_kernel must be \(p, 4 \* units\) = \(2, 20\), got \(5, 20\)",
     reference.lstm, (X, np.zeros((4, 20)), np.zeros((5, 20))), {"projection": np.zeros((5, 2))}),
    (r"initial_state must be 2 array\(s\) of shape \(\(2, 2\), \(2, 5\)\), got 2: \[\(2, 5\), \(2, 5\)\]",
     reference.lstm, (X, np.zeros((4, 20)), np.zeros((2, 20))),
     {"projection": np.zeros((5, 2)), "initial_state": [np.zeros((2, 5))] * 2}),
]  # fmt: skip


@pytest.mark.parametrize("message, function, args, options", BAD_INPUTS, ids=lambda v: getattr(v, "__name__", None))
def test_reference_rejects_mismatched_shapes(message, function, args, options):
    with pytest.raises(ValueError, match=message):
        function(*args, **options)
