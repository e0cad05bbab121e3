"""ConvLSTM1D / 2D / 3D: the parameter formula, the output and state shapes, the NumPy reference of the forward pass
and of backprop through time, each against Keras (any backend) and finite differences."""

from __future__ import annotations

import dataclasses

import keras
import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from rnncheck import autodiff, compiled, gradients, reference
from rnncheck.cells import cell as cell_facts
from rnncheck.cells.convlstm import param_formula
from rnncheck.conformance import divergences
from rnncheck.conformance.harness import assert_outputs_close, output_names
from rnncheck.conformance.layers import as_numpy, keras_layer
from rnncheck.conformance.strategies import CONV_CELLS, SequenceCase, conv_cases, float32_arrays
from rnncheck.params import recurrent_params
from rnncheck.shapes import conv_output_shapes


@st.composite
def conv_layer_sizes(draw):
    """A ConvLSTM's cell, channels, filters (1-64), kernel_size (1-5 per axis) and use_bias."""
    cell = draw(st.sampled_from(CONV_CELLS))
    kernel_size = tuple(draw(st.integers(1, 5)) for _ in range(cell_facts(cell).rank))
    return cell, draw(st.integers(1, 64)), draw(st.integers(1, 64)), kernel_size, draw(st.booleans())


@given(sizes=conv_layer_sizes())
@example(sizes=("convlstm2d", 3, 8, (3, 3), True))  # 4 * 8 * (9 * (3 + 8) + 1) = 3200
def test_convlstm_params_match_the_formula_and_keras(sizes):
    cell, channels, filters, kernel_size, use_bias = sizes
    formula = param_formula(
        rank=len(kernel_size), channels=channels, filters=filters, kernel_size=kernel_size, use_bias=use_bias
    )
    counted = recurrent_params(cell, input_size=channels, units=filters, use_bias=use_bias, kernel_size=kernel_size)
    layer = keras_layer(cell, units=filters, input_size=channels, spatial=kernel_size, kernel_size=kernel_size,
                        use_bias=use_bias)  # fmt: skip
    assert formula == counted.total == layer.count_params()
    assert [w.shape for w in counted.weights] == [tuple(v.shape) for v in layer.weights]


def keras_shapes(case: SequenceCase) -> list[tuple]:
    layer = keras_layer(case.cell, **case.layer_options, return_state=True)
    return [r.shape for r in as_numpy(compiled.call(layer, case.x, **case.call_options))]


def expected_shapes(loop, case: SequenceCase) -> list[tuple]:
    if loop is not divergences.as_documented:
        loop(reference.function(case.cell))(case.x, *weights_of(case), **case.reference_options)  # may raise
    return conv_output_shapes(
        case.cell, batch=case.x.shape[0], time=case.x.shape[1], spatial=case.spatial, filters=case.units,
        kernel_size=case.kernel.shape[: len(case.spatial)], return_sequences=case.return_sequences, return_state=True,
        **dict(case.cell_options),
    )  # fmt: skip


def assert_shapes_equal(actual, expected, arguments) -> None:
    assert actual == expected, f"{arguments}: Keras returned shapes {actual}, the rule says {expected}"


SHAPES_MATCH_KERAS = divergences.Property(
    "test_convlstm_output_and_state_shapes_match_keras",
    actual=lambda case: keras_shapes(case),
    expected=lambda loop, case: expected_shapes(loop, case),
    compare=assert_shapes_equal,
)


@given(case=conv_cases())
def test_convlstm_output_and_state_shapes_match_keras(case):
    SHAPES_MATCH_KERAS.check(case=case)


test_convlstm_output_and_state_shapes_match_keras_on_recorded_examples = SHAPES_MATCH_KERAS.replay_test()


def keras_outputs(case: SequenceCase) -> list[np.ndarray]:
    layer = keras_layer(case.cell, **case.layer_options, return_state=True)
    return as_numpy(compiled.call(layer, case.x, **case.call_options))


def reference_outputs(case: SequenceCase, loop=divergences.as_documented) -> list[np.ndarray]:
    run = loop(reference.function(case.cell))
    return run(case.x, case.kernel, case.recurrent_kernel, case.bias, return_state=True, **case.reference_options)


def assert_conv_close(actual, expected, arguments) -> None:
    names = output_names(("h", "c"), count=len(expected))
    assert_outputs_close(actual, expected, names=names, case=arguments)


CONVLSTM_MATCHES_REFERENCE = divergences.Property(
    "test_convlstm_reference_matches_keras",
    actual=lambda case: keras_outputs(case),
    expected=lambda loop, case: reference_outputs(case, loop),
    compare=assert_conv_close,
)

# One 2-D step by hand: a 1x1 kernel on a 1x1 image is an LSTM of one unit.
ONE_PIXEL = SequenceCase(
    cell="convlstm2d",
    x=np.ones((1, 1, 1, 1, 1), np.float32),
    kernel=np.full((1, 1, 1, 4), 0.5, np.float32),
    recurrent_kernel=np.zeros((1, 1, 1, 4), np.float32),
    bias=None,
)


@given(case=conv_cases())
@example(case=ONE_PIXEL)
def test_convlstm_reference_matches_keras(case):
    CONVLSTM_MATCHES_REFERENCE.check(case=case)

test_convlstm_reference_matches_keras_on_recorded_examples = CONVLSTM_MATCHES_REFERENCE.replay_test()


def test_one_pixel_convlstm_is_an_lstm_of_one_unit():
    lstm = reference.lstm(ONE_PIXEL.x[:, :, 0, 0], ONE_PIXEL.kernel[0, 0], ONE_PIXEL.recurrent_kernel[0, 0])
    np.testing.assert_allclose(reference_outputs(ONE_PIXEL)[0][:, 0, 0], lstm)


# Backprop through time, the same loop as every other cell's.


@st.composite
def conv_gradient_cases(draw, **bounds):
    case = draw(conv_cases(**bounds))
    output_shape = reference_outputs(dataclasses.replace(case, initial_state=case.initial_state))[0].shape
    if case.return_sequences:
        output_shape = (case.x.shape[0], case.x.shape[1], *output_shape[2:])
    return case, draw(float32_arrays(output_shape))


def weights_of(case: SequenceCase) -> list:
    return [case.kernel, case.recurrent_kernel] + ([] if case.bias is None else [case.bias])


def bptt_list(case: SequenceCase, d_output) -> list[np.ndarray]:
    options = {k: v for k, v in case.reference_options.items() if k != "return_state"}
    grads = gradients.bptt(case.cell, case.x, *weights_of(case), d_output=d_output, **options)
    weights = [grads.kernel, grads.recurrent_kernel] + ([] if grads.bias is None else [grads.bias])
    return [grads.x, *weights] + (list(grads.initial_state) if case.initial_state is not None else [])


@given(pair=conv_gradient_cases(max_time=2, max_spatial=3, max_kernel=2))
def test_convlstm_bptt_matches_finite_differences(pair):
    case, d_output = pair
    options = case.reference_options
    arrays = [np.array(a, dtype=np.float64) for a in [case.x, *weights_of(case), *(case.initial_state or ())]]
    n = 2 + len(weights_of(case)) - 1

    def loss() -> float:
        states = arrays[n:] or None
        output = reference.function(case.cell)(*arrays[:n], **{**options, "initial_state": states})
        return float(np.sum(output * d_output))

    names = ["x", "kernel", "recurrent_kernel"] + ["bias"] * (case.bias is not None) + ["h0", "c0"][: len(arrays) - n]
    step = 1e-5
    for analytic, array, name in zip(bptt_list(case, d_output), arrays, names, strict=True):
        numeric = np.zeros_like(array)
        for index in np.ndindex(array.shape):
            saved = array[index]
            array[index] = saved + step
            plus = loss()
            array[index] = saved - step
            minus = loss()
            array[index] = saved
            numeric[index] = (plus - minus) / (2 * step)
        np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-6, err_msg=f"dL/d{name}")


def keras_conv_gradients(pair) -> list[np.ndarray]:
    case, d_output = pair
    layer = keras_layer(case.cell, **case.layer_options, fresh=True)
    grads = autodiff.vjp(layer, case.x, d_output, initial_state=case.initial_state, mask=case.mask)
    names = ["x", "kernel", "recurrent_kernel"] + ([] if case.bias is None else ["bias"])
    return [grads[name] for name in names] + list(grads.get("initial_state", ()))


def assert_conv_gradients_close(actual, expected, arguments) -> None:
    case = arguments["pair"][0]
    names = ["x", "kernel", "recurrent_kernel"] + ([] if case.bias is None else ["bias"])
    labels = [f"dL/d{name}" for name in names] + (["dL/dh0", "dL/dc0"] if case.initial_state is not None else [])
    assert_outputs_close(actual, expected, names=labels, tolerance="float32 gradient", case=arguments)


def assert_conv_forward_runs(loop, *, pair) -> None:
    """In a cause's region the backend differentiates its own loop: its forward must be that loop's."""
    case, _ = pair
    expected = reference_outputs(case, loop)
    assert_conv_close(keras_outputs(case), expected, dict(pair=pair))


CONVLSTM_BPTT_MATCHES_AUTODIFF = divergences.Property(
    "test_convlstm_bptt_matches_backend_autodiff",
    actual=lambda pair: keras_conv_gradients(pair),
    expected=lambda loop, pair: bptt_list(*pair),
    compare=assert_conv_gradients_close,
    diverged=assert_conv_forward_runs,
)


@given(pair=conv_gradient_cases())
def test_convlstm_bptt_matches_backend_autodiff(pair):
    CONVLSTM_BPTT_MATCHES_AUTODIFF.check(pair=pair)


test_convlstm_bptt_matches_backend_autodiff_on_recorded_examples = CONVLSTM_BPTT_MATCHES_AUTODIFF.replay_test()


def test_convlstm_refuses_strides_with_dilation_as_keras_documents():
    with pytest.raises(ValueError):
        keras.layers.ConvLSTM2D(2, 3, strides=2, dilation_rate=2).build((None, None, 5, 5, 1))
