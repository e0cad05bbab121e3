"""Backpropagation through time: the NumPy derivation against finite differences and every backend's autodiff,
the unrolled view of the gradient, and the vanishing / exploding gradient as properties."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from rnncheck import autodiff, compiled, gradients, reference
from rnncheck.cells import cell as cell_facts
from rnncheck.conformance import divergences
from rnncheck.conformance.harness import TOLERANCES, assert_outputs_close, output_names
from rnncheck.conformance.layers import as_numpy, keras_layer
from rnncheck.conformance.strategies import (
    GradientCase,
    SequenceCase,
    gradient_cases,
    jacobian_cases,
    lstm_cases_without_recurrence,
    resting_cases,
    softmax_head_cases,
    with_start_step,
)
from rnncheck.params import model_params

# Central differences of the float64 reference, L = sum(output * d_output), |L| <= batch * time * units = 144.
# The k-th derivatives grow like G^k, G = max(1, ||U||_2)^T (the exploding regime), so the step is 1e-5 / G:
# truncation step^2 |L'''| / 6 ~ 1e-10 G and rounding eps |L| / step ~ 1e-9 G stay 1000x below atol.
FD_STEP = 1e-5
FD_TOLERANCE = dict(rtol=1e-6, atol=1e-6)  # atol is multiplied by G
GRADIENT_TOLERANCE = TOLERANCES["float32 gradient"]  # Keras's float32 autodiff against float64 bptt


def weights_of(case: SequenceCase) -> list[np.ndarray]:
    return [case.kernel, case.recurrent_kernel] + ([] if case.bias is None else [case.bias])


def bptt(gradient_case: GradientCase) -> gradients.Gradients:
    case = gradient_case.case
    options = gradient_case.options
    return gradients.bptt(case.cell, case.x, *weights_of(case), d_output=gradient_case.d_output, **options)


def as_list(grads: gradients.Gradients, *, states: bool = True) -> list[np.ndarray]:
    """x, kernel, recurrent_kernel, [bias], *initial_state (with states=True): the forward's arguments, in order."""
    weights = [grads.kernel, grads.recurrent_kernel] + ([] if grads.bias is None else [grads.bias])
    return [grads.x, *weights] + (list(grads.initial_state) if states else [])


# 1. Against central finite differences of the float64 forward reference.


def growth(case: SequenceCase) -> float:
    """G = max(1, ||U||_2)^T: how much the derivatives can grow over the sequence."""
    return max(1.0, float(gradients.spectral_norms(case.recurrent_kernel))) ** case.x.shape[1]


def finite_differences(gradient_case: GradientCase) -> list[np.ndarray]:
    """dL/d(x, each weight, each initial state) by central differences, L = sum(reference(...) * d_output)."""
    case = gradient_case.case
    step = FD_STEP / growth(case)
    options = gradient_case.options
    arrays = [np.array(a, dtype=np.float64) for a in [case.x, *weights_of(case)]]
    batch, units = case.x.shape[0], case.units
    states = [np.array(s, dtype=np.float64) for s in (case.initial_state or [])] or [
        np.zeros((batch, units)) for _ in range(2 if case.cell == "lstm" else 1)
    ]
    n = len(arrays)
    arrays += states

    def loss() -> float:
        output = reference.function(case.cell)(*arrays[:n], **{**options, "initial_state": arrays[n:]})
        return float(np.sum(output * gradient_case.d_output))

    result = []
    for array in arrays:
        derivative = np.zeros_like(array)
        for index in np.ndindex(array.shape):
            saved = array[index]
            array[index] = saved + step
            plus = loss()
            array[index] = saved - step
            minus = loss()
            array[index] = saved
            derivative[index] = (plus - minus) / (2 * step)
        result.append(derivative)
    return result


# Fuzz found it: exploding at rest, dL/dh_0 = 4^5 = 1024 exactly; a fixed step of 1e-5 was off by 2e-3.
EXPLODING_AT_REST = GradientCase(
    SequenceCase(
        cell="simple",
        x=np.zeros((1, 5, 1), np.float32),
        kernel=np.zeros((1, 4), np.float32),
        recurrent_kernel=np.ones((4, 4), np.float32),
        bias=None,
    ),
    d_output=np.ones((1, 4), np.float32),
)


@given(gradient_case=gradient_cases())
@example(gradient_case=EXPLODING_AT_REST)
def test_bptt_matches_finite_differences(gradient_case):
    tolerance = dict(rtol=FD_TOLERANCE["rtol"], atol=FD_TOLERANCE["atol"] * growth(gradient_case.case))
    for analytic, numeric in zip(as_list(bptt(gradient_case)), finite_differences(gradient_case), strict=True):
        assert analytic.shape == numeric.shape
        np.testing.assert_allclose(analytic, numeric, **tolerance)


def test_simple_rnn_bptt_golden_by_hand():
    # One unit, W = U = 1, b = 0, x = (1, 2): h1 = tanh(1), h2 = tanh(2 + h1), L = h2.
    h1 = np.tanh(1.0)
    h2 = np.tanh(2.0 + h1)
    da2 = 1.0 - h2**2
    da1 = da2 * (1.0 - h1**2)  # through U = 1
    grads = gradients.bptt(
        "simple", np.array([[[1.0], [2.0]]]), np.ones((1, 1)), np.ones((1, 1)), np.zeros(1), d_output=np.ones((1, 1))
    )
    np.testing.assert_allclose(grads.x[0, :, 0], [da1, da2])
    np.testing.assert_allclose(grads.kernel, [[1.0 * da1 + 2.0 * da2]])
    np.testing.assert_allclose(grads.recurrent_kernel, [[h1 * da2]])  # h0 = 0 adds nothing
    np.testing.assert_allclose(grads.bias, [da1 + da2])
    np.testing.assert_allclose(grads.initial_state[0], [[da1]])


# 2. Against the active backend's own automatic differentiation of the same Keras layer.


def keras_gradients(gradient_case: GradientCase, *, unroll: bool) -> list[np.ndarray]:
    case = gradient_case.case
    extra = {"zero_output_for_mask": True} if gradient_case.zero_output_for_mask else {}
    layer = keras_layer(case.cell, **case.layer_options, unroll=unroll, **extra)
    grads = autodiff.vjp(layer, case.x, gradient_case.d_output, initial_state=case.initial_state, mask=case.mask)
    names = ["x", "kernel", "recurrent_kernel"] + ([] if case.bias is None else ["bias"])
    return [grads[name] for name in names] + list(grads.get("initial_state", ()))


def gradient_names(case: SequenceCase, *, states: bool) -> list[str]:
    """dL/d of each forward argument, in as_list's order: dx, dkernel, drecurrent_kernel, [dbias], [dh0, dc0]."""
    names = ["dL/dx", "dL/dkernel", "dL/drecurrent_kernel"] + ([] if case.bias is None else ["dL/dbias"])
    return names + ([f"dL/d{s}0" for s in cell_facts(case.cell).states] if states else [])


def assert_gradients_close(actual, expected, arguments) -> None:
    case = arguments["gradient_case"].case
    names = gradient_names(case, states=case.initial_state is not None)
    assert_outputs_close(actual, expected, names=names, tolerance="float32 gradient", case=arguments)


def keras_forward(gradient_case: GradientCase, *, unroll: bool) -> list[np.ndarray]:
    """[output, *final_states] of the layer keras_gradients differentiates."""
    case = gradient_case.case
    extra = {"zero_output_for_mask": True} if gradient_case.zero_output_for_mask else {}
    layer = keras_layer(case.cell, **case.layer_options, unroll=unroll, return_state=True, **extra)
    return as_numpy(compiled.call(layer, case.x, **case.call_options))


def assert_forward_runs(loop: divergences.Loop, *, gradient_case: GradientCase, unroll: bool) -> None:
    """Keras's forward is the reference run through `loop`: the function whose gradient the backend computes."""
    case = gradient_case.case
    run = loop(reference.function(case.cell))
    expected = run(case.x, *weights_of(case), return_state=True, **gradient_case.options)
    names = output_names(cell_facts(case.cell).states, count=len(expected))
    actual = keras_forward(gradient_case, unroll=unroll)
    assert_outputs_close(actual, expected, names=names, case=dict(gradient_case=gradient_case, unroll=unroll))


BPTT_MATCHES_BACKEND_AUTODIFF = divergences.Property(
    "test_bptt_matches_backend_autodiff",
    actual=lambda gradient_case, unroll: keras_gradients(gradient_case, unroll=unroll),
    expected=lambda loop, gradient_case, unroll: as_list(
        bptt(gradient_case), states=gradient_case.case.initial_state is not None
    ),
    compare=assert_gradients_close,
    diverged=assert_forward_runs,  # in a region the backend differentiates the cause's loop, not the reference
)


@pytest.mark.parametrize("unroll", [False, True], ids=["loop", "unroll"])
@given(gradient_case=gradient_cases())
def test_bptt_matches_backend_autodiff(gradient_case, unroll):
    BPTT_MATCHES_BACKEND_AUTODIFF.check(gradient_case=gradient_case, unroll=unroll)


test_bptt_matches_backend_autodiff_on_recorded_examples = BPTT_MATCHES_BACKEND_AUTODIFF.replay_test()


# 3. The unrolled view: the shared weights' gradient is the sum of the T dense layers' gradients.


@given(gradient_case=gradient_cases(cell="simple", options=False))
def test_shared_weight_gradient_is_the_sum_of_the_dense_layers_gradients(gradient_case):
    case = gradient_case.case
    d_outputs = all_steps(gradient_case)  # (batch, T, u)
    per_layer, per_layer_bias = gradients.unrolled_dense_gradients(
        case.x, case.kernel, case.recurrent_kernel, case.bias, d_output=d_outputs
    )
    grads = bptt(gradient_case)
    np.testing.assert_allclose(per_layer.sum(axis=0), np.concatenate([grads.kernel, grads.recurrent_kernel]))
    np.testing.assert_allclose(per_layer_bias.sum(axis=0), grads.bias)


def all_steps(gradient_case: GradientCase) -> np.ndarray:
    """d_output for every step's output, (batch, T, u): zeros before the last one without return_sequences."""
    case, d_output = gradient_case.case, gradient_case.d_output
    if case.return_sequences:
        return d_output.astype(np.float64)
    steps = np.zeros((*case.x.shape[:2], case.units))
    steps[:, -1] = d_output
    return steps


def untied_dense_model(*, time: int, input_size: int, units: int) -> tuple[keras.Model, list[keras.layers.Dense]]:
    """The unrolled network with its weights untied: T Dense(units, tanh) layers, layer t on [x_t, h_{t-1}]."""
    x = keras.Input((time, input_size))
    # Zeros: the test sets the weights (on jax a random kernel is one more compile per shape).
    layers = [keras.layers.Dense(units, activation="tanh", kernel_initializer="zeros") for _ in range(time)]
    h = keras.ops.repeat(keras.ops.zeros_like(x[:, 0, :1]), units, axis=-1)  # h_0 = 0, (batch, units)
    outputs = []
    for t, dense in enumerate(layers):
        h = dense(keras.layers.Concatenate()([x[:, t], h]))  # (batch, d + u) -> (batch, u)
        outputs.append(h)
    return keras.Model(x, keras.ops.stack(outputs, axis=1)), layers


@given(gradient_case=gradient_cases(cell="simple", options=False))
def test_each_dense_layer_gradient_matches_autodiff_of_the_untied_network(gradient_case):
    case = gradient_case.case
    (_, time, d), u = case.x.shape, case.units
    model, layers = untied_dense_model(time=time, input_size=d, units=u)
    for dense in layers:
        dense.set_weights([np.concatenate([case.kernel, case.recurrent_kernel]), case.bias])
    d_outputs = all_steps(gradient_case)
    grads = autodiff.vjp(model, case.x, d_outputs)
    per_layer, per_layer_bias = gradients.unrolled_dense_gradients(
        case.x, case.kernel, case.recurrent_kernel, case.bias, d_output=d_outputs
    )
    name = dict(zip([v.path for v in model.trainable_variables], autodiff.weight_names(model), strict=True))
    for t, dense in enumerate(layers):
        np.testing.assert_allclose(grads[name[dense.kernel.path]], per_layer[t], **GRADIENT_TOLERANCE)
        np.testing.assert_allclose(grads[name[dense.bias.path]], per_layer_bias[t], **GRADIENT_TOLERANCE)


# 4. The vanishing and exploding gradient.


def keras_jacobian(case: SequenceCase, *, start: int = 0) -> np.ndarray:
    """dh_T/dh_start of the Keras SimpleRNN by autodiff, (batch, u, u): [b, i, j] = dh_T[i] / dh_start[j].

    The layer runs from step `start` on, from the reference's h_start; the batch is repeated once per
    output unit i, so one backward pass gives row i of every example's Jacobian.
    """
    batch, _, d = case.x.shape
    u = case.units
    h_start = case.initial_state[0]
    if start > 0:
        hs = reference.simple_rnn(case.x, *weights_of(case), return_sequences=True, initial_state=case.initial_state)
        h_start = hs[:, start - 1]
    layer = keras_layer("simple", units=u, input_size=d, weights=weights_of(case), use_bias=case.bias is not None)
    rows = autodiff.vjp(
        layer,
        np.tile(case.x[:, start:], (u, 1, 1)),  # (u * batch, T - start, d)
        np.repeat(np.eye(u), batch, axis=0),  # row i * batch + b is e_i
        initial_state=[np.tile(h_start, (u, 1))],
    )["initial_state"][0]  # (u * batch, u)
    return rows.reshape(u, batch, u).transpose(1, 0, 2)


@given(case_start=with_start_step(jacobian_cases()))
def test_simple_rnn_jacobians_match_autodiff(case_start):
    case, start = case_start
    jacobians = gradients.simple_rnn_jacobians(case.x, *weights_of(case), initial_state=case.initial_state)
    np.testing.assert_allclose(keras_jacobian(case, start=start), jacobians[:, start], **GRADIENT_TOLERANCE)


@given(case=jacobian_cases())
def test_simple_rnn_jacobian_norm_is_bounded_by_recurrent_norm_power(case):
    # ||dh_T/dh_0||_2 <= ||U||_2^T for every length T and start h_0: the bound for every pair t < T.
    time = case.x.shape[1]
    norms = gradients.spectral_norms(keras_jacobian(case))  # (batch,)
    bound = gradients.recurrent_bound(case.recurrent_kernel, time)[0]
    assert np.all(norms <= bound * (1 + GRADIENT_TOLERANCE["rtol"]) + GRADIENT_TOLERANCE["atol"]), (norms, bound)


@given(case=jacobian_cases(max_norm=0.95))
def test_jacobian_norm_decays_geometrically_when_recurrent_norm_below_one(case):
    # Each step further back multiplies ||dh_T/dh_t||_2 by at most rho = ||U||_2 < 1.
    rho = gradients.spectral_norms(case.recurrent_kernel)
    assert rho < 1
    norms = gradients.spectral_norms(
        gradients.simple_rnn_jacobians(case.x, *weights_of(case), initial_state=case.initial_state)
    )  # (batch, T+1)
    slack = 1 + 1e-12  # float64 rounding of the products
    assert np.all(norms[:, :-1] <= rho * norms[:, 1:] * slack), (rho, norms)
    assert np.all(norms[:, 0] <= rho ** case.x.shape[1] * slack)


@given(case=resting_cases())
def test_bound_is_attained_at_rest_with_a_scaled_orthogonal_kernel(case):
    # x = 0, b = 0, h_0 = 0 keep every h_t = 0, where tanh' = 1: dh_T/dh_0 = (U^T)^T has norm rho^T exactly.
    time = case.x.shape[1]
    norms = gradients.spectral_norms(keras_jacobian(case))  # (batch,)
    bound = gradients.recurrent_bound(case.recurrent_kernel, time)[0]
    np.testing.assert_allclose(norms, bound, **GRADIENT_TOLERANCE)


def keras_cell_state_jacobian(case: SequenceCase) -> np.ndarray:
    """dc_T/dc_0 of the Keras LSTM by autodiff, (batch, u, u), one backward pass as in keras_jacobian."""
    batch, _, d = case.x.shape
    u = case.units
    layer = keras_layer("lstm", units=u, input_size=d, weights=weights_of(case), return_state=True)
    zeros = np.zeros((u * batch, u), np.float32)
    rows = autodiff.vjp(
        layer,
        np.tile(case.x, (u, 1, 1)),
        [zeros, zeros, np.repeat(np.eye(u), batch, axis=0)],  # d(output), d(h_T), d(c_T) = e_i
        initial_state=[np.tile(s, (u, 1)) for s in case.initial_state],
    )["initial_state"][1]  # d(c_0)
    return rows.reshape(u, batch, u).transpose(1, 0, 2)


@given(case=lstm_cases_without_recurrence())
def test_lstm_cell_state_jacobian_without_recurrence_is_the_forget_gate_product(case):
    # With U = 0 the gates read x only: dc_T/dc_0 = diag(f_1 * ... * f_T), the direct path through the forget gate.
    u = case.units
    products = gradients.lstm_forget_products(case.x, *weights_of(case), initial_state=case.initial_state)
    expected = products[:, 0, :, None] * np.eye(u)  # diag per example, (batch, u, u)
    np.testing.assert_allclose(keras_cell_state_jacobian(case), expected, **GRADIENT_TOLERANCE)


# 5. Seen on MNIST: the per-row gradient norms, and an LSTM of the same budget.


@given(head_case=softmax_head_cases())
def test_row_gradient_norms_are_bptt_through_the_softmax_head(head_case):
    case, head_kernel, labels, classes = head_case.case, head_case.head_kernel, head_case.labels, head_case.classes
    time, d = case.x.shape[1:]
    u = case.units
    options = {"reset_after": case.reset_after} if case.cell == "gru" else {}
    recurrent = keras_layer(case.cell, units=u, input_size=d, weights=weights_of(case), fresh=True, **options)
    head = keras.layers.Dense(classes, activation="softmax")
    model = keras.Sequential([keras.Input((time, d)), recurrent, head])
    head.set_weights([head_kernel, np.zeros(classes, np.float32)])

    h = reference.function(case.cell)(case.x, *weights_of(case), **options)  # (batch, u)
    logits = h @ head_kernel
    probabilities = np.exp(logits - logits.max(axis=1, keepdims=True))
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    d_h = (probabilities - np.eye(classes)[labels]) @ head_kernel.T  # dL/dh_T of the cross-entropy
    d_x = gradients.bptt(case.cell, case.x, *weights_of(case), d_output=d_h, **options).x  # (batch, T, d)
    expected = np.linalg.norm(d_x, axis=2).mean(axis=0)  # (T,)

    actual = autodiff.row_gradient_norms(model, case.x, labels, batch_size=head_case.batch_size)
    np.testing.assert_allclose(actual, expected, **GRADIENT_TOLERANCE)


def test_row_gradients_records_the_recurrent_layer_and_the_model_size():
    model = keras.Sequential([keras.Input((3, 2)), keras.layers.LSTM(4), keras.layers.Dense(3, activation="softmax")])
    record = autodiff.row_gradients(model, np.zeros((5, 3, 2)), np.zeros(5, np.uint8), batch_size=2)
    assert (record.layer, record.units, record.params, record.images) == ("LSTM", 4, model.count_params(), 5)
    assert len(record.norms) == 3 and record.to_dict()["norms"] == record.norms


@given(simple_units=st.integers(1, 512), input_size=st.integers(1, 64))
@example(simple_units=64, input_size=28)
def test_lstm_units_for_budget_has_the_nearest_parameter_count(simple_units, input_size):
    def count(cell, units):
        return model_params(cell, input_size=input_size, units=units).total

    target = count("simple", simple_units)
    units = autodiff.lstm_units_for_budget(simple_units, input_size=input_size)
    distance = abs(count("lstm", units) - target)
    assert distance <= abs(count("lstm", units + 1) - target)
    assert units == 1 or distance < abs(count("lstm", units - 1) - target)


# Bad input names the mismatch.

X = np.zeros((2, 3, 4))
BAD_INPUTS = [
    ("cell must be", ("rnn", X, np.zeros((4, 5)), np.zeros((5, 5))), {"d_output": np.zeros((2, 5))}),
    ("x must be", ("simple", np.zeros((3, 4)), np.zeros((4, 5)), np.zeros((5, 5))), {"d_output": np.zeros((2, 5))}),
    ("kernel must be", ("simple", X, np.zeros((3, 5)), np.zeros((5, 5))), {"d_output": np.zeros((2, 5))}),
    ("recurrent_kernel must be", ("lstm", X, np.zeros((4, 20)), np.zeros((5, 15))), {"d_output": np.zeros((2, 5))}),
    ("bias must be", ("gru", X, np.zeros((4, 15)), np.zeros((5, 15)), np.zeros(15)), {"d_output": np.zeros((2, 5))}),
    ("bias must be", ("simple", X, np.zeros((4, 5)), np.zeros((5, 5)), np.zeros(4)), {"d_output": np.zeros((2, 5))}),
    (
        "mask must be",
        ("simple", X, np.zeros((4, 5)), np.zeros((5, 5))),
        {"d_output": np.zeros((2, 5)), "mask": np.ones((2, 4), bool)},
    ),
    (
        "initial_state must be",
        ("lstm", X, np.zeros((4, 20)), np.zeros((5, 20))),
        {"d_output": np.zeros((2, 5)), "initial_state": [np.zeros((2, 5))]},
    ),
    ("d_output must have", ("simple", X, np.zeros((4, 5)), np.zeros((5, 5))), {"d_output": np.zeros((2, 4))}),
    (
        "d_output must have",
        ("simple", X, np.zeros((4, 5)), np.zeros((5, 5))),
        {"d_output": np.zeros((2, 5)), "return_sequences": True},
    ),
]


@pytest.mark.parametrize("message, args, options", BAD_INPUTS)
def test_bptt_rejects_mismatched_shapes(message, args, options):
    with pytest.raises(ValueError, match=message):
        gradients.bptt(*args, **options)


def test_unrolled_dense_gradients_rejects_mismatched_d_output():
    with pytest.raises(ValueError, match="d_output must have"):
        gradients.unrolled_dense_gradients(X, np.zeros((4, 5)), np.zeros((5, 5)), d_output=np.zeros((2, 5)))


def test_vjp_rejects_d_output_of_another_shape():
    layer = keras_layer("simple", units=5, input_size=4)
    with pytest.raises(ValueError, match="d_output must match"):
        autodiff.vjp(layer, X, np.zeros((2, 3, 5)))
