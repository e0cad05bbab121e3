"""Known divergences: where Keras on one backend returns something other than rnncheck.reference. Reviewed.

The table at the end has one row per backend, property and cause, like array-api-tests' xfails file but with
the evidence beside each entry: the minimal example Hypothesis shrank to (the property's own arguments), what
each side returns on it, which side Keras's documentation backs, and the cause in keras/src (Keras 3.15.1).

- `replays(test)`: each row's example as its own test case, a strict xfail on the row's backend (a fix upstream
  shows as XPASS, which fails) and on every other backend an ordinary case that must pass `check`.
- `check(test, arguments, ...)`: what a property asserts for every drawn case on every backend. Keras agrees with
  the reference, except in a row's region, where Keras must still do what the row records: raise its error, or
  return what the row's model of the backend's loop computes (for a gradient, which is then the gradient of that
  loop, its forward does: `diverged`). A region narrows no strategy; it only says which answer is expected.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import keras
import numpy as np
import pytest

from rnncheck.conformance.strategies import BidirectionalCase, GradientCase, SequenceCase, StackCase, StackedLayer

Loop = Callable[[Callable], Callable]  # a reference layer function -> that layer as one backend's loop runs it


def as_documented(layer: Callable) -> Callable:
    """The reference's own loop: Keras's documented semantics."""
    return layer


# Models of the loops that diverge: each wraps a reference layer function (simple_rnn, gru, lstm) and returns
# what that backend's keras.backend.rnn computes instead; Bidirectional and stacks compose them as the reference
# composes its own loop.


def jax_scan(layer: Callable) -> Callable:
    """jax, unroll=False: a masked step outputs the carried h, so steps before the first real one output h0, not 0."""

    def run(x, *weights, mask=None, initial_state=None, go_backwards=False, return_sequences=False, **options):
        return_state = options.pop("return_state", False)
        result = layer(
            x,
            *weights,
            mask=mask,
            initial_state=initial_state,
            go_backwards=go_backwards,
            return_sequences=return_sequences,
            return_state=True,
            **options,
        )
        if mask is not None and not options.get("zero_output_for_mask", False):
            mask = np.asarray(mask, dtype=bool)
            seen = np.logical_or.accumulate(mask[:, ::-1] if go_backwards else mask, axis=1)  # processing order
            h0 = np.zeros_like(result[1]) if initial_state is None else np.asarray(_states(initial_state)[0])
            if return_sequences:
                result[0] = np.where(seen[:, :, None], result[0], h0[:, None, :])  # (batch, time, u)
            else:
                result[0] = np.where(seen[:, -1:], result[0], h0)  # (batch, u)
        return result if return_state else result[0]

    return run


def jax_unroll(layer: Callable) -> Callable:
    """jax, unroll=True: zero_output_for_mask is ignored; masked steps repeat the previous output."""

    def run(x, *weights, **options):
        return layer(x, *weights, **{**options, "zero_output_for_mask": False})

    return run


def tensorflow_unroll(layer: Callable) -> Callable:
    """tensorflow, unroll=True: with go_backwards, zero_output_for_mask zeroes the steps the mask names in time
    order on a sequence in processing order, so the wrong steps are zeroed."""

    def run(x, *weights, mask=None, go_backwards=False, return_sequences=False, **options):
        if mask is None or not (go_backwards and return_sequences and options.get("zero_output_for_mask", False)):
            options.update(mask=mask, go_backwards=go_backwards, return_sequences=return_sequences)
            return layer(x, *weights, **options)
        return_state = options.pop("return_state", False)
        options["zero_output_for_mask"] = False
        result = layer(x, *weights, mask=mask, go_backwards=True, return_sequences=True, return_state=True, **options)
        result[0] = np.where(np.asarray(mask, dtype=bool)[:, :, None], result[0], 0.0)  # (batch, time, u)
        return result if return_state else result[0]

    return run


def _states(initial_state) -> list:
    return list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]


@dataclass(frozen=True)
class Divergence:
    """One reviewed divergence of one property on one backend."""

    id: str  # the replayed example's pytest id
    backend: str  # the KERAS_BACKEND where Keras diverges
    test: str  # the property, as its test function is named
    example: dict  # the minimal example Hypothesis shrank to: the property's arguments, replayed as they are
    keras: str  # what Keras returns on the example
    reference: str  # what rnncheck.reference returns on it
    documented: str  # which side Keras's documentation agrees with, and where it says so
    reason: str  # the cause, file:line under keras/src
    covers: Callable[..., bool] = field(repr=False)  # the drawn arguments (as in example) this divergence concerns
    loop: Loop | None = field(default=None, repr=False)  # there Keras computes the reference through this loop,
    raises: type[BaseException] | None = None  # or raises this,
    match: str = ""  # with a message matching this


def active_backend() -> str:
    return keras.backend.backend()


def recorded(test: str, backend: str | None = None, **arguments) -> Divergence | None:
    """The row of `test` on `backend` (default: the active one) whose region holds `arguments`, or None."""
    backend = backend or active_backend()
    rows = [row for row in DIVERGENCES if row.backend == backend and row.test == test and row.covers(**arguments)]
    if len(rows) > 1:
        raise AssertionError(f"divergences overlap for {test} on {backend}: {[row.id for row in rows]}")
    return rows[0] if rows else None


def check(
    test: str,
    arguments: dict,
    *,
    actual: Callable,
    expected: Callable[[Loop], list],
    compare: Callable,
    diverged: Callable[[Loop], None] | None = None,
):
    """compare(actual(), expected(loop)) with the documented loop, or what the row covering `arguments` records:
    its error from actual(), or compare(actual(), expected(row.loop)), or diverged(row.loop) where given (a
    property of a derived quantity, a gradient, asserts there that the forward still runs the row's loop)."""
    row = recorded(test, **arguments)
    if row is None:
        compare(actual(), expected(as_documented))
    elif row.raises is not None:
        with pytest.raises(row.raises, match=row.match):
            actual()
    elif diverged is not None:
        diverged(row.loop)
    else:
        compare(actual(), expected(row.loop))


def replays(test: str) -> list:
    """Every row of `test` as a pytest.param: a strict xfail on the row's own backend, an ordinary case elsewhere."""
    return [
        pytest.param(
            row,
            id=row.id,
            marks=pytest.mark.xfail(strict=True, raises=row.raises or AssertionError, reason=xfail_reason(row))
            if row.backend == active_backend()
            else (),
        )
        for row in DIVERGENCES
        if row.test == test
    ]


def replay(
    row: Divergence,
    *,
    actual: Callable,
    expected: Callable[[Loop], list],
    compare: Callable,
    diverged: Callable[[Loop], None] | None = None,
):
    """Row's example: on its backend Keras must still disagree with the reference; elsewhere, `check` it."""
    if row.backend == active_backend():
        compare(actual(), expected(as_documented))
    else:
        check(row.test, row.example, actual=actual, expected=expected, compare=compare, diverged=diverged)


def xfail_reason(row: Divergence) -> str:
    """One line for pytest and rnncheck conform: both sides on the example, and the cause."""
    return f"Keras {row.keras}; reference {row.reference}. {row.reason}"


def _bidirectional_in(case: StackCase) -> bool:
    return any(layer.backward is not None for layer in case.layers)


_TORCH_FLIP = "torch/rnn.py:95: unroll=True with a mask and go_backwards calls torch.flip on a tuple (torch.unbind's)"
_JAX_SCAN = "jax/rnn.py:166: a masked step outputs states[0], which before any real step is the initial h"
_JAX_UNROLL = "jax/rnn.py:89-131: the unrolled masked loop never reads zero_output_for_mask; tensorflow/rnn.py:203 does"
_TF_UNROLL = "tensorflow/rnn.py:210: zero_output_for_mask zeroes the reversed outputs with the unreversed mask"
_ZEROS_FIRST = (
    "the reference, as tensorflow, torch and jax's own unroll=True (jax/rnn.py:104): a masked step repeats the "
    "previous output (tensorflow/rnn.py:59), and before the first there is none: 'a zero filled tensor' (:335)"
)
_MASKED_ZERO = "the reference: Bidirectional's docstring (layers/rnn/bidirectional.py:30): masked timesteps output zero"
_ZERO_OUTPUT = (
    "the reference: keras.backend.rnn's docstring (tensorflow/rnn.py:59): with zero_output_for_mask 'the output for "
    "masked timestep will be zeros', as tensorflow, torch and jax's scan do, last output included; RNN's docstring "
    "(layers/rnn/rnn.py:57) uses it only with return_sequences, but jax's unroll ignores it even there"
)
_RUNS = "the reference: tensorflow, jax, and torch with unroll=False run it; unroll only trades memory for speed"

DIVERGENCES: list[Divergence] = [
    Divergence(
        id="torch-unroll-mask-go_backwards-raises",
        backend="torch",
        test="test_reference_matches_keras",
        example=dict(
            case=SequenceCase(
                cell="simple",
                x=np.zeros((1, 1, 1), np.float32),
                kernel=np.zeros((1, 1), np.float32),
                recurrent_kernel=np.zeros((1, 1), np.float32),
                bias=None,
                go_backwards=True,
                mask=np.array([[False]]),
            ),
            unroll=True,
        ),
        keras="AttributeError: 'tuple' object has no attribute 'shape'",
        reference="output [[0.]], state [[0.]] (as tensorflow, jax, and torch with unroll=False)",
        documented=_RUNS,
        reason=_TORCH_FLIP,
        covers=lambda case, unroll: unroll and case.mask is not None and case.go_backwards,
        raises=AttributeError,
        match="'tuple' object has no attribute 'shape'",
    ),
    Divergence(
        id="jax-loop-mask-initial_state",
        backend="jax",
        test="test_reference_matches_keras",
        example=dict(
            case=SequenceCase(
                cell="simple",
                x=np.zeros((1, 1, 1), np.float32),
                kernel=np.zeros((1, 1), np.float32),
                recurrent_kernel=np.zeros((1, 1), np.float32),
                bias=None,
                initial_state=(np.ones((1, 1), np.float32),),
                mask=np.array([[False]]),
            ),
            unroll=False,
        ),
        keras="output [[1.]] (h0), state [[1.]]",
        reference="output [[0.]], state [[1.]] (as tensorflow, torch, and jax with unroll=True)",
        documented=_ZEROS_FIRST,
        reason=_JAX_SCAN,
        covers=lambda case, unroll: not unroll and case.mask is not None and case.initial_state is not None,
        loop=jax_scan,
    ),
    Divergence(
        id="torch-unroll-mask-raises",
        backend="torch",
        test="test_bidirectional_matches_reference",
        example=dict(
            case=BidirectionalCase(
                cell="simple",
                x=np.zeros((1, 1, 1), np.float32),
                forward=(np.zeros((1, 1), np.float32), np.zeros((1, 1), np.float32), None),
                backward=(np.zeros((1, 1), np.float32), np.zeros((1, 1), np.float32), None),
                mask=np.array([[False]]),
            ),
            unroll=True,
        ),
        keras="AttributeError: 'tuple' object has no attribute 'shape'",
        reference="[[0., 0.]]",
        documented=_RUNS,
        reason=_TORCH_FLIP + "; Bidirectional's backward layer has go_backwards",
        covers=lambda case, unroll: unroll and case.mask is not None,
        raises=AttributeError,
        match="'tuple' object has no attribute 'shape'",
    ),
    Divergence(
        id="jax-loop-mask-initial_state",
        backend="jax",
        test="test_bidirectional_matches_reference",
        example=dict(
            case=BidirectionalCase(
                cell="simple",
                x=np.zeros((1, 1, 1), np.float32),
                forward=(np.zeros((1, 1), np.float32), np.zeros((1, 1), np.float32), None),
                backward=(np.zeros((1, 1), np.float32), np.zeros((1, 1), np.float32), None),
                initial_state=(np.zeros((1, 1), np.float32), np.ones((1, 1), np.float32)),
                mask=np.array([[False]]),
            ),
            unroll=False,
        ),
        keras="[[0., 1.]]: the backward half is its h0",
        reference="[[0., 0.]]",
        documented=_ZEROS_FIRST,
        reason=_JAX_SCAN,
        covers=lambda case, unroll: (
            not unroll and case.mask is not None and case.initial_state is not None and not case.return_sequences
        ),
        loop=jax_scan,
    ),
    Divergence(
        id="jax-unroll-mask-return_sequences",
        backend="jax",
        test="test_bidirectional_matches_reference",
        example=dict(
            case=BidirectionalCase(
                cell="simple",
                x=np.zeros((1, 2, 1), np.float32),
                forward=(np.zeros((1, 1), np.float32), np.zeros((1, 1), np.float32), np.ones(1, np.float32)),
                backward=(np.zeros((1, 1), np.float32), np.zeros((1, 1), np.float32), np.zeros(1, np.float32)),
                return_sequences=True,
                mask=np.array([[True, False]]),
            ),
            unroll=True,
        ),
        keras="[[[0.7616, 0.], [0.7616, 0.]]]: masked t=1 repeats tanh(1)",
        reference="[[[0.7616, 0.], [0., 0.]]]",
        documented=_MASKED_ZERO,
        reason=_JAX_UNROLL,
        covers=lambda case, unroll: unroll and case.mask is not None and case.return_sequences,
        loop=jax_unroll,
    ),
    Divergence(
        id="tensorflow-unroll-mask-return_sequences",
        backend="tensorflow",
        test="test_bidirectional_matches_reference",
        example=dict(
            case=BidirectionalCase(
                cell="simple",
                x=np.zeros((1, 2, 1), np.float32),
                forward=(np.zeros((1, 1), np.float32), np.zeros((1, 1), np.float32), np.zeros(1, np.float32)),
                backward=(np.zeros((1, 1), np.float32), np.zeros((1, 1), np.float32), np.ones(1, np.float32)),
                return_sequences=True,
                mask=np.array([[True, False]]),
            ),
            unroll=True,
        ),
        keras="[[[0., 0.], [0., 0.]]]: the real step t=0 of the backward half is zeroed",
        reference="[[[0., 0.7616], [0., 0.]]]",
        documented=_MASKED_ZERO,
        reason=_TF_UNROLL,
        covers=lambda case, unroll: unroll and case.mask is not None and case.return_sequences,
        loop=tensorflow_unroll,
    ),
    Divergence(
        id="torch-unroll-mask-bidirectional-raises",
        backend="torch",
        test="test_stack_matches_reference",
        example=dict(
            case=StackCase(
                x=np.zeros((1, 1, 1), np.float32),
                layers=(
                    StackedLayer(
                        cell="simple",
                        forward=(np.zeros((1, 1), np.float32), np.zeros((1, 1), np.float32), None),
                        backward=(np.zeros((1, 1), np.float32), np.zeros((1, 1), np.float32), None),
                    ),
                    StackedLayer(
                        cell="simple", forward=(np.zeros((2, 1), np.float32), np.zeros((1, 1), np.float32), None)
                    ),
                ),
                mask=np.array([[False]]),
            ),
            unroll=True,
        ),
        keras="AttributeError: 'tuple' object has no attribute 'shape'",
        reference="[[0.]]",
        documented=_RUNS,
        reason=_TORCH_FLIP + "; Bidirectional's backward layer has go_backwards",
        covers=lambda case, unroll: unroll and case.mask is not None and _bidirectional_in(case),
        raises=AttributeError,
        match="'tuple' object has no attribute 'shape'",
    ),
    Divergence(
        id="jax-unroll-mask-bidirectional",
        backend="jax",
        test="test_stack_matches_reference",
        example=dict(
            case=StackCase(
                x=np.zeros((1, 2, 1), np.float32),
                layers=(
                    StackedLayer(
                        cell="simple",
                        forward=(
                            np.zeros((1, 2), np.float32),
                            np.zeros((2, 2), np.float32),
                            np.array([1.0, 0.0], np.float32),
                        ),
                    ),
                    StackedLayer(
                        cell="simple",
                        forward=(
                            np.array([[1.0], [0.0]], np.float32),
                            np.zeros((1, 1), np.float32),
                            np.zeros(1, np.float32),
                        ),
                        backward=(np.zeros((2, 1), np.float32), np.zeros((1, 1), np.float32), np.zeros(1, np.float32)),
                    ),
                ),
                return_sequences=True,
                mask=np.array([[True, False]]),
            ),
            unroll=True,
        ),
        keras="[[[0.642, 0.], [0.642, 0.]]]: masked t=1 repeats the top layer's output",
        reference="[[[0.642, 0.], [0., 0.]]]",
        documented=_MASKED_ZERO,
        reason=_JAX_UNROLL,
        covers=lambda case, unroll: unroll and case.mask is not None and _bidirectional_in(case),
        loop=jax_unroll,
    ),
    Divergence(
        id="tensorflow-unroll-mask-bidirectional",
        backend="tensorflow",
        test="test_stack_matches_reference",
        example=dict(
            case=StackCase(
                x=np.ones((1, 2, 1), np.float32),
                layers=(
                    StackedLayer(
                        cell="simple",
                        forward=(np.zeros((1, 1), np.float32), np.zeros((1, 1), np.float32), None),
                        backward=(np.ones((1, 1), np.float32), np.zeros((1, 1), np.float32), None),
                        merge_mode="sum",
                    ),
                    StackedLayer(
                        cell="simple",
                        forward=(np.zeros((1, 1), np.float32), np.zeros((1, 1), np.float32), np.zeros(1, np.float32)),
                        backward=(np.ones((1, 1), np.float32), np.zeros((1, 1), np.float32), np.zeros(1, np.float32)),
                    ),
                ),
                mask=np.array([[False, True]]),
            ),
            unroll=True,
        ),
        keras="[[0., 0.]]: the lower layer zeroes its real step t=1, the top sees 0",
        reference="[[0., 0.642]]",
        documented=_MASKED_ZERO,
        reason=_TF_UNROLL,
        covers=lambda case, unroll: unroll and case.mask is not None and _bidirectional_in(case),
        loop=tensorflow_unroll,
    ),
    # test_bptt_matches_backend_autodiff: in a row's region the backend differentiates the loop the row records,
    # not the reference, so the property asserts there that the forward still runs that loop (check's diverged).
    Divergence(
        id="jax-loop-mask-initial_state",
        backend="jax",
        test="test_bptt_matches_backend_autodiff",
        example=dict(
            gradient_case=GradientCase(
                SequenceCase(
                    cell="simple",
                    x=np.zeros((1, 1, 1), np.float32),
                    kernel=np.zeros((1, 1), np.float32),
                    recurrent_kernel=np.zeros((1, 1), np.float32),
                    bias=None,
                    initial_state=(np.ones((1, 1), np.float32),),
                    mask=np.array([[False]]),
                ),
                d_output=np.ones((1, 1), np.float32),
            ),
            unroll=False,
        ),
        keras="dL/dh0 [[1.]]: the output is h0",
        reference="dL/dh0 [[0.]]: the output is [[0.]] (as tensorflow, torch, and jax with unroll=True)",
        documented=_ZEROS_FIRST,
        reason=_JAX_SCAN,
        covers=lambda gradient_case, unroll: (
            not unroll
            and gradient_case.case.mask is not None
            and gradient_case.case.initial_state is not None
            and not gradient_case.zero_output_for_mask
        ),
        loop=jax_scan,
    ),
    Divergence(
        id="torch-unroll-mask-go_backwards-raises",
        backend="torch",
        test="test_bptt_matches_backend_autodiff",
        example=dict(
            gradient_case=GradientCase(
                SequenceCase(
                    cell="simple",
                    x=np.zeros((1, 1, 1), np.float32),
                    kernel=np.zeros((1, 1), np.float32),
                    recurrent_kernel=np.zeros((1, 1), np.float32),
                    bias=None,
                    go_backwards=True,
                    mask=np.array([[True]]),
                ),
                d_output=np.ones((1, 1), np.float32),
            ),
            unroll=True,
        ),
        keras="AttributeError: 'tuple' object has no attribute 'shape'",
        reference="dL/dx [[[0.]]], dL/dkernel [[0.]], dL/drecurrent_kernel [[0.]] (as tensorflow, jax, torch loop)",
        documented=_RUNS,
        reason=_TORCH_FLIP,
        covers=lambda gradient_case, unroll: (
            unroll and gradient_case.case.mask is not None and gradient_case.case.go_backwards
        ),
        raises=AttributeError,
        match="'tuple' object has no attribute 'shape'",
    ),
    Divergence(
        id="tensorflow-unroll-mask-go_backwards-zero_output_for_mask",
        backend="tensorflow",
        test="test_bptt_matches_backend_autodiff",
        example=dict(
            gradient_case=GradientCase(
                SequenceCase(
                    cell="simple",
                    x=np.zeros((1, 2, 1), np.float32),
                    kernel=np.zeros((1, 1), np.float32),
                    recurrent_kernel=np.zeros((1, 1), np.float32),
                    bias=np.zeros(1, np.float32),
                    return_sequences=True,
                    go_backwards=True,
                    mask=np.array([[True, False]]),
                ),
                d_output=np.ones((1, 2, 1), np.float32),
                zero_output_for_mask=True,
            ),
            unroll=True,
        ),
        keras="dL/dbias [0.]: the real step t=0 is zeroed, so no output depends on b",
        reference="dL/dbias [1.]: t=0 outputs tanh(b) (as jax, and tensorflow with unroll=False)",
        documented=_MASKED_ZERO,
        reason=_TF_UNROLL,
        covers=lambda gradient_case, unroll: (
            unroll
            and gradient_case.case.mask is not None
            and gradient_case.case.go_backwards
            and gradient_case.case.return_sequences
            and gradient_case.zero_output_for_mask
        ),
        loop=tensorflow_unroll,
    ),
    Divergence(
        id="jax-unroll-mask-zero_output_for_mask",
        backend="jax",
        test="test_bptt_matches_backend_autodiff",
        example=dict(
            gradient_case=GradientCase(
                SequenceCase(
                    cell="simple",
                    x=np.zeros((1, 2, 1), np.float32),
                    kernel=np.zeros((1, 1), np.float32),
                    recurrent_kernel=np.zeros((1, 1), np.float32),
                    bias=np.zeros(1, np.float32),
                    mask=np.array([[True, False]]),
                ),
                d_output=np.ones((1, 1), np.float32),
                zero_output_for_mask=True,
            ),
            unroll=True,
        ),
        keras="dL/dbias [1.]: the output at masked t=1 repeats t=0's tanh(b)",
        reference="dL/dbias [0.]: masked t=1 outputs 0 (as tensorflow, torch, and jax with unroll=False)",
        documented=_ZERO_OUTPUT,
        reason=_JAX_UNROLL,
        covers=lambda gradient_case, unroll: (
            unroll and gradient_case.case.mask is not None and gradient_case.zero_output_for_mask
        ),
        loop=jax_unroll,
    ),
]
