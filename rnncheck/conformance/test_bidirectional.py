"""Bidirectional and stacked layers: Keras returns what rnncheck.reference.bidirectional and stack compute."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from hypothesis import example, given

from rnncheck import compiled, reference
from rnncheck.cells import cell as cell_facts
from rnncheck.conformance import divergences
from rnncheck.conformance.harness import assert_outputs_close, output_names
from rnncheck.conformance.layers import as_numpy, keras_layer
from rnncheck.conformance.strategies import BidirectionalCase, StackCase, StackedLayer, bidirectional_cases, stack_cases

UNROLL = pytest.mark.parametrize("unroll", [False, True], ids=["loop", "unroll"])


def listed(returned) -> list[np.ndarray]:
    return list(returned) if isinstance(returned, list) else [returned]


def assert_bidirectional_close(actual, expected, arguments) -> None:
    """Keras's Bidirectional (at most 6 units over 6 steps) against the reference, each output named."""
    case = arguments["case"]
    states, merged = cell_facts(case.cell).states, case.merge_mode is not None
    names = output_names(states, count=len(expected), directions=2, merged=merged)
    assert_outputs_close(actual, expected, names=names, case=arguments)


def assert_stack_close(actual, expected, arguments) -> None:
    """A stack's top output (at most 3 layers of 4 units over 5 steps) against the reference's."""
    top = len(arguments["case"].layers) - 1
    assert_outputs_close(actual, expected, names=[f"output of layer {top}"], case=arguments)


def keras_outputs(case: BidirectionalCase, *, unroll: bool) -> list[np.ndarray]:
    """What a Keras Bidirectional holding case's weights returns, as a list."""
    layer = keras_layer(case.cell, **case.layer_options, unroll=unroll)
    return as_numpy(compiled.call(layer, case.x, **case.call_options))


def reference_outputs(case: BidirectionalCase, loop=divergences.as_documented) -> list[np.ndarray]:
    layer = loop(reference.function(case.cell))
    return listed(reference.bidirectional(layer, case.x, case.forward, case.backward, **case.reference_options))


# One unit, W = U = 1, no bias, x = (1, 2): forward h = tanh(1), tanh(2 + tanh(1)); backward reads 2 then 1.
BY_HAND = BidirectionalCase(
    cell="simple",
    x=np.array([[[1.0], [2.0]]], np.float32),
    forward=(np.ones((1, 1), np.float32), np.ones((1, 1), np.float32), None),
    backward=(np.ones((1, 1), np.float32), np.ones((1, 1), np.float32), None),
    return_sequences=True,
)


BIDIRECTIONAL_MATCHES_REFERENCE = divergences.Property(
    "test_bidirectional_matches_reference",
    actual=lambda case, unroll: keras_outputs(case, unroll=unroll),
    expected=lambda loop, case, unroll: reference_outputs(case, loop),
    compare=assert_bidirectional_close,
)


@UNROLL
@given(case=bidirectional_cases())
@example(case=BY_HAND)
def test_bidirectional_matches_reference(case, unroll):
    BIDIRECTIONAL_MATCHES_REFERENCE.check(case=case, unroll=unroll)


test_bidirectional_matches_reference_on_recorded_examples = BIDIRECTIONAL_MATCHES_REFERENCE.replay_test()


def test_bidirectional_golden_by_hand():
    forward = [np.tanh(1.0), np.tanh(2.0 + np.tanh(1.0))]
    backward = [np.tanh(1.0 + np.tanh(2.0)), np.tanh(2.0)]  # computed from the last step, shown in time order
    output = reference_outputs(BY_HAND)[0]  # (1, 2, 2): concat of the two directions
    np.testing.assert_allclose(output[0], np.stack([forward, backward], axis=-1))


# Stacks: every layer below the top returns sequences, and each layer is called with the same mask.


def keras_stack_outputs(case: StackCase, *, unroll: bool) -> list[np.ndarray]:
    """The case's layers called in turn, as a Keras model would; each holds its weights and gets case.mask."""
    x, top = case.x, len(case.layers) - 1
    for depth, layer in enumerate(case.layers):
        return_sequences = depth < top or case.return_sequences
        built = keras_layer(layer.cell, **layer.layer_options, return_sequences=return_sequences, unroll=unroll)
        x = compiled.call(built, x, mask=case.mask)  # (batch, time, width) below the top
    return as_numpy(x)


def reference_layer(layer: StackedLayer, loop, **options):
    """layer as rnncheck.reference.stack calls it: layer(x, mask=..., return_sequences=...)."""
    run = loop(reference.function(layer.cell))
    if layer.cell == "gru":
        options["reset_after"] = layer.reset_after
    if layer.backward is None:
        return lambda x, **call: run(x, *layer.forward, **{**options, **call})
    return functools.partial(
        reference.bidirectional,
        run,
        forward=layer.forward,
        backward=layer.backward,
        merge_mode=layer.merge_mode,
        **options,
    )


def reference_stack_outputs(case: StackCase, loop=divergences.as_documented) -> list[np.ndarray]:
    layers = [reference_layer(layer, loop) for layer in case.layers[:-1]]
    layers.append(reference_layer(case.layers[-1], loop, return_sequences=case.return_sequences))
    return listed(reference.stack(case.x, layers, mask=case.mask))


STACK_MATCHES_REFERENCE = divergences.Property(
    "test_stack_matches_reference",
    actual=lambda case, unroll: keras_stack_outputs(case, unroll=unroll),
    expected=lambda loop, case, unroll: reference_stack_outputs(case, loop),
    compare=assert_stack_close,
)


@UNROLL
@given(case=stack_cases())
def test_stack_matches_reference(case, unroll):
    STACK_MATCHES_REFERENCE.check(case=case, unroll=unroll)


test_stack_matches_reference_on_recorded_examples = STACK_MATCHES_REFERENCE.replay_test()


# Bad input names the mismatch.

X, W, U = np.zeros((2, 3, 4)), np.zeros((4, 5)), np.zeros((5, 5))
BAD_INPUTS = [
    ("merge_mode must be", dict(merge_mode="max")),
    ("go_backwards", dict(go_backwards=True)),
    ("zero_output_for_mask", dict(zero_output_for_mask=True)),
    ("initial_state must be", dict(initial_state=[np.zeros((2, 5))] * 3)),
    ("forward must be", dict(forward=(W, U))),
]


@pytest.mark.parametrize("message, options", BAD_INPUTS)
def test_bidirectional_rejects_bad_options(message, options):
    arguments = dict(forward=(W, U, None), backward=(W, U, None)) | options
    with pytest.raises(ValueError, match=message):
        reference.bidirectional(reference.simple_rnn, X, **arguments)


def test_stack_rejects_a_lower_layer_that_returns_a_list():
    lower = functools.partial(reference.simple_rnn, kernel=W, recurrent_kernel=U, return_state=True)
    top = functools.partial(reference.simple_rnn, kernel=U, recurrent_kernel=U)
    with pytest.raises(ValueError, match=r"layers\[0\] returns a list"):
        reference.stack(X, [lower, top])
